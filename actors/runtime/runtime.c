/* The actor runtime: broker connection, registration, send, receive and
 * dispatch, acknowledgements, the goodbye. */
#include <assert.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <zmq.h>

#include "runtime_internal.h"

/* The only process-wide state: set by SIGINT/SIGTERM, read by every loop. */
static volatile sig_atomic_t hive_signalled;

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
	a->last_send_ns = hive_now_ns();
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

int runtime_send_ack(struct hive_actor *a)
{
	Hive__Ack ack = HIVE__ACK__INIT;
	ack.received = a->received;
	Hive__Envelope env = HIVE__ENVELOPE__INIT;
	env.body_case = HIVE__ENVELOPE__BODY_ACK;
	env.ack = &ack;
	a->acked = a->received; /* the Ack carries it; no frame needed */
	return hive_send(a, "broker", &env);
}

int runtime_send_heartbeat(struct hive_actor *a)
{
	Hive__Heartbeat hb = HIVE__HEARTBEAT__INIT;
	hb.interval_ms = (uint32_t)(a->heartbeat_ns / 1000000ull);
	Hive__Envelope env = HIVE__ENVELOPE__INIT;
	env.body_case = HIVE__ENVELOPE__BODY_HEARTBEAT;
	env.heartbeat = &hb;
	/* Counted as sent even when the pipe is full: try again an interval later. */
	a->last_send_ns = hive_now_ns();
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
void runtime_dispatch(struct hive_actor *a, const char *source, const Hive__Envelope *env)
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

int runtime_recv_one(struct hive_actor *a, Hive__Envelope **out, char *source, size_t source_cap)
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

/* ---- registration ---------------------------------------------------------------- */

int runtime_say_hello(struct hive_actor *a, const struct hive_actor_config *cfg)
{
	Hive__Hello h = HIVE__HELLO__INIT;
	h.name = a->name;
	h.pid = (uint32_t)getpid();
	h.replace = cfg->replace;
	h.ephemeral = cfg->ephemeral;
	h.reliable = true;
	h.heartbeat_ms = (uint32_t)(a->heartbeat_ns / 1000000ull);
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
		zmq_pollitem_t it[2] = { { .socket = a->sock, .events = ZMQ_POLLIN },
					 { .socket = a->monitor, .events = ZMQ_POLLIN } };
		int rc = zmq_poll(it, 2, (long)((deadline - now) / 1000000ull) + 1);
		if (rc < 0 && zmq_errno() != EINTR)
			return -zmq_errno();
		if (rc <= 0)
			continue;
		if ((it[1].revents & ZMQ_POLLIN) && runtime_monitor_events(a) == -EACCES)
			return -EACCES;
		if (!(it[0].revents & ZMQ_POLLIN))
			continue;
		Hive__Envelope *env = NULL;
		rc = runtime_recv_one(a, &env, source, sizeof source);
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

/* A tcp endpoint: CURVE client with our key pair and the broker's public
 * key, and ZMTP heartbeats so that a dead path closes the connection. */
static int setup_curve(struct hive_actor *a, const struct hive_actor_config *cfg)
{
	char path[4200], server[HIVE_KEY_Z85_LEN + 1], secret[HIVE_KEY_Z85_LEN + 1];
	char public[HIVE_KEY_Z85_LEN + 1];
	int rc = hive_curve_check(a->name);
	if (rc == 0 && !cfg->keys_dir) {
		hive_log(a, HIVE_LOG_ERROR, "connecting to %s needs CURVE keys: give --keys DIR, the "
			 "directory with broker.pub and actors/%s.key (hive-launch --keys DIR makes "
			 "them)", a->endpoint, a->name);
		rc = -EINVAL;
	}
	if (rc == 0) {
		hive_key_path(path, sizeof path, cfg->keys_dir, "broker", false);
		rc = hive_key_load(path, server, false);
	}
	if (rc == 0) {
		hive_key_path(path, sizeof path, cfg->keys_dir, a->name, true);
		rc = hive_key_load(path, secret, true);
	}
	if (rc == 0 && zmq_curve_public(public, secret) < 0)
		rc = -EINVAL;
	int ivl = HIVE_ZMTP_HEARTBEAT_IVL_MS, timeout = HIVE_ZMTP_HEARTBEAT_TIMEOUT_MS;
	if (rc == 0 && (zmq_setsockopt(a->sock, ZMQ_CURVE_SERVERKEY, server, HIVE_KEY_Z85_LEN + 1) < 0 ||
			zmq_setsockopt(a->sock, ZMQ_CURVE_PUBLICKEY, public, HIVE_KEY_Z85_LEN + 1) < 0 ||
			zmq_setsockopt(a->sock, ZMQ_CURVE_SECRETKEY, secret, HIVE_KEY_Z85_LEN + 1) < 0 ||
			zmq_setsockopt(a->sock, ZMQ_HEARTBEAT_IVL, &ivl, sizeof ivl) < 0 ||
			zmq_setsockopt(a->sock, ZMQ_HEARTBEAT_TIMEOUT, &timeout, sizeof timeout) < 0 ||
			zmq_setsockopt(a->sock, ZMQ_HEARTBEAT_TTL, &timeout, sizeof timeout) < 0)) {
		rc = -zmq_errno();
		hive_log(a, HIVE_LOG_ERROR, "cannot set up CURVE on the broker socket: %s",
			 zmq_strerror(-rc));
	}
	memset(secret, 0, sizeof secret);
	return rc;
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
	if (hive_endpoint_is_tcp(a->endpoint)) {
		int rc = setup_curve(a, cfg);
		if (rc < 0)
			return rc;
	}
	char mon[64];
	snprintf(mon, sizeof mon, "inproc://hive-monitor-%p", (void *)a);
	if (zmq_socket_monitor(a->sock, mon, ZMQ_EVENT_CONNECTED | ZMQ_EVENT_DISCONNECTED |
			       ZMQ_EVENT_HANDSHAKE_FAILED_AUTH |
			       ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL |
			       ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL) < 0)
		return -zmq_errno();
	a->monitor = zmq_socket(a->zctx, ZMQ_PAIR);
	if (!a->monitor || zmq_setsockopt(a->monitor, ZMQ_LINGER, &linger, sizeof linger) < 0 ||
	    zmq_connect(a->monitor, mon) < 0)
		return -zmq_errno();
	size_t fdlen = sizeof a->sock_fd;
	if (zmq_getsockopt(a->sock, ZMQ_FD, &a->sock_fd, &fdlen) < 0 ||
	    zmq_getsockopt(a->monitor, ZMQ_FD, &a->monitor_fd, &fdlen) < 0)
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
	a->cfg.keys_dir = NULL;
	a->frame_max = cfg->frame_max ? cfg->frame_max : HIVE_FRAME_MAX_DEFAULT;
	int hb = cfg->heartbeat_ms;
	if (hb == 0 && hive_endpoint_is_tcp(cfg->endpoint))
		hb = HIVE_HEARTBEAT_MS;
	a->heartbeat_ns = hb > 0 ? (uint64_t)hb * 1000000ull : 0;
	a->txbuf = malloc(a->frame_max);
	arena_init(&a->arena);
	int rc = a->txbuf ? actor_connect(a, cfg) : -ENOMEM;
	if (rc == 0)
		rc = runtime_say_hello(a, cfg);
	if (rc == 0) {
		int timeout = cfg->register_timeout_ms ? cfg->register_timeout_ms
						       : HIVE_REGISTER_TIMEOUT_MS;
		rc = await_welcome(a, timeout);
		if (rc == -ETIMEDOUT && hive_endpoint_is_tcp(a->endpoint))
			hive_log(a, HIVE_LOG_ERROR, "no broker answered at %s within %d ms; is the "
				 "broker bound there (hive-launch --bind), reachable from here, and is "
				 "--keys the broker's keys directory (broker.pub)?", a->endpoint,
				 timeout);
		else if (rc == -ETIMEDOUT)
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
			runtime_send_ack(a);
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
	free(a->pfds);
	free(a);
	*self_p = NULL;
}

