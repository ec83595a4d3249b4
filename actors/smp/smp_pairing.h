/* The SMP pairing state machine of one LE link, both roles (Core Vol 3
 * Part H 2.3-2.4, 3.5-3.6). Pure: decoded PDUs, user answers, the host's
 * encryption results and the time go in; what to send and what to tell the
 * user or the host comes out as events in the outbox, which the caller
 * drains after every call. Randomness and time come through struct smp_ops
 * so tests can fix them.
 *
 * Supported: LE legacy (Just Works, Passkey Entry, OOB with a TK given in
 * the configuration or by the user) and LE Secure Connections (Just Works,
 * Numeric Comparison, Passkey Entry in 20 rounds, OOB with either side or
 * both holding the other's data); key size negotiation with a
 * configurable minimum; key distribution (LTK/EDIV/Rand, IRK and identity
 * address, CSRK); Security Request; keypress notifications; the 30 s SMP
 * timeout; Repeated Attempts with a back-off that doubles (the caller
 * keeps the count per peer across links: fails, retry_at). Not supported:
 * BR/EDR and cross-transport key derivation (the LinkKey bit is always
 * cleared).
 *
 * OOB flags (Vol 3 Part H 2.3.3, 2.3.5.6.4): under Secure Connections our
 * flag says we hold the peer's OOB data (r, C); a central that offers SC
 * sets it from sc_oob_peer, one that does not from oob_present (a TK). A
 * peripheral decides once it knows whether SC will be used; when the
 * central has set its flag and we hold nothing, it may ask the user
 * (ask_oob: SMP_EV_OOB_REQUEST, answered by smp_pairing_oob_reply).
 *
 * Reasons for refused PDUs: a wrong length is Invalid Parameters; a code we
 * do not know is Command Not Supported; a PDU our role never receives
 * (Pairing Request at the central, Pairing Response or Security Request at
 * the peripheral) is Command Not Supported; a PDU out of sequence is
 * Unspecified Reason (Zephyr's allowed_cmds). A Max Encryption Key Size
 * below 7 or below our minimum is Encryption Key Size; above 16 is Invalid
 * Parameters.
 */
#ifndef SMP_PAIRING_H
#define SMP_PAIRING_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "smp_codec.h"
#include "smp_crypto.h"

#define SMP_TIMEOUT_MS 30000u
#define SMP_RETRY_BASE_MS 2000u
#define SMP_RETRY_MAX_MS 64000u
#define SMP_OUTBOX_MAX 16
#define SMP_PASSKEY_ROUNDS 20

/* An LE address: type (0 public, 1 random) and the address, most
 * significant octet first. */
struct smp_addr {
	uint8_t type;
	uint8_t a[6];
};

struct smp_config {
	uint8_t io_cap;        /* enum smp_io_cap */
	uint8_t auth_req;      /* SMP_AUTH_*: what we send */
	uint8_t max_key_size;  /* 7..16 */
	uint8_t min_key_size;  /* 7..16: below it, Encryption Key Size */
	uint8_t init_key_dist; /* SMP_DIST_*: keys asked of / offered by the central */
	uint8_t resp_key_dist; /* SMP_DIST_*: keys asked of / offered by the peripheral */
	bool pairing_disabled; /* answer every Pairing Request with Pairing Not Supported */
	bool sc_only;          /* refuse legacy pairing (Authentication Requirements) */
	bool require_mitm;     /* refuse Just Works (Authentication Requirements) */
	bool confirm_just_works; /* ask the user to accept Just Works */
	bool oob_present;      /* legacy OOB: we hold oob_tk */
	uint8_t oob_tk[16];
	/* Secure Connections OOB, ours: the private key our OOB data was made
	 * with (the pairing uses its key pair when the peer holds our data)
	 * and r; C = f4(PKx, PKx, r, 0) (smp_sc_oob_data). */
	bool sc_oob_local;
	uint8_t sc_oob_priv[32];
	uint8_t sc_oob_r[16];
	/* Secure Connections OOB, the peer's: r and C received out of band. */
	bool sc_oob_peer;
	uint8_t sc_oob_peer_r[16], sc_oob_peer_c[16];
	bool ask_oob;          /* peripheral: SMP_EV_OOB_REQUEST when the central has OOB data */
	uint32_t retry_base_ms; /* Repeated Attempts: first wait (0: SMP_RETRY_BASE_MS) */
	uint32_t retry_max_ms;  /* and the cap (0: SMP_RETRY_MAX_MS) */
	uint8_t irk[16];       /* distributed with the identity address */
	struct smp_addr identity;
	uint8_t csrk[16];
};

struct smp_ops {
	void (*rand)(void *arg, void *buf, size_t n);
	uint64_t (*now_ms)(void *arg);
	void *arg;
};

enum smp_role {
	SMP_ROLE_INITIATOR = 0, /* central */
	SMP_ROLE_RESPONDER = 1, /* peripheral */
};

enum smp_method {
	SMP_METHOD_NONE = 0,
	SMP_METHOD_JUST_WORKS,
	SMP_METHOD_PASSKEY,
	SMP_METHOD_NUMERIC,
	SMP_METHOD_OOB,
};

enum smp_state {
	SMP_ST_IDLE = 0,
	SMP_ST_WAIT_RESPONSE, /* central sent Pairing Request */
	SMP_ST_PAIRING,       /* phase 2 */
	SMP_ST_WAIT_ENCRYPTION,
	SMP_ST_KEY_DISTRIBUTION,
	SMP_ST_TIMED_OUT, /* no SMP on this link until it reconnects */
};

enum smp_event_type {
	SMP_EV_SEND = 1,           /* pdu[len] for the SMP channel */
	SMP_EV_PASSKEY_DISPLAY,    /* show value (000000-999999) */
	SMP_EV_PASSKEY_REQUEST,    /* ask for a passkey: smp_pairing_passkey_reply() */
	SMP_EV_CONFIRM_NUMBER,     /* value matches the peer's? smp_pairing_confirm_reply() */
	SMP_EV_CONFIRM_JUST_WORKS, /* accept pairing? smp_pairing_confirm_reply() */
	SMP_EV_KEYPRESS,           /* the peer's keypress notification in value */
	SMP_EV_START_ENCRYPTION,   /* central: LE Start Encryption with key, ediv, rand */
	SMP_EV_LTK_REPLY,          /* peripheral: LTK Request Reply with key */
	SMP_EV_SECURITY_REQUEST,   /* central: the peer asked for security (value = AuthReq) */
	SMP_EV_COMPLETE,           /* pairing done; keys in smp_pairing.keys */
	SMP_EV_FAILED,             /* reason; remote when the peer sent Pairing Failed */
	SMP_EV_TIMEOUT,            /* the 30 s timer expired: disconnect the link */
	SMP_EV_OOB_REQUEST,        /* the peer's OOB data? value 1: SC (r, C), 0: legacy TK;
				    * smp_pairing_oob_reply() */
};

struct smp_event {
	enum smp_event_type type;
	uint8_t len;
	uint8_t pdu[SMP_PDU_MAX];
	uint32_t value;
	uint8_t reason;
	bool remote;
	uint8_t key[16]; /* most significant octet first */
	uint16_t ediv;
	uint64_t rand;
	uint8_t key_size;
};

struct smp_outbox {
	struct smp_event ev[SMP_OUTBOX_MAX];
	unsigned n;
	bool overflow; /* events were lost: the caller did not drain */
};

/* One side's distributed keys. */
struct smp_key_set {
	uint8_t dist; /* SMP_DIST_* actually distributed */
	uint8_t ltk[16];
	uint16_t ediv;
	uint64_t rand;
	uint8_t irk[16];
	struct smp_addr identity;
	uint8_t csrk[16];
};

/* The outcome of a pairing. With Secure Connections, ltk is the key both
 * derived (f5) and the EncKey bits are ignored. */
struct smp_keys {
	bool sc;
	bool authenticated; /* MITM protection: passkey, numeric comparison or OOB */
	bool bonding;       /* both asked for bonding: store these keys */
	uint8_t key_size;
	uint8_t ltk[16];    /* SC LTK (valid when sc) */
	struct smp_key_set local, peer;
};

struct smp_pairing {
	enum smp_role role;
	struct smp_config cfg;
	struct smp_ops ops;
	struct smp_addr local, peer;
	enum smp_state state;
	uint32_t allowed; /* 1 << code of each PDU acceptable now */
	uint64_t deadline;
	unsigned fails;   /* failed authentications we found (Repeated Attempts) */
	uint64_t retry_at;

	/* Phase 1 */
	uint8_t preq[SMP_PAIRING_PDU_LEN], pres[SMP_PAIRING_PDU_LEN]; /* wire octets */
	struct smp_pairing_params req, rsp;
	bool sc;
	enum smp_method method;
	uint8_t key_size;
	bool local_inputs, local_displays, keypress;
	enum { SMP_WAIT_NONE, SMP_WAIT_PASSKEY, SMP_WAIT_CONFIRM, SMP_WAIT_OOB } wait_user;

	/* Phase 2, both kinds; randoms and confirms are local/peer. */
	uint8_t tk[16];
	bool tk_ready, user_ok, have_peer_confirm, have_peer_check;
	uint8_t local_confirm[16], peer_confirm[16];
	uint8_t local_rand[16], peer_rand[16];
	uint8_t peer_check[16];
	uint8_t stk[16];
	struct smp_p256 key;
	uint8_t peer_x[32], peer_y[32];
	uint8_t dhkey[32];
	uint32_t passkey;
	unsigned round;
	uint8_t mackey[16];
	/* SC OOB: ours when the peer holds our data, the peer's when we hold
	 * its data; 0 otherwise (ra, rb of f6). */
	uint8_t oob_local_r[16], oob_peer_r[16];

	/* Phase 3 */
	uint8_t expect; /* SMP_DIST_* still to receive from the peer */
	bool central_id_next;  /* Encryption Information came, Central Identification next */
	bool id_addr_next;     /* Identity Information came, address next */
	struct smp_keys keys;

	struct smp_outbox out;
};

/* Sets up the machine of one link. local/peer are the addresses used on
 * this connection (for c1, f5, f6). Nothing is sent. */
void smp_pairing_init(struct smp_pairing *p, enum smp_role role, const struct smp_config *cfg,
		      const struct smp_ops *ops, const struct smp_addr *local,
		      const struct smp_addr *peer);

/* Central: sends Pairing Request. Peripheral: sends Security Request.
 * Returns 0, -EBUSY while pairing or inside the Repeated Attempts back-off,
 * -ETIMEDOUT after the SMP timeout on this link. */
int smp_pairing_start(struct smp_pairing *p);

/* One PDU from the SMP channel (octets as received). Never fails: a bad PDU
 * becomes Pairing Failed in the outbox. */
void smp_pairing_on_pdu(struct smp_pairing *p, const uint8_t *pdu, size_t len);

/* The user's answers. passkey 0..999999; ok false rejects (Passkey Entry
 * Failed, Numeric Comparison Failed, Unspecified for Just Works). Return 0,
 * or -EALREADY when nothing was asked. */
int smp_pairing_passkey_reply(struct smp_pairing *p, bool ok, uint32_t passkey);
int smp_pairing_confirm_reply(struct smp_pairing *p, bool ok);
/* The answer to SMP_EV_OOB_REQUEST: ok with the peer's r and C (SC) or
 * the TK in r (legacy); !ok: we hold nothing, pairing goes on without.
 * Returns 0 or -EALREADY. */
int smp_pairing_oob_reply(struct smp_pairing *p, bool ok, const uint8_t r[16],
			  const uint8_t c[16]);

/* Sends a keypress notification while we enter a passkey (both sides set
 * the keypress bit). Returns 0 or -EPERM. */
int smp_pairing_keypress(struct smp_pairing *p, uint8_t type);

/* Peripheral: the host's LE Long Term Key Request during pairing. Puts
 * SMP_EV_LTK_REPLY in the outbox and returns 0 when pairing has a key for
 * it; -ENOENT otherwise (the caller looks in the bond store). */
int smp_pairing_ltk_request(struct smp_pairing *p, uint64_t rand, uint16_t ediv);

/* The host's Encryption Change result (status 0 = encrypted). */
void smp_pairing_encryption_changed(struct smp_pairing *p, uint8_t status);

/* Checks the SMP timer; after 30 s without progress, SMP_EV_TIMEOUT. Call
 * when the deadline (smp_pairing_deadline) passes; every input checks too. */
void smp_pairing_tick(struct smp_pairing *p);
/* The time at which the timer expires, or 0 when not running. */
uint64_t smp_pairing_deadline(const struct smp_pairing *p);

/* The association model of Vol 3 Part H 2.3.5.1 (tables 2.7, 2.8) for an
 * initiator and a responder; *init_inputs / *resp_inputs tell who types the
 * passkey for SMP_METHOD_PASSKEY (both when both have only keyboards). */
enum smp_method smp_method_select(const struct smp_pairing_params *req,
				  const struct smp_pairing_params *rsp, bool sc,
				  bool *init_inputs, bool *resp_inputs);

/* Our SC OOB data: the key pair of priv (-EINVAL when priv is no valid
 * scalar) and C = f4(PKx, PKx, r, 0). */
int smp_sc_oob_data(const uint8_t priv[32], const uint8_t r[16], struct smp_p256 *key,
		    uint8_t c[16]);

/* The outbox: take events in order; clear after. */
static inline void smp_outbox_clear(struct smp_outbox *o)
{
	o->n = 0;
	o->overflow = false;
}

#endif
