/* hive-smp: the smp actor's I/O shell (with smp_main_req.c, see
 * smp_main.h). The shell alone touches ZeroMQ, timers and protobuf-c; the
 * decisions are in smp_actor.c and smp_delegate.c, the bond store in
 * smp_bonds.c.
 *
 *   hive-smp [runtime options] [--set KEY=VALUE]...
 *     keystore=PATH        the bond store (default $XDG_DATA_HOME/hive/bonds.sqlite3,
 *                          else ~/.local/share/hive/bonds.sqlite3)
 *     l2cap=NAME host=NAME gatt=NAME   the neighbours (default l2cap, host, gatt)
 *     io_cap=display_only|display_yes_no|keyboard_only|no_input_no_output|keyboard_display
 *     sc=0|1 mitm=0|1 bonding=0|1 min_key_size=N max_key_size=N
 *     confirm_just_works=0|1   ask the user to accept Just Works
 *     pairing_policy=accept|reject|passkey:N   answers when no app is asked
 *     prompt_timeout_ms=N  auto_encrypt=0|1  pair_on_security_request=0|1
 *     identity=public:AA:BB:CC:DD:EE:FF    our identity address (default:
 *                          the connection's own address)
 *     keypress=0|1         keypress notifications while a passkey is typed
 *     sc_only=0|1          Secure Connections Only mode: legacy pairing refused
 *     ask_oob=0|1          ask apps for the peer's OOB data when it has ours (default 1)
 *     retry_base_ms=N retry_max_ms=N   Repeated Attempts: first wait, cap (2000, 64000)
 *     oob_lifetime_ms=N    how long our OOB data and its key pair stay valid (600000)
 *
 * From host: LinkEvent (connected, disconnected, encryption_changed,
 * ltk_requested). From l2cap: ChannelPdu on CID 0x0006. To l2cap:
 * ChannelPdu. To host: Request start_encryption, ltk_reply, hci_command
 * (Disconnect after the SMP timeout); SmpEvent resolving_list. To gatt:
 * SmpEvent gatt_bond and gatt_unbond; from gatt: Request smp
 * gatt_record, sign_counters, gatt_sync (smp_gatt.c). Apps: Request smp
 * (smp.proto), SmpEvent; their requests are in smp_main_req.c. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <openssl/rand.h>

#include "smp_main.h"

#define SMP_CID 0x0006
#define HCI_DISCONNECT 0x0406
#define HCI_REMOTE_USER_TERMINATED 0x13

/* ---- small conversions -------------------------------------------------------------- */

void smp_main_rev(uint8_t *dst, const uint8_t *src, size_t n)
{
	for (size_t i = 0; i < n; i++)
		dst[i] = src[n - 1 - i];
}

/* Address (wire order) -> smp_addr (most significant first); type kept. */
static void addr_in(const Hive__Address *pa, struct smp_addr *out)
{
	memset(out, 0, sizeof *out);
	if (!pa)
		return;
	out->type = (uint8_t)pa->type;
	if (pa->bdaddr.len == 6)
		smp_main_rev(out->a, pa->bdaddr.data, 6);
}

void smp_main_addr_out(Hive__SmpAddress *pa, const struct smp_addr *a, uint8_t buf[6])
{
	smp_main_rev(buf, a->a, 6);
	pa->type = a->type;
	pa->bdaddr.data = buf;
	pa->bdaddr.len = 6;
}

static uint64_t now_ms(void *arg)
{
	return hive_now_ns() / 1000000ull;
}

static void rand_bytes(void *arg, void *buf, size_t n)
{
	if (RAND_bytes(buf, (int)n) != 1)
		abort(); /* no randomness: pairing would be unsafe */
}

void smp_main_send(struct smp_main *m, const char *dest, Hive__Envelope *env)
{
	int rc = hive_send(m->a, dest, env);
	if (rc < 0)
		HLOG_WARN(m->a, "sending %s to %s failed: %s", hive_body_name(env->body_case), dest,
			  strerror(-rc));
}

static void send_request(struct smp_main *m, uint16_t handle, Hive__Request *req)
{
	/* The handle rides in the id, so a refusal finds its link. */
	req->id = (++m->next_id << 16) | handle;
	Hive__Envelope env = HIVE__ENVELOPE__INIT;
	env.body_case = HIVE__ENVELOPE__BODY_REQUEST;
	env.request = req;
	smp_main_send(m, m->host, &env);
}

/* ---- keys for host ------------------------------------------------------------------- */

/* The peers' IRKs to the host, for resolving their private addresses. (gatt
 * gets CSRKs and counters per link, with the bond: smp_gatt.c.) */
static void send_key_lists(struct smp_main *m)
{
	int n = smp_bonds_list(m->store, NULL, m->list, SMP_MAIN_LIST_MAX);
	if (n < 0) {
		HLOG_WARN(m->a, "bond store: %s", smp_bonds_error(m->store));
		return;
	}
	if (n > SMP_MAIN_LIST_MAX)
		n = SMP_MAIN_LIST_MAX;
	static const size_t per = sizeof(Hive__SmpResolvingKey) + 2 * sizeof(Hive__SmpAddress) +
				  16 + 2 * 6 + sizeof(void *);
	uint8_t *mem = calloc((size_t)n + 1, per);
	if (!mem)
		return;
	Hive__SmpResolvingKey *rk = (void *)mem;
	Hive__SmpAddress *ad = (void *)(rk + n);
	Hive__SmpResolvingKey **rkp = (void *)(ad + 2 * n);
	uint8_t *bytes = (uint8_t *)(rkp + n);
	size_t nr = 0;
	for (int i = 0; i < n; i++) {
		const struct smp_bond *b = &m->list[i];
		if (!b->has_peer_irk)
			continue;
		uint8_t *kb = bytes + nr * (16 + 2 * 6);
		Hive__SmpAddress *a2 = ad + 2 * nr;
		Hive__SmpResolvingKey *r = &rk[nr];
		hive__smp_address__init(&a2[0]);
		hive__smp_address__init(&a2[1]);
		hive__smp_resolving_key__init(r);
		smp_main_addr_out(&a2[0], &b->peer, kb + 16);
		smp_main_addr_out(&a2[1], &b->local, kb + 22);
		r->peer = &a2[0];
		r->local = &a2[1];
		smp_main_rev(kb, b->peer_irk, 16);
		r->irk.data = kb;
		r->irk.len = 16;
		rkp[nr++] = r;
	}
	Hive__SmpResolvingList rl = HIVE__SMP_RESOLVING_LIST__INIT;
	Hive__SmpEvent ev = HIVE__SMP_EVENT__INIT;
	Hive__Envelope env = HIVE__ENVELOPE__INIT;
	env.body_case = HIVE__ENVELOPE__BODY_SMP_EVENT;
	env.smp_event = &ev;
	rl.n_keys = nr;
	rl.keys = rkp;
	ev.kind_case = HIVE__SMP_EVENT__KIND_RESOLVING_LIST;
	ev.resolving_list = &rl;
	smp_main_send(m, m->host, &env);
	free(mem);
}

/* ---- actions -> messages ----------------------------------------------------------------- */

static void outcome_out(Hive__SmpPairingComplete *pc, Hive__SmpAddress *pa, uint8_t buf[6],
			const struct smp_outcome *o)
{
	static const Hive__SmpMethod methods[] = {
		[SMP_METHOD_NONE] = HIVE__SMP_METHOD__METHOD_NONE,
		[SMP_METHOD_JUST_WORKS] = HIVE__SMP_METHOD__METHOD_JUST_WORKS,
		[SMP_METHOD_PASSKEY] = HIVE__SMP_METHOD__METHOD_PASSKEY,
		[SMP_METHOD_NUMERIC] = HIVE__SMP_METHOD__METHOD_NUMERIC_COMPARISON,
		[SMP_METHOD_OOB] = HIVE__SMP_METHOD__METHOD_OOB,
	};
	smp_main_addr_out(pa, &o->peer_identity, buf);
	pc->peer_identity = pa;
	pc->sc = o->sc;
	pc->authenticated = o->authenticated;
	pc->bonded = o->bonded;
	pc->key_size = o->key_size;
	pc->method = o->method <= SMP_METHOD_OOB ? methods[o->method] : 0;
	pc->keys_sent = o->keys_sent;
	pc->keys_received = o->keys_received;
}

/* Our OOB data (least significant octet first, as on the air); buf holds
 * the address, then C and r. */
static bool oob_out(Hive__SmpOobData *od, Hive__SmpAddress *pa, uint8_t buf[6 + 32],
		    const struct smp_act *x)
{
	if (x->has_addr) {
		smp_main_addr_out(pa, &x->peer, buf);
		od->address = pa;
	}
	smp_main_rev(buf + 6, x->oob_c, 16);
	smp_main_rev(buf + 22, x->oob_r, 16);
	od->c.data = buf + 6;
	od->c.len = 16;
	od->r.data = buf + 22;
	od->r.len = 16;
	od->valid_ms = x->valid_ms;
	return true;
}

/* Completion, failure, encryption and prompts: a Result to the asker or
 * an SmpEvent. */
static void send_app(struct smp_main *m, const struct smp_act *x)
{
	Hive__SmpEvent ev = HIVE__SMP_EVENT__INIT;
	Hive__SmpResult sr = HIVE__SMP_RESULT__INIT;
	Hive__Result res = HIVE__RESULT__INIT;
	Hive__SmpPrompt pr = HIVE__SMP_PROMPT__INIT;
	Hive__SmpPairingComplete pc = HIVE__SMP_PAIRING_COMPLETE__INIT;
	Hive__SmpPairingFailed pf = HIVE__SMP_PAIRING_FAILED__INIT;
	Hive__SmpEncrypted en = HIVE__SMP_ENCRYPTED__INIT;
	Hive__SmpUnpaired un = HIVE__SMP_UNPAIRED__INIT;
	Hive__SmpAddress pa = HIVE__SMP_ADDRESS__INIT;
	Hive__SmpOobData od = HIVE__SMP_OOB_DATA__INIT;
	Hive__SmpOobKeypress kp = HIVE__SMP_OOB_KEYPRESS__INIT;
	uint8_t abuf[6 + 32];
	Hive__Envelope env = HIVE__ENVELOPE__INIT;
	ev.handle = x->handle;
	switch (x->type) {
	case SMP_ACT_PROMPT:
		pr.kind = (Hive__SmpPrompt__Kind)x->prompt;
		pr.number = x->number;
		pr.timeout_ms = x->timeout_ms;
		smp_main_addr_out(&pa, &x->peer, abuf);
		pr.peer = &pa;
		ev.kind_case = HIVE__SMP_EVENT__KIND_PROMPT;
		ev.prompt = &pr;
		break;
	case SMP_ACT_COMPLETE:
		outcome_out(&pc, &pa, abuf, &x->outcome);
		ev.kind_case = HIVE__SMP_EVENT__KIND_COMPLETE;
		ev.complete = &pc;
		sr.value_case = HIVE__SMP_RESULT__VALUE_PAIRED;
		sr.paired = &pc;
		break;
	case SMP_ACT_FAILED:
		pf.reason = x->reason;
		pf.reason_name = (char *)(x->reason ? smp_reason_name(x->reason) : "timeout");
		pf.remote = x->remote;
		ev.kind_case = HIVE__SMP_EVENT__KIND_FAILED;
		ev.failed = &pf;
		break;
	case SMP_ACT_ENCRYPTED:
		en.enabled = x->enabled;
		en.key_size = x->key_size;
		en.status = x->hci_status;
		en.bonded_key = x->bonded_key;
		ev.kind_case = HIVE__SMP_EVENT__KIND_ENCRYPTED;
		ev.encrypted = &en;
		sr.value_case = HIVE__SMP_RESULT__VALUE_ENCRYPTED;
		sr.encrypted = &en;
		break;
	case SMP_ACT_OOB:
		if (oob_out(&od, &pa, abuf, x)) {
			sr.value_case = HIVE__SMP_RESULT__VALUE_OOB;
			sr.oob = &od;
		}
		break;
	case SMP_ACT_KEYPRESS:
		kp.handle = x->handle;
		kp.type = x->number;
		ev.kind_case = HIVE__SMP_EVENT__KIND_KEYPRESS;
		ev.keypress = &kp;
		break;
	case SMP_ACT_RESULT:
		if (x->deleted >= 0) {
			un.deleted = (uint32_t)x->deleted;
			sr.value_case = HIVE__SMP_RESULT__VALUE_UNPAIRED;
			sr.unpaired = &un;
		}
		break;
	default:
		return;
	}
	if (x->is_result) {
		res.id = x->request_id;
		res.status = x->status;
		res.domain = x->smp_domain ? HIVE__RESULT__DOMAIN__SMP : HIVE__RESULT__DOMAIN__LOCAL;
		res.error = (char *)x->error;
		if (sr.value_case != HIVE__SMP_RESULT__VALUE__NOT_SET && x->status == 0) {
			res.value_case = HIVE__RESULT__VALUE_SMP;
			res.smp = &sr;
		}
		env.body_case = HIVE__ENVELOPE__BODY_RESULT;
		env.result = &res;
	} else {
		env.body_case = HIVE__ENVELOPE__BODY_SMP_EVENT;
		env.smp_event = &ev;
	}
	smp_main_send(m, x->dest, &env);
}

static void do_act(struct smp_main *m, const struct smp_act *x, bool *keys_changed)
{
	Hive__Envelope env = HIVE__ENVELOPE__INIT;
	Hive__ChannelPdu pdu = HIVE__CHANNEL_PDU__INIT;
	Hive__Request req = HIVE__REQUEST__INIT;
	Hive__StartEncryption se = HIVE__START_ENCRYPTION__INIT;
	Hive__LtkReply lr = HIVE__LTK_REPLY__INIT;
	Hive__HciCommand hc = HIVE__HCI_COMMAND__INIT;
	uint8_t key[16], rnd[8], params[3];
	switch (x->type) {
	case SMP_ACT_PDU:
		HLOG_DEBUG(m->a, ">>> %s conn=0x%04x len=%u", smp_code_name(x->pdu[0]), x->handle,
			   x->len);
		pdu.handle = x->handle;
		pdu.cid = SMP_CID;
		pdu.payload.data = (uint8_t *)x->pdu;
		pdu.payload.len = x->len;
		env.body_case = HIVE__ENVELOPE__BODY_PDU;
		env.pdu = &pdu;
		smp_main_send(m, m->l2cap, &env);
		break;
	case SMP_ACT_START_ENC:
		smp_main_rev(key, x->key, 16);
		for (int i = 0; i < 8; i++)
			rnd[i] = (uint8_t)(x->rand >> (8 * i));
		se.handle = x->handle;
		se.ltk.data = key;
		se.ltk.len = 16;
		se.ediv = x->ediv;
		se.rand.data = rnd;
		se.rand.len = 8;
		se.key_size = x->key_size;
		req.op_case = HIVE__REQUEST__OP_START_ENCRYPTION;
		req.start_encryption = &se;
		send_request(m, x->handle, &req);
		break;
	case SMP_ACT_LTK_REPLY:
		smp_main_rev(key, x->key, 16);
		lr.handle = x->handle;
		lr.found = x->found;
		lr.key_size = x->found ? x->key_size : 0;
		if (x->found) {
			lr.ltk.data = key;
			lr.ltk.len = 16;
		}
		req.op_case = HIVE__REQUEST__OP_LTK_REPLY;
		req.ltk_reply = &lr;
		send_request(m, x->handle, &req);
		break;
	case SMP_ACT_DISCONNECT:
		HLOG_WARN(m->a, "conn=0x%04x: SMP timeout, disconnecting", x->handle);
		params[0] = (uint8_t)x->handle;
		params[1] = (uint8_t)(x->handle >> 8);
		params[2] = HCI_REMOTE_USER_TERMINATED;
		hc.opcode = HCI_DISCONNECT;
		hc.params.data = params;
		hc.params.len = 3;
		req.op_case = HIVE__REQUEST__OP_HCI_COMMAND;
		req.hci_command = &hc;
		send_request(m, x->handle, &req);
		break;
	case SMP_ACT_KEYS_CHANGED:
		*keys_changed = true;
		break;
	default:
		send_app(m, x);
		break;
	}
}

static void on_timer(struct hive_actor *a, void *arg);

/* Once per input: the outbox out, the snapshot and the timer up to date. */
void smp_main_flush(struct smp_main *m)
{
	bool keys_changed = false;
	if (m->s.log[0])
		HLOG_WARN(m->a, "%s", m->s.log);
	if (m->s.overflow)
		HLOG_ERROR(m->a, "outbox overflow: actions were lost");
	for (unsigned i = 0; i < m->s.nout; i++)
		do_act(m, &m->s.out[i], &keys_changed);
	smp_bredr_send(&m->bredr, m->a, m->host, &m->next_id);
	smp_gatt_note_acts(&m->sg, &m->s);
	smp_actor_out_clear(&m->s);
	smp_gatt_update(&m->sg, &m->s);
	if (keys_changed)
		send_key_lists(m);

	uint8_t snap[SMP_SNAPSHOT_MAX];
	size_t n = smp_actor_snapshot(&m->s, snap, sizeof snap);
	if (n && (n != m->snap_len || memcmp(snap, m->snap, n) != 0)) {
		memcpy(m->snap, snap, n);
		m->snap_len = n;
		hive_snapshot_save(m->a, snap, n);
	}

	uint64_t due = smp_actor_next_deadline(&m->s), bdue = smp_bredr_deadline(&m->bredr);
	if (bdue && (!due || bdue < due))
		due = bdue;
	if (due != m->timer_due) {
		if (m->timer > 0)
			hive_timer_cancel(m->a, m->timer);
		m->timer = 0;
		m->timer_due = due;
		if (due) {
			uint64_t now = now_ms(NULL);
			m->timer = hive_timer_start(m->a, due > now ? due - now : 0, 0, on_timer, m);
		}
	}
}

static void on_timer(struct hive_actor *a, void *arg)
{
	struct smp_main *m = arg;
	m->timer = 0;
	m->timer_due = 0;
	smp_actor_tick(&m->s);
	smp_bredr_tick(&m->bredr, &m->s, now_ms(NULL));
	smp_main_flush(m);
}

/* ---- messages -> calls ---------------------------------------------------------------------- */

static void on_link(struct hive_actor *a, const char *source, const Hive__Envelope *env, void *arg)
{
	struct smp_main *m = arg;
	const Hive__LinkEvent *le = env->link;
	if (smp_bredr_on_link(&m->bredr, le)) {
		smp_main_flush(m);
		return;
	}
	uint16_t handle = (uint16_t)(le->handle & 0x0fff);
	struct smp_addr own, peer;
	switch (le->kind_case) {
	case HIVE__LINK_EVENT__KIND_CONNECTED:
		addr_in(le->connected->own, &own);
		addr_in(le->connected->peer, &peer);
		if (smp_scope_learn(&m->sg, &own))
			send_key_lists(m); /* now without other stacks' bonds */
		smp_actor_connected(&m->s, handle,
				    le->connected->role == HIVE__CONNECTED__ROLE__PERIPHERAL
					    ? SMP_ROLE_RESPONDER
					    : SMP_ROLE_INITIATOR,
				    &own, &peer);
		break;
	case HIVE__LINK_EVENT__KIND_DISCONNECTED:
		smp_actor_disconnected(&m->s, handle, (uint8_t)le->disconnected->reason);
		break;
	case HIVE__LINK_EVENT__KIND_ENCRYPTION_CHANGED:
		smp_actor_encryption_changed(&m->s, handle,
					     (uint8_t)le->encryption_changed->status,
					     le->encryption_changed->enabled,
					     (uint8_t)le->encryption_changed->key_size);
		break;
	case HIVE__LINK_EVENT__KIND_LTK_REQUESTED: {
		const Hive__LtkRequested *q = le->ltk_requested;
		uint64_t r = 0;
		for (size_t i = 0; i < q->rand.len && i < 8; i++)
			r |= (uint64_t)q->rand.data[i] << (8 * i);
		smp_actor_ltk_requested(&m->s, handle, r, (uint16_t)q->ediv);
		break;
	}
	default:
		return;
	}
	smp_main_flush(m);
}

/* A BR/EDR security event from host (smp_bredr.c answers it). */
static void on_bredr(struct hive_actor *a, const char *source, const Hive__Envelope *env,
		     void *arg)
{
	struct smp_main *m = arg;
	/* Link keys come in these: only the host's are believed. */
	if (strcmp(source, m->host) != 0) {
		HLOG_WARN(a, "BR/EDR event from %s ignored: only %s sends them", source, m->host);
		return;
	}
	smp_bredr_on_event(&m->bredr, &m->s, env->bredr_event);
	smp_main_flush(m);
}

static void on_pdu(struct hive_actor *a, const char *source, const Hive__Envelope *env, void *arg)
{
	struct smp_main *m = arg;
	const Hive__ChannelPdu *p = env->pdu;
	if (p->cid != SMP_CID) {
		HLOG_DEBUG(a, "PDU on CID 0x%04x from %s ignored (LE SMP only)", p->cid, source);
		return;
	}
	HLOG_DEBUG(a, "<<< %s conn=0x%04x len=%zu",
		   p->payload.len ? smp_code_name(p->payload.data[0]) : "empty", p->handle,
		   p->payload.len);
	smp_actor_pdu(&m->s, (uint16_t)(p->handle & 0x0fff), p->payload.data, p->payload.len);
	smp_main_flush(m);
}

/* The host's answers to start_encryption / ltk_reply / hci_command. */
static void on_result(struct hive_actor *a, const char *source, const Hive__Envelope *env,
		      void *arg)
{
	struct smp_main *m = arg;
	const Hive__Result *r = env->result;
	bool learned;
	if (smp_scope_on_result(&m->sg, r, &learned)) {
		if (learned)
			send_key_lists(m);
		return;
	}
	if (r->status == 0)
		return;
	uint16_t handle = (uint16_t)(r->id & 0xffff);
	HLOG_WARN(a, "%s refused our request for conn=0x%04x: %d %s", source, handle, r->status,
		  r->error ? r->error : "");
	/* Encryption will not happen: the link's pairing or encrypt fails now
	 * rather than at the SMP timeout. */
	struct smp_link *l = smp_actor_link(&m->s, handle);
	if (l && (l->p.state == SMP_ST_WAIT_ENCRYPTION || l->ask == SMP_ASK_ENCRYPT))
		smp_actor_encryption_changed(&m->s, handle, 0x1f, false, 0);
	smp_main_flush(m);
}

/* ---- configuration ---------------------------------------------------------------------------- */

static int config_bool(struct smp_main *m, const char *key, bool def, bool *out)
{
	int err = 0;
	uint64_t v = hive_config_u64(m->a, key, def, &err);
	if (err || v > 1) {
		HLOG_ERROR(m->a, "--set %s=%s: expected 0 or 1", key, hive_config(m->a, key));
		return -EINVAL;
	}
	*out = v != 0;
	return 0;
}

static int config_name(struct smp_main *m, const char *key, char *out)
{
	const char *v = hive_config(m->a, key);
	if (!v)
		v = key;
	if (!hive_name_valid(v)) {
		HLOG_ERROR(m->a, "--set %s=%s: not an actor name", key, v);
		return -EINVAL;
	}
	snprintf(out, HIVE_NAME_MAX + 1, "%s", v);
	return 0;
}

static int mkdirs(char *path)
{
	for (char *p = path + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		int rc = mkdir(path, 0700);
		*p = '/';
		if (rc < 0 && errno != EEXIST)
			return -errno;
	}
	return 0;
}

static int open_store(struct smp_main *m)
{
	char path[4096], err[512];
	const char *ks = hive_config(m->a, "keystore");
	const char *xdg = getenv("XDG_DATA_HOME"), *home = getenv("HOME");
	if (ks)
		snprintf(path, sizeof path, "%s", ks);
	else if (xdg && *xdg)
		snprintf(path, sizeof path, "%s/hive/bonds.sqlite3", xdg);
	else if (home && *home)
		snprintf(path, sizeof path, "%s/.local/share/hive/bonds.sqlite3", home);
	else {
		HLOG_ERROR(m->a, "no place for the bond store: set --set keystore=PATH, "
				 "$XDG_DATA_HOME or $HOME");
		return -EINVAL;
	}
	if (!ks && mkdirs(path) < 0) {
		HLOG_ERROR(m->a, "cannot create the folder of %s: %s", path, strerror(errno));
		return -EIO;
	}
	int rc = smp_bonds_open(&m->store, path, err, sizeof err);
	if (rc < 0) {
		HLOG_ERROR(m->a, "%s", err);
		return rc;
	}
	if (smp_bredr_open(&m->bredr, path, err, sizeof err) < 0) {
		HLOG_ERROR(m->a, "%s", err);
		return -EIO;
	}
	HLOG_INFO(m->a, "bond store %s", path);
	return 0;
}

static int configure(struct smp_main *m, struct smp_settings *s)
{
	const char *v;
	bool sc, mitm, bonding, cjw, keypress;
	int err = 0;
	smp_settings_default(s);
	if (config_name(m, "l2cap", m->l2cap) < 0 || config_name(m, "host", m->host) < 0 ||
	    config_name(m, "gatt", m->gatt) < 0)
		return -EINVAL;
	if ((v = hive_config(m->a, "io_cap")) && smp_io_cap_parse(v, &s->cfg.io_cap) < 0) {
		HLOG_ERROR(m->a, "--set io_cap=%s: expected display_only, display_yes_no, "
				 "keyboard_only, no_input_no_output or keyboard_display", v);
		return -EINVAL;
	}
	if (config_bool(m, "sc", true, &sc) < 0 || config_bool(m, "mitm", false, &mitm) < 0 ||
	    config_bool(m, "bonding", true, &bonding) < 0 ||
	    config_bool(m, "confirm_just_works", false, &cjw) < 0 ||
	    config_bool(m, "auto_encrypt", false, &s->auto_encrypt) < 0 ||
	    config_bool(m, "pair_on_security_request", true, &s->pair_on_security_request) < 0 ||
	    config_bool(m, "keypress", false, &keypress) < 0 ||
	    config_bool(m, "ask_oob", true, &s->cfg.ask_oob) < 0 ||
	    config_bool(m, "sc_only", false, &s->cfg.sc_only) < 0)
		return -EINVAL;
	s->cfg.auth_req = (uint8_t)((sc ? SMP_AUTH_SC : 0) | (mitm ? SMP_AUTH_MITM : 0) |
				    (bonding ? SMP_AUTH_BONDING : 0) | (keypress ? SMP_AUTH_KEYPRESS : 0));
	s->cfg.require_mitm = mitm;
	s->cfg.confirm_just_works = cjw;
	s->cfg.min_key_size = (uint8_t)hive_config_u64(m->a, "min_key_size", 7, &err);
	s->cfg.max_key_size = (uint8_t)hive_config_u64(m->a, "max_key_size", 16, &err);
	s->prompt_timeout_ms =
		(uint32_t)hive_config_u64(m->a, "prompt_timeout_ms", SMP_PROMPT_TIMEOUT_MS, &err);
	/* Repeated Attempts: the first wait after a failed pairing and the cap. */
	uint64_t rb = hive_config_u64(m->a, "retry_base_ms", SMP_RETRY_BASE_MS, &err);
	uint64_t rm = hive_config_u64(m->a, "retry_max_ms", SMP_RETRY_MAX_MS, &err);
	uint64_t ol = hive_config_u64(m->a, "oob_lifetime_ms", SMP_OOB_LIFETIME_MS, &err);
	if (err || rb == 0 || rm < rb || rm > 86400000u || ol == 0 || ol > 86400000u) {
		HLOG_ERROR(m->a, "retry_base_ms <= retry_max_ms (at most a day, not 0) and "
				 "oob_lifetime_ms (1 ms to a day) are numbers of milliseconds");
		return -EINVAL;
	}
	s->cfg.retry_base_ms = (uint32_t)rb;
	s->cfg.retry_max_ms = (uint32_t)rm;
	s->oob_lifetime_ms = (uint32_t)ol;
	if (err || s->cfg.min_key_size < 7 || s->cfg.max_key_size > 16 ||
	    s->cfg.min_key_size > s->cfg.max_key_size || s->prompt_timeout_ms == 0) {
		HLOG_ERROR(m->a, "min_key_size/max_key_size are 7..16 (min <= max) and "
				 "prompt_timeout_ms is a positive number");
		return -EINVAL;
	}
	if ((v = hive_config(m->a, "pairing_policy")) &&
	    smp_policy_parse(v, &s->policy, &s->policy_passkey) < 0) {
		HLOG_ERROR(m->a, "--set pairing_policy=%s: expected accept, reject or passkey:N", v);
		return -EINVAL;
	}
	if ((v = hive_config(m->a, "identity"))) {
		if (smp_addr_parse(v, &s->identity) < 0) {
			HLOG_ERROR(m->a, "--set identity=%s: expected public:AA:BB:CC:DD:EE:FF or "
					 "random:...", v);
			return -EINVAL;
		}
		s->identity_set = true;
	}
	return 0;
}

int main(int argc, char **argv)
{
	struct smp_main *m = calloc(1, sizeof *m);
	struct smp_settings set;
	int rc = 1;
	if (!m)
		return 1;
	hive_signals_install();
	if (hive_actor_from_args(&m->a, argc, argv, "smp", NULL) < 0)
		goto out;
	if (configure(m, &set) < 0 || open_store(m) < 0)
		goto out;
	struct smp_ops ops = { rand_bytes, now_ms, m };
	smp_actor_init(&m->s, &set, m->store, &ops);
	smp_gatt_init(&m->sg, m->a, m->gatt, m->store, &m->s);
	if (set.identity_set)
		smp_bonds_set_scope(m->store, &set.identity);
	else
		smp_scope_ask_host(&m->sg, m->host);
	size_t snap_len = 0;
	const uint8_t *snap = hive_actor_snapshot(m->a, &snap_len);
	if (snap && snap_len) {
		int n = smp_actor_restore(&m->s, snap, snap_len);
		if (n < 0)
			HLOG_WARN(m->a, "the snapshot of the link table is unreadable: links start "
					"unknown");
		else
			HLOG_INFO(m->a, "restarted with %d link(s) from the snapshot", n);
	}
	hive_on(m->a, HIVE__ENVELOPE__BODY_LINK, on_link, m);
	hive_on(m->a, HIVE__ENVELOPE__BODY_BREDR_EVENT, on_bredr, m);
	hive_on(m->a, HIVE__ENVELOPE__BODY_PDU, on_pdu, m);
	hive_on(m->a, HIVE__ENVELOPE__BODY_REQUEST, smp_main_on_request, m);
	hive_on(m->a, HIVE__ENVELOPE__BODY_RESULT, on_result, m);
	smp_main_flush(m);
	send_key_lists(m);
	if (hive_actor_ready(m->a) < 0)
		goto out;
	rc = hive_run(m->a) < 0;
out:
	smp_bredr_close(&m->bredr);
	smp_bonds_close(&m->store);
	hive_actor_destroy(&m->a);
	free(m);
	return rc;
}
