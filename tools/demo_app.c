/* The app side of hive-demo, shared with hive-bench-gatt: joining a graph as
 * an app, calls with their Results, starting hive-vctrl and the graphs.
 *
 * hive-demo: the demo of `make run`. Starts hive-vctrl (two emulated
 * controllers on one virtual radio) and two graphs with hive-launch: a
 * peripheral (launcher/graphs/peripheral.json, gatt serving
 * examples/heart-rate.json) and a central (launcher/graphs/central.json).
 * It joins each graph's broker as an ephemeral app named "demo" and
 * drives the steps with the actors' own requests: advertise, scan,
 * connect, pair (LE Secure Connections, numeric comparison, confirmed on
 * both sides), discover, read, subscribe to the heart rate while the
 * peripheral's timer notifies a changing measurement, disconnect. One
 * progress line per step; at the end the messages per pipe seen on each
 * broker's tap. --transport-a/--transport-b put a graph on a real
 * controller instead of hive-vctrl. */
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "demo.h"
#include "hive.h"

/* ---- small things --------------------------------------------------------------- */

int demo_fail(struct demo *d, const char *fmt, ...)
{
	char msg[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	fprintf(stderr, "%s: step %d/%d failed: %s\n", DEMO_NAME, d->step, STEPS, msg);
	return -1;
}

void demo_step(struct demo *d, const char *fmt, ...)
{
	va_list ap;
	printf("[%d/%d] ", d->step, STEPS);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	fflush(stdout);
}

void demo_addr_text(const uint8_t b[6], char out[18])
{
	snprintf(out, 18, "%02X:%02X:%02X:%02X:%02X:%02X", b[5], b[4], b[3], b[2], b[1], b[0]);
}

uint16_t demo_uuid16(const ProtobufCBinaryData *u)
{
	return u->len == 2 ? (uint16_t)(u->data[0] | u->data[1] << 8) : 0;
}

static Hive__Result *copy_result(const Hive__Result *r)
{
	size_t n = hive__result__get_packed_size(r);
	uint8_t *buf = malloc(n ? n : 1);
	Hive__Result *c = NULL;
	if (buf) {
		hive__result__pack(r, buf);
		c = hive__result__unpack(NULL, n, buf);
		free(buf);
	}
	return c;
}

/* ---- handlers --------------------------------------------------------------------- */

void demo_on_result(struct hive_actor *a, const char *source, const Hive__Envelope *env,
		      void *arg)
{
	struct demo *d = arg;
	const Hive__Result *r = env->result;
	if (d->scan_id && r->id == d->scan_id) {
		if (r->value_case == HIVE__RESULT__VALUE_SCAN_REPORT) {
			const Hive__ScanReport *s = r->scan_report;
			if (!d->found && s->connectable && s->data && s->data->name &&
			    !strcmp(s->data->name, DEVICE_NAME) && s->address &&
			    s->address->bdaddr.len == 6) {
				d->found = true;
				d->peer_type = s->address->type;
				memcpy(d->peer, s->address->bdaddr.data, 6);
				d->rssi = s->rssi;
			}
		} else {
			d->scan_ended = true;
		}
		return;
	}
	if (d->call_id && r->id == d->call_id && !d->call_done) {
		hive__result__free_unpacked(d->result, NULL);
		d->result = copy_result(r);
		d->call_done = true;
		return;
	}
	/* The heart rate timer's notify requests. */
	if (r->status != 0 || (r->value_case == HIVE__RESULT__VALUE_GATT && r->gatt->done &&
			       r->gatt->done->count == 0))
		d->notify_failures++;
}

static void on_link(struct hive_actor *a, const char *source, const Hive__Envelope *env,
		    void *arg)
{
	struct side *s = arg;
	const Hive__LinkEvent *le = env->link;
	switch (le->kind_case) {
	case HIVE__LINK_EVENT__KIND_CONNECTED:
		s->connected = true;
		s->disconnected = false;
		s->handle = le->handle;
		break;
	case HIVE__LINK_EVENT__KIND_ENCRYPTION_CHANGED:
		if (le->encryption_changed->enabled && !le->encryption_changed->status) {
			s->encrypted = true;
			s->key_size = le->encryption_changed->key_size;
		}
		break;
	case HIVE__LINK_EVENT__KIND_DISCONNECTED:
		s->disconnected = true;
		s->reason = le->disconnected->reason;
		break;
	default:
		break;
	}
}

/* A prompt of either side's smp: shown, and confirmed. */
static void on_smp_event(struct hive_actor *a, const char *source, const Hive__Envelope *env,
			 void *arg)
{
	struct side *s = arg;
	const Hive__SmpEvent *e = env->smp_event;
	if (e->kind_case != HIVE__SMP_EVENT__KIND_PROMPT)
		return;
	s->prompted = true;
	s->number = e->prompt->number;
	if (e->prompt->kind == HIVE__SMP_PROMPT__KIND__PASSKEY_DISPLAY)
		return;
	Hive__SmpUserReply ur = HIVE__SMP_USER_REPLY__INIT;
	ur.handle = e->handle;
	ur.accept = true;
	Hive__SmpRequest sr = HIVE__SMP_REQUEST__INIT;
	sr.op_case = HIVE__SMP_REQUEST__OP_USER_REPLY;
	sr.user_reply = &ur;
	Hive__Request req = HIVE__REQUEST__INIT;
	req.id = 0;
	req.op_case = HIVE__REQUEST__OP_SMP;
	req.smp = &sr;
	Hive__Envelope out = HIVE__ENVELOPE__INIT;
	out.body_case = HIVE__ENVELOPE__BODY_REQUEST;
	out.request = &req;
	hive_send(a, "smp", &out);
}

static void on_gatt_event(struct hive_actor *a, const char *source, const Hive__Envelope *env,
			  void *arg)
{
	struct demo *d = arg;
	const Hive__GattEvent *e = env->gatt_event;
	if (e->kind_case != HIVE__GATT_EVENT__KIND_NOTIFICATION || !d->hrm ||
	    e->notification->handle != d->hrm || d->hr_got >= NOTIFICATIONS)
		return;
	const ProtobufCBinaryData *v = &e->notification->value;
	/* Heart Rate Measurement: flags, then the rate (8 or 16 bits). */
	unsigned bpm = v->len >= 2 ? v->data[1] : 0;
	if (v->len >= 3 && (v->data[0] & 1))
		bpm |= (unsigned)v->data[2] << 8;
	d->hr_got++;
	printf("        heart rate %u bpm (notification %d/%d)\n", bpm, d->hr_got, NOTIFICATIONS);
	fflush(stdout);
}

static void on_status(struct hive_actor *a, const char *source, const Hive__Envelope *env,
		      void *arg)
{
	struct side *s = arg;
	s->tap_subscriptions = env->status->tap_subscriptions;
	s->routed = env->status->routed;
	s->status_in = true;
}

/* ---- requests --------------------------------------------------------------------- */

/* One turn of both loops (waiting at most about 2 ms) and both taps.
 * Returns -1 once stopped (a signal). */
int demo_pump(struct demo *d)
{
	if ((d->p.a && hive_run_once(d->p.a, d->c.a ? 0 : 2) < 0) ||
	    (d->c.a && hive_run_once(d->c.a, 2) < 0))
		return -1;
	demo_tap_drain(&d->p.tap);
	demo_tap_drain(&d->c.tap);
	return 0;
}

/* Runs both loops and drains both taps until *flag or the deadline. */
int demo_wait_for(struct demo *d, const bool *flag, int timeout_ms, const char *what)
{
	uint64_t deadline = hive_now_ns() + (uint64_t)timeout_ms * 1000000ull;
	while (!*flag) {
		if (hive_now_ns() > deadline)
			return demo_fail(d, "%s: nothing within %d ms", what, timeout_ms);
		if (demo_pump(d) < 0)
			return demo_fail(d, "%s: stopped", what);
	}
	return 0;
}

int demo_send_request(struct demo *d, struct side *s, const char *dest, Hive__Request *req)
{
	Hive__Envelope env = HIVE__ENVELOPE__INIT;
	env.body_case = HIVE__ENVELOPE__BODY_REQUEST;
	env.request = req;
	req->id = ++d->next_id;
	int rc = hive_send(s->a, dest, &env);
	if (rc < 0)
		demo_fail(d, "cannot send to %s's %s: %s", s->label, dest, strerror(-rc));
	return rc;
}

/* Sends req to dest of side s and waits for its Result (d->result, status
 * 0). Returns 0 or -1 (reported). */
int demo_call(struct demo *d, struct side *s, const char *dest, Hive__Request *req,
		const char *what)
{
	d->call_done = false;
	if (demo_send_request(d, s, dest, req) < 0)
		return -1;
	d->call_id = req->id;
	int rc = demo_wait_for(d, &d->call_done, STEP_TIMEOUT_MS, what);
	d->call_id = 0;
	if (rc < 0)
		return rc;
	if (!d->result)
		return demo_fail(d, "%s: no memory", what);
	if (d->result->status)
		return demo_fail(d, "%s: %s (status %d)", what,
			    d->result->error && *d->result->error ? d->result->error : "failed",
			    d->result->status);
	return 0;
}

int demo_gatt_call(struct demo *d, Hive__GattRequest *gr, const char *what)
{
	Hive__Request req = HIVE__REQUEST__INIT;
	req.op_case = HIVE__REQUEST__OP_GATT;
	req.gatt = gr;
	gr->conn = d->c.handle;
	int rc = demo_call(d, &d->c, "gatt", &req, what);
	if (rc == 0 && d->result->value_case != HIVE__RESULT__VALUE_GATT)
		rc = demo_fail(d, "%s: the answer is not gatt's", what);
	return rc;
}

int demo_broker_status(struct demo *d, struct side *s)
{
	Hive__StatusRequest sr = HIVE__STATUS_REQUEST__INIT;
	Hive__Envelope env = HIVE__ENVELOPE__INIT;
	env.body_case = HIVE__ENVELOPE__BODY_STATUS_REQUEST;
	env.status_request = &sr;
	s->status_in = false;
	if (hive_send(s->a, "broker", &env) < 0)
		return demo_fail(d, "the %s broker is gone", s->label);
	return demo_wait_for(d, &s->status_in, STEP_TIMEOUT_MS, "broker status");
}

/* ---- starting and stopping ------------------------------------------------------------ */

static bool file_exists(const char *path)
{
	struct stat st;
	return stat(path, &st) == 0;
}

/* The folder holding launcher/graphs: the current one, else up from the
 * program's (build/bin, build/NAME/bin). */
int demo_find_root(struct demo *d)
{
	char exe[DEMO_PATH_MAX], cand[DEMO_PATH_MAX * 2];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
	if (n <= 0)
		return demo_fail(d, "cannot find my own program");
	exe[n] = 0;
	*strrchr(exe, '/') = 0;
	if (!*d->bin)
		snprintf(d->bin, sizeof d->bin, "%s", exe);
	const char *ups[] = { ".", "..", "../..", "../../.." };
	if (getcwd(cand, sizeof cand)) {
		size_t l = strlen(cand);
		snprintf(cand + l, sizeof cand - l, "/launcher/graphs/peripheral.json");
		if (file_exists(cand) && getcwd(d->root, sizeof d->root))
			return 0;
	}
	for (size_t i = 0; i < sizeof ups / sizeof ups[0]; i++) {
		snprintf(cand, sizeof cand, "%s/%s/launcher/graphs/peripheral.json", exe, ups[i]);
		char real[PATH_MAX];
		if (file_exists(cand) && realpath(cand, real)) {
			*strstr(real, "/launcher/graphs/peripheral.json") = 0;
			snprintf(d->root, sizeof d->root, "%s", real);
			return 0;
		}
	}
	return demo_fail(d, "launcher/graphs/peripheral.json not found here or above %s: run from "
		       "the source tree", exe);
}

int demo_start_vctrl(struct demo *d)
{
	char prog[DEMO_PATH_MAX + 16], log[DEMO_PATH_MAX + 16], socks[2][DEMO_PATH_MAX + 16];
	char *argv[8];
	int argc = 0, n = 0;
	snprintf(prog, sizeof prog, "%s/hive-vctrl", d->bin);
	snprintf(log, sizeof log, "%s/vctrl.log", d->work);
	argv[argc++] = prog;
	struct side *sides[2] = { &d->p, &d->c };
	for (int i = 0; i < 2; i++) {
		if (*sides[i]->transport)
			continue;
		snprintf(socks[n], sizeof socks[n], "%s/ctrl%d", d->work, n);
		snprintf(sides[i]->transport, sizeof sides[i]->transport, "unix:%s", socks[n]);
		argv[argc++] = "--unix";
		argv[argc++] = socks[n++];
	}
	argv[argc] = NULL;
	if (n == 0)
		return 0;
	if (demo_proc_start(&d->vctrl, "hive-vctrl", argv, NULL, log) < 0 ||
	    demo_proc_wait_ready(&d->vctrl, READY_TIMEOUT_MS, NULL, 0) < 0)
		return -1;
	return n;
}

int demo_start_graph(struct demo *d, struct side *s)
{
	char prog[DEMO_PATH_MAX + 16], graph[DEMO_PATH_MAX + 64], log[DEMO_PATH_MAX + 32],
		ks[DEMO_PATH_MAX + 64];
	snprintf(prog, sizeof prog, "%s/hive-launch", d->bin);
	snprintf(graph, sizeof graph, "%s/launcher/graphs/%s.json", d->root, s->label);
	snprintf(log, sizeof log, "%s/%s.log", d->work, s->label);
	snprintf(s->run_dir, sizeof s->run_dir, "%s/%s", d->work, s->label);
	snprintf(ks, sizeof ks, "smp.keystore=%s/%s-bonds.sqlite3", d->work, s->label);
	if (mkdir(s->run_dir, 0700) < 0)
		return demo_fail(d, "cannot make %s: %s", s->run_dir, strerror(errno));
	char *argv[] = { prog, graph, "--transport", s->transport, "--run-dir", s->run_dir,
			 "--set", ks, NULL };
	/* The graph's relative paths (the gatt database) are the tree's. */
	return demo_proc_start(&s->launch, s->label, argv, d->root, log);
}

int demo_join_graph(struct demo *d, struct side *s)
{
	struct hive_actor_config cfg = { .name = "demo", .run_dir = s->run_dir, .ephemeral = true };
	if (hive_actor_new(&s->a, &cfg) < 0)
		return demo_fail(d, "cannot join the %s graph", s->label);
	hive_on(s->a, HIVE__ENVELOPE__BODY_RESULT, demo_on_result, d);
	hive_on(s->a, HIVE__ENVELOPE__BODY_LINK, on_link, s);
	hive_on(s->a, HIVE__ENVELOPE__BODY_SMP_EVENT, on_smp_event, s);
	hive_on(s->a, HIVE__ENVELOPE__BODY_STATUS, on_status, s);
	if (s == &d->c)
		hive_on(s->a, HIVE__ENVELOPE__BODY_GATT_EVENT, on_gatt_event, d);
	if (demo_tap_open(&s->tap, s->run_dir) < 0)
		return demo_fail(d, "cannot attach to the %s graph's tap", s->label);
	/* Count from the start: wait until the broker has our subscription. */
	uint64_t deadline = hive_now_ns() + (uint64_t)STEP_TIMEOUT_MS * 1000000ull;
	do {
		if (demo_broker_status(d, s) < 0)
			return -1;
	} while (s->tap_subscriptions == 0 && hive_now_ns() < deadline);
	/* Link events from the host; smp prompts and outcomes. */
	Hive__LinkSubscribe ls = HIVE__LINK_SUBSCRIBE__INIT;
	Hive__Request req = HIVE__REQUEST__INIT;
	req.op_case = HIVE__REQUEST__OP_LINK_SUBSCRIBE;
	req.link_subscribe = &ls;
	if (demo_call(d, s, "host", &req, "link subscription") < 0)
		return -1;
	Hive__SmpSubscribe ss = HIVE__SMP_SUBSCRIBE__INIT;
	Hive__SmpRequest sr = HIVE__SMP_REQUEST__INIT;
	sr.op_case = HIVE__SMP_REQUEST__OP_SUBSCRIBE;
	sr.subscribe = &ss;
	Hive__Request req2 = HIVE__REQUEST__INIT;
	req2.op_case = HIVE__REQUEST__OP_SMP;
	req2.smp = &sr;
	return demo_call(d, s, "smp", &req2, "smp subscription");
}

