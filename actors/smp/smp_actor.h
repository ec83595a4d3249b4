/* The smp actor's state: a table of links keyed by connection handle, each
 * with its pairing machine (smp_pairing.h), the bond store (smp_bonds.h),
 * the pairing delegate (prompts to apps with a timeout, or a policy) and
 * the subscribed apps. Pure: smp_main.c turns messages into these calls
 * and the actions in the outbox back into messages, once per input.
 *
 * Addresses here are most significant octet first with type 0 (public) or
 * 1 (random); the connected call also takes types 2/3 (an identity the
 * controller resolved).
 */
#ifndef SMP_ACTOR_H
#define SMP_ACTOR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "smp_bonds.h"
#include "smp_pairing.h"

#define SMP_LINKS_MAX 32
#define SMP_SUBSCRIBERS_MAX 8
#define SMP_ACT_MAX 96
#define SMP_APP_NAME_MAX 64
#define SMP_PROMPT_TIMEOUT_MS 30000u
#define SMP_ATTEMPTS_MAX 16     /* peers whose failed pairings are remembered */
#define SMP_OOB_LIFETIME_MS 600000u
#define SMP_SNAPSHOT_MAX (SMP_LINKS_MAX * 24 + SMP_ATTEMPTS_MAX * 24 + 8)

enum smp_policy { SMP_POLICY_ACCEPT = 0, SMP_POLICY_REJECT, SMP_POLICY_PASSKEY };

/* Prompt kinds, as SmpPrompt.Kind. */
enum smp_prompt {
	SMP_PROMPT_NONE = 0,
	SMP_PROMPT_CONFIRM_NUMBER = 1,
	SMP_PROMPT_PASSKEY_DISPLAY = 2,
	SMP_PROMPT_PASSKEY_ENTRY = 3,
	SMP_PROMPT_CONFIRM_JUST_WORKS = 4,
	SMP_PROMPT_OOB_DATA = 30, /* the peer's SC OOB data: user_reply with C and r */
	SMP_PROMPT_OOB_TK = 31,   /* the legacy OOB TK: user_reply with the TK */
};

enum smp_act_type {
	SMP_ACT_PDU = 1,    /* to l2cap: ChannelPdu(handle, cid 6, pdu) */
	SMP_ACT_START_ENC,  /* to host: start_encryption(handle, key, ediv, rand) */
	SMP_ACT_LTK_REPLY,  /* to host: ltk_reply(handle, found, key) */
	SMP_ACT_DISCONNECT, /* to host: HCI Disconnect (the SMP timeout) */
	SMP_ACT_PROMPT,     /* SmpEvent prompt to dest */
	SMP_ACT_COMPLETE,   /* pairing done: Result to the asker or SmpEvent */
	SMP_ACT_FAILED,     /* pairing failed: Result to the asker or SmpEvent */
	SMP_ACT_ENCRYPTED,  /* encryption changed: Result to the asker or SmpEvent */
	SMP_ACT_RESULT,     /* a plain Result (status, error, maybe `deleted`) */
	SMP_ACT_KEYS_CHANGED, /* bonds changed: IRKs to host, CSRKs to gatt */
	SMP_ACT_OOB,        /* Result of oob_local: oob_c, oob_r, peer (our address) */
	SMP_ACT_KEYPRESS,   /* SmpEvent keypress: the peer's notification in number */
};

/* What a pairing produced; no key material. */
struct smp_outcome {
	struct smp_addr peer_identity;
	bool sc, authenticated, bonded;
	uint8_t key_size;
	uint8_t method; /* enum smp_method */
	uint8_t keys_sent, keys_received;
};

struct smp_act {
	enum smp_act_type type;
	uint16_t handle;
	char dest[SMP_APP_NAME_MAX + 1]; /* the app (prompts, results, events) */
	bool is_result;
	uint64_t request_id;
	int32_t status;   /* results: 0, -errno, or an SMP reason (smp_domain) */
	bool smp_domain;
	char error[160];
	int deleted;      /* SMP_ACT_RESULT of unpair: -1 otherwise */
	uint8_t len;
	uint8_t pdu[SMP_PDU_MAX];
	uint8_t key[16];  /* most significant octet first */
	uint16_t ediv;
	uint64_t rand;
	bool found;
	uint8_t prompt;   /* enum smp_prompt */
	uint32_t number;
	uint32_t timeout_ms;
	struct smp_addr peer;
	struct smp_outcome outcome;
	uint8_t reason;   /* FAILED: Pairing Failed reason, 0 when local */
	bool remote;
	bool enabled;     /* ENCRYPTED */
	uint8_t key_size;
	uint8_t hci_status;
	bool bonded_key;
	uint8_t oob_c[16], oob_r[16]; /* OOB: most significant octet first */
	bool has_addr;                /* OOB: peer holds our address */
	uint32_t valid_ms;
};

/* Our LE Secure Connections OOB data: the key pair's private scalar, r and
 * C = f4(PKx, PKx, r, 0); valid until expires (ms). */
struct smp_oob_local {
	bool valid;
	uint64_t expires;
	uint8_t priv[32], r[16], c[16];
};

/* Repeated Attempts of one peer (identity, else its address): failed
 * authentications we found, when it may pair again, and when it last
 * failed (each quiet retry_max_ms since halves its next wait). */
struct smp_attempts {
	bool used;
	struct smp_addr peer;
	uint8_t fails;
	uint64_t retry_at, last;
};

enum smp_ask { SMP_ASK_NONE = 0, SMP_ASK_PAIR, SMP_ASK_ENCRYPT };

struct smp_link {
	bool used;
	uint16_t handle;
	enum smp_role role;
	struct smp_addr own, peer; /* as on this connection */
	bool peer_resolved;        /* the host gave the peer's identity */
	struct smp_addr local_id;  /* our identity on this link */
	bool have_bond;
	struct smp_bond bond;
	struct smp_pairing p;
	uint8_t method; /* of the pairing under way (enum smp_method) */
	bool encrypted;
	uint8_t key_size;
	bool enc_with_bond; /* the key in use came from the bond store */
	enum smp_ask ask;
	char asker[SMP_APP_NAME_MAX + 1];
	uint64_t ask_id;
	uint8_t prompt; /* enum smp_prompt waiting for a user_reply */
	uint64_t prompt_deadline;
	/* Repeated Attempts as loaded into p (smp_attempts_save sees change) */
	unsigned att_fails;
	uint64_t att_retry;
};

struct smp_settings {
	struct smp_config cfg;  /* defaults of every link's pairing */
	bool auto_encrypt;      /* central: encrypt with a bond's LTK on connection */
	bool pair_on_security_request;
	uint32_t prompt_timeout_ms;
	enum smp_policy policy;
	uint32_t policy_passkey;
	bool identity_set;      /* else our identity is the connection's own address */
	struct smp_addr identity;
	uint32_t oob_lifetime_ms; /* of our OOB data (0: SMP_OOB_LIFETIME_MS) */
};

struct smp_actor {
	struct smp_settings set;
	struct smp_bonds *store; /* not owned */
	struct smp_ops ops;
	struct smp_link links[SMP_LINKS_MAX];
	struct smp_oob_local oob;
	struct smp_attempts attempts[SMP_ATTEMPTS_MAX];
	char subscribers[SMP_SUBSCRIBERS_MAX][SMP_APP_NAME_MAX + 1];
	unsigned nsubscribers;
	struct smp_act out[SMP_ACT_MAX];
	unsigned nout;
	bool overflow;
	char log[256]; /* the last notable thing, for the shell to log; "" */
};

/* The defaults: display+yes/no, SC and bonding, keys 7..16, all keys
 * distributed, policy accept, prompts 30 s, apps asked for OOB data. */
void smp_settings_default(struct smp_settings *s);
/* "accept", "reject", "passkey:N". Returns 0 or -EINVAL. */
int smp_policy_parse(const char *text, enum smp_policy *policy, uint32_t *passkey);
/* "display_only", "display_yes_no", "keyboard_only", "no_input_no_output"
 * (or "none"), "keyboard_display"; -EINVAL otherwise. */
int smp_io_cap_parse(const char *text, uint8_t *io_cap);

void smp_actor_init(struct smp_actor *self, const struct smp_settings *set,
		    struct smp_bonds *store, const struct smp_ops *ops);

/* ---- inputs; each may fill the outbox --------------------------------------- */

/* Link events from the host. own/peer types 0..3 as Address.Type. */
void smp_actor_connected(struct smp_actor *self, uint16_t handle, enum smp_role role,
			 const struct smp_addr *own, const struct smp_addr *peer);
void smp_actor_disconnected(struct smp_actor *self, uint16_t handle, uint8_t reason);
void smp_actor_encryption_changed(struct smp_actor *self, uint16_t handle, uint8_t status,
				  bool enabled, uint8_t key_size);
void smp_actor_ltk_requested(struct smp_actor *self, uint16_t handle, uint64_t rand,
			     uint16_t ediv);
/* One SMP PDU from l2cap. */
void smp_actor_pdu(struct smp_actor *self, uint16_t handle, const uint8_t *pdu, size_t len);

/* Requests of apps (asker is the app's actor name). */
struct smp_pair_opts {
	bool legacy, mitm, no_bonding;
	int io_cap; /* -1: the actor's */
	bool has_oob;                 /* the peer's SC OOB data (most significant first) */
	uint8_t oob_c[16], oob_r[16];
	bool has_tk;                  /* a legacy OOB TK */
	uint8_t oob_tk[16];
};
/* The answer to an OOB prompt (most significant octet first). */
struct smp_oob_answer {
	bool has_data;
	uint8_t c[16], r[16];
	bool has_tk;
	uint8_t tk[16];
};
void smp_actor_pair(struct smp_actor *self, const char *asker, uint64_t id, uint16_t handle,
		    const struct smp_pair_opts *o);
void smp_actor_encrypt(struct smp_actor *self, const char *asker, uint64_t id, uint16_t handle);
/* oob: the data of an OOB prompt's answer, NULL when none came. */
void smp_actor_user_reply(struct smp_actor *self, const char *asker, uint64_t id,
			  uint16_t handle, bool accept, uint32_t passkey,
			  const struct smp_oob_answer *oob);
/* Our SC OOB data (SMP_ACT_OOB): the valid one, or new (renew, none, or
 * expired). */
void smp_actor_oob_local(struct smp_actor *self, const char *asker, uint64_t id, bool renew);
/* A keypress notification to the peer of handle (type 0..4). */
void smp_actor_keypress(struct smp_actor *self, const char *asker, uint64_t id, uint16_t handle,
			uint8_t type);
void smp_actor_subscribe(struct smp_actor *self, const char *asker, uint64_t id);
void smp_actor_set_policy(struct smp_actor *self, const char *asker, uint64_t id,
			  const char *policy);
void smp_actor_unpair(struct smp_actor *self, const char *asker, uint64_t id,
		      const struct smp_addr *peer);

/* Timers: call when smp_actor_next_deadline() has passed (any time is
 * harmless). The deadline is 0 when nothing waits. */
void smp_actor_tick(struct smp_actor *self);
uint64_t smp_actor_next_deadline(const struct smp_actor *self);

/* The link table (handles, roles, addresses, encryption) and the
 * Repeated Attempts of peers for the broker to keep across a restart.
 * Returns the length written. */
size_t smp_actor_snapshot(const struct smp_actor *self, uint8_t *buf, size_t cap);
/* Restores links from a snapshot; pairings in progress are not kept.
 * Returns the number of links, or -EBADMSG. */
int smp_actor_restore(struct smp_actor *self, const uint8_t *buf, size_t len);

struct smp_link *smp_actor_link(struct smp_actor *self, uint16_t handle);

/* A plain Result to an app. */
void smp_act_result(struct smp_actor *self, const char *dest, uint64_t id, int32_t status,
		    const char *fmt, ...) __attribute__((format(printf, 5, 6)));

static inline void smp_actor_out_clear(struct smp_actor *self)
{
	self->nout = 0;
	self->overflow = false;
	self->log[0] = '\0';
}

#endif
