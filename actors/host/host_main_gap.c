/* hive-host's shell for GAP: Request ops 103-119 decoded into the GAP
 * state's calls, its results encoded as Results, the device configuration
 * file and the randomness for addresses. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "hive.h"
#include "host_addr.h"
#include "host_main.h"

/* ---- AdvertisingData <-> fields ---------------------------------------------------- */

static int bytes_uuid(const ProtobufCBinaryData *b, struct ad_uuid *u)
{
	if (b->len != 2 && b->len != 4 && b->len != 16)
		return -EINVAL;
	u->len = (uint8_t)b->len;
	memcpy(u->b, b->data, b->len);
	return 0;
}

/* Fields from a message; they point into it. */
static int fields_from_pb(const Hive__AdvertisingData *d, struct ad_fields *f)
{
	ad_fields_init(f);
	f->has_flags = d->has_flags;
	f->flags = (uint8_t)d->flags;
	size_t nlen = d->name ? strlen(d->name) : 0;
	if (nlen > 248)
		return -EINVAL;
	f->name.p = (const uint8_t *)d->name;
	f->name.len = (uint8_t)nlen;
	f->name_shortened = d->name_shortened;
	if (d->n_uuids > AD_UUIDS_MAX || d->n_manufacturer > AD_MANUF_MAX ||
	    d->n_service_data > AD_SVC_MAX || d->n_other > AD_OTHER_MAX)
		return -E2BIG;
	for (size_t i = 0; i < d->n_uuids; i++)
		if (bytes_uuid(&d->uuids[i], &f->uuids[f->n_uuids++]) < 0)
			return -EINVAL;
	f->has_appearance = d->has_appearance;
	f->appearance = (uint16_t)d->appearance;
	f->has_tx_power = d->has_tx_power;
	f->tx_power = (int8_t)d->tx_power;
	for (size_t i = 0; i < d->n_manufacturer; i++) {
		const Hive__ManufacturerData *m = d->manufacturer[i];
		if (m->data.len > 253)
			return -EINVAL;
		f->manuf[i].company = (uint16_t)m->company;
		f->manuf[i].data.p = m->data.data;
		f->manuf[i].data.len = (uint8_t)m->data.len;
		f->n_manuf++;
	}
	for (size_t i = 0; i < d->n_service_data; i++) {
		const Hive__ServiceData *s = d->service_data[i];
		if (bytes_uuid(&s->uuid, &f->svc[i].uuid) < 0 || s->data.len > 237)
			return -EINVAL;
		f->svc[i].data.p = s->data.data;
		f->svc[i].data.len = (uint8_t)s->data.len;
		f->n_svc++;
	}
	for (size_t i = 0; i < d->n_other; i++) {
		if (d->other[i]->type > 0xff || d->other[i]->data.len > 254)
			return -EINVAL;
		f->other[i].type = (uint8_t)d->other[i]->type;
		f->other[i].data.p = d->other[i]->data.data;
		f->other[i].data.len = (uint8_t)d->other[i]->data.len;
		f->n_other++;
	}
	return 0;
}

/* Storage for one AdvertisingData message made from fields. */
struct ad_pb {
	Hive__AdvertisingData d;
	char name[AD_DATA_MAX + 1];
	ProtobufCBinaryData uuids[AD_UUIDS_MAX];
	Hive__ManufacturerData manuf[AD_MANUF_MAX], *manuf_p[AD_MANUF_MAX];
	Hive__ServiceData svc[AD_SVC_MAX], *svc_p[AD_SVC_MAX];
	Hive__AdField other[AD_OTHER_MAX], *other_p[AD_OTHER_MAX];
};

static void fields_to_pb(struct ad_fields *f, struct ad_pb *o)
{
	hive__advertising_data__init(&o->d);
	o->d.has_flags = f->has_flags;
	o->d.flags = f->flags;
	memcpy(o->name, f->name.p ? (const char *)f->name.p : "", f->name.len);
	o->name[f->name.len] = 0;
	o->d.name = o->name;
	o->d.name_shortened = f->name_shortened;
	for (unsigned i = 0; i < f->n_uuids; i++) {
		o->uuids[i].data = f->uuids[i].b;
		o->uuids[i].len = f->uuids[i].len;
	}
	o->d.n_uuids = f->n_uuids;
	o->d.uuids = o->uuids;
	o->d.has_appearance = f->has_appearance;
	o->d.appearance = f->appearance;
	o->d.has_tx_power = f->has_tx_power;
	o->d.tx_power = f->tx_power;
	for (unsigned i = 0; i < f->n_manuf; i++) {
		hive__manufacturer_data__init(&o->manuf[i]);
		o->manuf[i].company = f->manuf[i].company;
		o->manuf[i].data.data = (uint8_t *)f->manuf[i].data.p;
		o->manuf[i].data.len = f->manuf[i].data.len;
		o->manuf_p[i] = &o->manuf[i];
	}
	o->d.n_manufacturer = f->n_manuf;
	o->d.manufacturer = o->manuf_p;
	for (unsigned i = 0; i < f->n_svc; i++) {
		hive__service_data__init(&o->svc[i]);
		o->svc[i].uuid.data = f->svc[i].uuid.b;
		o->svc[i].uuid.len = f->svc[i].uuid.len;
		o->svc[i].data.data = (uint8_t *)f->svc[i].data.p;
		o->svc[i].data.len = f->svc[i].data.len;
		o->svc_p[i] = &o->svc[i];
	}
	o->d.n_service_data = f->n_svc;
	o->d.service_data = o->svc_p;
	for (unsigned i = 0; i < f->n_other; i++) {
		hive__ad_field__init(&o->other[i]);
		o->other[i].type = f->other[i].type;
		o->other[i].data.data = (uint8_t *)f->other[i].data.p;
		o->other[i].data.len = f->other[i].data.len;
		o->other_p[i] = &o->other[i];
	}
	o->d.n_other = f->n_other;
	o->d.other = o->other_p;
}

/* ---- requests ------------------------------------------------------------------------ */

/* Raw bytes up to the extended maximum; fields up to cap. */
static int build_ad(const Hive__AdvertisingData *d, const ProtobufCBinaryData *raw,
		    uint8_t *out, size_t *len, bool *has, size_t cap)
{
	*has = false;
	*len = 0;
	if (raw->len) {
		if (raw->len > AD_EXT_MAX)
			return -EMSGSIZE;
		memcpy(out, raw->data, raw->len);
		*len = raw->len;
		*has = true;
		return 0;
	}
	if (!d)
		return 0;
	struct ad_fields f;
	int rc = fields_from_pb(d, &f);
	if (rc < 0)
		return rc;
	rc = ad_build(&f, out, cap);
	if (rc < 0)
		return rc;
	*len = (size_t)rc;
	*has = true;
	return 0;
}

static int advertise(struct host_actor *self, uint64_t cookie, const Hive__Advertise *m,
		     const char **why)
{
	struct gap_advertise a = { 0 };
	a.connectable = m->connectable;
	a.interval_ms = m->interval_ms;
	a.no_flags = m->no_flags;
	a.extended = m->extended;
	if (m->phy > 3) {
		*why = "the advertising PHY must be 1 (1M), 2 (2M) or 3 (Coded)";
		return -EINVAL;
	}
	a.phy = (uint8_t)m->phy;
	/* Fields fill 31 bytes, or one extended structure's worth with
	 * `extended`; raw bytes may be as long as extended advertising allows. */
	size_t cap = m->extended ? AD_DATA_MAX : AD_LEGACY_MAX;
	if (build_ad(m->data, &m->raw_data, a.data, &a.data_len, &a.has_data, cap) < 0 ||
	    build_ad(m->scan_response, &m->raw_scan_response, a.rsp, &a.rsp_len, &a.has_rsp,
		     cap) < 0) {
		*why = m->extended ? "advertising data or scan response does not fit in 251 bytes "
				     "(give longer data raw), or a UUID is not 2, 4 or 16 bytes"
				   : "advertising data or scan response does not fit in 31 bytes "
				     "(use extended advertising), or a UUID is not 2, 4 or 16 bytes";
		return -EMSGSIZE;
	}
	if (m->data && !m->raw_data.len && !m->no_flags && !m->data->has_flags) {
		/* Discoverable unless asked otherwise: flags first. */
		if (a.data_len + 3 > cap) {
			*why = "advertising data and the flags do not fit";
			return -EMSGSIZE;
		}
		memmove(a.data + 3, a.data, a.data_len);
		a.data[0] = 2;
		a.data[1] = AD_FLAGS;
		a.data[2] = AD_FLAG_LE_GENERAL | AD_FLAG_NO_BREDR;
		a.data_len += 3;
	}
	return host_gap_advertise(&self->h, cookie, &a, why);
}

static int addr_from_pb(const Hive__Address *pa, struct host_addr *a)
{
	if (!pa || pa->bdaddr.len != 6)
		return -EINVAL;
	a->type = (uint8_t)pa->type;
	memcpy(a->a, pa->bdaddr.data, 6);
	return 0;
}

static uint16_t u16(uint32_t v)
{
	return v > 0xffff ? 0xffff : (uint16_t)v;
}

/* smp's key size for the Encryption Change to come (v1 events carry none). */
static void remember_key_size(struct host *h, uint32_t handle, uint32_t key_size, int rc)
{
	struct host_conn *c = rc < 0 ? NULL : host_conn_find(&h->conns, u16(handle));
	if (c)
		c->next_key_size = key_size <= 16 ? (uint8_t)key_size : 0;
}

/* A peripheral asks the central for new parameters through l2cap
 * (Connection Parameter Update Request); l2cap's Result, which comes when
 * the central answered, goes to the asker (host_gap_on_result). */
static int update_through_l2cap(struct host_actor *self, uint64_t cookie,
				const Hive__UpdateConnection *m)
{
	Hive__L2capConnParamUpdate u = HIVE__L2CAP_CONN_PARAM_UPDATE__INIT;
	u.handle = m->handle;
	u.interval_min = m->interval_min;
	u.interval_max = m->interval_max;
	u.latency = m->latency;
	u.timeout = m->supervision_timeout;
	Hive__L2capRequest lr = HIVE__L2CAP_REQUEST__INIT;
	lr.op_case = HIVE__L2CAP_REQUEST__OP_CONN_PARAM_UPDATE;
	lr.conn_param_update = &u;
	Hive__Request req = HIVE__REQUEST__INIT;
	req.id = cookie;
	req.op_case = HIVE__REQUEST__OP_L2CAP;
	req.l2cap = &lr;
	Hive__Envelope env = HIVE__ENVELOPE__INIT;
	env.body_case = HIVE__ENVELOPE__BODY_REQUEST;
	env.request = &req;
	return hive_send(self->a, "l2cap", &env);
}

void host_gap_on_result(struct hive_actor *a, const char *source, const Hive__Envelope *env,
			void *arg)
{
	struct host_actor *self = arg;
	const Hive__Result *r = env->result;
	struct asker *k = strcmp(source, "l2cap") ? NULL : host_asker_find(self, r->id);
	if (!k) {
		HLOG_DEBUG(a, "Result %llu from %s matches no request of ours",
			   (unsigned long long)r->id, source);
		return;
	}
	host_send_result(self, k->source, k->request_id, r->status, r->domain,
			 r->status ? (r->error && *r->error ? r->error
				      : "the central rejected the new connection parameters")
				   : NULL,
			 NULL);
	k->in_use = false;
}

static int serve(struct host_actor *self, uint64_t cookie, const Hive__Request *req,
		 const char **why)
{
	struct host *h = &self->h;
	uint64_t now = hive_now_ns() / 1000000ull;
	switch (req->op_case) {
	case HIVE__REQUEST__OP_ADVERTISE:
		return advertise(self, cookie, req->advertise, why);
	case HIVE__REQUEST__OP_STOP_ADVERTISING:
		return host_gap_stop_advertising(h, cookie, why);
	case HIVE__REQUEST__OP_SCAN: {
		const Hive__Scan *m = req->scan;
		struct gap_scan s = { .passive = m->passive,
				      .interval_ms = m->interval_ms,
				      .window_ms = m->window_ms,
				      .duration_ms = m->duration_ms,
				      .report_duplicates = m->report_duplicates,
				      .use_filter_accept_list = m->use_filter_accept_list };
		return host_gap_scan(h, cookie, &s, now, why);
	}
	case HIVE__REQUEST__OP_STOP_SCAN:
		return host_gap_stop_scan(h, cookie, why);
	case HIVE__REQUEST__OP_CONNECT: {
		const Hive__Connect *m = req->connect;
		struct gap_connect c = { 0 };
		if (addr_from_pb(m->peer, &c.peer) < 0) {
			*why = "connect needs a peer address of 6 bytes";
			return -EINVAL;
		}
		c.timeout_ms = m->timeout_ms;
		c.interval_min = u16(m->interval_min);
		c.interval_max = u16(m->interval_max);
		c.latency = u16(m->latency);
		c.timeout = u16(m->supervision_timeout);
		c.use_filter_accept_list = m->use_filter_accept_list;
		if (m->phys > 7) {
			*why = "connect PHYs are bits: 1 (1M), 2 (2M), 4 (Coded)";
			return -EINVAL;
		}
		c.phys = (uint8_t)m->phys;
		return host_gap_connect(h, cookie, &c, now, why);
	}
	case HIVE__REQUEST__OP_CANCEL_CONNECT:
		return host_gap_cancel_connect(h, cookie, why);
	case HIVE__REQUEST__OP_DISCONNECT:
		return host_gap_disconnect(h, cookie, u16(req->disconnect->handle),
					   (uint8_t)req->disconnect->reason, why);
	case HIVE__REQUEST__OP_UPDATE_CONNECTION: {
		const Hive__UpdateConnection *m = req->update_connection;
		struct gap_conn_update u = { u16(m->handle), u16(m->interval_min),
					     u16(m->interval_max), u16(m->latency),
					     u16(m->supervision_timeout) };
		const struct host_conn *c = host_conn_find(&h->conns, u.handle);
		if (c && c->role == 1 && !c->bredr) {
			int rc = update_through_l2cap(self, cookie, m);
			if (rc < 0)
				*why = "cannot reach l2cap to ask the central";
			return rc;
		}
		return host_gap_update(h, cookie, &u, why);
	}
	case HIVE__REQUEST__OP_SET_PHY:
		return host_gap_set_phy(h, cookie, u16(req->set_phy->handle),
					(uint8_t)req->set_phy->tx_phys,
					(uint8_t)req->set_phy->rx_phys, why);
	case HIVE__REQUEST__OP_SET_DATA_LENGTH:
		return host_gap_set_data_length(h, cookie, u16(req->set_data_length->handle),
						u16(req->set_data_length->tx_octets),
						u16(req->set_data_length->tx_time), why);
	case HIVE__REQUEST__OP_READ_RSSI:
		return host_gap_read_rssi(h, cookie, u16(req->read_rssi->handle), why);
	case HIVE__REQUEST__OP_FILTER_ACCEPT_LIST: {
		const Hive__FilterAcceptList *m = req->filter_accept_list;
		struct host_addr a = { 0 };
		if (m->op != HIVE__FILTER_ACCEPT_LIST__OP__CLEAR && addr_from_pb(m->address, &a) < 0) {
			*why = "adding or removing needs an address of 6 bytes";
			return -EINVAL;
		}
		return host_gap_filter(h, cookie, (int)m->op, &a, why);
	}
	case HIVE__REQUEST__OP_START_ENCRYPTION: {
		const Hive__StartEncryption *m = req->start_encryption;
		if (m->ltk.len != 16 || m->rand.len != 8) {
			*why = "start_encryption needs a 16-byte LTK and an 8-byte rand";
			return -EINVAL;
		}
		int rc = host_gap_start_encryption(h, cookie, u16(m->handle), m->ltk.data,
						   u16(m->ediv), m->rand.data, why);
		remember_key_size(h, m->handle, m->key_size, rc);
		return rc;
	}
	case HIVE__REQUEST__OP_LTK_REPLY: {
		const Hive__LtkReply *m = req->ltk_reply;
		if (m->found && m->ltk.len != 16) {
			*why = "ltk_reply with found needs a 16-byte LTK";
			return -EINVAL;
		}
		int rc = host_gap_ltk_reply(h, cookie, u16(m->handle), m->found, m->ltk.data, why);
		remember_key_size(h, m->handle, m->found ? m->key_size : 0, rc);
		return rc;
	}
	default:
		return 1;
	}
}

static void answer_now(struct host_actor *self, const char *source, const Hive__Request *req)
{
	struct host *h = &self->h;
	Hive__Result res = HIVE__RESULT__INIT;
	Hive__DeviceInfo di = HIVE__DEVICE_INFO__INIT;
	Hive__Address pub = HIVE__ADDRESS__INIT, rnd = HIVE__ADDRESS__INIT,
		      own = HIVE__ADDRESS__INIT;
	uint8_t buf[18];
	struct host_addr a;
	int rc = 0;
	const char *why = NULL;
	switch (req->op_case) {
	case HIVE__REQUEST__OP_ADD_IRK:
		if (addr_from_pb(req->add_irk->identity, &a) < 0 || req->add_irk->irk.len != 16) {
			rc = -EINVAL;
			why = "add_irk needs an identity address and a 16-byte IRK";
		} else if ((rc = host_gap_add_irk(h, &a, req->add_irk->irk.data)) < 0) {
			why = "too many IRKs";
		}
		break;
	case HIVE__REQUEST__OP_REMOVE_IRK:
		if (addr_from_pb(req->remove_irk->identity, &a) < 0) {
			rc = -EINVAL;
			why = "remove_irk needs an identity address";
		} else {
			host_gap_remove_irk(h, &a);
		}
		break;
	default: /* device_info */
		di.name = h->gap.cfg.name;
		a.type = 0;
		memcpy(a.a, h->ctrl.bdaddr, 6);
		host_addr_to_pb(&pub, &a, buf);
		di.public_address = &pub;
		if (h->gap.own_type) {
			a.type = 1;
			memcpy(a.a, h->gap.random, 6);
			host_addr_to_pb(&rnd, &a, buf + 6);
			di.random_address = &rnd;
		}
		host_gap_own_address(h, &a);
		host_addr_to_pb(&own, &a, buf + 12);
		di.own = &own;
		di.appearance = h->gap.cfg.appearance;
		di.advertising = h->gap.advertising;
		di.scanning = h->gap.scanning;
		di.connecting = h->gap.connect_op >= 0;
		res.value_case = HIVE__RESULT__VALUE_DEVICE_INFO;
		res.device_info = &di;
		break;
	}
	host_send_result(self, source, req->id, rc, HIVE__RESULT__DOMAIN__LOCAL, why, &res);
}

bool host_gap_request(struct host_actor *self, const char *source, const Hive__Request *req)
{
	if (req->op_case == HIVE__REQUEST__OP_ADD_IRK ||
	    req->op_case == HIVE__REQUEST__OP_REMOVE_IRK ||
	    req->op_case == HIVE__REQUEST__OP_DEVICE_INFO) {
		answer_now(self, source, req);
		return true;
	}
	if (req->op_case < HIVE__REQUEST__OP_ADVERTISE || req->op_case > HIVE__REQUEST__OP_STOP_SCAN ||
	    req->op_case == HIVE__REQUEST__OP_HCI_COMMAND)
		return false;
	const char *why = "the host is not ready yet";
	int rc = -EAGAIN;
	struct asker *k = NULL;
	if (self->h.ready) {
		k = host_asker_new(self, source, req->id);
		rc = k ? serve(self, k->cookie, req, &why) : -EBUSY;
		if (!k)
			why = "too many requests in progress";
		if (rc == 1) {
			k->in_use = false;
			return false;
		}
	}
	if (rc < 0) {
		if (k)
			k->in_use = false;
		char text[256];
		snprintf(text, sizeof text, "%s", why ? why : strerror(-rc));
		host_send_result(self, source, req->id, rc, HIVE__RESULT__DOMAIN__LOCAL, text,
				 NULL);
	}
	return true;
}

/* ---- results --------------------------------------------------------------------------- */

void host_send_gap_result(struct host_actor *self, const struct host_result *r)
{
	struct asker *k = host_asker_find(self, r->asker);
	if (!k)
		return;
	Hive__Result res = HIVE__RESULT__INIT;
	Hive__AdvertiseResult ar = HIVE__ADVERTISE_RESULT__INIT;
	Hive__ScanReport sr = HIVE__SCAN_REPORT__INIT;
	Hive__ScanEnded se = HIVE__SCAN_ENDED__INIT;
	Hive__RssiResult rr = HIVE__RSSI_RESULT__INIT;
	Hive__ConnectionInfo ci;
	Hive__Address a1 = HIVE__ADDRESS__INIT, a2 = HIVE__ADDRESS__INIT;
	uint8_t buf[12];
	struct ad_fields f;
	static_assert(sizeof(struct ad_pb) < 16384, "ad_pb is on the stack");
	struct ad_pb adpb;
	switch (r->value) {
	case HOST_VALUE_NONE:
		break;
	case HOST_VALUE_ADVERTISE:
		host_addr_to_pb(&a1, &r->own, buf);
		ar.own = &a1;
		ar.extended = r->extended;
		res.value_case = HIVE__RESULT__VALUE_ADVERTISE;
		res.advertise = &ar;
		break;
	case HOST_VALUE_SCAN_REPORT: {
		const struct ad_entry *e = r->report;
		struct host_addr pa = { .type = e->addr_type };
		memcpy(pa.a, e->addr, 6);
		host_addr_to_pb(&a1, &pa, buf);
		sr.address = &a1;
		sr.rssi = e->rssi;
		sr.connectable = ad_entry_connectable(e);
		sr.scannable = ad_entry_scannable(e);
		sr.has_scan_response = e->has_rsp;
		ad_fields_init(&f);
		/* A malformed structure keeps what came before it. */
		(void)ad_parse(e->adv, e->adv_len, &f);
		if (e->has_rsp)
			(void)ad_parse(e->rsp, e->rsp_len, &f);
		fields_to_pb(&f, &adpb);
		sr.data = &adpb.d;
		sr.adv_data.data = (uint8_t *)e->adv;
		sr.adv_data.len = e->adv_len;
		sr.scan_response.data = (uint8_t *)e->rsp;
		sr.scan_response.len = e->has_rsp ? e->rsp_len : 0;
		if (r->has_identity) {
			host_addr_to_pb(&a2, &r->identity, buf + 6);
			sr.identity = &a2;
		}
		sr.extended = e->extended;
		sr.truncated = e->truncated;
		sr.primary_phy = e->primary_phy;
		sr.secondary_phy = e->secondary_phy;
		sr.sid = e->extended ? e->sid : 0xff;
		res.value_case = HIVE__RESULT__VALUE_SCAN_REPORT;
		res.scan_report = &sr;
		break;
	}
	case HOST_VALUE_SCAN_ENDED:
		se.reports = r->reports;
		se.reason = (char *)(r->reason ? r->reason : "");
		res.value_case = HIVE__RESULT__VALUE_SCAN_ENDED;
		res.scan_ended = &se;
		break;
	case HOST_VALUE_CONNECTION:
		host_conn_info_to_pb(&ci, &r->conn, &a1, &a2, buf);
		res.value_case = HIVE__RESULT__VALUE_CONNECTION;
		res.connection = &ci;
		break;
	case HOST_VALUE_RSSI:
		rr.handle = r->handle;
		rr.rssi = r->rssi;
		res.value_case = HIVE__RESULT__VALUE_RSSI;
		res.rssi = &rr;
		break;
	}
	host_send_result(self, k->source, k->request_id, r->status,
			 r->hci ? HIVE__RESULT__DOMAIN__HCI : HIVE__RESULT__DOMAIN__LOCAL, r->error,
			 &res);
	if (r->final)
		k->in_use = false;
}

/* ---- configuration and randomness ---------------------------------------------------------- */

static int fill_random(void *buf, size_t n)
{
	size_t got = 0;
	while (got < n) {
		ssize_t r = getrandom((uint8_t *)buf + got, n - got, 0);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return -errno;
		got += (size_t)r;
	}
	return 0;
}

void host_refill_randomness(struct host_actor *self)
{
	uint8_t rnd[16];
	if (self->h.gap.rnd_fresh || fill_random(rnd, sizeof rnd) < 0)
		return;
	host_gap_randomness(&self->h, rnd);
}

int host_load_config(struct host_actor *self)
{
	struct host_config cfg;
	char err[512];
	host_config_defaults(&cfg);
	const char *path = self->config_path;
	if (!path) {
		host_gap_init(&self->h, &cfg);
		return 0;
	}
	if (host_config_load(&cfg, path, err, sizeof err) < 0) {
		HLOG_ERROR(self->a, "device configuration: %s", err);
		return -EINVAL;
	}
	if (cfg.own == HOST_OWN_RANDOM && !cfg.has_address) {
		uint8_t rnd[6];
		char text[HOST_ADDR_STR];
		if (fill_random(rnd, sizeof rnd) < 0)
			return -EIO;
		host_addr_make_static(rnd, cfg.address);
		cfg.has_address = true;
		host_addr_format(cfg.address, text);
		if (host_config_store(path, "address", text, err, sizeof err) < 0) {
			HLOG_ERROR(self->a, "device configuration: %s", err);
			return -EIO;
		}
		HLOG_INFO(self->a, "random static address %s generated and stored in %s", text,
			  path);
	}
	if (cfg.own == HOST_OWN_RPA && !cfg.has_irk) {
		char hex[33];
		if (fill_random(cfg.irk, 16) < 0)
			return -EIO;
		for (int i = 0; i < 16; i++)
			snprintf(hex + 2 * i, 3, "%02x", cfg.irk[i]);
		if (host_config_store(path, "irk", hex, err, sizeof err) < 0) {
			HLOG_ERROR(self->a, "device configuration: %s", err);
			return -EIO;
		}
		cfg.has_irk = true;
		HLOG_INFO(self->a, "IRK generated and stored in %s", path);
	}
	host_gap_init(&self->h, &cfg);
	HLOG_INFO(self->a, "device configuration %s: name \"%s\"", path, cfg.name);
	return 0;
}
