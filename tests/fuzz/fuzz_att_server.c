/* libFuzzer target: ATT PDUs into the GATT server with a sample database.
 * The input is a list of operations [op][len][bytes]: a PDU on connection
 * 1 or 2, a security change, a local value update with notifications, an
 * indication timeout, a reconnect. Every PDU the server sends must decode
 * and fit the bearer's MTU; every request gets exactly one answer. */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "../../actors/gatt/gatt_server.h"

static const char *db_json =
	"{\"services\": ["
	" {\"uuid\": \"180f\", \"id\": \"bat\", \"characteristics\": ["
	"   {\"uuid\": \"2a19\", \"properties\": [\"read\", \"notify\"], \"permissions\": [\"read\"],"
	"    \"value\": \"64\"}]},"
	" {\"uuid\": \"12345678-1234-5678-1234-56789abcdef0\", \"includes\": [\"bat\"],"
	"  \"characteristics\": ["
	"   {\"uuid\": \"2a3d\", \"properties\": [\"read\", \"write\", \"write_without_response\","
	"     \"notify\", \"indicate\", \"authenticated_signed_writes\"],"
	"    \"extended_properties\": [\"reliable_write\"], \"permissions\": [\"read\", \"write\"],"
	"    \"max_length\": 512, \"value_text\": \"0123456789abcdefghijklmnopqrstuvwxyzABCD\"},"
	"   {\"uuid\": \"2a3e\", \"properties\": [\"read\", \"write\"],"
	"    \"permissions\": [\"read\", \"read_encrypted\", \"write\", \"write_authenticated\"],"
	"    \"min_key_size\": 16, \"value\": \"0102\"},"
	"   {\"uuid\": \"2a40\", \"properties\": [\"write\"], \"permissions\": [\"write\"],"
	"    \"value\": \"00\", \"fixed_length\": true,"
	"    \"descriptors\": [{\"uuid\": \"2901\", \"permissions\": [\"read\"], \"value_text\": \"wo\"}]}]},"
	" {\"uuid\": \"1811\", \"primary\": false, \"characteristics\": ["
	"   {\"uuid\": \"abcdef01-2345-6789-abcd-ef0123456789\", \"properties\": [\"read\"],"
	"    \"permissions\": [\"read\"], \"value\": \"aa\"}]}"
	"]}";

static bool verify(void *arg, uint16_t conn, const uint8_t *pdu, size_t len)
{
	return len & 1;
}

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

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct gatt_db *db;
	struct gatt_server *s;
	static struct att_outbox out; /* big; the fuzzer's only state */
	char err[256];
	if (gatt_db_load_json_string(&db, db_json, "fuzz", err, sizeof err) < 0)
		__builtin_trap();
	struct gatt_server_config cfg = { .verify_signed = verify };
	if (gatt_server_new(&s, db, &cfg) < 0)
		__builtin_trap();
	gatt_server_connect(s, 1);
	gatt_server_connect(s, 2);
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
			enum att_kind k = len ? att_opcode_kind(data[0]) : ATT_CMD;
			if (rc == 0 && k == ATT_REQ && out.n_pdus > 1)
				__builtin_trap();
			check_out(s, &out);
			break;
		}
		case 4: {
			struct gatt_security sec = { .encrypted = op & 0x08, .authenticated = op & 0x10,
						     .authorized = op & 0x20, .has_ltk = op & 0x40,
						     .key_size = (uint8_t)(7 + len % 10) };
			gatt_server_set_security(s, conn, &sec);
			break;
		}
		case 5:
			gatt_server_set_value(s, (uint16_t)(len % 40), data, len, &out);
			check_out(s, &out);
			break;
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
