/* BR/EDR event handlers (the seed Device's on_inquiry_result,
 * on_connection_request, on_link_key, ... ): see host_bredr.h. Each decodes
 * through hci_codec_bredr, updates the connection table and the requests
 * under way, and reports to smp and the apps through the outbox. Returns 0,
 * -EBADMSG (malformed) or -ENOENT (an unknown handle). */
#include <errno.h>
#include <string.h>

#include "host.h"
#include "host_bredr_int.h"

static struct host_conn *conn_by_addr(struct host *h, const uint8_t addr[6])
{
	for (unsigned i = 0; i < HOST_LINKS_MAX; i++) {
		struct host_conn *c = &h->conns.c[i];
		if (c->in_use && c->bredr && !memcmp(c->peer.a, addr, 6))
			return c;
	}
	return NULL;
}

static uint32_t cod24(const uint8_t cod[3])
{
	return (uint32_t)cod[0] | (uint32_t)cod[1] << 8 | (uint32_t)cod[2] << 16;
}

/* An event about a peer for the apps (and smp); its link's handle if any. */
static struct host_bredr_event *report(struct host *h, enum host_bredr_kind kind,
				       const uint8_t addr[6], bool to_smp)
{
	struct host_bredr_event *e = bredr_out(h, kind);
	if (!e)
		return NULL;
	e->to_apps = true;
	e->to_smp = to_smp;
	memcpy(e->addr, addr, 6);
	const struct host_conn *c = conn_by_addr(h, addr);
	e->handle = c ? c->handle : 0;
	return e;
}

/* ---- inquiry ---------------------------------------------------------------- */

void bredr_inquiry_end(struct host *h, uint8_t status)
{
	struct host_bredr *b = &h->bredr;
	struct host_bredr_event *e = bredr_out(h, BREDR_INQUIRY_COMPLETE);
	b->inq_active = false;
	if (!e)
		return;
	e->to_apps = true;
	e->asker = b->inq_asker;
	e->final = true;
	e->status = status;
	e->hci = status != 0;
	e->error = status ? hci_error_name(status) : NULL;
	e->hci_status = status;
	e->responses = b->inq_found;
}

int host_bredr_on_inquiry_complete(struct host *h, uint8_t code, const uint8_t *p, size_t len,
				   uint64_t now_ms)
{
	uint8_t status;
	if (hci_decode_inquiry_complete(p, len, &status) < 0)
		return -EBADMSG;
	if (h->bredr.inq_active)
		bredr_inquiry_end(h, status);
	return 0;
}

int host_bredr_on_inquiry_result(struct host *h, uint8_t code, const uint8_t *p, size_t len,
				 uint64_t now_ms)
{
	struct host_bredr *b = &h->bredr;
	struct hci_inquiry_result r;
	if (hci_decode_inquiry_result(code, p, len, &r) < 0)
		return -EBADMSG;
	for (unsigned i = 0; i < r.count; i++) {
		const struct hci_inquiry_response *x = &r.r[i];
		struct host_bredr_event *e = bredr_out(h, BREDR_INQUIRY_RESULT);
		if (!e)
			break;
		e->to_apps = true;
		if (b->inq_active)
			e->asker = b->inq_asker;
		memcpy(e->addr, x->addr, 6);
		e->cod = cod24(x->cod);
		e->has_rssi = x->has_rssi;
		e->rssi = x->rssi;
		e->eir = x->eir;
		e->eir_len = x->eir_len;
		b->inq_found++;
	}
	return 0;
}

/* ---- connections -------------------------------------------------------------- */

int host_bredr_on_connection_request(struct host *h, uint8_t code, const uint8_t *p,
				     size_t len, uint64_t now_ms)
{
	struct host_bredr *b = &h->bredr;
	struct hci_connection_request e;
	if (hci_decode_connection_request(p, len, &e) < 0)
		return -EBADMSG;
	b->st.connection_requests++;
	struct host_bredr_event *ev = report(h, BREDR_CONNECTION_REQUEST, e.addr, false);
	if (ev)
		ev->cod = cod24(e.cod);
	uint8_t params[7];
	/* Accept ACL links when connectable and the policy allows, staying
	 * peripheral (the central may switch if it allowed it); refuse SCO
	 * and eSCO (no synchronous data here) and the rest. */
	bool accept = e.link_type == HCI_LINK_TYPE_ACL && (b->scan & HCI_SCAN_PAGE) && !b->reject;
	if (accept) {
		b->st.accepted++;
		bredr_submit(h, BR_ACCEPT, 0, HCI_OP_ACCEPT_CONNECTION_REQUEST, params,
			     hci_build_addr_u8(params, sizeof params, e.addr, 0x01));
		return 0;
	}
	b->st.rejected++;
	bredr_submit(h, BR_ACCEPT, 0, HCI_OP_REJECT_CONNECTION_REQUEST, params,
		     hci_build_addr_u8(params, sizeof params, e.addr,
				       e.link_type == HCI_LINK_TYPE_ACL
					       ? HCI_ERR_REJECTED_SECURITY
					       : HCI_ERR_REJECTED_LIMITED_RESOURCES));
	return 0;
}

int host_bredr_on_connection_complete(struct host *h, uint8_t code, const uint8_t *p,
				      size_t len, uint64_t now_ms)
{
	struct host_bredr *b = &h->bredr;
	struct hci_connection_complete e;
	if (hci_decode_connection_complete(p, len, &e) < 0)
		return -EBADMSG;
	if (e.link_type != HCI_LINK_TYPE_ACL)
		return 0; /* synchronous links are never accepted here */
	bool ours = b->conn_active && !memcmp(b->conn_addr, e.addr, 6);
	struct host_conn tmp = { 0 };
	tmp.bredr = true;
	memcpy(tmp.peer.a, e.addr, 6);
	if (e.status != HCI_SUCCESS) {
		host_link_event(h, HOST_LINK_CONNECTION_FAILED, &tmp, e.status);
		if (ours)
			bredr_connect_end(h, e.status, NULL);
		return 0;
	}
	if (e.handle > HCI_HANDLE_MAX)
		return -EBADMSG;
	struct host_conn *c = host_link_open(h, e.handle, &tmp);
	if (!c) {
		if (ours)
			bredr_connect_end(h, HCI_ERR_HARDWARE_FAILURE, NULL);
		return -EEXIST;
	}
	host_acl_link_set_bredr(&h->acl, e.handle);
	c->bredr = true;
	c->peer = tmp.peer;
	c->own.type = 0;
	memcpy(c->own.a, h->ctrl.bdaddr, 6);
	/* The pager is central, unless a Role Change came first. */
	c->role = ours ? 0 : 1;
	if (b->role_pending && !memcmp(b->role_addr, e.addr, 6))
		c->role = b->role_role;
	b->role_pending = false;
	c->encrypted = e.encryption != 0;
	c->next_key_size = 16; /* E0 and AES-CCM keys of Simple Pairing */
	h->conns_changed = true;
	host_link_event(h, HOST_LINK_CONNECTED, c, HCI_SUCCESS);
	if (ours)
		bredr_connect_end(h, HCI_SUCCESS, c);
	return 0;
}

int host_bredr_on_role_change(struct host *h, uint8_t code, const uint8_t *p, size_t len,
			      uint64_t now_ms)
{
	struct host_bredr *b = &h->bredr;
	struct hci_role_change e;
	if (hci_decode_role_change(p, len, &e) < 0)
		return -EBADMSG;
	struct host_conn *c = conn_by_addr(h, e.addr);
	if (e.status == HCI_SUCCESS) {
		if (c) {
			c->role = e.role;
			h->conns_changed = true;
		} else {
			/* 7.1.8: a switch on accepting comes before the link. */
			b->role_pending = true;
			memcpy(b->role_addr, e.addr, 6);
			b->role_role = e.role;
		}
	}
	struct host_bredr_event *ev =
		report(h, e.status ? BREDR_ROLE_CHANGE_FAILURE : BREDR_ROLE_CHANGE, e.addr, false);
	if (ev) {
		ev->role = e.role;
		ev->hci_status = e.status;
	}
	if (b->role_op.used && !memcmp(b->role_op.addr, e.addr, 6)) {
		b->role_op.used = false;
		struct host_bredr_event *r = bredr_out(h, e.status ? BREDR_ROLE_CHANGE_FAILURE
								   : BREDR_ROLE_CHANGE);
		if (r) {
			memcpy(r->addr, e.addr, 6);
			r->handle = c ? c->handle : 0;
			r->role = e.role;
			r->hci_status = e.status;
			r->asker = b->role_op.asker;
			r->final = true;
			r->status = e.status;
			r->hci = e.status != 0;
			r->error = e.status ? hci_error_name(e.status) : NULL;
		}
	}
	return 0;
}

/* ---- names, flush --------------------------------------------------------------- */

int host_bredr_on_remote_name_request_complete(struct host *h, uint8_t code, const uint8_t *p,
					       size_t len, uint64_t now_ms)
{
	struct host_bredr *b = &h->bredr;
	struct hci_remote_name e;
	if (hci_decode_remote_name(p, len, &e) < 0)
		return -EBADMSG;
	enum host_bredr_kind kind = e.status ? BREDR_REMOTE_NAME_FAILURE : BREDR_REMOTE_NAME;
	struct host_bredr_event *ev = report(h, kind, e.addr, false);
	if (ev) {
		ev->hci_status = e.status;
		memcpy(ev->name, e.name, sizeof e.name);
	}
	for (unsigned i = 0; i < BREDR_NAME_OPS; i++) {
		if (!b->name[i].used || memcmp(b->name[i].addr, e.addr, 6))
			continue;
		b->name[i].used = false;
		struct host_bredr_event *r = bredr_out(h, kind);
		if (!r)
			break;
		memcpy(r->addr, e.addr, 6);
		memcpy(r->name, e.name, sizeof e.name);
		r->hci_status = e.status;
		r->asker = b->name[i].asker;
		r->final = true;
		r->status = e.status;
		r->hci = e.status != 0;
		r->error = e.status ? hci_error_name(e.status) : NULL;
	}
	return 0;
}

int host_bredr_on_flush_occurred(struct host *h, uint8_t code, const uint8_t *p, size_t len,
				 uint64_t now_ms)
{
	uint16_t handle;
	if (hci_decode_handle(p, len, &handle) < 0)
		return -EBADMSG;
	struct host_conn *c = host_conn_find(&h->conns, handle);
	if (!c)
		return -ENOENT;
	struct host_bredr_event *e = report(h, BREDR_FLUSH, c->peer.a, false);
	if (e)
		e->handle = handle;
	return 0;
}

/* ---- authentication and Simple Pairing -------------------------------------------- */

int host_bredr_on_authentication_complete(struct host *h, uint8_t code, const uint8_t *p,
					  size_t len, uint64_t now_ms)
{
	struct hci_status_handle e;
	if (hci_decode_status_handle(p, len, &e) < 0)
		return -EBADMSG;
	struct host_conn *c = host_conn_find(&h->conns, e.handle);
	if (!c)
		return -ENOENT;
	struct host_bredr_event *ev =
		report(h, e.status ? BREDR_AUTHENTICATION_FAILURE : BREDR_AUTHENTICATION,
		       c->peer.a, true);
	if (ev) {
		ev->handle = e.handle;
		ev->hci_status = e.status;
	}
	bredr_auth_authenticated(h, e.handle, e.status);
	return 0;
}

int host_bredr_on_security_request(struct host *h, uint8_t code, const uint8_t *p, size_t len,
				   uint64_t now_ms)
{
	uint8_t addr[6];
	if (hci_decode_addr(p, len, addr) < 0)
		return -EBADMSG;
	enum host_bredr_kind kind = code == HCI_EV_PIN_CODE_REQUEST ? BREDR_PIN_CODE_REQUEST
				    : code == HCI_EV_LINK_KEY_REQUEST ? BREDR_LINK_KEY_REQUEST
				    : code == HCI_EV_IO_CAPABILITY_REQUEST
					    ? BREDR_IO_CAPABILITY_REQUEST
					    : BREDR_USER_PASSKEY_REQUEST;
	if (!conn_by_addr(h, addr))
		h->bredr.st.unknown_addr++; /* smp answers negatively */
	report(h, kind, addr, true);
	return 0;
}

int host_bredr_on_link_key_notification(struct host *h, uint8_t code, const uint8_t *p,
					size_t len, uint64_t now_ms)
{
	struct hci_link_key_notification e;
	if (hci_decode_link_key_notification(p, len, &e) < 0)
		return -EBADMSG;
	struct host_bredr_event *ev = report(h, BREDR_LINK_KEY, e.addr, true);
	if (ev) {
		memcpy(ev->key, e.key, 16);
		ev->key_type = e.type;
	}
	return 0;
}

int host_bredr_on_io_capability_response(struct host *h, uint8_t code, const uint8_t *p,
					 size_t len, uint64_t now_ms)
{
	struct hci_io_capability e;
	if (hci_decode_io_capability_response(p, len, &e) < 0)
		return -EBADMSG;
	struct host_bredr_event *ev = report(h, BREDR_IO_CAPABILITY_RESPONSE, e.addr, true);
	if (ev) {
		ev->io = e.io;
		ev->oob = e.oob;
		ev->auth_req = e.auth_req;
	}
	return 0;
}

int host_bredr_on_user_value(struct host *h, uint8_t code, const uint8_t *p, size_t len,
			     uint64_t now_ms)
{
	struct hci_addr_value e;
	if (hci_decode_addr_value(p, len, &e) < 0)
		return -EBADMSG;
	struct host_bredr_event *ev =
		report(h,
		       code == HCI_EV_USER_CONFIRMATION_REQUEST ? BREDR_USER_CONFIRMATION_REQUEST
								: BREDR_USER_PASSKEY_NOTIFICATION,
		       e.addr, true);
	if (ev)
		ev->value = e.value;
	return 0;
}

int host_bredr_on_simple_pairing_complete(struct host *h, uint8_t code, const uint8_t *p,
					  size_t len, uint64_t now_ms)
{
	struct hci_status_addr e;
	if (hci_decode_status_addr(p, len, &e) < 0)
		return -EBADMSG;
	struct host_bredr_event *ev = report(h, BREDR_SSP_COMPLETE, e.addr, true);
	if (ev)
		ev->hci_status = e.status;
	return 0;
}
