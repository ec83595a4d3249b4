/* BR/EDR signaling on CID 0x0001 and basic-mode channels: see
 * l2cap_bredr.h.
 *
 * What the dispatcher does once for every C-frame (Core Vol 3 Part A 4):
 * - a C-frame longer than our MTUsig: Command Reject "signaling MTU
 *   exceeded" with our MTUsig, for the identifier of its first command
 *   (never in answer to a Command Reject); nothing in it is handled;
 * - the commands are taken in turn; a header whose length runs past the
 *   frame ends the frame (counted), identifier 0 skips the command;
 * - an unknown code (LE-only codes included): Command Reject "command not
 *   understood";
 * - data of the wrong length for its code: Command Reject "command not
 *   understood" for requests, dropped (counted) for responses;
 * - a response must match the identifier of a request of ours still
 *   pending (and its code), or it is dropped and counted.
 *
 * A channel goes CONNECTING (Connection Request / Response), then, with both
 * CIDs known, configures both ways (our Configuration Request carries our
 * MTU; the peer's is checked: MTU >= 48, basic mode, flush timeout and QoS
 * taken as they are, unknown non-hint options answered Unknown Options),
 * and is OPEN once each side accepted the other's (l2cap_bredr_conf.c).
 */
#include "l2cap_bredr_int.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum br_kind { BR_REQ, BR_RSP };

typedef int (*br_req_fn)(struct l2cap *l, struct l2cap_link *k,
			 const struct l2cap_bredr_sig *s, uint64_t now_ms);
typedef int (*br_rsp_fn)(struct l2cap *l, struct l2cap_link *k,
			 const struct l2cap_bredr_sig *s, const struct l2cap_pending *p,
			 uint64_t now_ms);

struct br_handler {
	uint8_t code;
	uint8_t kind;
	uint8_t min_len;
	const char *name;
	br_req_fn on_req;
	br_rsp_fn on_rsp;
	uint8_t request; /* responses: the code of the request they answer */
};

static int on_l2cap_command_reject(struct l2cap *l, struct l2cap_link *k,
				   const struct l2cap_bredr_sig *s, const struct l2cap_pending *p,
				   uint64_t now_ms);
static int on_l2cap_connection_request(struct l2cap *l, struct l2cap_link *k,
				       const struct l2cap_bredr_sig *s, uint64_t now_ms);
static int on_l2cap_connection_response(struct l2cap *l, struct l2cap_link *k,
					const struct l2cap_bredr_sig *s,
					const struct l2cap_pending *p, uint64_t now_ms);
static int on_bredr_disconnection_request(struct l2cap *l, struct l2cap_link *k,
					  const struct l2cap_bredr_sig *s, uint64_t now_ms);
static int on_bredr_disconnection_response(struct l2cap *l, struct l2cap_link *k,
					   const struct l2cap_bredr_sig *s,
					   const struct l2cap_pending *p, uint64_t now_ms);
static int on_l2cap_echo_request(struct l2cap *l, struct l2cap_link *k,
				 const struct l2cap_bredr_sig *s, uint64_t now_ms);
static int on_l2cap_echo_response(struct l2cap *l, struct l2cap_link *k,
				  const struct l2cap_bredr_sig *s, const struct l2cap_pending *p,
				  uint64_t now_ms);
static int on_l2cap_information_request(struct l2cap *l, struct l2cap_link *k,
					const struct l2cap_bredr_sig *s, uint64_t now_ms);
static int on_l2cap_information_response(struct l2cap *l, struct l2cap_link *k,
					 const struct l2cap_bredr_sig *s,
					 const struct l2cap_pending *p, uint64_t now_ms);

/* Sorted by code. */
static const struct br_handler br_handlers[] = {
	{ L2CAP_COMMAND_REJECT, BR_RSP, 2, "l2cap_command_reject", NULL,
	  on_l2cap_command_reject, 0 },
	{ L2CAP_CONNECTION_REQUEST, BR_REQ, 4, "l2cap_connection_request",
	  on_l2cap_connection_request, NULL, 0 },
	{ L2CAP_CONNECTION_RESPONSE, BR_RSP, 8, "l2cap_connection_response", NULL,
	  on_l2cap_connection_response, L2CAP_CONNECTION_REQUEST },
	{ L2CAP_CONFIGURATION_REQUEST, BR_REQ, 4, "l2cap_configuration_request",
	  on_l2cap_configuration_request, NULL, 0 },
	{ L2CAP_CONFIGURATION_RESPONSE, BR_RSP, 6, "l2cap_configuration_response", NULL,
	  on_l2cap_configuration_response, L2CAP_CONFIGURATION_REQUEST },
	{ L2CAP_DISCONNECTION_REQUEST, BR_REQ, 4, "l2cap_disconnection_request",
	  on_bredr_disconnection_request, NULL, 0 },
	{ L2CAP_DISCONNECTION_RESPONSE, BR_RSP, 4, "l2cap_disconnection_response", NULL,
	  on_bredr_disconnection_response, L2CAP_DISCONNECTION_REQUEST },
	{ L2CAP_ECHO_REQUEST, BR_REQ, 0, "l2cap_echo_request", on_l2cap_echo_request, NULL, 0 },
	{ L2CAP_ECHO_RESPONSE, BR_RSP, 0, "l2cap_echo_response", NULL, on_l2cap_echo_response,
	  L2CAP_ECHO_REQUEST },
	{ L2CAP_INFORMATION_REQUEST, BR_REQ, 2, "l2cap_information_request",
	  on_l2cap_information_request, NULL, 0 },
	{ L2CAP_INFORMATION_RESPONSE, BR_RSP, 4, "l2cap_information_response", NULL,
	  on_l2cap_information_response, L2CAP_INFORMATION_REQUEST },
};

#define N_HANDLERS (sizeof br_handlers / sizeof br_handlers[0])

_Static_assert(offsetof(struct br_handler, code) == 0, "l2cap_table_find keys on the first octet");

static const struct br_handler *br_lookup(uint8_t code)
{
	return l2cap_table_find(br_handlers, N_HANDLERS, sizeof br_handlers[0], code);
}

void l2cap_bredr_init(struct l2cap_bredr *b)
{
	memset(b, 0, sizeof *b);
	b->mtu_sig = L2CAP_BREDR_MTU_SIG_DEFAULT;
}

int l2cap_link_set_bredr(struct l2cap *l, uint16_t handle)
{
	struct l2cap_link *k = l2cap_link_find(l, handle);
	if (!k)
		return -ENOENT;
	k->bredr = true;
	return 0;
}

/* ---- sending ------------------------------------------------------------------ */

int l2cap_br_send(struct l2cap *l, struct l2cap_link *k, const struct l2cap_bredr_sig *s)
{
	uint8_t buf[L2CAP_SIG_HDR_LEN + L2CAP_BREDR_MTU_SIG_DEFAULT];
	struct wr w = wr_init(buf, sizeof buf);
	int rc = l2cap_bredr_sig_encode(&w, s);
	if (rc < 0)
		return rc;
	return l2cap_out_frame(l, k->handle, L2CAP_CID_BREDR_SIGNALING, buf, w.len, NULL, 0);
}

void l2cap_br_reject(struct l2cap *l, struct l2cap_link *k, uint8_t ident, uint16_t reason,
		     uint16_t local_cid, uint16_t remote_cid)
{
	struct l2cap_bredr_sig s = { .code = L2CAP_COMMAND_REJECT, .ident = ident };
	s.u.command_reject.reason = reason;
	s.u.command_reject.mtu = l->bredr.mtu_sig;
	s.u.command_reject.local_cid = local_cid;
	s.u.command_reject.remote_cid = remote_cid;
	if (l2cap_br_send(l, k, &s) == 0)
		l->st.sig_rejects_sent++;
}

/* Sends a request with a fresh identifier and records it pending. NULL when
 * too many are pending or it could not be sent. */
struct l2cap_pending *l2cap_br_request(struct l2cap *l, struct l2cap_link *k,
				       struct l2cap_bredr_sig *s, uint64_t now_ms)
{
	struct l2cap_pending *p = l2cap_pending_slot(k);
	if (!p)
		return NULL;
	s->ident = l2cap_sig_next_ident(k);
	if (l2cap_br_send(l, k, s) < 0)
		return NULL;
	l2cap_pending_start(l, p, s->ident, s->code, now_ms);
	return p;
}

/* Puts a matched request back as pending until deadline (a "pending"
 * answer: ERTX). */
void l2cap_br_repend(struct l2cap_link *k, const struct l2cap_pending *p, uint64_t deadline)
{
	struct l2cap_pending *q = l2cap_pending_slot(k);
	if (q) {
		*q = *p;
		q->deadline_ms = deadline;
	}
}

/* Frees a channel and forgets every request of ours about it. */
void l2cap_br_chan_free(struct l2cap_link *k, struct l2cap_chan *ch)
{
	for (unsigned i = 0; i < L2CAP_PENDING_MAX; i++)
		if (k->pending[i].ident && k->pending[i].ncid &&
		    k->pending[i].cid[0] == ch->local_cid)
			k->pending[i].ident = 0;
	l2cap_chan_free(k, ch);
}

struct l2cap_chan *l2cap_br_chan(struct l2cap_link *k, uint16_t cid)
{
	struct l2cap_chan *ch = l2cap_chan_local(k, cid);
	return ch && (ch->br.flags & L2CAP_BR_BASIC) ? ch : NULL;
}

/* ---- the dispatcher -------------------------------------------------------------- */

static void dispatch(struct l2cap *l, struct l2cap_link *k, uint8_t code, uint8_t ident,
		     const uint8_t *data, uint16_t dlen, uint64_t now_ms)
{
	const struct br_handler *h = br_lookup(code);
	if (!h) {
		l2cap_br_reject(l, k, ident, L2CAP_REJ_NOT_UNDERSTOOD, 0, 0);
		return;
	}
	l->last_pdu = h->name;
	struct l2cap_bredr_sig s;
	if (dlen < h->min_len || l2cap_bredr_sig_data_decode(code, data, dlen, &s) < 0) {
		if (h->kind == BR_RSP)
			l->st.sig_unexpected++;
		else
			l2cap_br_reject(l, k, ident, L2CAP_REJ_NOT_UNDERSTOOD, 0, 0);
		return;
	}
	s.ident = ident;
	int rc;
	if (h->kind == BR_RSP) {
		struct l2cap_pending *m = l2cap_pending_match(k, ident, code, h->request);
		if (!m) {
			l->st.sig_unexpected++;
			return;
		}
		struct l2cap_pending req = *m;
		m->ident = 0;
		rc = h->on_rsp(l, k, &s, &req, now_ms);
	} else {
		rc = h->on_req(l, k, &s, now_ms);
	}
	if (rc == -EPROTO && h->kind == BR_REQ)
		l2cap_br_reject(l, k, ident, L2CAP_REJ_NOT_UNDERSTOOD, 0, 0);
}

void l2cap_bredr_sig_on_frame(struct l2cap *l, struct l2cap_link *k, const uint8_t *p,
			      size_t len, uint64_t now_ms)
{
	l->last_pdu = NULL;
	l->bredr.st.sig_in++;
	if (len > l->bredr.mtu_sig) {
		if (len >= 2 && p[0] != L2CAP_COMMAND_REJECT && p[1] != 0)
			l2cap_br_reject(l, k, p[1], L2CAP_REJ_SIG_MTU_EXCEEDED, 0, 0);
		else
			l->st.sig_malformed++;
		return;
	}
	struct rd r = rd_init(p, len);
	for (;;) {
		uint8_t code, ident;
		const uint8_t *data;
		uint16_t dlen;
		int rc = l2cap_bredr_sig_next(&r, &code, &ident, &data, &dlen);
		if (rc == 0)
			break;
		if (rc < 0) {
			l->st.sig_malformed++;
			break;
		}
		if (ident == 0) {
			l->st.sig_malformed++;
			continue;
		}
		dispatch(l, k, code, ident, data, dlen, now_ms);
	}
}

/* ---- handlers: connection ------------------------------------------------------------ */

static uint16_t sec_block(const struct l2cap_security *sec, uint8_t level)
{
	if (level >= L2CAP_SEC_ENCRYPTED && !sec->encrypted)
		return L2CAP_CONN_SECURITY_BLOCK;
	if (level >= L2CAP_SEC_AUTHENTICATED && !sec->authenticated)
		return L2CAP_CONN_SECURITY_BLOCK;
	return 0;
}

static int on_l2cap_connection_request(struct l2cap *l, struct l2cap_link *k,
				       const struct l2cap_bredr_sig *s, uint64_t now_ms)
{
	const struct l2cap_connection_request *r = &s->u.conn_request;
	const struct l2cap_psm_listener *ls = l2cap_psm_find(l, r->psm);
	struct l2cap_chan *ch = NULL;
	uint16_t result;
	if (!ls)
		result = L2CAP_CONN_PSM_NOT_SUPPORTED;
	else if ((result = sec_block(&k->sec, ls->sec_level)) != 0)
		;
	else if (!L2CAP_BREDR_CID_IS_DYNAMIC(r->scid))
		result = L2CAP_CONN_INVALID_SCID;
	else if (l2cap_chan_remote(k, r->scid))
		result = L2CAP_CONN_SCID_ALREADY_ALLOCATED;
	else if (!(ch = l2cap_chan_alloc(k)))
		result = L2CAP_CONN_NO_RESOURCES;

	struct l2cap_bredr_sig rsp = { .code = L2CAP_CONNECTION_RESPONSE, .ident = s->ident };
	rsp.u.conn_response.scid = r->scid;
	rsp.u.conn_response.result = result;
	if (ch) {
		ch->state = L2CAP_CHAN_CONNECTING;
		ch->remote_cid = r->scid;
		ch->spsm = r->psm;
		ch->incoming = true;
		/* The owner hears nothing of it until it is open. */
		ch->owner_told = true;
		snprintf(ch->owner, sizeof ch->owner, "%s", ls->owner);
		ch->rx.mtu = ls->mtu;
		ch->rx.mps = ls->mtu;
		ch->peer_mtu = L2CAP_BREDR_MTU_DEFAULT;
		ch->br.flags = L2CAP_BR_BASIC | L2CAP_BR_CONNECTED;
		ch->br.in_mtu = L2CAP_BREDR_MTU_DEFAULT;
		ch->br.flush_timeout = 0xFFFF;
		rsp.u.conn_response.dcid = ch->local_cid;
	}
	if (l2cap_br_send(l, k, &rsp) < 0) {
		if (ch)
			l2cap_chan_free(k, ch);
		return 0;
	}
	if (ch && l2cap_br_send_conf_request(l, k, ch, true, now_ms) < 0)
		l2cap_br_conf_failed(l, k, ch, -EBUSY, now_ms);
	return 0;
}

static int on_l2cap_connection_response(struct l2cap *l, struct l2cap_link *k,
					const struct l2cap_bredr_sig *s,
					const struct l2cap_pending *p, uint64_t now_ms)
{
	const struct l2cap_connection_response *r = &s->u.conn_response;
	struct l2cap_chan *ch = l2cap_br_chan(k, p->cid[0]);
	if (!ch || ch->state != L2CAP_CHAN_CONNECTING || (ch->br.flags & L2CAP_BR_CONNECTED))
		return 0;
	if (r->scid != ch->local_cid) {
		/* Not about our channel: keep waiting for the right answer. */
		l->st.sig_unexpected++;
		l2cap_br_repend(k, p, p->deadline_ms);
		return 0;
	}
	if (r->result == L2CAP_CONN_PENDING) {
		l2cap_br_repend(k, p, now_ms + L2CAP_ERTX_MS);
		return 0;
	}
	if (r->result != L2CAP_CONN_SUCCESS) {
		l2cap_tell_open_failed(l, k, ch, r->result);
		l2cap_br_chan_free(k, ch);
		return 0;
	}
	if (!L2CAP_BREDR_CID_IS_DYNAMIC(r->dcid) || l2cap_chan_remote(k, r->dcid)) {
		l->st.coc_violations++;
		l2cap_tell_open_failed(l, k, ch, -EPROTO);
		l2cap_br_chan_free(k, ch);
		return 0;
	}
	ch->remote_cid = r->dcid;
	ch->br.flags |= L2CAP_BR_CONNECTED;
	if (l2cap_br_send_conf_request(l, k, ch, true, now_ms) < 0)
		l2cap_br_conf_failed(l, k, ch, -EBUSY, now_ms);
	return 0;
}

/* ---- handlers: disconnection, echo, information, reject --------------------------------- */

static struct l2cap_sig as_le(const struct l2cap_bredr_sig *s)
{
	struct l2cap_sig le = { .code = s->code, .ident = s->ident };
	le.u.disconnection = s->u.disconnection;
	return le;
}

static int on_bredr_disconnection_request(struct l2cap *l, struct l2cap_link *k,
					  const struct l2cap_bredr_sig *s, uint64_t now_ms)
{
	const struct l2cap_disconnection *d = &s->u.disconnection;
	struct l2cap_chan *ch = l2cap_br_chan(k, d->dcid);
	if (ch && ch->state == L2CAP_CHAN_CONNECTING && (ch->br.flags & L2CAP_BR_CONNECTED) &&
	    ch->remote_cid == d->scid) {
		/* Closed while configuring. */
		struct l2cap_bredr_sig rsp = { .code = L2CAP_DISCONNECTION_RESPONSE,
					       .ident = s->ident };
		rsp.u.disconnection = *d;
		l2cap_br_send(l, k, &rsp);
		if (!ch->incoming)
			l2cap_tell_open_failed(l, k, ch, -ECONNRESET);
		l2cap_br_chan_free(k, ch);
		return 0;
	}
	struct l2cap_sig le = as_le(s);
	return on_l2cap_disconnection_request(l, k, &le, now_ms);
}

static int on_bredr_disconnection_response(struct l2cap *l, struct l2cap_link *k,
					   const struct l2cap_bredr_sig *s,
					   const struct l2cap_pending *p, uint64_t now_ms)
{
	struct l2cap_sig le = as_le(s);
	return on_l2cap_disconnection_response(l, k, &le, p, now_ms);
}

static int on_l2cap_echo_request(struct l2cap *l, struct l2cap_link *k,
				 const struct l2cap_bredr_sig *s, uint64_t now_ms)
{
	struct l2cap_bredr_sig rsp = { .code = L2CAP_ECHO_RESPONSE, .ident = s->ident };
	rsp.u.echo = s->u.echo;
	if (l2cap_br_send(l, k, &rsp) == 0)
		l->bredr.st.echo_answered++;
	return 0;
}

static int on_l2cap_echo_response(struct l2cap *l, struct l2cap_link *k,
				  const struct l2cap_bredr_sig *s, const struct l2cap_pending *p,
				  uint64_t now_ms)
{
	return 0; /* the pending request is gone: that is all an echo is for */
}

static int on_l2cap_information_request(struct l2cap *l, struct l2cap_link *k,
					const struct l2cap_bredr_sig *s, uint64_t now_ms)
{
	uint8_t data[8];
	struct wr w = wr_init(data, sizeof data);
	struct l2cap_bredr_sig rsp = { .code = L2CAP_INFORMATION_RESPONSE, .ident = s->ident };
	rsp.u.info.type = s->u.info.type;
	rsp.u.info.result = L2CAP_INFO_SUCCESS;
	if (s->u.info.type == L2CAP_INFO_EXTENDED_FEATURES) {
		wr_le32(&w, L2CAP_FEAT_FIXED_CHANNELS);
	} else if (s->u.info.type == L2CAP_INFO_FIXED_CHANNELS) {
		/* Bit n: CID n. Signaling, and BR/EDR SMP when someone serves it. */
		uint64_t mask = 1u << L2CAP_CID_BREDR_SIGNALING;
		if (l2cap_fixed_owner(&l->fixed, L2CAP_CID_SMP_BREDR))
			mask |= 1u << L2CAP_CID_SMP_BREDR;
		wr_le64(&w, mask);
	} else {
		rsp.u.info.result = L2CAP_INFO_NOT_SUPPORTED; /* connectionless too */
	}
	rsp.u.info.data = data;
	rsp.u.info.len = (uint16_t)w.len;
	if (l2cap_br_send(l, k, &rsp) == 0)
		l->bredr.st.info_answered++;
	return 0;
}

static int on_l2cap_information_response(struct l2cap *l, struct l2cap_link *k,
					 const struct l2cap_bredr_sig *s,
					 const struct l2cap_pending *p, uint64_t now_ms)
{
	return 0; /* we never ask: no request is ever pending */
}

static int on_l2cap_command_reject(struct l2cap *l, struct l2cap_link *k,
				   const struct l2cap_bredr_sig *s, const struct l2cap_pending *p,
				   uint64_t now_ms)
{
	if (p->code == L2CAP_CONFIGURATION_REQUEST) {
		struct l2cap_chan *ch = l2cap_br_chan(k, p->cid[0]);
		if (ch && ch->state == L2CAP_CHAN_CONNECTING)
			l2cap_br_conf_failed(l, k, ch, -ECONNREFUSED, now_ms);
		return 0;
	}
	l2cap_bredr_request_failed(l, k, p, -ECONNREFUSED);
	return 0;
}

void l2cap_bredr_request_failed(struct l2cap *l, struct l2cap_link *k,
				const struct l2cap_pending *p, int status)
{
	struct l2cap_chan *ch = p->ncid ? l2cap_br_chan(k, p->cid[0]) : NULL;
	switch (p->code) {
	case L2CAP_CONNECTION_REQUEST:
		if (ch && ch->state == L2CAP_CHAN_CONNECTING) {
			l2cap_tell_open_failed(l, k, ch, status);
			l2cap_br_chan_free(k, ch);
		}
		break;
	case L2CAP_CONFIGURATION_REQUEST:
		if (!ch || ch->state != L2CAP_CHAN_CONNECTING)
			break;
		if (status == -ENOTCONN) {
			if (!ch->incoming)
				l2cap_tell_open_failed(l, k, ch, status);
			ch->owner_told = true;
			l2cap_br_chan_free(k, ch);
		} else {
			/* RTX fired: l2cap_on_time() said when. */
			uint64_t now = l->bredr.now_ms > p->deadline_ms ? l->bredr.now_ms
									  : p->deadline_ms;
			l2cap_br_conf_failed(l, k, ch, status, now);
		}
		break;
	case L2CAP_ECHO_REQUEST:
	case L2CAP_INFORMATION_REQUEST:
		break;
	default:
		l2cap_coc_request_failed(l, k, p, status);
		break;
	}
}

/* ---- B-frames ---------------------------------------------------------------------------- */

void l2cap_bredr_on_bframe(struct l2cap *l, struct l2cap_link *k, uint16_t cid,
			   const uint8_t *p, size_t len, uint64_t now_ms)
{
	struct l2cap_chan *ch = l2cap_br_chan(k, cid);
	l->bredr.st.bframes_in++;
	if (!ch || ch->state != L2CAP_CHAN_OPEN || len > ch->rx.mtu) {
		l->bredr.st.bframes_dropped++;
		return;
	}
	struct l2cap_out *o = l2cap_out_push(l, L2CAP_OUT_PDU, k->handle, ch->owner);
	if (!o)
		return;
	o->cid = ch->local_cid;
	o->data = malloc(len ? len : 1);
	if (!o->data) {
		l->st.no_memory++;
		l->out.n--;
		return;
	}
	if (len)
		memcpy(o->data, p, len);
	o->len = len;
}

/* Sends queued SDUs as B-frames while the host takes them. */
void l2cap_bredr_tx_pump(struct l2cap *l, struct l2cap_link *k, struct l2cap_chan *ch)
{
	while (ch->state == L2CAP_CHAN_OPEN && ch->txq_head && l2cap_host_room(k)) {
		struct l2cap_sdu *sdu = ch->txq_head;
		if (l2cap_out_frame(l, k->handle, ch->remote_cid, sdu->data, sdu->len, NULL, 0) < 0)
			break; /* out of memory: it stays queued */
		ch->txq_head = sdu->next;
		if (!ch->txq_head)
			ch->txq_tail = NULL;
		ch->txq_bytes -= sdu->len;
		ch->txq_count--;
		free(sdu);
	}
	if (ch->tx_blocked && ch->txq_bytes <= l->cfg.txq_max / 2) {
		ch->tx_blocked = false;
		struct l2cap_out *o =
			l2cap_out_push(l, L2CAP_OUT_COC_WRITABLE, k->handle, ch->owner);
		if (o)
			o->cid = ch->local_cid;
	}
}

/* ---- the owners' operations ---------------------------------------------------------------- */

const struct l2cap_psm_listener *l2cap_psm_find(const struct l2cap *l, uint16_t psm)
{
	for (unsigned i = 0; psm && i < L2CAP_PSM_LISTEN_MAX; i++)
		if (l->bredr.psm[i].psm == psm)
			return &l->bredr.psm[i];
	return NULL;
}

int l2cap_psm_listen(struct l2cap *l, uint16_t psm, const char *owner, uint16_t mtu,
		     uint8_t sec_level)
{
	if (!mtu)
		mtu = L2CAP_BREDR_MTU_DEFAULT;
	if (!L2CAP_PSM_VALID(psm) || !l2cap_name_valid(owner) || mtu < L2CAP_BREDR_MTU_MIN ||
	    sec_level > L2CAP_SEC_AUTHENTICATED)
		return -EINVAL;
	struct l2cap_psm_listener *ls = (struct l2cap_psm_listener *)l2cap_psm_find(l, psm);
	if (ls && strcmp(ls->owner, owner) != 0)
		return -EADDRINUSE;
	for (unsigned i = 0; i < L2CAP_PSM_LISTEN_MAX && !ls; i++)
		if (!l->bredr.psm[i].psm)
			ls = &l->bredr.psm[i];
	if (!ls)
		return -ENOSPC;
	ls->psm = psm;
	snprintf(ls->owner, sizeof ls->owner, "%s", owner);
	ls->mtu = mtu;
	ls->sec_level = sec_level;
	return 0;
}

int l2cap_psm_unlisten(struct l2cap *l, uint16_t psm, const char *owner)
{
	struct l2cap_psm_listener *ls = (struct l2cap_psm_listener *)l2cap_psm_find(l, psm);
	if (!ls || (owner && strcmp(ls->owner, owner) != 0))
		return -ENOENT;
	memset(ls, 0, sizeof *ls);
	return 0;
}

int l2cap_bredr_connect(struct l2cap *l, uint16_t handle, uint16_t psm, const char *owner,
			uint16_t mtu, uint64_t req_id, uint64_t now_ms)
{
	struct l2cap_link *k = l2cap_link_find(l, handle);
	if (!k)
		return -ENOENT;
	if (!mtu)
		mtu = L2CAP_BREDR_MTU_DEFAULT;
	if (!k->bredr || !L2CAP_PSM_VALID(psm) || !l2cap_name_valid(owner) ||
	    mtu < L2CAP_BREDR_MTU_MIN)
		return -EINVAL;
	struct l2cap_chan *ch = l2cap_chan_connecting(k, psm, owner, req_id);
	if (!ch)
		return -ENOSPC;
	ch->rx.mtu = mtu;
	ch->rx.mps = mtu;
	ch->peer_mtu = L2CAP_BREDR_MTU_DEFAULT;
	ch->br.flags = L2CAP_BR_BASIC;
	ch->br.in_mtu = L2CAP_BREDR_MTU_DEFAULT;
	ch->br.flush_timeout = 0xFFFF;
	struct l2cap_bredr_sig s = { .code = L2CAP_CONNECTION_REQUEST };
	s.u.conn_request.psm = psm;
	s.u.conn_request.scid = ch->local_cid;
	return l2cap_chan_requested(k, ch, l2cap_br_request(l, k, &s, now_ms));
}

int l2cap_bredr_send(struct l2cap *l, uint16_t handle, uint16_t cid, const uint8_t *p,
		     size_t len)
{
	struct l2cap_link *k = l2cap_link_find(l, handle);
	if (!k || !l2cap_br_chan(k, cid))
		return -ENOENT;
	return l2cap_coc_send(l, handle, cid, p, len);
}

int l2cap_bredr_echo(struct l2cap *l, uint16_t handle, const uint8_t *p, size_t len,
		     uint64_t now_ms)
{
	struct l2cap_link *k = l2cap_link_find(l, handle);
	if (!k)
		return -ENOENT;
	if (!k->bredr || len > L2CAP_BREDR_MTU_SIG_MIN - L2CAP_SIG_HDR_LEN)
		return -EINVAL;
	struct l2cap_bredr_sig s = { .code = L2CAP_ECHO_REQUEST };
	s.u.echo.data = p;
	s.u.echo.len = (uint16_t)len;
	return l2cap_br_request(l, k, &s, now_ms) ? 0 : -EBUSY;
}
