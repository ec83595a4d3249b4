/* BR/EDR in the host, without sockets: hci_codec_bredr's decoders and
 * builders (byte-exact vectors; every event of the table truncated by one
 * octet is dropped as malformed), and HCI scripts through the host state
 * machine: each BR/EDR event in, the exact commands out (from
 * host_next_hci) and what goes to smp, the apps and the requesters. */
#include <criterion/criterion.h>
#include <errno.h>
#include <string.h>

#include "../../actors/host/host.h"
#include "../../actors/host/host_events.h"

#define B(...) ((const uint8_t[]){ __VA_ARGS__ }), sizeof((const uint8_t[]){ __VA_ARGS__ })

static const uint8_t PEER[6] = { 0x11, 0x22, 0x33, 0x44, 0x55, 0x66 };

static struct host h;

/* ---- the script's side of the controller ------------------------------------ */

/* The next packet the host sends (type in *type), or 0. */
static int next(uint8_t *out, size_t cap, int *type)
{
	return host_next_hci(&h, h.now_ms, out, cap, type);
}

static void event(const uint8_t *p, size_t len)
{
	host_on_hci(&h, HOST_HCI_EVENT, p, len, h.now_ms);
}

/* Expects the next command to be exactly want (opcode, length, params). */
static void expect_cmd(const uint8_t *want, size_t len)
{
	uint8_t out[300];
	int type = 0;
	int n = next(out, sizeof out, &type);
	cr_assert_eq(type, HOST_HCI_COMMAND, "no command (n=%d type=%d)", n, type);
	cr_assert_eq((size_t)n, len, "command 0x%02x%02x: %d octets, want %zu", out[1], out[0], n,
		     len);
	cr_assert_arr_eq(out, want, len);
}

/* Expects the next command's opcode and returns its length. */
static int expect_opcode(uint16_t opcode, uint8_t *out, size_t cap)
{
	int type = 0;
	int n = next(out, cap, &type);
	cr_assert_eq(type, HOST_HCI_COMMAND);
	cr_assert_geq(n, 3);
	cr_assert_eq(out[0] | out[1] << 8, opcode, "command 0x%02x%02x, want 0x%04x", out[1],
		     out[0], opcode);
	return n;
}

static void complete(uint16_t opcode, uint8_t status)
{
	uint8_t ev[] = { 0x0e, 0x04, 0x01, (uint8_t)opcode, (uint8_t)(opcode >> 8), status };
	event(ev, sizeof ev);
}

static void status(uint16_t opcode, uint8_t st)
{
	uint8_t ev[] = { 0x0f, 0x04, st, 0x01, (uint8_t)opcode, (uint8_t)(opcode >> 8) };
	event(ev, sizeof ev);
}

static void nothing_sent(void)
{
	uint8_t out[300];
	int type;
	cr_assert_eq(next(out, sizeof out, &type), 0, "an unexpected packet 0x%02x%02x", out[1],
		     out[0]);
}

/* The outbox item of kind k at or after *from. */
static struct host_out *out_find(enum host_out_kind k, unsigned *from)
{
	for (unsigned i = *from; i < h.out.count; i++)
		if (h.out.item[i].kind == k) {
			*from = i + 1;
			return &h.out.item[i];
		}
	return NULL;
}

static struct host_bredr_event *bredr_find(enum host_bredr_kind k)
{
	for (unsigned i = 0; i < h.out.count; i++)
		if (h.out.item[i].kind == HOST_OUT_BREDR && h.out.item[i].bredr.kind == k)
			return &h.out.item[i].bredr;
	return NULL;
}

/* A ready host whose controller does BR/EDR with Simple Pairing: LE
 * buffers 27 x 2, BR/EDR 1021 x 4; the start-up's BR/EDR commands
 * checked and completed. */
static void setup(void)
{
	host_init(&h, 2000);
	h.ctrl.features[6] = 0x08;
	memcpy(h.ctrl.bdaddr, (uint8_t[]){ 1, 2, 3, 4, 5, 6 }, 6);
	host_acl_set_buffers(&h.acl, 27, 2);
	host_acl_set_bredr_buffers(&h.acl, 1021, 4);
	h.ready = true;
	host_bredr_setup(&h);
	expect_cmd(B(0x56, 0x0c, 0x01, 0x01)); /* Write Simple Pairing Mode: enabled */
	complete(0x0c56, 0);
	expect_cmd(B(0x45, 0x0c, 0x01, 0x02)); /* Write Inquiry Mode: extended */
	complete(0x0c45, 0);
	uint8_t out[300];
	cr_assert_eq(expect_opcode(0x0c13, out, sizeof out), 3 + 248); /* Write Local Name */
	cr_assert_eq(memcmp(out + 3, "hive", 5), 0);
	complete(0x0c13, 0);
	cr_assert_eq(expect_opcode(0x0c52, out, sizeof out), 3 + 241); /* Write EIR */
	cr_assert_eq(memcmp(out + 3, (uint8_t[]){ 0x00, 0x05, 0x09, 'h', 'i', 'v', 'e' }, 7), 0);
	complete(0x0c52, 0);
	expect_cmd(B(0x1a, 0x0c, 0x01, 0x02)); /* Write Scan Enable: page scan */
	complete(0x0c1a, 0);
	nothing_sent();
	h.out.count = 0;
}

static void teardown(void)
{
	host_fini(&h);
}

TestSuite(host_bredr, .init = setup, .fini = teardown);

/* A BR/EDR link 0x0001 to PEER, accepted as peripheral. */
static struct host_conn *connect_0001(void)
{
	event(B(0x04, 0x0a, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x0c, 0x02, 0x5a, 0x01));
	expect_cmd(B(0x09, 0x04, 0x07, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x01));
	status(0x0409, 0);
	event(B(0x03, 0x0b, 0x00, 0x01, 0x00, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x01, 0x00));
	struct host_conn *c = host_conn_find(&h.conns, 0x0001);
	cr_assert_not_null(c);
	return c;
}

/* ---- the codec ---------------------------------------------------------------- */

Test(host_bredr, builders_are_byte_exact)
{
	uint8_t out[300];
	cr_assert_eq(hci_build_inquiry(out, sizeof out, HCI_GIAC, 4, 0), 5);
	cr_assert_arr_eq(out, ((uint8_t[]){ 0x33, 0x8b, 0x9e, 0x04, 0x00 }), 5);
	cr_assert_eq(hci_build_create_connection(out, sizeof out, PEER, true), 13);
	cr_assert_arr_eq(out, ((uint8_t[]){ 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x18, 0xcc, 0x01,
					    0x00, 0x00, 0x00, 0x01 }),
			 13);
	cr_assert_eq(hci_build_pin_reply(out, sizeof out, PEER, (const uint8_t *)"0000", 4), 23);
	cr_assert_eq(out[6], 4);
	cr_assert_eq(hci_build_pin_reply(out, sizeof out, PEER, (const uint8_t *)"", 0), -EINVAL);
	cr_assert_eq(hci_build_passkey_reply(out, sizeof out, PEER, 123456), 10);
	cr_assert_arr_eq(out + 6, ((uint8_t[]){ 0x40, 0xe2, 0x01, 0x00 }), 4);
	cr_assert_eq(hci_build_inquiry(out, 4, HCI_GIAC, 4, 0), -EMSGSIZE);
	/* A name longer than the EIR holds is shortened (type 0x08). */
	char longname[300];
	memset(longname, 'x', sizeof longname - 1);
	longname[sizeof longname - 1] = '\0';
	cr_assert_eq(hci_build_eir_name(out, sizeof out, longname), 241);
	cr_assert_eq(out[1], 239);
	cr_assert_eq(out[2], 0x08);
}

Test(host_bredr, decoders_read_the_vectors)
{
	struct hci_inquiry_result r;
	cr_assert_eq(hci_decode_inquiry_result(0x02, B(0x02, 1, 2, 3, 4, 5, 6, 1, 0, 0, 0x0c,
							0x02, 0x5a, 0x34, 0x92, 7, 8, 9, 10, 11,
							12, 2, 0, 0, 0x04, 0x01, 0x20, 0x00, 0x00),
					       &r),
		     0);
	cr_assert_eq(r.count, 2);
	cr_assert_eq(r.r[0].clock_offset, 0x1234);
	cr_assert_eq(r.r[1].addr[0], 7);
	cr_assert_eq(r.r[1].psrm, 2);
	cr_assert_not(r.r[0].has_rssi);
	cr_assert_eq(hci_decode_inquiry_result(0x22, B(0x01, 1, 2, 3, 4, 5, 6, 1, 0, 0x0c, 0x02,
							0x5a, 0x34, 0x12, 0xc4),
					       &r),
		     0);
	cr_assert_eq(r.r[0].rssi, -60);
	/* Zero responses report nothing; more than announced, or extended
	 * with two, are malformed. */
	cr_assert_eq(hci_decode_inquiry_result(0x22, B(0x00), &r), 0);
	cr_assert_eq(r.count, 0);
	cr_assert_eq(hci_decode_inquiry_result(0x22, B(0x02, 1, 2, 3, 4, 5, 6, 1, 0, 0x0c, 0x02,
							0x5a, 0x34, 0x12, 0xc4),
					       &r),
		     -EBADMSG);
	uint8_t ext[255] = { 2 };
	cr_assert_eq(hci_decode_inquiry_result(0x2f, ext, sizeof ext, &r), -EBADMSG);
	struct hci_addr_value v;
	cr_assert_eq(hci_decode_addr_value(B(1, 2, 3, 4, 5, 6, 0x3f, 0x42, 0x0f, 0x00), &v), 0);
	cr_assert_eq(v.value, 999999);
	cr_assert_eq(hci_decode_addr_value(B(1, 2, 3, 4, 5, 6, 0x40, 0x42, 0x0f, 0x00), &v),
		     -EBADMSG, "a value over 999999");
	struct hci_role_change rc;
	cr_assert_eq(hci_decode_role_change(B(0, 1, 2, 3, 4, 5, 6, 2), &rc), -EBADMSG);
	struct hci_remote_name n;
	uint8_t name[255] = { 0, 1, 2, 3, 4, 5, 6, 'a', 'b' };
	cr_assert_eq(hci_decode_remote_name(name, sizeof name, &n), 0);
	cr_assert_str_eq(n.name, "ab");
	memset(name + 7, 'z', 248); /* no NUL: all 248 octets */
	cr_assert_eq(hci_decode_remote_name(name, sizeof name, &n), 0);
	cr_assert_eq(strlen(n.name), 248);
}

/* One valid parameter vector per BR/EDR event of the table. */
struct vec {
	uint8_t code;
	uint8_t len;
	uint8_t p[255];
};

static const struct vec vectors[] = {
	{ 0x01, 1, { 0 } },
	{ 0x02, 15, { 1, 1, 2, 3, 4, 5, 6, 1, 0, 0, 1, 2, 3, 4, 5 } },
	{ 0x03, 11, { 0, 1, 0, 1, 2, 3, 4, 5, 6, 1, 0 } },
	{ 0x04, 10, { 1, 2, 3, 4, 5, 6, 0, 0, 0, 1 } },
	{ 0x06, 3, { 0, 1, 0 } },
	{ 0x07, 255, { 0, 1, 2, 3, 4, 5, 6, 'n' } },
	{ 0x11, 2, { 1, 0 } },
	{ 0x12, 8, { 0, 1, 2, 3, 4, 5, 6, 1 } },
	{ 0x16, 6, { 1, 2, 3, 4, 5, 6 } },
	{ 0x17, 6, { 1, 2, 3, 4, 5, 6 } },
	{ 0x18, 23, { 1, 2, 3, 4, 5, 6, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 5 } },
	{ 0x22, 15, { 1, 1, 2, 3, 4, 5, 6, 1, 0, 1, 2, 3, 4, 5, 0xc4 } },
	{ 0x2f, 255, { 1, 1, 2, 3, 4, 5, 6, 1, 0, 1, 2, 3, 4, 5, 0xc4, 3, 9, 'a', 'b' } },
	{ 0x31, 6, { 1, 2, 3, 4, 5, 6 } },
	{ 0x32, 9, { 1, 2, 3, 4, 5, 6, 1, 0, 5 } },
	{ 0x33, 10, { 1, 2, 3, 4, 5, 6, 1, 0, 0, 0 } },
	{ 0x34, 6, { 1, 2, 3, 4, 5, 6 } },
	{ 0x36, 7, { 0, 1, 2, 3, 4, 5, 6 } },
	{ 0x39, 2, { 1, 0 } },
	{ 0x3b, 10, { 1, 2, 3, 4, 5, 6, 1, 0, 0, 0 } },
};

Test(host_bredr, every_event_truncated_by_one_octet_is_malformed)
{
	size_t n;
	const struct host_event_handler *t = host_event_table(&n);
	unsigned bredr_entries = 0;
	for (size_t i = 0; i < n; i++)
		if (!strcmp(hci_bredr_event_name(t[i].code), t[i].name) ||
		    (t[i].code == 0x22 || t[i].code == 0x2f))
			bredr_entries++;
	cr_assert_geq(n, 1);
	for (size_t i = 1; i < n; i++)
		cr_assert_lt(t[i - 1].code, t[i].code, "the table is not sorted at %zu", i);
	cr_assert_eq(bredr_entries, sizeof vectors / sizeof vectors[0],
		     "a BR/EDR table entry has no vector here");
	for (size_t i = 0; i < sizeof vectors / sizeof vectors[0]; i++) {
		const struct vec *v = &vectors[i];
		uint8_t pkt[257] = { v->code, v->len };
		memcpy(pkt + 2, v->p, v->len);
		uint64_t bad = h.st.malformed_events;
		cr_assert_neq(host_dispatch_event(&h, pkt, 2u + v->len, 0), -EBADMSG,
			      "event 0x%02x: the valid vector is refused", v->code);
		cr_assert_eq(h.st.malformed_events, bad);
		pkt[1] = (uint8_t)(v->len - 1);
		cr_assert_eq(host_dispatch_event(&h, pkt, 2u + v->len - 1, 0), -EBADMSG,
			     "event 0x%02x truncated to %u octets was accepted", v->code,
			     v->len - 1);
		cr_assert_eq(h.st.malformed_events, bad + 1);
		h.out.count = 0;
		uint8_t out[300];
		int type;
		while (next(out, sizeof out, &type) > 0)
			complete((uint16_t)(out[0] | out[1] << 8), 0);
	}
}

/* ---- scripts -------------------------------------------------------------------- */

Test(host_bredr, connection_request_accepted_and_acl_on_the_bredr_pool)
{
	struct host_conn *c = connect_0001();
	cr_assert(c->bredr);
	cr_assert_eq(c->role, 1);
	cr_assert_arr_eq(c->peer.a, PEER, 6);
	unsigned from = 0;
	struct host_bredr_event *req = bredr_find(BREDR_CONNECTION_REQUEST);
	cr_assert_not_null(req);
	cr_assert(req->to_apps);
	cr_assert_eq(req->cod, 0x5a020c);
	struct host_out *o = out_find(HOST_OUT_LINK, &from);
	cr_assert_not_null(o);
	cr_assert_eq(o->link.kind, HOST_LINK_CONNECTED);
	cr_assert(o->link.conn.bredr);
	/* A 300-octet frame leaves in one ACL packet (1021-octet BR/EDR
	 * buffers), not in 27-octet LE fragments. */
	uint8_t frame[300] = { 0x28, 0x01, 0x40, 0x00 };
	cr_assert_eq(host_on_l2cap(&h, 0x0001, frame, sizeof frame), 0);
	uint8_t out[1100];
	int type = 0;
	cr_assert_eq(next(out, sizeof out, &type), 4 + 300);
	cr_assert_eq(type, HOST_HCI_ACL);
	cr_assert_eq(h.acl.br_free, 3);
	cr_assert_eq(h.acl.free, 2, "the LE pool was charged for a BR/EDR packet");
	event(B(0x13, 0x05, 0x01, 0x01, 0x00, 0x01, 0x00));
	cr_assert_eq(h.acl.br_free, 4);
	/* Data from the peer reaches l2cap. */
	h.out.count = 0;
	host_on_hci(&h, HOST_HCI_ACL, B(0x01, 0x20, 0x06, 0x00, 0x02, 0x00, 0x01, 0x00, 0xaa, 0xbb),
		    0);
	from = 0;
	o = out_find(HOST_OUT_L2CAP, &from);
	cr_assert_not_null(o);
	cr_assert_eq(o->l2cap.handle, 0x0001);
	cr_assert_eq(o->l2cap.len, 6);
	/* Disconnection with its reason. */
	h.out.count = 0;
	event(B(0x05, 0x04, 0x00, 0x01, 0x00, 0x13));
	from = 0;
	o = out_find(HOST_OUT_LINK, &from);
	cr_assert_not_null(o);
	cr_assert_eq(o->link.kind, HOST_LINK_DISCONNECTED);
	cr_assert_eq(o->link.status, 0x13);
	cr_assert_null(host_conn_find(&h.conns, 0x0001));
}

Test(host_bredr, connection_requests_rejected_when_not_connectable_or_synchronous)
{
	const char *why;
	cr_assert_eq(host_bredr_scan_enable(&h, 30, true, false, false, &why), 0);
	expect_cmd(B(0x1a, 0x0c, 0x01, 0x01));
	complete(0x0c1a, 0);
	event(B(0x04, 0x0a, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x0c, 0x02, 0x5a, 0x01));
	expect_cmd(B(0x0a, 0x04, 0x07, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x0e));
	status(0x040a, 0);
	cr_assert_eq(host_bredr_scan_enable(&h, 31, false, true, false, &why), 0);
	expect_cmd(B(0x1a, 0x0c, 0x01, 0x02));
	complete(0x0c1a, 0);
	/* An SCO link: limited resources. */
	event(B(0x04, 0x0a, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x0c, 0x02, 0x5a, 0x00));
	expect_cmd(B(0x0a, 0x04, 0x07, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x0d));
	status(0x040a, 0);
	/* The policy refuses even when connectable. */
	cr_assert_eq(host_bredr_scan_enable(&h, 32, false, true, true, &why), 0);
	expect_cmd(B(0x1a, 0x0c, 0x01, 0x02));
	complete(0x0c1a, 0);
	event(B(0x04, 0x0a, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x0c, 0x02, 0x5a, 0x01));
	expect_cmd(B(0x0a, 0x04, 0x07, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x0e));
	cr_assert_eq(h.bredr.st.rejected, 3);
	/* The failed Connection Complete is a ConnectionFailed. */
	h.out.count = 0;
	event(B(0x03, 0x0b, 0x0e, 0x00, 0x00, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x01, 0x00));
	unsigned from = 0;
	struct host_out *o = out_find(HOST_OUT_LINK, &from);
	cr_assert_not_null(o);
	cr_assert_eq(o->link.kind, HOST_LINK_CONNECTION_FAILED);
	cr_assert_eq(o->link.status, 0x0e);
}

Test(host_bredr, inquiry_results_with_rssi_and_eir_then_complete)
{
	const char *why;
	cr_assert_eq(host_bredr_inquiry(&h, 40, 0, 0, &why), 0);
	expect_cmd(B(0x01, 0x04, 0x05, 0x33, 0x8b, 0x9e, 0x04, 0x00));
	status(0x0401, 0);
	cr_assert_eq(host_bredr_inquiry(&h, 41, 0, 0, &why), -EBUSY);
	event(B(0x22, 0x0f, 0x01, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x01, 0x00, 0x0c, 0x02, 0x5a,
		0x34, 0x12, 0xc4));
	struct host_bredr_event *r = bredr_find(BREDR_INQUIRY_RESULT);
	cr_assert_not_null(r);
	cr_assert_eq(r->asker, 40);
	cr_assert_not(r->final);
	cr_assert(r->has_rssi);
	cr_assert_eq(r->rssi, -60);
	cr_assert_arr_eq(r->addr, PEER, 6);
	h.out.count = 0;
	uint8_t ext[257] = { 0x2f, 0xff, 0x01, 7, 7, 7, 7, 7, 7, 0x01, 0x00, 0x0c, 0x02, 0x5a,
			     0x34, 0x12, 0xc4, 0x05, 0x09, 'p', 'e', 'e', 'r' };
	event(ext, sizeof ext);
	r = bredr_find(BREDR_INQUIRY_RESULT);
	cr_assert_not_null(r);
	cr_assert_eq(r->eir_len, 240);
	cr_assert_eq(r->eir[2], 'p');
	h.out.count = 0;
	event(B(0x01, 0x01, 0x00));
	r = bredr_find(BREDR_INQUIRY_COMPLETE);
	cr_assert_not_null(r);
	cr_assert(r->final);
	cr_assert_eq(r->asker, 40);
	cr_assert_eq(r->responses, 2);
	cr_assert_not(h.bredr.inq_active);
}

Test(host_bredr, inquiry_cancel_ends_it_and_a_refused_inquiry_fails)
{
	const char *why;
	cr_assert_eq(host_bredr_inquiry(&h, 40, 2, 3, &why), 0);
	expect_cmd(B(0x01, 0x04, 0x05, 0x33, 0x8b, 0x9e, 0x02, 0x03));
	status(0x0401, 0);
	cr_assert_eq(host_bredr_cancel_inquiry(&h, 41, &why), 0);
	expect_cmd(B(0x02, 0x04, 0x00));
	complete(0x0402, 0);
	struct host_bredr_event *r = bredr_find(BREDR_INQUIRY_COMPLETE);
	cr_assert_not_null(r);
	cr_assert_eq(r->asker, 40);
	cr_assert_eq(host_bredr_inquiry(&h, 42, 70, 0, &why), -EINVAL);
	h.out.count = 0;
	cr_assert_eq(host_bredr_inquiry(&h, 43, 1, 0, &why), 0);
	expect_cmd(B(0x01, 0x04, 0x05, 0x33, 0x8b, 0x9e, 0x01, 0x00));
	status(0x0401, 0x0c);
	unsigned from = 0;
	struct host_out *o = out_find(HOST_OUT_RESULT, &from);
	cr_assert_not_null(o);
	cr_assert_eq(o->result.asker, 43);
	cr_assert_eq(o->result.status, 0x0c);
	cr_assert(o->result.hci);
}

Test(host_bredr, remote_name_and_remote_name_failure)
{
	const char *why;
	cr_assert_eq(host_bredr_remote_name(&h, 50, PEER, &why), 0);
	expect_cmd(B(0x19, 0x04, 0x0a, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x01, 0x00, 0x00,
		     0x00));
	status(0x0419, 0);
	uint8_t ev[257] = { 0x07, 0xff, 0x00, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 'b', 'o', 'b' };
	event(ev, sizeof ev);
	struct host_bredr_event *r = NULL;
	for (unsigned i = 0; i < h.out.count; i++)
		if (h.out.item[i].kind == HOST_OUT_BREDR && h.out.item[i].bredr.asker == 50)
			r = &h.out.item[i].bredr;
	cr_assert_not_null(r);
	cr_assert_eq(r->kind, BREDR_REMOTE_NAME);
	cr_assert_str_eq(r->name, "bob");
	cr_assert(r->final);
	h.out.count = 0;
	cr_assert_eq(host_bredr_remote_name(&h, 51, PEER, &why), 0);
	expect_opcode(0x0419, ev + 100, 100);
	status(0x0419, 0);
	uint8_t fail[257] = { 0x07, 0xff, 0x04, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66 };
	event(fail, sizeof fail);
	r = bredr_find(BREDR_REMOTE_NAME_FAILURE);
	cr_assert_not_null(r);
	cr_assert(r->to_apps);
	cr_assert_eq(r->hci_status, 0x04);
}

Test(host_bredr, role_change_before_and_after_the_link)
{
	/* 7.1.8: accepting with a switch reports the new role first. */
	event(B(0x12, 0x08, 0x00, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x00));
	struct host_conn *c = connect_0001();
	cr_assert_eq(c->role, 0, "the Role Change before the link was lost");
	const char *why;
	h.out.count = 0;
	cr_assert_eq(host_bredr_switch_role(&h, 60, 0x0001, 1, &why), 0);
	expect_cmd(B(0x0b, 0x08, 0x07, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x01));
	status(0x080b, 0);
	event(B(0x12, 0x08, 0x00, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x01));
	cr_assert_eq(c->role, 1);
	struct host_bredr_event *r = NULL;
	for (unsigned i = 0; i < h.out.count; i++)
		if (h.out.item[i].kind == HOST_OUT_BREDR && h.out.item[i].bredr.asker == 60)
			r = &h.out.item[i].bredr;
	cr_assert_not_null(r);
	cr_assert_eq(r->kind, BREDR_ROLE_CHANGE);
	cr_assert_eq(r->role, 1);
	h.out.count = 0;
	event(B(0x12, 0x08, 0x0c, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x01));
	r = bredr_find(BREDR_ROLE_CHANGE_FAILURE);
	cr_assert_not_null(r);
	cr_assert_eq(r->hci_status, 0x0c);
	cr_assert_eq(c->role, 1);
}

Test(host_bredr, security_events_go_to_smp_with_the_handle)
{
	connect_0001();
	static const struct {
		uint8_t ev[12];
		size_t len;
		enum host_bredr_kind kind;
	} cases[] = {
		{ { 0x17, 0x06, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66 }, 8, BREDR_LINK_KEY_REQUEST },
		{ { 0x16, 0x06, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66 }, 8, BREDR_PIN_CODE_REQUEST },
		{ { 0x31, 0x06, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66 }, 8,
		  BREDR_IO_CAPABILITY_REQUEST },
		{ { 0x34, 0x06, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66 }, 8, BREDR_USER_PASSKEY_REQUEST },
		{ { 0x32, 0x09, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x01, 0x00, 0x05 }, 11,
		  BREDR_IO_CAPABILITY_RESPONSE },
		{ { 0x33, 0x0a, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x40, 0xe2, 0x01, 0x00 }, 12,
		  BREDR_USER_CONFIRMATION_REQUEST },
		{ { 0x3b, 0x0a, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x40, 0xe2, 0x01, 0x00 }, 12,
		  BREDR_USER_PASSKEY_NOTIFICATION },
		{ { 0x36, 0x07, 0x05, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66 }, 9, BREDR_SSP_COMPLETE },
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		h.out.count = 0;
		event(cases[i].ev, cases[i].len);
		struct host_bredr_event *r = bredr_find(cases[i].kind);
		cr_assert_not_null(r, "case %zu: nothing reported", i);
		cr_assert(r->to_smp && r->to_apps);
		cr_assert_eq(r->handle, 0x0001);
		cr_assert_arr_eq(r->addr, PEER, 6);
		if (cases[i].kind == BREDR_USER_CONFIRMATION_REQUEST)
			cr_assert_eq(r->value, 123456);
		if (cases[i].kind == BREDR_IO_CAPABILITY_RESPONSE)
			cr_assert(r->io == 1 && r->auth_req == 5);
		if (cases[i].kind == BREDR_SSP_COMPLETE)
			cr_assert_eq(r->hci_status, 0x05);
	}
	h.out.count = 0;
	uint8_t lk[25] = { 0x18, 0x17, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66 };
	memset(lk + 8, 0xa5, 16);
	lk[24] = 0x05;
	event(lk, sizeof lk);
	struct host_bredr_event *r = bredr_find(BREDR_LINK_KEY);
	cr_assert_not_null(r);
	cr_assert_eq(r->key[15], 0xa5);
	cr_assert_eq(r->key_type, 5);
	/* Nothing went to the controller for them: smp answers. */
	nothing_sent();
}

Test(host_bredr, authenticate_then_encrypt_and_authentication_failure)
{
	connect_0001();
	const char *why;
	cr_assert_eq(host_bredr_authenticate(&h, 70, 0x0002, true, &why), -ENOTCONN);
	cr_assert_eq(host_bredr_authenticate(&h, 70, 0x0001, true, &why), 0);
	expect_cmd(B(0x11, 0x04, 0x02, 0x01, 0x00));
	status(0x0411, 0);
	h.out.count = 0;
	event(B(0x06, 0x03, 0x00, 0x01, 0x00));
	cr_assert_not_null(bredr_find(BREDR_AUTHENTICATION));
	expect_cmd(B(0x13, 0x04, 0x03, 0x01, 0x00, 0x01));
	status(0x0413, 0);
	event(B(0x08, 0x04, 0x00, 0x01, 0x00, 0x01));
	unsigned from = 0;
	struct host_out *o = out_find(HOST_OUT_RESULT, &from);
	cr_assert_not_null(o);
	cr_assert_eq(o->result.asker, 70);
	cr_assert_eq(o->result.status, 0);
	struct host_conn *c = host_conn_find(&h.conns, 0x0001);
	cr_assert(c->encrypted);
	cr_assert_eq(c->key_size, 16);
	/* A second time, the peer's key is wrong. */
	h.out.count = 0;
	cr_assert_eq(host_bredr_authenticate(&h, 71, 0x0001, true, &why), 0);
	expect_cmd(B(0x11, 0x04, 0x02, 0x01, 0x00));
	status(0x0411, 0);
	event(B(0x06, 0x03, 0x05, 0x01, 0x00));
	cr_assert_not_null(bredr_find(BREDR_AUTHENTICATION_FAILURE));
	from = 0;
	o = out_find(HOST_OUT_RESULT, &from);
	cr_assert_not_null(o);
	cr_assert_eq(o->result.asker, 71);
	cr_assert_eq(o->result.status, 0x05);
	cr_assert(o->result.hci);
	nothing_sent();
	/* An authentication under way ends when the link goes. */
	cr_assert_eq(host_bredr_authenticate(&h, 72, 0x0001, true, &why), 0);
	expect_cmd(B(0x11, 0x04, 0x02, 0x01, 0x00));
	h.out.count = 0;
	event(B(0x05, 0x04, 0x00, 0x01, 0x00, 0x08));
	from = 0;
	o = out_find(HOST_OUT_RESULT, &from);
	cr_assert_not_null(o);
	cr_assert_eq(o->result.asker, 72);
	cr_assert_eq(o->result.status, -ENOTCONN);
}

Test(host_bredr, connect_success_and_timeout_with_cancel)
{
	const char *why;
	cr_assert_eq(host_bredr_connect(&h, 80, PEER, 1000, true, &why), 0);
	expect_cmd(B(0x05, 0x04, 0x0d, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x18, 0xcc, 0x01, 0x00,
		     0x00, 0x00, 0x01));
	status(0x0405, 0);
	event(B(0x03, 0x0b, 0x00, 0x02, 0x00, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x01, 0x00));
	unsigned from = 0;
	struct host_out *o = out_find(HOST_OUT_RESULT, &from);
	cr_assert_not_null(o);
	cr_assert_eq(o->result.asker, 80);
	cr_assert_eq(o->result.value, HOST_VALUE_CONNECTION);
	cr_assert_eq(o->result.conn.handle, 0x0002);
	cr_assert_eq(o->result.conn.role, 0, "the pager is central");
	h.out.count = 0;
	static const uint8_t other[6] = { 9, 9, 9, 9, 9, 9 };
	cr_assert_eq(host_bredr_connect(&h, 81, other, 1000, false, &why), 0);
	expect_opcode(0x0405, (uint8_t[32]){ 0 }, 32);
	status(0x0405, 0);
	cr_assert_eq(host_deadline(&h), 1000);
	host_on_time(&h, 1000);
	expect_cmd(B(0x08, 0x04, 0x06, 9, 9, 9, 9, 9, 9));
	complete(0x0408, 0);
	event(B(0x03, 0x0b, 0x02, 0x00, 0x00, 9, 9, 9, 9, 9, 9, 0x01, 0x00));
	from = 0;
	o = out_find(HOST_OUT_RESULT, &from);
	cr_assert_not_null(o);
	cr_assert_eq(o->result.asker, 81);
	cr_assert_eq(o->result.status, -ETIMEDOUT);
}

Test(host_bredr, flush_and_flush_occurred)
{
	connect_0001();
	const char *why;
	h.out.count = 0;
	cr_assert_eq(host_bredr_flush(&h, 90, 0x0001, &why), 0);
	expect_cmd(B(0x08, 0x0c, 0x02, 0x01, 0x00));
	event(B(0x0e, 0x06, 0x01, 0x08, 0x0c, 0x00, 0x01, 0x00));
	unsigned from = 0;
	struct host_out *o = out_find(HOST_OUT_RESULT, &from);
	cr_assert_not_null(o);
	cr_assert_eq(o->result.asker, 90);
	cr_assert_eq(o->result.status, 0);
	h.out.count = 0;
	event(B(0x11, 0x02, 0x01, 0x00));
	struct host_bredr_event *r = bredr_find(BREDR_FLUSH);
	cr_assert_not_null(r);
	cr_assert_eq(r->handle, 0x0001);
	h.out.count = 0;
	event(B(0x39, 0x02, 0x01, 0x00));
	cr_assert_not_null(bredr_find(BREDR_FLUSH));
	/* For a handle nobody knows: counted, nothing reported. */
	h.out.count = 0;
	uint64_t unknown = h.st.unknown_handle_events;
	event(B(0x11, 0x02, 0x07, 0x00));
	cr_assert_eq(h.st.unknown_handle_events, unknown + 1);
	cr_assert_eq(h.out.count, 0);
}

Test(host_bredr, requests_refused_when_the_controller_has_no_bredr)
{
	struct host le;
	host_init(&le, 2000);
	le.ready = true;
	host_bredr_setup(&le);
	const char *why = NULL;
	cr_assert_eq(host_bredr_inquiry(&le, 1, 0, 0, &why), -EOPNOTSUPP);
	cr_assert_not_null(why);
	cr_assert_eq(host_bredr_event_mask(&le), 0);
	uint8_t out[300];
	int type;
	cr_assert_eq(host_next_hci(&le, 0, out, sizeof out, &type), 0,
		     "an LE-only controller was sent BR/EDR commands");
	host_fini(&le);
}

Test(host_bredr, snapshot_keeps_the_bredr_links_and_pool)
{
	connect_0001();
	uint8_t snap[HOST_SNAPSHOT_MAX];
	int n = host_snapshot(&h, snap, sizeof snap);
	cr_assert_gt(n, 0);
	struct host r;
	host_init(&r, 2000);
	cr_assert_eq(host_resume(&r, snap, (size_t)n), 0);
	struct host_conn *c = host_conn_find(&r.conns, 0x0001);
	cr_assert_not_null(c);
	cr_assert(c->bredr, "the restarted host took the BR/EDR link for LE");
	cr_assert(r.bredr.enabled);
	cr_assert_eq(r.bredr.scan, HCI_SCAN_PAGE);
	cr_assert_eq(r.acl.br_total, 4);
	cr_assert_eq(r.acl.br_mtu, 1021);
	uint8_t frame[300] = { 0x28, 0x01, 0x40, 0x00 };
	cr_assert_eq(host_on_l2cap(&r, 0x0001, frame, sizeof frame), 0);
	uint8_t out[1100];
	int type = 0;
	cr_assert_eq(r.acl.br_free, 0, "the predecessor's packets may still be in the controller");
	host_on_time(&r, 10000); /* their time is over */
	cr_assert_eq(r.acl.br_free, 4);
	int len = 0;
	for (int i = 0; i < 3 && type != HOST_HCI_ACL; i++) /* commands (a refresh) go first */
		len = host_next_hci(&r, r.now_ms, out, sizeof out, &type);
	cr_assert_eq(type, HOST_HCI_ACL);
	cr_assert_eq(len, 4 + 300, "the BR/EDR fragment size was lost");
	/* A truncated BR/EDR part is refused; an LE-only snapshot still reads. */
	cr_assert_eq(host_resume(&r, snap, 5), -EBADMSG);
	host_fini(&r);
	struct host le;
	host_init(&le, 2000);
	host_acl_set_buffers(&le.acl, 27, 2);
	n = host_snapshot(&le, snap, sizeof snap);
	cr_assert_eq(snap[0], 1, "an LE-only snapshot changed its format");
	struct host r2;
	host_init(&r2, 2000);
	cr_assert_eq(host_resume(&r2, snap, (size_t)n), 0);
	cr_assert_not(r2.bredr.enabled);
	host_fini(&r2);
	host_fini(&le);
}

/* Two pools: LE fragments use the LE buffers, BR/EDR ones the BR/EDR
 * buffers, and completions give each back to its own pool; without BR/EDR
 * buffers of its own (LE Read Buffer Size said 0) both share one pool. */
Test(host_bredr, acl_pools_separate_and_shared)
{
	struct host_acl a;
	uint8_t frame[60] = { 56, 0x00, 0x40, 0x00 }, out[1100];
	host_acl_init(&a, 27, 2);
	host_acl_set_bredr_buffers(&a, 1021, 1);
	cr_assert_eq(host_acl_link_add(&a, 0x0001), 0);
	cr_assert_eq(host_acl_link_set_bredr(&a, 0x0001), 0);
	cr_assert_eq(host_acl_link_set_bredr(&a, 0x0009), -ENOENT);
	cr_assert_eq(host_acl_link_add(&a, 0x0040), 0);
	for (int i = 0; i < 2; i++) {
		cr_assert_eq(host_acl_tx_submit(&a, 0x0001, frame, sizeof frame), 0);
		cr_assert_eq(host_acl_tx_submit(&a, 0x0040, frame, sizeof frame), 0);
	}
	unsigned le = 0, br = 0;
	int n;
	while ((n = host_acl_tx_next(&a, out, sizeof out)) > 0) {
		uint16_t handle = (uint16_t)(out[0] | (out[1] & 0x0f) << 8);
		if (handle == 0x0001) {
			br++;
			cr_assert_eq(n, 4 + 60, "a BR/EDR frame was cut to the LE size");
		} else {
			le++;
			cr_assert_eq(n, 4 + 27);
		}
	}
	cr_assert_eq(br, 1, "BR/EDR used more buffers than its pool has");
	cr_assert_eq(le, 2, "LE used more buffers than its pool has");
	cr_assert_eq(host_acl_completed(&a, 0x0001, 1), 1);
	cr_assert_eq(a.br_free, 1);
	cr_assert_eq(a.free, 0, "a BR/EDR completion freed an LE buffer");
	cr_assert_eq(host_acl_tx_next(&a, out, sizeof out), 4 + 60);
	cr_assert_eq(host_acl_pending(&a, 0x0001), 0);
	cr_assert_eq(host_acl_pending(&a, 0x0040), 4, "the LE frames' fragments left");
	/* A BR/EDR link going away gives its buffers back to its pool. */
	cr_assert_geq(host_acl_link_remove(&a, 0x0001), 0);
	cr_assert_eq(a.br_free, 1);
	host_acl_fini(&a);

	host_acl_init(&a, 1021, 2);
	cr_assert_eq(host_acl_link_add(&a, 0x0001), 0);
	cr_assert_eq(host_acl_link_set_bredr(&a, 0x0001), 0);
	cr_assert_eq(host_acl_link_add(&a, 0x0040), 0);
	cr_assert_eq(host_acl_tx_submit(&a, 0x0001, frame, sizeof frame), 0);
	cr_assert_eq(host_acl_tx_submit(&a, 0x0040, frame, sizeof frame), 0);
	cr_assert_eq(host_acl_tx_submit(&a, 0x0040, frame, sizeof frame), 0);
	unsigned sent = 0;
	while (host_acl_tx_next(&a, out, sizeof out) > 0)
		sent++;
	cr_assert_eq(sent, 2, "one shared pool of two buffers");
	cr_assert_eq(a.free, 0);
	host_acl_fini(&a);
}
