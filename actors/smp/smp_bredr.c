/* BR/EDR security in smp: see smp_bredr.h. */
#include "smp_bredr.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <sqlite3.h>

#include "smp_actor_int.h"
#include "smp_codec.h"

/* HCI commands smp asks the host to send (Vol 4 Part E 7.1). */
#define OP_LINK_KEY_REPLY 0x040b
#define OP_LINK_KEY_NEG_REPLY 0x040c
#define OP_PIN_REPLY 0x040d
#define OP_PIN_NEG_REPLY 0x040e
#define OP_IO_CAP_REPLY 0x042b
#define OP_CONFIRM_REPLY 0x042c
#define OP_CONFIRM_NEG_REPLY 0x042d
#define OP_PASSKEY_REPLY 0x042e
#define OP_PASSKEY_NEG_REPLY 0x042f
#define OP_IO_CAP_NEG_REPLY 0x0434
#define HCI_PAIRING_NOT_ALLOWED 0x18

/* HCI IO capabilities (7.1.29) and authentication requirements. */
#define IO_DISPLAY_ONLY 0x00
#define IO_DISPLAY_YES_NO 0x01
#define IO_KEYBOARD_ONLY 0x02
#define IO_NO_INPUT_NO_OUTPUT 0x03
#define AUTH_MITM 0x01
#define AUTH_GENERAL_BONDING 0x04
/* Link key types (7.7.24) made with MITM protection. */
#define KEY_AUTHENTICATED_P192 0x05
#define KEY_AUTHENTICATED_P256 0x08

static const char schema[] =
	"CREATE TABLE IF NOT EXISTS link_keys ("
	" local_addr BLOB NOT NULL, peer_addr BLOB NOT NULL,"
	" key BLOB NOT NULL, key_type INTEGER NOT NULL, created_s INTEGER NOT NULL,"
	" PRIMARY KEY (local_addr, peer_addr));";

int smp_bredr_open(struct smp_bredr *b, const char *path, char *err, size_t cap)
{
	sqlite3 *db = NULL;
	memset(b, 0, sizeof *b);
	if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL) !=
	    SQLITE_OK) {
		snprintf(err, cap, "cannot open the bond store %s for link keys: %s", path,
			 db ? sqlite3_errmsg(db) : "out of memory");
		sqlite3_close(db);
		return -EIO;
	}
	sqlite3_busy_timeout(db, 5000);
	char *msg = NULL;
	if (sqlite3_exec(db, schema, NULL, NULL, &msg) != SQLITE_OK) {
		snprintf(err, cap, "cannot create the link key table in %s: %s", path,
			 msg ? msg : "?");
		sqlite3_free(msg);
		sqlite3_close(db);
		return -EIO;
	}
	b->db = db;
	return 0;
}

void smp_bredr_close(struct smp_bredr *b)
{
	sqlite3_close(b->db);
	b->db = NULL;
}

int smp_bredr_key_get(struct smp_bredr *b, const uint8_t local[6], const uint8_t peer[6],
		      uint8_t key[16], uint8_t *type)
{
	sqlite3_stmt *st = NULL;
	int rc = -EIO;
	if (!b->db || sqlite3_prepare_v2(b->db,
					 "SELECT key, key_type FROM link_keys WHERE local_addr = ?1"
					 " AND peer_addr = ?2;",
					 -1, &st, NULL) != SQLITE_OK)
		goto out;
	sqlite3_bind_blob(st, 1, local, 6, SQLITE_STATIC);
	sqlite3_bind_blob(st, 2, peer, 6, SQLITE_STATIC);
	int step = sqlite3_step(st);
	if (step == SQLITE_DONE) {
		rc = 0;
	} else if (step == SQLITE_ROW && sqlite3_column_bytes(st, 0) == 16) {
		memcpy(key, sqlite3_column_blob(st, 0), 16);
		*type = (uint8_t)sqlite3_column_int(st, 1);
		rc = 1;
	}
out:
	sqlite3_finalize(st);
	return rc;
}

int smp_bredr_key_put(struct smp_bredr *b, const uint8_t local[6], const uint8_t peer[6],
		      const uint8_t key[16], uint8_t type)
{
	sqlite3_stmt *st = NULL;
	int rc = -EIO;
	if (!b->db || sqlite3_exec(b->db, "BEGIN IMMEDIATE;", NULL, NULL, NULL) != SQLITE_OK)
		return -EIO;
	if (sqlite3_prepare_v2(b->db,
			       "INSERT OR REPLACE INTO link_keys (local_addr, peer_addr, key,"
			       " key_type, created_s) VALUES (?1, ?2, ?3, ?4, ?5);",
			       -1, &st, NULL) != SQLITE_OK)
		goto out;
	sqlite3_bind_blob(st, 1, local, 6, SQLITE_STATIC);
	sqlite3_bind_blob(st, 2, peer, 6, SQLITE_STATIC);
	sqlite3_bind_blob(st, 3, key, 16, SQLITE_STATIC);
	sqlite3_bind_int(st, 4, type);
	sqlite3_bind_int64(st, 5, (sqlite3_int64)time(NULL));
	if (sqlite3_step(st) == SQLITE_DONE)
		rc = 0;
out:
	sqlite3_finalize(st);
	sqlite3_exec(b->db, rc == 0 ? "COMMIT;" : "ROLLBACK;", NULL, NULL, NULL);
	return rc;
}

int smp_bredr_list(struct smp_bredr *b, struct smp_link_key_info *out, int max)
{
	sqlite3_stmt *st = NULL;
	int n = 0;
	if (!b->db || sqlite3_prepare_v2(b->db,
					 "SELECT local_addr, peer_addr, key_type, created_s FROM"
					 " link_keys ORDER BY created_s;",
					 -1, &st, NULL) != SQLITE_OK) {
		sqlite3_finalize(st);
		return -EIO;
	}
	int step;
	while ((step = sqlite3_step(st)) == SQLITE_ROW && n < max) {
		struct smp_link_key_info *k = &out[n];
		memset(k, 0, sizeof *k);
		if (sqlite3_column_bytes(st, 0) == 6)
			memcpy(k->local, sqlite3_column_blob(st, 0), 6);
		if (sqlite3_column_bytes(st, 1) == 6)
			memcpy(k->peer, sqlite3_column_blob(st, 1), 6);
		k->type = (uint8_t)sqlite3_column_int(st, 2);
		k->created_s = (uint64_t)sqlite3_column_int64(st, 3);
		n++;
	}
	sqlite3_finalize(st);
	return step == SQLITE_ROW || step == SQLITE_DONE ? n : -EIO;
}

int smp_bredr_delete(struct smp_bredr *b, const uint8_t peer[6])
{
	sqlite3_stmt *st = NULL;
	int rc = -EIO;
	if (b->db && sqlite3_prepare_v2(b->db, "DELETE FROM link_keys WHERE peer_addr = ?1;", -1,
					&st, NULL) == SQLITE_OK) {
		sqlite3_bind_blob(st, 1, peer, 6, SQLITE_STATIC);
		if (sqlite3_step(st) == SQLITE_DONE)
			rc = sqlite3_changes(b->db);
	}
	sqlite3_finalize(st);
	return rc;
}

/* ---- links ----------------------------------------------------------------------- */

static struct smp_bredr_link *link_by_handle(struct smp_bredr *b, uint16_t handle)
{
	for (unsigned i = 0; i < SMP_BREDR_LINKS; i++)
		if (b->link[i].used && b->link[i].handle == handle)
			return &b->link[i];
	return NULL;
}

static struct smp_bredr_link *link_by_addr(struct smp_bredr *b, const uint8_t addr[6])
{
	for (unsigned i = 0; i < SMP_BREDR_LINKS; i++)
		if (b->link[i].used && !memcmp(b->link[i].peer, addr, 6))
			return &b->link[i];
	return NULL;
}

void smp_bredr_connected(struct smp_bredr *b, uint16_t handle, const uint8_t own[6],
			 const uint8_t peer[6])
{
	struct smp_bredr_link *l = link_by_handle(b, handle);
	for (unsigned i = 0; !l && i < SMP_BREDR_LINKS; i++)
		if (!b->link[i].used)
			l = &b->link[i];
	if (!l) {
		snprintf(b->log, sizeof b->log, "BR/EDR conn=0x%04x: link table full", handle);
		return;
	}
	memset(l, 0, sizeof *l);
	l->used = true;
	l->handle = handle;
	memcpy(l->own, own, 6);
	memcpy(l->peer, peer, 6);
}

void smp_bredr_disconnected(struct smp_bredr *b, uint16_t handle)
{
	struct smp_bredr_link *l = link_by_handle(b, handle);
	if (l)
		memset(l, 0, sizeof *l);
}

/* ---- outbox --------------------------------------------------------------------------- */

static struct smp_bredr_out *out_new(struct smp_bredr *b, enum smp_bredr_out_type type)
{
	if (b->nout == SMP_BREDR_OUT_MAX) {
		b->overflow++;
		return NULL;
	}
	struct smp_bredr_out *o = &b->out[b->nout++];
	memset(o, 0, sizeof *o);
	o->type = type;
	return o;
}

static void hci(struct smp_bredr *b, uint16_t handle, uint16_t opcode, const uint8_t addr[6],
		const void *rest, size_t n)
{
	struct smp_bredr_out *o = out_new(b, SMP_BR_OUT_HCI);
	if (!o || 6 + n > sizeof o->params)
		return;
	o->handle = handle;
	o->opcode = opcode;
	memcpy(o->params, addr, 6);
	if (n)
		memcpy(o->params + 6, rest, n);
	o->len = (uint8_t)(6 + n);
}

static void paired(struct smp_bredr *b, struct smp_actor *s, uint16_t handle,
		   const uint8_t peer[6], uint8_t status, uint8_t type, bool stored)
{
	for (unsigned i = 0; i < s->nsubscribers; i++) {
		struct smp_bredr_out *o = out_new(b, SMP_BR_OUT_PAIRED);
		if (!o)
			return;
		o->handle = handle;
		snprintf(o->dest, sizeof o->dest, "%s", s->subscribers[i]);
		memcpy(o->peer, peer, 6);
		o->status = status;
		o->key_type = type;
		o->stored = stored;
	}
}

/* ---- the delegate ------------------------------------------------------------------------ */

static void smp_peer(const uint8_t wire[6], struct smp_addr *out)
{
	memset(out, 0, sizeof *out);
	for (int i = 0; i < 6; i++)
		out->a[i] = wire[5 - i];
}

static uint64_t now_of(const struct smp_actor *s)
{
	return s->ops.now_ms ? s->ops.now_ms(s->ops.arg) : 0;
}

/* Asks the subscribed apps; false when none is there (the policy answers). */
static bool prompt(struct smp_actor *s, struct smp_bredr_link *l, uint8_t kind, uint32_t number)
{
	bool asked = false;
	l->prompt_deadline = now_of(s) + s->set.prompt_timeout_ms;
	for (unsigned i = 0; i < s->nsubscribers; i++) {
		struct smp_act *a = smp_act_new(s, SMP_ACT_PROMPT, l->handle);
		if (!a)
			break;
		snprintf(a->dest, sizeof a->dest, "%s", s->subscribers[i]);
		a->prompt = kind;
		a->number = number;
		a->timeout_ms = kind == SMP_PROMPT_PASSKEY_DISPLAY ? 0 : s->set.prompt_timeout_ms;
		smp_peer(l->peer, &a->peer);
		asked = true;
	}
	return asked;
}

static uint8_t local_io(const struct smp_actor *s)
{
	uint8_t io = s->set.cfg.io_cap;
	/* BR/EDR has no KeyboardDisplay: it confirms numbers like DisplayYesNo. */
	return io == SMP_IO_KEYBOARD_DISPLAY ? IO_DISPLAY_YES_NO : io;
}

static void confirm_answer(struct smp_bredr *b, struct smp_bredr_link *l, bool ok)
{
	hci(b, l->handle, ok ? OP_CONFIRM_REPLY : OP_CONFIRM_NEG_REPLY, l->peer, NULL, 0);
}

static void passkey_answer(struct smp_bredr *b, struct smp_bredr_link *l, bool ok,
			   uint32_t passkey)
{
	if (l->pin_prompt) {
		char pin[17];
		int n = snprintf(pin, sizeof pin, "%06u", passkey);
		uint8_t p[17] = { (uint8_t)n };
		memcpy(p + 1, pin, (size_t)n);
		if (ok)
			hci(b, l->handle, OP_PIN_REPLY, l->peer, p, 17);
		else
			hci(b, l->handle, OP_PIN_NEG_REPLY, l->peer, NULL, 0);
		return;
	}
	uint8_t v[4] = { (uint8_t)passkey, (uint8_t)(passkey >> 8), (uint8_t)(passkey >> 16),
			 (uint8_t)(passkey >> 24) };
	if (ok)
		hci(b, l->handle, OP_PASSKEY_REPLY, l->peer, v, 4);
	else
		hci(b, l->handle, OP_PASSKEY_NEG_REPLY, l->peer, NULL, 0);
}

/* Vol 3 Part C 5.2.2.6: numeric comparison when both can confirm and one
 * asks for MITM protection; else the confirmation request is Just Works. */
static bool numeric(const struct smp_actor *s, const struct smp_bredr_link *l)
{
	bool mitm = (s->set.cfg.auth_req & SMP_AUTH_MITM) ||
		    (l->peer_io_known && (l->peer_auth_req & AUTH_MITM));
	return mitm && local_io(s) == IO_DISPLAY_YES_NO && l->peer_io_known &&
	       l->peer_io == IO_DISPLAY_YES_NO;
}

static void on_user_confirmation(struct smp_bredr *b, struct smp_actor *s,
				 struct smp_bredr_link *l, uint32_t value)
{
	bool num = numeric(s, l);
	uint8_t kind = num ? SMP_PROMPT_CONFIRM_NUMBER : SMP_PROMPT_CONFIRM_JUST_WORKS;
	if (!num && !s->set.cfg.confirm_just_works) {
		confirm_answer(b, l, true);
		return;
	}
	if (prompt(s, l, kind, value)) {
		l->prompt = kind;
		return;
	}
	confirm_answer(b, l, s->set.policy != SMP_POLICY_REJECT);
}

static void on_passkey_request(struct smp_bredr *b, struct smp_actor *s,
			       struct smp_bredr_link *l, bool pin)
{
	l->pin_prompt = pin;
	if (prompt(s, l, SMP_PROMPT_PASSKEY_ENTRY, 0)) {
		l->prompt = SMP_PROMPT_PASSKEY_ENTRY;
		return;
	}
	passkey_answer(b, l, s->set.policy == SMP_POLICY_PASSKEY, s->set.policy_passkey);
}

static void on_link_key(struct smp_bredr *b, struct smp_actor *s, struct smp_bredr_link *l,
			const struct smp_bredr_in *e)
{
	bool bonding = s->set.cfg.auth_req & SMP_AUTH_BONDING;
	bool stored = false;
	if (bonding) {
		if (smp_bredr_key_put(b, l->own, l->peer, e->key, e->key_type) == 0) {
			stored = true;
		} else {
			b->store_failures++;
			snprintf(b->log, sizeof b->log,
				 "BR/EDR conn=0x%04x: the link key could not be stored: "
				 "check the bond store",
				 l->handle);
		}
	}
	l->pairing = false;
	paired(b, s, l->handle, l->peer, 0, e->key_type, stored);
}

void smp_bredr_event(struct smp_bredr *b, struct smp_actor *s, const struct smp_bredr_in *e)
{
	struct smp_bredr_link *l = e->handle ? link_by_handle(b, e->handle) : NULL;
	if (!l)
		l = link_by_addr(b, e->addr);
	if (!l) {
		/* No link: refuse what asks for an answer. */
		switch (e->kind) {
		case SMP_BR_LINK_KEY_REQUEST:
			hci(b, e->handle, OP_LINK_KEY_NEG_REPLY, e->addr, NULL, 0);
			break;
		case SMP_BR_PIN_CODE_REQUEST:
			hci(b, e->handle, OP_PIN_NEG_REPLY, e->addr, NULL, 0);
			break;
		case SMP_BR_IO_CAPABILITY_REQUEST: {
			uint8_t reason = HCI_PAIRING_NOT_ALLOWED;
			hci(b, e->handle, OP_IO_CAP_NEG_REPLY, e->addr, &reason, 1);
			break;
		}
		case SMP_BR_USER_CONFIRMATION_REQUEST:
			hci(b, e->handle, OP_CONFIRM_NEG_REPLY, e->addr, NULL, 0);
			break;
		case SMP_BR_USER_PASSKEY_REQUEST:
			hci(b, e->handle, OP_PASSKEY_NEG_REPLY, e->addr, NULL, 0);
			break;
		default:
			break;
		}
		return;
	}
	switch (e->kind) {
	case SMP_BR_LINK_KEY_REQUEST: {
		uint8_t key[16], type;
		if (smp_bredr_key_get(b, l->own, l->peer, key, &type) == 1)
			hci(b, l->handle, OP_LINK_KEY_REPLY, l->peer, key, 16);
		else
			hci(b, l->handle, OP_LINK_KEY_NEG_REPLY, l->peer, NULL, 0);
		memset(key, 0, sizeof key);
		break;
	}
	case SMP_BR_IO_CAPABILITY_REQUEST: {
		uint8_t auth = (uint8_t)(((s->set.cfg.auth_req & SMP_AUTH_BONDING)
						  ? AUTH_GENERAL_BONDING
						  : 0) |
					 ((s->set.cfg.auth_req & SMP_AUTH_MITM) ? AUTH_MITM : 0));
		uint8_t rest[3] = { local_io(s), 0x00, auth };
		l->pairing = true;
		hci(b, l->handle, OP_IO_CAP_REPLY, l->peer, rest, 3);
		break;
	}
	case SMP_BR_IO_CAPABILITY_RESPONSE:
		l->pairing = true;
		l->peer_io_known = true;
		l->peer_io = e->io;
		l->peer_auth_req = e->auth_req;
		break;
	case SMP_BR_USER_CONFIRMATION_REQUEST:
		on_user_confirmation(b, s, l, e->value);
		break;
	case SMP_BR_USER_PASSKEY_REQUEST:
		on_passkey_request(b, s, l, false);
		break;
	case SMP_BR_PIN_CODE_REQUEST:
		l->pairing = true;
		on_passkey_request(b, s, l, true);
		break;
	case SMP_BR_USER_PASSKEY_NOTIFICATION:
		prompt(s, l, SMP_PROMPT_PASSKEY_DISPLAY, e->value);
		break;
	case SMP_BR_LINK_KEY:
		if (e->has_key)
			on_link_key(b, s, l, e);
		break;
	case SMP_BR_SSP_COMPLETE:
	case SMP_BR_AUTHENTICATION_FAILURE:
		l->prompt = SMP_PROMPT_NONE;
		if (e->status && l->pairing) {
			l->pairing = false;
			paired(b, s, l->handle, l->peer, e->status, 0, false);
		}
		break;
	default:
		break;
	}
}

void smp_bredr_tick(struct smp_bredr *b, struct smp_actor *s, uint64_t now_ms)
{
	for (unsigned i = 0; i < SMP_BREDR_LINKS; i++) {
		struct smp_bredr_link *l = &b->link[i];
		if (!l->used || !l->prompt || now_ms < l->prompt_deadline)
			continue;
		uint8_t kind = l->prompt;
		l->prompt = SMP_PROMPT_NONE;
		snprintf(b->log, sizeof b->log,
			 "BR/EDR conn=0x%04x: nobody answered the pairing prompt within %u ms: refused",
			 l->handle, s->set.prompt_timeout_ms);
		if (kind == SMP_PROMPT_PASSKEY_ENTRY)
			passkey_answer(b, l, false, 0);
		else
			confirm_answer(b, l, false);
	}
}

uint64_t smp_bredr_deadline(const struct smp_bredr *b)
{
	uint64_t t = 0;
	for (unsigned i = 0; i < SMP_BREDR_LINKS; i++) {
		const struct smp_bredr_link *l = &b->link[i];
		if (l->used && l->prompt && (!t || l->prompt_deadline < t))
			t = l->prompt_deadline;
	}
	return t;
}

bool smp_bredr_user_reply(struct smp_bredr *b, struct smp_actor *s, const char *asker,
			  uint64_t id, uint16_t handle, bool accept, uint32_t passkey)
{
	struct smp_bredr_link *l = link_by_handle(b, handle);
	if (!l)
		return false;
	uint8_t kind = l->prompt;
	if (!kind) {
		smp_act_result(s, asker, id, -EALREADY,
			       "link 0x%04x asked nothing (answered already, or timed out)", handle);
		return true;
	}
	if (kind == SMP_PROMPT_PASSKEY_ENTRY && accept && passkey > 999999) {
		smp_act_result(s, asker, id, -EINVAL, "a passkey is 0 to 999999");
		return true;
	}
	l->prompt = SMP_PROMPT_NONE;
	smp_act_result(s, asker, id, 0, NULL);
	if (kind == SMP_PROMPT_PASSKEY_ENTRY)
		passkey_answer(b, l, accept, passkey);
	else
		confirm_answer(b, l, accept);
	return true;
}
