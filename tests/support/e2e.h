/* Two demo graphs (launcher/graphs/peripheral.json and central.json) on one
 * hive-vctrl radio, driven as an app of each graph: the harness of the
 * end-to-end tests and benchmarks of l2cap and smp. E is the run in
 * progress (its handlers need it). */
#ifndef HIVE_TEST_E2E_H
#define HIVE_TEST_E2E_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "harness.h"

#define E2E_DEADLINE_MS (20000 * th_slow())
#define E2E_SPSM 0x0081
#define E2E_TOTAL (1u << 20)
#define E2E_WINDOW 64 /* sends in flight */

struct e2e_side {
	const char *label;
	char run[600], ks[600], sock[600], out[700];
	pid_t launch;
	int launches;
	struct hive_actor *a;
	/* the host's link events */
	bool connected, encrypted, disconnected, params;
	uint32_t handle, interval, key_size;
	/* l2cap events */
	bool opened, closed, writable;
	uint32_t cid, peer_mtu;
	int32_t close_status;
	/* receiving: bytes so far, and whether they all matched */
	uint64_t rx_bytes, rx_sdus;
	bool rx_bad;
	/* smp events (the central's app subscribes; the peripheral's smp
	 * answers by its policy) */
	bool smp_subscribe;
	uint32_t prompts, completes, failures, bonded_encryptions;
	uint32_t last_prompt, last_number;
	/* every channel opened to us, and the SDUs each received */
	uint32_t opened_cids[8], cid_sdus[8];
	unsigned nopened, nclosed;
};

struct e2e {
	char dir[256];
	pid_t vctrl;
	struct e2e_side p, c;
	uint64_t next_id;
	uint64_t call_id;
	bool call_done;
	Hive__Result *result;
	char err[512];
	/* sending */
	uint64_t send_base_id; /* ids of data sends: base + SDU index, 0 when none */
	uint64_t sends_answered, sends_in_flight;
	bool blocked;
	uint64_t rewind; /* the first refused SDU */
	uint64_t eagain;
	const char *const *csets; /* the central graph's extra settings */
	const char *const *vctrl_args; /* extra hive-vctrl options (NULL-ended) */
	uint32_t passkey; /* what the central's app enters when asked */
	/* the CoC stream (e2e_coc_start) */
	uint64_t tx_total; /* its bytes */
	uint64_t tx_byte0; /* the stream offset of its first byte */
	uint64_t tx_next; /* the next SDU to send */
	bool tx_resume;
};

extern struct e2e *E;

bool e2e_fail(struct e2e *e, const char *fmt, ...);
/* The byte at offset i of the test streams. */
uint8_t e2e_pattern(uint64_t i);
bool e2e_pump(struct e2e *e);
bool e2e_wait(struct e2e *e, const bool *flag, int ms, const char *what);
int e2e_send(struct e2e *e, struct e2e_side *s, const char *dest, Hive__Request *req);
bool e2e_call(struct e2e *e, struct e2e_side *s, const char *dest, Hive__Request *req,
		     const char *what);
bool e2e_start_vctrl(struct e2e *e);
bool e2e_launch(struct e2e *e, struct e2e_side *s, const char *const sets[]);
bool e2e_join(struct e2e *e, struct e2e_side *s);
bool e2e_connect(struct e2e *e);
bool e2e_disconnect(struct e2e *e);
/* The same with a reason for the controller to send (0: the host's default). */
bool e2e_disconnect_reason(struct e2e *e, uint32_t reason);
void e2e_teardown(struct e2e *e);
/* Starts hive-vctrl and both graphs (the peripheral with psets, the
 * central with e->csets), joins them as an app and connects; the central's
 * app answers smp's prompts when central_smp_events. */
bool e2e_setup(struct e2e *e, const char *const psets[], bool central_smp_events);
/* The run directory (e->dir) and the sides' labels: the start of a setup. */
bool e2e_run_dir(struct e2e *e);
/* The handler of link events e2e_join installs (arg: the side), for a test
 * that installs its own and records more. */
void e2e_on_link(struct hive_actor *a, const char *source, const Hive__Envelope *env,
		 void *arg);

/* ---- BR/EDR */

/* The public address of s's controller (the host's device info). */
bool e2e_device_addr(struct e2e *e, struct e2e_side *s, uint8_t out[6]);
/* The central connects over BR/EDR to addr; both apps see the link. */
bool e2e_bredr_connect(struct e2e *e, const uint8_t addr[6]);

/* ---- pairing */

/* Sends an smp request of s's app and waits for its Result. */
bool e2e_smp_call(struct e2e *e, struct e2e_side *s, Hive__SmpRequest *sr, const char *what);
struct e2e_paired {
	bool sc, authenticated, bonded;
	uint32_t key_size;
	int method;
};
/* The central pairs (out: the outcome smp answered); both hosts see the
 * link encrypted. */
bool e2e_pair(struct e2e *e, bool legacy, bool mitm, Hive__SmpIoCapability io,
	      struct e2e_paired *out);

/* ---- an LE credit based channel from the central's app to the peripheral's */

/* Sends an l2cap request of s's app and waits for its Result. */
bool e2e_l2cap_call(struct e2e *e, struct e2e_side *s, Hive__L2capRequest *lr,
		    const char *what);
/* The peripheral listens on E2E_SPSM, the central opens a channel to it
 * (both receiving with mtu and mps); e->c.cid, e->c.peer_mtu. */
bool e2e_coc_open(struct e2e *e, uint32_t mtu, uint32_t mps);
/* The central closes the channel; both apps see it closed. */
bool e2e_coc_close(struct e2e *e);
/* Starts a stream of `total` bytes on the central's open channel: they
 * continue the pattern (e2e_pattern) from what the peripheral received so
 * far. */
void e2e_coc_start(struct e2e *e, uint64_t total);
/* Sends SDU idx of the stream (sdu_len bytes, the last one shorter). */
int e2e_coc_send_sdu(struct e2e *e, uint64_t idx, uint32_t sdu_len, bool resume);
/* Sends the stream in SDUs of sdu_len, with at most E2E_WINDOW sends in
 * flight; a refused send (-EAGAIN) is sent again, with resume, once l2cap
 * says writable and every send in flight was answered. Returns when the
 * peripheral received it all, byte for byte, or (until_blocked) when l2cap
 * refused a send and every send in flight was answered. */
bool e2e_coc_transfer(struct e2e *e, uint32_t sdu_len, int timeout_ms, bool until_blocked);

#endif
