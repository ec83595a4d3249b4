/* CURVE key files for tcp endpoints.
 *
 *   DIR/broker.key   the broker's secret key (mode 0600)
 *   DIR/broker.pub   its public key (every actor on tcp needs it)
 *   DIR/actors/NAME.key, DIR/actors/NAME.pub   one pair per actor name
 *
 * Each file is text: comment lines starting with '#', then one line of 40
 * Z85 characters (ZeroMQ's zcert idea, written by hive). */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <zmq.h>

#include "hive.h"

bool hive_endpoint_is_tcp(const char *endpoint)
{
	return endpoint && strncmp(endpoint, "tcp://", 6) == 0;
}

int hive_curve_check(const char *who)
{
	if (zmq_has("curve"))
		return 0;
	hive_logf(who, HIVE_LOG_ERROR, "this libzmq was built without CURVE (zmq_has(\"curve\") "
		  "is false), and every tcp endpoint of hive is CURVE-encrypted; install a libzmq "
		  "built with libsodium (Debian: libzmq5) or stay on ipc");
	return -ENOTSUP;
}

void hive_key_path(char *buf, size_t cap, const char *dir, const char *name, bool secret)
{
	if (!name || strcmp(name, "broker") == 0)
		snprintf(buf, cap, "%s/broker.%s", dir, secret ? "key" : "pub");
	else
		snprintf(buf, cap, "%s/actors/%s.%s", dir, name, secret ? "key" : "pub");
}

int hive_key_load(const char *path, char z85[HIVE_KEY_Z85_LEN + 1], bool secret)
{
	int rc = 0;
	struct stat st;
	FILE *f = fopen(path, "r");
	if (!f) {
		rc = -errno;
		hive_logf("hive", HIVE_LOG_ERROR, "cannot read the CURVE key %s: %s; make the "
			  "keys with hive-launch --keys DIR and copy them here", path,
			  strerror(-rc));
		return rc;
	}
	if (secret && fstat(fileno(f), &st) == 0 && (st.st_mode & 0077)) {
		hive_logf("hive", HIVE_LOG_ERROR, "the secret key %s is readable by others (mode "
			  "%04o); chmod 600 it", path, (unsigned)(st.st_mode & 07777));
		rc = -EPERM;
	}
	char line[256];
	bool found = false;
	while (rc == 0 && !found && fgets(line, sizeof line, f)) {
		size_t n = strcspn(line, "\r\n");
		line[n] = '\0';
		while (n && (line[n - 1] == ' ' || line[n - 1] == '\t'))
			line[--n] = '\0';
		if (n == 0 || line[0] == '#')
			continue;
		uint8_t bin[32];
		if (n != HIVE_KEY_Z85_LEN || !zmq_z85_decode(bin, line)) {
			hive_logf("hive", HIVE_LOG_ERROR, "%s does not hold a CURVE key (one line "
				  "of %d Z85 characters); make it again with hive-launch --keys",
				  path, HIVE_KEY_Z85_LEN);
			rc = -EINVAL;
		} else {
			memcpy(z85, line, HIVE_KEY_Z85_LEN + 1);
			found = true;
		}
	}
	if (rc == 0 && !found) {
		hive_logf("hive", HIVE_LOG_ERROR, "%s holds no key line; make it again with "
			  "hive-launch --keys", path);
		rc = -EINVAL;
	}
	fclose(f);
	return rc;
}

/* Writes one key file atomically (temporary file, then rename). */
static int write_key(const char *path, const char *comment, const char *z85, mode_t mode)
{
	char tmp[4200];
	snprintf(tmp, sizeof tmp, "%s.tmp%d", path, (int)getpid());
	int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
	int rc = fd < 0 ? -errno : 0;
	if (rc == 0 && dprintf(fd, "# %s\n%s\n", comment, z85) < 0)
		rc = -EIO;
	if (fd >= 0 && fchmod(fd, mode) < 0 && rc == 0)
		rc = -errno;
	if (fd >= 0 && close(fd) < 0 && rc == 0)
		rc = -errno;
	if (rc == 0 && rename(tmp, path) < 0)
		rc = -errno;
	if (rc < 0) {
		unlink(tmp);
		hive_logf("hive", HIVE_LOG_ERROR, "cannot write the key file %s: %s", path,
			  strerror(-rc));
	}
	return rc;
}

/* Makes the pair of one name unless its secret key exists; an existing one
 * is checked by reading it. */
static int keypair_ensure(const char *dir, const char *name, bool *made)
{
	char sec_path[4200], pub_path[4200], sec[HIVE_KEY_Z85_LEN + 1], pub[HIVE_KEY_Z85_LEN + 1];
	char comment[200];
	hive_key_path(sec_path, sizeof sec_path, dir, name, true);
	hive_key_path(pub_path, sizeof pub_path, dir, name, false);
	if (access(sec_path, F_OK) == 0) {
		int rc = hive_key_load(sec_path, sec, true);
		if (rc == 0 && access(pub_path, F_OK) != 0) {
			/* The public half can always be made again from the secret. */
			if (zmq_curve_public(pub, sec) < 0)
				return -EINVAL;
			snprintf(comment, sizeof comment, "hive CURVE public key of %s (Z85)", name);
			rc = write_key(pub_path, comment, pub, 0644);
		}
		return rc;
	}
	if (zmq_curve_keypair(pub, sec) < 0) {
		hive_logf("hive", HIVE_LOG_ERROR, "cannot make a CURVE key pair: %s",
			  zmq_strerror(zmq_errno()));
		return -zmq_errno();
	}
	snprintf(comment, sizeof comment, "hive CURVE secret key of %s (Z85); keep it private",
		 name);
	int rc = write_key(sec_path, comment, sec, 0600);
	snprintf(comment, sizeof comment, "hive CURVE public key of %s (Z85)", name);
	if (rc == 0)
		rc = write_key(pub_path, comment, pub, 0644);
	*made = rc == 0;
	return rc;
}

static int mkdir_private(const char *path)
{
	if (mkdir(path, 0700) < 0 && errno != EEXIST) {
		int err = errno;
		hive_logf("hive", HIVE_LOG_ERROR, "cannot create the keys directory %s: %s", path,
			  strerror(err));
		return -err;
	}
	struct stat st;
	if (stat(path, &st) < 0 || !S_ISDIR(st.st_mode)) {
		hive_logf("hive", HIVE_LOG_ERROR, "%s is not a directory", path);
		return -ENOTDIR;
	}
	return 0;
}

int hive_keys_prepare(const char *dir, const char *const names[], size_t n)
{
	char actors[4200];
	int rc = hive_curve_check("hive");
	snprintf(actors, sizeof actors, "%s/actors", dir);
	if (rc == 0)
		rc = mkdir_private(dir);
	if (rc == 0)
		rc = mkdir_private(actors);
	bool made = false;
	if (rc == 0)
		rc = keypair_ensure(dir, "broker", &made);
	for (size_t i = 0; rc == 0 && i < n; i++) {
		if (!hive_name_valid(names[i]) || strcmp(names[i], "broker") == 0) {
			hive_logf("hive", HIVE_LOG_ERROR, "no key for '%s': not an actor name",
				  names[i] ? names[i] : "");
			rc = -EINVAL;
		} else {
			rc = keypair_ensure(dir, names[i], &made);
		}
		if (rc == 0 && made)
			hive_logf("hive", HIVE_LOG_INFO, "made the CURVE key pair of %s in %s",
				  names[i], actors);
		made = false;
	}
	return rc;
}
