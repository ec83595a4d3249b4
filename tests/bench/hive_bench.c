/* hive-bench: measures, in one run, a message crossing between two processes
 * through the hive broker next to the floors it is compared with, and
 * prints one JSON object per line on stdout (logs go to stderr).
 *
 *   hive-bench [--broker PATH] [--tmp DIR] [--samples N] [--warmup N]
 *              [--stream N] [--ref-samples N] [--sizes 64,1024]
 *              [--placements spread,pinned,split]
 *              [--only floor,raw,zmq,router,hive,rss,codec] [--loop-driven]
 *              [--all-sizes]
 *
 * Lines: broker_hop (the hive path with its raw-socket floor); raw_router,
 * zmq_pipe and naive_router (references that explain it, with the same
 * floor); rss; envelope_codec; targets (the three, met or not).
 * Exit status: 0 when every measurement ran, 1 otherwise (targets missed
 * are reported, not failed). */
#include <errno.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bench.h"
#include "hive.h"

#define TARGET_RATIO 2.5
#define TARGET_MSGS_PER_S 300000.0
#define TARGET_IDLE_ACTOR_KIB 4096
#define NPLACEMENTS 3

struct options {
	const char *broker;
	const char *tmp;
	unsigned samples, warmup, stream;
	unsigned ref_samples; /* round trips of the ZeroMQ references */
	size_t sizes[8];
	int nsizes;
	bool placement[NPLACEMENTS];
	bool run_floor, run_raw, run_zmq, run_router, run_hive, run_rss, run_codec;
	bool loop_driven;
	bool all_sizes;
};

/* What the targets line needs, gathered as the lines are printed. */
struct tally {
	double ratio_64[NPLACEMENTS];  /* broker_hop p50 / floor p50, 0: not measured */
	double rate_64[NPLACEMENTS];   /* broker_hop msgs/s */
	long idle_actor_kib;
	int failures;
};

/* spread: the scheduler places every process; pinned: all on CPU 0; split:
 * driver on CPU 0, responder on CPU 1, broker or router where it likes, so
 * every crossing wakes the other core (slow: by default at the first size
 * only). */
static const struct placement {
	const char *name;
	int driver, responder, middle;
	bool first_size_only;
} placements[NPLACEMENTS] = {
	{ "spread", -1, -1, -1, false },
	{ "pinned", 0, 0, 0, false },
	{ "split", 0, 1, -1, true },
};

/* ---- statistics ---------------------------------------------------------------- */

static int cmp_u64(const void *x, const void *y)
{
	uint64_t a = *(const uint64_t *)x, b = *(const uint64_t *)y;
	return a < b ? -1 : a > b;
}

/* Nearest-rank percentile of sorted v. */
static uint64_t percentile(const uint64_t *v, size_t n, unsigned pct)
{
	size_t rank = (n * pct + 99) / 100;
	return v[rank ? rank - 1 : 0];
}

void bench_latency(const struct bench_shared *sh, struct bench_result *r)
{
	size_t n = sh->nsamples;
	r->samples = n;
	if (n == 0)
		return;
	uint64_t *v = malloc(n * sizeof *v);
	if (!v)
		return;
	memcpy(v, sh->rtt_ns, n * sizeof *v);
	qsort(v, n, sizeof *v, cmp_u64);
	/* One way: half the round trip. */
	r->p50_us = (double)percentile(v, n, 50) / 2000.0;
	r->p99_us = (double)percentile(v, n, 99) / 2000.0;
	free(v);
}

void bench_rate(const struct bench_shared *sh, struct bench_result *r)
{
	if (sh->stream_count < 2 || sh->stream_last_ns <= sh->stream_first_ns)
		return;
	r->msgs_per_s = (double)(sh->stream_count - 1) * 1e9 /
			(double)(sh->stream_last_ns - sh->stream_first_ns);
}

/* ---- output -------------------------------------------------------------------- */

static void print_error(const char *bench, const char *placement, size_t size,
			const struct bench_result *r)
{
	char msg[sizeof r->error];
	size_t k = 0;
	/* The error is ours, but keep the JSON valid whatever it holds. */
	for (size_t i = 0; r->error[i] && k + 1 < sizeof msg; i++)
		msg[k++] = r->error[i] == '"' || r->error[i] == '\\' || (unsigned char)r->error[i] < 32
				   ? '\'' : r->error[i];
	msg[k] = '\0';
	printf("{\"bench\":\"%s\",\"placement\":\"%s\",\"size\":%zu,\"ok\":false,\"error\":\"%s\"}\n",
	       bench, placement, size, msg);
	fflush(stdout);
}

static void print_path(const char *bench, const char *placement, size_t size,
		       const struct bench_result *r, const struct bench_result *floor)
{
	if (!r->ok) {
		print_error(bench, placement, size, r);
		return;
	}
	if (floor)
		fprintf(stderr, "hive-bench: %s %s %zu B: %.1f s\n", bench, placement, size,
			r->elapsed_s);
	printf("{\"bench\":\"%s\",\"placement\":\"%s\",\"size\":%zu,\"p50_us\":%.2f,"
	       "\"p99_us\":%.2f,", bench, placement, size, r->p50_us, r->p99_us);
	if (floor && floor->ok)
		printf("\"floor_p50_us\":%.2f,\"floor_p99_us\":%.2f,\"ratio_to_floor\":%.3f,"
		       "\"ratio_to_floor_p99\":%.3f,", floor->p50_us, floor->p99_us,
		       r->p50_us / floor->p50_us, r->p99_us / floor->p99_us);
	printf("\"msgs_per_s\":%.0f,", r->msgs_per_s);
	if (floor && floor->ok)
		printf("\"floor_msgs_per_s\":%.0f,", floor->msgs_per_s);
	printf("\"samples\":%llu,\"ok\":true}\n", (unsigned long long)r->samples);
	fflush(stdout);
}

/* ---- the run ------------------------------------------------------------------- */

static void run_one(struct bench *b, const struct options *o, int placement, size_t size,
		    struct tally *t)
{
	struct bench_params p = {
		.size = size,
		.warmup = o->warmup,
		.samples = o->samples,
		.stream = o->stream,
		.cpu_driver = placements[placement].driver,
		.cpu_responder = placements[placement].responder,
		.cpu_middle = placements[placement].middle,
		.loop_driven = o->loop_driven,
	};
	const char *pl = placements[placement].name;
	struct bench_result floor = { 0 }, r;

	/* The floor first, then each path right after it, in the same run. */
	if (o->run_floor) {
		fprintf(stderr, "hive-bench: floor %s %zu B\n", pl, size);
		if (bench_floor(b, &p, &floor) == 0) {
			fprintf(stderr, "hive-bench: floor %s %zu B: %.1f s\n", pl, size,
				floor.elapsed_s);
		} else {
			print_error("floor", pl, size, &floor);
			t->failures++;
		}
	}
	/* The reference paths only at the first size: they explain the
	 * latency, and the run must stay short. */
	bool refs = size == o->sizes[0] || o->all_sizes;
	struct bench_params rp = p;
	rp.samples = o->ref_samples < o->samples ? o->ref_samples : o->samples;
	if (o->run_raw && refs && !bench_interrupted()) {
		fprintf(stderr, "hive-bench: raw_router %s %zu B\n", pl, size);
		t->failures += bench_raw_router(b, &rp, &r) < 0;
		print_path("raw_router", pl, size, &r, &floor);
	}
	if (o->run_zmq && refs && !bench_interrupted()) {
		fprintf(stderr, "hive-bench: zmq_pipe %s %zu B\n", pl, size);
		t->failures += bench_zmq_pipe(b, &rp, &r) < 0;
		print_path("zmq_pipe", pl, size, &r, &floor);
	}
	if (o->run_router && refs && !bench_interrupted()) {
		fprintf(stderr, "hive-bench: naive_router %s %zu B\n", pl, size);
		t->failures += bench_naive_router(b, &rp, &r) < 0;
		print_path("naive_router", pl, size, &r, &floor);
	}
	if (o->run_hive && !bench_interrupted()) {
		fprintf(stderr, "hive-bench: broker_hop %s %zu B\n", pl, size);
		t->failures += bench_hive(b, &p, &r) < 0;
		print_path("broker_hop", pl, size, &r, &floor);
		if (r.ok && size == 64) {
			if (floor.ok)
				t->ratio_64[placement] = r.p50_us / floor.p50_us;
			t->rate_64[placement] = r.msgs_per_s;
		}
	} else if (o->run_floor && floor.ok && !o->run_raw && !o->run_zmq && !o->run_router) {
		print_path("floor", pl, size, &floor, NULL);
	}
}

static void run_rss(struct bench *b, struct tally *t)
{
	struct bench_rss m;
	fprintf(stderr, "hive-bench: rss\n");
	if (bench_rss(b, &m) < 0) {
		printf("{\"bench\":\"rss\",\"ok\":false,\"error\":\"the broker or the idle actor did "
		       "not start\"}\n");
		t->failures++;
		return;
	}
	t->idle_actor_kib = m.actor_rss;
	printf("{\"bench\":\"rss\",\"broker_kib\":%ld,\"broker_hwm_kib\":%ld,"
	       "\"broker_anon_kib\":%ld,\"broker_file_kib\":%ld,\"broker_pss_kib\":%ld,",
	       m.broker_rss, m.broker_hwm, m.broker_anon, m.broker_file, m.broker_pss);
	if (b->broker_loaded_rss_kib > 0)
		printf("\"broker_after_load_kib\":%ld,\"broker_after_load_hwm_kib\":%ld,",
		       b->broker_loaded_rss_kib, b->broker_loaded_hwm_kib);
	printf("\"idle_actor_kib\":%ld,\"idle_actor_hwm_kib\":%ld,\"idle_actor_anon_kib\":%ld,"
	       "\"idle_actor_file_kib\":%ld,\"idle_actor_pss_kib\":%ld,\"ok\":true}\n",
	       m.actor_rss, m.actor_hwm, m.actor_anon, m.actor_file, m.actor_pss);
	fflush(stdout);
}

static void run_codec(const struct options *o)
{
	for (int i = 0; i < o->nsizes; i++) {
		double pack, unpack;
		size_t len;
		bench_codec(o->sizes[i], &pack, &unpack, &len);
		printf("{\"bench\":\"envelope_codec\",\"size\":%zu,\"envelope_bytes\":%zu,"
		       "\"pack_ns\":%.1f,\"unpack_ns\":%.1f}\n", o->sizes[i], len, pack, unpack);
	}
	fflush(stdout);
}

/* The targets, from the 64-byte measurements: the p50 ratio to the
 * floor in every placement measured (met when the worst is within the
 * target), the streaming rate with the processes spread (else the best
 * placement), and the idle actor's RSS. */
static void print_targets(const struct tally *t)
{
	double worst = 0, rate = t->rate_64[0];
	printf("{\"bench\":\"targets\"");
	for (int i = 0; i < NPLACEMENTS; i++) {
		if (t->ratio_64[i] > 0)
			printf(",\"ratio_to_floor_p50_64_%s\":%.3f", placements[i].name, t->ratio_64[i]);
		if (t->ratio_64[i] > worst)
			worst = t->ratio_64[i];
		if (rate == 0 && t->rate_64[i] > rate)
			rate = t->rate_64[i];
	}
	if (worst > 0)
		printf(",\"ratio_target\":%.1f,\"ratio_met\":%s", TARGET_RATIO,
		       worst <= TARGET_RATIO ? "true" : "false");
	if (rate > 0)
		printf(",\"msgs_per_s_64\":%.0f,\"msgs_per_s_target\":%.0f,\"msgs_per_s_met\":%s",
		       rate, TARGET_MSGS_PER_S, rate >= TARGET_MSGS_PER_S ? "true" : "false");
	if (t->idle_actor_kib > 0)
		printf(",\"idle_actor_kib\":%ld,\"idle_actor_kib_target\":%d,\"idle_actor_met\":%s",
		       t->idle_actor_kib, TARGET_IDLE_ACTOR_KIB,
		       t->idle_actor_kib < TARGET_IDLE_ACTOR_KIB ? "true" : "false");
	printf("}\n");
	fflush(stdout);
}

/* ---- command line ---------------------------------------------------------------- */

static void usage(FILE *f)
{
	fprintf(f,
		"usage: hive-bench [options]\n"
		"Measures a message crossing between two processes through hive-broker next to\n"
		"a raw unix socket pair (the floor), a direct ZeroMQ pipe and a naive ROUTER\n"
		"loop, and the RSS of the broker and of an idle actor. JSON lines on stdout.\n"
		"  --broker PATH         hive-broker (default: next to this program)\n"
		"  --tmp DIR             where run directories go (default: a private mkdtemp)\n"
		"  --samples N           measured round trips per path (20000)\n"
		"  --warmup N            round trips before them (1000)\n"
		"  --ref-samples N       round trips of the reference paths (5000)\n"
		"  --stream N            messages streamed per path (100000)\n"
		"  --sizes A,B           payload sizes in bytes (64,1024)\n"
		"  --placements LIST     spread (scheduler), pinned (all on CPU 0), split\n"
		"                        (driver CPU 0, responder CPU 1) (all three)\n"
		"  --only LIST           floor,raw,zmq,router,hive,rss,codec (all)\n"
		"  --all-sizes           the reference paths and the split placement at every\n"
		"                        size (default: at the first size only)\n"
		"  --loop-driven         hive: send each ping from the loop, not the handler\n");
}

static int parse_uint(const char *opt, const char *v, unsigned max, unsigned *out)
{
	char *end;
	errno = 0;
	unsigned long n = strtoul(v ? v : "", &end, 10);
	if (!v || errno || end == v || *end || *v == '-' || n > max) {
		fprintf(stderr, "hive-bench: %s needs a number up to %u, got '%s'\n", opt, max,
			v ? v : "");
		return -EINVAL;
	}
	*out = (unsigned)n;
	return 0;
}

static int parse_list(struct options *o, const char *opt, const char *v)
{
	char buf[256];
	snprintf(buf, sizeof buf, "%s", v ? v : "");
	if (strcmp(opt, "--sizes") == 0)
		o->nsizes = 0;
	else if (strcmp(opt, "--placements") == 0)
		memset(o->placement, 0, sizeof o->placement);
	else
		o->run_floor = o->run_raw = o->run_zmq = o->run_router = o->run_hive =
			o->run_rss = o->run_codec = false;
	char *save = NULL;
	for (char *w = strtok_r(buf, ",", &save); w; w = strtok_r(NULL, ",", &save)) {
		if (strcmp(opt, "--sizes") == 0) {
			unsigned n;
			if (o->nsizes == 8 || parse_uint(opt, w, BENCH_MAX_SIZE, &n) < 0 || n == 0)
				return -EINVAL;
			o->sizes[o->nsizes++] = n;
		} else if (strcmp(opt, "--placements") == 0) {
			int k = 0;
			while (k < NPLACEMENTS && strcmp(w, placements[k].name) != 0)
				k++;
			if (k == NPLACEMENTS)
				return -EINVAL;
			o->placement[k] = true;
		} else if (strcmp(w, "floor") == 0) {
			o->run_floor = true;
		} else if (strcmp(w, "raw") == 0) {
			o->run_raw = true;
		} else if (strcmp(w, "zmq") == 0) {
			o->run_zmq = true;
		} else if (strcmp(w, "router") == 0) {
			o->run_router = true;
		} else if (strcmp(w, "hive") == 0) {
			o->run_hive = true;
		} else if (strcmp(w, "rss") == 0) {
			o->run_rss = true;
		} else if (strcmp(w, "codec") == 0) {
			o->run_codec = true;
		} else {
			return -EINVAL;
		}
	}
	return 0;
}

static int parse_args(struct options *o, int argc, char **argv)
{
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		const char *v = i + 1 < argc ? argv[i + 1] : NULL;
		int rc = 0;
		if (strcmp(a, "--broker") == 0 && v)
			o->broker = argv[++i];
		else if (strcmp(a, "--tmp") == 0 && v)
			o->tmp = argv[++i];
		else if (strcmp(a, "--samples") == 0)
			rc = parse_uint(a, v, BENCH_MAX_SAMPLES, &o->samples), i++;
		else if (strcmp(a, "--ref-samples") == 0)
			rc = parse_uint(a, v, BENCH_MAX_SAMPLES, &o->ref_samples), i++;
		else if (strcmp(a, "--warmup") == 0)
			rc = parse_uint(a, v, 10000000, &o->warmup), i++;
		else if (strcmp(a, "--stream") == 0)
			rc = parse_uint(a, v, 100000000, &o->stream), i++;
		else if ((strcmp(a, "--sizes") == 0 || strcmp(a, "--placements") == 0 ||
			  strcmp(a, "--only") == 0) && v) {
			if (parse_list(o, a, v) < 0) {
				fprintf(stderr, "hive-bench: %s %s: not understood\n", a, v);
				rc = -EINVAL;
			}
			i++;
		} else if (strcmp(a, "--loop-driven") == 0)
			o->loop_driven = true;
		else if (strcmp(a, "--all-sizes") == 0)
			o->all_sizes = true;
		else {
			fprintf(stderr, "hive-bench: unknown option or missing value: %s\n", a);
			usage(stderr);
			return -EINVAL;
		}
		if (rc < 0)
			return rc;
	}
	if (o->samples == 0 || o->stream < 2) {
		fprintf(stderr, "hive-bench: --samples must be at least 1 and --stream 2\n");
		return -EINVAL;
	}
	return 0;
}

int main(int argc, char **argv)
{
	if (argc == 3 && strcmp(argv[1], "--idle-actor") == 0)
		return bench_idle_actor_main(argv[2], 3);

	struct options o = {
		.samples = 20000, .warmup = 1000, .stream = 100000, .ref_samples = 5000,
		.sizes = { 64, 1024 }, .nsizes = 2, .placement = { true, true, true },
		.run_floor = true, .run_raw = true, .run_zmq = true, .run_router = true, .run_hive = true,
		.run_rss = true, .run_codec = true,
	};
	if (argc == 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
		usage(stdout);
		return 0;
	}
	if (parse_args(&o, argc, argv) < 0)
		return 2;

	char self[4096], broker[4200], tmp[4200];
	ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
	if (n <= 0) {
		fprintf(stderr, "hive-bench: cannot find my own executable\n");
		return 1;
	}
	self[n] = '\0';
	if (!o.broker) {
		char copy[4096];
		memcpy(copy, self, (size_t)n + 1);
		snprintf(broker, sizeof broker, "%s/hive-broker", dirname(copy));
		o.broker = broker;
	}
	if (o.run_hive || o.run_rss) {
		if (access(o.broker, X_OK) < 0) {
			fprintf(stderr, "hive-bench: no hive-broker at %s (use --broker)\n", o.broker);
			return 1;
		}
	}
	bool own_tmp = !o.tmp;
	if (own_tmp) {
		const char *t = getenv("TMPDIR");
		snprintf(tmp, sizeof tmp, "%s/hive-bench-XXXXXX", t && *t ? t : "/tmp");
		if (!mkdtemp(tmp)) {
			fprintf(stderr, "hive-bench: mkdtemp %s: %s\n", tmp, strerror(errno));
			return 1;
		}
		o.tmp = tmp;
	}
	chmod(o.tmp, 0700);

	struct bench b = { .tmp = o.tmp, .broker_bin = o.broker, .self_exe = self };
	b.sh = mmap(NULL, sizeof *b.sh, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (b.sh == MAP_FAILED) {
		fprintf(stderr, "hive-bench: mmap: %s\n", strerror(errno));
		if (own_tmp)
			bench_remove_tree(o.tmp);
		return 1;
	}
	bench_signals_install();

	struct tally t = { 0 };
	uint64_t t0 = hive_now_ns();
	for (int pl = 0; pl < NPLACEMENTS; pl++) {
		int nsizes = placements[pl].first_size_only && !o.all_sizes ? 1 : o.nsizes;
		for (int i = 0; o.placement[pl] && i < nsizes && !bench_interrupted(); i++)
			run_one(&b, &o, pl, o.sizes[i], &t);
	}
	if (o.run_rss && !bench_interrupted())
		run_rss(&b, &t);
	if (o.run_codec && !bench_interrupted())
		run_codec(&o);
	if (!bench_interrupted())
		print_targets(&t);

	bench_kill_all(&b);
	if (own_tmp)
		bench_remove_tree(o.tmp);
	munmap(b.sh, sizeof *b.sh);
	fprintf(stderr, "hive-bench: done in %.1f s%s\n", (double)(hive_now_ns() - t0) / 1e9,
		t.failures ? " (some measurements failed)" : "");
	if (bench_interrupted())
		return 130;
	return t.failures ? 1 : 0;
}
