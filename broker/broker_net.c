/* The broker across machines: tcp endpoints with CURVE, the ZAP handler
 * that admits only the keys in KEYS/actors/NAME.pub and binds each connection
 * to the actor name of its key (on the tap's tcp endpoints, only tracers'
 * keys, KEYS/actors/trace*.pub), and the permissions file. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "broker.h"

#define ZAP_ENDPOINT "inproc://zeromq.zap.01"
#define ZAP_DOMAIN "hive"
#define ZAP_DOMAIN_TAP "hive-tap" /* the tap on tcp: tracers' keys only */
#define TAP_KEY_PREFIX "trace"
#define KEYS_RESCAN_NS (1000ull * 1000000ull)
#define REFUSED_LOG_EVERY_NS (10000ull * 1000000ull)

/* ---- allowed keys -------------------------------------------------------------- */

/* Reads every KEYS/actors/NAME.pub. Unreadable files are logged and left out. */
static int load_keys(struct broker *b)
{
	char dir[4200];
	snprintf(dir, sizeof dir, "%s/actors", b->cfg.keys_dir);
	DIR *d = opendir(dir);
	if (!d) {
		int err = errno;
		hive_logf("broker", HIVE_LOG_ERROR, "cannot read the actors' public keys in %s: %s; "
			  "make them with hive-launch --keys %s", dir, strerror(err),
			  b->cfg.keys_dir);
		return -err;
	}
	size_t n = 0, cap = 16;
	struct broker_key *keys = calloc(cap, sizeof *keys);
	struct dirent *e;
	while (keys && (e = readdir(d))) {
		size_t len = strlen(e->d_name);
		if (len <= 4 || strcmp(e->d_name + len - 4, ".pub") != 0 || len - 4 > HIVE_NAME_MAX)
			continue;
		char name[HIVE_NAME_MAX + 1], path[4400], z85[HIVE_KEY_Z85_LEN + 1];
		memcpy(name, e->d_name, len - 4);
		name[len - 4] = '\0';
		snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
		if (!hive_name_valid(name) || hive_key_load(path, z85, false) < 0)
			continue;
		if (n == cap) {
			struct broker_key *k = realloc(keys, 2 * cap * sizeof *k);
			if (!k)
				break;
			keys = k;
			cap *= 2;
		}
		snprintf(keys[n].name, sizeof keys[n].name, "%s", name);
		zmq_z85_decode(keys[n].pub, z85);
		n++;
	}
	closedir(d);
	if (!keys)
		return -ENOMEM;
	free(b->keys);
	b->keys = keys;
	b->nkeys = n;
	b->keys_scanned_ns = hive_now_ns();
	return 0;
}

static const struct broker_key *find_key(const struct broker *b, const uint8_t pub[32])
{
	for (size_t i = 0; i < b->nkeys; i++)
		if (memcmp(b->keys[i].pub, pub, 32) == 0)
			return &b->keys[i];
	return NULL;
}

/* ---- ZAP (ZeroMQ RFC 27) ----------------------------------------------------------- */

static void zap_reply(struct broker *b, zmq_msg_t *request_id, const char *code,
		      const char *text, const char *user)
{
	zmq_send(b->zap, "1.0", 3, ZMQ_SNDMORE);
	zmq_msg_send(request_id, b->zap, ZMQ_SNDMORE);
	zmq_send(b->zap, code, strlen(code), ZMQ_SNDMORE);
	zmq_send(b->zap, text, strlen(text), ZMQ_SNDMORE);
	zmq_send(b->zap, user, strlen(user), ZMQ_SNDMORE);
	zmq_send(b->zap, "", 0, 0);
}

static void log_refused(struct broker *b, const uint8_t pub[32], const char *address)
{
	uint64_t now = hive_now_ns();
	if (memcmp(pub, b->last_refused_key, 32) == 0 &&
	    now - b->last_refused_log_ns < REFUSED_LOG_EVERY_NS)
		return;
	memcpy(b->last_refused_key, pub, 32);
	b->last_refused_log_ns = now;
	char z85[HIVE_KEY_Z85_LEN + 1];
	zmq_z85_encode(z85, pub, 32);
	hive_logf("broker", HIVE_LOG_WARN, "refused a CURVE client from %s: its public key %s "
		  "is not in %s/actors/*.pub; to admit it, put its NAME.pub there (hive-launch "
		  "--keys makes one per actor of the graph)", address, z85, b->cfg.keys_dir);
}

/* One request: version, request id, domain, address, identity, mechanism,
 * credentials. */
static void zap_one(struct broker *b)
{
	zmq_msg_t f[8];
	int n = 0;
	bool more = true;
	while (more) {
		zmq_msg_t m;
		zmq_msg_init(&m);
		if (zmq_msg_recv(&m, b->zap, n == 0 ? ZMQ_DONTWAIT : 0) < 0) {
			zmq_msg_close(&m);
			break;
		}
		more = zmq_msg_more(&m);
		if (n < 8) {
			zmq_msg_init(&f[n]);
			zmq_msg_move(&f[n++], &m);
		}
		zmq_msg_close(&m);
	}
	if (n < 6)
		goto out;
	char address[128] = "", mech[16] = "", domain[32] = "";
	snprintf(domain, sizeof domain, "%.*s", (int)zmq_msg_size(&f[2]),
		 (const char *)zmq_msg_data(&f[2]));
	snprintf(address, sizeof address, "%.*s", (int)zmq_msg_size(&f[3]),
		 (const char *)zmq_msg_data(&f[3]));
	bool tap = strcmp(domain, ZAP_DOMAIN_TAP) == 0;
	snprintf(mech, sizeof mech, "%.*s", (int)zmq_msg_size(&f[5]),
		 (const char *)zmq_msg_data(&f[5]));
	if (strcmp(mech, "NULL") == 0) {
		/* ipc: the run directory's mode is the protection. */
		zap_reply(b, &f[1], "200", "OK", "");
	} else if (strcmp(mech, "CURVE") == 0 && n >= 7 && zmq_msg_size(&f[6]) == 32) {
		const uint8_t *pub = zmq_msg_data(&f[6]);
		const struct broker_key *k = find_key(b, pub);
		if (!k && hive_now_ns() - b->keys_scanned_ns >= KEYS_RESCAN_NS) {
			load_keys(b);
			k = find_key(b, pub);
		}
		if (k && tap && strncmp(k->name, TAP_KEY_PREFIX, strlen(TAP_KEY_PREFIX)) != 0) {
			/* The tap shows every pipe, key material included: an actor's
			 * key does not open it. */
			hive_logf("broker", HIVE_LOG_WARN, "refused %s's key on the tap from %s: the "
				  "tap admits tracers only: make a key %s/actors/%s.key (hive-launch "
				  "--tap-bind does) and give it to hive-trace --keys", k->name, address,
				  b->cfg.keys_dir, TAP_KEY_PREFIX);
			zap_reply(b, &f[1], "400", "not a tracer's key", "");
		} else if (k) {
			hive_logf("broker", HIVE_LOG_DEBUG, "admitted the CURVE key of %s from %s%s",
				  k->name, address, tap ? " on the tap" : "");
			zap_reply(b, &f[1], "200", "OK", k->name);
		} else {
			log_refused(b, pub, address);
			zap_reply(b, &f[1], "400", "unknown key", "");
		}
	} else {
		hive_logf("broker", HIVE_LOG_WARN, "refused a client from %s: mechanism %s; hive "
			  "admits CURVE on tcp only", address, mech);
		zap_reply(b, &f[1], "400", "mechanism not allowed", "");
	}
out:
	for (int i = 0; i < n; i++)
		zmq_msg_close(&f[i]);
}

void broker_on_zap(struct broker *b)
{
	for (int i = 0; i < 64 && hive_zsock_readable(b->zap); i++)
		zap_one(b);
}

const char *broker_key_name(zmq_msg_t *msg)
{
	const char *uid = zmq_msg_gets(msg, "User-Id");
	return uid && uid[0] ? uid : NULL;
}

bool broker_holder_alive(const struct actor *a)
{
	if (!a->up)
		return false;
	if (a->heartbeat_ms)
		return hive_now_ns() - a->last_heard_ns < (uint64_t)a->heartbeat_ms * 3 / 2 * 1000000ull;
	if (a->remote)
		return true;
	return a->pid > 0 && (kill(a->pid, 0) == 0 || errno == EPERM);
}

/* ---- opening -------------------------------------------------------------------------- */

/* Records the resolved tcp endpoints (a port 0 becomes the real one) in
 * RUN_DIR/broker.endpoints, one per line, for tools and tests. */
static void write_endpoints(struct broker *b, const char *file, const char *const eps[],
			    size_t n)
{
	char path[4200], tmp[4300];
	snprintf(path, sizeof path, "%s/%s", b->cfg.run_dir, file);
	snprintf(tmp, sizeof tmp, "%s.tmp", path);
	FILE *f = fopen(tmp, "w");
	if (!f)
		return;
	for (size_t i = 0; i < n; i++)
		fprintf(f, "%s\n", eps[i]);
	if (fclose(f) == 0)
		rename(tmp, path);
}

/* Makes sock a CURVE server of the ZAP domain (options are taken at bind
 * time: what was bound before, the ipc endpoint, stays without CURVE). */
static int curve_server(void *sock, const char *secret, const char *domain)
{
	int one = 1;
	if (zmq_setsockopt(sock, ZMQ_CURVE_SERVER, &one, sizeof one) < 0 ||
	    zmq_setsockopt(sock, ZMQ_CURVE_SECRETKEY, secret, HIVE_KEY_Z85_LEN + 1) < 0 ||
	    zmq_setsockopt(sock, ZMQ_ZAP_DOMAIN, domain, strlen(domain)) < 0) {
		int rc = -zmq_errno();
		hive_logf("broker", HIVE_LOG_ERROR, "cannot set up CURVE: %s", zmq_strerror(-rc));
		return rc;
	}
	return 0;
}

/* Binds sock to every endpoint and writes the resolved ones to RUN_DIR/file. */
static int bind_all(struct broker *b, void *sock, const char *const binds[], size_t n,
		    const char *file, const char *what)
{
	char resolved[BROKER_MAX_BINDS][256];
	const char *eps[BROKER_MAX_BINDS];
	int rc = 0;
	for (size_t i = 0; rc == 0 && i < n; i++) {
		size_t len = sizeof resolved[i];
		if (zmq_bind(sock, binds[i]) < 0) {
			rc = -zmq_errno();
			hive_logf("broker", HIVE_LOG_ERROR, "cannot bind %s: %s; is the address one "
				  "of this host's and the port free?", binds[i], zmq_strerror(-rc));
		} else if (zmq_getsockopt(sock, ZMQ_LAST_ENDPOINT, resolved[i], &len) < 0) {
			snprintf(resolved[i], sizeof resolved[i], "%s", binds[i]);
		}
		eps[i] = resolved[i];
		if (rc == 0)
			hive_logf("broker", HIVE_LOG_INFO, "serving %s%s (CURVE, %zu keys in "
				  "%s/actors)", what, resolved[i], b->nkeys, b->cfg.keys_dir);
	}
	if (rc == 0)
		write_endpoints(b, file, eps, n);
	return rc;
}

static int bind_tcp(struct broker *b)
{
	char path[4200], secret[HIVE_KEY_Z85_LEN + 1];
	int rc = hive_curve_check("broker");
	if (rc == 0) {
		hive_key_path(path, sizeof path, b->cfg.keys_dir, "broker", true);
		rc = hive_key_load(path, secret, true);
	}
	if (rc == 0)
		rc = load_keys(b);
	if (rc < 0)
		return rc;
	/* The ZAP handler must exist before the first CURVE client arrives:
	 * without one, libzmq admits every key. */
	b->zap = zmq_socket(b->zctx, ZMQ_REP);
	int linger = 0;
	zmq_setsockopt(b->zap, ZMQ_LINGER, &linger, sizeof linger);
	size_t fdlen = sizeof b->zap_fd;
	if (!b->zap || zmq_bind(b->zap, ZAP_ENDPOINT) < 0 ||
	    zmq_getsockopt(b->zap, ZMQ_FD, &b->zap_fd, &fdlen) < 0) {
		rc = -zmq_errno();
		hive_logf("broker", HIVE_LOG_ERROR, "cannot start the ZAP handler: %s",
			  zmq_strerror(-rc));
		memset(secret, 0, sizeof secret);
		return rc;
	}
	if (rc == 0 && b->cfg.nbinds)
		rc = curve_server(b->router, secret, ZAP_DOMAIN);
	if (rc == 0 && b->cfg.ntap_binds)
		rc = curve_server(b->tap, secret, ZAP_DOMAIN_TAP);
	memset(secret, 0, sizeof secret);
	if (rc == 0 && b->cfg.nbinds)
		rc = bind_all(b, b->router, b->cfg.binds, b->cfg.nbinds, "broker.endpoints", "");
	if (rc == 0 && b->cfg.ntap_binds)
		rc = bind_all(b, b->tap, b->cfg.tap_binds, b->cfg.ntap_binds, "tap.endpoints",
			      "the tap on ");
	return rc;
}

int broker_net_open(struct broker *b)
{
	int rc = 0;
	char err[PERM_ERR_MAX];
	if (b->cfg.permissions_path) {
		rc = perm_load(b->cfg.permissions_path, &b->perms, err, sizeof err);
		if (rc < 0)
			hive_logf("broker", HIVE_LOG_ERROR, "%s", err);
		else
			hive_logf("broker", HIVE_LOG_INFO, "permissions from %s: %zu actors listed, "
				  "built-in rules on", b->cfg.permissions_path, b->perms.n);
	}
	if (rc == 0 && (b->cfg.nbinds || b->cfg.ntap_binds))
		rc = bind_tcp(b);
	return rc;
}

void broker_net_close(struct broker *b)
{
	if (b->zap)
		zmq_close(b->zap);
	b->zap = NULL;
	free(b->keys);
	b->keys = NULL;
	b->nkeys = 0;
	perm_fini(&b->perms);
	if (b->cfg.nbinds && b->cfg.run_dir) {
		char path[4200];
		snprintf(path, sizeof path, "%s/broker.endpoints", b->cfg.run_dir);
		unlink(path);
	}
	if (b->cfg.ntap_binds && b->cfg.run_dir) {
		char path[4200];
		snprintf(path, sizeof path, "%s/tap.endpoints", b->cfg.run_dir);
		unlink(path);
	}
}
