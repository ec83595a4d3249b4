/* The device configuration's security settings for smp: see launch_device.h. */
#include "launch_device.h"

#include <errno.h>
#include <string.h>

#include "../actors/host/host_config.h"

/* The value of the last "--set KEY=VALUE" of argv, or NULL. */
static const char *setting(const struct strv *argv, const char *key)
{
	size_t kl = strlen(key);
	const char *v = NULL;
	for (size_t i = 0; i + 1 < argv->n; i++)
		if (!strcmp(argv->v[i], "--set") && !strncmp(argv->v[i + 1], key, kl) &&
		    argv->v[i + 1][kl] == '=')
			v = argv->v[i + 1] + kl + 1;
	return v;
}

static int give(struct strv *smp_argv, const char *key, const char *value)
{
	if (!*value || setting(smp_argv, key))
		return 0;
	int rc = strv_push(smp_argv, "--set");
	return rc ? rc : strv_pushf(smp_argv, "%s=%s", key, value);
}

int launch_device_settings(const struct strv *host_argv, struct strv *smp_argv, char *err,
			   size_t errcap)
{
	const char *path = setting(host_argv, "config");
	if (!path)
		return 0;
	struct host_config cfg;
	int rc = host_config_load(&cfg, path, err, errcap);
	if (rc == 0)
		rc = give(smp_argv, "keystore", cfg.keystore);
	if (rc == 0)
		rc = give(smp_argv, "io_cap", cfg.io_capability);
	return rc;
}
