/* The HCI USB transport through libusb-1.0: finding the controller the spec
 * names, claiming its HCI interface (the kernel driver is detached and
 * reattached on release), asynchronous transfers in the actor's loop through
 * libusb's pollfds, and hive-hci --list-usb. The packet logic is usb_path.c;
 * this file is the libusb half of the transfer boundary. */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>

#include <libusb.h>

#include "hci.h"
#include "usb_desc.h"
#include "usb_path.h"

/* Class request to the device, host to controller (Core Vol 4 Part B 2.2). */
#define HCI_CMD_REQUEST_TYPE (LIBUSB_ENDPOINT_OUT | LIBUSB_REQUEST_TYPE_CLASS | LIBUSB_RECIPIENT_DEVICE)
#define CMD_TIMEOUT_MS 5000
#define CLOSE_DRAIN_MS 1000
#define EVENTS_TICK_MS 50
#define CONFIG_DESC_MAX 4096

struct usb_tr;

struct usb_slot {
	struct usb_tr *t;
	struct usb_xfer *x;
	struct libusb_transfer *lt;
	uint8_t *buf;
	size_t cap;
};

struct usb_tr {
	struct hci *h;
	libusb_context *ctx;
	libusb_device_handle *dev;
	bool claimed;
	bool detached_manually;
	bool path_ready;
	uint8_t bus, addr;
	uint16_t vid, pid;
	struct usb_hci_eps eps;
	struct usb_path path;
	struct usb_slot slots[USB_PATH_XFERS];
	int fail_timer;
	int fail_err;
	char fail_what[128];
	int tick_timer;
	char name[128];
};

static int errno_of(int lu)
{
	switch (lu) {
	case LIBUSB_SUCCESS: return 0;
	case LIBUSB_ERROR_IO: return -EIO;
	case LIBUSB_ERROR_INVALID_PARAM: return -EINVAL;
	case LIBUSB_ERROR_ACCESS: return -EACCES;
	case LIBUSB_ERROR_NO_DEVICE: return -ENODEV;
	case LIBUSB_ERROR_NOT_FOUND: return -ENOENT;
	case LIBUSB_ERROR_BUSY: return -EBUSY;
	case LIBUSB_ERROR_TIMEOUT: return -ETIMEDOUT;
	case LIBUSB_ERROR_OVERFLOW: return -EOVERFLOW;
	case LIBUSB_ERROR_PIPE: return -EPIPE;
	case LIBUSB_ERROR_INTERRUPTED: return -EINTR;
	case LIBUSB_ERROR_NO_MEM: return -ENOMEM;
	case LIBUSB_ERROR_NOT_SUPPORTED: return -ENOTSUP;
	default: return -EIO;
	}
}

static int status_errno(enum libusb_transfer_status st)
{
	switch (st) {
	case LIBUSB_TRANSFER_COMPLETED: return 0;
	case LIBUSB_TRANSFER_TIMED_OUT: return -ETIMEDOUT;
	case LIBUSB_TRANSFER_CANCELLED: return -ECANCELED;
	case LIBUSB_TRANSFER_STALL: return -EPIPE;
	case LIBUSB_TRANSFER_NO_DEVICE: return -ENODEV;
	case LIBUSB_TRANSFER_OVERFLOW: return -EOVERFLOW;
	default: return -EIO;
	}
}

/* ---- the loop: libusb's fds and timeouts ----------------------------------------- */

static void pump(struct usb_tr *t)
{
	struct timeval zero = { 0, 0 };
	libusb_handle_events_timeout_completed(t->ctx, &zero, NULL);
}

static void on_usb_fd(struct hive_actor *a, int fd, short revents, void *arg)
{
	pump(arg);
}

static void on_tick(struct hive_actor *a, void *arg)
{
	pump(arg);
}

static void LIBUSB_CALL fd_added(int fd, short events, void *arg)
{
	struct usb_tr *t = arg;
	hive_fd_watch(t->h->a, fd, events, on_usb_fd, t);
}

static void LIBUSB_CALL fd_removed(int fd, void *arg)
{
	struct usb_tr *t = arg;
	hive_fd_unwatch(t->h->a, fd);
}

static void watch_libusb(struct usb_tr *t)
{
	libusb_set_pollfd_notifiers(t->ctx, fd_added, fd_removed, t);
	const struct libusb_pollfd **fds = libusb_get_pollfds(t->ctx);
	for (size_t i = 0; fds && fds[i]; i++)
		fd_added(fds[i]->fd, fds[i]->events, t);
	libusb_free_pollfds(fds);
	/* Where timeouts are not fds of their own, look at them regularly. */
	if (!libusb_pollfds_handle_timeouts(t->ctx))
		t->tick_timer = hive_timer_start(t->h->a, EVENTS_TICK_MS, EVENTS_TICK_MS, on_tick, t);
}

/* ---- the transfer boundary ---------------------------------------------------------- */

static void LIBUSB_CALL on_transfer(struct libusb_transfer *lt)
{
	struct usb_slot *sl = lt->user_data;
	int status = status_errno(lt->status);
	const uint8_t *data = lt->buffer;
	size_t actual = lt->actual_length > 0 ? (size_t)lt->actual_length : 0;
	if (lt->type == LIBUSB_TRANSFER_TYPE_CONTROL)
		data = libusb_control_transfer_get_data(lt);
	usb_path_complete(&sl->t->path, sl->x, status, data, actual);
}

static int slot_room(struct usb_slot *sl, size_t n)
{
	if (sl->cap >= n)
		return 0;
	uint8_t *b = realloc(sl->buf, n);
	if (!b)
		return -ENOMEM;
	sl->buf = b;
	sl->cap = n;
	return 0;
}

static int io_submit_in(void *io, struct usb_xfer *x)
{
	struct usb_tr *t = io;
	struct usb_slot *sl = x->impl;
	bool evt = x->kind == USB_XFER_EVT_IN;
	/* One max-size packet per transfer: a short or full packet completes it,
	 * so nothing waits for a zero-length packet. */
	size_t len = evt ? t->eps.evt_max : t->eps.acl_in_max;
	if (slot_room(sl, len) < 0)
		return -ENOMEM;
	if (evt)
		libusb_fill_interrupt_transfer(sl->lt, t->dev, t->eps.evt_in, sl->buf, (int)len,
					       on_transfer, sl, 0);
	else
		libusb_fill_bulk_transfer(sl->lt, t->dev, t->eps.acl_in, sl->buf, (int)len,
					  on_transfer, sl, 0);
	return errno_of(libusb_submit_transfer(sl->lt));
}

static int io_submit_out(void *io, struct usb_xfer *x, const uint8_t *p, size_t len)
{
	struct usb_tr *t = io;
	struct usb_slot *sl = x->impl;
	if (x->kind == USB_XFER_CMD_OUT) {
		if (len > 0xffff || slot_room(sl, LIBUSB_CONTROL_SETUP_SIZE + len) < 0)
			return -ENOMEM;
		libusb_fill_control_setup(sl->buf, HCI_CMD_REQUEST_TYPE, 0, 0, t->eps.iface,
					  (uint16_t)len);
		memcpy(sl->buf + LIBUSB_CONTROL_SETUP_SIZE, p, len);
		libusb_fill_control_transfer(sl->lt, t->dev, sl->buf, on_transfer, sl,
					     CMD_TIMEOUT_MS);
	} else {
		if (len > INT32_MAX || slot_room(sl, len ? len : 1) < 0)
			return -ENOMEM;
		memcpy(sl->buf, p, len);
		libusb_fill_bulk_transfer(sl->lt, t->dev, t->eps.acl_out, sl->buf, (int)len,
					  on_transfer, sl, 0);
	}
	return errno_of(libusb_submit_transfer(sl->lt));
}

static void io_cancel(void *io, struct usb_xfer *x)
{
	struct usb_slot *sl = x->impl;
	libusb_cancel_transfer(sl->lt);
}

static const struct usb_io libusb_io = {
	.submit_in = io_submit_in,
	.submit_out = io_submit_out,
	.cancel = io_cancel,
};

/* ---- path callbacks ----------------------------------------------------------------- */

static void path_packet(void *arg, uint8_t type, const uint8_t *pkt, size_t len)
{
	struct usb_tr *t = arg;
	hci_on_packet(t->h, type, pkt, len);
}

static void path_writable(void *arg)
{
	struct usb_tr *t = arg;
	hci_on_writable(t->h);
}

static void path_lost(void *arg, uint8_t type, int err)
{
	struct usb_tr *t = arg;
	hive_log(t->h->a, HIVE_LOG_WARN, "a %s packet for the controller was lost: its USB "
		 "transfer failed (%s)", h4_type_name(type), strerror(-err));
}

static void close_device(struct usb_tr *t);

static void on_fail_timer(struct hive_actor *a, void *arg)
{
	struct usb_tr *t = arg;
	t->fail_timer = 0;
	char why[HCI_ERR_MAX];
	snprintf(why, sizeof why, "%s (%s) on %s", t->fail_what, strerror(-t->fail_err),
		 t->name);
	close_device(t);
	hci_on_down(t->h, why);
}

static void path_failed(void *arg, int err, const char *what)
{
	struct usb_tr *t = arg;
	/* Inside a libusb callback the device cannot be closed: do it next turn. */
	t->fail_err = err;
	snprintf(t->fail_what, sizeof t->fail_what, "%s", what);
	if (!t->fail_timer)
		t->fail_timer = hive_timer_start(t->h->a, 0, 0, on_fail_timer, t);
}

/* ---- finding, opening, closing --------------------------------------------------------- */

static void ids_of(libusb_device *d, struct usb_ids *ids)
{
	struct libusb_device_descriptor dd;
	memset(ids, 0, sizeof *ids);
	if (libusb_get_device_descriptor(d, &dd) != 0)
		return;
	ids->vid = dd.idVendor;
	ids->pid = dd.idProduct;
	ids->dev_class = dd.bDeviceClass;
	ids->dev_subclass = dd.bDeviceSubClass;
	ids->dev_protocol = dd.bDeviceProtocol;
	struct libusb_config_descriptor *cfg = NULL;
	if (libusb_get_active_config_descriptor(d, &cfg) != 0 &&
	    libusb_get_config_descriptor(d, 0, &cfg) != 0)
		return;
	if (cfg->bNumInterfaces && cfg->interface[0].num_altsetting) {
		const struct libusb_interface_descriptor *id = &cfg->interface[0].altsetting[0];
		ids->if_class = id->bInterfaceClass;
		ids->if_subclass = id->bInterfaceSubClass;
		ids->if_protocol = id->bInterfaceProtocol;
	}
	libusb_free_config_descriptor(cfg);
}

/* The serial number string, or "" when there is none or no access. */
static void serial_of(libusb_device *d, char *buf, size_t cap, char *product, size_t pcap)
{
	buf[0] = '\0';
	if (product)
		product[0] = '\0';
	struct libusb_device_descriptor dd;
	libusb_device_handle *hd = NULL;
	if (libusb_get_device_descriptor(d, &dd) != 0 || libusb_open(d, &hd) != 0)
		return;
	if (dd.iSerialNumber)
		libusb_get_string_descriptor_ascii(hd, dd.iSerialNumber, (unsigned char *)buf,
						   (int)cap);
	if (product && dd.iProduct)
		libusb_get_string_descriptor_ascii(hd, dd.iProduct, (unsigned char *)product,
						   (int)pcap);
	libusb_close(hd);
}

/* Finds the device the spec names; returns it referenced, or NULL with
 * h->err set. */
static libusb_device *find_device(struct usb_tr *t)
{
	struct hci *h = t->h;
	libusb_device **list = NULL;
	ssize_t n = libusb_get_device_list(t->ctx, &list);
	if (n < 0) {
		snprintf(h->err, sizeof h->err, "cannot list USB devices: %s",
			 libusb_strerror((int)n));
		return NULL;
	}
	libusb_device *found = NULL;
	unsigned seen = 0;
	for (ssize_t i = 0; i < n && !found; i++) {
		struct usb_ids ids;
		ids_of(list[i], &ids);
		if (!h->spec.usb.by_id) {
			if (usb_desc_is_bluetooth(&ids) && seen++ == h->spec.usb.index)
				found = list[i];
			continue;
		}
		if (ids.vid != h->spec.usb.vid || ids.pid != h->spec.usb.pid)
			continue;
		if (h->spec.usb.serial[0]) {
			char serial[HCI_SPEC_SERIAL_MAX];
			serial_of(list[i], serial, sizeof serial, NULL, 0);
			seen++;
			if (strcmp(serial, h->spec.usb.serial) == 0)
				found = list[i];
		} else if (seen++ == h->spec.usb.index) {
			found = list[i];
		}
	}
	if (found)
		libusb_ref_device(found);
	libusb_free_device_list(list, 1);
	if (found)
		return found;
	const char *todo = "plug one in or list them with hive-hci --list-usb";
	char count[32] = "none";
	if (seen)
		snprintf(count, sizeof count, "%u", seen);
	if (!h->spec.usb.by_id)
		snprintf(h->err, sizeof h->err, "no USB Bluetooth controller at index %u (found %s); "
			 "%s", h->spec.usb.index, count, todo);
	else if (h->spec.usb.serial[0])
		snprintf(h->err, sizeof h->err, "no USB device %04x:%04x with serial '%s' (found %u "
			 "with that id; serials need read access: run as root or add a udev rule); "
			 "%s", h->spec.usb.vid, h->spec.usb.pid, h->spec.usb.serial, seen, todo);
	else if (h->spec.usb.index)
		snprintf(h->err, sizeof h->err, "no USB device %04x:%04x#%u (found %u with that id); "
			 "%s", h->spec.usb.vid, h->spec.usb.pid, h->spec.usb.index, seen, todo);
	else
		snprintf(h->err, sizeof h->err, "no USB device %04x:%04x (found none with that id); "
			 "%s", h->spec.usb.vid, h->spec.usb.pid, todo);
	return NULL;
}

static void close_device(struct usb_tr *t)
{
	if (t->path_ready) {
		usb_path_stop(&t->path);
		uint64_t deadline = hive_now_ns() + (uint64_t)CLOSE_DRAIN_MS * 1000000u;
		while (usb_path_busy(&t->path) && hive_now_ns() < deadline) {
			struct timeval tv = { 0, 20000 };
			libusb_handle_events_timeout_completed(t->ctx, &tv, NULL);
		}
	}
	for (size_t i = 0; i < USB_PATH_XFERS; i++) {
		struct usb_slot *sl = &t->slots[i];
		/* A transfer still in flight cannot be freed; it goes with the device. */
		if (sl->lt && !(sl->x && sl->x->busy))
			libusb_free_transfer(sl->lt);
		sl->lt = NULL;
	}
	if (t->claimed) {
		/* With auto-detach, releasing reattaches the kernel driver. */
		libusb_release_interface(t->dev, t->eps.iface);
		t->claimed = false;
	}
	if (t->detached_manually) {
		libusb_attach_kernel_driver(t->dev, t->eps.iface);
		t->detached_manually = false;
	}
	if (t->dev) {
		libusb_close(t->dev);
		t->dev = NULL;
	}
	t->path_ready = false;
	if (t->fail_timer) {
		hive_timer_cancel(t->h->a, t->fail_timer);
		t->fail_timer = 0;
	}
}

static int open_error(struct usb_tr *t, int lu, const char *doing)
{
	struct hci *h = t->h;
	const char *hint = "";
	char access[200];
	snprintf(access, sizeof access, "; run as root or add a udev rule such as "
		 "SUBSYSTEM==\"usb\", ATTR{idVendor}==\"%04x\", ATTR{idProduct}==\"%04x\", "
		 "MODE=\"0660\", GROUP=\"plugdev\"", t->vid, t->pid);
	if (lu == LIBUSB_ERROR_ACCESS)
		hint = access;
	else if (lu == LIBUSB_ERROR_BUSY)
		hint = "; another program has claimed it (another hive-hci, or a Bumble or "
		       "user-channel process): stop it";
	else if (lu == LIBUSB_ERROR_NO_DEVICE)
		hint = "; it was unplugged";
	snprintf(h->err, sizeof h->err, "cannot %s %s: %s%s", doing, t->name, libusb_strerror(lu),
		 hint);
	close_device(t);
	return errno_of(lu);
}

static int claim(struct usb_tr *t)
{
	int iface = t->eps.iface;
	bool had_driver = libusb_kernel_driver_active(t->dev, iface) == 1;
	int rc = libusb_set_auto_detach_kernel_driver(t->dev, 1);
	if (rc == LIBUSB_ERROR_NOT_SUPPORTED && had_driver) {
		rc = libusb_detach_kernel_driver(t->dev, iface);
		if (rc < 0)
			return open_error(t, rc, "detach the kernel driver from");
		t->detached_manually = true;
	}
	rc = libusb_claim_interface(t->dev, iface);
	if (rc < 0)
		return open_error(t, rc, "claim the HCI interface of");
	t->claimed = true;
	if (had_driver)
		hive_log(t->h->a, HIVE_LOG_INFO, "detached the kernel driver (btusb) from %s "
			 "interface %d; it is reattached when hive-hci lets go", t->name, iface);
	return 0;
}

static int open_device(struct usb_tr *t)
{
	struct hci *h = t->h;
	libusb_device *d = find_device(t);
	if (!d)
		return -ENODEV;
	struct usb_ids ids;
	ids_of(d, &ids);
	t->vid = ids.vid;
	t->pid = ids.pid;
	t->bus = libusb_get_bus_number(d);
	t->addr = libusb_get_device_address(d);
	snprintf(t->name, sizeof t->name, "USB controller %04x:%04x (bus %03u address %03u)",
		 t->vid, t->pid, t->bus, t->addr);
	int rc = libusb_open(d, &t->dev);
	libusb_unref_device(d);
	if (rc < 0)
		return open_error(t, rc, "open");

	uint8_t cfg[CONFIG_DESC_MAX];
	rc = libusb_get_descriptor(t->dev, LIBUSB_DT_CONFIG, 0, cfg, sizeof cfg);
	if (rc < 0)
		return open_error(t, rc, "read the configuration descriptor of");
	char why[200];
	bool allow_vendor = h->spec.usb.by_id || usb_desc_known_vendor(t->vid);
	int drc = usb_desc_find_hci(cfg, (size_t)rc, allow_vendor, &t->eps, why, sizeof why);
	if (drc < 0) {
		snprintf(h->err, sizeof h->err, "%s is not usable as an HCI controller: %s", t->name,
			 why);
		close_device(t);
		return drc;
	}
	rc = claim(t);
	if (rc < 0)
		return rc;
	for (size_t i = 0; i < USB_PATH_XFERS; i++) {
		struct usb_slot *sl = &t->slots[i];
		sl->t = t;
		sl->x = &t->path.x[i];
		sl->x->impl = sl;
		sl->x->busy = false;
		sl->lt = libusb_alloc_transfer(0);
		if (!sl->lt) {
			snprintf(h->err, sizeof h->err, "out of memory for USB transfers");
			close_device(t);
			return -ENOMEM;
		}
	}
	t->path_ready = true;
	rc = usb_path_start(&t->path);
	if (rc < 0) {
		snprintf(h->err, sizeof h->err, "cannot start reading from %s: %s", t->name,
			 strerror(-rc));
		close_device(t);
		return rc;
	}
	hive_log(h->a, HIVE_LOG_INFO, "opened %s: interface %u, events on 0x%02x, ACL in 0x%02x "
		 "out 0x%02x", t->name, t->eps.iface, t->eps.evt_in, t->eps.acl_in, t->eps.acl_out);
	hci_on_up(h);
	return 0;
}

/* ---- ops ---------------------------------------------------------------------------------- */

static void usb_destroy(struct hci *h)
{
	struct usb_tr *t = h->tr;
	if (!t)
		return;
	if (t->ctx) {
		close_device(t);
		libusb_set_pollfd_notifiers(t->ctx, NULL, NULL, NULL);
		const struct libusb_pollfd **fds = libusb_get_pollfds(t->ctx);
		for (size_t i = 0; fds && fds[i]; i++)
			hive_fd_unwatch(h->a, fds[i]->fd);
		libusb_free_pollfds(fds);
	}
	if (t->tick_timer)
		hive_timer_cancel(h->a, t->tick_timer);
	for (size_t i = 0; i < USB_PATH_XFERS; i++)
		free(t->slots[i].buf);
	usb_path_fini(&t->path);
	if (t->ctx)
		libusb_exit(t->ctx);
	free(t);
	h->tr = NULL;
}

static const struct usb_path_cb path_cb = {
	.packet = path_packet,
	.writable = path_writable,
	.lost = path_lost,
	.failed = path_failed,
};

static int usb_open(struct hci *h)
{
	struct usb_tr *t = calloc(1, sizeof *t);
	if (!t)
		return -ENOMEM;
	h->tr = t;
	t->h = h;
	int rc = usb_path_init(&t->path, &libusb_io, t, &path_cb, t, h->cfg.acl_max);
	if (rc < 0)
		return rc;
	rc = libusb_init(&t->ctx);
	if (rc < 0) {
		t->ctx = NULL;
		snprintf(h->err, sizeof h->err, "cannot initialise libusb: %s; is /dev/bus/usb "
			 "available (in a container, pass the USB bus through)?",
			 libusb_strerror(rc));
		return errno_of(rc);
	}
	watch_libusb(t);
	return open_device(t);
}

static int usb_reconnect(struct hci *h)
{
	struct usb_tr *t = h->tr;
	close_device(t);
	return open_device(t);
}

static int usb_send(struct hci *h, uint8_t type, const uint8_t *pkt, size_t len)
{
	struct usb_tr *t = h->tr;
	int rc = usb_path_send(&t->path, type, pkt, len);
	if (rc == -EINVAL)
		snprintf(h->err, sizeof h->err, "the USB transport carries commands and ACL; %s "
			 "packets (isochronous endpoints) are not supported",
			 type == H4_SCO ? "SCO" : "ISO");
	else if (rc == -ENOTCONN || rc == -ENODEV)
		return -EAGAIN; /* the drop is on its way; keep the packet */
	return rc;
}

static void usb_pause(struct hci *h, bool paused)
{
	struct usb_tr *t = h->tr;
	usb_path_pause(&t->path, paused);
}

static void usb_describe(struct hci *h, char *buf, size_t cap)
{
	const struct usb_tr *t = h->tr;
	const struct usb_path_stats *st = &t->path.st;
	snprintf(buf, cap, "usb transfers in %llu, out %llu, failed in %llu, out %llu",
		 (unsigned long long)st->in_transfers, (unsigned long long)st->out_transfers,
		 (unsigned long long)st->in_errors, (unsigned long long)st->out_errors);
}

static const struct hci_transport_ops usb_ops = {
	.open = usb_open,
	.reconnect = usb_reconnect,
	.send = usb_send,
	.pause = usb_pause,
	.describe = usb_describe,
	.destroy = usb_destroy,
};

const struct hci_transport_ops *hci_usb_ops(void)
{
	return &usb_ops;
}

/* ---- --list-usb --------------------------------------------------------------------------- */

int hci_usb_list(void)
{
	libusb_context *ctx = NULL;
	int rc = libusb_init(&ctx);
	if (rc < 0) {
		fprintf(stderr, "%s: cannot initialise libusb: %s; is /dev/bus/usb available?\n",
			HCI_PROGRAM, libusb_strerror(rc));
		return 1;
	}
	libusb_device **list = NULL;
	ssize_t n = libusb_get_device_list(ctx, &list);
	if (n < 0) {
		fprintf(stderr, "%s: cannot list USB devices: %s\n", HCI_PROGRAM,
			libusb_strerror((int)n));
		libusb_exit(ctx);
		return 1;
	}
	unsigned found = 0;
	for (ssize_t i = 0; i < n; i++) {
		struct usb_ids ids;
		ids_of(list[i], &ids);
		if (!usb_desc_is_bluetooth(&ids))
			continue;
		if (!found)
			printf("%-7s %-22s %-8s %-9s %s\n", "INDEX", "SPEC", "BUS:ADDR", "CLASS",
			       "SERIAL / PRODUCT");
		char serial[HCI_SPEC_SERIAL_MAX], product[128];
		serial_of(list[i], serial, sizeof serial, product, sizeof product);
		char spec[64], cls[16], busaddr[16];
		snprintf(spec, sizeof spec, "usb:%04x:%04x", ids.vid, ids.pid);
		snprintf(cls, sizeof cls, "%02x/%02x/%02x", ids.if_class, ids.if_subclass,
			 ids.if_protocol);
		snprintf(busaddr, sizeof busaddr, "%03u:%03u", libusb_get_bus_number(list[i]),
			 libusb_get_device_address(list[i]));
		printf("usb:%-3u %-22s %-8s %-9s %s%s%s\n", found, spec, busaddr, cls,
		       serial[0] ? serial : "-", product[0] ? " / " : "", product);
		found++;
	}
	if (!found)
		printf("no USB Bluetooth controller found (%zd USB device%s looked at)\n", n,
		       n == 1 ? "" : "s");
	libusb_free_device_list(list, 1);
	libusb_exit(ctx);
	return 0;
}
