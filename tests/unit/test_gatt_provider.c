/* App value providers as PDU scripts: request bytes in, the ask the app
 * gets (event), the app's answer in, exact response bytes out; reads,
 * long reads, reads by type and multiple, writes, commands, queued writes,
 * the app's errors, a request while one waits, late answers; then the
 * actor's registry: registration, timeouts, Undeliverable. */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "../../actors/gatt/gatt_provider.h"

#define P(...) (const uint8_t[]){ __VA_ARGS__ }, sizeof((const uint8_t[]){ __VA_ARGS__ })

/* GAP 0x01-0x07 (name 0x03 "hive"), GATT 0x08-0x11 (CCCD 0x0b, Database
 * Hash 0x0f), Battery 0x12-0x15 (level 0x14, CCCD 0x15), a service
 * 0x16-0x1b: a long writable value 0x18 (max 100), a writable value 0x1a
 * with a user description 0x1b. */
static const char *db_json =
	"{\"services\": ["
	" {\"uuid\": \"180f\", \"characteristics\": ["
	"   {\"uuid\": \"2a19\", \"properties\": [\"read\", \"notify\"], \"permissions\": [\"read\"],"
	"    \"value\": \"64\"}]},"
	" {\"uuid\": \"1234\", \"characteristics\": ["
	"   {\"uuid\": \"2a3d\", \"properties\": [\"read\", \"write\", \"write_without_response\"],"
	"    \"permissions\": [\"read\", \"write\"], \"max_length\": 100, \"value\": \"00\"},"
	"   {\"uuid\": \"2a3e\", \"properties\": [\"read\", \"write\"], \"permissions\": [\"read\", \"write\"],"
	"    \"value\": \"01\", \"descriptors\": [{\"uuid\": \"2901\", \"permissions\": [\"read\"],"
	"    \"value_text\": \"d\"}]}]}"
	"]}";

#define LONG40 "0123456789abcdefghijklmnopqrstuvwxyzABCD"

struct fx {
	struct gatt_db *db;
	struct gatt_server *s;
	struct att_outbox out;
};

static void fx_init(struct fx *f)
{
	char err[256] = "";
	memset(f, 0, sizeof *f);
	cr_assert_eq(gatt_db_load_json_string(&f->db, db_json, "test", err, sizeof err), 0, "%s",
		     err);
	cr_assert_eq(gatt_server_new(&f->s, f->db, NULL), 0);
	cr_assert_eq(gatt_server_connect(f->s, 1), 0);
}

static void fx_fini(struct fx *f)
{
	gatt_server_destroy(&f->s);
	gatt_db_destroy(&f->db);
}

static void hex(char *buf, size_t cap, const uint8_t *p, size_t n)
{
	size_t at = 0;
	buf[0] = 0;
	for (size_t i = 0; i < n && at + 4 < cap; i++)
		at += (size_t)snprintf(buf + at, cap - at, "%02x ", p[i]);
}

static void expect_pdu(struct fx *f, const uint8_t *want, size_t wn, int line)
{
	if (!want) {
		cr_assert_eq(f->out.n_pdus, 0, "line %d: %u PDUs out, none expected", line,
			     f->out.n_pdus);
		return;
	}
	cr_assert_eq(f->out.n_pdus, 1, "line %d: %u PDUs out", line, f->out.n_pdus);
	const struct att_out_pdu *o = &f->out.pdus[0];
	char got[2048], exp[2048];
	hex(got, sizeof got, o->pdu, o->len);
	hex(exp, sizeof exp, want, wn);
	cr_assert(o->conn == 1 && o->len == wn && !memcmp(o->pdu, want, wn),
		  "line %d:\n  got  %s\n  want %s", line, got, exp);
}

/* These bytes in; exactly this PDU out (NULL: none). */
static void step(struct fx *f, const uint8_t *in, size_t n, const uint8_t *want, size_t wn,
		 int line)
{
	att_outbox_reset(&f->out);
	cr_assert_eq(gatt_server_on_pdu(f->s, 1, in, n, &f->out), 0, "line %d", line);
	expect_pdu(f, want, wn, line);
}
#define X(f, ...) step((f), __VA_ARGS__, __LINE__)
#define NONE NULL, 0

/* The one ask in the outbox: its kind, handle and offset; its token. */
static uint32_t asked(struct fx *f, enum gatt_event_type type, uint16_t handle, uint16_t offset,
		      int line)
{
	cr_assert_eq(f->out.n_events, 1, "line %d: %u events", line, f->out.n_events);
	const struct gatt_event *e = &f->out.events[0];
	cr_assert(e->type == type && e->conn == 1 && e->handle == handle && e->value == offset,
		  "line %d: event %d conn %u handle 0x%04x offset %u", line, e->type, e->conn,
		  e->handle, e->value);
	cr_assert(type != GATT_EV_PROVIDER_WRITE || e->no_response || e->token,
		  "line %d: no token", line);
	return e->token;
}
#define ASKED(f, ...) asked((f), __VA_ARGS__, __LINE__)

/* The app's answer; exactly this PDU out. */
static void answer(struct fx *f, uint32_t token, uint8_t err, const void *v, size_t len,
		   const uint8_t *want, size_t wn, int line)
{
	att_outbox_reset(&f->out);
	int rc = gatt_server_provider_answer(f->s, 1, token, err, v, len, &f->out);
	cr_assert_eq(rc, 0, "line %d: answer rc %d", line, rc);
	expect_pdu(f, want, wn, line);
}
#define ANSWER(f, ...) answer((f), __VA_ARGS__, __LINE__)

Test(gatt_provider, only_plain_values_can_be_provided)
{
	struct fx f;
	fx_init(&f);
	cr_assert_eq(gatt_server_set_provided(f.s, 0x14, true), 0);
	cr_assert_eq(gatt_server_set_provided(f.s, 0x1b, true), 0); /* a descriptor */
	cr_assert_eq(gatt_server_set_provided(f.s, 0x15, true), -EINVAL); /* CCCD */
	cr_assert_eq(gatt_server_set_provided(f.s, 0x13, true), -EINVAL); /* declaration */
	cr_assert_eq(gatt_server_set_provided(f.s, 0x12, true), -EINVAL); /* service */
	cr_assert_eq(gatt_server_set_provided(f.s, 0x0f, true), -EINVAL); /* Database Hash */
	cr_assert_eq(gatt_server_set_provided(f.s, 0x0a, true), -EINVAL); /* Service Changed */
	cr_assert_eq(gatt_server_set_provided(f.s, 0x0d, true), -EINVAL); /* client features */
	cr_assert_eq(gatt_server_set_provided(f.s, 0x99, true), -ENOENT);
	fx_fini(&f);
}

Test(gatt_provider, read_is_answered_with_the_apps_value_or_error)
{
	struct fx f;
	fx_init(&f);
	cr_assert_eq(gatt_server_set_provided(f.s, 0x14, true), 0);
	X(&f, P(0x0a, 0x14, 0x00), NONE);
	uint32_t t = ASKED(&f, GATT_EV_PROVIDER_READ, 0x14, 0);
	/* One request at a time: a second is dropped while the app thinks. */
	X(&f, P(0x0a, 0x03, 0x00), NONE);
	cr_assert_eq(f.out.n_events, 0);
	uint8_t opcode;
	uint16_t handle;
	uint32_t tok;
	cr_assert(gatt_server_provider_pending(f.s, 1, &opcode, &handle, &tok));
	cr_assert(opcode == ATT_READ_REQ && handle == 0x14 && tok == t);
	cr_assert_eq(gatt_server_provider_answer(f.s, 1, t + 1, 0, (const uint8_t *)"x", 1, &f.out), -ENOENT);
	ANSWER(&f, t, 0, "\x55", 1, P(0x0b, 0x55));
	/* Late (a second answer to the same question): dropped. */
	cr_assert_eq(gatt_server_provider_answer(f.s, 1, t, 0, (const uint8_t *)"x", 1, &f.out), -ENOENT);
	cr_assert_not(gatt_server_provider_pending(f.s, 1, &opcode, &handle, &tok));
	/* Each read asks again; an application error reaches the peer. */
	X(&f, P(0x0a, 0x14, 0x00), NONE);
	t = ASKED(&f, GATT_EV_PROVIDER_READ, 0x14, 0);
	ANSWER(&f, t, 0x80, NULL, 0, P(0x01, 0x0a, 0x14, 0x00, 0x80));
	/* What the shell answers on a timeout. */
	X(&f, P(0x0a, 0x14, 0x00), NONE);
	t = ASKED(&f, GATT_EV_PROVIDER_READ, 0x14, 0);
	ANSWER(&f, t, ATT_ECODE_UNLIKELY_ERROR, NULL, 0, P(0x01, 0x0a, 0x14, 0x00, 0x0e));
	/* A value longer than MTU-1 is cut as any value is. */
	X(&f, P(0x0a, 0x14, 0x00), NONE);
	t = ASKED(&f, GATT_EV_PROVIDER_READ, 0x14, 0);
	ANSWER(&f, t, 0, LONG40, 40, P(0x0b, '0', '1', '2', '3', '4', '5', '6', '7', '8', '9', 'a',
				       'b', 'c', 'd', 'e', 'f', 'g', 'h', 'i', 'j', 'k', 'l'));
	/* What no app provides is served as before. */
	X(&f, P(0x0a, 0x15, 0x00), P(0x0b, 0x00, 0x00));
	fx_fini(&f);
}

Test(gatt_provider, read_blob_asks_with_the_offset_and_slices_the_value)
{
	struct fx f;
	fx_init(&f);
	cr_assert_eq(gatt_server_set_provided(f.s, 0x18, true), 0);
	X(&f, P(0x0c, 0x18, 0x00, 0x16, 0x00), NONE);
	uint32_t t = ASKED(&f, GATT_EV_PROVIDER_READ, 0x18, 22);
	ANSWER(&f, t, 0, LONG40, 40, P(0x0d, 'm', 'n', 'o', 'p', 'q', 'r', 's', 't', 'u', 'v', 'w',
				       'x', 'y', 'z', 'A', 'B', 'C', 'D'));
	X(&f, P(0x0c, 0x18, 0x00, 0x29, 0x00), NONE);
	t = ASKED(&f, GATT_EV_PROVIDER_READ, 0x18, 41);
	ANSWER(&f, t, 0, LONG40, 40, P(0x01, 0x0c, 0x18, 0x00, 0x07));
	X(&f, P(0x0c, 0x18, 0x00, 0x01, 0x00), NONE);
	t = ASKED(&f, GATT_EV_PROVIDER_READ, 0x18, 1);
	ANSWER(&f, t, 0, "ab", 2, P(0x01, 0x0c, 0x18, 0x00, 0x0b));
	fx_fini(&f);
}

Test(gatt_provider, read_by_type_and_read_multiple_fetch_each_provided_value)
{
	struct fx f;
	fx_init(&f);
	cr_assert_eq(gatt_server_set_provided(f.s, 0x14, true), 0);
	cr_assert_eq(gatt_server_set_provided(f.s, 0x1a, true), 0);
	/* Read By Type of the battery level. */
	X(&f, P(0x08, 0x01, 0x00, 0xff, 0xff, 0x19, 0x2a), NONE);
	uint32_t t = ASKED(&f, GATT_EV_PROVIDER_READ, 0x14, 0);
	ANSWER(&f, t, 0, "\x42", 1, P(0x09, 0x03, 0x14, 0x00, 0x42));
	/* Read Multiple: the name (plain), then each provided value in turn. */
	X(&f, P(0x0e, 0x03, 0x00, 0x14, 0x00, 0x1a, 0x00), NONE);
	t = ASKED(&f, GATT_EV_PROVIDER_READ, 0x14, 0);
	ANSWER(&f, t, 0, "\x42", 1, NONE);
	t = ASKED(&f, GATT_EV_PROVIDER_READ, 0x1a, 0);
	ANSWER(&f, t, 0, "zz", 2, P(0x0f, 'h', 'i', 'v', 'e', 0x42, 'z', 'z'));
	/* Read Multiple Variable: an error from the second app. */
	X(&f, P(0x20, 0x14, 0x00, 0x1a, 0x00), NONE);
	t = ASKED(&f, GATT_EV_PROVIDER_READ, 0x14, 0);
	ANSWER(&f, t, 0, "\x42", 1, NONE);
	t = ASKED(&f, GATT_EV_PROVIDER_READ, 0x1a, 0);
	ANSWER(&f, t, 0x9f, NULL, 0, P(0x01, 0x20, 0x1a, 0x00, 0x9f));
	X(&f, P(0x20, 0x14, 0x00, 0x1a, 0x00), NONE);
	t = ASKED(&f, GATT_EV_PROVIDER_READ, 0x14, 0);
	ANSWER(&f, t, 0, "\x42", 1, NONE);
	t = ASKED(&f, GATT_EV_PROVIDER_READ, 0x1a, 0);
	ANSWER(&f, t, 0, "zz", 2, P(0x21, 0x01, 0x00, 0x42, 0x02, 0x00, 'z', 'z'));
	/* Read By Type of 2a3e-typed values: the app's value 0x1a. */
	X(&f, P(0x08, 0x16, 0x00, 0xff, 0xff, 0x3e, 0x2a), NONE);
	t = ASKED(&f, GATT_EV_PROVIDER_READ, 0x1a, 0);
	ANSWER(&f, t, 0, "q", 1, P(0x09, 0x03, 0x1a, 0x00, 'q'));
	fx_fini(&f);
}

Test(gatt_provider, writes_go_to_the_app_and_wait_for_its_answer)
{
	struct fx f;
	fx_init(&f);
	cr_assert_eq(gatt_server_set_provided(f.s, 0x18, true), 0);
	X(&f, P(0x12, 0x18, 0x00, 'a', 'b'), NONE);
	uint32_t t = ASKED(&f, GATT_EV_PROVIDER_WRITE, 0x18, 0);
	cr_assert_not(f.out.events[0].no_response);
	cr_assert(f.out.events[0].len == 2 && !memcmp(f.out.events[0].data, "ab", 2));
	ANSWER(&f, t, 0, NULL, 0, P(0x13));
	/* The database keeps what it had: the app owns the value. */
	X(&f, P(0x12, 0x18, 0x00, 'c'), NONE);
	t = ASKED(&f, GATT_EV_PROVIDER_WRITE, 0x18, 0);
	ANSWER(&f, t, 0x81, NULL, 0, P(0x01, 0x12, 0x18, 0x00, 0x81));
	cr_assert_eq(gatt_db_get(f.db, 0x18)->len, 1);
	cr_assert_eq(gatt_db_get(f.db, 0x18)->value[0], 0);
	/* Too long for the attribute: refused before the app is asked. */
	uint8_t big[104] = { 0x12, 0x18, 0x00 };
	att_outbox_reset(&f.out);
	cr_assert_eq(gatt_server_set_mtu(f.s, 1, 200), 0);
	cr_assert_eq(gatt_server_on_pdu(f.s, 1, big, sizeof big, &f.out), 0);
	cr_assert_eq(f.out.n_events, 0);
	expect_pdu(&f, P(0x01, 0x12, 0x18, 0x00, 0x0d), __LINE__);
	/* A command: handed over, nothing waits, the next request is served. */
	X(&f, P(0x52, 0x18, 0x00, 'x'), NONE);
	cr_assert_eq(f.out.n_events, 1);
	cr_assert(f.out.events[0].type == GATT_EV_PROVIDER_WRITE && f.out.events[0].no_response);
	cr_assert(f.out.events[0].len == 1 && f.out.events[0].data[0] == 'x');
	X(&f, P(0x0a, 0x03, 0x00), P(0x0b, 'h', 'i', 'v', 'e'));
	fx_fini(&f);
}

Test(gatt_provider, queued_writes_reach_the_app_whole_at_execute)
{
	struct fx f;
	fx_init(&f);
	cr_assert_eq(gatt_server_set_provided(f.s, 0x18, true), 0);
	X(&f, P(0x16, 0x18, 0x00, 0x00, 0x00, 'a', 'b'), P(0x17, 0x18, 0x00, 0x00, 0x00, 'a', 'b'));
	X(&f, P(0x16, 0x18, 0x00, 0x02, 0x00, 'c'), P(0x17, 0x18, 0x00, 0x02, 0x00, 'c'));
	X(&f, P(0x16, 0x1a, 0x00, 0x00, 0x00, 'k'), P(0x17, 0x1a, 0x00, 0x00, 0x00, 'k'));
	X(&f, P(0x18, 0x01), NONE);
	uint32_t t = ASKED(&f, GATT_EV_PROVIDER_WRITE, 0x18, 0);
	cr_assert(f.out.events[0].len == 3 && !memcmp(f.out.events[0].data, "abc", 3));
	ANSWER(&f, t, 0, NULL, 0, P(0x19));
	/* The plain value after it was written on the resumed execute. */
	cr_assert_eq(gatt_db_get(f.db, 0x1a)->value[0], 'k');
	/* An app that refuses: its error, and the queue is gone. */
	X(&f, P(0x16, 0x18, 0x00, 0x00, 0x00, 'z'), P(0x17, 0x18, 0x00, 0x00, 0x00, 'z'));
	X(&f, P(0x18, 0x01), NONE);
	t = ASKED(&f, GATT_EV_PROVIDER_WRITE, 0x18, 0);
	ANSWER(&f, t, 0x85, NULL, 0, P(0x01, 0x18, 0x18, 0x00, 0x85));
	X(&f, P(0x18, 0x01), P(0x19));
	/* A part at an offset: the app's current value is read first. */
	X(&f, P(0x16, 0x18, 0x00, 0x01, 0x00, 'Z'), P(0x17, 0x18, 0x00, 0x01, 0x00, 'Z'));
	X(&f, P(0x18, 0x01), NONE);
	t = ASKED(&f, GATT_EV_PROVIDER_READ, 0x18, 0);
	ANSWER(&f, t, 0, "abc", 3, NONE);
	t = ASKED(&f, GATT_EV_PROVIDER_WRITE, 0x18, 0);
	cr_assert(f.out.events[0].len == 2 && !memcmp(f.out.events[0].data, "aZ", 2));
	ANSWER(&f, t, 0, NULL, 0, P(0x19));
	fx_fini(&f);
}

Test(gatt_provider, a_link_that_goes_drops_the_question)
{
	struct fx f;
	fx_init(&f);
	cr_assert_eq(gatt_server_set_provided(f.s, 0x14, true), 0);
	X(&f, P(0x0a, 0x14, 0x00), NONE);
	uint32_t t = ASKED(&f, GATT_EV_PROVIDER_READ, 0x14, 0);
	cr_assert_eq(gatt_server_disconnect(f.s, 1), 0);
	cr_assert_eq(gatt_server_provider_answer(f.s, 1, t, 0, (const uint8_t *)"x", 1, &f.out), -ENOENT);
	/* A restarted actor answers what its predecessor left waiting. */
	cr_assert_eq(gatt_server_connect(f.s, 1), 0);
	att_outbox_reset(&f.out);
	cr_assert_eq(gatt_server_provider_abandoned(f.s, 1, ATT_READ_REQ, 0x14, &f.out), 0);
	expect_pdu(&f, P(0x01, 0x0a, 0x14, 0x00, 0x0e), __LINE__);
	cr_assert_eq(gatt_server_provider_abandoned(f.s, 1, ATT_READ_RSP, 0x14, &f.out), -EINVAL);
	cr_assert_eq(gatt_server_provider_abandoned(f.s, 5, ATT_READ_REQ, 0x14, &f.out), -ENOENT);
	fx_fini(&f);
}

/* ---- the actor's registry ------------------------------------------------------- */

Test(gatt_provider, registry_timeouts_and_undeliverable)
{
	struct fx f;
	fx_init(&f);
	struct gatt_providers p;
	gatt_providers_init(&p, 0);
	cr_assert_eq(p.timeout_ms, GATT_PROVIDER_TIMEOUT_MS);
	cr_assert_eq(gatt_providers_register(&p, f.s, f.db, "app", 0x14, false), 0);
	cr_assert(gatt_db_get(f.db, 0x14)->provided);
	cr_assert_str_eq(gatt_providers_name(&p, 0x14), "app");
	cr_assert_eq(gatt_providers_register(&p, f.s, f.db, "app", 0x15, false), -EINVAL);
	cr_assert_eq(gatt_providers_register(&p, f.s, f.db, "app", 0x77, false), -ENOENT);
	cr_assert_eq(gatt_providers_register(&p, f.s, f.db, "other", 0x14, true), -EPERM);
	/* Replaced by another app. */
	cr_assert_eq(gatt_providers_register(&p, f.s, f.db, "other", 0x14, false), 0);
	cr_assert_str_eq(gatt_providers_name(&p, 0x14), "other");

	/* A question that times out: the shell answers Unlikely Error. */
	X(&f, P(0x0a, 0x14, 0x00), NONE);
	uint32_t t = ASKED(&f, GATT_EV_PROVIDER_READ, 0x14, 0);
	cr_assert_eq(gatt_providers_asked(&p, 1, t, "other", 77, 1000), 0);
	uint32_t tok;
	uint16_t conn;
	cr_assert_not(gatt_providers_expired(&p, 1000 + GATT_PROVIDER_TIMEOUT_MS - 1, &tok, &conn));
	cr_assert(gatt_providers_expired(&p, 1000 + GATT_PROVIDER_TIMEOUT_MS, &tok, &conn));
	cr_assert(tok == t && conn == 1);
	ANSWER(&f, tok, ATT_ECODE_UNLIKELY_ERROR, NULL, 0, P(0x01, 0x0a, 0x14, 0x00, 0x0e));
	/* The late answer finds nothing. */
	cr_assert_eq(gatt_providers_take(&p, t, "other", &conn), -ENOENT);

	/* A question the broker could not deliver. */
	X(&f, P(0x0a, 0x14, 0x00), NONE);
	t = ASKED(&f, GATT_EV_PROVIDER_READ, 0x14, 0);
	cr_assert_eq(gatt_providers_asked(&p, 1, t, "other", 78, 2000), 0);
	cr_assert_not(gatt_providers_undeliverable(&p, 79, &tok, &conn));
	cr_assert(gatt_providers_undeliverable(&p, 78, &tok, &conn));
	cr_assert_eq(tok, t);

	/* An answer from the app asked, not from another. */
	cr_assert_eq(gatt_providers_asked(&p, 1, 99, "other", 80, 2000), 0);
	cr_assert_eq(gatt_providers_take(&p, 99, "app", &conn), -EPERM);
	cr_assert_eq(gatt_providers_take(&p, 99, "other", &conn), 0);
	gatt_providers_forget_conn(&p, 1);

	cr_assert_eq(gatt_providers_register(&p, f.s, f.db, "other", 0x14, true), 0);
	cr_assert_null(gatt_providers_name(&p, 0x14));
	/* Registrations of removed attributes go with them. */
	cr_assert_eq(gatt_providers_register(&p, f.s, f.db, "app", 0x18, false), 0);
	cr_assert_eq(gatt_providers_register(&p, f.s, f.db, "app", 0x1b, false), 0);
	gatt_providers_drop_range(&p, 0x16, 0x1a);
	cr_assert_null(gatt_providers_name(&p, 0x18));
	cr_assert_str_eq(gatt_providers_name(&p, 0x1b), "app");
	cr_assert_not(gatt_db_get(f.db, 0x14)->provided);
	fx_fini(&f);
}
