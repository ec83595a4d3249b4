/* Robust caching, the server's side, as PDU scripts: a client that
 * enabled it becomes change-unaware when a service is added or removed at
 * runtime; its requests get Database Out Of Sync until it reads the
 * Database Hash, confirms Service Changed, or asks again after being told;
 * its commands are ignored meanwhile. Plus the runtime changes of the
 * database themselves (handles, groups, hash). */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "../../actors/gatt/gatt_actor.h"
#include "../../actors/gatt/gatt_server.h"

#define P(...) (const uint8_t[]){ __VA_ARGS__ }, sizeof((const uint8_t[]){ __VA_ARGS__ })
#define NONE NULL, 0

/* GAP 0x01-0x07 (name 0x03), GATT 0x08-0x11 (Service Changed 0x0a, its
 * CCCD 0x0b, Client Supported Features 0x0d, Database Hash 0x0f), Battery
 * 0x12-0x15 (level 0x14), a service 0x16-0x18 (writable 0x18). */
static const char *db_json =
	"{\"services\": ["
	" {\"uuid\": \"180f\", \"characteristics\": ["
	"   {\"uuid\": \"2a19\", \"properties\": [\"read\", \"notify\"], \"permissions\": [\"read\"],"
	"    \"value\": \"64\"}]},"
	" {\"uuid\": \"1234\", \"characteristics\": ["
	"   {\"uuid\": \"2a3d\", \"properties\": [\"read\", \"write_without_response\"],"
	"    \"permissions\": [\"read\", \"write\"], \"value\": \"00\"}]}"
	"]}";

struct fx {
	struct gatt_db *db;
	struct gatt_server *s;
	struct att_outbox out;
};

static void hex(char *buf, size_t cap, const uint8_t *p, size_t n)
{
	size_t at = 0;
	buf[0] = 0;
	for (size_t i = 0; i < n && at + 4 < cap; i++)
		at += (size_t)snprintf(buf + at, cap - at, "%02x ", p[i]);
}

static void expect_pdu(struct fx *f, uint16_t conn, const uint8_t *want, size_t wn, int line)
{
	if (!want) {
		cr_assert_eq(f->out.n_pdus, 0, "line %d: %u PDUs out", line, f->out.n_pdus);
		return;
	}
	cr_assert_eq(f->out.n_pdus, 1, "line %d: %u PDUs out", line, f->out.n_pdus);
	const struct att_out_pdu *o = &f->out.pdus[0];
	char got[2048], exp[2048];
	hex(got, sizeof got, o->pdu, o->len);
	hex(exp, sizeof exp, want, wn);
	cr_assert(o->conn == conn && o->len == wn && !memcmp(o->pdu, want, wn),
		  "line %d: conn %u\n  got  %s\n  want %s", line, o->conn, got, exp);
}

static void step(struct fx *f, uint16_t conn, const uint8_t *in, size_t n, const uint8_t *want,
		 size_t wn, int line)
{
	att_outbox_reset(&f->out);
	cr_assert_eq(gatt_server_on_pdu(f->s, conn, in, n, &f->out), 0, "line %d", line);
	expect_pdu(f, conn, want, wn, line);
}
#define X(f, conn, ...) step((f), (conn), __VA_ARGS__, __LINE__)

/* conn 1 enabled robust caching and subscribed to Service Changed; conn 2
 * did neither. */
static void fx_init(struct fx *f)
{
	char err[256] = "";
	memset(f, 0, sizeof *f);
	cr_assert_eq(gatt_db_load_json_string(&f->db, db_json, "test", err, sizeof err), 0, "%s",
		     err);
	cr_assert_eq(gatt_server_new(&f->s, f->db, NULL), 0);
	cr_assert_eq(gatt_server_connect(f->s, 1), 0);
	cr_assert_eq(gatt_server_connect(f->s, 2), 0);
	X(f, 1, P(0x12, 0x0d, 0x00, 0x01), P(0x13));
	X(f, 1, P(0x12, 0x0b, 0x00, 0x02, 0x00), P(0x13));
	cr_assert(gatt_server_change_aware(f->s, 1));
}

static void fx_fini(struct fx *f)
{
	gatt_server_destroy(&f->s);
	gatt_db_destroy(&f->db);
}

/* Adds a service 0x1815 (0x19-0x1b, value 0x1b) and tells the server. */
static void add_service(struct fx *f)
{
	static const uint8_t v = 0x42;
	struct gatt_char_def c = { .uuid = att_uuid16(0x2a56), .props = GATT_PROP_READ,
				   .perm = GATT_PERM_READ, .value = &v, .len = 1 };
	uint16_t end = 0;
	struct att_uuid svc = att_uuid16(0x1815);
	cr_assert_eq(gatt_db_append_service(f->db, &svc, &c, 1, &end), 0x19);
	cr_assert_eq(end, 0x1b);
	att_outbox_reset(&f->out);
	cr_assert_eq(gatt_server_db_changed(f->s, 0x19, 0x1b, &f->out), 1);
	/* Service Changed indicated to the subscriber. */
	expect_pdu(f, 1, P(0x1d, 0x0a, 0x00, 0x19, 0x00, 0x1b, 0x00), __LINE__);
	cr_assert_not(gatt_server_change_aware(f->s, 1));
	cr_assert(gatt_server_change_aware(f->s, 2));
}

Test(gatt_robust, out_of_sync_until_told_then_served)
{
	struct fx f;
	fx_init(&f);
	add_service(&f);
	/* A command is ignored while change-unaware. */
	X(&f, 1, P(0x52, 0x18, 0x00, 0x77), NONE);
	cr_assert_eq(gatt_db_get(f.db, 0x18)->value[0], 0x00);
	/* The first request: Database Out Of Sync. */
	X(&f, 1, P(0x0a, 0x03, 0x00), P(0x01, 0x0a, 0x00, 0x00, 0x12));
	cr_assert_not(gatt_server_change_aware(f.s, 1));
	/* Told: the next request is served (Vol 3 Part G 2.5.2.1). */
	X(&f, 1, P(0x0a, 0x1b, 0x00), P(0x0b, 0x42));
	cr_assert(gatt_server_change_aware(f.s, 1));
	X(&f, 1, P(0x52, 0x18, 0x00, 0x77), NONE);
	cr_assert_eq(gatt_db_get(f.db, 0x18)->value[0], 0x77);
	/* A client without robust caching is never refused. */
	X(&f, 2, P(0x0a, 0x03, 0x00), P(0x0b, 'h', 'i', 'v', 'e'));
	fx_fini(&f);
}

Test(gatt_robust, reading_the_database_hash_makes_aware)
{
	struct fx f;
	fx_init(&f);
	add_service(&f);
	const uint8_t *h = gatt_db_hash(f.db);
	uint8_t want[20] = { 0x09, 0x12, 0x0f, 0x00 };
	memcpy(want + 4, h, 16);
	X(&f, 1, P(0x08, 0x01, 0x00, 0xff, 0xff, 0x2a, 0x2b), want, sizeof want);
	cr_assert(gatt_server_change_aware(f.s, 1));
	X(&f, 1, P(0x0a, 0x03, 0x00), P(0x0b, 'h', 'i', 'v', 'e'));
	X(&f, 1, P(0x1e), NONE); /* the indication confirmed, late */

	/* Removed again: the hash read by handle works the same. */
	uint16_t end;
	cr_assert_eq(gatt_db_remove_service(f.db, 0x19, &end), 0);
	att_outbox_reset(&f.out);
	cr_assert_eq(gatt_server_db_changed(f.s, 0x19, end, &f.out), 1);
	expect_pdu(&f, 1, P(0x1d, 0x0a, 0x00, 0x19, 0x00, 0x1b, 0x00), __LINE__);
	cr_assert_not(gatt_server_change_aware(f.s, 1));
	memcpy(want + 4, gatt_db_hash(f.db), 16);
	uint8_t rsp[17] = { 0x0b };
	memcpy(rsp + 1, want + 4, 16);
	X(&f, 1, P(0x0a, 0x0f, 0x00), rsp, sizeof rsp);
	cr_assert(gatt_server_change_aware(f.s, 1));
	X(&f, 1, P(0x1e), NONE);
	/* Exchange MTU is served, but does not make a client aware. */
	add_service(&f);
	X(&f, 1, P(0x02, 0x17, 0x00), P(0x03, 0x05, 0x02));
	cr_assert_not(gatt_server_change_aware(f.s, 1));
	fx_fini(&f);
}

Test(gatt_robust, confirming_service_changed_makes_aware)
{
	struct fx f;
	fx_init(&f);
	add_service(&f);
	X(&f, 1, P(0x1e), NONE);
	cr_assert(gatt_server_change_aware(f.s, 1));
	X(&f, 1, P(0x0a, 0x1b, 0x00), P(0x0b, 0x42));
	fx_fini(&f);
}

Test(gatt_robust, runtime_changes_keep_handles_and_recompute_the_hash)
{
	struct fx f;
	fx_init(&f);
	uint8_t before[16];
	memcpy(before, gatt_db_hash(f.db), 16);
	uint16_t end;
	struct gatt_char_def ntf = { .uuid = att_uuid16(0x2a57),
				     .props = GATT_PROP_READ | GATT_PROP_NOTIFY,
				     .perm = GATT_PERM_READ, .len = 0 };
	struct att_uuid svc = att_uuid16(0x1816);
	cr_assert_eq(gatt_db_append_service(f.db, &svc, &ntf, 1, &end), -ENOTSUP);
	cr_assert_eq(memcmp(before, gatt_db_hash(f.db), 16), 0);
	add_service(&f);
	cr_assert_neq(memcmp(before, gatt_db_hash(f.db), 16), 0, "the hash did not change");
	/* The service before it now ends where it did; the new one is a group. */
	cr_assert_eq(gatt_db_get(f.db, 0x16)->end_group, 0x18);
	cr_assert_eq(gatt_db_get(f.db, 0x19)->end_group, 0x1b);
	X(&f, 2, P(0x10, 0x01, 0x00, 0xff, 0xff, 0x00, 0x28),
	  P(0x11, 0x06, 0x01, 0x00, 0x07, 0x00, 0x00, 0x18, 0x08, 0x00, 0x11, 0x00, 0x01, 0x18,
	    0x12, 0x00, 0x15, 0x00, 0x0f, 0x18));
	X(&f, 2, P(0x10, 0x16, 0x00, 0xff, 0xff, 0x00, 0x28),
	  P(0x11, 0x06, 0x16, 0x00, 0x18, 0x00, 0x34, 0x12, 0x19, 0x00, 0x1b, 0x00, 0x15, 0x18));
	cr_assert_eq(gatt_db_remove_service(f.db, 0x01, &end), -EPERM);
	cr_assert_eq(gatt_db_remove_service(f.db, 0x08, &end), -EPERM);
	cr_assert_eq(gatt_db_remove_service(f.db, 0x16, &end), -EBUSY); /* not the last */
	cr_assert_eq(gatt_db_remove_service(f.db, 0x1a, &end), -ENOENT); /* not a service */
	cr_assert_eq(gatt_db_remove_service(f.db, 0x19, &end), 0);
	cr_assert_eq(end, 0x1b);
	cr_assert_eq(gatt_db_count(f.db), 0x18);
	cr_assert_eq(memcmp(before, gatt_db_hash(f.db), 16), 0, "the hash is not the old one");
	X(&f, 2, P(0x0a, 0x1b, 0x00), P(0x01, 0x0a, 0x1b, 0x00, 0x01));
	fx_fini(&f);
}

/* A restarted gatt resumes each client's robust caching state and the
 * value providers from its snapshot. */
Test(gatt_robust, the_snapshot_keeps_robust_caching_and_providers)
{
	struct gatt_actor a, b;
	char err[256];
	static uint8_t snap[8192];
	cr_assert_eq(gatt_actor_init(&a, NULL, "snap", err, sizeof err), 0, "%s", err);
	cr_assert_eq(gatt_actor_connected(&a, 0x40), 0);
	cr_assert_eq(gatt_actor_on_att(&a, 0x40, (const uint8_t[]){ 0x12, 0x0d, 0x00, 0x01 }, 4, 1),
		     0);
	cr_assert_eq(gatt_providers_register(&a.providers, a.server, a.db, "app", 0x03, false), 0);
	static const uint8_t v = 1;
	struct gatt_char_def c = { .uuid = att_uuid16(0x2a56), .props = GATT_PROP_READ,
				   .perm = GATT_PERM_READ, .value = &v, .len = 1 };
	struct att_uuid u = att_uuid16(0x1815);
	uint16_t end;
	int h = gatt_db_append_service(a.db, &u, &c, 1, &end);
	cr_assert_gt(h, 0);
	gatt_actor_reset_outboxes(&a);
	gatt_server_db_changed(a.server, (uint16_t)h, end, &a.sout);
	cr_assert_not(gatt_server_change_aware(a.server, 0x40));
	int n = gatt_actor_snapshot(&a, snap, sizeof snap);
	cr_assert_gt(n, 0);
	gatt_actor_fini(&a);

	cr_assert_eq(gatt_actor_init(&b, NULL, "snap", err, sizeof err), 0, "%s", err);
	cr_assert_eq(gatt_actor_restore(&b, snap, (size_t)n), 0);
	cr_assert_not(gatt_server_change_aware(b.server, 0x40));
	uint8_t features, state;
	cr_assert(gatt_server_robust_state(b.server, 0x40, &features, &state));
	cr_assert_eq(features, GATT_CLIENT_FEAT_ROBUST_CACHING);
	cr_assert_str_eq(gatt_providers_name(&b.providers, 0x03), "app");
	cr_assert(gatt_db_get(b.db, 0x03)->provided);
	/* The first request after the restart is still told. */
	gatt_actor_reset_outboxes(&b);
	cr_assert_eq(gatt_actor_on_att(&b, 0x40, (const uint8_t[]){ 0x0a, 0x05, 0x00 }, 3, 2), 0);
	cr_assert_eq(b.sout.n_pdus, 1);
	cr_assert_eq(b.sout.pdus[0].len, 5);
	cr_assert_eq(b.sout.pdus[0].pdu[4], ATT_ECODE_DATABASE_OUT_OF_SYNC);
	gatt_actor_fini(&b);
}
