/* The smp actor's link table: link events from the host, SMP PDUs from
 * l2cap, the LTK request, encryption, timers and the snapshot. Requests
 * of apps and the pairing delegate are in smp_delegate.c. See
 * smp_actor.h. */
#include "smp_actor_int.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "hive_bytes.h"

/* ---- the outbox ------------------------------------------------------------------- */

struct smp_act *smp_act_new(struct smp_actor *self, enum smp_act_type type, uint16_t handle)
{
	struct smp_act *a;
	if (self->nout >= SMP_ACT_MAX) {
		self->overflow = true; /* the shell logs it; the last slot is reused */
		a = &self->out[SMP_ACT_MAX - 1];
	} else {
		a = &self->out[self->nout++];
	}
	memset(a, 0, sizeof *a);
	a->type = type;
	a->handle = handle;
	a->deleted = -1;
	return a;
}

void smp_act_result(struct smp_actor *self, const char *dest, uint64_t id, int32_t status,
		    const char *fmt, ...)
{
	struct smp_act *a = smp_act_new(self, SMP_ACT_RESULT, 0);
	snprintf(a->dest, sizeof a->dest, "%s", dest);
	a->is_result = true;
	a->request_id = id;
	a->status = status;
	if (fmt) {
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(a->error, sizeof a->error, fmt, ap);
		va_end(ap);
	}
}

/* ---- settings ------------------------------------------------------------------------ */

void smp_settings_default(struct smp_settings *s)
{
	memset(s, 0, sizeof *s);
	s->cfg.io_cap = SMP_IO_DISPLAY_YES_NO;
	s->cfg.auth_req = SMP_AUTH_BONDING | SMP_AUTH_SC;
	s->cfg.max_key_size = 16;
	s->cfg.min_key_size = 7;
	s->cfg.init_key_dist = SMP_DIST_ENC_KEY | SMP_DIST_ID_KEY | SMP_DIST_SIGN_KEY;
	s->cfg.resp_key_dist = SMP_DIST_ENC_KEY | SMP_DIST_ID_KEY | SMP_DIST_SIGN_KEY;
	s->pair_on_security_request = true;
	s->cfg.ask_oob = true;
	s->prompt_timeout_ms = SMP_PROMPT_TIMEOUT_MS;
	s->policy = SMP_POLICY_ACCEPT;
}

int smp_io_cap_parse(const char *text, uint8_t *io_cap)
{
	static const struct {
		const char *name;
		uint8_t v;
	} caps[] = {
		{ "display_only", SMP_IO_DISPLAY_ONLY },
		{ "display_yes_no", SMP_IO_DISPLAY_YES_NO },
		{ "keyboard_only", SMP_IO_KEYBOARD_ONLY },
		{ "no_input_no_output", SMP_IO_NO_INPUT_NO_OUTPUT },
		{ "none", SMP_IO_NO_INPUT_NO_OUTPUT },
		{ "keyboard_display", SMP_IO_KEYBOARD_DISPLAY },
	};
	for (size_t i = 0; i < sizeof caps / sizeof caps[0]; i++)
		if (strcmp(text, caps[i].name) == 0) {
			*io_cap = caps[i].v;
			return 0;
		}
	return -EINVAL;
}

void smp_actor_init(struct smp_actor *self, const struct smp_settings *set,
		    struct smp_bonds *store, const struct smp_ops *ops)
{
	memset(self, 0, sizeof *self);
	self->set = *set;
	self->store = store;
	self->ops = *ops;
}

static uint64_t now_ms(const struct smp_actor *self)
{
	return self->ops.now_ms ? self->ops.now_ms(self->ops.arg) : 0;
}

/* ---- the link table -------------------------------------------------------------------- */

struct smp_link *smp_actor_link(struct smp_actor *self, uint16_t handle)
{
	for (unsigned i = 0; i < SMP_LINKS_MAX; i++)
		if (self->links[i].used && self->links[i].handle == handle)
			return &self->links[i];
	return NULL;
}

static bool resolvable(const struct smp_addr *a)
{
	return a->type == 1 && (a->a[0] & 0xc0) == 0x40;
}

/* Does irk resolve the private address a? (Vol 3 Part C 10.8.2.3) */
static bool resolves(const uint8_t irk[16], const struct smp_addr *a)
{
	uint8_t hash[3];
	if (smp_ah(irk, a->a, hash) < 0)
		return false;
	return memcmp(hash, a->a + 3, 3) == 0;
}

void smp_link_find_bond(struct smp_actor *self, struct smp_link *l)
{
	l->have_bond = false;
	if (!self->store)
		return;
	if (smp_bonds_get(self->store, &l->local_id, &l->peer, &l->bond) == 0) {
		l->have_bond = true;
		return;
	}
	if (!resolvable(&l->peer))
		return;
	struct smp_bond bonds[64];
	int n = smp_bonds_list(self->store, &l->local_id, bonds, 64);
	for (int i = 0; i < n && i < 64; i++)
		if (bonds[i].has_peer_irk && resolves(bonds[i].peer_irk, &l->peer)) {
			l->bond = bonds[i];
			l->have_bond = true;
			return;
		}
}

static void rand_of(void *arg, void *buf, size_t n)
{
	struct smp_actor *self = arg;
	if (self->ops.rand)
		self->ops.rand(self->ops.arg, buf, n);
	else
		memset(buf, 0, n);
}

static struct smp_link *link_setup(struct smp_actor *self, uint16_t handle, enum smp_role role,
				   const struct smp_addr *own, const struct smp_addr *peer)
{
	struct smp_link *l = smp_actor_link(self, handle);
	for (unsigned i = 0; !l && i < SMP_LINKS_MAX; i++)
		if (!self->links[i].used)
			l = &self->links[i];
	if (!l) {
		snprintf(self->log, sizeof self->log, "link table full: conn=0x%04x not served",
			 handle);
		return NULL;
	}
	memset(l, 0, sizeof *l);
	l->used = true;
	l->handle = handle;
	l->role = role;
	l->own = *own;
	l->own.type &= 1;
	l->peer = *peer;
	l->peer_resolved = peer->type >= 2;
	l->peer.type &= 1;
	l->local_id = self->set.identity_set ? self->set.identity : l->own;
	struct smp_config cfg = self->set.cfg;
	cfg.identity = l->local_id;
	if (self->store &&
	    smp_bonds_local_keys(self->store, &l->local_id, rand_of, self, cfg.irk, cfg.csrk) < 0)
		snprintf(self->log, sizeof self->log, "bond store: our keys: %s",
			 smp_bonds_error(self->store));
	smp_pairing_init(&l->p, role, &cfg, &self->ops, &l->own, &l->peer);
	smp_link_find_bond(self, l);
	smp_oob_apply(self, l);
	smp_attempts_load(self, l);
	return l;
}

/* ---- Repeated Attempts per peer (Vol 3 Part H 2.3.6) ------------------------------ */

/* The peer a link's attempts count for: its identity when known. */
static const struct smp_addr *attempts_key(const struct smp_link *l)
{
	return l->have_bond ? &l->bond.peer : &l->peer;
}

static bool same_addr(const struct smp_addr *a, const struct smp_addr *b)
{
	return a->type == b->type && memcmp(a->a, b->a, 6) == 0;
}

static struct smp_attempts *attempts_find(struct smp_actor *self, const struct smp_addr *peer)
{
	for (unsigned i = 0; i < SMP_ATTEMPTS_MAX; i++)
		if (self->attempts[i].used && same_addr(&self->attempts[i].peer, peer))
			return &self->attempts[i];
	return NULL;
}

static uint32_t retry_max(const struct smp_actor *self)
{
	return self->set.cfg.retry_max_ms ? self->set.cfg.retry_max_ms : SMP_RETRY_MAX_MS;
}

void smp_attempts_load(struct smp_actor *self, struct smp_link *l)
{
	const struct smp_attempts *t = attempts_find(self, attempts_key(l));
	unsigned fails = 0;
	uint64_t retry = 0, now = now_ms(self);
	if (t) {
		/* Each quiet retry_max since the last failure halves the next
		 * wait, down to the first one. */
		uint64_t quiet = now > t->last ? (now - t->last) / retry_max(self) : 0;
		fails = quiet >= t->fails ? 0 : t->fails - (unsigned)quiet;
		retry = t->retry_at;
	}
	l->p.fails = l->att_fails = fails;
	l->p.retry_at = l->att_retry = retry;
}

void smp_attempts_save(struct smp_actor *self, struct smp_link *l)
{
	if (l->p.fails == l->att_fails && l->p.retry_at == l->att_retry)
		return;
	struct smp_attempts *t = attempts_find(self, attempts_key(l));
	if (l->p.fails == 0) {
		/* Paired: the slate is clean, under the address and the
		 * identity both. */
		if (t)
			memset(t, 0, sizeof *t);
		if ((t = attempts_find(self, &l->peer)))
			memset(t, 0, sizeof *t);
	} else {
		/* A new peer takes a free slot, else the one quiet longest. */
		for (unsigned i = 0; !t && i < SMP_ATTEMPTS_MAX; i++)
			if (!self->attempts[i].used)
				t = &self->attempts[i];
		for (unsigned i = 0; !t && i < SMP_ATTEMPTS_MAX; i++)
			if (i == 0 || self->attempts[i].last < t->last)
				t = &self->attempts[i];
		t->used = true;
		t->peer = *attempts_key(l);
		t->fails = (uint8_t)(l->p.fails > 255 ? 255 : l->p.fails);
		t->retry_at = l->p.retry_at;
		t->last = now_ms(self);
	}
	l->att_fails = l->p.fails;
	l->att_retry = l->p.retry_at;
}

/* ---- our OOB data --------------------------------------------------------------------- */

void smp_oob_apply(struct smp_actor *self, struct smp_link *l)
{
	struct smp_config *c = &l->p.cfg;
	c->sc_oob_local = self->oob.valid;
	memcpy(c->sc_oob_priv, self->oob.priv, 32);
	memcpy(c->sc_oob_r, self->oob.r, 16);
}

static void oob_expire(struct smp_actor *self)
{
	if (!self->oob.valid || now_ms(self) < self->oob.expires)
		return;
	memset(&self->oob, 0, sizeof self->oob);
	for (unsigned i = 0; i < SMP_LINKS_MAX; i++)
		if (self->links[i].used)
			smp_oob_apply(self, &self->links[i]);
}

void smp_link_encrypt_with_bond(struct smp_actor *self, struct smp_link *l)
{
	struct smp_act *a = smp_act_new(self, SMP_ACT_START_ENC, l->handle);
	memcpy(a->key, l->bond.peer_ltk, 16);
	a->ediv = l->bond.peer_ediv;
	a->rand = l->bond.peer_rand;
	a->key_size = l->bond.key_size;
	l->enc_with_bond = true;
}

void smp_actor_connected(struct smp_actor *self, uint16_t handle, enum smp_role role,
			 const struct smp_addr *own, const struct smp_addr *peer)
{
	struct smp_link *l = link_setup(self, handle, role, own, peer);
	if (!l)
		return;
	if (role == SMP_ROLE_INITIATOR && self->set.auto_encrypt && l->have_bond &&
	    l->bond.has_peer_ltk)
		smp_link_encrypt_with_bond(self, l);
}

void smp_actor_disconnected(struct smp_actor *self, uint16_t handle, uint8_t reason)
{
	struct smp_link *l = smp_actor_link(self, handle);
	if (!l)
		return;
	if (l->ask != SMP_ASK_NONE)
		smp_act_result(self, l->asker, l->ask_id, -ENOTCONN,
			       "the link 0x%04x went down (HCI reason 0x%02x)", handle, reason);
	memset(l, 0, sizeof *l);
}

void smp_actor_pdu(struct smp_actor *self, uint16_t handle, const uint8_t *pdu, size_t len)
{
	struct smp_link *l = smp_actor_link(self, handle);
	if (!l) {
		snprintf(self->log, sizeof self->log,
			 "SMP PDU on conn=0x%04x, which no Connected event announced: dropped",
			 handle);
		return;
	}
	oob_expire(self);
	smp_attempts_load(self, l);
	smp_pairing_on_pdu(&l->p, pdu, len);
	smp_link_drain(self, l);
}

/* ---- encryption ------------------------------------------------------------------------- */

static void ltk_reply(struct smp_actor *self, uint16_t handle, const uint8_t *key,
		      uint8_t key_size)
{
	struct smp_act *a = smp_act_new(self, SMP_ACT_LTK_REPLY, handle);
	a->found = key != NULL;
	if (key) {
		memcpy(a->key, key, 16);
		a->key_size = key_size;
	}
}

/* A legacy bond of ours whose distributed EDIV/Rand match (the peer may
 * come back with an address we cannot resolve). */
static bool bond_by_ediv(struct smp_actor *self, struct smp_link *l, uint64_t rand,
			 uint16_t ediv)
{
	struct smp_bond bonds[64];
	int n = self->store ? smp_bonds_list(self->store, &l->local_id, bonds, 64) : 0;
	for (int i = 0; i < n && i < 64; i++)
		if (!bonds[i].sc && bonds[i].has_local_ltk && bonds[i].local_ediv == ediv &&
		    bonds[i].local_rand == rand) {
			l->bond = bonds[i];
			l->have_bond = true;
			return true;
		}
	return false;
}

void smp_actor_ltk_requested(struct smp_actor *self, uint16_t handle, uint64_t rand,
			     uint16_t ediv)
{
	struct smp_link *l = smp_actor_link(self, handle);
	if (!l) {
		ltk_reply(self, handle, NULL, 0);
		return;
	}
	if (smp_pairing_ltk_request(&l->p, rand, ediv) == 0) {
		l->enc_with_bond = false;
		smp_link_drain(self, l);
		return;
	}
	const struct smp_bond *b = l->have_bond ? &l->bond : NULL;
	bool found;
	if (ediv == 0 && rand == 0)
		found = b && b->sc && b->has_local_ltk;
	else
		found = (b && !b->sc && b->has_local_ltk && b->local_ediv == ediv &&
			 b->local_rand == rand) ||
			bond_by_ediv(self, l, rand, ediv);
	l->enc_with_bond = found;
	ltk_reply(self, handle, found ? l->bond.local_ltk : NULL, l->bond.key_size);
	if (!found)
		snprintf(self->log, sizeof self->log,
			 "LTK request on conn=0x%04x (ediv 0x%04x): no key, negative reply", handle,
			 ediv);
}

void smp_actor_encryption_changed(struct smp_actor *self, uint16_t handle, uint8_t status,
				  bool enabled, uint8_t key_size)
{
	struct smp_link *l = smp_actor_link(self, handle);
	if (!l)
		return;
	l->encrypted = status == 0 && enabled;
	l->key_size = key_size;
	if (l->p.state == SMP_ST_WAIT_ENCRYPTION) {
		smp_pairing_encryption_changed(&l->p, status);
		smp_link_drain(self, l);
		return;
	}
	struct smp_act t = { .type = SMP_ACT_ENCRYPTED, .handle = handle };
	t.enabled = l->encrypted;
	t.key_size = key_size;
	t.hci_status = status;
	t.bonded_key = l->enc_with_bond;
	t.peer = l->have_bond ? l->bond.peer : l->peer;
	if (status) {
		t.status = -EACCES;
		snprintf(t.error, sizeof t.error,
			 "encryption failed with HCI status 0x%02x%s", status,
			 status == 0x06 ? " (the peer has no key: it lost the bond; unpair and "
					  "pair again)" : "");
	}
	smp_report(self, l, &t, SMP_ASK_ENCRYPT);
}

/* ---- timers ---------------------------------------------------------------------------- */

void smp_actor_tick(struct smp_actor *self)
{
	uint64_t now = now_ms(self);
	oob_expire(self);
	for (unsigned i = 0; i < SMP_LINKS_MAX; i++) {
		struct smp_link *l = &self->links[i];
		if (!l->used)
			continue;
		if (l->prompt && now >= l->prompt_deadline)
			smp_delegate_timeout(self, l);
		uint64_t d = smp_pairing_deadline(&l->p);
		if (d && now >= d) {
			smp_pairing_tick(&l->p);
			smp_link_drain(self, l);
		}
	}
}

uint64_t smp_actor_next_deadline(const struct smp_actor *self)
{
	uint64_t next = self->oob.valid ? self->oob.expires : 0;
	for (unsigned i = 0; i < SMP_LINKS_MAX; i++) {
		const struct smp_link *l = &self->links[i];
		if (!l->used)
			continue;
		uint64_t d = smp_pairing_deadline(&l->p);
		if (d && (!next || d < next))
			next = d;
		if (l->prompt && l->prompt_deadline && (!next || l->prompt_deadline < next))
			next = l->prompt_deadline;
	}
	return next;
}

/* ---- snapshot ------------------------------------------------------------------------------ */

/* Version 2: the attempts (count, then each: address, fails, retry_at,
 * last), then the links as in version 1 until the end. */
#define SNAP_VERSION 2

static void wr_addr(struct wr *w, const struct smp_addr *a, bool resolved)
{
	wr_u8(w, (uint8_t)(a->type | (resolved ? 2 : 0)));
	wr_bytes(w, a->a, 6);
}

static void rd_addr(struct rd *r, struct smp_addr *a)
{
	a->type = rd_u8(r);
	rd_copy(r, a->a, 6);
}

size_t smp_actor_snapshot(const struct smp_actor *self, uint8_t *buf, size_t cap)
{
	struct wr w = wr_init(buf, cap);
	uint8_t n = 0;
	wr_u8(&w, SNAP_VERSION);
	for (unsigned i = 0; i < SMP_ATTEMPTS_MAX; i++)
		n += self->attempts[i].used;
	wr_u8(&w, n);
	for (unsigned i = 0; i < SMP_ATTEMPTS_MAX; i++) {
		const struct smp_attempts *t = &self->attempts[i];
		if (!t->used)
			continue;
		wr_addr(&w, &t->peer, false);
		wr_u8(&w, t->fails);
		wr_le64(&w, t->retry_at);
		wr_le64(&w, t->last);
	}
	for (unsigned i = 0; i < SMP_LINKS_MAX; i++) {
		const struct smp_link *l = &self->links[i];
		if (!l->used)
			continue;
		wr_le16(&w, l->handle);
		wr_u8(&w, (uint8_t)l->role);
		wr_addr(&w, &l->own, false);
		wr_addr(&w, &l->peer, l->peer_resolved);
		wr_u8(&w, (uint8_t)(l->encrypted | (l->enc_with_bond ? 2 : 0)));
		wr_u8(&w, l->key_size);
	}
	return wr_ok(&w) ? w.len : 0;
}

int smp_actor_restore(struct smp_actor *self, const uint8_t *buf, size_t len)
{
	struct rd r = rd_init(buf, len);
	int n = 0;
	uint8_t version = rd_u8(&r);
	if (version != 1 && version != SNAP_VERSION)
		return -EBADMSG;
	unsigned natt = version >= 2 ? rd_u8(&r) : 0;
	for (unsigned i = 0; i < natt && rd_ok(&r); i++) {
		struct smp_attempts t = { .used = true };
		rd_addr(&r, &t.peer);
		t.fails = rd_u8(&r);
		t.retry_at = rd_le64(&r);
		t.last = rd_le64(&r);
		if (!rd_ok(&r) || t.peer.type > 1)
			return -EBADMSG;
		if (i < SMP_ATTEMPTS_MAX)
			self->attempts[i] = t;
	}
	while (rd_ok(&r) && r.left > 0) {
		struct smp_addr own, peer;
		uint16_t handle = rd_le16(&r);
		uint8_t role = rd_u8(&r);
		rd_addr(&r, &own);
		rd_addr(&r, &peer);
		uint8_t enc = rd_u8(&r), ks = rd_u8(&r);
		if (!rd_ok(&r) || role > 1)
			return -EBADMSG;
		struct smp_link *l = link_setup(self, handle, (enum smp_role)role, &own, &peer);
		if (!l)
			break;
		l->encrypted = enc & 1;
		l->enc_with_bond = (enc & 2) != 0;
		l->key_size = ks;
		n++;
	}
	return rd_end(&r) ? n : -EBADMSG;
}
