/* The service record database: the SDP server's own record, every value
 * type of the JSON format encoded byte-exact, handles, UUID matching,
 * attribute lists, and loader errors that name the file and the key. */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../../actors/sdp/sdp_db.h"

static struct sdp_db *db;
static char err[512];

static void teardown(void)
{
	sdp_db_destroy(&db);
}

TestSuite(sdp_db, .fini = teardown);

static const struct sdp_attr *attr(const struct sdp_record *r, uint16_t id)
{
	for (size_t i = 0; i < r->n_attrs; i++)
		if (r->attrs[i].id == id)
			return &r->attrs[i];
	return NULL;
}

#define VALUE_IS(a, ...)                                                              \
	do {                                                                          \
		const uint8_t want_[] = { __VA_ARGS__ };                              \
		cr_assert_not_null(a);                                                \
		cr_assert_eq((a)->len, sizeof want_, "length %u", (a)->len);         \
		cr_assert_arr_eq((a)->value, want_, sizeof want_);                    \
	} while (0)

Test(sdp_db, the_servers_own_record)
{
	cr_assert_eq(sdp_db_new(&db), 0);
	cr_assert_eq(sdp_db_count(db), 1);
	const struct sdp_record *r = sdp_db_find(db, 0);
	cr_assert_not_null(r);
	cr_assert_eq(r->n_attrs, 3);
	VALUE_IS(attr(r, 0x0000), 0x0a, 0, 0, 0, 0);
	VALUE_IS(attr(r, 0x0001), 0x35, 0x03, 0x19, 0x10, 0x00);
	VALUE_IS(attr(r, 0x0200), 0x35, 0x03, 0x09, 0x01, 0x00);
	sdp_db_destroy(&db);
	sdp_db_destroy(&db); /* idempotent */
	cr_assert_null(db);
}

Test(sdp_db, every_value_type)
{
	const char *json =
		"{\"records\": [{\"attributes\": {"
		" \"0x0001\": \"nil\", \"0x0002\": \"bool:true\", \"0x0003\": \"uint8:255\","
		" \"0x0004\": \"uint16:0x1234\", \"0x0005\": \"uint32:4294967295\","
		" \"0x0006\": \"uint64:0x0102030405060708\", \"0x0007\": \"int8:-1\","
		" \"0x0008\": \"int16:-32768\", \"0x0009\": \"int32:0x80000000\","
		" \"0x000a\": \"int64:-2\","
		" \"0x000b\": \"uint128:0x000102030405060708090a0b0c0d0e0f\","
		" \"0x000c\": \"int128:0xffffffffffffffffffffffffffffffff\","
		" \"0x000d\": \"uuid16:0x1101\", \"0x000e\": \"uuid32:0x12345678\","
		" \"0x000f\": \"uuid128:00001101-0000-1000-8000-00805F9B34FB\","
		" \"0x0010\": \"text:hi\", \"0x0011\": \"url:u\", \"0x0012\": \"text:\","
		" \"0x0013\": [], \"0x0014\": {\"alt\": [\"uint8:1\", [\"bool:false\"]]},"
		" \"0x0015\": \"text:a:b\"}}]}";
	cr_assert_eq(sdp_db_load_json_string(&db, json, "t.json", err, sizeof err), 0, "%s", err);
	const struct sdp_record *r = sdp_db_find(db, SDP_FIRST_HANDLE);
	cr_assert_not_null(r);
	cr_assert_eq(r->n_attrs, 22);
	VALUE_IS(attr(r, 0x0000), 0x0a, 0x00, 0x01, 0x00, 0x00);
	VALUE_IS(attr(r, 0x0001), 0x00);
	VALUE_IS(attr(r, 0x0002), 0x28, 0x01);
	VALUE_IS(attr(r, 0x0003), 0x08, 0xff);
	VALUE_IS(attr(r, 0x0004), 0x09, 0x12, 0x34);
	VALUE_IS(attr(r, 0x0005), 0x0a, 0xff, 0xff, 0xff, 0xff);
	VALUE_IS(attr(r, 0x0006), 0x0b, 1, 2, 3, 4, 5, 6, 7, 8);
	VALUE_IS(attr(r, 0x0007), 0x10, 0xff);
	VALUE_IS(attr(r, 0x0008), 0x11, 0x80, 0x00);
	VALUE_IS(attr(r, 0x0009), 0x12, 0x80, 0, 0, 0);
	VALUE_IS(attr(r, 0x000a), 0x13, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xfe);
	VALUE_IS(attr(r, 0x000b), 0x0c, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
	VALUE_IS(attr(r, 0x000c), 0x14, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
		 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff);
	VALUE_IS(attr(r, 0x000d), 0x19, 0x11, 0x01);
	VALUE_IS(attr(r, 0x000e), 0x1a, 0x12, 0x34, 0x56, 0x78);
	VALUE_IS(attr(r, 0x000f), 0x1c, 0x00, 0x00, 0x11, 0x01, 0x00, 0x00, 0x10, 0x00, 0x80,
		 0x00, 0x00, 0x80, 0x5f, 0x9b, 0x34, 0xfb);
	VALUE_IS(attr(r, 0x0010), 0x25, 0x02, 'h', 'i');
	VALUE_IS(attr(r, 0x0011), 0x45, 0x01, 'u');
	VALUE_IS(attr(r, 0x0012), 0x25, 0x00);
	VALUE_IS(attr(r, 0x0013), 0x35, 0x00);
	VALUE_IS(attr(r, 0x0014), 0x3d, 0x06, 0x08, 0x01, 0x35, 0x02, 0x28, 0x00);
	VALUE_IS(attr(r, 0x0015), 0x25, 0x03, 'a', ':', 'b');
	/* Sorted by ID. */
	for (size_t i = 1; i < r->n_attrs; i++)
		cr_assert_lt(r->attrs[i - 1].id, r->attrs[i].id);
	/* The three spellings of the SPP UUID are one UUID. */
	struct sdp_pattern p = { .n = 1, .uuid = { sdp_uuid16(0x1101) } };
	cr_assert(sdp_record_matches(r, &p));
	p.uuid[0] = sdp_uuid32(0x12345678);
	cr_assert(sdp_record_matches(r, &p));
	p.uuid[0] = sdp_uuid16(0x1102);
	cr_assert_not(sdp_record_matches(r, &p));
}

Test(sdp_db, handles_and_attribute_lists)
{
	const char *json = "{\"records\": ["
			   " {\"attributes\": {\"0x0100\": \"text:a\"}},"
			   " {\"handle\": \"0x00010010\", \"attributes\": {}},"
			   " {\"attributes\": {\"0x0001\": [\"uuid16:0x1101\"], \"0x0002\": \"uint8:1\"}}]}";
	cr_assert_eq(sdp_db_load_json_string(&db, json, "t.json", err, sizeof err), 0, "%s", err);
	cr_assert_eq(sdp_db_count(db), 4);
	cr_assert_eq(sdp_db_at(db, 0)->handle, 0);
	cr_assert_eq(sdp_db_at(db, 1)->handle, 0x00010000);
	cr_assert_eq(sdp_db_at(db, 2)->handle, 0x00010010);
	cr_assert_eq(sdp_db_at(db, 3)->handle, 0x00010011);
	cr_assert_null(sdp_db_find(db, 0x00010001));
	const struct sdp_record *r = sdp_db_find(db, 0x00010011);
	struct sdp_id_list ids = { .n = 2, .r = { { 2, 2, false }, { 0, 1, true } } };
	uint8_t b[64];
	struct wr w = wr_init(b, sizeof b);
	cr_assert_eq(sdp_record_attr_list(r, &ids, &w), 3);
	const uint8_t want[] = { 0x35, 0x15, 0x09, 0x00, 0x00, 0x0a, 0x00, 0x01, 0x00, 0x11,
				 0x09, 0x00, 0x01, 0x35, 0x03, 0x19, 0x11, 0x01,
				 0x09, 0x00, 0x02, 0x08, 0x01 };
	cr_assert(wr_ok(&w));
	cr_assert_eq(w.len, sizeof want);
	cr_assert_arr_eq(b, want, sizeof want);
	cr_assert(sdp_id_list_has(&ids, 1) && !sdp_id_list_has(&ids, 3));
}

Test(sdp_db, errors_name_the_file_and_the_key)
{
	const struct {
		const char *json;
		const char *msg;
	} bad[] = {
		{ "{\"record\": []}", "t.json: unknown key \"record\"" },
		{ "{\"records\": {}}", "t.json: records: expected an array of records" },
		{ "{\"records\": [{}]}", "t.json: records[0]: \"attributes\": expected an object" },
		{ "{\"records\": [{\"attributes\": {\"1\": \"nil\"}}]}",
		  "t.json: records[0].attributes.1: an attribute ID is \"0x\" and 1..4 hex digits" },
		{ "{\"records\": [{\"attributes\": {\"0x10000\": \"nil\"}}]}",
		  "t.json: records[0].attributes.0x10000: an attribute ID" },
		{ "{\"records\": [{\"attributes\": {\"0x0000\": \"uint32:0\"}}]}",
		  "records[0].attributes.0x0000: 0x0000 (ServiceRecordHandle) is set by the server" },
		{ "{\"records\": [{\"attributes\": {}}, {\"attributes\": {\"0x0004\": [[\"uuid:1\"]]}}]}",
		  "t.json: records[1].attributes.0x0004[0][0]: unknown type \"uuid\"" },
		{ "{\"records\": [{\"attributes\": {\"0x0001\": \"uint8:256\"}}]}",
		  "records[0].attributes.0x0001: \"256\" is not a uint8" },
		{ "{\"records\": [{\"attributes\": {\"0x0001\": \"int8:-129\"}}]}",
		  "\"-129\" is not a int8" },
		{ "{\"records\": [{\"attributes\": {\"0x0001\": \"uint16:-1\"}}]}",
		  "\"-1\" is not a uint16" },
		{ "{\"records\": [{\"attributes\": {\"0x0001\": \"uint16:0x0x1\"}}]}",
		  "\"0x0x1\" is not a uint16" },
		{ "{\"records\": [{\"attributes\": {\"0x0001\": \"uuid128:1234\"}}]}",
		  "\"1234\" is not a 128-bit UUID" },
		{ "{\"records\": [{\"attributes\": {\"0x0001\": \"bool:yes\"}}]}",
		  "expected bool:true or bool:false" },
		{ "{\"records\": [{\"attributes\": {\"0x0001\": 5}}]}",
		  "records[0].attributes.0x0001: expected a \"type:value\" string" },
		{ "{\"records\": [{\"attributes\": {\"0x0001\": {\"alt\": 1}}}]}",
		  "expected {\"alt\": [values]}" },
		{ "{\"records\": [{\"attributes\": {\"0x0001\": {\"seq\": []}}}]}",
		  "records[0].attributes.0x0001: unknown key \"seq\"" },
		{ "{\"records\": [{\"attributes\": {\"0x0001\": [[[[[[[[[\"nil\"]]]]]]]]]}}]}",
		  "sequences nest deeper than 8" },
		{ "{\"records\": [{\"handle\": \"0x00000005\", \"attributes\": {}}]}",
		  "records[0].handle: expected a handle" },
		{ "{\"records\": [{\"handle\": \"0x00010000\", \"attributes\": {}},"
		  " {\"handle\": \"0x00010000\", \"attributes\": {}}]}",
		  "records[1]: handle 0x00010000 is taken" },
		{ "{\"records\": [{\"attributes\": {\"0x0001\": \"nil\", \"0x0001\": \"nil\"}}]}",
		  "t.json:1:" },
		{ "{\"records\": [", "t.json:1:" },
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		err[0] = 0;
		cr_assert_lt(sdp_db_load_json_string(&db, bad[i].json, "t.json", err, sizeof err), 0,
			     "accepted %s", bad[i].json);
		cr_assert_null(db);
		cr_assert(strstr(err, bad[i].msg), "%s\n  gave \"%s\"\n  want \"%s\"", bad[i].json,
			  err, bad[i].msg);
	}
}

Test(sdp_db, from_a_file)
{
	char path[] = "/tmp/sdp-db-XXXXXX";
	int fd = mkstemp(path);
	cr_assert_geq(fd, 0);
	FILE *f = fdopen(fd, "w");
	fputs("{\"records\": [{\"attributes\": {\"0x0001\": [\"uuid16:0x1101\"]}}]}", f);
	fclose(f);
	cr_assert_eq(sdp_db_load_json_file(&db, path, err, sizeof err), 0, "%s", err);
	cr_assert_eq(sdp_db_count(db), 2);
	sdp_db_destroy(&db);
	f = fopen(path, "w");
	fputs("{\"records\": [{\"attributes\": {\"0x0001\": \"uuid16:x\"}}]}", f);
	fclose(f);
	cr_assert_eq(sdp_db_load_json_file(&db, path, err, sizeof err), -EINVAL);
	cr_assert(strstr(err, path) && strstr(err, "records[0].attributes.0x0001"), "%s", err);
	unlink(path);
	cr_assert_eq(sdp_db_load_json_file(&db, path, err, sizeof err), -ENOENT);
	cr_assert(strstr(err, path), "%s", err);
}
