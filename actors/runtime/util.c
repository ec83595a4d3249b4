/* Run directory, names, and other small helpers shared by every program. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <zmq.h>

#include "hive.h"

const char *hive_default_run_dir(char *buf, size_t cap)
{
	const char *env = getenv("HIVE_RUN_DIR");
	if (env && *env) {
		snprintf(buf, cap, "%s", env);
		return buf;
	}
	const char *xdg = getenv("XDG_RUNTIME_DIR");
	if (xdg && *xdg)
		snprintf(buf, cap, "%s/hive", xdg);
	else
		snprintf(buf, cap, "/tmp/hive-%u", (unsigned)getuid());
	return buf;
}

int hive_run_dir_prepare(const char *dir)
{
	char path[4096];
	if (snprintf(path, sizeof path, "%s", dir) >= (int)sizeof path) {
		hive_logf("hive", HIVE_LOG_ERROR, "run directory path is too long: %s", dir);
		return -ENAMETOOLONG;
	}
	/* Parents may be shared (/tmp); only the last component must be ours. */
	for (char *p = path + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(path, 0755) < 0 && errno != EEXIST) {
			int err = errno;
			hive_logf("hive", HIVE_LOG_ERROR, "cannot create %s: %s", path, strerror(err));
			return -err;
		}
		*p = '/';
	}
	if (mkdir(path, 0700) < 0 && errno != EEXIST) {
		int err = errno;
		hive_logf("hive", HIVE_LOG_ERROR,
			  "cannot create run directory %s: %s; choose another with --run-dir",
			  path, strerror(err));
		return -err;
	}
	struct stat st;
	if (lstat(path, &st) < 0 || !S_ISDIR(st.st_mode)) {
		hive_logf("hive", HIVE_LOG_ERROR, "run directory %s is not a directory", path);
		return -ENOTDIR;
	}
	if (st.st_uid != getuid()) {
		hive_logf("hive", HIVE_LOG_ERROR,
			  "run directory %s belongs to uid %u, not to us; choose another with "
			  "--run-dir", path, (unsigned)st.st_uid);
		return -EPERM;
	}
	if ((st.st_mode & 0077) && chmod(path, 0700) < 0) {
		int err = errno;
		hive_logf("hive", HIVE_LOG_ERROR, "cannot make %s private (mode 0700): %s", path,
			  strerror(err));
		return -err;
	}
	return 0;
}

bool hive_name_valid(const char *name)
{
	if (!name)
		return false;
	size_t n = strlen(name);
	if (n == 0 || n > HIVE_NAME_MAX)
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = name[i];
		bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
			  (c >= '0' && c <= '9') || c == '_' || c == '-' || c == '.';
		if (!ok)
			return false;
	}
	return true;
}

const char *hive_body_name(Hive__Envelope__BodyCase c)
{
	const ProtobufCFieldDescriptor *f =
		protobuf_c_message_descriptor_get_field(&hive__envelope__descriptor, (unsigned)c);
	return f ? f->name : "none";
}

bool hive_zsock_readable(void *sock)
{
	int ev = 0;
	size_t len = sizeof ev;
	return zmq_getsockopt(sock, ZMQ_EVENTS, &ev, &len) == 0 && (ev & ZMQ_POLLIN);
}

int hive_hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}
