/* H5 link layer (Core Vol 4 Part D): link establishment (SYNC, SYNC_RSP,
 * CONFIG, CONFIG_RSP), sequence numbers and acknowledgements with a sliding
 * window, retransmission, the optional data integrity check. Pure: bytes and
 * time come in as arguments, bytes and packets go out through callbacks; no
 * I/O, no clock, no allocation. Both ends of a link run the same machine, so
 * tests use it as the peer controller too.
 *
 * Time is in milliseconds from any fixed origin. After any call, the caller
 * arms a timer for h5_next_deadline() and calls h5_tick() when it fires.
 */
#ifndef HCI_H5_H
#define HCI_H5_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "h5_codec.h"

#define H5_WINDOW_MAX 7
#define H5_DEFAULT_WINDOW 4
#define H5_DEFAULT_SYNC_MS 250
#define H5_DEFAULT_RETRANSMIT_MS 250
#define H5_NO_DEADLINE UINT64_MAX

enum h5_state {
	H5_UNINITIALIZED = 0, /* sending SYNC */
	H5_INITIALIZED,       /* SYNC answered; sending CONFIG */
	H5_ACTIVE,            /* CONFIG answered; packets flow */
};

struct h5_config {
	uint8_t window;          /* asked sliding window, 1..7 (0: default) */
	bool crc;                /* ask for the data integrity check */
	uint32_t sync_ms;        /* SYNC and CONFIG repeat period (0: default) */
	uint32_t retransmit_ms;  /* unacknowledged packets go again after this (0: default) */
};

struct h5_ops {
	/* SLIP-framed bytes for the wire. The callee takes them all. */
	void (*output)(void *arg, const uint8_t *bytes, size_t len);
	/* A received HCI packet (type 1..5 as in H4; pkt without type byte). */
	void (*packet)(void *arg, uint8_t type, const uint8_t *pkt, size_t len);
	/* The link state changed (ACTIVE to UNINITIALIZED: the peer reset). */
	void (*state)(void *arg, enum h5_state from, enum h5_state to);
};

struct h5_stats {
	uint64_t tx_packets;     /* reliable packets sent the first time */
	uint64_t rx_packets;     /* HCI packets delivered */
	uint64_t retransmits;    /* packets sent again */
	uint64_t acks_sent;      /* pure acknowledgement packets */
	uint64_t syncs_sent;     /* SYNC and CONFIG messages */
	uint64_t bad_header;     /* frames with a bad header or length */
	uint64_t bad_crc;        /* frames whose integrity check failed */
	uint64_t out_of_order;   /* reliable packets not the one expected (dropped) */
	uint64_t ignored;        /* packets not acceptable in the current state */
	uint64_t peer_resets;    /* SYNC while active */
	uint64_t lost_on_reset;  /* unacknowledged packets dropped by a reset */
};

struct h5_unacked {
	uint8_t type;
	uint16_t len;
	uint8_t data[H5_PAYLOAD_MAX];
};

struct h5 {
	struct h5_config cfg;
	struct h5_ops ops;
	void *arg;

	enum h5_state state;
	uint8_t window;            /* negotiated */
	bool crc;                  /* negotiated */
	uint8_t peer_config;       /* the peer's configuration field */
	uint8_t tx_seq;            /* seq of the next new reliable packet */
	uint8_t tx_una;            /* seq of the oldest unacknowledged one */
	uint8_t nunacked;
	uint8_t rx_ack;            /* next seq expected from the peer */
	bool ack_pending;
	uint64_t now_ms;           /* the time of the call in progress */
	uint64_t link_due_ms;      /* next SYNC or CONFIG; H5_NO_DEADLINE: none */
	uint64_t retransmit_due_ms;

	struct h5_stats st;
	struct slip_rx rx;
	struct h5_unacked unacked[8]; /* by seq */
	uint8_t out[H5_SLIP_MAX];
};

/* Sets the configuration and callbacks; the link stays idle until
 * h5_start(). */
void h5_init(struct h5 *h, const struct h5_config *cfg, const struct h5_ops *ops, void *arg);

/* (Re)starts link establishment: forgets every sequence number and
 * unacknowledged packet, sends SYNC. */
void h5_start(struct h5 *h, uint64_t now_ms);

/* Consumes bytes from the wire. */
void h5_feed(struct h5 *h, const uint8_t *bytes, size_t len, uint64_t now_ms);

/* Sends an HCI packet reliably. Returns 0; -EAGAIN when the link is not
 * active or the window is full (try again after the next feed or tick);
 * -EMSGSIZE above H5_PAYLOAD_MAX; -EINVAL for a type that is not HCI. */
int h5_send(struct h5 *h, uint8_t type, const uint8_t *pkt, size_t len, uint64_t now_ms);

/* True when h5_send would take a packet. */
bool h5_can_send(const struct h5 *h);

/* Sends what is due: SYNC or CONFIG again, retransmissions. */
void h5_tick(struct h5 *h, uint64_t now_ms);

/* When h5_tick() is next needed, or H5_NO_DEADLINE. */
uint64_t h5_next_deadline(const struct h5 *h);

/* "uninitialized", "initialized", "active". */
const char *h5_state_name(enum h5_state s);

#endif
