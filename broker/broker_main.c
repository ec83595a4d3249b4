/* hive-broker command line. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "broker.h"

static void usage(FILE *f)
{
	fprintf(f,
		"usage: hive-broker [--run-dir DIR] [--queue-messages N] [--queue-bytes N]\n"
		"                   [--max-frame N] [--log-level LEVEL]\n"
		"                   [--bind tcp://ADDR:PORT]... [--tap-bind tcp://ADDR:PORT]...\n"
		"                   [--keys DIR] [--permissions FILE]\n"
		"Routes envelopes between the actors of a hive graph over ipc://DIR/broker and\n"
		"publishes a copy on ipc://DIR/tap while a tracer subscribes. The launcher\n"
		"(hive-launch) normally starts it.\n"
		"  --queue-messages N  messages kept for an absent or slow actor (10000)\n"
		"  --queue-bytes N     bytes kept for one (16777216)\n"
		"  --max-frame N       largest envelope accepted, in bytes (65536)\n"
		"  --bind tcp://A:P    also serve actors on another host over tcp, with CURVE\n"
		"                      (needs --keys; port 0 picks one, written to\n"
		"                      DIR/broker.endpoints)\n"
		"  --tap-bind tcp://A:P  also publish the tap there, with CURVE, to tracers whose\n"
		"                      key is DIR/actors/trace*.pub (port 0 picks one, written\n"
		"                      to DIR/tap.endpoints)\n"
		"  --keys DIR          CURVE keys: DIR/broker.key, and DIR/actors/NAME.pub for\n"
		"                      every actor admitted on tcp (hive-launch --keys makes them)\n"
		"  --permissions FILE  per-actor permissions (JSON, the graph's \"permissions\"\n"
		"                      section) and the built-in rules; without it all is allowed\n");
}

static int parse_size(const char *opt, const char *v, size_t *out)
{
	char *end;
	errno = 0;
	unsigned long long n = strtoull(v, &end, 0);
	if (errno || end == v || *end || n == 0 || *v == '-') {
		fprintf(stderr, "hive-broker: %s needs a positive number, got '%s'\n", opt, v);
		return -EINVAL;
	}
	*out = (size_t)n;
	return 0;
}

int main(int argc, char **argv)
{
	char dir[4096];
	struct broker_config cfg = {
		.run_dir = hive_default_run_dir(dir, sizeof dir),
		.queue_max_msgs = 10000,
		.queue_max_bytes = 16u << 20,
		.frame_max = HIVE_FRAME_MAX_DEFAULT,
	};
	for (int i = 1; i < argc; i++) {
		bool missing = false;
		const char *v;
		int rc = 0;
		if ((v = hive_opt_value(argc, argv, &i, "--run-dir", &missing)))
			cfg.run_dir = v;
		else if (!missing && (v = hive_opt_value(argc, argv, &i, "--queue-messages", &missing)))
			rc = parse_size("--queue-messages", v, &cfg.queue_max_msgs);
		else if (!missing && (v = hive_opt_value(argc, argv, &i, "--queue-bytes", &missing)))
			rc = parse_size("--queue-bytes", v, &cfg.queue_max_bytes);
		else if (!missing && (v = hive_opt_value(argc, argv, &i, "--max-frame", &missing)))
			rc = parse_size("--max-frame", v, &cfg.frame_max);
		else if (!missing && (v = hive_opt_value(argc, argv, &i, "--bind", &missing))) {
			if (!hive_endpoint_is_tcp(v)) {
				fprintf(stderr, "hive-broker: --bind %s: give a tcp://ADDR:PORT endpoint "
						"(ipc is always RUN_DIR/broker)\n", v);
				return 2;
			}
			if (cfg.nbinds == BROKER_MAX_BINDS) {
				fprintf(stderr, "hive-broker: at most %d --bind\n", BROKER_MAX_BINDS);
				return 2;
			}
			cfg.binds[cfg.nbinds++] = v;
		} else if (!missing && (v = hive_opt_value(argc, argv, &i, "--tap-bind", &missing))) {
			if (!hive_endpoint_is_tcp(v) || cfg.ntap_binds == BROKER_MAX_BINDS) {
				fprintf(stderr, "hive-broker: --tap-bind %s: give at most %d "
						"tcp://ADDR:PORT endpoints (the ipc tap is always "
						"RUN_DIR/tap)\n", v, BROKER_MAX_BINDS);
				return 2;
			}
			cfg.tap_binds[cfg.ntap_binds++] = v;
		} else if (!missing && (v = hive_opt_value(argc, argv, &i, "--keys", &missing)))
			cfg.keys_dir = v;
		else if (!missing && (v = hive_opt_value(argc, argv, &i, "--permissions", &missing)))
			cfg.permissions_path = v;
		else if (!missing && (v = hive_opt_value(argc, argv, &i, "--log-level", &missing))) {
			enum hive_log_level lvl;
			if (hive_log_level_parse(v, &lvl) < 0) {
				fprintf(stderr, "hive-broker: --log-level %s: use error, warn, info, "
						"debug or trace\n", v);
				return 2;
			}
			hive_log_set_threshold(lvl);
		} else if (!missing && (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0)) {
			usage(stdout);
			return 0;
		} else {
			fprintf(stderr, "hive-broker: %s: %s\n", argv[i],
				missing ? "needs a value" : "unknown option");
			usage(stderr);
			return 2;
		}
		if (rc < 0)
			return 2;
	}
	if ((cfg.nbinds || cfg.ntap_binds) && !cfg.keys_dir) {
		fprintf(stderr, "hive-broker: %s %s needs --keys DIR: every tcp endpoint is "
				"authenticated and encrypted with CURVE (hive-launch --keys DIR makes "
				"the keys)\n", cfg.nbinds ? "--bind" : "--tap-bind",
			cfg.nbinds ? cfg.binds[0] : cfg.tap_binds[0]);
		return 2;
	}
	hive_signals_install();
	struct broker b;
	int rc = broker_open(&b, &cfg);
	if (rc == 0)
		rc = broker_run(&b);
	broker_close(&b);
	return rc < 0 ? 1 : 0;
}
