/* The GATT attribute database (Core Vol 3 Part G 3).
 *
 * A flat array of attributes in handle order, handles assigned 1, 2, 3, ...
 * as things are added, so the same description always gives the same
 * handles. gatt_db_new() adds the GAP service (Device Name, Appearance,
 * Peripheral Preferred Connection Parameters) and the GATT service (Service
 * Changed with its CCCD, Client Supported Features, Database Hash, Server
 * Supported Features) first; the application adds its services after, then
 * calls gatt_db_finish() which closes the groups, fills included service
 * declarations and computes the Database Hash (Vol 3 Part G 7.3). Nothing
 * can be added after finish.
 *
 * The database holds values shared by every connection; per-connection
 * values (CCCDs, Client Supported Features) live in the server.
 */
#ifndef HIVE_GATT_DB_H
#define HIVE_GATT_DB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "att_codec.h"

/* Attribute types (Assigned Numbers). */
#define GATT_PRIMARY_SERVICE_UUID 0x2800
#define GATT_SECONDARY_SERVICE_UUID 0x2801
#define GATT_INCLUDE_UUID 0x2802
#define GATT_CHARACTERISTIC_UUID 0x2803
#define GATT_CHAR_EXT_PROPS_UUID 0x2900
#define GATT_CHAR_USER_DESC_UUID 0x2901
#define GATT_CLIENT_CHAR_CFG_UUID 0x2902
#define GATT_SERVER_CHAR_CFG_UUID 0x2903
#define GATT_CHAR_FORMAT_UUID 0x2904
#define GATT_CHAR_AGG_FORMAT_UUID 0x2905

#define GAP_SERVICE_UUID 0x1800
#define GATT_SERVICE_UUID 0x1801
#define GAP_DEVICE_NAME_UUID 0x2a00
#define GAP_APPEARANCE_UUID 0x2a01
#define GAP_PPCP_UUID 0x2a04
#define GATT_SERVICE_CHANGED_UUID 0x2a05
#define GATT_CLIENT_FEATURES_UUID 0x2b29
#define GATT_DB_HASH_UUID 0x2b2a
#define GATT_SERVER_FEATURES_UUID 0x2b3a

/* Characteristic properties (Vol 3 Part G 3.3.1.1). */
#define GATT_PROP_BROADCAST 0x01
#define GATT_PROP_READ 0x02
#define GATT_PROP_WRITE_WITHOUT_RESPONSE 0x04
#define GATT_PROP_WRITE 0x08
#define GATT_PROP_NOTIFY 0x10
#define GATT_PROP_INDICATE 0x20
#define GATT_PROP_AUTHENTICATED_SIGNED_WRITES 0x40
#define GATT_PROP_EXTENDED_PROPERTIES 0x80

/* Characteristic Extended Properties (Vol 3 Part G 3.3.3.1). */
#define GATT_EXT_PROP_RELIABLE_WRITE 0x0001
#define GATT_EXT_PROP_WRITABLE_AUXILIARIES 0x0002

/* CCCD bits. */
#define GATT_CCC_NOTIFY 0x0001
#define GATT_CCC_INDICATE 0x0002

/* Attribute permissions. */
#define GATT_PERM_READ 0x0001
#define GATT_PERM_WRITE 0x0002
#define GATT_PERM_READ_ENCRYPTED 0x0004
#define GATT_PERM_READ_AUTHENTICATED 0x0008
#define GATT_PERM_READ_AUTHORIZED 0x0010
#define GATT_PERM_WRITE_ENCRYPTED 0x0020
#define GATT_PERM_WRITE_AUTHENTICATED 0x0040
#define GATT_PERM_WRITE_AUTHORIZED 0x0080

/* Special attributes the server treats itself. */
enum gatt_attr_role {
	GATT_ROLE_PLAIN = 0,
	GATT_ROLE_CCCD,            /* value per connection */
	GATT_ROLE_CLIENT_FEATURES, /* value per connection */
};

struct gatt_attr {
	uint16_t handle;
	struct att_uuid type;
	uint16_t perm;
	uint8_t min_key_size; /* 0: any */
	enum gatt_attr_role role;
	bool fixed_len;       /* writes must keep the length */
	uint16_t max_len;     /* capacity of value */
	uint16_t len;
	uint8_t *value;
	/* Service declarations: last handle of the group. */
	uint16_t end_group;
	/* Characteristic declarations, values and descriptors: the
	 * characteristic's value handle and properties. 0 outside. */
	uint16_t char_value;
	uint8_t props;
	uint16_t ext_props;
	/* CCCDs: index into the server's per-connection CCCD table. */
	uint16_t cccd_index;
	/* Include declarations: the included service's declaration handle. */
	uint16_t include_of;
	/* An app provides the value: reads and writes go to it (see
	 * gatt_provider.h); value holds only what the JSON or set_value put. */
	bool provided;
};

struct gatt_db;

/* What the always-present services hold. */
struct gatt_db_config {
	const char *device_name; /* NULL: "hive" */
	uint16_t appearance;
	bool no_ppcp;            /* leave out Peripheral Preferred Connection Parameters */
	uint16_t ppcp[4];        /* min interval, max interval, latency, timeout */
	bool no_server_features; /* leave out Server Supported Features */
};

/* Creates a database with the GAP and GATT services. cfg may be NULL.
 * Returns 0 or -ENOMEM. */
int gatt_db_new(struct gatt_db **out, const struct gatt_db_config *cfg);
/* Idempotent; nulls the caller's pointer. */
void gatt_db_destroy(struct gatt_db **self_p);

/* Starts a service; it ends where the next one starts or at finish.
 * Returns the declaration handle (> 0) or -errno. */
int gatt_db_add_service(struct gatt_db *db, const struct att_uuid *uuid, bool primary);
/* Includes the service whose declaration is at service_handle (declared
 * earlier). Returns the include's handle or -errno (-EINVAL when
 * service_handle is not a service). Must come before the characteristics. */
int gatt_db_add_include(struct gatt_db *db, uint16_t service_handle);

struct gatt_char_def {
	struct att_uuid uuid;
	uint8_t props;       /* GATT_PROP_*; EXTENDED_PROPERTIES is set from ext_props */
	uint16_t ext_props;  /* GATT_EXT_PROP_*; non-zero adds the descriptor */
	uint16_t perm;       /* GATT_PERM_* of the value */
	uint8_t min_key_size;
	const uint8_t *value;
	size_t len;
	size_t max_len;      /* 0: len (and at least 1); at most 512 */
	bool fixed_len;
};

/* Adds a declaration and a value (and the extended properties descriptor
 * and, with notify or indicate, a CCCD right after the value). Returns the
 * value handle or -errno. */
int gatt_db_add_characteristic(struct gatt_db *db, const struct gatt_char_def *def);
/* Adds a descriptor to the last characteristic. Adding a CCCD by hand is
 * refused (-EEXIST when one is already there). Returns its handle or -errno. */
int gatt_db_add_descriptor(struct gatt_db *db, const struct att_uuid *uuid, uint16_t perm,
			   uint8_t min_key_size, const uint8_t *value, size_t len,
			   size_t max_len);

/* Closes groups, fills includes, computes the Database Hash. 0 or -errno. */
int gatt_db_finish(struct gatt_db *db);

/* ---- runtime changes (a finished database) ---------------------------------- */
/* Appends a primary service with n characteristics after the last
 * attribute, closes it and recomputes the Database Hash. Characteristics
 * that notify or indicate are refused (-ENOTSUP: their CCCDs would need
 * room in every connection). Returns the service handle with *end its
 * last handle, or -errno (nothing changed). */
int gatt_db_append_service(struct gatt_db *db, const struct att_uuid *uuid,
			   const struct gatt_char_def *chars, size_t n, uint16_t *end);
/* Removes the service declared at handle, which must be the last one
 * (handles stay dense and the others keep theirs) and included by none;
 * *end is its old last handle. 0, -ENOENT, -EPERM (GAP, GATT), -EBUSY. */
int gatt_db_remove_service(struct gatt_db *db, uint16_t handle, uint16_t *end);

/* ---- queries -------------------------------------------------------------- */
size_t gatt_db_count(const struct gatt_db *db);
bool gatt_db_is_finished(const struct gatt_db *db);
/* The attribute at handle, or NULL. */
struct gatt_attr *gatt_db_get(struct gatt_db *db, uint16_t handle);
const struct gatt_attr *gatt_db_at(const struct gatt_db *db, size_t index);
/* Index of the first attribute with handle >= h (count when none). */
size_t gatt_db_lower_bound(const struct gatt_db *db, uint16_t h);
uint16_t gatt_db_cccd_count(const struct gatt_db *db);
/* The CCCD of a characteristic value handle, or 0. */
uint16_t gatt_db_cccd_of(const struct gatt_db *db, uint16_t value_handle);
/* Handles of the fixed parts. */
uint16_t gatt_db_service_changed_handle(const struct gatt_db *db);
uint16_t gatt_db_hash_handle(const struct gatt_db *db);
const uint8_t *gatt_db_hash(const struct gatt_db *db);

/* Sets a value (copied). -ENOENT, -EMSGSIZE beyond max_len, -EINVAL when
 * fixed_len and the length differs. */
int gatt_db_set_value(struct gatt_db *db, uint16_t handle, const uint8_t *value, size_t len);

/* The Database Hash of the attributes as they are (exposed for tests). */
int gatt_db_compute_hash(const struct gatt_db *db, uint8_t out[16]);

/* AES-CMAC (RFC 4493) of msg under a 16-byte key, output in the order
 * OpenSSL gives it (most significant byte first). 0 or -EIO. */
int gatt_aes_cmac(const uint8_t key[16], const uint8_t *msg, size_t len, uint8_t out[16]);

/* ---- JSON (gatt_db_json.c) ------------------------------------------------- */
/* Builds a finished database from a JSON file (format at the top of
 * gatt_db_json.c). On failure returns -errno and writes a message naming the
 * file and the key into err. */
int gatt_db_load_json(struct gatt_db **out, const char *path, char *err, size_t errlen);
/* The same from a string; "name" stands for the file in messages. */
int gatt_db_load_json_string(struct gatt_db **out, const char *json, const char *name,
			     char *err, size_t errlen);

#endif
