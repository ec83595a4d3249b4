/* Three network namespaces on this machine for the tests and the bench of
 * one graph across machines:
 *
 *      A (10.201.0.1)  ---- veth ----  B (10.201.0.2)
 *      A (10.201.1.1)  ---- veth ----  C (10.201.1.2)
 *
 * The addresses exist only inside the namespaces (which have no other
 * route), so concurrent runs, each with its own uniquely named namespaces
 * and veths, cannot collide. Unix sockets are not namespaced: ipc:// run
 * directories and hive-vctrl's sockets are reachable from every namespace
 * and from the test itself.
 *
 * Cleanup is a reaper process: it waits for the end of the process that
 * made the lab (however it ends: returned, failed, crashed or killed) and
 * then deletes the namespaces, which takes their veths with them. */
#ifndef HIVE_TEST_NETNS_UTIL_H
#define HIVE_TEST_NETNS_UTIL_H

#include <stdbool.h>
#include <sys/types.h>

#include "e2e.h"

enum { NETNS_A, NETNS_B, NETNS_C, NETNS_COUNT };

struct netns_lab {
	char ns[NETNS_COUNT][48];
	/* veth ends: [0] in A, [1] in B (link ab); [0] in A, [1] in C (link ac) */
	char ab[2][16], ac[2][16];
	const char *addr[NETNS_COUNT];  /* B and C's own; A's toward B */
	const char *addr_a_to_c;        /* A's address on the link to C */
	char skip[256];                 /* why this machine cannot make the lab */
	pid_t reaper;
	int reaper_fd;                  /* its pipe; closing it deletes the lab */
};

/* Makes the lab. Returns 0; -EPERM or -ENOSYS with l->skip saying why
 * namespaces cannot be made here (not root, no iproute2, no namespace
 * support); -EIO when a step failed on a machine that should manage it. */
int netns_lab_make(struct netns_lab *l);
/* Deletes the namespaces (and their veths) and waits for that. Idempotent. */
void netns_lab_destroy(struct netns_lab *l);

/* Starts argv (argv[0] a hive program name or an absolute path) inside
 * namespace which, through th_spawn (killed at the end of the test). */
pid_t netns_spawn(const struct netns_lab *l, int which, const char *const argv[],
		  const char *out, const char *err);
/* Sets the veth end of namespace which (B or C) down or up. 0 or -EIO. */
int netns_link_set(const struct netns_lab *l, int which, bool up);

/* Runs a shell command; its exit status, or -1 when it did not run. */
int netns_sh(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* ---- the stack spread over the lab ----------------------------------------

 * C: the peer graph (launcher/graphs/E->P.LABEL.json, default peripheral),
 *    all ipc.
 * A: the central's broker, bound on tcp://ADDR_A:0 (toward B) with CURVE,
 *    with hci, host and l2cap; gatt and smp are "where": "remote".
 * B: hive-gatt and hive-smp started by hand, registering over tcp.
 * hive-vctrl serves both controllers on unix sockets in the run folder.
 * The test (in the root namespace) joins both graphs over ipc as "app". */

struct netns_stack {
	char keys[700];       /* the central's CURVE keys (hive-launch --keys) */
	char graph[700];      /* the central's graph file */
	char tcp_ep[256];     /* the broker's tcp endpoint, as resolved */
	char central_err[700], gatt_log[700], smp_log[700];
	pid_t gatt, smp;
	bool tap;             /* also serve the tap on ADDR_A_TO_C (toward C) */
	char tap_ep[256];     /* the tap's tcp endpoint, as resolved */
};

/* Starts all of the above into e (e2e_setup's work, spread over the lab)
 * and connects the two devices. False with e->err on failure. */
bool netns_stack_start(struct netns_lab *l, struct netns_stack *s, struct e2e *e);
/* Polls the central broker's Status until every name listed is up and
 * ready (want) or down (!want); the ms it took, or -1 after timeout_ms. */
long netns_wait_up(struct hive_actor *w, const char *const names[], bool want,
		   int timeout_ms);

#endif
