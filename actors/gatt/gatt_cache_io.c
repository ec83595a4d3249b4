/* hive-gatt's side of the client cache and of runtime database changes
 * (see gatt_cache_io.h). */
#include "gatt_cache_io.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

/* Reads the peer's Database Hash for the cache (an internal procedure:
 * no asker). */
static void start_hash_read(struct gatt_actor *g, uint16_t conn, uint64_t now_ms)
{
	struct gatt_client_req q = { .type = GATT_PROC_READ_BY_UUID,
				     .uuid = att_uuid16(GATT_DB_HASH_UUID) };
	if (gatt_actor_client_request(g, "", 0, conn, &q, now_ms) == 0)
		gatt_cache_checking(&g->cache, conn, q.id);
	else
		gatt_cache_hash_result(&g->cache, conn, NULL);
}

bool gatt_cio_request(struct gatt_actor *g, const struct gatt_cio_shell *sh, const char *asker,
		      uint64_t request_id, uint16_t conn, struct gatt_client_req *q,
		      uint64_t now_ms)
{
	const struct gatt_client_event *items;
	size_t n;
	switch (gatt_cache_on_request(&g->cache, conn, q, asker, request_id)) {
	case GATT_CACHE_HIT:
		if (!gatt_cache_items(&g->cache, conn, gatt_cache_kind(q), &items, &n))
			return false;
		struct gatt_pending p = { .used = true, .request_id = request_id, .conn = conn,
					  .type = q->type, .items = (struct gatt_client_event *)items,
					  .n = n, .from_cache = true };
		snprintf(p.asker, sizeof p.asker, "%s", asker);
		struct gatt_client_event done = { .type = GATT_CEV_DONE, .proc = q->type,
						  .conn = conn };
		sh->answer(sh->arg, &p, &done);
		return true;
	case GATT_CACHE_CHECK:
		start_hash_read(g, conn, now_ms);
		return true;
	case GATT_CACHE_HOLD:
		return true;
	case GATT_CACHE_MISS:
	default:
		return false;
	}
}

bool gatt_cio_done(struct gatt_actor *g, struct gatt_pending *p,
		   const struct gatt_client_event *done)
{
	uint16_t conn;
	bool ok = !done->err && !done->att_error;
	if (gatt_cache_is_check(&g->cache, p->cookie, &conn)) {
		const uint8_t *hash = NULL;
		for (size_t i = 0; ok && i < p->n && !hash; i++)
			if (p->items[i].type == GATT_CEV_VALUE && p->items[i].value &&
			    p->items[i].len == 16)
				hash = p->items[i].value;
		gatt_cache_hash_result(&g->cache, conn, hash);
		return true;
	}
	if (!p->asker[0])
		return true; /* a hash read of ours whose link went: no one to answer */
	if (done->att_error == ATT_ECODE_DATABASE_OUT_OF_SYNC)
		gatt_cache_invalidate(&g->cache, p->conn);
	if (ok && p->cache_kind >= 0 &&
	    gatt_cache_store(&g->cache, p->conn, p->cache_kind, p->items, p->n)) {
		for (int i = 0; i < GATT_CACHE_LINKS; i++)
			if (g->cache.links[i].used && g->cache.links[i].conn == p->conn)
				g->cache.links[i].want_hash = true;
	}
	return false;
}

bool gatt_cio_release(struct gatt_actor *g, const struct gatt_cio_shell *sh, uint64_t now_ms)
{
	bool any = false;
	for (int i = 0; i < GATT_CACHE_LINKS; i++) {
		struct gatt_cache_link *l = &g->cache.links[i];
		if (l->used && l->want_hash && l->state == GATT_CACHE_VALID) {
			l->want_hash = false;
			start_hash_read(g, l->conn, now_ms);
			any = true;
		}
	}
	struct gatt_cache_held h;
	while (gatt_cache_next_held(&g->cache, &h)) {
		any = true;
		if (gatt_cio_request(g, sh, h.asker, h.request_id, h.conn, &h.req, now_ms))
			continue;
		int rc = gatt_actor_client_request(g, h.asker, h.request_id, h.conn, &h.req, now_ms);
		if (rc < 0)
			sh->fail(sh->arg, h.asker, h.request_id, rc,
				 rc == -ENOTCONN ? "no such connection" : "discovery");
	}
	return any;
}

int gatt_cio_db_change(struct gatt_actor *g, const Hive__GattDbChange *d,
		       Hive__GattDbChanged *out, const char **what)
{
	uint16_t start, end = 0;
	int rc;
	if (d->remove) {
		start = d->remove > 0xffff ? 0 : (uint16_t)d->remove;
		rc = gatt_db_remove_service(g->db, start, &end);
		*what = rc == -ENOENT ? "db_change: no service is declared at that handle"
			: rc == -EPERM ? "db_change: the GAP and GATT services cannot be removed"
			: rc == -EBUSY ? "db_change: only the last service can be removed (and "
					 "none that another includes)"
				       : "db_change";
	} else {
		struct gatt_char_def defs[16];
		struct att_uuid uuid = { 0 };
		size_t n = d->n_characteristics;
		rc = d->service_uuid.len == 2 || d->service_uuid.len == 16 ? 0 : -EINVAL;
		*what = "db_change: service_uuid must be 2 or 16 bytes (little-endian)";
		if (rc == 0 && n > 16) {
			rc = -E2BIG;
			*what = "db_change: at most 16 characteristics";
		}
		for (size_t i = 0; rc == 0 && i < n; i++) {
			const Hive__GattDbCharacteristic *c = d->characteristics[i];
			if ((c->uuid.len != 2 && c->uuid.len != 16) || c->properties > 0xff ||
			    c->permissions > 0xffff || c->max_length > ATT_MAX_VALUE_LEN) {
				rc = -EINVAL;
				*what = "db_change: a characteristic needs a 2- or 16-byte uuid, "
					"properties < 0x100, permissions < 0x10000, max_length <= 512";
				break;
			}
			defs[i] = (struct gatt_char_def){ .props = (uint8_t)c->properties,
							  .perm = (uint16_t)c->permissions,
							  .value = c->value.data, .len = c->value.len,
							  .max_len = c->max_length };
			defs[i].uuid.len = (uint8_t)c->uuid.len;
			memcpy(defs[i].uuid.b, c->uuid.data, c->uuid.len);
		}
		if (rc == 0) {
			uuid.len = (uint8_t)d->service_uuid.len;
			memcpy(uuid.b, d->service_uuid.data, uuid.len);
			rc = gatt_db_append_service(g->db, &uuid, defs, n, &end);
			*what = rc == -ENOTSUP ? "db_change: characteristics added at runtime cannot "
						 "notify or indicate"
				: rc == -EMSGSIZE ? "db_change: a value is longer than its max_length "
						    "or 512"
						  : "db_change";
		}
		start = rc > 0 ? (uint16_t)rc : 0;
	}
	if (rc < 0)
		return rc;
	if (d->remove)
		gatt_providers_drop_range(&g->providers, start, end);
	/* Clients become change-unaware; subscribers are told. */
	gatt_server_db_changed(g->server, start, end, &g->sout);
	out->start = start;
	out->end = end;
	out->hash.data = (uint8_t *)gatt_db_hash(g->db);
	out->hash.len = 16;
	return 0;
}
