/* The hci actor: one controller transport, the pipe to the host actor.
 *
 * hci_main.c       command line, settings, start-up and exit
 * hci_actor.c      the context's life: packets both ways, the bounded queues,
 *                  transport up/down and reconnection with backoff
 * transport_stream.c, stream_open.c
 *                  tcp-client, tcp-server, unix and serial (H4 or H5)
 * transport_usb.c  USB through libusb; usb_path.c and usb_desc.c are its pure
 *                  halves
 * h4.c, h5.c, h5_codec.c, hci_spec.c, hci_queue.c
 *                  pure codecs and state machines
 *
 * A transport reports through hci_on_packet / hci_on_up / hci_on_down /
 * hci_on_writable; the actor drives it through struct hci_transport_ops.
 */
#ifndef HCI_H
#define HCI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <zmq.h>

#include <poll.h>

#include "hci_queue.h"
#include "hci_spec.h"
#include "hive.h"

#define HCI_PROGRAM "hive-hci"
#define HCI_ERR_MAX 512

/* hive_fd_watch() takes poll(2)'s events and gives back its revents. */
#define HCI_EV_IN POLLIN
#define HCI_EV_OUT POLLOUT
#define HCI_EV_ERR (POLLERR | POLLHUP | POLLNVAL)

struct hci;

struct hci_transport_ops {
	/* Opens the transport at start-up. Returns 0 when it is open (the
	 * actor is then ready; the link may come up later with hci_on_up), or
	 * -errno with h->err saying what failed and what to do. */
	int (*open)(struct hci *h);
	/* Tries to bring a dropped transport back. Returns 0 when it is up
	 * (the transport has called hci_on_up), -EINPROGRESS when it will call
	 * hci_on_up or hci_on_down later, or -errno (h->err set): try again
	 * later. */
	int (*reconnect)(struct hci *h);
	/* Queues one packet for the controller. Returns 0; -EAGAIN when it
	 * cannot take it now (hci_on_writable follows); -EMSGSIZE or -EINVAL
	 * when it never can (h->err set). */
	int (*send)(struct hci *h, uint8_t type, const uint8_t *pkt, size_t len);
	/* Stops (or resumes) reading from the controller: back-pressure while
	 * the pipe to the host is full. May be NULL. */
	void (*pause)(struct hci *h, bool paused);
	/* One line of counters for the log. May be NULL. */
	void (*describe)(struct hci *h, char *buf, size_t cap);
	/* Closes everything (devices released, kernel drivers reattached). */
	void (*destroy)(struct hci *h);
};

struct hci_settings {
	size_t acl_max;              /* largest ACL payload either way */
	size_t queue_bytes;          /* bound of each packet queue */
	size_t queue_packets;
	uint64_t retry_min_ms;       /* first reconnection delay */
	uint64_t retry_max_ms;       /* the delay doubles up to this */
	uint64_t open_wait_ms;       /* keep trying the first open this long (0: fail at once) */
	uint64_t connect_timeout_ms; /* one tcp or unix connection attempt */
	uint32_t h5_window;
	uint32_t h5_retransmit_ms;
	uint32_t h5_sync_ms;
	char peer[HIVE_NAME_MAX + 1]; /* the host actor's name */
};

struct hci_counters {
	uint64_t to_host;            /* packets sent to the host actor */
	uint64_t from_host;          /* packets from the host actor accepted */
	uint64_t to_controller;      /* packets handed to the transport */
	uint64_t bad_from_host;      /* malformed packets from the host, dropped */
	uint64_t full_to_controller; /* dropped: the queue to the controller was full */
	uint64_t full_to_host;       /* dropped: the queue to the host was full */
	uint64_t drops;              /* transport drops */
	uint64_t reconnects;         /* successful reconnections */
};

struct hci {
	struct hive_actor *a;
	struct hci_settings cfg;
	struct hci_spec spec;
	char spec_text[600];
	const struct hci_transport_ops *ops;
	void *tr;                    /* the transport's own state */
	char err[HCI_ERR_MAX];       /* the last transport error, in words */

	bool up;                     /* packets flow */
	bool ever_up;
	unsigned attempts;           /* reconnection attempts since the drop */
	uint64_t retry_ms;           /* the next delay */
	int retry_timer;             /* 0: none */
	uint64_t down_ns;

	struct hci_queue to_ctrl;    /* from the host, waiting for the transport */
	struct hci_queue to_host;    /* from the controller, waiting for the broker pipe */
	int host_timer;              /* retries the pipe to the host; 0: none */
	bool paused;
	bool flushing;

	struct hci_counters n;
};

/* ---- hci_actor.c ---------------------------------------------------------- */

/* Sets defaults for every setting. */
void hci_settings_default(struct hci_settings *s);
/* Allocates the queues; hooks the host's packets. Returns 0 or -errno. */
int hci_init(struct hci *h, struct hive_actor *a);
void hci_fini(struct hci *h);

/* From the transport. */
void hci_on_packet(struct hci *h, uint8_t type, const uint8_t *pkt, size_t len);
void hci_on_up(struct hci *h);
void hci_on_down(struct hci *h, const char *why);
void hci_on_writable(struct hci *h);

/* Sends what waits for the controller while the transport takes it. */
void hci_flush(struct hci *h);

/* ---- transports ------------------------------------------------------------ */

/* The ops of spec->kind; tr state is created by ops->open. */
const struct hci_transport_ops *hci_stream_ops(void);
const struct hci_transport_ops *hci_usb_ops(void);

/* hive-hci --list-usb: prints the Bluetooth controllers on USB to stdout.
 * Returns the process exit status. */
int hci_usb_list(void);

#endif
