/* The actor runtime: broker connection, registration, send, the poll loop
 * with timers and extra file descriptors, acknowledgements. */
#include <assert.h>
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <zmq.h>

#include "arena.h"
#include "hive.h"

#define HANDLER_SLOTS 128  /* body case numbers are below this */
#define RECV_BATCH 256     /* messages per loop turn before fds and timers */
#define ACTOR_HWM 100000

/* The only process-wide state: set by SIGINT/SIGTERM, read by every loop. */
static volatile sig_atomic_t hive_signalled;

struct timer {
	int id;
	uint64_t due_ns;
	uint64_t period_ns;
	hive_timer_fn fn;
	void *arg;
};

struct fd_watch {
	int fd;
	short events;
	hive_fd_fn fn;
	void *arg;
};

struct handler {
	hive_msg_fn fn;
	void *arg;
};

struct setting {
	char *key;
	char *value;
};

struct hive_actor {
	char name[HIVE_NAME_MAX + 1];
	char endpoint[4200];
	void *zctx;
	void *sock;
	void *monitor;      /* connection events of sock */
	bool broker_lost;   /* disconnected since the last Welcome */
	bool ready_sent;
	struct hive_actor_config cfg; /* for registering again */
	size_t frame_max;
	uint8_t *txbuf;
	struct arena arena;

	uint64_t seq;       /* last Envelope.seq sent */
	uint64_t received;  /* routed messages consumed since Welcome */
	uint64_t acked;     /* last count told to the broker */

	bool restarted;
	uint32_t incarnation;
	uint8_t *snapshot;
	size_t snapshot_len;
	bool stop;

	struct handler handlers[HANDLER_SLOTS];
	uint64_t unhandled;

	struct timer *timers;
	size_t ntimers, captimers;
	int next_timer_id;

	struct fd_watch *fds;
	size_t nfds, capfds;
	zmq_pollitem_t *items;
	size_t capitems;

	struct setting *settings;
	size_t nsettings;
};

static void on_signal(int sig)
{
	(void)sig;
	hive_signalled = 1;
}

void hive_signals_install(void)
{
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
}

bool hive_signal_received(void)
{
	return hive_signalled != 0;
}

void hive_log(const struct hive_actor *a, enum hive_log_level lvl, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	hive_vlog(a ? a->name : "hive", lvl, fmt, ap);
	va_end(ap);
}

const char *hive_actor_name(const struct hive_actor *a)
{
	return a->name;
}

bool hive_actor_restarted(const struct hive_actor *a)
{
	return a->restarted;
}

const uint8_t *hive_actor_snapshot(const struct hive_actor *a, size_t *len)
{
	*len = a->snapshot_len;
	return a->snapshot;
}

const char *hive_config(const struct hive_actor *a, const char *key)
{
	/* The last --set of a key wins. */
	for (size_t i = a->nsettings; i-- > 0;)
		if (strcmp(a->settings[i].key, key) == 0)
			return a->settings[i].value;
	return NULL;
}

uint64_t hive_config_u64(const struct hive_actor *a, const char *key, uint64_t def, int *err)
{
	const char *v = hive_config(a, key);
	if (err)
		*err = 0;
	if (!v)
		return def;
	char *end;
	errno = 0;
	unsigned long long n = strtoull(v, &end, 0);
	if (errno || end == v || *end || *v == '-') {
		hive_log(a, HIVE_LOG_ERROR, "--set %s=%s: not a number", key, v);
		if (err)
			*err = -EINVAL;
		return def;
	}
	return n;
}

/* ---- sending ----------------------------------------------------------------- */

/* Sends [dest][env] and, when the broker has not heard our count yet, the ack
 * frame. */
static int send_frames(struct hive_actor *a, const char *dest, const uint8_t *buf, size_t len)
{
	bool with_ack = a->received != a->acked;
	if (zmq_send(a->sock, dest, strlen(dest), ZMQ_SNDMORE | ZMQ_DONTWAIT) < 0)
		return -zmq_errno();
	/* Once the first frame is queued the rest of the message cannot fail on
	 * HWM: ZeroMQ sends multi-part messages atomically. */
	if (zmq_send(a->sock, buf, len, (with_ack ? ZMQ_SNDMORE : 0)) < 0)
		return -zmq_errno();
	if (with_ack) {
		uint8_t ack[8];
		for (int i = 0; i < 8; i++)
			ack[i] = (uint8_t)(a->received >> (8 * i));
		if (zmq_send(a->sock, ack, sizeof ack, 0) < 0)
			return -zmq_errno();
		a->acked = a->received;
	}
	return 0;
}

int hive_send(struct hive_actor *a, const char *dest, Hive__Envelope *env)
{
	if (!hive_name_valid(dest)) {
		hive_log(a, HIVE_LOG_ERROR, "send: '%s' is not a valid actor name", dest ? dest : "");
		return -EINVAL;
	}
	env->seq = ++a->seq;
	env->sent_ns = hive_now_ns();
	size_t len = protobuf_c_message_get_packed_size(&env->base);
	if (len > a->frame_max) {
		hive_log(a, HIVE_LOG_ERROR, "send to %s: %s envelope of %zu bytes exceeds the %zu-byte "
			 "frame limit", dest, hive_body_name(env->body_case), len, a->frame_max);
		return -EMSGSIZE;
	}
	protobuf_c_message_pack(&env->base, a->txbuf);
	int rc = send_frames(a, dest, a->txbuf, len);
	if (rc == -EAGAIN)
		hive_log(a, HIVE_LOG_WARN, "send to %s: pipe to the broker is full (%d messages); "
			 "back-pressure", dest, ACTOR_HWM);
	else if (rc < 0)
		hive_log(a, HIVE_LOG_ERROR, "send to %s: %s", dest, zmq_strerror(-rc));
	if (rc == 0 && hive_log_threshold() >= HIVE_LOG_TRACE)
		hive_log(a, HIVE_LOG_TRACE, ">>> %s to %s seq=%llu len=%zu",
			 hive_body_name(env->body_case), dest, (unsigned long long)env->seq, len);
	return rc;
}

static int send_ack(struct hive_actor *a)
{
	Hive__Ack ack = HIVE__ACK__INIT;
	ack.received = a->received;
	Hive__Envelope env = HIVE__ENVELOPE__INIT;
	env.body_case = HIVE__ENVELOPE__BODY_ACK;
	env.ack = &ack;
	a->acked = a->received; /* the Ack carries it; no frame needed */
	return hive_send(a, "broker", &env);
}

int hive_snapshot_save(struct hive_actor *a, const void *data, size_t len)
{
	Hive__SnapshotSave s = HIVE__SNAPSHOT_SAVE__INIT;
	s.data.data = (uint8_t *)data;
	s.data.len = len;
	Hive__Envelope env = HIVE__ENVELOPE__INIT;
	env.body_case = HIVE__ENVELOPE__BODY_SNAPSHOT_SAVE;
	env.snapshot_save = &s;
	return hive_send(a, "broker", &env);
}

int hive_actor_ready(struct hive_actor *a)
{
	a->ready_sent = true;
	Hive__Ready r = HIVE__READY__INIT;
	Hive__Envelope env = HIVE__ENVELOPE__INIT;
	env.body_case = HIVE__ENVELOPE__BODY_READY;
	env.ready = &r;
	return hive_send(a, "broker", &env);
}

/* ---- receiving ---------------------------------------------------------------- */

void hive_on(struct hive_actor *a, Hive__Envelope__BodyCase body, hive_msg_fn fn, void *arg)
{
	assert((unsigned)body < HANDLER_SLOTS);
	a->handlers[body].fn = fn;
	a->handlers[body].arg = arg;
}

static void take_welcome(struct hive_actor *a, const Hive__Welcome *w)
{
	a->restarted = w->restarted;
	a->incarnation = w->incarnation;
	free(a->snapshot);
	a->snapshot = NULL;
	a->snapshot_len = 0;
	if (w->has_snapshot && w->snapshot.len) {
		a->snapshot = malloc(w->snapshot.len);
		if (a->snapshot) {
			memcpy(a->snapshot, w->snapshot.data, w->snapshot.len);
			a->snapshot_len = w->snapshot.len;
		}
	}
	a->received = 0;
	a->acked = 0;
}

static void answer_echo(struct hive_actor *a, const char *source, const Hive__Request *req)
{
	Hive__Result res = HIVE__RESULT__INIT;
	res.id = req->id;
	res.value_case = HIVE__RESULT__VALUE_ECHO;
	res.echo = req->echo;
	Hive__Envelope env = HIVE__ENVELOPE__INIT;
	env.body_case = HIVE__ENVELOPE__BODY_RESULT;
	env.result = &res;
	hive_send(a, source, &env);
}

/* Dispatches one envelope by body case. Control messages from the broker are
 * the runtime's own; a Request for echo is answered here for every actor. */
static void dispatch(struct hive_actor *a, const char *source, const Hive__Envelope *env)
{
	bool from_broker = strcmp(source, "broker") == 0;
	if (!from_broker)
		a->received++;
	if (hive_log_threshold() >= HIVE_LOG_TRACE)
		hive_log(a, HIVE_LOG_TRACE, "<<< %s from %s seq=%llu", hive_body_name(env->body_case),
			 source, (unsigned long long)env->seq);

	if (from_broker && env->body_case == HIVE__ENVELOPE__BODY_WELCOME) {
		/* A broker that restarted registered us again from our routing id. */
		take_welcome(a, env->welcome);
		hive_log(a, HIVE_LOG_WARN, "broker registered us again (incarnation %u)",
			 a->incarnation);
		if (a->ready_sent)
			hive_actor_ready(a);
	} else if (env->body_case == HIVE__ENVELOPE__BODY_STOP &&
		   (from_broker || strcmp(source, "launcher") == 0)) {
		hive_log(a, HIVE_LOG_INFO, "stop asked by %s: %s", source,
			 env->stop->reason[0] ? env->stop->reason : "no reason given");
		a->stop = true;
		return;
	} else if (env->body_case == HIVE__ENVELOPE__BODY_REQUEST &&
		   env->request->op_case == HIVE__REQUEST__OP_ECHO) {
		answer_echo(a, source, env->request);
		return;
	}

	unsigned c = (unsigned)env->body_case;
	if (c < HANDLER_SLOTS && a->handlers[c].fn) {
		a->handlers[c].fn(a, source, env, a->handlers[c].arg);
		return;
	}
	if (env->body_case == HIVE__ENVELOPE__BODY_UNDELIVERABLE) {
		const Hive__Undeliverable *u = env->undeliverable;
		hive_log(a, HIVE_LOG_WARN, "message seq=%llu to %s was not delivered: %s",
			 (unsigned long long)u->seq, u->destination, u->reason);
	} else if (env->body_case != HIVE__ENVELOPE__BODY_WELCOME) {
		a->unhandled++;
		hive_log(a, HIVE_LOG_DEBUG, "no handler for %s from %s; dropped",
			 hive_body_name(env->body_case), source);
	}
}

/* Receives one [source][envelope] message without waiting. Returns 1 when
 * one was handled, 0 when none was waiting, -errno on failure. */
static int recv_one(struct hive_actor *a, Hive__Envelope **out, char *source, size_t source_cap)
{
	zmq_msg_t part;
	int nparts = 0;
	int rc = 0;
	size_t src_len = 0;
	Hive__Envelope *env = NULL;
	bool bad = false;

	zmq_msg_init(&part);
	for (;;) {
		if (zmq_msg_recv(&part, a->sock, nparts == 0 ? ZMQ_DONTWAIT : 0) < 0) {
			rc = zmq_errno() == EAGAIN ? 0 : -zmq_errno();
			break;
		}
		size_t len = zmq_msg_size(&part);
		if (nparts == 0) {
			src_len = len < source_cap ? len : source_cap - 1;
			memcpy(source, zmq_msg_data(&part), src_len);
			source[src_len] = '\0';
			bad = len >= source_cap || len == 0;
		} else if (nparts == 1 && !bad) {
			if (len > a->frame_max) {
				bad = true;
			} else {
				env = hive__envelope__unpack(&a->arena.allocator, len, zmq_msg_data(&part));
				bad = env == NULL;
			}
		}
		nparts++;
		if (!zmq_msg_more(&part))
			break;
	}
	zmq_msg_close(&part);
	if (nparts == 0)
		return rc;
	if (bad || nparts != 2) {
		hive_log(a, HIVE_LOG_WARN, "dropped a malformed message (%d frames) from %s", nparts,
			 source);
		arena_reset(&a->arena);
		return 1;
	}
	*out = env;
	return 1;
}

/* ---- timers and fds ---------------------------------------------------------- */

int hive_timer_start(struct hive_actor *a, uint64_t delay_ms, uint64_t period_ms,
		     hive_timer_fn fn, void *arg)
{
	if (a->ntimers == a->captimers) {
		size_t cap = a->captimers ? a->captimers * 2 : 8;
		struct timer *t = realloc(a->timers, cap * sizeof *t);
		if (!t)
			return -ENOMEM;
		a->timers = t;
		a->captimers = cap;
	}
	if (a->next_timer_id <= 0)
		a->next_timer_id = 1;
	struct timer *t = &a->timers[a->ntimers++];
	t->id = a->next_timer_id++;
	t->due_ns = hive_now_ns() + delay_ms * 1000000ull;
	t->period_ns = period_ms * 1000000ull;
	t->fn = fn;
	t->arg = arg;
	return t->id;
}

void hive_timer_cancel(struct hive_actor *a, int id)
{
	for (size_t i = 0; i < a->ntimers; i++) {
		if (a->timers[i].id == id) {
			a->timers[i] = a->timers[--a->ntimers];
			return;
		}
	}
}

/* Fires every due timer once. A callback may start or cancel timers, so the
 * due one is found again by id after each call. */
static bool fire_timers(struct hive_actor *a)
{
	uint64_t now = hive_now_ns();
	bool fired = false;
	int ids[64];
	size_t n = 0;
	for (size_t i = 0; i < a->ntimers && n < 64; i++)
		if (a->timers[i].due_ns <= now)
			ids[n++] = a->timers[i].id;
	for (size_t k = 0; k < n; k++) {
		for (size_t i = 0; i < a->ntimers; i++) {
			struct timer *t = &a->timers[i];
			if (t->id != ids[k])
				continue;
			hive_timer_fn fn = t->fn;
			void *arg = t->arg;
			if (t->period_ns)
				t->due_ns = now + t->period_ns;
			else
				*t = a->timers[--a->ntimers];
			fn(a, arg);
			fired = true;
			break;
		}
	}
	return fired;
}

static int next_timeout_ms(const struct hive_actor *a, int timeout_ms)
{
	if (a->ntimers == 0)
		return timeout_ms;
	uint64_t now = hive_now_ns();
	uint64_t soonest = UINT64_MAX;
	for (size_t i = 0; i < a->ntimers; i++)
		if (a->timers[i].due_ns < soonest)
			soonest = a->timers[i].due_ns;
	int ms = soonest <= now ? 0 : (int)((soonest - now + 999999) / 1000000);
	if (timeout_ms >= 0 && timeout_ms < ms)
		return timeout_ms;
	return ms;
}

int hive_fd_watch(struct hive_actor *a, int fd, short events, hive_fd_fn fn, void *arg)
{
	for (size_t i = 0; i < a->nfds; i++)
		if (a->fds[i].fd == fd)
			return -EEXIST;
	if (a->nfds == a->capfds) {
		size_t cap = a->capfds ? a->capfds * 2 : 4;
		struct fd_watch *f = realloc(a->fds, cap * sizeof *f);
		if (!f)
			return -ENOMEM;
		a->fds = f;
		a->capfds = cap;
	}
	a->fds[a->nfds++] = (struct fd_watch){ fd, events, fn, arg };
	return 0;
}

int hive_fd_unwatch(struct hive_actor *a, int fd)
{
	for (size_t i = 0; i < a->nfds; i++) {
		if (a->fds[i].fd == fd) {
			memmove(&a->fds[i], &a->fds[i + 1], (a->nfds - i - 1) * sizeof a->fds[0]);
			a->nfds--;
			return 0;
		}
	}
	return -ENOENT;
}

/* ---- the loop ------------------------------------------------------------------ */

static int say_hello(struct hive_actor *a, const struct hive_actor_config *cfg);

/* A broker that went away and came back (restarted, or a connection that
 * broke) does not know us: register again, and say ready again. */
static void on_monitor_event(struct hive_actor *a)
{
	zmq_msg_t m;
	zmq_msg_init(&m);
	while (zmq_msg_recv(&m, a->monitor, ZMQ_DONTWAIT) >= 0) {
		bool first = zmq_msg_more(&m) && zmq_msg_size(&m) >= 2;
		uint16_t event = 0;
		if (first)
			memcpy(&event, zmq_msg_data(&m), sizeof event);
		/* Skip the address frame. */
		while (zmq_msg_more(&m) && zmq_msg_recv(&m, a->monitor, 0) >= 0)
			;
		if (event == ZMQ_EVENT_DISCONNECTED && !a->broker_lost) {
			a->broker_lost = true;
			hive_log(a, HIVE_LOG_WARN, "lost the broker at %s; reconnecting", a->endpoint);
		} else if (event == ZMQ_EVENT_CONNECTED && a->broker_lost) {
			a->broker_lost = false;
			hive_log(a, HIVE_LOG_INFO, "broker back at %s; registering again", a->endpoint);
			struct hive_actor_config again = a->cfg;
			again.replace = false;
			say_hello(a, &again);
		}
	}
	zmq_msg_close(&m);
}

static int drain_socket(struct hive_actor *a)
{
	char source[HIVE_NAME_MAX + 2];
	int handled = 0;
	for (int i = 0; i < RECV_BATCH && !a->stop; i++) {
		Hive__Envelope *env = NULL;
		int rc = recv_one(a, &env, source, sizeof source);
		if (rc <= 0)
			return handled ? handled : rc;
		if (env)
			dispatch(a, source, env);
		arena_reset(&a->arena);
		handled++;
	}
	return handled;
}

int hive_run_once(struct hive_actor *a, int timeout_ms)
{
	if (a->stop || hive_signalled) {
		a->stop = true;
		return -ECANCELED;
	}
	size_t n = 2 + a->nfds;
	if (n > a->capitems) {
		zmq_pollitem_t *it = realloc(a->items, n * sizeof *it);
		if (!it)
			return -ENOMEM;
		a->items = it;
		a->capitems = n;
	}
	a->items[0] = (zmq_pollitem_t){ .socket = a->sock, .events = ZMQ_POLLIN };
	a->items[1] = (zmq_pollitem_t){ .socket = a->monitor, .events = ZMQ_POLLIN };
	for (size_t i = 0; i < a->nfds; i++)
		a->items[2 + i] = (zmq_pollitem_t){ .fd = a->fds[i].fd, .events = a->fds[i].events };

	int rc = zmq_poll(a->items, (int)n, next_timeout_ms(a, timeout_ms));
	if (rc < 0) {
		if (zmq_errno() == EINTR)
			return hive_signalled ? (a->stop = true, -ECANCELED) : 0;
		return -zmq_errno();
	}
	int did = 0;
	if (a->items[1].revents & ZMQ_POLLIN)
		on_monitor_event(a);
	if (a->items[0].revents & ZMQ_POLLIN) {
		int r = drain_socket(a);
		if (r < 0 && r != -EAGAIN)
			return r;
		did |= r > 0;
	}
	/* Callbacks may watch or unwatch fds: match revents by fd, not index. */
	for (size_t i = 2; i < n && !a->stop; i++) {
		short rev = a->items[i].revents;
		if (!rev)
			continue;
		for (size_t k = 0; k < a->nfds; k++) {
			if (a->fds[k].fd == a->items[i].fd) {
				a->fds[k].fn(a, a->fds[k].fd, rev, a->fds[k].arg);
				did = 1;
				break;
			}
		}
	}
	if (!a->stop)
		did |= fire_timers(a);
	if (a->received != a->acked)
		send_ack(a);
	return did;
}

int hive_run(struct hive_actor *a)
{
	for (;;) {
		int rc = hive_run_once(a, -1);
		if (rc == -ECANCELED)
			return 0;
		if (rc < 0) {
			hive_log(a, HIVE_LOG_ERROR, "loop failed: %s", zmq_strerror(-rc));
			return rc;
		}
	}
}

void hive_actor_stop(struct hive_actor *a)
{
	a->stop = true;
}

bool hive_actor_stopping(const struct hive_actor *a)
{
	return a->stop || hive_signalled;
}

/* ---- registration ---------------------------------------------------------------- */

static int say_hello(struct hive_actor *a, const struct hive_actor_config *cfg)
{
	Hive__Hello h = HIVE__HELLO__INIT;
	h.name = a->name;
	h.pid = (uint32_t)getpid();
	h.replace = cfg->replace;
	h.ephemeral = cfg->ephemeral;
	h.reliable = true;
	char prog[256] = "";
	ssize_t n = readlink("/proc/self/exe", prog, sizeof prog - 1);
	if (n > 0)
		prog[n] = '\0';
	h.program = prog;
	Hive__Envelope env = HIVE__ENVELOPE__INIT;
	env.body_case = HIVE__ENVELOPE__BODY_HELLO;
	env.hello = &h;
	return hive_send(a, "broker", &env);
}

/* Waits for the broker's Welcome. Returns 0, -ETIMEDOUT, -EEXIST. */
static int await_welcome(struct hive_actor *a, int timeout_ms)
{
	uint64_t deadline = hive_now_ns() + (uint64_t)timeout_ms * 1000000ull;
	char source[HIVE_NAME_MAX + 2];
	for (;;) {
		uint64_t now = hive_now_ns();
		if (hive_signalled)
			return -ECANCELED;
		if (now >= deadline)
			return -ETIMEDOUT;
		zmq_pollitem_t it = { .socket = a->sock, .events = ZMQ_POLLIN };
		int rc = zmq_poll(&it, 1, (long)((deadline - now) / 1000000ull) + 1);
		if (rc < 0 && zmq_errno() != EINTR)
			return -zmq_errno();
		if (rc <= 0)
			continue;
		Hive__Envelope *env = NULL;
		rc = recv_one(a, &env, source, sizeof source);
		if (rc < 0)
			return rc;
		if (!env)
			continue;
		int result = 1;
		if (strcmp(source, "broker") == 0 && env->body_case == HIVE__ENVELOPE__BODY_WELCOME) {
			if (env->welcome->accepted) {
				take_welcome(a, env->welcome);
				result = 0;
			} else {
				hive_log(a, HIVE_LOG_ERROR, "the broker refused the name '%s': %s", a->name,
					 env->welcome->error);
				result = -EEXIST;
			}
		} else {
			hive_log(a, HIVE_LOG_WARN, "%s from %s before registration; dropped",
				 hive_body_name(env->body_case), source);
		}
		arena_reset(&a->arena);
		if (result <= 0)
			return result;
	}
}

static int actor_connect(struct hive_actor *a, const struct hive_actor_config *cfg)
{
	char run_dir[4096];
	if (cfg->endpoint) {
		snprintf(a->endpoint, sizeof a->endpoint, "%s", cfg->endpoint);
	} else {
		const char *dir = cfg->run_dir ? cfg->run_dir
					       : hive_default_run_dir(run_dir, sizeof run_dir);
		snprintf(a->endpoint, sizeof a->endpoint, "ipc://%s/broker", dir);
	}
	a->zctx = zmq_ctx_new();
	if (!a->zctx)
		return -ENOMEM;
	a->sock = zmq_socket(a->zctx, ZMQ_DEALER);
	if (!a->sock)
		return -zmq_errno();

	char rid[HIVE_NAME_MAX + 48];
	unsigned nonce = (unsigned)(hive_now_ns() ^ ((uint64_t)getpid() << 20));
	int rid_len = snprintf(rid, sizeof rid, "%s#%d#%08x", a->name, (int)getpid(), nonce);
	int hwm = ACTOR_HWM, linger = 1000;
	int64_t maxmsg = (int64_t)a->frame_max + 256;
	zmq_setsockopt(a->sock, ZMQ_ROUTING_ID, rid, (size_t)rid_len);
	zmq_setsockopt(a->sock, ZMQ_SNDHWM, &hwm, sizeof hwm);
	zmq_setsockopt(a->sock, ZMQ_RCVHWM, &hwm, sizeof hwm);
	zmq_setsockopt(a->sock, ZMQ_LINGER, &linger, sizeof linger);
	zmq_setsockopt(a->sock, ZMQ_MAXMSGSIZE, &maxmsg, sizeof maxmsg);
	char mon[64];
	snprintf(mon, sizeof mon, "inproc://hive-monitor-%p", (void *)a);
	if (zmq_socket_monitor(a->sock, mon, ZMQ_EVENT_CONNECTED | ZMQ_EVENT_DISCONNECTED) < 0)
		return -zmq_errno();
	a->monitor = zmq_socket(a->zctx, ZMQ_PAIR);
	if (!a->monitor || zmq_setsockopt(a->monitor, ZMQ_LINGER, &linger, sizeof linger) < 0 ||
	    zmq_connect(a->monitor, mon) < 0)
		return -zmq_errno();
	if (zmq_connect(a->sock, a->endpoint) < 0) {
		int err = zmq_errno();
		hive_log(a, HIVE_LOG_ERROR, "cannot connect to the broker at %s: %s", a->endpoint,
			 zmq_strerror(err));
		return -err;
	}
	return 0;
}

int hive_actor_new(struct hive_actor **out, const struct hive_actor_config *cfg)
{
	*out = NULL;
	if (!hive_name_valid(cfg->name)) {
		hive_logf("hive", HIVE_LOG_ERROR, "'%s' is not a valid actor name: use 1 to %d of "
			  "A-Z a-z 0-9 _ - .", cfg->name ? cfg->name : "", HIVE_NAME_MAX);
		return -EINVAL;
	}
	struct hive_actor *a = calloc(1, sizeof *a);
	if (!a)
		return -ENOMEM;
	snprintf(a->name, sizeof a->name, "%s", cfg->name);
	a->cfg = *cfg;
	a->cfg.name = a->name;
	a->cfg.run_dir = NULL;
	a->cfg.endpoint = NULL;
	a->frame_max = cfg->frame_max ? cfg->frame_max : HIVE_FRAME_MAX_DEFAULT;
	a->txbuf = malloc(a->frame_max);
	arena_init(&a->arena);
	int rc = a->txbuf ? actor_connect(a, cfg) : -ENOMEM;
	if (rc == 0)
		rc = say_hello(a, cfg);
	if (rc == 0) {
		int timeout = cfg->register_timeout_ms ? cfg->register_timeout_ms
						       : HIVE_REGISTER_TIMEOUT_MS;
		rc = await_welcome(a, timeout);
		if (rc == -ETIMEDOUT)
			hive_log(a, HIVE_LOG_ERROR, "no broker answered at %s within %d ms; is the "
				 "graph running (hive-launch) and is --run-dir right?", a->endpoint,
				 timeout);
	}
	if (rc < 0) {
		int linger = 0;
		if (a->sock)
			zmq_setsockopt(a->sock, ZMQ_LINGER, &linger, sizeof linger);
		hive_actor_destroy(&a);
		return rc;
	}
	*out = a;
	return 0;
}

/* Waits until the broker has processed everything this connection sent:
 * a Status request answered after our goodbye proves it, since the broker
 * handles one connection's messages in order. Without this, a process that
 * registers the name again at once could overtake its own goodbye. What
 * arrives meanwhile is not consumed: it goes to the next incarnation. */
static void await_goodbye(struct hive_actor *a)
{
	Hive__StatusRequest req = HIVE__STATUS_REQUEST__INIT;
	Hive__Envelope env = HIVE__ENVELOPE__INIT;
	env.body_case = HIVE__ENVELOPE__BODY_STATUS_REQUEST;
	env.status_request = &req;
	if (hive_send(a, "broker", &env) < 0)
		return;
	uint64_t deadline = hive_now_ns() + 1000ull * 1000000ull;
	zmq_msg_t src, body;
	zmq_msg_init(&src);
	zmq_msg_init(&body);
	for (;;) {
		uint64_t now = hive_now_ns();
		if (now >= deadline)
			break;
		zmq_pollitem_t it = { .socket = a->sock, .events = ZMQ_POLLIN };
		if (zmq_poll(&it, 1, (long)((deadline - now) / 1000000ull) + 1) <= 0)
			continue;
		if (zmq_msg_recv(&src, a->sock, ZMQ_DONTWAIT) < 0)
			continue;
		bool from_broker = zmq_msg_size(&src) == 6 && memcmp(zmq_msg_data(&src), "broker", 6) == 0;
		bool is_status = false;
		while (zmq_msg_more(&src) && zmq_msg_recv(&body, a->sock, 0) >= 0) {
			Hive__Envelope *e = hive__envelope__unpack(&a->arena.allocator,
								   zmq_msg_size(&body),
								   zmq_msg_data(&body));
			is_status |= e && e->body_case == HIVE__ENVELOPE__BODY_STATUS;
			arena_reset(&a->arena);
			if (!zmq_msg_more(&body))
				break;
		}
		if (from_broker && is_status)
			break;
	}
	zmq_msg_close(&src);
	zmq_msg_close(&body);
}

void hive_actor_destroy(struct hive_actor **self_p)
{
	struct hive_actor *a = *self_p;
	if (!a)
		return;
	if (a->sock && a->incarnation) {
		/* Tell the broker at once; what we did not consume goes to the next
		 * incarnation of the name. */
		if (a->received != a->acked)
			send_ack(a);
		Hive__ActorExited x = HIVE__ACTOR_EXITED__INIT;
		x.name = a->name;
		x.pid = (uint32_t)getpid();
		x.how = "clean exit";
		Hive__Envelope env = HIVE__ENVELOPE__INIT;
		env.body_case = HIVE__ENVELOPE__BODY_ACTOR_EXITED;
		env.actor_exited = &x;
		if (hive_send(a, "broker", &env) == 0)
			await_goodbye(a);
	}
	if (a->monitor)
		zmq_close(a->monitor);
	if (a->sock) {
		zmq_socket_monitor(a->sock, NULL, 0);
		zmq_close(a->sock);
	}
	if (a->zctx)
		zmq_ctx_term(a->zctx);
	arena_fini(&a->arena);
	for (size_t i = 0; i < a->nsettings; i++) {
		free(a->settings[i].key);
		free(a->settings[i].value);
	}
	free(a->settings);
	free(a->txbuf);
	free(a->snapshot);
	free(a->timers);
	free(a->fds);
	free(a->items);
	free(a);
	*self_p = NULL;
}

/* ---- command line ------------------------------------------------------------------- */

static int add_setting(struct setting **list, size_t *n, const char *kv)
{
	const char *eq = strchr(kv, '=');
	if (!eq || eq == kv) {
		hive_logf("hive", HIVE_LOG_ERROR, "--set %s: expected KEY=VALUE", kv);
		return -EINVAL;
	}
	struct setting *l = realloc(*list, (*n + 1) * sizeof *l);
	if (!l)
		return -ENOMEM;
	*list = l;
	l[*n].key = strndup(kv, (size_t)(eq - kv));
	l[*n].value = strdup(eq + 1);
	if (!l[*n].key || !l[*n].value) {
		free(l[*n].key);
		free(l[*n].value);
		return -ENOMEM;
	}
	(*n)++;
	return 0;
}

/* Matches "--opt VALUE" and "--opt=VALUE"; advances *i past what it used. */
static const char *opt_value(int argc, char **argv, int *i, const char *opt, bool *missing)
{
	size_t n = strlen(opt);
	const char *arg = argv[*i];
	if (strncmp(arg, opt, n) != 0)
		return NULL;
	if (arg[n] == '=')
		return arg + n + 1;
	if (arg[n] != '\0')
		return NULL;
	if (*i + 1 >= argc) {
		*missing = true;
		return NULL;
	}
	return argv[++*i];
}

int hive_actor_from_args(struct hive_actor **out, int argc, char **argv,
			 const char *default_name, int *argc_rest)
{
	struct hive_actor_config cfg = { .name = default_name };
	struct setting *settings = NULL;
	size_t nsettings = 0;
	int rest = 1;
	int rc = 0;
	*out = NULL;

	for (int i = 1; i < argc && rc == 0; i++) {
		bool missing = false;
		const char *v;
		if ((v = opt_value(argc, argv, &i, "--name", &missing)))
			cfg.name = v;
		else if (!missing && (v = opt_value(argc, argv, &i, "--run-dir", &missing)))
			cfg.run_dir = v;
		else if (!missing && (v = opt_value(argc, argv, &i, "--broker", &missing)))
			cfg.endpoint = v;
		else if (!missing && (v = opt_value(argc, argv, &i, "--set", &missing)))
			rc = add_setting(&settings, &nsettings, v);
		else if (!missing && (v = opt_value(argc, argv, &i, "--log-level", &missing))) {
			enum hive_log_level lvl;
			if (hive_log_level_parse(v, &lvl) < 0) {
				hive_logf(cfg.name, HIVE_LOG_ERROR, "--log-level %s: use error, warn, "
					  "info, debug or trace", v);
				rc = -EINVAL;
			} else {
				hive_log_set_threshold(lvl);
			}
		} else if (!missing && strcmp(argv[i], "--replace") == 0)
			cfg.replace = true;
		else if (missing) {
			hive_logf(cfg.name, HIVE_LOG_ERROR, "%s needs a value", argv[i]);
			rc = -EINVAL;
		} else if (argc_rest) {
			argv[rest++] = argv[i];
		} else {
			hive_logf(cfg.name, HIVE_LOG_ERROR, "unknown option %s", argv[i]);
			rc = -EINVAL;
		}
	}
	if (argc_rest)
		*argc_rest = rest;
	hive_signals_install();
	if (rc == 0)
		rc = hive_actor_new(out, &cfg);
	if (rc == 0) {
		(*out)->settings = settings;
		(*out)->nsettings = nsettings;
		return 0;
	}
	for (size_t i = 0; i < nsettings; i++) {
		free(settings[i].key);
		free(settings[i].value);
	}
	free(settings);
	return rc;
}
