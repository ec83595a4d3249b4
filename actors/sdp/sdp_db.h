/* The SDP service record database.
 *
 * Records are kept in handle order; each holds its attributes sorted by ID,
 * every value stored as its encoded data element, and the UUIDs found
 * anywhere in its values (for service search patterns). Record 0x00000000
 * is the SDP server's own (ServiceRecordHandle, ServiceClassIDList
 * {0x1000}, VersionNumberList {0x0100}); records from a file get handles
 * 0x00010000 upward. The database does not change once loaded.
 */
#ifndef SDP_DB_H
#define SDP_DB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sdp_codec.h"

#define SDP_ATTR_SERVICE_RECORD_HANDLE 0x0000
#define SDP_ATTR_SERVICE_CLASS_ID_LIST 0x0001
#define SDP_ATTR_VERSION_NUMBER_LIST 0x0200
#define SDP_FIRST_HANDLE 0x00010000u
#define SDP_SERVER_CLASS 0x1000

struct sdp_attr {
	uint16_t id;
	uint32_t len;
	uint8_t *value; /* one encoded data element */
};

struct sdp_record {
	uint32_t handle;
	size_t n_attrs;
	struct sdp_attr *attrs; /* sorted by id */
	size_t n_uuids;
	struct sdp_uuid *uuids; /* every UUID in the values, no duplicates */
};

struct sdp_db;

/* A database holding only the SDP server's record. 0 or -ENOMEM. */
int sdp_db_new(struct sdp_db **out);
/* Idempotent; nulls the caller's pointer. */
void sdp_db_destroy(struct sdp_db **self_p);

/* Adds an empty record: handle 0 takes the next free one from 0x00010000.
 * Its ServiceRecordHandle attribute is set. Returns the record in *out, or
 * -EEXIST (handle taken), -EINVAL (a handle under 0x00010000), -ENOSPC,
 * -ENOMEM. The record pointer is good until the next record is added. */
int sdp_db_add_record(struct sdp_db *db, uint32_t handle, struct sdp_record **out);
/* Sets attribute id of a record to one encoded data element (copied). Returns
 * 0, -EINVAL (not one valid element, or id 0x0000), -EEXIST, -ENOMEM. */
int sdp_db_set_attr(struct sdp_db *db, struct sdp_record *rec, uint16_t id, const uint8_t *value,
		    size_t len);

size_t sdp_db_count(const struct sdp_db *db);
const struct sdp_record *sdp_db_at(const struct sdp_db *db, size_t i);
const struct sdp_record *sdp_db_find(const struct sdp_db *db, uint32_t handle);
/* Room enough for the attribute lists of every record with every attribute,
 * wrapped in one more sequence (the largest ServiceSearchAttribute answer),
 * including what open sequences reserve while they are written. */
size_t sdp_db_max_lists_len(const struct sdp_db *db);

/* True when every UUID of the pattern is in the record's values. */
bool sdp_record_matches(const struct sdp_record *rec, const struct sdp_pattern *p);
/* True when attribute id is named by the list (singly or in a range). */
bool sdp_id_list_has(const struct sdp_id_list *ids, uint16_t id);
/* Writes the record's attribute list for ids: a sequence of (ID, value)
 * pairs in ascending ID order. Returns how many attributes it holds
 * (check wr_ok(w)). */
size_t sdp_record_attr_list(const struct sdp_record *rec, const struct sdp_id_list *ids,
			    struct wr *w);

/* The JSON loader (sdp_db_json.c; the format is described there). On
 * failure returns -EINVAL (or -ENOMEM, -ENOENT...) with err naming the file
 * and the key. */
int sdp_db_load_json_file(struct sdp_db **out, const char *path, char *err, size_t errlen);
int sdp_db_load_json_string(struct sdp_db **out, const char *json, const char *name, char *err,
			    size_t errlen);

#endif
