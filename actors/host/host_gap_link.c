/* GAP requests on one link: disconnect, connection update, PHY, data
 * length, RSSI, the filter accept list, encryption and the LTK reply (see
 * host_gap.h). */
#include <errno.h>
#include <string.h>

#include "host.h"
#include "host_gap_int.h"

static int on_link(struct host *h, uint16_t handle, const char **why)
{
	return host_conn_find(&h->conns, handle)
		       ? 0
		       : gap_refuse(why, "no such connection handle (see `hive-ctl connections`)",
				-ENOTCONN);
}

/* An operation of one command on one link. */
static int link_op(struct host *h, enum gap_kind kind, uint64_t asker, uint16_t handle,
		   uint16_t opcode, const uint8_t *p, int plen, const char **why)
{
	if (kind != GAP_LTK_REPLY && on_link(h, handle, why) < 0)
		return -ENOTCONN;
	if (kind != GAP_READ_RSSI && kind != GAP_SET_DATA_LENGTH && gap_find_kind(h, kind, handle))
		return gap_refuse(why, "the same request is in progress on this link", -EBUSY);
	struct gap_op *op = gap_op_new(h, kind, asker);
	if (!op)
		return gap_refuse(why, "too many GAP requests in progress", -EBUSY);
	op->handle = handle;
	host_gap_add(op, opcode, p, plen);
	return gap_op_start(h, op, why);
}

int host_gap_disconnect(struct host *h, uint64_t asker, uint16_t handle, uint8_t reason,
			const char **why)
{
	uint8_t p[3];
	return link_op(h, GAP_DISCONNECT, asker, handle, HCI_OP_DISCONNECT, p,
		       gap_build_disconnect(p, sizeof p, handle,
					    reason ? reason : HCI_ERR_REMOTE_USER_TERMINATED),
		       why);
}

int host_gap_update(struct host *h, uint64_t asker, const struct gap_conn_update *u,
		    const char **why)
{
	struct host_conn *c = host_conn_find(&h->conns, u->handle);
	if (c && c->role == 1)
		return gap_refuse(why, "this side is peripheral: a peripheral asks the central "
				   "through l2cap (Connection Parameter Update Request), "
				   "which the host does not send",
			      -EOPNOTSUPP);
	if (u->interval_min < 6 || u->interval_max > 3200 || u->interval_min > u->interval_max ||
	    u->latency > 499 || u->timeout < 10 || u->timeout > 3200)
		return gap_refuse(why, "connection parameters out of range (interval 6..3200, "
				   "latency 0..499, supervision timeout 10..3200)",
			      -EINVAL);
	uint8_t p[14];
	return link_op(h, GAP_UPDATE, asker, u->handle, HCI_OP_LE_CONNECTION_UPDATE, p,
		       gap_build_conn_update(p, sizeof p, u), why);
}

int host_gap_set_phy(struct host *h, uint64_t asker, uint16_t handle, uint8_t tx, uint8_t rx,
		     const char **why)
{
	uint8_t p[7];
	return link_op(h, GAP_SET_PHY, asker, handle, HCI_OP_LE_SET_PHY, p,
		       gap_build_set_phy(p, sizeof p, handle, tx, rx), why);
}

int host_gap_set_data_length(struct host *h, uint64_t asker, uint16_t handle, uint16_t octets,
			     uint16_t time, const char **why)
{
	if (octets < 27 || octets > 251)
		return gap_refuse(why, "tx_octets must be 27..251", -EINVAL);
	if (!time)
		time = (uint16_t)((octets + 14) * 8);
	uint8_t p[6];
	return link_op(h, GAP_SET_DATA_LENGTH, asker, handle, HCI_OP_LE_SET_DATA_LENGTH, p,
		       gap_build_set_data_length(p, sizeof p, handle, octets, time), why);
}

int host_gap_read_rssi(struct host *h, uint64_t asker, uint16_t handle, const char **why)
{
	uint8_t p[2];
	return link_op(h, GAP_READ_RSSI, asker, handle, HCI_OP_READ_RSSI, p,
		       gap_build_handle(p, sizeof p, handle), why);
}

int host_gap_filter(struct host *h, uint64_t asker, int fop, const struct host_addr *a,
		    const char **why)
{
	struct gap_op *op = gap_op_new(h, GAP_FILTER, asker);
	if (!op)
		return gap_refuse(why, "too many GAP requests in progress", -EBUSY);
	uint8_t p[7];
	if (fop == 0)
		host_gap_add(op, HCI_OP_LE_CLEAR_FILTER_ACCEPT_LIST, NULL, 0);
	else
		host_gap_add(op, fop == 1 ? HCI_OP_LE_ADD_FILTER_ACCEPT_LIST
				 : HCI_OP_LE_REMOVE_FILTER_ACCEPT_LIST,
		    p, gap_build_filter_entry(p, sizeof p, a->type & 1, a->a));
	return gap_op_start(h, op, why);
}

int host_gap_start_encryption(struct host *h, uint64_t asker, uint16_t handle,
			      const uint8_t ltk[16], uint16_t ediv, const uint8_t rand[8],
			      const char **why)
{
	uint8_t p[28];
	return link_op(h, GAP_ENCRYPT, asker, handle, HCI_OP_LE_ENABLE_ENCRYPTION, p,
		       gap_build_enable_encryption(p, sizeof p, handle, rand, ediv, ltk), why);
}

int host_gap_ltk_reply(struct host *h, uint64_t asker, uint16_t handle, bool found,
		       const uint8_t ltk[16], const char **why)
{
	uint8_t p[18];
	if (found)
		return link_op(h, GAP_LTK_REPLY, asker, handle, HCI_OP_LE_LTK_REPLY, p,
			       gap_build_ltk_reply(p, sizeof p, handle, ltk), why);
	return link_op(h, GAP_LTK_REPLY, asker, handle, HCI_OP_LE_LTK_NEG_REPLY, p,
		       gap_build_handle(p, sizeof p, handle), why);
}

