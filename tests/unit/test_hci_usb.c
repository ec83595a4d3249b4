/* The USB transport without hardware: which devices are controllers,
 * endpoint selection from descriptor bytes, and the packet path with libusb
 * replaced at the transfer boundary by a fake that records submissions and
 * completes transfers on demand. */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "../../actors/hci/usb_desc.h"
#include "../../actors/hci/usb_path.h"

/* ---- descriptors ----------------------------------------------------------------- */

struct desc {
	uint8_t b[512];
	size_t len;
};

static void put(struct desc *d, const uint8_t *p, size_t n)
{
	memcpy(d->b + d->len, p, n);
	d->len += n;
}

static void config(struct desc *d, uint8_t nif)
{
	const uint8_t c[] = { 9, 2, 0, 0, nif, 1, 0, 0xe0, 50 };
	put(d, c, sizeof c);
}

static void iface(struct desc *d, uint8_t num, uint8_t alt, uint8_t neps, uint8_t cls,
		  uint8_t sub, uint8_t proto)
{
	const uint8_t i[] = { 9, 4, num, alt, neps, cls, sub, proto, 0 };
	put(d, i, sizeof i);
}

static void ep(struct desc *d, uint8_t addr, uint8_t attr, uint16_t maxp)
{
	const uint8_t e[] = { 7, 5, addr, attr, (uint8_t)maxp, (uint8_t)(maxp >> 8), 1 };
	put(d, e, sizeof e);
}

static void finish(struct desc *d)
{
	d->b[2] = (uint8_t)d->len;
	d->b[3] = (uint8_t)(d->len >> 8);
}

/* A CSR8510-like controller: HCI interface 0, isochronous interface 1 with
 * two settings. */
static struct desc csr(void)
{
	struct desc d = { .len = 0 };
	config(&d, 2);
	iface(&d, 0, 0, 3, 0xe0, 0x01, 0x01);
	ep(&d, 0x81, 0x03, 16);
	ep(&d, 0x82, 0x02, 64);
	ep(&d, 0x02, 0x02, 64);
	iface(&d, 1, 0, 2, 0xe0, 0x01, 0x01);
	ep(&d, 0x83, 0x01, 0);
	ep(&d, 0x03, 0x01, 0);
	iface(&d, 1, 1, 2, 0xe0, 0x01, 0x01);
	ep(&d, 0x83, 0x01, 9);
	ep(&d, 0x03, 0x01, 9);
	finish(&d);
	return d;
}

static int find(const struct desc *d, size_t len, bool vendor, struct usb_hci_eps *e, char *err)
{
	uint8_t *copy = malloc(len ? len : 1);
	memcpy(copy, d->b, len);
	int rc = usb_desc_find_hci(copy, len, vendor, e, err, 200);
	free(copy);
	return rc;
}

Test(hci_usb_desc, picks_the_hci_endpoints)
{
	struct desc d = csr();
	struct usb_hci_eps e;
	char err[200];
	cr_assert_eq(find(&d, d.len, false, &e, err), 0, "%s", err);
	cr_assert_eq(e.iface, 0);
	cr_assert_eq(e.evt_in, 0x81);
	cr_assert_eq(e.evt_max, 16);
	cr_assert_eq(e.acl_in, 0x82);
	cr_assert_eq(e.acl_in_max, 64);
	cr_assert_eq(e.acl_out, 0x02);
	cr_assert_eq(e.acl_out_max, 64);
}

Test(hci_usb_desc, every_truncation_is_safe)
{
	struct desc d = csr();
	struct usb_hci_eps e;
	char err[200];
	for (size_t len = 0; len < d.len; len++) {
		int rc = find(&d, len, false, &e, err);
		/* Up to the third endpoint nothing can succeed. */
		if (len < 9 + 9 + 3 * 7)
			cr_assert_lt(rc, 0, "cut to %zu passed", len);
	}
	/* wTotalLength beyond what we hold: walk what we hold. */
	cr_assert_eq(find(&d, 9 + 9 + 3 * 7, false, &e, err), 0, "%s", err);
}

Test(hci_usb_desc, malformed_and_missing)
{
	struct usb_hci_eps e;
	char err[200];
	struct desc d = csr();
	d.b[9] = 0; /* bLength 0 would loop forever */
	cr_assert_eq(find(&d, d.len, false, &e, err), -EBADMSG);
	cr_assert(strstr(err, "out of bounds"), "%s", err);
	d = csr();
	d.b[1] = 4; /* not a configuration descriptor */
	cr_assert_eq(find(&d, d.len, false, &e, err), -EBADMSG);
	d = csr();
	d.b[d.len - 7] = 0xff; /* the last bLength runs past the end */
	cr_assert_eq(find(&d, d.len, false, &e, err), -EBADMSG);

	struct desc v = { .len = 0 };
	config(&v, 1);
	iface(&v, 0, 0, 3, 0xff, 0x01, 0x01);
	ep(&v, 0x81, 0x03, 16);
	ep(&v, 0x82, 0x02, 64);
	ep(&v, 0x02, 0x02, 64);
	finish(&v);
	cr_assert_eq(find(&v, v.len, false, &e, err), -ENOENT);
	cr_assert(strstr(err, "e0/01/01"), "%s", err);
	cr_assert_eq(find(&v, v.len, true, &e, err), 0, "%s", err);
	cr_assert_eq(e.if_class, 0xff);

	struct desc m = { .len = 0 };
	config(&m, 1);
	iface(&m, 0, 0, 2, 0xe0, 0x01, 0x01);
	ep(&m, 0x81, 0x03, 16);
	ep(&m, 0x82, 0x02, 64);
	finish(&m);
	cr_assert_eq(find(&m, m.len, false, &e, err), -ENOENT);
	cr_assert(strstr(err, "bulk OUT"), "%s", err);
}

Test(hci_usb_desc, first_hci_interface_even_when_not_zero)
{
	/* Interface 0 is something else (its endpoints must not be taken). */
	struct desc d = { .len = 0 };
	config(&d, 2);
	iface(&d, 0, 0, 2, 0x03, 0x00, 0x00);
	ep(&d, 0x84, 0x03, 8);
	ep(&d, 0x85, 0x02, 512);
	iface(&d, 1, 0, 3, 0xe0, 0x01, 0x01);
	ep(&d, 0x02, 0x02, 512);
	ep(&d, 0x81, 0x03, 64);
	ep(&d, 0x82, 0x02, 512);
	finish(&d);
	struct usb_hci_eps e;
	char err[200];
	cr_assert_eq(find(&d, d.len, false, &e, err), 0, "%s", err);
	cr_assert_eq(e.iface, 1);
	cr_assert_eq(e.evt_in, 0x81);
	cr_assert_eq(e.evt_max, 64);
	cr_assert_eq(e.acl_in, 0x82);
	cr_assert_eq(e.acl_in_max, 512);
	cr_assert_eq(e.acl_out, 0x02);
}

Test(hci_usb_desc, which_devices_are_controllers)
{
	struct usb_ids dev_class = { .vid = 0x0a12, .pid = 0x0001, .dev_class = 0xe0,
				     .dev_subclass = 1, .dev_protocol = 1 };
	cr_assert(usb_desc_is_bluetooth(&dev_class));
	struct usb_ids if_class = { .vid = 0x8087, .pid = 0x0029, .dev_class = 0xef,
				    .dev_subclass = 2, .dev_protocol = 1, .if_class = 0xe0,
				    .if_subclass = 1, .if_protocol = 1 };
	cr_assert(usb_desc_is_bluetooth(&if_class));
	struct usb_ids broadcom = { .vid = 0x0a5c, .pid = 0x21e8, .dev_class = 0xff,
				    .dev_subclass = 1, .dev_protocol = 1, .if_class = 0xff,
				    .if_subclass = 1, .if_protocol = 1 };
	cr_assert(usb_desc_is_bluetooth(&broadcom));
	struct usb_ids unknown_vendor = broadcom;
	unknown_vendor.vid = 0x1234;
	cr_assert_not(usb_desc_is_bluetooth(&unknown_vendor));
	struct usb_ids keyboard = { .vid = 0x046d, .pid = 0xc31c, .if_class = 3 };
	cr_assert_not(usb_desc_is_bluetooth(&keyboard));
	cr_assert(usb_desc_known_vendor(0x05ac));
	cr_assert_not(usb_desc_known_vendor(0x0a12));
}

/* ---- the packet path over a fake transfer boundary ---------------------------------- */

#define OUT_MAX 32

struct fake {
	int submit_in_calls;
	int fail_submit;        /* next submission returns this (0: succeed) */
	int fail_on_call;       /* the submit_in call (from 1) that returns fail_rc */
	int fail_rc;
	int cancels;
	size_t nout;
	struct usb_xfer *out_x[OUT_MAX];
	uint8_t out[OUT_MAX][300];
	size_t out_len[OUT_MAX];
	/* What the path handed up. */
	size_t npkt;
	uint8_t pkt_type[16];
	uint8_t pkt[16][300];
	size_t pkt_len[16];
	int writable, failed, lost;
	int failed_err;
};

static int fake_submit_in(void *io, struct usb_xfer *x)
{
	struct fake *f = io;
	f->submit_in_calls++;
	if (f->submit_in_calls == f->fail_on_call)
		return f->fail_rc;
	int rc = f->fail_submit;
	f->fail_submit = 0;
	return rc;
}

static int fake_submit_out(void *io, struct usb_xfer *x, const uint8_t *p, size_t len)
{
	struct fake *f = io;
	int rc = f->fail_submit;
	f->fail_submit = 0;
	if (rc)
		return rc;
	cr_assert_lt(f->nout, OUT_MAX);
	cr_assert_leq(len, 300);
	f->out_x[f->nout] = x;
	memcpy(f->out[f->nout], p, len);
	f->out_len[f->nout] = len;
	f->nout++;
	return 0;
}

static void fake_cancel(void *io, struct usb_xfer *x)
{
	((struct fake *)io)->cancels++;
}

static const struct usb_io fake_io = {
	.submit_in = fake_submit_in,
	.submit_out = fake_submit_out,
	.cancel = fake_cancel,
};

static void cb_packet(void *arg, uint8_t type, const uint8_t *pkt, size_t len)
{
	struct fake *f = arg;
	cr_assert_lt(f->npkt, 16);
	f->pkt_type[f->npkt] = type;
	memcpy(f->pkt[f->npkt], pkt, len);
	f->pkt_len[f->npkt] = len;
	f->npkt++;
}

static void cb_writable(void *arg)
{
	((struct fake *)arg)->writable++;
}

static void cb_failed(void *arg, int err, const char *what)
{
	struct fake *f = arg;
	f->failed++;
	f->failed_err = err;
}

static void cb_lost(void *arg, uint8_t type, int err)
{
	((struct fake *)arg)->lost++;
}

static const struct usb_path_cb path_cb = {
	.packet = cb_packet,
	.writable = cb_writable,
	.lost = cb_lost,
	.failed = cb_failed,
};

static struct usb_xfer *busy_of(struct usb_path *p, enum usb_xfer_kind k, int nth)
{
	for (size_t i = 0; i < USB_PATH_XFERS; i++)
		if (p->x[i].kind == k && p->x[i].busy && nth-- == 0)
			return &p->x[i];
	return NULL;
}

static void start(struct usb_path *p, struct fake *f)
{
	memset(f, 0, sizeof *f);
	cr_assert_eq(usb_path_init(p, &fake_io, f, &path_cb, f, 1021), 0);
	cr_assert_eq(usb_path_start(p), 0);
	cr_assert_eq(f->submit_in_calls, USB_PATH_EVT_IN + USB_PATH_ACL_IN);
	cr_assert_eq(usb_path_busy(p), USB_PATH_EVT_IN + USB_PATH_ACL_IN);
}

/* Completes an IN transfer with an exact-size heap copy of data. */
static void complete_in(struct usb_path *p, struct usb_xfer *x, int status, const uint8_t *data,
			size_t len)
{
	uint8_t *copy = malloc(len ? len : 1);
	memcpy(copy, data, len);
	usb_path_complete(p, x, status, copy, len);
	free(copy);
}

Test(hci_usb_path, events_reassembled_from_interrupt_chunks)
{
	struct usb_path p;
	struct fake f;
	start(&p, &f);
	/* A 20-byte event over a 16-byte interrupt endpoint: two transfers. */
	uint8_t evt[20] = { 0x0e, 18, 0x01, 0x01, 0x10, 0x00 };
	for (int i = 6; i < 20; i++)
		evt[i] = (uint8_t)i;
	struct usb_xfer *x = busy_of(&p, USB_XFER_EVT_IN, 0);
	complete_in(&p, x, 0, evt, 16);
	cr_assert_eq(f.npkt, 0);
	cr_assert(x->busy, "resubmitted");
	x = busy_of(&p, USB_XFER_EVT_IN, 1);
	complete_in(&p, x, 0, evt + 16, 4);
	cr_assert_eq(f.npkt, 1);
	cr_assert_eq(f.pkt_type[0], 4);
	cr_assert_eq(f.pkt_len[0], 20);
	cr_assert(memcmp(f.pkt[0], evt, 20) == 0);
	/* An event and the start of the next in one chunk. */
	const uint8_t two[] = { 0x13, 0x01, 0x00, 0x0f, 0x04 };
	const uint8_t rest[] = { 0x00, 0x01, 0x05, 0x04 };
	complete_in(&p, busy_of(&p, USB_XFER_EVT_IN, 0), 0, two, sizeof two);
	complete_in(&p, busy_of(&p, USB_XFER_EVT_IN, 0), 0, rest, sizeof rest);
	cr_assert_eq(f.npkt, 3);
	cr_assert_eq(f.pkt_len[1], 3);
	cr_assert_eq(f.pkt_len[2], 6);
	cr_assert_eq(f.pkt[2][0], 0x0f);
	usb_path_fini(&p);
}

Test(hci_usb_path, acl_in_from_bulk)
{
	struct usb_path p;
	struct fake f;
	start(&p, &f);
	uint8_t acl[4 + 100] = { 0x40, 0x20, 100, 0x00 };
	for (size_t off = 0; off < sizeof acl; off += 64) {
		size_t n = sizeof acl - off < 64 ? sizeof acl - off : 64;
		complete_in(&p, busy_of(&p, USB_XFER_ACL_IN, 0), 0, acl + off, n);
	}
	cr_assert_eq(f.npkt, 1);
	cr_assert_eq(f.pkt_type[0], 2);
	cr_assert_eq(f.pkt_len[0], sizeof acl);
	usb_path_fini(&p);
}

Test(hci_usb_path, commands_by_control_acl_by_bulk)
{
	struct usb_path p;
	struct fake f;
	start(&p, &f);
	const uint8_t reset[] = { 0x03, 0x0c, 0x00 };
	const uint8_t acl[] = { 0x40, 0x00, 0x01, 0x00, 0x99 };
	cr_assert_eq(usb_path_send(&p, 1, reset, sizeof reset), 0);
	cr_assert_eq(usb_path_send(&p, 2, acl, sizeof acl), 0);
	cr_assert_eq(f.nout, 2);
	cr_assert_eq(f.out_x[0]->kind, USB_XFER_CMD_OUT);
	cr_assert_eq(f.out_len[0], 3);
	cr_assert(memcmp(f.out[0], reset, 3) == 0);
	cr_assert_eq(f.out_x[1]->kind, USB_XFER_ACL_OUT);
	cr_assert(memcmp(f.out[1], acl, sizeof acl) == 0);
	cr_assert_eq(usb_path_send(&p, 3, acl, sizeof acl), -EINVAL, "SCO is isochronous");
	cr_assert_eq(usb_path_send(&p, 5, acl, sizeof acl), -EINVAL, "ISO is not carried");
	/* Fill the command transfers. */
	for (int i = 1; i < USB_PATH_CMD_OUT; i++)
		cr_assert_eq(usb_path_send(&p, 1, reset, sizeof reset), 0);
	cr_assert_eq(usb_path_send(&p, 1, reset, sizeof reset), -EAGAIN);
	usb_path_complete(&p, f.out_x[0], 0, NULL, 3);
	cr_assert_eq(f.writable, 1);
	cr_assert_eq(usb_path_send(&p, 1, reset, sizeof reset), 0);
	/* A failed OUT transfer is reported lost, and frees its slot. */
	usb_path_complete(&p, f.out_x[1], -EPIPE, NULL, 0);
	cr_assert_eq(f.lost, 1);
	cr_assert_eq(f.writable, 2);
	cr_assert_eq(f.failed, 0);
	cr_assert_eq(p.st.out_errors, 1);
	usb_path_fini(&p);
}

Test(hci_usb_path, unplugged_fails_once)
{
	struct usb_path p;
	struct fake f;
	start(&p, &f);
	usb_path_complete(&p, busy_of(&p, USB_XFER_EVT_IN, 0), -ENODEV, NULL, 0);
	cr_assert_eq(f.failed, 1);
	cr_assert_eq(f.failed_err, -ENODEV);
	usb_path_complete(&p, busy_of(&p, USB_XFER_ACL_IN, 0), -ENODEV, NULL, 0);
	cr_assert_eq(f.failed, 1, "reported once");
	const uint8_t reset[] = { 0x03, 0x0c, 0x00 };
	cr_assert_eq(usb_path_send(&p, 1, reset, 3), -ENOTCONN);
	/* The owner stops: every busy transfer is cancelled. */
	size_t busy = usb_path_busy(&p);
	usb_path_stop(&p);
	cr_assert_eq(f.cancels, (int)busy);
	struct usb_xfer *x;
	while ((x = busy_of(&p, USB_XFER_EVT_IN, 0)) || (x = busy_of(&p, USB_XFER_ACL_IN, 0)))
		usb_path_complete(&p, x, -ECANCELED, NULL, 0);
	cr_assert_eq(usb_path_busy(&p), 0);
	cr_assert_eq(p.st.cancelled, busy);
	/* And it starts again (a reconnection). */
	f.submit_in_calls = 0;
	cr_assert_eq(usb_path_start(&p), 0);
	cr_assert_eq(f.submit_in_calls, USB_PATH_EVT_IN + USB_PATH_ACL_IN);
	usb_path_fini(&p);
}

Test(hci_usb_path, transient_errors_then_give_up)
{
	struct usb_path p;
	struct fake f;
	start(&p, &f);
	/* A half-received event is dropped on an error; the next works. */
	const uint8_t part[] = { 0x0e, 0x04, 0x01 };
	complete_in(&p, busy_of(&p, USB_XFER_EVT_IN, 0), 0, part, sizeof part);
	usb_path_complete(&p, busy_of(&p, USB_XFER_EVT_IN, 0), -EIO, NULL, 0);
	const uint8_t evt[] = { 0x0e, 0x01, 0x01 };
	complete_in(&p, busy_of(&p, USB_XFER_EVT_IN, 0), 0, evt, sizeof evt);
	cr_assert_eq(f.npkt, 1);
	cr_assert_eq(f.pkt_len[0], 3);
	for (int i = 0; i < USB_PATH_IN_ERRORS_MAX - 1; i++)
		usb_path_complete(&p, busy_of(&p, USB_XFER_ACL_IN, 0), -EOVERFLOW, NULL, 0);
	cr_assert_eq(f.failed, 0);
	usb_path_complete(&p, busy_of(&p, USB_XFER_ACL_IN, 0), -EIO, NULL, 0);
	cr_assert_eq(f.failed, 1);
	usb_path_fini(&p);
}

Test(hci_usb_path, pause_holds_in_transfers)
{
	struct usb_path p;
	struct fake f;
	start(&p, &f);
	usb_path_pause(&p, true);
	const uint8_t evt[] = { 0x0e, 0x00 };
	complete_in(&p, busy_of(&p, USB_XFER_EVT_IN, 0), 0, evt, 2);
	cr_assert_eq(f.npkt, 1, "what completed is still delivered");
	cr_assert_eq(usb_path_busy(&p), USB_PATH_EVT_IN + USB_PATH_ACL_IN - 1,
		     "but not asked for again");
	usb_path_pause(&p, false);
	cr_assert_eq(usb_path_busy(&p), USB_PATH_EVT_IN + USB_PATH_ACL_IN);
	/* A resubmission that fails because the device went away. */
	f.fail_submit = -ENODEV;
	complete_in(&p, busy_of(&p, USB_XFER_EVT_IN, 0), 0, evt, 2);
	cr_assert_eq(f.failed, 1);
	usb_path_fini(&p);
}

Test(hci_usb_path, start_failure_cancels_what_was_submitted)
{
	struct usb_path p;
	struct fake f;
	memset(&f, 0, sizeof f);
	cr_assert_eq(usb_path_init(&p, &fake_io, &f, &path_cb, &f, 1021), 0);
	f.fail_on_call = 3;
	f.fail_rc = -EIO;
	cr_assert_eq(usb_path_start(&p), -EIO);
	cr_assert_eq(f.cancels, 2, "the two submitted before the failure are cancelled");
	cr_assert_not(p.running);
	usb_path_fini(&p);
}
