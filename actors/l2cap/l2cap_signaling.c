/* LE signaling (CID 0x0005): the dispatch table, Command Reject, the
 * identifiers and RTX of our requests, and the Connection Parameter Update
 * procedure. The credit based channel handlers live in l2cap_coc.c.
 *
 * What the dispatcher does once for every PDU (Core Vol 3 Part A 4):
 * - a C-frame longer than our MTUsig: Command Reject "signaling MTU
 *   exceeded" with our MTUsig (never in answer to a Command Reject);
 * - a header whose length disagrees with the bytes, or identifier 0:
 *   dropped and counted (the frame is corrupt);
 * - an unknown code, or a request this role does not take: Command Reject
 *   "command not understood"; a response or indication this role does not
 *   take: dropped and counted;
 * - data of the wrong length for its code: Command Reject "command not
 *   understood" for requests and indications, dropped for responses;
 * - a response must match the identifier of a request of ours still
 *   pending (and its code); otherwise it is dropped and counted.
 */
#include "l2cap_internal.h"

#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum sig_kind { SIG_REQ, SIG_RSP, SIG_IND };

#define ROLE_C (1u << L2CAP_ROLE_CENTRAL)
#define ROLE_P (1u << L2CAP_ROLE_PERIPHERAL)
#define ROLE_ANY (ROLE_C | ROLE_P)

typedef int (*sig_req_fn)(struct l2cap *l, struct l2cap_link *k, const struct l2cap_sig *s,
			  uint64_t now_ms);
typedef int (*sig_rsp_fn)(struct l2cap *l, struct l2cap_link *k, const struct l2cap_sig *s,
			  const struct l2cap_pending *p, uint64_t now_ms);

struct sig_handler {
	uint8_t code;
	uint8_t kind;
	uint8_t roles; /* the local roles that take it */
	uint8_t min_len;
	const char *name;
	sig_req_fn on_req; /* requests and indications */
	sig_rsp_fn on_rsp; /* responses, with the matched request */
	uint8_t request;   /* responses: the code of the request they answer */
};

static int on_l2cap_command_reject(struct l2cap *l, struct l2cap_link *k,
				   const struct l2cap_sig *s, const struct l2cap_pending *p,
				   uint64_t now_ms);
static int on_l2cap_connection_parameter_update_request(struct l2cap *l, struct l2cap_link *k,
							const struct l2cap_sig *s,
							uint64_t now_ms);
static int on_l2cap_connection_parameter_update_response(struct l2cap *l,
							 struct l2cap_link *k,
							 const struct l2cap_sig *s,
							 const struct l2cap_pending *p,
							 uint64_t now_ms);

/* Sorted by code. */
static const struct sig_handler sig_handlers[] = {
	{ L2CAP_COMMAND_REJECT, SIG_RSP, ROLE_ANY, 2, "l2cap_command_reject", NULL,
	  on_l2cap_command_reject, 0 },
	{ L2CAP_DISCONNECTION_REQUEST, SIG_REQ, ROLE_ANY, 4, "l2cap_disconnection_request",
	  on_l2cap_disconnection_request, NULL, 0 },
	{ L2CAP_DISCONNECTION_RESPONSE, SIG_RSP, ROLE_ANY, 4, "l2cap_disconnection_response",
	  NULL, on_l2cap_disconnection_response, L2CAP_DISCONNECTION_REQUEST },
	{ L2CAP_CONNECTION_PARAMETER_UPDATE_REQUEST, SIG_REQ, ROLE_C, 8,
	  "l2cap_connection_parameter_update_request",
	  on_l2cap_connection_parameter_update_request, NULL, 0 },
	{ L2CAP_CONNECTION_PARAMETER_UPDATE_RESPONSE, SIG_RSP, ROLE_P, 2,
	  "l2cap_connection_parameter_update_response", NULL,
	  on_l2cap_connection_parameter_update_response,
	  L2CAP_CONNECTION_PARAMETER_UPDATE_REQUEST },
	{ L2CAP_LE_CREDIT_BASED_CONNECTION_REQUEST, SIG_REQ, ROLE_ANY, 10,
	  "l2cap_le_credit_based_connection_request",
	  on_l2cap_le_credit_based_connection_request, NULL, 0 },
	{ L2CAP_LE_CREDIT_BASED_CONNECTION_RESPONSE, SIG_RSP, ROLE_ANY, 10,
	  "l2cap_le_credit_based_connection_response", NULL,
	  on_l2cap_le_credit_based_connection_response,
	  L2CAP_LE_CREDIT_BASED_CONNECTION_REQUEST },
	{ L2CAP_FLOW_CONTROL_CREDIT_IND, SIG_IND, ROLE_ANY, 4, "l2cap_flow_control_credit_ind",
	  on_l2cap_flow_control_credit_ind, NULL, 0 },
	{ L2CAP_CREDIT_BASED_CONNECTION_REQUEST, SIG_REQ, ROLE_ANY, 10,
	  "l2cap_credit_based_connection_request", on_l2cap_credit_based_connection_request,
	  NULL, 0 },
	{ L2CAP_CREDIT_BASED_CONNECTION_RESPONSE, SIG_RSP, ROLE_ANY, 8,
	  "l2cap_credit_based_connection_response", NULL,
	  on_l2cap_credit_based_connection_response, L2CAP_CREDIT_BASED_CONNECTION_REQUEST },
	{ L2CAP_CREDIT_BASED_RECONFIGURE_REQUEST, SIG_REQ, ROLE_ANY, 6,
	  "l2cap_credit_based_reconfigure_request", on_l2cap_credit_based_reconfigure_request,
	  NULL, 0 },
	/* We never send a Reconfigure Request, so no response is ever matched. */
	{ L2CAP_CREDIT_BASED_RECONFIGURE_RESPONSE, SIG_RSP, ROLE_ANY, 2,
	  "l2cap_credit_based_reconfigure_response", NULL, NULL,
	  L2CAP_CREDIT_BASED_RECONFIGURE_REQUEST },
};

#define N_HANDLERS (sizeof sig_handlers / sizeof sig_handlers[0])

_Static_assert(offsetof(struct sig_handler, code) == 0, "l2cap_table_find keys on the first octet");

static int code_cmp(const void *key, const void *entry)
{
	return (int)*(const uint8_t *)key - (int)*(const uint8_t *)entry;
}

const void *l2cap_table_find(const void *table, size_t n, size_t size, uint8_t code)
{
	return bsearch(&code, table, n, size, code_cmp);
}

static const struct sig_handler *sig_lookup(uint8_t code)
{
	return l2cap_table_find(sig_handlers, N_HANDLERS, sizeof sig_handlers[0], code);
}

/* ---- sending ---------------------------------------------------------------- */

int l2cap_sig_send(struct l2cap *l, struct l2cap_link *k, const struct l2cap_sig *s)
{
	uint8_t buf[64];
	struct wr w = wr_init(buf, sizeof buf);
	int rc = l2cap_sig_encode(&w, s);
	if (rc < 0)
		return rc;
	return l2cap_out_frame(l, k->handle,
			       k->bredr ? L2CAP_CID_BREDR_SIGNALING : L2CAP_CID_LE_SIGNALING, buf,
			       w.len, NULL, 0);
}

void l2cap_sig_reject(struct l2cap *l, struct l2cap_link *k, uint8_t ident, uint16_t reason,
		      uint16_t local_cid, uint16_t remote_cid)
{
	struct l2cap_sig s = { .code = L2CAP_COMMAND_REJECT, .ident = ident };
	s.u.command_reject.reason = reason;
	s.u.command_reject.mtu = l->cfg.mtu_sig;
	s.u.command_reject.local_cid = local_cid;
	s.u.command_reject.remote_cid = remote_cid;
	if (l2cap_sig_send(l, k, &s) == 0)
		l->st.sig_rejects_sent++;
}

static bool ident_busy(const struct l2cap_link *k, uint8_t ident)
{
	for (unsigned i = 0; i < L2CAP_PENDING_MAX; i++)
		if (k->pending[i].ident == ident)
			return true;
	return false;
}

uint8_t l2cap_sig_next_ident(struct l2cap_link *k)
{
	/* Identifiers 1..255 in turn, skipping any still pending. */
	uint8_t ident = k->next_ident ? k->next_ident : 1;
	while (ident_busy(k, ident))
		ident = ident == 255 ? 1 : (uint8_t)(ident + 1);
	k->next_ident = ident == 255 ? 1 : (uint8_t)(ident + 1);
	return ident;
}

struct l2cap_pending *l2cap_pending_slot(struct l2cap_link *k)
{
	for (unsigned i = 0; i < L2CAP_PENDING_MAX; i++)
		if (!k->pending[i].ident)
			return &k->pending[i];
	return NULL;
}

void l2cap_pending_start(struct l2cap *l, struct l2cap_pending *p, uint8_t ident, uint8_t code,
			 uint64_t now_ms)
{
	memset(p, 0, sizeof *p);
	p->ident = ident;
	p->code = code;
	p->deadline_ms = now_ms + l->cfg.rtx_ms;
}

struct l2cap_pending *l2cap_pending_match(struct l2cap_link *k, uint8_t ident, uint8_t code,
					  uint8_t request)
{
	for (unsigned i = 0; i < L2CAP_PENDING_MAX; i++) {
		struct l2cap_pending *c = &k->pending[i];
		if (c->ident == ident && (code == L2CAP_COMMAND_REJECT || c->code == request))
			return c;
	}
	return NULL;
}

struct l2cap_pending *l2cap_sig_request(struct l2cap *l, struct l2cap_link *k,
					struct l2cap_sig *s, uint64_t now_ms)
{
	struct l2cap_pending *p = l2cap_pending_slot(k);
	if (!p)
		return NULL;
	s->ident = l2cap_sig_next_ident(k);
	if (l2cap_sig_send(l, k, s) < 0)
		return NULL;
	l2cap_pending_start(l, p, s->ident, s->code, now_ms);
	return p;
}

/* Tells the requester of a failed or timed out request. */
static void request_failed(struct l2cap *l, struct l2cap_link *k, const struct l2cap_pending *p,
			   int status)
{
	if (p->code == L2CAP_CONNECTION_PARAMETER_UPDATE_REQUEST) {
		struct l2cap_out *o =
			l2cap_out_push(l, L2CAP_OUT_CONN_PARAM_RESULT, k->handle, p->requester);
		if (o) {
			o->status = status;
			o->req_id = p->req_id;
		}
	} else if (k->bredr) {
		l2cap_bredr_request_failed(l, k, p, status);
	} else {
		l2cap_coc_request_failed(l, k, p, status);
	}
}

void l2cap_sig_fail_all(struct l2cap *l, struct l2cap_link *k, int status)
{
	for (unsigned i = 0; i < L2CAP_PENDING_MAX; i++) {
		if (!k->pending[i].ident)
			continue;
		struct l2cap_pending p = k->pending[i];
		k->pending[i].ident = 0;
		request_failed(l, k, &p, status);
	}
}

void l2cap_sig_on_time(struct l2cap *l, struct l2cap_link *k, uint64_t now_ms)
{
	for (unsigned i = 0; i < L2CAP_PENDING_MAX; i++) {
		if (!k->pending[i].ident || k->pending[i].deadline_ms > now_ms)
			continue;
		struct l2cap_pending p = k->pending[i];
		k->pending[i].ident = 0;
		l->st.sig_timeouts++;
		request_failed(l, k, &p, -ETIMEDOUT);
	}
}

/* ---- the dispatcher ------------------------------------------------------------ */

void l2cap_sig_on_frame(struct l2cap *l, struct l2cap_link *k, const uint8_t *p, size_t len,
			uint64_t now_ms)
{
	uint8_t code, ident;
	uint16_t dlen;
	l->last_pdu = NULL;
	if (len > l->cfg.mtu_sig) {
		/* Rejected whole, even when the header is bad: the peer learns our
		 * MTUsig. A Command Reject is never answered. */
		if (len >= 2 && p[0] != L2CAP_COMMAND_REJECT && p[1] != 0)
			l2cap_sig_reject(l, k, p[1], L2CAP_REJ_SIG_MTU_EXCEEDED, 0, 0);
		else
			l->st.sig_malformed++;
		return;
	}
	if (l2cap_sig_header_decode(p, len, &code, &ident, &dlen) < 0 || ident == 0) {
		l->st.sig_malformed++;
		return;
	}
	const struct sig_handler *h = sig_lookup(code);
	if (!h) {
		l2cap_sig_reject(l, k, ident, L2CAP_REJ_NOT_UNDERSTOOD, 0, 0);
		return;
	}
	l->last_pdu = h->name;
	struct l2cap_sig s;
	bool fits = (h->roles & (1u << k->role)) && dlen >= h->min_len &&
		    l2cap_sig_data_decode(code, p + L2CAP_SIG_HDR_LEN, dlen, &s) == 0;
	if (!fits) {
		if (h->kind == SIG_RSP || (h->kind == SIG_IND && !(h->roles & (1u << k->role))))
			l->st.sig_unexpected++;
		else
			l2cap_sig_reject(l, k, ident, L2CAP_REJ_NOT_UNDERSTOOD, 0, 0);
		return;
	}
	s.ident = ident;
	int rc = 0;
	if (h->kind == SIG_RSP) {
		struct l2cap_pending *m = l2cap_pending_match(k, ident, code, h->request);
		if (!m || !h->on_rsp) {
			l->st.sig_unexpected++;
			return;
		}
		struct l2cap_pending req = *m;
		m->ident = 0;
		rc = h->on_rsp(l, k, &s, &req, now_ms);
	} else {
		rc = h->on_req(l, k, &s, now_ms);
	}
	if (rc == -EPROTO && h->kind != SIG_RSP)
		l2cap_sig_reject(l, k, ident, L2CAP_REJ_NOT_UNDERSTOOD, 0, 0);
}

/* ---- handlers ------------------------------------------------------------------- */

static int on_l2cap_command_reject(struct l2cap *l, struct l2cap_link *k,
				   const struct l2cap_sig *s, const struct l2cap_pending *p,
				   uint64_t now_ms)
{
	request_failed(l, k, p,
		       p->code == L2CAP_CONNECTION_PARAMETER_UPDATE_REQUEST ? -EOPNOTSUPP :
									      -ECONNREFUSED);
	return 0;
}

static bool policy_accepts(const struct l2cap_cpu_policy *pol,
			   const struct l2cap_connection_parameter_update_request *r)
{
	return pol->accept && r->interval_max >= pol->interval_min &&
	       r->interval_min <= pol->interval_max && r->latency <= pol->latency_max &&
	       r->timeout >= pol->timeout_min && r->timeout <= pol->timeout_max;
}

/* Central: a peripheral asks for new parameters. Accepted ones go to the
 * host as an LE Connection Update; the answer is sent first. */
static int on_l2cap_connection_parameter_update_request(struct l2cap *l, struct l2cap_link *k,
							const struct l2cap_sig *s,
							uint64_t now_ms)
{
	const struct l2cap_connection_parameter_update_request *r = &s->u.cpu_request;
	struct l2cap_conn_params cp = { r->interval_min, r->interval_max, r->latency,
					r->timeout };
	bool ok = l2cap_conn_params_valid(&cp) && policy_accepts(&l->cfg.cpu, r);
	struct l2cap_sig rsp = { .code = L2CAP_CONNECTION_PARAMETER_UPDATE_RESPONSE,
				 .ident = s->ident };
	rsp.u.result.result = ok ? L2CAP_CPU_ACCEPTED : L2CAP_CPU_REJECTED;
	l2cap_sig_send(l, k, &rsp);
	if (ok) {
		struct l2cap_out *o = l2cap_out_push(l, L2CAP_OUT_CONN_UPDATE, k->handle, NULL);
		if (o)
			o->params = cp;
	}
	return 0;
}

static int on_l2cap_connection_parameter_update_response(struct l2cap *l,
							 struct l2cap_link *k,
							 const struct l2cap_sig *s,
							 const struct l2cap_pending *p,
							 uint64_t now_ms)
{
	struct l2cap_out *o =
		l2cap_out_push(l, L2CAP_OUT_CONN_PARAM_RESULT, k->handle, p->requester);
	if (o) {
		o->status = s->u.result.result;
		o->req_id = p->req_id;
	}
	return 0;
}

int l2cap_request_conn_params(struct l2cap *l, uint16_t handle,
			      const struct l2cap_conn_params *cp, const char *requester,
			      uint64_t req_id, uint64_t now_ms)
{
	struct l2cap_link *k = l2cap_link_find(l, handle);
	if (!k)
		return -ENOENT;
	if (k->role != L2CAP_ROLE_PERIPHERAL || !l2cap_conn_params_valid(cp))
		return -EINVAL;
	struct l2cap_sig s = { .code = L2CAP_CONNECTION_PARAMETER_UPDATE_REQUEST };
	s.u.cpu_request.interval_min = cp->interval_min;
	s.u.cpu_request.interval_max = cp->interval_max;
	s.u.cpu_request.latency = cp->latency;
	s.u.cpu_request.timeout = cp->timeout;
	struct l2cap_pending *p = l2cap_sig_request(l, k, &s, now_ms);
	if (!p)
		return -EBUSY;
	p->req_id = req_id;
	snprintf(p->requester, sizeof p->requester, "%s", requester ? requester : "");
	return 0;
}
