/* hive-host: the host actor's I/O shell. The only file of the host that
 * touches ZeroMQ, timers and protobuf-c.
 *
 *   hive-host [runtime options] [--set cmd_timeout_ms=N] [--set config=PATH]
 *
 * From "hci": HciPacket (events, ACL). To "hci": HciPacket (commands, ACL).
 * To "l2cap": L2capFrame (reassembled). From "l2cap": L2capFrame (to
 * fragment). To "l2cap", "gatt", "smp" and subscribers: LinkEvent.
 * Requests: hci_command, connections, link_subscribe, and the GAP ones
 * (host_main_gap.c). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <unistd.h>

#include "hive.h"
#include "host.h"
#include "host_main.h"
#include "host_bredr_main.h"

static const char *const link_users[] = { "l2cap", "gatt", "smp" };

static uint64_t now_ms(void)
{
	return hive_now_ns() / 1000000ull;
}

static void send_or_log(struct host_actor *self, const char *dest, Hive__Envelope *env)
{
	int rc = hive_send(self->a, dest, env);
	if (rc < 0) {
		self->send_failures++;
		HLOG_WARN(self->a, "sending %s to %s failed: %s", hive_body_name(env->body_case),
			  dest, strerror(-rc));
	}
}

void host_send_result(struct host_actor *self, const char *dest, uint64_t id, int32_t status,
		      Hive__Result__Domain domain, const char *error, Hive__Result *res)
{
	Hive__Result local = HIVE__RESULT__INIT;
	if (!res)
		res = &local;
	res->id = id;
	res->status = status;
	res->domain = domain;
	res->error = (char *)(error ? error : "");
	Hive__Envelope env = HIVE__ENVELOPE__INIT;
	env.body_case = HIVE__ENVELOPE__BODY_RESULT;
	env.result = res;
	send_or_log(self, dest, &env);
}

/* ---- outbox -> messages --------------------------------------------------------- */

void host_addr_to_pb(Hive__Address *pa, const struct host_addr *a, uint8_t *buf)
{
	memcpy(buf, a->a, 6);
	pa->type = (Hive__Address__Type)a->type;
	pa->bdaddr.data = buf;
	pa->bdaddr.len = 6;
}

static void send_link_event(struct host_actor *self, const struct host_link_event *ev)
{
	const struct host_conn *c = &ev->conn;
	Hive__LinkEvent le = HIVE__LINK_EVENT__INIT;
	Hive__Connected con = HIVE__CONNECTED__INIT;
	Hive__ConnectionFailed cf = HIVE__CONNECTION_FAILED__INIT;
	Hive__Disconnected dis = HIVE__DISCONNECTED__INIT;
	Hive__EncryptionChanged enc = HIVE__ENCRYPTION_CHANGED__INIT;
	Hive__EncryptionKeyRefresh kr = HIVE__ENCRYPTION_KEY_REFRESH__INIT;
	Hive__ParametersUpdated pu = HIVE__PARAMETERS_UPDATED__INIT;
	Hive__PhyUpdated phy = HIVE__PHY_UPDATED__INIT;
	Hive__DataLengthChanged dl = HIVE__DATA_LENGTH_CHANGED__INIT;
	Hive__LtkRequested ltk = HIVE__LTK_REQUESTED__INIT;
	uint8_t rand[8];
	Hive__Address own = HIVE__ADDRESS__INIT, peer = HIVE__ADDRESS__INIT;
	uint8_t own_buf[6], peer_buf[6];

	le.handle = ev->handle;
	switch (ev->kind) {
	case HOST_LINK_CONNECTED:
		host_addr_to_pb(&own, &c->own, own_buf);
		host_addr_to_pb(&peer, &c->peer, peer_buf);
		con.role = c->role ? HIVE__CONNECTED__ROLE__PERIPHERAL
				   : HIVE__CONNECTED__ROLE__CENTRAL;
		con.own = &own;
		con.peer = &peer;
		con.interval = c->interval;
		con.latency = c->latency;
		con.supervision_timeout = c->timeout;
		con.le = !c->bredr;
		le.kind_case = HIVE__LINK_EVENT__KIND_CONNECTED;
		le.connected = &con;
		break;
	case HOST_LINK_CONNECTION_FAILED:
		host_addr_to_pb(&peer, &c->peer, peer_buf);
		cf.peer = &peer;
		cf.status = ev->status;
		le.handle = 0;
		le.kind_case = HIVE__LINK_EVENT__KIND_CONNECTION_FAILED;
		le.connection_failed = &cf;
		break;
	case HOST_LINK_DISCONNECTED:
		dis.reason = ev->status;
		le.kind_case = HIVE__LINK_EVENT__KIND_DISCONNECTED;
		le.disconnected = &dis;
		break;
	case HOST_LINK_ENCRYPTION_CHANGED:
		enc.enabled = c->encrypted;
		enc.key_size = c->key_size;
		enc.status = ev->status;
		le.kind_case = HIVE__LINK_EVENT__KIND_ENCRYPTION_CHANGED;
		le.encryption_changed = &enc;
		break;
	case HOST_LINK_KEY_REFRESH:
		kr.status = ev->status;
		le.kind_case = HIVE__LINK_EVENT__KIND_ENCRYPTION_KEY_REFRESH;
		le.encryption_key_refresh = &kr;
		break;
	case HOST_LINK_PARAMETERS_UPDATED:
		pu.interval = c->interval;
		pu.latency = c->latency;
		pu.supervision_timeout = c->timeout;
		pu.status = ev->status;
		le.kind_case = HIVE__LINK_EVENT__KIND_PARAMETERS_UPDATED;
		le.parameters_updated = &pu;
		break;
	case HOST_LINK_PHY_UPDATED:
		phy.tx_phy = c->tx_phy;
		phy.rx_phy = c->rx_phy;
		phy.status = ev->status;
		le.kind_case = HIVE__LINK_EVENT__KIND_PHY_UPDATED;
		le.phy_updated = &phy;
		break;
	case HOST_LINK_DATA_LENGTH_CHANGED:
		dl.max_tx_octets = c->max_tx_octets;
		dl.max_tx_time = c->max_tx_time;
		dl.max_rx_octets = c->max_rx_octets;
		dl.max_rx_time = c->max_rx_time;
		le.kind_case = HIVE__LINK_EVENT__KIND_DATA_LENGTH_CHANGED;
		le.data_length_changed = &dl;
		break;
	case HOST_LINK_LTK_REQUESTED:
		memcpy(rand, ev->rand, 8);
		ltk.rand.data = rand;
		ltk.rand.len = 8;
		ltk.ediv = ev->ediv;
		le.kind_case = HIVE__LINK_EVENT__KIND_LTK_REQUESTED;
		le.ltk_requested = &ltk;
		break;
	}
	Hive__Envelope env = HIVE__ENVELOPE__INIT;
	env.body_case = HIVE__ENVELOPE__BODY_LINK;
	env.link = &le;
	HLOG_INFO(self->a, "link %s conn=0x%04x status=0x%02x", host_link_kind_name(ev->kind),
		  ev->handle, ev->status);
	if (ev->kind == HOST_LINK_LTK_REQUESTED) {
		send_or_log(self, "smp", &env);
		return;
	}
	for (size_t i = 0; i < sizeof link_users / sizeof link_users[0]; i++)
		send_or_log(self, link_users[i], &env);
	for (unsigned i = 0; i < self->nsubscribers; i++)
		send_or_log(self, self->subscribers[i], &env);
}

struct asker *host_asker_new(struct host_actor *self, const char *source, uint64_t id)
{
	for (unsigned i = 0; i < ASKERS_MAX; i++) {
		struct asker *k = &self->askers[i];
		if (k->in_use)
			continue;
		k->in_use = true;
		k->cookie = self->next_cookie++;
		k->request_id = id;
		snprintf(k->source, sizeof k->source, "%s", source);
		return k;
	}
	return NULL;
}

struct asker *host_asker_find(struct host_actor *self, uint64_t cookie)
{
	for (unsigned i = 0; i < ASKERS_MAX; i++)
		if (self->askers[i].in_use && self->askers[i].cookie == cookie)
			return &self->askers[i];
	return NULL;
}

static void send_done(struct host_actor *self, const struct host_cmd_done *d)
{
	struct asker *k = host_asker_find(self, d->cookie);
	if (!k)
		return;
	Hive__HciCommandResult cr = HIVE__HCI_COMMAND_RESULT__INIT;
	Hive__Result res = HIVE__RESULT__INIT;
	char why[128] = "";
	cr.opcode = d->opcode;
	cr.status = d->status;
	cr.by_status = d->by_status;
	cr.return_params.data = (uint8_t *)d->ret;
	cr.return_params.len = d->ret_len;
	res.value_case = HIVE__RESULT__VALUE_HCI_COMMAND;
	res.hci_command = &cr;
	if (d->err) {
		snprintf(why, sizeof why,
			 "the controller did not complete command 0x%04x in time; "
			 "check the transport (hci actor) and the controller",
			 d->opcode);
		host_send_result(self, k->source, k->request_id, d->err, HIVE__RESULT__DOMAIN__LOCAL,
			    why, &res);
	} else if (d->status) {
		snprintf(why, sizeof why, "command 0x%04x: %s", d->opcode,
			 hci_error_name(d->status));
		host_send_result(self, k->source, k->request_id, d->status, HIVE__RESULT__DOMAIN__HCI,
			    why, &res);
	} else {
		host_send_result(self, k->source, k->request_id, 0, HIVE__RESULT__DOMAIN__LOCAL, NULL,
			    &res);
	}
	k->in_use = false;
}

static void on_timer(struct hive_actor *a, void *arg);

/* AclCredits to l2cap for each link whose frames left the queue (after the
 * outbox, so a new link's Connected is there first). */
static void send_acl_credits(struct host_actor *self)
{
	for (unsigned i = 0; i < HOST_LINKS_MAX; i++) {
		struct host_acl_link *l = &self->h.acl.link[i];
		bool reset;
		unsigned n = host_acl_take_credits(l, &reset);
		if (!n && !reset)
			continue;
		Hive__AclCredits c = HIVE__ACL_CREDITS__INIT;
		c.frames = reset ? 0 : n;
		c.reset = reset;
		c.window = HOST_ACL_L2CAP_WINDOW;
		c.epoch = self->epoch;
		Hive__LinkEvent ev = HIVE__LINK_EVENT__INIT;
		ev.handle = l->handle;
		ev.kind_case = HIVE__LINK_EVENT__KIND_ACL_CREDITS;
		ev.acl_credits = &c;
		Hive__Envelope env = HIVE__ENVELOPE__INIT;
		env.body_case = HIVE__ENVELOPE__BODY_LINK;
		env.link = &ev;
		send_or_log(self, "l2cap", &env);
	}
}

/* Sends what may go to the controller, then the outbox; saves the snapshot
 * when the table changed; re-arms the command deadline timer. */
static void flush(struct host_actor *self)
{
	struct host *h = &self->h;
	for (;;) {
		int type;
		int n = host_next_hci(h, now_ms(), self->pkt, sizeof self->pkt, &type);
		if (n <= 0)
			break;
		Hive__HciPacket hp = HIVE__HCI_PACKET__INIT;
		hp.type = (Hive__HciPacket__Type)type;
		hp.data.data = self->pkt;
		hp.data.len = (size_t)n;
		Hive__Envelope env = HIVE__ENVELOPE__INIT;
		env.body_case = HIVE__ENVELOPE__BODY_HCI;
		env.hci = &hp;
		if (type == HOST_HCI_COMMAND)
			HLOG_DEBUG(self->a, ">>> command 0x%04x len=%d",
				   self->pkt[0] | self->pkt[1] << 8, n);
		send_or_log(self, "hci", &env);
	}
	for (unsigned i = 0; i < h->out.count; i++) {
		const struct host_out *o = &h->out.item[i];
		switch (o->kind) {
		case HOST_OUT_L2CAP: {
			Hive__L2capFrame f = HIVE__L2CAP_FRAME__INIT;
			f.handle = o->l2cap.handle;
			f.data.data = (uint8_t *)o->l2cap.data;
			f.data.len = o->l2cap.len;
			Hive__Envelope env = HIVE__ENVELOPE__INIT;
			env.body_case = HIVE__ENVELOPE__BODY_L2CAP;
			env.l2cap = &f;
			send_or_log(self, "l2cap", &env);
			break;
		}
		case HOST_OUT_LINK:
			send_link_event(self, &o->link);
			break;
		case HOST_OUT_DONE:
			send_done(self, &o->done);
			break;
		case HOST_OUT_RESULT:
			host_send_gap_result(self, &o->result);
			break;
		case HOST_OUT_BREDR:
			host_send_bredr(self, &o->bredr);
			break;
		case HOST_OUT_READY:
			HLOG_INFO(self->a, "controller ready: HCI %u, manufacturer 0x%04x, "
				  "ACL %u x %u bytes",
				  h->ctrl.version.hci_version, h->ctrl.version.manufacturer,
				  h->acl.total, h->acl.mtu);
			hive_actor_ready(self->a);
			break;
		case HOST_OUT_FAILED:
			HLOG_ERROR(self->a, "controller start-up failed at step %d (command 0x%04x): "
				   "check the controller and the hci actor",
				   h->setup_step, host_setup_opcode((unsigned)h->setup_step));
			hive_actor_stop(self->a);
			break;
		}
	}
	h->out.count = 0;
	send_acl_credits(self);
	host_refill_randomness(self);
	if (h->conns_changed) {
		h->conns_changed = false;
		int n = host_snapshot(h, self->snap, sizeof self->snap);
		if (n > 0)
			hive_snapshot_save(self->a, self->snap, (size_t)n);
	}
	uint64_t due = host_deadline(h);
	if (due != self->timer_due) {
		if (self->timer > 0)
			hive_timer_cancel(self->a, self->timer);
		self->timer = 0;
		self->timer_due = due;
		if (due != UINT64_MAX) {
			uint64_t now = now_ms();
			self->timer = hive_timer_start(self->a, due > now ? due - now : 0, 0,
						       on_timer, self);
		}
	}
}

static void on_timer(struct hive_actor *a, void *arg)
{
	struct host_actor *self = arg;
	self->timer = 0;
	self->timer_due = UINT64_MAX;
	host_on_time(&self->h, now_ms());
	flush(self);
}

/* ---- inputs --------------------------------------------------------------------- */

static void on_hci(struct hive_actor *a, const char *source, const Hive__Envelope *env,
		   void *arg)
{
	struct host_actor *self = arg;
	const Hive__HciPacket *p = env->hci;
	int type = (int)p->type;
	host_on_hci(&self->h, type, p->data.data, p->data.len, now_ms());
	if (type == HOST_HCI_EVENT)
		HLOG_DEBUG(a, "<<< %s len=%zu", self->h.last_event, p->data.len);
	if (self->h.last_event && type == HOST_HCI_EVENT &&
	    (!strcmp(self->h.last_event, "malformed") || !strcmp(self->h.last_event, "unknown")))
		HLOG_INFO(a, "%s event dropped (len=%zu, code 0x%02x)", self->h.last_event,
			  p->data.len, p->data.len ? p->data.data[0] : 0);
	flush(self);
}

static void on_l2cap(struct hive_actor *a, const char *source, const Hive__Envelope *env,
		     void *arg)
{
	struct host_actor *self = arg;
	const Hive__L2capFrame *f = env->l2cap;
	if (f->epoch && f->epoch != self->epoch) {
		self->stale_frames++;
		HLOG_DEBUG(a, "L2CAP frame for conn=0x%04x meant for a previous host dropped "
			   "(l2cap sends it again)", f->handle);
		flush(self); /* our reset may not have gone yet */
		return;
	}
	int rc = host_on_l2cap(&self->h, (uint16_t)f->handle, f->data.data, f->data.len);
	if (rc == -ENOBUFS)
		HLOG_ERROR(a, "L2CAP frame from %s for conn=0x%04x (len=%zu) dropped: the link's "
			   "queue of %u frames is full (the sender ignored the ACL credits it got "
			   "in AclCredits)", source, f->handle, f->data.len, HOST_ACL_TXQ_MAX);
	else if (rc < 0)
		HLOG_WARN(a, "L2CAP frame from %s for conn=0x%04x (len=%zu) not sent: %s", source,
			  f->handle, f->data.len,
			  rc == -ENOENT	    ? "no such connection"
			  : rc == -EINVAL   ? "the L2CAP length disagrees with the frame"
					    : strerror(-rc));
	flush(self);
}

void host_conn_info_to_pb(Hive__ConnectionInfo *info, const struct host_conn *c,
			  Hive__Address *own, Hive__Address *peer, uint8_t buf[12])
{
	hive__connection_info__init(info);
	hive__address__init(own);
	hive__address__init(peer);
	host_addr_to_pb(own, &c->own, buf);
	host_addr_to_pb(peer, &c->peer, buf + 6);
	info->handle = c->handle;
	info->role = c->role ? HIVE__CONNECTED__ROLE__PERIPHERAL : HIVE__CONNECTED__ROLE__CENTRAL;
	info->own = own;
	info->peer = peer;
	info->interval = c->interval;
	info->latency = c->latency;
	info->supervision_timeout = c->timeout;
	info->tx_phy = c->tx_phy;
	info->rx_phy = c->rx_phy;
	info->max_tx_octets = c->max_tx_octets;
	info->max_rx_octets = c->max_rx_octets;
	info->encrypted = c->encrypted;
	info->key_size = c->key_size;
	info->att_mtu = c->att_mtu;
}

static void answer_connections(struct host_actor *self, const char *source, uint64_t id)
{
	Hive__ConnectionInfo info[HOST_LINKS_MAX];
	Hive__ConnectionInfo *ptr[HOST_LINKS_MAX];
	Hive__Address own[HOST_LINKS_MAX], peer[HOST_LINKS_MAX];
	uint8_t buf[HOST_LINKS_MAX][12];
	Hive__ConnectionTable t = HIVE__CONNECTION_TABLE__INIT;
	size_t n = 0;
	for (unsigned i = 0; i < HOST_LINKS_MAX; i++) {
		const struct host_conn *c = &self->h.conns.c[i];
		if (!c->in_use)
			continue;
		host_conn_info_to_pb(&info[n], c, &own[n], &peer[n], buf[n]);
		ptr[n] = &info[n];
		n++;
	}
	t.n_connections = n;
	t.connections = ptr;
	Hive__Result res = HIVE__RESULT__INIT;
	res.value_case = HIVE__RESULT__VALUE_CONNECTIONS;
	res.connections = &t;
	host_send_result(self, source, id, 0, HIVE__RESULT__DOMAIN__LOCAL, NULL, &res);
}

static void on_hci_command_request(struct host_actor *self, const char *source,
				   const Hive__Request *req)
{
	const Hive__HciCommand *c = req->hci_command;
	struct asker *k = NULL;
	int rc = -EBUSY;
	if (c->opcode > 0xffff || c->opcode == HCI_OP_NOP)
		rc = -EINVAL;
	else if ((k = host_asker_new(self, source, req->id)))
		rc = host_submit_command(&self->h, (uint16_t)c->opcode, c->params.data,
					 c->params.len, k->cookie);
	if (rc < 0) {
		char why[160];
		if (k)
			k->in_use = false;
		snprintf(why, sizeof why, "HCI command 0x%04x not queued: %s%s", c->opcode,
			 strerror(-rc),
			 rc == -EAGAIN ? " (the controller is still starting up; retry)" : "");
		host_send_result(self, source, req->id, rc, HIVE__RESULT__DOMAIN__LOCAL, why, NULL);
	}
}

static void on_request(struct hive_actor *a, const char *source, const Hive__Envelope *env,
		       void *arg)
{
	struct host_actor *self = arg;
	const Hive__Request *req = env->request;
	switch (req->op_case) {
	case HIVE__REQUEST__OP_HCI_COMMAND:
		on_hci_command_request(self, source, req);
		break;
	case HIVE__REQUEST__OP_CONNECTIONS:
		answer_connections(self, source, req->id);
		break;
	case HIVE__REQUEST__OP_LINK_SUBSCRIBE: {
		bool known = false;
		for (unsigned i = 0; i < self->nsubscribers; i++)
			known |= !strcmp(self->subscribers[i], source);
		if (!known && self->nsubscribers == SUBSCRIBERS_MAX) {
			host_send_result(self, source, req->id, -ENOSPC, HIVE__RESULT__DOMAIN__LOCAL,
				    "too many link subscribers", NULL);
			break;
		}
		if (!known)
			snprintf(self->subscribers[self->nsubscribers++], HIVE_NAME_MAX + 1, "%s",
				 source);
		host_send_result(self, source, req->id, 0, HIVE__RESULT__DOMAIN__LOCAL, NULL, NULL);
		break;
	}
	default:
		if (!host_gap_request(self, source, req) && !host_bredr_request(self, source, req))
			host_send_result(self, source, req->id, -EOPNOTSUPP,
					 HIVE__RESULT__DOMAIN__LOCAL,
					 "the host does not serve this request", NULL);
		break;
	}
	flush(self);
}

int main(int argc, char **argv)
{
	struct host_actor *self = calloc(1, sizeof *self);
	int err = 0, status = 1;
	if (!self)
		return 1;
	if (hive_actor_from_args(&self->a, argc, argv, "host", NULL) < 0) {
		free(self);
		return 1;
	}
	uint64_t timeout = hive_config_u64(self->a, "cmd_timeout_ms", HOST_CMD_TIMEOUT_MS_DEFAULT,
					   &err);
	if (err || timeout == 0) {
		HLOG_ERROR(self->a, "cmd_timeout_ms must be a number of milliseconds above 0");
		status = 2;
		goto out;
	}
	host_init(&self->h, timeout);
	while (!self->epoch && getrandom(&self->epoch, sizeof self->epoch, 0) != sizeof self->epoch)
		self->epoch = (uint32_t)getpid() ^ (uint32_t)hive_now_ns();
	self->next_cookie = HOST_COOKIE_FIRST;
	self->config_path = hive_config(self->a, "config");
	if (host_load_config(self) < 0 || host_bredr_configure(self) < 0) {
		status = 2;
		goto out;
	}
	host_refill_randomness(self);
	self->timer_due = UINT64_MAX;
	hive_on(self->a, HIVE__ENVELOPE__BODY_HCI, on_hci, self);
	hive_on(self->a, HIVE__ENVELOPE__BODY_L2CAP, on_l2cap, self);
	hive_on(self->a, HIVE__ENVELOPE__BODY_REQUEST, on_request, self);
	hive_on(self->a, HIVE__ENVELOPE__BODY_RESULT, host_gap_on_result, self);

	size_t snap_len = 0;
	const uint8_t *snap = hive_actor_snapshot(self->a, &snap_len);
	self->h.now_ms = now_ms();
	if (hive_actor_restarted(self->a) && snap &&
	    host_resume(&self->h, snap, snap_len) == 0) {
		HLOG_INFO(self->a, "restarted: %u connection(s) taken back from the snapshot",
			  host_conn_count(&self->h.conns));
		hive_actor_ready(self->a);
	} else {
		bool reset = !hive_actor_restarted(self->a);
		if (!reset)
			HLOG_INFO(self->a, "restarted without a usable snapshot: "
				  "starting up without Reset");
		host_start(&self->h, reset);
	}
	flush(self);
	int rc = hive_run(self->a);
	status = rc < 0 || self->h.failed ? 1 : 0;
	host_fini(&self->h);
out:
	hive_actor_destroy(&self->a);
	free(self);
	return status;
}
