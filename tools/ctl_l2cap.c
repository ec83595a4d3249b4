/* hive-ctl commands of the l2cap actor: credit based channels by hand.
 *
 *   l2cap listen SPSM [--mtu N] [--mps N] [--credits N]
 *   l2cap open SPSM [--mtu N] [--mps N] [--credits N] [--conn HANDLE] [--count N]
 *   l2cap send CHANNEL HEX|@FILE       (a file goes as SDUs of the peer's MTU)
 *   l2cap close CHANNEL
 *   l2cap recv [--count N] [--timeout S]   wait for N SDUs (default 1)
 *   l2cap channels                     the channel table
 *   l2cap conn-update [--conn HANDLE] INTERVAL_MIN INTERVAL_MAX LATENCY TIMEOUT
 *                                      (peripheral; units of 1.25 ms and 10 ms)
 *
 * Every subcommand takes --to ACTOR (default l2cap). CHANNEL is a local CID,
 * or HANDLE:CID. Events (channels opened, SDUs received, closed) are
 * printed as they arrive while hive-ctl waits in any command; the listener
 * and the channels belong to this hive-ctl and end with it. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl.h"

#define L2_TIMEOUT_MS 10000
#define L2_CONNECT_TIMEOUT_MS 35000 /* beyond l2cap's RTX */

struct l2_opts {
	const char *to;
	long mtu, mps, credits, conn, count;
	double timeout_s;
	const char *pos[5];
	int npos;
};

/* What the loop waits for. */
struct l2_wait {
	uint64_t id;
	bool done;
	Hive__Result *result; /* deep copy */
	unsigned sdus;
	bool writable;
	struct ctl *c;
};

/* Printed whenever an event arrives (installed on the actor at first use). */
static void on_event(struct hive_actor *a, const char *source, const Hive__Envelope *env,
		     void *arg)
{
	struct l2_wait *w = arg;
	const Hive__L2capEvent *ev = env->l2cap_event;
	bool json = w->c->json;
	switch (ev->kind_case) {
	case HIVE__L2CAP_EVENT__KIND_OPENED: {
		const Hive__L2capChannelInfo *ci = ev->opened->channel;
		if (json)
			ctl_print_json(json_pack("{s:s, s:i, s:i, s:i, s:i, s:i}", "event", "opened",
						 "handle", (int)ci->handle, "cid", (int)ci->cid, "spsm",
						 (int)ci->spsm, "peer_mtu", (int)ci->peer_mtu,
						 "peer_mps", (int)ci->peer_mps));
		else
			printf("opened 0x%04x:0x%04x spsm 0x%02x peer mtu %u mps %u\n", ci->handle,
			       ci->cid, ci->spsm, ci->peer_mtu, ci->peer_mps);
		break;
	}
	case HIVE__L2CAP_EVENT__KIND_SDU: {
		const Hive__L2capChannelSdu *s = ev->sdu;
		w->sdus++;
		if (json) {
			char *h = ctl_hex_str(s->sdu.data, s->sdu.len);
			ctl_print_json(json_pack("{s:s, s:i, s:i, s:i, s:s}", "event", "sdu", "handle",
						 (int)s->handle, "cid", (int)s->cid, "len",
						 (int)s->sdu.len, "data", h ? h : ""));
			free(h);
		} else {
			printf("sdu 0x%04x:0x%04x len %zu ", s->handle, s->cid, s->sdu.len);
			ctl_hex_print(s->sdu.data, s->sdu.len);
			printf("\n");
		}
		break;
	}
	case HIVE__L2CAP_EVENT__KIND_CLOSED:
		if (json)
			ctl_print_json(json_pack("{s:s, s:i, s:i, s:i, s:i}", "event", "closed",
						 "handle", (int)ev->closed->handle, "cid",
						 (int)ev->closed->cid, "status", ev->closed->status,
						 "unsent", (int)ev->closed->unsent));
		else
			printf("closed 0x%04x:0x%04x (%s) unsent %u\n", ev->closed->handle,
			       ev->closed->cid, ev->closed->status ? strerror(-ev->closed->status)
								   : "asked for",
			       ev->closed->unsent);
		break;
	case HIVE__L2CAP_EVENT__KIND_WRITABLE:
		w->writable = true;
		return;
	default:
		return;
	}
	fflush(stdout);
}

static void on_result(struct hive_actor *a, const char *source, const Hive__Envelope *env,
		      void *arg)
{
	struct l2_wait *w = arg;
	if (env->result->id != w->id || w->done)
		return;
	w->result = ctl_copy(&env->result->base);
	w->done = true;
}

/* Runs the loop until *flag or the timeout. */
static bool run_until(struct ctl *c, const bool *flag, const unsigned *count, unsigned want,
		      int timeout_ms)
{
	uint64_t deadline = hive_now_ns() + (uint64_t)timeout_ms * 1000000ull;
	for (;;) {
		if ((flag && *flag) || (count && *count >= want))
			return true;
		uint64_t now = hive_now_ns();
		if (now >= deadline || hive_actor_stopping(c->actor))
			return false;
		if (hive_run_once(c->actor, (int)((deadline - now) / 1000000ull) + 1) < 0)
			return false;
	}
}

/* Sends one L2capRequest and waits for its Result (NULL on timeout). The
 * caller frees it with hive__result__free_unpacked. */
static Hive__Result *request(struct ctl *c, struct l2_wait *w, const char *to,
			     Hive__L2capRequest *q, int timeout_ms)
{
	timeout_ms = ctl_timeout_ms(c, timeout_ms);
	Hive__Request r = HIVE__REQUEST__INIT;
	Hive__Envelope env = HIVE__ENVELOPE__INIT;
	w->id = c->next_request_id++;
	w->done = false;
	w->result = NULL;
	r.id = w->id;
	r.op_case = HIVE__REQUEST__OP_L2CAP;
	r.l2cap = q;
	env.body_case = HIVE__ENVELOPE__BODY_REQUEST;
	env.request = &r;
	hive_on(c->actor, HIVE__ENVELOPE__BODY_RESULT, on_result, w);
	if (hive_send(c->actor, to, &env) == 0)
		run_until(c, &w->done, NULL, 0, timeout_ms);
	hive_on(c->actor, HIVE__ENVELOPE__BODY_RESULT, NULL, NULL);
	return w->result;
}

static int parse_long(const char *s, long *out, long min, long max)
{
	char *end;
	errno = 0;
	long v = strtol(s, &end, 0);
	if (errno || end == s || *end || v < min || v > max)
		return -1;
	*out = v;
	return 0;
}

static int parse_opts(struct ctl *c, const char *cmd, int argc, char **argv, struct l2_opts *o)
{
	*o = (struct l2_opts){ .to = "l2cap", .conn = -1, .count = -1, .timeout_s = 10 };
	for (int i = 2; i < argc; i++) {
		const char *k = argv[i];
		long *dst = NULL, max = 65535, min = 0;
		if (strcmp(k, "--to") == 0 && i + 1 < argc) {
			o->to = argv[++i];
			continue;
		}
		if (strcmp(k, "--timeout") == 0 && i + 1 < argc) {
			char *end;
			o->timeout_s = strtod(argv[++i], &end);
			if (*end || o->timeout_s <= 0 || o->timeout_s > 86400)
				return ctl_fail(c, cmd, "--timeout %s: expected seconds", argv[i]);
			continue;
		}
		if (strcmp(k, "--mtu") == 0)
			dst = &o->mtu, min = 23;
		else if (strcmp(k, "--mps") == 0)
			dst = &o->mps, min = 23, max = 65533;
		else if (strcmp(k, "--credits") == 0)
			dst = &o->credits, min = 1;
		else if (strcmp(k, "--conn") == 0)
			dst = &o->conn, max = 0x0eff;
		else if (strcmp(k, "--count") == 0)
			dst = &o->count, min = 1, max = 1000000;
		if (dst) {
			if (i + 1 >= argc || parse_long(argv[++i], dst, min, max) < 0)
				return ctl_fail(c, cmd, "%s: expected a number in %ld..%ld", k, min,
						max);
			continue;
		}
		if (k[0] == '-' && k[1] == '-')
			return ctl_fail(c, cmd, "unknown option %s", k);
		if (o->npos == 5)
			return ctl_fail(c, cmd, "too many arguments");
		o->pos[o->npos++] = k;
	}
	if (!hive_name_valid(o->to))
		return ctl_fail(c, cmd, "--to %s: not an actor name", o->to);
	return 0;
}

static int fail_result(struct ctl *c, const char *cmd, const Hive__Result *r, const char *to)
{
	if (!r)
		return ctl_fail(c, cmd, "%s did not answer (is it running? --to names it)", to);
	return ctl_fail_result(c, cmd, to, r);
}

/* The table, or NULL (reported). */
static Hive__Result *table(struct ctl *c, struct l2_wait *w, const char *cmd, const char *to)
{
	Hive__L2capTableQuery tq = HIVE__L2CAP_TABLE_QUERY__INIT;
	Hive__L2capRequest q = HIVE__L2CAP_REQUEST__INIT;
	q.op_case = HIVE__L2CAP_REQUEST__OP_TABLE;
	q.table = &tq;
	Hive__Result *r = request(c, w, to, &q, L2_TIMEOUT_MS);
	if (!r || r->status || r->value_case != HIVE__RESULT__VALUE_L2CAP ||
	    r->l2cap->value_case != HIVE__L2CAP_RESULT__VALUE_TABLE) {
		fail_result(c, cmd, r, to);
		hive__result__free_unpacked(r, NULL);
		return NULL;
	}
	return r;
}

/* The link to use: --conn, or the only one l2cap has. */
static int pick_conn(struct ctl *c, struct l2_wait *w, const char *cmd, const struct l2_opts *o)
{
	if (o->conn >= 0)
		return (int)o->conn;
	Hive__Result *r = table(c, w, cmd, o->to);
	if (!r)
		return -1;
	const Hive__L2capTable *t = r->l2cap->table;
	int h = t->n_links == 1 ? (int)t->links[0]->handle : -1;
	if (h < 0)
		ctl_fail(c, cmd, "%s has %zu links: say which with --conn HANDLE", o->to, t->n_links);
	hive__result__free_unpacked(r, NULL);
	return h;
}

/* CHANNEL as HANDLE:CID, or a CID looked up in the table; the peer's MTU
 * too when asked. Returns 0 or -1 (reported). */
static int pick_channel(struct ctl *c, struct l2_wait *w, const char *cmd,
			const struct l2_opts *o, const char *s, uint32_t *handle, uint32_t *cid,
			uint32_t *peer_mtu)
{
	long h = -1, k;
	const char *colon = strchr(s, ':');
	char hs[16];
	if (colon && (size_t)(colon - s) < sizeof hs) {
		memcpy(hs, s, (size_t)(colon - s));
		hs[colon - s] = '\0';
		if (parse_long(hs, &h, 0, 0x0eff) < 0)
			return ctl_fail(c, cmd, "%s: expected CID or HANDLE:CID", s);
		s = colon + 1;
	}
	if (parse_long(s, &k, 0x40, 0x7f) < 0)
		return ctl_fail(c, cmd, "%s: expected a CID in 0x40..0x7f", s);
	Hive__Result *r = table(c, w, cmd, o->to);
	if (!r)
		return -1;
	const Hive__L2capTable *t = r->l2cap->table;
	const Hive__L2capChannelInfo *found = NULL;
	size_t n = 0;
	for (size_t i = 0; i < t->n_channels; i++) {
		const Hive__L2capChannelInfo *ci = t->channels[i];
		if (ci->cid == (uint32_t)k && (h < 0 || ci->handle == (uint32_t)h)) {
			found = ci;
			n++;
		}
	}
	int rc = 0;
	if (n != 1) {
		rc = ctl_fail(c, cmd, n ? "CID 0x%02lx is open on several links: say HANDLE:CID"
				       : "no channel 0x%02lx at %s", k, o->to);
	} else {
		*handle = found->handle;
		*cid = found->cid;
		if (peer_mtu)
			*peer_mtu = found->peer_mtu;
	}
	hive__result__free_unpacked(r, NULL);
	return rc;
}

static void params(Hive__L2capCocParams *p, const struct l2_opts *o)
{
	hive__l2cap_coc_params__init(p);
	p->mtu = (uint32_t)o->mtu;
	p->mps = (uint32_t)o->mps;
	p->credits = (uint32_t)o->credits;
}

static int ok(struct ctl *c, const char *cmd, const char *text)
{
	if (c->json)
		ctl_print_json(json_pack("{s:s, s:b}", "command", cmd, "ok", 1));
	else if (text)
		printf("%s\n", text);
	fflush(stdout);
	return 0;
}

static int cmd_listen(struct ctl *c, struct l2_wait *w, const struct l2_opts *o)
{
	long spsm;
	if (o->npos != 1 || parse_long(o->pos[0], &spsm, 1, 0xff) < 0)
		return ctl_fail(c, "l2cap listen", "usage: l2cap listen SPSM (0x01..0xff)");
	Hive__L2capCocParams rx;
	params(&rx, o);
	Hive__L2capListen ls = HIVE__L2CAP_LISTEN__INIT;
	ls.spsm = (uint32_t)spsm;
	ls.rx = &rx;
	Hive__L2capRequest q = HIVE__L2CAP_REQUEST__INIT;
	q.op_case = HIVE__L2CAP_REQUEST__OP_LISTEN;
	q.listen = &ls;
	Hive__Result *r = request(c, w, o->to, &q, L2_TIMEOUT_MS);
	int rc = !r || r->status ? fail_result(c, "l2cap listen", r, o->to) : 0;
	hive__result__free_unpacked(r, NULL);
	if (rc == 0) {
		char text[64];
		snprintf(text, sizeof text, "listening on spsm 0x%02lx", spsm);
		ok(c, "l2cap listen", text);
	}
	return rc;
}

static int cmd_open(struct ctl *c, struct l2_wait *w, const struct l2_opts *o)
{
	long spsm;
	if (o->npos != 1 || parse_long(o->pos[0], &spsm, 1, 0xff) < 0 || o->count > 5)
		return ctl_fail(c, "l2cap open", "usage: l2cap open SPSM [--count 1..5] ...");
	int h = pick_conn(c, w, "l2cap open", o);
	if (h < 0)
		return -1;
	Hive__L2capCocParams rx;
	params(&rx, o);
	Hive__L2capConnect cn = HIVE__L2CAP_CONNECT__INIT;
	cn.handle = (uint32_t)h;
	cn.spsm = (uint32_t)spsm;
	cn.rx = &rx;
	cn.count = o->count > 0 ? (uint32_t)o->count : 0;
	Hive__L2capRequest q = HIVE__L2CAP_REQUEST__INIT;
	q.op_case = HIVE__L2CAP_REQUEST__OP_CONNECT;
	q.connect = &cn;
	Hive__Result *r = request(c, w, o->to, &q, L2_CONNECT_TIMEOUT_MS);
	if (!r || r->status || r->value_case != HIVE__RESULT__VALUE_L2CAP) {
		int rc = fail_result(c, "l2cap open", r, o->to);
		hive__result__free_unpacked(r, NULL);
		return rc;
	}
	const Hive__L2capConnected *cd = r->l2cap->connected;
	for (size_t i = 0; i < cd->n_channels; i++) {
		const Hive__L2capChannelInfo *ci = cd->channels[i];
		if (c->json)
			ctl_print_json(json_pack("{s:s, s:b, s:i, s:i, s:i, s:i}", "command",
						 "l2cap open", "ok", 1, "handle", (int)ci->handle,
						 "cid", (int)ci->cid, "peer_mtu", (int)ci->peer_mtu,
						 "peer_mps", (int)ci->peer_mps));
		else
			printf("channel 0x%04x:0x%04x open, peer mtu %u mps %u\n", ci->handle,
			       ci->cid, ci->peer_mtu, ci->peer_mps);
	}
	fflush(stdout);
	hive__result__free_unpacked(r, NULL);
	return 0;
}

/* One SDU; waits for writable and resends (resume) when the queue is full. */
static int send_one(struct ctl *c, struct l2_wait *w, const struct l2_opts *o, uint32_t handle,
		    uint32_t cid, const uint8_t *p, size_t n)
{
	Hive__L2capSend sd = HIVE__L2CAP_SEND__INIT;
	sd.handle = handle;
	sd.cid = cid;
	sd.sdu.data = (uint8_t *)p;
	sd.sdu.len = n;
	Hive__L2capRequest q = HIVE__L2CAP_REQUEST__INIT;
	q.op_case = HIVE__L2CAP_REQUEST__OP_SEND;
	q.send = &sd;
	for (;;) {
		w->writable = false;
		Hive__Result *r = request(c, w, o->to, &q, L2_TIMEOUT_MS);
		int status = r ? r->status : -ETIMEDOUT;
		if (status == -EAGAIN) {
			hive__result__free_unpacked(r, NULL);
			if (!run_until(c, &w->writable, NULL, 0, L2_TIMEOUT_MS))
				return ctl_fail(c, "l2cap send", "the channel stayed full");
			sd.resume = true;
			continue;
		}
		int rc = status ? fail_result(c, "l2cap send", r, o->to) : 0;
		hive__result__free_unpacked(r, NULL);
		return rc;
	}
}

static int cmd_send(struct ctl *c, struct l2_wait *w, const struct l2_opts *o)
{
	uint32_t handle, cid, mtu;
	if (o->npos != 2)
		return ctl_fail(c, "l2cap send", "usage: l2cap send CHANNEL HEX|@FILE");
	if (pick_channel(c, w, "l2cap send", o, o->pos[0], &handle, &cid, &mtu) < 0)
		return -1;
	const char *arg = o->pos[1];
	uint8_t *data = NULL;
	size_t len = 0;
	if (arg[0] == '@') {
		FILE *f = fopen(arg + 1, "rb");
		if (!f)
			return ctl_fail(c, "l2cap send", "%s: %s", arg + 1, strerror(errno));
		size_t cap = 0;
		for (;;) {
			if (len == cap) {
				cap = cap ? 2 * cap : 65536;
				uint8_t *d = realloc(data, cap);
				if (!d)
					break;
				data = d;
			}
			size_t got = fread(data + len, 1, cap - len, f);
			if (got == 0)
				break;
			len += got;
		}
		fclose(f);
	} else {
		size_t n = strlen(arg);
		if (n % 2 || !(data = malloc(n / 2 + 1)))
			return ctl_fail(c, "l2cap send", "%s: expected hex bytes or @FILE", arg);
		for (size_t i = 0; i < n / 2; i++) {
			unsigned v;
			if (sscanf(arg + 2 * i, "%2x", &v) != 1) {
				free(data);
				return ctl_fail(c, "l2cap send", "%s: expected hex bytes", arg);
			}
			data[i] = (uint8_t)v;
		}
		len = n / 2;
	}
	int rc = 0;
	size_t sdus = 0, off = 0;
	do {
		size_t n = len - off < mtu ? len - off : mtu;
		rc = send_one(c, w, o, handle, cid, data ? data + off : NULL, n);
		off += n;
		sdus++;
	} while (rc == 0 && off < len);
	free(data);
	if (rc == 0) {
		char text[96];
		snprintf(text, sizeof text, "sent %zu bytes in %zu SDU(s)", len, sdus);
		ok(c, "l2cap send", text);
	}
	return rc;
}

static int cmd_close(struct ctl *c, struct l2_wait *w, const struct l2_opts *o)
{
	uint32_t handle, cid;
	if (o->npos != 1)
		return ctl_fail(c, "l2cap close", "usage: l2cap close CHANNEL");
	if (pick_channel(c, w, "l2cap close", o, o->pos[0], &handle, &cid, NULL) < 0)
		return -1;
	Hive__L2capDisconnect d = HIVE__L2CAP_DISCONNECT__INIT;
	d.handle = handle;
	d.cid = cid;
	Hive__L2capRequest q = HIVE__L2CAP_REQUEST__INIT;
	q.op_case = HIVE__L2CAP_REQUEST__OP_DISCONNECT;
	q.disconnect = &d;
	Hive__Result *r = request(c, w, o->to, &q, L2_TIMEOUT_MS);
	int rc = !r || r->status ? fail_result(c, "l2cap close", r, o->to) : 0;
	hive__result__free_unpacked(r, NULL);
	return rc ? rc : ok(c, "l2cap close", NULL);
}

static int cmd_recv(struct ctl *c, struct l2_wait *w, const struct l2_opts *o)
{
	unsigned want = o->count > 0 ? (unsigned)o->count : 1;
	if (o->npos)
		return ctl_fail(c, "l2cap recv", "usage: l2cap recv [--count N] [--timeout S]");
	if (!run_until(c, NULL, &w->sdus, want, (int)(o->timeout_s * 1000)))
		return ctl_fail(c, "l2cap recv", "%u of %u SDU(s) within %.1f s", w->sdus, want,
				o->timeout_s);
	return ok(c, "l2cap recv", NULL);
}

static int cmd_channels(struct ctl *c, struct l2_wait *w, const struct l2_opts *o)
{
	Hive__Result *r = table(c, w, "l2cap channels", o->to);
	if (!r)
		return -1;
	const Hive__L2capTable *t = r->l2cap->table;
	static const char *const states[] = { "?", "connecting", "open", "closing" };
	json_t *arr = c->json ? json_array() : NULL;
	if (!c->json)
		printf("%-13s %-5s %-10s %-16s %6s %6s %6s %6s %8s\n", "CHANNEL", "SPSM", "STATE",
		       "OWNER", "P_MTU", "P_MPS", "TX_CR", "RX_CR", "QUEUED");
	for (size_t i = 0; i < t->n_channels; i++) {
		const Hive__L2capChannelInfo *ci = t->channels[i];
		const char *st = ci->state <= 3 ? states[ci->state] : "?";
		if (arr)
			json_array_append_new(
				arr, json_pack("{s:i, s:i, s:i, s:i, s:s, s:s, s:i, s:i, s:i, s:i}",
					       "handle", (int)ci->handle, "cid", (int)ci->cid,
					       "remote_cid", (int)ci->remote_cid, "spsm",
					       (int)ci->spsm, "state", st, "owner", ci->owner,
					       "peer_mtu", (int)ci->peer_mtu, "peer_mps",
					       (int)ci->peer_mps, "tx_credits", (int)ci->tx_credits,
					       "rx_credits", (int)ci->rx_credits));
		else
			printf("0x%04x:0x%04x 0x%02x  %-10s %-16s %6u %6u %6u %6u %8llu\n",
			       ci->handle, ci->cid, ci->spsm, st, ci->owner, ci->peer_mtu,
			       ci->peer_mps, ci->tx_credits, ci->rx_credits,
			       (unsigned long long)ci->queued_bytes);
	}
	if (arr)
		ctl_print_json(json_pack("{s:s, s:b, s:o, s:i, s:b}", "command", "l2cap channels",
					 "ok", 1, "channels", arr, "links", (int)t->n_links,
					 "restored", t->restored));
	fflush(stdout);
	hive__result__free_unpacked(r, NULL);
	return 0;
}

static int cmd_conn_update(struct ctl *c, struct l2_wait *w, const struct l2_opts *o)
{
	long v[4];
	static const long max[4] = { 3200, 3200, 499, 3200 };
	if (o->npos != 4)
		return ctl_fail(c, "l2cap conn-update", "usage: l2cap conn-update [--conn HANDLE] "
			       "INTERVAL_MIN INTERVAL_MAX LATENCY TIMEOUT");
	for (int i = 0; i < 4; i++)
		if (parse_long(o->pos[i], &v[i], 0, max[i]) < 0)
			return ctl_fail(c, "l2cap conn-update", "%s: expected a number up to %ld",
					o->pos[i], max[i]);
	int h = pick_conn(c, w, "l2cap conn-update", o);
	if (h < 0)
		return -1;
	Hive__L2capConnParamUpdate u = HIVE__L2CAP_CONN_PARAM_UPDATE__INIT;
	u.handle = (uint32_t)h;
	u.interval_min = (uint32_t)v[0];
	u.interval_max = (uint32_t)v[1];
	u.latency = (uint32_t)v[2];
	u.timeout = (uint32_t)v[3];
	Hive__L2capRequest q = HIVE__L2CAP_REQUEST__INIT;
	q.op_case = HIVE__L2CAP_REQUEST__OP_CONN_PARAM_UPDATE;
	q.conn_param_update = &u;
	Hive__Result *r = request(c, w, o->to, &q, L2_CONNECT_TIMEOUT_MS);
	int rc = !r || r->status ? fail_result(c, "l2cap conn-update", r, o->to) : 0;
	hive__result__free_unpacked(r, NULL);
	return rc ? rc : ok(c, "l2cap conn-update", "accepted by the central");
}

int ctl_cmd_l2cap(struct ctl *c, int argc, char **argv)
{
	static const struct {
		const char *name;
		int (*fn)(struct ctl *, struct l2_wait *, const struct l2_opts *);
	} subs[] = {
		{ "listen", cmd_listen },     { "open", cmd_open },
		{ "send", cmd_send },         { "close", cmd_close },
		{ "recv", cmd_recv },         { "channels", cmd_channels },
		{ "conn-update", cmd_conn_update },
	};
	if (argc < 2)
		return ctl_fail(c, "l2cap", "usage: l2cap listen|open|send|close|recv|channels|"
			       "conn-update ...");
	size_t i = 0;
	while (i < sizeof subs / sizeof subs[0] && strcmp(subs[i].name, argv[1]) != 0)
		i++;
	if (i == sizeof subs / sizeof subs[0])
		return ctl_fail(c, "l2cap", "unknown subcommand %s", argv[1]);
	struct l2_opts o;
	char cmd[64];
	snprintf(cmd, sizeof cmd, "l2cap %s", argv[1]);
	if (parse_opts(c, cmd, argc, argv, &o) < 0)
		return -1;
	if (ctl_connect(c, L2_TIMEOUT_MS) < 0)
		return ctl_fail(c, cmd, "no graph answers at %s", c->run_dir);
	/* Events are printed while this command runs the loop; those that come
	 * between commands wait in the socket for the next one. */
	struct l2_wait w = { .c = c };
	hive_on(c->actor, HIVE__ENVELOPE__BODY_L2CAP_EVENT, on_event, &w);
	int rc = subs[i].fn(c, &w, &o);
	hive_on(c->actor, HIVE__ENVELOPE__BODY_L2CAP_EVENT, NULL, NULL);
	return rc;
}
