/* Transport specs as Bumble names them, parsed into a struct. Pure: no I/O.
 *
 *   usb:INDEX                 the INDEX-th Bluetooth controller on USB (from 0)
 *   usb:VID:PID               the first device with these ids (hex)
 *   usb:VID:PID/SERIAL        ... with this serial number
 *   usb:VID:PID#N             ... the N-th of them (from 0)
 *   serial:DEVICE[,BAUD][,rtscts][,h4|h5][,crc][,parity=even|none]
 *                             a UART (8 data bits, 1 stop bit; 1000000 baud
 *                             unless given): H4 by default, H5 (three-wire)
 *                             with h5; crc asks H5 for its data integrity
 *                             check; parity is none for H4 and even for H5
 *                             unless given
 *   tcp-client:HOST:PORT      connect to a controller serving H4 over TCP
 *   tcp-server:HOST:PORT      wait for a controller to connect (HOST _ : any)
 *   unix:PATH                 connect to a controller serving H4 on a unix socket
 *
 * HOST may be a name, an IPv4 address or an IPv6 address in brackets.
 */
#ifndef HCI_SPEC_H
#define HCI_SPEC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define HCI_SPEC_DEFAULT_BAUD 1000000u
#define HCI_SPEC_DEVICE_MAX 256
#define HCI_SPEC_HOST_MAX 256
#define HCI_SPEC_SERIAL_MAX 128
/* sizeof(struct sockaddr_un.sun_path) - 1 on Linux. */
#define HCI_SPEC_UNIX_MAX 107

enum hci_transport_kind {
	HCI_TRANSPORT_NONE = 0,
	HCI_TRANSPORT_USB,
	HCI_TRANSPORT_SERIAL,
	HCI_TRANSPORT_TCP_CLIENT,
	HCI_TRANSPORT_TCP_SERVER,
	HCI_TRANSPORT_UNIX,
};

struct hci_spec {
	enum hci_transport_kind kind;
	struct {
		bool by_id;        /* VID:PID given; otherwise by index */
		unsigned index;    /* by index: among Bluetooth controllers; by id: among matches */
		uint16_t vid, pid;
		char serial[HCI_SPEC_SERIAL_MAX]; /* "" any */
	} usb;
	struct {
		char device[HCI_SPEC_DEVICE_MAX];
		uint32_t baud;
		bool rtscts;
		bool h5;
		bool crc;          /* H5 data integrity check asked */
		bool even_parity;
	} serial;
	struct {
		char host[HCI_SPEC_HOST_MAX]; /* "" for tcp-server: every interface */
		uint16_t port;
	} tcp;
	char unix_path[HCI_SPEC_UNIX_MAX + 1];
};

/* Parses text into *out. Returns 0, or -EINVAL with a one-line explanation
 * in err that names the spec and the expected form ("transport 'x' is not
 * valid: expected tcp-client:HOST:PORT"). */
int hci_spec_parse(const char *text, struct hci_spec *out, char *err, size_t errcap);

/* Writes the canonical form of spec (parses back to the same struct). */
void hci_spec_format(const struct hci_spec *spec, char *buf, size_t cap);

/* True for the baud rates a Linux UART can be set to with termios. */
bool hci_spec_baud_standard(uint32_t baud);

/* The forms, for usage text and error messages. */
extern const char hci_spec_forms[];

#endif
