/* libFuzzer target: a GATT record (as smp hands it back from the bond
 * store, see actors/gatt/gatt_bond.h) applied to a connection. A record is
 * applied whole or not at all: when it is refused no CCCD changed; when
 * accepted, the record made again from the connection decodes too. */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "../../actors/gatt/gatt_bond.h"

static const char *db_json =
	"{\"services\": [{\"uuid\": \"180d\", \"characteristics\": ["
	" {\"uuid\": \"2a37\", \"properties\": [\"notify\"], \"permissions\": [], \"value\": \"00\"},"
	" {\"uuid\": \"2a38\", \"properties\": [\"read\", \"indicate\"], \"permissions\": [\"read\"],"
	"  \"value\": \"01\"}]}]}";

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct gatt_db *db;
	struct gatt_server *s;
	struct gatt_bonds b;
	char err[256];
	uint8_t rec[GATT_BOND_RECORD_MAX];
	if (gatt_db_load_json_string(&db, db_json, "fuzz", err, sizeof err) < 0)
		__builtin_trap();
	if (gatt_server_new(&s, db, NULL) < 0 || gatt_server_connect(s, 1) < 0 ||
	    gatt_server_connect(s, 2) < 0)
		__builtin_trap();
	gatt_bonds_init(&b, db, s);
	/* Inputs starting with 0x01 get the right hash, so the fuzzer reaches
	 * the pairs. */
	uint8_t in[GATT_BOND_RECORD_MAX + 64];
	size_t n = size < sizeof in ? size : sizeof in;
	memcpy(in, data, n);
	if (n >= 17 && in[0] == 1)
		memcpy(in + 1, gatt_db_hash(db), 16);
	int rc = gatt_bond_record_apply(&b, 1, in, n);
	int made = gatt_bond_record(&b, 1, rec, sizeof rec);
	if (made < 0)
		__builtin_trap();
	if (rc < 0 && made != 19)
		__builtin_trap(); /* refused, yet something was applied */
	if (rc >= 0 && gatt_bond_record_apply(&b, 2, rec, (size_t)made) < 0)
		__builtin_trap();
	struct gatt_bond_addr a = { 0 };
	struct gatt_bond_keys k = { 0 };
	gatt_bond_attach(&b, 2, &a, &a, &k, in, n);
	gatt_server_destroy(&s);
	gatt_db_destroy(&db);
	return 0;
}
