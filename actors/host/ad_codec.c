/* Advertising data codec and accumulator: see ad_codec.h. */
#include "ad_codec.h"

#include <errno.h>
#include <string.h>

#include "hive_bytes.h"

void ad_fields_init(struct ad_fields *f)
{
	memset(f, 0, sizeof *f);
}

static void add_uuid(struct ad_fields *f, const uint8_t *p, uint8_t n)
{
	if (f->n_uuids == AD_UUIDS_MAX) {
		f->dropped++;
		return;
	}
	struct ad_uuid *u = &f->uuids[f->n_uuids++];
	u->len = n;
	memcpy(u->b, p, n);
}

static int uuid_list(struct ad_fields *f, const uint8_t *p, uint8_t len, uint8_t size)
{
	if (len % size)
		return -EBADMSG;
	for (uint8_t i = 0; i < len; i += size)
		add_uuid(f, p + i, size);
	return 0;
}

static int service_data(struct ad_fields *f, const uint8_t *p, uint8_t len, uint8_t size)
{
	if (len < size)
		return -EBADMSG;
	if (f->n_svc == AD_SVC_MAX) {
		f->dropped++;
		return 0;
	}
	f->svc[f->n_svc].uuid.len = size;
	memcpy(f->svc[f->n_svc].uuid.b, p, size);
	f->svc[f->n_svc].data.p = p + size;
	f->svc[f->n_svc].data.len = (uint8_t)(len - size);
	f->n_svc++;
	return 0;
}

/* One structure's value (type already read). */
static int field(struct ad_fields *f, uint8_t type, const uint8_t *p, uint8_t len)
{
	switch (type) {
	case AD_FLAGS:
		if (len < 1)
			return -EBADMSG;
		f->has_flags = true;
		f->flags = p[0];
		return 0;
	case AD_UUID16_INCOMPLETE:
	case AD_UUID16_COMPLETE:
		return uuid_list(f, p, len, 2);
	case AD_UUID32_INCOMPLETE:
	case AD_UUID32_COMPLETE:
		return uuid_list(f, p, len, 4);
	case AD_UUID128_INCOMPLETE:
	case AD_UUID128_COMPLETE:
		return uuid_list(f, p, len, 16);
	case AD_NAME_SHORT:
	case AD_NAME_COMPLETE:
		/* A complete name wins over a shortened one. */
		if (type == AD_NAME_SHORT && f->name.p && !f->name_shortened)
			return 0;
		f->name.p = p;
		f->name.len = len;
		f->name_shortened = type == AD_NAME_SHORT;
		return 0;
	case AD_TX_POWER:
		if (len != 1)
			return -EBADMSG;
		f->has_tx_power = true;
		f->tx_power = (int8_t)p[0];
		return 0;
	case AD_APPEARANCE:
		if (len != 2)
			return -EBADMSG;
		f->has_appearance = true;
		f->appearance = (uint16_t)(p[0] | p[1] << 8);
		return 0;
	case AD_SERVICE_DATA16:
		return service_data(f, p, len, 2);
	case AD_SERVICE_DATA32:
		return service_data(f, p, len, 4);
	case AD_SERVICE_DATA128:
		return service_data(f, p, len, 16);
	case AD_MANUFACTURER:
		if (len < 2)
			return -EBADMSG;
		if (f->n_manuf == AD_MANUF_MAX) {
			f->dropped++;
			return 0;
		}
		f->manuf[f->n_manuf].company = (uint16_t)(p[0] | p[1] << 8);
		f->manuf[f->n_manuf].data.p = p + 2;
		f->manuf[f->n_manuf].data.len = (uint8_t)(len - 2);
		f->n_manuf++;
		return 0;
	default:
		if (f->n_other == AD_OTHER_MAX) {
			f->dropped++;
			return 0;
		}
		f->other[f->n_other].type = type;
		f->other[f->n_other].data.p = p;
		f->other[f->n_other].data.len = len;
		f->n_other++;
		return 0;
	}
}

int ad_parse(const uint8_t *p, size_t len, struct ad_fields *f)
{
	struct rd r = rd_init(p, len);
	while (r.left) {
		uint8_t n = rd_u8(&r);
		if (n == 0)
			break; /* padding */
		struct rd s = rd_sub(&r, n);
		if (!rd_ok(&s))
			return -EBADMSG;
		uint8_t type = rd_u8(&s);
		size_t vlen;
		const uint8_t *v = rd_rest(&s, &vlen);
		if (field(f, type, v, (uint8_t)vlen) < 0)
			return -EBADMSG;
	}
	return 0;
}

/* ---- build ---------------------------------------------------------------------- */

static void put(struct wr *w, uint8_t type, const uint8_t *a, size_t alen, const uint8_t *b,
		size_t blen)
{
	if (1 + alen + blen > 255) {
		w->overflow = true;
		return;
	}
	wr_u8(w, (uint8_t)(1 + alen + blen));
	wr_u8(w, type);
	wr_bytes(w, a, alen);
	wr_bytes(w, b, blen);
}

static void put_uuids(struct wr *w, const struct ad_fields *f, uint8_t size, uint8_t type)
{
	uint8_t list[AD_UUIDS_MAX * 16];
	size_t n = 0;
	for (unsigned i = 0; i < f->n_uuids; i++)
		if (f->uuids[i].len == size) {
			memcpy(list + n, f->uuids[i].b, size);
			n += size;
		}
	if (n)
		put(w, type, list, n, NULL, 0);
}

static void build_rest(struct wr *w, const struct ad_fields *f)
{
	put_uuids(w, f, 2, AD_UUID16_COMPLETE);
	put_uuids(w, f, 4, AD_UUID32_COMPLETE);
	put_uuids(w, f, 16, AD_UUID128_COMPLETE);
	if (f->has_appearance) {
		uint8_t a[2] = { (uint8_t)f->appearance, (uint8_t)(f->appearance >> 8) };
		put(w, AD_APPEARANCE, a, 2, NULL, 0);
	}
	if (f->has_tx_power) {
		uint8_t t = (uint8_t)f->tx_power;
		put(w, AD_TX_POWER, &t, 1, NULL, 0);
	}
	for (unsigned i = 0; i < f->n_svc && i < AD_SVC_MAX; i++) {
		const struct ad_uuid *u = &f->svc[i].uuid;
		uint8_t type = u->len == 2 ? AD_SERVICE_DATA16
			       : u->len == 4 ? AD_SERVICE_DATA32
					     : AD_SERVICE_DATA128;
		if (u->len != 2 && u->len != 4 && u->len != 16) {
			w->overflow = true;
			return;
		}
		put(w, type, u->b, u->len, f->svc[i].data.p, f->svc[i].data.len);
	}
	for (unsigned i = 0; i < f->n_manuf && i < AD_MANUF_MAX; i++) {
		uint8_t c[2] = { (uint8_t)f->manuf[i].company, (uint8_t)(f->manuf[i].company >> 8) };
		put(w, AD_MANUFACTURER, c, 2, f->manuf[i].data.p, f->manuf[i].data.len);
	}
	for (unsigned i = 0; i < f->n_other && i < AD_OTHER_MAX; i++)
		put(w, f->other[i].type, f->other[i].data.p, f->other[i].data.len, NULL, 0);
}

int ad_build(const struct ad_fields *f, uint8_t *out, size_t cap)
{
	/* The size of everything but the name decides how much name fits. */
	uint8_t scratch[AD_DATA_MAX + 64];
	struct wr rest = wr_init(scratch, sizeof scratch);
	build_rest(&rest, f);
	size_t fixed = rest.len + (f->has_flags ? 3 : 0);
	if (!wr_ok(&rest) || fixed > cap)
		return -EMSGSIZE;
	struct wr w = wr_init(out, cap);
	if (f->has_flags)
		put(&w, AD_FLAGS, &f->flags, 1, NULL, 0);
	if (f->name.len) {
		size_t room = cap - fixed;
		if (room > 2) {
			size_t n = f->name.len;
			bool shortened = f->name_shortened;
			if (n > room - 2) {
				n = room - 2;
				shortened = true;
			}
			put(&w, shortened ? AD_NAME_SHORT : AD_NAME_COMPLETE, f->name.p, n, NULL, 0);
		}
	}
	build_rest(&w, f);
	return wr_ok(&w) ? (int)w.len : -EMSGSIZE;
}

/* ---- accumulator ------------------------------------------------------------------- */

void ad_acc_init(struct ad_acc *acc, bool passive)
{
	memset(acc, 0, sizeof *acc);
	acc->passive = passive;
}

static struct ad_entry *entry_for(struct ad_acc *acc, const struct ad_report_in *r, bool make)
{
	struct ad_entry *free_e = NULL, *oldest = NULL;
	for (unsigned i = 0; i < AD_ACC_MAX; i++) {
		struct ad_entry *e = &acc->e[i];
		if (!e->in_use) {
			if (!free_e)
				free_e = e;
			continue;
		}
		if (e->addr_type == r->addr_type && !memcmp(e->addr, r->addr, 6))
			return e;
		if (!oldest || e->seen < oldest->seen)
			oldest = e;
	}
	if (!make)
		return NULL;
	struct ad_entry *e = free_e ? free_e : oldest;
	memset(e, 0, sizeof *e);
	e->in_use = true;
	e->addr_type = r->addr_type;
	memcpy(e->addr, r->addr, 6);
	return e;
}

const struct ad_entry *ad_acc_update(struct ad_acc *acc, const struct ad_report_in *r)
{
	if (r->len > AD_EXT_MAX || (r->len && !r->data))
		return NULL;
	if (r->event_type == AD_EVT_SCAN_RSP) {
		struct ad_entry *e = entry_for(acc, r, false);
		if (!e || (!e->adv_len && !e->pending))
			return NULL; /* a response to nothing we saw */
		e->seen = ++acc->clock;
		memcpy(e->rsp, r->data, r->len);
		e->rsp_len = r->len;
		e->has_rsp = true;
		e->pending = false;
		e->waits = 0;
		e->rssi = r->rssi;
		return e;
	}
	struct ad_entry *e = entry_for(acc, r, true);
	bool same = e->adv_len == r->len && e->adv_type == r->event_type &&
		    (!r->len || !memcmp(e->adv, r->data, r->len));
	e->seen = ++acc->clock;
	e->adv_type = r->event_type;
	e->rssi = r->rssi;
	e->extended = r->extended;
	e->truncated = r->truncated;
	e->primary_phy = r->primary_phy;
	e->secondary_phy = r->secondary_phy;
	e->sid = r->sid;
	if (r->len)
		memcpy(e->adv, r->data, r->len);
	e->adv_len = r->len;
	bool scannable = r->event_type == AD_EVT_ADV_IND || r->event_type == AD_EVT_ADV_SCAN_IND;
	if (acc->passive || !scannable) {
		e->has_rsp = false;
		e->rsp_len = 0;
		e->pending = false;
		return e;
	}
	if (e->has_rsp && same)
		return e; /* the response we have still goes with this data */
	e->has_rsp = false;
	e->rsp_len = 0;
	e->pending = true;
	if (++e->waits < AD_ACC_PATIENCE)
		return NULL;
	e->pending = false;
	e->waits = 0;
	return e;
}

const struct ad_entry *ad_acc_take_pending(struct ad_acc *acc)
{
	for (unsigned i = 0; i < AD_ACC_MAX; i++) {
		struct ad_entry *e = &acc->e[i];
		if (e->in_use && e->pending) {
			e->pending = false;
			e->waits = 0;
			return e;
		}
	}
	return NULL;
}

bool ad_entry_connectable(const struct ad_entry *e)
{
	return e->adv_type == AD_EVT_ADV_IND || e->adv_type == AD_EVT_ADV_DIRECT_IND ||
	       e->adv_type == AD_EVT_EXT_CONNECTABLE;
}

bool ad_entry_scannable(const struct ad_entry *e)
{
	return e->adv_type == AD_EVT_ADV_IND || e->adv_type == AD_EVT_ADV_SCAN_IND;
}
