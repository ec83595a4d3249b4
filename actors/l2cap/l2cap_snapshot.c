/* The l2cap state as bytes: see l2cap_snapshot.h.
 *
 * Layout (little-endian; str = u8 length + bytes):
 *   u32 magic "L2S1"
 *   u8 n, n x { u16 cid, str owner }                           fixed channels
 *   u8 n, n x { u16 spsm, str owner, u16 mtu, mps, credits,
 *               u8 sec_level, min_key_size, need_authorization,
 *               u32 max_channels }                              listeners
 *   u8 n, n x link:
 *     u16 handle, u8 role, u8 security flags, u8 key_size, u8 next_ident
 *     u8 n, n x { u8 ident, code, u64 deadline_ms, u8 ncid, ncid x u16,
 *                 u64 req_id, str requester }                   pending
 *     u8 n, n x { u8 state, u16 local, remote, spsm, u8 flags, str owner,
 *                 u64 req_id, u16 mtu, mps, credits, u16 peer_mtu, peer_mps,
 *                 u32 tx_credits, rx_credits, s32 close_status,
 *                 u32 unsent, u32 queued_sdus }                 channels
 *   u8 n, n x { u16 psm, str owner, u16 mtu, u8 sec_level }     BR/EDR PSMs
 * (a link's security flags carry "BR/EDR" in bit 4, a channel's flags
 * "basic mode" in bit 7.)
 */
#include "l2cap_snapshot.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "l2cap_internal.h"

#define SNAP_MAGIC 0x3153324cu /* "L2S1" */

enum {
	CH_INCOMING = 1 << 0,
	CH_ECRED = 1 << 1,
	CH_OWNER_TOLD = 1 << 2,
	CH_RX_HOLD = 1 << 3,
	CH_TX_BLOCKED = 1 << 4,
	CH_SEND_PAUSED = 1 << 5,
	CH_RX_ACTIVE = 1 << 6,
	CH_BASIC = 1 << 7, /* BR/EDR basic mode (l2cap_bredr.h) */
};

enum {
	SEC_ENCRYPTED = 1 << 0,
	SEC_AUTHENTICATED = 1 << 1,
	SEC_LTK = 1 << 2,
	SEC_AUTHORIZED = 1 << 3,
	LINK_BREDR = 1 << 4, /* ACL-U (l2cap_bredr.h) */
};

#define STR_MAX (1 + L2CAP_NAME_MAX)
#define PENDING_MAX_BYTES (1 + 1 + 8 + 1 + 2 * L2CAP_ECRED_CIDS_MAX + 8 + STR_MAX)
#define CHAN_MAX_BYTES (1 + 2 + 2 + 2 + 1 + STR_MAX + 8 + 6 + 4 + 4 + 4 + 4 + 4 + 4)
#define LINK_MAX_BYTES                                                                   \
	(2 + 1 + 1 + 1 + 1 + 1 + L2CAP_PENDING_MAX * PENDING_MAX_BYTES + 1 +             \
	 L2CAP_CHAN_MAX * CHAN_MAX_BYTES)

size_t l2cap_snapshot_max(void)
{
	return 4 + 1 + L2CAP_FIXED_MAX * (2 + STR_MAX) + 1 +
	       L2CAP_SPSM_LISTEN_MAX * (2 + STR_MAX + 6 + 3 + 4) + 1 +
	       L2CAP_LINKS_MAX * LINK_MAX_BYTES + 1 + L2CAP_PSM_LISTEN_MAX * (2 + STR_MAX + 3);
}

static void wr_str(struct wr *w, const char *s)
{
	size_t n = strlen(s);
	wr_u8(w, (uint8_t)n);
	wr_bytes(w, s, n);
}

static void rd_str(struct rd *r, char out[L2CAP_NAME_MAX + 1])
{
	uint8_t n = rd_u8(r);
	if (n > L2CAP_NAME_MAX) {
		r->bad = true;
		n = 0;
	}
	rd_copy(r, out, n);
	out[n] = '\0';
}

static void write_chan(struct wr *w, const struct l2cap_chan *ch)
{
	uint8_t flags = (uint8_t)((ch->incoming ? CH_INCOMING : 0) | (ch->ecred ? CH_ECRED : 0) |
				  (ch->owner_told ? CH_OWNER_TOLD : 0) |
				  (ch->rx_hold ? CH_RX_HOLD : 0) |
				  (ch->tx_blocked ? CH_TX_BLOCKED : 0) |
				  (ch->send_paused ? CH_SEND_PAUSED : 0) |
				  (ch->rx_active ? CH_RX_ACTIVE : 0) |
				  (ch->br.flags & L2CAP_BR_BASIC ? CH_BASIC : 0));
	wr_u8(w, (uint8_t)ch->state);
	wr_le16(w, ch->local_cid);
	wr_le16(w, ch->remote_cid);
	wr_le16(w, ch->spsm);
	wr_u8(w, flags);
	wr_str(w, ch->owner);
	wr_le64(w, ch->req_id);
	wr_le16(w, ch->rx.mtu);
	wr_le16(w, ch->rx.mps);
	wr_le16(w, ch->rx.credits);
	wr_le16(w, ch->peer_mtu);
	wr_le16(w, ch->peer_mps);
	wr_le32(w, ch->tx_credits);
	wr_le32(w, ch->rx_credits);
	wr_le32(w, (uint32_t)ch->close_status);
	wr_le32(w, (uint32_t)ch->unsent);
	wr_le32(w, (uint32_t)ch->txq_count);
}

static void write_link(struct wr *w, const struct l2cap_link *k)
{
	const struct l2cap_security *s = &k->sec;
	wr_le16(w, k->handle);
	wr_u8(w, (uint8_t)k->role);
	wr_u8(w, (uint8_t)((s->encrypted ? SEC_ENCRYPTED : 0) |
			   (s->authenticated ? SEC_AUTHENTICATED : 0) |
			   (s->ltk_present ? SEC_LTK : 0) | (s->authorized ? SEC_AUTHORIZED : 0) |
			   (k->bredr ? LINK_BREDR : 0)));
	wr_u8(w, s->key_size);
	wr_u8(w, k->next_ident);
	uint8_t n = 0;
	for (unsigned i = 0; i < L2CAP_PENDING_MAX; i++)
		n += k->pending[i].ident != 0;
	wr_u8(w, n);
	for (unsigned i = 0; i < L2CAP_PENDING_MAX; i++) {
		const struct l2cap_pending *p = &k->pending[i];
		if (!p->ident)
			continue;
		wr_u8(w, p->ident);
		wr_u8(w, p->code);
		wr_le64(w, p->deadline_ms);
		wr_u8(w, p->ncid);
		for (unsigned j = 0; j < p->ncid && j < L2CAP_ECRED_CIDS_MAX; j++)
			wr_le16(w, p->cid[j]);
		wr_le64(w, p->req_id);
		wr_str(w, p->requester);
	}
	uint8_t nch = 0;
	for (unsigned i = 0; i < L2CAP_CHAN_MAX; i++)
		nch += k->chan[i].state != L2CAP_CHAN_FREE;
	wr_u8(w, nch);
	for (unsigned i = 0; i < L2CAP_CHAN_MAX; i++)
		if (k->chan[i].state != L2CAP_CHAN_FREE)
			write_chan(w, &k->chan[i]);
}

int l2cap_snapshot_write(const struct l2cap *l, uint8_t *buf, size_t cap)
{
	struct wr w = wr_init(buf, cap);
	wr_le32(&w, SNAP_MAGIC);
	uint8_t n = 0;
	for (unsigned i = 0; i < L2CAP_FIXED_MAX; i++)
		n += l->fixed.e[i].cid != 0;
	wr_u8(&w, n);
	for (unsigned i = 0; i < L2CAP_FIXED_MAX; i++) {
		if (!l->fixed.e[i].cid)
			continue;
		wr_le16(&w, l->fixed.e[i].cid);
		wr_str(&w, l->fixed.e[i].owner);
	}
	n = 0;
	for (unsigned i = 0; i < L2CAP_SPSM_LISTEN_MAX; i++)
		n += l->listen[i].spsm != 0;
	wr_u8(&w, n);
	for (unsigned i = 0; i < L2CAP_SPSM_LISTEN_MAX; i++) {
		const struct l2cap_listener *ls = &l->listen[i];
		if (!ls->spsm)
			continue;
		wr_le16(&w, ls->spsm);
		wr_str(&w, ls->owner);
		wr_le16(&w, ls->policy.rx.mtu);
		wr_le16(&w, ls->policy.rx.mps);
		wr_le16(&w, ls->policy.rx.credits);
		wr_u8(&w, (uint8_t)ls->policy.sec_level);
		wr_u8(&w, ls->policy.min_key_size);
		wr_u8(&w, ls->policy.need_authorization);
		wr_le32(&w, ls->policy.max_channels);
	}
	n = 0;
	for (unsigned i = 0; i < L2CAP_LINKS_MAX; i++)
		n += l->link[i].in_use;
	wr_u8(&w, n);
	for (unsigned i = 0; i < L2CAP_LINKS_MAX; i++)
		if (l->link[i].in_use)
			write_link(&w, &l->link[i]);
	/* The BR/EDR PSM listeners. */
	n = 0;
	for (unsigned i = 0; i < L2CAP_PSM_LISTEN_MAX; i++)
		n += l->bredr.psm[i].psm != 0;
	wr_u8(&w, n);
	for (unsigned i = 0; i < L2CAP_PSM_LISTEN_MAX; i++) {
		const struct l2cap_psm_listener *ls = &l->bredr.psm[i];
		if (!ls->psm)
			continue;
		wr_le16(&w, ls->psm);
		wr_str(&w, ls->owner);
		wr_le16(&w, ls->mtu);
		wr_u8(&w, ls->sec_level);
	}
	return wr_ok(&w) ? (int)w.len : -EMSGSIZE;
}

/* ---- restore ------------------------------------------------------------------- */

/* Reads one channel into its slot of k (by local CID) and what it had
 * queued into queued[slot]. Returns false when it is not a channel. */
static bool read_chan(struct rd *r, struct l2cap_link *k, uint32_t queued[L2CAP_CHAN_MAX])
{
	uint8_t state = rd_u8(r);
	uint16_t local = rd_le16(r);
	if (!rd_ok(r) || !L2CAP_CID_IS_DYNAMIC(local) || state < L2CAP_CHAN_CONNECTING ||
	    state > L2CAP_CHAN_DISCONNECTING)
		return false;
	struct l2cap_chan *ch = &k->chan[local - L2CAP_CID_DYN_MIN];
	if (ch->state != L2CAP_CHAN_FREE)
		return false;
	memset(ch, 0, sizeof *ch);
	ch->state = (enum l2cap_chan_state)state;
	ch->local_cid = local;
	ch->remote_cid = rd_le16(r);
	ch->spsm = rd_le16(r);
	uint8_t flags = rd_u8(r);
	ch->incoming = flags & CH_INCOMING;
	ch->ecred = flags & CH_ECRED;
	ch->owner_told = flags & CH_OWNER_TOLD;
	ch->rx_hold = flags & CH_RX_HOLD;
	ch->tx_blocked = flags & CH_TX_BLOCKED;
	ch->send_paused = flags & CH_SEND_PAUSED;
	/* A basic channel comes back configured when it was open; one still
	 * configuring finishes or fails by its pending requests' RTX. */
	if (flags & CH_BASIC)
		ch->br.flags = (uint8_t)(L2CAP_BR_BASIC | L2CAP_BR_CONNECTED |
					 (state == L2CAP_CHAN_CONNECTING ? 0 :
					  L2CAP_BR_OUT_DONE | L2CAP_BR_IN_DONE));
	rd_str(r, ch->owner);
	ch->req_id = rd_le64(r);
	ch->rx.mtu = rd_le16(r);
	ch->rx.mps = rd_le16(r);
	ch->rx.credits = rd_le16(r);
	ch->peer_mtu = rd_le16(r);
	ch->peer_mps = rd_le16(r);
	ch->tx_credits = rd_le32(r);
	ch->rx_credits = rd_le32(r);
	ch->close_status = (int32_t)rd_le32(r);
	ch->unsent = rd_le32(r);
	uint32_t q = rd_le32(r) & 0x7fffffffu;
	/* Half an SDU received: its bytes are gone, the channel too. */
	queued[local - L2CAP_CID_DYN_MIN] = q | (flags & CH_RX_ACTIVE ? 0x80000000u : 0);
	if (!rd_ok(r) || !l2cap_name_valid(ch->owner)) {
		memset(ch, 0, sizeof *ch);
		return false;
	}
	return true;
}

static bool read_link(struct rd *r, struct l2cap_link *k, uint32_t queued[L2CAP_CHAN_MAX],
		      int *nchan)
{
	memset(k, 0, sizeof *k);
	k->in_use = true;
	k->handle = rd_le16(r);
	uint8_t role = rd_u8(r);
	uint8_t sec = rd_u8(r);
	k->role = role == L2CAP_ROLE_PERIPHERAL ? L2CAP_ROLE_PERIPHERAL : L2CAP_ROLE_CENTRAL;
	k->sec.encrypted = sec & SEC_ENCRYPTED;
	k->sec.authenticated = sec & SEC_AUTHENTICATED;
	k->sec.ltk_present = sec & SEC_LTK;
	k->sec.authorized = sec & SEC_AUTHORIZED;
	k->bredr = sec & LINK_BREDR;
	k->sec.key_size = rd_u8(r);
	k->next_ident = rd_u8(r);
	uint8_t np = rd_u8(r);
	if (role > L2CAP_ROLE_PERIPHERAL || np > L2CAP_PENDING_MAX || k->handle > 0x0eff)
		return false;
	for (unsigned i = 0; i < np && rd_ok(r); i++) {
		struct l2cap_pending *p = &k->pending[i];
		p->ident = rd_u8(r);
		p->code = rd_u8(r);
		p->deadline_ms = rd_le64(r);
		p->ncid = rd_u8(r);
		if (p->ident == 0 || p->ncid > L2CAP_ECRED_CIDS_MAX)
			return false;
		for (unsigned j = 0; j < p->ncid; j++)
			p->cid[j] = rd_le16(r);
		p->req_id = rd_le64(r);
		rd_str(r, p->requester);
	}
	uint8_t nch = rd_u8(r);
	for (unsigned i = 0; i < nch; i++) {
		if (!read_chan(r, k, queued))
			return false;
		(*nchan)++;
	}
	return rd_ok(r);
}

int l2cap_snapshot_restore(struct l2cap *l, const uint8_t *p, size_t len, uint64_t now_ms)
{
	for (unsigned i = 0; i < L2CAP_LINKS_MAX; i++)
		if (l->link[i].in_use)
			return -EEXIST;
	struct l2cap *t = calloc(1, sizeof *t);
	uint32_t(*queued)[L2CAP_CHAN_MAX] = calloc(L2CAP_LINKS_MAX, sizeof *queued);
	int nchan = 0, rc = -EBADMSG;
	if (!t || !queued) {
		rc = -ENOMEM;
		goto out;
	}
	struct rd r = rd_init(p, len);
	if (rd_le32(&r) != SNAP_MAGIC)
		goto out;
	uint8_t n = rd_u8(&r);
	for (unsigned i = 0; i < n && rd_ok(&r); i++) {
		char owner[L2CAP_NAME_MAX + 1];
		uint16_t cid = rd_le16(&r);
		rd_str(&r, owner);
		if (!rd_ok(&r) || l2cap_fixed_register(&t->fixed, cid, owner) < 0)
			goto out;
	}
	n = rd_u8(&r);
	for (unsigned i = 0; i < n && rd_ok(&r); i++) {
		struct l2cap_coc_policy pol = { 0 };
		char owner[L2CAP_NAME_MAX + 1];
		uint16_t spsm = rd_le16(&r);
		rd_str(&r, owner);
		pol.rx.mtu = rd_le16(&r);
		pol.rx.mps = rd_le16(&r);
		pol.rx.credits = rd_le16(&r);
		pol.sec_level = (enum l2cap_sec_level)rd_u8(&r);
		pol.min_key_size = rd_u8(&r);
		pol.need_authorization = rd_u8(&r) != 0;
		pol.max_channels = rd_le32(&r);
		if (!rd_ok(&r) || pol.sec_level > L2CAP_SEC_AUTHENTICATED ||
		    l2cap_coc_listen(t, spsm, owner, &pol) < 0)
			goto out;
	}
	n = rd_u8(&r);
	if (n > L2CAP_LINKS_MAX)
		goto out;
	for (unsigned i = 0; i < n; i++) {
		if (!read_link(&r, &t->link[i], queued[i], &nchan))
			goto out;
		for (unsigned j = 0; j < i; j++)
			if (t->link[j].handle == t->link[i].handle)
				goto out;
	}
	uint8_t npsm = rd_u8(&r);
	for (unsigned i = 0; i < npsm && rd_ok(&r); i++) {
		char owner[L2CAP_NAME_MAX + 1];
		uint16_t psm = rd_le16(&r);
		rd_str(&r, owner);
		uint16_t mtu = rd_le16(&r);
		uint8_t sec = rd_u8(&r);
		if (!rd_ok(&r) || l2cap_psm_listen(t, psm, owner, mtu, sec) < 0)
			goto out;
	}
	if (!rd_end(&r))
		goto out;

	/* Accepted: take it over. */
	l->fixed = t->fixed;
	memcpy(l->listen, t->listen, sizeof l->listen);
	/* PSMs registered since start (--set sdp=) stay; the snapshot's join. */
	for (unsigned i = 0; i < L2CAP_PSM_LISTEN_MAX; i++) {
		const struct l2cap_psm_listener *ls = &t->bredr.psm[i];
		if (ls->psm && !l2cap_psm_find(l, ls->psm))
			l2cap_psm_listen(l, ls->psm, ls->owner, ls->mtu, ls->sec_level);
	}
	memcpy(l->link, t->link, sizeof l->link);
	for (unsigned i = 0; i < n; i++) {
		struct l2cap_link *k = &l->link[i];
		for (unsigned c = 0; c < L2CAP_CHAN_MAX; c++) {
			struct l2cap_chan *ch = &k->chan[c];
			uint32_t q = queued[i][c];
			if (ch->state != L2CAP_CHAN_OPEN || q == 0)
				continue;
			ch->unsent += q & 0x7fffffffu;
			l2cap_chan_abort(l, k, ch, -EIO, now_ms);
		}
	}
	rc = nchan;
out:
	free(t);
	free(queued);
	return rc;
}
