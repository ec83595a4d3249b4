/* hive-bench: raw unix sockets, no ZeroMQ.
 *
 *   floor       two processes over a SOCK_STREAM socket pair: fixed-size
 *               messages, one write() per message, no framing, no encoding.
 *               Nothing between two processes on this machine is faster.
 *   raw_router  the same through a third process that routes by a header
 *               byte: what a broker without ZeroMQ could reach. */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "bench.h"
#include "hive.h"

#define STREAM_READ_BUF 65536

struct floor_ctx {
	int sv[2]; /* driver's end, responder's end */
};

static int write_all(int fd, const void *buf, size_t len)
{
	const uint8_t *p = buf;
	while (len) {
		ssize_t n = write(fd, p, len);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

static int read_all(int fd, void *buf, size_t len)
{
	uint8_t *p = buf;
	while (len) {
		ssize_t n = read(fd, p, len);
		if (n == 0)
			return -EPIPE;
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

static int floor_responder(void *arg, const struct bench_params *p, struct bench_shared *sh,
			   int ready_fd)
{
	struct floor_ctx *c = arg;
	close(c->sv[0]);
	int fd = c->sv[1];
	uint8_t *buf = malloc(STREAM_READ_BUF > p->size ? STREAM_READ_BUF : p->size);
	if (!buf)
		return -ENOMEM;
	bench_child_ready(ready_fd);
	int rc = 0;
	unsigned rounds = p->warmup + p->samples;
	for (unsigned i = 0; i < rounds && rc == 0; i++) {
		rc = read_all(fd, buf, p->size);
		if (rc == 0)
			rc = write_all(fd, buf, p->size);
	}
	/* Streaming: count whole messages as the bytes arrive. */
	uint64_t want = (uint64_t)p->stream * p->size, got = 0;
	while (rc == 0 && got < want) {
		size_t room = want - got < STREAM_READ_BUF ? (size_t)(want - got) : STREAM_READ_BUF;
		ssize_t n = read(fd, buf, room);
		if (n <= 0) {
			if (n < 0 && errno == EINTR)
				continue;
			rc = n == 0 ? -EPIPE : -errno;
			break;
		}
		uint64_t now = hive_now_ns();
		if (got < p->size && got + (uint64_t)n >= p->size)
			sh->stream_first_ns = now;
		got += (uint64_t)n;
		if (got == want)
			sh->stream_last_ns = now;
	}
	sh->stream_count = got / p->size;
	if (rc == 0)
		rc = write_all(fd, "D", 1);
	if (rc < 0)
		bench_child_fail(sh, "floor responder: %s", strerror(-rc));
	free(buf);
	return rc;
}

static int floor_driver(void *arg, const struct bench_params *p, struct bench_shared *sh,
			int ready_fd)
{
	struct floor_ctx *c = arg;
	close(c->sv[1]);
	int fd = c->sv[0];
	uint8_t *buf = calloc(1, p->size);
	if (!buf)
		return -ENOMEM;
	int rc = 0;
	unsigned rounds = p->warmup + p->samples;
	for (unsigned i = 0; i < rounds && rc == 0; i++) {
		uint64_t t0 = hive_now_ns();
		rc = write_all(fd, buf, p->size);
		if (rc == 0)
			rc = read_all(fd, buf, p->size);
		uint64_t t1 = hive_now_ns();
		if (i >= p->warmup)
			sh->rtt_ns[sh->nsamples++] = t1 - t0;
	}
	for (unsigned i = 0; i < p->stream && rc == 0; i++)
		rc = write_all(fd, buf, p->size);
	char done;
	if (rc == 0)
		rc = read_all(fd, &done, 1);
	if (rc < 0)
		bench_child_fail(sh, "floor driver: %s", strerror(-rc));
	free(buf);
	(void)ready_fd;
	return rc;
}

int bench_floor(struct bench *b, const struct bench_params *p, struct bench_result *r)
{
	struct floor_ctx c;
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, c.sv) < 0) {
		memset(r, 0, sizeof *r);
		snprintf(r->error, sizeof r->error, "socketpair: %s", strerror(errno));
		return -errno;
	}
	int rc = bench_pair(b, p, floor_responder, floor_driver, &c, r);
	close(c.sv[0]);
	close(c.sv[1]);
	bench_kill_all(b);
	return rc;
}

/* ---- raw_router: what a broker without ZeroMQ could cost ---------------------------
 *
 * Two processes each connected to a third by a unix SOCK_SEQPACKET pair; the
 * third reads one message at a time and forwards it by its first byte (the
 * destination), single-threaded, with poll(). Two crossings and a routing
 * decision, no I/O threads: the lower bound of any broker on this machine. */

struct raw_ctx {
	int a[2];  /* driver's end, router's end */
	int b[2];  /* responder's end, router's end */
};

static int router_loop(struct raw_ctx *c, size_t size, struct bench_shared *sh, int ready_fd)
{
	close(c->a[0]);
	close(c->b[0]);
	uint8_t *buf = malloc(size + 1);
	if (!buf)
		return -ENOMEM;
	bench_child_ready(ready_fd);
	struct pollfd fds[2] = { { .fd = c->a[1], .events = POLLIN },
				 { .fd = c->b[1], .events = POLLIN } };
	/* Runs until the parent kills it (or both ends are gone). */
	for (;;) {
		if (poll(fds, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		for (int i = 0; i < 2; i++) {
			if (!fds[i].revents)
				continue;
			ssize_t n = read(fds[i].fd, buf, size + 1);
			if (n <= 0) {
				free(buf);
				return n == 0 ? 0 : -errno;
			}
			int to = buf[0] == 'a' ? c->a[1] : c->b[1];
			if (write_all(to, buf, (size_t)n) < 0) {
				bench_child_fail(sh, "raw_router: %s", strerror(errno));
				free(buf);
				return -EPIPE;
			}
		}
	}
	free(buf);
	return 0;
}

/* One message of SOCK_SEQPACKET: [dest][payload]. */
static int raw_send(int fd, uint8_t *buf, char dest, size_t size)
{
	buf[0] = (uint8_t)dest;
	return write_all(fd, buf, size + 1);
}

static int raw_recv(int fd, uint8_t *buf, size_t size)
{
	for (;;) {
		ssize_t n = read(fd, buf, size + 1);
		if (n > 0)
			return (size_t)n == size + 1 ? 0 : -EPROTO;
		if (n == 0)
			return -EPIPE;
		if (errno != EINTR)
			return -errno;
	}
}

static int raw_responder(void *arg, const struct bench_params *p, struct bench_shared *sh,
			 int ready_fd)
{
	struct raw_ctx *c = arg;
	close(c->a[0]);
	close(c->a[1]);
	close(c->b[1]);
	int fd = c->b[0];
	uint8_t *buf = malloc(p->size + 1);
	if (!buf)
		return -ENOMEM;
	bench_child_ready(ready_fd);
	int rc = 0;
	unsigned rounds = p->warmup + p->samples;
	for (unsigned i = 0; i < rounds && rc == 0; i++) {
		rc = raw_recv(fd, buf, p->size);
		if (rc == 0)
			rc = raw_send(fd, buf, 'a', p->size);
	}
	for (unsigned i = 0; i < p->stream && rc == 0; i++) {
		rc = raw_recv(fd, buf, p->size);
		uint64_t now = hive_now_ns();
		if (i == 0)
			sh->stream_first_ns = now;
		sh->stream_last_ns = now;
		sh->stream_count++;
	}
	if (rc == 0)
		rc = raw_send(fd, buf, 'a', p->size);
	if (rc < 0)
		bench_child_fail(sh, "raw_router responder: %s", strerror(-rc));
	free(buf);
	return rc;
}

static int raw_driver(void *arg, const struct bench_params *p, struct bench_shared *sh,
		      int ready_fd)
{
	struct raw_ctx *c = arg;
	close(c->b[0]);
	close(c->b[1]);
	close(c->a[1]);
	int fd = c->a[0];
	uint8_t *buf = calloc(1, p->size + 1);
	if (!buf)
		return -ENOMEM;
	int rc = 0;
	unsigned rounds = p->warmup + p->samples;
	for (unsigned i = 0; i < rounds && rc == 0; i++) {
		uint64_t t0 = hive_now_ns();
		rc = raw_send(fd, buf, 'b', p->size);
		if (rc == 0)
			rc = raw_recv(fd, buf, p->size);
		uint64_t t1 = hive_now_ns();
		if (i >= p->warmup)
			sh->rtt_ns[sh->nsamples++] = t1 - t0;
	}
	for (unsigned i = 0; i < p->stream && rc == 0; i++)
		rc = raw_send(fd, buf, 'b', p->size);
	if (rc == 0)
		rc = raw_recv(fd, buf, p->size);
	if (rc < 0)
		bench_child_fail(sh, "raw_router driver: %s", strerror(-rc));
	free(buf);
	(void)ready_fd;
	return rc;
}

int bench_raw_router(struct bench *b, const struct bench_params *p, struct bench_result *r)
{
	struct raw_ctx c;
	memset(r, 0, sizeof *r);
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, c.a) < 0)
		return -errno;
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, c.b) < 0) {
		int err = errno;
		close(c.a[0]);
		close(c.a[1]);
		return -err;
	}
	int fd = -1, rc;
	pid_t pid = bench_fork(b, p->cpu_middle, &fd);
	if (pid == 0)
		_exit(router_loop(&c, p->size, b->sh, fd) < 0 ? 1 : 0);
	if (pid < 0 || bench_wait_ready(fd, 10000) != 1) {
		snprintf(r->error, sizeof r->error, "the raw router did not start");
		rc = -ECHILD;
	} else {
		/* The router holds its ends; ours must not keep the pairs open. */
		close(c.a[1]);
		close(c.b[1]);
		c.a[1] = c.b[1] = -1;
		rc = bench_pair(b, p, raw_responder, raw_driver, &c, r);
	}
	if (fd >= 0)
		close(fd);
	for (int i = 0; i < 2; i++) {
		if (c.a[i] >= 0)
			close(c.a[i]);
		if (c.b[i] >= 0)
			close(c.b[i]);
	}
	bench_kill_all(b);
	return rc;
}
