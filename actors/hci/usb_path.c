/* HCI USB packet path over an abstract transfer boundary. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "usb_path.h"

static void deliver(void *arg, uint8_t type, const uint8_t *pkt, size_t len)
{
	struct usb_path *p = arg;
	p->cb.packet(p->arg, type, pkt, len);
}

int usb_path_init(struct usb_path *p, const struct usb_io *io, void *io_arg,
		  const struct usb_path_cb *cb, void *arg, size_t acl_max)
{
	memset(p, 0, sizeof *p);
	p->io = io;
	p->io_arg = io_arg;
	p->cb = *cb;
	p->arg = arg;
	size_t i = 0;
	for (int k = 0; k < USB_PATH_EVT_IN; k++)
		p->x[i++].kind = USB_XFER_EVT_IN;
	for (int k = 0; k < USB_PATH_ACL_IN; k++)
		p->x[i++].kind = USB_XFER_ACL_IN;
	for (int k = 0; k < USB_PATH_CMD_OUT; k++)
		p->x[i++].kind = USB_XFER_CMD_OUT;
	for (int k = 0; k < USB_PATH_ACL_OUT; k++)
		p->x[i++].kind = USB_XFER_ACL_OUT;
	p->evt = malloc(sizeof *p->evt);
	p->acl = malloc(sizeof *p->acl);
	if (!p->evt || !p->acl) {
		usb_path_fini(p);
		return -ENOMEM;
	}
	/* One type per endpoint: no type bytes, and never a "bad type". */
	h4_init(p->evt, H4_BIT(H4_EVENT), deliver, p);
	p->evt->fixed_type = H4_EVENT;
	h4_init(p->acl, H4_BIT(H4_ACL), deliver, p);
	p->acl->fixed_type = H4_ACL;
	p->acl->acl_max = acl_max < H4_ACL_PAYLOAD_MAX ? acl_max : H4_ACL_PAYLOAD_MAX;
	return 0;
}

void usb_path_fini(struct usb_path *p)
{
	free(p->evt);
	free(p->acl);
	p->evt = p->acl = NULL;
}

static bool is_in(const struct usb_xfer *x)
{
	return x->kind == USB_XFER_EVT_IN || x->kind == USB_XFER_ACL_IN;
}

static void fail(struct usb_path *p, int err, const char *what)
{
	if (p->failed)
		return;
	p->failed = true;
	p->running = false;
	p->cb.failed(p->arg, err, what);
}

static int submit_in(struct usb_path *p, struct usb_xfer *x)
{
	int rc = p->io->submit_in(p->io_arg, x);
	if (rc == 0)
		x->busy = true;
	return rc;
}

int usb_path_start(struct usb_path *p)
{
	p->running = true;
	p->failed = false;
	p->in_error_run = 0;
	h4_reset(p->evt);
	h4_reset(p->acl);
	for (size_t i = 0; i < USB_PATH_XFERS; i++) {
		struct usb_xfer *x = &p->x[i];
		if (!is_in(x) || x->busy)
			continue;
		int rc = submit_in(p, x);
		if (rc < 0) {
			usb_path_stop(p);
			return rc;
		}
	}
	return 0;
}

void usb_path_stop(struct usb_path *p)
{
	p->running = false;
	for (size_t i = 0; i < USB_PATH_XFERS; i++)
		if (p->x[i].busy)
			p->io->cancel(p->io_arg, &p->x[i]);
	h4_reset(p->evt);
	h4_reset(p->acl);
}

size_t usb_path_busy(const struct usb_path *p)
{
	size_t n = 0;
	for (size_t i = 0; i < USB_PATH_XFERS; i++)
		n += p->x[i].busy;
	return n;
}

int usb_path_send(struct usb_path *p, uint8_t type, const uint8_t *pkt, size_t len)
{
	enum usb_xfer_kind kind;
	if (type == H4_COMMAND)
		kind = USB_XFER_CMD_OUT;
	else if (type == H4_ACL)
		kind = USB_XFER_ACL_OUT;
	else
		return -EINVAL;
	if (!p->running)
		return -ENOTCONN;
	for (size_t i = 0; i < USB_PATH_XFERS; i++) {
		struct usb_xfer *x = &p->x[i];
		if (x->kind != kind || x->busy)
			continue;
		int rc = p->io->submit_out(p->io_arg, x, pkt, len);
		if (rc < 0) {
			if (rc == -ENODEV)
				fail(p, rc, "the controller was unplugged");
			return rc;
		}
		x->busy = true;
		return 0;
	}
	return -EAGAIN;
}

void usb_path_pause(struct usb_path *p, bool paused)
{
	p->paused = paused;
	if (paused || !p->running)
		return;
	for (size_t i = 0; i < USB_PATH_XFERS; i++) {
		struct usb_xfer *x = &p->x[i];
		if (is_in(x) && !x->busy && submit_in(p, x) < 0) {
			fail(p, -EIO, "resubmitting an IN transfer failed");
			return;
		}
	}
}

static void in_done(struct usb_path *p, struct usb_xfer *x, int status, const uint8_t *data,
		    size_t actual)
{
	if (status == 0) {
		p->in_error_run = 0;
		p->st.in_transfers++;
		struct h4 *f = x->kind == USB_XFER_EVT_IN ? p->evt : p->acl;
		h4_feed(f, data, actual);
	} else if (status == -ENODEV) {
		fail(p, status, "the controller was unplugged");
		return;
	} else {
		p->st.in_errors++;
		/* What was being reassembled on this endpoint is lost. */
		h4_reset(x->kind == USB_XFER_EVT_IN ? p->evt : p->acl);
		if (++p->in_error_run >= USB_PATH_IN_ERRORS_MAX) {
			fail(p, status, "IN transfers keep failing");
			return;
		}
	}
	if (!p->running || p->paused)
		return;
	int rc = submit_in(p, x);
	if (rc < 0)
		fail(p, rc, rc == -ENODEV ? "the controller was unplugged"
					  : "resubmitting an IN transfer failed");
}

void usb_path_complete(struct usb_path *p, struct usb_xfer *x, int status, const uint8_t *data,
		       size_t actual)
{
	x->busy = false;
	if (status == -ECANCELED) {
		p->st.cancelled++;
		return;
	}
	if (is_in(x)) {
		in_done(p, x, status, data, actual);
		return;
	}
	if (status == 0) {
		p->st.out_transfers++;
	} else {
		p->st.out_errors++;
		if (status == -ENODEV) {
			fail(p, status, "the controller was unplugged");
			return;
		}
		p->cb.lost(p->arg, x->kind == USB_XFER_CMD_OUT ? H4_COMMAND : H4_ACL, status);
	}
	if (p->running)
		p->cb.writable(p->arg);
}
