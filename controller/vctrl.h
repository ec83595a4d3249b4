/* hive-vctrl state machine: emulated LE and BR/EDR controllers on one
 * virtual radio.
 *
 * Deterministic and free of I/O: the caller hands in H4 packets from each
 * controller's host with the current time, calls vctrl_tick() when
 * vctrl_next_deadline() is due, and sends what each controller's outbox
 * holds (H4 bytes, events and ACL data) to that controller's host.
 *
 *     struct vctrl_radio *r;
 *     vctrl_radio_new(&r, &cfg);
 *     vctrl_host_attach(r, 0, now);
 *     vctrl_on_packet(r, 0, H4_CMD, bytes, len, now);   // e.g. a Reset
 *     vctrl_tick(r, now);
 *     out = vctrl_outbox(r, 0, &n); ...; vctrl_outbox_consume(r, 0, n);
 */
#ifndef VCTRL_H
#define VCTRL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define VCTRL_MAX 16 /* controllers on one radio */

/* Returns 0 and fills out[0..n) with random bytes, or -errno. */
typedef int (*vctrl_rand_fn)(void *arg, uint8_t *out, size_t n);

struct vctrl_config {
	unsigned count;             /* controllers, 1..VCTRL_MAX */
	uint16_t acl_size;          /* LE ACL data packet length, 27..VCTRL_ACL_SIZE_MAX */
	uint8_t acl_count;          /* LE ACL data packets the controller buffers, 1..255 */
	uint16_t bredr_acl_size;    /* BR/EDR ACL data packet length (Read Buffer Size),
				     * 27..VCTRL_ACL_SIZE_MAX */
	uint8_t bredr_acl_count;    /* BR/EDR ACL data packets buffered, 1..255 */
	unsigned bredr_time_div;    /* inquiry length, page and connection accept
				     * timeouts run this many times faster (0 or
				     * 1: as the host set them) */
	uint8_t addr_base[6];       /* public address of controller 0 (wire order);
				     * controller i has this address plus i */
	uint64_t adv_min_period_ns; /* floor of the advertising event period */
	bool paced;                 /* deliver ACL data at connection events (the
				     * connection interval) rather than at once */
	bool no_extended;           /* a controller without LE Extended Advertising:
				     * neither the feature bit nor the extended
				     * advertising, scanning and create connection
				     * commands (Unknown HCI Command) */
	size_t outbox_max;          /* bytes kept for a host that does not read; 0: 4 MiB */
	vctrl_rand_fn rand;         /* LE Rand; NULL: LE Rand fails */
	void *rand_arg;
	const char *log_name;       /* for log lines; NULL: "hive-vctrl" */
};

#define VCTRL_ACL_SIZE_MAX 4096

struct vctrl_radio;

/* A vctrl_rand_fn over the operating system's generator (OpenSSL RAND_bytes). */
int vctrl_rand_system(void *arg, uint8_t *out, size_t n);

/* Defaults: one controller, 251-byte LE ACL buffers x 8, 1021-byte BR/EDR
 * ACL buffers x 8, BR/EDR timing as the host sets it, base address
 * 02:48:49:56:45:00, 20 ms floor on advertising events, ACL at once. */
void vctrl_config_default(struct vctrl_config *cfg);

/* Returns 0, -EINVAL for a configuration out of range, -ENOMEM. */
int vctrl_radio_new(struct vctrl_radio **out, const struct vctrl_config *cfg);
/* Idempotent; nulls the caller's pointer. */
void vctrl_radio_destroy(struct vctrl_radio **self_p);

unsigned vctrl_count(const struct vctrl_radio *r);
/* The public address of controller idx, wire order. */
void vctrl_public_address(const struct vctrl_radio *r, unsigned idx, uint8_t out[6]);

/* A host connected to controller idx: the controller powers on in its reset
 * state. */
void vctrl_host_attach(struct vctrl_radio *r, unsigned idx, uint64_t now_ns);
/* The host went away: the controller powers off. Its connections end (the
 * peers see Remote User Terminated Connection, 0x13), its advertising and
 * scanning stop, its outbox is emptied. */
void vctrl_host_detach(struct vctrl_radio *r, unsigned idx, uint64_t now_ns);
bool vctrl_host_attached(const struct vctrl_radio *r, unsigned idx);

/* One H4 packet from the host of controller idx: the indicator and the bytes
 * after it (header and body). Any bytes are safe: malformed commands are
 * answered with an error, malformed data is dropped and logged. */
void vctrl_on_packet(struct vctrl_radio *r, unsigned idx, uint8_t type, const uint8_t *p,
		     size_t n, uint64_t now_ns);

/* Runs what is due at now_ns: advertising events (reports to scanners,
 * connections to initiators), ACL delivery with Number Of Completed
 * Packets, scan and advertising durations, inquiry responses and inquiry
 * length, page and connection accept timeouts, procedure timeouts. */
void vctrl_tick(struct vctrl_radio *r, uint64_t now_ns);

/* When vctrl_tick() next has something to do (UINT64_MAX: nothing; a value
 * <= now: at once). */
uint64_t vctrl_next_deadline(const struct vctrl_radio *r);

/* Bytes waiting for the host of controller idx (H4, indicator first). The
 * pointer is valid until the next call into the radio. */
const uint8_t *vctrl_outbox(const struct vctrl_radio *r, unsigned idx, size_t *len);
/* Drops the first n bytes of the outbox (they were sent). */
void vctrl_outbox_consume(struct vctrl_radio *r, unsigned idx, size_t n);

#endif
