/* hive-smp <-> gatt about bonds. See smp_gatt.h. */
#include "smp_gatt.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <openssl/crypto.h>

void smp_gatt_init(struct smp_gatt *g, struct hive_actor *a, const char *gatt,
		   struct smp_bonds *store, struct smp_actor *s)
{
	memset(g, 0, sizeof *g);
	g->a = a;
	g->gatt = gatt;
	g->store = store;
	g->s = s;
}

/* Most significant first <-> as on the wire. */
static void rev(uint8_t *dst, const uint8_t *src, size_t n)
{
	for (size_t i = 0; i < n; i++)
		dst[i] = src[n - 1 - i];
}

static void addr_out(Hive__SmpAddress *pa, const struct smp_addr *a, uint8_t buf[6])
{
	rev(buf, a->a, 6);
	pa->type = a->type;
	pa->bdaddr.data = buf;
	pa->bdaddr.len = 6;
}

static bool addr_in(const Hive__SmpAddress *pa, struct smp_addr *out)
{
	memset(out, 0, sizeof *out);
	if (!pa || pa->bdaddr.len != 6 || pa->type > 1)
		return false;
	out->type = (uint8_t)pa->type;
	rev(out->a, pa->bdaddr.data, 6);
	return true;
}

static struct smp_gatt_told *told_of(struct smp_gatt *g, uint16_t handle)
{
	for (int i = 0; i < SMP_LINKS_MAX; i++)
		if (g->told[i].used && g->told[i].handle == handle)
			return &g->told[i];
	return NULL;
}

void smp_gatt_note_acts(struct smp_gatt *g, const struct smp_actor *s)
{
	for (unsigned i = 0; i < s->nout; i++) {
		struct smp_gatt_told *t = s->out[i].type == SMP_ACT_KEYS_CHANGED
						  ? told_of(g, s->out[i].handle)
						  : NULL;
		if (t)
			t->used = false;
	}
}

static void tell(struct smp_gatt *g, const struct smp_link *l)
{
	struct smp_bond b;
	uint8_t rec[SMP_BONDS_GATT_MAX], la[6], pa[6], pcsrk[16], lcsrk[16];
	if (smp_bonds_get(g->store, &l->bond.local, &l->bond.peer, &b) < 0)
		return; /* deleted meanwhile */
	int n = smp_bonds_get_gatt(g->store, &b.local, &b.peer, rec, sizeof rec);
	Hive__SmpGattBond gb = HIVE__SMP_GATT_BOND__INIT;
	Hive__SmpAddress lo = HIVE__SMP_ADDRESS__INIT, pe = HIVE__SMP_ADDRESS__INIT;
	addr_out(&lo, &b.local, la);
	addr_out(&pe, &b.peer, pa);
	Hive__SmpAddress lp = HIVE__SMP_ADDRESS__INIT;
	uint8_t lpa[6];
	addr_out(&lp, &l->peer, lpa);
	gb.local = &lo;
	gb.peer = &pe;
	gb.link_peer = &lp;
	if (n > 0) {
		gb.record.data = rec;
		gb.record.len = (size_t)n;
	}
	if (b.has_peer_csrk) {
		rev(pcsrk, b.peer_csrk, 16);
		gb.peer_csrk.data = pcsrk;
		gb.peer_csrk.len = 16;
	}
	if (b.has_local_csrk) {
		rev(lcsrk, b.local_csrk, 16);
		gb.local_csrk.data = lcsrk;
		gb.local_csrk.len = 16;
	}
	gb.peer_counter = b.peer_sign_counter;
	gb.local_counter = b.local_sign_counter;
	Hive__SmpEvent ev = HIVE__SMP_EVENT__INIT;
	Hive__Envelope env = HIVE__ENVELOPE__INIT;
	ev.handle = l->handle;
	ev.kind_case = HIVE__SMP_EVENT__KIND_GATT_BOND;
	ev.gatt_bond = &gb;
	env.body_case = HIVE__ENVELOPE__BODY_SMP_EVENT;
	env.smp_event = &ev;
	int rc = hive_send(g->a, g->gatt, &env);
	OPENSSL_cleanse(pcsrk, sizeof pcsrk);
	OPENSSL_cleanse(lcsrk, sizeof lcsrk);
	OPENSSL_cleanse(&b, sizeof b);
	if (rc < 0)
		HLOG_WARN(g->a, "telling %s that conn=0x%04x is bonded failed: %s", g->gatt,
			  l->handle, strerror(-rc));
}

/* The bond of a live link was deleted: gatt must stop using it. */
static void tell_unbond(struct smp_gatt *g, const struct smp_gatt_told *t)
{
	Hive__SmpGattBond gb = HIVE__SMP_GATT_BOND__INIT;
	Hive__SmpAddress lp = HIVE__SMP_ADDRESS__INIT;
	Hive__SmpEvent ev = HIVE__SMP_EVENT__INIT;
	Hive__Envelope env = HIVE__ENVELOPE__INIT;
	uint8_t lpa[6];
	addr_out(&lp, &t->link_peer, lpa);
	gb.link_peer = &lp;
	ev.handle = t->handle;
	ev.kind_case = HIVE__SMP_EVENT__KIND_GATT_UNBOND;
	ev.gatt_unbond = &gb;
	env.body_case = HIVE__ENVELOPE__BODY_SMP_EVENT;
	env.smp_event = &ev;
	if (hive_send(g->a, g->gatt, &env) < 0)
		HLOG_WARN(g->a, "telling %s that conn=0x%04x lost its bond failed", g->gatt,
			  t->handle);
}

void smp_gatt_update(struct smp_gatt *g, struct smp_actor *s)
{
	for (int i = 0; i < SMP_LINKS_MAX; i++) {
		struct smp_gatt_told *t = &g->told[i];
		const struct smp_link *l = t->used ? smp_actor_link(s, t->handle) : NULL;
		if (t->used && l && !l->have_bond)
			tell_unbond(g, t);
		if (t->used && (!l || !l->have_bond))
			t->used = false;
	}
	if (!g->store)
		return;
	for (int i = 0; i < SMP_LINKS_MAX; i++) {
		const struct smp_link *l = &s->links[i];
		if (!l->used || !l->have_bond)
			continue;
		struct smp_gatt_told *t = told_of(g, l->handle);
		if (t && !memcmp(&t->local, &l->bond.local, sizeof t->local) &&
		    !memcmp(&t->peer, &l->bond.peer, sizeof t->peer))
			continue;
		for (int k = 0; !t && k < SMP_LINKS_MAX; k++)
			if (!g->told[k].used)
				t = &g->told[k];
		if (!t)
			return;
		*t = (struct smp_gatt_told){ true, l->handle, l->bond.local, l->bond.peer, l->peer };
		tell(g, l);
	}
}

static void result(struct smp_gatt *g, const char *dest, uint64_t id, int status,
		   const char *error)
{
	Hive__Result res = HIVE__RESULT__INIT;
	Hive__Envelope env = HIVE__ENVELOPE__INIT;
	res.id = id;
	res.status = status;
	res.error = (char *)(error ? error : "");
	env.body_case = HIVE__ENVELOPE__BODY_RESULT;
	env.result = &res;
	hive_send(g->a, dest, &env);
}

static void stored(struct smp_gatt *g, const char *source, uint64_t id, int rc, const char *what)
{
	char err[256] = "";
	if (rc == -EINVAL)
		snprintf(err, sizeof err, "%s", what);
	else if (rc == -ENOENT)
		snprintf(err, sizeof err, "%s: no such bond (it was deleted, or never made)", what);
	else if (rc == -EMSGSIZE)
		snprintf(err, sizeof err, "%s: longer than the %d bytes a bond keeps", what,
			 SMP_BONDS_GATT_MAX);
	else if (rc < 0)
		snprintf(err, sizeof err, "%s: bond store: %s", what, smp_bonds_error(g->store));
	if (rc < 0 && rc != -ENOENT && rc != -EINVAL)
		HLOG_WARN(g->a, "%s", err);
	result(g, source, id, rc < 0 ? rc : 0, err);
}

bool smp_gatt_request(struct smp_gatt *g, const char *source, uint64_t id,
		      const Hive__SmpRequest *q)
{
	struct smp_addr local, peer;
	switch (q->op_case) {
	case HIVE__SMP_REQUEST__OP_GATT_RECORD:
		if (!addr_in(q->gatt_record->local, &local) || !addr_in(q->gatt_record->peer, &peer))
			stored(g, source, id, -EINVAL, "gatt_record needs 6-octet identities");
		else
			stored(g, source, id,
			       smp_bonds_set_gatt(g->store, &local, &peer, q->gatt_record->record.data,
						  q->gatt_record->record.len),
			       "gatt_record");
		return true;
	case HIVE__SMP_REQUEST__OP_SIGN_COUNTERS:
		if (!addr_in(q->sign_counters->local, &local) ||
		    !addr_in(q->sign_counters->peer, &peer))
			stored(g, source, id, -EINVAL, "sign_counters needs 6-octet identities");
		else
			stored(g, source, id,
			       smp_bonds_set_counters(g->store, &local, &peer,
						      q->sign_counters->local_counter,
						      q->sign_counters->peer_counter),
			       "sign_counters");
		return true;
	case HIVE__SMP_REQUEST__OP_GATT_SYNC:
		memset(g->told, 0, sizeof g->told); /* the next update tells them all */
		result(g, source, id, 0, NULL);
		return true;
	default:
		return false;
	}
}

/* ---- the local identity ------------------------------------------------------------ */

static bool is_identity(const struct smp_addr *a)
{
	static const uint8_t zero[6];
	if (!memcmp(a->a, zero, 6))
		return false;
	return a->type == 0 || (a->type == 1 && (a->a[0] & 0xc0) == 0xc0);
}

bool smp_scope_learn(struct smp_gatt *g, const struct smp_addr *own)
{
	if (!g->store || smp_bonds_scope(g->store) || !is_identity(own))
		return false;
	char text[32];
	smp_bonds_set_scope(g->store, own);
	g->s->set.identity = *own;
	g->s->set.identity_set = true;
	smp_addr_format(own, text, sizeof text);
	HLOG_INFO(g->a, "our identity is %s: the bond store shows its bonds only", text);
	return true;
}

void smp_scope_ask_host(struct smp_gatt *g, const char *host)
{
	Hive__Request req = HIVE__REQUEST__INIT;
	Hive__DeviceInfoQuery q = HIVE__DEVICE_INFO_QUERY__INIT;
	Hive__Envelope env = HIVE__ENVELOPE__INIT;
	req.id = SMP_SCOPE_REQUEST_ID;
	req.op_case = HIVE__REQUEST__OP_DEVICE_INFO;
	req.device_info = &q;
	env.body_case = HIVE__ENVELOPE__BODY_REQUEST;
	env.request = &req;
	if (hive_send(g->a, host, &env) < 0)
		HLOG_WARN(g->a, "cannot ask %s for our identity: bonds are not filtered until a "
				"connection tells it", host);
}

bool smp_scope_on_result(struct smp_gatt *g, const Hive__Result *r, bool *learned)
{
	struct smp_addr own;
	*learned = false;
	if (r->id != SMP_SCOPE_REQUEST_ID)
		return false;
	if (r->status == 0 && r->value_case == HIVE__RESULT__VALUE_DEVICE_INFO &&
	    r->device_info->own && r->device_info->own->bdaddr.len == 6) {
		own.type = (uint8_t)r->device_info->own->type;
		rev(own.a, r->device_info->own->bdaddr.data, 6);
		*learned = smp_scope_learn(g, &own);
	}
	return true;
}
