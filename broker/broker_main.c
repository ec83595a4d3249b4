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
		"Routes envelopes between the actors of a hive graph over ipc://DIR/broker and\n"
		"publishes a copy on ipc://DIR/tap while a tracer subscribes. The launcher\n"
		"(hive-launch) normally starts it.\n"
		"  --queue-messages N  messages kept for an absent or slow actor (10000)\n"
		"  --queue-bytes N     bytes kept for one (16777216)\n"
		"  --max-frame N       largest envelope accepted, in bytes (65536)\n");
}

static int parse_size(const char *opt, const char *v, size_t *out)
{
	char *end;
	errno = 0;
	unsigned long long n = strtoull(v ? v : "", &end, 0);
	if (!v || errno || end == v || *end || n == 0 || *v == '-') {
		fprintf(stderr, "hive-broker: %s needs a positive number, got '%s'\n", opt,
			v ? v : "");
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
		const char *o = argv[i];
		const char *v = i + 1 < argc ? argv[i + 1] : NULL;
		int rc = 0;
		if (strcmp(o, "--run-dir") == 0 && v)
			cfg.run_dir = argv[++i];
		else if (strcmp(o, "--queue-messages") == 0)
			rc = parse_size(o, v, &cfg.queue_max_msgs), i++;
		else if (strcmp(o, "--queue-bytes") == 0)
			rc = parse_size(o, v, &cfg.queue_max_bytes), i++;
		else if (strcmp(o, "--max-frame") == 0)
			rc = parse_size(o, v, &cfg.frame_max), i++;
		else if (strcmp(o, "--log-level") == 0 && v) {
			enum hive_log_level lvl;
			if (hive_log_level_parse(argv[++i], &lvl) < 0) {
				fprintf(stderr, "hive-broker: --log-level %s: use error, warn, info, "
						"debug or trace\n", argv[i]);
				return 2;
			}
			hive_log_set_threshold(lvl);
		} else if (strcmp(o, "--help") == 0 || strcmp(o, "-h") == 0) {
			usage(stdout);
			return 0;
		} else {
			fprintf(stderr, "hive-broker: unknown option or missing value: %s\n", o);
			usage(stderr);
			return 2;
		}
		if (rc < 0)
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
