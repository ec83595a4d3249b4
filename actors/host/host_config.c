/* The device configuration file: see host_config.h. */
#include "host_config.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "host_addr.h"

void host_config_defaults(struct host_config *c)
{
	memset(c, 0, sizeof *c);
	snprintf(c->name, sizeof c->name, "hive");
	c->rpa_timeout_s = 900;
}

static int bad(char *err, size_t cap, const char *path, const char *key, const char *what)
{
	snprintf(err, cap, "%s: \"%s\" %s", path, key, what);
	return -EINVAL;
}

static int hex16(const char *s, uint8_t out[16])
{
	if (strlen(s) != 32)
		return -EINVAL;
	for (int i = 0; i < 16; i++) {
		unsigned v;
		if (sscanf(s + 2 * i, "%2x", &v) != 1)
			return -EINVAL;
		out[i] = (uint8_t)v;
	}
	return 0;
}

static int get_uint(json_t *root, const char *key, uint64_t max, uint64_t *out, bool *present)
{
	json_t *v = json_object_get(root, key);
	*present = v != NULL;
	if (!v)
		return 0;
	if (!json_is_integer(v) || json_integer_value(v) < 0 ||
	    (uint64_t)json_integer_value(v) > max)
		return -EINVAL;
	*out = (uint64_t)json_integer_value(v);
	return 0;
}

int host_config_load(struct host_config *c, const char *path, char *err, size_t errcap)
{
	json_error_t je;
	host_config_defaults(c);
	json_t *root = json_load_file(path, 0, &je);
	if (!root) {
		snprintf(err, errcap, "%s:%d: %s", path, je.line, je.text);
		return -EINVAL;
	}
	int rc = 0;
	uint64_t u;
	bool present;
	json_t *v;
	if (!json_is_object(root)) {
		rc = bad(err, errcap, path, "(top level)", "must be a JSON object");
		goto out;
	}
	if ((v = json_object_get(root, "name"))) {
		if (!json_is_string(v) || strlen(json_string_value(v)) > HOST_NAME_MAX_LEN) {
			rc = bad(err, errcap, path, "name", "must be a string of at most 248 bytes");
			goto out;
		}
		snprintf(c->name, sizeof c->name, "%s", json_string_value(v));
	}
	if ((v = json_object_get(root, "address"))) {
		if (!json_is_string(v) ||
		    host_addr_parse(json_string_value(v), c->address, &c->address_public) < 0) {
			rc = bad(err, errcap, path, "address",
				 "must be \"XX:XX:XX:XX:XX:XX\" (add \"/P\" for a public one)");
			goto out;
		}
		if (!c->address_public && !host_addr_is_static(c->address)) {
			rc = bad(err, errcap, path, "address",
				 "is not a random static address (its two top bits must be 1)");
			goto out;
		}
		c->has_address = true;
	}
	if (get_uint(root, "appearance", 0xffff, &u, &present) < 0) {
		rc = bad(err, errcap, path, "appearance", "must be a number 0..65535");
		goto out;
	}
	if (present)
		c->appearance = (uint16_t)u;
	if (get_uint(root, "advertising_interval", 10240, &u, &present) < 0 ||
	    (present && u < 20)) {
		rc = bad(err, errcap, path, "advertising_interval",
			 "must be milliseconds from 20 to 10240");
		goto out;
	}
	if (present)
		c->adv_interval_ms = (uint32_t)u;
	if ((v = json_object_get(root, "irk"))) {
		if (!json_is_string(v) || hex16(json_string_value(v), c->irk) < 0) {
			rc = bad(err, errcap, path, "irk", "must be 32 hexadecimal digits");
			goto out;
		}
		c->has_irk = true;
	}
	if ((v = json_object_get(root, "keystore"))) {
		if (!json_is_string(v)) {
			rc = bad(err, errcap, path, "keystore", "must be a string (a path)");
			goto out;
		}
		snprintf(c->keystore, sizeof c->keystore, "%s", json_string_value(v));
	}
	if ((v = json_object_get(root, "io_capability"))) {
		static const char *const caps[] = { "display_only", "display_yes_no",
						    "keyboard_only", "no_input_no_output",
						    "keyboard_display" };
		bool known = false;
		for (size_t i = 0; json_is_string(v) && i < sizeof caps / sizeof caps[0]; i++)
			known |= !strcmp(json_string_value(v), caps[i]);
		if (!known) {
			rc = bad(err, errcap, path, "io_capability",
				 "must be \"display_only\", \"display_yes_no\", \"keyboard_only\", "
				 "\"no_input_no_output\" or \"keyboard_display\"");
			goto out;
		}
		snprintf(c->io_capability, sizeof c->io_capability, "%s", json_string_value(v));
	}
	if ((v = json_object_get(root, "own_address_type"))) {
		const char *s = json_is_string(v) ? json_string_value(v) : "";
		if (!strcmp(s, "public"))
			c->own = HOST_OWN_PUBLIC;
		else if (!strcmp(s, "random"))
			c->own = HOST_OWN_RANDOM;
		else if (!strcmp(s, "resolvable"))
			c->own = HOST_OWN_RPA;
		else {
			rc = bad(err, errcap, path, "own_address_type",
				 "must be \"public\", \"random\" or \"resolvable\"");
			goto out;
		}
	}
	if (get_uint(root, "rpa_timeout", 3600 * 24, &u, &present) < 0 || (present && u < 1)) {
		rc = bad(err, errcap, path, "rpa_timeout", "must be seconds from 1 to 86400");
		goto out;
	}
	if (present)
		c->rpa_timeout_s = (uint32_t)u;
out:
	json_decref(root);
	return rc;
}

int host_config_store(const char *path, const char *key, const char *value, char *err,
		      size_t errcap)
{
	json_error_t je;
	json_t *root = NULL;
	if (access(path, F_OK) == 0) {
		root = json_load_file(path, 0, &je);
		if (!root || !json_is_object(root)) {
			snprintf(err, errcap, "%s: cannot update \"%s\": %s", path, key,
				 root ? "not a JSON object" : je.text);
			json_decref(root);
			return -EINVAL;
		}
	} else {
		root = json_object();
	}
	int rc = 0;
	char tmp[4200];
	snprintf(tmp, sizeof tmp, "%s.tmp.%d", path, (int)getpid());
	if (!root || json_object_set_new(root, key, json_string(value)) < 0) {
		rc = -ENOMEM;
		snprintf(err, errcap, "%s: out of memory setting \"%s\"", path, key);
	} else if (json_dump_file(root, tmp, JSON_INDENT(2) | JSON_SORT_KEYS) < 0) {
		rc = -errno ? -errno : -EIO;
		snprintf(err, errcap, "%s: cannot write %s to store \"%s\"", path, tmp, key);
	} else if (rename(tmp, path) < 0) {
		rc = -errno;
		snprintf(err, errcap, "%s: cannot replace it to store \"%s\": %s", path, key,
			 strerror(errno));
		unlink(tmp);
	}
	json_decref(root);
	return rc;
}
