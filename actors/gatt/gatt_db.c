/* The GATT attribute database (see gatt_db.h). */
#include "gatt_db.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/params.h>

struct gatt_db {
	struct gatt_attr *attrs;
	size_t n, cap;
	bool finished;
	size_t last_service; /* index of the open service; SIZE_MAX when none */
	size_t last_char;    /* index of the last characteristic declaration */
	bool chars_started;  /* in the open service */
	uint16_t cccds;
	uint16_t service_changed;
	uint16_t hash_handle;
	uint8_t hash[16];
};

static int push(struct gatt_db *db, struct att_uuid type, uint16_t perm, const uint8_t *value,
		size_t len, size_t max_len)
{
	if (db->finished)
		return -EBUSY;
	if (db->n >= 0xffff)
		return -ENOSPC;
	if (max_len < len)
		max_len = len;
	if (max_len > ATT_MAX_VALUE_LEN)
		return -EMSGSIZE;
	if (db->n == db->cap) {
		size_t cap = db->cap ? db->cap * 2 : 32;
		struct gatt_attr *a = realloc(db->attrs, cap * sizeof *a);
		if (!a)
			return -ENOMEM;
		db->attrs = a;
		db->cap = cap;
	}
	struct gatt_attr *a = &db->attrs[db->n];
	memset(a, 0, sizeof *a);
	a->value = calloc(1, max_len ? max_len : 1);
	if (!a->value)
		return -ENOMEM;
	a->handle = (uint16_t)(db->n + 1);
	a->type = type;
	a->perm = perm;
	a->max_len = (uint16_t)max_len;
	a->len = (uint16_t)len;
	if (len)
		memcpy(a->value, value, len);
	db->n++;
	return a->handle;
}

int gatt_db_add_service(struct gatt_db *db, const struct att_uuid *uuid, bool primary)
{
	uint8_t v[16];
	struct att_uuid u = att_uuid_shorten(uuid);
	memcpy(v, u.b, u.len);
	int h = push(db, att_uuid16(primary ? GATT_PRIMARY_SERVICE_UUID : GATT_SECONDARY_SERVICE_UUID),
		     GATT_PERM_READ, v, u.len, 0);
	if (h < 0)
		return h;
	db->last_service = db->n - 1;
	db->chars_started = false;
	db->last_char = SIZE_MAX;
	return h;
}

int gatt_db_add_include(struct gatt_db *db, uint16_t service_handle)
{
	if (db->last_service == SIZE_MAX || db->chars_started)
		return -EPROTO;
	struct gatt_attr *s = gatt_db_get(db, service_handle);
	if (!s || !(att_uuid_is(&s->type, GATT_PRIMARY_SERVICE_UUID) ||
		    att_uuid_is(&s->type, GATT_SECONDARY_SERVICE_UUID)) ||
	    service_handle == db->attrs[db->last_service].handle)
		return -EINVAL;
	/* Filled at finish: handle, end group handle, UUID when 16 bits. */
	uint8_t v[6] = { 0 };
	int h = push(db, att_uuid16(GATT_INCLUDE_UUID), GATT_PERM_READ, v, s->len == 2 ? 6 : 4, 0);
	if (h > 0)
		db->attrs[h - 1].include_of = service_handle;
	return h;
}

static int add_descriptor(struct gatt_db *db, struct att_uuid type, uint16_t perm,
			  uint8_t min_key_size, const uint8_t *value, size_t len, size_t max_len,
			  enum gatt_attr_role role, bool fixed);

int gatt_db_add_characteristic(struct gatt_db *db, const struct gatt_char_def *def)
{
	if (db->last_service == SIZE_MAX)
		return -EPROTO;
	if (def->uuid.len != 2 && def->uuid.len != 16)
		return -EINVAL;
	uint8_t props = def->props & (uint8_t)~GATT_PROP_EXTENDED_PROPERTIES;
	if (def->ext_props)
		props |= GATT_PROP_EXTENDED_PROPERTIES;
	struct att_uuid u = att_uuid_shorten(&def->uuid);
	uint16_t value_handle = (uint16_t)(db->n + 2);
	uint8_t decl[19] = { props, (uint8_t)value_handle, (uint8_t)(value_handle >> 8) };
	memcpy(decl + 3, u.b, u.len);
	size_t max_len = def->max_len ? def->max_len : def->len;
	if (max_len < def->len || max_len > ATT_MAX_VALUE_LEN)
		return -EMSGSIZE;
	int d = push(db, att_uuid16(GATT_CHARACTERISTIC_UUID), GATT_PERM_READ, decl, 3u + u.len, 0);
	if (d < 0)
		return d;
	int h = push(db, u, def->perm, def->value, def->len, max_len);
	if (h < 0) {
		db->n--;
		free(db->attrs[db->n].value);
		return h;
	}
	db->chars_started = true;
	db->last_char = (size_t)d - 1;
	for (int i = d - 1; i < h; i++) {
		db->attrs[i].char_value = (uint16_t)h;
		db->attrs[i].props = props;
		db->attrs[i].ext_props = def->ext_props;
	}
	struct gatt_attr *v = &db->attrs[h - 1];
	v->min_key_size = def->min_key_size;
	v->fixed_len = def->fixed_len;
	int rc;
	if (def->ext_props) {
		uint8_t ep[2] = { (uint8_t)def->ext_props, (uint8_t)(def->ext_props >> 8) };
		rc = add_descriptor(db, att_uuid16(GATT_CHAR_EXT_PROPS_UUID), GATT_PERM_READ, 0,
				    ep, 2, 0, GATT_ROLE_PLAIN, true);
		if (rc < 0)
			return rc;
	}
	if (props & (GATT_PROP_NOTIFY | GATT_PROP_INDICATE)) {
		static const uint8_t zero[2] = { 0 };
		rc = add_descriptor(db, att_uuid16(GATT_CLIENT_CHAR_CFG_UUID),
				    GATT_PERM_READ | GATT_PERM_WRITE, 0, zero, 2, 0, GATT_ROLE_CCCD,
				    true);
		if (rc < 0)
			return rc;
	}
	return h;
}

static int add_descriptor(struct gatt_db *db, struct att_uuid type, uint16_t perm,
			  uint8_t min_key_size, const uint8_t *value, size_t len, size_t max_len,
			  enum gatt_attr_role role, bool fixed)
{
	if (db->last_char == SIZE_MAX)
		return -EPROTO;
	int h = push(db, type, perm, value, len, max_len);
	if (h < 0)
		return h;
	struct gatt_attr *a = &db->attrs[h - 1];
	const struct gatt_attr *c = &db->attrs[db->last_char];
	a->char_value = c->char_value;
	a->props = c->props;
	a->ext_props = c->ext_props;
	a->role = role;
	a->fixed_len = fixed;
	a->min_key_size = min_key_size;
	if (role == GATT_ROLE_CCCD)
		a->cccd_index = db->cccds++;
	return h;
}

int gatt_db_add_descriptor(struct gatt_db *db, const struct att_uuid *uuid, uint16_t perm,
			   uint8_t min_key_size, const uint8_t *value, size_t len, size_t max_len)
{
	if (db->last_char == SIZE_MAX)
		return -EPROTO;
	if (uuid->len != 2 && uuid->len != 16)
		return -EINVAL;
	struct att_uuid type = att_uuid_shorten(uuid);
	if (att_uuid_is(&type, GATT_CLIENT_CHAR_CFG_UUID))
		return gatt_db_cccd_of(db, db->attrs[db->last_char].char_value) ? -EEXIST : -EINVAL;
	if (att_uuid_is(&type, GATT_CHAR_EXT_PROPS_UUID))
		return -EEXIST;
	return add_descriptor(db, type, perm, min_key_size, value, len, max_len, GATT_ROLE_PLAIN,
			      false);
}

static int add_fixed_services(struct gatt_db *db, const struct gatt_db_config *cfg)
{
	const char *name = cfg && cfg->device_name ? cfg->device_name : "hive";
	uint16_t app = cfg ? cfg->appearance : 0;
	uint8_t appv[2] = { (uint8_t)app, (uint8_t)(app >> 8) };
	int rc = gatt_db_add_service(db, &(struct att_uuid){ .len = 2, .b = { 0x00, 0x18 } }, true);
	struct gatt_char_def c = { .uuid = att_uuid16(GAP_DEVICE_NAME_UUID),
				   .props = GATT_PROP_READ,
				   .perm = GATT_PERM_READ,
				   .value = (const uint8_t *)name,
				   .len = strlen(name) };
	if (c.len > 248)
		return -EMSGSIZE;
	if (rc > 0)
		rc = gatt_db_add_characteristic(db, &c);
	c = (struct gatt_char_def){ .uuid = att_uuid16(GAP_APPEARANCE_UUID),
				    .props = GATT_PROP_READ,
				    .perm = GATT_PERM_READ,
				    .value = appv,
				    .len = 2,
				    .fixed_len = true };
	if (rc > 0)
		rc = gatt_db_add_characteristic(db, &c);
	if (rc > 0 && !(cfg && cfg->no_ppcp)) {
		static const uint16_t def_ppcp[4] = { 0x0018, 0x0028, 0, 0x01f4 };
		const uint16_t *p = cfg && (cfg->ppcp[0] || cfg->ppcp[3]) ? cfg->ppcp : def_ppcp;
		uint8_t v[8];
		for (int i = 0; i < 4; i++) {
			v[2 * i] = (uint8_t)p[i];
			v[2 * i + 1] = (uint8_t)(p[i] >> 8);
		}
		c = (struct gatt_char_def){ .uuid = att_uuid16(GAP_PPCP_UUID),
					    .props = GATT_PROP_READ,
					    .perm = GATT_PERM_READ,
					    .value = v,
					    .len = 8,
					    .fixed_len = true };
		rc = gatt_db_add_characteristic(db, &c);
	}
	if (rc > 0)
		rc = gatt_db_add_service(db, &(struct att_uuid){ .len = 2, .b = { 0x01, 0x18 } },
					 true);
	c = (struct gatt_char_def){ .uuid = att_uuid16(GATT_SERVICE_CHANGED_UUID),
				    .props = GATT_PROP_INDICATE,
				    .perm = 0,
				    .max_len = 4 };
	if (rc > 0)
		rc = db->service_changed = (uint16_t)gatt_db_add_characteristic(db, &c);
	static const uint8_t zero = 0;
	c = (struct gatt_char_def){ .uuid = att_uuid16(GATT_CLIENT_FEATURES_UUID),
				    .props = GATT_PROP_READ | GATT_PROP_WRITE,
				    .perm = GATT_PERM_READ | GATT_PERM_WRITE,
				    .value = &zero,
				    .len = 1 };
	if (rc > 0) {
		rc = gatt_db_add_characteristic(db, &c);
		if (rc > 0)
			db->attrs[rc - 1].role = GATT_ROLE_CLIENT_FEATURES;
	}
	c = (struct gatt_char_def){ .uuid = att_uuid16(GATT_DB_HASH_UUID),
				    .props = GATT_PROP_READ,
				    .perm = GATT_PERM_READ,
				    .max_len = 16 };
	if (rc > 0)
		rc = db->hash_handle = (uint16_t)gatt_db_add_characteristic(db, &c);
	c = (struct gatt_char_def){ .uuid = att_uuid16(GATT_SERVER_FEATURES_UUID),
				    .props = GATT_PROP_READ,
				    .perm = GATT_PERM_READ,
				    .value = &zero,
				    .len = 1,
				    .fixed_len = true };
	if (rc > 0 && !(cfg && cfg->no_server_features))
		rc = gatt_db_add_characteristic(db, &c);
	return rc < 0 ? rc : 0;
}

int gatt_db_new(struct gatt_db **out, const struct gatt_db_config *cfg)
{
	*out = NULL;
	struct gatt_db *db = calloc(1, sizeof *db);
	if (!db)
		return -ENOMEM;
	db->last_service = SIZE_MAX;
	db->last_char = SIZE_MAX;
	int rc = add_fixed_services(db, cfg);
	if (rc < 0) {
		gatt_db_destroy(&db);
		return rc;
	}
	*out = db;
	return 0;
}

void gatt_db_destroy(struct gatt_db **self_p)
{
	if (!self_p || !*self_p)
		return;
	struct gatt_db *db = *self_p;
	for (size_t i = 0; i < db->n; i++)
		free(db->attrs[i].value);
	free(db->attrs);
	free(db);
	*self_p = NULL;
}

static bool is_service(const struct gatt_attr *a)
{
	return att_uuid_is(&a->type, GATT_PRIMARY_SERVICE_UUID) ||
	       att_uuid_is(&a->type, GATT_SECONDARY_SERVICE_UUID);
}

int gatt_db_finish(struct gatt_db *db)
{
	if (db->finished)
		return -EBUSY;
	/* Close the groups: a service ends just before the next one. */
	uint16_t end = (uint16_t)db->n;
	for (size_t i = db->n; i-- > 0;) {
		if (is_service(&db->attrs[i])) {
			db->attrs[i].end_group = end;
			end = (uint16_t)i;
		}
	}
	for (size_t i = 0; i < db->n; i++) {
		struct gatt_attr *a = &db->attrs[i];
		if (!att_uuid_is(&a->type, GATT_INCLUDE_UUID))
			continue;
		const struct gatt_attr *s = &db->attrs[a->include_of - 1];
		uint8_t *v = a->value;
		v[0] = (uint8_t)s->handle;
		v[1] = (uint8_t)(s->handle >> 8);
		v[2] = (uint8_t)s->end_group;
		v[3] = (uint8_t)(s->end_group >> 8);
		if (s->len == 2)
			memcpy(v + 4, s->value, 2);
	}
	int rc = gatt_db_compute_hash(db, db->hash);
	if (rc < 0)
		return rc;
	struct gatt_attr *h = gatt_db_get(db, db->hash_handle);
	if (h) {
		memcpy(h->value, db->hash, 16);
		h->len = 16;
	}
	db->finished = true;
	return 0;
}

/* ---- runtime changes ---------------------------------------------------------- */

/* Drops the attributes from index from on. */
static void truncate_to(struct gatt_db *db, size_t from)
{
	for (size_t i = from; i < db->n; i++) {
		if (db->attrs[i].role == GATT_ROLE_CCCD)
			db->cccds--;
		free(db->attrs[i].value);
	}
	db->n = from;
}

/* Closes the groups and recomputes the hash after a change. */
static int refinish(struct gatt_db *db)
{
	db->finished = false;
	db->last_service = SIZE_MAX;
	db->last_char = SIZE_MAX;
	return gatt_db_finish(db);
}

int gatt_db_append_service(struct gatt_db *db, const struct att_uuid *uuid,
			   const struct gatt_char_def *chars, size_t n, uint16_t *end)
{
	if (!db->finished || (uuid->len != 2 && uuid->len != 16))
		return -EINVAL;
	for (size_t i = 0; i < n; i++)
		if (chars[i].props & (GATT_PROP_NOTIFY | GATT_PROP_INDICATE))
			return -ENOTSUP; /* a CCCD would need room in every connection */
	size_t from = db->n;
	db->finished = false;
	int h = gatt_db_add_service(db, uuid, true);
	for (size_t i = 0; i < n && h > 0; i++) {
		int rc = gatt_db_add_characteristic(db, &chars[i]);
		if (rc < 0)
			h = rc;
	}
	if (h < 0)
		truncate_to(db, from);
	int rc = refinish(db);
	if (h > 0 && rc < 0) {
		truncate_to(db, from);
		refinish(db);
		h = rc;
	}
	if (h > 0)
		*end = (uint16_t)db->n;
	return h;
}

int gatt_db_remove_service(struct gatt_db *db, uint16_t handle, uint16_t *end)
{
	const struct gatt_attr *a = gatt_db_get(db, handle);
	if (!db->finished)
		return -EINVAL;
	if (!a || !is_service(a))
		return -ENOENT;
	if (handle <= db->hash_handle)
		return -EPERM; /* the GAP and GATT services stay */
	if (a->end_group != db->n)
		return -EBUSY; /* only the last: handles stay dense and stable */
	for (size_t i = 0; i < db->n; i++)
		if (db->attrs[i].include_of == handle)
			return -EBUSY;
	*end = a->end_group;
	truncate_to(db, (size_t)handle - 1);
	return refinish(db);
}

/* ---- queries ---------------------------------------------------------------- */

size_t gatt_db_count(const struct gatt_db *db)
{
	return db->n;
}

bool gatt_db_is_finished(const struct gatt_db *db)
{
	return db->finished;
}

struct gatt_attr *gatt_db_get(struct gatt_db *db, uint16_t handle)
{
	return handle && handle <= db->n ? &db->attrs[handle - 1] : NULL;
}

const struct gatt_attr *gatt_db_at(const struct gatt_db *db, size_t index)
{
	return index < db->n ? &db->attrs[index] : NULL;
}

size_t gatt_db_lower_bound(const struct gatt_db *db, uint16_t h)
{
	/* Handles are dense from 1. */
	if (h == 0)
		return 0;
	return (size_t)h - 1 < db->n ? (size_t)h - 1 : db->n;
}

uint16_t gatt_db_cccd_count(const struct gatt_db *db)
{
	return db->cccds;
}

uint16_t gatt_db_cccd_of(const struct gatt_db *db, uint16_t value_handle)
{
	for (size_t i = value_handle; value_handle && i < db->n; i++) {
		const struct gatt_attr *a = &db->attrs[i];
		if (a->char_value != value_handle)
			break;
		if (a->role == GATT_ROLE_CCCD)
			return a->handle;
	}
	return 0;
}

uint16_t gatt_db_hash_handle(const struct gatt_db *db)
{
	return db->hash_handle;
}

uint16_t gatt_db_service_changed_handle(const struct gatt_db *db)
{
	return db->service_changed;
}

const uint8_t *gatt_db_hash(const struct gatt_db *db)
{
	return db->hash;
}

int gatt_db_set_value(struct gatt_db *db, uint16_t handle, const uint8_t *value, size_t len)
{
	struct gatt_attr *a = gatt_db_get(db, handle);
	if (!a)
		return -ENOENT;
	if (len > a->max_len)
		return -EMSGSIZE;
	if (a->fixed_len && len != a->len)
		return -EINVAL;
	if (len)
		memcpy(a->value, value, len);
	a->len = (uint16_t)len;
	return 0;
}

/* ---- the Database Hash (Vol 3 Part G 7.3) ------------------------------------- */

int gatt_aes_cmac(const uint8_t key[16], const uint8_t *msg, size_t len, uint8_t out[16])
{
	int rc = -EIO;
	EVP_MAC *mac = EVP_MAC_fetch(NULL, "CMAC", NULL);
	EVP_MAC_CTX *ctx = mac ? EVP_MAC_CTX_new(mac) : NULL;
	char cipher[] = "AES-128-CBC";
	OSSL_PARAM params[] = {
		OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_CIPHER, cipher, 0),
		OSSL_PARAM_construct_end(),
	};
	size_t outl = 0;
	if (ctx && EVP_MAC_init(ctx, key, 16, params) && EVP_MAC_update(ctx, msg, len) &&
	    EVP_MAC_final(ctx, out, &outl, 16) && outl == 16)
		rc = 0;
	EVP_MAC_CTX_free(ctx);
	EVP_MAC_free(mac);
	return rc;
}

int gatt_db_compute_hash(const struct gatt_db *db, uint8_t out[16])
{
	size_t cap = 0;
	for (size_t i = 0; i < db->n; i++)
		cap += 4 + db->attrs[i].len;
	uint8_t *m = malloc(cap ? cap : 1);
	if (!m)
		return -ENOMEM;
	struct wr w = wr_init(m, cap);
	for (size_t i = 0; i < db->n; i++) {
		const struct gatt_attr *a = &db->attrs[i];
		if (a->type.len != 2)
			continue;
		uint16_t t = (uint16_t)(a->type.b[0] | a->type.b[1] << 8);
		bool with_value = t == GATT_PRIMARY_SERVICE_UUID ||
				  t == GATT_SECONDARY_SERVICE_UUID || t == GATT_INCLUDE_UUID ||
				  t == GATT_CHARACTERISTIC_UUID || t == GATT_CHAR_EXT_PROPS_UUID;
		bool bare = t == GATT_CHAR_USER_DESC_UUID || t == GATT_CLIENT_CHAR_CFG_UUID ||
			    t == GATT_SERVER_CHAR_CFG_UUID || t == GATT_CHAR_FORMAT_UUID ||
			    t == GATT_CHAR_AGG_FORMAT_UUID;
		if (!with_value && !bare)
			continue;
		wr_le16(&w, a->handle);
		wr_le16(&w, t);
		if (with_value)
			wr_bytes(&w, a->value, a->len);
	}
	uint8_t zero[16] = { 0 };
	int rc = wr_ok(&w) ? gatt_aes_cmac(zero, m, w.len, out) : -EOVERFLOW;
	free(m);
	return rc;
}
