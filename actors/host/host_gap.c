/* GAP operations: see host_gap.h. */
#include "host_gap.h"

#include <errno.h>
#include <string.h>

#include "host.h"
#include "host_addr.h"
#include "host_gap_int.h"

#define COOKIE(gen, slot) (HOST_COOKIE_GAP | (gen) << 8 | (uint64_t)(slot))

/* ---- results --------------------------------------------------------------------- */

static struct host_result *result(struct host *h, uint64_t asker, bool final)
{
	if (!asker)
		return NULL; /* the host's own operation */
	struct host_out *o = host_out_push(h, HOST_OUT_RESULT);
	if (!o)
		return NULL;
	o->result.asker = asker;
	o->result.final = final;
	return &o->result;
}

static void answer(struct host *h, struct gap_op *op, int32_t status, bool hci,
		   const char *error)
{
	struct host_result *r = result(h, op->asker, true);
	if (r) {
		r->status = status;
		r->hci = hci && status;
		r->error = error;
	}
}

/* ---- operations ------------------------------------------------------------------ */

struct gap_op *gap_op_new(struct host *h, enum gap_kind kind, uint64_t asker)
{
	for (unsigned i = 0; i < GAP_OPS_MAX; i++) {
		struct gap_op *op = &h->gap.op[i];
		if (op->in_use)
			continue;
		memset(op, 0, sizeof *op);
		op->in_use = true;
		op->kind = kind;
		op->asker = asker;
		return op;
	}
	return NULL;
}

static int op_index(const struct host *h, const struct gap_op *op)
{
	return (int)(op - h->gap.op);
}

static void op_free(struct host *h, struct gap_op *op)
{
	int i = op_index(h, op);
	if (h->gap.scan_op == i)
		h->gap.scan_op = -1;
	if (h->gap.connect_op == i)
		h->gap.connect_op = -1;
	op->in_use = false;
}

/* Appends a command; builder results < 0 mark the operation broken. */
void host_gap_add(struct gap_op *op, uint16_t opcode, const uint8_t *params, int plen)
{
	if (op->ncmd == GAP_CMDS_MAX || plen < 0 || plen > GAP_PARAMS_MAX) {
		op->ncmd = GAP_CMDS_MAX + 1; /* checked by start() */
		return;
	}
	struct gap_cmd *c = &op->cmd[op->ncmd++];
	c->opcode = opcode;
	c->plen = (uint8_t)plen;
	if (plen)
		memcpy(c->params, params, (size_t)plen);
}

static int submit_next(struct host *h, struct gap_op *op)
{
	const struct gap_cmd *c = &op->cmd[op->next];
	op->cookie = COOKIE(++h->gap.next_gen & 0xffffffffffull, op_index(h, op));
	return host_cmdq_submit(&h->cmd, c->opcode, c->params, c->plen, op->cookie);
}

/* Sends the operation's first command. On failure the operation is freed
 * and *why says why. */
int gap_op_start(struct host *h, struct gap_op *op, const char **why)
{
	int rc = 0;
	if (op->ncmd == 0 || op->ncmd > GAP_CMDS_MAX) {
		*why = "the request's parameters do not fit an HCI command";
		rc = -EINVAL;
	} else if ((rc = submit_next(h, op)) < 0) {
		*why = "the HCI command queue is full; retry later";
	}
	if (rc < 0)
		op_free(h, op);
	return rc;
}

struct gap_op *gap_find_kind(struct host *h, enum gap_kind kind, uint16_t handle)
{
	for (unsigned i = 0; i < GAP_OPS_MAX; i++) {
		struct gap_op *op = &h->gap.op[i];
		if (op->in_use && op->kind == kind && op->handle == handle)
			return op;
	}
	return NULL;
}

static bool busy(struct host *h, enum gap_kind kind)
{
	for (unsigned i = 0; i < GAP_OPS_MAX; i++)
		if (h->gap.op[i].in_use && h->gap.op[i].kind == kind)
			return true;
	return false;
}

/* ---- addresses -------------------------------------------------------------------- */

void host_gap_own_address(const struct host *h, struct host_addr *out)
{
	out->type = h->gap.own_type;
	memcpy(out->a, h->gap.own_type ? h->gap.random : h->ctrl.bdaddr, 6);
}

void host_gap_randomness(struct host *h, const uint8_t rnd[16])
{
	memcpy(h->gap.rnd, rnd, 16);
	h->gap.rnd_fresh = true;
}

/* A new RPA into h->gap.random (not yet given to the controller). */
static void new_rpa(struct host *h, uint64_t now_ms)
{
	uint8_t a[6];
	if (host_addr_make_rpa(h->gap.cfg.irk, h->gap.rnd, a) == 0) {
		memcpy(h->gap.random, a, 6);
		h->gap.rpa_due = true;
		h->gap.random_set = false;
	}
	h->gap.rnd_fresh = false;
	h->gap.rpa_next_ms = now_ms + (uint64_t)h->gap.cfg.rpa_timeout_s * 1000;
}

/* Adds LE Set Random Address when the controller does not have ours. */
static void add_random_address(struct host *h, struct gap_op *op)
{
	if (h->gap.own_type != 1 || h->gap.random_set)
		return;
	uint8_t p[6];
	host_gap_add(op, HCI_OP_LE_SET_RANDOM_ADDRESS, p, gap_build_address(p, sizeof p, h->gap.random));
}

/* The controller refuses a new random address while it advertises, scans
 * or connects. */
static bool radio_busy(const struct host *h)
{
	return h->gap.advertising || h->gap.scanning || h->gap.connect_op >= 0;
}

void host_gap_init(struct host *h, const struct host_config *cfg)
{
	memset(&h->gap, 0, sizeof h->gap);
	h->gap.cfg = *cfg;
	h->gap.scan_op = h->gap.connect_op = -1;
	if (cfg->own == HOST_OWN_RANDOM || cfg->own == HOST_OWN_RPA ||
	    (cfg->own == HOST_OWN_AUTO && cfg->has_address && !cfg->address_public))
		h->gap.own_type = 1;
	if (h->gap.own_type && cfg->own != HOST_OWN_RPA && cfg->has_address)
		memcpy(h->gap.random, cfg->address, 6);
}

void host_gap_ready(struct host *h, uint64_t now_ms)
{
	static const uint8_t zero[6];
	if (!h->gap.own_type && !memcmp(h->ctrl.bdaddr, zero, 6)) {
		/* No public address: a static one for this run. */
		h->gap.own_type = 1;
		host_addr_make_static(h->gap.rnd, h->gap.random);
		h->gap.rnd_fresh = false;
	}
	h->gap.ext.on = host_ext_supported(h);
	if (h->gap.cfg.own == HOST_OWN_RPA && h->gap.cfg.has_irk)
		new_rpa(h, now_ms);
	if (!h->gap.own_type)
		return;
	h->gap.random_set = false;
	struct gap_op *op = gap_op_new(h, GAP_INTERNAL, 0);
	const char *why;
	if (op) {
		add_random_address(h, op);
		gap_op_start(h, op, &why);
	}
}

/* ---- requests -------------------------------------------------------------------- */

int gap_refuse(const char **why, const char *text, int rc)
{
	*why = text;
	return rc;
}

int host_gap_advertise(struct host *h, uint64_t asker, const struct gap_advertise *a,
		       const char **why)
{
	if (busy(h, GAP_ADVERTISE) || busy(h, GAP_STOP_ADVERTISING))
		return gap_refuse(why, "an advertising request is in progress; retry when it ends",
			      -EBUSY);
	if (host_ext_known(h, why) < 0)
		return -EAGAIN;
	uint8_t ad[AD_EXT_MAX];
	int adlen = 0;
	if (a->has_data) {
		memcpy(ad, a->data, a->data_len);
		adlen = (int)a->data_len;
	} else {
		struct ad_fields f;
		ad_fields_init(&f);
		f.has_flags = !a->no_flags;
		f.flags = AD_FLAG_LE_GENERAL | AD_FLAG_NO_BREDR;
		f.name.p = (const uint8_t *)h->gap.cfg.name;
		size_t cap = a->extended ? AD_DATA_MAX : AD_LEGACY_MAX;
		f.name.len = (uint8_t)strnlen(h->gap.cfg.name, cap);
		if (h->gap.cfg.appearance) {
			f.has_appearance = true;
			f.appearance = h->gap.cfg.appearance;
		}
		adlen = ad_build(&f, ad, cap);
	}
	bool ext;
	int rc = adlen < 0 ? -EMSGSIZE : host_ext_adv_check(h, a, (size_t)adlen, &ext, why);
	if (adlen < 0)
		*why = "the advertising data does not fit";
	if (rc < 0)
		return rc;
	struct gap_op *op = gap_op_new(h, GAP_ADVERTISE, asker);
	if (!op)
		return gap_refuse(why, "too many GAP requests in progress", -EBUSY);
	if (h->gap.ext.on) {
		host_ext_adv_cmds(h, op, a, ad, (size_t)adlen, ext);
		return gap_op_start(h, op, why);
	}
	uint8_t p[GAP_PARAMS_MAX];
	if (h->gap.advertising)
		host_gap_add(op, HCI_OP_LE_SET_ADV_ENABLE, p, gap_build_enable(p, sizeof p, false));
	if (!h->gap.scanning && h->gap.connect_op < 0)
		add_random_address(h, op);
	uint32_t ms = a->interval_ms ? a->interval_ms
		      : h->gap.cfg.adv_interval_ms ? h->gap.cfg.adv_interval_ms
						     : GAP_ADV_INTERVAL_MS_DEFAULT;
	struct gap_adv_params ap = { 0 };
	ap.interval_min = ap.interval_max = gap_ms_to_slots(ms, 0x20, 0x4000);
	ap.type = a->connectable ? GAP_ADV_IND : a->rsp_len ? GAP_ADV_SCAN_IND
							   : GAP_ADV_NONCONN_IND;
	ap.own_addr_type = h->gap.own_type;
	host_gap_add(op, HCI_OP_LE_SET_ADV_PARAMS, p, gap_build_adv_params(p, sizeof p, &ap));
	host_gap_add(op, HCI_OP_LE_SET_ADV_DATA, p, gap_build_adv_data(p, sizeof p, ad, (size_t)adlen));
	host_gap_add(op, HCI_OP_LE_SET_SCAN_RSP_DATA, p,
	    gap_build_adv_data(p, sizeof p, a->rsp, a->rsp_len));
	host_gap_add(op, HCI_OP_LE_SET_ADV_ENABLE, p, gap_build_enable(p, sizeof p, true));
	return gap_op_start(h, op, why);
}

int host_gap_stop_advertising(struct host *h, uint64_t asker, const char **why)
{
	if (busy(h, GAP_ADVERTISE))
		return gap_refuse(why, "an advertising request is in progress; retry when it ends",
			      -EBUSY);
	if (host_ext_known(h, why) < 0)
		return -EAGAIN;
	struct gap_op *op = gap_op_new(h, GAP_STOP_ADVERTISING, asker);
	if (!op)
		return gap_refuse(why, "too many GAP requests in progress", -EBUSY);
	uint8_t p[1];
	if (h->gap.ext.on)
		host_ext_stop_adv_cmds(h, op);
	else
		host_gap_add(op, HCI_OP_LE_SET_ADV_ENABLE, p, gap_build_enable(p, sizeof p, false));
	return gap_op_start(h, op, why);
}

int host_gap_scan(struct host *h, uint64_t asker, const struct gap_scan *s, uint64_t now_ms,
		  const char **why)
{
	if (h->gap.scanning || h->gap.scan_op >= 0 || busy(h, GAP_STOP_SCAN))
		return gap_refuse(why, "a scan is already running; stop it first", -EBUSY);
	if (host_ext_known(h, why) < 0)
		return -EAGAIN;
	struct gap_op *op = gap_op_new(h, GAP_SCAN, asker);
	if (!op)
		return gap_refuse(why, "too many GAP requests in progress", -EBUSY);
	uint8_t p[GAP_PARAMS_MAX];
	if (!h->gap.advertising && h->gap.connect_op < 0)
		add_random_address(h, op);
	struct gap_scan_params sp = { 0 };
	uint32_t ims = s->interval_ms ? s->interval_ms : GAP_SCAN_INTERVAL_MS_DEFAULT;
	uint32_t wms = s->window_ms ? s->window_ms : ims;
	if (wms > ims)
		wms = ims;
	sp.active = !s->passive;
	sp.interval = gap_ms_to_slots(ims, 4, 0x4000);
	sp.window = gap_ms_to_slots(wms, 4, sp.interval);
	sp.own_addr_type = h->gap.own_type;
	sp.filter_policy = s->use_filter_accept_list;
	if (h->gap.ext.on) {
		host_ext_scan_cmds(h, op, s, sp.interval, sp.window);
	} else {
		h->gap.ext.scan_by_ctrl = false;
		host_gap_add(op, HCI_OP_LE_SET_SCAN_PARAMS, p,
			     gap_build_scan_params(p, sizeof p, &sp));
		host_gap_add(op, HCI_OP_LE_SET_SCAN_ENABLE, p,
			     gap_build_scan_enable(p, sizeof p, true, !s->report_duplicates));
	}
	if (s->duration_ms && !h->gap.ext.scan_by_ctrl)
		op->deadline_ms = now_ms + s->duration_ms;
	int rc = gap_op_start(h, op, why);
	if (rc == 0) {
		h->gap.scan_op = op_index(h, op);
		h->gap.scan_reports = 0;
		h->gap.scan_end_reason = "stopped";
		ad_acc_init(&h->gap.acc, s->passive);
	}
	return rc;
}

/* Stops the running scan (asker 0: the host's own decision). */
static int stop_scan(struct host *h, uint64_t asker, const char *reason, const char **why)
{
	if (h->gap.scan_op < 0 || busy(h, GAP_STOP_SCAN))
		return gap_refuse(why, "no scan is running", -ENOENT);
	struct gap_op *op = gap_op_new(h, GAP_STOP_SCAN, asker);
	if (!op)
		return gap_refuse(why, "too many GAP requests in progress", -EBUSY);
	uint8_t p[2];
	if (h->gap.ext.on)
		host_ext_stop_scan_cmds(h, op);
	else
		host_gap_add(op, HCI_OP_LE_SET_SCAN_ENABLE, p,
			     gap_build_scan_enable(p, sizeof p, false, false));
	h->gap.op[h->gap.scan_op].deadline_ms = 0;
	h->gap.scan_end_reason = reason;
	return gap_op_start(h, op, why);
}

int host_gap_stop_scan(struct host *h, uint64_t asker, const char **why)
{
	return stop_scan(h, asker, "stopped", why);
}

int host_gap_connect(struct host *h, uint64_t asker, const struct gap_connect *c,
		     uint64_t now_ms, const char **why)
{
	if (h->gap.connect_op >= 0)
		return gap_refuse(why, "a connection attempt is in progress; cancel it first",
			      -EBUSY);
	int rc = host_ext_known(h, why);
	if (rc == 0)
		rc = host_ext_connect_check(h, c, why);
	if (rc < 0)
		return rc;
	struct gap_op *op = gap_op_new(h, GAP_CONNECT, asker);
	if (!op)
		return gap_refuse(why, "too many GAP requests in progress", -EBUSY);
	uint8_t p[GAP_PARAMS_MAX];
	if (!h->gap.advertising && !h->gap.scanning)
		add_random_address(h, op);
	struct gap_create_conn cc = { 0 };
	cc.scan_interval = cc.scan_window = 0x60;
	cc.use_filter_accept_list = c->use_filter_accept_list;
	cc.peer_type = c->peer.type & 1;
	memcpy(cc.peer, c->peer.a, 6);
	cc.own_addr_type = h->gap.own_type;
	cc.interval_min = c->interval_min ? c->interval_min : 24;
	cc.interval_max = c->interval_max ? c->interval_max : 40;
	if (cc.interval_max < cc.interval_min)
		cc.interval_max = cc.interval_min;
	cc.latency = c->latency;
	cc.timeout = c->timeout ? c->timeout : 420;
	if (h->gap.ext.on)
		host_ext_connect_cmds(h, op, c, cc.interval_min, cc.interval_max, cc.timeout);
	else
		host_gap_add(op, HCI_OP_LE_CREATE_CONNECTION, p,
			     gap_build_create_conn(p, sizeof p, &cc));
	op->deadline_ms = now_ms + (c->timeout_ms ? c->timeout_ms : GAP_CONNECT_TIMEOUT_MS_DEFAULT);
	rc = gap_op_start(h, op, why);
	if (rc == 0)
		h->gap.connect_op = op_index(h, op);
	return rc;
}

static int cancel_connect(struct host *h, uint64_t asker, const char **why)
{
	struct gap_op *op = gap_op_new(h, asker ? GAP_CANCEL_CONNECT : GAP_INTERNAL, asker);
	if (!op)
		return gap_refuse(why, "too many GAP requests in progress", -EBUSY);
	host_gap_add(op, HCI_OP_LE_CREATE_CONNECTION_CANCEL, NULL, 0);
	return gap_op_start(h, op, why);
}

int host_gap_cancel_connect(struct host *h, uint64_t asker, const char **why)
{
	if (h->gap.connect_op < 0)
		return gap_refuse(why, "no connection attempt is in progress", -ENOENT);
	return cancel_connect(h, asker, why);
}

int host_gap_add_irk(struct host *h, const struct host_addr *identity, const uint8_t irk[16])
{
	struct gap_irk *slot = NULL;
	for (unsigned i = 0; i < GAP_IRKS_MAX; i++) {
		struct gap_irk *k = &h->gap.irks[i];
		if (k->in_use && k->identity.type == identity->type &&
		    !memcmp(k->identity.a, identity->a, 6)) {
			slot = k;
			break;
		}
		if (!k->in_use && !slot)
			slot = k;
	}
	if (!slot)
		return -ENOSPC;
	slot->in_use = true;
	slot->identity = *identity;
	memcpy(slot->irk, irk, 16);
	return 0;
}

void host_gap_remove_irk(struct host *h, const struct host_addr *identity)
{
	for (unsigned i = 0; i < GAP_IRKS_MAX; i++) {
		struct gap_irk *k = &h->gap.irks[i];
		if (k->in_use && k->identity.type == identity->type &&
		    !memcmp(k->identity.a, identity->a, 6))
			k->in_use = false;
	}
}

static void report(struct host *h, const struct ad_entry *e);

/* ---- completions --------------------------------------------------------------------- */

static void scan_ended(struct host *h)
{
	if (h->gap.scan_op < 0)
		return;
	struct gap_op *scan = &h->gap.op[h->gap.scan_op];
	const struct ad_entry *e;
	while ((e = ad_acc_take_pending(&h->gap.acc)))
		report(h, e); /* scannable devices whose response never came */
	struct host_result *r = result(h, scan->asker, true);
	if (r) {
		r->value = HOST_VALUE_SCAN_ENDED;
		r->reports = h->gap.scan_reports;
		r->reason = h->gap.scan_end_reason;
	}
	h->gap.scanning = false;
	op_free(h, scan);
}

void host_gap_scan_ended(struct host *h, const char *reason)
{
	h->gap.scan_end_reason = reason;
	scan_ended(h);
}

void host_gap_internal(struct host *h, uint16_t handle, uint16_t opcode, const uint8_t *p,
		       int plen)
{
	const char *why;
	struct gap_op *op = gap_op_new(h, GAP_INTERNAL, 0);
	if (!op)
		return;
	op->handle = handle;
	host_gap_add(op, opcode, p, plen);
	gap_op_start(h, op, &why);
}

/* The commands of op are all done. */
static void commands_done(struct host *h, struct gap_op *op, const struct host_cmd_done *d)
{
	struct host_result *r;
	switch (op->kind) {
	case GAP_INTERNAL:
		host_ext_internal_done(h, op->cmd[op->ncmd - 1].opcode, d);
		op_free(h, op);
		return;
	case GAP_ADVERTISE:
		h->gap.advertising = true;
		r = result(h, op->asker, true);
		if (r) {
			r->value = HOST_VALUE_ADVERTISE;
			host_gap_own_address(h, &r->own);
			r->extended = h->gap.ext.on;
		}
		op_free(h, op);
		return;
	case GAP_STOP_ADVERTISING:
		h->gap.advertising = false;
		answer(h, op, 0, false, NULL);
		op_free(h, op);
		return;
	case GAP_SCAN:
		h->gap.scanning = true;
		op->waiting = true;
		return;
	case GAP_STOP_SCAN:
		answer(h, op, 0, false, NULL);
		op_free(h, op);
		scan_ended(h);
		return;
	case GAP_CONNECT:
	case GAP_DISCONNECT:
	case GAP_UPDATE:
	case GAP_SET_PHY:
		op->waiting = true; /* the event tells the outcome */
		return;
	case GAP_READ_RSSI: {
		uint16_t handle;
		int8_t rssi;
		if (gap_decode_rssi(d->ret, d->ret_len, &handle, &rssi) < 0) {
			answer(h, op, -EBADMSG, false, "the controller's Read RSSI answer is malformed");
		} else if ((r = result(h, op->asker, true))) {
			r->value = HOST_VALUE_RSSI;
			r->handle = handle;
			r->rssi = rssi;
		}
		op_free(h, op);
		return;
	}
	default:
		answer(h, op, 0, false, NULL);
		op_free(h, op);
		return;
	}
}

static void rpa_applied(struct host *h, const struct gap_cmd *c)
{
	if (c->opcode == HCI_OP_LE_SET_RANDOM_ADDRESS && c->plen == 6 &&
	    !memcmp(c->params, h->gap.random, 6)) {
		h->gap.random_set = true;
		h->gap.rpa_due = false;
	}
}

void host_gap_cmd_done(struct host *h, const struct host_cmd_done *d)
{
	unsigned slot = (unsigned)(d->cookie & 0xff);
	if (slot >= GAP_OPS_MAX)
		return;
	struct gap_op *op = &h->gap.op[slot];
	if (!op->in_use || op->cookie != d->cookie || op->waiting)
		return; /* an operation that ended already */
	if (d->err || d->status) {
		if (op->kind == GAP_CONNECT && op->timed_out) {
			answer(h, op, -ETIMEDOUT, false, "no connection within the timeout");
		} else if (d->err) {
			answer(h, op, d->err, false,
			       "the controller did not complete a command in time");
		} else {
			answer(h, op, d->status, true, hci_error_name(d->status));
		}
		if (op->kind == GAP_SCAN)
			h->gap.scanning = false;
		op_free(h, op);
		return;
	}
	rpa_applied(h, &op->cmd[op->next]);
	host_ext_cmd_applied(h, &op->cmd[op->next]);
	if (op->cmd[op->next].opcode == HCI_OP_LE_SET_ADV_ENABLE)
		h->gap.advertising = op->cmd[op->next].params[0] != 0;
	op->next++;
	if (op->next < op->ncmd) {
		if (submit_next(h, op) < 0) {
			answer(h, op, -ENOBUFS, false, "the HCI command queue is full; retry later");
			op_free(h, op);
		}
		return;
	}
	commands_done(h, op, d);
}

void host_gap_on_connection(struct host *h, uint8_t status, uint8_t role,
			    const struct host_conn *c)
{
	if (status == HCI_SUCCESS && role == 1)
		h->gap.advertising = false; /* advertising stops on a connection */
	if (status == HCI_SUCCESS)
		host_ext_on_connection(h, c->handle);
	if (h->gap.connect_op < 0 || (status == HCI_SUCCESS && role != 0))
		return;
	struct gap_op *op = &h->gap.op[h->gap.connect_op];
	struct host_result *r;
	if (status == HCI_SUCCESS) {
		if ((r = result(h, op->asker, true))) {
			r->value = HOST_VALUE_CONNECTION;
			r->conn = *c;
		}
	} else if (op->timed_out) {
		answer(h, op, -ETIMEDOUT, false, "no connection within the timeout");
	} else if (status == HCI_ERR_UNKNOWN_CONNECTION) {
		answer(h, op, -ECANCELED, false, "the connection attempt was cancelled");
	} else {
		answer(h, op, status, true, hci_error_name(status));
	}
	op_free(h, op);
}

static void link_gone(struct host *h, uint16_t handle)
{
	for (unsigned i = 0; i < GAP_OPS_MAX; i++) {
		struct gap_op *op = &h->gap.op[i];
		if (!op->in_use || op->handle != handle || !op->waiting)
			continue;
		if (op->kind == GAP_UPDATE || op->kind == GAP_SET_PHY) {
			answer(h, op, -ENOTCONN, false, "the link went down");
			op_free(h, op);
		}
	}
}

void host_gap_on_disconnection(struct host *h, uint16_t handle, uint8_t status)
{
	struct gap_op *op = gap_find_kind(h, GAP_DISCONNECT, handle);
	if (op && op->waiting) {
		answer(h, op, status, true, status ? hci_error_name(status) : NULL);
		op_free(h, op);
	}
	if (status == HCI_SUCCESS)
		link_gone(h, handle);
}

void host_gap_on_link_update(struct host *h, enum host_link_kind kind, uint16_t handle,
			     uint8_t status)
{
	enum gap_kind k = kind == HOST_LINK_PARAMETERS_UPDATED ? GAP_UPDATE : GAP_SET_PHY;
	struct gap_op *op = gap_find_kind(h, k, handle);
	if (!op || !op->waiting)
		return;
	answer(h, op, status, true, status ? hci_error_name(status) : NULL);
	op_free(h, op);
}

static void report(struct host *h, const struct ad_entry *e)
{
	if (h->gap.scan_op < 0 || !e)
		return;
	struct host_result *r = result(h, h->gap.op[h->gap.scan_op].asker, false);
	if (!r)
		return;
	h->gap.scan_reports++;
	r->value = HOST_VALUE_SCAN_REPORT;
	r->report = e;
	if (e->addr_type == 1 && host_addr_is_rpa(e->addr)) {
		for (unsigned i = 0; i < GAP_IRKS_MAX; i++) {
			const struct gap_irk *k = &h->gap.irks[i];
			if (k->in_use && host_addr_resolve(k->irk, e->addr)) {
				r->has_identity = true;
				r->identity = k->identity;
				break;
			}
		}
	}
}

void host_gap_on_adv_report(struct host *h, const struct ad_report_in *r)
{
	if (!r || !h->gap.scanning)
		return;
	report(h, ad_acc_update(&h->gap.acc, r));
}

void host_gap_on_time(struct host *h, uint64_t now_ms)
{
	const char *why;
	for (unsigned i = 0; i < GAP_OPS_MAX; i++) {
		struct gap_op *op = &h->gap.op[i];
		if (!op->in_use || !op->deadline_ms || op->deadline_ms > now_ms)
			continue;
		op->deadline_ms = 0;
		if (op->kind == GAP_CONNECT) {
			op->timed_out = true;
			if (cancel_connect(h, 0, &why) < 0) {
				answer(h, op, -ETIMEDOUT, false, "no connection within the timeout");
				op_free(h, op);
			}
		} else if (op->kind == GAP_SCAN) {
			stop_scan(h, 0, "duration", &why);
		}
	}
	if (h->gap.rpa_next_ms && h->gap.rpa_next_ms <= now_ms) {
		new_rpa(h, now_ms);
		if (!radio_busy(h)) {
			struct gap_op *op = gap_op_new(h, GAP_INTERNAL, 0);
			if (op) {
				add_random_address(h, op);
				gap_op_start(h, op, &why);
			}
		}
	}
}

uint64_t host_gap_deadline(const struct host *h)
{
	uint64_t d = h->gap.rpa_next_ms ? h->gap.rpa_next_ms : UINT64_MAX;
	for (unsigned i = 0; i < GAP_OPS_MAX; i++) {
		const struct gap_op *op = &h->gap.op[i];
		if (op->in_use && op->deadline_ms && op->deadline_ms < d)
			d = op->deadline_ms;
	}
	return d;
}
