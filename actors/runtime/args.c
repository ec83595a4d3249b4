/* The options every actor takes on its command line. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "runtime_internal.h"

/* ---- command line ------------------------------------------------------------------- */

static int add_setting(struct setting **list, size_t *n, const char *kv)
{
	const char *eq = strchr(kv, '=');
	if (!eq || eq == kv) {
		hive_logf("hive", HIVE_LOG_ERROR, "--set %s: expected KEY=VALUE", kv);
		return -EINVAL;
	}
	struct setting *l = realloc(*list, (*n + 1) * sizeof *l);
	if (!l)
		return -ENOMEM;
	*list = l;
	l[*n].key = strndup(kv, (size_t)(eq - kv));
	l[*n].value = strdup(eq + 1);
	if (!l[*n].key || !l[*n].value) {
		free(l[*n].key);
		free(l[*n].value);
		return -ENOMEM;
	}
	(*n)++;
	return 0;
}

const char *hive_opt_value(int argc, char **argv, int *i, const char *opt, bool *missing)
{
	size_t n = strlen(opt);
	const char *arg = argv[*i];
	if (strncmp(arg, opt, n) != 0)
		return NULL;
	if (arg[n] == '=')
		return arg + n + 1;
	if (arg[n] != '\0')
		return NULL;
	if (*i + 1 >= argc) {
		*missing = true;
		return NULL;
	}
	return argv[++*i];
}

int hive_actor_from_args(struct hive_actor **out, int argc, char **argv,
			 const char *default_name, int *argc_rest)
{
	struct hive_actor_config cfg = { .name = default_name };
	struct setting *settings = NULL;
	size_t nsettings = 0;
	int rest = 1;
	int rc = 0;
	*out = NULL;

	for (int i = 1; i < argc && rc == 0; i++) {
		bool missing = false;
		const char *v;
		if ((v = hive_opt_value(argc, argv, &i, "--name", &missing)))
			cfg.name = v;
		else if (!missing && (v = hive_opt_value(argc, argv, &i, "--run-dir", &missing)))
			cfg.run_dir = v;
		else if (!missing && (v = hive_opt_value(argc, argv, &i, "--broker", &missing)))
			cfg.endpoint = v;
		else if (!missing && (v = hive_opt_value(argc, argv, &i, "--keys", &missing)))
			cfg.keys_dir = v;
		else if (!missing && (v = hive_opt_value(argc, argv, &i, "--set", &missing)))
			rc = add_setting(&settings, &nsettings, v);
		else if (!missing && (v = hive_opt_value(argc, argv, &i, "--log-level", &missing))) {
			enum hive_log_level lvl;
			if (hive_log_level_parse(v, &lvl) < 0) {
				hive_logf(cfg.name, HIVE_LOG_ERROR, "--log-level %s: use error, warn, "
					  "info, debug or trace", v);
				rc = -EINVAL;
			} else {
				hive_log_set_threshold(lvl);
			}
		} else if (!missing && strcmp(argv[i], "--replace") == 0)
			cfg.replace = true;
		else if (missing) {
			hive_logf(cfg.name, HIVE_LOG_ERROR, "%s needs a value", argv[i]);
			rc = -EINVAL;
		} else if (argc_rest) {
			argv[rest++] = argv[i];
		} else {
			hive_logf(cfg.name, HIVE_LOG_ERROR, "unknown option %s", argv[i]);
			rc = -EINVAL;
		}
	}
	if (argc_rest)
		*argc_rest = rest;
	hive_signals_install();
	if (rc == 0)
		rc = hive_actor_new(out, &cfg);
	if (rc == 0) {
		(*out)->settings = settings;
		(*out)->nsettings = nsettings;
		return 0;
	}
	for (size_t i = 0; i < nsettings; i++) {
		free(settings[i].key);
		free(settings[i].value);
	}
	free(settings);
	return rc;
}

