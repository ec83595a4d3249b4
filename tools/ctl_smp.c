/* hive-ctl commands of the smp actor: pair (with prompts, or --yes and
 * --passkey for scripts; --oob C,R with the peer's Secure Connections OOB
 * data, --oob-tk TK for legacy OOB), encrypt, bonds, unpair,
 * pairing-policy, oob (our OOB data). Each takes --to ACTOR (default
 * "smp"). C, R and TK are 32 hex digits, most significant first as the
 * specification prints them (and as `oob` prints them). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl.h"
#include "ctl_prompt.h"

#define SMP_CTL_TIMEOUT_MS 5000
#define SMP_CTL_PAIR_TIMEOUT_MS 90000

struct smp_wait {
	struct ctl *c;
	const char *dest;
	uint64_t id;
	Hive__Result *result; /* deep copy */
	struct ctl_prompt_answers ans; /* --yes, --passkey */
	bool has_oob, has_tk;          /* answers to OOB prompts */
	uint8_t oob_c[16], oob_r[16], tk[16]; /* least significant first (the wire's) */
};

/* 32 hex digits, most significant first -> 16 octets least significant
 * first. */
static int hex16_in(const char *s, size_t n, uint8_t out[16])
{
	if (n != 32)
		return -EINVAL;
	for (int i = 0; i < 16; i++) {
		int hi = hive_hexval(s[2 * i]), lo = hive_hexval(s[2 * i + 1]);
		if (hi < 0 || lo < 0)
			return -EINVAL;
		out[15 - i] = (uint8_t)(hi << 4 | lo);
	}
	return 0;
}

/* 16 octets least significant first -> 32 hex digits, most significant first. */
static void hex16_out(const uint8_t *b, char out[33])
{
	for (int i = 0; i < 16; i++)
		snprintf(out + 2 * i, 3, "%02x", b[15 - i]);
}

/* "C,R": the peer's SC OOB data as `oob` prints it. */
static int oob_pair_in(const char *s, uint8_t c[16], uint8_t r[16])
{
	const char *comma = strchr(s, ',');
	if (!comma || hex16_in(s, (size_t)(comma - s), c) < 0 ||
	    hex16_in(comma + 1, strlen(comma + 1), r) < 0)
		return -EINVAL;
	return 0;
}

static void on_result(struct hive_actor *a, const char *source, const Hive__Envelope *env,
		      void *arg)
{
	struct smp_wait *w = arg;
	if (env->result->id != w->id || w->result)
		return;
	w->result = ctl_copy(&env->result->base);
}

static int send_smp(struct ctl *c, const char *dest, uint64_t id, Hive__SmpRequest *q)
{
	Hive__Request r = HIVE__REQUEST__INIT;
	Hive__Envelope env = HIVE__ENVELOPE__INIT;
	r.id = id;
	r.op_case = HIVE__REQUEST__OP_SMP;
	r.smp = q;
	env.body_case = HIVE__ENVELOPE__BODY_REQUEST;
	env.request = &r;
	return hive_send(c->actor, dest, &env);
}

static void reply_oob(struct smp_wait *w, uint32_t handle, bool accept, uint32_t passkey,
		      const uint8_t *c, const uint8_t *r, const uint8_t *tk)
{
	Hive__SmpRequest q = HIVE__SMP_REQUEST__INIT;
	Hive__SmpUserReply u = HIVE__SMP_USER_REPLY__INIT;
	u.handle = handle;
	u.accept = accept;
	u.passkey = passkey;
	if (c && r) {
		u.oob_c.data = (uint8_t *)c;
		u.oob_c.len = 16;
		u.oob_r.data = (uint8_t *)r;
		u.oob_r.len = 16;
	}
	if (tk) {
		u.oob_tk.data = (uint8_t *)tk;
		u.oob_tk.len = 16;
	}
	q.op_case = HIVE__SMP_REQUEST__OP_USER_REPLY;
	q.user_reply = &u;
	/* Its Result is not waited for: the pairing's outcome says it all. */
	send_smp(w->c, w->dest, w->c->next_request_id++, &q);
}

static void reply(struct smp_wait *w, uint32_t handle, bool accept, uint32_t passkey)
{
	reply_oob(w, handle, accept, passkey, NULL, NULL, NULL);
}

/* The peer set its OOB flag: our --oob / --oob-tk, else the user types it. */
static void answer_oob(struct smp_wait *w, uint32_t handle, bool tk_kind)
{
	char line[128];
	uint8_t a[16], b[16];
	if (tk_kind) {
		if (w->has_tk) {
			reply_oob(w, handle, true, 0, NULL, NULL, w->tk);
			return;
		}
		bool ok = ctl_ask_line("the peer has a legacy OOB TK: type it (32 hex digits) or "
				       "Enter for none:", line, sizeof line) &&
			  hex16_in(line, strcspn(line, "\r\n"), a) == 0;
		reply_oob(w, handle, ok, 0, NULL, NULL, ok ? a : NULL);
		return;
	}
	if (w->has_oob) {
		reply_oob(w, handle, true, 0, w->oob_c, w->oob_r, NULL);
		return;
	}
	bool ok = ctl_ask_line("the peer holds our OOB data: its C,R (as its `oob` printed) or "
			       "Enter for none:", line, sizeof line);
	if (ok) {
		line[strcspn(line, "\r\n")] = '\0';
		ok = oob_pair_in(line, a, b) == 0;
	}
	reply_oob(w, handle, ok, 0, ok ? a : NULL, ok ? b : NULL, NULL);
}

static void on_event(struct hive_actor *a, const char *source, const Hive__Envelope *env,
		     void *arg)
{
	struct smp_wait *w = arg;
	const Hive__SmpEvent *ev = env->smp_event;
	static const char *const keys[] = { "started", "digit entered", "digit erased",
					    "cleared", "completed" };
	if (ev->kind_case == HIVE__SMP_EVENT__KIND_KEYPRESS && !w->c->json) {
		printf("peer keypress: %s\n",
		       ev->keypress->type < 5 ? keys[ev->keypress->type] : "unknown");
		fflush(stdout);
	}
	if (ev->kind_case != HIVE__SMP_EVENT__KIND_PROMPT)
		return;
	const Hive__SmpPrompt *p = ev->prompt;
	switch (p->kind) {
	case HIVE__SMP_PROMPT__KIND__OOB_DATA:
	case HIVE__SMP_PROMPT__KIND__OOB_TK:
		answer_oob(w, ev->handle, p->kind == HIVE__SMP_PROMPT__KIND__OOB_TK);
		break;
	default: {
		bool ok;
		uint32_t v;
		if (ctl_prompt_answer(w->c, &w->ans, p, "passkey shown on the peer:", &ok, &v))
			reply(w, ev->handle, ok, v);
		break;
	}
	}
}

/* Sends q and waits for its Result (prompts answered meanwhile). */
static Hive__Result *ask(struct ctl *c, const char *cmd, const char *dest, Hive__SmpRequest *q,
			 int timeout_ms, struct smp_wait *w)
{
	timeout_ms = ctl_timeout_ms(c, timeout_ms);
	if (ctl_connect(c, SMP_CTL_TIMEOUT_MS) < 0) {
		ctl_fail(c, cmd, "no graph answers at %s", c->run_dir);
		return NULL;
	}
	w->c = c;
	w->dest = dest;
	w->id = c->next_request_id++;
	hive_on(c->actor, HIVE__ENVELOPE__BODY_RESULT, on_result, w);
	hive_on(c->actor, HIVE__ENVELOPE__BODY_SMP_EVENT, on_event, w);
	if (send_smp(c, dest, w->id, q) < 0) {
		ctl_fail(c, cmd, "cannot send to %s", dest);
		return NULL;
	}
	uint64_t deadline = hive_now_ns() + (uint64_t)timeout_ms * 1000000ull;
	while (!w->result && hive_now_ns() < deadline && !hive_signal_received())
		if (hive_run_once(c->actor, 100) < 0)
			break;
	hive_on(c->actor, HIVE__ENVELOPE__BODY_RESULT, NULL, NULL);
	hive_on(c->actor, HIVE__ENVELOPE__BODY_SMP_EVENT, NULL, NULL);
	if (!w->result)
		ctl_fail(c, cmd, "%s did not answer within %d ms (is it running? 'status' shows "
			 "the actors)", dest, timeout_ms);
	else if (w->result->status) {
		ctl_fail_result(c, cmd, dest, w->result);
		hive__result__free_unpacked(w->result, NULL);
		w->result = NULL;
	}
	return w->result;
}

static void addr_text(const Hive__SmpAddress *a, char *buf, size_t cap)
{
	if (!a || a->bdaddr.len != 6) {
		snprintf(buf, cap, "?");
		return;
	}
	const uint8_t *b = a->bdaddr.data;
	snprintf(buf, cap, "%s:%02X:%02X:%02X:%02X:%02X:%02X", a->type ? "random" : "public", b[5],
		 b[4], b[3], b[2], b[1], b[0]);
}

static int parse_addr(const char *s, Hive__SmpAddress *a, uint8_t buf[6])
{
	unsigned v[6];
	char tail;
	a->type = 0;
	if (strncmp(s, "public:", 7) == 0) {
		s += 7;
	} else if (strncmp(s, "random:", 7) == 0) {
		a->type = 1;
		s += 7;
	}
	if (strlen(s) != 17 || sscanf(s, "%2x:%2x:%2x:%2x:%2x:%2x%c", &v[0], &v[1], &v[2], &v[3],
				      &v[4], &v[5], &tail) != 6)
		return -EINVAL;
	for (int i = 0; i < 6; i++)
		buf[5 - i] = (uint8_t)v[i];
	a->bdaddr.data = buf;
	a->bdaddr.len = 6;
	return 0;
}

static int parse_handle(const char *s, uint32_t *out)
{
	char *end;
	unsigned long v = strtoul(s, &end, 0);
	if (!*s || *end || v > 0x0eff)
		return -EINVAL;
	*out = (uint32_t)v;
	return 0;
}

/* Takes "--to ACTOR" out of argv; returns the destination. */
static const char *take_to(int *argc, char **argv)
{
	const char *to = "smp";
	for (int i = 1; i + 1 < *argc; i++)
		if (strcmp(argv[i], "--to") == 0) {
			to = argv[i + 1];
			for (int k = i; k + 2 <= *argc; k++)
				argv[k] = argv[k + 2];
			*argc -= 2;
			break;
		}
	return to;
}

static const char *method_name(Hive__SmpMethod m)
{
	switch (m) {
	case HIVE__SMP_METHOD__METHOD_JUST_WORKS:
		return "just works";
	case HIVE__SMP_METHOD__METHOD_PASSKEY:
		return "passkey entry";
	case HIVE__SMP_METHOD__METHOD_NUMERIC_COMPARISON:
		return "numeric comparison";
	case HIVE__SMP_METHOD__METHOD_OOB:
		return "out of band";
	default:
		return "none";
	}
}

int ctl_cmd_pair(struct ctl *c, int argc, char **argv)
{
	static const char *const io_names[] = { "display_only", "display_yes_no", "keyboard_only",
						"no_input_no_output", "keyboard_display" };
	const char *to = take_to(&argc, argv);
	Hive__SmpRequest q = HIVE__SMP_REQUEST__INIT;
	Hive__SmpPair p = HIVE__SMP_PAIR__INIT;
	struct smp_wait w = { 0 };
	const char *usage = "usage: pair HANDLE [--sc|--legacy] [--mitm] [--io CAP] [--yes] "
			    "[--passkey N] [--oob C,R] [--oob-tk TK] [--no-bond] [--to ACTOR]";
	if (argc < 2 || parse_handle(argv[1], &p.handle) < 0)
		return ctl_fail(c, "pair", "%s", usage);
	for (int i = 2; i < argc; i++) {
		if (strcmp(argv[i], "--sc") == 0) {
			p.legacy = false;
		} else if (strcmp(argv[i], "--legacy") == 0) {
			p.legacy = true;
		} else if (strcmp(argv[i], "--mitm") == 0) {
			p.mitm = true;
		} else if (strcmp(argv[i], "--no-bond") == 0) {
			p.no_bonding = true;
		} else if (strcmp(argv[i], "--yes") == 0) {
			w.ans.yes = true;
		} else if (strcmp(argv[i], "--io") == 0 && i + 1 < argc) {
			i++;
			for (int k = 0; k < 5; k++)
				if (strcmp(argv[i], io_names[k]) == 0)
					p.io_cap = (Hive__SmpIoCapability)(k + 1);
			if (!p.io_cap)
				return ctl_fail(c, "pair", "--io %s: one of display_only, "
					       "display_yes_no, keyboard_only, no_input_no_output, "
					       "keyboard_display", argv[i]);
		} else if (strcmp(argv[i], "--passkey") == 0 && i + 1 < argc) {
			char *end;
			unsigned long v = strtoul(argv[++i], &end, 10);
			if (*end || v > 999999)
				return ctl_fail(c, "pair", "--passkey %s: 0 to 999999", argv[i]);
			w.ans.has_passkey = true;
			w.ans.passkey = (uint32_t)v;
		} else if (strcmp(argv[i], "--oob") == 0 && i + 1 < argc) {
			if (oob_pair_in(argv[++i], w.oob_c, w.oob_r) < 0)
				return ctl_fail(c, "pair", "--oob %s: the peer's C and R as its "
					       "'oob' printed them, 32 hex digits each, joined by a "
					       "comma", argv[i]);
			w.has_oob = true;
			p.oob_c.data = w.oob_c;
			p.oob_c.len = 16;
			p.oob_r.data = w.oob_r;
			p.oob_r.len = 16;
		} else if (strcmp(argv[i], "--oob-tk") == 0 && i + 1 < argc) {
			if (hex16_in(argv[i + 1], strlen(argv[i + 1]), w.tk) < 0)
				return ctl_fail(c, "pair", "--oob-tk %s: the TK is 32 hex digits",
						argv[i + 1]);
			i++;
			w.has_tk = true;
			p.oob_tk.data = w.tk;
			p.oob_tk.len = 16;
		} else {
			return ctl_fail(c, "pair", "%s", usage);
		}
	}
	q.op_case = HIVE__SMP_REQUEST__OP_PAIR;
	q.pair = &p;
	Hive__Result *r = ask(c, "pair", to, &q, SMP_CTL_PAIR_TIMEOUT_MS, &w);
	if (!r)
		return -1;
	const Hive__SmpPairingComplete *pc =
		r->value_case == HIVE__RESULT__VALUE_SMP &&
				r->smp->value_case == HIVE__SMP_RESULT__VALUE_PAIRED
			? r->smp->paired : NULL;
	char peer[40] = "?";
	if (pc)
		addr_text(pc->peer_identity, peer, sizeof peer);
	if (c->json)
		ctl_print_json(json_pack("{s:s, s:b, s:i, s:s, s:b, s:b, s:b, s:i, s:s}", "command",
					 "pair", "ok", 1, "handle", (int)p.handle, "method",
					 pc ? method_name(pc->method) : "none", "sc",
					 pc && pc->sc, "authenticated", pc && pc->authenticated,
					 "bonded", pc && pc->bonded, "key_size",
					 pc ? (int)pc->key_size : 0, "peer", peer));
	else
		printf("paired 0x%04x with %s: %s, %s, %s%s, key size %u\n", p.handle, peer,
		       pc && pc->sc ? "secure connections" : "legacy",
		       pc ? method_name(pc->method) : "none",
		       pc && pc->authenticated ? "authenticated" : "unauthenticated",
		       pc && pc->bonded ? ", bonded" : "", pc ? pc->key_size : 0);
	fflush(stdout);
	hive__result__free_unpacked(r, NULL);
	return 0;
}

int ctl_cmd_encrypt(struct ctl *c, int argc, char **argv)
{
	const char *to = take_to(&argc, argv);
	Hive__SmpRequest q = HIVE__SMP_REQUEST__INIT;
	Hive__SmpEncrypt e = HIVE__SMP_ENCRYPT__INIT;
	struct smp_wait w = { 0 };
	if (argc != 2 || parse_handle(argv[1], &e.handle) < 0)
		return ctl_fail(c, "encrypt", "usage: encrypt HANDLE [--to ACTOR]");
	q.op_case = HIVE__SMP_REQUEST__OP_ENCRYPT;
	q.encrypt = &e;
	Hive__Result *r = ask(c, "encrypt", to, &q, SMP_CTL_TIMEOUT_MS * 2, &w);
	if (!r)
		return -1;
	if (c->json)
		ctl_print_json(json_pack("{s:s, s:b, s:i}", "command", "encrypt", "ok", 1,
					 "handle", (int)e.handle));
	else
		printf("encrypted 0x%04x with the stored key\n", e.handle);
	fflush(stdout);
	hive__result__free_unpacked(r, NULL);
	return 0;
}

int ctl_cmd_bonds(struct ctl *c, int argc, char **argv)
{
	const char *to = take_to(&argc, argv);
	Hive__SmpRequest q = HIVE__SMP_REQUEST__INIT;
	Hive__SmpBondsQuery b = HIVE__SMP_BONDS_QUERY__INIT;
	struct smp_wait w = { 0 };
	if (argc != 1)
		return ctl_fail(c, "bonds", "usage: bonds [--to ACTOR]");
	q.op_case = HIVE__SMP_REQUEST__OP_BONDS;
	q.bonds = &b;
	Hive__Result *r = ask(c, "bonds", to, &q, SMP_CTL_TIMEOUT_MS, &w);
	if (!r)
		return -1;
	const Hive__SmpBondList *l = r->value_case == HIVE__RESULT__VALUE_SMP &&
					     r->smp->value_case == HIVE__SMP_RESULT__VALUE_BONDS
				     ? r->smp->bonds : NULL;
	size_t n = l ? l->n_bonds : 0;
	json_t *arr = c->json ? json_array() : NULL;
	if (!c->json)
		printf("%-25s %-25s %-6s %-5s %-4s %s\n", "PEER", "LOCAL", "KIND", "AUTH", "KEY",
		       "KEYS");
	for (size_t i = 0; i < n; i++) {
		const Hive__SmpBond *x = l->bonds[i];
		char peer[40], local[40], keys[24];
		addr_text(x->peer, peer, sizeof peer);
		addr_text(x->local, local, sizeof local);
		snprintf(keys, sizeof keys, "%s%s%s", x->has_ltk ? "ltk " : "",
			 x->has_irk ? "irk " : "", x->has_csrk ? "csrk" : "");
		if (arr)
			json_array_append_new(arr, json_pack("{s:s, s:s, s:b, s:b, s:i, s:b, s:b, s:b}",
							     "peer", peer, "local", local, "sc",
							     x->sc, "authenticated",
							     x->authenticated, "key_size",
							     (int)x->key_size, "ltk", x->has_ltk,
							     "irk", x->has_irk, "csrk",
							     x->has_csrk));
		else
			printf("%-25s %-25s %-6s %-5s %-4u %s\n", peer, local, x->sc ? "sc" : "legacy",
			       x->authenticated ? "yes" : "no", x->key_size, keys);
	}
	if (arr)
		ctl_print_json(json_pack("{s:s, s:b, s:o}", "command", "bonds", "ok", 1, "bonds",
					 arr));
	else
		printf("%zu bond%s\n", n, n == 1 ? "" : "s");
	fflush(stdout);
	hive__result__free_unpacked(r, NULL);
	return 0;
}

int ctl_cmd_unpair(struct ctl *c, int argc, char **argv)
{
	const char *to = take_to(&argc, argv);
	Hive__SmpRequest q = HIVE__SMP_REQUEST__INIT;
	Hive__SmpUnpair u = HIVE__SMP_UNPAIR__INIT;
	Hive__SmpAddress a = HIVE__SMP_ADDRESS__INIT;
	uint8_t buf[6];
	struct smp_wait w = { 0 };
	if (argc != 2 || parse_addr(argv[1], &a, buf) < 0)
		return ctl_fail(c, "unpair", "usage: unpair [public:|random:]AA:BB:CC:DD:EE:FF "
			       "[--to ACTOR]");
	u.peer = &a;
	q.op_case = HIVE__SMP_REQUEST__OP_UNPAIR;
	q.unpair = &u;
	Hive__Result *r = ask(c, "unpair", to, &q, SMP_CTL_TIMEOUT_MS, &w);
	if (!r)
		return -1;
	unsigned n = r->value_case == HIVE__RESULT__VALUE_SMP &&
			     r->smp->value_case == HIVE__SMP_RESULT__VALUE_UNPAIRED
		     ? r->smp->unpaired->deleted : 0;
	hive__result__free_unpacked(r, NULL);
	if (n == 0)
		return ctl_fail(c, "unpair", "no bond with %s ('bonds' lists them)", argv[1]);
	if (c->json)
		ctl_print_json(json_pack("{s:s, s:b, s:i}", "command", "unpair", "ok", 1, "deleted",
					 (int)n));
	else
		printf("deleted %u bond%s with %s\n", n, n == 1 ? "" : "s", argv[1]);
	fflush(stdout);
	return 0;
}

int ctl_cmd_pairing_policy(struct ctl *c, int argc, char **argv)
{
	const char *to = take_to(&argc, argv);
	Hive__SmpRequest q = HIVE__SMP_REQUEST__INIT;
	Hive__SmpSetPolicy p = HIVE__SMP_SET_POLICY__INIT;
	struct smp_wait w = { 0 };
	if (argc != 2)
		return ctl_fail(c, "pairing-policy",
				"usage: pairing-policy accept|reject|passkey:N [--to ACTOR]");
	p.policy = argv[1];
	q.op_case = HIVE__SMP_REQUEST__OP_SET_POLICY;
	q.set_policy = &p;
	Hive__Result *r = ask(c, "pairing-policy", to, &q, SMP_CTL_TIMEOUT_MS, &w);
	if (!r)
		return -1;
	hive__result__free_unpacked(r, NULL);
	if (c->json)
		ctl_print_json(json_pack("{s:s, s:b, s:s}", "command", "pairing-policy", "ok", 1,
					 "policy", argv[1]));
	else
		printf("pairing policy: %s\n", argv[1]);
	fflush(stdout);
	return 0;
}

int ctl_cmd_oob(struct ctl *c, int argc, char **argv)
{
	const char *to = take_to(&argc, argv);
	Hive__SmpRequest q = HIVE__SMP_REQUEST__INIT;
	Hive__SmpOobLocal o = HIVE__SMP_OOB_LOCAL__INIT;
	struct smp_wait w = { 0 };
	if (argc > 2 || (argc == 2 && strcmp(argv[1], "--renew") != 0))
		return ctl_fail(c, "oob", "usage: oob [--renew] [--to ACTOR]");
	o.renew = argc == 2;
	q.op_case = HIVE__SMP_REQUEST__OP_OOB_LOCAL;
	q.oob_local = &o;
	Hive__Result *r = ask(c, "oob", to, &q, SMP_CTL_TIMEOUT_MS, &w);
	if (!r)
		return -1;
	const Hive__SmpOobData *d = r->value_case == HIVE__RESULT__VALUE_SMP &&
					    r->smp->value_case == HIVE__SMP_RESULT__VALUE_OOB
					    ? r->smp->oob : NULL;
	if (!d || d->c.len != 16 || d->r.len != 16) {
		hive__result__free_unpacked(r, NULL);
		return ctl_fail(c, "oob", "%s answered without OOB data (an older smp?)", to);
	}
	char addr[40] = "", ch[33], rh[33];
	if (d->address)
		addr_text(d->address, addr, sizeof addr);
	hex16_out(d->c.data, ch);
	hex16_out(d->r.data, rh);
	if (c->json)
		ctl_print_json(json_pack("{s:s, s:b, s:s, s:s, s:s, s:i}", "command", "oob", "ok", 1,
					 "address", addr, "c", ch, "r", rh, "valid_ms",
					 (int)d->valid_ms));
	else
		printf("address %s\nC %s\nR %s\nvalid for %u s; the peer pairs with: pair HANDLE "
		       "--oob %s,%s\n", *addr ? addr : "(unknown until a link is up)", ch, rh,
		       d->valid_ms / 1000, ch, rh);
	fflush(stdout);
	hive__result__free_unpacked(r, NULL);
	return 0;
}
