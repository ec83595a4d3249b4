/* The broker's routing loop: frames in from the ROUTER, out to the named
 * actor or into its queue, a copy to the tap while someone subscribes.
 * Envelopes are decoded only when addressed to the broker itself. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#include "broker.h"

#define LIVENESS_PERIOD_NS (200ull * 1000000ull)
#define LOG_SOME(n) ((n) <= 10 || (n) % 1000 == 0)

/* ---- the actor table -------------------------------------------------------------- */

struct actor *broker_find(struct broker *b, const char *name, size_t len)
{
	for (size_t i = 0; i < b->nactors; i++) {
		struct actor *a = &b->actors[i];
		if (strncmp(a->name, name, len) == 0 && a->name[len] == '\0')
			return a;
	}
	return NULL;
}

struct actor *broker_find_rid(struct broker *b, const uint8_t *rid, size_t len)
{
	for (size_t i = 0; i < b->nactors; i++) {
		struct actor *a = &b->actors[i];
		if (a->up && a->rid_len == len && memcmp(a->rid, rid, len) == 0)
			return a;
	}
	return NULL;
}

static bool name_bytes_valid(const char *p, size_t len)
{
	char name[HIVE_NAME_MAX + 1];
	if (len == 0 || len > HIVE_NAME_MAX)
		return false;
	memcpy(name, p, len);
	name[len] = '\0';
	return hive_name_valid(name);
}

/* Finds or adds the entry of a name (an entry holds the queue of a name that
 * has not registered yet). NULL when the table is full. */
struct actor *broker_entry(struct broker *b, const char *name, size_t len)
{
	struct actor *a = broker_find(b, name, len);
	if (a || b->nactors == BROKER_MAX_ACTORS)
		return a;
	a = &b->actors[b->nactors++];
	memset(a, 0, sizeof *a);
	memcpy(a->name, name, len);
	a->name[len] = '\0';
	return a;
}

/* ---- sending ------------------------------------------------------------------------ */

/* Sends [rid][src][env] to a live actor. src and env are consumed on success
 * only. Returns 0, -EAGAIN (pipe full), -EHOSTUNREACH (gone). */
static int send_to(struct broker *b, struct actor *a, zmq_msg_t *src, zmq_msg_t *env)
{
	if (zmq_send(b->router, a->rid, a->rid_len, ZMQ_SNDMORE | ZMQ_DONTWAIT) < 0)
		return -zmq_errno();
	/* The routing frame was accepted: the pipe takes the rest atomically. */
	zmq_msg_send(src, b->router, ZMQ_SNDMORE);
	zmq_msg_send(env, b->router, 0);
	return 0;
}

void broker_mark_down(struct broker *b, struct actor *a, const char *why)
{
	if (!a->up)
		return;
	a->up = false;
	a->ready = false;
	a->blocked = false;
	if (a->ephemeral)
		hive_logf("broker", HIVE_LOG_DEBUG, "%s (pid %d) has gone: %s", a->name,
			  (int)a->pid, why);
	else if (a->inflight.len)
		hive_logf("broker", HIVE_LOG_INFO, "%s (pid %d) is down: %s; %zu in flight will be "
			  "delivered again to its next incarnation", a->name, (int)a->pid, why,
			  a->inflight.len);
	else
		hive_logf("broker", HIVE_LOG_INFO, "%s (pid %d) is down: %s", a->name, (int)a->pid,
			  why);
	broker_notice(b, HIVE__NOTICE__KIND__DOWN, a, why);
}

/* Delivers one routed message to a live actor, keeping a copy in flight when
 * the actor acknowledges. Returns 0 or the send error (message not taken). */
static int deliver(struct broker *b, struct actor *a, zmq_msg_t *src, zmq_msg_t *env)
{
	zmq_msg_t src_copy, env_copy;
	size_t size = zmq_msg_size(env);
	if (a->reliable) {
		zmq_msg_init(&src_copy);
		zmq_msg_init(&env_copy);
		zmq_msg_copy(&src_copy, src);
		zmq_msg_copy(&env_copy, env);
	}
	int rc = send_to(b, a, src, env);
	if (a->reliable) {
		if (rc == 0)
			mqueue_push_back(&a->inflight, &src_copy, &env_copy);
		zmq_msg_close(&src_copy);
		zmq_msg_close(&env_copy);
	}
	if (rc == 0) {
		a->delivered++;
		a->msgs_in++;
		a->bytes_in += size;
		a->blocked = false;
	} else if (rc == -EAGAIN) {
		a->blocked = true;
	} else if (rc == -EHOSTUNREACH) {
		broker_mark_down(b, a, "its connection is gone");
	}
	return rc;
}

/* Delivers what waits in an actor's queue, in order, while it is up. */
void broker_flush(struct broker *b, struct actor *a)
{
	while (a->up && a->queue.len) {
		struct qmsg *m = mqueue_front(&a->queue);
		zmq_msg_t src, env;
		zmq_msg_init(&src);
		zmq_msg_init(&env);
		zmq_msg_copy(&src, &m->src);
		zmq_msg_copy(&env, &m->env);
		int rc = deliver(b, a, &src, &env);
		zmq_msg_close(&src);
		zmq_msg_close(&env);
		if (rc < 0)
			return;
		mqueue_drop_front(&a->queue);
	}
}

/* Sends a broker-made envelope (source "broker") to a live actor, or to a
 * connection that has not registered (by its routing id). */
int broker_send_control(struct broker *b, const uint8_t *rid, size_t rid_len,
			Hive__Envelope *env)
{
	static const char src[] = "broker";
	env->sent_ns = hive_now_ns();
	size_t len = protobuf_c_message_get_packed_size(&env->base);
	if (len > b->txcap) {
		uint8_t *buf = realloc(b->txbuf, len);
		if (!buf)
			return -ENOMEM;
		b->txbuf = buf;
		b->txcap = len;
	}
	protobuf_c_message_pack(&env->base, b->txbuf);
	if (zmq_send(b->router, rid, rid_len, ZMQ_SNDMORE | ZMQ_DONTWAIT) < 0)
		return -zmq_errno();
	zmq_send(b->router, src, sizeof src - 1, ZMQ_SNDMORE);
	zmq_send(b->router, b->txbuf, len, 0);
	return 0;
}

/* ---- tap ---------------------------------------------------------------------------- */

static bool tap_wanted(const struct broker *b, const char *topic, size_t len)
{
	for (size_t i = 0; i < b->nsubs; i++)
		if (b->subs[i].len <= len && memcmp(b->subs[i].prefix, topic, b->subs[i].len) == 0)
			return true;
	return false;
}

static void tap_publish(struct broker *b, const char *src, const char *dst, zmq_msg_t *env)
{
	char topic[2 * HIVE_NAME_MAX + 2];
	int n = snprintf(topic, sizeof topic, "%s>%s", src, dst);
	if (!tap_wanted(b, topic, (size_t)n))
		return;
	zmq_msg_t copy;
	zmq_msg_init(&copy);
	zmq_msg_copy(&copy, env);
	/* XPUB never blocks: a slow tracer loses messages, the graph does not. */
	if (zmq_send(b->tap, topic, (size_t)n, ZMQ_SNDMORE | ZMQ_DONTWAIT) >= 0)
		zmq_msg_send(&copy, b->tap, ZMQ_DONTWAIT);
	zmq_msg_close(&copy);
}

static void on_tap_subscription(struct broker *b)
{
	zmq_msg_t m;
	zmq_msg_init(&m);
	while (zmq_msg_recv(&m, b->tap, ZMQ_DONTWAIT) >= 0) {
		const uint8_t *p = zmq_msg_data(&m);
		size_t len = zmq_msg_size(&m);
		if (len < 1 || (p[0] != 0 && p[0] != 1))
			continue;
		bool add = p[0] == 1;
		const uint8_t *prefix = p + 1;
		size_t plen = len - 1;
		size_t i;
		for (i = 0; i < b->nsubs; i++)
			if (b->subs[i].len == plen && memcmp(b->subs[i].prefix, prefix, plen) == 0)
				break;
		if (add && i == b->nsubs) {
			struct tap_sub *s = realloc(b->subs, (b->nsubs + 1) * sizeof *s);
			uint8_t *copy = malloc(plen ? plen : 1);
			if (!s || !copy) {
				free(copy);
				if (s)
					b->subs = s;
				continue;
			}
			b->subs = s;
			memcpy(copy, prefix, plen);
			b->subs[b->nsubs++] = (struct tap_sub){ copy, plen, 1 };
			hive_logf("broker", HIVE_LOG_INFO, "tap: subscription '%.*s'", (int)plen,
				  (const char *)prefix);
		} else if (add) {
			b->subs[i].count++;
		} else if (i < b->nsubs && --b->subs[i].count == 0) {
			free(b->subs[i].prefix);
			b->subs[i] = b->subs[--b->nsubs];
		}
	}
	zmq_msg_close(&m);
}

/* ---- routing -------------------------------------------------------------------------- */

static void refuse(struct broker *b, struct actor *from, uint64_t seq, const char *dest,
		   const char *reason)
{
	if (!from || !from->up)
		return;
	Hive__Undeliverable u = HIVE__UNDELIVERABLE__INIT;
	u.destination = (char *)dest;
	u.seq = seq;
	u.reason = (char *)reason;
	Hive__Envelope env = HIVE__ENVELOPE__INIT;
	env.body_case = HIVE__ENVELOPE__BODY_UNDELIVERABLE;
	env.undeliverable = &u;
	broker_send_control(b, from->rid, from->rid_len, &env);
}

/* The Envelope.seq of a packed envelope, for telling a sender which message
 * was refused without decoding the rest: field 1, varint, comes first. */
static uint64_t peek_seq(zmq_msg_t *env)
{
	const uint8_t *p = zmq_msg_data(env);
	size_t len = zmq_msg_size(env);
	uint64_t v = 0;
	if (len < 2 || p[0] != 0x08)
		return 0;
	for (size_t i = 1; i < len && i < 11; i++) {
		v |= (uint64_t)(p[i] & 0x7f) << (7 * (i - 1));
		if (!(p[i] & 0x80))
			return v;
	}
	return 0;
}

/* The permissions of the sender, on the body read from the packed bytes.
 * A refusal is counted, logged (some) and told to the sender. */
static bool permitted(struct broker *b, struct actor *from, struct actor *to, zmq_msg_t *env)
{
	struct env_peek pk;
	char why[320];
	if (env_peek(zmq_msg_data(env), zmq_msg_size(env), &pk) < 0) {
		b->malformed++;
		if (LOG_SOME(b->malformed))
			hive_logf("broker", HIVE_LOG_WARN, "dropped a message from %s to %s that "
				  "does not parse as protobuf (%llu malformed so far)", from->name,
				  to->name, (unsigned long long)b->malformed);
		refuse(b, from, 0, to->name, "the envelope does not parse as protobuf");
		return false;
	}
	if (perm_allows(&b->perms, from->name, to->name, &pk, why, sizeof why))
		return true;
	from->refused++;
	if (LOG_SOME(from->refused))
		hive_logf("broker", HIVE_LOG_WARN, "%s (%llu refused so far)", why,
			  (unsigned long long)from->refused);
	refuse(b, from, pk.seq, to->name, why);
	return false;
}

static void route(struct broker *b, struct actor *from, const char *dest, size_t dlen,
		  zmq_msg_t *env)
{
	struct actor *to = broker_entry(b, dest, dlen);
	char dname[HIVE_NAME_MAX + 1];
	memcpy(dname, dest, dlen);
	dname[dlen] = '\0';
	from->msgs_out++;
	from->bytes_out += zmq_msg_size(env);
	if (!to) {
		b->malformed++;
		refuse(b, from, peek_seq(env), dname, "the broker knows too many names");
		return;
	}
	if (to->ephemeral && !to->up) {
		refuse(b, from, peek_seq(env), to->name, "it was a tool's connection and has gone");
		return;
	}
	if (b->perms.enabled && !permitted(b, from, to, env))
		return;
	if (b->nsubs)
		tap_publish(b, from->name, to->name, env);

	zmq_msg_t src;
	zmq_msg_init_size(&src, strlen(from->name));
	memcpy(zmq_msg_data(&src), from->name, strlen(from->name));
	b->routed++;
	/* The bound counts what was delivered and not yet acknowledged too:
	 * a reader that is up but slow holds the broker's memory as surely
	 * as an absent one. */
	size_t pending = to->queue.len + to->inflight.len;
	size_t pending_bytes = to->queue.bytes + to->inflight.bytes;
	if (to->up && to->queue.len == 0 && pending < b->cfg.queue_max_msgs &&
	    pending_bytes + zmq_msg_size(env) <= b->cfg.queue_max_bytes &&
	    deliver(b, to, &src, env) == 0) {
		zmq_msg_close(&src);
		return;
	}
	if (pending >= b->cfg.queue_max_msgs ||
	    pending_bytes + zmq_msg_size(env) > b->cfg.queue_max_bytes) {
		to->dropped++;
		if (LOG_SOME(to->dropped))
			hive_logf("broker", HIVE_LOG_WARN, "queue for %s is full (%zu messages, %zu "
				  "bytes): dropped a message from %s (%llu dropped so far)", to->name,
				  pending, pending_bytes, from->name, (unsigned long long)to->dropped);
		char why[160];
		snprintf(why, sizeof why, "the queue for %s is full (%zu messages); it is %s",
			 to->name, pending, to->up ? "not keeping up" : "not running");
		refuse(b, from, peek_seq(env), to->name, why);
		zmq_msg_close(&src);
		return;
	}
	mqueue_push_back(&to->queue, &src, env);
	zmq_msg_close(&src);
}

/* Reads one message from the ROUTER and handles it. Returns 1 when one was
 * read, 0 when none waited. */
static int on_router_message(struct broker *b)
{
	zmq_msg_t part[5];
	size_t nparts = 0;
	size_t total = 0;
	bool oversized = false;
	int rc = 1;

	for (;;) {
		zmq_msg_t m;
		zmq_msg_init(&m);
		if (zmq_msg_recv(&m, b->router, nparts == 0 ? ZMQ_DONTWAIT : 0) < 0) {
			zmq_msg_close(&m);
			if (nparts == 0)
				return 0;
			break;
		}
		total++;
		bool more = zmq_msg_more(&m);
		if (zmq_msg_size(&m) > b->cfg.frame_max)
			oversized = true;
		if (nparts < 5) {
			zmq_msg_init(&part[nparts]);
			zmq_msg_move(&part[nparts++], &m);
		}
		zmq_msg_close(&m);
		if (!more)
			break;
	}

	/* [rid][dest][env] or [rid][dest][env][ack] */
	const char *why = NULL;
	if (total < 3 || total > 4)
		why = "wrong frame count";
	else if (oversized)
		why = "oversized frame";
	else if (!name_bytes_valid(zmq_msg_data(&part[1]), zmq_msg_size(&part[1])))
		why = "bad destination name";
	else if (zmq_msg_size(&part[2]) == 0)
		why = "empty envelope";
	else if (total == 4 && zmq_msg_size(&part[3]) != 8)
		why = "bad acknowledgement frame";
	if (why) {
		b->malformed++;
		if (LOG_SOME(b->malformed))
			hive_logf("broker", HIVE_LOG_WARN, "dropped a malformed message (%zu frames): "
				  "%s (%llu malformed so far)", total, why,
				  (unsigned long long)b->malformed);
		goto done;
	}

	const uint8_t *rid = zmq_msg_data(&part[0]);
	size_t rid_len = zmq_msg_size(&part[0]);
	const char *dest = zmq_msg_data(&part[1]);
	size_t dlen = zmq_msg_size(&part[1]);
	struct actor *from = broker_find_rid(b, rid, rid_len);
	if (from)
		from->last_heard_ns = hive_now_ns();

	if (dlen == 6 && memcmp(dest, "broker", 6) == 0) {
		broker_control(b, from, rid, rid_len, &part[2]);
		from = broker_find_rid(b, rid, rid_len);
	} else {
		if (!from)
			from = broker_adopt(b, rid, rid_len, &part[2]);
		if (from)
			route(b, from, dest, dlen, &part[2]);
	}
	if (from && total == 4) {
		const uint8_t *p = zmq_msg_data(&part[3]);
		uint64_t n = 0;
		for (int i = 0; i < 8; i++)
			n |= (uint64_t)p[i] << (8 * i);
		broker_ack(b, from, n);
	}
done:
	for (size_t i = 0; i < nparts; i++)
		zmq_msg_close(&part[i]);
	return rc;
}

void broker_ack(struct broker *b, struct actor *a, uint64_t received)
{
	if (received > a->delivered) {
		b->malformed++;
		hive_logf("broker", HIVE_LOG_WARN, "%s acknowledged %llu messages but was sent %llu; "
			  "ignored", a->name, (unsigned long long)received,
			  (unsigned long long)a->delivered);
		return;
	}
	while (a->acked < received && a->inflight.len) {
		mqueue_drop_front(&a->inflight);
		a->acked++;
	}
	a->acked = received;
}

/* Local actors whose process is gone are down even before anyone says so;
 * remote ones (their pid means nothing here) when they fall silent for 2.5
 * heartbeat intervals: a cut link or a stopped process, handled as a crash. */
static void check_liveness(struct broker *b)
{
	uint64_t now = hive_now_ns();
	for (size_t i = 0; i < b->nactors; i++) {
		struct actor *a = &b->actors[i];
		if (!a->up)
			continue;
		uint64_t limit_ns = (uint64_t)a->heartbeat_ms * 5 / 2 * 1000000ull;
		if (a->heartbeat_ms && now - a->last_heard_ns > limit_ns) {
			char why[128];
			snprintf(why, sizeof why, "silent for %llu ms (heartbeat every %u ms): its "
				 "link or its process is gone",
				 (unsigned long long)((now - a->last_heard_ns) / 1000000ull),
				 a->heartbeat_ms);
			broker_mark_down(b, a, why);
		} else if (!a->heartbeat_ms && !a->remote && a->pid > 0 && kill(a->pid, 0) < 0 &&
			   errno == ESRCH) {
			broker_mark_down(b, a, "its process is gone");
		}
	}
}

/* ---- life cycle ------------------------------------------------------------------------- */

static int lock_run_dir(struct broker *b)
{
	char path[4200];
	snprintf(path, sizeof path, "%s/broker.lock", b->cfg.run_dir);
	b->lock_fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (b->lock_fd < 0) {
		int err = errno;
		hive_logf("broker", HIVE_LOG_ERROR, "cannot open %s: %s", path, strerror(err));
		return -err;
	}
	if (flock(b->lock_fd, LOCK_EX | LOCK_NB) < 0) {
		hive_logf("broker", HIVE_LOG_ERROR, "another broker serves %s; stop it or choose "
			  "another --run-dir", b->cfg.run_dir);
		return -EBUSY;
	}
	return 0;
}

int broker_open(struct broker *b, const struct broker_config *cfg)
{
	memset(b, 0, sizeof *b);
	b->cfg = *cfg;
	b->lock_fd = -1;
	b->zap_fd = -1;
	int rc = hive_run_dir_prepare(cfg->run_dir);
	if (rc == 0)
		rc = lock_run_dir(b);
	if (rc < 0)
		return rc;
	b->actors = calloc(BROKER_MAX_ACTORS, sizeof *b->actors);
	b->zctx = zmq_ctx_new();
	if (!b->actors || !b->zctx)
		return -ENOMEM;
	b->router = zmq_socket(b->zctx, ZMQ_ROUTER);
	b->tap = zmq_socket(b->zctx, ZMQ_XPUB);
	int one = 1, zero = 0, linger = 0, ivl = 1000, ttl = 3000;
	int sndhwm = (int)(cfg->queue_max_msgs + 1000);
	int64_t maxmsg = (int64_t)cfg->frame_max * 2 + 1024;
	zmq_setsockopt(b->router, ZMQ_ROUTER_MANDATORY, &one, sizeof one);
	zmq_setsockopt(b->router, ZMQ_SNDHWM, &sndhwm, sizeof sndhwm);
	zmq_setsockopt(b->router, ZMQ_RCVHWM, &zero, sizeof zero);
	zmq_setsockopt(b->router, ZMQ_MAXMSGSIZE, &maxmsg, sizeof maxmsg);
	zmq_setsockopt(b->router, ZMQ_LINGER, &linger, sizeof linger);
	zmq_setsockopt(b->router, ZMQ_HEARTBEAT_IVL, &ivl, sizeof ivl);
	zmq_setsockopt(b->router, ZMQ_HEARTBEAT_TIMEOUT, &ttl, sizeof ttl);
	zmq_setsockopt(b->tap, ZMQ_XPUB_VERBOSER, &one, sizeof one);
	zmq_setsockopt(b->tap, ZMQ_MAXMSGSIZE, &maxmsg, sizeof maxmsg);
	zmq_setsockopt(b->tap, ZMQ_LINGER, &linger, sizeof linger);
	snprintf(b->endpoint, sizeof b->endpoint, "ipc://%s/broker", cfg->run_dir);
	snprintf(b->tap_endpoint, sizeof b->tap_endpoint, "ipc://%s/tap", cfg->run_dir);
	if (zmq_bind(b->router, b->endpoint) < 0 || zmq_bind(b->tap, b->tap_endpoint) < 0) {
		int err = zmq_errno();
		hive_logf("broker", HIVE_LOG_ERROR, "cannot bind %s: %s", b->endpoint,
			  zmq_strerror(err));
		return -err;
	}
	size_t fdlen = sizeof b->router_fd;
	if (zmq_getsockopt(b->router, ZMQ_FD, &b->router_fd, &fdlen) < 0 ||
	    zmq_getsockopt(b->tap, ZMQ_FD, &b->tap_fd, &fdlen) < 0)
		return -zmq_errno();
	hive_logf("broker", HIVE_LOG_INFO, "serving %s (tap %s)", b->endpoint, b->tap_endpoint);
	return broker_net_open(b);
}

void broker_close(struct broker *b)
{
	for (size_t i = 0; b->actors && i < b->nactors; i++) {
		mqueue_fini(&b->actors[i].queue);
		mqueue_fini(&b->actors[i].inflight);
		free(b->actors[i].snapshot);
	}
	free(b->actors);
	for (size_t i = 0; i < b->nsubs; i++)
		free(b->subs[i].prefix);
	free(b->subs);
	free(b->txbuf);
	broker_net_close(b);
	if (b->router)
		zmq_close(b->router);
	if (b->tap)
		zmq_close(b->tap);
	if (b->zctx)
		zmq_ctx_term(b->zctx);
	if (b->lock_fd >= 0) {
		char path[4200];
		snprintf(path, sizeof path, "%s/broker", b->cfg.run_dir);
		unlink(path);
		snprintf(path, sizeof path, "%s/tap", b->cfg.run_dir);
		unlink(path);
		close(b->lock_fd);
	}
	memset(b, 0, sizeof *b);
	b->lock_fd = -1;
}

/* Forgets the tools that have gone. Done between messages, never while a
 * handler holds pointers into the table. */
static void forget_gone_tools(struct broker *b)
{
	for (size_t i = 0; i < b->nactors;) {
		struct actor *a = &b->actors[i];
		if (!a->ephemeral || a->up) {
			i++;
			continue;
		}
		mqueue_fini(&a->queue);
		mqueue_fini(&a->inflight);
		free(a->snapshot);
		b->actors[i] = b->actors[--b->nactors];
	}
}

static bool any_blocked(const struct broker *b)
{
	for (size_t i = 0; i < b->nactors; i++)
		if (b->actors[i].up && b->actors[i].blocked)
			return true;
	return false;
}

int broker_run(struct broker *b)
{
	uint64_t next_liveness = hive_now_ns() + LIVENESS_PERIOD_NS;
	for (;;) {
		struct pollfd fds[3] = {
			{ .fd = b->router_fd, .events = POLLIN },
			{ .fd = b->tap_fd, .events = POLLIN },
			{ .fd = b->zap_fd, .events = POLLIN },
		};
		bool router_ready = hive_zsock_readable(b->router);
		bool tap_ready = hive_zsock_readable(b->tap);
		bool zap_ready = b->zap && hive_zsock_readable(b->zap);
		bool blocked = any_blocked(b);
		uint64_t now = hive_now_ns();
		int timeout = blocked ? 1 : (int)((next_liveness - now) / 1000000ull) + 1;
		if (now >= next_liveness || router_ready || tap_ready || zap_ready)
			timeout = 0;
		int rc = poll(fds, b->zap ? 3 : 2, timeout);
		if (hive_signal_received())
			return 0;
		if (rc < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (tap_ready || fds[1].revents)
			on_tap_subscription(b);
		if (b->zap && (zap_ready || fds[2].revents))
			broker_on_zap(b);
		if (router_ready || fds[0].revents)
			for (int i = 0; i < 1024 && on_router_message(b) > 0; i++)
				;
		if (blocked)
			for (size_t i = 0; i < b->nactors; i++)
				if (b->actors[i].blocked)
					broker_flush(b, &b->actors[i]);
		forget_gone_tools(b);
		if (hive_now_ns() >= next_liveness) {
			check_liveness(b);
			next_liveness = hive_now_ns() + LIVENESS_PERIOD_NS;
		}
	}
}
