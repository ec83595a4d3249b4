/* USB descriptors for the HCI USB transport. Pure: which devices are
 * Bluetooth controllers, and which endpoints carry what, from descriptor
 * bytes. No libusb.
 *
 * A controller's HCI interface (Core Vol 4 Part B) has an interrupt IN
 * endpoint (events), a bulk IN and a bulk OUT endpoint (ACL); commands go by
 * class request on the control endpoint. The class triple is E0/01/01
 * (wireless controller, RF, Bluetooth programming interface); some vendors
 * use FF/01/01 on the same layout.
 */
#ifndef HCI_USB_DESC_H
#define HCI_USB_DESC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define USB_CLASS_WIRELESS 0xe0
#define USB_CLASS_VENDOR 0xff
#define USB_SUBCLASS_RF 0x01
#define USB_PROTOCOL_BLUETOOTH 0x01

#define USB_DT_CONFIG 0x02
#define USB_DT_INTERFACE 0x04
#define USB_DT_ENDPOINT 0x05

struct usb_ids {
	uint16_t vid, pid;
	uint8_t dev_class, dev_subclass, dev_protocol;
	uint8_t if_class, if_subclass, if_protocol; /* the first interface, setting 0 */
};

/* True for a Bluetooth controller: class E0/01/01 on the device or its
 * first interface, or FF/01/01 on the first interface of a vendor known to
 * ship controllers that way. */
bool usb_desc_is_bluetooth(const struct usb_ids *d);

/* True when vid is a vendor known to use FF/01/01 for its controllers. */
bool usb_desc_known_vendor(uint16_t vid);

struct usb_hci_eps {
	uint8_t iface, alt;
	uint8_t if_class, if_subclass, if_protocol;
	uint8_t evt_in;       /* interrupt IN endpoint address */
	uint16_t evt_max;     /* its wMaxPacketSize */
	uint8_t acl_in;       /* bulk IN */
	uint16_t acl_in_max;
	uint8_t acl_out;      /* bulk OUT */
	uint16_t acl_out_max;
};

/* Finds the HCI interface (setting 0, class E0/01/01, or FF/01/01 when
 * allow_vendor) and its three endpoints in a configuration descriptor with
 * everything that follows it (wTotalLength bytes). Returns 0, or -EBADMSG
 * (malformed descriptors) / -ENOENT (no such interface or endpoint) with err
 * set. */
int usb_desc_find_hci(const uint8_t *cfg, size_t len, bool allow_vendor,
		      struct usb_hci_eps *out, char *err, size_t cap);

#endif
