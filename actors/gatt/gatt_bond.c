/* What gatt keeps of bonds. See gatt_bond.h. */
#include "gatt_bond.h"

#include <errno.h>
#include <string.h>

#include "gatt_sign.h"
#include "hive_bytes.h"

void gatt_bonds_init(struct gatt_bonds *b, struct gatt_db *db, struct gatt_server *server)
{
	memset(b, 0, sizeof *b);
	b->db = db;
	b->server = server;
}

struct gatt_bond_link *gatt_bond_link(struct gatt_bonds *b, uint16_t conn)
{
	for (int i = 0; i < GATT_BOND_MAX_CONN; i++)
		if (b->links[i].used && b->links[i].conn == conn)
			return &b->links[i];
	return NULL;
}

static struct gatt_bond_seen *seen_of(struct gatt_bonds *b, uint16_t conn)
{
	for (int i = 0; i < GATT_BOND_MAX_CONN; i++)
		if (b->seen[i].used && b->seen[i].conn == conn)
			return &b->seen[i];
	return NULL;
}

static struct gatt_bond_parked *parked_of(struct gatt_bonds *b, uint16_t conn)
{
	for (int i = 0; i < GATT_BOND_MAX_CONN; i++)
		if (b->parked[i].used && b->parked[i].conn == conn)
			return &b->parked[i];
	return NULL;
}

void gatt_bond_unbind(struct gatt_bonds *b, uint16_t conn)
{
	struct gatt_bond_link *l = gatt_bond_link(b, conn);
	struct gatt_bond_parked *p = parked_of(b, conn);
	if (l)
		memset(l, 0, sizeof *l);
	if (p)
		memset(p, 0, sizeof *p);
}

void gatt_bond_forget(struct gatt_bonds *b, uint16_t conn)
{
	struct gatt_bond_seen *s = seen_of(b, conn);
	gatt_bond_unbind(b, conn);
	if (s)
		memset(s, 0, sizeof *s);
}

static bool same_addr(const struct gatt_bond_addr *x, const struct gatt_bond_addr *y)
{
	return (x->type & 1) == (y->type & 1) && !memcmp(x->a, y->a, 6);
}

int gatt_bond_admit(struct gatt_bonds *b, uint16_t conn, bool known,
		    const struct gatt_bond_addr *link_peer, const struct gatt_bond_addr *local,
		    const struct gatt_bond_addr *peer, const struct gatt_bond_keys *keys,
		    const uint8_t *record, size_t len)
{
	const struct gatt_bond_seen *s = seen_of(b, conn);
	if (known)
		return !s || same_addr(&s->peer, link_peer) ? 1 : -ESTALE;
	if (len > GATT_BOND_RECORD_MAX)
		return -EMSGSIZE;
	struct gatt_bond_parked *p = parked_of(b, conn);
	for (int i = 0; !p && i < GATT_BOND_MAX_CONN; i++)
		if (!b->parked[i].used)
			p = &b->parked[i];
	if (!p)
		return -ENOSPC;
	p->used = true;
	p->conn = conn;
	p->link_peer = *link_peer;
	p->local = *local;
	p->peer = *peer;
	p->keys = *keys;
	p->len = (uint16_t)len;
	if (len)
		memcpy(p->record, record, len);
	return 0;
}

struct gatt_bond_parked *gatt_bond_link_up(struct gatt_bonds *b, uint16_t conn,
					   const struct gatt_bond_addr *link_peer)
{
	struct gatt_bond_seen *s = seen_of(b, conn);
	for (int i = 0; !s && i < GATT_BOND_MAX_CONN; i++)
		if (!b->seen[i].used)
			s = &b->seen[i];
	if (s) {
		s->used = true;
		s->conn = conn;
		s->peer = *link_peer;
	}
	struct gatt_bond_parked *p = parked_of(b, conn);
	if (p && !same_addr(&p->link_peer, link_peer)) {
		memset(p, 0, sizeof *p);
		p = NULL;
	}
	return p;
}

int gatt_bond_record(const struct gatt_bonds *b, uint16_t conn, uint8_t *buf, size_t cap)
{
	struct wr w = wr_init(buf, cap);
	wr_u8(&w, GATT_BOND_RECORD_VERSION);
	wr_bytes(&w, gatt_db_hash(b->db), 16);
	size_t at = w.len;
	uint16_t n = 0;
	wr_le16(&w, 0);
	for (size_t k = 0; k < gatt_db_count(b->db); k++) {
		const struct gatt_attr *a = gatt_db_at(b->db, k);
		if (a->role != GATT_ROLE_CCCD)
			continue;
		uint16_t v = gatt_server_cccd(b->server, conn, a->char_value);
		if (!v)
			continue;
		wr_le16(&w, a->char_value);
		wr_le16(&w, v);
		n++;
	}
	if (!wr_ok(&w))
		return -EMSGSIZE;
	buf[at] = (uint8_t)n;
	buf[at + 1] = (uint8_t)(n >> 8);
	return (int)w.len;
}

int gatt_bond_record_apply(struct gatt_bonds *b, uint16_t conn, const uint8_t *rec, size_t len)
{
	struct rd r = rd_init(rec, len);
	uint8_t hash[16];
	if (rd_u8(&r) != GATT_BOND_RECORD_VERSION || !rd_copy(&r, hash, 16))
		return -EBADMSG;
	uint16_t n = rd_le16(&r);
	struct rd pairs = rd_sub(&r, (size_t)n * 4);
	if (!rd_end(&r))
		return -EBADMSG; /* short, or bytes after the pairs */
	if (memcmp(hash, gatt_db_hash(b->db), 16) != 0)
		return -ESTALE;
	/* Check all before applying any. */
	struct rd chk = pairs;
	for (uint16_t i = 0; i < n; i++) {
		uint16_t vh = rd_le16(&chk), v = rd_le16(&chk);
		if (!vh || v > 3 || !gatt_db_cccd_of(b->db, vh))
			return -EBADMSG;
	}
	int restored = 0;
	for (uint16_t i = 0; i < n; i++) {
		uint16_t vh = rd_le16(&pairs), v = rd_le16(&pairs);
		if (v && !gatt_server_cccd(b->server, conn, vh) &&
		    gatt_server_set_cccd(b->server, conn, vh, v) == 0)
			restored++;
	}
	return restored;
}

int gatt_bond_attach(struct gatt_bonds *b, uint16_t conn, const struct gatt_bond_addr *local,
		     const struct gatt_bond_addr *peer, const struct gatt_bond_keys *keys,
		     const uint8_t *record, size_t len)
{
	struct gatt_bond_link *l = gatt_bond_link(b, conn);
	for (int i = 0; !l && i < GATT_BOND_MAX_CONN; i++)
		if (!b->links[i].used)
			l = &b->links[i];
	if (!l)
		return -ENOSPC;
	bool same = l->used && !memcmp(&l->local, local, sizeof *local) &&
		    !memcmp(&l->peer, peer, sizeof *peer);
	struct gatt_bond_keys old = l->keys;
	memset(l, 0, sizeof *l);
	l->used = true;
	l->conn = conn;
	l->local = *local;
	l->peer = *peer;
	l->keys = *keys;
	/* smp's counters may trail ours by the updates still on their way. */
	if (same && old.has_peer_csrk && keys->has_peer_csrk &&
	    !memcmp(old.peer_csrk, keys->peer_csrk, 16) && old.peer_counter > keys->peer_counter)
		l->keys.peer_counter = old.peer_counter;
	if (same && old.has_local_csrk && keys->has_local_csrk &&
	    !memcmp(old.local_csrk, keys->local_csrk, 16) &&
	    old.local_counter > keys->local_counter)
		l->keys.local_counter = old.local_counter;
	int rc = len ? gatt_bond_record_apply(b, conn, record, len) : 0;
	uint8_t now[GATT_BOND_RECORD_MAX];
	int n = gatt_bond_record(b, conn, now, sizeof now);
	bool now_empty = n == 19; /* version, hash, count 0 */
	if (rc < 0 || (n > 0 && !(now_empty && !len) &&
		       ((size_t)n != len || memcmp(now, record, len) != 0)))
		l->record_dirty = true;
	return rc;
}

void gatt_bond_cccd_written(struct gatt_bonds *b, uint16_t conn)
{
	struct gatt_bond_link *l = gatt_bond_link(b, conn);
	if (l)
		l->record_dirty = true;
}

bool gatt_bond_verify_signed(void *arg, uint16_t conn, const uint8_t *pdu, size_t len)
{
	struct gatt_bonds *b = arg;
	struct gatt_bond_link *l = gatt_bond_link(b, conn);
	uint32_t counter = 0;
	if (!l || !l->keys.has_peer_csrk || !gatt_sign_verify(l->keys.peer_csrk, pdu, len, &counter) ||
	    counter < l->keys.peer_counter || counter == UINT32_MAX) {
		b->signed_rejected++;
		return false;
	}
	l->keys.peer_counter = counter + 1;
	l->counters_dirty = true;
	return true;
}

int gatt_bond_sign(void *arg, uint16_t conn, const uint8_t *pdu, size_t len,
		   uint8_t signature[ATT_SIGNATURE_LEN])
{
	struct gatt_bonds *b = arg;
	struct gatt_bond_link *l = gatt_bond_link(b, conn);
	if (!l || !l->keys.has_local_csrk)
		return -ENOKEY;
	if (l->keys.local_counter == UINT32_MAX)
		return -EOVERFLOW; /* the CSRK is spent: pair again */
	int rc = gatt_sign(l->keys.local_csrk, l->keys.local_counter, pdu, len, signature);
	if (rc == 0) {
		l->keys.local_counter++;
		l->counters_dirty = true;
	}
	return rc;
}
