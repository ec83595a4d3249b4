/* The attribute database: the Database Hash of the verified vector
 * database (read from the shared vector file at test time), the fixed GAP
 * and GATT services, deterministic handles, the JSON loader and its errors
 * naming the file and the key. */
#include <criterion/criterion.h>
#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../../actors/gatt/gatt_db.h"

static int unhex(const char *s, uint8_t *out, size_t cap)
{
	size_t n = strlen(s);
	if (n % 2 || n / 2 > cap)
		return -1;
	for (size_t i = 0; i < n / 2; i++) {
		unsigned v;
		if (sscanf(s + 2 * i, "%2x", &v) != 1)
			return -1;
		out[i] = (uint8_t)v;
	}
	return (int)(n / 2);
}

/* ../shared/vectors/ relative to /work/main, else $HIVE_VECTORS_DIR. */
static json_t *load_vector(const char *name)
{
	char path[512];
	json_error_t e;
	snprintf(path, sizeof path, "../shared/vectors/%s", name);
	if (access(path, R_OK) != 0 && getenv("HIVE_VECTORS_DIR"))
		snprintf(path, sizeof path, "%s/%s", getenv("HIVE_VECTORS_DIR"), name);
	json_t *root = json_load_file(path, 0, &e);
	cr_assert_not_null(root, "cannot read %s: %s (set HIVE_VECTORS_DIR)", path, e.text);
	return root;
}

/* The vector's database: GAP with Device Name "Bumble" and Appearance,
 * GATT with Service Changed, CCCD, Client Supported Features, Hash. */
static void check_against_vector(struct gatt_db *db)
{
	json_t *root = load_vector("gatt-database-hash.json");
	json_t *attrs = json_object_get(root, "database"), *a;
	size_t i;
	cr_assert_eq(gatt_db_count(db), json_array_size(attrs));
	json_array_foreach(attrs, i, a) {
		const struct gatt_attr *g = gatt_db_at(db, i);
		uint8_t type[2], value[64];
		cr_assert_eq(g->handle, json_integer_value(json_object_get(a, "handle")));
		cr_assert_eq(unhex(json_string_value(json_object_get(a, "type")), type, 2), 2);
		/* The vector writes types big-endian ("2800"). */
		cr_assert_eq(g->type.len, 2);
		cr_assert_eq(g->type.b[0], type[1], "handle %u", g->handle);
		cr_assert_eq(g->type.b[1], type[0], "handle %u", g->handle);
		int n = unhex(json_string_value(json_object_get(a, "value")), value, sizeof value);
		cr_assert_geq(n, 0);
		if (att_uuid_is(&g->type, GATT_DB_HASH_UUID) ||
		    att_uuid_is(&g->type, GATT_SERVICE_CHANGED_UUID))
			continue; /* values the vector leaves out */
		cr_assert_eq(g->len, n, "handle %u", g->handle);
		cr_assert_arr_eq(g->value, value, (size_t)n, "handle %u", g->handle);
	}
	uint8_t want[16];
	cr_assert_eq(unhex(json_string_value(json_object_get(root, "hash")), want, 16), 16);
	cr_assert_arr_eq(gatt_db_hash(db), want, 16);
	uint8_t again[16];
	cr_assert_eq(gatt_db_compute_hash(db, again), 0);
	cr_assert_arr_eq(again, want, 16);
	/* A Read of the hash characteristic gives the same 16 bytes. */
	const struct gatt_attr *h = gatt_db_at(db, 12);
	cr_assert(att_uuid_is(&h->type, GATT_DB_HASH_UUID));
	cr_assert_eq(h->len, 16);
	cr_assert_arr_eq(h->value, want, 16);
	json_decref(root);
}

Test(gatt_db, vector_database_hash_from_api)
{
	struct gatt_db *db;
	struct gatt_db_config cfg = { .device_name = "Bumble", .no_ppcp = true,
				      .no_server_features = true };
	cr_assert_eq(gatt_db_new(&db, &cfg), 0);
	cr_assert_eq(gatt_db_finish(db), 0);
	check_against_vector(db);
	gatt_db_destroy(&db);
	cr_assert_null(db);
	gatt_db_destroy(&db);
}

Test(gatt_db, vector_database_hash_from_json)
{
	struct gatt_db *db;
	char err[256] = "";
	const char *j = "{\"gap\": {\"device_name\": \"Bumble\", \"ppcp\": false},"
			" \"gatt\": {\"server_supported_features\": false}}";
	cr_assert_eq(gatt_db_load_json_string(&db, j, "vector.json", err, sizeof err), 0, "%s", err);
	check_against_vector(db);
	gatt_db_destroy(&db);
}

Test(gatt_db, aes_cmac_rfc4493)
{
	/* RFC 4493 example 2 (16-byte message). */
	static const uint8_t key[16] = { 0x2b, 0x7e, 0x15, 0x16, 0x28, 0xae, 0xd2, 0xa6,
					 0xab, 0xf7, 0x15, 0x88, 0x09, 0xcf, 0x4f, 0x3c };
	static const uint8_t msg[16] = { 0x6b, 0xc1, 0xbe, 0xe2, 0x2e, 0x40, 0x9f, 0x96,
					 0xe9, 0x3d, 0x7e, 0x11, 0x73, 0x93, 0x17, 0x2a };
	static const uint8_t want[16] = { 0x07, 0x0a, 0x16, 0xb4, 0x6b, 0x4d, 0x41, 0x44,
					  0xf7, 0x9b, 0xdd, 0x9d, 0xd0, 0x4a, 0x28, 0x7c };
	uint8_t out[16];
	cr_assert_eq(gatt_aes_cmac(key, msg, 16, out), 0);
	cr_assert_arr_eq(out, want, 16);
}

Test(gatt_db, default_services_first_with_fixed_handles)
{
	struct gatt_db *db;
	cr_assert_eq(gatt_db_new(&db, NULL), 0);
	cr_assert_eq(gatt_db_finish(db), 0);
	cr_assert_eq(gatt_db_count(db), 17);
	static const uint16_t types[17] = { 0x2800, 0x2803, 0x2a00, 0x2803, 0x2a01, 0x2803, 0x2a04,
					    0x2800, 0x2803, 0x2a05, 0x2902, 0x2803, 0x2b29, 0x2803,
					    0x2b2a, 0x2803, 0x2b3a };
	for (int i = 0; i < 17; i++)
		cr_assert(att_uuid_is(&gatt_db_at(db, (size_t)i)->type, types[i]), "handle %d", i + 1);
	cr_assert_eq(gatt_db_at(db, 0)->end_group, 7);
	cr_assert_eq(gatt_db_at(db, 7)->end_group, 17);
	cr_assert_eq(gatt_db_service_changed_handle(db), 10);
	cr_assert_eq(gatt_db_cccd_of(db, 10), 11);
	cr_assert_eq(gatt_db_cccd_count(db), 1);
	static const uint8_t sc_decl[] = { 0x20, 0x0a, 0x00, 0x05, 0x2a };
	cr_assert_arr_eq(gatt_db_at(db, 8)->value, sc_decl, 5);
	cr_assert_eq(gatt_db_at(db, 9)->perm, 0); /* Service Changed: indicate only */
	cr_assert_eq(gatt_db_at(db, 2)->len, 4);
	cr_assert_arr_eq(gatt_db_at(db, 2)->value, "hive", 4);
	/* Finished means finished. */
	cr_assert_eq(gatt_db_add_service(db, &(struct att_uuid){ .len = 2 }, true), -EBUSY);
	cr_assert_eq(gatt_db_finish(db), -EBUSY);
	gatt_db_destroy(&db);
}

Test(gatt_db, api_services_includes_descriptors)
{
	struct gatt_db *db;
	cr_assert_eq(gatt_db_new(&db, &(struct gatt_db_config){ .no_ppcp = true }), 0);
	struct att_uuid bas = att_uuid16(0x180f);
	cr_assert_eq(gatt_db_add_include(db, 1), -EPROTO); /* in GATT after its chars */
	int s1 = gatt_db_add_service(db, &bas, true);
	cr_assert_eq(s1, 16);
	struct gatt_char_def c = { .uuid = att_uuid16(0x2a19), .props = GATT_PROP_READ |
				   GATT_PROP_NOTIFY, .perm = GATT_PERM_READ,
				   .value = (const uint8_t[]){ 0x64 }, .len = 1 };
	cr_assert_eq(gatt_db_add_characteristic(db, &c), 18);
	cr_assert_eq(gatt_db_cccd_of(db, 18), 19);
	struct att_uuid cccd = att_uuid16(0x2902);
	cr_assert_eq(gatt_db_add_descriptor(db, &cccd, 3, 0, NULL, 0, 2), -EEXIST);
	struct att_uuid u128 = { .len = 16, .b = { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13,
						   14, 15, 16 } };
	int s2 = gatt_db_add_service(db, &u128, false);
	cr_assert_eq(s2, 20);
	cr_assert_eq(gatt_db_add_include(db, 20), -EINVAL); /* itself */
	cr_assert_eq(gatt_db_add_include(db, 18), -EINVAL); /* not a service */
	cr_assert_eq(gatt_db_add_include(db, (uint16_t)s1), 21);
	c = (struct gatt_char_def){ .uuid = u128, .props = GATT_PROP_WRITE, .ext_props = 1,
				    .perm = GATT_PERM_WRITE, .max_len = 600 };
	cr_assert_eq(gatt_db_add_characteristic(db, &c), -EMSGSIZE);
	c.max_len = 20;
	cr_assert_eq(gatt_db_add_characteristic(db, &c), 23);
	cr_assert(att_uuid_is(&gatt_db_at(db, 23)->type, GATT_CHAR_EXT_PROPS_UUID));
	cr_assert_eq(gatt_db_add_include(db, (uint16_t)s1), -EPROTO); /* after chars */
	struct att_uuid ud = att_uuid16(0x2901);
	cr_assert_eq(gatt_db_add_descriptor(db, &ud, GATT_PERM_READ, 0, (const uint8_t *)"x", 1, 0),
		     25);
	cr_assert_eq(gatt_db_finish(db), 0);
	static const uint8_t decl[] = { 0x88, 0x17, 0x00, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12,
					13, 14, 15, 16 };
	cr_assert_eq(gatt_db_at(db, 21)->len, sizeof decl);
	cr_assert_arr_eq(gatt_db_at(db, 21)->value, decl, sizeof decl);
	static const uint8_t inc[] = { 16, 0, 19, 0, 0x0f, 0x18 };
	cr_assert_arr_eq(gatt_db_at(db, 20)->value, inc, 6);
	cr_assert_eq(gatt_db_at(db, 15)->end_group, 19);
	cr_assert_eq(gatt_db_at(db, 19)->end_group, 25);
	cr_assert(att_uuid_is(&gatt_db_at(db, 19)->type, GATT_SECONDARY_SERVICE_UUID));
	cr_assert_eq(gatt_db_set_value(db, 23, (const uint8_t *)"abc", 3), 0);
	cr_assert_eq(gatt_db_set_value(db, 23, (const uint8_t[21]){ 0 }, 21), -EMSGSIZE);
	cr_assert_eq(gatt_db_set_value(db, 99, NULL, 0), -ENOENT);
	cr_assert_eq(gatt_db_set_value(db, 5, (const uint8_t[]){ 1 }, 1), -EINVAL); /* fixed */
	gatt_db_destroy(&db);
}

static const char *full_json =
	"{\"gap\": {\"device_name\": \"dev\", \"appearance\": 832, \"ppcp\": [6, 12, 0, 100]},"
	" \"services\": ["
	"  {\"uuid\": \"180f\", \"id\": \"bat\", \"characteristics\": ["
	"    {\"uuid\": \"2a19\", \"properties\": [\"read\", \"notify\"],"
	"     \"permissions\": [\"read\"], \"value\": \"64\"}]},"
	"  {\"uuid\": \"12345678-1234-5678-1234-56789abcdef0\", \"includes\": [\"bat\"],"
	"   \"characteristics\": ["
	"    {\"uuid\": \"2a3d\", \"properties\": [\"read\", \"write\"],"
	"     \"extended_properties\": [\"reliable_write\"], \"permissions\": [\"encrypted\"],"
	"     \"min_key_size\": 16, \"max_length\": 100, \"value_text\": \"hello\","
	"     \"descriptors\": [{\"uuid\": \"2901\", \"permissions\": [\"read\"],"
	"                        \"value_text\": \"greeting\"}]}]}]}";

Test(gatt_db, json_database)
{
	struct gatt_db *db;
	char err[256] = "";
	cr_assert_eq(gatt_db_load_json_string(&db, full_json, "full.json", err, sizeof err), 0,
		     "%s", err);
	cr_assert_eq(gatt_db_count(db), 17 + 4 + 6);
	static const uint8_t name[] = "dev";
	cr_assert_arr_eq(gatt_db_at(db, 2)->value, name, 3);
	cr_assert_eq(gatt_db_at(db, 4)->value[0], 0x40);
	cr_assert_eq(gatt_db_at(db, 4)->value[1], 0x03);
	static const uint8_t ppcp[] = { 6, 0, 12, 0, 0, 0, 100, 0 };
	cr_assert_arr_eq(gatt_db_at(db, 6)->value, ppcp, 8);
	const struct gatt_attr *svc = gatt_db_at(db, 21);
	cr_assert_eq(svc->len, 16);
	cr_assert_eq(svc->value[0], 0xf0);
	cr_assert_eq(svc->value[15], 0x12);
	const struct gatt_attr *v = gatt_db_at(db, 24);
	cr_assert(att_uuid_is(&v->type, 0x2a3d));
	cr_assert_eq(v->perm, GATT_PERM_READ_ENCRYPTED | GATT_PERM_WRITE_ENCRYPTED);
	cr_assert_eq(v->min_key_size, 16);
	cr_assert_eq(v->max_len, 100);
	cr_assert_eq(v->len, 5);
	cr_assert_eq(gatt_db_at(db, 23)->value[0], GATT_PROP_READ | GATT_PROP_WRITE |
						   GATT_PROP_EXTENDED_PROPERTIES);
	cr_assert(att_uuid_is(&gatt_db_at(db, 25)->type, GATT_CHAR_EXT_PROPS_UUID));
	cr_assert(att_uuid_is(&gatt_db_at(db, 26)->type, GATT_CHAR_USER_DESC_UUID));
	gatt_db_destroy(&db);

	/* The same file twice gives the same handles and hash. */
	struct gatt_db *a, *b;
	cr_assert_eq(gatt_db_load_json_string(&a, full_json, "a", err, sizeof err), 0);
	cr_assert_eq(gatt_db_load_json_string(&b, full_json, "b", err, sizeof err), 0);
	cr_assert_arr_eq(gatt_db_hash(a), gatt_db_hash(b), 16);
	gatt_db_destroy(&a);
	gatt_db_destroy(&b);
}

Test(gatt_db, json_from_file)
{
	char path[] = "/tmp/hive-gatt-db-XXXXXX";
	int fd = mkstemp(path);
	cr_assert_geq(fd, 0);
	cr_assert_eq(write(fd, full_json, strlen(full_json)), (ssize_t)strlen(full_json));
	close(fd);
	struct gatt_db *db;
	char err[256] = "";
	cr_assert_eq(gatt_db_load_json(&db, path, err, sizeof err), 0, "%s", err);
	cr_assert_eq(gatt_db_count(db), 27);
	gatt_db_destroy(&db);
	unlink(path);
	cr_assert_eq(gatt_db_load_json(&db, path, err, sizeof err), -EINVAL);
	cr_assert_null(db);
	cr_assert_not_null(strstr(err, path), "%s", err);
}

struct bad {
	const char *json;
	const char *want; /* in the message */
};

Test(gatt_db, json_errors_name_the_file_and_key)
{
	static const struct bad bad[] = {
		{ "{\"services\": [{\"uuid\": \"180f\"}, {\"uuid\": \"18\"}]}",
		  "db.json: services[1].uuid: expected a UUID" },
		{ "{\"services\": [{\"characteristics\": []}]}", "db.json: services[0].uuid: missing" },
		{ "{\"services\": [{\"uuid\": \"180f\", \"characteristics\": [{\"uuid\": \"2a19\"},"
		  " {\"uuid\": \"2a19\", \"permissions\": [\"raed\"]}]}]}",
		  "db.json: services[0].characteristics[1].permissions: unknown word \"raed\"" },
		{ "{\"services\": [{\"uuid\": \"180f\", \"characteristics\": [{\"uuid\": \"2a19\","
		  " \"properties\": [\"read\", 3]}]}]}",
		  "services[0].characteristics[0].properties: unknown word (not a string) at index 1" },
		{ "{\"services\": [{\"uuid\": \"180f\", \"primry\": true}]}",
		  "db.json: services[0].primry: unknown key" },
		{ "{\"servces\": []}", "db.json: servces: unknown key" },
		{ "{\"services\": [{\"uuid\": \"180f\", \"characteristics\": [{\"uuid\": \"2a19\","
		  " \"value\": \"6\"}]}]}",
		  "services[0].characteristics[0].value: expected hex bytes" },
		{ "{\"services\": [{\"uuid\": \"180f\", \"characteristics\": [{\"uuid\": \"2a19\","
		  " \"value\": \"6464\", \"max_length\": 1}]}]}",
		  "services[0].characteristics[0].max_length: shorter than the value" },
		{ "{\"services\": [{\"uuid\": \"180f\", \"characteristics\": [{\"uuid\": \"2a19\","
		  " \"min_key_size\": 5}]}]}",
		  "services[0].characteristics[0].min_key_size: expected 7..16" },
		{ "{\"services\": [{\"uuid\": \"180f\", \"characteristics\": [{\"uuid\": \"2a19\","
		  " \"descriptors\": [{\"uuid\": \"2902\"}]}]}]}",
		  "services[0].characteristics[0].descriptors[0].uuid: this descriptor is added" },
		{ "{\"services\": [{\"uuid\": \"180f\", \"includes\": [\"nope\"]}]}",
		  "services[0].includes: index 0: not the id of an earlier service" },
		{ "{\"services\": [{\"uuid\": \"180f\", \"id\": \"a\"}, {\"uuid\": \"180d\", \"id\": \"a\"}]}",
		  "services[1].id: expected a string not used" },
		{ "{\"gap\": {\"appearance\": 70000}}", "db.json: gap.appearance: expected an integer" },
		{ "{\"gap\": {\"ppcp\": [1, 2]}}", "db.json: gap.ppcp: expected false or 4 integers" },
		{ "{\"gatt\": {\"server_supported_features\": 1}}",
		  "db.json: gatt.server_supported_features: expected true or false" },
		{ "{\"services\": {}}", "db.json: services: expected an array" },
		{ "[]", "db.json: expected an object" },
		{ "{\"services\": [", "db.json:1:" },
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		struct gatt_db *db = (struct gatt_db *)1;
		char err[256] = "";
		cr_assert_eq(gatt_db_load_json_string(&db, bad[i].json, "db.json", err, sizeof err),
			     -EINVAL, "case %zu", i);
		cr_assert_null(db);
		cr_assert_not_null(strstr(err, bad[i].want), "case %zu: got \"%s\", want \"%s\"", i,
				   err, bad[i].want);
	}
}
