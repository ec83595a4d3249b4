/* The gatt actor's state (see gatt_actor.h). No sockets, no protobuf. */
#include "gatt_actor.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hive_bytes.h"

int gatt_actor_init(struct gatt_actor *self, const char *db_path, const char *device_name,
		    char *err, size_t errlen)
{
	memset(self, 0, sizeof *self);
	int rc;
	if (db_path) {
		rc = gatt_db_load_json(&self->db, db_path, err, errlen);
	} else {
		struct gatt_db_config cfg = { .device_name = device_name };
		rc = gatt_db_new(&self->db, &cfg);
		if (rc == 0)
			rc = gatt_db_finish(self->db);
		if (rc < 0)
			snprintf(err, errlen, "cannot build the GAP and GATT services: %s",
				 strerror(-rc));
	}
	/* Signed writes are verified and made with the keys of bonds. */
	struct gatt_server_config scfg = { .verify_signed = gatt_bond_verify_signed,
					   .verify_arg = &self->bonds };
	struct gatt_client_config ccfg = { .sign = gatt_bond_sign, .sign_arg = &self->bonds };
	if (rc == 0 && (rc = gatt_server_new(&self->server, self->db, &scfg)) < 0)
		snprintf(err, errlen, "cannot start the GATT server: %s", strerror(-rc));
	if (rc == 0 && (rc = gatt_client_new(&self->client, &ccfg)) < 0)
		snprintf(err, errlen, "cannot start the GATT client: %s", strerror(-rc));
	if (rc == 0)
		gatt_bonds_init(&self->bonds, self->db, self->server);
	self->next_cookie = 1;
	gatt_providers_init(&self->providers, 0);
	gatt_cache_init(&self->cache);
	if (rc < 0)
		gatt_actor_fini(self);
	return rc;
}

static void pending_drop_items(struct gatt_pending *p)
{
	for (size_t i = 0; i < p->n; i++)
		free((void *)p->items[i].value);
	free(p->items);
	p->items = NULL;
	p->n = p->cap = 0;
}

void gatt_actor_pending_release(struct gatt_pending *p)
{
	pending_drop_items(p);
	free((void *)p->req.value);
	free((void *)p->req.handles);
	memset(p, 0, sizeof *p);
}

void gatt_actor_fini(struct gatt_actor *self)
{
	for (int i = 0; i < GATT_ACTOR_MAX_PENDING; i++)
		if (self->pending[i].used)
			gatt_actor_pending_release(&self->pending[i]);
	gatt_cache_fini(&self->cache);
	gatt_client_destroy(&self->client);
	gatt_server_destroy(&self->server);
	gatt_db_destroy(&self->db);
}

void gatt_actor_reset_outboxes(struct gatt_actor *self)
{
	att_outbox_reset(&self->sout);
	gatt_client_outbox_reset(&self->cout);
}

/* ---- links ------------------------------------------------------------------------- */

struct gatt_actor_conn *gatt_actor_conn(struct gatt_actor *self, uint16_t handle)
{
	for (int i = 0; i < GATT_ACTOR_MAX_CONN; i++)
		if (self->conns[i].used && self->conns[i].handle == handle)
			return &self->conns[i];
	return NULL;
}

int gatt_actor_connected(struct gatt_actor *self, uint16_t handle)
{
	if (gatt_actor_conn(self, handle))
		return -EEXIST;
	struct gatt_actor_conn *c = NULL;
	for (int i = 0; i < GATT_ACTOR_MAX_CONN && !c; i++)
		if (!self->conns[i].used)
			c = &self->conns[i];
	if (!c)
		return -ENOSPC;
	int rc = gatt_server_connect(self->server, handle);
	if (rc == 0 && (rc = gatt_client_connect(self->client, handle)) < 0)
		gatt_server_disconnect(self->server, handle);
	if (rc < 0)
		return rc;
	memset(c, 0, sizeof *c);
	c->used = true;
	c->handle = handle;
	return 0;
}

int gatt_actor_disconnected(struct gatt_actor *self, uint16_t handle)
{
	struct gatt_actor_conn *c = gatt_actor_conn(self, handle);
	if (!c)
		return -ENOENT;
	gatt_server_disconnect(self->server, handle);
	gatt_client_disconnect(self->client, handle, &self->cout);
	gatt_providers_forget_conn(&self->providers, handle);
	gatt_cache_disconnected(&self->cache, handle);
	gatt_bond_forget(&self->bonds, handle);
	memset(c, 0, sizeof *c);
	return 0;
}

int gatt_actor_encryption(struct gatt_actor *self, uint16_t handle, bool enabled,
			  uint8_t key_size)
{
	struct gatt_actor_conn *c = gatt_actor_conn(self, handle);
	if (!c)
		return -ENOENT;
	c->sec.encrypted = enabled;
	c->sec.key_size = enabled ? key_size : 0;
	/* A link that was encrypted has a key: ask for encryption, not pairing. */
	if (enabled)
		c->sec.has_ltk = true;
	return gatt_server_set_security(self->server, handle, &c->sec);
}

int gatt_actor_set_mtu(struct gatt_actor *self, uint16_t handle, uint16_t mtu)
{
	if (!gatt_actor_conn(self, handle))
		return -ENOENT;
	int rc = gatt_server_set_mtu(self->server, handle, mtu);
	if (rc == 0)
		rc = gatt_client_set_mtu(self->client, handle, mtu);
	return rc;
}

int gatt_actor_pick_conn(struct gatt_actor *self, uint32_t conn, uint16_t *out)
{
	if (conn) {
		if (conn > 0xffff || !gatt_actor_conn(self, (uint16_t)conn))
			return -ENOTCONN;
		*out = (uint16_t)conn;
		return 0;
	}
	int found = 0;
	for (int i = 0; i < GATT_ACTOR_MAX_CONN; i++)
		if (self->conns[i].used) {
			*out = self->conns[i].handle;
			found++;
		}
	return found == 1 ? 0 : found ? -EINVAL : -ENOTCONN;
}

/* ---- ATT ------------------------------------------------------------------------------ */

int gatt_actor_on_att(struct gatt_actor *self, uint16_t handle, const uint8_t *pdu, size_t len,
		      uint64_t now_ms)
{
	if (!gatt_actor_conn(self, handle)) {
		int rc = gatt_actor_connected(self, handle);
		if (rc < 0)
			return rc;
	}
	int rc = gatt_server_on_pdu(self->server, handle, pdu, len, &self->sout);
	if (rc == 1)
		rc = gatt_client_on_pdu(self->client, handle, pdu, len, now_ms, &self->cout);
	return rc;
}

void gatt_actor_tick(struct gatt_actor *self, uint64_t now_ms)
{
	gatt_client_tick(self->client, now_ms, &self->cout);
	for (int i = 0; i < GATT_ACTOR_MAX_CONN; i++) {
		struct gatt_actor_conn *c = &self->conns[i];
		if (!c->used)
			continue;
		if (!gatt_server_indication_pending(self->server, c->handle)) {
			c->ind_since = 0;
		} else if (!c->ind_since) {
			c->ind_since = now_ms ? now_ms : 1;
		} else if (now_ms - c->ind_since >= GATT_INDICATION_TIMEOUT_MS) {
			gatt_server_indication_timeout(self->server, c->handle);
			c->ind_since = 0;
		}
	}
}

int gatt_actor_notify(struct gatt_actor *self, uint16_t conn, bool all, uint16_t handle,
		      const uint8_t *value, size_t len, bool indicate)
{
	if (!gatt_db_get(self->db, handle))
		return -ENOENT;
	if (!all) {
		int rc = gatt_server_notify(self->server, conn, handle, value, len, indicate,
					    &self->sout);
		return rc < 0 ? rc : 1;
	}
	int reached = 0;
	uint16_t bit = indicate ? GATT_CCC_INDICATE : GATT_CCC_NOTIFY;
	for (int i = 0; i < GATT_ACTOR_MAX_CONN; i++) {
		struct gatt_actor_conn *c = &self->conns[i];
		if (!c->used || !(gatt_server_cccd(self->server, c->handle, handle) & bit))
			continue;
		if (gatt_server_notify(self->server, c->handle, handle, value, len, indicate,
				       &self->sout) == 0)
			reached++;
	}
	return reached;
}

/* ---- client procedures for apps ----------------------------------------------------------- */

struct gatt_pending *gatt_actor_pending(struct gatt_actor *self, uint64_t cookie)
{
	for (int i = 0; i < GATT_ACTOR_MAX_PENDING; i++)
		if (self->pending[i].used && self->pending[i].cookie == cookie)
			return &self->pending[i];
	return NULL;
}

/* Keeps a copy of the procedure for the security retry; without memory
 * there is no retry (type NONE). */
static void keep_req(struct gatt_pending *p, const struct gatt_client_req *req)
{
	p->req = *req;
	p->req.value = NULL;
	p->req.handles = NULL;
	uint8_t *v = req->len ? malloc(req->len) : NULL;
	uint16_t *h = req->n_handles ? calloc(req->n_handles, sizeof *h) : NULL;
	if ((req->len && !v) || (req->n_handles && !h)) {
		free(v);
		free(h);
		p->req.type = GATT_PROC_NONE;
		return;
	}
	if (v)
		memcpy(v, req->value, req->len);
	if (h)
		memcpy(h, req->handles, req->n_handles * sizeof *h);
	p->req.value = v;
	p->req.handles = h;
}

int gatt_actor_client_request(struct gatt_actor *self, const char *asker, uint64_t request_id,
			      uint16_t conn, struct gatt_client_req *req, uint64_t now_ms)
{
	struct gatt_pending *p = NULL;
	for (int i = 0; i < GATT_ACTOR_MAX_PENDING && !p; i++)
		if (!self->pending[i].used)
			p = &self->pending[i];
	if (!p)
		return -EBUSY;
	memset(p, 0, sizeof *p);
	p->used = true;
	p->cookie = self->next_cookie++;
	p->request_id = request_id;
	p->conn = conn;
	p->type = req->type;
	p->cache_kind = gatt_cache_kind(req);
	snprintf(p->asker, sizeof p->asker, "%s", asker);
	req->id = p->cookie;
	keep_req(p, req);
	int rc = gatt_client_request(self->client, conn, req, now_ms, &self->cout);
	if (rc < 0)
		gatt_actor_pending_release(p);
	return rc;
}

int gatt_actor_client_retry(struct gatt_actor *self, struct gatt_pending *p, uint64_t now_ms)
{
	if (p->req.type == GATT_PROC_NONE)
		return -EINVAL;
	pending_drop_items(p);
	p->retried = true;
	p->smp_id = 0;
	p->req.id = p->cookie;
	return gatt_client_request(self->client, p->conn, &p->req, now_ms, &self->cout);
}

struct gatt_pending *gatt_actor_collect(struct gatt_actor *self,
					const struct gatt_client_event *ev)
{
	struct gatt_pending *p = gatt_actor_pending(self, ev->id);
	if (!p)
		return NULL;
	if (ev->type == GATT_CEV_DONE)
		return p;
	if (p->n == p->cap) {
		size_t cap = p->cap ? p->cap * 2 : 16;
		struct gatt_client_event *items = realloc(p->items, cap * sizeof *items);
		if (!items)
			return NULL; /* the answer will lack this item; logged by no one */
		p->items = items;
		p->cap = cap;
	}
	struct gatt_client_event *it = &p->items[p->n];
	*it = *ev;
	it->value = NULL;
	if (ev->value && ev->len) {
		uint8_t *v = malloc(ev->len);
		if (v)
			memcpy(v, ev->value, ev->len);
		it->value = v;
		it->len = v ? ev->len : 0;
	}
	p->n++;
	return NULL;
}

/* ---- subscribers ----------------------------------------------------------------------------- */

int gatt_actor_subscribe_events(struct gatt_actor *self, const char *name)
{
	if (strlen(name) > GATT_ACTOR_NAME_MAX)
		return -EINVAL;
	for (unsigned i = 0; i < self->n_subscribers; i++)
		if (strcmp(self->subscribers[i], name) == 0)
			return 0;
	if (self->n_subscribers >= GATT_ACTOR_MAX_SUBSCRIBERS)
		return -ENOSPC;
	snprintf(self->subscribers[self->n_subscribers++], GATT_ACTOR_NAME_MAX + 1, "%s", name);
	return 0;
}

/* ---- snapshot ------------------------------------------------------------------------------- */

#define SNAP_VERSION 5 /* 2: + the app requests in progress; 3: + the client
			* requests outstanding on each bearer; 4: + value
			* providers and the peer requests waiting for one;
			* 5: + Client Supported Features and change-awareness */
#define SNAP_PENDING_MAX 32

int gatt_actor_snapshot(struct gatt_actor *self, uint8_t *buf, size_t cap)
{
	struct wr w = wr_init(buf, cap);
	wr_u8(&w, SNAP_VERSION);
	uint8_t n = 0;
	for (int i = 0; i < GATT_ACTOR_MAX_CONN; i++)
		n = (uint8_t)(n + self->conns[i].used);
	wr_u8(&w, n);
	for (int i = 0; i < GATT_ACTOR_MAX_CONN; i++) {
		const struct gatt_actor_conn *c = &self->conns[i];
		if (!c->used)
			continue;
		wr_le16(&w, c->handle);
		wr_le16(&w, gatt_server_mtu(self->server, c->handle));
		wr_u8(&w, (uint8_t)(c->sec.encrypted | c->sec.authenticated << 1 |
				    c->sec.authorized << 2 | c->sec.has_ltk << 3));
		wr_u8(&w, c->sec.key_size);
		/* The CCCDs this connection set: (value handle, value) pairs. */
		size_t at = w.len;
		uint16_t count = 0;
		wr_le16(&w, 0);
		for (size_t k = 0; k < gatt_db_count(self->db); k++) {
			const struct gatt_attr *a = gatt_db_at(self->db, k);
			uint16_t v = a->role == GATT_ROLE_CCCD
					     ? gatt_server_cccd(self->server, c->handle, a->char_value)
					     : 0;
			if (!v)
				continue;
			wr_le16(&w, a->char_value);
			wr_le16(&w, v);
			count++;
		}
		if (wr_ok(&w)) {
			buf[at] = (uint8_t)count;
			buf[at + 1] = (uint8_t)(count >> 8);
		}
	}
	wr_u8(&w, (uint8_t)self->n_subscribers);
	for (unsigned i = 0; i < self->n_subscribers; i++) {
		size_t len = strlen(self->subscribers[i]);
		wr_u8(&w, (uint8_t)len);
		wr_bytes(&w, self->subscribers[i], len);
	}
	/* The app requests in progress: a successor answers them with an error
	 * rather than leave their askers waiting forever. */
	size_t at = w.len;
	uint8_t np = 0;
	wr_u8(&w, 0);
	for (int i = 0; i < GATT_ACTOR_MAX_PENDING && np < SNAP_PENDING_MAX; i++) {
		const struct gatt_pending *p = &self->pending[i];
		if (!p->used || !p->asker[0]) /* the cache's own reads have no asker */
			continue;
		size_t len = strlen(p->asker);
		if (wr_room(&w) < 1 + len + 8 + 2)
			break; /* the rest of the snapshot comes first */
		wr_u8(&w, (uint8_t)len);
		wr_bytes(&w, p->asker, len);
		wr_le64(&w, p->request_id);
		wr_le16(&w, p->conn);
		np++;
	}
	if (wr_ok(&w))
		buf[at] = np;
	/* The requests on the wire: a successor must not take their responses
	 * for the answers to its own (see gatt_client_set_stale()). */
	at = w.len;
	uint8_t ns = 0;
	wr_u8(&w, 0);
	for (int i = 0; i < GATT_ACTOR_MAX_CONN; i++) {
		const struct gatt_actor_conn *c = &self->conns[i];
		uint8_t op = c->used ? gatt_client_outstanding(self->client, c->handle) : 0;
		if (!op)
			continue;
		wr_le16(&w, c->handle);
		wr_u8(&w, op);
		ns++;
	}
	if (wr_ok(&w))
		buf[at] = ns;
	/* Who provides what, and the peer requests waiting for a provider:
	 * a successor answers those Unlikely Error (their answers died). */
	const struct gatt_providers *pv = &self->providers;
	wr_u8(&w, (uint8_t)pv->n);
	for (unsigned i = 0; i < pv->n; i++) {
		size_t len = strlen(pv->reg[i].name);
		wr_le16(&w, pv->reg[i].handle);
		wr_u8(&w, (uint8_t)len);
		wr_bytes(&w, pv->reg[i].name, len);
	}
	at = w.len;
	uint8_t nw = 0;
	wr_u8(&w, 0);
	for (int i = 0; i < GATT_ACTOR_MAX_CONN; i++) {
		const struct gatt_actor_conn *c = &self->conns[i];
		uint8_t op;
		uint16_t h;
		uint32_t token;
		if (!c->used || !gatt_server_provider_pending(self->server, c->handle, &op, &h, &token))
			continue;
		wr_le16(&w, c->handle);
		wr_u8(&w, op);
		wr_le16(&w, h);
		nw++;
	}
	if (wr_ok(&w))
		buf[at] = nw;
	/* Robust caching: what each client enabled, and whether it is
	 * change-unaware (gatt_robust.c). */
	at = w.len;
	uint8_t nr = 0;
	wr_u8(&w, 0);
	for (int i = 0; i < GATT_ACTOR_MAX_CONN; i++) {
		const struct gatt_actor_conn *c = &self->conns[i];
		uint8_t features, state;
		if (!c->used ||
		    !gatt_server_robust_state(self->server, c->handle, &features, &state) ||
		    (!features && !state))
			continue;
		wr_le16(&w, c->handle);
		wr_u8(&w, features);
		wr_u8(&w, state);
		nr++;
	}
	if (wr_ok(&w))
		buf[at] = nr;
	return wr_ok(&w) ? (int)w.len : -EMSGSIZE;
}

int gatt_actor_restore(struct gatt_actor *self, const uint8_t *buf, size_t len)
{
	struct rd r = rd_init(buf, len);
	uint8_t version = rd_u8(&r);
	if (version < 1 || version > SNAP_VERSION)
		return -EBADMSG;
	uint8_t n = rd_u8(&r);
	for (uint8_t i = 0; i < n && rd_ok(&r); i++) {
		uint16_t handle = rd_le16(&r);
		uint16_t mtu = rd_le16(&r);
		uint8_t flags = rd_u8(&r);
		uint8_t key_size = rd_u8(&r);
		uint16_t count = rd_le16(&r);
		if (!rd_ok(&r) || (gatt_actor_connected(self, handle) < 0 &&
				   !gatt_actor_conn(self, handle)))
			return -EBADMSG;
		struct gatt_actor_conn *c = gatt_actor_conn(self, handle);
		c->sec = (struct gatt_security){ .encrypted = flags & 1,
						 .authenticated = flags & 2,
						 .authorized = flags & 4,
						 .has_ltk = flags & 8,
						 .key_size = key_size };
		gatt_server_set_security(self->server, handle, &c->sec);
		if (mtu != ATT_DEFAULT_LE_MTU)
			gatt_actor_set_mtu(self, handle, mtu);
		for (uint16_t k = 0; k < count && rd_ok(&r); k++) {
			uint16_t vh = rd_le16(&r), v = rd_le16(&r);
			if (rd_ok(&r))
				gatt_server_set_cccd(self->server, handle, vh, v);
		}
	}
	uint8_t ns = rd_u8(&r);
	for (uint8_t i = 0; i < ns && rd_ok(&r); i++) {
		char name[GATT_ACTOR_NAME_MAX + 1];
		uint8_t l = rd_u8(&r);
		if (l > GATT_ACTOR_NAME_MAX || !rd_copy(&r, name, l))
			return -EBADMSG;
		name[l] = 0;
		gatt_actor_subscribe_events(self, name);
	}
	uint8_t np = version >= 2 ? rd_u8(&r) : 0;
	for (uint8_t i = 0; i < np && rd_ok(&r) && i < GATT_ACTOR_MAX_PENDING; i++) {
		struct gatt_pending *p = &self->pending[i];
		uint8_t l = rd_u8(&r);
		if (l > GATT_ACTOR_NAME_MAX || !rd_copy(&r, p->asker, l))
			return -EBADMSG;
		p->asker[l] = 0;
		p->request_id = rd_le64(&r);
		p->conn = rd_le16(&r);
		p->used = p->orphan = rd_ok(&r);
		p->cookie = UINT64_MAX - i; /* never a procedure's id */
	}
	uint8_t nstale = version >= 3 ? rd_u8(&r) : 0;
	for (uint8_t i = 0; i < nstale && rd_ok(&r); i++) {
		uint16_t handle = rd_le16(&r);
		uint8_t op = rd_u8(&r);
		if (rd_ok(&r))
			gatt_client_set_stale(self->client, handle, op);
	}
	uint8_t nprov = version >= 4 ? rd_u8(&r) : 0;
	for (uint8_t i = 0; i < nprov && rd_ok(&r); i++) {
		char name[GATT_PROVIDER_NAME_MAX + 1];
		uint16_t handle = rd_le16(&r);
		uint8_t l = rd_u8(&r);
		if (l > GATT_PROVIDER_NAME_MAX || !rd_copy(&r, name, l))
			return -EBADMSG;
		name[l] = 0;
		gatt_providers_register(&self->providers, self->server, self->db, name, handle,
					false);
	}
	uint8_t nwait = version >= 4 ? rd_u8(&r) : 0;
	for (uint8_t i = 0; i < nwait && rd_ok(&r); i++) {
		uint16_t handle = rd_le16(&r);
		uint8_t op = rd_u8(&r);
		uint16_t h = rd_le16(&r);
		if (rd_ok(&r))
			gatt_server_provider_abandoned(self->server, handle, op, h, &self->sout);
	}
	uint8_t nrob = version >= 5 ? rd_u8(&r) : 0;
	for (uint8_t i = 0; i < nrob && rd_ok(&r); i++) {
		uint16_t handle = rd_le16(&r);
		uint8_t features = rd_u8(&r), state = rd_u8(&r);
		if (rd_ok(&r))
			gatt_server_set_robust_state(self->server, handle, features, state);
	}
	return rd_end(&r) ? 0 : -EBADMSG;
}
