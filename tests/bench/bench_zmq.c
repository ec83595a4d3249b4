/* hive-bench: the ZeroMQ references between the floor and the hive broker.
 *
 *   zmq_pipe      two PAIR sockets over ipc://: one ZeroMQ crossing, no
 *                 broker, no encoding (what a direct pipe could cost).
 *   naive_router  two DEALERs through a third process running the simplest
 *                 ROUTER loop ([dest][payload] in, [src][payload] out,
 *                 blocking, no bookkeeping): two crossings, no broker logic,
 *                 no encoding (what any ROUTER broker costs at least).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <zmq.h>

#include "bench.h"
#include "hive.h"

struct zmq_ctx_args {
	char endpoint[4300];
};

/* ---- helpers ------------------------------------------------------------------- */

struct zend {
	void *ctx;
	void *sock;
};

static int zend_open(struct zend *z, int type, const char *endpoint, bool bind,
		     const char *rid)
{
	z->ctx = zmq_ctx_new();
	z->sock = z->ctx ? zmq_socket(z->ctx, type) : NULL;
	if (!z->sock)
		return -zmq_errno();
	int linger = 2000;
	zmq_setsockopt(z->sock, ZMQ_LINGER, &linger, sizeof linger);
	if (rid)
		zmq_setsockopt(z->sock, ZMQ_ROUTING_ID, rid, strlen(rid));
	int rc = bind ? zmq_bind(z->sock, endpoint) : zmq_connect(z->sock, endpoint);
	return rc < 0 ? -zmq_errno() : 0;
}

static void zend_close(struct zend *z)
{
	if (z->sock)
		zmq_close(z->sock);
	if (z->ctx)
		zmq_ctx_term(z->ctx);
	z->sock = z->ctx = NULL;
}

/* Sends [to][buf] (to == NULL: just [buf]). */
static int zsend(void *s, const char *to, const void *buf, size_t len)
{
	if (to && zmq_send(s, to, strlen(to), ZMQ_SNDMORE) < 0)
		return -zmq_errno();
	return zmq_send(s, buf, len, 0) < 0 ? -zmq_errno() : 0;
}

/* Receives [src][buf] (src == NULL: just [buf]); returns the body length. */
static int zrecv(void *s, char *src, size_t src_cap, void *buf, size_t cap)
{
	if (src) {
		int n = zmq_recv(s, src, src_cap - 1, 0);
		if (n < 0)
			return -zmq_errno();
		src[(size_t)n < src_cap - 1 ? (size_t)n : src_cap - 1] = '\0';
	}
	int n = zmq_recv(s, buf, cap, 0);
	return n < 0 ? -zmq_errno() : n;
}

/* The two ends, shared by both paths: routed = through the router, where
 * every message is [peer][payload]; else PAIR, where it is [payload]. */
static int responder_loop(void *s, bool routed, const struct bench_params *p,
			  struct bench_shared *sh, int ready_fd)
{
	char src[64];
	uint8_t *buf = malloc(p->size + 1);
	if (!buf)
		return -ENOMEM;
	int rc = 0;
	if (routed) {
		/* Known to the router once our own hello comes back through it. */
		rc = zsend(s, "b", "hi", 2);
		if (rc == 0)
			rc = zrecv(s, src, sizeof src, buf, p->size + 1);
	}
	if (rc >= 0)
		bench_child_ready(ready_fd);
	unsigned rounds = p->warmup + p->samples;
	for (unsigned i = 0; i < rounds && rc >= 0; i++) {
		rc = zrecv(s, routed ? src : NULL, sizeof src, buf, p->size + 1);
		if (rc >= 0)
			rc = zsend(s, routed ? src : NULL, buf, (size_t)rc);
	}
	for (unsigned i = 0; i < p->stream && rc >= 0; i++) {
		rc = zrecv(s, routed ? src : NULL, sizeof src, buf, p->size + 1);
		uint64_t now = hive_now_ns();
		if (i == 0)
			sh->stream_first_ns = now;
		sh->stream_last_ns = now;
		sh->stream_count++;
	}
	if (rc >= 0)
		rc = zsend(s, routed ? "a" : NULL, "D", 1);
	if (rc < 0)
		bench_child_fail(sh, "%s responder: %s", routed ? "naive_router" : "zmq_pipe",
				 zmq_strerror(-rc));
	free(buf);
	return rc < 0 ? rc : 0;
}

static int driver_loop(void *s, bool routed, const struct bench_params *p,
		       struct bench_shared *sh)
{
	char src[64];
	uint8_t *buf = calloc(1, p->size + 1);
	if (!buf)
		return -ENOMEM;
	int rc = 0;
	if (routed) {
		rc = zsend(s, "a", "hi", 2);
		if (rc == 0)
			rc = zrecv(s, src, sizeof src, buf, p->size + 1);
	}
	unsigned rounds = p->warmup + p->samples;
	for (unsigned i = 0; i < rounds && rc >= 0; i++) {
		uint64_t t0 = hive_now_ns();
		rc = zsend(s, routed ? "b" : NULL, buf, p->size);
		if (rc >= 0)
			rc = zrecv(s, routed ? src : NULL, sizeof src, buf, p->size + 1);
		uint64_t t1 = hive_now_ns();
		if (rc >= 0 && (size_t)rc != p->size)
			rc = -EPROTO;
		if (i >= p->warmup)
			sh->rtt_ns[sh->nsamples++] = t1 - t0;
	}
	for (unsigned i = 0; i < p->stream && rc >= 0; i++)
		rc = zsend(s, routed ? "b" : NULL, buf, p->size);
	if (rc >= 0)
		rc = zrecv(s, routed ? src : NULL, sizeof src, buf, p->size + 1);
	if (rc < 0)
		bench_child_fail(sh, "%s driver: %s", routed ? "naive_router" : "zmq_pipe",
				 zmq_strerror(-rc));
	free(buf);
	return rc < 0 ? rc : 0;
}

/* ---- zmq_pipe ------------------------------------------------------------------- */

static int pipe_responder(void *arg, const struct bench_params *p, struct bench_shared *sh,
			  int ready_fd)
{
	struct zmq_ctx_args *c = arg;
	struct zend z = { 0 };
	int rc = zend_open(&z, ZMQ_PAIR, c->endpoint, true, NULL);
	if (rc == 0)
		rc = responder_loop(z.sock, false, p, sh, ready_fd);
	else
		bench_child_fail(sh, "zmq_pipe: bind %s: %s", c->endpoint, zmq_strerror(-rc));
	zend_close(&z);
	return rc;
}

static int pipe_driver(void *arg, const struct bench_params *p, struct bench_shared *sh,
		       int ready_fd)
{
	struct zmq_ctx_args *c = arg;
	struct zend z = { 0 };
	int rc = zend_open(&z, ZMQ_PAIR, c->endpoint, false, NULL);
	if (rc == 0)
		rc = driver_loop(z.sock, false, p, sh);
	zend_close(&z);
	(void)ready_fd;
	return rc;
}

int bench_zmq_pipe(struct bench *b, const struct bench_params *p, struct bench_result *r)
{
	struct zmq_ctx_args c;
	char dir[4200];
	int rc = bench_run_dir(b, dir, sizeof dir, "pipe");
	if (rc < 0) {
		memset(r, 0, sizeof *r);
		snprintf(r->error, sizeof r->error, "run dir: %s", strerror(-rc));
		return rc;
	}
	snprintf(c.endpoint, sizeof c.endpoint, "ipc://%s/pair", dir);
	rc = bench_pair(b, p, pipe_responder, pipe_driver, &c, r);
	bench_kill_all(b);
	bench_remove_tree(dir);
	return rc;
}

/* ---- naive_router ------------------------------------------------------------------ */

static int router_main(const char *endpoint, struct bench_shared *sh, int ready_fd)
{
	struct zend z = { 0 };
	int rc = zend_open(&z, ZMQ_ROUTER, endpoint, true, NULL);
	if (rc < 0) {
		bench_child_fail(sh, "naive_router: bind %s: %s", endpoint, zmq_strerror(-rc));
		return rc;
	}
	int one = 1;
	zmq_setsockopt(z.sock, ZMQ_ROUTER_MANDATORY, &one, sizeof one);
	bench_child_ready(ready_fd);
	zmq_msg_t rid, dest, body;
	zmq_msg_init(&rid);
	zmq_msg_init(&dest);
	zmq_msg_init(&body);
	/* Runs until the parent kills it. */
	for (;;) {
		if (zmq_msg_recv(&rid, z.sock, 0) < 0 || zmq_msg_recv(&dest, z.sock, 0) < 0 ||
		    zmq_msg_recv(&body, z.sock, 0) < 0)
			continue;
		if (zmq_msg_send(&dest, z.sock, ZMQ_SNDMORE) < 0)
			continue;
		zmq_msg_send(&rid, z.sock, ZMQ_SNDMORE);
		zmq_msg_send(&body, z.sock, 0);
	}
}

static int routed_responder(void *arg, const struct bench_params *p, struct bench_shared *sh,
			    int ready_fd)
{
	struct zmq_ctx_args *c = arg;
	struct zend z = { 0 };
	int rc = zend_open(&z, ZMQ_DEALER, c->endpoint, false, "b");
	if (rc == 0)
		rc = responder_loop(z.sock, true, p, sh, ready_fd);
	zend_close(&z);
	return rc;
}

static int routed_driver(void *arg, const struct bench_params *p, struct bench_shared *sh,
			 int ready_fd)
{
	struct zmq_ctx_args *c = arg;
	struct zend z = { 0 };
	int rc = zend_open(&z, ZMQ_DEALER, c->endpoint, false, "a");
	if (rc == 0)
		rc = driver_loop(z.sock, true, p, sh);
	zend_close(&z);
	(void)ready_fd;
	return rc;
}

int bench_naive_router(struct bench *b, const struct bench_params *p, struct bench_result *r)
{
	struct zmq_ctx_args c;
	char dir[4200];
	memset(r, 0, sizeof *r);
	int rc = bench_run_dir(b, dir, sizeof dir, "router");
	if (rc < 0) {
		snprintf(r->error, sizeof r->error, "run dir: %s", strerror(-rc));
		return rc;
	}
	snprintf(c.endpoint, sizeof c.endpoint, "ipc://%s/router", dir);
	int fd = -1;
	pid_t pid = bench_fork(b, p->cpu_middle, &fd);
	if (pid == 0)
		_exit(router_main(c.endpoint, b->sh, fd) < 0 ? 1 : 0);
	if (pid < 0 || bench_wait_ready(fd, 10000) != 1) {
		snprintf(r->error, sizeof r->error, "the naive router did not start");
		rc = -ECHILD;
	} else {
		rc = bench_pair(b, p, routed_responder, routed_driver, &c, r);
	}
	if (fd >= 0)
		close(fd);
	bench_kill_all(b);
	bench_remove_tree(dir);
	return rc;
}
