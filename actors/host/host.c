/* The host state machine's entry points: see host.h. */
#include "host.h"

#include <errno.h>
#include <string.h>

void host_init(struct host *h, uint64_t cmd_timeout_ms)
{
	memset(h, 0, sizeof *h);
	host_cmdq_init(&h->cmd, cmd_timeout_ms);
	host_acl_init(&h->acl, 0, 0);
	h->setup_step = -1;
	struct host_config cfg;
	host_config_defaults(&cfg);
	host_gap_init(h, &cfg);
	host_bredr_init(h, HCI_SCAN_PAGE, false);
}

void host_fini(struct host *h)
{
	host_acl_fini(&h->acl);
}

int host_resume(struct host *h, const uint8_t *snap, size_t len)
{
	struct host_snapshot_ctrl sc;
	struct host_bredr_snap bs;
	int skip = host_bredr_snapshot_read(&bs, snap, len);
	if (skip < 0 || host_conn_snapshot_read(&h->conns, &sc, snap + skip, len - (size_t)skip) < 0)
		return -EBADMSG;
	memcpy(h->ctrl.bdaddr, sc.bdaddr, 6);
	h->ctrl.le_buf.acl_len = sc.acl_len;
	h->ctrl.le_buf.acl_num = sc.acl_num;
	host_acl_set_buffers(&h->acl, sc.acl_len, sc.acl_num);
	uint64_t longest = 0; /* connection interval, ms */
	for (unsigned i = 0; i < HOST_LINKS_MAX; i++) {
		struct host_conn *c = &h->conns.c[i];
		if (c->in_use && host_acl_link_add(&h->acl, c->handle) < 0)
			memset(c, 0, sizeof *c); /* a duplicate in the snapshot */
		else if (c->in_use && c->interval * 5u / 4u > longest)
			longest = c->interval * 5u / 4u;
	}
	/* The controller may hold the predecessor's packets: a few connection
	 * events send them (BR/EDR links: the 50 ms floor). */
	host_bredr_resume(h, &bs); /* the BR/EDR links and pool, before the debt */
	if (host_conn_count(&h->conns))
		host_acl_resume(&h->acl, h->now_ms + 50 + 4 * (longest < 1000 ? longest : 1000));
	h->ready = true;
	host_gap_ready(h, h->now_ms);
	host_ext_refresh(h); /* which advertising commands the controller's session uses */
	return 0;
}

int host_snapshot(const struct host *h, uint8_t *out, size_t cap)
{
	struct host_snapshot_ctrl sc = { 0 };
	memcpy(sc.bdaddr, h->ctrl.bdaddr, 6);
	sc.acl_len = h->acl.mtu;
	sc.acl_num = (uint16_t)h->acl.total;
	int n = host_bredr_snapshot_write(h, out, cap);
	if (n < 0)
		return n;
	int m = host_conn_snapshot_write(&h->conns, &sc, out + n, cap - (size_t)n);
	return m < 0 ? m : n + m;
}

void host_on_hci(struct host *h, int type, const uint8_t *p, size_t len, uint64_t now_ms)
{
	h->now_ms = now_ms;
	if (type == HOST_HCI_EVENT) {
		host_dispatch_event(h, p, len, now_ms);
	} else if (type == HOST_HCI_ACL) {
		uint16_t handle;
		const uint8_t *frame;
		size_t flen;
		if (host_acl_rx(&h->acl, p, len, &handle, &frame, &flen) == 1) {
			struct host_out *o = host_out_push(h, HOST_OUT_L2CAP);
			if (o) {
				o->l2cap.handle = handle;
				o->l2cap.data = frame;
				o->l2cap.len = flen;
			}
		}
	} else {
		h->st.ignored_packets++;
	}
}

int host_on_l2cap(struct host *h, uint16_t handle, const uint8_t *frame, size_t len)
{
	return host_acl_tx_submit(&h->acl, handle, frame, len);
}

int host_submit_command(struct host *h, uint16_t opcode, const uint8_t *params, size_t plen,
			uint64_t cookie)
{
	if (!h->ready)
		return -EAGAIN;
	return host_cmdq_submit(&h->cmd, opcode, params, plen, cookie);
}

void host_on_time(struct host *h, uint64_t now_ms)
{
	struct host_cmd_done d;
	h->now_ms = now_ms;
	while (host_cmdq_expire(&h->cmd, now_ms, &d) == 1)
		host_command_done(h, &d);
	host_acl_on_time(&h->acl, now_ms);
	if (h->ready) {
		host_gap_on_time(h, now_ms);
		host_bredr_on_time(h, now_ms);
	}
}

uint64_t host_deadline(const struct host *h)
{
	uint64_t a = host_cmdq_deadline(&h->cmd), b = host_gap_deadline(h);
	uint64_t c = host_bredr_deadline(h), d = host_acl_deadline(&h->acl);
	a = a < b ? a : b;
	a = a < c ? a : c;
	return a < d ? a : d;
}

int host_next_hci(struct host *h, uint64_t now_ms, uint8_t *out, size_t cap, int *type)
{
	int n = host_cmdq_next(&h->cmd, now_ms, out, cap);
	if (n > 0) {
		*type = HOST_HCI_COMMAND;
		return n;
	}
	if (!h->ready)
		return 0;
	n = host_acl_tx_next(&h->acl, out, cap);
	if (n > 0)
		*type = HOST_HCI_ACL;
	return n > 0 ? n : 0;
}

struct host_out *host_out_push(struct host *h, enum host_out_kind kind)
{
	if (h->out.count == HOST_OUTBOX_MAX) {
		h->out.overflow++;
		return NULL;
	}
	struct host_out *o = &h->out.item[h->out.count++];
	memset(o, 0, sizeof *o);
	o->kind = kind;
	return o;
}

void host_link_event(struct host *h, enum host_link_kind kind, const struct host_conn *c,
		     uint8_t status)
{
	struct host_out *o = host_out_push(h, HOST_OUT_LINK);
	if (!o)
		return;
	o->link.kind = kind;
	o->link.handle = c->handle;
	o->link.status = status;
	o->link.conn = *c;
}

struct host_conn *host_link_open(struct host *h, uint16_t handle, const struct host_conn *failed)
{
	struct host_conn *c = host_conn_add(&h->conns, handle);
	if (c && host_acl_link_add(&h->acl, handle) == 0)
		return c;
	/* A handle already in use, or a full table: the controller and the
	 * host disagree. Tell the link's users it failed. */
	if (c)
		host_conn_remove(&h->conns, handle);
	host_link_event(h, HOST_LINK_CONNECTION_FAILED, failed, HCI_ERR_HARDWARE_FAILURE);
	return NULL;
}

void host_command_done(struct host *h, const struct host_cmd_done *d)
{
	if (d->cookie == HOST_COOKIE_SETUP) {
		host_setup_done(h, d);
		return;
	}
	if (d->cookie & HOST_COOKIE_GAP) {
		host_gap_cmd_done(h, d);
		return;
	}
	if (d->cookie & HOST_COOKIE_BREDR) {
		host_bredr_cmd_done(h, d);
		return;
	}
	struct host_out *o = host_out_push(h, HOST_OUT_DONE);
	if (o)
		o->done = *d;
}
