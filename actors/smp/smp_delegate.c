/* The smp actor's side that faces apps: the pairing machine's events
 * turned into actions, the pairing delegate (a prompt to the app that
 * asked, or to the subscribers, answered by user_reply within a timeout;
 * else the policy), the outcome of a pairing (the bond stored in one
 * transaction) and the apps' requests. See smp_actor.h. */
#include "smp_actor_int.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static uint64_t now_ms(const struct smp_actor *self)
{
	return self->ops.now_ms ? self->ops.now_ms(self->ops.arg) : 0;
}

int smp_policy_parse(const char *text, enum smp_policy *policy, uint32_t *passkey)
{
	if (strcmp(text, "accept") == 0) {
		*policy = SMP_POLICY_ACCEPT;
		*passkey = 0;
		return 0;
	}
	if (strcmp(text, "reject") == 0) {
		*policy = SMP_POLICY_REJECT;
		*passkey = 0;
		return 0;
	}
	if (strncmp(text, "passkey:", 8) == 0) {
		char *end;
		unsigned long v = strtoul(text + 8, &end, 10);
		if (text[8] < '0' || text[8] > '9' || *end || v > 999999)
			return -EINVAL;
		*policy = SMP_POLICY_PASSKEY;
		*passkey = (uint32_t)v;
		return 0;
	}
	return -EINVAL;
}

/* ---- telling apps ----------------------------------------------------------------------------- */

void smp_report(struct smp_actor *self, struct smp_link *l, const struct smp_act *tmpl,
		enum smp_ask ask)
{
	const char *asker = NULL;
	if (l->ask == ask && ask != SMP_ASK_NONE) {
		struct smp_act *a = smp_act_new(self, tmpl->type, l->handle);
		*a = *tmpl;
		snprintf(a->dest, sizeof a->dest, "%s", l->asker);
		a->is_result = true;
		a->request_id = l->ask_id;
		asker = a->dest;
		l->ask = SMP_ASK_NONE;
	}
	for (unsigned i = 0; i < self->nsubscribers; i++) {
		if (asker && strcmp(asker, self->subscribers[i]) == 0)
			continue;
		struct smp_act *a = smp_act_new(self, tmpl->type, l->handle);
		*a = *tmpl;
		snprintf(a->dest, sizeof a->dest, "%s", self->subscribers[i]);
		a->is_result = false;
	}
}

/* ---- the delegate --------------------------------------------------------------------------------- */

static void prompt_to(struct smp_actor *self, struct smp_link *l, const char *dest,
		      uint8_t prompt, uint32_t number)
{
	struct smp_act *a = smp_act_new(self, SMP_ACT_PROMPT, l->handle);
	snprintf(a->dest, sizeof a->dest, "%s", dest);
	a->prompt = prompt;
	a->number = number;
	a->timeout_ms = prompt == SMP_PROMPT_PASSKEY_DISPLAY ? 0 : self->set.prompt_timeout_ms;
	a->peer = l->peer;
}

/* Answers a question with the policy; the machine's reaction is drained by
 * the caller's loop. */
static void policy_answer(struct smp_actor *self, struct smp_link *l, uint8_t prompt)
{
	bool ok = self->set.policy != SMP_POLICY_REJECT;
	if (prompt == SMP_PROMPT_OOB_DATA || prompt == SMP_PROMPT_OOB_TK)
		smp_pairing_oob_reply(&l->p, false, NULL, NULL); /* nobody holds any */
	else if (prompt == SMP_PROMPT_PASSKEY_ENTRY)
		smp_pairing_passkey_reply(&l->p, self->set.policy == SMP_POLICY_PASSKEY,
					  self->set.policy_passkey);
	else
		smp_pairing_confirm_reply(&l->p, ok);
}

void smp_delegate_ask(struct smp_actor *self, struct smp_link *l, uint8_t prompt, uint32_t number)
{
	bool asked = false;
	if (l->ask == SMP_ASK_PAIR) {
		prompt_to(self, l, l->asker, prompt, number);
		asked = true;
	} else {
		for (unsigned i = 0; i < self->nsubscribers; i++) {
			prompt_to(self, l, self->subscribers[i], prompt, number);
			asked = true;
		}
	}
	if (prompt == SMP_PROMPT_PASSKEY_DISPLAY)
		return; /* nothing to answer */
	if (!asked) {
		policy_answer(self, l, prompt);
		return;
	}
	l->prompt = prompt;
	l->prompt_deadline = now_ms(self) + self->set.prompt_timeout_ms;
}

void smp_delegate_timeout(struct smp_actor *self, struct smp_link *l)
{
	uint8_t prompt = l->prompt;
	l->prompt = SMP_PROMPT_NONE;
	snprintf(self->log, sizeof self->log,
		 "conn=0x%04x: nobody answered the pairing prompt within %u ms: refused",
		 l->handle, self->set.prompt_timeout_ms);
	if (prompt == SMP_PROMPT_OOB_DATA || prompt == SMP_PROMPT_OOB_TK)
		smp_pairing_oob_reply(&l->p, false, NULL, NULL);
	else if (prompt == SMP_PROMPT_PASSKEY_ENTRY)
		smp_pairing_passkey_reply(&l->p, false, 0);
	else
		smp_pairing_confirm_reply(&l->p, false);
	smp_link_drain(self, l);
}

/* ---- outcomes ------------------------------------------------------------------------------------------- */

static void bond_from_keys(const struct smp_link *l, struct smp_bond *b)
{
	const struct smp_keys *k = &l->p.keys;
	memset(b, 0, sizeof *b);
	b->local = l->local_id;
	b->peer = (k->peer.dist & SMP_DIST_ID_KEY) ? k->peer.identity : l->peer;
	b->key_size = k->key_size;
	b->authenticated = k->authenticated;
	b->sc = k->sc;
	if (k->sc) {
		b->has_local_ltk = b->has_peer_ltk = true;
		memcpy(b->local_ltk, k->ltk, 16);
		memcpy(b->peer_ltk, k->ltk, 16);
	} else {
		if (k->local.dist & SMP_DIST_ENC_KEY) {
			b->has_local_ltk = true;
			memcpy(b->local_ltk, k->local.ltk, 16);
			b->local_ediv = k->local.ediv;
			b->local_rand = k->local.rand;
		}
		if (k->peer.dist & SMP_DIST_ENC_KEY) {
			b->has_peer_ltk = true;
			memcpy(b->peer_ltk, k->peer.ltk, 16);
			b->peer_ediv = k->peer.ediv;
			b->peer_rand = k->peer.rand;
		}
	}
	b->has_peer_irk = (k->peer.dist & SMP_DIST_ID_KEY) != 0;
	memcpy(b->peer_irk, k->peer.irk, 16);
	b->has_peer_csrk = (k->peer.dist & SMP_DIST_SIGN_KEY) != 0;
	memcpy(b->peer_csrk, k->peer.csrk, 16);
	b->has_local_csrk = (k->local.dist & SMP_DIST_SIGN_KEY) != 0;
	memcpy(b->local_csrk, k->local.csrk, 16);
}

void smp_link_paired(struct smp_actor *self, struct smp_link *l)
{
	const struct smp_keys *k = &l->p.keys;
	struct smp_bond b;
	struct smp_act t = { .type = SMP_ACT_COMPLETE, .handle = l->handle };
	bond_from_keys(l, &b);
	t.outcome.peer_identity = b.peer;
	t.outcome.sc = k->sc;
	t.outcome.authenticated = k->authenticated;
	t.outcome.key_size = k->key_size;
	t.outcome.method = l->method;
	t.outcome.keys_sent = k->local.dist;
	t.outcome.keys_received = k->peer.dist;
	l->prompt = SMP_PROMPT_NONE;
	l->enc_with_bond = false;
	if (k->bonding && self->store) {
		if (smp_bonds_put(self->store, &b) == 0) {
			t.outcome.bonded = true;
			l->bond = b;
			l->have_bond = true;
			smp_act_new(self, SMP_ACT_KEYS_CHANGED, l->handle);
		} else {
			snprintf(self->log, sizeof self->log,
				 "conn=0x%04x: paired, but the bond was not stored: %s", l->handle,
				 smp_bonds_error(self->store));
		}
	}
	t.peer = b.peer;
	smp_report(self, l, &t, SMP_ASK_PAIR);
}

void smp_link_failed(struct smp_actor *self, struct smp_link *l, uint8_t reason, bool remote,
			int32_t local_status)
{
	struct smp_act t = { .type = SMP_ACT_FAILED, .handle = l->handle };
	t.reason = reason;
	t.remote = remote;
	t.peer = l->peer;
	if (local_status) {
		t.status = local_status;
		snprintf(t.error, sizeof t.error, "no SMP progress for 30 s: the link is closed");
	} else {
		t.status = reason;
		t.smp_domain = true;
		snprintf(t.error, sizeof t.error, "pairing failed: %s (%s)", smp_reason_name(reason),
			 remote ? "the peer refused" : "we refused");
	}
	l->prompt = SMP_PROMPT_NONE;
	smp_report(self, l, &t, SMP_ASK_PAIR);
}

/* The peer's keypress: an event to the app that asked for the pairing
 * and to the subscribers. */
static void keypress_event(struct smp_actor *self, struct smp_link *l, uint32_t type)
{
	const char *asker = l->ask == SMP_ASK_PAIR ? l->asker : NULL;
	struct smp_act *a;
	if (asker) {
		a = smp_act_new(self, SMP_ACT_KEYPRESS, l->handle);
		snprintf(a->dest, sizeof a->dest, "%s", asker);
		a->number = type;
	}
	for (unsigned i = 0; i < self->nsubscribers; i++) {
		if (asker && strcmp(asker, self->subscribers[i]) == 0)
			continue;
		a = smp_act_new(self, SMP_ACT_KEYPRESS, l->handle);
		snprintf(a->dest, sizeof a->dest, "%s", self->subscribers[i]);
		a->number = type;
	}
}

/* A Security Request: a bond good enough is used, else we pair (Vol 3
 * Part H 2.4.6). Good enough: MITM when asked for, and Secure
 * Connections when asked for and we offer it. */
static void on_security_request(struct smp_actor *self, struct smp_link *l, uint8_t auth)
{
	const struct smp_bond *b = &l->bond;
	bool sc_short = (auth & SMP_AUTH_SC) && (self->set.cfg.auth_req & SMP_AUTH_SC) && !b->sc;
	if (l->have_bond && b->has_peer_ltk && (b->authenticated || !(auth & SMP_AUTH_MITM)) &&
	    !sc_short) {
		smp_link_encrypt_with_bond(self, l);
	} else if (self->set.pair_on_security_request) {
		if (auth & SMP_AUTH_MITM)
			l->p.cfg.auth_req |= SMP_AUTH_MITM;
		smp_attempts_load(self, l);
		smp_pairing_start(&l->p);
	}
}

static void on_event(struct smp_actor *self, struct smp_link *l, const struct smp_event *e)
{
	struct smp_act *a;
	switch (e->type) {
	case SMP_EV_SEND:
		a = smp_act_new(self, SMP_ACT_PDU, l->handle);
		a->len = e->len;
		memcpy(a->pdu, e->pdu, e->len);
		break;
	case SMP_EV_PASSKEY_DISPLAY:
		smp_delegate_ask(self, l, SMP_PROMPT_PASSKEY_DISPLAY, e->value);
		break;
	case SMP_EV_PASSKEY_REQUEST:
		smp_delegate_ask(self, l, SMP_PROMPT_PASSKEY_ENTRY, 0);
		break;
	case SMP_EV_CONFIRM_NUMBER:
		smp_delegate_ask(self, l, SMP_PROMPT_CONFIRM_NUMBER, e->value);
		break;
	case SMP_EV_CONFIRM_JUST_WORKS:
		smp_delegate_ask(self, l, SMP_PROMPT_CONFIRM_JUST_WORKS, 0);
		break;
	case SMP_EV_KEYPRESS:
		keypress_event(self, l, e->value);
		break;
	case SMP_EV_OOB_REQUEST:
		smp_delegate_ask(self, l, e->value ? SMP_PROMPT_OOB_DATA : SMP_PROMPT_OOB_TK, 0);
		break;
	case SMP_EV_START_ENCRYPTION:
		a = smp_act_new(self, SMP_ACT_START_ENC, l->handle);
		memcpy(a->key, e->key, 16);
		a->ediv = e->ediv;
		a->rand = e->rand;
		a->key_size = e->key_size;
		l->enc_with_bond = false;
		break;
	case SMP_EV_LTK_REPLY:
		a = smp_act_new(self, SMP_ACT_LTK_REPLY, l->handle);
		a->found = true;
		memcpy(a->key, e->key, 16);
		a->key_size = e->key_size;
		break;
	case SMP_EV_SECURITY_REQUEST:
		on_security_request(self, l, (uint8_t)e->value);
		break;
	case SMP_EV_COMPLETE:
		smp_link_paired(self, l);
		break;
	case SMP_EV_FAILED:
		smp_link_failed(self, l, e->reason, e->remote, 0);
		break;
	case SMP_EV_TIMEOUT:
		smp_link_failed(self, l, 0, false, -ETIMEDOUT);
		smp_act_new(self, SMP_ACT_DISCONNECT, l->handle);
		break;
	}
}

void smp_link_drain(struct smp_actor *self, struct smp_link *l)
{
	/* Answers given by the policy feed the machine again: loop until it
	 * has nothing more to say. */
	for (int guard = 0; l->used && l->p.out.n && guard < 64; guard++) {
		/* The machine forgets the method when it completes. */
		if (l->p.method != SMP_METHOD_NONE)
			l->method = (uint8_t)l->p.method;
		struct smp_outbox box = l->p.out;
		smp_outbox_clear(&l->p.out);
		if (box.overflow)
			snprintf(self->log, sizeof self->log,
				 "conn=0x%04x: pairing outbox overflow", l->handle);
		for (unsigned i = 0; i < box.n; i++)
			on_event(self, l, &box.ev[i]);
	}
	if (l->used)
		smp_attempts_save(self, l);
}

/* ---- requests of apps ------------------------------------------------------------------------------------- */

static struct smp_link *link_or_fail(struct smp_actor *self, const char *asker, uint64_t id,
				     uint16_t handle)
{
	struct smp_link *l = smp_actor_link(self, handle);
	if (!l)
		smp_act_result(self, asker, id, -ENOTCONN,
			       "no link 0x%04x (the host has not announced it connected)", handle);
	return l;
}

void smp_actor_pair(struct smp_actor *self, const char *asker, uint64_t id, uint16_t handle,
		    const struct smp_pair_opts *o)
{
	struct smp_link *l = link_or_fail(self, asker, id, handle);
	if (!l)
		return;
	if (l->ask != SMP_ASK_NONE || smp_pairing_deadline(&l->p)) {
		smp_act_result(self, asker, id, -EBUSY, "link 0x%04x is pairing already", handle);
		return;
	}
	if (o->legacy && self->set.cfg.sc_only) {
		smp_act_result(self, asker, id, -EPERM,
			       "legacy pairing asked, but this smp is in Secure Connections Only "
			       "mode (--set sc_only=1): pair without --legacy");
		return;
	}
	struct smp_config *c = &l->p.cfg;
	c->auth_req = (uint8_t)(self->set.cfg.auth_req & ~(SMP_AUTH_SC | SMP_AUTH_BONDING));
	if (!o->legacy)
		c->auth_req |= SMP_AUTH_SC;
	if (!o->no_bonding)
		c->auth_req |= SMP_AUTH_BONDING;
	if (o->mitm)
		c->auth_req |= SMP_AUTH_MITM;
	c->require_mitm = o->mitm || self->set.cfg.require_mitm;
	c->io_cap = o->io_cap >= 0 && o->io_cap <= SMP_IO_KEYBOARD_DISPLAY ? (uint8_t)o->io_cap
									    : self->set.cfg.io_cap;
	/* OOB data is for this pairing only. */
	c->sc_oob_peer = o->has_oob;
	memcpy(c->sc_oob_peer_c, o->oob_c, 16);
	memcpy(c->sc_oob_peer_r, o->oob_r, 16);
	c->oob_present = o->has_tk;
	memcpy(c->oob_tk, o->oob_tk, 16);
	smp_link_find_bond(self, l);
	smp_attempts_load(self, l);
	int rc = smp_pairing_start(&l->p);
	if (rc < 0) {
		uint64_t now = now_ms(self);
		smp_act_result(self, asker, id, rc,
			       rc == -ETIMEDOUT ? "SMP timed out on this link: reconnect first"
						: "pairing refused for %llu ms more (Repeated Attempts "
						  "after a failed pairing with this peer): try again then",
			       (unsigned long long)(l->p.retry_at > now ? l->p.retry_at - now : 0));
		return;
	}
	l->ask = SMP_ASK_PAIR;
	l->ask_id = id;
	snprintf(l->asker, sizeof l->asker, "%s", asker);
	smp_link_drain(self, l);
}

void smp_actor_encrypt(struct smp_actor *self, const char *asker, uint64_t id, uint16_t handle)
{
	char peer[40];
	struct smp_link *l = link_or_fail(self, asker, id, handle);
	if (!l)
		return;
	if (l->role != SMP_ROLE_INITIATOR) {
		smp_act_result(self, asker, id, -EPERM,
			       "we are peripheral on 0x%04x: the central starts encryption ('pair' "
			       "sends a Security Request)", handle);
		return;
	}
	if (l->ask != SMP_ASK_NONE || smp_pairing_deadline(&l->p)) {
		smp_act_result(self, asker, id, -EBUSY, "link 0x%04x is busy pairing", handle);
		return;
	}
	smp_link_find_bond(self, l);
	if (!l->have_bond || !l->bond.has_peer_ltk) {
		smp_addr_format(&l->peer, peer, sizeof peer);
		smp_act_result(self, asker, id, -ENOENT, "no bond with %s holds a key: pair first",
			       peer);
		return;
	}
	l->ask = SMP_ASK_ENCRYPT;
	l->ask_id = id;
	snprintf(l->asker, sizeof l->asker, "%s", asker);
	smp_link_encrypt_with_bond(self, l);
}

void smp_actor_user_reply(struct smp_actor *self, const char *asker, uint64_t id,
			  uint16_t handle, bool accept, uint32_t passkey,
			  const struct smp_oob_answer *oob)
{
	struct smp_link *l = link_or_fail(self, asker, id, handle);
	if (!l)
		return;
	uint8_t prompt = l->prompt;
	if (!prompt) {
		smp_act_result(self, asker, id, -EALREADY,
			       "link 0x%04x asked nothing (answered already, or timed out)", handle);
		return;
	}
	if (prompt == SMP_PROMPT_PASSKEY_ENTRY && accept && passkey > 999999) {
		smp_act_result(self, asker, id, -EINVAL, "a passkey is 0 to 999999");
		return;
	}
	if (prompt == SMP_PROMPT_OOB_DATA && accept && !(oob && oob->has_data)) {
		smp_act_result(self, asker, id, -EINVAL,
			       "the answer to an OOB prompt carries the peer's C and r (16 octets "
			       "each), or accept=false");
		return;
	}
	if (prompt == SMP_PROMPT_OOB_TK && accept && !(oob && oob->has_tk)) {
		smp_act_result(self, asker, id, -EINVAL,
			       "the answer to a TK prompt carries the 16-octet TK, or accept=false");
		return;
	}
	l->prompt = SMP_PROMPT_NONE;
	smp_act_result(self, asker, id, 0, NULL);
	if (prompt == SMP_PROMPT_OOB_DATA)
		smp_pairing_oob_reply(&l->p, accept, oob ? oob->r : NULL, oob ? oob->c : NULL);
	else if (prompt == SMP_PROMPT_OOB_TK)
		smp_pairing_oob_reply(&l->p, accept, oob ? oob->tk : NULL, NULL);
	else if (prompt == SMP_PROMPT_PASSKEY_ENTRY)
		smp_pairing_passkey_reply(&l->p, accept, passkey);
	else
		smp_pairing_confirm_reply(&l->p, accept);
	smp_link_drain(self, l);
}

void smp_actor_subscribe(struct smp_actor *self, const char *asker, uint64_t id)
{
	for (unsigned i = 0; i < self->nsubscribers; i++)
		if (strcmp(self->subscribers[i], asker) == 0) {
			smp_act_result(self, asker, id, 0, NULL);
			return;
		}
	if (self->nsubscribers >= SMP_SUBSCRIBERS_MAX) {
		smp_act_result(self, asker, id, -ENOSPC, "%d apps subscribed already",
			       SMP_SUBSCRIBERS_MAX);
		return;
	}
	snprintf(self->subscribers[self->nsubscribers++], SMP_APP_NAME_MAX + 1, "%s", asker);
	smp_act_result(self, asker, id, 0, NULL);
}

void smp_actor_set_policy(struct smp_actor *self, const char *asker, uint64_t id,
			  const char *policy)
{
	if (smp_policy_parse(policy, &self->set.policy, &self->set.policy_passkey) < 0) {
		smp_act_result(self, asker, id, -EINVAL,
			       "'%s': the policy is accept, reject or passkey:NNNNNN", policy);
		return;
	}
	smp_act_result(self, asker, id, 0, NULL);
}

void smp_actor_unpair(struct smp_actor *self, const char *asker, uint64_t id,
		      const struct smp_addr *peer)
{
	if (!self->store) {
		smp_act_result(self, asker, id, -ENODEV, "no bond store");
		return;
	}
	int n = smp_bonds_delete(self->store, NULL, peer);
	if (n < 0) {
		smp_act_result(self, asker, id, n, "bond store: %s", smp_bonds_error(self->store));
		return;
	}
	for (unsigned i = 0; i < SMP_LINKS_MAX; i++) {
		struct smp_link *l = &self->links[i];
		if (l->used && l->have_bond && l->bond.peer.type == peer->type &&
		    memcmp(l->bond.peer.a, peer->a, 6) == 0)
			l->have_bond = false;
	}
	smp_act_result(self, asker, id, 0, NULL);
	self->out[self->nout - 1].deleted = n;
	if (n > 0)
		smp_act_new(self, SMP_ACT_KEYS_CHANGED, 0);
}

/* Our address for OOB data: the identity, else a link's own address. */
static bool oob_address(struct smp_actor *self, struct smp_addr *out)
{
	if (self->set.identity_set) {
		*out = self->set.identity;
		return true;
	}
	for (unsigned i = 0; i < SMP_LINKS_MAX; i++)
		if (self->links[i].used) {
			*out = self->links[i].own;
			return true;
		}
	return false;
}

void smp_actor_oob_local(struct smp_actor *self, const char *asker, uint64_t id, bool renew)
{
	struct smp_oob_local *o = &self->oob;
	uint64_t now = now_ms(self);
	uint32_t life = self->set.oob_lifetime_ms ? self->set.oob_lifetime_ms : SMP_OOB_LIFETIME_MS;
	if (renew || !o->valid || now >= o->expires) {
		struct smp_p256 key;
		int rc = -EINVAL;
		memset(o, 0, sizeof *o);
		for (int i = 0; i < 8 && rc == -EINVAL; i++) {
			if (self->ops.rand) {
				self->ops.rand(self->ops.arg, o->priv, sizeof o->priv);
				self->ops.rand(self->ops.arg, o->r, sizeof o->r);
			}
			rc = smp_sc_oob_data(o->priv, o->r, &key, o->c);
		}
		memset(&key, 0, sizeof key);
		if (rc < 0) {
			memset(o, 0, sizeof *o);
			smp_act_result(self, asker, id, -EIO,
				       "no OOB data: the P-256 key pair could not be made (%d)", rc);
			return;
		}
		o->valid = true;
		o->expires = now + life;
		for (unsigned i = 0; i < SMP_LINKS_MAX; i++)
			if (self->links[i].used)
				smp_oob_apply(self, &self->links[i]);
	}
	struct smp_act *a = smp_act_new(self, SMP_ACT_OOB, 0);
	snprintf(a->dest, sizeof a->dest, "%s", asker);
	a->is_result = true;
	a->request_id = id;
	memcpy(a->oob_c, o->c, 16);
	memcpy(a->oob_r, o->r, 16);
	a->has_addr = oob_address(self, &a->peer);
	a->valid_ms = (uint32_t)(o->expires - now);
}

void smp_actor_keypress(struct smp_actor *self, const char *asker, uint64_t id, uint16_t handle,
			uint8_t type)
{
	struct smp_link *l = link_or_fail(self, asker, id, handle);
	if (!l)
		return;
	if (smp_pairing_keypress(&l->p, type) < 0) {
		smp_act_result(self, asker, id, -EPERM,
			       "link 0x%04x: no passkey is being typed here with keypress "
			       "notifications on both sides (--set keypress=1), or type %u is not 0..4",
			       handle, type);
		return;
	}
	smp_act_result(self, asker, id, 0, NULL);
	smp_link_drain(self, l);
}
