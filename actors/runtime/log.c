/* Logging: one line per event on stderr, "name +seconds LEVEL message". */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "hive.h"

/* The threshold is process-wide configuration read once from $HIVE_LOG,
 * not state: -1 means "not read yet". */
static int log_threshold = -1;

static const char *const level_names[] = { "ERROR", "WARN", "INFO", "DEBUG", "TRACE" };

int hive_log_level_parse(const char *s, enum hive_log_level *out)
{
	for (int i = 0; i <= HIVE_LOG_TRACE; i++) {
		if (s && strcasecmp(s, level_names[i]) == 0) {
			*out = (enum hive_log_level)i;
			return 0;
		}
	}
	if (s && strcasecmp(s, "warning") == 0) {
		*out = HIVE_LOG_WARN;
		return 0;
	}
	return -1;
}

enum hive_log_level hive_log_threshold(void)
{
	if (log_threshold < 0) {
		enum hive_log_level lvl = HIVE_LOG_INFO;
		const char *env = getenv("HIVE_LOG");
		if (env && hive_log_level_parse(env, &lvl) < 0)
			fprintf(stderr, "hive: HIVE_LOG=%s is not a level (error, warn, info, "
					"debug, trace); using info\n", env);
		log_threshold = (int)lvl;
	}
	return (enum hive_log_level)log_threshold;
}

void hive_log_set_threshold(enum hive_log_level lvl)
{
	log_threshold = (int)lvl;
}

void hive_vlog(const char *name, enum hive_log_level lvl, const char *fmt, va_list ap)
{
	if (lvl > hive_log_threshold())
		return;
	char msg[1024];
	vsnprintf(msg, sizeof msg, fmt, ap);
	uint64_t ns = hive_now_ns();
	/* One write per line so lines of concurrent processes do not mix. */
	char line[1200];
	int n = snprintf(line, sizeof line, "%s +%llu.%06llu %s %s\n", name ? name : "hive",
			 (unsigned long long)(ns / 1000000000ull),
			 (unsigned long long)(ns % 1000000000ull / 1000ull), level_names[lvl], msg);
	if (n > (int)sizeof line - 1) {
		n = (int)sizeof line - 1;
		line[n - 1] = '\n';
	}
	fwrite(line, 1, (size_t)n, stderr);
}

void hive_logf(const char *name, enum hive_log_level lvl, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	hive_vlog(name, lvl, fmt, ap);
	va_end(ap);
}

uint64_t hive_now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}
