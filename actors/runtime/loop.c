/* The actor's loop: the broker socket, its connection monitor, watched fds
 * and timers. */
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>

#include <zmq.h>

#include "runtime_internal.h"

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

/* A broker that went away and came back (restarted, or a connection that
 * broke) does not know us: register again, and say ready again. A broker
 * that refuses our CURVE key is said once, in words. */
int runtime_monitor_events(struct hive_actor *a)
{
	zmq_msg_t m;
	int rc = 0;
	zmq_msg_init(&m);
	while (zmq_msg_recv(&m, a->monitor, ZMQ_DONTWAIT) >= 0) {
		bool first = zmq_msg_more(&m) && zmq_msg_size(&m) >= 6;
		uint16_t event = 0;
		uint32_t value = 0;
		if (first) {
			memcpy(&event, zmq_msg_data(&m), sizeof event);
			memcpy(&value, (uint8_t *)zmq_msg_data(&m) + 2, sizeof value);
		}
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
			runtime_say_hello(a, &again);
		} else if (event == ZMQ_EVENT_HANDSHAKE_FAILED_AUTH) {
			rc = -EACCES;
			if (!a->auth_refused_logged)
				hive_log(a, HIVE_LOG_ERROR, "the broker at %s refused our CURVE key "
					 "(status %u): its keys directory has no actors/%s.pub "
					 "matching our actors/%s.key; copy the pair made by hive-launch "
					 "--keys", a->endpoint, value, a->name, a->name);
			a->auth_refused_logged = true;
		} else if (event == ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL ||
			   event == ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL) {
			if (!a->auth_refused_logged)
				hive_log(a, HIVE_LOG_ERROR, "the CURVE handshake with %s failed "
					 "(event 0x%x, %u): is broker.pub in --keys the key of this "
					 "broker?", a->endpoint, event, value);
			a->auth_refused_logged = true;
		}
	}
	zmq_msg_close(&m);
	return rc;
}

static int drain_socket(struct hive_actor *a)
{
	char source[HIVE_NAME_MAX + 2];
	int handled = 0;
	for (int i = 0; i < RECV_BATCH && !a->stop; i++) {
		Hive__Envelope *env = NULL;
		int rc = runtime_recv_one(a, &env, source, sizeof source);
		if (rc <= 0)
			return handled ? handled : rc;
		if (env)
			runtime_dispatch(a, source, env);
		arena_reset(&a->arena);
		handled++;
	}
	return handled;
}

/* Acknowledges what was consumed: at once when much is pending, otherwise
 * within ACK_DELAY_NS unless an outgoing message carries the count first. */
static void settle_acks(struct hive_actor *a)
{
	if (a->received == a->acked) {
		a->ack_due_ns = 0;
		return;
	}
	uint64_t now = hive_now_ns();
	if (a->received - a->acked >= ACK_BATCH || (a->ack_due_ns && now >= a->ack_due_ns)) {
		runtime_send_ack(a);
		a->ack_due_ns = 0;
	} else if (!a->ack_due_ns) {
		a->ack_due_ns = now + ACK_DELAY_NS;
	}
}

/* On tcp, an idle actor tells the broker it is alive. */
static void settle_heartbeat(struct hive_actor *a)
{
	if (a->heartbeat_ns && !a->stop && hive_now_ns() - a->last_send_ns >= a->heartbeat_ns)
		runtime_send_heartbeat(a);
}

static int wait_ms(const struct hive_actor *a, int timeout_ms)
{
	int ms = next_timeout_ms(a, timeout_ms);
	if (a->heartbeat_ns) {
		uint64_t due = a->last_send_ns + a->heartbeat_ns, now = hive_now_ns();
		int hb_ms = due <= now ? 0 : (int)((due - now + 999999) / 1000000);
		if (ms < 0 || hb_ms < ms)
			ms = hb_ms;
	}
	if (a->ack_due_ns) {
		uint64_t now = hive_now_ns();
		int ack_ms = a->ack_due_ns <= now ? 0 : (int)((a->ack_due_ns - now + 999999) / 1000000);
		if (ms < 0 || ack_ms < ms)
			ms = ack_ms;
	}
	return ms;
}

int hive_run_once(struct hive_actor *a, int timeout_ms)
{
	if (a->stop || hive_signal_received()) {
		a->stop = true;
		return -ECANCELED;
	}
	size_t n = 2 + a->nfds;
	if (n > a->cappfds) {
		struct pollfd *p = realloc(a->pfds, n * sizeof *p);
		if (!p)
			return -ENOMEM;
		a->pfds = p;
		a->cappfds = n;
	}
	a->pfds[0] = (struct pollfd){ .fd = a->sock_fd, .events = POLLIN };
	a->pfds[1] = (struct pollfd){ .fd = a->monitor_fd, .events = POLLIN };
	for (size_t i = 0; i < a->nfds; i++)
		a->pfds[2 + i] = (struct pollfd){ .fd = a->fds[i].fd, .events = a->fds[i].events };

	bool sock_ready = hive_zsock_readable(a->sock);
	bool monitor_ready = hive_zsock_readable(a->monitor);
	int rc = poll(a->pfds, n, sock_ready || monitor_ready ? 0 : wait_ms(a, timeout_ms));
	if (rc < 0) {
		if (errno == EINTR)
			return hive_signal_received() ? (a->stop = true, -ECANCELED) : 0;
		return -errno;
	}
	int did = 0;
	if (monitor_ready || a->pfds[1].revents)
		runtime_monitor_events(a);
	if (sock_ready || a->pfds[0].revents) {
		int r = drain_socket(a);
		if (r < 0 && r != -EAGAIN)
			return r;
		did |= r > 0;
	}
	/* Callbacks may watch or unwatch fds: match revents by fd, not index. */
	for (size_t i = 2; i < n && !a->stop; i++) {
		short rev = a->pfds[i].revents;
		if (!rev)
			continue;
		for (size_t k = 0; k < a->nfds; k++) {
			if (a->fds[k].fd == a->pfds[i].fd) {
				a->fds[k].fn(a, a->fds[k].fd, rev, a->fds[k].arg);
				did = 1;
				break;
			}
		}
	}
	if (!a->stop)
		did |= fire_timers(a);
	settle_acks(a);
	settle_heartbeat(a);
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

int hive_actor_fd(const struct hive_actor *a)
{
	return a->sock_fd;
}

bool hive_actor_pending(const struct hive_actor *a)
{
	return hive_zsock_readable(a->sock);
}

void hive_actor_stop(struct hive_actor *a)
{
	a->stop = true;
}

bool hive_actor_stopping(const struct hive_actor *a)
{
	return a->stop || hive_signal_received();
}

