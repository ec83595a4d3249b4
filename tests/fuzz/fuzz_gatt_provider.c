/* libFuzzer target: peers' ATT PDUs into a GATT server whose values are
 * partly provided by an app (gatt_provider.h) and whose database changes
 * under robust caching (gatt_robust.c). The input is a list of operations
 * [op][len][bytes]: a PDU on connection 1 or 2, the app's answer to the
 * question waiting on a connection (an error code or a value from the
 * bytes), a late answer, a service added or removed, a reconnect. Every
 * PDU the server sends must decode and fit the bearer's MTU; an input gets
 * at most one response. */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "../../actors/gatt/gatt_provider.h"

static const char *db_json =
	"{\"services\": ["
	" {\"uuid\": \"180f\", \"characteristics\": ["
	"   {\"uuid\": \"2a19\", \"properties\": [\"read\", \"notify\"], \"permissions\": [\"read\"],"
	"    \"value\": \"64\"}]},"
	" {\"uuid\": \"1234\", \"characteristics\": ["
	"   {\"uuid\": \"2a3d\", \"properties\": [\"read\", \"write\", \"write_without_response\"],"
	"    \"permissions\": [\"read\", \"write\"], \"max_length\": 100, \"value\": \"00\"},"
	"   {\"uuid\": \"2a3e\", \"properties\": [\"read\", \"write\"], \"permissions\": [\"read\", \"write\"],"
	"    \"value\": \"01\", \"descriptors\": [{\"uuid\": \"2901\", \"permissions\": [\"read\", \"write\"],"
	"    \"value_text\": \"d\", \"max_length\": 20}]}]}"
	"]}";

static void check_out(struct gatt_server *s, const struct att_outbox *out)
{
	for (unsigned i = 0; i < out->n_pdus; i++) {
		struct att_pdu p;
		const struct att_out_pdu *o = &out->pdus[i];
		if (o->len == 0 || o->len > gatt_server_mtu(s, o->conn) ||
		    att_decode(o->pdu, o->len, &p) != 0)
			__builtin_trap();
	}
}

/* The token of the question conn waits on, 0 when none. */
static uint32_t waiting(struct gatt_server *s, uint16_t conn)
{
	uint8_t op;
	uint16_t h;
	uint32_t t;
	return gatt_server_provider_pending(s, conn, &op, &h, &t) ? t : 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct gatt_db *db;
	struct gatt_server *s;
	static struct att_outbox out; /* big; the fuzzer's only state */
	char err[256];
	if (gatt_db_load_json_string(&db, db_json, "fuzz", err, sizeof err) < 0)
		__builtin_trap();
	if (gatt_server_new(&s, db, NULL) < 0)
		__builtin_trap();
	gatt_server_connect(s, 1);
	gatt_server_connect(s, 2);
	gatt_server_set_provided(s, 0x14, true);
	gatt_server_set_provided(s, 0x18, true);
	gatt_server_set_provided(s, 0x1b, true);
	uint32_t last_token = 0;
	while (size >= 2) {
		uint8_t op = data[0];
		size_t len = data[1];
		data += 2;
		size -= 2;
		if (len > size)
			len = size;
		uint16_t conn = op & 0x80 ? 2 : 1;
		att_outbox_reset(&out);
		switch (op & 0x7) {
		default: {
			int rc = gatt_server_on_pdu(s, conn, data, len, &out);
			if (rc < 0 && rc != -ENOTCONN)
				__builtin_trap();
			if (out.n_pdus > 1)
				__builtin_trap();
			check_out(s, &out);
			break;
		}
		case 3: { /* the app answers */
			uint32_t t = waiting(s, conn);
			uint8_t code = len && (op & 0x08) ? data[0] : 0;
			int rc = gatt_server_provider_answer(s, conn, t, code, data, len, &out);
			if (t && rc < 0)
				__builtin_trap();
			if (!t && rc != -ENOENT)
				__builtin_trap();
			if (out.n_pdus > 1)
				__builtin_trap();
			check_out(s, &out);
			last_token = t ? t : last_token;
			break;
		}
		case 4: /* a late answer: refused, nothing sent */
			if (last_token && last_token != waiting(s, conn) &&
			    (gatt_server_provider_answer(s, conn, last_token, 0, data, len, &out) !=
				     -ENOENT ||
			     out.n_pdus))
				__builtin_trap();
			break;
		case 5: { /* the database changes */
			uint16_t end = 0;
			int h;
			if (op & 0x08) {
				struct gatt_char_def c = { .uuid = att_uuid16(0x2a56),
							   .props = GATT_PROP_READ | GATT_PROP_WRITE,
							   .perm = GATT_PERM_READ | GATT_PERM_WRITE,
							   .value = data, .len = len < 50 ? len : 50,
							   .max_len = 50 };
				struct att_uuid u = att_uuid16(0x1815);
				h = gatt_db_append_service(db, &u, &c, 1, &end);
			} else {
				h = (int)(gatt_db_count(db) > 0x1b ? 0x1c : 0);
				if (h && gatt_db_remove_service(db, (uint16_t)h, &end) < 0)
					h = 0;
			}
			if (h > 0) {
				gatt_server_db_changed(s, (uint16_t)h, end, &out);
				check_out(s, &out);
			}
			break;
		}
		case 6:
			gatt_server_indication_timeout(s, conn);
			break;
		case 7:
			gatt_server_disconnect(s, conn);
			gatt_server_connect(s, conn);
			break;
		}
		data += len;
		size -= len;
	}
	gatt_server_destroy(&s);
	gatt_db_destroy(&db);
	return 0;
}
