/* BR/EDR security in smp: the host forwards the controller's Link Key,
 * IO Capability, User Confirmation, User Passkey and PIN Code requests,
 * Link Key Notifications and Simple Pairing Complete (BredrEvent); this
 * module answers them through the pairing delegate (prompts to the
 * subscribed apps, answered by SmpUserReply; else the policy) and the link
 * key table of the bond database, and asks the host to send the matching
 * HCI reply. A link key is written in one transaction and read back on the
 * next Link Key Request, so a reconnection authenticates without pairing.
 *
 * Pure but for SQLite: the HCI commands for the host and the pairing
 * outcomes for apps go to this module's outbox (smp_bredr_main.c sends
 * them); prompts go to the smp actor's outbox as SMP_ACT_PROMPT. BD_ADDRs
 * are little-endian as on the wire. */
#ifndef SMP_BREDR_H
#define SMP_BREDR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "smp_actor.h"

#define SMP_BREDR_LINKS 16
#define SMP_BREDR_OUT_MAX 16

/* As BredrEvent.Kind (the kinds smp handles). */
enum smp_bredr_kind {
	SMP_BR_AUTHENTICATION = 9,
	SMP_BR_AUTHENTICATION_FAILURE = 10,
	SMP_BR_LINK_KEY_REQUEST = 11,
	SMP_BR_LINK_KEY = 12,
	SMP_BR_PIN_CODE_REQUEST = 13,
	SMP_BR_IO_CAPABILITY_REQUEST = 14,
	SMP_BR_IO_CAPABILITY_RESPONSE = 15,
	SMP_BR_USER_CONFIRMATION_REQUEST = 16,
	SMP_BR_USER_PASSKEY_REQUEST = 17,
	SMP_BR_USER_PASSKEY_NOTIFICATION = 18,
	SMP_BR_SSP_COMPLETE = 19,
};

struct smp_bredr_in {
	int kind;
	uint16_t handle;
	uint8_t addr[6];
	uint8_t status;
	uint32_t value;
	uint8_t key[16];
	bool has_key;
	uint8_t key_type;
	uint8_t io, oob, auth_req;
};

struct smp_bredr_link {
	bool used;
	uint16_t handle;
	uint8_t own[6], peer[6];
	bool pairing;      /* Simple Pairing or PIN under way */
	bool peer_io_known;
	uint8_t peer_io, peer_auth_req;
	uint8_t prompt;    /* enum smp_prompt waiting for a user reply */
	uint64_t prompt_deadline; /* unanswered by then: refused */
	bool pin_prompt;   /* the passkey entry prompt asks a PIN */
};

enum smp_bredr_out_type {
	SMP_BR_OUT_HCI = 1, /* Request hci_command to host */
	SMP_BR_OUT_PAIRED,  /* SmpEvent bredr_paired to dest */
};

struct smp_bredr_out {
	enum smp_bredr_out_type type;
	uint16_t handle;
	uint16_t opcode;
	uint8_t len;
	uint8_t params[32];
	char dest[SMP_APP_NAME_MAX + 1];
	uint8_t peer[6];
	uint8_t status;
	uint8_t key_type;
	bool stored;
};

struct smp_bredr {
	void *db; /* sqlite3 */
	struct smp_bredr_link link[SMP_BREDR_LINKS];
	struct smp_bredr_out out[SMP_BREDR_OUT_MAX];
	unsigned nout;
	uint64_t overflow, store_failures;
	char log[256];
};

/* Opens (creating) the link key table in the bond database at path.
 * Returns 0 or -EIO with err filled. */
int smp_bredr_open(struct smp_bredr *b, const char *path, char *err, size_t cap);
void smp_bredr_close(struct smp_bredr *b);

void smp_bredr_connected(struct smp_bredr *b, uint16_t handle, const uint8_t own[6],
			 const uint8_t peer[6]);
void smp_bredr_disconnected(struct smp_bredr *b, uint16_t handle);
/* One BredrEvent from the host. */
void smp_bredr_event(struct smp_bredr *b, struct smp_actor *s, const struct smp_bredr_in *e);
/* An SmpUserReply: true when it answered a BR/EDR prompt (the Result to
 * the asker is in s's outbox), false when the link has none. */
bool smp_bredr_user_reply(struct smp_bredr *b, struct smp_actor *s, const char *asker,
			  uint64_t id, uint16_t handle, bool accept, uint32_t passkey);

/* Prompts nobody answered in time are refused (the negative reply). Call
 * when smp_bredr_deadline() passed; the deadline is 0 when none waits. */
void smp_bredr_tick(struct smp_bredr *b, struct smp_actor *s, uint64_t now_ms);
uint64_t smp_bredr_deadline(const struct smp_bredr *b);

struct smp_link_key_info {
	uint8_t local[6], peer[6];
	uint8_t type;
	uint64_t created_s;
};
/* The stored link keys (no key material); returns the count or -EIO. */
int smp_bredr_list(struct smp_bredr *b, struct smp_link_key_info *out, int max);
/* Deletes the keys of peer; returns the number deleted or -EIO. */
int smp_bredr_delete(struct smp_bredr *b, const uint8_t peer[6]);
/* The stored key of (local, peer): 1 found, 0 none, -EIO. */
int smp_bredr_key_get(struct smp_bredr *b, const uint8_t local[6], const uint8_t peer[6],
		      uint8_t key[16], uint8_t *type);
/* Stores a key (replacing) in one transaction: 0 or -EIO. */
int smp_bredr_key_put(struct smp_bredr *b, const uint8_t local[6], const uint8_t peer[6],
		      const uint8_t key[16], uint8_t type);

static inline void smp_bredr_out_clear(struct smp_bredr *b)
{
	b->nout = 0;
	b->log[0] = '\0';
}

#endif
