/* BR/EDR configuration of basic-mode channels (Core Vol 3 Part A 4.4-4.5,
 * 5, 7.1): our Configuration Request (our MTU) and the peer's checked
 * (MTU >= 48, basic mode only, flush timeout and QoS taken as they are,
 * unknown non-hint options answered Unknown Options, continuations
 * gathered); the channel opens once each side accepted the other's.
 * Part of l2cap_bredr.c's signaling: see l2cap_bredr.h. */
#include "l2cap_bredr_int.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

int l2cap_br_send_conf_request(struct l2cap *l, struct l2cap_link *k, struct l2cap_chan *ch,
			       bool with_mtu, uint64_t now_ms)
{
	uint8_t opts[4];
	struct wr w = wr_init(opts, sizeof opts);
	if (with_mtu)
		l2cap_conf_opt_mtu(&w, ch->rx.mtu);
	struct l2cap_bredr_sig s = { .code = L2CAP_CONFIGURATION_REQUEST };
	s.u.conf.cid = ch->remote_cid;
	s.u.conf.opts = opts;
	s.u.conf.opts_len = (uint16_t)w.len;
	struct l2cap_pending *p = l2cap_br_request(l, k, &s, now_ms);
	if (!p)
		return -EBUSY;
	p->ncid = 1;
	p->cid[0] = ch->local_cid;
	p->req_id = ch->req_id;
	ch->br.flags |= L2CAP_BR_OUT_SENT;
	return 0;
}

/* The channel could not be set up: its owner hears (if it asked), the peer
 * gets a Disconnection Request. */
void l2cap_br_conf_failed(struct l2cap *l, struct l2cap_link *k, struct l2cap_chan *ch,
			  int status, uint64_t now_ms)
{
	if (ch->incoming)
		ch->owner_told = true; /* it never heard of the channel */
	else
		l2cap_tell_open_failed(l, k, ch, status);
	for (unsigned i = 0; i < L2CAP_PENDING_MAX; i++)
		if (k->pending[i].ident && k->pending[i].ncid &&
		    k->pending[i].cid[0] == ch->local_cid)
			k->pending[i].ident = 0;
	l2cap_chan_disconnect(l, k, ch, now_ms);
}

static void check_open(struct l2cap *l, struct l2cap_link *k, struct l2cap_chan *ch)
{
	uint8_t both = L2CAP_BR_OUT_DONE | L2CAP_BR_IN_DONE;
	if (ch->state != L2CAP_CHAN_CONNECTING || (ch->br.flags & both) != both)
		return;
	ch->state = L2CAP_CHAN_OPEN;
	if (ch->incoming)
		ch->owner_told = false; /* from now on it hears of the channel */
	l2cap_tell_opened(l, k, ch);
	l2cap_tx_pump(l, k, ch);
}

/* ---- handlers: configuration ------------------------------------------------------------- */

static void send_conf_response(struct l2cap *l, struct l2cap_link *k, uint8_t ident,
			       uint16_t scid, uint16_t flags, uint16_t result,
			       const uint8_t *opts, size_t opts_len)
{
	struct l2cap_bredr_sig rsp = { .code = L2CAP_CONFIGURATION_RESPONSE, .ident = ident };
	rsp.u.conf.cid = scid;
	rsp.u.conf.flags = flags;
	rsp.u.conf.result = result;
	rsp.u.conf.opts = opts;
	rsp.u.conf.opts_len = (uint16_t)opts_len;
	l2cap_br_send(l, k, &rsp);
}

int on_l2cap_configuration_request(struct l2cap *l, struct l2cap_link *k,
				   const struct l2cap_bredr_sig *s, uint64_t now_ms)
{
	const struct l2cap_configuration *c = &s->u.conf;
	struct l2cap_chan *ch = l2cap_br_chan(k, c->cid);
	if (!ch || !(ch->br.flags & L2CAP_BR_CONNECTED) ||
	    ch->state == L2CAP_CHAN_DISCONNECTING) {
		l2cap_br_reject(l, k, s->ident, L2CAP_REJ_INVALID_CID, c->cid, 0);
		return 0;
	}
	struct l2cap_conf_opts o;
	if (l2cap_conf_opts_parse(c->opts, c->opts_len, &o) < 0)
		return -EPROTO;
	uint8_t out[L2CAP_BREDR_MTU_SIG_MIN - L2CAP_SIG_HDR_LEN - 6];
	struct wr w = wr_init(out, sizeof out);
	uint16_t scid = ch->remote_cid;
	if (o.n_unknown) {
		/* The types of the options not understood, as many as fit. */
		for (unsigned i = 0; i < o.n_unknown && i < L2CAP_CONF_UNKNOWN_MAX && wr_room(&w);
		     i++)
			wr_u8(&w, o.unknown[i]);
		ch->br.flags &= (uint8_t)~L2CAP_BR_IN_CONT;
		send_conf_response(l, k, s->ident, scid, 0, L2CAP_CONF_UNKNOWN_OPTIONS, out, w.len);
		return 0;
	}
	if (o.has_rfc && o.rfc_mode != L2CAP_MODE_BASIC) {
		/* Only basic mode: offer it back. */
		wr_u8(&w, L2CAP_OPT_RFC);
		wr_u8(&w, L2CAP_OPT_RFC_LEN);
		for (unsigned i = 0; i < L2CAP_OPT_RFC_LEN; i++)
			wr_u8(&w, 0);
		ch->br.flags &= (uint8_t)~L2CAP_BR_IN_CONT;
		send_conf_response(l, k, s->ident, scid, 0, L2CAP_CONF_UNACCEPTABLE_PARAMETERS, out,
				   w.len);
		return 0;
	}
	if (!(ch->br.flags & L2CAP_BR_IN_CONT))
		ch->br.in_mtu = ch->state == L2CAP_CHAN_OPEN ? ch->peer_mtu
							     : L2CAP_BREDR_MTU_DEFAULT;
	if (o.has_mtu)
		ch->br.in_mtu = o.mtu;
	if (o.has_flush_timeout)
		ch->br.flush_timeout = o.flush_timeout;
	if (c->flags & L2CAP_CONF_FLAG_C) {
		/* More options follow in the next request. */
		ch->br.flags |= L2CAP_BR_IN_CONT;
		send_conf_response(l, k, s->ident, scid, L2CAP_CONF_FLAG_C, L2CAP_CONF_SUCCESS,
				   NULL, 0);
		return 0;
	}
	ch->br.flags &= (uint8_t)~L2CAP_BR_IN_CONT;
	if (ch->br.in_mtu < L2CAP_BREDR_MTU_MIN) {
		l2cap_conf_opt_mtu(&w, L2CAP_BREDR_MTU_MIN);
		send_conf_response(l, k, s->ident, scid, 0, L2CAP_CONF_UNACCEPTABLE_PARAMETERS, out,
				   w.len);
		return 0;
	}
	ch->peer_mtu = ch->br.in_mtu;
	ch->peer_mps = ch->br.in_mtu;
	send_conf_response(l, k, s->ident, scid, 0, L2CAP_CONF_SUCCESS, NULL, 0);
	ch->br.flags |= L2CAP_BR_IN_DONE;
	check_open(l, k, ch);
	return 0;
}

int on_l2cap_configuration_response(struct l2cap *l, struct l2cap_link *k,
				    const struct l2cap_bredr_sig *s, const struct l2cap_pending *p,
				    uint64_t now_ms)
{
	const struct l2cap_configuration *c = &s->u.conf;
	struct l2cap_chan *ch = l2cap_br_chan(k, p->cid[0]);
	if (!ch || ch->state != L2CAP_CHAN_CONNECTING)
		return 0;
	ch->br.flags &= (uint8_t)~L2CAP_BR_OUT_SENT;
	if (c->cid != ch->local_cid) {
		l->st.sig_unexpected++;
		l2cap_br_repend(k, p, p->deadline_ms);
		ch->br.flags |= L2CAP_BR_OUT_SENT;
		return 0;
	}
	struct l2cap_conf_opts o;
	bool opts_ok = l2cap_conf_opts_parse(c->opts, c->opts_len, &o) == 0;
	switch (c->result) {
	case L2CAP_CONF_SUCCESS:
		if (c->flags & L2CAP_CONF_FLAG_C) {
			/* The peer has more to say: an empty request asks for it. */
			if (l2cap_br_send_conf_request(l, k, ch, false, now_ms) < 0)
				l2cap_br_conf_failed(l, k, ch, -EBUSY, now_ms);
			return 0;
		}
		ch->br.flags |= L2CAP_BR_OUT_DONE;
		check_open(l, k, ch);
		return 0;
	case L2CAP_CONF_PENDING:
		l2cap_br_repend(k, p, now_ms + L2CAP_ERTX_MS);
		ch->br.flags |= L2CAP_BR_OUT_SENT;
		return 0;
	case L2CAP_CONF_UNACCEPTABLE_PARAMETERS:
		/* Take the MTU the peer offers, if we can, and ask again. */
		if (opts_ok && o.has_mtu && o.mtu >= L2CAP_BREDR_MTU_MIN &&
		    ch->br.conf_tries < L2CAP_CONF_TRIES_MAX) {
			ch->br.conf_tries++;
			ch->rx.mtu = o.mtu;
			ch->rx.mps = o.mtu;
			if (l2cap_br_send_conf_request(l, k, ch, true, now_ms) < 0)
				l2cap_br_conf_failed(l, k, ch, -EBUSY, now_ms);
			return 0;
		}
		break;
	default:
		break;
	}
	l2cap_br_conf_failed(l, k, ch, 0x100 + c->result, now_ms);
	return 0;
}
