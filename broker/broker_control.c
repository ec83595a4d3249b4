/* Envelopes addressed to the broker itself: registration, readiness,
 * acknowledgements, snapshots, status, watchers and the launcher's news. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "arena.h"
#include "broker.h"

void broker_notice(struct broker *b, Hive__Notice__Kind kind, const struct actor *a,
		   const char *detail)
{
	Hive__Notice n = HIVE__NOTICE__INIT;
	n.kind = kind;
	n.name = (char *)(a ? a->name : "");
	n.pid = a ? (uint32_t)a->pid : 0;
	n.detail = (char *)(detail ? detail : "");
	Hive__Envelope env = HIVE__ENVELOPE__INIT;
	env.body_case = HIVE__ENVELOPE__BODY_NOTICE;
	env.notice = &n;
	for (size_t i = 0; i < b->nactors; i++) {
		struct actor *w = &b->actors[i];
		if (w->up && w->watcher)
			broker_send_control(b, w->rid, w->rid_len, &env);
	}
}

static void welcome(struct broker *b, struct actor *a, bool restarted)
{
	Hive__Welcome w = HIVE__WELCOME__INIT;
	w.accepted = true;
	w.restarted = restarted;
	w.incarnation = a->incarnation;
	w.has_snapshot = a->has_snapshot;
	w.snapshot.data = a->snapshot;
	w.snapshot.len = a->snapshot_len;
	Hive__Envelope env = HIVE__ENVELOPE__INIT;
	env.body_case = HIVE__ENVELOPE__BODY_WELCOME;
	env.welcome = &w;
	broker_send_control(b, a->rid, a->rid_len, &env);
}

static void refuse_hello(struct broker *b, const uint8_t *rid, size_t rid_len,
			 const char *error)
{
	Hive__Welcome w = HIVE__WELCOME__INIT;
	w.accepted = false;
	w.error = (char *)error;
	Hive__Envelope env = HIVE__ENVELOPE__INIT;
	env.body_case = HIVE__ENVELOPE__BODY_WELCOME;
	env.welcome = &w;
	broker_send_control(b, rid, rid_len, &env);
}

/* Binds a name to a connection: a first registration, a restart, or a
 * replacement. What the previous incarnation never acknowledged goes back in
 * front of the queue. */
static void bind_actor(struct broker *b, struct actor *a, const uint8_t *rid, size_t rid_len,
		       pid_t pid, bool reliable, bool ephemeral, const char *program,
		       bool remote, uint32_t heartbeat_ms)
{
	bool restarted = a->registered_once;
	if (a->inflight.len)
		hive_logf("broker", HIVE_LOG_INFO, "%s: delivering again %zu messages its previous "
			  "incarnation did not acknowledge", a->name, a->inflight.len);
	mqueue_prepend_all(&a->queue, &a->inflight);
	memcpy(a->rid, rid, rid_len);
	a->rid_len = rid_len;
	a->pid = pid;
	a->up = true;
	a->ready = false;
	a->blocked = false;
	a->reliable = reliable;
	a->ephemeral = ephemeral;
	a->delivered = 0;
	a->acked = 0;
	a->incarnation++;
	if (restarted)
		a->restarts++;
	a->registered_once = true;
	a->remote = remote;
	a->heartbeat_ms = heartbeat_ms;
	a->last_heard_ns = hive_now_ns();
	snprintf(a->program, sizeof a->program, "%s", program ? program : "");
	hive_logf("broker", ephemeral ? HIVE_LOG_DEBUG : HIVE_LOG_INFO,
		  "%s registered (pid %d%s, incarnation %u, %zu waiting)",
		  a->name, (int)pid, remote ? ", remote over tcp" : "", a->incarnation,
		  a->queue.len);
	welcome(b, a, restarted);
	broker_notice(b, HIVE__NOTICE__KIND__REGISTERED, a, restarted ? "restarted" : "");
	broker_flush(b, a);
}

/* Refuses a Hello, logging why and telling the watchers. */
static void refuse_loudly(struct broker *b, const uint8_t *rid, size_t rid_len,
			  const Hive__Hello *h, const char *error)
{
	hive_logf("broker", HIVE_LOG_WARN, "refused pid %u as %s: %s", h->pid, h->name, error);
	refuse_hello(b, rid, rid_len, error);
	struct actor probe = { .pid = (pid_t)h->pid };
	snprintf(probe.name, sizeof probe.name, "%s", h->name);
	broker_notice(b, HIVE__NOTICE__KIND__REFUSED, &probe, error);
}

static void on_hello(struct broker *b, struct actor *from, const uint8_t *rid, size_t rid_len,
		     const Hive__Hello *h, const char *key_name)
{
	char error[384];
	if (!hive_name_valid(h->name)) {
		snprintf(error, sizeof error, "'%s' is not a valid actor name (1 to %d of A-Z a-z "
			 "0-9 _ - .)", h->name, HIVE_NAME_MAX);
		refuse_hello(b, rid, rid_len, error);
		return;
	}
	if (from && strcmp(from->name, h->name) != 0) {
		snprintf(error, sizeof error, "this connection is registered as '%s' already",
			 from->name);
		refuse_hello(b, rid, rid_len, error);
		return;
	}
	if (key_name && strcmp(key_name, h->name) != 0) {
		snprintf(error, sizeof error, "this connection's CURVE key is the key of '%s' "
			 "(%s/actors/%s.pub): it may register only as '%s', not as '%s'; use the "
			 "key of '%s'", key_name, b->cfg.keys_dir, key_name, key_name, h->name,
			 h->name);
		refuse_loudly(b, rid, rid_len, h, error);
		return;
	}
	struct actor *a = broker_entry(b, h->name, strlen(h->name));
	if (!a) {
		refuse_hello(b, rid, rid_len, "the broker knows too many names");
		return;
	}
	bool same_conn = a->up && a->rid_len == rid_len && memcmp(a->rid, rid, rid_len) == 0;
	/* The same process registering again has abandoned its old connection
	 * (its goodbye may still be on the way): that is a restart. */
	bool same_process = a->pid == (pid_t)h->pid && a->remote == (key_name != NULL);
	if (a->up && !same_conn && !same_process && broker_holder_alive(a)) {
		if (!h->replace) {
			snprintf(error, sizeof error, "the name '%s' is held by pid %d%s; stop it "
				 "first, or register with --replace to take it over", a->name,
				 (int)a->pid, a->remote ? " on another host" : "");
			refuse_loudly(b, rid, rid_len, h, error);
			return;
		}
		if (!perm_may_replace(&b->perms, a->name)) {
			snprintf(error, sizeof error, "the name '%s' is held by pid %d and the "
				 "graph's permissions do not let it be replaced; add \"replace\": "
				 "true to permissions.%s in the graph file", a->name, (int)a->pid,
				 a->name);
			refuse_loudly(b, rid, rid_len, h, error);
			return;
		}
		Hive__Stop stop = HIVE__STOP__INIT;
		snprintf(error, sizeof error, "replaced by pid %u", h->pid);
		stop.reason = error;
		Hive__Envelope env = HIVE__ENVELOPE__INIT;
		env.body_case = HIVE__ENVELOPE__BODY_STOP;
		env.stop = &stop;
		broker_send_control(b, a->rid, a->rid_len, &env);
		hive_logf("broker", HIVE_LOG_INFO, "%s (pid %d) is replaced by pid %u", a->name,
			  (int)a->pid, h->pid);
		broker_mark_down(b, a, "replaced");
	}
	uint32_t hb = h->heartbeat_ms;
	if (hb && hb < 100)
		hb = 100; /* a sender that claims less would be declared down for nothing */
	bind_actor(b, a, rid, rid_len, (pid_t)h->pid, h->reliable, h->ephemeral, h->program,
		   key_name != NULL, hb);
}

struct actor *broker_adopt(struct broker *b, const uint8_t *rid, size_t rid_len,
			   zmq_msg_t *msg)
{
	const char *key_name = broker_key_name(msg);
	/* NAME#PID#NONCE */
	const uint8_t *hash = memchr(rid, '#', rid_len);
	if (!hash || hash == rid || hash - rid > HIVE_NAME_MAX)
		return NULL;
	char name[HIVE_NAME_MAX + 1];
	size_t nlen = (size_t)(hash - rid);
	memcpy(name, rid, nlen);
	name[nlen] = '\0';
	char pidbuf[16];
	size_t rest = rid_len - nlen - 1;
	size_t plen = 0;
	while (plen < rest && plen < sizeof pidbuf - 1 && hash[1 + plen] != '#') {
		pidbuf[plen] = (char)hash[1 + plen];
		plen++;
	}
	pidbuf[plen] = '\0';
	pid_t pid = (pid_t)atoi(pidbuf);
	if (!hive_name_valid(name) || pid <= 0)
		return NULL;
	if (key_name && strcmp(key_name, name) != 0) {
		b->malformed++;
		hive_logf("broker", HIVE_LOG_WARN, "dropped a message from an unregistered "
			  "connection named %s holding the CURVE key of %s", name, key_name);
		return NULL;
	}
	struct actor *a = broker_entry(b, name, nlen);
	if (!a)
		return NULL;
	if (a->up && broker_holder_alive(a)) {
		/* A stale connection of a name that lives elsewhere: not ours to route. */
		b->malformed++;
		hive_logf("broker", HIVE_LOG_WARN, "dropped a message from an unregistered "
			  "connection claiming the live name %s", name);
		return NULL;
	}
	hive_logf("broker", HIVE_LOG_INFO, "%s (pid %d) sent without registering; registering "
		  "it from its routing id", name, (int)pid);
	/* A remote actor heartbeats; keep what its Hello said, or our default. */
	uint32_t hb = key_name ? (a->heartbeat_ms ? a->heartbeat_ms : HIVE_HEARTBEAT_MS) : 0;
	bind_actor(b, a, rid, rid_len, pid, true, false, NULL, key_name != NULL, hb);
	/* Its count of consumed messages belongs to the old broker: start afresh. */
	return a;
}

static Hive__ActorStatus *actor_status(const struct actor *a, Hive__ActorStatus *s)
{
	hive__actor_status__init(s);
	s->name = (char *)a->name;
	s->pid = (uint32_t)a->pid;
	s->up = a->up;
	s->ready = a->ready;
	s->restarts = a->restarts;
	s->queue_depth = (uint32_t)a->queue.len;
	s->queue_bytes = a->queue.bytes;
	s->in_flight = (uint32_t)a->inflight.len;
	s->msgs_in = a->msgs_in;
	s->msgs_out = a->msgs_out;
	s->bytes_in = a->bytes_in;
	s->bytes_out = a->bytes_out;
	s->dropped = a->dropped;
	s->program = (char *)a->program;
	s->refused = a->refused;
	s->remote = a->remote;
	return s;
}

static void on_status_request(struct broker *b, const uint8_t *rid, size_t rid_len)
{
	Hive__ActorStatus *items = calloc(b->nactors ? b->nactors : 1, sizeof *items);
	Hive__ActorStatus **ptrs = calloc(b->nactors ? b->nactors : 1, sizeof *ptrs);
	if (!items || !ptrs)
		goto out;
	Hive__Status st = HIVE__STATUS__INIT;
	for (size_t i = 0; i < b->nactors; i++)
		ptrs[i] = actor_status(&b->actors[i], &items[i]);
	st.n_actors = b->nactors;
	st.actors = ptrs;
	st.graph_ready = b->graph_ready;
	st.malformed = b->malformed;
	st.routed = b->routed;
	st.tap_subscriptions = (uint32_t)b->nsubs;
	st.broker_pid = (uint32_t)getpid();
	Hive__Envelope env = HIVE__ENVELOPE__INIT;
	env.body_case = HIVE__ENVELOPE__BODY_STATUS;
	env.status = &st;
	broker_send_control(b, rid, rid_len, &env);
out:
	free(items);
	free(ptrs);
}

static void on_actor_exited(struct broker *b, const Hive__ActorExited *x)
{
	struct actor *a = broker_find(b, x->name, strlen(x->name));
	if (!a || !a->up || (x->pid && (pid_t)x->pid != a->pid))
		return;
	char why[160];
	snprintf(why, sizeof why, "exited (%s)", x->how[0] ? x->how : "unknown");
	broker_mark_down(b, a, why);
}

void broker_control(struct broker *b, struct actor *from, const uint8_t *rid, size_t rid_len,
		    zmq_msg_t *msg)
{
	struct arena arena;
	arena_init(&arena);
	Hive__Envelope *env = hive__envelope__unpack(&arena.allocator, zmq_msg_size(msg),
						     zmq_msg_data(msg));
	if (!env) {
		b->malformed++;
		hive_logf("broker", HIVE_LOG_WARN, "dropped an envelope to the broker that does not "
			  "decode (%zu bytes)", zmq_msg_size(msg));
		goto out;
	}
	if (env->body_case == HIVE__ENVELOPE__BODY_HELLO) {
		on_hello(b, from, rid, rid_len, env->hello, broker_key_name(msg));
		goto out;
	}
	/* Status needs no registration: a tool may just ask. */
	if (env->body_case == HIVE__ENVELOPE__BODY_STATUS_REQUEST) {
		on_status_request(b, rid, rid_len);
		goto out;
	}
	/* The goodbye of a connection that is no longer the name's: nothing to do. */
	if (!from && env->body_case == HIVE__ENVELOPE__BODY_ACTOR_EXITED)
		goto out;
	if (!from)
		from = broker_adopt(b, rid, rid_len, msg);
	if (!from)
		goto out;
	switch (env->body_case) {
	case HIVE__ENVELOPE__BODY_ACK:
		broker_ack(b, from, env->ack->received);
		break;
	case HIVE__ENVELOPE__BODY_READY:
		from->ready = true;
		hive_logf("broker", HIVE_LOG_INFO, "%s is ready", from->name);
		broker_notice(b, HIVE__NOTICE__KIND__READY, from, "");
		break;
	case HIVE__ENVELOPE__BODY_SNAPSHOT_SAVE: {
		uint8_t *copy = malloc(env->snapshot_save->data.len ? env->snapshot_save->data.len : 1);
		if (!copy)
			break;
		memcpy(copy, env->snapshot_save->data.data, env->snapshot_save->data.len);
		free(from->snapshot);
		from->snapshot = copy;
		from->snapshot_len = env->snapshot_save->data.len;
		from->has_snapshot = true;
		break;
	}
	case HIVE__ENVELOPE__BODY_HEARTBEAT:
		/* Heard: last_heard_ns is set for every message. */
		if (env->heartbeat->interval_ms >= 100 && from->remote)
			from->heartbeat_ms = env->heartbeat->interval_ms;
		break;
	case HIVE__ENVELOPE__BODY_WATCH:
		from->watcher = true;
		break;
	case HIVE__ENVELOPE__BODY_ACTOR_EXITED:
		on_actor_exited(b, env->actor_exited);
		break;
	case HIVE__ENVELOPE__BODY_GRAPH_READY:
		b->graph_ready = true;
		hive_logf("broker", HIVE_LOG_INFO, "the graph is ready");
		broker_notice(b, HIVE__NOTICE__KIND__GRAPH_READY, NULL, "");
		break;
	default:
		b->malformed++;
		hive_logf("broker", HIVE_LOG_WARN, "%s sent the broker a %s, which it does not serve; "
			  "dropped", from->name, hive_body_name(env->body_case));
		break;
	}
out:
	arena_fini(&arena);
}
