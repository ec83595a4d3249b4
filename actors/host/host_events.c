/* HCI events: one table from event code to handler, one from LE subevent
 * code to handler (the seed Host's on_<event> methods). A handler gets the
 * parameters, decodes them through hci_codec and updates the connection
 * table, the ACL credits and the command queue; what it wants sent goes to
 * the outbox. Handlers return 0, -EBADMSG (malformed: dropped and counted)
 * or -ENOENT (an unknown connection handle: counted). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "host.h"
#include "host_events.h"

static int on_disconnection_complete(struct host *h, uint8_t code, const uint8_t *p,
				     size_t len, uint64_t now_ms)
{
	struct hci_disconnection_complete e;
	if (hci_decode_disconnection_complete(p, len, &e) < 0)
		return -EBADMSG;
	host_gap_on_disconnection(h, e.handle, e.status);
	if (e.status != HCI_SUCCESS)
		return 0; /* the link stays; the Disconnect requester hears it */
	struct host_conn *c = host_conn_find(&h->conns, e.handle);
	if (!c)
		return -ENOENT;
	host_link_event(h, HOST_LINK_DISCONNECTED, c, e.reason);
	if (c->bredr)
		host_bredr_on_disconnection(h, e.handle);
	host_acl_link_remove(&h->acl, e.handle);
	host_conn_remove(&h->conns, e.handle);
	h->conns_changed = true;
	return 0;
}

static int encryption_change(struct host *h, const struct hci_encryption_change *e)
{
	struct host_conn *c = host_conn_find(&h->conns, e->handle);
	if (!c)
		return -ENOENT;
	if (e->status == HCI_SUCCESS) {
		c->encrypted = e->enabled != 0;
		if (e->key_size)
			c->key_size = e->key_size;
		else if (c->encrypted && c->next_key_size)
			c->key_size = c->next_key_size;
		if (!c->encrypted)
			c->key_size = 0;
		h->conns_changed = true;
	}
	host_link_event(h, HOST_LINK_ENCRYPTION_CHANGED, c, e->status);
	if (c->bredr)
		host_bredr_on_encryption_change(h, e->handle, e->status, c->encrypted);
	return 0;
}

static int on_encryption_change(struct host *h, uint8_t code, const uint8_t *p, size_t len,
				uint64_t now_ms)
{
	struct hci_encryption_change e;
	if (hci_decode_encryption_change(p, len, code == HCI_EV_ENCRYPTION_CHANGE_V2, &e) < 0)
		return -EBADMSG;
	return encryption_change(h, &e);
}

static int on_command_complete(struct host *h, uint8_t code, const uint8_t *p, size_t len,
			       uint64_t now_ms)
{
	struct hci_command_complete e;
	struct host_cmd_done d;
	if (hci_decode_command_complete(p, len, &e) < 0)
		return -EBADMSG;
	if (host_cmdq_complete(&h->cmd, e.opcode, e.ncmd, false, e.ret, e.ret_len, &d) == 1)
		host_command_done(h, &d);
	return 0;
}

static int on_command_status(struct host *h, uint8_t code, const uint8_t *p, size_t len,
			     uint64_t now_ms)
{
	struct hci_command_status e;
	struct host_cmd_done d;
	if (hci_decode_command_status(p, len, &e) < 0)
		return -EBADMSG;
	if (host_cmdq_complete(&h->cmd, e.opcode, e.ncmd, true, &e.status, 1, &d) == 1)
		host_command_done(h, &d);
	return 0;
}

static int on_hardware_error(struct host *h, uint8_t code, const uint8_t *p, size_t len,
			     uint64_t now_ms)
{
	uint8_t hw;
	if (hci_decode_hardware_error(p, len, &hw) < 0)
		return -EBADMSG;
	h->st.hardware_errors++;
	return 0;
}

static int on_number_of_completed_packets(struct host *h, uint8_t code, const uint8_t *p,
					  size_t len, uint64_t now_ms)
{
	struct hci_num_completed e;
	if (hci_decode_num_completed(p, len, &e) < 0)
		return -EBADMSG;
	for (unsigned i = 0; i < e.count; i++)
		host_acl_completed(&h->acl, e.entry[i].handle, e.entry[i].packets);
	return 0;
}

static int on_data_buffer_overflow(struct host *h, uint8_t code, const uint8_t *p,
				   size_t len, uint64_t now_ms)
{
	uint8_t link_type;
	if (hci_decode_data_buffer_overflow(p, len, &link_type) < 0)
		return -EBADMSG;
	h->st.buffer_overflows++;
	return 0;
}

static int on_encryption_key_refresh_complete(struct host *h, uint8_t code, const uint8_t *p,
					      size_t len, uint64_t now_ms)
{
	struct hci_key_refresh e;
	if (hci_decode_key_refresh(p, len, &e) < 0)
		return -EBADMSG;
	struct host_conn *c = host_conn_find(&h->conns, e.handle);
	if (!c)
		return -ENOENT;
	host_link_event(h, HOST_LINK_KEY_REFRESH, c, e.status);
	return 0;
}

static int on_le_meta(struct host *h, uint8_t code, const uint8_t *p, size_t len,
		      uint64_t now_ms);

/* ---- LE subevents ------------------------------------------------------------ */

static int on_le_connection_complete(struct host *h, uint8_t code, const uint8_t *p,
				     size_t len, uint64_t now_ms)
{
	struct hci_le_connection_complete e;
	static const uint8_t zero[6];
	if (hci_decode_le_connection_complete(p, len, code, &e) < 0)
		return -EBADMSG;
	struct host_conn tmp = { 0 };
	tmp.peer.type = e.peer_type;
	memcpy(tmp.peer.a, e.peer, 6);
	if (e.status != HCI_SUCCESS) {
		host_link_event(h, HOST_LINK_CONNECTION_FAILED, &tmp, e.status);
		host_gap_on_connection(h, e.status, e.role, &tmp);
		return 0;
	}
	if (e.handle > HCI_HANDLE_MAX)
		return -EBADMSG;
	struct host_conn *c = host_link_open(h, e.handle, &tmp);
	if (!c)
		return -EEXIST;
	c->role = e.role;
	c->peer = tmp.peer;
	if (memcmp(e.local_rpa, zero, 6)) {
		c->own.type = 1; /* random (resolvable private address) */
		memcpy(c->own.a, e.local_rpa, 6);
	} else {
		c->own.type = 0;
		memcpy(c->own.a, h->ctrl.bdaddr, 6);
	}
	c->interval = e.interval;
	c->latency = e.latency;
	c->timeout = e.timeout;
	c->tx_phy = c->rx_phy = 1;
	c->max_tx_octets = c->max_rx_octets = 27;
	c->max_tx_time = c->max_rx_time = 328;
	c->att_mtu = 23;
	h->conns_changed = true;
	host_link_event(h, HOST_LINK_CONNECTED, c, HCI_SUCCESS);
	host_gap_on_connection(h, HCI_SUCCESS, e.role, c);
	return 0;
}

static void adv_report(void *arg, const struct ad_report_in *r)
{
	host_gap_on_adv_report(arg, r);
}

static int on_le_advertising_report(struct host *h, uint8_t code, const uint8_t *p,
				    size_t len, uint64_t now_ms)
{
	return gap_parse_adv_report(p, len, adv_report, h) < 0 ? -EBADMSG : 0;
}

static int on_le_connection_update_complete(struct host *h, uint8_t code, const uint8_t *p,
					    size_t len, uint64_t now_ms)
{
	struct hci_le_connection_update_complete e;
	if (hci_decode_le_connection_update_complete(p, len, &e) < 0)
		return -EBADMSG;
	struct host_conn *c = host_conn_find(&h->conns, e.handle);
	if (!c)
		return -ENOENT;
	if (e.status == HCI_SUCCESS) {
		c->interval = e.interval;
		c->latency = e.latency;
		c->timeout = e.timeout;
		h->conns_changed = true;
	}
	host_link_event(h, HOST_LINK_PARAMETERS_UPDATED, c, e.status);
	host_gap_on_link_update(h, HOST_LINK_PARAMETERS_UPDATED, e.handle, e.status);
	return 0;
}

static int on_le_read_remote_features_complete(struct host *h, uint8_t code,
					       const uint8_t *p, size_t len, uint64_t now_ms)
{
	struct hci_le_read_remote_features e;
	if (hci_decode_le_read_remote_features(p, len, &e) < 0)
		return -EBADMSG;
	return host_conn_find(&h->conns, e.handle) ? 0 : -ENOENT;
}

static int on_le_long_term_key_request(struct host *h, uint8_t code, const uint8_t *p,
				       size_t len, uint64_t now_ms)
{
	struct hci_le_ltk_request e;
	if (hci_decode_le_ltk_request(p, len, &e) < 0)
		return -EBADMSG;
	/* smp answers with an LtkReply request. */
	struct host_conn *c = host_conn_find(&h->conns, e.handle);
	if (!c)
		return -ENOENT;
	unsigned before = h->out.count;
	host_link_event(h, HOST_LINK_LTK_REQUESTED, c, HCI_SUCCESS);
	if (h->out.count > before) {
		struct host_out *o = &h->out.item[before];
		for (int i = 0; i < 8; i++)
			o->link.rand[i] = (uint8_t)(e.random >> (8 * i));
		o->link.ediv = e.ediv;
	}
	return 0;
}

static int on_le_data_length_change(struct host *h, uint8_t code, const uint8_t *p,
				    size_t len, uint64_t now_ms)
{
	struct hci_le_data_length_change e;
	if (hci_decode_le_data_length_change(p, len, &e) < 0)
		return -EBADMSG;
	struct host_conn *c = host_conn_find(&h->conns, e.handle);
	if (!c)
		return -ENOENT;
	c->max_tx_octets = e.max_tx_octets;
	c->max_tx_time = e.max_tx_time;
	c->max_rx_octets = e.max_rx_octets;
	c->max_rx_time = e.max_rx_time;
	h->conns_changed = true;
	host_link_event(h, HOST_LINK_DATA_LENGTH_CHANGED, c, HCI_SUCCESS);
	return 0;
}

static int on_le_phy_update_complete(struct host *h, uint8_t code, const uint8_t *p,
				     size_t len, uint64_t now_ms)
{
	struct hci_le_phy_update_complete e;
	if (hci_decode_le_phy_update_complete(p, len, &e) < 0)
		return -EBADMSG;
	struct host_conn *c = host_conn_find(&h->conns, e.handle);
	if (!c)
		return -ENOENT;
	if (e.status == HCI_SUCCESS) {
		c->tx_phy = e.tx_phy;
		c->rx_phy = e.rx_phy;
		h->conns_changed = true;
	}
	host_link_event(h, HOST_LINK_PHY_UPDATED, c, e.status);
	host_gap_on_link_update(h, HOST_LINK_PHY_UPDATED, e.handle, e.status);
	return 0;
}

/* ---- tables, sorted by code -------------------------------------------------- */

static const struct host_event_handler events[] = {
	{ HCI_EV_INQUIRY_COMPLETE, 1, "inquiry_complete", host_bredr_on_inquiry_complete },
	{ HCI_EV_INQUIRY_RESULT, 1, "inquiry_result", host_bredr_on_inquiry_result },
	{ HCI_EV_CONNECTION_COMPLETE, 11, "connection_complete",
	  host_bredr_on_connection_complete },
	{ HCI_EV_CONNECTION_REQUEST, 10, "connection_request", host_bredr_on_connection_request },
	{ HCI_EV_DISCONNECTION_COMPLETE, 4, "disconnection_complete", on_disconnection_complete },
	{ HCI_EV_AUTHENTICATION_COMPLETE, 3, "authentication_complete",
	  host_bredr_on_authentication_complete },
	{ HCI_EV_REMOTE_NAME_REQUEST_COMPLETE, 255, "remote_name_request_complete",
	  host_bredr_on_remote_name_request_complete },
	{ HCI_EV_ENCRYPTION_CHANGE, 4, "encryption_change", on_encryption_change },
	{ HCI_EV_COMMAND_COMPLETE, 3, "command_complete", on_command_complete },
	{ HCI_EV_COMMAND_STATUS, 4, "command_status", on_command_status },
	{ HCI_EV_HARDWARE_ERROR, 1, "hardware_error", on_hardware_error },
	{ HCI_EV_FLUSH_OCCURRED, 2, "flush_occurred", host_bredr_on_flush_occurred },
	{ HCI_EV_ROLE_CHANGE, 8, "role_change", host_bredr_on_role_change },
	{ HCI_EV_NUM_COMPLETED_PACKETS, 1, "number_of_completed_packets",
	  on_number_of_completed_packets },
	{ HCI_EV_PIN_CODE_REQUEST, 6, "pin_code_request", host_bredr_on_security_request },
	{ HCI_EV_LINK_KEY_REQUEST, 6, "link_key_request", host_bredr_on_security_request },
	{ HCI_EV_LINK_KEY_NOTIFICATION, 23, "link_key_notification",
	  host_bredr_on_link_key_notification },
	{ HCI_EV_DATA_BUFFER_OVERFLOW, 1, "data_buffer_overflow", on_data_buffer_overflow },
	{ HCI_EV_INQUIRY_RESULT_WITH_RSSI, 1, "inquiry_result_with_rssi",
	  host_bredr_on_inquiry_result },
	{ HCI_EV_EXTENDED_INQUIRY_RESULT, 255, "extended_inquiry_result",
	  host_bredr_on_inquiry_result },
	{ HCI_EV_ENCRYPTION_KEY_REFRESH_COMPLETE, 3, "encryption_key_refresh_complete",
	  on_encryption_key_refresh_complete },
	{ HCI_EV_IO_CAPABILITY_REQUEST, 6, "io_capability_request",
	  host_bredr_on_security_request },
	{ HCI_EV_IO_CAPABILITY_RESPONSE, 9, "io_capability_response",
	  host_bredr_on_io_capability_response },
	{ HCI_EV_USER_CONFIRMATION_REQUEST, 10, "user_confirmation_request",
	  host_bredr_on_user_value },
	{ HCI_EV_USER_PASSKEY_REQUEST, 6, "user_passkey_request", host_bredr_on_security_request },
	{ HCI_EV_SIMPLE_PAIRING_COMPLETE, 7, "simple_pairing_complete",
	  host_bredr_on_simple_pairing_complete },
	{ HCI_EV_ENHANCED_FLUSH_COMPLETE, 2, "enhanced_flush_complete",
	  host_bredr_on_flush_occurred },
	{ HCI_EV_USER_PASSKEY_NOTIFICATION, 10, "user_passkey_notification",
	  host_bredr_on_user_value },
	{ HCI_EV_LE_META, 1, "le_meta", on_le_meta },
	{ HCI_EV_ENCRYPTION_CHANGE_V2, 5, "encryption_change_v2", on_encryption_change },
};

static const struct host_event_handler le_events[] = {
	{ HCI_LE_CONNECTION_COMPLETE, 18, "le_connection_complete", on_le_connection_complete },
	{ HCI_LE_ADVERTISING_REPORT, 11, "le_advertising_report", on_le_advertising_report },
	{ HCI_LE_CONNECTION_UPDATE_COMPLETE, 9, "le_connection_update_complete",
	  on_le_connection_update_complete },
	{ HCI_LE_READ_REMOTE_FEATURES_COMPLETE, 11, "le_read_remote_features_complete",
	  on_le_read_remote_features_complete },
	{ HCI_LE_LONG_TERM_KEY_REQUEST, 12, "le_long_term_key_request",
	  on_le_long_term_key_request },
	{ HCI_LE_DATA_LENGTH_CHANGE, 10, "le_data_length_change", on_le_data_length_change },
	{ HCI_LE_ENHANCED_CONNECTION_COMPLETE, 30, "le_enhanced_connection_complete",
	  on_le_connection_complete },
	{ HCI_LE_PHY_UPDATE_COMPLETE, 5, "le_phy_update_complete", on_le_phy_update_complete },
	{ HCI_LE_EXTENDED_ADVERTISING_REPORT, 1, "le_extended_advertising_report",
	  host_ext_on_adv_report },
	{ HCI_LE_SCAN_TIMEOUT, 0, "le_scan_timeout", host_ext_on_scan_timeout },
	{ HCI_LE_ADVERTISING_SET_TERMINATED, 5, "le_advertising_set_terminated",
	  host_ext_on_adv_set_terminated },
	{ HCI_LE_ENHANCED_CONNECTION_COMPLETE_V2, 33, "le_enhanced_connection_complete_v2",
	  on_le_connection_complete },
};

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

const struct host_event_handler *host_event_table(size_t *n)
{
	*n = COUNT(events);
	return events;
}

const struct host_event_handler *host_le_event_table(size_t *n)
{
	*n = COUNT(le_events);
	return le_events;
}

static int cmp_code(const void *key, const void *elem)
{
	uint8_t k = *(const uint8_t *)key;
	uint8_t c = ((const struct host_event_handler *)elem)->code;
	return (int)k - (int)c;
}

/* The common work of both tables: find, check the minimum length, call. */
static int dispatch(struct host *h, const struct host_event_handler *table, size_t n,
		    uint8_t code, const uint8_t *p, size_t len, uint64_t now_ms)
{
	const struct host_event_handler *e = bsearch(&code, table, n, sizeof *table, cmp_code);
	if (!e) {
		h->st.unknown_events++;
		h->last_event = "unknown";
		return -ENOSYS;
	}
	h->last_event = e->name;
	if (len < e->min_len)
		return -EBADMSG;
	return e->fn(h, code, p, len, now_ms);
}

static int on_le_meta(struct host *h, uint8_t code, const uint8_t *p, size_t len,
		      uint64_t now_ms)
{
	struct rd r = rd_init(p, len);
	uint8_t sub = rd_u8(&r);
	size_t rest;
	const uint8_t *params = rd_rest(&r, &rest);
	if (!rd_ok(&r))
		return -EBADMSG;
	return dispatch(h, le_events, COUNT(le_events), sub, params, rest, now_ms);
}

int host_dispatch_event(struct host *h, const uint8_t *p, size_t len, uint64_t now_ms)
{
	struct hci_event ev;
	h->st.events++;
	h->last_event = "malformed";
	int rc = hci_event_parse(p, len, &ev);
	if (rc == 0)
		rc = dispatch(h, events, COUNT(events), ev.code, ev.params, ev.len, now_ms);
	if (rc == -EBADMSG)
		h->st.malformed_events++;
	else if (rc == -ENOENT)
		h->st.unknown_handle_events++;
	return rc;
}
