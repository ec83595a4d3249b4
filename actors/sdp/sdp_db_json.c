/* The SDP service record database from a JSON file.
 *
 * Format (unknown keys and duplicate keys are errors):
 *
 * {
 *   "records": [
 *     { "handle": "0x00010005",          (optional: a 32-bit handle from
 *                                         0x00010000; default the next free
 *                                         one after the highest so far)
 *       "attributes": {                   (required; keys are attribute IDs,
 *                                         "0x" and 1..4 hex digits; 0x0000,
 *                                         the ServiceRecordHandle, is set by
 *                                         the server and may not be given)
 *         "0x0001": ["uuid16:0x1101"],
 *         "0x0004": [["uuid16:0x0100"], ["uuid16:0x0003", "uint8:1"]],
 *         "0x0100": "text:Serial Port" } } ] }
 *
 * A value is one data element:
 *   "nil"
 *   "bool:true", "bool:false"
 *   "uint8:N", "uint16:N", "uint32:N", "uint64:N"     N decimal or 0x hex
 *   "int8:N", "int16:N", "int32:N", "int64:N"         N decimal (may be
 *                                                     negative) or 0x hex
 *                                                     (the raw bits)
 *   "uint128:0x<32 hex digits>", "int128:0x<32 hex digits>"
 *   "uuid16:0x1101", "uuid32:0x00001101",
 *   "uuid128:00001101-0000-1000-8000-00805f9b34fb"    (dashes optional)
 *   "text:any UTF-8", "url:http://example.com"        (the bytes after the
 *                                                     colon, any length)
 *   [ value, ... ]                                    a sequence
 *   { "alt": [ value, ... ] }                         an alternative
 * Sequences nest at most SDP_DE_MAX_DEPTH deep. Every size descriptor is
 * the smallest that fits.
 *
 * Errors name the file and the key: "db.json: records[1].attributes.0x0004[1]
 * [0]: unknown type \"uuid\"".
 */
#include "sdp_db.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include "hive.h"

/* The largest value one attribute may have, encoded. */
#define VALUE_MAX 0xffff

struct loader {
	struct sdp_db *db;
	const char *name;
	char *err;
	size_t errlen;
	char path[200]; /* the key being read: "records[0].attributes.0x0001[2]" */
	uint8_t *buf;   /* VALUE_MAX bytes for encoding one value */
};

static int fail(struct loader *l, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static int fail(struct loader *l, const char *fmt, ...)
{
	char msg[200];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	if (l->err && l->errlen)
		snprintf(l->err, l->errlen, "%s: %s%s%s", l->name, l->path, *l->path ? ": " : "",
			 msg);
	return -EINVAL;
}

/* Appends ".key" or "[i]" to the path; returns the old length to restore. */
static size_t enter(struct loader *l, const char *key, size_t index)
{
	size_t old = strlen(l->path);
	if (key)
		snprintf(l->path + old, sizeof l->path - old, "%s%s", old ? "." : "", key);
	else
		snprintf(l->path + old, sizeof l->path - old, "[%zu]", index);
	return old;
}

static int check_keys(struct loader *l, json_t *obj, const char *const *allowed)
{
	const char *key;
	json_t *v;
	if (!json_is_object(obj))
		return fail(l, "expected an object");
	json_object_foreach(obj, key, v) {
		bool ok = false;
		for (const char *const *a = allowed; *a && !ok; a++)
			ok = !strcmp(*a, key);
		if (!ok)
			return fail(l, "unknown key \"%s\"", key);
	}
	return 0;
}

/* Exactly n bytes of hex (dashes skipped when allowed); 0 or -1. */
static int hex_exact(const char *s, uint8_t *out, size_t n, bool dashes)
{
	size_t got = 0;
	while (*s) {
		if (dashes && *s == '-') {
			s++;
			continue;
		}
		int hi = hive_hexval(s[0]);
		int lo = hi < 0 ? -1 : hive_hexval(s[1]);
		if (lo < 0 || got == n)
			return -1;
		out[got++] = (uint8_t)(hi << 4 | lo);
		s += 2;
	}
	return got == n ? 0 : -1;
}

/* A number: decimal (optionally negative when sign) or 0x hex, fitting in
 * `bytes` bytes as unsigned (or as signed when sign and decimal). */
static int parse_num(const char *s, unsigned bytes, bool sign, uint64_t *out)
{
	uint64_t max = bytes == 8 ? UINT64_MAX : (1ull << (8 * bytes)) - 1;
	char *end;
	errno = 0;
	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
		if (!s[2] || strspn(s + 2, "0123456789abcdefABCDEF") != strlen(s + 2))
			return -1;
		unsigned long long v = strtoull(s + 2, &end, 16);
		if (errno || *end || v > max)
			return -1;
		*out = v;
		return 0;
	}
	if (strspn(s + (sign && *s == '-'), "0123456789") != strlen(s + (sign && *s == '-')) ||
	    !s[sign && *s == '-'])
		return -1;
	if (sign) {
		long long v = strtoll(s, &end, 10);
		long long lo = bytes == 8 ? INT64_MIN : -(1ll << (8 * bytes - 1));
		long long hi = bytes == 8 ? INT64_MAX : (1ll << (8 * bytes - 1)) - 1;
		if (errno || *end || v < lo || v > hi)
			return -1;
		*out = (uint64_t)v & max;
		return 0;
	}
	if (*s == '-')
		return -1;
	unsigned long long v = strtoull(s, &end, 10);
	if (errno || *end || v > max)
		return -1;
	*out = v;
	return 0;
}

static int put_value(struct loader *l, json_t *v, struct wr *w, unsigned depth);

static int put_seq(struct loader *l, json_t *arr, struct wr *w, unsigned depth,
		   enum sdp_de_type type)
{
	size_t i;
	json_t *e;
	if (depth >= SDP_DE_MAX_DEPTH)
		return fail(l, "sequences nest deeper than %d", SDP_DE_MAX_DEPTH);
	size_t s = sdp_de_seq_open(w);
	json_array_foreach(arr, i, e) {
		size_t old = enter(l, NULL, i);
		int rc = put_value(l, e, w, depth + 1);
		if (rc < 0)
			return rc;
		l->path[old] = 0;
	}
	sdp_de_seq_close(w, s, type);
	return 0;
}

static int put_string_value(struct loader *l, const char *s, struct wr *w)
{
	static const struct {
		const char *name;
		enum sdp_de_type type;
		unsigned bytes;
	} ints[] = {
		{ "uint8", SDP_DE_UINT, 1 },  { "uint16", SDP_DE_UINT, 2 },
		{ "uint32", SDP_DE_UINT, 4 }, { "uint64", SDP_DE_UINT, 8 },
		{ "int8", SDP_DE_INT, 1 },    { "int16", SDP_DE_INT, 2 },
		{ "int32", SDP_DE_INT, 4 },   { "int64", SDP_DE_INT, 8 },
	};
	if (!strcmp(s, "nil")) {
		sdp_de_put_nil(w);
		return 0;
	}
	const char *colon = strchr(s, ':');
	if (!colon)
		return fail(l, "expected \"type:value\" or \"nil\", got \"%.40s\"", s);
	size_t tlen = (size_t)(colon - s);
	const char *val = colon + 1;
#define IS(name) (tlen == strlen(name) && !strncmp(s, name, tlen))
	uint64_t n;
	uint8_t b[16];
	for (size_t i = 0; i < sizeof ints / sizeof ints[0]; i++) {
		if (!IS(ints[i].name))
			continue;
		if (parse_num(val, ints[i].bytes, ints[i].type == SDP_DE_INT, &n) < 0)
			return fail(l, "\"%s\" is not a %s", val, ints[i].name);
		sdp_de_put_int(w, ints[i].type, ints[i].bytes, n);
		return 0;
	}
	if (IS("uint128") || IS("int128")) {
		if (strncmp(val, "0x", 2) || hex_exact(val + 2, b, 16, false) < 0)
			return fail(l, "expected 0x and 32 hex digits after %.*s:", (int)tlen, s);
		sdp_de_put_int128(w, IS("int128") ? SDP_DE_INT : SDP_DE_UINT, b);
	} else if (IS("uuid16") || IS("uuid32")) {
		unsigned bytes = IS("uuid16") ? 2 : 4;
		if (parse_num(val, bytes, false, &n) < 0)
			return fail(l, "\"%s\" is not a %u-bit UUID", val, bytes * 8);
		if (bytes == 2)
			sdp_de_put_uuid16(w, (uint16_t)n);
		else
			sdp_de_put_uuid32(w, (uint32_t)n);
	} else if (IS("uuid128")) {
		if (hex_exact(val, b, 16, true) < 0)
			return fail(l, "\"%s\" is not a 128-bit UUID (32 hex digits)", val);
		sdp_de_put_uuid128(w, b);
	} else if (IS("text") || IS("url")) {
		sdp_de_put_string(w, IS("url") ? SDP_DE_URL : SDP_DE_TEXT, val, strlen(val));
	} else if (IS("bool")) {
		if (strcmp(val, "true") && strcmp(val, "false"))
			return fail(l, "expected bool:true or bool:false");
		sdp_de_put_bool(w, !strcmp(val, "true"));
	} else {
		return fail(l, "unknown type \"%.*s\"", (int)tlen, s);
	}
#undef IS
	return 0;
}

static int put_value(struct loader *l, json_t *v, struct wr *w, unsigned depth)
{
	int rc;
	if (json_is_string(v))
		rc = put_string_value(l, json_string_value(v), w);
	else if (json_is_array(v))
		rc = put_seq(l, v, w, depth, SDP_DE_SEQ);
	else if (json_is_object(v)) {
		static const char *const keys[] = { "alt", NULL };
		json_t *alt = json_object_get(v, "alt");
		if ((rc = check_keys(l, v, keys)) < 0)
			return rc;
		if (!json_is_array(alt))
			return fail(l, "expected {\"alt\": [values]}");
		size_t old = enter(l, "alt", 0);
		rc = put_seq(l, alt, w, depth, SDP_DE_ALT);
		if (rc == 0)
			l->path[old] = 0;
	} else
		rc = fail(l, "expected a \"type:value\" string, an array or {\"alt\": [...]}");
	if (rc == 0 && !wr_ok(w))
		rc = fail(l, "the value is longer than %d bytes", VALUE_MAX);
	return rc;
}

static int parse_handle(struct loader *l, json_t *rec, uint32_t *handle)
{
	json_t *h = json_object_get(rec, "handle");
	uint64_t n;
	*handle = 0;
	if (!h)
		return 0;
	size_t old = enter(l, "handle", 0);
	const char *s = json_string_value(h);
	if (!s || parse_num(s, 4, false, &n) < 0 || n < SDP_FIRST_HANDLE)
		return fail(l, "expected a handle \"0x00010000\"..\"0xffffffff\"");
	l->path[old] = 0;
	*handle = (uint32_t)n;
	return 0;
}

static int load_record(struct loader *l, json_t *jr)
{
	static const char *const keys[] = { "handle", "attributes", NULL };
	uint32_t handle;
	struct sdp_record *rec;
	const char *key;
	json_t *v, *attrs = json_object_get(jr, "attributes");
	int rc = check_keys(l, jr, keys);
	if (rc == 0)
		rc = parse_handle(l, jr, &handle);
	if (rc < 0)
		return rc;
	if (!json_is_object(attrs))
		return fail(l, "\"attributes\": expected an object of \"0xID\": value");
	rc = sdp_db_add_record(l->db, handle, &rec);
	if (rc == -EEXIST)
		return fail(l, "handle 0x%08" PRIx32 " is taken", handle);
	if (rc < 0)
		return fail(l, "adding the record: %s", strerror(-rc));
	size_t rec_old = enter(l, "attributes", 0);
	json_object_foreach(attrs, key, v) {
		uint64_t id;
		size_t old = enter(l, key, 0);
		if (strncmp(key, "0x", 2) || strlen(key) > 6 || parse_num(key, 2, false, &id) < 0)
			return fail(l, "an attribute ID is \"0x\" and 1..4 hex digits");
		if (id == SDP_ATTR_SERVICE_RECORD_HANDLE)
			return fail(l, "0x0000 (ServiceRecordHandle) is set by the server");
		struct wr w = wr_init(l->buf, VALUE_MAX);
		if ((rc = put_value(l, v, &w, 0)) < 0)
			return rc;
		rc = sdp_db_set_attr(l->db, rec, (uint16_t)id, l->buf, w.len);
		if (rc == -EEXIST)
			return fail(l, "attribute 0x%04x given twice", (unsigned)id);
		if (rc < 0)
			return fail(l, "storing the value: %s", strerror(-rc));
		l->path[old] = 0;
	}
	l->path[rec_old] = 0;
	return 0;
}

static int load(struct loader *l, json_t *root)
{
	static const char *const keys[] = { "records", NULL };
	json_t *recs, *r;
	size_t i;
	int rc = check_keys(l, root, keys);
	if (rc < 0)
		return rc;
	recs = json_object_get(root, "records");
	if (!recs)
		return 0;
	if (!json_is_array(recs)) {
		enter(l, "records", 0);
		return fail(l, "expected an array of records");
	}
	json_array_foreach(recs, i, r) {
		size_t old = enter(l, "records", 0);
		enter(l, NULL, i);
		if ((rc = load_record(l, r)) < 0)
			return rc;
		l->path[old] = 0;
	}
	return 0;
}

static int load_root(struct sdp_db **out, json_t *root, const char *name, char *err,
		     size_t errlen)
{
	struct loader l = { .name = name, .err = err, .errlen = errlen };
	int rc = sdp_db_new(&l.db);
	if (rc < 0) {
		snprintf(err, errlen, "%s: %s", name, strerror(-rc));
		return rc;
	}
	l.buf = malloc(VALUE_MAX);
	rc = l.buf ? load(&l, root) : -ENOMEM;
	if (rc == -ENOMEM && !l.buf)
		snprintf(err, errlen, "%s: %s", name, strerror(ENOMEM));
	free(l.buf);
	if (rc < 0)
		sdp_db_destroy(&l.db);
	*out = l.db;
	return rc;
}

int sdp_db_load_json_string(struct sdp_db **out, const char *json, const char *name, char *err,
			    size_t errlen)
{
	json_error_t je;
	json_t *root = json_loads(json, JSON_REJECT_DUPLICATES, &je);
	*out = NULL;
	if (!root) {
		snprintf(err, errlen, "%s:%d:%d: %s", name, je.line, je.column, je.text);
		return -EINVAL;
	}
	int rc = load_root(out, root, name, err, errlen);
	json_decref(root);
	return rc;
}

int sdp_db_load_json_file(struct sdp_db **out, const char *path, char *err, size_t errlen)
{
	json_error_t je;
	*out = NULL;
	FILE *f = fopen(path, "r");
	if (!f) {
		int e = errno;
		snprintf(err, errlen, "%s: %s", path, strerror(e));
		return -e;
	}
	json_t *root = json_loadf(f, JSON_REJECT_DUPLICATES, &je);
	fclose(f);
	if (!root) {
		snprintf(err, errlen, "%s:%d:%d: %s", path, je.line, je.column, je.text);
		return -EINVAL;
	}
	int rc = load_root(out, root, path, err, errlen);
	json_decref(root);
	return rc;
}
