/* The connection table: one entry per live link, with what the controller
 * reported about it, and the link events its changes produce. Pure. */
#ifndef HOST_CONN_H
#define HOST_CONN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "host_acl.h"

/* Address types as in hive.proto Address.Type (HCI peer address types). */
struct host_addr {
	uint8_t type;
	uint8_t a[6];
};

struct host_conn {
	bool in_use;
	uint16_t handle;
	uint8_t role;  /* 0 central, 1 peripheral */
	struct host_addr own, peer;
	uint16_t interval, latency, timeout;
	uint8_t tx_phy, rx_phy;
	uint16_t max_tx_octets, max_tx_time, max_rx_octets, max_rx_time;
	bool encrypted;
	uint8_t key_size;
	/* The size smp gave with the key it handed the controller; used when
	 * the Encryption Change event carries none (v1). 0: unknown. */
	uint8_t next_key_size;
	uint16_t att_mtu;
	bool bredr; /* a BR/EDR ACL link (host_bredr.c); else LE */
};

struct host_conn_table {
	struct host_conn c[HOST_LINKS_MAX];
};

enum host_link_kind {
	HOST_LINK_CONNECTED,
	HOST_LINK_CONNECTION_FAILED,
	HOST_LINK_DISCONNECTED,
	HOST_LINK_ENCRYPTION_CHANGED,
	HOST_LINK_KEY_REFRESH,
	HOST_LINK_PARAMETERS_UPDATED,
	HOST_LINK_PHY_UPDATED,
	HOST_LINK_DATA_LENGTH_CHANGED,
	HOST_LINK_LTK_REQUESTED, /* for smp only */
};

/* One link event: its kind, the HCI status or reason, and the state of the
 * connection after it (for a failure: only conn.peer is meaningful). */
struct host_link_event {
	enum host_link_kind kind;
	uint16_t handle;
	uint8_t status; /* HCI status; the reason for a disconnection */
	uint8_t rand[8]; /* LTK requested: Random_Number and EDIV as on the wire */
	uint16_t ediv;
	struct host_conn conn;
};

const char *host_link_kind_name(enum host_link_kind k);

struct host_conn *host_conn_find(struct host_conn_table *t, uint16_t handle);
/* A new entry for handle (zeroed but for handle and in_use), or NULL when
 * the table is full or the handle is taken. */
struct host_conn *host_conn_add(struct host_conn_table *t, uint16_t handle);
void host_conn_remove(struct host_conn_table *t, uint16_t handle);
unsigned host_conn_count(const struct host_conn_table *t);

/* Snapshot of the table (and the controller facts the host needs to run
 * without a start-up) in a versioned byte format. Returns the length or
 * -EMSGSIZE. */
struct host_snapshot_ctrl {
	uint8_t bdaddr[6];
	uint16_t acl_len;
	uint16_t acl_num;
};
int host_conn_snapshot_write(const struct host_conn_table *t,
			     const struct host_snapshot_ctrl *ctrl, uint8_t *out, size_t cap);
/* Returns 0 or -EBADMSG (the table is then empty). */
int host_conn_snapshot_read(struct host_conn_table *t, struct host_snapshot_ctrl *ctrl,
			    const uint8_t *p, size_t len);
#define HOST_SNAPSHOT_MAX (16 + HOST_LINKS_MAX * 64)

#endif
