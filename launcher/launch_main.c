/* hive-launch: command line, graph file, run directory, the children's
 * command lines. The supervision itself is in launch_run.c. */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include "launch_device.h"
#include "launcher.h"

#define DEFAULT_GRAPH "launcher/graphs/default.json"

struct launch_opts {
	const char *graph_path; /* NULL: the default graph */
	const char *run_dir;    /* NULL: hive_default_run_dir() */
	struct strv sets;       /* "ACTOR.KEY=VALUE" */
	struct strv binds;      /* tcp:// endpoints of the broker */
	struct strv tap_binds;  /* tcp:// endpoints of the broker's tap */
	const char *keys_dir;
	long max_restarts;      /* -1: the graph's */
	long period_s;          /* -1: the graph's */
	bool help;
};

static void usage(FILE *f)
{
	fprintf(f,
		"usage: hive-launch [GRAPH.json] [--transport SPEC] [--run-dir DIR]\n"
		"                   [--set ACTOR.KEY=VALUE]... [--max-restarts N] [--period S]\n"
		"                   [--log-level error|warn|info|debug|trace]\n"
		"                   [--keys DIR] [--bind tcp://ADDR:PORT]...\n"
		"                   [--tap-bind tcp://ADDR:PORT]...\n"
		"\n"
		"Starts the broker and the actors of GRAPH.json (default: %s, the whole\n"
		"stack), prints \"ready\" on stdout once every actor is ready, restarts actors\n"
		"that die, and stops everything on SIGINT or SIGTERM (remote actors get a\n"
		"Stop message and are waited for).\n"
		"\n"
		"  --transport SPEC       the controller transport: --set hci.transport=SPEC\n"
		"  --run-dir DIR          where the broker's sockets live (default: $HIVE_RUN_DIR,\n"
		"                         else $XDG_RUNTIME_DIR/hive, else /tmp/hive-UID)\n"
		"  --set ACTOR.KEY=VALUE  passes --set KEY=VALUE to that actor\n"
		"  --max-restarts N, --period S\n"
		"                         give up when an actor restarts more than N times in S\n"
		"                         seconds (default: the graph's supervision section)\n"
		"  --keys DIR             CURVE keys for tcp: makes DIR/broker.key|pub and\n"
		"                         DIR/actors/NAME.key|pub for every actor of the graph\n"
		"                         when missing; copy broker.pub and NAME.key to the host\n"
		"                         of a remote actor\n"
		"  --bind tcp://ADDR:PORT the broker also serves actors of other hosts there\n"
		"                         (needs --keys); \"where\": \"remote\" actors register\n"
		"                         there with --broker tcp://ADDR:PORT --keys DIR\n"
		"  --tap-bind tcp://ADDR:PORT\n"
		"                         the broker also publishes its tap there, with CURVE, to\n"
		"                         tracers of other hosts: hive-trace --tap tcp://ADDR:PORT\n"
		"                         --keys DIR (with broker.pub and actors/trace.key, made\n"
		"                         here; port 0 picks one, in RUN_DIR/tap.endpoints)\n"
		"\n"
		"Exit status: 0 stopped by a signal or a Stop message; 1 bad usage or graph, or\n"
		"the graph did not start; 2 an actor restarted too often.\n", DEFAULT_GRAPH);
}

/* hive_opt_value, reporting a missing value. */
static const char *opt_value(int argc, char **argv, int *i, const char *opt, int *rc)
{
	bool missing = false;
	const char *v = hive_opt_value(argc, argv, i, opt, &missing);
	if (missing) {
		hive_logf(LAUNCH_NAME, HIVE_LOG_ERROR, "%s needs a value; see hive-launch --help",
			  opt);
		*rc = -EINVAL;
	}
	return v;
}

static int parse_count(const char *opt, const char *v, long min, long max, long *out)
{
	char *end;
	errno = 0;
	long n = strtol(v, &end, 10);
	if (errno || end == v || *end || n < min || n > max) {
		hive_logf(LAUNCH_NAME, HIVE_LOG_ERROR, "%s %s: use a whole number from %ld to %ld",
			  opt, v, min, max);
		return -EINVAL;
	}
	*out = n;
	return 0;
}

static int parse_opts(struct launch_opts *o, int argc, char **argv)
{
	int rc = 0;
	o->max_restarts = -1;
	o->period_s = -1;
	for (int i = 1; i < argc && rc == 0; i++) {
		const char *v;
		enum hive_log_level lvl;
		if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0) {
			o->help = true;
		} else if ((v = opt_value(argc, argv, &i, "--transport", &rc))) {
			rc = strv_pushf(&o->sets, "hci.transport=%s", v);
		} else if (rc == 0 && (v = opt_value(argc, argv, &i, "--run-dir", &rc))) {
			o->run_dir = v;
		} else if (rc == 0 && (v = opt_value(argc, argv, &i, "--keys", &rc))) {
			o->keys_dir = v;
		} else if (rc == 0 && (v = opt_value(argc, argv, &i, "--bind", &rc))) {
			if (!hive_endpoint_is_tcp(v)) {
				hive_logf(LAUNCH_NAME, HIVE_LOG_ERROR, "--bind %s: give a "
					  "tcp://ADDR:PORT endpoint (ipc is always the run directory)",
					  v);
				rc = -EINVAL;
			} else {
				rc = strv_push(&o->binds, v);
			}
		} else if (rc == 0 && (v = opt_value(argc, argv, &i, "--tap-bind", &rc))) {
			if (!hive_endpoint_is_tcp(v)) {
				hive_logf(LAUNCH_NAME, HIVE_LOG_ERROR, "--tap-bind %s: give a "
					  "tcp://ADDR:PORT endpoint (the ipc tap is always the run "
					  "directory's)", v);
				rc = -EINVAL;
			} else {
				rc = strv_push(&o->tap_binds, v);
			}
		} else if (rc == 0 && (v = opt_value(argc, argv, &i, "--set", &rc))) {
			rc = strv_push(&o->sets, v);
		} else if (rc == 0 && (v = opt_value(argc, argv, &i, "--max-restarts", &rc))) {
			rc = parse_count("--max-restarts", v, 0, GRAPH_MAX_RESTARTS,
					 &o->max_restarts);
		} else if (rc == 0 && (v = opt_value(argc, argv, &i, "--period", &rc))) {
			rc = parse_count("--period", v, 1, GRAPH_MAX_PERIOD_S, &o->period_s);
		} else if (rc == 0 && (v = opt_value(argc, argv, &i, "--log-level", &rc))) {
			if (hive_log_level_parse(v, &lvl) < 0) {
				hive_logf(LAUNCH_NAME, HIVE_LOG_ERROR,
					  "--log-level %s: use error, warn, info, debug or trace", v);
				rc = -EINVAL;
			} else {
				hive_log_set_threshold(lvl);
				/* The children log at the same level. */
				setenv("HIVE_LOG", v, 1);
			}
		} else if (rc == 0 && argv[i][0] == '-') {
			hive_logf(LAUNCH_NAME, HIVE_LOG_ERROR, "unknown option %s; see hive-launch "
				  "--help", argv[i]);
			rc = -EINVAL;
		} else if (rc == 0 && o->graph_path) {
			hive_logf(LAUNCH_NAME, HIVE_LOG_ERROR, "two graph files given (%s and %s); "
				  "hive-launch runs one graph", o->graph_path, argv[i]);
			rc = -EINVAL;
		} else if (rc == 0) {
			o->graph_path = argv[i];
		}
	}
	if (rc == 0 && (o->binds.n || o->tap_binds.n) && !o->keys_dir) {
		hive_logf(LAUNCH_NAME, HIVE_LOG_ERROR, "%s %s needs --keys DIR: every tcp "
			  "endpoint is authenticated and encrypted with CURVE",
			  o->binds.n ? "--bind" : "--tap-bind",
			  o->binds.n ? o->binds.v[0] : o->tap_binds.v[0]);
		rc = -EINVAL;
	}
	return rc;
}

/* The directory of the running hive-launch, or "" when unknown. */
static void find_bin_dir(char *out, size_t cap)
{
	char exe[4096];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
	out[0] = '\0';
	if (n > 0) {
		exe[n] = '\0';
		snprintf(out, cap, "%s", dirname(exe));
	}
}

/* The default graph: DEFAULT_GRAPH relative to the current directory, then
 * beside the source tree the binary was built in (bin/.., bin/../..,
 * bin/../../..). */
static int find_default_graph(struct launcher *l)
{
	char tried[4096] = "";
	size_t n = 0;
	int rc = -ENOENT;
	for (int up = -1; up <= 3 && rc < 0; up++) {
		char cand[4096];
		if (up < 0)
			snprintf(cand, sizeof cand, "%s", DEFAULT_GRAPH);
		else if (l->bin_dir[0])
			snprintf(cand, sizeof cand, "%s/%.*s%s", l->bin_dir, 3 * up,
				 "../../../", DEFAULT_GRAPH);
		else
			continue;
		if (access(cand, R_OK) == 0) {
			snprintf(l->graph_path, sizeof l->graph_path, "%s", cand);
			rc = 0;
		} else if (n < sizeof tried) {
			n += (size_t)snprintf(tried + n, sizeof tried - n, "%s%s", n ? ", " : "",
					      cand);
		}
	}
	if (rc < 0)
		hive_logf(LAUNCH_NAME, HIVE_LOG_ERROR, "no graph file given and no default graph "
			  "found (tried %s); name one: hive-launch GRAPH.json", tried);
	return rc;
}

/* Applies one "ACTOR.KEY=VALUE" to the actor with the longest matching name
 * (names may contain dots). */
static int apply_set(struct launcher *l, const char *set)
{
	struct child *best = NULL;
	size_t best_len = 0;
	for (size_t i = 0; i < l->nactors; i++) {
		size_t n = strlen(l->actors[i].name);
		if (n > best_len && strncmp(set, l->actors[i].name, n) == 0 && set[n] == '.') {
			best = &l->actors[i];
			best_len = n;
		}
	}
	const char *kv = set + best_len + 1;
	const char *eq = best ? strchr(kv, '=') : NULL;
	const char *dot = strchr(set, '.');
	int rc = 0;
	if (!best) {
		hive_logf(LAUNCH_NAME, HIVE_LOG_ERROR, "--set %s: graph %s has no actor '%.*s'; "
			  "use --set ACTOR.KEY=VALUE with an actor of the graph", set,
			  l->graph_path, dot ? (int)(dot - set) : (int)strlen(set), set);
		rc = -EINVAL;
	} else if (!eq || eq == kv) {
		hive_logf(LAUNCH_NAME, HIVE_LOG_ERROR, "--set %s: expected ACTOR.KEY=VALUE", set);
		rc = -EINVAL;
	} else if (best->spec && best->spec->remote) {
		hive_logf(LAUNCH_NAME, HIVE_LOG_ERROR, "--set %s: actor '%s' is remote (started "
			  "by hand on its host); give it --set %s there", set, best->name, kv);
		rc = -EINVAL;
	}
	if (rc == 0)
		rc = strv_push(&best->argv, "--set");
	if (rc == 0)
		rc = strv_push(&best->argv, kv);
	return rc;
}

/* The host's device configuration gives smp its keystore and IO capability
 * (launch_device.h). */
static int device_settings(struct launcher *l)
{
	struct child *host = NULL, *smp = NULL;
	for (size_t i = 0; i < l->nactors; i++) {
		struct child *c = &l->actors[i];
		if (c->spec && c->spec->remote)
			continue;
		if (!strcmp(c->name, "host"))
			host = c;
		else if (!strcmp(c->name, "smp"))
			smp = c;
	}
	char err[600];
	if (!host || !smp || launch_device_settings(&host->argv, &smp->argv, err, sizeof err) == 0)
		return 0;
	hive_logf(LAUNCH_NAME, HIVE_LOG_ERROR, "host.config: %s; fix the device configuration",
		  err);
	return -EINVAL;
}

/* Finds a program and records the error in words when it is missing. */
static int resolve(struct launcher *l, struct child *c, const char *program)
{
	char path[4096], tried[4096];
	int rc = child_find_program(program, l->bin_dir, path, sizeof path, tried, sizeof tried);
	if (rc < 0) {
		hive_logf(LAUNCH_NAME, HIVE_LOG_ERROR, "%s%s%s: program '%s' not found (tried %s); "
			  "build it (make) or fix 'program' in %s", c->spec ? "actor '" : "the ",
			  c->name, c->spec ? "'" : "", program, tried, l->graph_path);
	} else {
		c->path = strdup(path);
		rc = c->path ? 0 : -ENOMEM;
	}
	return rc;
}

static int check_cpu(struct launcher *l, const struct child *c)
{
	cpu_set_t allowed;
	if (c->cpu < 0 || sched_getaffinity(0, sizeof allowed, &allowed) < 0 ||
	    CPU_ISSET(c->cpu, &allowed))
		return 0;
	hive_logf(LAUNCH_NAME, HIVE_LOG_ERROR, "actor '%s': cpu %d is not available to this "
		  "process (%d CPUs allowed); fix 'cpu' in %s", c->name, c->cpu,
		  CPU_COUNT(&allowed), l->graph_path);
	return -EINVAL;
}

/* Appends "--opt" and its value as two arguments. */
static int __attribute__((format(printf, 3, 4))) push_option(struct strv *argv, const char *opt,
							    const char *fmt, ...)
{
	char *value = NULL;
	va_list ap;
	va_start(ap, fmt);
	int n = vasprintf(&value, fmt, ap);
	va_end(ap);
	int rc = n < 0 ? -ENOMEM : strv_push(argv, opt);
	if (rc == 0)
		rc = strv_push(argv, value);
	free(value);
	return rc;
}

static int prepare_broker(struct launcher *l)
{
	struct child *c = &l->broker;
	const struct graph *g = l->graph;
	snprintf(c->name, sizeof c->name, "broker");
	c->cpu = -1;
	c->restart = GRAPH_RESTART_PERMANENT;
	backoff_reset(&c->backoff);
	int rc = intensity_init(&c->intensity, g->max_restarts, g->period_s);
	if (rc == 0)
		rc = resolve(l, c, "hive-broker");
	if (rc == 0)
		rc = strv_push(&c->argv, "hive-broker");
	if (rc == 0)
		rc = push_option(&c->argv, "--run-dir", "%s", l->run_dir);
	if (rc == 0 && g->queue_messages)
		rc = push_option(&c->argv, "--queue-messages", "%llu",
				 (unsigned long long)g->queue_messages);
	if (rc == 0 && g->queue_bytes)
		rc = push_option(&c->argv, "--queue-bytes", "%llu",
				 (unsigned long long)g->queue_bytes);
	if (rc == 0 && g->max_frame)
		rc = push_option(&c->argv, "--max-frame", "%llu", (unsigned long long)g->max_frame);
	if (rc == 0 && l->keys_dir)
		rc = push_option(&c->argv, "--keys", "%s", l->keys_dir);
	for (size_t i = 0; rc == 0 && l->binds && i < l->binds->n; i++)
		rc = push_option(&c->argv, "--bind", "%s", l->binds->v[i]);
	for (size_t i = 0; rc == 0 && l->tap_binds && i < l->tap_binds->n; i++)
		rc = push_option(&c->argv, "--tap-bind", "%s", l->tap_binds->v[i]);
	if (rc == 0)
		rc = push_option(&c->argv, "--permissions", "%s", l->perm_path);
	return rc;
}

/* Writes the graph's permissions for the broker ("{}": the built-in rules
 * only). */
static int write_permissions(struct launcher *l)
{
	const char *text = l->graph->permissions_json ? l->graph->permissions_json : "{}";
	FILE *f = fopen(l->perm_path, "w");
	int rc = f ? 0 : -errno;
	if (f && (fprintf(f, "%s\n", text) < 0 || fclose(f) != 0))
		rc = -EIO;
	else if (f)
		f = NULL;
	if (f)
		fclose(f);
	if (rc < 0)
		hive_logf(LAUNCH_NAME, HIVE_LOG_ERROR, "cannot write %s: %s", l->perm_path,
			  strerror(-rc));
	return rc;
}

/* Makes the CURVE keys that are missing: the broker's and one per actor. */
static int prepare_keys(struct launcher *l)
{
	if (!l->keys_dir)
		return 0;
	const char **names = calloc(l->graph->nactors + 1, sizeof *names);
	if (!names)
		return -ENOMEM;
	size_t n = 0;
	for (size_t i = 0; i < l->graph->nactors; i++)
		names[n++] = l->graph->actors[i].name;
	/* The remote tracer's key: the tap admits trace*.pub keys only. */
	if (l->tap_binds && l->tap_binds->n)
		names[n++] = "trace";
	int rc = hive_keys_prepare(l->keys_dir, names, n);
	free(names);
	if (rc < 0)
		hive_logf(LAUNCH_NAME, HIVE_LOG_ERROR, "cannot prepare the CURVE keys in %s; see "
			  "above", l->keys_dir);
	return rc;
}

static int prepare_actor(struct launcher *l, struct child *c, const struct graph_actor *a)
{
	snprintf(c->name, sizeof c->name, "%s", a->name);
	c->spec = a;
	c->cpu = a->cpu;
	c->restart = a->restart;
	backoff_reset(&c->backoff);
	int rc = intensity_init(&c->intensity, l->graph->max_restarts, l->graph->period_s);
	if (a->remote)
		return rc; /* started by hand on its host */
	if (rc == 0)
		rc = resolve(l, c, a->program);
	if (rc == 0)
		rc = check_cpu(l, c);
	if (rc == 0)
		rc = strv_push(&c->argv, a->program);
	for (size_t i = 0; rc == 0 && i < a->nargs; i++)
		rc = strv_push(&c->argv, a->args[i]);
	if (rc == 0)
		rc = push_option(&c->argv, "--name", "%s", a->name);
	if (rc == 0)
		rc = push_option(&c->argv, "--run-dir", "%s", l->run_dir);
	if (rc == 0 && a->nenv)
		rc = child_build_env(&c->envp, a->env, a->nenv);
	return rc;
}

/* Loads the graph file (the default one when none was given). */
static int load_graph(struct launcher *l, const struct launch_opts *o)
{
	char err[GRAPH_ERR_MAX];
	int rc = 0;
	if (o->graph_path)
		snprintf(l->graph_path, sizeof l->graph_path, "%s", o->graph_path);
	else
		rc = find_default_graph(l);
	if (rc == 0) {
		rc = graph_load(l->graph_path, &l->graph, err, sizeof err);
		if (rc < 0)
			hive_logf(LAUNCH_NAME, HIVE_LOG_ERROR, "%s", err);
	}
	if (rc == 0 && o->max_restarts >= 0)
		l->graph->max_restarts = (unsigned)o->max_restarts;
	if (rc == 0 && o->period_s > 0)
		l->graph->period_s = (unsigned)o->period_s;
	return rc;
}

/* Prepares every child's command line and environment. */
static int prepare_children(struct launcher *l, const struct launch_opts *o)
{
	l->actors = calloc(l->graph->nactors ? l->graph->nactors : 1, sizeof *l->actors);
	int rc = l->actors ? 0 : -ENOMEM;
	for (size_t i = 0; rc == 0 && i < l->graph->nactors; i++) {
		rc = prepare_actor(l, &l->actors[i], &l->graph->actors[i]);
		l->nactors++;
	}
	for (size_t i = 0; rc == 0 && i < o->sets.n; i++)
		rc = apply_set(l, o->sets.v[i]);
	if (rc == 0)
		rc = device_settings(l);
	if (rc == 0)
		rc = prepare_broker(l);
	return rc;
}

/* Takes RUN_DIR/launcher.lock so that two launchers never share a run
 * directory. */
static int lock_run_dir(struct launcher *l)
{
	char path[4200];
	int rc = 0;
	snprintf(path, sizeof path, "%s/launcher.lock", l->run_dir);
	l->lock_fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (l->lock_fd < 0) {
		rc = -errno;
		hive_logf(LAUNCH_NAME, HIVE_LOG_ERROR, "cannot open %s: %s", path, strerror(-rc));
	} else if (flock(l->lock_fd, LOCK_EX | LOCK_NB) < 0) {
		rc = -errno;
		char pid[32] = "";
		ssize_t n = pread(l->lock_fd, pid, sizeof pid - 1, 0);
		pid[n > 0 ? n : 0] = '\0';
		pid[strcspn(pid, "\n")] = '\0';
		if (rc == -EWOULDBLOCK)
			hive_logf(LAUNCH_NAME, HIVE_LOG_ERROR, "run directory %s is in use by another "
				  "hive-launch%s%s%s; stop it first, or choose another directory "
				  "with --run-dir", l->run_dir, pid[0] ? " (pid " : "", pid,
				  pid[0] ? ")" : "");
		else
			hive_logf(LAUNCH_NAME, HIVE_LOG_ERROR, "cannot lock %s: %s", path,
				  strerror(-rc));
		/* Not ours: launcher_fini must not remove it. */
		close(l->lock_fd);
		l->lock_fd = -1;
	} else if (ftruncate(l->lock_fd, 0) == 0) {
		dprintf(l->lock_fd, "%d\n", (int)l->self);
	}
	return rc;
}

static void choose_run_dir(struct launcher *l, const struct launch_opts *o)
{
	if (o->run_dir)
		snprintf(l->run_dir, sizeof l->run_dir, "%s", o->run_dir);
	else
		hive_default_run_dir(l->run_dir, sizeof l->run_dir);
}

static int open_sigchld(struct launcher *l)
{
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGCHLD);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	l->sfd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
	if (l->sfd < 0) {
		int err = errno;
		hive_logf(LAUNCH_NAME, HIVE_LOG_ERROR, "signalfd: %s", strerror(err));
		return -err;
	}
	return 0;
}

static void launcher_fini(struct launcher *l)
{
	for (size_t i = 0; i < l->nactors; i++)
		child_fini(&l->actors[i]);
	free(l->actors);
	child_fini(&l->broker);
	graph_destroy(&l->graph);
	if (l->sfd >= 0)
		close(l->sfd);
	if (l->lock_fd >= 0) {
		char path[4200];
		snprintf(path, sizeof path, "%s/launcher.lock", l->run_dir);
		unlink(path);
		unlink(l->perm_path);
		close(l->lock_fd);
	}
}

int main(int argc, char **argv)
{
	struct launcher l = { .lock_fd = -1, .sfd = -1, .self = getpid() };
	struct launch_opts o = { 0 };
	int status = LAUNCH_EXIT_FAILED;

	/* SIGCHLD, SIGINT and SIGTERM are read through a signalfd: block them
	 * before any thread exists (ZeroMQ's I/O threads inherit the mask) so
	 * that no thread takes them. The loop then decides how to stop: remote
	 * actors are asked with a Stop message and waited for (launch_run.c). */
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGCHLD);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigprocmask(SIG_BLOCK, &set, NULL);

	int rc = parse_opts(&o, argc, argv);
	if (rc == 0 && o.help) {
		usage(stdout);
		status = LAUNCH_EXIT_OK;
	} else if (rc == 0) {
		find_bin_dir(l.bin_dir, sizeof l.bin_dir);
		choose_run_dir(&l, &o);
		/* Every mistake in the graph or the options is reported before
		 * anything is created. */
		rc = load_graph(&l, &o);
		l.keys_dir = o.keys_dir;
		l.binds = &o.binds;
		l.tap_binds = &o.tap_binds;
		snprintf(l.perm_path, sizeof l.perm_path, "%s/permissions.json", l.run_dir);
		if (rc == 0)
			rc = prepare_children(&l, &o);
		if (rc == 0)
			rc = prepare_keys(&l);
		if (rc == 0)
			rc = hive_run_dir_prepare(l.run_dir);
		if (rc == 0)
			rc = lock_run_dir(&l);
		if (rc == 0)
			rc = write_permissions(&l);
		if (rc == 0)
			rc = open_sigchld(&l);
		if (rc == 0)
			status = launcher_run(&l);
	}
	launcher_fini(&l);
	strv_free(&o.sets);
	strv_free(&o.binds);
	strv_free(&o.tap_binds);
	return status;
}
