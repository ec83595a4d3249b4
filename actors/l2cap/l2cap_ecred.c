/* Enhanced credit based flow control mode (Core Vol 3 Part A 4.25-4.28):
 * up to 5 channels opened by one request, and reconfiguration of their MTU
 * and MPS by the peer. Data transfer, credits and disconnection are those
 * of l2cap_coc.c. */
#include "l2cap_internal.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

/* Our receive side in this mode: MTU and MPS of at least 64. */
static struct l2cap_coc_params ecred_rx(struct l2cap_coc_params rx)
{
	if (rx.mtu < L2CAP_ECRED_MTU_MIN)
		rx.mtu = L2CAP_ECRED_MTU_MIN;
	if (rx.mps < L2CAP_ECRED_MPS_MIN)
		rx.mps = L2CAP_ECRED_MPS_MIN;
	return rx;
}

int on_l2cap_credit_based_connection_request(struct l2cap *l, struct l2cap_link *k,
					     const struct l2cap_sig *s, uint64_t now_ms)
{
	const struct l2cap_credit_based_connection_request *r = &s->u.ecred_conn_request;
	struct l2cap_listener *ls = l2cap_listener_find(l, r->spsm);
	struct l2cap_sig rsp = { .code = L2CAP_CREDIT_BASED_CONNECTION_RESPONSE,
				 .ident = s->ident };
	struct l2cap_credit_based_connection_response *out = &rsp.u.ecred_conn_response;
	struct l2cap_chan *opened[L2CAP_ECRED_CIDS_MAX] = { 0 };
	uint16_t result = L2CAP_ECRED_SUCCESS;
	out->ncid = r->ncid;
	if (r->mtu < L2CAP_ECRED_MTU_MIN || r->mps < L2CAP_ECRED_MPS_MIN ||
	    r->mps > L2CAP_LE_MPS_MAX)
		result = L2CAP_ECRED_INVALID_PARAMETERS;
	else if (!ls)
		result = L2CAP_ECRED_SPSM_NOT_SUPPORTED;
	else
		result = l2cap_sec_check(&k->sec, &ls->policy); /* same codes 5..8 */
	/* A refusal of the whole request leaves every DCID 0; otherwise each
	 * SCID is judged on its own and the result is the last refusal. */
	bool all_refused = result != L2CAP_ECRED_SUCCESS;
	unsigned n_open = 0;
	for (unsigned i = 0; !all_refused && i < r->ncid; i++) {
		uint16_t scid = r->scid[i];
		bool dup = false;
		for (unsigned j = 0; j < i; j++)
			dup |= r->scid[j] == scid;
		if (!L2CAP_CID_IS_DYNAMIC(scid)) {
			result = L2CAP_ECRED_SOME_INVALID_SOURCE_CID;
			continue;
		}
		if (dup || l2cap_chan_remote(k, scid)) {
			result = L2CAP_ECRED_SOME_SOURCE_CID_ALREADY_ALLOCATED;
			continue;
		}
		struct l2cap_chan *ch = NULL;
		if ((ls->policy.max_channels &&
		     l2cap_chan_count_spsm(k, r->spsm) >= ls->policy.max_channels) ||
		    !(ch = l2cap_chan_alloc(k))) {
			result = L2CAP_ECRED_SOME_NO_RESOURCES;
			continue;
		}
		ch->state = L2CAP_CHAN_OPEN;
		ch->ecred = true;
		ch->incoming = true;
		ch->remote_cid = scid;
		ch->spsm = r->spsm;
		snprintf(ch->owner, sizeof ch->owner, "%s", ls->owner);
		ch->rx = ecred_rx(ls->policy.rx);
		ch->rx_credits = ch->rx.credits;
		ch->peer_mtu = r->mtu;
		ch->peer_mps = r->mps;
		ch->tx_credits = r->credits;
		out->dcid[i] = ch->local_cid;
		opened[n_open++] = ch;
	}
	out->result = result;
	if (n_open) {
		struct l2cap_coc_params rx = ecred_rx(ls->policy.rx);
		out->mtu = rx.mtu;
		out->mps = rx.mps;
		out->credits = rx.credits;
	}
	if (l2cap_sig_send(l, k, &rsp) < 0) {
		for (unsigned i = 0; i < n_open; i++)
			l2cap_chan_free(k, opened[i]);
		return 0;
	}
	for (unsigned i = 0; i < n_open; i++)
		l2cap_tell_opened(l, k, opened[i]);
	return 0;
}

int on_l2cap_credit_based_connection_response(struct l2cap *l, struct l2cap_link *k,
					      const struct l2cap_sig *s,
					      const struct l2cap_pending *p, uint64_t now_ms)
{
	const struct l2cap_credit_based_connection_response *r = &s->u.ecred_conn_response;
	bool params_ok = r->mtu >= L2CAP_ECRED_MTU_MIN && r->mps >= L2CAP_ECRED_MPS_MIN &&
			 r->mps <= L2CAP_LE_MPS_MAX;
	for (unsigned i = 0; i < p->ncid; i++) {
		struct l2cap_chan *ch = l2cap_chan_local(k, p->cid[i]);
		if (!ch || ch->state != L2CAP_CHAN_CONNECTING)
			continue;
		uint16_t dcid = i < r->ncid ? r->dcid[i] : 0;
		if (dcid == 0) {
			l2cap_tell_open_failed(l, k, ch, r->result ? r->result : -ECONNREFUSED);
			l2cap_chan_free(k, ch);
			continue;
		}
		if (!L2CAP_CID_IS_DYNAMIC(dcid) || l2cap_chan_remote(k, dcid)) {
			l->st.coc_violations++;
			l2cap_tell_open_failed(l, k, ch, -EPROTO);
			l2cap_chan_free(k, ch);
			continue;
		}
		ch->remote_cid = dcid;
		if (!params_ok) {
			l->st.coc_violations++;
			l2cap_tell_open_failed(l, k, ch, -EPROTO);
			l2cap_chan_disconnect(l, k, ch, now_ms);
			continue;
		}
		ch->peer_mtu = r->mtu;
		ch->peer_mps = r->mps;
		ch->tx_credits = r->credits;
		ch->state = L2CAP_CHAN_OPEN;
		l2cap_tell_opened(l, k, ch);
	}
	return 0;
}

/* The peer changes the MTU and MPS it receives with, on channels it lists
 * by its own CIDs. */
int on_l2cap_credit_based_reconfigure_request(struct l2cap *l, struct l2cap_link *k,
					      const struct l2cap_sig *s, uint64_t now_ms)
{
	const struct l2cap_credit_based_reconfigure_request *r = &s->u.reconf_request;
	struct l2cap_chan *ch[L2CAP_ECRED_CIDS_MAX];
	uint16_t result = L2CAP_RECONF_SUCCESS;
	if (r->mtu < L2CAP_ECRED_MTU_MIN || r->mps < L2CAP_ECRED_MPS_MIN ||
	    r->mps > L2CAP_LE_MPS_MAX)
		result = L2CAP_RECONF_UNACCEPTABLE_PARAMETERS;
	for (unsigned i = 0; i < r->ncid && result == L2CAP_RECONF_SUCCESS; i++) {
		ch[i] = l2cap_chan_remote(k, r->dcid[i]);
		if (!ch[i] || !ch[i]->ecred || ch[i]->state != L2CAP_CHAN_OPEN)
			result = L2CAP_RECONF_INVALID_DCID;
		else if (r->mtu < ch[i]->peer_mtu)
			result = L2CAP_RECONF_MTU_REDUCTION;
		else if (r->mps < ch[i]->peer_mps && r->ncid > 1)
			result = L2CAP_RECONF_MPS_REDUCTION;
	}
	if (result == L2CAP_RECONF_SUCCESS) {
		for (unsigned i = 0; i < r->ncid; i++) {
			ch[i]->peer_mtu = r->mtu;
			ch[i]->peer_mps = r->mps;
		}
	}
	struct l2cap_sig rsp = { .code = L2CAP_CREDIT_BASED_RECONFIGURE_RESPONSE,
				 .ident = s->ident };
	rsp.u.result.result = result;
	l2cap_sig_send(l, k, &rsp);
	return 0;
}

int l2cap_ecred_connect(struct l2cap *l, uint16_t handle, uint16_t spsm, const char *owner,
			const struct l2cap_coc_params *rx, unsigned n, uint64_t req_id,
			uint64_t now_ms, uint16_t *cids)
{
	struct l2cap_link *k = l2cap_link_find(l, handle);
	if (!k)
		return -ENOENT;
	if (spsm < L2CAP_SPSM_MIN || spsm > L2CAP_SPSM_MAX || !l2cap_name_valid(owner) ||
	    !l2cap_rx_params_ok(rx) || rx->mtu < L2CAP_ECRED_MTU_MIN ||
	    rx->mps < L2CAP_ECRED_MPS_MIN || n < 1 || n > L2CAP_ECRED_CIDS_MAX)
		return -EINVAL;
	struct l2cap_sig s = { .code = L2CAP_CREDIT_BASED_CONNECTION_REQUEST };
	struct l2cap_credit_based_connection_request *q = &s.u.ecred_conn_request;
	struct l2cap_chan *ch[L2CAP_ECRED_CIDS_MAX];
	for (unsigned i = 0; i < n; i++) {
		ch[i] = l2cap_chan_alloc(k);
		if (!ch[i]) {
			for (unsigned j = 0; j < i; j++)
				l2cap_chan_free(k, ch[j]);
			return -ENOSPC;
		}
		ch[i]->state = L2CAP_CHAN_CONNECTING;
		ch[i]->ecred = true;
		ch[i]->spsm = spsm;
		ch[i]->req_id = req_id;
		snprintf(ch[i]->owner, sizeof ch[i]->owner, "%s", owner);
		ch[i]->rx = *rx;
		ch[i]->rx_credits = rx->credits;
		q->scid[i] = ch[i]->local_cid;
	}
	q->ncid = (uint8_t)n;
	q->spsm = spsm;
	q->mtu = rx->mtu;
	q->mps = rx->mps;
	q->credits = rx->credits;
	struct l2cap_pending *p = l2cap_sig_request(l, k, &s, now_ms);
	if (!p) {
		for (unsigned i = 0; i < n; i++)
			l2cap_chan_free(k, ch[i]);
		return -EBUSY;
	}
	p->ncid = (uint8_t)n;
	p->req_id = req_id;
	for (unsigned i = 0; i < n; i++) {
		p->cid[i] = ch[i]->local_cid;
		if (cids)
			cids[i] = ch[i]->local_cid;
	}
	return (int)n;
}
