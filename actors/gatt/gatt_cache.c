/* The GATT client's cache of peers' databases (see gatt_cache.h). */
#include "gatt_cache.h"

#include <stdlib.h>
#include <string.h>

#include "gatt_db.h"

void gatt_cache_init(struct gatt_cache *c)
{
	memset(c, 0, sizeof *c);
}

static void drop_lists(struct gatt_cache_peer *p)
{
	for (int k = 0; k < GATT_CACHE_KINDS; k++) {
		free(p->list[k].items);
		p->list[k] = (struct gatt_cache_list){ 0 };
	}
}

void gatt_cache_fini(struct gatt_cache *c)
{
	for (int i = 0; i < GATT_CACHE_PEERS; i++)
		drop_lists(&c->peers[i]);
	memset(c, 0, sizeof *c);
}

static struct gatt_cache_link *link_of(const struct gatt_cache *c, uint16_t conn)
{
	for (int i = 0; i < GATT_CACHE_LINKS; i++)
		if (c->links[i].used && c->links[i].conn == conn)
			return (struct gatt_cache_link *)&c->links[i];
	return NULL;
}

static struct gatt_cache_peer *peer_of(const struct gatt_cache *c, uint16_t conn)
{
	const struct gatt_cache_link *l = link_of(c, conn);
	return l && l->peer >= 0 ? (struct gatt_cache_peer *)&c->peers[l->peer] : NULL;
}

static bool has_lists(const struct gatt_cache_peer *p)
{
	for (int k = 0; k < GATT_CACHE_KINDS; k++)
		if (p->list[k].present)
			return true;
	return false;
}

/* The entry of addr, or a new one (the least recently used is reused). */
static int peer_index(struct gatt_cache *c, const uint8_t addr[7])
{
	int free_i = -1, old = 0;
	for (int i = 0; i < GATT_CACHE_PEERS; i++) {
		struct gatt_cache_peer *p = &c->peers[i];
		if (p->used && !memcmp(p->addr, addr, 7))
			return i;
		if (!p->used && free_i < 0)
			free_i = i;
		if (p->stamp < c->peers[old].stamp)
			old = i;
	}
	int i = free_i >= 0 ? free_i : old;
	struct gatt_cache_peer *p = &c->peers[i];
	drop_lists(p);
	memset(p, 0, sizeof *p);
	p->used = true;
	memcpy(p->addr, addr, 7);
	/* A link still pointing at a reused entry loses it. */
	for (int k = 0; k < GATT_CACHE_LINKS; k++)
		if (c->links[k].used && c->links[k].peer == i)
			c->links[k].peer = -1;
	return i;
}

void gatt_cache_connected(struct gatt_cache *c, uint16_t conn, const uint8_t addr[7])
{
	struct gatt_cache_link *l = link_of(c, conn);
	for (int i = 0; i < GATT_CACHE_LINKS && !l; i++)
		if (!c->links[i].used)
			l = &c->links[i];
	if (!l)
		return; /* no cache for this link */
	*l = (struct gatt_cache_link){ .used = true, .conn = conn, .peer = -1 };
	if (!addr)
		return;
	l->peer = peer_index(c, addr);
	struct gatt_cache_peer *p = &c->peers[l->peer];
	p->stamp = ++c->clock;
	/* Nothing cached: nothing to check, fill it. */
	l->state = has_lists(p) ? GATT_CACHE_UNCHECKED : GATT_CACHE_VALID;
}

void gatt_cache_disconnected(struct gatt_cache *c, uint16_t conn)
{
	struct gatt_cache_link *l = link_of(c, conn);
	if (l)
		*l = (struct gatt_cache_link){ 0 };
}

int gatt_cache_kind(const struct gatt_client_req *r)
{
	bool whole = r->start <= 1 && (r->end == 0xffff || (!r->start && !r->end));
	switch (r->type) {
	case GATT_PROC_DISCOVER_SERVICES:
		return 0;
	case GATT_PROC_DISCOVER_CHARACTERISTICS:
		return whole && !r->has_uuid ? 1 : -1;
	case GATT_PROC_DISCOVER_DESCRIPTORS:
		return whole ? 2 : -1;
	default:
		return -1;
	}
}

static bool hold(struct gatt_cache *c, uint16_t conn, const struct gatt_client_req *r,
		 const char *asker, uint64_t request_id)
{
	for (int i = 0; i < GATT_CACHE_HELD; i++) {
		struct gatt_cache_held *h = &c->held[i];
		if (h->used)
			continue;
		*h = (struct gatt_cache_held){ .used = true, .conn = conn, .request_id = request_id,
					       .req = *r };
		h->req.value = NULL;
		h->req.handles = NULL;
		h->req.len = 0;
		size_t n = strlen(asker);
		memcpy(h->asker, asker, n < GATT_CACHE_NAME_MAX ? n : GATT_CACHE_NAME_MAX);
		return true;
	}
	return false;
}

enum gatt_cache_decision gatt_cache_on_request(struct gatt_cache *c, uint16_t conn,
					       const struct gatt_client_req *r, const char *asker,
					       uint64_t request_id)
{
	int kind = gatt_cache_kind(r);
	struct gatt_cache_link *l = link_of(c, conn);
	struct gatt_cache_peer *p = peer_of(c, conn);
	if (kind < 0 || !p)
		return GATT_CACHE_MISS;
	if (l->state == GATT_CACHE_VALID)
		return p->list[kind].present ? GATT_CACHE_HIT : GATT_CACHE_MISS;
	if (!hold(c, conn, r, asker, request_id))
		return GATT_CACHE_MISS; /* too many waiting: ask the peer */
	return l->state == GATT_CACHE_UNCHECKED ? GATT_CACHE_CHECK : GATT_CACHE_HOLD;
}

bool gatt_cache_items(const struct gatt_cache *c, uint16_t conn, int kind,
		      const struct gatt_client_event **items, size_t *n)
{
	const struct gatt_cache_peer *p = peer_of(c, conn);
	if (!p || kind < 0 || kind >= GATT_CACHE_KINDS || !p->list[kind].present)
		return false;
	*items = p->list[kind].items;
	*n = p->list[kind].n;
	return true;
}

void gatt_cache_checking(struct gatt_cache *c, uint16_t conn, uint64_t cookie)
{
	struct gatt_cache_link *l = link_of(c, conn);
	if (l) {
		l->state = GATT_CACHE_CHECKING;
		l->cookie = cookie;
	}
}

bool gatt_cache_is_check(const struct gatt_cache *c, uint64_t cookie, uint16_t *conn)
{
	for (int i = 0; i < GATT_CACHE_LINKS; i++)
		if (c->links[i].used && c->links[i].state == GATT_CACHE_CHECKING &&
		    c->links[i].cookie == cookie) {
			*conn = c->links[i].conn;
			return true;
		}
	return false;
}

void gatt_cache_hash_result(struct gatt_cache *c, uint16_t conn, const uint8_t *hash)
{
	struct gatt_cache_link *l = link_of(c, conn);
	struct gatt_cache_peer *p = peer_of(c, conn);
	if (!l)
		return;
	l->state = GATT_CACHE_VALID;
	l->cookie = 0;
	if (!p)
		return;
	if (!hash) {
		/* No hash: nothing to check a later link against. */
		drop_lists(p);
		p->has_hash = false;
		l->peer = -1;
		p->used = false;
		return;
	}
	if (p->has_hash && memcmp(p->hash, hash, 16) != 0)
		drop_lists(p);
	memcpy(p->hash, hash, 16);
	p->has_hash = true;
}

bool gatt_cache_next_held(struct gatt_cache *c, struct gatt_cache_held *out)
{
	for (int i = 0; i < GATT_CACHE_HELD; i++) {
		struct gatt_cache_held *h = &c->held[i];
		if (!h->used)
			continue;
		const struct gatt_cache_link *l = link_of(c, h->conn);
		if (l && l->state != GATT_CACHE_VALID)
			continue;
		*out = *h;
		h->used = false;
		return true;
	}
	return false;
}

bool gatt_cache_store(struct gatt_cache *c, uint16_t conn, int kind,
		      const struct gatt_client_event *items, size_t n)
{
	const struct gatt_cache_link *l = link_of(c, conn);
	struct gatt_cache_peer *p = peer_of(c, conn);
	if (!p || l->state != GATT_CACHE_VALID || kind < 0 || kind >= GATT_CACHE_KINDS)
		return false;
	struct gatt_client_event *copy = malloc((n ? n : 1) * sizeof *copy);
	if (!copy)
		return false;
	for (size_t i = 0; i < n; i++) {
		copy[i] = items[i];
		copy[i].value = NULL; /* discovery items carry no value */
		copy[i].len = 0;
	}
	free(p->list[kind].items);
	p->list[kind] = (struct gatt_cache_list){ .present = true, .n = n, .items = copy };
	for (size_t i = 0; kind == 1 && i < n; i++)
		if (att_uuid_is(&items[i].uuid, GATT_SERVICE_CHANGED_UUID))
			p->sc_handle = items[i].value_handle;
	return !p->has_hash;
}

bool gatt_cache_indication(struct gatt_cache *c, uint16_t conn, uint16_t handle)
{
	struct gatt_cache_peer *p = peer_of(c, conn);
	if (!p || !handle || handle != p->sc_handle)
		return false;
	gatt_cache_invalidate(c, conn);
	return true;
}

void gatt_cache_invalidate(struct gatt_cache *c, uint16_t conn)
{
	struct gatt_cache_peer *p = peer_of(c, conn);
	if (!p)
		return;
	drop_lists(p);
	p->has_hash = false;
}
