/* BR/EDR requests, start-up and command completions: see host_bredr.h.
 * Each command the host sends for BR/EDR carries HOST_COOKIE_BREDR, the
 * operation in bits 48..55 and the asker's tag below. */
#include <errno.h>
#include <string.h>

#include "host.h"
#include "host_bredr_int.h"

/* LMP features (Vol 2 Part C 3.3): 37 BR/EDR Not Supported, 51 Secure
 * Simple Pairing (Controller). */
#define LMP_NO_BREDR 37
#define LMP_SSP 51

/* Event Mask bits (7.3.1): event code - 1. */
#define EVM(code) (1ull << ((code) - 1))

static bool feature(const struct host *h, unsigned bit)
{
	return h->ctrl.features[bit / 8] & (1u << (bit % 8));
}

bool host_bredr_supported(const struct host *h)
{
	return !feature(h, LMP_NO_BREDR) && feature(h, LMP_SSP);
}

void host_bredr_init(struct host *h, uint8_t scan, bool reject)
{
	struct host_bredr *b = &h->bredr;
	memset(b, 0, sizeof *b);
	b->scan = scan;
	b->reject = reject;
}

uint64_t host_bredr_event_mask(const struct host *h)
{
	if (!host_bredr_supported(h))
		return 0;
	return EVM(HCI_EV_INQUIRY_COMPLETE) | EVM(HCI_EV_INQUIRY_RESULT) |
	       EVM(HCI_EV_CONNECTION_COMPLETE) | EVM(HCI_EV_CONNECTION_REQUEST) |
	       EVM(HCI_EV_AUTHENTICATION_COMPLETE) | EVM(HCI_EV_REMOTE_NAME_REQUEST_COMPLETE) |
	       EVM(HCI_EV_FLUSH_OCCURRED) | EVM(HCI_EV_ROLE_CHANGE) |
	       EVM(HCI_EV_PIN_CODE_REQUEST) | EVM(HCI_EV_LINK_KEY_REQUEST) |
	       EVM(HCI_EV_LINK_KEY_NOTIFICATION) | EVM(HCI_EV_INQUIRY_RESULT_WITH_RSSI) |
	       EVM(HCI_EV_EXTENDED_INQUIRY_RESULT) | EVM(HCI_EV_IO_CAPABILITY_REQUEST) |
	       EVM(HCI_EV_IO_CAPABILITY_RESPONSE) | EVM(HCI_EV_USER_CONFIRMATION_REQUEST) |
	       EVM(HCI_EV_USER_PASSKEY_REQUEST) | EVM(HCI_EV_SIMPLE_PAIRING_COMPLETE) |
	       EVM(HCI_EV_ENHANCED_FLUSH_COMPLETE) | EVM(HCI_EV_USER_PASSKEY_NOTIFICATION);
}

int bredr_submit(struct host *h, enum bredr_op op, uint64_t asker, uint16_t opcode,
		 const uint8_t *p, int plen)
{
	if (plen < 0)
		return plen;
	uint64_t cookie = HOST_COOKIE_BREDR | (uint64_t)op << 48 | (asker & 0xffffffffffffull);
	return host_cmdq_submit(&h->cmd, opcode, p, (size_t)plen, cookie);
}

void host_bredr_setup(struct host *h)
{
	struct host_bredr *b = &h->bredr;
	b->enabled = host_bredr_supported(h);
	if (!b->enabled)
		return;
	uint8_t p[HCI_CMD_PARAM_MAX];
	p[0] = 1;
	if (!b->no_ssp) /* after Reset it is off (7.3.59) */
		bredr_submit(h, BR_SETUP, 0, HCI_OP_WRITE_SIMPLE_PAIRING_MODE, p, 1);
	p[0] = HCI_INQUIRY_MODE_EXTENDED;
	bredr_submit(h, BR_SETUP, 0, HCI_OP_WRITE_INQUIRY_MODE, p, 1);
	const char *name = h->gap.cfg.name;
	bredr_submit(h, BR_SETUP, 0, HCI_OP_WRITE_LOCAL_NAME, p,
		     hci_build_local_name(p, sizeof p, name));
	bredr_submit(h, BR_SETUP, 0, HCI_OP_WRITE_EXTENDED_INQUIRY_RESPONSE, p,
		     hci_build_eir_name(p, sizeof p, name));
	if (b->cod) {
		p[0] = (uint8_t)b->cod;
		p[1] = (uint8_t)(b->cod >> 8);
		p[2] = (uint8_t)(b->cod >> 16);
		bredr_submit(h, BR_SETUP, 0, HCI_OP_WRITE_CLASS_OF_DEVICE, p, 3);
	}
	p[0] = b->scan;
	bredr_submit(h, BR_SETUP, 0, HCI_OP_WRITE_SCAN_ENABLE, p, 1);
}

/* ---- snapshot ----------------------------------------------------------- */

/* Not a version of the connection table's snapshot (which starts with 1). */
#define BREDR_SNAP_MAGIC 0xb7

int host_bredr_snapshot_write(const struct host *h, uint8_t *out, size_t cap)
{
	const struct host_bredr *b = &h->bredr;
	if (!b->enabled)
		return 0; /* LE only: the table's snapshot as it always was */
	struct wr w = wr_init(out, cap);
	unsigned n = 0;
	for (unsigned i = 0; i < HOST_LINKS_MAX; i++)
		n += h->conns.c[i].in_use && h->conns.c[i].bredr;
	wr_u8(&w, BREDR_SNAP_MAGIC);
	wr_u8(&w, (uint8_t)((b->reject ? 0x80 : 0) | b->scan));
	wr_u8(&w, (uint8_t)n);
	for (unsigned i = 0; i < HOST_LINKS_MAX; i++)
		if (h->conns.c[i].in_use && h->conns.c[i].bredr)
			wr_le16(&w, h->conns.c[i].handle);
	wr_le16(&w, h->acl.br_mtu);
	wr_le16(&w, (uint16_t)h->acl.br_total);
	return wr_ok(&w) ? (int)w.len : -EMSGSIZE;
}

int host_bredr_snapshot_read(struct host_bredr_snap *s, const uint8_t *p, size_t len)
{
	memset(s, 0, sizeof *s);
	if (!len || p[0] != BREDR_SNAP_MAGIC)
		return 0;
	struct rd r = rd_init(p, len);
	rd_u8(&r);
	uint8_t flags = rd_u8(&r);
	s->n = rd_u8(&r);
	if (!rd_ok(&r) || s->n > 16 || (flags & 0x7c))
		return -EBADMSG;
	for (unsigned i = 0; i < s->n; i++)
		s->handle[i] = rd_le16(&r);
	s->br_mtu = rd_le16(&r);
	s->br_total = rd_le16(&r);
	if (!rd_ok(&r))
		return -EBADMSG;
	s->enabled = true;
	s->scan = flags & (HCI_SCAN_INQUIRY | HCI_SCAN_PAGE);
	s->reject = flags & 0x80;
	return (int)(len - r.left);
}

void host_bredr_resume(struct host *h, const struct host_bredr_snap *s)
{
	struct host_bredr *b = &h->bredr;
	if (!s->enabled)
		return;
	b->enabled = true;
	b->scan = s->scan;
	b->reject = s->reject;
	for (unsigned i = 0; i < s->n; i++) {
		struct host_conn *c = host_conn_find(&h->conns, s->handle[i]);
		if (!c)
			continue;
		c->bredr = true;
		host_acl_link_set_bredr(&h->acl, s->handle[i]);
	}
	if (s->br_total)
		host_acl_set_bredr_buffers(&h->acl, s->br_mtu, s->br_total);
}

/* ---- results ------------------------------------------------------------ */

struct host_bredr_event *bredr_out(struct host *h, enum host_bredr_kind kind)
{
	struct host_out *o = host_out_push(h, HOST_OUT_BREDR);
	if (!o)
		return NULL;
	o->bredr.kind = kind;
	return &o->bredr;
}

void bredr_answer(struct host *h, uint64_t asker, int32_t status, bool hci, const char *error)
{
	struct host_out *o = host_out_push(h, HOST_OUT_RESULT);
	if (!o)
		return;
	o->result.asker = asker;
	o->result.final = true;
	o->result.status = status;
	o->result.hci = hci;
	o->result.error = error;
	o->result.value = HOST_VALUE_NONE;
}

static struct host_bredr_auth *auth_find(struct host_bredr *b, uint16_t handle)
{
	for (unsigned i = 0; i < sizeof b->auth / sizeof b->auth[0]; i++)
		if (b->auth[i].used && b->auth[i].handle == handle)
			return &b->auth[i];
	return NULL;
}

void bredr_auth_end(struct host *h, uint16_t handle, uint8_t status)
{
	struct host_bredr_auth *a = auth_find(&h->bredr, handle);
	if (!a)
		return;
	bredr_answer(h, a->asker, status, status != 0, status ? hci_error_name(status) : NULL);
	memset(a, 0, sizeof *a);
}

void bredr_auth_authenticated(struct host *h, uint16_t handle, uint8_t status)
{
	struct host_bredr_auth *a = auth_find(&h->bredr, handle);
	if (!a || a->encrypting)
		return;
	if (status || !a->encrypt) {
		bredr_auth_end(h, handle, status);
		return;
	}
	uint8_t p[3];
	a->encrypting = true;
	if (bredr_submit(h, BR_ENCRYPT, a->asker, HCI_OP_SET_CONNECTION_ENCRYPTION, p,
			 hci_build_handle_u8(p, sizeof p, handle, 1)) < 0)
		bredr_auth_end(h, handle, HCI_ERR_HARDWARE_FAILURE);
}

void host_bredr_on_encryption_change(struct host *h, uint16_t handle, uint8_t status,
				     bool enabled)
{
	struct host_bredr_auth *a = auth_find(&h->bredr, handle);
	if (a && a->encrypting)
		bredr_auth_end(h, handle, status ? status : enabled ? 0 : HCI_ERR_AUTHENTICATION_FAILURE);
}

void host_bredr_on_disconnection(struct host *h, uint16_t handle)
{
	struct host_bredr *b = &h->bredr;
	struct host_bredr_auth *a = auth_find(b, handle);
	if (a) {
		bredr_answer(h, a->asker, -ENOTCONN, false, "the link went down");
		memset(a, 0, sizeof *a);
	}
	if (b->flush_op.used && b->flush_op.handle == handle) {
		bredr_answer(h, b->flush_op.asker, -ENOTCONN, false, "the link went down");
		memset(&b->flush_op, 0, sizeof b->flush_op);
	}
}

/* ---- requests ----------------------------------------------------------- */

static int refuse(const char **why, const char *text, int err)
{
	*why = text;
	return err;
}

static int check(struct host *h, const char **why)
{
	if (!h->ready)
		return refuse(why, "the controller is still starting up; retry", -EAGAIN);
	if (!h->bredr.enabled)
		return refuse(why, "the controller does not do BR/EDR with Secure Simple Pairing",
			      -EOPNOTSUPP);
	return 0;
}

static struct host_conn *bredr_conn(struct host *h, uint16_t handle, const char **why)
{
	struct host_conn *c = host_conn_find(&h->conns, handle);
	if (!c || !c->bredr) {
		*why = "no BR/EDR link has this handle (see connections)";
		return NULL;
	}
	return c;
}

int host_bredr_inquiry(struct host *h, uint64_t asker, uint32_t seconds, uint32_t max,
		       const char **why)
{
	struct host_bredr *b = &h->bredr;
	int rc = check(h, why);
	if (rc)
		return rc;
	if (b->inq_active)
		return refuse(why, "an inquiry is already running; wait or cancel it", -EBUSY);
	if (!seconds)
		seconds = BREDR_INQUIRY_SECONDS_DEFAULT;
	if (seconds > 61 || max > 255)
		return refuse(why, "an inquiry lasts 1 to 61 s and counts up to 255 responses",
			      -EINVAL);
	/* Inquiry_Length in units of 1.28 s, rounded up. */
	uint8_t units = (uint8_t)((seconds * 100 + 127) / 128), p[5];
	rc = bredr_submit(h, BR_INQUIRY, asker, HCI_OP_INQUIRY, p,
			  hci_build_inquiry(p, sizeof p, HCI_GIAC, units, (uint8_t)max));
	if (rc < 0)
		return refuse(why, "the command queue is full; retry", rc);
	b->inq_active = true;
	b->inq_asker = asker;
	b->inq_found = 0;
	return 0;
}

int host_bredr_cancel_inquiry(struct host *h, uint64_t asker, const char **why)
{
	struct host_bredr *b = &h->bredr;
	int rc = check(h, why);
	if (rc)
		return rc;
	if (!b->inq_active)
		return refuse(why, "no inquiry is running", -EALREADY);
	rc = bredr_submit(h, BR_INQUIRY_CANCEL, asker, HCI_OP_INQUIRY_CANCEL, NULL, 0);
	return rc < 0 ? refuse(why, "the command queue is full; retry", rc) : 0;
}

int host_bredr_connect(struct host *h, uint64_t asker, const uint8_t addr[6],
		       uint32_t timeout_ms, bool role_switch, const char **why)
{
	struct host_bredr *b = &h->bredr;
	int rc = check(h, why);
	if (rc)
		return rc;
	if (b->conn_active)
		return refuse(why, "a BR/EDR connection attempt is under way; wait for it",
			      -EBUSY);
	uint8_t p[13];
	rc = bredr_submit(h, BR_CONNECT, asker, HCI_OP_CREATE_CONNECTION, p,
			  hci_build_create_connection(p, sizeof p, addr, role_switch));
	if (rc < 0)
		return refuse(why, "the command queue is full; retry", rc);
	b->conn_active = true;
	b->conn_timed_out = false;
	b->conn_asker = asker;
	memcpy(b->conn_addr, addr, 6);
	b->conn_deadline = h->now_ms + (timeout_ms ? timeout_ms : BREDR_CONNECT_TIMEOUT_MS_DEFAULT);
	return 0;
}

int host_bredr_scan_enable(struct host *h, uint64_t asker, bool discoverable,
			   bool connectable, bool reject, const char **why)
{
	struct host_bredr *b = &h->bredr;
	int rc = check(h, why);
	if (rc)
		return rc;
	uint8_t v = (uint8_t)((discoverable ? HCI_SCAN_INQUIRY : 0) |
			      (connectable ? HCI_SCAN_PAGE : 0));
	rc = bredr_submit(h, BR_SCAN, asker, HCI_OP_WRITE_SCAN_ENABLE, &v, 1);
	if (rc < 0)
		return refuse(why, "the command queue is full; retry", rc);
	b->scan = v;
	b->reject = reject;
	return 0;
}

int host_bredr_remote_name(struct host *h, uint64_t asker, const uint8_t addr[6],
			   const char **why)
{
	struct host_bredr *b = &h->bredr;
	int rc = check(h, why);
	if (rc)
		return rc;
	unsigned i = 0;
	while (i < BREDR_NAME_OPS && b->name[i].used)
		i++;
	if (i == BREDR_NAME_OPS)
		return refuse(why, "too many remote name requests in progress", -EBUSY);
	uint8_t p[10];
	rc = bredr_submit(h, BR_NAME, asker, HCI_OP_REMOTE_NAME_REQUEST, p,
			  hci_build_remote_name_request(p, sizeof p, addr, 0x01, 0));
	if (rc < 0)
		return refuse(why, "the command queue is full; retry", rc);
	b->name[i].used = true;
	b->name[i].asker = asker;
	memcpy(b->name[i].addr, addr, 6);
	return 0;
}

int host_bredr_authenticate(struct host *h, uint64_t asker, uint16_t handle, bool encrypt,
			    const char **why)
{
	struct host_bredr *b = &h->bredr;
	int rc = check(h, why);
	if (rc)
		return rc;
	if (!bredr_conn(h, handle, why))
		return -ENOTCONN;
	if (auth_find(b, handle))
		return refuse(why, "this link is already authenticating", -EBUSY);
	unsigned i = 0;
	while (i < sizeof b->auth / sizeof b->auth[0] && b->auth[i].used)
		i++;
	if (i == sizeof b->auth / sizeof b->auth[0])
		return refuse(why, "too many authentications in progress", -EBUSY);
	uint8_t p[2];
	rc = bredr_submit(h, BR_AUTH, asker, HCI_OP_AUTHENTICATION_REQUESTED, p,
			  hci_build_handle(p, sizeof p, handle));
	if (rc < 0)
		return refuse(why, "the command queue is full; retry", rc);
	b->auth[i] = (struct host_bredr_auth){ .used = true, .asker = asker, .handle = handle,
					       .encrypt = encrypt };
	return 0;
}

int host_bredr_switch_role(struct host *h, uint64_t asker, uint16_t handle, uint8_t role,
			   const char **why)
{
	struct host_bredr *b = &h->bredr;
	int rc = check(h, why);
	if (rc)
		return rc;
	struct host_conn *c = bredr_conn(h, handle, why);
	if (!c)
		return -ENOTCONN;
	if (role > 1)
		return refuse(why, "the role is 0 (central) or 1 (peripheral)", -EINVAL);
	if (b->role_op.used)
		return refuse(why, "a role switch is in progress", -EBUSY);
	uint8_t p[7];
	rc = bredr_submit(h, BR_ROLE, asker, HCI_OP_SWITCH_ROLE, p,
			  hci_build_addr_u8(p, sizeof p, c->peer.a, role));
	if (rc < 0)
		return refuse(why, "the command queue is full; retry", rc);
	b->role_op.used = true;
	b->role_op.asker = asker;
	memcpy(b->role_op.addr, c->peer.a, 6);
	return 0;
}

int host_bredr_flush(struct host *h, uint64_t asker, uint16_t handle, const char **why)
{
	struct host_bredr *b = &h->bredr;
	int rc = check(h, why);
	if (rc)
		return rc;
	if (!bredr_conn(h, handle, why))
		return -ENOTCONN;
	if (b->flush_op.used)
		return refuse(why, "a flush is in progress", -EBUSY);
	uint8_t p[2];
	rc = bredr_submit(h, BR_FLUSH, asker, HCI_OP_FLUSH, p, hci_build_handle(p, sizeof p, handle));
	if (rc < 0)
		return refuse(why, "the command queue is full; retry", rc);
	b->flush_op.used = true;
	b->flush_op.asker = asker;
	b->flush_op.handle = handle;
	return 0;
}

/* ---- completions and time ---------------------------------------------------- */

void bredr_connect_end(struct host *h, uint8_t status, const struct host_conn *c)
{
	struct host_bredr *b = &h->bredr;
	if (!b->conn_active)
		return;
	b->conn_active = false;
	struct host_out *o = host_out_push(h, HOST_OUT_RESULT);
	if (!o)
		return;
	o->result.asker = b->conn_asker;
	o->result.final = true;
	if (status == HCI_SUCCESS && c) {
		o->result.value = HOST_VALUE_CONNECTION;
		o->result.conn = *c;
	} else if (b->conn_timed_out) {
		o->result.status = -ETIMEDOUT;
		o->result.error = "the peer did not answer the page in time: check that it is "
				  "connectable (page scan) and in range";
	} else {
		o->result.status = status;
		o->result.hci = true;
		o->result.error = hci_error_name(status);
	}
}

void host_bredr_cmd_done(struct host *h, const struct host_cmd_done *d)
{
	struct host_bredr *b = &h->bredr;
	enum bredr_op op = (enum bredr_op)((d->cookie >> 48) & 0xff);
	uint64_t asker = d->cookie & 0xffffffffffffull;
	uint8_t st = d->err ? HCI_ERR_HARDWARE_FAILURE : d->status;
	switch (op) {
	case BR_INQUIRY:
		if (st && b->inq_active) {
			b->inq_active = false;
			bredr_answer(h, asker, d->err ? d->err : st, !d->err, hci_error_name(st));
		}
		break;
	case BR_INQUIRY_CANCEL:
		bredr_answer(h, asker, d->err ? d->err : st, st && !d->err,
			     st ? hci_error_name(st) : NULL);
		if (!st && b->inq_active) /* 7.1.2: no Inquiry Complete follows */
			bredr_inquiry_end(h, HCI_SUCCESS);
		break;
	case BR_CONNECT:
		if (st)
			bredr_connect_end(h, st, NULL);
		break;
	case BR_SCAN:
		bredr_answer(h, asker, d->err ? d->err : st, st && !d->err,
			     st ? hci_error_name(st) : NULL);
		break;
	case BR_NAME:
		if (st)
			for (unsigned i = 0; i < BREDR_NAME_OPS; i++)
				if (b->name[i].used && b->name[i].asker == asker) {
					bredr_answer(h, asker, st, true, hci_error_name(st));
					b->name[i].used = false;
					break;
				}
		break;
	case BR_AUTH:
	case BR_ENCRYPT:
		if (st)
			for (unsigned i = 0; i < sizeof b->auth / sizeof b->auth[0]; i++)
				if (b->auth[i].used && b->auth[i].asker == asker) {
					bredr_auth_end(h, b->auth[i].handle, st);
					break;
				}
		break;
	case BR_ROLE:
		if (st && b->role_op.used) {
			bredr_answer(h, b->role_op.asker, st, true, hci_error_name(st));
			b->role_op.used = false;
		}
		break;
	case BR_FLUSH:
		/* 7.3.4: Command Complete; Flush Occurred only when data was
		 * flushed. The request ends here. */
		if (b->flush_op.used) {
			bredr_answer(h, b->flush_op.asker, d->err ? d->err : st, st && !d->err,
				     st ? hci_error_name(st) : NULL);
			b->flush_op.used = false;
		}
		break;
	default:
		break;
	}
}

void host_bredr_on_time(struct host *h, uint64_t now_ms)
{
	struct host_bredr *b = &h->bredr;
	if (b->conn_active && !b->conn_timed_out && now_ms >= b->conn_deadline) {
		uint8_t p[6];
		b->conn_timed_out = true;
		/* 7.1.7: the attempt then ends with its Connection Complete. */
		if (bredr_submit(h, BR_CONNECT_CANCEL, 0, HCI_OP_CREATE_CONNECTION_CANCEL, p,
				 hci_build_addr(p, sizeof p, b->conn_addr)) < 0)
			bredr_connect_end(h, HCI_ERR_CONNECTION_TIMEOUT, NULL);
	}
}

uint64_t host_bredr_deadline(const struct host *h)
{
	const struct host_bredr *b = &h->bredr;
	return b->conn_active && !b->conn_timed_out ? b->conn_deadline : UINT64_MAX;
}
