/* The attribute database from a JSON file.
 *
 * Format (every key optional unless marked; unknown keys are errors, so a
 * typo does not silently drop a permission):
 *
 * {
 *   "gap":  { "device_name": "hive",        (string, at most 248 bytes)
 *             "appearance": 0,              (0..65535)
 *             "ppcp": [24, 40, 0, 500] },   (min/max interval, latency,
 *                                            timeout; false leaves it out)
 *   "gatt": { "server_supported_features": true },  (false leaves it out)
 *   "services": [
 *     { "uuid": "180f",                     (required: 4 hex digits, or 32
 *                                            hex digits with optional dashes
 *                                            as in 0000180f-0000-1000-8000-
 *                                            00805f9b34fb)
 *       "primary": true,                    (default true)
 *       "id": "battery",                    (a name for "includes")
 *       "includes": ["other-id"],           (services listed earlier)
 *       "characteristics": [
 *         { "uuid": "2a19",                 (required)
 *           "properties": ["read", "notify"],
 *               broadcast read write_without_response write notify
 *               indicate authenticated_signed_writes
 *           "extended_properties": ["reliable_write", "writable_auxiliaries"],
 *           "permissions": ["read"],
 *               read write read_encrypted read_authenticated read_authorized
 *               write_encrypted write_authenticated write_authorized, and
 *               encrypted authenticated authorized for both directions
 *           "min_key_size": 16,             (7..16)
 *           "value": "64",                  (hex bytes) or
 *           "value_text": "text",           (UTF-8 bytes)
 *           "max_length": 20,               (default the value's length, <= 512)
 *           "fixed_length": false,
 *           "descriptors": [
 *             { "uuid": "2901", "permissions": ["read"], "value_text": "Level",
 *               "value", "max_length", "min_key_size" as above } ] } ] } ] }
 *
 * With notify or indicate a CCCD is added after the value; with extended
 * properties the Extended Properties descriptor is. Handles follow the file
 * order after the GAP and GATT services.
 */
#include "gatt_db.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <jansson.h>
#include "hive.h"

struct loader {
	struct gatt_db *db;
	const char *name;
	char *err;
	size_t errlen;
	char path[160]; /* the key being read, "services[0].uuid" */
	json_t *ids;    /* id -> service handle */
};

static int fail(struct loader *l, const char *key, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int fail(struct loader *l, const char *key, const char *fmt, ...)
{
	char msg[200];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	char where[220];
	snprintf(where, sizeof where, "%s%s%s", l->path, *l->path && key ? "." : "",
		 key ? key : "");
	if (l->err && l->errlen)
		snprintf(l->err, l->errlen, "%s: %s%s%s", l->name, where, *where ? ": " : "", msg);
	return -EINVAL;
}

/* Appends ".key" or "[i]" to the path; returns the old length to restore. */
static size_t enter(struct loader *l, const char *key, int index)
{
	size_t old = strlen(l->path);
	if (key)
		snprintf(l->path + old, sizeof l->path - old, "%s%s", old ? "." : "", key);
	else
		snprintf(l->path + old, sizeof l->path - old, "[%d]", index);
	return old;
}

static int check_keys(struct loader *l, json_t *obj, const char *const *allowed)
{
	const char *key;
	json_t *v;
	if (!json_is_object(obj))
		return fail(l, NULL, "expected an object");
	json_object_foreach(obj, key, v) {
		bool ok = false;
		for (const char *const *a = allowed; *a && !ok; a++)
			ok = !strcmp(*a, key);
		if (!ok)
			return fail(l, key, "unknown key");
	}
	return 0;
}

/* Hex string to bytes (big-endian as written); the number of bytes or -1. */
static int hex_bytes(const char *s, uint8_t *out, size_t cap, bool dashes)
{
	size_t n = 0;
	while (*s) {
		if (dashes && *s == '-') {
			s++;
			continue;
		}
		int hi = hive_hexval(s[0]);
		int lo = hi < 0 ? -1 : hive_hexval(s[1]);
		if (lo < 0 || n == cap)
			return -1;
		out[n++] = (uint8_t)(hi << 4 | lo);
		s += 2;
	}
	return (int)n;
}

static int get_uuid(struct loader *l, json_t *obj, struct att_uuid *u)
{
	json_t *v = json_object_get(obj, "uuid");
	uint8_t be[16];
	const char *s = json_string_value(v);
	int n = s ? hex_bytes(s, be, sizeof be, true) : -1;
	if (!v)
		return fail(l, "uuid", "missing");
	if (n != 2 && n != 16)
		return fail(l, "uuid", "expected a UUID string of 4 or 32 hex digits");
	u->len = (uint8_t)n;
	for (int i = 0; i < n; i++)
		u->b[i] = be[n - 1 - i];
	*u = att_uuid_shorten(u);
	return 0;
}

struct word {
	const char *name;
	uint16_t bits;
};

static int get_words(struct loader *l, json_t *obj, const char *key, const struct word *words,
		     uint16_t *out)
{
	json_t *arr = json_object_get(obj, key), *v;
	size_t i;
	*out = 0;
	if (!arr)
		return 0;
	if (!json_is_array(arr))
		return fail(l, key, "expected an array of strings");
	json_array_foreach(arr, i, v) {
		const char *s = json_string_value(v);
		const struct word *w = words;
		while (w->name && (!s || strcmp(w->name, s)))
			w++;
		if (!w->name) {
			size_t old = enter(l, key, 0);
			fail(l, NULL, "unknown word %s%s%s at index %zu", s ? "\"" : "",
			     s ? s : "(not a string)", s ? "\"" : "", i);
			l->path[old] = 0;
			return -EINVAL;
		}
		*out |= w->bits;
	}
	return 0;
}

static int get_uint(struct loader *l, json_t *obj, const char *key, long long max,
		    long long *out)
{
	json_t *v = json_object_get(obj, key);
	if (!v)
		return 0;
	if (!json_is_integer(v) || json_integer_value(v) < 0 || json_integer_value(v) > max)
		return fail(l, key, "expected an integer 0..%lld", max);
	*out = json_integer_value(v);
	return 0;
}

static int get_bool(struct loader *l, json_t *obj, const char *key, bool *out)
{
	json_t *v = json_object_get(obj, key);
	if (!v)
		return 0;
	if (!json_is_boolean(v))
		return fail(l, key, "expected true or false");
	*out = json_is_true(v);
	return 0;
}

static const struct word prop_words[] = {
	{ "broadcast", GATT_PROP_BROADCAST },
	{ "read", GATT_PROP_READ },
	{ "write_without_response", GATT_PROP_WRITE_WITHOUT_RESPONSE },
	{ "write", GATT_PROP_WRITE },
	{ "notify", GATT_PROP_NOTIFY },
	{ "indicate", GATT_PROP_INDICATE },
	{ "authenticated_signed_writes", GATT_PROP_AUTHENTICATED_SIGNED_WRITES },
	{ NULL, 0 },
};

static const struct word ext_words[] = {
	{ "reliable_write", GATT_EXT_PROP_RELIABLE_WRITE },
	{ "writable_auxiliaries", GATT_EXT_PROP_WRITABLE_AUXILIARIES },
	{ NULL, 0 },
};

static const struct word perm_words[] = {
	{ "read", GATT_PERM_READ },
	{ "write", GATT_PERM_WRITE },
	{ "read_encrypted", GATT_PERM_READ_ENCRYPTED },
	{ "read_authenticated", GATT_PERM_READ_AUTHENTICATED },
	{ "read_authorized", GATT_PERM_READ_AUTHORIZED },
	{ "write_encrypted", GATT_PERM_WRITE_ENCRYPTED },
	{ "write_authenticated", GATT_PERM_WRITE_AUTHENTICATED },
	{ "write_authorized", GATT_PERM_WRITE_AUTHORIZED },
	{ "encrypted", GATT_PERM_READ_ENCRYPTED | GATT_PERM_WRITE_ENCRYPTED },
	{ "authenticated", GATT_PERM_READ_AUTHENTICATED | GATT_PERM_WRITE_AUTHENTICATED },
	{ "authorized", GATT_PERM_READ_AUTHORIZED | GATT_PERM_WRITE_AUTHORIZED },
	{ NULL, 0 },
};

/* "value" (hex) or "value_text", "max_length", "min_key_size", "permissions". */
struct value_def {
	uint8_t value[ATT_MAX_VALUE_LEN];
	size_t len;
	size_t max_len;
	uint16_t perm;
	uint8_t min_key_size;
};

static int get_value(struct loader *l, json_t *obj, struct value_def *d)
{
	json_t *hex = json_object_get(obj, "value"), *text = json_object_get(obj, "value_text");
	long long max = 0, key = 0;
	d->len = 0;
	if (hex && text)
		return fail(l, "value", "give value or value_text, not both");
	if (hex) {
		const char *s = json_string_value(hex);
		int n = s ? hex_bytes(s, d->value, sizeof d->value, false) : -1;
		if (n < 0)
			return fail(l, "value", "expected hex bytes, at most 512");
		d->len = (size_t)n;
	}
	if (text) {
		const char *s = json_string_value(text);
		if (!s || strlen(s) > sizeof d->value)
			return fail(l, "value_text", "expected a string of at most 512 bytes");
		d->len = strlen(s);
		memcpy(d->value, s, d->len);
	}
	int rc = get_uint(l, obj, "max_length", ATT_MAX_VALUE_LEN, &max);
	if (!rc)
		rc = get_uint(l, obj, "min_key_size", 16, &key);
	if (!rc && key && key < 7)
		rc = fail(l, "min_key_size", "expected 7..16");
	if (!rc && max && (size_t)max < d->len)
		rc = fail(l, "max_length", "shorter than the value");
	if (!rc)
		rc = get_words(l, obj, "permissions", perm_words, &d->perm);
	d->max_len = (size_t)max;
	d->min_key_size = (uint8_t)key;
	return rc;
}

static int load_descriptor(struct loader *l, json_t *obj)
{
	static const char *const keys[] = { "uuid", "permissions", "value", "value_text",
					    "max_length", "min_key_size", NULL };
	struct att_uuid u;
	struct value_def d;
	int rc = check_keys(l, obj, keys);
	if (!rc)
		rc = get_uuid(l, obj, &u);
	if (!rc)
		rc = get_value(l, obj, &d);
	if (!rc) {
		rc = gatt_db_add_descriptor(l->db, &u, d.perm, d.min_key_size, d.value, d.len,
					    d.max_len);
		if (rc == -EEXIST || rc == -EINVAL)
			return fail(l, "uuid", "this descriptor is added automatically");
	}
	return rc < 0 ? rc : 0;
}

static int load_characteristic(struct loader *l, json_t *obj)
{
	static const char *const keys[] = { "uuid", "properties", "extended_properties",
					    "permissions", "value", "value_text", "max_length",
					    "min_key_size", "fixed_length", "descriptors", NULL };
	struct gatt_char_def c = { 0 };
	struct value_def d;
	uint16_t props = 0;
	int rc = check_keys(l, obj, keys);
	if (!rc)
		rc = get_uuid(l, obj, &c.uuid);
	if (!rc)
		rc = get_words(l, obj, "properties", prop_words, &props);
	if (!rc)
		rc = get_words(l, obj, "extended_properties", ext_words, &c.ext_props);
	if (!rc)
		rc = get_value(l, obj, &d);
	if (!rc)
		rc = get_bool(l, obj, "fixed_length", &c.fixed_len);
	if (rc)
		return rc;
	c.props = (uint8_t)props;
	c.perm = d.perm;
	c.min_key_size = d.min_key_size;
	c.value = d.value;
	c.len = d.len;
	c.max_len = d.max_len ? d.max_len : (d.len ? d.len : 1);
	rc = gatt_db_add_characteristic(l->db, &c);
	if (rc < 0)
		return fail(l, NULL, "cannot add: %s", strerror(-rc));
	json_t *descs = json_object_get(obj, "descriptors"), *v;
	size_t i;
	if (descs && !json_is_array(descs))
		return fail(l, "descriptors", "expected an array");
	size_t old = enter(l, "descriptors", 0);
	json_array_foreach(descs, i, v) {
		size_t o2 = enter(l, NULL, (int)i);
		rc = load_descriptor(l, v);
		if (rc)
			return rc;
		l->path[o2] = 0;
	}
	l->path[old] = 0;
	return 0;
}

static int load_service(struct loader *l, json_t *obj)
{
	static const char *const keys[] = { "uuid", "primary", "id", "includes",
					    "characteristics", NULL };
	struct att_uuid u;
	bool primary = true;
	int rc = check_keys(l, obj, keys);
	if (!rc)
		rc = get_uuid(l, obj, &u);
	if (!rc)
		rc = get_bool(l, obj, "primary", &primary);
	if (rc)
		return rc;
	json_t *id = json_object_get(obj, "id");
	if (id && (!json_is_string(id) || json_object_get(l->ids, json_string_value(id))))
		return fail(l, "id", "expected a string not used by an earlier service");
	int h = gatt_db_add_service(l->db, &u, primary);
	if (h < 0)
		return fail(l, NULL, "cannot add: %s", strerror(-h));
	if (id)
		json_object_set_new(l->ids, json_string_value(id), json_integer(h));
	json_t *inc = json_object_get(obj, "includes"), *v;
	size_t i;
	if (inc && !json_is_array(inc))
		return fail(l, "includes", "expected an array of service ids");
	json_array_foreach(inc, i, v) {
		json_t *target = json_string_value(v) ? json_object_get(l->ids, json_string_value(v))
						      : NULL;
		if (!target) {
			size_t old = enter(l, "includes", 0);
			fail(l, NULL, "index %zu: not the id of an earlier service", i);
			l->path[old] = 0;
			return -EINVAL;
		}
		rc = gatt_db_add_include(l->db, (uint16_t)json_integer_value(target));
		if (rc < 0)
			return fail(l, "includes", "cannot include: %s", strerror(-rc));
	}
	json_t *chars = json_object_get(obj, "characteristics");
	if (chars && !json_is_array(chars))
		return fail(l, "characteristics", "expected an array");
	size_t old = enter(l, "characteristics", 0);
	json_array_foreach(chars, i, v) {
		size_t o2 = enter(l, NULL, (int)i);
		rc = load_characteristic(l, v);
		if (rc)
			return rc;
		l->path[o2] = 0;
	}
	l->path[old] = 0;
	return 0;
}

static int load_config(struct loader *l, json_t *root, struct gatt_db_config *cfg)
{
	static const char *const gap_keys[] = { "device_name", "appearance", "ppcp", NULL };
	static const char *const gatt_keys[] = { "server_supported_features", NULL };
	json_t *gap = json_object_get(root, "gap"), *gatt = json_object_get(root, "gatt");
	int rc = 0;
	long long app = 0;
	size_t old = enter(l, "gap", 0);
	if (gap && !(rc = check_keys(l, gap, gap_keys))) {
		json_t *name = json_object_get(gap, "device_name");
		if (name && (!json_is_string(name) || strlen(json_string_value(name)) > 248))
			return fail(l, "device_name", "expected a string of at most 248 bytes");
		cfg->device_name = json_string_value(name);
		rc = get_uint(l, gap, "appearance", 0xffff, &app);
		cfg->appearance = (uint16_t)app;
		json_t *ppcp = json_object_get(gap, "ppcp");
		if (!rc && json_is_false(ppcp))
			cfg->no_ppcp = true;
		else if (!rc && ppcp) {
			if (!json_is_array(ppcp) || json_array_size(ppcp) != 4)
				return fail(l, "ppcp", "expected false or 4 integers");
			for (size_t i = 0; i < 4; i++) {
				json_t *v = json_array_get(ppcp, i);
				if (!json_is_integer(v) || json_integer_value(v) < 0 ||
				    json_integer_value(v) > 0xffff)
					return fail(l, "ppcp", "expected false or 4 integers");
				cfg->ppcp[i] = (uint16_t)json_integer_value(v);
			}
		}
	}
	l->path[old] = 0;
	if (rc)
		return rc;
	old = enter(l, "gatt", 0);
	bool ssf = true;
	if (gatt && !(rc = check_keys(l, gatt, gatt_keys)))
		rc = get_bool(l, gatt, "server_supported_features", &ssf);
	cfg->no_server_features = !ssf;
	l->path[old] = 0;
	return rc;
}

static int load(struct loader *l, json_t *root)
{
	static const char *const keys[] = { "gap", "gatt", "services", NULL };
	struct gatt_db_config cfg = { 0 };
	int rc = check_keys(l, root, keys);
	if (!rc)
		rc = load_config(l, root, &cfg);
	if (!rc && (rc = gatt_db_new(&l->db, &cfg)) < 0)
		return fail(l, NULL, "cannot create the database: %s", strerror(-rc));
	json_t *svcs = json_object_get(root, "services"), *v;
	size_t i;
	if (!rc && svcs && !json_is_array(svcs))
		rc = fail(l, "services", "expected an array");
	json_array_foreach(svcs, i, v) {
		if (rc)
			break;
		size_t old = enter(l, "services", 0);
		enter(l, NULL, (int)i);
		rc = load_service(l, v);
		if (!rc)
			l->path[old] = 0;
	}
	if (!rc && (rc = gatt_db_finish(l->db)) < 0)
		return fail(l, NULL, "cannot finish the database: %s", strerror(-rc));
	return rc;
}

static int load_root(json_t *root, const json_error_t *jerr, const char *name,
		     struct gatt_db **out, char *err, size_t errlen)
{
	struct loader l = { .name = name, .err = err, .errlen = errlen };
	int rc;
	*out = NULL;
	if (!root) {
		if (err && errlen)
			snprintf(err, errlen, "%s:%d:%d: %s", name, jerr->line, jerr->column,
				 jerr->text);
		return -EINVAL;
	}
	l.ids = json_object();
	rc = l.ids ? load(&l, root) : -ENOMEM;
	json_decref(l.ids);
	if (rc < 0)
		gatt_db_destroy(&l.db);
	else
		*out = l.db;
	return rc;
}

int gatt_db_load_json(struct gatt_db **out, const char *path, char *err, size_t errlen)
{
	json_error_t jerr;
	json_t *root = json_load_file(path, JSON_REJECT_DUPLICATES, &jerr);
	int rc = load_root(root, &jerr, path, out, err, errlen);
	json_decref(root);
	return rc;
}

int gatt_db_load_json_string(struct gatt_db **out, const char *json, const char *name,
			     char *err, size_t errlen)
{
	json_error_t jerr;
	json_t *root = json_loads(json, JSON_REJECT_DUPLICATES, &jerr);
	int rc = load_root(root, &jerr, name, out, err, errlen);
	json_decref(root);
	return rc;
}
