/* The fixed channel registry: see l2cap_fixed.h. */
#include "l2cap_fixed.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "l2cap_codec.h"

bool l2cap_name_valid(const char *n)
{
	size_t len = n ? strlen(n) : 0;
	if (len == 0 || len > L2CAP_NAME_MAX)
		return false;
	for (size_t i = 0; i < len; i++) {
		char c = n[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '_' || c == '.' || c == '-'))
			return false;
	}
	return true;
}

/* The entry serving cid (never a free slot), or NULL. */
static struct l2cap_fixed_entry *find(struct l2cap_fixed *f, uint16_t cid)
{
	for (unsigned i = 0; cid && i < L2CAP_FIXED_MAX; i++)
		if (f->e[i].cid == cid)
			return &f->e[i];
	return NULL;
}

void l2cap_fixed_init(struct l2cap_fixed *f)
{
	memset(f, 0, sizeof *f);
	l2cap_fixed_register(f, L2CAP_CID_ATT, "gatt");
	l2cap_fixed_register(f, L2CAP_CID_SMP, "smp");
	l2cap_fixed_register(f, L2CAP_CID_SMP_BREDR, "smp");
}

int l2cap_fixed_register(struct l2cap_fixed *f, uint16_t cid, const char *owner)
{
	if (cid == L2CAP_CID_NULL || cid == L2CAP_CID_LE_SIGNALING || cid >= L2CAP_CID_DYN_MIN ||
	    !l2cap_name_valid(owner))
		return -EINVAL;
	struct l2cap_fixed_entry *e = find(f, cid);
	for (unsigned i = 0; i < L2CAP_FIXED_MAX && !e; i++)
		if (!f->e[i].cid)
			e = &f->e[i];
	if (!e)
		return -ENOSPC;
	if (e->cid != cid || strcmp(e->owner, owner) != 0)
		e->delivered = 0;
	e->cid = cid;
	snprintf(e->owner, sizeof e->owner, "%s", owner);
	return 0;
}

int l2cap_fixed_unregister(struct l2cap_fixed *f, uint16_t cid, const char *owner)
{
	struct l2cap_fixed_entry *e = find(f, cid);
	if (!e || (owner && strcmp(e->owner, owner) != 0))
		return -ENOENT;
	memset(e, 0, sizeof *e);
	return 0;
}

const char *l2cap_fixed_owner(const struct l2cap_fixed *f, uint16_t cid)
{
	for (unsigned i = 0; cid && i < L2CAP_FIXED_MAX; i++)
		if (f->e[i].cid == cid)
			return f->e[i].owner;
	return NULL;
}

const char *l2cap_fixed_route(struct l2cap_fixed *f, uint16_t cid)
{
	struct l2cap_fixed_entry *e = find(f, cid);
	if (!e) {
		f->dropped++;
		f->last_dropped_cid = cid;
		return NULL;
	}
	e->delivered++;
	return e->owner;
}

int l2cap_fixed_forget(struct l2cap_fixed *f, const char *owner)
{
	int n = 0;
	for (unsigned i = 0; i < L2CAP_FIXED_MAX; i++)
		if (f->e[i].cid && owner && strcmp(f->e[i].owner, owner) == 0) {
			memset(&f->e[i], 0, sizeof f->e[i]);
			n++;
		}
	return n;
}
