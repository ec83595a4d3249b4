/* USB descriptor logic for the HCI USB transport. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "hive_bytes.h"
#include "usb_desc.h"

/* Vendors whose controllers present FF/01/01 instead of E0/01/01 (as the
 * Linux btusb driver lists them). */
static const uint16_t vendor_class_vendors[] = {
	0x0489, /* Foxconn / Hon Hai */
	0x04ca, /* Lite-On */
	0x050d, /* Belkin */
	0x05ac, /* Apple */
	0x0930, /* Toshiba */
	0x0a5c, /* Broadcom */
	0x0b05, /* ASUSTek */
	0x105b, /* Foxconn */
	0x13d3, /* IMC Networks */
	0x19ff, /* Dynex */
	0x413c, /* Dell */
};

bool usb_desc_known_vendor(uint16_t vid)
{
	for (size_t i = 0; i < sizeof vendor_class_vendors / sizeof vendor_class_vendors[0]; i++)
		if (vendor_class_vendors[i] == vid)
			return true;
	return false;
}

static bool triple(uint8_t c, uint8_t s, uint8_t p, uint8_t want_class)
{
	return c == want_class && s == USB_SUBCLASS_RF && p == USB_PROTOCOL_BLUETOOTH;
}

bool usb_desc_is_bluetooth(const struct usb_ids *d)
{
	if (triple(d->dev_class, d->dev_subclass, d->dev_protocol, USB_CLASS_WIRELESS))
		return true;
	if (triple(d->if_class, d->if_subclass, d->if_protocol, USB_CLASS_WIRELESS))
		return true;
	return usb_desc_known_vendor(d->vid) &&
	       triple(d->if_class, d->if_subclass, d->if_protocol, USB_CLASS_VENDOR);
}

static int fail(char *err, size_t cap, int rc, const char *what)
{
	if (err && cap)
		snprintf(err, cap, "%s", what);
	return rc;
}

int usb_desc_find_hci(const uint8_t *cfg, size_t len, bool allow_vendor,
		      struct usb_hci_eps *out, char *err, size_t cap)
{
	memset(out, 0, sizeof *out);
	struct rd r = rd_init(cfg, len);
	struct rd c = rd_sub(&r, 9);
	uint8_t blen = rd_u8(&c);
	uint8_t type = rd_u8(&c);
	uint16_t total = rd_le16(&c);
	if (!rd_ok(&c) || blen < 9 || type != USB_DT_CONFIG || total < blen)
		return fail(err, cap, -EBADMSG, "the configuration descriptor is malformed");
	/* Walk what wTotalLength announces, or what we hold if less. */
	struct rd all = rd_init(cfg, total < len ? total : len);
	rd_skip(&all, blen);

	bool found = false, in_chosen = false;
	while (all.left > 0) {
		struct rd peek = all; /* bLength, without consuming it */
		uint8_t dlen = rd_u8(&peek);
		rd_skip(&peek, 1);
		if (!rd_ok(&peek))
			return fail(err, cap, -EBADMSG, "a descriptor is cut short");
		if (dlen < 2 || dlen > all.left)
			return fail(err, cap, -EBADMSG, "a descriptor length is out of bounds");
		struct rd d = rd_sub(&all, dlen);
		rd_skip(&d, 1);
		uint8_t dtype = rd_u8(&d);
		if (dtype == USB_DT_INTERFACE && dlen >= 9) {
			uint8_t num = rd_u8(&d), alt = rd_u8(&d);
			rd_skip(&d, 1); /* bNumEndpoints */
			uint8_t ic = rd_u8(&d), is = rd_u8(&d), ip = rd_u8(&d);
			in_chosen = false;
			if (!found && alt == 0 &&
			    (triple(ic, is, ip, USB_CLASS_WIRELESS) ||
			     (allow_vendor && triple(ic, is, ip, USB_CLASS_VENDOR)))) {
				found = in_chosen = true;
				out->iface = num;
				out->alt = alt;
				out->if_class = ic;
				out->if_subclass = is;
				out->if_protocol = ip;
			}
		} else if (dtype == USB_DT_ENDPOINT && dlen >= 7 && in_chosen) {
			uint8_t addr = rd_u8(&d), attr = rd_u8(&d);
			uint16_t maxp = rd_le16(&d) & 0x7ff;
			bool in = addr & 0x80;
			uint8_t kind = attr & 0x03;
			if (kind == 3 && in && !out->evt_in) {
				out->evt_in = addr;
				out->evt_max = maxp;
			} else if (kind == 2 && in && !out->acl_in) {
				out->acl_in = addr;
				out->acl_in_max = maxp;
			} else if (kind == 2 && !in && !out->acl_out) {
				out->acl_out = addr;
				out->acl_out_max = maxp;
			}
		}
	}
	if (!found)
		return fail(err, cap, -ENOENT, allow_vendor
			    ? "no interface of class e0/01/01 or ff/01/01 (Bluetooth HCI)"
			    : "no interface of class e0/01/01 (Bluetooth HCI)");
	if (!out->evt_in || !out->evt_max)
		return fail(err, cap, -ENOENT, "the HCI interface has no interrupt IN endpoint "
			    "for events");
	if (!out->acl_in || !out->acl_in_max)
		return fail(err, cap, -ENOENT, "the HCI interface has no bulk IN endpoint for ACL");
	if (!out->acl_out || !out->acl_out_max)
		return fail(err, cap, -ENOENT, "the HCI interface has no bulk OUT endpoint for ACL");
	return 0;
}
