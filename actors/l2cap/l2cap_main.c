/* hive-l2cap: the l2cap actor's I/O shell. The only files of l2cap that touch
 * ZeroMQ, timers and protobuf-c are this one and l2cap_main_req.c; every
 * decision is the core's (l2cap.h). The outbox is flushed once per input.
 *
 *   hive-l2cap [runtime options] [--set KEY=VALUE]...
 *     host=NAME gatt=NAME smp=NAME   the neighbours (default host, gatt, smp)
 *     rtx_ms=N                       how long our signaling requests wait (30000)
 *     txq_max=N                      bytes queued per channel before -EAGAIN (262144)
 *     coc_mtu=N coc_mps=N coc_credits=N   receive defaults (2048, 247, 16)
 *     cpu_accept=0|1                 central: accept Connection Parameter
 *                                    Update Requests within the spec (1)
 *     sdp=NAME                       BR/EDR: PSM 0x0001 (SDP) served by NAME
 *
 * From host: L2capFrame (one basic frame), LinkEvent (connected,
 * disconnected, encryption_changed), Result (our update_connection). To
 * host: L2capFrame, Request update_connection. To and from the owners of
 * fixed channels (gatt: 0x0004, smp: 0x0006 and 0x0007, registered ones):
 * ChannelPdu. Apps: Request l2cap, Result l2cap, L2capEvent (l2cap.proto).
 *
 * After every input whose effect changed the state, the state goes to the
 * broker as a snapshot (l2cap_snapshot.h); a restarted hive-l2cap takes it
 * back with its links and channels. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "l2cap_main.h"
#include "l2cap_snapshot.h"

uint64_t l2cap_main_now_ms(void)
{
	return hive_now_ns() / 1000000ull;
}

void l2cap_main_send(struct l2cap_main *m, const char *dest, Hive__Envelope *env)
{
	int rc = hive_send(m->a, dest, env);
	if (rc < 0) {
		m->send_failures++;
		HLOG_ERROR(m->a, "sending %s to %s failed: %s", hive_body_name(env->body_case),
			   dest, strerror(-rc));
	}
}

static const char *status_words(int status)
{
	if (status > 0)
		return l2cap_le_result_str((uint16_t)status);
	switch (status) {
	case -EAGAIN: return "the channel's send queue is full: send again with resume after "
			     "the event writable";
	case -EMSGSIZE: return "the SDU is longer than the peer's MTU";
	case -ENOENT: return "no such link or channel";
	case -EINVAL: return "invalid parameters";
	case -ENOSPC: return "no free channel identifier or table slot";
	case -EBUSY: return "too many signaling requests pending on the link";
	case -EADDRINUSE: return "another actor listens on this SPSM";
	case -ETIMEDOUT: return "the peer did not answer within RTX";
	case -ENOTCONN: return "the link went down";
	case -ECONNREFUSED: return "the peer rejected the command";
	case -EOPNOTSUPP: return "the peer does not support the command";
	case -EPERM: return "the channel belongs to another actor";
	case -EALREADY: return "already closing";
	case -EPROTO: return "the peer broke the protocol";
	case -ENOSYS: return "not an operation of l2cap: see messages/l2cap.proto";
	default: return strerror(-status);
	}
}

void l2cap_main_result(struct l2cap_main *m, const char *dest, uint64_t id, int status,
		       Hive__L2capResult *value)
{
	Hive__Result res = HIVE__RESULT__INIT;
	Hive__Envelope env = HIVE__ENVELOPE__INIT;
	res.id = id;
	res.status = status;
	res.domain = status > 0 ? HIVE__RESULT__DOMAIN__L2CAP : HIVE__RESULT__DOMAIN__LOCAL;
	if (status)
		res.error = (char *)status_words(status);
	if (value) {
		res.value_case = HIVE__RESULT__VALUE_L2CAP;
		res.l2cap = value;
	}
	env.body_case = HIVE__ENVELOPE__BODY_RESULT;
	env.result = &res;
	l2cap_main_send(m, dest, &env);
}

void l2cap_main_chan_info(Hive__L2capChannelInfo *ci, Hive__L2capCocParams *rx,
			  uint16_t handle, const struct l2cap_chan *ch)
{
	hive__l2cap_channel_info__init(ci);
	hive__l2cap_coc_params__init(rx);
	ci->handle = handle;
	ci->cid = ch->local_cid;
	ci->remote_cid = ch->remote_cid;
	ci->spsm = ch->spsm;
	ci->state = (Hive__L2capChannelInfo__State)ch->state;
	ci->incoming = ch->incoming;
	ci->ecred = ch->ecred;
	ci->owner = (char *)ch->owner;
	rx->mtu = ch->rx.mtu;
	rx->mps = ch->rx.mps;
	rx->credits = ch->rx.credits;
	ci->rx = rx;
	ci->peer_mtu = ch->peer_mtu;
	ci->peer_mps = ch->peer_mps;
	ci->tx_credits = ch->tx_credits;
	ci->rx_credits = ch->rx_credits;
	ci->queued_bytes = ch->txq_bytes;
	ci->queued_sdus = (uint32_t)ch->txq_count;
	ci->rx_hold = ch->rx_hold;
}

/* ---- the outbox ------------------------------------------------------------------ */

static void send_event(struct l2cap_main *m, const char *dest, Hive__L2capEvent *ev)
{
	Hive__Envelope env = HIVE__ENVELOPE__INIT;
	env.body_case = HIVE__ENVELOPE__BODY_L2CAP_EVENT;
	env.l2cap_event = ev;
	l2cap_main_send(m, dest, &env);
}

static void out_frame(struct l2cap_main *m, const struct l2cap_out *o)
{
	if ((o->cid == L2CAP_CID_LE_SIGNALING || o->cid == L2CAP_CID_BREDR_SIGNALING) &&
	    o->len > L2CAP_BASIC_HDR_LEN)
		HLOG_DEBUG(m->a, ">>> %s conn=0x%04x len=%zu",
			   l2cap_bredr_sig_name(o->data[L2CAP_BASIC_HDR_LEN]), o->handle,
			   o->len - L2CAP_BASIC_HDR_LEN);
	Hive__L2capFrame f = HIVE__L2CAP_FRAME__INIT;
	Hive__Envelope env = HIVE__ENVELOPE__INIT;
	f.handle = o->handle;
	f.data.data = o->data;
	f.data.len = o->len;
	f.epoch = o->epoch;
	env.body_case = HIVE__ENVELOPE__BODY_L2CAP;
	env.l2cap = &f;
	l2cap_main_send(m, m->host, &env);
}

static void out_pdu(struct l2cap_main *m, const struct l2cap_out *o)
{
	Hive__ChannelPdu p = HIVE__CHANNEL_PDU__INIT;
	Hive__Envelope env = HIVE__ENVELOPE__INIT;
	p.handle = o->handle;
	p.cid = o->cid;
	p.payload.data = o->data;
	p.payload.len = o->len;
	env.body_case = HIVE__ENVELOPE__BODY_PDU;
	env.pdu = &p;
	l2cap_main_send(m, o->dest, &env);
}

/* Central: the peripheral's accepted parameters go to the host. */
static void out_conn_update(struct l2cap_main *m, const struct l2cap_out *o)
{
	Hive__UpdateConnection u = HIVE__UPDATE_CONNECTION__INIT;
	Hive__Request req = HIVE__REQUEST__INIT;
	Hive__Envelope env = HIVE__ENVELOPE__INIT;
	u.handle = o->handle;
	u.interval_min = o->params.interval_min;
	u.interval_max = o->params.interval_max;
	u.latency = o->params.latency;
	u.supervision_timeout = o->params.timeout;
	req.id = ++m->next_id;
	req.op_case = HIVE__REQUEST__OP_UPDATE_CONNECTION;
	req.update_connection = &u;
	env.body_case = HIVE__ENVELOPE__BODY_REQUEST;
	env.request = &req;
	HLOG_INFO(m->a, "conn=0x%04x: the peripheral asked for interval %u..%u latency %u "
		  "timeout %u; asking %s", o->handle, o->params.interval_min,
		  o->params.interval_max, o->params.latency, o->params.timeout, m->host);
	l2cap_main_send(m, m->host, &env);
}

static void out_conn_param_result(struct l2cap_main *m, const struct l2cap_out *o)
{
	Hive__L2capResult lr = HIVE__L2CAP_RESULT__INIT;
	Hive__L2capConnParamResult cp = HIVE__L2CAP_CONN_PARAM_RESULT__INIT;
	cp.result = o->status > 0 ? (uint32_t)o->status : 0;
	lr.value_case = HIVE__L2CAP_RESULT__VALUE_CONN_PARAM;
	lr.conn_param = &cp;
	l2cap_main_result(m, o->dest, o->req_id, o->status, o->status >= 0 ? &lr : NULL);
}

/* The outcome of one connect request: every OPENED (ours) and OPEN_FAILED
 * item of the outbox with the same owner and request id, as one Result.
 * Each failed channel is also told as event open_failed. */
static void out_connect_result(struct l2cap_main *m, size_t first)
{
	const struct l2cap_out *o0 = &m->l->out.v[first];
	Hive__L2capChannelInfo ci[L2CAP_ECRED_CIDS_MAX], *cip[L2CAP_ECRED_CIDS_MAX];
	Hive__L2capCocParams rx[L2CAP_ECRED_CIDS_MAX];
	Hive__L2capOpenFailed of[L2CAP_ECRED_CIDS_MAX], *ofp[L2CAP_ECRED_CIDS_MAX];
	size_t nok = 0, nfail = 0;
	int status = 0;
	for (size_t i = first; i < m->l->out.n; i++) {
		const struct l2cap_out *o = &m->l->out.v[i];
		bool ours = (o->kind == L2CAP_OUT_COC_OPENED && !o->incoming) ||
			    o->kind == L2CAP_OUT_COC_OPEN_FAILED;
		if (m->done[i] || !ours || o->req_id != o0->req_id || strcmp(o->dest, o0->dest))
			continue;
		m->done[i] = true;
		if (o->kind == L2CAP_OUT_COC_OPENED && nok < L2CAP_ECRED_CIDS_MAX) {
			const struct l2cap_chan *ch = l2cap_chan_find(m->l, o->handle, o->cid);
			if (!ch)
				continue;
			l2cap_main_chan_info(&ci[nok], &rx[nok], o->handle, ch);
			cip[nok] = &ci[nok];
			nok++;
			HLOG_INFO(m->a, "conn=0x%04x: channel 0x%04x to SPSM 0x%02x open for %s",
				  o->handle, o->cid, o->spsm, o->dest);
		} else if (o->kind == L2CAP_OUT_COC_OPEN_FAILED && nfail < L2CAP_ECRED_CIDS_MAX) {
			hive__l2cap_open_failed__init(&of[nfail]);
			of[nfail].handle = o->handle;
			of[nfail].cid = o->cid;
			of[nfail].status = o->status;
			of[nfail].request_id = o->req_id;
			of[nfail].spsm = o->spsm;
			ofp[nfail] = &of[nfail];
			status = o->status;
			nfail++;
			HLOG_INFO(m->a, "conn=0x%04x: channel to SPSM 0x%02x failed: %s", o->handle,
				  o->spsm, status_words(o->status));
		}
	}
	for (size_t i = 0; i < nfail; i++) {
		Hive__L2capEvent ev = HIVE__L2CAP_EVENT__INIT;
		ev.kind_case = HIVE__L2CAP_EVENT__KIND_OPEN_FAILED;
		ev.open_failed = &of[i];
		send_event(m, o0->dest, &ev);
	}
	Hive__L2capResult lr = HIVE__L2CAP_RESULT__INIT;
	Hive__L2capConnected c = HIVE__L2CAP_CONNECTED__INIT;
	c.n_channels = nok;
	c.channels = cip;
	c.n_failed = nfail;
	c.failed = ofp;
	lr.value_case = HIVE__L2CAP_RESULT__VALUE_CONNECTED;
	lr.connected = &c;
	l2cap_main_result(m, o0->dest, o0->req_id, nok ? 0 : status, &lr);
}

static void out_event(struct l2cap_main *m, const struct l2cap_out *o)
{
	Hive__L2capEvent ev = HIVE__L2CAP_EVENT__INIT;
	Hive__L2capChannelOpened op = HIVE__L2CAP_CHANNEL_OPENED__INIT;
	Hive__L2capChannelInfo ci;
	Hive__L2capCocParams rx;
	Hive__L2capChannelSdu sdu = HIVE__L2CAP_CHANNEL_SDU__INIT;
	Hive__L2capChannelClosed cl = HIVE__L2CAP_CHANNEL_CLOSED__INIT;
	Hive__L2capChannelWritable wr = HIVE__L2CAP_CHANNEL_WRITABLE__INIT;
	Hive__L2capFixedBusy busy = HIVE__L2CAP_FIXED_BUSY__INIT;
	const struct l2cap_chan *ch;
	switch (o->kind) {
	case L2CAP_OUT_COC_OPENED: /* incoming */
		ch = l2cap_chan_find(m->l, o->handle, o->cid);
		if (!ch)
			return;
		l2cap_main_chan_info(&ci, &rx, o->handle, ch);
		op.channel = &ci;
		ev.kind_case = HIVE__L2CAP_EVENT__KIND_OPENED;
		ev.opened = &op;
		HLOG_INFO(m->a, "conn=0x%04x: the peer opened channel 0x%04x on SPSM 0x%02x for %s",
			  o->handle, o->cid, o->spsm, o->dest);
		break;
	case L2CAP_OUT_COC_SDU:
		sdu.handle = o->handle;
		sdu.cid = o->cid;
		sdu.sdu.data = o->data;
		sdu.sdu.len = o->len;
		ev.kind_case = HIVE__L2CAP_EVENT__KIND_SDU;
		ev.sdu = &sdu;
		break;
	case L2CAP_OUT_COC_CLOSED:
		cl.handle = o->handle;
		cl.cid = o->cid;
		cl.status = o->status;
		cl.unsent = (uint32_t)o->unsent;
		ev.kind_case = HIVE__L2CAP_EVENT__KIND_CLOSED;
		ev.closed = &cl;
		HLOG_INFO(m->a, "conn=0x%04x: channel 0x%04x of %s closed (%s, %zu unsent)",
			  o->handle, o->cid, o->dest, o->status ? status_words(o->status) : "asked",
			  o->unsent);
		break;
	case L2CAP_OUT_COC_WRITABLE:
		wr.handle = o->handle;
		wr.cid = o->cid;
		ev.kind_case = HIVE__L2CAP_EVENT__KIND_WRITABLE;
		ev.writable = &wr;
		break;
	case L2CAP_OUT_FIXED_BUSY:
		busy.handle = o->handle;
		busy.cid = o->cid;
		busy.busy = o->status != 0;
		busy.queued = (uint32_t)o->unsent;
		ev.kind_case = HIVE__L2CAP_EVENT__KIND_FIXED_BUSY;
		ev.fixed_busy = &busy;
		HLOG_DEBUG(m->a, "conn=0x%04x: %s told the link is %s (%zu frames wait for the "
			   "host)", o->handle, o->dest, o->status ? "busy" : "drained", o->unsent);
		break;
	default:
		return;
	}
	send_event(m, o->dest, &ev);
}

static void on_timer(struct hive_actor *a, void *arg);

static void save_snapshot(struct l2cap_main *m)
{
	int n = l2cap_snapshot_write(m->l, m->snap_next, m->snap_cap);
	if (n < 0) {
		HLOG_ERROR(m->a, "the snapshot does not fit: a restart would lose the channels");
		return;
	}
	if ((size_t)n == m->snap_len && memcmp(m->snap, m->snap_next, (size_t)n) == 0)
		return;
	if (hive_snapshot_save(m->a, m->snap_next, (size_t)n) < 0) {
		m->send_failures++;
		return;
	}
	uint8_t *t = m->snap;
	m->snap = m->snap_next;
	m->snap_next = t;
	m->snap_len = (size_t)n;
}

/* Once per input: the outbox out, the snapshot and the timer up to date. */
static void flush(struct l2cap_main *m)
{
	struct l2cap_outbox *ob = &m->l->out;
	if (ob->n > m->done_cap) {
		bool *d = realloc(m->done, ob->n * sizeof *d);
		if (d) {
			m->done = d;
			m->done_cap = ob->n;
		}
	}
	if (m->done_cap >= ob->n && ob->n)
		memset(m->done, 0, ob->n * sizeof *m->done);
	for (size_t i = 0; i < ob->n; i++) {
		const struct l2cap_out *o = &ob->v[i];
		if (m->done_cap >= ob->n && m->done[i])
			continue;
		switch (o->kind) {
		case L2CAP_OUT_FRAME:
			out_frame(m, o);
			break;
		case L2CAP_OUT_PDU:
			out_pdu(m, o);
			break;
		case L2CAP_OUT_CONN_UPDATE:
			out_conn_update(m, o);
			break;
		case L2CAP_OUT_CONN_PARAM_RESULT:
			out_conn_param_result(m, o);
			break;
		case L2CAP_OUT_COC_OPENED:
		case L2CAP_OUT_COC_OPEN_FAILED:
			if (o->kind == L2CAP_OUT_COC_OPENED && o->incoming)
				out_event(m, o);
			else if (m->done_cap >= ob->n)
				out_connect_result(m, i);
			else
				HLOG_ERROR(m->a, "out of memory: the outcome of request %llu to %s "
					   "is lost", (unsigned long long)o->req_id, o->dest);
			break;
		default:
			out_event(m, o);
			break;
		}
	}
	l2cap_outbox_clear(m->l);
	save_snapshot(m);

	uint64_t due = l2cap_deadline(m->l);
	if (due == UINT64_MAX)
		due = 0;
	if (due != m->timer_due) {
		if (m->timer > 0)
			hive_timer_cancel(m->a, m->timer);
		m->timer = 0;
		m->timer_due = due;
		if (due) {
			uint64_t now = l2cap_main_now_ms();
			int t = hive_timer_start(m->a, due > now ? due - now : 0, 0, on_timer, m);
			m->timer = t > 0 ? t : 0;
		}
	}
}

static void on_timer(struct hive_actor *a, void *arg)
{
	struct l2cap_main *m = arg;
	m->timer = 0;
	m->timer_due = 0;
	l2cap_on_time(m->l, l2cap_main_now_ms());
	flush(m);
}

/* ---- messages -> calls --------------------------------------------------------------- */

static void on_frame(struct hive_actor *a, const char *source, const Hive__Envelope *env,
		     void *arg)
{
	struct l2cap_main *m = arg;
	const Hive__L2capFrame *f = env->l2cap;
	uint16_t handle = (uint16_t)(f->handle & 0x0fff);
	const uint8_t *p = f->data.data;
	size_t len = f->data.len;
	uint64_t dropped = m->l->fixed.dropped;
	if (len > L2CAP_BASIC_HDR_LEN && ((p[2] | p[3] << 8) == L2CAP_CID_LE_SIGNALING ||
					   (p[2] | p[3] << 8) == L2CAP_CID_BREDR_SIGNALING))
		HLOG_DEBUG(a, "<<< %s conn=0x%04x len=%zu",
			   l2cap_bredr_sig_name(p[L2CAP_BASIC_HDR_LEN]), handle,
			   len - L2CAP_BASIC_HDR_LEN);
	l2cap_on_frame(m->l, handle, p, len, l2cap_main_now_ms());
	if (m->l->fixed.dropped != dropped)
		HLOG_DEBUG(a, "conn=0x%04x: frame on CID 0x%04x, which nobody serves, dropped",
			   handle, m->l->fixed.last_dropped_cid);
	flush(m);
}

/* A fixed channel payload from its owner. */
static void on_pdu(struct hive_actor *a, const char *source, const Hive__Envelope *env,
		   void *arg)
{
	struct l2cap_main *m = arg;
	const Hive__ChannelPdu *p = env->pdu;
	uint16_t handle = (uint16_t)(p->handle & 0x0fff);
	const char *owner = p->cid <= UINT16_MAX ? l2cap_fixed_owner(&m->l->fixed,
								       (uint16_t)p->cid)
						 : NULL;
	int rc = -EPERM;
	const struct l2cap_chan *ch = p->cid <= UINT16_MAX
					      ? l2cap_chan_find(m->l, handle, (uint16_t)p->cid)
					      : NULL;
	if (ch && (ch->br.flags & L2CAP_BR_BASIC)) /* a BR/EDR basic channel's owner */
		rc = strcmp(ch->owner, source) ? -EPERM
					       : l2cap_bredr_send(m->l, handle, (uint16_t)p->cid,
								  p->payload.data, p->payload.len);
	else if (owner && strcmp(owner, source) == 0)
		rc = l2cap_send_fixed(m->l, handle, (uint16_t)p->cid, p->payload.data,
				      p->payload.len);
	if (rc == -ENOBUFS)
		HLOG_ERROR(a, "PDU from %s for conn=0x%04x CID 0x%04x dropped: %u frames already "
			   "wait for the host's ACL credits (the controller does not keep up; "
			   "the sender ignored fixed_busy)", source, handle, p->cid,
			   L2CAP_HOSTQ_MAX);
	else if (rc < 0)
		HLOG_WARN(a, "PDU from %s for conn=0x%04x CID 0x%04x not sent: %s", source, handle,
			  p->cid, rc == -EPERM ? "the CID is not served by this actor"
					       : status_words(rc));
	flush(m);
}

static void on_link(struct hive_actor *a, const char *source, const Hive__Envelope *env,
		    void *arg)
{
	struct l2cap_main *m = arg;
	const Hive__LinkEvent *le = env->link;
	uint16_t handle = (uint16_t)(le->handle & 0x0fff);
	struct l2cap_link *k;
	switch (le->kind_case) {
	case HIVE__LINK_EVENT__KIND_CONNECTED: {
		enum l2cap_role role = le->connected->role == HIVE__CONNECTED__ROLE__PERIPHERAL
					       ? L2CAP_ROLE_PERIPHERAL
					       : L2CAP_ROLE_CENTRAL;
		if (l2cap_link_find(m->l, handle)) {
			/* A new link on a handle we still hold: the old one is gone. */
			HLOG_WARN(a, "conn=0x%04x connected again: closing the old link's channels",
				  handle);
			l2cap_link_remove(m->l, handle);
		}
		int rc = l2cap_link_add(m->l, handle, role);
		if (rc == 0 && !le->connected->le)
			rc = l2cap_link_set_bredr(m->l, handle);
		if (rc < 0)
			HLOG_ERROR(a, "conn=0x%04x: no room for the link (%s)", handle, strerror(-rc));
		else
			HLOG_INFO(a, "conn=0x%04x up as %s%s", handle,
				  role == L2CAP_ROLE_CENTRAL ? "central" : "peripheral",
				  le->connected->le ? "" : " (BR/EDR)");
		break;
	}
	case HIVE__LINK_EVENT__KIND_ACL_CREDITS: {
		const Hive__AclCredits *c = le->acl_credits;
		if (!c->window || c->window > L2CAP_HOSTQ_MAX) {
			HLOG_WARN(a, "AclCredits from %s for conn=0x%04x with window %u ignored "
				  "(1..%u)", source, handle, c->window, L2CAP_HOSTQ_MAX);
			return;
		}
		l2cap_on_host_credits(m->l, handle, c->frames, c->window, c->reset, c->epoch);
		break;
	}
	case HIVE__LINK_EVENT__KIND_DISCONNECTED:
		if (l2cap_link_remove(m->l, handle) == 0)
			HLOG_INFO(a, "conn=0x%04x down (reason 0x%02x)", handle,
				  le->disconnected->reason);
		break;
	case HIVE__LINK_EVENT__KIND_ENCRYPTION_CHANGED:
		k = l2cap_link_find(m->l, handle);
		if (k) {
			struct l2cap_security sec = k->sec;
			const Hive__EncryptionChanged *ec = le->encryption_changed;
			if (ec->status == 0) {
				sec.encrypted = ec->enabled;
				sec.key_size = (uint8_t)(ec->enabled ? ec->key_size : 0);
				sec.ltk_present |= ec->enabled;
			}
			l2cap_link_set_security(m->l, handle, &sec);
		}
		break;
	default:
		return;
	}
	flush(m);
}

static void on_request(struct hive_actor *a, const char *source, const Hive__Envelope *env,
		       void *arg)
{
	struct l2cap_main *m = arg;
	l2cap_main_on_request(m, source, env->request);
	flush(m);
}

/* The host's answers to our update_connection requests. */
static void on_result(struct hive_actor *a, const char *source, const Hive__Envelope *env,
		      void *arg)
{
	const Hive__Result *r = env->result;
	if (r->status != 0)
		HLOG_WARN(a, "%s refused our request %llu: %d %s", source,
			  (unsigned long long)r->id, r->status, r->error ? r->error : "");
}

/* ---- configuration ------------------------------------------------------------------------ */

static int config_name(struct l2cap_main *m, const char *key, char *out)
{
	const char *v = hive_config(m->a, key);
	if (!v)
		v = key;
	if (!hive_name_valid(v)) {
		HLOG_ERROR(m->a, "--set %s=%s: not an actor name", key, v);
		return -EINVAL;
	}
	snprintf(out, HIVE_NAME_MAX + 1, "%s", v);
	return 0;
}

static int configure(struct l2cap_main *m, struct l2cap_config *cfg)
{
	int err = 0;
	l2cap_config_default(cfg);
	if (config_name(m, "host", m->host) < 0 || config_name(m, "gatt", m->gatt) < 0 ||
	    config_name(m, "smp", m->smp) < 0)
		return -EINVAL;
	uint64_t rtx = hive_config_u64(m->a, "rtx_ms", cfg->rtx_ms, &err);
	uint64_t txq = hive_config_u64(m->a, "txq_max", cfg->txq_max, &err);
	uint64_t mtu = hive_config_u64(m->a, "coc_mtu", L2CAP_COC_MTU_DEFAULT, &err);
	uint64_t mps = hive_config_u64(m->a, "coc_mps", L2CAP_COC_MPS_DEFAULT, &err);
	uint64_t cr = hive_config_u64(m->a, "coc_credits", L2CAP_COC_CREDITS_DEFAULT, &err);
	uint64_t acc = hive_config_u64(m->a, "cpu_accept", 1, &err);
	if (err || rtx < 1000 || rtx > 60000 || txq < 1024 || mtu < L2CAP_LE_MTU_MIN ||
	    mtu > 65535 || mps < L2CAP_LE_MPS_MIN || mps > L2CAP_LE_MPS_MAX || cr < 1 ||
	    cr > 65535 || acc > 1) {
		HLOG_ERROR(m->a, "bad settings: rtx_ms is 1000..60000, txq_max >= 1024, coc_mtu "
				 "23..65535, coc_mps 23..65533, coc_credits 1..65535, cpu_accept 0|1");
		return -EINVAL;
	}
	cfg->rtx_ms = (uint32_t)rtx;
	cfg->txq_max = (size_t)txq;
	cfg->cpu.accept = acc != 0;
	m->coc_default = (struct l2cap_coc_params){ (uint16_t)mtu, (uint16_t)mps, (uint16_t)cr };
	return 0;
}

static int setup(struct l2cap_main *m)
{
	struct l2cap_config cfg;
	if (configure(m, &cfg) < 0)
		return -EINVAL;
	m->l = l2cap_new(&cfg);
	m->snap_cap = l2cap_snapshot_max();
	m->snap = malloc(m->snap_cap);
	m->snap_next = malloc(m->snap_cap);
	if (!m->l || !m->snap || !m->snap_next)
		return -ENOMEM;
	/* The fixed channels' owners by their configured names. */
	l2cap_fixed_unregister(&m->l->fixed, L2CAP_CID_ATT, NULL);
	l2cap_fixed_unregister(&m->l->fixed, L2CAP_CID_SMP, NULL);
	l2cap_fixed_unregister(&m->l->fixed, L2CAP_CID_SMP_BREDR, NULL);
	l2cap_fixed_register(&m->l->fixed, L2CAP_CID_ATT, m->gatt);
	l2cap_fixed_register(&m->l->fixed, L2CAP_CID_SMP, m->smp);
	l2cap_fixed_register(&m->l->fixed, L2CAP_CID_SMP_BREDR, m->smp);
	const char *sdp = hive_config(m->a, "sdp");
	if (sdp && l2cap_psm_listen(m->l, L2CAP_PSM_SDP, sdp, 0, L2CAP_SEC_NONE) < 0) {
		HLOG_ERROR(m->a, "--set sdp=%s: not an actor name", sdp);
		return -EINVAL;
	}

	size_t len = 0;
	const uint8_t *snap = hive_actor_snapshot(m->a, &len);
	if (hive_actor_restarted(m->a) && snap && len) {
		int n = l2cap_snapshot_restore(m->l, snap, len, l2cap_main_now_ms());
		if (n < 0) {
			HLOG_WARN(m->a, "the snapshot is unreadable (%s): starting without links",
				  strerror(-n));
		} else {
			m->restored = true;
			unsigned links = 0;
			for (unsigned i = 0; i < L2CAP_LINKS_MAX; i++)
				links += m->l->link[i].in_use;
			HLOG_INFO(m->a, "restarted with %u link(s) and %d channel(s) from the "
				  "snapshot", links, n);
		}
	}
	return 0;
}

int main(int argc, char **argv)
{
	struct l2cap_main *m = calloc(1, sizeof *m);
	int rc = 1;
	if (!m)
		return 1;
	hive_signals_install();
	if (hive_actor_from_args(&m->a, argc, argv, "l2cap", NULL) < 0)
		goto out;
	if (setup(m) < 0)
		goto out;
	hive_on(m->a, HIVE__ENVELOPE__BODY_L2CAP, on_frame, m);
	hive_on(m->a, HIVE__ENVELOPE__BODY_PDU, on_pdu, m);
	hive_on(m->a, HIVE__ENVELOPE__BODY_LINK, on_link, m);
	hive_on(m->a, HIVE__ENVELOPE__BODY_REQUEST, on_request, m);
	hive_on(m->a, HIVE__ENVELOPE__BODY_RESULT, on_result, m);
	/* Whatever the restore said (channels aborted) goes out first. */
	flush(m);
	if (hive_actor_ready(m->a) < 0)
		goto out;
	rc = hive_run(m->a) < 0;
out:
	l2cap_destroy(&m->l);
	hive_actor_destroy(&m->a);
	free(m->snap);
	free(m->snap_next);
	free(m->done);
	free(m);
	return rc;
}
