/* LE credit based connection-oriented channels (Core Vol 3 Part A 3.4,
 * 4.22-4.24, 10.1): the SPSM registry, channel set-up and tear-down, SDU
 * segmentation into K-frames and reassembly, credits both ways.
 *
 * The peer's protocol violations disconnect the channel, as the
 * specification requires: a K-frame without credits, a K-frame larger than
 * our MPS, an SDU length above our MTU, K-frames adding up to more than
 * their SDU length, credits pushed past 65535. The owner hears COC_CLOSED
 * with -EPROTO at once; the Disconnection Request follows.
 *
 * SDUs the owner sends wait in the channel's queue until credits come; the
 * queue is bounded in bytes and a send that does not fit is refused with
 * -EAGAIN (COC_WRITABLE follows), so nothing is ever dropped silently.
 */
#include "l2cap_internal.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- the SPSM registry ---------------------------------------------------------- */

bool l2cap_rx_params_ok(const struct l2cap_coc_params *rx)
{
	return rx->mtu >= L2CAP_LE_MTU_MIN && rx->mps >= L2CAP_LE_MPS_MIN &&
	       rx->mps <= L2CAP_LE_MPS_MAX && rx->credits >= 1;
}

struct l2cap_listener *l2cap_listener_find(struct l2cap *l, uint16_t spsm)
{
	for (unsigned i = 0; spsm && i < L2CAP_SPSM_LISTEN_MAX; i++)
		if (l->listen[i].spsm == spsm)
			return &l->listen[i];
	return NULL;
}

int l2cap_coc_listen(struct l2cap *l, uint16_t spsm, const char *owner,
		     const struct l2cap_coc_policy *policy)
{
	if (spsm < L2CAP_SPSM_MIN || spsm > L2CAP_SPSM_MAX || !l2cap_name_valid(owner) ||
	    !l2cap_rx_params_ok(&policy->rx))
		return -EINVAL;
	struct l2cap_listener *ls = l2cap_listener_find(l, spsm);
	if (ls && strcmp(ls->owner, owner) != 0)
		return -EADDRINUSE;
	for (unsigned i = 0; i < L2CAP_SPSM_LISTEN_MAX && !ls; i++)
		if (!l->listen[i].spsm)
			ls = &l->listen[i];
	if (!ls)
		return -ENOSPC;
	ls->spsm = spsm;
	snprintf(ls->owner, sizeof ls->owner, "%s", owner);
	ls->policy = *policy;
	return 0;
}

int l2cap_coc_unlisten(struct l2cap *l, uint16_t spsm, const char *owner)
{
	struct l2cap_listener *ls = l2cap_listener_find(l, spsm);
	if (!ls || (owner && strcmp(ls->owner, owner) != 0))
		return -ENOENT;
	memset(ls, 0, sizeof *ls);
	return 0;
}

/* ---- channels --------------------------------------------------------------------- */

struct l2cap_chan *l2cap_chan_find(struct l2cap *l, uint16_t handle, uint16_t local_cid)
{
	struct l2cap_link *k = l2cap_link_find(l, handle);
	if (!k || !L2CAP_CID_IS_DYNAMIC(local_cid))
		return NULL;
	struct l2cap_chan *ch = &k->chan[local_cid - L2CAP_CID_DYN_MIN];
	return ch->state == L2CAP_CHAN_FREE ? NULL : ch;
}

struct l2cap_chan *l2cap_chan_local(struct l2cap_link *k, uint16_t cid)
{
	if (!L2CAP_CID_IS_DYNAMIC(cid))
		return NULL;
	struct l2cap_chan *ch = &k->chan[cid - L2CAP_CID_DYN_MIN];
	return ch->state == L2CAP_CHAN_FREE ? NULL : ch;
}

/* The channel whose peer endpoint is cid (known once connected). */
struct l2cap_chan *l2cap_chan_remote(struct l2cap_link *k, uint16_t cid)
{
	for (unsigned i = 0; cid && i < L2CAP_CHAN_MAX; i++)
		if (k->chan[i].state != L2CAP_CHAN_FREE && k->chan[i].remote_cid == cid)
			return &k->chan[i];
	return NULL;
}

unsigned l2cap_chan_count_spsm(const struct l2cap_link *k, uint16_t spsm)
{
	unsigned n = 0;
	for (unsigned i = 0; i < L2CAP_CHAN_MAX; i++)
		if (k->chan[i].state != L2CAP_CHAN_FREE && k->chan[i].incoming &&
		    k->chan[i].spsm == spsm)
			n++;
	return n;
}

struct l2cap_chan *l2cap_chan_alloc(struct l2cap_link *k)
{
	for (unsigned i = 0; i < L2CAP_CHAN_MAX; i++) {
		struct l2cap_chan *ch = &k->chan[i];
		if (ch->state != L2CAP_CHAN_FREE)
			continue;
		memset(ch, 0, sizeof *ch);
		ch->local_cid = (uint16_t)(L2CAP_CID_DYN_MIN + i);
		return ch;
	}
	return NULL;
}

struct l2cap_chan *l2cap_chan_connecting(struct l2cap_link *k, uint16_t psm, const char *owner,
					 uint64_t req_id)
{
	struct l2cap_chan *ch = l2cap_chan_alloc(k);
	if (!ch)
		return NULL;
	ch->state = L2CAP_CHAN_CONNECTING;
	ch->spsm = psm;
	ch->req_id = req_id;
	snprintf(ch->owner, sizeof ch->owner, "%s", owner);
	return ch;
}

int l2cap_chan_requested(struct l2cap_link *k, struct l2cap_chan *ch, struct l2cap_pending *p)
{
	if (!p) {
		l2cap_chan_free(k, ch);
		return -EBUSY;
	}
	p->ncid = 1;
	p->cid[0] = ch->local_cid;
	p->req_id = ch->req_id;
	return ch->local_cid;
}

static void txq_flush(struct l2cap_chan *ch)
{
	while (ch->txq_head) {
		struct l2cap_sdu *s = ch->txq_head;
		ch->txq_head = s->next;
		free(s);
	}
	ch->txq_tail = NULL;
	ch->txq_bytes = 0;
	ch->txq_count = 0;
}

/* Frees the channel's queues and its slot; forgets any Disconnection Request
 * of ours for it, so a late response cannot free the slot's next owner. */
void l2cap_chan_free(struct l2cap_link *k, struct l2cap_chan *ch)
{
	for (unsigned i = 0; i < L2CAP_PENDING_MAX; i++) {
		struct l2cap_pending *p = &k->pending[i];
		if (p->ident && p->code == L2CAP_DISCONNECTION_REQUEST && p->cid[0] == ch->local_cid)
			p->ident = 0;
	}
	txq_flush(ch);
	free(ch->rx_buf);
	memset(ch, 0, sizeof *ch);
}

static void tell_closed(struct l2cap *l, struct l2cap_link *k, struct l2cap_chan *ch, int status)
{
	if (ch->owner_told)
		return;
	ch->owner_told = true;
	struct l2cap_out *o = l2cap_out_push(l, L2CAP_OUT_COC_CLOSED, k->handle, ch->owner);
	if (o) {
		o->cid = ch->local_cid;
		o->status = status;
		o->req_id = ch->req_id;
		o->unsent = ch->unsent + ch->txq_count;
	}
}

void l2cap_tell_open_failed(struct l2cap *l, struct l2cap_link *k, struct l2cap_chan *ch,
			     int status)
{
	if (ch->owner_told)
		return;
	ch->owner_told = true;
	struct l2cap_out *o = l2cap_out_push(l, L2CAP_OUT_COC_OPEN_FAILED, k->handle, ch->owner);
	if (o) {
		o->cid = ch->local_cid;
		o->status = status;
		o->req_id = ch->req_id;
		o->spsm = ch->spsm;
	}
}

void l2cap_tell_opened(struct l2cap *l, struct l2cap_link *k, struct l2cap_chan *ch)
{
	struct l2cap_out *o = l2cap_out_push(l, L2CAP_OUT_COC_OPENED, k->handle, ch->owner);
	if (o) {
		o->cid = ch->local_cid;
		o->req_id = ch->req_id;
		o->spsm = ch->spsm;
		o->mtu = ch->peer_mtu;
		o->mps = ch->peer_mps;
		o->incoming = ch->incoming;
	}
}

/* Sends our Disconnection Request; the slot is kept until the response (or
 * RTX) so the CID is not reused while the peer may still use it. */
void l2cap_chan_disconnect(struct l2cap *l, struct l2cap_link *k, struct l2cap_chan *ch,
			    uint64_t now_ms)
{
	ch->unsent += ch->txq_count;
	txq_flush(ch);
	free(ch->rx_buf);
	ch->rx_buf = NULL;
	ch->rx_active = false;
	struct l2cap_sig s = { .code = L2CAP_DISCONNECTION_REQUEST };
	s.u.disconnection.dcid = ch->remote_cid;
	s.u.disconnection.scid = ch->local_cid;
	ch->state = L2CAP_CHAN_DISCONNECTING;
	struct l2cap_pending *p = l2cap_sig_request(l, k, &s, now_ms);
	if (!p) {
		tell_closed(l, k, ch, ch->close_status);
		l2cap_chan_free(k, ch);
		return;
	}
	p->ncid = 1;
	p->cid[0] = ch->local_cid;
	p->req_id = ch->req_id;
}

void l2cap_chan_abort(struct l2cap *l, struct l2cap_link *k, struct l2cap_chan *ch, int status,
		      uint64_t now_ms)
{
	ch->close_status = status;
	tell_closed(l, k, ch, status);
	l2cap_chan_disconnect(l, k, ch, now_ms);
}

/* The peer broke the rules of the channel: disconnect it. */
static void chan_violation(struct l2cap *l, struct l2cap_link *k, struct l2cap_chan *ch,
			   uint64_t now_ms)
{
	l->st.coc_violations++;
	tell_closed(l, k, ch, -EPROTO);
	l2cap_chan_disconnect(l, k, ch, now_ms);
}

/* Returns credits to the peer once it holds half or less of what we grant. */
static void rx_credits_return(struct l2cap *l, struct l2cap_link *k, struct l2cap_chan *ch)
{
	if (ch->rx_hold || ch->state != L2CAP_CHAN_OPEN || ch->rx_credits > ch->rx.credits / 2u)
		return;
	uint16_t give = (uint16_t)(ch->rx.credits - ch->rx_credits);
	if (!give)
		return;
	struct l2cap_sig s = { .code = L2CAP_FLOW_CONTROL_CREDIT_IND,
			       .ident = l2cap_sig_next_ident(k) };
	s.u.credit_ind.cid = ch->local_cid;
	s.u.credit_ind.credits = give;
	if (l2cap_sig_send(l, k, &s) == 0)
		ch->rx_credits += give;
}

/* Sends as many K-frames as the credits allow. */
void l2cap_tx_pump(struct l2cap *l, struct l2cap_link *k, struct l2cap_chan *ch)
{
	if (ch->br.flags & L2CAP_BR_BASIC) {
		l2cap_bredr_tx_pump(l, k, ch); /* B-frames, no credits */
		return;
	}
	while (ch->state == L2CAP_CHAN_OPEN && ch->tx_credits && ch->txq_head &&
	       l2cap_host_room(k)) {
		struct l2cap_sdu *sdu = ch->txq_head;
		uint8_t hdr[L2CAP_SDU_LEN_SIZE];
		size_t hlen = 0, room = ch->peer_mps;
		if (!sdu->started) {
			hdr[0] = (uint8_t)sdu->len;
			hdr[1] = (uint8_t)(sdu->len >> 8);
			hlen = L2CAP_SDU_LEN_SIZE;
			room -= L2CAP_SDU_LEN_SIZE;
		}
		size_t n = sdu->len - sdu->off < room ? sdu->len - sdu->off : room;
		if (l2cap_out_frame(l, k->handle, ch->remote_cid, hdr, hlen, sdu->data + sdu->off,
				    n) < 0)
			break; /* out of memory: it stays queued */
		sdu->started = true;
		sdu->off += n;
		ch->tx_credits--;
		if (sdu->off == sdu->len) {
			ch->txq_head = sdu->next;
			if (!ch->txq_head)
				ch->txq_tail = NULL;
			ch->txq_bytes -= sdu->len;
			ch->txq_count--;
			free(sdu);
		}
	}
	if (ch->tx_blocked && ch->txq_bytes <= l->cfg.txq_max / 2) {
		ch->tx_blocked = false;
		struct l2cap_out *o =
			l2cap_out_push(l, L2CAP_OUT_COC_WRITABLE, k->handle, ch->owner);
		if (o)
			o->cid = ch->local_cid;
	}
}

/* The security a listener demands, as an LE result code (0: enough). */
uint16_t l2cap_sec_check(const struct l2cap_security *sec, const struct l2cap_coc_policy *pol)
{
	if (pol->sec_level >= L2CAP_SEC_ENCRYPTED && !sec->encrypted)
		return sec->ltk_present ? L2CAP_LE_INSUFFICIENT_ENCRYPTION :
					  L2CAP_LE_INSUFFICIENT_AUTHENTICATION;
	if (pol->sec_level >= L2CAP_SEC_AUTHENTICATED && !sec->authenticated)
		return L2CAP_LE_INSUFFICIENT_AUTHENTICATION;
	if (pol->min_key_size && (!sec->encrypted || sec->key_size < pol->min_key_size))
		return sec->encrypted ? L2CAP_LE_KEY_SIZE_TOO_SHORT :
					L2CAP_LE_INSUFFICIENT_ENCRYPTION;
	if (pol->need_authorization && !sec->authorized)
		return L2CAP_LE_INSUFFICIENT_AUTHORIZATION;
	return 0;
}

/* ---- signaling handlers ------------------------------------------------------------ */

int on_l2cap_le_credit_based_connection_request(struct l2cap *l, struct l2cap_link *k,
						const struct l2cap_sig *s, uint64_t now_ms)
{
	const struct l2cap_le_credit_based_connection_request *r = &s->u.le_conn_request;
	struct l2cap_listener *ls = l2cap_listener_find(l, r->spsm);
	struct l2cap_chan *ch = NULL;
	uint16_t result = L2CAP_LE_SUCCESS;
	if (!ls)
		result = L2CAP_LE_SPSM_NOT_SUPPORTED;
	else if ((result = l2cap_sec_check(&k->sec, &ls->policy)) != 0)
		;
	else if (!L2CAP_CID_IS_DYNAMIC(r->scid))
		result = L2CAP_LE_INVALID_SOURCE_CID;
	else if (l2cap_chan_remote(k, r->scid))
		result = L2CAP_LE_SOURCE_CID_ALREADY_ALLOCATED;
	else if (r->mtu < L2CAP_LE_MTU_MIN || r->mps < L2CAP_LE_MPS_MIN ||
		 r->mps > L2CAP_LE_MPS_MAX)
		result = L2CAP_LE_UNACCEPTABLE_PARAMETERS;
	else if ((ls->policy.max_channels &&
		  l2cap_chan_count_spsm(k, r->spsm) >= ls->policy.max_channels) ||
		 !(ch = l2cap_chan_alloc(k)))
		result = L2CAP_LE_NO_RESOURCES;

	struct l2cap_sig rsp = { .code = L2CAP_LE_CREDIT_BASED_CONNECTION_RESPONSE,
				 .ident = s->ident };
	rsp.u.le_conn_response.result = result;
	if (ch) {
		ch->state = L2CAP_CHAN_OPEN;
		ch->remote_cid = r->scid;
		ch->spsm = r->spsm;
		ch->incoming = true;
		snprintf(ch->owner, sizeof ch->owner, "%s", ls->owner);
		ch->rx = ls->policy.rx;
		ch->rx_credits = ch->rx.credits;
		ch->peer_mtu = r->mtu;
		ch->peer_mps = r->mps;
		ch->tx_credits = r->credits;
		rsp.u.le_conn_response.dcid = ch->local_cid;
		rsp.u.le_conn_response.mtu = ch->rx.mtu;
		rsp.u.le_conn_response.mps = ch->rx.mps;
		rsp.u.le_conn_response.credits = ch->rx.credits;
	}
	if (l2cap_sig_send(l, k, &rsp) < 0) {
		if (ch)
			l2cap_chan_free(k, ch);
		return 0;
	}
	if (ch)
		l2cap_tell_opened(l, k, ch);
	return 0;
}

int on_l2cap_le_credit_based_connection_response(struct l2cap *l, struct l2cap_link *k,
						 const struct l2cap_sig *s,
						 const struct l2cap_pending *p, uint64_t now_ms)
{
	const struct l2cap_le_credit_based_connection_response *r = &s->u.le_conn_response;
	struct l2cap_chan *ch = l2cap_chan_local(k, p->cid[0]);
	if (!ch || ch->state != L2CAP_CHAN_CONNECTING)
		return 0;
	if (r->result != L2CAP_LE_SUCCESS) {
		l2cap_tell_open_failed(l, k, ch, r->result);
		l2cap_chan_free(k, ch);
		return 0;
	}
	if (!L2CAP_CID_IS_DYNAMIC(r->dcid) || l2cap_chan_remote(k, r->dcid)) {
		l->st.coc_violations++;
		l2cap_tell_open_failed(l, k, ch, -EPROTO);
		l2cap_chan_free(k, ch);
		return 0;
	}
	ch->remote_cid = r->dcid;
	if (r->mtu < L2CAP_LE_MTU_MIN || r->mps < L2CAP_LE_MPS_MIN || r->mps > L2CAP_LE_MPS_MAX) {
		l->st.coc_violations++;
		l2cap_tell_open_failed(l, k, ch, -EPROTO);
		l2cap_chan_disconnect(l, k, ch, now_ms);
		return 0;
	}
	ch->peer_mtu = r->mtu;
	ch->peer_mps = r->mps;
	ch->tx_credits = r->credits;
	ch->state = L2CAP_CHAN_OPEN;
	l2cap_tell_opened(l, k, ch);
	l2cap_tx_pump(l, k, ch);
	return 0;
}

int on_l2cap_flow_control_credit_ind(struct l2cap *l, struct l2cap_link *k,
				     const struct l2cap_sig *s, uint64_t now_ms)
{
	struct l2cap_chan *ch = l2cap_chan_remote(k, s->u.credit_ind.cid);
	if (!ch || ch->state != L2CAP_CHAN_OPEN) {
		l->st.sig_unexpected++;
		return 0;
	}
	if (ch->tx_credits + s->u.credit_ind.credits > UINT16_MAX) {
		chan_violation(l, k, ch, now_ms);
		return 0;
	}
	ch->tx_credits += s->u.credit_ind.credits;
	l2cap_tx_pump(l, k, ch);
	return 0;
}

int on_l2cap_disconnection_request(struct l2cap *l, struct l2cap_link *k,
				   const struct l2cap_sig *s, uint64_t now_ms)
{
	const struct l2cap_disconnection *d = &s->u.disconnection;
	struct l2cap_chan *ch = l2cap_chan_local(k, d->dcid);
	if (!ch || ch->state == L2CAP_CHAN_CONNECTING) {
		l2cap_sig_reject(l, k, s->ident, L2CAP_REJ_INVALID_CID, d->dcid, d->scid);
		return 0;
	}
	if (ch->remote_cid != d->scid) {
		/* Both endpoints must match; otherwise silently discarded. */
		l->st.sig_unexpected++;
		return 0;
	}
	struct l2cap_sig rsp = { .code = L2CAP_DISCONNECTION_RESPONSE, .ident = s->ident };
	rsp.u.disconnection = *d;
	l2cap_sig_send(l, k, &rsp);
	tell_closed(l, k, ch,
		    ch->state == L2CAP_CHAN_DISCONNECTING ? ch->close_status : -ECONNRESET);
	l2cap_chan_free(k, ch);
	return 0;
}

int on_l2cap_disconnection_response(struct l2cap *l, struct l2cap_link *k,
				    const struct l2cap_sig *s, const struct l2cap_pending *p,
				    uint64_t now_ms)
{
	struct l2cap_chan *ch = l2cap_chan_local(k, p->cid[0]);
	if (!ch || ch->state != L2CAP_CHAN_DISCONNECTING)
		return 0;
	if (s->u.disconnection.dcid != ch->remote_cid || s->u.disconnection.scid != ch->local_cid)
		l->st.sig_unexpected++; /* wrong endpoints: closed all the same */
	tell_closed(l, k, ch, ch->close_status);
	l2cap_chan_free(k, ch);
	return 0;
}

void l2cap_coc_request_failed(struct l2cap *l, struct l2cap_link *k,
			      const struct l2cap_pending *p, int status)
{
	for (unsigned i = 0; i < p->ncid; i++) {
		struct l2cap_chan *ch = l2cap_chan_local(k, p->cid[i]);
		if (!ch)
			continue;
		if (ch->state == L2CAP_CHAN_CONNECTING &&
		    (p->code == L2CAP_LE_CREDIT_BASED_CONNECTION_REQUEST ||
		     p->code == L2CAP_CREDIT_BASED_CONNECTION_REQUEST)) {
			l2cap_tell_open_failed(l, k, ch, status);
			l2cap_chan_free(k, ch);
		} else if (ch->state == L2CAP_CHAN_DISCONNECTING &&
			   p->code == L2CAP_DISCONNECTION_REQUEST) {
			tell_closed(l, k, ch, ch->close_status);
			l2cap_chan_free(k, ch);
		}
	}
}

/* ---- K-frames ---------------------------------------------------------------------- */

void l2cap_coc_on_kframe(struct l2cap *l, struct l2cap_link *k, uint16_t cid,
			 const uint8_t *p, size_t len, uint64_t now_ms)
{
	struct l2cap_chan *ch = l2cap_chan_local(k, cid);
	if (!ch || ch->state != L2CAP_CHAN_OPEN) {
		l->st.kframes_dropped++;
		return;
	}
	if (ch->rx_credits == 0 || len > ch->rx.mps) {
		chan_violation(l, k, ch, now_ms);
		return;
	}
	ch->rx_credits--;
	struct rd r = rd_init(p, len);
	if (!ch->rx_active) {
		uint16_t sdu_len = rd_le16(&r);
		if (!rd_ok(&r) || sdu_len > ch->rx.mtu || r.left > sdu_len) {
			chan_violation(l, k, ch, now_ms);
			return;
		}
		ch->rx_buf = malloc(sdu_len ? sdu_len : 1);
		if (!ch->rx_buf) {
			/* Nothing lost silently: the channel goes, loudly. */
			l->st.no_memory++;
			ch->close_status = -ENOMEM;
			tell_closed(l, k, ch, -ENOMEM);
			l2cap_chan_disconnect(l, k, ch, now_ms);
			return;
		}
		ch->rx_sdu_len = sdu_len;
		ch->rx_have = 0;
		ch->rx_active = true;
	} else if (r.left > ch->rx_sdu_len - ch->rx_have) {
		chan_violation(l, k, ch, now_ms);
		return;
	}
	size_t n;
	const uint8_t *data = rd_rest(&r, &n);
	if (n)
		memcpy(ch->rx_buf + ch->rx_have, data, n);
	ch->rx_have += n;
	if (ch->rx_have == ch->rx_sdu_len) {
		struct l2cap_out *o = l2cap_out_push(l, L2CAP_OUT_COC_SDU, k->handle, ch->owner);
		if (!o) {
			ch->close_status = -ENOMEM;
			tell_closed(l, k, ch, -ENOMEM);
			l2cap_chan_disconnect(l, k, ch, now_ms);
			return;
		}
		o->cid = ch->local_cid;
		o->data = ch->rx_buf; /* handed over to the outbox */
		o->len = ch->rx_sdu_len;
		ch->rx_buf = NULL;
		ch->rx_active = false;
	}
	rx_credits_return(l, k, ch);
}

/* ---- the owner's operations --------------------------------------------------------- */

int l2cap_coc_connect(struct l2cap *l, uint16_t handle, uint16_t spsm, const char *owner,
		      const struct l2cap_coc_params *rx, uint64_t req_id, uint64_t now_ms)
{
	struct l2cap_link *k = l2cap_link_find(l, handle);
	if (!k)
		return -ENOENT;
	if (spsm < L2CAP_SPSM_MIN || spsm > L2CAP_SPSM_MAX || !l2cap_name_valid(owner) ||
	    !l2cap_rx_params_ok(rx))
		return -EINVAL;
	struct l2cap_chan *ch = l2cap_chan_connecting(k, spsm, owner, req_id);
	if (!ch)
		return -ENOSPC;
	ch->rx = *rx;
	ch->rx_credits = rx->credits;
	struct l2cap_sig s = { .code = L2CAP_LE_CREDIT_BASED_CONNECTION_REQUEST };
	s.u.le_conn_request.spsm = spsm;
	s.u.le_conn_request.scid = ch->local_cid;
	s.u.le_conn_request.mtu = rx->mtu;
	s.u.le_conn_request.mps = rx->mps;
	s.u.le_conn_request.credits = rx->credits;
	return l2cap_chan_requested(k, ch, l2cap_sig_request(l, k, &s, now_ms));
}

int l2cap_coc_send(struct l2cap *l, uint16_t handle, uint16_t cid, const uint8_t *p,
		   size_t len)
{
	struct l2cap_link *k = l2cap_link_find(l, handle);
	struct l2cap_chan *ch = k ? l2cap_chan_local(k, cid) : NULL;
	if (!ch || ch->state != L2CAP_CHAN_OPEN)
		return -ENOENT;
	if (len > ch->peer_mtu)
		return -EMSGSIZE;
	if (ch->txq_count && ch->txq_bytes + len > l->cfg.txq_max) {
		ch->tx_blocked = true;
		return -EAGAIN;
	}
	struct l2cap_sdu *sdu = malloc(sizeof *sdu + len);
	if (!sdu) {
		l->st.no_memory++;
		return -ENOMEM;
	}
	sdu->next = NULL;
	sdu->len = len;
	sdu->off = 0;
	sdu->started = false;
	if (len)
		memcpy(sdu->data, p, len);
	if (ch->txq_tail)
		ch->txq_tail->next = sdu;
	else
		ch->txq_head = sdu;
	ch->txq_tail = sdu;
	ch->txq_bytes += len;
	ch->txq_count++;
	l2cap_tx_pump(l, k, ch);
	return 0;
}

int l2cap_coc_disconnect(struct l2cap *l, uint16_t handle, uint16_t cid, uint64_t now_ms)
{
	struct l2cap_link *k = l2cap_link_find(l, handle);
	struct l2cap_chan *ch = k ? l2cap_chan_local(k, cid) : NULL;
	if (!ch)
		return -ENOENT;
	if (ch->state == L2CAP_CHAN_DISCONNECTING)
		return -EALREADY;
	if (ch->state != L2CAP_CHAN_OPEN)
		return -EBUSY; /* connecting: wait for the outcome */
	ch->close_status = 0;
	l2cap_chan_disconnect(l, k, ch, now_ms);
	return 0;
}

int l2cap_coc_rx_hold(struct l2cap *l, uint16_t handle, uint16_t cid, bool hold)
{
	struct l2cap_link *k = l2cap_link_find(l, handle);
	struct l2cap_chan *ch = k ? l2cap_chan_local(k, cid) : NULL;
	if (!ch)
		return -ENOENT;
	ch->rx_hold = hold;
	if (!hold)
		rx_credits_return(l, k, ch);
	return 0;
}

void l2cap_coc_link_down(struct l2cap *l, struct l2cap_link *k)
{
	for (unsigned i = 0; i < L2CAP_CHAN_MAX; i++) {
		struct l2cap_chan *ch = &k->chan[i];
		if (ch->state == L2CAP_CHAN_FREE)
			continue;
		if (ch->state == L2CAP_CHAN_CONNECTING)
			l2cap_tell_open_failed(l, k, ch, -ENOTCONN);
		else
			tell_closed(l, k, ch, ch->state == L2CAP_CHAN_DISCONNECTING ?
						      ch->close_status :
						      -ENOTCONN);
		l2cap_chan_free(k, ch);
	}
}
