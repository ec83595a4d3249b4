/* hive-l2cap: the L2capRequest API for apps (l2cap.proto). Each request is
 * answered with one Result; connect and conn_param_update are answered
 * later, from the outbox (l2cap_main.c). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "l2cap_main.h"

/* The request's receive parameters, the actor's defaults for 0 fields. */
static struct l2cap_coc_params rx_params(const struct l2cap_main *m,
					 const Hive__L2capCocParams *p, bool *bad)
{
	struct l2cap_coc_params rx = m->coc_default;
	*bad = false;
	if (!p)
		return rx;
	if (p->mtu > UINT16_MAX || p->mps > UINT16_MAX || p->credits > UINT16_MAX)
		*bad = true;
	if (p->mtu)
		rx.mtu = (uint16_t)p->mtu;
	if (p->mps)
		rx.mps = (uint16_t)p->mps;
	if (p->credits)
		rx.credits = (uint16_t)p->credits;
	return rx;
}

/* The open channel of (handle, cid) that source owns: 0, -ENOENT, -EPERM. */
static int owned_chan(struct l2cap_main *m, const char *source, uint32_t handle, uint32_t cid,
		      struct l2cap_chan **out)
{
	*out = NULL;
	if (handle > 0x0fff || cid > UINT16_MAX)
		return -ENOENT;
	struct l2cap_chan *ch = l2cap_chan_find(m->l, (uint16_t)handle, (uint16_t)cid);
	if (!ch)
		return -ENOENT;
	if (strcmp(ch->owner, source) != 0)
		return -EPERM;
	*out = ch;
	return 0;
}

static int do_send(struct l2cap_main *m, const char *source, const Hive__L2capSend *s)
{
	struct l2cap_chan *ch;
	int rc = owned_chan(m, source, s->handle, s->cid, &ch);
	if (rc < 0)
		return rc;
	/* After a refusal, only the owner's resume may queue again: SDUs it sent
	 * before it heard of the refusal must not overtake the refused one. */
	if (ch->send_paused && !s->resume)
		return -EAGAIN;
	rc = l2cap_coc_send(m->l, (uint16_t)s->handle, (uint16_t)s->cid, s->sdu.data, s->sdu.len);
	if (rc == -EAGAIN)
		ch->send_paused = true;
	else if (rc == 0)
		ch->send_paused = false;
	return rc;
}

static int do_connect(struct l2cap_main *m, const char *source, uint64_t id,
		      const Hive__L2capConnect *c)
{
	bool bad;
	struct l2cap_coc_params rx = rx_params(m, c->rx, &bad);
	if (bad || c->handle > 0x0fff || c->spsm > UINT16_MAX || c->count > L2CAP_ECRED_CIDS_MAX)
		return -EINVAL;
	uint64_t now = l2cap_main_now_ms();
	int rc;
	if (c->count == 0) {
		rc = l2cap_coc_connect(m->l, (uint16_t)c->handle, (uint16_t)c->spsm, source, &rx, id,
				       now);
	} else {
		if (rx.mtu < L2CAP_ECRED_MTU_MIN)
			rx.mtu = L2CAP_ECRED_MTU_MIN;
		if (rx.mps < L2CAP_ECRED_MPS_MIN)
			rx.mps = L2CAP_ECRED_MPS_MIN;
		rc = l2cap_ecred_connect(m->l, (uint16_t)c->handle, (uint16_t)c->spsm, source, &rx,
					 c->count, id, now, NULL);
	}
	if (rc > 0)
		HLOG_INFO(m->a, "conn=0x%04x: %s asks for %u channel(s) to SPSM 0x%02x", c->handle,
			  source, c->count ? c->count : 1, c->spsm);
	return rc < 0 ? rc : 0;
}

static int do_listen(struct l2cap_main *m, const char *source, const Hive__L2capListen *q)
{
	bool bad;
	struct l2cap_coc_policy pol = { 0 };
	pol.rx = rx_params(m, q->rx, &bad);
	if (bad || q->spsm > UINT16_MAX || q->sec_level > L2CAP_SEC_AUTHENTICATED ||
	    q->min_key_size > 16)
		return -EINVAL;
	pol.sec_level = (enum l2cap_sec_level)q->sec_level;
	pol.min_key_size = (uint8_t)q->min_key_size;
	pol.need_authorization = q->need_authorization;
	pol.max_channels = q->max_channels;
	int rc = l2cap_coc_listen(m->l, (uint16_t)q->spsm, source, &pol);
	if (rc == 0)
		HLOG_INFO(m->a, "%s listens on SPSM 0x%02x", source, q->spsm);
	return rc;
}

static int do_conn_params(struct l2cap_main *m, const char *source, uint64_t id,
			  const Hive__L2capConnParamUpdate *u)
{
	if (u->handle > 0x0fff || u->interval_min > UINT16_MAX || u->interval_max > UINT16_MAX ||
	    u->latency > UINT16_MAX || u->timeout > UINT16_MAX)
		return -EINVAL;
	struct l2cap_conn_params cp = { (uint16_t)u->interval_min, (uint16_t)u->interval_max,
					(uint16_t)u->latency, (uint16_t)u->timeout };
	return l2cap_request_conn_params(m->l, (uint16_t)u->handle, &cp, source, id,
					 l2cap_main_now_ms());
}

/* BR/EDR: basic-mode channels on a PSM (l2cap_bredr.h). */
static int do_psm_listen(struct l2cap_main *m, const char *source, const Hive__L2capPsmListen *q)
{
	if (q->psm > UINT16_MAX || q->mtu > UINT16_MAX || q->sec_level > L2CAP_SEC_AUTHENTICATED)
		return -EINVAL;
	int rc = l2cap_psm_listen(m->l, (uint16_t)q->psm, source, (uint16_t)q->mtu,
				  (uint8_t)q->sec_level);
	if (rc == 0)
		HLOG_INFO(m->a, "%s serves PSM 0x%04x", source, q->psm);
	return rc;
}

static int do_bredr_connect(struct l2cap_main *m, const char *source, uint64_t id,
			    const Hive__L2capBredrConnect *c)
{
	if (c->handle > 0x0fff || c->psm > UINT16_MAX || c->mtu > UINT16_MAX)
		return -EINVAL;
	int rc = l2cap_bredr_connect(m->l, (uint16_t)c->handle, (uint16_t)c->psm, source,
				     (uint16_t)c->mtu, id, l2cap_main_now_ms());
	if (rc > 0)
		HLOG_INFO(m->a, "conn=0x%04x: %s asks for a channel to PSM 0x%04x", c->handle,
			  source, c->psm);
	return rc < 0 ? rc : 0;
}

/* ---- the table ------------------------------------------------------------------- */

static void answer_table(struct l2cap_main *m, const char *source, uint64_t id)
{
	struct l2cap *l = m->l;
	size_t nlinks = 0, nchan = 0, nlisten = 0, nfixed = 0;
	for (unsigned i = 0; i < L2CAP_LINKS_MAX; i++) {
		if (!l->link[i].in_use)
			continue;
		nlinks++;
		for (unsigned c = 0; c < L2CAP_CHAN_MAX; c++)
			nchan += l->link[i].chan[c].state != L2CAP_CHAN_FREE;
	}
	for (unsigned i = 0; i < L2CAP_SPSM_LISTEN_MAX; i++)
		nlisten += l->listen[i].spsm != 0;
	for (unsigned i = 0; i < L2CAP_FIXED_MAX; i++)
		nfixed += l->fixed.e[i].cid != 0;

	Hive__L2capLinkInfo *li = calloc(nlinks + 1, sizeof *li);
	Hive__L2capLinkInfo **lip = calloc(nlinks + 1, sizeof *lip);
	Hive__L2capChannelInfo *ci = calloc(nchan + 1, sizeof *ci);
	Hive__L2capChannelInfo **cip = calloc(nchan + 1, sizeof *cip);
	Hive__L2capCocParams *rx = calloc(nchan + nlisten + 1, sizeof *rx);
	Hive__L2capListenerInfo *ls = calloc(nlisten + 1, sizeof *ls);
	Hive__L2capListenerInfo **lsp = calloc(nlisten + 1, sizeof *lsp);
	Hive__L2capFixedInfo *fx = calloc(nfixed + 1, sizeof *fx);
	Hive__L2capFixedInfo **fxp = calloc(nfixed + 1, sizeof *fxp);
	if (!li || !lip || !ci || !cip || !rx || !ls || !lsp || !fx || !fxp) {
		l2cap_main_result(m, source, id, -ENOMEM, NULL);
		goto out;
	}
	size_t a = 0, b = 0;
	for (unsigned i = 0; i < L2CAP_LINKS_MAX; i++) {
		const struct l2cap_link *k = &l->link[i];
		if (!k->in_use)
			continue;
		hive__l2cap_link_info__init(&li[a]);
		li[a].handle = k->handle;
		li[a].central = k->role == L2CAP_ROLE_CENTRAL;
		li[a].encrypted = k->sec.encrypted;
		li[a].key_size = k->sec.key_size;
		lip[a] = &li[a];
		a++;
		for (unsigned c = 0; c < L2CAP_CHAN_MAX; c++) {
			if (k->chan[c].state == L2CAP_CHAN_FREE)
				continue;
			l2cap_main_chan_info(&ci[b], &rx[b], k->handle, &k->chan[c]);
			cip[b] = &ci[b];
			b++;
		}
	}
	a = 0;
	for (unsigned i = 0; i < L2CAP_SPSM_LISTEN_MAX; i++) {
		const struct l2cap_listener *x = &l->listen[i];
		if (!x->spsm)
			continue;
		Hive__L2capCocParams *p = &rx[nchan + a];
		hive__l2cap_listener_info__init(&ls[a]);
		hive__l2cap_coc_params__init(p);
		ls[a].spsm = x->spsm;
		ls[a].owner = (char *)x->owner;
		p->mtu = x->policy.rx.mtu;
		p->mps = x->policy.rx.mps;
		p->credits = x->policy.rx.credits;
		ls[a].rx = p;
		ls[a].sec_level = x->policy.sec_level;
		lsp[a] = &ls[a];
		a++;
	}
	a = 0;
	for (unsigned i = 0; i < L2CAP_FIXED_MAX; i++) {
		const struct l2cap_fixed_entry *e = &l->fixed.e[i];
		if (!e->cid)
			continue;
		hive__l2cap_fixed_info__init(&fx[a]);
		fx[a].cid = e->cid;
		fx[a].owner = (char *)e->owner;
		fx[a].delivered = e->delivered;
		fxp[a] = &fx[a];
		a++;
	}
	Hive__L2capStats st = HIVE__L2CAP_STATS__INIT;
	st.frames_in = l->st.frames_in;
	st.frames_out = l->st.frames_out;
	st.malformed_frames = l->st.malformed_frames;
	st.unknown_handle = l->st.unknown_handle;
	st.fixed_dropped = l->fixed.dropped;
	st.last_dropped_cid = l->fixed.last_dropped_cid;
	st.sig_malformed = l->st.sig_malformed;
	st.sig_rejects_sent = l->st.sig_rejects_sent;
	st.sig_unexpected = l->st.sig_unexpected;
	st.sig_timeouts = l->st.sig_timeouts;
	st.kframes_dropped = l->st.kframes_dropped;
	st.coc_violations = l->st.coc_violations;
	st.no_memory = l->st.no_memory;
	st.send_failures = m->send_failures;

	Hive__L2capTable t = HIVE__L2CAP_TABLE__INIT;
	t.n_links = nlinks;
	t.links = lip;
	t.n_channels = nchan;
	t.channels = cip;
	t.n_listeners = nlisten;
	t.listeners = lsp;
	t.n_fixed = nfixed;
	t.fixed = fxp;
	t.stats = &st;
	t.restored = m->restored;
	Hive__L2capResult lr = HIVE__L2CAP_RESULT__INIT;
	lr.value_case = HIVE__L2CAP_RESULT__VALUE_TABLE;
	lr.table = &t;
	l2cap_main_result(m, source, id, 0, &lr);
out:
	free(li);
	free(lip);
	free(ci);
	free(cip);
	free(rx);
	free(ls);
	free(lsp);
	free(fx);
	free(fxp);
}

/* ---- the dispatcher ------------------------------------------------------------------ */

void l2cap_main_on_request(struct l2cap_main *m, const char *source, const Hive__Request *r)
{
	const Hive__L2capRequest *q = r->op_case == HIVE__REQUEST__OP_L2CAP ? r->l2cap : NULL;
	int rc = -ENOSYS;
	bool later = false; /* answered from the outbox */
	struct l2cap_chan *ch;
	switch (q ? q->op_case : HIVE__L2CAP_REQUEST__OP__NOT_SET) {
	case HIVE__L2CAP_REQUEST__OP_FIXED_REGISTER:
		rc = q->fixed_register->cid > UINT16_MAX
			     ? -EINVAL
			     : l2cap_fixed_register(&m->l->fixed, (uint16_t)q->fixed_register->cid,
						    source);
		if (rc == 0)
			HLOG_INFO(m->a, "%s serves CID 0x%04x", source, q->fixed_register->cid);
		break;
	case HIVE__L2CAP_REQUEST__OP_FIXED_UNREGISTER:
		rc = q->fixed_unregister->cid > UINT16_MAX
			     ? -ENOENT
			     : l2cap_fixed_unregister(&m->l->fixed,
						      (uint16_t)q->fixed_unregister->cid, source);
		break;
	case HIVE__L2CAP_REQUEST__OP_LISTEN:
		rc = do_listen(m, source, q->listen);
		break;
	case HIVE__L2CAP_REQUEST__OP_UNLISTEN:
		rc = q->unlisten->spsm > UINT16_MAX
			     ? -ENOENT
			     : l2cap_coc_unlisten(m->l, (uint16_t)q->unlisten->spsm, source);
		break;
	case HIVE__L2CAP_REQUEST__OP_CONNECT:
		rc = do_connect(m, source, r->id, q->connect);
		later = rc == 0;
		break;
	case HIVE__L2CAP_REQUEST__OP_SEND:
		rc = do_send(m, source, q->send);
		break;
	case HIVE__L2CAP_REQUEST__OP_DISCONNECT:
		rc = owned_chan(m, source, q->disconnect->handle, q->disconnect->cid, &ch);
		if (rc == 0)
			rc = l2cap_coc_disconnect(m->l, (uint16_t)q->disconnect->handle,
						  (uint16_t)q->disconnect->cid, l2cap_main_now_ms());
		break;
	case HIVE__L2CAP_REQUEST__OP_RX_HOLD:
		rc = owned_chan(m, source, q->rx_hold->handle, q->rx_hold->cid, &ch);
		if (rc == 0)
			rc = l2cap_coc_rx_hold(m->l, (uint16_t)q->rx_hold->handle,
					       (uint16_t)q->rx_hold->cid, q->rx_hold->hold);
		break;
	case HIVE__L2CAP_REQUEST__OP_CONN_PARAM_UPDATE:
		rc = do_conn_params(m, source, r->id, q->conn_param_update);
		later = rc == 0;
		break;
	case HIVE__L2CAP_REQUEST__OP_TABLE:
		answer_table(m, source, r->id);
		return;
	case HIVE__L2CAP_REQUEST__OP_PSM_LISTEN:
		rc = do_psm_listen(m, source, q->psm_listen);
		break;
	case HIVE__L2CAP_REQUEST__OP_PSM_UNLISTEN:
		rc = q->psm_unlisten->psm > UINT16_MAX
			     ? -ENOENT
			     : l2cap_psm_unlisten(m->l, (uint16_t)q->psm_unlisten->psm, source);
		break;
	case HIVE__L2CAP_REQUEST__OP_BREDR_CONNECT:
		rc = do_bredr_connect(m, source, r->id, q->bredr_connect);
		later = rc == 0;
		break;
	default:
		break;
	}
	if (!later)
		l2cap_main_result(m, source, r->id, rc, NULL);
}
