/* hive-host's I/O shell for BR/EDR: the BR/EDR requests (Request.op
 * 150-157) into host_bredr calls, HOST_OUT_BREDR items into BredrEvent
 * messages (to smp, to the link subscribers, or as the value of a
 * requester's Result), and the BR/EDR settings:
 *
 *   --set bredr_scan=none|page|inquiry|both   Write Scan Enable at start-up
 *                                             (default page: connectable)
 *   --set bredr_accept=0|1   accept Connection Requests when connectable
 *                            (default 1)
 *   --set bredr_class=N      Class of Device (24 bits, e.g. 0x5a020c; default:
 *                            the controller's)
 *   --set bredr_ssp=0|1      Secure Simple Pairing (default 1; 0: legacy PIN
 *                            pairing, for peers and tests of old devices)
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "host_bredr_main.h"

int host_bredr_configure(struct host_actor *self)
{
	const char *scan = hive_config(self->a, "bredr_scan");
	uint8_t v = HCI_SCAN_PAGE;
	if (scan) {
		if (!strcmp(scan, "none"))
			v = 0;
		else if (!strcmp(scan, "page"))
			v = HCI_SCAN_PAGE;
		else if (!strcmp(scan, "inquiry"))
			v = HCI_SCAN_INQUIRY;
		else if (!strcmp(scan, "both"))
			v = HCI_SCAN_PAGE | HCI_SCAN_INQUIRY;
		else {
			HLOG_ERROR(self->a, "bredr_scan is none, page, inquiry or both, not \"%s\"",
				   scan);
			return -EINVAL;
		}
	}
	int err = 0;
	uint64_t accept = hive_config_u64(self->a, "bredr_accept", 1, &err);
	if (err || accept > 1) {
		HLOG_ERROR(self->a, "bredr_accept is 0 or 1");
		return -EINVAL;
	}
	uint64_t ssp = hive_config_u64(self->a, "bredr_ssp", 1, &err);
	if (err || ssp > 1) {
		HLOG_ERROR(self->a, "bredr_ssp is 0 or 1");
		return -EINVAL;
	}
	uint64_t cod = hive_config_u64(self->a, "bredr_class", 0, &err);
	if (err || cod > 0xffffff) {
		HLOG_ERROR(self->a, "bredr_class is a 24-bit Class of Device, e.g. 0x5a020c");
		return -EINVAL;
	}
	host_bredr_init(&self->h, v, accept == 0);
	self->h.bredr.no_ssp = ssp == 0;
	self->h.bredr.cod = (uint32_t)cod;
	return 0;
}

/* ---- outbox -> messages ------------------------------------------------------- */

#define EIR_UUIDS_MAX 16

struct eir_pb {
	Hive__AdvertisingData d;
	ProtobufCBinaryData uuids[EIR_UUIDS_MAX];
	uint8_t uuid_bytes[EIR_UUIDS_MAX][16];
	char name[HCI_EIR_LEN + 1];
};

static void eir_to_pb(const uint8_t *eir, size_t len, struct eir_pb *o)
{
	struct ad_fields f;
	hive__advertising_data__init(&o->d);
	ad_fields_init(&f);
	(void)ad_parse(eir, len, &f); /* a malformed structure keeps what came before */
	size_t n = f.name.len < HCI_EIR_LEN ? f.name.len : HCI_EIR_LEN;
	if (n)
		memcpy(o->name, f.name.p, n);
	o->name[n] = '\0';
	o->d.name = o->name;
	o->d.name_shortened = f.name_shortened;
	size_t k = 0;
	for (unsigned i = 0; i < f.n_uuids && k < EIR_UUIDS_MAX; i++, k++) {
		memcpy(o->uuid_bytes[k], f.uuids[i].b, f.uuids[i].len);
		o->uuids[k].data = o->uuid_bytes[k];
		o->uuids[k].len = f.uuids[i].len;
	}
	o->d.n_uuids = k;
	o->d.uuids = o->uuids;
	o->d.has_tx_power = f.has_tx_power;
	o->d.tx_power = f.has_tx_power ? f.tx_power : 0;
}

/* Fills ev from e; the link key only when with_key. eir and buf live as
 * long as ev is used. */
static void event_to_pb(const struct host_bredr_event *e, Hive__BredrEvent *ev,
			struct eir_pb *eir, uint8_t addr[6], uint8_t key[16], bool with_key)
{
	hive__bredr_event__init(ev);
	ev->kind = (Hive__BredrEvent__Kind)e->kind;
	ev->handle = e->handle;
	memcpy(addr, e->addr, 6);
	ev->bdaddr.data = addr;
	ev->bdaddr.len = 6;
	ev->status = e->hci_status;
	ev->class_of_device = e->cod;
	ev->has_rssi = e->has_rssi;
	ev->rssi = e->rssi;
	ev->name = (char *)e->name;
	if (e->eir_len) {
		eir_to_pb(e->eir, e->eir_len, eir);
		ev->eir = &eir->d;
		if (!e->name[0])
			ev->name = eir->name;
	}
	ev->role = e->role;
	ev->value = e->value;
	if (with_key && e->kind == BREDR_LINK_KEY) {
		memcpy(key, e->key, 16);
		ev->link_key.data = key;
		ev->link_key.len = 16;
	}
	ev->key_type = e->key_type;
	ev->io_capability = e->io;
	ev->oob = e->oob;
	ev->auth_req = e->auth_req;
	ev->responses = e->responses;
}

void host_send_bredr(struct host_actor *self, const struct host_bredr_event *e)
{
	static_assert(sizeof(struct eir_pb) < 8192, "eir_pb is on the stack");
	struct eir_pb eir;
	uint8_t addr[6], key[16];
	Hive__BredrEvent ev;
	Hive__Envelope env = HIVE__ENVELOPE__INIT;
	env.body_case = HIVE__ENVELOPE__BODY_BREDR_EVENT;
	env.bredr_event = &ev;
	if (e->to_smp) {
		event_to_pb(e, &ev, &eir, addr, key, true);
		HLOG_DEBUG(self->a, "bredr %d conn=0x%04x to smp", e->kind, e->handle);
		int rc = hive_send(self->a, "smp", &env);
		if (rc < 0)
			HLOG_WARN(self->a, "BR/EDR event %d not sent to smp: %s", e->kind,
				  strerror(-rc));
	}
	event_to_pb(e, &ev, &eir, addr, key, false);
	if (e->to_apps)
		for (unsigned i = 0; i < self->nsubscribers; i++)
			hive_send(self->a, self->subscribers[i], &env);
	if (!e->asker)
		return;
	struct asker *k = host_asker_find(self, e->asker);
	if (!k)
		return;
	Hive__Result res = HIVE__RESULT__INIT;
	res.value_case = HIVE__RESULT__VALUE_BREDR;
	res.bredr = &ev;
	host_send_result(self, k->source, k->request_id, e->status,
			 e->hci ? HIVE__RESULT__DOMAIN__HCI : HIVE__RESULT__DOMAIN__LOCAL, e->error,
			 &res);
	if (e->final)
		k->in_use = false;
}

/* ---- requests ---------------------------------------------------------------------- */

static bool addr_in(const ProtobufCBinaryData *b, uint8_t out[6])
{
	if (b->len != 6)
		return false;
	memcpy(out, b->data, 6);
	return true;
}

bool host_bredr_request(struct host_actor *self, const char *source, const Hive__Request *req)
{
	struct host *h = &self->h;
	const char *why = NULL;
	uint8_t addr[6];
	int rc;
	switch (req->op_case) {
	case HIVE__REQUEST__OP_BREDR_INQUIRY:
	case HIVE__REQUEST__OP_BREDR_CANCEL_INQUIRY:
	case HIVE__REQUEST__OP_BREDR_CONNECT:
	case HIVE__REQUEST__OP_BREDR_SCAN_ENABLE:
	case HIVE__REQUEST__OP_BREDR_REMOTE_NAME:
	case HIVE__REQUEST__OP_BREDR_AUTHENTICATE:
	case HIVE__REQUEST__OP_BREDR_SWITCH_ROLE:
	case HIVE__REQUEST__OP_BREDR_FLUSH:
		break;
	default:
		return false;
	}
	struct asker *k = host_asker_new(self, source, req->id);
	if (!k) {
		host_send_result(self, source, req->id, -EBUSY, HIVE__RESULT__DOMAIN__LOCAL,
				 "too many requests wait in the host; retry later", NULL);
		return true;
	}
	switch (req->op_case) {
	case HIVE__REQUEST__OP_BREDR_INQUIRY:
		rc = host_bredr_inquiry(h, k->cookie, req->bredr_inquiry->seconds,
					req->bredr_inquiry->max_responses, &why);
		break;
	case HIVE__REQUEST__OP_BREDR_CANCEL_INQUIRY:
		rc = host_bredr_cancel_inquiry(h, k->cookie, &why);
		break;
	case HIVE__REQUEST__OP_BREDR_CONNECT:
		rc = addr_in(&req->bredr_connect->bdaddr, addr)
			     ? host_bredr_connect(h, k->cookie, addr, req->bredr_connect->timeout_ms,
						  !req->bredr_connect->no_role_switch, &why)
			     : (why = "the address is 6 bytes", -EINVAL);
		break;
	case HIVE__REQUEST__OP_BREDR_SCAN_ENABLE:
		rc = host_bredr_scan_enable(h, k->cookie, req->bredr_scan_enable->discoverable,
					    req->bredr_scan_enable->connectable,
					    req->bredr_scan_enable->reject_connections, &why);
		break;
	case HIVE__REQUEST__OP_BREDR_REMOTE_NAME:
		rc = addr_in(&req->bredr_remote_name->bdaddr, addr)
			     ? host_bredr_remote_name(h, k->cookie, addr, &why)
			     : (why = "the address is 6 bytes", -EINVAL);
		break;
	case HIVE__REQUEST__OP_BREDR_AUTHENTICATE:
		rc = host_bredr_authenticate(h, k->cookie,
					     (uint16_t)req->bredr_authenticate->handle,
					     !req->bredr_authenticate->no_encryption, &why);
		break;
	case HIVE__REQUEST__OP_BREDR_SWITCH_ROLE:
		rc = host_bredr_switch_role(h, k->cookie, (uint16_t)req->bredr_switch_role->handle,
					    (uint8_t)req->bredr_switch_role->role, &why);
		break;
	default:
		rc = host_bredr_flush(h, k->cookie, (uint16_t)req->bredr_flush->handle, &why);
		break;
	}
	if (rc < 0) {
		k->in_use = false;
		host_send_result(self, source, req->id, rc, HIVE__RESULT__DOMAIN__LOCAL,
				 why ? why : strerror(-rc), NULL);
	}
	return true;
}
