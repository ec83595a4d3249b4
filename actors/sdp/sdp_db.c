/* The SDP service record database (see sdp_db.h). */
#include "sdp_db.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* Far more than any device carries; keeps every size a 32-bit number. */
#define SDP_DB_RECORDS_MAX 1024

struct sdp_db {
	size_t n;
	struct sdp_record *recs; /* sorted by handle */
};

static void record_free(struct sdp_record *r)
{
	for (size_t i = 0; i < r->n_attrs; i++)
		free(r->attrs[i].value);
	free(r->attrs);
	free(r->uuids);
}

void sdp_db_destroy(struct sdp_db **self_p)
{
	if (!self_p || !*self_p)
		return;
	struct sdp_db *db = *self_p;
	for (size_t i = 0; i < db->n; i++)
		record_free(&db->recs[i]);
	free(db->recs);
	free(db);
	*self_p = NULL;
}

static void add_uuid(const struct sdp_uuid *u, void *arg)
{
	struct sdp_record *r = arg;
	for (size_t i = 0; i < r->n_uuids; i++)
		if (sdp_uuid_eq(&r->uuids[i], u))
			return;
	/* uuids has room for every UUID of the record (counted first). */
	r->uuids[r->n_uuids++] = *u;
}

static void count_uuid(const struct sdp_uuid *u, void *arg)
{
	(void)u;
	(*(size_t *)arg)++;
}

/* Collects the record's UUIDs again after a change. */
static int record_uuids(struct sdp_record *r)
{
	size_t n = 0;
	for (size_t i = 0; i < r->n_attrs; i++)
		sdp_de_each_uuid(r->attrs[i].value, r->attrs[i].len, count_uuid, &n);
	struct sdp_uuid *u = calloc(n ? n : 1, sizeof *u);
	if (!u)
		return -ENOMEM;
	free(r->uuids);
	r->uuids = u;
	r->n_uuids = 0;
	for (size_t i = 0; i < r->n_attrs; i++)
		sdp_de_each_uuid(r->attrs[i].value, r->attrs[i].len, add_uuid, r);
	return 0;
}

static int put_attr(struct sdp_record *rec, uint16_t id, const uint8_t *value, size_t len)
{
	size_t at = 0;
	while (at < rec->n_attrs && rec->attrs[at].id < id)
		at++;
	if (at < rec->n_attrs && rec->attrs[at].id == id)
		return -EEXIST;
	uint8_t *copy = malloc(len);
	struct sdp_attr *a = realloc(rec->attrs, (rec->n_attrs + 1) * sizeof *a);
	if (!copy || !a) {
		free(copy);
		if (a)
			rec->attrs = a;
		return -ENOMEM;
	}
	memcpy(copy, value, len);
	rec->attrs = a;
	memmove(&a[at + 1], &a[at], (rec->n_attrs - at) * sizeof *a);
	a[at] = (struct sdp_attr){ .id = id, .len = (uint32_t)len, .value = copy };
	rec->n_attrs++;
	return record_uuids(rec);
}

int sdp_db_set_attr(struct sdp_db *db, struct sdp_record *rec, uint16_t id, const uint8_t *value,
		    size_t len)
{
	(void)db;
	if (id == SDP_ATTR_SERVICE_RECORD_HANDLE || len > 0xffff || !sdp_de_valid(value, len))
		return -EINVAL;
	return put_attr(rec, id, value, len);
}

/* Adds a record with this exact handle. */
static int add_record(struct sdp_db *db, uint32_t handle, struct sdp_record **out)
{
	size_t at = 0;
	while (at < db->n && db->recs[at].handle < handle)
		at++;
	if (at < db->n && db->recs[at].handle == handle)
		return -EEXIST;
	struct sdp_record *r = realloc(db->recs, (db->n + 1) * sizeof *r);
	if (!r)
		return -ENOMEM;
	db->recs = r;
	memmove(&r[at + 1], &r[at], (db->n - at) * sizeof *r);
	memset(&r[at], 0, sizeof r[at]);
	r[at].handle = handle;
	db->n++;
	uint8_t v[5];
	struct wr w = wr_init(v, sizeof v);
	sdp_de_put_u32(&w, handle);
	int rc = put_attr(&r[at], SDP_ATTR_SERVICE_RECORD_HANDLE, v, w.len);
	if (rc < 0) {
		record_free(&r[at]);
		memmove(&r[at], &r[at + 1], (db->n - at - 1) * sizeof *r);
		db->n--;
		return rc;
	}
	*out = &r[at];
	return 0;
}

int sdp_db_add_record(struct sdp_db *db, uint32_t handle, struct sdp_record **out)
{
	if (db->n >= SDP_DB_RECORDS_MAX)
		return -ENOSPC;
	if (handle == 0) {
		handle = SDP_FIRST_HANDLE;
		for (size_t i = 0; i < db->n; i++)
			if (db->recs[i].handle >= handle)
				handle = db->recs[i].handle + 1;
		if (handle == 0) /* wrapped past 0xffffffff */
			return -ENOSPC;
	} else if (handle < SDP_FIRST_HANDLE) {
		return -EINVAL;
	}
	return add_record(db, handle, out);
}

int sdp_db_new(struct sdp_db **out)
{
	struct sdp_db *db = calloc(1, sizeof *db);
	struct sdp_record *rec;
	uint8_t v[16];
	struct wr w;
	size_t s;
	int rc = db ? 0 : -ENOMEM;
	if (rc == 0)
		rc = add_record(db, 0x00000000, &rec); /* the SDP server's own */
	if (rc == 0) {
		w = wr_init(v, sizeof v);
		s = sdp_de_seq_open(&w);
		sdp_de_put_uuid16(&w, SDP_SERVER_CLASS);
		sdp_de_seq_close(&w, s, SDP_DE_SEQ);
		rc = sdp_db_set_attr(db, rec, SDP_ATTR_SERVICE_CLASS_ID_LIST, v, w.len);
	}
	if (rc == 0) {
		w = wr_init(v, sizeof v);
		s = sdp_de_seq_open(&w);
		sdp_de_put_u16(&w, 0x0100);
		sdp_de_seq_close(&w, s, SDP_DE_SEQ);
		rc = sdp_db_set_attr(db, rec, SDP_ATTR_VERSION_NUMBER_LIST, v, w.len);
	}
	if (rc < 0)
		sdp_db_destroy(&db);
	*out = db;
	return rc;
}

size_t sdp_db_count(const struct sdp_db *db)
{
	return db->n;
}

const struct sdp_record *sdp_db_at(const struct sdp_db *db, size_t i)
{
	return i < db->n ? &db->recs[i] : NULL;
}

const struct sdp_record *sdp_db_find(const struct sdp_db *db, uint32_t handle)
{
	size_t lo = 0, hi = db->n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (db->recs[mid].handle == handle)
			return &db->recs[mid];
		if (db->recs[mid].handle < handle)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

size_t sdp_db_max_lists_len(const struct sdp_db *db)
{
	size_t n = SDP_DE_SEQ_HDR_MAX;
	for (size_t i = 0; i < db->n; i++) {
		n += SDP_DE_SEQ_HDR_MAX;
		for (size_t j = 0; j < db->recs[i].n_attrs; j++)
			n += 3 + db->recs[i].attrs[j].len;
	}
	return n;
}

bool sdp_record_matches(const struct sdp_record *rec, const struct sdp_pattern *p)
{
	for (unsigned i = 0; i < p->n; i++) {
		bool found = false;
		for (size_t j = 0; j < rec->n_uuids && !found; j++)
			found = sdp_uuid_eq(&rec->uuids[j], &p->uuid[i]);
		if (!found)
			return false;
	}
	return true;
}

bool sdp_id_list_has(const struct sdp_id_list *ids, uint16_t id)
{
	for (unsigned i = 0; i < ids->n; i++)
		if (ids->r[i].lo <= id && id <= ids->r[i].hi)
			return true;
	return false;
}

size_t sdp_record_attr_list(const struct sdp_record *rec, const struct sdp_id_list *ids,
			    struct wr *w)
{
	size_t n = 0, s = sdp_de_seq_open(w);
	for (size_t i = 0; i < rec->n_attrs; i++) {
		const struct sdp_attr *a = &rec->attrs[i];
		if (!sdp_id_list_has(ids, a->id))
			continue;
		sdp_de_put_u16(w, a->id);
		wr_bytes(w, a->value, a->len);
		n++;
	}
	sdp_de_seq_close(w, s, SDP_DE_SEQ);
	return n;
}
