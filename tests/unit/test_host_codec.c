/* The host's HCI codec and event dispatch, without sockets: byte-exact
 * vectors, every table entry truncated by one byte, and the state machine
 * driven by events (start-up, connections, link events). */
#include <criterion/criterion.h>
#include <errno.h>
#include <string.h>

#include "../../actors/host/hci_codec.h"
#include "../../actors/host/host.h"
#include "../../actors/host/host_events.h"

#define B(...) ((const uint8_t[]){ __VA_ARGS__ }), sizeof((const uint8_t[]){ __VA_ARGS__ })

Test(host_codec, event_header_must_match_bytes)
{
	struct hci_event ev;
	cr_assert_eq(hci_event_parse(B(0x0e, 0x04, 0x01, 0x03, 0x0c, 0x00), &ev), 0);
	cr_assert_eq(ev.code, 0x0e);
	cr_assert_eq(ev.len, 4);
	cr_assert_eq(hci_event_parse(B(0x0e, 0x04, 0x01, 0x03, 0x0c), &ev), -EBADMSG);
	cr_assert_eq(hci_event_parse(B(0x0e, 0x02, 0x01, 0x03, 0x0c), &ev), -EBADMSG);
	cr_assert_eq(hci_event_parse(B(0x0e), &ev), -EBADMSG);
	cr_assert_eq(hci_event_parse(NULL, 0, &ev), -EBADMSG);
}

Test(host_codec, command_complete_and_status)
{
	struct hci_command_complete cc;
	static const uint8_t le_buf[] = { 0x01, 0x02, 0x20, 0x00, 0xfb, 0x00, 0x0f };
	cr_assert_eq(hci_decode_command_complete(le_buf, sizeof le_buf, &cc), 0);
	cr_assert_eq(cc.ncmd, 1);
	cr_assert_eq(cc.opcode, HCI_OP_LE_READ_BUFFER_SIZE);
	cr_assert_eq(cc.ret_len, 4);
	struct hci_buffer_size b;
	cr_assert_eq(hci_decode_le_buffer_size(cc.ret, cc.ret_len, &b), 0);
	cr_assert_eq(b.acl_len, 251);
	cr_assert_eq(b.acl_num, 15);
	cr_assert_eq(hci_decode_le_buffer_size(cc.ret, cc.ret_len - 1, &b), -EBADMSG);
	/* A non-NOP Command Complete must carry a status. */
	cr_assert_eq(hci_decode_command_complete(B(0x01, 0x03, 0x0c), &cc), -EBADMSG);
	cr_assert_eq(hci_decode_command_complete(B(0x01, 0x00, 0x00), &cc), 0);
	struct hci_command_status cs;
	cr_assert_eq(hci_decode_command_status(B(0x00, 0x02, 0x0d, 0x20), &cs), 0);
	cr_assert_eq(cs.ncmd, 2);
	cr_assert_eq(cs.opcode, HCI_OP_LE_CREATE_CONNECTION);
	cr_assert_eq(hci_decode_command_status(B(0x00, 0x02, 0x0d), &cs), -EBADMSG);
}

Test(host_codec, start_up_return_parameters)
{
	struct hci_local_version v;
	cr_assert_eq(hci_decode_local_version(B(0x00, 0x0c, 0x34, 0x12, 0x0c, 0x5f, 0x00, 0x78,
						0x56), &v), 0);
	cr_assert_eq(v.hci_version, 12);
	cr_assert_eq(v.hci_revision, 0x1234);
	cr_assert_eq(v.manufacturer, 0x005f);
	cr_assert_eq(v.lmp_subversion, 0x5678);
	cr_assert_eq(hci_decode_local_version(B(0x00, 0x0c, 0x34, 0x12, 0x0c, 0x5f, 0x00, 0x78),
					      &v), -EBADMSG);
	struct hci_buffer_size b;
	cr_assert_eq(hci_decode_buffer_size(B(0x00, 0xfd, 0x03, 0x40, 0x08, 0x00, 0x00, 0x00), &b),
		     0);
	cr_assert_eq(b.acl_len, 1021);
	cr_assert_eq(b.acl_num, 8);
	cr_assert_eq(hci_decode_buffer_size(B(0x00, 0xfd, 0x03, 0x40, 0x08, 0x00, 0x00), &b),
		     -EBADMSG);
	uint8_t addr[6];
	cr_assert_eq(hci_decode_bytes_ret(B(0x00, 1, 2, 3, 4, 5, 6), addr, 6), 0);
	cr_assert_eq(addr[5], 6);
	cr_assert_eq(hci_decode_bytes_ret(B(0x00, 1, 2, 3, 4, 5), addr, 6), -EBADMSG);
}

Test(host_codec, le_connection_complete_vectors)
{
	struct hci_le_connection_complete e;
	const uint8_t legacy[] = { 0x00, 0x40, 0x00, 0x01, 0x01, 0x11, 0x22, 0x33, 0x44, 0x55,
				   0x66, 0x28, 0x00, 0x00, 0x00, 0xc8, 0x00, 0x00 };
	cr_assert_eq(hci_decode_le_connection_complete(legacy, sizeof legacy,
						       HCI_LE_CONNECTION_COMPLETE, &e), 0);
	cr_assert_eq(e.handle, 0x0040);
	cr_assert_eq(e.role, 1);
	cr_assert_eq(e.peer_type, 1);
	cr_assert_eq(e.peer[5], 0x66);
	cr_assert_eq(e.interval, 0x28);
	cr_assert_eq(e.timeout, 200);
	for (size_t n = 0; n < sizeof legacy; n++)
		cr_assert_eq(hci_decode_le_connection_complete(legacy, n,
							       HCI_LE_CONNECTION_COMPLETE, &e),
			     -EBADMSG, "accepted %zu bytes", n);
	uint8_t enh[33] = { 0x00, 0x41, 0x00, 0x00, 0x00, 1, 2, 3, 4, 5, 6 };
	enh[11] = 0xaa; /* local RPA */
	enh[23] = 0x18; /* interval */
	cr_assert_eq(hci_decode_le_connection_complete(enh, 30, HCI_LE_ENHANCED_CONNECTION_COMPLETE,
						       &e), 0);
	cr_assert_eq(e.local_rpa[0], 0xaa);
	cr_assert_eq(e.interval, 0x18);
	cr_assert_eq(hci_decode_le_connection_complete(enh, 29, HCI_LE_ENHANCED_CONNECTION_COMPLETE,
						       &e), -EBADMSG);
	cr_assert_eq(hci_decode_le_connection_complete(
			     enh, 33, HCI_LE_ENHANCED_CONNECTION_COMPLETE_V2, &e), 0);
	cr_assert_eq(hci_decode_le_connection_complete(
			     enh, 32, HCI_LE_ENHANCED_CONNECTION_COMPLETE_V2, &e), -EBADMSG);
}

Test(host_codec, number_of_completed_packets)
{
	struct hci_num_completed e;
	cr_assert_eq(hci_decode_num_completed(B(0x02, 0x40, 0x00, 0x03, 0x00, 0x41, 0x00, 0x01,
						0x00), &e), 0);
	cr_assert_eq(e.count, 2);
	cr_assert_eq(e.entry[0].handle, 0x40);
	cr_assert_eq(e.entry[0].packets, 3);
	cr_assert_eq(e.entry[1].handle, 0x41);
	/* The count must match the pairs exactly. */
	cr_assert_eq(hci_decode_num_completed(B(0x02, 0x40, 0x00, 0x03, 0x00, 0x41, 0x00, 0x01),
					      &e), -EBADMSG);
	cr_assert_eq(hci_decode_num_completed(B(0x01, 0x40, 0x00, 0x03, 0x00, 0x41), &e),
		     -EBADMSG);
}

Test(host_codec, advertising_report_structure)
{
	uint8_t n;
	cr_assert_eq(hci_decode_le_advertising_report(
			     B(0x01, 0x00, 0x00, 1, 2, 3, 4, 5, 6, 0x02, 0xaa, 0xbb, 0xc4), &n), 0);
	cr_assert_eq(n, 1);
	cr_assert_eq(hci_decode_le_advertising_report(
			     B(0x01, 0x00, 0x00, 1, 2, 3, 4, 5, 6, 0x02, 0xaa, 0xbb), &n), -EBADMSG);
	cr_assert_eq(hci_decode_le_advertising_report(B(0x00), &n), -EBADMSG);
}

Test(host_codec, commands_and_acl_headers)
{
	uint8_t out[260];
	cr_assert_eq(hci_build_command(out, sizeof out, HCI_OP_RESET, NULL, 0), 3);
	cr_assert_eq(memcmp(out, (uint8_t[]){ 0x03, 0x0c, 0x00 }, 3), 0);
	uint8_t mask[8] = { 0x1f };
	cr_assert_eq(hci_build_command(out, sizeof out, HCI_OP_LE_SET_EVENT_MASK, mask, 8), 11);
	cr_assert_eq(memcmp(out, (uint8_t[]){ 0x01, 0x20, 0x08, 0x1f }, 4), 0);
	cr_assert_eq(hci_build_command(out, 10, HCI_OP_LE_SET_EVENT_MASK, mask, 8), -EMSGSIZE);

	struct hci_acl_header h;
	const uint8_t *data;
	static const uint8_t acl[] = { 0x40, 0x20, 0x02, 0x00, 0xaa, 0xbb };
	cr_assert_eq(hci_acl_parse(acl, sizeof acl, &h, &data), 0);
	cr_assert_eq(h.handle, 0x40);
	cr_assert_eq(h.pb, HCI_ACL_PB_START);
	cr_assert_eq(h.len, 2);
	cr_assert_eq(data[1], 0xbb);
	cr_assert_eq(hci_acl_parse(B(0x40, 0x20, 0x02, 0x00, 0xaa), &h, &data), -EBADMSG);
	cr_assert_eq(hci_acl_parse(B(0x40, 0x20, 0x02, 0x00, 0xaa, 0xbb, 0xcc), &h, &data),
		     -EBADMSG);
	struct wr w = wr_init(out, sizeof out);
	hci_acl_header_write(&w, 0x0041, HCI_ACL_PB_CONT, 27);
	cr_assert_eq(memcmp(out, (uint8_t[]){ 0x41, 0x10, 0x1b, 0x00 }, 4), 0);
}

/* ---- the dispatch tables ----------------------------------------------------------- */

static void check_sorted(const struct host_event_handler *t, size_t n)
{
	for (size_t i = 1; i < n; i++)
		cr_assert_lt(t[i - 1].code, t[i].code, "%s is out of order", t[i].name);
	/* Only LE Scan Timeout has no parameters at all. */
	for (size_t i = 0; i < n; i++)
		cr_assert(t[i].name && t[i].fn &&
			  (t[i].min_len > 0 || (t == host_le_event_table(&(size_t){ 0 }) &&
						t[i].code == HCI_LE_SCAN_TIMEOUT)));
}

Test(host_codec, tables_are_sorted)
{
	size_t n, m;
	const struct host_event_handler *t = host_event_table(&n);
	const struct host_event_handler *le = host_le_event_table(&m);
	check_sorted(t, n);
	check_sorted(le, m);
	cr_assert_geq(n, 10);
	cr_assert_geq(m, 9);
}

static int dispatch_params(struct host *h, uint8_t code, int sub, const uint8_t *params,
			   size_t len)
{
	uint8_t pkt[260];
	size_t off = 0;
	pkt[off++] = code;
	pkt[off++] = (uint8_t)(len + (sub >= 0));
	if (sub >= 0)
		pkt[off++] = (uint8_t)sub;
	memcpy(pkt + off, params, len);
	return host_dispatch_event(h, pkt, off + len, 0);
}

Test(host_codec, every_table_entry_truncated_by_one_byte_fails)
{
	struct host h;
	host_init(&h, 0);
	uint8_t zeros[255] = { 0 }; /* the longest event's parameters */
	size_t n;
	const struct host_event_handler *t = host_event_table(&n);
	for (size_t i = 0; i < n; i++) {
		if (t[i].code == HCI_EV_LE_META)
			continue; /* its entries are the LE table's */
		uint64_t before = h.st.malformed_events;
		cr_assert_eq(dispatch_params(&h, t[i].code, -1, zeros, t[i].min_len - 1u),
			     -EBADMSG, "%s accepted %u bytes", t[i].name, t[i].min_len - 1u);
		cr_assert_eq(h.st.malformed_events, before + 1);
		int rc = dispatch_params(&h, t[i].code, -1, zeros, t[i].min_len);
		cr_assert_neq(rc, -EBADMSG, "%s refused %u bytes", t[i].name, t[i].min_len);
	}
	const struct host_event_handler *le = host_le_event_table(&n);
	for (size_t i = 0; i < n; i++) {
		if (!le[i].min_len)
			continue; /* nothing is shorter than no parameters */
		cr_assert_eq(dispatch_params(&h, HCI_EV_LE_META, le[i].code, zeros,
					     le[i].min_len - 1u),
			     -EBADMSG, "%s accepted %u bytes", le[i].name, le[i].min_len - 1u);
	}
	cr_assert_eq(dispatch_params(&h, HCI_EV_LE_META, -1, zeros, 0), -EBADMSG);
	host_fini(&h);
}

Test(host_codec, unknown_events_are_counted_not_fatal)
{
	struct host h;
	host_init(&h, 0);
	cr_assert_eq(host_dispatch_event(&h, B(0xfe, 0x01, 0x00), 0), -ENOSYS);
	cr_assert_eq(host_dispatch_event(&h, B(0x3e, 0x02, 0x7f, 0x00), 0), -ENOSYS);
	cr_assert_eq(h.st.unknown_events, 2);
	cr_assert_eq(strcmp(h.last_event, "unknown"), 0);
	host_fini(&h);
}

/* ---- the state machine ------------------------------------------------------------ */

/* Answers the pending start-up command the host sent with ret. */
static void answer(struct host *h, uint16_t opcode, const uint8_t *ret, size_t len)
{
	uint8_t pkt[300] = { HCI_EV_COMMAND_COMPLETE, (uint8_t)(3 + len), 0x01,
			     (uint8_t)opcode, (uint8_t)(opcode >> 8) };
	memcpy(pkt + 5, ret, len);
	cr_assert_eq(host_dispatch_event(h, pkt, 5 + len, 0), 0);
}

static uint16_t next_command(struct host *h)
{
	uint8_t out[300];
	int type = 0;
	int n = host_next_hci(h, 0, out, sizeof out, &type);
	if (n <= 0)
		return 0xffff;
	cr_assert_eq(type, HOST_HCI_COMMAND);
	return (uint16_t)(out[0] | out[1] << 8);
}

static void start_up(struct host *h, uint16_t le_acl_len, uint8_t le_acl_num)
{
	static const uint8_t ok[1] = { 0 };
	uint8_t big[65] = { 0 };
	host_init(h, 0);
	host_start(h, true);
	cr_assert_eq(next_command(h), HCI_OP_RESET);
	cr_assert_eq(next_command(h), 0xffff, "a second command without a credit");
	answer(h, HCI_OP_RESET, ok, 1);
	cr_assert_eq(next_command(h), HCI_OP_READ_LOCAL_VERSION);
	answer(h, HCI_OP_READ_LOCAL_VERSION, (uint8_t[]){ 0, 12, 0, 0, 12, 0x5f, 0, 0, 0 }, 9);
	cr_assert_eq(next_command(h), HCI_OP_READ_LOCAL_COMMANDS);
	answer(h, HCI_OP_READ_LOCAL_COMMANDS, big, 65);
	cr_assert_eq(next_command(h), HCI_OP_READ_LOCAL_FEATURES);
	answer(h, HCI_OP_READ_LOCAL_FEATURES, big, 9);
	cr_assert_eq(next_command(h), HCI_OP_LE_READ_LOCAL_FEATURES);
	answer(h, HCI_OP_LE_READ_LOCAL_FEATURES, (uint8_t[]){ 0, 0x20, 0x01, 0, 0, 0, 0, 0, 0 }, 9);
	cr_assert_eq(next_command(h), HCI_OP_READ_BD_ADDR);
	answer(h, HCI_OP_READ_BD_ADDR, (uint8_t[]){ 0, 1, 2, 3, 4, 5, 6 }, 7);
	cr_assert_eq(next_command(h), HCI_OP_LE_READ_BUFFER_SIZE);
	answer(h, HCI_OP_LE_READ_BUFFER_SIZE,
	       (uint8_t[]){ 0, (uint8_t)le_acl_len, (uint8_t)(le_acl_len >> 8), le_acl_num }, 4);
	if (!le_acl_len) {
		cr_assert_eq(next_command(h), HCI_OP_READ_BUFFER_SIZE);
		answer(h, HCI_OP_READ_BUFFER_SIZE, (uint8_t[]){ 0, 0xfd, 0x03, 0, 4, 0, 0, 0 }, 8);
	}
	cr_assert_eq(next_command(h), HCI_OP_SET_EVENT_MASK);
	answer(h, HCI_OP_SET_EVENT_MASK, ok, 1);
	cr_assert_eq(next_command(h), HCI_OP_LE_SET_EVENT_MASK);
	cr_assert_not(h->ready);
	answer(h, HCI_OP_LE_SET_EVENT_MASK, ok, 1);
	cr_assert(h->ready);
	cr_assert_eq(h->out.item[h->out.count - 1].kind, HOST_OUT_READY);
	h->out.count = 0;
}

Test(host_codec, start_up_sequence)
{
	struct host h;
	start_up(&h, 251, 3);
	cr_assert_eq(h.acl.mtu, 251);
	cr_assert_eq(h.acl.total, 3);
	cr_assert_eq(h.ctrl.bdaddr[0], 1);
	host_fini(&h);
}

Test(host_codec, start_up_falls_back_to_read_buffer_size)
{
	struct host h;
	start_up(&h, 0, 0);
	cr_assert_eq(h.acl.mtu, 1021);
	cr_assert_eq(h.acl.total, 4);
	host_fini(&h);
}

Test(host_codec, start_up_fails_on_reset_error)
{
	struct host h;
	host_init(&h, 0);
	host_start(&h, true);
	cr_assert_eq(next_command(&h), HCI_OP_RESET);
	answer(&h, HCI_OP_RESET, (uint8_t[]){ 0x03 }, 1);
	cr_assert(h.failed);
	cr_assert_eq(h.out.item[0].kind, HOST_OUT_FAILED);
	host_fini(&h);
}

static const uint8_t conn_complete[] = { 0x3e, 0x13, 0x01, 0x00, 0x40, 0x00, 0x00, 0x01,
					 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x28, 0x00,
					 0x00, 0x00, 0xc8, 0x00, 0x00 };

Test(host_codec, connection_life_cycle_link_events)
{
	struct host h;
	start_up(&h, 27, 2);
	cr_assert_eq(host_dispatch_event(&h, conn_complete, sizeof conn_complete, 0), 0);
	cr_assert_eq(h.out.count, 1);
	const struct host_link_event *ev = &h.out.item[0].link;
	cr_assert_eq(ev->kind, HOST_LINK_CONNECTED);
	cr_assert_eq(ev->handle, 0x40);
	cr_assert_eq(ev->conn.own.a[0], 1, "own address is the controller's BD_ADDR");
	cr_assert_eq(ev->conn.peer.type, 1);
	cr_assert(h.conns_changed);
	cr_assert(host_acl_link_known(&h.acl, 0x40));
	/* The same handle again: refused and reported as a failure. */
	cr_assert_eq(host_dispatch_event(&h, conn_complete, sizeof conn_complete, 0), -EEXIST);
	cr_assert_eq(h.out.item[1].link.kind, HOST_LINK_CONNECTION_FAILED);
	h.out.count = 0;

	cr_assert_eq(host_dispatch_event(&h, B(0x3e, 0x0a, 0x03, 0x00, 0x40, 0x00, 0x18, 0x00,
					       0x02, 0x00, 0x64, 0x00), 0), 0);
	cr_assert_eq(h.out.item[0].link.kind, HOST_LINK_PARAMETERS_UPDATED);
	cr_assert_eq(h.out.item[0].link.conn.interval, 0x18);
	cr_assert_eq(h.out.item[0].link.conn.latency, 2);
	cr_assert_eq(host_dispatch_event(&h, B(0x3e, 0x0b, 0x07, 0x40, 0x00, 0xfb, 0x00, 0x48,
					       0x08, 0xfb, 0x00, 0x48, 0x08), 0), 0);
	cr_assert_eq(h.out.item[1].link.kind, HOST_LINK_DATA_LENGTH_CHANGED);
	cr_assert_eq(h.out.item[1].link.conn.max_tx_octets, 251);
	cr_assert_eq(host_dispatch_event(&h, B(0x3e, 0x06, 0x0c, 0x00, 0x40, 0x00, 0x02, 0x02), 0),
		     0);
	cr_assert_eq(h.out.item[2].link.kind, HOST_LINK_PHY_UPDATED);
	cr_assert_eq(h.out.item[2].link.conn.tx_phy, 2);
	cr_assert_eq(host_dispatch_event(&h, B(0x59, 0x05, 0x00, 0x40, 0x00, 0x01, 0x10), 0), 0);
	cr_assert_eq(h.out.item[3].link.kind, HOST_LINK_ENCRYPTION_CHANGED);
	cr_assert(h.out.item[3].link.conn.encrypted);
	cr_assert_eq(h.out.item[3].link.conn.key_size, 16);
	cr_assert_eq(host_dispatch_event(&h, B(0x30, 0x03, 0x00, 0x40, 0x00), 0), 0);
	cr_assert_eq(h.out.item[4].link.kind, HOST_LINK_KEY_REFRESH);
	/* Events for a handle nobody knows are counted. */
	cr_assert_eq(host_dispatch_event(&h, B(0x30, 0x03, 0x00, 0x99, 0x00), 0), -ENOENT);
	cr_assert_eq(h.st.unknown_handle_events, 1);

	/* Snapshot round trip. */
	uint8_t snap[HOST_SNAPSHOT_MAX];
	int n = host_snapshot(&h, snap, sizeof snap);
	cr_assert_gt(n, 0);
	struct host h2;
	host_init(&h2, 0);
	cr_assert_eq(host_resume(&h2, snap, (size_t)n), 0);
	cr_assert(h2.ready);
	struct host_conn *c = host_conn_find(&h2.conns, 0x40);
	cr_assert_not_null(c);
	cr_assert_eq(c->max_tx_octets, 251);
	cr_assert(c->encrypted);
	cr_assert_eq(h2.acl.total, 2);
	cr_assert(host_acl_link_known(&h2.acl, 0x40));
	cr_assert_eq(host_resume(&h2, snap, (size_t)n - 1), -EBADMSG);
	host_fini(&h2);

	h.out.count = 0;
	cr_assert_eq(host_dispatch_event(&h, B(0x05, 0x04, 0x00, 0x40, 0x00, 0x13), 0), 0);
	cr_assert_eq(h.out.item[0].link.kind, HOST_LINK_DISCONNECTED);
	cr_assert_eq(h.out.item[0].link.status, 0x13);
	cr_assert_null(host_conn_find(&h.conns, 0x40));
	cr_assert_not(host_acl_link_known(&h.acl, 0x40));
	host_fini(&h);
}

Test(host_codec, connection_failure)
{
	struct host h;
	start_up(&h, 27, 2);
	uint8_t ev[sizeof conn_complete];
	memcpy(ev, conn_complete, sizeof ev);
	ev[3] = 0x3e;
	cr_assert_eq(host_dispatch_event(&h, ev, sizeof ev, 0), 0);
	cr_assert_eq(h.out.item[0].link.kind, HOST_LINK_CONNECTION_FAILED);
	cr_assert_eq(h.out.item[0].link.status, 0x3e);
	cr_assert_eq(h.out.item[0].link.conn.peer.a[0], 0x11);
	cr_assert_eq(host_conn_count(&h.conns), 0);
	host_fini(&h);
}
