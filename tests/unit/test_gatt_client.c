/* The GATT client as PDU scripts: a procedure asked, exact request bytes
 * out, scripted response bytes in, the events checked; malformed and
 * unexpected responses end the procedure with an error. Then the client
 * wired in-process to the real GATT server: discovery of a JSON database
 * matches the database, long reads and writes across MTU sizes. */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "../../actors/gatt/gatt_client.h"

#define R(...) (&(struct gatt_client_req){ __VA_ARGS__ })
#define P(...) (const uint8_t[]){ __VA_ARGS__ }, sizeof((const uint8_t[]){ __VA_ARGS__ })

struct fx {
	struct gatt_client *c;
	struct gatt_client_outbox out;
	uint64_t now;
	int sign_calls;
};

static int sign(void *arg, uint16_t conn, const uint8_t *pdu, size_t len, uint8_t sig[12])
{
	struct fx *f = arg;
	f->sign_calls++;
	for (int i = 0; i < 12; i++)
		sig[i] = (uint8_t)(0xa0 + i);
	return len >= 3 && pdu[0] == ATT_SIGNED_WRITE_CMD ? 0 : -EINVAL;
}

static void fx_init(struct fx *f)
{
	memset(f, 0, sizeof *f);
	struct gatt_client_config cfg = { .sign = sign, .sign_arg = f };
	cr_assert_eq(gatt_client_new(&f->c, &cfg), 0);
	cr_assert_eq(gatt_client_connect(f->c, 1), 0);
	cr_assert_eq(gatt_client_connect(f->c, 1), -EEXIST);
	cr_assert_eq(gatt_client_mtu(f->c, 1), 23);
}

static void fx_fini(struct fx *f)
{
	gatt_client_destroy(&f->c);
	cr_assert_null(f->c);
	gatt_client_destroy(&f->c);
}

static void hex(char *buf, size_t cap, const uint8_t *p, size_t n)
{
	size_t at = 0;
	buf[0] = 0;
	for (size_t i = 0; i < n && at + 4 < cap; i++)
		at += (size_t)snprintf(buf + at, cap - at, "%02x ", p[i]);
}

/* Exactly one PDU out (the last of the outbox is checked), or none. */
static void expect_out(struct fx *f, const uint8_t *want, size_t wn, int line)
{
	if (!want) {
		cr_assert_eq(f->out.n_pdus, 0, "line %d: %u PDUs out, none expected", line,
			     f->out.n_pdus);
		return;
	}
	cr_assert_eq(f->out.n_pdus, 1, "line %d: %u PDUs out, one expected", line, f->out.n_pdus);
	const struct att_out_pdu *o = &f->out.pdus[0];
	char got[2048], exp[2048];
	hex(got, sizeof got, o->pdu, o->len);
	hex(exp, sizeof exp, want, wn);
	cr_assert(o->conn == 1 && o->len == wn && !memcmp(o->pdu, want, wn),
		  "line %d:\n  got  %s\n  want %s", line, got, exp);
}

static void ask(struct fx *f, const struct gatt_client_req *r, const uint8_t *want, size_t wn,
		int line)
{
	gatt_client_outbox_reset(&f->out);
	int rc = gatt_client_request(f->c, 1, r, f->now, &f->out);
	cr_assert_eq(rc, 0, "line %d: request rc %d", line, rc);
	expect_out(f, want, wn, line);
}

static void feed(struct fx *f, const uint8_t *in, size_t n, const uint8_t *want, size_t wn,
		 int line)
{
	gatt_client_outbox_reset(&f->out);
	int rc = gatt_client_on_pdu(f->c, 1, in, n, f->now, &f->out);
	cr_assert_eq(rc, 0, "line %d: on_pdu rc %d", line, rc);
	expect_out(f, want, wn, line);
}
#define ASK(f, r, ...) ask((f), (r), __VA_ARGS__, __LINE__)
#define FEED(f, ...) feed((f), __VA_ARGS__, __LINE__)
#define NONE NULL, 0

static const struct gatt_client_event *ev_at(struct fx *f, unsigned i)
{
	cr_assert_lt(i, f->out.n_events, "event %u of %u", i, f->out.n_events);
	return &f->out.events[i];
}

/* The last event must be the DONE of id with err and att_error. */
static const struct gatt_client_event *done(struct fx *f, uint64_t id, int err, uint8_t att)
{
	cr_assert_gt(f->out.n_events, 0, "no DONE event");
	const struct gatt_client_event *e = &f->out.events[f->out.n_events - 1];
	cr_assert_eq(e->type, GATT_CEV_DONE, "last event type %d", e->type);
	cr_assert_eq(e->id, id);
	cr_assert_eq(e->err, err, "err %d (%s), want %d", e->err, e->error ? e->error : "", err);
	cr_assert_eq(e->att_error, att, "att_error 0x%02x, want 0x%02x", e->att_error, att);
	if (err)
		cr_assert_not_null(e->error);
	return e;
}

static void no_events(struct fx *f)
{
	cr_assert_eq(f->out.n_events, 0, "%u unexpected events", f->out.n_events);
}

/* ---- each procedure, scripted --------------------------------------------------- */

Test(gatt_client, exchange_mtu)
{
	struct fx f;
	fx_init(&f);
	ASK(&f, R( .type = GATT_PROC_EXCHANGE_MTU, .id = 1 ),
	    P(0x02, 0x05, 0x02));
	cr_assert(gatt_client_busy(f.c, 1));
	FEED(&f, P(0x03, 0x40, 0x00), NONE);
	cr_assert_eq(done(&f, 1, 0, 0)->mtu, 64);
	cr_assert_eq(gatt_client_mtu(f.c, 1), 64);
	cr_assert_not(gatt_client_busy(f.c, 1));
	/* A server MTU below 23 is malformed; the MTU stays. */
	ASK(&f, R( .type = GATT_PROC_EXCHANGE_MTU, .id = 2, .mtu = 100 ),
	    P(0x02, 0x64, 0x00));
	FEED(&f, P(0x03, 0x16, 0x00), NONE);
	done(&f, 2, -EBADMSG, 0);
	cr_assert_eq(gatt_client_mtu(f.c, 1), 64);
	/* Truncated. */
	ASK(&f, R( .type = GATT_PROC_EXCHANGE_MTU, .id = 3 ),
	    P(0x02, 0x05, 0x02));
	FEED(&f, P(0x03, 0x40), NONE);
	done(&f, 3, -EBADMSG, 0);
	/* Not supported by the server. */
	ASK(&f, R( .type = GATT_PROC_EXCHANGE_MTU, .id = 4 ),
	    P(0x02, 0x05, 0x02));
	FEED(&f, P(0x01, 0x02, 0x00, 0x00, 0x06), NONE);
	const struct gatt_client_event *e = done(&f, 4, 0, ATT_ECODE_REQUEST_NOT_SUPPORTED);
	cr_assert_eq(e->att_request, ATT_EXCHANGE_MTU_REQ);
	cr_assert_eq(gatt_client_request(f.c, 1,
					 R( .type = GATT_PROC_EXCHANGE_MTU,
								    .mtu = 22 ),
					 0, &f.out),
		     -EINVAL);
	fx_fini(&f);
}

#define U128 0xf0, 0xde, 0xbc, 0x9a, 0x78, 0x56, 0x34, 0x12, 0x78, 0x56, 0x34, 0x12, 0x78, \
	     0x56, 0x34, 0x12

Test(gatt_client, discover_all_primary_services)
{
	struct fx f;
	fx_init(&f);
	ASK(&f, R( .type = GATT_PROC_DISCOVER_SERVICES, .id = 7 ),
	    P(0x10, 0x01, 0x00, 0xff, 0xff, 0x00, 0x28));
	FEED(&f, P(0x11, 0x06, 0x01, 0x00, 0x07, 0x00, 0x00, 0x18, 0x08, 0x00, 0x11, 0x00, 0x01, 0x18),
	     P(0x10, 0x12, 0x00, 0xff, 0xff, 0x00, 0x28));
	cr_assert_eq(f.out.n_events, 2);
	cr_assert_eq(ev_at(&f, 0)->type, GATT_CEV_SERVICE);
	cr_assert_eq(ev_at(&f, 0)->id, 7);
	cr_assert_eq(ev_at(&f, 0)->handle, 1);
	cr_assert_eq(ev_at(&f, 0)->end, 7);
	cr_assert(att_uuid_is(&ev_at(&f, 0)->uuid, 0x1800));
	cr_assert(att_uuid_is(&ev_at(&f, 1)->uuid, 0x1801));
	FEED(&f, P(0x11, 0x14, 0x12, 0x00, 0x20, 0x00, U128),
	     P(0x10, 0x21, 0x00, 0xff, 0xff, 0x00, 0x28));
	cr_assert_eq(ev_at(&f, 0)->uuid.len, 16);
	cr_assert_eq(ev_at(&f, 0)->uuid.b[0], 0xf0);
	FEED(&f, P(0x01, 0x10, 0x21, 0x00, 0x0a), NONE);
	done(&f, 7, 0, 0);
	/* A group ending at 0xffff ends the procedure without another request. */
	ASK(&f, R( .type = GATT_PROC_DISCOVER_SERVICES, .id = 8 ),
	    P(0x10, 0x01, 0x00, 0xff, 0xff, 0x00, 0x28));
	FEED(&f, P(0x11, 0x06, 0x01, 0x00, 0xff, 0xff, 0x00, 0x18), NONE);
	done(&f, 8, 0, 0);
	fx_fini(&f);
}

Test(gatt_client, discover_services_malformed)
{
	struct fx f;
	fx_init(&f);
	const struct gatt_client_req r = { .type = GATT_PROC_DISCOVER_SERVICES, .id = 9 };
	/* Entry length 5 is no UUID. */
	ASK(&f, &r, P(0x10, 0x01, 0x00, 0xff, 0xff, 0x00, 0x28));
	FEED(&f, P(0x11, 0x05, 0x01, 0x00, 0x07, 0x00, 0x00), NONE);
	done(&f, 9, -EBADMSG, 0);
	/* End before start. */
	ASK(&f, &r, P(0x10, 0x01, 0x00, 0xff, 0xff, 0x00, 0x28));
	FEED(&f, P(0x11, 0x06, 0x05, 0x00, 0x04, 0x00, 0x00, 0x18), NONE);
	done(&f, 9, -EBADMSG, 0);
	/* Going backwards (a server looping the client forever). */
	ASK(&f, &r, P(0x10, 0x01, 0x00, 0xff, 0xff, 0x00, 0x28));
	FEED(&f, P(0x11, 0x06, 0x05, 0x00, 0x07, 0x00, 0x00, 0x18),
	     P(0x10, 0x08, 0x00, 0xff, 0xff, 0x00, 0x28));
	FEED(&f, P(0x11, 0x06, 0x05, 0x00, 0x07, 0x00, 0x00, 0x18), NONE);
	done(&f, 9, -EBADMSG, 0);
	/* List not a multiple of the entry length. */
	ASK(&f, &r, P(0x10, 0x01, 0x00, 0xff, 0xff, 0x00, 0x28));
	FEED(&f, P(0x11, 0x06, 0x01, 0x00, 0x07, 0x00, 0x00, 0x18, 0x08), NONE);
	done(&f, 9, -EBADMSG, 0);
	/* The answer to another request. */
	ASK(&f, &r, P(0x10, 0x01, 0x00, 0xff, 0xff, 0x00, 0x28));
	FEED(&f, P(0x0b, 0x01), NONE);
	done(&f, 9, -EPROTO, 0);
	ASK(&f, &r, P(0x10, 0x01, 0x00, 0xff, 0xff, 0x00, 0x28));
	FEED(&f, P(0x01, 0x08, 0x01, 0x00, 0x0a), NONE);
	done(&f, 9, -EPROTO, 0);
	/* An error response with code 0. */
	ASK(&f, &r, P(0x10, 0x01, 0x00, 0xff, 0xff, 0x00, 0x28));
	FEED(&f, P(0x01, 0x10, 0x01, 0x00, 0x00), NONE);
	done(&f, 9, -EBADMSG, 0);
	/* Another error ends it with the code. */
	ASK(&f, &r, P(0x10, 0x01, 0x00, 0xff, 0xff, 0x00, 0x28));
	FEED(&f, P(0x01, 0x10, 0x01, 0x00, 0x0e), NONE);
	done(&f, 9, 0, ATT_ECODE_UNLIKELY_ERROR);
	/* Nobody asked. */
	gatt_client_outbox_reset(&f.out);
	cr_assert_eq(gatt_client_on_pdu(f.c, 1, P(0x11, 0x06, 0x01, 0x00, 0x07, 0x00, 0x00, 0x18),
					0, &f.out),
		     -EPROTO);
	cr_assert_eq(gatt_client_on_pdu(f.c, 1, P(0x0a, 0x01, 0x00), 0, &f.out), -EPROTO);
	cr_assert_eq(gatt_client_on_pdu(f.c, 1, P(0xff), 0, &f.out), -EPROTO);
	cr_assert_eq(gatt_client_on_pdu(f.c, 1, NULL, 0, 0, &f.out), -EPROTO);
	cr_assert_eq(gatt_client_on_pdu(f.c, 2, P(0x13), 0, &f.out), -ENOTCONN);
	no_events(&f);
	fx_fini(&f);
}

Test(gatt_client, discover_primary_service_by_uuid)
{
	struct fx f;
	fx_init(&f);
	/* A 128-bit UUID on the base goes as 16 bits. */
	struct gatt_client_req r = { .type = GATT_PROC_DISCOVER_SERVICES_BY_UUID, .id = 3 };
	r.uuid.len = 16;
	att_uuid_to128(&(struct att_uuid){ .len = 2, .b = { 0x0f, 0x18 } }, r.uuid.b);
	ASK(&f, &r, P(0x06, 0x01, 0x00, 0xff, 0xff, 0x00, 0x28, 0x0f, 0x18));
	FEED(&f, P(0x07, 0x12, 0x00, 0x15, 0x00), P(0x06, 0x16, 0x00, 0xff, 0xff, 0x00, 0x28, 0x0f, 0x18));
	cr_assert_eq(ev_at(&f, 0)->type, GATT_CEV_SERVICE);
	cr_assert_eq(ev_at(&f, 0)->handle, 0x12);
	cr_assert_eq(ev_at(&f, 0)->end, 0x15);
	FEED(&f, P(0x01, 0x06, 0x16, 0x00, 0x0a), NONE);
	done(&f, 3, 0, 0);
	/* 128-bit UUIDs go whole. */
	r.uuid = (struct att_uuid){ .len = 16, .b = { U128 } };
	ASK(&f, &r, P(0x06, 0x01, 0x00, 0xff, 0xff, 0x00, 0x28, U128));
	/* Found handle above its group end. */
	FEED(&f, P(0x07, 0x16, 0x00, 0x15, 0x00), NONE);
	done(&f, 3, -EBADMSG, 0);
	ASK(&f, &r, P(0x06, 0x01, 0x00, 0xff, 0xff, 0x00, 0x28, U128));
	FEED(&f, P(0x07, 0x16, 0x00, 0x22), NONE);
	done(&f, 3, -EBADMSG, 0);
	r.uuid.len = 3;
	cr_assert_eq(gatt_client_request(f.c, 1, &r, 0, &f.out), -EINVAL);
	fx_fini(&f);
}

Test(gatt_client, find_included_services)
{
	struct fx f;
	fx_init(&f);
	const struct gatt_client_req r = { .type = GATT_PROC_FIND_INCLUDED, .id = 4,
					   .start = 0x16, .end = 0x22 };
	ASK(&f, &r, P(0x08, 0x16, 0x00, 0x22, 0x00, 0x02, 0x28));
	FEED(&f, P(0x09, 0x08, 0x17, 0x00, 0x12, 0x00, 0x15, 0x00, 0x0f, 0x18),
	     P(0x08, 0x18, 0x00, 0x22, 0x00, 0x02, 0x28));
	const struct gatt_client_event *e = ev_at(&f, 0);
	cr_assert_eq(e->type, GATT_CEV_INCLUDE);
	cr_assert_eq(e->handle, 0x17);
	cr_assert_eq(e->start, 0x12);
	cr_assert_eq(e->end, 0x15);
	cr_assert(att_uuid_is(&e->uuid, 0x180f));
	/* A 128-bit include: its UUID is read from the declaration. */
	FEED(&f, P(0x09, 0x06, 0x18, 0x00, 0x30, 0x00, 0x35, 0x00), P(0x0a, 0x30, 0x00));
	no_events(&f);
	FEED(&f, P(0x0b, U128), P(0x08, 0x19, 0x00, 0x22, 0x00, 0x02, 0x28));
	cr_assert_eq(ev_at(&f, 0)->handle, 0x18);
	cr_assert_eq(ev_at(&f, 0)->start, 0x30);
	cr_assert_eq(ev_at(&f, 0)->uuid.len, 16);
	FEED(&f, P(0x01, 0x08, 0x19, 0x00, 0x0a), NONE);
	done(&f, 4, 0, 0);
	/* Malformed: a declaration that is not 16 bytes, entries of 7. */
	ASK(&f, &r, P(0x08, 0x16, 0x00, 0x22, 0x00, 0x02, 0x28));
	FEED(&f, P(0x09, 0x06, 0x18, 0x00, 0x30, 0x00, 0x35, 0x00), P(0x0a, 0x30, 0x00));
	FEED(&f, P(0x0b, 0x0f, 0x18), NONE);
	done(&f, 4, -EBADMSG, 0);
	ASK(&f, &r, P(0x08, 0x16, 0x00, 0x22, 0x00, 0x02, 0x28));
	FEED(&f, P(0x09, 0x07, 0x18, 0x00, 0x30, 0x00, 0x35, 0x00, 0x01), NONE);
	done(&f, 4, -EBADMSG, 0);
	/* Outside the range asked. */
	ASK(&f, &r, P(0x08, 0x16, 0x00, 0x22, 0x00, 0x02, 0x28));
	FEED(&f, P(0x09, 0x08, 0x23, 0x00, 0x12, 0x00, 0x15, 0x00, 0x0f, 0x18), NONE);
	done(&f, 4, -EBADMSG, 0);
	fx_fini(&f);
}

Test(gatt_client, discover_characteristics)
{
	struct fx f;
	fx_init(&f);
	struct gatt_client_req r = { .type = GATT_PROC_DISCOVER_CHARACTERISTICS, .id = 5,
				     .start = 0x12, .end = 0x20 };
	ASK(&f, &r, P(0x08, 0x12, 0x00, 0x20, 0x00, 0x03, 0x28));
	FEED(&f, P(0x09, 0x07, 0x13, 0x00, 0x12, 0x14, 0x00, 0x19, 0x2a, 0x16, 0x00, 0x02, 0x17, 0x00,
		   0x1a, 0x2a),
	     P(0x08, 0x17, 0x00, 0x20, 0x00, 0x03, 0x28));
	cr_assert_eq(f.out.n_events, 2);
	const struct gatt_client_event *e = ev_at(&f, 0);
	cr_assert_eq(e->type, GATT_CEV_CHARACTERISTIC);
	cr_assert_eq(e->handle, 0x13);
	cr_assert_eq(e->value_handle, 0x14);
	cr_assert_eq(e->props, 0x12);
	cr_assert(att_uuid_is(&e->uuid, 0x2a19));
	FEED(&f, P(0x09, 0x15, 0x18, 0x00, 0x02, 0x19, 0x00, U128), P(0x08, 0x19, 0x00, 0x20, 0x00, 0x03, 0x28));
	cr_assert_eq(ev_at(&f, 0)->uuid.len, 16);
	FEED(&f, P(0x01, 0x08, 0x19, 0x00, 0x0a), NONE);
	done(&f, 5, 0, 0);
	/* By UUID: the others are skipped, the walk goes on. */
	r.has_uuid = true;
	r.uuid = att_uuid16(0x2a1a);
	ASK(&f, &r, P(0x08, 0x12, 0x00, 0x20, 0x00, 0x03, 0x28));
	FEED(&f, P(0x09, 0x07, 0x13, 0x00, 0x12, 0x14, 0x00, 0x19, 0x2a, 0x16, 0x00, 0x02, 0x17, 0x00,
		   0x1a, 0x2a),
	     P(0x08, 0x17, 0x00, 0x20, 0x00, 0x03, 0x28));
	cr_assert_eq(f.out.n_events, 1);
	cr_assert_eq(ev_at(&f, 0)->handle, 0x16);
	/* The last handle of the range ends it without another request. */
	FEED(&f, P(0x09, 0x07, 0x20, 0x00, 0x02, 0x21, 0x00, 0x1a, 0x2a), NONE);
	cr_assert_eq(f.out.n_events, 2);
	done(&f, 5, 0, 0);
	/* Malformed: value handle not after the declaration, bad entry size. */
	r.has_uuid = false;
	ASK(&f, &r, P(0x08, 0x12, 0x00, 0x20, 0x00, 0x03, 0x28));
	FEED(&f, P(0x09, 0x07, 0x13, 0x00, 0x12, 0x13, 0x00, 0x19, 0x2a), NONE);
	done(&f, 5, -EBADMSG, 0);
	ASK(&f, &r, P(0x08, 0x12, 0x00, 0x20, 0x00, 0x03, 0x28));
	FEED(&f, P(0x09, 0x08, 0x13, 0x00, 0x12, 0x14, 0x00, 0x19, 0x2a, 0x00), NONE);
	done(&f, 5, -EBADMSG, 0);
	ASK(&f, &r, P(0x08, 0x12, 0x00, 0x20, 0x00, 0x03, 0x28));
	FEED(&f, P(0x09, 0x07, 0x11, 0x00, 0x12, 0x14, 0x00, 0x19, 0x2a), NONE);
	done(&f, 5, -EBADMSG, 0);
	fx_fini(&f);
}

Test(gatt_client, discover_descriptors)
{
	struct fx f;
	fx_init(&f);
	struct gatt_client_req r = { .type = GATT_PROC_DISCOVER_DESCRIPTORS, .id = 6,
				     .start = 0x15, .end = 0x17 };
	ASK(&f, &r, P(0x04, 0x15, 0x00, 0x17, 0x00));
	FEED(&f, P(0x05, 0x01, 0x15, 0x00, 0x02, 0x29), P(0x04, 0x16, 0x00, 0x17, 0x00));
	cr_assert_eq(ev_at(&f, 0)->type, GATT_CEV_DESCRIPTOR);
	cr_assert_eq(ev_at(&f, 0)->handle, 0x15);
	cr_assert(att_uuid_is(&ev_at(&f, 0)->uuid, 0x2902));
	/* Two 128-bit entries do not fit MTU 23: malformed. */
	FEED(&f, P(0x05, 0x02, 0x16, 0x00, U128), P(0x04, 0x17, 0x00, 0x17, 0x00));
	cr_assert_eq(ev_at(&f, 0)->uuid.len, 16);
	FEED(&f, P(0x05, 0x01, 0x17, 0x00, 0x03, 0x29), NONE);
	cr_assert_eq(f.out.n_events, 2);
	done(&f, 6, 0, 0);
	ASK(&f, &r, P(0x04, 0x15, 0x00, 0x17, 0x00));
	FEED(&f, P(0x05, 0x02, 0x16, 0x00, U128, 0x17, 0x00, U128), NONE);
	done(&f, 6, -EBADMSG, 0);
	/* An empty range (a characteristic without descriptors): no request. */
	r.start = 0x18;
	ASK(&f, &r, NONE);
	done(&f, 6, 0, 0);
	/* Malformed: format 3, handles going back. */
	r.start = 0x15;
	ASK(&f, &r, P(0x04, 0x15, 0x00, 0x17, 0x00));
	FEED(&f, P(0x05, 0x03, 0x15, 0x00, 0x02, 0x29), NONE);
	done(&f, 6, -EBADMSG, 0);
	ASK(&f, &r, P(0x04, 0x15, 0x00, 0x17, 0x00));
	FEED(&f, P(0x05, 0x01, 0x16, 0x00, 0x02, 0x29, 0x15, 0x00, 0x01, 0x29), NONE);
	done(&f, 6, -EBADMSG, 0);
	fx_fini(&f);
}

Test(gatt_client, read_and_read_long)
{
	struct fx f;
	fx_init(&f);
	ASK(&f, R( .type = GATT_PROC_READ, .id = 1, .handle = 3 ),
	    P(0x0a, 0x03, 0x00));
	FEED(&f, P(0x0b, 'h', 'i'), NONE);
	const struct gatt_client_event *e = done(&f, 1, 0, 0);
	cr_assert_eq(e->len, 2);
	cr_assert_eq(memcmp(e->value, "hi", 2), 0);
	cr_assert_eq(e->handle, 3);
	ASK(&f, R( .type = GATT_PROC_READ, .id = 2, .handle = 0x21 ),
	    P(0x0a, 0x21, 0x00));
	FEED(&f, P(0x01, 0x0a, 0x21, 0x00, 0x02), NONE);
	done(&f, 2, 0, ATT_ECODE_READ_NOT_PERMITTED);
	/* Longer than the MTU. */
	ASK(&f, R( .type = GATT_PROC_READ, .id = 3, .handle = 3 ),
	    P(0x0a, 0x03, 0x00));
	uint8_t big[24] = { 0x0b };
	FEED(&f, big, sizeof big, NONE);
	done(&f, 3, -EBADMSG, 0);

	/* Read long: 22 + 18 bytes at MTU 23. */
	uint8_t v[40];
	for (int i = 0; i < 40; i++)
		v[i] = (uint8_t)('a' + i % 26);
	uint8_t rsp[23] = { 0x0b };
	memcpy(rsp + 1, v, 22);
	ASK(&f, R( .type = GATT_PROC_READ_LONG, .id = 4, .handle = 0x19 ),
	    P(0x0a, 0x19, 0x00));
	FEED(&f, rsp, 23, P(0x0c, 0x19, 0x00, 0x16, 0x00));
	rsp[0] = 0x0d;
	memcpy(rsp + 1, v + 22, 18);
	FEED(&f, rsp, 19, NONE);
	e = done(&f, 4, 0, 0);
	cr_assert_eq(e->len, 40);
	cr_assert_eq(memcmp(e->value, v, 40), 0);
	/* Exactly 22: the server says the next offset is not long. */
	rsp[0] = 0x0b;
	ASK(&f, R( .type = GATT_PROC_READ_LONG, .id = 5, .handle = 0x19 ),
	    P(0x0a, 0x19, 0x00));
	FEED(&f, rsp, 23, P(0x0c, 0x19, 0x00, 0x16, 0x00));
	FEED(&f, P(0x01, 0x0c, 0x19, 0x00, 0x0b), NONE);
	cr_assert_eq(done(&f, 5, 0, 0)->len, 22);
	/* From an offset. */
	ASK(&f, R( .type = GATT_PROC_READ_LONG, .id = 6, .handle = 0x19,
					   .offset = 30 ),
	    P(0x0c, 0x19, 0x00, 0x1e, 0x00));
	FEED(&f, P(0x0d, 1, 2, 3), NONE);
	cr_assert_eq(done(&f, 6, 0, 0)->len, 3);
	/* From an offset of a value that is not long: read whole, sliced. */
	ASK(&f, R(.type = GATT_PROC_READ_LONG, .id = 6, .handle = 0x19, .offset = 2),
	    P(0x0c, 0x19, 0x00, 0x02, 0x00));
	FEED(&f, P(0x01, 0x0c, 0x19, 0x00, 0x0b), P(0x0a, 0x19, 0x00));
	FEED(&f, P(0x0b, 1, 2, 3), NONE);
	e = done(&f, 6, 0, 0);
	cr_assert_eq(e->len, 1);
	cr_assert_eq(e->value[0], 3);
	ASK(&f, R(.type = GATT_PROC_READ_LONG, .id = 6, .handle = 0x19, .offset = 4),
	    P(0x0c, 0x19, 0x00, 0x04, 0x00));
	FEED(&f, P(0x01, 0x0c, 0x19, 0x00, 0x0b), P(0x0a, 0x19, 0x00));
	FEED(&f, P(0x0b, 1, 2, 3), NONE);
	done(&f, 6, 0, ATT_ECODE_INVALID_OFFSET);
	/* A server that never stops: 512 bytes at most. */
	rsp[0] = 0x0d;
	ASK(&f, R( .type = GATT_PROC_READ_LONG, .id = 7, .handle = 0x19,
					   .offset = 500 ),
	    P(0x0c, 0x19, 0x00, 0xf4, 0x01));
	FEED(&f, rsp, 23, NONE);
	done(&f, 7, -EBADMSG, 0);
	/* Invalid handle. */
	ASK(&f, R( .type = GATT_PROC_READ_LONG, .id = 8, .handle = 0x99 ),
	    P(0x0a, 0x99, 0x00));
	FEED(&f, P(0x01, 0x0a, 0x99, 0x00, 0x01), NONE);
	done(&f, 8, 0, ATT_ECODE_INVALID_HANDLE);
	fx_fini(&f);
}

Test(gatt_client, read_by_uuid_and_read_multiple)
{
	struct fx f;
	fx_init(&f);
	ASK(&f, R( .type = GATT_PROC_READ_BY_UUID, .id = 1,
					   .uuid = att_uuid16(0x2a19) ),
	    P(0x08, 0x01, 0x00, 0xff, 0xff, 0x19, 0x2a));
	FEED(&f, P(0x09, 0x03, 0x14, 0x00, 0x64), P(0x08, 0x15, 0x00, 0xff, 0xff, 0x19, 0x2a));
	const struct gatt_client_event *e = ev_at(&f, 0);
	cr_assert_eq(e->type, GATT_CEV_VALUE);
	cr_assert_eq(e->handle, 0x14);
	cr_assert_eq(e->len, 1);
	cr_assert_eq(e->value[0], 0x64);
	FEED(&f, P(0x01, 0x08, 0x15, 0x00, 0x0a), NONE);
	done(&f, 1, 0, 0);
	/* Not found at all: an empty success; other errors end it. */
	ASK(&f, R( .type = GATT_PROC_READ_BY_UUID, .id = 2,
					   .uuid = att_uuid16(0x2a19) ),
	    P(0x08, 0x01, 0x00, 0xff, 0xff, 0x19, 0x2a));
	FEED(&f, P(0x01, 0x08, 0x01, 0x00, 0x02), NONE);
	done(&f, 2, 0, ATT_ECODE_READ_NOT_PERMITTED);

	const uint16_t hs[] = { 3, 5 };
	ASK(&f, R( .type = GATT_PROC_READ_MULTIPLE, .id = 3, .handles = hs,
					   .n_handles = 2 ),
	    P(0x0e, 0x03, 0x00, 0x05, 0x00));
	FEED(&f, P(0x0f, 'h', 'i', 0x00, 0x00), NONE);
	cr_assert_eq(done(&f, 3, 0, 0)->len, 4);
	cr_assert_eq(gatt_client_request(f.c, 1,
					 R( .type = GATT_PROC_READ_MULTIPLE,
								    .handles = hs, .n_handles = 1 ),
					 0, &f.out),
		     -EINVAL);
	fx_fini(&f);
}

Test(gatt_client, writes)
{
	struct fx f;
	fx_init(&f);
	ASK(&f, R( .type = GATT_PROC_WRITE, .id = 1, .handle = 0x19,
					   .value = (const uint8_t *)"AB", .len = 2 ),
	    P(0x12, 0x19, 0x00, 'A', 'B'));
	FEED(&f, P(0x13), NONE);
	done(&f, 1, 0, 0);
	ASK(&f, R( .type = GATT_PROC_WRITE, .id = 2, .handle = 0x19,
					   .value = (const uint8_t *)"AB", .len = 2 ),
	    P(0x12, 0x19, 0x00, 'A', 'B'));
	FEED(&f, P(0x13, 0x00), NONE);
	done(&f, 2, -EBADMSG, 0);
	/* Too long for a write request at this MTU. */
	uint8_t v[60];
	for (int i = 0; i < 60; i++)
		v[i] = (uint8_t)i;
	ASK(&f, R( .type = GATT_PROC_WRITE, .id = 3, .handle = 0x19,
					   .value = v, .len = 21 ),
	    NONE);
	done(&f, 3, -EMSGSIZE, 0);

	/* Long write: 18 + 12 bytes at MTU 23, each part echoed. */
	ASK(&f, R( .type = GATT_PROC_WRITE_LONG, .id = 4, .handle = 0x19,
					   .value = v, .len = 30 ),
	    P(0x16, 0x19, 0x00, 0x00, 0x00, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17));
	FEED(&f, P(0x17, 0x19, 0x00, 0x00, 0x00, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17),
	     P(0x16, 0x19, 0x00, 0x12, 0x00, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29));
	FEED(&f, P(0x17, 0x19, 0x00, 0x12, 0x00, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29),
	     P(0x18, 0x01));
	no_events(&f);
	FEED(&f, P(0x19), NONE);
	done(&f, 4, 0, 0);
	/* An echo that differs: the queue is cancelled, then the failure. */
	ASK(&f, R( .type = GATT_PROC_WRITE_LONG, .id = 5, .handle = 0x19,
					   .value = v, .len = 2 ),
	    P(0x16, 0x19, 0x00, 0x00, 0x00, 0, 1));
	FEED(&f, P(0x17, 0x19, 0x00, 0x00, 0x00, 0, 2), P(0x18, 0x00));
	no_events(&f);
	FEED(&f, P(0x19), NONE);
	done(&f, 5, -EBADMSG, 0);
	/* A part refused after another was queued: cancelled, the code reported. */
	ASK(&f, R( .type = GATT_PROC_WRITE_LONG, .id = 6, .handle = 0x19,
					   .value = v, .len = 20 ),
	    P(0x16, 0x19, 0x00, 0x00, 0x00, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17));
	FEED(&f, P(0x17, 0x19, 0x00, 0x00, 0x00, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17),
	     P(0x16, 0x19, 0x00, 0x12, 0x00, 18, 19));
	FEED(&f, P(0x01, 0x16, 0x19, 0x00, 0x09), P(0x18, 0x00));
	FEED(&f, P(0x19), NONE);
	done(&f, 6, 0, ATT_ECODE_PREPARE_QUEUE_FULL);
	/* The first part refused: nothing to cancel. */
	ASK(&f, R( .type = GATT_PROC_WRITE_LONG, .id = 7, .handle = 0x19,
					   .value = v, .len = 2 ),
	    P(0x16, 0x19, 0x00, 0x00, 0x00, 0, 1));
	FEED(&f, P(0x01, 0x16, 0x19, 0x00, 0x03), NONE);
	done(&f, 7, 0, ATT_ECODE_WRITE_NOT_PERMITTED);
	/* Execute refused. */
	ASK(&f, R( .type = GATT_PROC_WRITE_LONG, .id = 8, .handle = 0x19,
					   .value = v, .len = 1 ),
	    P(0x16, 0x19, 0x00, 0x00, 0x00, 0));
	FEED(&f, P(0x17, 0x19, 0x00, 0x00, 0x00, 0), P(0x18, 0x01));
	FEED(&f, P(0x01, 0x18, 0x00, 0x00, 0x0d), NONE);
	done(&f, 8, 0, ATT_ECODE_INVALID_ATTRIBUTE_VALUE_LENGTH);

	/* Commands end at once. */
	ASK(&f, R( .type = GATT_PROC_WRITE_COMMAND, .id = 9, .handle = 0x19,
					   .value = (const uint8_t *)"A", .len = 1 ),
	    P(0x52, 0x19, 0x00, 'A'));
	done(&f, 9, 0, 0);
	ASK(&f, R( .type = GATT_PROC_SIGNED_WRITE, .id = 10, .handle = 0x19,
					   .value = (const uint8_t *)"A", .len = 1 ),
	    P(0xd2, 0x19, 0x00, 'A', 0xa0, 0xa1, 0xa2, 0xa3, 0xa4, 0xa5, 0xa6, 0xa7, 0xa8, 0xa9, 0xaa,
	      0xab));
	done(&f, 10, 0, 0);
	cr_assert_eq(f.sign_calls, 1);
	ASK(&f, R( .type = GATT_PROC_SIGNED_WRITE, .id = 11, .handle = 0x19,
					   .value = v, .len = 9 ),
	    NONE);
	done(&f, 11, -EMSGSIZE, 0);
	cr_assert_eq(gatt_client_request(f.c, 1,
					 R( .type = GATT_PROC_WRITE_LONG,
								    .handle = 0x19, .value = v,
								    .len = 10, .offset = 510 ),
					 0, &f.out),
		     -EMSGSIZE);
	fx_fini(&f);

	/* Without a signing key signed writes are refused up front. */
	struct gatt_client *c;
	cr_assert_eq(gatt_client_new(&c, NULL), 0);
	gatt_client_connect(c, 1);
	cr_assert_eq(gatt_client_request(c, 1,
					 R( .type = GATT_PROC_SIGNED_WRITE,
								    .handle = 3, .value = v,
								    .len = 1 ),
					 0, &f.out),
		     -ENOKEY);
	gatt_client_destroy(&c);
}

Test(gatt_client, subscribe_and_notifications)
{
	struct fx f;
	fx_init(&f);
	/* The CCCD known. */
	ASK(&f, R( .type = GATT_PROC_SUBSCRIBE, .id = 1, .handle = 0x14,
					   .cccd = 0x15 ),
	    P(0x12, 0x15, 0x00, 0x01, 0x00));
	FEED(&f, P(0x13), NONE);
	cr_assert_eq(done(&f, 1, 0, 0)->value_handle, 0x15);
	/* Found after the value, before the next declaration. */
	ASK(&f, R( .type = GATT_PROC_SUBSCRIBE, .id = 2, .handle = 0x19,
					   .indicate = true ),
	    P(0x04, 0x1a, 0x00, 0xff, 0xff));
	FEED(&f, P(0x05, 0x01, 0x1a, 0x00, 0x00, 0x29, 0x1b, 0x00, 0x02, 0x29),
	     P(0x12, 0x1b, 0x00, 0x02, 0x00));
	FEED(&f, P(0x13), NONE);
	cr_assert_eq(done(&f, 2, 0, 0)->value_handle, 0x1b);
	ASK(&f, R( .type = GATT_PROC_UNSUBSCRIBE, .id = 3, .handle = 0x19 ),
	    P(0x04, 0x1a, 0x00, 0xff, 0xff));
	FEED(&f, P(0x05, 0x01, 0x1a, 0x00, 0x00, 0x29), P(0x04, 0x1b, 0x00, 0xff, 0xff));
	FEED(&f, P(0x05, 0x01, 0x1b, 0x00, 0x02, 0x29), P(0x12, 0x1b, 0x00, 0x00, 0x00));
	FEED(&f, P(0x13), NONE);
	done(&f, 3, 0, 0);
	/* No CCCD: the next characteristic comes first, or nothing at all. */
	ASK(&f, R( .type = GATT_PROC_SUBSCRIBE, .id = 4, .handle = 0x1d ),
	    P(0x04, 0x1e, 0x00, 0xff, 0xff));
	FEED(&f, P(0x05, 0x01, 0x1e, 0x00, 0x03, 0x28), NONE);
	done(&f, 4, -ENOENT, 0);
	ASK(&f, R( .type = GATT_PROC_SUBSCRIBE, .id = 5, .handle = 0x1d ),
	    P(0x04, 0x1e, 0x00, 0xff, 0xff));
	FEED(&f, P(0x01, 0x04, 0x1e, 0x00, 0x0a), NONE);
	done(&f, 5, -ENOENT, 0);
	/* The CCCD write refused. */
	ASK(&f, R( .type = GATT_PROC_SUBSCRIBE, .id = 6, .handle = 0x14,
					   .cccd = 0x15, .indicate = true ),
	    P(0x12, 0x15, 0x00, 0x02, 0x00));
	FEED(&f, P(0x01, 0x12, 0x15, 0x00, 0x13), NONE);
	done(&f, 6, 0, ATT_ECODE_VALUE_NOT_ALLOWED);

	/* Notifications, indications (confirmed), multiple notifications. */
	FEED(&f, P(0x1b, 0x14, 0x00, 0x63), NONE);
	cr_assert_eq(f.out.n_events, 1);
	const struct gatt_client_event *e = ev_at(&f, 0);
	cr_assert_eq(e->type, GATT_CEV_NOTIFICATION);
	cr_assert_eq(e->handle, 0x14);
	cr_assert_eq(e->len, 1);
	cr_assert_eq(e->value[0], 0x63);
	FEED(&f, P(0x1d, 0x19, 0x00, 'x', 'y'), P(0x1e));
	cr_assert_eq(ev_at(&f, 0)->type, GATT_CEV_INDICATION);
	cr_assert_eq(ev_at(&f, 0)->len, 2);
	FEED(&f, P(0x23, 0x14, 0x00, 0x01, 0x00, 0x07, 0x19, 0x00, 0x00, 0x00), NONE);
	cr_assert_eq(f.out.n_events, 2);
	cr_assert_eq(ev_at(&f, 1)->handle, 0x19);
	cr_assert_eq(ev_at(&f, 1)->len, 0);
	/* Malformed ones are dropped with -EBADMSG. */
	gatt_client_outbox_reset(&f.out);
	cr_assert_eq(gatt_client_on_pdu(f.c, 1, P(0x1b, 0x14), 0, &f.out), -EBADMSG);
	cr_assert_eq(gatt_client_on_pdu(f.c, 1, P(0x23, 0x14, 0x00, 0x05, 0x00, 0x07), 0, &f.out),
		     -EBADMSG);
	no_events(&f);
	cr_assert_eq(f.out.n_pdus, 0);
	/* A notification between a request and its response changes nothing. */
	ASK(&f, R( .type = GATT_PROC_READ, .id = 7, .handle = 3 ),
	    P(0x0a, 0x03, 0x00));
	FEED(&f, P(0x1b, 0x14, 0x00, 0x63), NONE);
	cr_assert_eq(ev_at(&f, 0)->id, 0);
	FEED(&f, P(0x0b, 0x01), NONE);
	done(&f, 7, 0, 0);
	fx_fini(&f);
}

Test(gatt_client, one_request_at_a_time)
{
	struct fx f;
	fx_init(&f);
	ASK(&f, R( .type = GATT_PROC_READ, .id = 1, .handle = 3 ),
	    P(0x0a, 0x03, 0x00));
	ASK(&f, R( .type = GATT_PROC_READ, .id = 2, .handle = 5 ), NONE);
	ASK(&f, R( .type = GATT_PROC_WRITE_COMMAND, .id = 3, .handle = 5,
					   .value = (const uint8_t *)"z", .len = 1 ),
	    NONE);
	ASK(&f, R( .type = GATT_PROC_READ, .id = 4, .handle = 7 ), NONE);
	/* The answer to the first starts the second. */
	FEED(&f, P(0x0b, 0x01), P(0x0a, 0x05, 0x00));
	done(&f, 1, 0, 0);
	/* The second's answer: the command goes and ends, then the fourth. */
	gatt_client_outbox_reset(&f.out);
	cr_assert_eq(gatt_client_on_pdu(f.c, 1, P(0x0b, 0x02), 0, &f.out), 0);
	cr_assert_eq(f.out.n_pdus, 2);
	cr_assert_eq(f.out.pdus[0].pdu[0], ATT_WRITE_CMD);
	cr_assert_eq(f.out.pdus[1].pdu[0], ATT_READ_REQ);
	cr_assert_eq(f.out.n_events, 2);
	cr_assert_eq(ev_at(&f, 0)->id, 2);
	cr_assert_eq(ev_at(&f, 1)->id, 3);
	FEED(&f, P(0x0b, 0x04), NONE);
	done(&f, 4, 0, 0);
	/* The queue is bounded. */
	struct gatt_client_req r = { .type = GATT_PROC_READ, .handle = 3 };
	for (int i = 0; i < GATT_CLIENT_QUEUE_MAX; i++)
		cr_assert_eq(gatt_client_request(f.c, 1, &r, 0, &f.out), 0);
	cr_assert_eq(gatt_client_request(f.c, 1, &r, 0, &f.out), 0); /* one is in flight */
	cr_assert_eq(gatt_client_request(f.c, 1, &r, 0, &f.out), -ENOBUFS);
	cr_assert_eq(gatt_client_request(f.c, 2, &r, 0, &f.out), -ENOTCONN);
	/* Disconnection ends them all. */
	gatt_client_outbox_reset(&f.out);
	cr_assert_eq(gatt_client_disconnect(f.c, 1, &f.out), 0);
	cr_assert_eq(f.out.n_events, GATT_CLIENT_QUEUE_MAX + 1);
	for (unsigned i = 0; i < f.out.n_events; i++)
		cr_assert_eq(f.out.events[i].err, -ENOTCONN);
	cr_assert_eq(gatt_client_disconnect(f.c, 1, &f.out), -ENOENT);
	fx_fini(&f);
}

Test(gatt_client, transaction_timeout)
{
	struct fx f;
	fx_init(&f);
	f.now = 1000;
	ASK(&f, R( .type = GATT_PROC_READ, .id = 1, .handle = 3 ),
	    P(0x0a, 0x03, 0x00));
	ASK(&f, R( .type = GATT_PROC_READ, .id = 2, .handle = 3 ), NONE);
	cr_assert_eq(gatt_client_next_deadline(f.c), 31000);
	gatt_client_outbox_reset(&f.out);
	gatt_client_tick(f.c, 30999, &f.out);
	no_events(&f);
	gatt_client_tick(f.c, 31000, &f.out);
	cr_assert_eq(f.out.n_events, 2);
	cr_assert_eq(ev_at(&f, 0)->id, 1);
	cr_assert_eq(ev_at(&f, 0)->err, -ETIMEDOUT);
	cr_assert_eq(ev_at(&f, 1)->id, 2);
	cr_assert_eq(ev_at(&f, 1)->err, -ENOTCONN);
	cr_assert_eq(f.out.n_pdus, 0);
	cr_assert_eq(gatt_client_next_deadline(f.c), UINT64_MAX);
	/* The bearer is dead until the link goes. */
	cr_assert_eq(gatt_client_request(f.c, 1,
					 R( .type = GATT_PROC_READ,
								    .handle = 3 ),
					 0, &f.out),
		     -ENOTCONN);
	cr_assert_eq(gatt_client_on_pdu(f.c, 1, P(0x0b, 0x01), 0, &f.out), -EPROTO);
	cr_assert_eq(gatt_client_disconnect(f.c, 1, &f.out), 0);
	cr_assert_eq(gatt_client_connect(f.c, 1), 0);
	fx_fini(&f);
}

/* ---- the client against the real server ----------------------------------------- */

static const char *db_json =
	"{\"gap\": {\"device_name\": \"client-test\"},"
	" \"services\": ["
	" {\"uuid\": \"180f\", \"id\": \"bat\", \"characteristics\": ["
	"   {\"uuid\": \"2a19\", \"properties\": [\"read\", \"notify\"], \"permissions\": [\"read\"],"
	"    \"value\": \"64\"}]},"
	" {\"uuid\": \"12345678-1234-5678-1234-56789abcdef0\", \"includes\": [\"bat\"],"
	"  \"characteristics\": ["
	"   {\"uuid\": \"2a3d\", \"properties\": [\"read\", \"write\", \"notify\", \"indicate\"],"
	"    \"extended_properties\": [\"reliable_write\"], \"permissions\": [\"read\", \"write\"],"
	"    \"max_length\": 512, \"value_text\": \"0123456789abcdefghijklmnopqrstuvwxyzABCD\"},"
	"   {\"uuid\": \"abcdef01-2345-6789-abcd-ef0123456789\", \"properties\": [\"read\"],"
	"    \"permissions\": [\"read\"], \"value\": \"aa\","
	"    \"descriptors\": [{\"uuid\": \"2901\", \"permissions\": [\"read\"], \"value_text\": \"x\"}]}]},"
	" {\"uuid\": \"abcdef01-2345-6789-abcd-ef01234567ff\", \"includes\": [\"bat\"],"
	"  \"characteristics\": ["
	"   {\"uuid\": \"2a40\", \"properties\": [\"write\"], \"permissions\": [\"write\"],"
	"    \"value\": \"00\"}]},"
	" {\"uuid\": \"1811\", \"primary\": false, \"id\": \"sec\", \"characteristics\": ["
	"   {\"uuid\": \"2a41\", \"properties\": [\"read\"], \"permissions\": [\"read\"], \"value\": \"07\"}]},"
	" {\"uuid\": \"1812\", \"includes\": [\"sec\"]}"
	"]}";

struct wire {
	struct gatt_db *db;
	struct gatt_server *s;
	struct gatt_client *c;
	struct att_outbox sout;
	struct gatt_client_outbox cout;
	/* Every client event of the run, values copied. */
	unsigned n;
	struct gatt_client_event ev[600];
	uint8_t values[600][ATT_MAX_VALUE_LEN];
};

static void wire_init(struct wire *w, uint16_t server_mtu)
{
	char err[256] = "";
	memset(w, 0, sizeof *w);
	cr_assert_eq(gatt_db_load_json_string(&w->db, db_json, "test", err, sizeof err), 0, "%s",
		     err);
	struct gatt_server_config sc = { .mtu = server_mtu, .prepare_entries = 15 };
	cr_assert_eq(gatt_server_new(&w->s, w->db, &sc), 0);
	cr_assert_eq(gatt_client_new(&w->c, NULL), 0);
	cr_assert_eq(gatt_server_connect(w->s, 1), 0);
	cr_assert_eq(gatt_client_connect(w->c, 1), 0);
}

static void wire_fini(struct wire *w)
{
	gatt_client_destroy(&w->c);
	gatt_server_destroy(&w->s);
	gatt_db_destroy(&w->db);
}

static void keep_events(struct wire *w)
{
	for (unsigned i = 0; i < w->cout.n_events; i++) {
		cr_assert_lt(w->n, 600);
		w->ev[w->n] = w->cout.events[i];
		if (w->ev[w->n].value) {
			memcpy(w->values[w->n], w->ev[w->n].value, w->ev[w->n].len);
			w->ev[w->n].value = w->values[w->n];
		}
		w->n++;
	}
}

/* Runs one procedure to its DONE over the in-process link; returns it. */
static const struct gatt_client_event *run(struct wire *w, const struct gatt_client_req *r)
{
	unsigned first = w->n;
	gatt_client_outbox_reset(&w->cout);
	cr_assert_eq(gatt_client_request(w->c, 1, r, 0, &w->cout), 0);
	for (int rounds = 0; rounds < 2000; rounds++) {
		keep_events(w);
		if (w->n > first && w->ev[w->n - 1].type == GATT_CEV_DONE)
			return &w->ev[w->n - 1];
		cr_assert_eq(w->cout.n_pdus, 1, "the client sent %u PDUs", w->cout.n_pdus);
		att_outbox_reset(&w->sout);
		cr_assert_eq(gatt_server_on_pdu(w->s, 1, w->cout.pdus[0].pdu, w->cout.pdus[0].len,
						&w->sout),
			     0);
		for (unsigned i = 0; i < w->sout.n_events; i++)
			if (w->sout.events[i].type == GATT_EV_MTU)
				gatt_client_set_mtu(w->c, 1, w->sout.events[i].value);
		cr_assert_eq(w->sout.n_pdus, 1);
		gatt_client_outbox_reset(&w->cout);
		cr_assert_eq(gatt_client_on_pdu(w->c, 1, w->sout.pdus[0].pdu, w->sout.pdus[0].len, 0,
						&w->cout),
			     0);
	}
	cr_assert_fail("the procedure never ended");
	return NULL;
}

static void exchange(struct wire *w, uint16_t mtu)
{
	const struct gatt_client_event *d =
		run(w, R( .type = GATT_PROC_EXCHANGE_MTU, .mtu = mtu ));
	cr_assert_eq(d->err, 0);
	/* Both ends of the bearer agree. */
	cr_assert_eq(gatt_client_mtu(w->c, 1), gatt_server_mtu(w->s, 1));
	gatt_server_set_mtu(w->s, 1, gatt_client_mtu(w->c, 1));
}

static struct att_uuid value_uuid(const struct gatt_attr *a)
{
	struct att_uuid u;
	struct rd r = rd_init(a->value, a->len);
	att_uuid_read(&r, a->len, &u);
	return u;
}

static void discovery_matches(uint16_t mtu)
{
	static struct wire w;
	wire_init(&w, 517);
	if (mtu != 23)
		exchange(&w, mtu);
	cr_assert_eq(gatt_client_mtu(w.c, 1), mtu);
	/* Primary services. */
	unsigned from = w.n;
	const struct gatt_client_event *d =
		run(&w, R( .type = GATT_PROC_DISCOVER_SERVICES, .id = 1 ));
	cr_assert_eq(d->err, 0);
	cr_assert_eq(d->att_error, 0);
	unsigned k = from;
	size_t n_services = 0;
	for (size_t i = 0; i < gatt_db_count(w.db); i++) {
		const struct gatt_attr *a = gatt_db_at(w.db, i);
		if (!att_uuid_is(&a->type, GATT_PRIMARY_SERVICE_UUID))
			continue;
		n_services++;
		const struct gatt_client_event *e = &w.ev[k++];
		cr_assert_eq(e->type, GATT_CEV_SERVICE);
		cr_assert_eq(e->handle, a->handle);
		cr_assert_eq(e->end, a->end_group);
		struct att_uuid u = value_uuid(a);
		cr_assert(att_uuid_eq(&e->uuid, &u));
	}
	cr_assert_eq(n_services, 6);
	cr_assert_eq(k + 1, w.n, "%u events for %u services", w.n - from - 1, k - from);

	/* By UUID. */
	struct gatt_client_req r = { .type = GATT_PROC_DISCOVER_SERVICES_BY_UUID, .id = 2,
				     .uuid = att_uuid16(0x180f) };
	from = w.n;
	cr_assert_eq(run(&w, &r)->err, 0);
	cr_assert_eq(w.n - from, 2);
	cr_assert_eq(w.ev[from].handle, 0x12);

	/* Characteristics of the whole database, then included services and
	 * descriptors of every service. */
	from = w.n;
	cr_assert_eq(run(&w, R( .type = GATT_PROC_DISCOVER_CHARACTERISTICS ))
			     ->err,
		     0);
	k = from;
	for (size_t i = 0; i < gatt_db_count(w.db); i++) {
		const struct gatt_attr *a = gatt_db_at(w.db, i);
		if (!att_uuid_is(&a->type, GATT_CHARACTERISTIC_UUID))
			continue;
		const struct gatt_client_event *e = &w.ev[k++];
		cr_assert_eq(e->type, GATT_CEV_CHARACTERISTIC);
		cr_assert_eq(e->handle, a->handle);
		cr_assert_eq(e->value_handle, a->char_value);
		cr_assert_eq(e->props, a->props);
		const struct gatt_attr *v = gatt_db_get(w.db, a->char_value);
		cr_assert(att_uuid_eq(&e->uuid, &v->type));
	}
	cr_assert_eq(k + 1, w.n);

	from = w.n;
	cr_assert_eq(run(&w, R( .type = GATT_PROC_FIND_INCLUDED ))->err, 0);
	unsigned n_inc = 0;
	for (size_t i = 0; i < gatt_db_count(w.db); i++) {
		const struct gatt_attr *a = gatt_db_at(w.db, i);
		if (!att_uuid_is(&a->type, GATT_INCLUDE_UUID))
			continue;
		const struct gatt_client_event *e = &w.ev[from + n_inc++];
		const struct gatt_attr *s = gatt_db_get(w.db, a->include_of);
		struct att_uuid u = value_uuid(s);
		cr_assert_eq(e->type, GATT_CEV_INCLUDE);
		cr_assert_eq(e->handle, a->handle);
		cr_assert_eq(e->start, s->handle);
		cr_assert_eq(e->end, s->end_group);
		cr_assert(att_uuid_eq(&e->uuid, &u));
	}
	cr_assert_eq(n_inc, 3);
	cr_assert_eq(from + n_inc + 1, w.n);

	/* Find Information over everything lists every attribute. */
	from = w.n;
	cr_assert_eq(run(&w, R( .type = GATT_PROC_DISCOVER_DESCRIPTORS ))
			     ->err,
		     0);
	cr_assert_eq(w.n - from - 1, gatt_db_count(w.db));
	for (size_t i = 0; i < gatt_db_count(w.db); i++) {
		const struct gatt_attr *a = gatt_db_at(w.db, i);
		cr_assert_eq(w.ev[from + i].handle, a->handle);
		cr_assert(att_uuid_eq(&w.ev[from + i].uuid, &a->type));
	}
	/* Read by UUID finds the battery level. */
	from = w.n;
	r = (struct gatt_client_req){ .type = GATT_PROC_READ_BY_UUID, .uuid = att_uuid16(0x2a19) };
	cr_assert_eq(run(&w, &r)->err, 0);
	cr_assert_eq(w.n - from, 2);
	cr_assert_eq(w.ev[from].len, 1);
	cr_assert_eq(w.ev[from].value[0], 0x64);
	wire_fini(&w);
}

Test(gatt_client_server, discovery_matches_the_database_mtu_23)
{
	discovery_matches(23);
}

Test(gatt_client_server, discovery_matches_the_database_mtu_64)
{
	discovery_matches(64);
}

Test(gatt_client_server, discovery_matches_the_database_mtu_517)
{
	discovery_matches(517);
}

Test(gatt_client_server, long_reads_and_writes_across_mtus)
{
	static const uint16_t mtus[] = { 23, 24, 48, 100, 185, 247, 512, 517 };
	static const size_t lens[] = { 1, 18, 19, 21, 22, 23, 40, 44, 100, 255, 511, 512 };
	static struct wire w;
	for (size_t m = 0; m < sizeof mtus / sizeof mtus[0]; m++) {
		wire_init(&w, 517);
		if (mtus[m] != 23)
			exchange(&w, mtus[m]);
		cr_assert_eq(gatt_client_mtu(w.c, 1), mtus[m]);
		uint16_t h = 0x19; /* the 2a3d value, up to 512 bytes */
		cr_assert(att_uuid_is(&gatt_db_get(w.db, h)->type, 0x2a3d));
		for (size_t l = 0; l < sizeof lens / sizeof lens[0]; l++) {
			uint8_t v[512];
			for (size_t i = 0; i < lens[l]; i++)
				v[i] = (uint8_t)(i * 7 + m + l);
			const struct gatt_client_event *d = run(
				&w, R( .type = GATT_PROC_WRITE_LONG,
							       .handle = h, .value = v,
							       .len = lens[l] ));
			cr_assert_eq(d->err, 0, "mtu %u len %zu: %s", mtus[m], lens[l], d->error);
			/* More parts than the server queues: refused and cancelled. */
			size_t parts = (lens[l] + mtus[m] - 6u) / (mtus[m] - 5u);
			if (parts > 15) {
				cr_assert_eq(d->att_error, ATT_ECODE_PREPARE_QUEUE_FULL);
				continue;
			}
			cr_assert_eq(d->att_error, 0, "mtu %u len %zu: att 0x%02x", mtus[m], lens[l],
				     d->att_error);
			const struct gatt_attr *a = gatt_db_get(w.db, h);
			cr_assert_eq(a->len, lens[l]);
			cr_assert_eq(memcmp(a->value, v, lens[l]), 0);
			d = run(&w, R( .type = GATT_PROC_READ_LONG,
								.handle = h ));
			cr_assert_eq(d->err, 0, "mtu %u len %zu: %s", mtus[m], lens[l], d->error);
			cr_assert_eq(d->len, lens[l], "mtu %u: read %u of %zu", mtus[m], d->len,
				     lens[l]);
			cr_assert_eq(memcmp(d->value, v, lens[l]), 0);
			/* A plain read gets the first MTU-1 bytes. */
			d = run(&w, R( .type = GATT_PROC_READ, .handle = h ));
			size_t want = lens[l] < mtus[m] - 1u ? lens[l] : mtus[m] - 1u;
			cr_assert_eq(d->len, want);
			/* From an offset. */
			if (lens[l] > 10) {
				d = run(&w, R( .type = GATT_PROC_READ_LONG,
									.handle = h, .offset = 10 ));
				cr_assert_eq(d->err, 0);
				cr_assert_eq(d->len, lens[l] - 10, "mtu %u len %zu got %u", mtus[m], lens[l], d->len);
				cr_assert_eq(memcmp(d->value, v + 10, lens[l] - 10), 0);
			}
			/* A short write where it fits. */
			if (lens[l] <= mtus[m] - 3u) {
				v[0] ^= 0xff;
				d = run(&w, R( .type = GATT_PROC_WRITE,
									.handle = h, .value = v,
									.len = lens[l] ));
				cr_assert_eq(d->err, 0);
				cr_assert_eq(gatt_db_get(w.db, h)->value[0], v[0]);
			}
		}
		/* The write-only characteristic refuses reads; the 2-byte
		 * multiple read works. */
		const struct gatt_client_event *d = run(
			&w, R( .type = GATT_PROC_READ_LONG, .handle = 0x22 ));
		cr_assert_eq(d->att_error, ATT_ECODE_READ_NOT_PERMITTED, "0x%02x", d->att_error);
		const uint16_t hs[] = { 0x14, 0x1d };
		d = run(&w, R( .type = GATT_PROC_READ_MULTIPLE, .handles = hs,
							.n_handles = 2 ));
		cr_assert_eq(d->err, 0);
		cr_assert_eq(d->len, 2);
		wire_fini(&w);
	}
}

Test(gatt_client_server, subscribe_then_notified)
{
	static struct wire w;
	wire_init(&w, 517);
	const struct gatt_client_event *d = run(
		&w, R( .type = GATT_PROC_SUBSCRIBE, .handle = 0x19,
					       .indicate = true ));
	cr_assert_eq(d->err, 0, "%s", d->error ? d->error : "");
	cr_assert_eq(d->value_handle, 0x1b);
	cr_assert_eq(gatt_server_cccd(w.s, 1, 0x19), GATT_CCC_INDICATE);
	/* The server indicates; the client reports and confirms. */
	att_outbox_reset(&w.sout);
	cr_assert_eq(gatt_server_set_value(w.s, 0x19, (const uint8_t *)"hey", 3, &w.sout), 1);
	cr_assert_eq(w.sout.n_pdus, 1);
	gatt_client_outbox_reset(&w.cout);
	cr_assert_eq(gatt_client_on_pdu(w.c, 1, w.sout.pdus[0].pdu, w.sout.pdus[0].len, 0, &w.cout),
		     0);
	cr_assert_eq(w.cout.n_events, 1);
	cr_assert_eq(w.cout.events[0].type, GATT_CEV_INDICATION);
	cr_assert_eq(w.cout.events[0].len, 3);
	cr_assert_eq(w.cout.n_pdus, 1);
	cr_assert(gatt_server_indication_pending(w.s, 1));
	att_outbox_reset(&w.sout);
	gatt_server_on_pdu(w.s, 1, w.cout.pdus[0].pdu, w.cout.pdus[0].len, &w.sout);
	cr_assert_not(gatt_server_indication_pending(w.s, 1));
	d = run(&w, R( .type = GATT_PROC_UNSUBSCRIBE, .handle = 0x19 ));
	cr_assert_eq(d->err, 0);
	cr_assert_eq(gatt_server_cccd(w.s, 1, 0x19), 0);
	/* A characteristic without notify has no CCCD. */
	d = run(&w, R( .type = GATT_PROC_SUBSCRIBE, .handle = 0x1d ));
	cr_assert_eq(d->err, -ENOENT);
	wire_fini(&w);
}
