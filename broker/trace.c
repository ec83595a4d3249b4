/* hive-trace: attaches to a running graph's tap and prints what crosses
 * its pipes, as text, JSON lines, or a btsnoop capture of the hci<->host
 * pipe that btmon, tshark and Wireshark read.
 *
 *   hive-trace [--run-dir DIR | --tap tcp://ADDR:PORT --keys DIR]
 *              [--pipe SRC:DST]... [--format text|json|btsnoop]
 *              [-o FILE] [--count N] [--wait]
 *
 * A remote tracer connects to the tap a broker publishes on tcp
 * (hive-launch --tap-bind), authenticated and encrypted with CURVE: our key
 * pair is KEYS/actors/trace.key (--key-name), the broker's KEYS/broker.pub;
 * the broker admits only tracers' keys there.
 *
 * It only listens: a SUB socket connected to ipc://RUN_DIR/tap, never a
 * registration with the broker, so attaching and detaching (at any time, by
 * any signal) does not disturb the graph. The broker publishes on the tap
 * only what some subscription asks for; hive-trace subscribes to the exact
 * pipes wanted ("A>B" and "B>A" for --pipe A:B) and filters exactly on its
 * side too, since a subscription is a prefix ("A>B" also matches "A>Bx").
 *
 * The only file-scope state is the signal flag.
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <zmq.h>

#include "arena.h"
#include "btsnoop.h"
#include "hive.h"
#include "trace_format.h"

#define TRACE_LOG "hive-trace"
#define TRACE_PIPES_MAX 32
#define TRACE_FRAME_MAX (1 << 20) /* ZMQ_MAXMSGSIZE: larger frames drop the link */
#define TRACE_RCVHWM 100000       /* messages queued in the tracer before drops */
#define TRACE_BATCH 256           /* messages per turn before a flush */
#define TRACE_POLL_MS 250

static volatile sig_atomic_t trace_signalled;

static void on_signal(int sig)
{
	(void)sig;
	trace_signalled = 1;
}

enum trace_format { FORMAT_TEXT, FORMAT_JSON, FORMAT_BTSNOOP };

struct trace_pipe {
	char a[HIVE_NAME_MAX + 1];
	char b[HIVE_NAME_MAX + 1];
};

struct trace_opts {
	char run_dir[4096];
	const char *tap;      /* tcp://ADDR:PORT of a remote tap; NULL: RUN_DIR/tap */
	const char *keys_dir; /* CURVE keys for the remote tap */
	const char *key_name; /* our key: KEYS/actors/NAME.key */
	struct trace_pipe pipes[TRACE_PIPES_MAX];
	size_t npipes;
	enum trace_format format;
	const char *out_path; /* NULL: stdout */
	uint64_t count;       /* 0: no limit */
	bool wait;
};

struct tracer {
	struct trace_opts o;
	void *zctx;
	void *sub;
	void *monitor; /* of sub, on tcp: a refused CURVE handshake */
	FILE *out;
	struct arena arena;

	bool have_base;
	uint64_t base_ns;        /* sent_ns of the first message traced */
	int64_t wall_offset_ns;  /* CLOCK_REALTIME - CLOCK_MONOTONIC at start */

	uint64_t written;   /* lines or records */
	uint64_t malformed; /* frames that were not [topic][Envelope] */
	uint64_t skipped;   /* well-formed but not for this output */

	char line[TRACE_TEXT_LINE];
	char *json;
	size_t json_cap;
};

/* ---- options --------------------------------------------------------------------- */

static void usage(FILE *f)
{
	fprintf(f,
		"usage: hive-trace [--run-dir DIR | --tap tcp://ADDR:PORT --keys DIR]\n"
		"                  [--pipe SRC:DST]... [--format text|json|btsnoop] [-o FILE]\n"
		"                  [--count N] [--wait]\n"
		"\n"
		"Prints what crosses the pipes of a running graph, from its tap.\n"
		"  --run-dir DIR   the graph's run directory (default $HIVE_RUN_DIR,\n"
		"                  $XDG_RUNTIME_DIR/hive, /tmp/hive-UID)\n"
		"  --tap tcp://A:P the tap of a broker on another host (hive-launch --tap-bind;\n"
		"                  its RUN_DIR/tap.endpoints), over CURVE\n"
		"  --keys DIR      with --tap: DIR/broker.pub and DIR/actors/trace.key (copied\n"
		"                  from the broker's hive-launch --keys DIR)\n"
		"  --key-name NAME with --tap: use DIR/actors/NAME.key (default trace; the\n"
		"                  broker admits names starting with trace)\n"
		"  --pipe SRC:DST  trace this pipe, both directions (repeatable; default all;\n"
		"                  hci:host with --format btsnoop)\n"
		"  --format F      text (default): time, pipe, size and a one-line decode;\n"
		"                  json: one object per line; btsnoop: the hci<->host pipe\n"
		"                  as an HCI UART (H4) capture for btmon -r / tshark -r\n"
		"  -o FILE         write to FILE instead of stdout\n"
		"  --count N       exit after N lines or records\n"
		"  --wait          wait for a graph to start instead of failing\n"
		"  --log-level L   error, warn, info (default), debug\n");
}

static int parse_pipe(const char *arg, struct trace_pipe *p)
{
	const char *colon = strchr(arg, ':');
	if (!colon)
		return -EINVAL;
	size_t na = (size_t)(colon - arg);
	size_t nb = strlen(colon + 1);
	if (na == 0 || na > HIVE_NAME_MAX || nb == 0 || nb > HIVE_NAME_MAX)
		return -EINVAL;
	memcpy(p->a, arg, na);
	p->a[na] = '\0';
	memcpy(p->b, colon + 1, nb + 1);
	return hive_name_valid(p->a) && hive_name_valid(p->b) ? 0 : -EINVAL;
}

static bool pipe_is(const struct trace_pipe *p, const char *x, const char *y)
{
	return (strcmp(p->a, x) == 0 && strcmp(p->b, y) == 0) ||
	       (strcmp(p->a, y) == 0 && strcmp(p->b, x) == 0);
}

/* Returns 0 to run, 1 when --help was asked (exit 0), -EINVAL (told). */
static int parse_args(struct trace_opts *o, int argc, char **argv)
{
	enum { OPT_RUN_DIR = 256, OPT_PIPE, OPT_FORMAT, OPT_COUNT, OPT_WAIT, OPT_LOG, OPT_TAP,
	       OPT_KEYS, OPT_KEY_NAME };
	static const struct option longopts[] = {
		{ "run-dir", required_argument, NULL, OPT_RUN_DIR },
		{ "tap", required_argument, NULL, OPT_TAP },
		{ "keys", required_argument, NULL, OPT_KEYS },
		{ "key-name", required_argument, NULL, OPT_KEY_NAME },
		{ "pipe", required_argument, NULL, OPT_PIPE },
		{ "format", required_argument, NULL, OPT_FORMAT },
		{ "output", required_argument, NULL, 'o' },
		{ "count", required_argument, NULL, OPT_COUNT },
		{ "wait", no_argument, NULL, OPT_WAIT },
		{ "log-level", required_argument, NULL, OPT_LOG },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	memset(o, 0, sizeof *o);
	hive_default_run_dir(o->run_dir, sizeof o->run_dir);
	int c;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":o:h", longopts, NULL)) != -1) {
		switch (c) {
		case OPT_RUN_DIR:
			if (snprintf(o->run_dir, sizeof o->run_dir, "%s", optarg) >=
			    (int)sizeof o->run_dir) {
				hive_logf(TRACE_LOG, HIVE_LOG_ERROR, "--run-dir is too long");
				return -EINVAL;
			}
			break;
		case OPT_TAP:
			if (!hive_endpoint_is_tcp(optarg)) {
				hive_logf(TRACE_LOG, HIVE_LOG_ERROR, "--tap %s: give the broker's "
					  "tcp://ADDR:PORT tap endpoint (for a local graph use "
					  "--run-dir)", optarg);
				return -EINVAL;
			}
			o->tap = optarg;
			break;
		case OPT_KEYS:
			o->keys_dir = optarg;
			break;
		case OPT_KEY_NAME:
			if (!hive_name_valid(optarg)) {
				hive_logf(TRACE_LOG, HIVE_LOG_ERROR, "--key-name %s: not a key name",
					  optarg);
				return -EINVAL;
			}
			o->key_name = optarg;
			break;
		case OPT_PIPE:
			if (o->npipes == TRACE_PIPES_MAX) {
				hive_logf(TRACE_LOG, HIVE_LOG_ERROR, "at most %d --pipe options",
					  TRACE_PIPES_MAX);
				return -EINVAL;
			}
			if (parse_pipe(optarg, &o->pipes[o->npipes]) < 0) {
				hive_logf(TRACE_LOG, HIVE_LOG_ERROR,
					  "--pipe %s: expected SRC:DST, two actor names such as "
					  "host:hci", optarg);
				return -EINVAL;
			}
			o->npipes++;
			break;
		case OPT_FORMAT:
			if (strcmp(optarg, "text") == 0) {
				o->format = FORMAT_TEXT;
			} else if (strcmp(optarg, "json") == 0) {
				o->format = FORMAT_JSON;
			} else if (strcmp(optarg, "btsnoop") == 0) {
				o->format = FORMAT_BTSNOOP;
			} else {
				hive_logf(TRACE_LOG, HIVE_LOG_ERROR,
					  "--format %s: expected text, json or btsnoop", optarg);
				return -EINVAL;
			}
			break;
		case 'o':
			o->out_path = optarg;
			break;
		case OPT_COUNT: {
			char *end;
			errno = 0;
			unsigned long long n = strtoull(optarg, &end, 10);
			if (errno || *end || end == optarg || n == 0 || optarg[0] == '-') {
				hive_logf(TRACE_LOG, HIVE_LOG_ERROR,
					  "--count %s: expected a number above 0", optarg);
				return -EINVAL;
			}
			o->count = n;
			break;
		}
		case OPT_WAIT:
			o->wait = true;
			break;
		case OPT_LOG: {
			enum hive_log_level lvl;
			if (hive_log_level_parse(optarg, &lvl) < 0) {
				hive_logf(TRACE_LOG, HIVE_LOG_ERROR,
					  "--log-level %s: expected error, warn, info, debug or "
					  "trace", optarg);
				return -EINVAL;
			}
			hive_log_set_threshold(lvl);
			break;
		}
		case 'h':
			usage(stdout);
			return 1;
		case ':':
			hive_logf(TRACE_LOG, HIVE_LOG_ERROR, "%s needs a value", argv[optind - 1]);
			return -EINVAL;
		default:
			hive_logf(TRACE_LOG, HIVE_LOG_ERROR, "unknown option %s; see --help",
				  argv[optind - 1]);
			return -EINVAL;
		}
	}
	if (optind < argc) {
		hive_logf(TRACE_LOG, HIVE_LOG_ERROR, "unexpected argument %s; see --help",
			  argv[optind]);
		return -EINVAL;
	}
	if (o->tap && !o->keys_dir) {
		hive_logf(TRACE_LOG, HIVE_LOG_ERROR, "--tap %s needs --keys DIR: the remote tap "
			  "is authenticated and encrypted with CURVE (copy broker.pub and "
			  "actors/trace.key from the broker's hive-launch --keys DIR)", o->tap);
		return -EINVAL;
	}
	if (!o->key_name)
		o->key_name = "trace";
	if (o->format == FORMAT_BTSNOOP) {
		if (o->npipes == 0) {
			snprintf(o->pipes[0].a, sizeof o->pipes[0].a, "hci");
			snprintf(o->pipes[0].b, sizeof o->pipes[0].b, "host");
			o->npipes = 1;
		}
		for (size_t i = 0; i < o->npipes; i++) {
			if (!pipe_is(&o->pipes[i], "hci", "host")) {
				hive_logf(TRACE_LOG, HIVE_LOG_ERROR,
					  "--format btsnoop captures the hci<->host pipe only, not "
					  "%s:%s; drop --pipe or use --format text", o->pipes[i].a,
					  o->pipes[i].b);
				return -EINVAL;
			}
		}
		if (!o->out_path && isatty(STDOUT_FILENO)) {
			hive_logf(TRACE_LOG, HIVE_LOG_ERROR,
				  "btsnoop is binary: write it to a file with -o FILE (then "
				  "btmon -r FILE) or redirect stdout");
			return -EINVAL;
		}
	}
	return 0;
}

/* ---- the tap ------------------------------------------------------------------- */

/* Whether a listener holds the unix socket at path: 0 yes, -ENOENT no
 * socket file, -ECONNREFUSED a file left by a broker that ended, other
 * -errno when it cannot tell (the caller then just tries). */
static int tap_probe(const char *path)
{
	struct stat st;
	if (stat(path, &st) < 0)
		return -errno;
	if (!S_ISSOCK(st.st_mode))
		return -ENOTSOCK;
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	if (strlen(path) >= sizeof sa.sun_path)
		return -ENAMETOOLONG;
	memcpy(sa.sun_path, path, strlen(path) + 1);
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	int rc = connect(fd, (struct sockaddr *)&sa, sizeof sa) < 0 ? -errno : 0;
	close(fd);
	return rc;
}

static int tap_check(const struct trace_opts *o)
{
	char path[4200];
	snprintf(path, sizeof path, "%s/tap", o->run_dir);
	if (o->tap) {
		hive_logf(TRACE_LOG, HIVE_LOG_INFO, "tracing the tap at %s", o->tap);
		return 0;
	}
	if (o->wait) {
		hive_logf(TRACE_LOG, HIVE_LOG_INFO, "tracing the graph at %s (waiting for it "
			  "if it is not running)", o->run_dir);
		return 0;
	}
	int rc = tap_probe(path);
	if (rc == -ENOENT || rc == -ENOTDIR) {
		hive_logf(TRACE_LOG, HIVE_LOG_ERROR,
			  "no graph is running at %s (no tap socket); start one with "
			  "hive-launch or pass --run-dir (or --wait for one)", o->run_dir);
		return -ENOENT;
	}
	if (rc == -ECONNREFUSED || rc == -ENOTSOCK) {
		hive_logf(TRACE_LOG, HIVE_LOG_ERROR,
			  "no graph is running at %s (its tap socket is left from a broker "
			  "that ended); start one with hive-launch or pass --run-dir (or "
			  "--wait for one)", o->run_dir);
		return -ECONNREFUSED;
	}
	return 0;
}

static int tap_subscribe(struct tracer *t, const char *a, const char *b)
{
	char topic[2 * HIVE_NAME_MAX + 2];
	int n = snprintf(topic, sizeof topic, "%s>%s", a, b);
	return zmq_setsockopt(t->sub, ZMQ_SUBSCRIBE, topic, (size_t)n) < 0 ? -zmq_errno() : 0;
}

/* A CURVE client of the remote tap, with a monitor that tells a refused
 * handshake (the broker says nothing else to a refused key). */
static int tap_curve(struct tracer *t)
{
	char path[4300], server[HIVE_KEY_Z85_LEN + 1], secret[HIVE_KEY_Z85_LEN + 1];
	char public[HIVE_KEY_Z85_LEN + 1];
	int rc = hive_curve_check(TRACE_LOG);
	if (rc == 0) {
		hive_key_path(path, sizeof path, t->o.keys_dir, "broker", false);
		rc = hive_key_load(path, server, false);
	}
	if (rc == 0) {
		hive_key_path(path, sizeof path, t->o.keys_dir, t->o.key_name, true);
		rc = hive_key_load(path, secret, true);
	}
	if (rc == 0 && zmq_curve_public(public, secret) < 0)
		rc = -EINVAL;
	if (rc == 0 &&
	    (zmq_setsockopt(t->sub, ZMQ_CURVE_SERVERKEY, server, HIVE_KEY_Z85_LEN + 1) < 0 ||
	     zmq_setsockopt(t->sub, ZMQ_CURVE_PUBLICKEY, public, HIVE_KEY_Z85_LEN + 1) < 0 ||
	     zmq_setsockopt(t->sub, ZMQ_CURVE_SECRETKEY, secret, HIVE_KEY_Z85_LEN + 1) < 0))
		rc = -zmq_errno();
	memset(secret, 0, sizeof secret);
	if (rc < 0)
		return rc;
	if (zmq_socket_monitor(t->sub, "inproc://trace-monitor",
			       ZMQ_EVENT_HANDSHAKE_FAILED_AUTH | ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL |
			       ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL) < 0)
		return -zmq_errno();
	t->monitor = zmq_socket(t->zctx, ZMQ_PAIR);
	int linger = 0;
	if (!t->monitor || zmq_setsockopt(t->monitor, ZMQ_LINGER, &linger, sizeof linger) < 0 ||
	    zmq_connect(t->monitor, "inproc://trace-monitor") < 0)
		return -zmq_errno();
	return 0;
}

/* -EACCES when the monitor saw the broker refuse our handshake. */
static int tap_refused(struct tracer *t)
{
	zmq_msg_t m;
	zmq_msg_init(&m);
	int rc = 0;
	if (t->monitor && zmq_msg_recv(&m, t->monitor, ZMQ_DONTWAIT) >= 0 &&
	    zmq_msg_size(&m) >= 2) {
		hive_logf(TRACE_LOG, HIVE_LOG_ERROR, "the broker at %s refused our CURVE handshake: "
			  "is %s/actors/%s.key a tracer's key it knows (hive-launch --tap-bind "
			  "makes actors/trace.key) and %s/broker.pub its key?", t->o.tap,
			  t->o.keys_dir, t->o.key_name, t->o.keys_dir);
		rc = -EACCES;
	}
	zmq_msg_close(&m);
	return rc;
}

static int tap_open(struct tracer *t)
{
	char endpoint[4200];
	snprintf(endpoint, sizeof endpoint, "ipc://%s/tap", t->o.run_dir);
	if (t->o.tap)
		snprintf(endpoint, sizeof endpoint, "%s", t->o.tap);
	t->zctx = zmq_ctx_new();
	if (!t->zctx)
		return -zmq_errno();
	t->sub = zmq_socket(t->zctx, ZMQ_SUB);
	if (!t->sub)
		return -zmq_errno();
	int64_t maxmsg = TRACE_FRAME_MAX;
	int hwm = TRACE_RCVHWM, linger = 0;
	if (zmq_setsockopt(t->sub, ZMQ_MAXMSGSIZE, &maxmsg, sizeof maxmsg) < 0 ||
	    zmq_setsockopt(t->sub, ZMQ_RCVHWM, &hwm, sizeof hwm) < 0 ||
	    zmq_setsockopt(t->sub, ZMQ_LINGER, &linger, sizeof linger) < 0)
		return -zmq_errno();
	int rc = 0;
	for (size_t i = 0; i < t->o.npipes && rc == 0; i++) {
		rc = tap_subscribe(t, t->o.pipes[i].a, t->o.pipes[i].b);
		if (rc == 0 && strcmp(t->o.pipes[i].a, t->o.pipes[i].b) != 0)
			rc = tap_subscribe(t, t->o.pipes[i].b, t->o.pipes[i].a);
	}
	if (t->o.npipes == 0 && zmq_setsockopt(t->sub, ZMQ_SUBSCRIBE, "", 0) < 0)
		rc = -zmq_errno();
	if (rc == 0 && t->o.tap)
		rc = tap_curve(t);
	if (rc < 0)
		return rc;
	if (zmq_connect(t->sub, endpoint) < 0) {
		rc = -zmq_errno();
		hive_logf(TRACE_LOG, HIVE_LOG_ERROR, "cannot connect to %s: %s", endpoint,
			  zmq_strerror(-rc));
		return rc;
	}
	return 0;
}

/* ---- output ---------------------------------------------------------------------- */

static bool wanted(const struct tracer *t, const char *src, const char *dst)
{
	if (t->o.npipes == 0)
		return true;
	for (size_t i = 0; i < t->o.npipes; i++)
		if (pipe_is(&t->o.pipes[i], src, dst))
			return true;
	return false;
}

static int write_out(struct tracer *t, const void *p, size_t n)
{
	if (n && fwrite(p, 1, n, t->out) != n)
		return -(errno ? errno : EIO);
	return 0;
}

static int64_t clock_ns(clockid_t id)
{
	struct timespec ts;
	clock_gettime(id, &ts);
	return (int64_t)ts.tv_sec * 1000000000ll + ts.tv_nsec;
}

/* One btsnoop record for an HciPacket on the hci<->host pipe; other bodies
 * are skipped (returns 1). */
static int emit_btsnoop(struct tracer *t, const char *src, const Hive__Envelope *env)
{
	if (env->body_case != HIVE__ENVELOPE__BODY_HCI || !env->hci)
		return 1;
	const Hive__HciPacket *h = env->hci;
	enum h4_type type;
	switch (h->type) {
	case HIVE__HCI_PACKET__TYPE__COMMAND: type = H4_COMMAND; break;
	case HIVE__HCI_PACKET__TYPE__ACL: type = H4_ACL; break;
	case HIVE__HCI_PACKET__TYPE__SCO: type = H4_SCO; break;
	case HIVE__HCI_PACKET__TYPE__EVENT: type = H4_EVENT; break;
	case HIVE__HCI_PACKET__TYPE__ISO: type = H4_ISO; break;
	default:
		hive_logf(TRACE_LOG, HIVE_LOG_DEBUG, "skipped an HciPacket of type %d",
			  (int)h->type);
		return 1;
	}
	enum btsnoop_dir dir = strcmp(src, "hci") == 0 ? BTSNOOP_RECEIVED : BTSNOOP_SENT;
	int64_t mono = env->sent_ns ? (int64_t)env->sent_ns : clock_ns(CLOCK_MONOTONIC);
	int64_t unix_ns = mono + t->wall_offset_ns;
	uint64_t unix_us = unix_ns > 0 ? (uint64_t)unix_ns / 1000u : 0;
	uint8_t prefix[BTSNOOP_RECORD_PREFIX_LEN];
	struct wr w = wr_init(prefix, sizeof prefix);
	int rc = btsnoop_record_prefix(&w, type, dir, h->data.len, 0, unix_us);
	if (rc < 0)
		return 1;
	rc = write_out(t, prefix, w.len);
	return rc < 0 ? rc : write_out(t, h->data.data, h->data.len);
}

/* Writes one message in the chosen format. Returns 0 when written, 1 when
 * this output does not carry it, -errno when the output failed. */
static int emit(struct tracer *t, const char *src, const char *dst, const Hive__Envelope *env,
		size_t size)
{
	if (t->o.format == FORMAT_BTSNOOP)
		return emit_btsnoop(t, src, env);
	if (!t->have_base) {
		t->have_base = true;
		t->base_ns = env->sent_ns;
	}
	struct trace_msg m = {
		.source = src,
		.destination = dst,
		.env = env,
		.size = size,
		.time_ns = (int64_t)(env->sent_ns - t->base_ns),
	};
	if (t->o.format == FORMAT_TEXT) {
		size_t n = trace_format_text(t->line, sizeof t->line, &m);
		return write_out(t, t->line, n);
	}
	int n = trace_format_json(&t->json, &t->json_cap, &m);
	if (n < 0) {
		hive_logf(TRACE_LOG, HIVE_LOG_WARN, "out of memory formatting a message; skipped");
		return 1;
	}
	return write_out(t, t->json, (size_t)n);
}

static void count_malformed(struct tracer *t, const char *what)
{
	t->malformed++;
	/* The first one in words, then quietly (the total is told at exit). */
	hive_logf(TRACE_LOG, t->malformed == 1 ? HIVE_LOG_WARN : HIVE_LOG_DEBUG,
		  "skipped a malformed tap message (%s)", what);
}

/* Handles one tap message: [topic][envelope]. Returns 0, or -errno when
 * the output failed. */
static int on_message(struct tracer *t, const zmq_msg_t *topic, const zmq_msg_t *body)
{
	char src[TRACE_NAME_CAP], dst[TRACE_NAME_CAP];
	if (trace_topic_split(zmq_msg_data((zmq_msg_t *)topic), zmq_msg_size((zmq_msg_t *)topic),
			      src, dst) < 0) {
		count_malformed(t, "the topic is not source>destination");
		return 0;
	}
	if (!wanted(t, src, dst))
		return 0; /* another pipe sharing a subscribed prefix */
	size_t len = zmq_msg_size((zmq_msg_t *)body);
	Hive__Envelope *env = hive__envelope__unpack(&t->arena.allocator, len,
						     zmq_msg_data((zmq_msg_t *)body));
	int rc = 0;
	if (!env) {
		count_malformed(t, "the envelope does not decode");
	} else {
		rc = emit(t, src, dst, env, len);
		if (rc == 0)
			t->written++;
		else if (rc > 0)
			t->skipped++;
	}
	arena_reset(&t->arena);
	return rc < 0 ? rc : 0;
}

/* Receives one tap message without waiting. Returns 1 when one was
 * handled, 0 when none is pending, -errno on failure. */
static int recv_one(struct tracer *t)
{
	zmq_msg_t topic, body;
	zmq_msg_init(&topic);
	zmq_msg_init(&body);
	int rc = 1;
	if (zmq_msg_recv(&topic, t->sub, ZMQ_DONTWAIT) < 0) {
		int e = zmq_errno();
		rc = e == EAGAIN || e == EINTR ? 0 : -e;
		goto out;
	}
	if (!zmq_msg_more(&topic)) {
		count_malformed(t, "one frame instead of two");
		goto out;
	}
	if (zmq_msg_recv(&body, t->sub, 0) < 0) {
		rc = -zmq_errno();
		goto out;
	}
	if (zmq_msg_more(&body)) {
		/* Drain the rest of the message; it is not ours to guess. */
		for (bool more = true; more;) {
			zmq_msg_t extra;
			zmq_msg_init(&extra);
			more = zmq_msg_recv(&extra, t->sub, 0) >= 0 && zmq_msg_more(&extra);
			zmq_msg_close(&extra);
		}
		count_malformed(t, "more than two frames");
		goto out;
	}
	int e = on_message(t, &topic, &body);
	if (e < 0)
		rc = e;
out:
	zmq_msg_close(&topic);
	zmq_msg_close(&body);
	return rc;
}

static bool done(const struct tracer *t)
{
	return t->o.count && t->written >= t->o.count;
}

static int flush_out(struct tracer *t)
{
	return fflush(t->out) == 0 ? 0 : -(errno ? errno : EIO);
}

/* The loop: wait for the tap, drain a batch, flush so a reader sees it
 * live. Returns 0 on a clean end (count reached, signal), -errno. */
static int trace_run(struct tracer *t)
{
	while (!trace_signalled && !done(t)) {
		zmq_pollitem_t it = { .socket = t->sub, .events = ZMQ_POLLIN };
		int rc = zmq_poll(&it, 1, TRACE_POLL_MS);
		if (rc < 0) {
			if (zmq_errno() == EINTR)
				continue;
			return -zmq_errno();
		}
		for (int i = 0; rc > 0 && i < TRACE_BATCH && !done(t); i++) {
			int r = recv_one(t);
			if (r < 0)
				return r;
			if (r == 0)
				break;
		}
		int f = flush_out(t);
		if (f < 0)
			return f;
		f = tap_refused(t);
		if (f < 0)
			return f;
	}
	return 0;
}

/* ---- life cycle -------------------------------------------------------------------- */

static int open_output(struct tracer *t)
{
	if (!t->o.out_path) {
		t->out = stdout;
	} else {
		t->out = fopen(t->o.out_path, t->o.format == FORMAT_BTSNOOP ? "wb" : "w");
		if (!t->out) {
			int e = errno;
			hive_logf(TRACE_LOG, HIVE_LOG_ERROR, "cannot write %s: %s", t->o.out_path,
				  strerror(e));
			return -e;
		}
	}
	if (t->o.format != FORMAT_BTSNOOP)
		return 0;
	uint8_t hdr[BTSNOOP_HEADER_LEN];
	struct wr w = wr_init(hdr, sizeof hdr);
	btsnoop_header(&w);
	int rc = write_out(t, hdr, w.len);
	/* A reader may open the capture at once: let it see a valid file. */
	return rc < 0 ? rc : flush_out(t);
}

static void tracer_fini(struct tracer *t)
{
	if (t->out && t->out != stdout)
		fclose(t->out);
	else if (t->out)
		fflush(t->out);
	t->out = NULL;
	if (t->sub)
		zmq_close(t->sub);
	t->sub = NULL;
	if (t->monitor)
		zmq_close(t->monitor);
	t->monitor = NULL;
	if (t->zctx)
		zmq_ctx_term(t->zctx);
	t->zctx = NULL;
	arena_fini(&t->arena);
	free(t->json);
	t->json = NULL;
}

static void signals_install(void)
{
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_signal; /* no SA_RESTART: zmq_poll returns EINTR */
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
}

int main(int argc, char **argv)
{
	struct tracer *t = calloc(1, sizeof *t);
	if (!t) {
		hive_logf(TRACE_LOG, HIVE_LOG_ERROR, "out of memory");
		return 1;
	}
	arena_init(&t->arena);
	int rc = parse_args(&t->o, argc, argv);
	if (rc != 0) {
		free(t);
		return rc > 0 ? 0 : 2;
	}
	signals_install();
	t->wall_offset_ns = clock_ns(CLOCK_REALTIME) - clock_ns(CLOCK_MONOTONIC);
	rc = tap_check(&t->o);
	if (rc == 0)
		rc = open_output(t);
	if (rc == 0)
		rc = tap_open(t);
	if (rc == 0)
		rc = trace_run(t);
	if (rc == 0)
		rc = flush_out(t);
	if (rc == -EPIPE)
		rc = 0; /* the reader went away: that ends a trace too */
	else if (rc < 0 && rc != -ENOENT && rc != -ECONNREFUSED && rc != -EACCES)
		hive_logf(TRACE_LOG, HIVE_LOG_ERROR, "tracing stopped: %s", strerror(-rc));
	hive_logf(TRACE_LOG, rc == 0 ? HIVE_LOG_INFO : HIVE_LOG_DEBUG,
		  "%llu %s written, %llu not for this format and %llu malformed skipped",
		  (unsigned long long)t->written,
		  t->o.format == FORMAT_BTSNOOP ? "records" : "messages",
		  (unsigned long long)t->skipped, (unsigned long long)t->malformed);
	tracer_fini(t);
	free(t);
	return rc == 0 ? 0 : 1;
}
