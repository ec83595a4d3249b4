/* hive-launch at work: the broker, the launcher's own actor ("launcher"),
 * readiness, supervision with restarts, and the shutdown in reverse order.
 *
 * Child exits arrive through a signalfd watched by the hive loop, so every
 * decision is taken in the loop, never in a signal handler. */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <unistd.h>

#include "launcher.h"

static int ms_until(uint64_t deadline_ns)
{
	uint64_t now = hive_now_ns();
	return now >= deadline_ns ? 0 : (int)((deadline_ns - now + 999999) / 1000000);
}

/* "actor 'echo'" or "the broker", for messages. */
static const char *who(const struct child *c, char *buf, size_t cap)
{
	if (c->spec)
		snprintf(buf, cap, "actor '%s'", c->name);
	else
		snprintf(buf, cap, "the broker");
	return buf;
}

static struct child *find_pid(struct launcher *l, pid_t pid)
{
	if (l->broker.pid == pid)
		return &l->broker;
	for (size_t i = 0; i < l->nactors; i++)
		if (l->actors[i].pid == pid)
			return &l->actors[i];
	return NULL;
}

static struct child *find_name(struct launcher *l, const char *name)
{
	for (size_t i = 0; i < l->nactors; i++)
		if (strcmp(l->actors[i].name, name) == 0)
			return &l->actors[i];
	return NULL;
}

/* ---- messages to the broker ------------------------------------------------ */

static void send_watch(struct launcher *l)
{
	Hive__Watch w = HIVE__WATCH__INIT;
	Hive__Envelope env = HIVE__ENVELOPE__INIT;
	env.body_case = HIVE__ENVELOPE__BODY_WATCH;
	env.watch = &w;
	hive_send(l->hive, "broker", &env);
}

static void send_status_request(struct launcher *l)
{
	Hive__StatusRequest r = HIVE__STATUS_REQUEST__INIT;
	Hive__Envelope env = HIVE__ENVELOPE__INIT;
	env.body_case = HIVE__ENVELOPE__BODY_STATUS_REQUEST;
	env.status_request = &r;
	hive_send(l->hive, "broker", &env);
}

static void send_graph_ready(struct launcher *l)
{
	Hive__GraphReady g = HIVE__GRAPH_READY__INIT;
	Hive__Envelope env = HIVE__ENVELOPE__INIT;
	env.body_case = HIVE__ENVELOPE__BODY_GRAPH_READY;
	env.graph_ready = &g;
	hive_send(l->hive, "broker", &env);
}

static void send_actor_exited(struct launcher *l, struct child *c, pid_t pid)
{
	Hive__ActorExited x = HIVE__ACTOR_EXITED__INIT;
	x.name = c->name;
	x.pid = (uint32_t)pid;
	x.how = c->last_exit;
	Hive__Envelope env = HIVE__ENVELOPE__INIT;
	env.body_case = HIVE__ENVELOPE__BODY_ACTOR_EXITED;
	env.actor_exited = &x;
	hive_send(l->hive, "broker", &env);
}

/* ---- starting and restarting ---------------------------------------------- */

static int start_child(struct launcher *l, struct child *c)
{
	char w[HIVE_NAME_MAX + 16];
	pid_t pid = child_spawn(c, l->self);
	who(c, w, sizeof w);
	if (pid < 0) {
		snprintf(c->last_exit, sizeof c->last_exit, "cannot fork: %s", strerror(-pid));
		hive_logf(LAUNCH_NAME, HIVE_LOG_ERROR, "cannot start %s (%s): %s", w, c->path,
			  c->last_exit);
	} else {
		c->pid = pid;
		c->last_pid = pid;
		c->said_ready = false;
		c->started_ns = hive_now_ns();
		c->starts++;
		hive_logf(LAUNCH_NAME, HIVE_LOG_DEBUG, "started %s: pid %d, %s", w, (int)pid,
			  c->path);
	}
	return pid < 0 ? (int)pid : 0;
}

static void give_up(struct launcher *l, int code)
{
	l->exit_code = code;
	hive_actor_stop(l->hive);
}

static void on_restart_timer(struct hive_actor *a, void *arg);
static void on_stop_signal(struct launcher *l, int sig);

/* Counts a restart of c against the intensity limit, then schedules it
 * after the backoff delay, or gives up on the whole graph. */
static void schedule_restart(struct launcher *l, struct child *c, pid_t old_pid)
{
	char w[HIVE_NAME_MAX + 16];
	uint64_t now = hive_now_ns();
	who(c, w, sizeof w);
	if (now - c->started_ns >= (uint64_t)l->graph->period_s * 1000000000ull)
		backoff_reset(&c->backoff);
	bool too_many = intensity_add(&c->intensity, now);
	unsigned delay = backoff_next(&c->backoff);
	int id = too_many ? 0 : hive_timer_start(l->hive, delay, 0, on_restart_timer, c);
	if (too_many) {
		hive_logf(LAUNCH_NAME, HIVE_LOG_ERROR, "%s restarted more than %u times in %u s; "
			  "last exit: %s; giving up (see its messages above; the limit is the "
			  "graph's supervision section or --max-restarts/--period)", w,
			  l->graph->max_restarts, l->graph->period_s, c->last_exit);
		give_up(l, LAUNCH_EXIT_GAVE_UP);
	} else if (id < 0) {
		hive_logf(LAUNCH_NAME, HIVE_LOG_ERROR, "cannot schedule the restart of %s: %s", w,
			  strerror(-id));
		give_up(l, LAUNCH_EXIT_FAILED);
	} else {
		c->restart_timer = id;
		hive_logf(LAUNCH_NAME, HIVE_LOG_WARN, "%s (pid %d) ended: %s; restart %u in %u ms",
			  w, (int)old_pid, c->last_exit, intensity_count(&c->intensity, now), delay);
	}
}

static void on_restart_timer(struct hive_actor *a, void *arg)
{
	struct child *c = arg;
	struct launcher *l = c->owner;
	c->restart_timer = 0;
	if (l->phase == LAUNCH_STOPPING || c->pid > 0) {
		/* Nothing to do. */
	} else if (start_child(l, c) < 0) {
		schedule_restart(l, c, 0);
	} else if (!c->spec) {
		/* A new broker knows the launcher once it hears from it: the Watch
		 * waits in our pipe until the broker is up, then its Welcome makes
		 * on_welcome() watch again and repeat GraphReady. */
		send_watch(l);
	}
}

/* What follows the end of c: a restart, or nothing (its restart policy). */
static void supervise_exit(struct launcher *l, struct child *c, pid_t pid, int wstatus)
{
	char w[HIVE_NAME_MAX + 16];
	if (c->spec)
		send_actor_exited(l, c, pid);
	if (sup_should_restart(c->restart, wstatus))
		schedule_restart(l, c, pid);
	else
		hive_logf(LAUNCH_NAME, HIVE_LOG_INFO, "%s (pid %d) ended: %s; not restarted "
			  "(restart policy \"%s\")", who(c, w, sizeof w), (int)pid, c->last_exit,
			  graph_restart_name(c->restart));
}

/* Reaps every ended child. While the graph runs each end is supervised;
 * while it stops, only recorded. */
static void reap(struct launcher *l)
{
	struct signalfd_siginfo si;
	while (read(l->sfd, &si, sizeof si) == (ssize_t)sizeof si)
		if (si.ssi_signo == SIGINT || si.ssi_signo == SIGTERM)
			on_stop_signal(l, (int)si.ssi_signo);
	int st;
	pid_t pid;
	while ((pid = waitpid(-1, &st, WNOHANG)) > 0) {
		struct child *c = find_pid(l, pid);
		if (!c)
			continue;
		char w[HIVE_NAME_MAX + 16];
		c->pid = 0;
		sup_describe_exit(st, c->last_exit, sizeof c->last_exit);
		/* Once a stop is asked nothing is restarted, also while the
		 * remote actors are waited for. */
		if (l->phase == LAUNCH_STOPPING || l->stop_asked)
			hive_logf(LAUNCH_NAME, HIVE_LOG_DEBUG, "%s (pid %d) stopped: %s",
				  who(c, w, sizeof w), (int)pid, c->last_exit);
		else
			supervise_exit(l, c, pid, st);
		/* Without the broker no remote actor's goodbye can arrive. */
		if (l->stop_timer && c == &l->broker) {
			hive_timer_cancel(l->hive, l->stop_timer);
			l->stop_timer = 0;
			hive_actor_stop(l->hive);
		}
	}
}

static void on_sigchld(struct hive_actor *a, int fd, short revents, void *arg)
{
	reap(arg);
}

/* ---- stopping remote actors ------------------------------------------------- */

/* Names the remote actors that are up (said ready) into buf; returns how
 * many. */
static size_t remote_up(struct launcher *l, char *buf, size_t cap)
{
	size_t n = 0, used = 0;
	if (cap)
		buf[0] = '\0';
	for (size_t i = 0; i < l->nactors; i++) {
		struct child *c = &l->actors[i];
		if (!c->spec->remote || !c->said_ready)
			continue;
		if (used < cap)
			used += (size_t)snprintf(buf + used, cap - used, "%s%s", n ? ", " : "",
						 c->name);
		n++;
	}
	return n;
}

/* A remote actor is not our child: a Stop message asks it to exit (the
 * runtime obeys a Stop from "launcher"). Returns how many were asked. */
static size_t send_remote_stops(struct launcher *l, const char *reason)
{
	size_t n = 0;
	l->remote_stops_sent = true;
	for (size_t i = 0; i < l->nactors; i++) {
		struct child *c = &l->actors[i];
		if (!c->spec->remote || !c->said_ready)
			continue;
		Hive__Stop st = HIVE__STOP__INIT;
		st.reason = (char *)reason;
		Hive__Envelope env = HIVE__ENVELOPE__INIT;
		env.body_case = HIVE__ENVELOPE__BODY_STOP;
		env.stop = &st;
		int rc = hive_send(l->hive, c->name, &env);
		if (rc < 0)
			hive_logf(LAUNCH_NAME, HIVE_LOG_WARN, "cannot send Stop to remote actor '%s': "
				  "%s; stop it on its host", c->name, strerror(-rc));
		else
			n++;
	}
	return n;
}

static void on_remote_stop_timeout(struct hive_actor *a, void *arg)
{
	struct launcher *l = arg;
	char names[1024];
	l->stop_timer = 0;
	size_t n = remote_up(l, names, sizeof names);
	if (n)
		hive_logf(LAUNCH_NAME, HIVE_LOG_WARN, "%zu remote actor%s did not stop within %d ms "
			  "of a Stop message: %s; stop %s on %s host", n, n == 1 ? "" : "s",
			  LAUNCH_STOP_TIMEOUT_MS, names, n == 1 ? "it" : "them",
			  n == 1 ? "its" : "their");
	hive_actor_stop(l->hive);
}

/* SIGINT or SIGTERM. While the graph runs, the remote actors are asked to
 * stop first and waited for (each one's DOWN notice, at most
 * LAUNCH_STOP_TIMEOUT_MS); then the loop ends and stop_graph() stops our
 * own children. */
static void on_stop_signal(struct launcher *l, int sig)
{
	if (l->stop_asked || l->phase == LAUNCH_STOPPING)
		return;
	l->stop_asked = true;
	hive_logf(LAUNCH_NAME, HIVE_LOG_INFO, "%s: stopping graph '%s'", strsignal(sig),
		  l->graph->name);
	if (l->phase == LAUNCH_RUNNING && send_remote_stops(l, "the graph is stopping") > 0) {
		int id = hive_timer_start(l->hive, LAUNCH_STOP_TIMEOUT_MS, 0, on_remote_stop_timeout,
					  l);
		if (id > 0) {
			l->stop_timer = id;
			return;
		}
	}
	hive_actor_stop(l->hive);
}

/* ---- what the broker tells us ---------------------------------------------- */

/* A remote actor is not ours to start: its pid is on another host, and only
 * the broker's notices say how it is. */
static void on_remote_notice(struct launcher *l, struct child *c, const Hive__Notice *n)
{
	switch (n->kind) {
	case HIVE__NOTICE__KIND__READY:
		hive_logf(LAUNCH_NAME, HIVE_LOG_INFO, "remote actor '%s' (pid %u on its host) is "
			  "ready%s", c->name, n->pid, c->ever_ready ? " again" : "");
		c->last_pid = (pid_t)n->pid;
		c->said_ready = true;
		c->ever_ready = true;
		break;
	case HIVE__NOTICE__KIND__DOWN:
		if (c->said_ready && l->stop_timer)
			hive_logf(LAUNCH_NAME, HIVE_LOG_INFO, "remote actor '%s' (pid %u on its "
				  "host) stopped: %s", c->name, n->pid, n->detail);
		else if (c->said_ready)
			hive_logf(LAUNCH_NAME, HIVE_LOG_WARN, "remote actor '%s' (pid %u on its "
				  "host) is down: %s; waiting for it to register again", c->name,
				  n->pid, n->detail);
		c->said_ready = false;
		if (l->stop_timer && remote_up(l, NULL, 0) == 0) {
			hive_timer_cancel(l->hive, l->stop_timer);
			l->stop_timer = 0;
			hive_actor_stop(l->hive);
		}
		break;
	case HIVE__NOTICE__KIND__REFUSED:
		hive_logf(LAUNCH_NAME, HIVE_LOG_WARN, "the broker refused remote actor '%s' (pid "
			  "%u): %s", n->name, n->pid, n->detail);
		break;
	default:
		break;
	}
}

static void on_notice(struct hive_actor *a, const char *source, const Hive__Envelope *env,
		      void *arg)
{
	struct launcher *l = arg;
	const Hive__Notice *n = env->notice;
	if (strcmp(source, "broker") != 0)
		return;
	struct child *c = find_name(l, n->name);
	if (c && c->spec && c->spec->remote) {
		on_remote_notice(l, c, n);
		return;
	}
	switch (n->kind) {
	case HIVE__NOTICE__KIND__READY:
		/* A notice of an earlier start is stale; one of the latest start
		 * counts even when that process has ended since (the exit can
		 * overtake the notice). */
		if (!c || !c->last_pid || (n->pid && (pid_t)n->pid != c->last_pid))
			break;
		if (c->ever_ready && c->pid > 0)
			hive_logf(LAUNCH_NAME, HIVE_LOG_INFO, "actor '%s' (pid %d) is ready again",
				  c->name, (int)c->pid);
		c->said_ready = true;
		c->ever_ready = true;
		break;
	case HIVE__NOTICE__KIND__REFUSED:
		hive_logf(LAUNCH_NAME, HIVE_LOG_WARN, "the broker refused actor '%s' (pid %u): %s",
			  n->name, n->pid, n->detail);
		break;
	default:
		hive_logf(LAUNCH_NAME, HIVE_LOG_DEBUG, "notice %d: '%s' (pid %u) %s", (int)n->kind,
			  n->name, n->pid, n->detail);
		break;
	}
}

/* A restarted broker registered us again: watch again. */
static void on_welcome(struct hive_actor *a, const char *source, const Hive__Envelope *env,
		       void *arg)
{
	struct launcher *l = arg;
	if (strcmp(source, "broker") != 0)
		return;
	hive_logf(LAUNCH_NAME, HIVE_LOG_INFO, "the broker registered the launcher again; "
		  "watching again");
	send_watch(l);
	if (l->phase == LAUNCH_RUNNING)
		send_graph_ready(l);
}

/* Our first StatusRequest is answered: every notice from now on reaches us.
 * A remote actor may have registered before we watched: take it from the
 * Status. */
static void on_status(struct hive_actor *a, const char *source, const Hive__Envelope *env,
		      void *arg)
{
	struct launcher *l = arg;
	if (strcmp(source, "broker") != 0)
		return;
	l->synced = true;
	for (size_t i = 0; i < env->status->n_actors; i++) {
		const Hive__ActorStatus *s = env->status->actors[i];
		struct child *c = find_name(l, s->name);
		if (c && c->spec && c->spec->remote && s->up && s->ready && !c->said_ready) {
			Hive__Notice n = HIVE__NOTICE__INIT;
			n.kind = HIVE__NOTICE__KIND__READY;
			n.name = s->name;
			n.pid = s->pid;
			on_remote_notice(l, c, &n);
		}
	}
}

/* ---- starting the graph --------------------------------------------------- */

/* Starts the broker and registers the launcher with it. */
static int start_broker(struct launcher *l)
{
	struct hive_actor_config cfg = {
		.name = "launcher",
		.run_dir = l->run_dir,
		.frame_max = (size_t)l->graph->max_frame,
	};
	int rc = start_child(l, &l->broker);
	if (rc == 0)
		rc = hive_actor_new(&l->hive, &cfg);
	int st;
	if (rc < 0 && l->broker.pid > 0 && waitpid(l->broker.pid, &st, WNOHANG) == l->broker.pid) {
		sup_describe_exit(st, l->broker.last_exit, sizeof l->broker.last_exit);
		hive_logf(LAUNCH_NAME, HIVE_LOG_ERROR, "the broker (%s, pid %d) ended at start: %s; "
			  "see its messages above", l->broker.path, (int)l->broker.pid,
			  l->broker.last_exit);
		l->broker.pid = 0;
	} else if (rc < 0 && l->broker.pid > 0) {
		hive_logf(LAUNCH_NAME, HIVE_LOG_ERROR, "the broker (%s, pid %d) did not register "
			  "the launcher: %s", l->broker.path, (int)l->broker.pid, strerror(-rc));
	}
	return rc;
}

/* Installs the handlers, asks for notices and waits until the broker has
 * answered a StatusRequest: the Watch before it has then taken effect, so
 * no notice of the actors started next can be missed. */
static int sync_broker(struct launcher *l)
{
	hive_on(l->hive, HIVE__ENVELOPE__BODY_NOTICE, on_notice, l);
	hive_on(l->hive, HIVE__ENVELOPE__BODY_WELCOME, on_welcome, l);
	hive_on(l->hive, HIVE__ENVELOPE__BODY_STATUS, on_status, l);
	int rc = hive_fd_watch(l->hive, l->sfd, POLLIN, on_sigchld, l);
	if (rc == 0) {
		send_watch(l);
		send_status_request(l);
	}
	uint64_t deadline = hive_now_ns() + LAUNCH_SYNC_TIMEOUT_MS * 1000000ull;
	while (rc == 0 && !l->synced) {
		if (hive_now_ns() >= deadline) {
			hive_logf(LAUNCH_NAME, HIVE_LOG_ERROR, "the broker (pid %d) did not answer "
				  "a StatusRequest within %d ms", (int)l->broker.pid,
				  LAUNCH_SYNC_TIMEOUT_MS);
			rc = -ETIMEDOUT;
		} else {
			rc = hive_run_once(l->hive, ms_until(deadline));
			rc = rc > 0 ? 0 : rc;
		}
	}
	return rc;
}

/* Runs the loop until c says it is ready. An actor that ended and is not
 * restarted gets a short grace for its ready notice, which its exit can
 * overtake. */
static int wait_ready(struct launcher *l, struct child *c)
{
	uint64_t deadline = hive_now_ns() + c->spec->ready_timeout_ms * 1000000ull;
	uint64_t grace = 0;
	int rc = 0;
	while (rc == 0 && !c->said_ready) {
		uint64_t now = hive_now_ns();
		if (c->pid <= 0 && c->restart_timer == 0 && !grace)
			grace = now + LAUNCH_READY_GRACE_MS * 1000000ull;
		if (grace && now >= grace) {
			hive_logf(LAUNCH_NAME, HIVE_LOG_ERROR, "actor '%s' ended before it was ready "
				  "(%s) and its restart policy \"%s\" does not restart it; see its "
				  "messages above", c->name, c->last_exit,
				  graph_restart_name(c->restart));
			rc = -ECHILD;
		} else if (now >= deadline) {
			hive_logf(LAUNCH_NAME, HIVE_LOG_ERROR, "actor '%s' did not say it was ready "
				  "within %llu ms%s%s%s; see its messages above, or raise its "
				  "ready_timeout_ms in %s", c->name,
				  (unsigned long long)c->spec->ready_timeout_ms,
				  c->starts > 1 ? " (last exit: " : "", c->starts > 1 ? c->last_exit : "",
				  c->starts > 1 ? ")" : "", l->graph_path);
			rc = -ETIMEDOUT;
		} else {
			uint64_t until = grace && grace < deadline ? grace : deadline;
			rc = hive_run_once(l->hive, ms_until(until));
			rc = rc > 0 ? 0 : rc;
		}
	}
	if (rc < 0 && rc != -ECANCELED)
		l->exit_code = LAUNCH_EXIT_FAILED;
	return rc;
}

/* Names the remote actors not ready yet into buf; returns how many. */
static size_t remote_missing(struct launcher *l, char *buf, size_t cap)
{
	size_t n = 0, used = 0;
	buf[0] = '\0';
	for (size_t i = 0; i < l->nactors; i++) {
		struct child *c = &l->actors[i];
		if (!c->spec->remote || c->said_ready)
			continue;
		if (used < cap)
			used += (size_t)snprintf(buf + used, cap - used, "%s%s", n ? ", " : "",
						 c->name);
		n++;
	}
	return n;
}

/* Waits for every remote actor to register and say ready, each within its
 * ready_timeout_ms (counted from now, all together); names the missing. */
static int wait_remote(struct launcher *l)
{
	char names[1024];
	uint64_t start = hive_now_ns(), last = start;
	for (size_t i = 0; i < l->nactors; i++)
		if (l->actors[i].spec->remote) {
			uint64_t d = start + l->actors[i].spec->ready_timeout_ms * 1000000ull;
			last = d > last ? d : last;
		}
	if (remote_missing(l, names, sizeof names) == 0)
		return 0;
	hive_logf(LAUNCH_NAME, HIVE_LOG_INFO, "waiting up to %llu ms for the remote actors: %s",
		  (unsigned long long)((last - start) / 1000000ull), names);
	int rc = 0;
	while (rc == 0) {
		uint64_t now = hive_now_ns(), next = 0;
		bool late = false;
		for (size_t i = 0; i < l->nactors; i++) {
			struct child *c = &l->actors[i];
			if (!c->spec->remote || c->said_ready)
				continue;
			uint64_t d = start + c->spec->ready_timeout_ms * 1000000ull;
			late |= now >= d;
			next = !next || d < next ? d : next;
		}
		if (!next)
			return 0;
		if (late)
			break;
		rc = hive_run_once(l->hive, ms_until(next));
		rc = rc > 0 ? 0 : rc;
	}
	if (rc == 0) {
		size_t n = remote_missing(l, names, sizeof names);
		hive_logf(LAUNCH_NAME, HIVE_LOG_ERROR, "%zu remote actor%s did not register and say "
			  "ready in time: %s; start each on its host with --name NAME --broker "
			  "tcp://ADDR:PORT (this broker's --bind) --keys DIR (with broker.pub and "
			  "actors/NAME.key from %s), or raise its ready_timeout_ms in %s", n,
			  n == 1 ? "" : "s", names, l->keys_dir ? l->keys_dir : "--keys",
			  l->graph_path);
		rc = -ETIMEDOUT;
	}
	if (rc < 0 && rc != -ECANCELED)
		l->exit_code = LAUNCH_EXIT_FAILED;
	return rc;
}

static int start_actors(struct launcher *l)
{
	int rc = 0;
	for (size_t i = 0; rc == 0 && i < l->nactors; i++) {
		if (l->actors[i].spec->remote)
			continue;
		rc = start_child(l, &l->actors[i]);
		if (rc == 0)
			rc = wait_ready(l, &l->actors[i]);
		else
			l->exit_code = LAUNCH_EXIT_FAILED;
	}
	return rc;
}

/* ---- stopping ---------------------------------------------------------------- */

/* Waits up to timeout_ms for c to end (reaping whatever else ends). */
static bool wait_gone(struct launcher *l, struct child *c, int timeout_ms)
{
	uint64_t deadline = hive_now_ns() + (uint64_t)timeout_ms * 1000000ull;
	reap(l);
	while (c->pid > 0 && hive_now_ns() < deadline) {
		/* A SIGCHLD arriving after reap() leaves the signalfd readable. */
		struct pollfd p = { .fd = l->sfd, .events = POLLIN };
		poll(&p, 1, ms_until(deadline));
		reap(l);
	}
	return c->pid <= 0;
}

static void stop_child(struct launcher *l, struct child *c)
{
	char w[HIVE_NAME_MAX + 16];
	pid_t pid = c->pid;
	if (pid > 0) {
		kill(pid, SIGTERM);
		if (!wait_gone(l, c, LAUNCH_STOP_TIMEOUT_MS)) {
			hive_logf(LAUNCH_NAME, HIVE_LOG_WARN, "%s (pid %d) did not stop within %d ms "
				  "of SIGTERM; killing it", who(c, w, sizeof w), (int)pid,
				  LAUNCH_STOP_TIMEOUT_MS);
			kill(pid, SIGKILL);
			if (!wait_gone(l, c, LAUNCH_STOP_TIMEOUT_MS))
				hive_logf(LAUNCH_NAME, HIVE_LOG_ERROR, "%s (pid %d) survived SIGKILL "
					  "for %d ms", w, (int)pid, LAUNCH_STOP_TIMEOUT_MS);
		}
	}
}

/* Stops the actors in reverse graph order, then the broker. */
static void stop_graph(struct launcher *l)
{
	/* Remote actors not stopped yet (a Stop message to the launcher, a
	 * failed start, or they did not answer): asked once more, not waited. */
	if (!l->remote_stops_sent && l->hive)
		send_remote_stops(l, "the graph is stopping");
	l->phase = LAUNCH_STOPPING;
	for (size_t i = l->nactors; i-- > 0;)
		stop_child(l, &l->actors[i]);
	/* While the broker still reads what the launcher sent last. */
	hive_actor_destroy(&l->hive);
	stop_child(l, &l->broker);
	if (l->broker.pid <= 0) {
		char path[4200];
		snprintf(path, sizeof path, "%s/broker", l->run_dir);
		unlink(path);
		snprintf(path, sizeof path, "%s/tap", l->run_dir);
		unlink(path);
	}
	hive_logf(LAUNCH_NAME, HIVE_LOG_INFO, "graph '%s' stopped", l->graph->name);
}

int launcher_run(struct launcher *l)
{
	l->phase = LAUNCH_STARTING;
	l->exit_code = LAUNCH_EXIT_OK;
	l->started_ns = hive_now_ns();
	l->broker.owner = l;
	for (size_t i = 0; i < l->nactors; i++)
		l->actors[i].owner = l;
	hive_logf(LAUNCH_NAME, HIVE_LOG_INFO, "starting graph '%s' (%s): %zu actors in %s",
		  l->graph->name, l->graph_path, l->nactors, l->run_dir);

	int rc = start_broker(l);
	if (rc == 0)
		rc = sync_broker(l);
	if (rc < 0 && rc != -ECANCELED)
		l->exit_code = LAUNCH_EXIT_FAILED;
	if (rc == 0)
		rc = start_actors(l);
	if (rc == 0)
		rc = wait_remote(l);
	if (rc == 0) {
		l->phase = LAUNCH_RUNNING;
		send_graph_ready(l);
		fputs("ready\n", stdout);
		fflush(stdout);
		hive_logf(LAUNCH_NAME, HIVE_LOG_INFO, "graph '%s' ready: %zu actors in %llu ms",
			  l->graph->name, l->nactors,
			  (unsigned long long)((hive_now_ns() - l->started_ns) / 1000000));
		rc = hive_run(l->hive);
		if (rc < 0)
			l->exit_code = LAUNCH_EXIT_FAILED;
	}
	stop_graph(l);
	return l->exit_code;
}
