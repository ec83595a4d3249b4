/* The HCI USB packet path above the transfer boundary: commands out by
 * control transfer, ACL out on bulk, events in from the interrupt endpoint
 * and ACL in from bulk, reassembled from transfer-sized chunks, IN transfers
 * kept submitted. Pure: it asks a struct usb_io to submit transfers and is
 * told of completions; libusb (transport_usb.c) or a test stands behind it.
 */
#ifndef HCI_USB_PATH_H
#define HCI_USB_PATH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "h4.h"

#define USB_PATH_EVT_IN 2
#define USB_PATH_ACL_IN 4
#define USB_PATH_CMD_OUT 4
#define USB_PATH_ACL_OUT 8
#define USB_PATH_XFERS (USB_PATH_EVT_IN + USB_PATH_ACL_IN + USB_PATH_CMD_OUT + USB_PATH_ACL_OUT)
/* IN transfers failing in a row (not cancelled) before the path gives up. */
#define USB_PATH_IN_ERRORS_MAX 8

enum usb_xfer_kind {
	USB_XFER_EVT_IN,   /* interrupt IN: events */
	USB_XFER_ACL_IN,   /* bulk IN: ACL */
	USB_XFER_CMD_OUT,  /* control OUT, class request: a command */
	USB_XFER_ACL_OUT,  /* bulk OUT: ACL */
};

struct usb_xfer {
	enum usb_xfer_kind kind;
	bool busy;          /* submitted, completion not seen yet */
	void *impl;         /* the I/O layer's transfer */
};

/* What the path asks of USB. Completions come back through
 * usb_path_complete(), never from inside these calls. */
struct usb_io {
	/* Submits an IN transfer of x->kind. Returns 0 or -errno (-ENODEV: the
	 * device is gone). */
	int (*submit_in)(void *io, struct usb_xfer *x);
	/* Submits an OUT transfer carrying p (copied). */
	int (*submit_out)(void *io, struct usb_xfer *x, const uint8_t *p, size_t len);
	/* Asks for a busy transfer to be cancelled (it completes with
	 * -ECANCELED). */
	void (*cancel)(void *io, struct usb_xfer *x);
};

struct usb_path_cb {
	/* A complete packet from the controller (type EVENT or ACL). */
	void (*packet)(void *arg, uint8_t type, const uint8_t *pkt, size_t len);
	/* An OUT transfer became free. */
	void (*writable)(void *arg);
	/* An OUT transfer of a packet of type failed with err: it is lost. */
	void (*lost)(void *arg, uint8_t type, int err);
	/* The path cannot go on (device gone, endpoint failing): the owner
	 * closes the device, outside this callback. */
	void (*failed)(void *arg, int err, const char *what);
};

struct usb_path_stats {
	uint64_t in_transfers, out_transfers;
	uint64_t in_errors, out_errors;
	uint64_t cancelled;
};

struct usb_path {
	const struct usb_io *io;
	void *io_arg;
	struct usb_path_cb cb;
	void *arg;
	bool running;      /* IN transfers are kept submitted */
	bool paused;       /* completed IN transfers wait for usb_path_pause(false) */
	bool failed;
	unsigned in_error_run;
	struct usb_path_stats st;
	struct usb_xfer x[USB_PATH_XFERS];
	struct h4 *evt;    /* reassembly of events */
	struct h4 *acl;    /* reassembly of ACL */
};

/* Returns 0 or -ENOMEM. acl_max bounds incoming ACL payloads. */
int usb_path_init(struct usb_path *p, const struct usb_io *io, void *io_arg,
		  const struct usb_path_cb *cb, void *arg, size_t acl_max);
void usb_path_fini(struct usb_path *p);

/* Submits every IN transfer. Returns 0 or the first -errno. */
int usb_path_start(struct usb_path *p);
/* Stops resubmitting and cancels every busy transfer; reassembly is
 * forgotten. Completions still arrive (until usb_path_busy() is 0). */
void usb_path_stop(struct usb_path *p);
/* Transfers submitted and not completed. */
size_t usb_path_busy(const struct usb_path *p);

/* Sends a command (control) or ACL (bulk) packet, without type byte.
 * Returns 0; -EAGAIN when every OUT transfer of that kind is busy (writable
 * follows); -EINVAL for SCO and ISO, which this path does not carry;
 * -ENOTCONN when stopped; or the submit's -errno. */
int usb_path_send(struct usb_path *p, uint8_t type, const uint8_t *pkt, size_t len);

/* Back-pressure: while paused, completed IN transfers are not resubmitted. */
void usb_path_pause(struct usb_path *p, bool paused);

/* The I/O layer reports a completed transfer: status 0 or -errno
 * (-ECANCELED, -ENODEV, -EPIPE for a stall, -EIO, -ETIMEDOUT, -EOVERFLOW);
 * for IN, data and actual are what arrived. */
void usb_path_complete(struct usb_path *p, struct usb_xfer *x, int status, const uint8_t *data,
		       size_t actual);

#endif
