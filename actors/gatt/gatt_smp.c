/* hive-gatt <-> smp about bonds. See gatt_smp.h. */
#include "gatt_smp.h"

#include <errno.h>
#include <string.h>

void gatt_smp_init(struct gatt_smp *x, struct hive_actor *a, const char *smp,
		   struct gatt_actor *g)
{
	x->a = a;
	x->smp = smp;
	x->g = g;
	x->next_id = 1;
}

static void send_smp(struct gatt_smp *x, Hive__SmpRequest *q)
{
	Hive__Request req = HIVE__REQUEST__INIT;
	Hive__Envelope env = HIVE__ENVELOPE__INIT;
	req.id = GATT_SMP_ID_BASE | (x->next_id++ & 0xffffffffffffull);
	req.op_case = HIVE__REQUEST__OP_SMP;
	req.smp = q;
	env.body_case = HIVE__ENVELOPE__BODY_REQUEST;
	env.request = &req;
	int rc = hive_send(x->a, x->smp, &env);
	if (rc < 0)
		HLOG_WARN(x->a, "telling %s about a bond failed: %s (the bond's GATT state may be "
				"lost at the next connection)", x->smp, strerror(-rc));
}

void gatt_smp_sync(struct gatt_smp *x)
{
	Hive__SmpRequest q = HIVE__SMP_REQUEST__INIT;
	Hive__SmpGattSync s = HIVE__SMP_GATT_SYNC__INIT;
	q.op_case = HIVE__SMP_REQUEST__OP_GATT_SYNC;
	q.gatt_sync = &s;
	send_smp(x, &q);
}

static bool addr_in(const Hive__SmpAddress *pa, struct gatt_bond_addr *out)
{
	memset(out, 0, sizeof *out);
	if (!pa || pa->bdaddr.len != 6 || pa->type > 1)
		return false;
	out->type = (uint8_t)pa->type;
	memcpy(out->a, pa->bdaddr.data, 6);
	return true;
}

static void addr_out(Hive__SmpAddress *pa, const struct gatt_bond_addr *a)
{
	pa->type = a->type;
	pa->bdaddr.data = (uint8_t *)a->a;
	pa->bdaddr.len = 6;
}

static void publish_restored(struct gatt_smp *x, uint16_t conn, int cccds, bool signing,
			     bool removed)
{
	Hive__GattEvent ge = HIVE__GATT_EVENT__INIT;
	Hive__GattBondRestored br = HIVE__GATT_BOND_RESTORED__INIT;
	Hive__Envelope env = HIVE__ENVELOPE__INIT;
	br.cccds = cccds > 0 ? (uint32_t)cccds : 0;
	br.signing = signing;
	ge.conn = conn;
	ge.kind_case = removed ? HIVE__GATT_EVENT__KIND_BOND_REMOVED
			       : HIVE__GATT_EVENT__KIND_BOND_RESTORED;
	ge.bond_restored = &br; /* both kinds share the union slot */
	env.body_case = HIVE__ENVELOPE__BODY_GATT_EVENT;
	env.gatt_event = &ge;
	for (unsigned i = 0; i < x->g->n_subscribers; i++)
		hive_send(x->a, x->g->subscribers[i], &env);
}

/* Attaches a bond to a known connection and tells the apps. */
static void apply(struct gatt_smp *x, uint16_t conn, const struct gatt_bond_addr *local,
		  const struct gatt_bond_addr *peer, const struct gatt_bond_keys *k,
		  const uint8_t *record, size_t len)
{
	int rc = gatt_bond_attach(&x->g->bonds, conn, local, peer, k, record, len);
	if (rc == -ENOSPC)
		return;
	if (rc < 0)
		HLOG_WARN(x->a, "conn=0x%04x: the stored GATT record is %s: CCCDs not restored",
			  conn, rc == -ESTALE ? "of another database" : "malformed");
	else
		HLOG_INFO(x->a, "conn=0x%04x is to a bonded peer: %d CCCD(s) restored%s", conn, rc,
			  k->has_peer_csrk ? ", signed writes verified" : "");
	publish_restored(x, conn, rc, k->has_peer_csrk, false);
}

/* smp deleted the bond of a live link's peer. */
static bool on_unbond(struct gatt_smp *x, const Hive__SmpEvent *ev)
{
	struct gatt_bond_addr link;
	uint16_t conn = (uint16_t)ev->handle;
	if (ev->handle > 0x0eff || !addr_in(ev->gatt_unbond->link_peer, &link))
		return false;
	if (gatt_bond_admit(&x->g->bonds, conn, true, &link, &link, &link,
			    &(struct gatt_bond_keys){ 0 }, NULL, 0) != 1)
		return false; /* another link has that handle now */
	gatt_bond_unbind(&x->g->bonds, conn);
	publish_restored(x, conn, 0, false, true);
	HLOG_INFO(x->a, "conn=0x%04x: the peer's bond was deleted; its CCCDs are this "
			"connection's only, its signed writes no longer verify", conn);
	return true;
}

bool gatt_smp_on_event(struct gatt_smp *x, const Hive__SmpEvent *ev)
{
	if (ev->kind_case == HIVE__SMP_EVENT__KIND_GATT_UNBOND)
		return on_unbond(x, ev);
	if (ev->kind_case != HIVE__SMP_EVENT__KIND_GATT_BOND)
		return false;
	const Hive__SmpGattBond *b = ev->gatt_bond;
	struct gatt_bond_addr local, peer, link;
	struct gatt_bond_keys k = { 0 };
	uint16_t conn = (uint16_t)ev->handle;
	if (ev->handle > 0x0eff || !addr_in(b->local, &local) || !addr_in(b->peer, &peer) ||
	    !addr_in(b->link_peer, &link) || (b->peer_csrk.len && b->peer_csrk.len != 16) ||
	    (b->local_csrk.len && b->local_csrk.len != 16) ||
	    b->record.len > GATT_BOND_RECORD_MAX) {
		HLOG_WARN(x->a, "gatt_bond for conn=0x%04x is malformed: ignored", ev->handle);
		return false;
	}
	k.has_peer_csrk = b->peer_csrk.len == 16;
	if (k.has_peer_csrk)
		memcpy(k.peer_csrk, b->peer_csrk.data, 16);
	k.has_local_csrk = b->local_csrk.len == 16;
	if (k.has_local_csrk)
		memcpy(k.local_csrk, b->local_csrk.data, 16);
	k.peer_counter = b->peer_counter;
	k.local_counter = b->local_counter;
	/* smp may speak before the host's Connected reaches us (the bond
	 * waits for it), or after the link is gone (then never applied). */
	bool known = gatt_actor_conn(x->g, conn) != NULL;
	int rc = gatt_bond_admit(&x->g->bonds, conn, known, &link, &local, &peer, &k,
				 b->record.data, b->record.len);
	if (rc < 0) {
		HLOG_INFO(x->a, "gatt_bond for conn=0x%04x not applied: %s", conn,
			  rc == -ESTALE ? "the connection has another peer now" : strerror(-rc));
		return false;
	}
	if (rc == 1)
		apply(x, conn, &local, &peer, &k, b->record.data, b->record.len);
	return rc == 1;
}

bool gatt_smp_link_up(struct gatt_smp *x, uint16_t conn, const Hive__Address *peer)
{
	struct gatt_bond_addr link = { 0 };
	if (!peer || peer->bdaddr.len != 6)
		return false;
	link.type = (uint8_t)(peer->type & 1);
	memcpy(link.a, peer->bdaddr.data, 6);
	struct gatt_bond_parked *p = gatt_bond_link_up(&x->g->bonds, conn, &link);
	if (!p)
		return false;
	apply(x, conn, &p->local, &p->peer, &p->keys, p->record, p->len);
	memset(p, 0, sizeof *p);
	return true;
}

void gatt_smp_flush(struct gatt_smp *x)
{
	for (int i = 0; i < GATT_BOND_MAX_CONN; i++) {
		struct gatt_bond_link *l = &x->g->bonds.links[i];
		if (!l->used || !(l->record_dirty || l->counters_dirty))
			continue;
		Hive__SmpRequest q = HIVE__SMP_REQUEST__INIT;
		Hive__SmpAddress la = HIVE__SMP_ADDRESS__INIT, pa = HIVE__SMP_ADDRESS__INIT;
		addr_out(&la, &l->local);
		addr_out(&pa, &l->peer);
		if (l->record_dirty) {
			uint8_t rec[GATT_BOND_RECORD_MAX];
			Hive__SmpGattRecord gr = HIVE__SMP_GATT_RECORD__INIT;
			int n = gatt_bond_record(&x->g->bonds, l->conn, rec, sizeof rec);
			if (n < 0) {
				HLOG_WARN(x->a, "conn=0x%04x: too many CCCDs to store with the bond",
					  l->conn);
			} else {
				gr.local = &la;
				gr.peer = &pa;
				gr.record.data = rec;
				gr.record.len = (size_t)n;
				q.op_case = HIVE__SMP_REQUEST__OP_GATT_RECORD;
				q.gatt_record = &gr;
				send_smp(x, &q);
			}
			l->record_dirty = false;
		}
		if (l->counters_dirty) {
			Hive__SmpSignCounters sc = HIVE__SMP_SIGN_COUNTERS__INIT;
			sc.local = &la;
			sc.peer = &pa;
			sc.local_counter = l->keys.local_counter;
			sc.peer_counter = l->keys.peer_counter;
			q.op_case = HIVE__SMP_REQUEST__OP_SIGN_COUNTERS;
			q.sign_counters = &sc;
			send_smp(x, &q);
			l->counters_dirty = false;
		}
	}
}

bool gatt_smp_on_result(struct gatt_smp *x, const Hive__Result *r)
{
	if ((r->id & 0xffff000000000000ull) != GATT_SMP_ID_BASE)
		return false;
	if (r->status != 0)
		HLOG_WARN(x->a, "smp refused to store a bond's GATT state: %d %s", r->status,
			  r->error ? r->error : "");
	return true;
}
