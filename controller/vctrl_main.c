/* hive-vctrl: the I/O shell (LE and BR/EDR controllers on one radio). Listens on one socket per controller, frames H4
 * from each host, hands packets and time to the state machine (vctrl.h) and
 * writes each controller's outbox back to its host. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "hive.h"
#include "vctrl.h"
#include "vctrl_codec.h"

#define LOG "hive-vctrl"
#define READ_MAX 65536
/* A host that leaves this much unread is not read from until it catches up:
 * its writes block, as on a UART with flow control. */
#define READ_PAUSE_BYTES (1u << 20)

static volatile sig_atomic_t stop_requested; /* the signal flag */

static void on_signal(int sig)
{
	(void)sig;
	stop_requested = 1;
}

enum ep_kind { EP_UNIX, EP_TCP };

struct endpoint {
	enum ep_kind kind;
	char path[sizeof(((struct sockaddr_un *)0)->sun_path)];
	char host[256];
	unsigned port;
	char name[300]; /* "unix:/path" or "tcp:host:port", for logs */
	int listen_fd;
	int host_fd;
	struct vctrl_h4 framer;
};

struct vctrl_main {
	struct vctrl_config cfg;
	struct vctrl_radio *radio;
	unsigned n;
	struct endpoint ep[VCTRL_MAX];
	uint8_t rbuf[READ_MAX];
};

static const char usage[] =
	"usage: hive-vctrl (--unix PATH | --tcp HOST:PORT)... [--count N] [options]\n"
	"\n"
	"Serves emulated LE and BR/EDR controllers on one virtual radio: what one\n"
	"advertises the others' scans hear, and they connect, encrypt and exchange\n"
	"ACL data as the Core specification says. On BR/EDR they inquire (results\n"
	"with RSSI and extended inquiry response), page, accept or reject\n"
	"connections, switch roles, pair (Secure Simple Pairing: numeric\n"
	"comparison, just works, passkey entry; PIN pairing when a host leaves\n"
	"Simple Pairing off), notify link keys and encrypt. What happens on air is\n"
	"not modelled: no LMP or baseband, no real E0/AES-CCM or P-192/P-256\n"
	"(Secure Connections and OOB are not offered); the pairing value and link\n"
	"key come from SHA-256 of the addresses and a random per pairing.\n"
	"Each controller has its own public address\n"
	"and is reached by one host as H4 (the HCI UART transport) over its own\n"
	"socket. Controller i listens on the i-th --unix/--tcp endpoint, in the\n"
	"order given.\n"
	"\n"
	"  --unix PATH        a unix stream socket for the next controller\n"
	"  --tcp HOST:PORT    a TCP socket for the next controller (port 0: any\n"
	"                     free port, shown on the ready lines)\n"
	"  --count N          N controllers from a single endpoint: --unix PATH\n"
	"                     serves PATH0 .. PATH<N-1>, --tcp HOST:PORT serves\n"
	"                     ports PORT .. PORT+N-1; with several endpoints N\n"
	"                     must equal their number (at most 16)\n"
	"  --acl-size N       LE ACL data packet length, 27..4096 (default 251)\n"
	"  --acl-count N      LE ACL data packets buffered, 1..255 (default 8)\n"
	"  --bredr-acl-size N BR/EDR ACL data packet length, 27..4096 (default 1021)\n"
	"  --bredr-acl-count N\n"
	"                     BR/EDR ACL data packets buffered, 1..255 (default 8)\n"
	"  --bredr-time-div N inquiry length, page timeout and connection accept\n"
	"                     timeout run N times faster (default 1), for tests\n"
	"  --address-base A   public address of controller 0, as 02:48:49:56:45:00\n"
	"                     (the default); controller i has A + i\n"
	"  --adv-min-ms N     floor of the advertising event period (default 20)\n"
	"  --no-extended      controllers without LE Extended Advertising (legacy\n"
	"                     advertising, scanning and connecting only)\n"
	"  --paced            deliver ACL data at connection events (every\n"
	"                     connection interval) rather than at once\n"
	"  --log-level L      error, warn, info, debug, trace (default $HIVE_LOG or info)\n"
	"  -h, --help         this text\n"
	"\n"
	"When every socket listens, stdout gets one line per controller,\n"
	"  ctrl 0 unix:/run/h0 02:48:49:56:45:00\n"
	"then a line \"ready\". A host connecting to a socket powers its controller\n"
	"on (in its reset state); the host going away powers it off: its\n"
	"connections end and the peers get Disconnection Complete with Remote User\n"
	"Terminated Connection (0x13). One host per controller at a time; another\n"
	"connection is closed at once. SIGINT or SIGTERM stops, removing the unix\n"
	"sockets.\n";

/* ---- options ---------------------------------------------------------------- */

static int parse_uint(const char *s, unsigned long min, unsigned long max, unsigned long *out)
{
	char *end;
	errno = 0;
	unsigned long v = strtoul(s, &end, 0);
	if (errno || end == s || *end || v < min || v > max || s[0] == '-')
		return -EINVAL;
	*out = v;
	return 0;
}

static int add_endpoint(struct vctrl_main *m, enum ep_kind kind, const char *arg)
{
	if (m->n >= VCTRL_MAX) {
		hive_logf(LOG, HIVE_LOG_ERROR, "at most %d controllers", VCTRL_MAX);
		return -EINVAL;
	}
	struct endpoint *e = &m->ep[m->n];
	e->kind = kind;
	if (kind == EP_UNIX) {
		if (!*arg || strlen(arg) >= sizeof e->path) {
			hive_logf(LOG, HIVE_LOG_ERROR, "--unix %s: empty or longer than %zu bytes", arg,
				  sizeof e->path - 1);
			return -EINVAL;
		}
		snprintf(e->path, sizeof e->path, "%s", arg);
	} else {
		const char *colon = strrchr(arg, ':');
		unsigned long port;
		if (!colon || colon == arg || (size_t)(colon - arg) >= sizeof e->host ||
		    parse_uint(colon + 1, 0, 65535, &port) < 0) {
			hive_logf(LOG, HIVE_LOG_ERROR, "--tcp %s: expected HOST:PORT", arg);
			return -EINVAL;
		}
		size_t hl = (size_t)(colon - arg);
		/* [::1]:9000 */
		if (hl >= 2 && arg[0] == '[' && arg[hl - 1] == ']') {
			memcpy(e->host, arg + 1, hl - 2);
			e->host[hl - 2] = 0;
		} else {
			memcpy(e->host, arg, hl);
			e->host[hl] = 0;
		}
		e->port = (unsigned)port;
	}
	m->n++;
	return 0;
}

/* One endpoint and --count N: N endpoints. */
static int expand_endpoints(struct vctrl_main *m, unsigned long count)
{
	if (m->n == 0) {
		hive_logf(LOG, HIVE_LOG_ERROR, "no --unix or --tcp endpoint given (see --help)");
		return -EINVAL;
	}
	if (count == 0 || count == m->n)
		return 0;
	if (m->n != 1) {
		hive_logf(LOG, HIVE_LOG_ERROR, "--count %lu with %u endpoints: give one endpoint, or "
			  "as many as --count", count, m->n);
		return -EINVAL;
	}
	struct endpoint first = m->ep[0];
	for (unsigned i = 0; i < count; i++) {
		struct endpoint *e = &m->ep[i];
		*e = first;
		if (first.kind == EP_UNIX) {
			int w = snprintf(e->path, sizeof e->path, "%s%u", first.path, i);
			if (w < 0 || (size_t)w >= sizeof e->path) {
				hive_logf(LOG, HIVE_LOG_ERROR, "--unix %s%u is too long", first.path, i);
				return -EINVAL;
			}
		} else if (first.port) {
			if (first.port + i > 65535) {
				hive_logf(LOG, HIVE_LOG_ERROR, "--tcp ports %u.. exceed 65535", first.port);
				return -EINVAL;
			}
			e->port = first.port + i;
		}
	}
	m->n = (unsigned)count;
	return 0;
}

static int parse_args(struct vctrl_main *m, int argc, char **argv)
{
	unsigned long count = 0, v;
	vctrl_config_default(&m->cfg);
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		const char *val = i + 1 < argc ? argv[i + 1] : NULL;
		bool takes = strcmp(a, "--unix") == 0 || strcmp(a, "--tcp") == 0 ||
			     strcmp(a, "--count") == 0 || strcmp(a, "--acl-size") == 0 ||
			     strcmp(a, "--acl-count") == 0 || strcmp(a, "--address-base") == 0 ||
			     strcmp(a, "--adv-min-ms") == 0 || strcmp(a, "--log-level") == 0 ||
			     strcmp(a, "--bredr-acl-size") == 0 || strcmp(a, "--bredr-acl-count") == 0 ||
			     strcmp(a, "--bredr-time-div") == 0;
		if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
			fputs(usage, stdout);
			exit(0);
		}
		if (strcmp(a, "--no-extended") == 0) {
			m->cfg.no_extended = true;
			continue;
		}
		if (strcmp(a, "--paced") == 0) {
			m->cfg.paced = true;
			continue;
		}
		if (!takes) {
			hive_logf(LOG, HIVE_LOG_ERROR, "unknown option %s (see --help)", a);
			return -EINVAL;
		}
		if (!val) {
			hive_logf(LOG, HIVE_LOG_ERROR, "%s needs a value (see --help)", a);
			return -EINVAL;
		}
		i++;
		int rc = 0;
		if (strcmp(a, "--unix") == 0) {
			rc = add_endpoint(m, EP_UNIX, val);
		} else if (strcmp(a, "--tcp") == 0) {
			rc = add_endpoint(m, EP_TCP, val);
		} else if (strcmp(a, "--count") == 0) {
			rc = parse_uint(val, 1, VCTRL_MAX, &count);
		} else if (strcmp(a, "--acl-size") == 0) {
			rc = parse_uint(val, 27, VCTRL_ACL_SIZE_MAX, &v);
			m->cfg.acl_size = (uint16_t)v;
		} else if (strcmp(a, "--acl-count") == 0) {
			rc = parse_uint(val, 1, 255, &v);
			m->cfg.acl_count = (uint8_t)v;
		} else if (strcmp(a, "--bredr-acl-size") == 0) {
			rc = parse_uint(val, 27, VCTRL_ACL_SIZE_MAX, &v);
			m->cfg.bredr_acl_size = (uint16_t)v;
		} else if (strcmp(a, "--bredr-acl-count") == 0) {
			rc = parse_uint(val, 1, 255, &v);
			m->cfg.bredr_acl_count = (uint8_t)v;
		} else if (strcmp(a, "--bredr-time-div") == 0) {
			rc = parse_uint(val, 1, 1000000, &v);
			m->cfg.bredr_time_div = (unsigned)v;
		} else if (strcmp(a, "--address-base") == 0) {
			rc = vctrl_addr_parse(val, m->cfg.addr_base);
		} else if (strcmp(a, "--adv-min-ms") == 0) {
			rc = parse_uint(val, 0, 60000, &v);
			m->cfg.adv_min_period_ns = v * 1000000ull;
		} else {
			enum hive_log_level lvl;
			rc = hive_log_level_parse(val, &lvl);
			if (rc == 0)
				hive_log_set_threshold(lvl);
		}
		if (rc < 0) {
			if (strcmp(a, "--unix") && strcmp(a, "--tcp"))
				hive_logf(LOG, HIVE_LOG_ERROR, "%s %s: not a valid value (see --help)", a,
					  val);
			return -EINVAL;
		}
	}
	if (expand_endpoints(m, count) < 0)
		return -EINVAL;
	m->cfg.count = m->n;
	m->cfg.rand = vctrl_rand_system;
	m->cfg.log_name = LOG;
	return 0;
}

/* ---- sockets ---------------------------------------------------------------- */

static int set_nonblock(int fd)
{
	int fl = fcntl(fd, F_GETFL);
	if (fl < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0)
		return -errno;
	return 0;
}

static int listen_unix(struct endpoint *e)
{
	struct stat st;
	if (lstat(e->path, &st) == 0) {
		if (!S_ISSOCK(st.st_mode)) {
			hive_logf(LOG, HIVE_LOG_ERROR, "%s exists and is not a socket", e->path);
			return -EEXIST;
		}
		unlink(e->path); /* a stale socket of an earlier run */
	}
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	memcpy(sa.sun_path, e->path, strlen(e->path) + 1);
	if (bind(fd, (struct sockaddr *)&sa, sizeof sa) < 0 || listen(fd, 4) < 0) {
		int rc = -errno;
		hive_logf(LOG, HIVE_LOG_ERROR, "cannot listen on %s: %s", e->path, strerror(-rc));
		close(fd);
		return rc;
	}
	char name[sizeof e->name];
	snprintf(name, sizeof name, "unix:%s", e->path);
	memcpy(e->name, name, sizeof name);
	return fd;
}

static int listen_tcp(struct endpoint *e)
{
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM, .ai_flags = AI_PASSIVE };
	struct addrinfo *res = NULL;
	char port[8];
	snprintf(port, sizeof port, "%u", e->port);
	int gai = getaddrinfo(e->host, port, &hints, &res);
	if (gai) {
		hive_logf(LOG, HIVE_LOG_ERROR, "tcp %s:%s: %s", e->host, port, gai_strerror(gai));
		return -EINVAL;
	}
	int fd = -1, rc = -EADDRNOTAVAIL;
	for (struct addrinfo *ai = res; ai && fd < 0; ai = ai->ai_next) {
		fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, ai->ai_protocol);
		if (fd < 0) {
			rc = -errno;
			continue;
		}
		int one = 1;
		setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
		if (bind(fd, ai->ai_addr, ai->ai_addrlen) < 0 || listen(fd, 4) < 0) {
			rc = -errno;
			close(fd);
			fd = -1;
		}
	}
	freeaddrinfo(res);
	if (fd < 0) {
		hive_logf(LOG, HIVE_LOG_ERROR, "cannot listen on tcp %s:%s: %s", e->host, port,
			  strerror(-rc));
		return rc;
	}
	struct sockaddr_storage ss;
	socklen_t sl = sizeof ss;
	if (getsockname(fd, (struct sockaddr *)&ss, &sl) == 0)
		e->port = ntohs(ss.ss_family == AF_INET6 ? ((struct sockaddr_in6 *)&ss)->sin6_port
							 : ((struct sockaddr_in *)&ss)->sin_port);
	bool v6 = strchr(e->host, ':') != NULL;
	char name[sizeof e->name];
	snprintf(name, sizeof name, "tcp:%s%s%s:%u", v6 ? "[" : "", e->host, v6 ? "]" : "", e->port);
	memcpy(e->name, name, sizeof name);
	return fd;
}

static void host_close(struct vctrl_main *m, unsigned i, const char *why)
{
	struct endpoint *e = &m->ep[i];
	if (e->host_fd < 0)
		return;
	hive_logf(LOG, HIVE_LOG_INFO, "ctrl%u: host on %s went away (%s)", i, e->name, why);
	close(e->host_fd);
	e->host_fd = -1;
	vctrl_host_detach(m->radio, i, hive_now_ns());
}

static void on_accept(struct vctrl_main *m, unsigned i)
{
	struct endpoint *e = &m->ep[i];
	int fd = accept4(e->listen_fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
	if (fd < 0) {
		if (errno != EAGAIN && errno != EINTR && errno != ECONNABORTED)
			hive_logf(LOG, HIVE_LOG_WARN, "ctrl%u: accept on %s: %s", i, e->name,
				  strerror(errno));
		return;
	}
	if (e->host_fd >= 0) {
		hive_logf(LOG, HIVE_LOG_WARN, "ctrl%u: a second host connected to %s while one is "
			  "attached; closed it", i, e->name);
		close(fd);
		return;
	}
	if (e->kind == EP_TCP) {
		int one = 1;
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
	}
	e->host_fd = fd;
	vctrl_h4_init(&e->framer);
	vctrl_host_attach(m->radio, i, hive_now_ns());
}

/* Reads what the host sent and hands each whole packet to the radio. */
static void on_host_input(struct vctrl_main *m, unsigned i)
{
	struct endpoint *e = &m->ep[i];
	ssize_t got = read(e->host_fd, m->rbuf, sizeof m->rbuf);
	if (got == 0) {
		host_close(m, i, "end of stream");
		return;
	}
	if (got < 0) {
		if (errno != EAGAIN && errno != EINTR)
			host_close(m, i, strerror(errno));
		return;
	}
	uint64_t now = hive_now_ns();
	struct rd in = rd_init(m->rbuf, (size_t)got);
	for (;;) {
		struct vctrl_h4_pkt pkt;
		int rc = vctrl_h4_pull(&e->framer, &in, &pkt);
		if (rc == VCTRL_H4_MORE)
			return;
		if (rc == VCTRL_H4_PACKET) {
			vctrl_on_packet(m->radio, i, pkt.type, pkt.data, pkt.len, now);
		} else if (rc == VCTRL_H4_OVERSIZE) {
			hive_logf(LOG, HIVE_LOG_WARN, "ctrl%u: H4 packet type 0x%02x of %zu bytes is "
				  "longer than any this controller takes; skipped", i, pkt.type,
				  pkt.len);
		} else {
			/* H4 has no way to find the next packet boundary: this
			 * host's stream is lost, as on a UART that needs a reset. */
			hive_logf(LOG, HIVE_LOG_ERROR, "ctrl%u: byte 0x%02x where an H4 packet type "
				  "(0x01 command, 0x02 ACL, 0x03 SCO, 0x05 ISO) was due: framing "
				  "lost; closing the host connection", i, pkt.type);
			host_close(m, i, "H4 framing lost");
			return;
		}
		if (e->host_fd < 0)
			return;
	}
}

/* Writes what the outbox holds, as far as the socket takes it; a host that
 * went away is closed. */
static void flush_host(struct vctrl_main *m, unsigned i)
{
	struct endpoint *e = &m->ep[i];
	while (e->host_fd >= 0) {
		size_t len;
		const uint8_t *p = vctrl_outbox(m->radio, i, &len);
		if (len == 0)
			return;
		ssize_t n = send(e->host_fd, p, len, MSG_NOSIGNAL | MSG_DONTWAIT);
		if (n > 0) {
			vctrl_outbox_consume(m->radio, i, (size_t)n);
			continue;
		}
		if (n < 0 && (errno == EAGAIN || errno == EINTR))
			return;
		host_close(m, i, n < 0 ? strerror(errno) : "write failed");
	}
}

static int poll_timeout(uint64_t deadline)
{
	if (deadline == UINT64_MAX)
		return -1;
	uint64_t now = hive_now_ns();
	if (deadline <= now)
		return 0;
	uint64_t ms = (deadline - now + 999999) / 1000000;
	return ms > INT_MAX ? INT_MAX : (int)ms;
}

static int serve(struct vctrl_main *m)
{
	struct pollfd pfd[2 * VCTRL_MAX];
	while (!stop_requested) {
		unsigned np = 0;
		int who[2 * VCTRL_MAX];
		for (unsigned i = 0; i < m->n; i++) {
			struct endpoint *e = &m->ep[i];
			pfd[np] = (struct pollfd){ .fd = e->listen_fd, .events = POLLIN };
			who[np++] = (int)i;
			if (e->host_fd >= 0) {
				size_t len;
				vctrl_outbox(m->radio, i, &len);
				short ev = (short)((len < READ_PAUSE_BYTES ? POLLIN : 0) |
						   (len ? POLLOUT : 0));
				pfd[np] = (struct pollfd){ .fd = e->host_fd, .events = ev };
				who[np++] = (int)(m->n + i);
			}
		}
		int rc = poll(pfd, np, poll_timeout(vctrl_next_deadline(m->radio)));
		if (rc < 0 && errno != EINTR) {
			hive_logf(LOG, HIVE_LOG_ERROR, "poll: %s", strerror(errno));
			return -errno;
		}
		for (unsigned k = 0; rc > 0 && k < np; k++) {
			if (!pfd[k].revents)
				continue;
			unsigned i = (unsigned)who[k] % m->n;
			if (who[k] < (int)m->n)
				on_accept(m, i);
			else if (m->ep[i].host_fd == pfd[k].fd &&
				 (pfd[k].revents & (POLLIN | POLLHUP | POLLERR)))
				on_host_input(m, i);
		}
		vctrl_tick(m->radio, hive_now_ns());
		for (unsigned i = 0; i < m->n; i++)
			flush_host(m, i);
	}
	return 0;
}

int main(int argc, char **argv)
{
	struct vctrl_main *m = calloc(1, sizeof *m);
	if (!m)
		return 1;
	int status = 1;
	for (unsigned i = 0; i < VCTRL_MAX; i++)
		m->ep[i].listen_fd = m->ep[i].host_fd = -1;
	if (parse_args(m, argc, argv) < 0)
		goto out;

	struct sigaction sa = { .sa_handler = on_signal };
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);

	int rc = vctrl_radio_new(&m->radio, &m->cfg);
	if (rc < 0) {
		hive_logf(LOG, HIVE_LOG_ERROR, "cannot make the radio: %s", strerror(-rc));
		goto out;
	}
	for (unsigned i = 0; i < m->n; i++) {
		struct endpoint *e = &m->ep[i];
		int fd = e->kind == EP_UNIX ? listen_unix(e) : listen_tcp(e);
		if (fd < 0 || set_nonblock(fd) < 0) {
			if (fd >= 0)
				close(fd);
			goto out;
		}
		e->listen_fd = fd;
	}
	for (unsigned i = 0; i < m->n; i++) {
		uint8_t a[6];
		char s[18];
		vctrl_public_address(m->radio, i, a);
		printf("ctrl %u %s %s\n", i, m->ep[i].name, vctrl_addr_str(a, s));
		hive_logf(LOG, HIVE_LOG_INFO, "ctrl%u: %s listens on %s", i, s, m->ep[i].name);
	}
	printf("ready\n");
	fflush(stdout);
	status = serve(m) < 0;
	hive_logf(LOG, HIVE_LOG_INFO, "stopping");

out:
	for (unsigned i = 0; i < VCTRL_MAX; i++) {
		struct endpoint *e = &m->ep[i];
		if (e->host_fd >= 0)
			close(e->host_fd);
		if (e->listen_fd >= 0) {
			close(e->listen_fd);
			if (e->kind == EP_UNIX)
				unlink(e->path);
		}
	}
	vctrl_radio_destroy(&m->radio);
	free(m);
	return status;
}
