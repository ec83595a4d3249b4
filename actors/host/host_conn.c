/* The connection table: see host_conn.h. */
#include "host_conn.h"

#include <errno.h>
#include <string.h>

#include "hive_bytes.h"

#define SNAPSHOT_VERSION 1

const char *host_link_kind_name(enum host_link_kind k)
{
	switch (k) {
	case HOST_LINK_CONNECTED: return "connected";
	case HOST_LINK_CONNECTION_FAILED: return "connection_failed";
	case HOST_LINK_DISCONNECTED: return "disconnected";
	case HOST_LINK_ENCRYPTION_CHANGED: return "encryption_changed";
	case HOST_LINK_KEY_REFRESH: return "encryption_key_refresh";
	case HOST_LINK_PARAMETERS_UPDATED: return "parameters_updated";
	case HOST_LINK_PHY_UPDATED: return "phy_updated";
	case HOST_LINK_DATA_LENGTH_CHANGED: return "data_length_changed";
	case HOST_LINK_LTK_REQUESTED: return "ltk_requested";
	}
	return "?";
}

struct host_conn *host_conn_find(struct host_conn_table *t, uint16_t handle)
{
	for (unsigned i = 0; i < HOST_LINKS_MAX; i++)
		if (t->c[i].in_use && t->c[i].handle == handle)
			return &t->c[i];
	return NULL;
}

struct host_conn *host_conn_add(struct host_conn_table *t, uint16_t handle)
{
	if (host_conn_find(t, handle))
		return NULL;
	for (unsigned i = 0; i < HOST_LINKS_MAX; i++) {
		struct host_conn *c = &t->c[i];
		if (c->in_use)
			continue;
		memset(c, 0, sizeof *c);
		c->in_use = true;
		c->handle = handle;
		return c;
	}
	return NULL;
}

void host_conn_remove(struct host_conn_table *t, uint16_t handle)
{
	struct host_conn *c = host_conn_find(t, handle);
	if (c)
		memset(c, 0, sizeof *c);
}

unsigned host_conn_count(const struct host_conn_table *t)
{
	unsigned n = 0;
	for (unsigned i = 0; i < HOST_LINKS_MAX; i++)
		n += t->c[i].in_use;
	return n;
}

static void wr_addr(struct wr *w, const struct host_addr *a)
{
	wr_u8(w, a->type);
	wr_bytes(w, a->a, 6);
}

static void rd_addr(struct rd *r, struct host_addr *a)
{
	a->type = rd_u8(r);
	rd_copy(r, a->a, 6);
}

int host_conn_snapshot_write(const struct host_conn_table *t,
			     const struct host_snapshot_ctrl *ctrl, uint8_t *out, size_t cap)
{
	struct wr w = wr_init(out, cap);
	wr_u8(&w, SNAPSHOT_VERSION);
	wr_bytes(&w, ctrl->bdaddr, 6);
	wr_le16(&w, ctrl->acl_len);
	wr_le16(&w, ctrl->acl_num);
	wr_u8(&w, (uint8_t)host_conn_count(t));
	for (unsigned i = 0; i < HOST_LINKS_MAX; i++) {
		const struct host_conn *c = &t->c[i];
		if (!c->in_use)
			continue;
		wr_le16(&w, c->handle);
		wr_u8(&w, c->role);
		wr_addr(&w, &c->own);
		wr_addr(&w, &c->peer);
		wr_le16(&w, c->interval);
		wr_le16(&w, c->latency);
		wr_le16(&w, c->timeout);
		wr_u8(&w, c->tx_phy);
		wr_u8(&w, c->rx_phy);
		wr_le16(&w, c->max_tx_octets);
		wr_le16(&w, c->max_tx_time);
		wr_le16(&w, c->max_rx_octets);
		wr_le16(&w, c->max_rx_time);
		wr_u8(&w, c->encrypted);
		wr_u8(&w, c->key_size);
		wr_le16(&w, c->att_mtu);
	}
	return wr_ok(&w) ? (int)w.len : -EMSGSIZE;
}

int host_conn_snapshot_read(struct host_conn_table *t, struct host_snapshot_ctrl *ctrl,
			    const uint8_t *p, size_t len)
{
	struct rd r = rd_init(p, len);
	memset(t, 0, sizeof *t);
	memset(ctrl, 0, sizeof *ctrl);
	uint8_t version = rd_u8(&r);
	rd_copy(&r, ctrl->bdaddr, 6);
	ctrl->acl_len = rd_le16(&r);
	ctrl->acl_num = rd_le16(&r);
	uint8_t n = rd_u8(&r);
	if (version != SNAPSHOT_VERSION || n > HOST_LINKS_MAX)
		r.bad = true;
	for (unsigned i = 0; i < n && rd_ok(&r); i++) {
		struct host_conn *c = &t->c[i];
		c->in_use = true;
		c->handle = rd_le16(&r);
		c->role = rd_u8(&r);
		rd_addr(&r, &c->own);
		rd_addr(&r, &c->peer);
		c->interval = rd_le16(&r);
		c->latency = rd_le16(&r);
		c->timeout = rd_le16(&r);
		c->tx_phy = rd_u8(&r);
		c->rx_phy = rd_u8(&r);
		c->max_tx_octets = rd_le16(&r);
		c->max_tx_time = rd_le16(&r);
		c->max_rx_octets = rd_le16(&r);
		c->max_rx_time = rd_le16(&r);
		c->encrypted = rd_u8(&r) != 0;
		c->key_size = rd_u8(&r);
		c->att_mtu = rd_le16(&r);
	}
	if (!rd_end(&r)) {
		memset(t, 0, sizeof *t);
		memset(ctrl, 0, sizeof *ctrl);
		return -EBADMSG;
	}
	return 0;
}
