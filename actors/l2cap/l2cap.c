/* The l2cap state machine's entry points: context, links, frame dispatch by
 * CID, outbox. See l2cap.h. */
#include "l2cap_internal.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void l2cap_config_default(struct l2cap_config *cfg)
{
	*cfg = (struct l2cap_config){
		.mtu_sig = L2CAP_LE_MTU_SIG,
		.rtx_ms = L2CAP_RTX_MS_DEFAULT,
		.txq_max = L2CAP_TXQ_MAX_DEFAULT,
		.cpu = { .accept = true,
			 .interval_min = 6,
			 .interval_max = 3200,
			 .latency_max = 499,
			 .timeout_min = 10,
			 .timeout_max = 3200 },
	};
}

struct l2cap *l2cap_new(const struct l2cap_config *cfg)
{
	struct l2cap *l = calloc(1, sizeof *l);
	if (!l)
		return NULL;
	if (cfg)
		l->cfg = *cfg;
	else
		l2cap_config_default(&l->cfg);
	if (l->cfg.mtu_sig < L2CAP_LE_MTU_SIG)
		l->cfg.mtu_sig = L2CAP_LE_MTU_SIG;
	if (l->cfg.rtx_ms == 0)
		l->cfg.rtx_ms = L2CAP_RTX_MS_DEFAULT;
	if (l->cfg.txq_max == 0)
		l->cfg.txq_max = L2CAP_TXQ_MAX_DEFAULT;
	l2cap_fixed_init(&l->fixed);
	l2cap_bredr_init(&l->bredr);
	return l;
}

void l2cap_destroy(struct l2cap **self_p)
{
	if (!self_p || !*self_p)
		return;
	struct l2cap *l = *self_p;
	for (unsigned i = 0; i < L2CAP_LINKS_MAX; i++) {
		if (!l->link[i].in_use)
			continue;
		l2cap_coc_link_down(l, &l->link[i]);
		l2cap_host_link_down(l, &l->link[i]);
		l->link[i].in_use = false;
	}
	l2cap_outbox_clear(l);
	free(l->out.v);
	free(l);
	*self_p = NULL;
}

/* ---- links ------------------------------------------------------------------ */

struct l2cap_link *l2cap_link_find(struct l2cap *l, uint16_t handle)
{
	for (unsigned i = 0; i < L2CAP_LINKS_MAX; i++)
		if (l->link[i].in_use && l->link[i].handle == handle)
			return &l->link[i];
	return NULL;
}

int l2cap_link_add(struct l2cap *l, uint16_t handle, enum l2cap_role role)
{
	if (l2cap_link_find(l, handle))
		return -EEXIST;
	for (unsigned i = 0; i < L2CAP_LINKS_MAX; i++) {
		struct l2cap_link *k = &l->link[i];
		if (k->in_use)
			continue;
		memset(k, 0, sizeof *k);
		k->in_use = true;
		k->handle = handle;
		k->role = role;
		k->next_ident = 1;
		return 0;
	}
	return -ENOSPC;
}

int l2cap_link_remove(struct l2cap *l, uint16_t handle)
{
	struct l2cap_link *k = l2cap_link_find(l, handle);
	if (!k)
		return -ENOENT;
	l2cap_sig_fail_all(l, k, -ENOTCONN);
	l2cap_coc_link_down(l, k);
	l2cap_host_link_down(l, k);
	k->in_use = false;
	return 0;
}

int l2cap_link_set_security(struct l2cap *l, uint16_t handle, const struct l2cap_security *sec)
{
	struct l2cap_link *k = l2cap_link_find(l, handle);
	if (!k)
		return -ENOENT;
	k->sec = *sec;
	return 0;
}

/* ---- input ------------------------------------------------------------------ */

void l2cap_on_frame(struct l2cap *l, uint16_t handle, const uint8_t *p, size_t len,
		    uint64_t now_ms)
{
	struct l2cap_frame f;
	l->st.frames_in++;
	struct l2cap_link *k = l2cap_link_find(l, handle);
	if (!k) {
		l->st.unknown_handle++;
		return;
	}
	if (l2cap_frame_decode(p, len, &f) < 0) {
		l->st.malformed_frames++;
		return;
	}
	if (k->bredr && (f.cid == L2CAP_CID_BREDR_SIGNALING || f.cid >= L2CAP_CID_DYN_MIN)) {
		if (f.cid == L2CAP_CID_BREDR_SIGNALING)
			l2cap_bredr_sig_on_frame(l, k, f.payload, f.len, now_ms);
		else
			l2cap_bredr_on_bframe(l, k, f.cid, f.payload, f.len, now_ms);
	} else if (f.cid == L2CAP_CID_LE_SIGNALING && !k->bredr) {
		l2cap_sig_on_frame(l, k, f.payload, f.len, now_ms);
	} else if (L2CAP_CID_IS_DYNAMIC(f.cid)) {
		l2cap_coc_on_kframe(l, k, f.cid, f.payload, f.len, now_ms);
	} else {
		const char *owner = l2cap_fixed_route(&l->fixed, f.cid);
		if (!owner)
			return;
		struct l2cap_out *o = l2cap_out_push(l, L2CAP_OUT_PDU, handle, owner);
		if (!o)
			return;
		o->cid = f.cid;
		if (f.len) {
			o->data = malloc(f.len);
			if (!o->data) {
				l->st.no_memory++;
				l->out.n--;
				return;
			}
			memcpy(o->data, f.payload, f.len);
			o->len = f.len;
		}
	}
}

void l2cap_on_time(struct l2cap *l, uint64_t now_ms)
{
	l->bredr.now_ms = now_ms; /* for what BR/EDR sends when RTX fires */
	for (unsigned i = 0; i < L2CAP_LINKS_MAX; i++)
		if (l->link[i].in_use)
			l2cap_sig_on_time(l, &l->link[i], now_ms);
}

uint64_t l2cap_deadline(const struct l2cap *l)
{
	uint64_t d = UINT64_MAX;
	for (unsigned i = 0; i < L2CAP_LINKS_MAX; i++) {
		const struct l2cap_link *k = &l->link[i];
		if (!k->in_use)
			continue;
		for (unsigned j = 0; j < L2CAP_PENDING_MAX; j++)
			if (k->pending[j].ident && k->pending[j].deadline_ms < d)
				d = k->pending[j].deadline_ms;
	}
	return d;
}

int l2cap_send_fixed(struct l2cap *l, uint16_t handle, uint16_t cid, const uint8_t *p,
		     size_t len)
{
	if (!l2cap_link_find(l, handle))
		return -ENOENT;
	if (cid == L2CAP_CID_NULL || cid == L2CAP_CID_LE_SIGNALING || cid >= L2CAP_CID_DYN_MIN)
		return -EINVAL;
	if (len > UINT16_MAX)
		return -EMSGSIZE;
	int rc = l2cap_out_frame(l, handle, cid, p, len, NULL, 0);
	if (rc == 0)
		l2cap_host_fixed_sent(l, l2cap_link_find(l, handle), cid);
	return rc;
}

/* ---- connection parameters ---------------------------------------------------- */

bool l2cap_conn_params_valid(const struct l2cap_conn_params *p)
{
	if (p->interval_min < 6 || p->interval_min > 3200 || p->interval_max < 6 ||
	    p->interval_max > 3200 || p->interval_min > p->interval_max)
		return false;
	if (p->latency > 499 || p->timeout < 10 || p->timeout > 3200)
		return false;
	/* timeout * 10 ms > (1 + latency) * interval_max * 1.25 ms * 2, times 0.4. */
	return (uint32_t)p->timeout * 4 > (1u + p->latency) * (uint32_t)p->interval_max;
}

/* ---- outbox ------------------------------------------------------------------- */

struct l2cap_out *l2cap_out_push(struct l2cap *l, enum l2cap_out_kind kind, uint16_t handle,
				 const char *dest)
{
	struct l2cap_outbox *ob = &l->out;
	if (ob->n == ob->cap) {
		size_t cap = ob->cap ? ob->cap * 2 : 16;
		struct l2cap_out *v = realloc(ob->v, cap * sizeof *v);
		if (!v) {
			l->st.no_memory++;
			return NULL;
		}
		ob->v = v;
		ob->cap = cap;
	}
	struct l2cap_out *o = &ob->v[ob->n++];
	memset(o, 0, sizeof *o);
	o->kind = kind;
	o->handle = handle;
	if (dest)
		snprintf(o->dest, sizeof o->dest, "%s", dest);
	return o;
}

int l2cap_out_frame(struct l2cap *l, uint16_t handle, uint16_t cid, const uint8_t *a,
		    size_t alen, const uint8_t *b, size_t blen)
{
	size_t plen = alen + blen;
	if (plen > UINT16_MAX)
		return -EMSGSIZE;
	uint8_t *buf = malloc(L2CAP_BASIC_HDR_LEN + plen);
	if (!buf) {
		l->st.no_memory++;
		return -ENOMEM;
	}
	struct wr w = wr_init(buf, L2CAP_BASIC_HDR_LEN + plen);
	l2cap_frame_header_write(&w, cid, (uint16_t)plen);
	if (alen)
		wr_bytes(&w, a, alen);
	if (blen)
		wr_bytes(&w, b, blen);
	return l2cap_host_submit(l, handle, cid, buf, w.len);
}

void l2cap_outbox_clear(struct l2cap *l)
{
	for (size_t i = 0; i < l->out.n; i++)
		free(l->out.v[i].data);
	l->out.n = 0;
}
