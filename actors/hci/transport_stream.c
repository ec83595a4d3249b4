/* Stream transports: tcp-client, tcp-server, unix and serial, carrying H4
 * (or H5 on serial). The fds live in the actor's loop; reading feeds the
 * framer, writing drains one output buffer. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <termios.h>
#include <unistd.h>

#include "h4.h"
#include "h5.h"
#include "hci.h"
#include "stream_open.h"

/* H4 sends stop being taken past this much unwritten output. */
#define OUT_SOFT_MAX (64u * 1024u)
/* Bytes read per loop turn before the others get theirs. */
#define READ_BUDGET (256u * 1024u)
/* A bad byte on a socket (a stream that cannot be corrupted in transit)
 * means it is out of step: reconnect. A UART resynchronises (noise). */
#define JUNK_LIMIT_SOCKET 1
/* Say so when H5 has not come up after this long. */
#define H5_SLOW_MS 3000

struct stream {
	struct hci *h;
	int fd;               /* the connection or device, -1 */
	int lfd;              /* tcp-server's listening socket, -1 */
	short watched;        /* events watched on fd, 0: not watched */
	bool paused;
	bool h5mode;
	int write_err;        /* a write failed inside a callback: drop soon */
	char peer[128];

	struct h4 *rx;
	struct h5 *h5;
	int h5_timer;
	uint64_t h5_due;
	uint64_t h5_started_ms;
	bool h5_slow_said;

	uint8_t *out;
	size_t out_off, out_len, out_cap;

	uint64_t bytes_in, bytes_out, lost_out;
	uint64_t junk_bursts;
	uint8_t rbuf[16384];
};

static uint64_t now_ms(void)
{
	return hive_now_ns() / 1000000u;
}

static bool is_socket(const struct stream *s)
{
	return s->h->spec.kind != HCI_TRANSPORT_SERIAL;
}

static void on_fd(struct hive_actor *a, int fd, short revents, void *arg);

static void watch_update(struct stream *s)
{
	if (s->fd < 0)
		return;
	short want = (short)((s->paused ? 0 : HCI_EV_IN) | (s->out_len > s->out_off ? HCI_EV_OUT : 0));
	if (want == s->watched)
		return;
	if (s->watched)
		hive_fd_unwatch(s->h->a, s->fd);
	s->watched = 0;
	if (want && hive_fd_watch(s->h->a, s->fd, want, on_fd, s) == 0)
		s->watched = want;
}

/* ---- output ------------------------------------------------------------------- */

static int out_reserve(struct stream *s, size_t n)
{
	if (s->out_off && s->out_off == s->out_len)
		s->out_off = s->out_len = 0;
	if (s->out_cap - s->out_len >= n)
		return 0;
	if (s->out_off) {
		memmove(s->out, s->out + s->out_off, s->out_len - s->out_off);
		s->out_len -= s->out_off;
		s->out_off = 0;
		if (s->out_cap - s->out_len >= n)
			return 0;
	}
	size_t cap = s->out_cap ? s->out_cap : 4096;
	while (cap - s->out_len < n)
		cap *= 2;
	uint8_t *b = realloc(s->out, cap);
	if (!b)
		return -ENOMEM;
	s->out = b;
	s->out_cap = cap;
	return 0;
}

/* Writes what it can. Returns 0 or -errno (the connection is broken). */
static int try_write(struct stream *s)
{
	while (s->fd >= 0 && s->out_len > s->out_off) {
		ssize_t n = write(s->fd, s->out + s->out_off, s->out_len - s->out_off);
		if (n > 0) {
			s->out_off += (size_t)n;
			s->bytes_out += (uint64_t)n;
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN)
			break;
		return n < 0 ? -errno : -EIO;
	}
	if (s->out_off == s->out_len)
		s->out_off = s->out_len = 0;
	watch_update(s);
	return 0;
}

static void out_append(struct stream *s, const uint8_t *p, size_t n)
{
	if (s->fd < 0)
		return;
	if (out_reserve(s, n) < 0) {
		s->write_err = -ENOMEM;
		return;
	}
	memcpy(s->out + s->out_len, p, n);
	s->out_len += n;
	int rc = try_write(s);
	if (rc < 0 && !s->write_err)
		s->write_err = rc;
}

/* ---- connection life ---------------------------------------------------------- */

static void h5_rearm(struct stream *s);

static void close_fd(struct stream *s)
{
	if (s->fd < 0)
		return;
	if (s->watched)
		hive_fd_unwatch(s->h->a, s->fd);
	s->watched = 0;
	if (!is_socket(s))
		ioctl(s->fd, TIOCNXCL);
	close(s->fd);
	s->fd = -1;
	if (s->h5_timer)
		hive_timer_cancel(s->h->a, s->h5_timer);
	s->h5_timer = 0;
	s->h5_due = H5_NO_DEADLINE;
	s->lost_out += s->out_len - s->out_off;
	s->out_off = s->out_len = 0;
	s->write_err = 0;
	h4_reset(s->rx);
}

/* The connection broke: close it and tell the actor, which reconnects. */
static void conn_drop(struct stream *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void conn_drop(struct stream *s, const char *fmt, ...)
{
	char why[HCI_ERR_MAX];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(why, sizeof why, fmt, ap);
	va_end(ap);
	size_t unsent = s->out_len - s->out_off;
	close_fd(s);
	if (unsent) {
		size_t n = strlen(why);
		snprintf(why + n, sizeof why - n, " (%zu bytes for the controller were not written)",
			 unsent);
	}
	hci_on_down(s->h, why);
}

static void attach(struct stream *s, int fd)
{
	s->fd = fd;
	s->watched = 0;
	s->write_err = 0;
	h4_reset(s->rx);
	watch_update(s);
	if (s->h5mode) {
		s->h5_started_ms = now_ms();
		s->h5_slow_said = false;
		h5_start(s->h5, s->h5_started_ms);
		h5_rearm(s);
	} else {
		hci_on_up(s->h);
	}
}

/* After any callback that may have written: a failed write drops. */
static bool check_write(struct stream *s)
{
	if (s->fd >= 0 && s->write_err) {
		int e = s->write_err;
		s->write_err = 0;
		conn_drop(s, "writing to the controller failed: %s", strerror(-e));
		return false;
	}
	return s->fd >= 0;
}

/* ---- H5 ------------------------------------------------------------------------ */

static void h5_output(void *arg, const uint8_t *bytes, size_t len)
{
	out_append(arg, bytes, len);
}

static void h5_packet(void *arg, uint8_t type, const uint8_t *pkt, size_t len)
{
	struct stream *s = arg;
	hci_on_packet(s->h, type, pkt, len);
}

static void h5_state(void *arg, enum h5_state from, enum h5_state to)
{
	struct stream *s = arg;
	if (to == H5_ACTIVE) {
		hive_log(s->h->a, HIVE_LOG_INFO, "H5 link with the controller is active (window %u, "
			 "data integrity check %s)", s->h5->window, s->h5->crc ? "on" : "off");
		hci_on_up(s->h);
	} else if (from == H5_ACTIVE) {
		s->h5_started_ms = now_ms();
		s->h5_slow_said = false;
		hci_on_down(s->h, "the controller restarted the H5 link (SYNC while active); "
			    "establishing it again");
	}
}

static void on_h5_timer(struct hive_actor *a, void *arg)
{
	struct stream *s = arg;
	s->h5_timer = 0;
	s->h5_due = H5_NO_DEADLINE;
	if (s->fd < 0)
		return;
	uint64_t now = now_ms();
	h5_tick(s->h5, now);
	if (!check_write(s))
		return;
	if (s->h5->state != H5_ACTIVE && !s->h5_slow_said && now - s->h5_started_ms >= H5_SLOW_MS) {
		s->h5_slow_said = true;
		const struct h5_stats *st = &s->h5->st;
		hive_log(a, HIVE_LOG_WARN, "no H5 link with the controller on %s after %llu ms "
			 "(state %s; %llu SYNC/CONFIG sent; received %llu bytes, %llu bad frames, "
			 "%llu ignored); is it in H5 mode at %u baud with %s parity? Still trying",
			 s->h->spec.serial.device, (unsigned long long)H5_SLOW_MS,
			 h5_state_name(s->h5->state), (unsigned long long)st->syncs_sent,
			 (unsigned long long)s->bytes_in,
			 (unsigned long long)(st->bad_header + st->bad_crc + s->h5->rx.dropped),
			 (unsigned long long)st->ignored, s->h->spec.serial.baud,
			 s->h->spec.serial.even_parity ? "even" : "no");
	}
	h5_rearm(s);
	hci_on_writable(s->h);
}

static void h5_rearm(struct stream *s)
{
	if (s->fd < 0)
		return;
	uint64_t due = h5_next_deadline(s->h5);
	if (due == s->h5_due)
		return;
	if (s->h5_timer)
		hive_timer_cancel(s->h->a, s->h5_timer);
	s->h5_timer = 0;
	s->h5_due = due;
	if (due == H5_NO_DEADLINE)
		return;
	uint64_t now = now_ms();
	int id = hive_timer_start(s->h->a, due > now ? due - now : 0, 0, on_h5_timer, s);
	s->h5_timer = id > 0 ? id : 0;
}

/* ---- input --------------------------------------------------------------------- */

static void h4_packet(void *arg, uint8_t type, const uint8_t *pkt, size_t len)
{
	struct stream *s = arg;
	hci_on_packet(s->h, type, pkt, len);
}

static void feed(struct stream *s, const uint8_t *p, size_t n)
{
	if (s->h5mode) {
		h5_feed(s->h5, p, n, now_ms());
		if (check_write(s)) {
			h5_rearm(s);
			hci_on_writable(s->h); /* acknowledgements open the window */
		}
		return;
	}
	uint64_t junk_before = s->rx->st.bad_type + s->rx->st.oversized;
	if (h4_feed(s->rx, p, n) < 0) {
		conn_drop(s, "the controller sent bytes that are not H4 packets (type or length "
			  "invalid); the stream cannot be trusted, reconnecting");
		return;
	}
	uint64_t junk = s->rx->st.bad_type + s->rx->st.oversized - junk_before;
	if (!junk)
		return;
	/* A UART: noise, or a wrong rate. Say so, not for every burst. */
	s->junk_bursts++;
	if ((s->junk_bursts & (s->junk_bursts - 1)) == 0)
		hive_log(s->h->a, HIVE_LOG_WARN, "skipped %llu bytes from %s that are not H4 "
			 "packets (%llu times so far: noise, or a wrong baud rate or protocol?); "
			 "resynchronising", (unsigned long long)junk, s->h->spec.serial.device,
			 (unsigned long long)s->junk_bursts);
}

static void do_read(struct stream *s)
{
	size_t budget = READ_BUDGET;
	while (s->fd >= 0 && !s->paused && budget) {
		ssize_t n = read(s->fd, s->rbuf, sizeof s->rbuf);
		if (n > 0) {
			s->bytes_in += (uint64_t)n;
			budget = (size_t)n >= budget ? 0 : budget - (size_t)n;
			feed(s, s->rbuf, (size_t)n);
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN)
			return;
		if (n == 0)
			conn_drop(s, is_socket(s) ? "the controller closed the connection"
						  : "the serial device hung up");
		else
			conn_drop(s, "reading from the controller failed: %s", strerror(errno));
		return;
	}
}

static void on_accept(struct stream *s)
{
	char peer[128];
	int fd;
	while ((fd = stream_accept(s->lfd, peer, sizeof peer)) >= 0) {
		if (s->fd >= 0) {
			hive_log(s->h->a, HIVE_LOG_WARN, "refused a controller connection from %s: "
				 "%s is connected already", peer, s->peer);
			close(fd);
			continue;
		}
		snprintf(s->peer, sizeof s->peer, "%s", peer);
		hive_log(s->h->a, HIVE_LOG_INFO, "a controller connected from %s", peer);
		attach(s, fd);
	}
	if (fd != -EAGAIN)
		hive_log(s->h->a, HIVE_LOG_WARN, "accepting a controller connection failed: %s",
			 strerror(-fd));
}

static void on_fd(struct hive_actor *a, int fd, short revents, void *arg)
{
	struct stream *s = arg;
	if (fd == s->lfd) {
		on_accept(s);
		return;
	}
	if (fd != s->fd)
		return;
	if (revents & HCI_EV_OUT) {
		int rc = try_write(s);
		if (rc < 0) {
			conn_drop(s, "writing to the controller failed: %s", strerror(-rc));
			return;
		}
		if (s->out_len - s->out_off < OUT_SOFT_MAX)
			hci_on_writable(s->h);
	}
	if (s->fd >= 0 && (revents & (HCI_EV_IN | HCI_EV_ERR)))
		do_read(s);
	if (s->fd >= 0 && (revents & HCI_EV_ERR) && !(revents & HCI_EV_IN) && s->paused)
		conn_drop(s, "the connection to the controller failed");
}

/* ---- ops ------------------------------------------------------------------------- */

static int open_conn(struct stream *s)
{
	struct hci *h = s->h;
	int fd;
	if (h->spec.kind == HCI_TRANSPORT_SERIAL)
		fd = stream_serial_open(&h->spec, h->err, sizeof h->err);
	else
		fd = stream_connect(&h->spec, h->cfg.connect_timeout_ms, h->err, sizeof h->err);
	if (fd < 0)
		return fd;
	attach(s, fd);
	return 0;
}

static int stream_reconnect(struct hci *h)
{
	struct stream *s = h->tr;
	if (h->spec.kind == HCI_TRANSPORT_TCP_SERVER)
		return -EINPROGRESS; /* the next controller to connect brings it up */
	if (s->fd >= 0)
		return -EINPROGRESS; /* H5 establishing the link again */
	int rc = open_conn(s);
	if (rc < 0)
		return rc;
	return h->up ? 0 : -EINPROGRESS;
}

static void stream_destroy(struct hci *h)
{
	struct stream *s = h->tr;
	if (!s)
		return;
	close_fd(s);
	if (s->lfd >= 0) {
		hive_fd_unwatch(h->a, s->lfd);
		close(s->lfd);
	}
	free(s->out);
	free(s->rx);
	free(s->h5);
	free(s);
	h->tr = NULL;
}

static int stream_open(struct hci *h)
{
	struct stream *s = calloc(1, sizeof *s);
	if (!s)
		return -ENOMEM;
	h->tr = s;
	s->h = h;
	s->fd = s->lfd = -1;
	s->h5_due = H5_NO_DEADLINE;
	s->rx = malloc(sizeof *s->rx);
	if (!s->rx)
		return -ENOMEM;
	h4_init(s->rx, H4_FROM_CONTROLLER, h4_packet, s);
	s->rx->acl_max = h->cfg.acl_max;
	s->rx->junk_limit = is_socket(s) ? JUNK_LIMIT_SOCKET : 0;
	s->h5mode = h->spec.kind == HCI_TRANSPORT_SERIAL && h->spec.serial.h5;
	if (s->h5mode) {
		s->h5 = malloc(sizeof *s->h5);
		if (!s->h5)
			return -ENOMEM;
		struct h5_config cfg = {
			.window = (uint8_t)h->cfg.h5_window,
			.crc = h->spec.serial.crc,
			.sync_ms = h->cfg.h5_sync_ms,
			.retransmit_ms = h->cfg.h5_retransmit_ms,
		};
		struct h5_ops ops = { .output = h5_output, .packet = h5_packet, .state = h5_state };
		h5_init(s->h5, &cfg, &ops, s);
	}
	if (h->spec.kind != HCI_TRANSPORT_TCP_SERVER)
		return open_conn(s);

	int lfd = stream_listen(&h->spec, h->err, sizeof h->err);
	if (lfd < 0)
		return lfd;
	s->lfd = lfd;
	int rc = hive_fd_watch(h->a, lfd, HCI_EV_IN, on_fd, s);
	if (rc < 0) {
		snprintf(h->err, sizeof h->err, "cannot watch the listening socket: %s",
			 strerror(-rc));
		return rc;
	}
	hive_log(h->a, HIVE_LOG_INFO, "waiting for a controller to connect on %s:%u",
		 h->spec.tcp.host[0] ? h->spec.tcp.host : "_", h->spec.tcp.port);
	return 0;
}

static int stream_send(struct hci *h, uint8_t type, const uint8_t *pkt, size_t len)
{
	struct stream *s = h->tr;
	if (s->fd < 0)
		return -EAGAIN;
	if (s->h5mode) {
		int rc = h5_send(s->h5, type, pkt, len, now_ms());
		if (rc == -EMSGSIZE)
			snprintf(h->err, sizeof h->err, "H5 carries packets of at most %d bytes",
				 H5_PAYLOAD_MAX);
		if (rc < 0)
			return rc;
		if (check_write(s))
			h5_rearm(s);
		return 0;
	}
	if (s->out_len - s->out_off > OUT_SOFT_MAX)
		return -EAGAIN;
	if (out_reserve(s, 1 + len) < 0)
		return -ENOMEM;
	struct wr w = wr_init(s->out + s->out_len, s->out_cap - s->out_len);
	h4_encode(&w, type, pkt, len);
	s->out_len += w.len;
	int rc = try_write(s);
	if (rc < 0)
		conn_drop(s, "writing to the controller failed: %s", strerror(-rc));
	return 0;
}

static void stream_pause(struct hci *h, bool paused)
{
	struct stream *s = h->tr;
	s->paused = paused;
	watch_update(s);
	if (!paused && s->fd >= 0)
		do_read(s); /* what arrived while paused may not wake poll again */
}

static void stream_describe(struct hci *h, char *buf, size_t cap)
{
	const struct stream *s = h->tr;
	int n = snprintf(buf, cap, "bytes in %llu, out %llu, unwritten at drops %llu; ",
			 (unsigned long long)s->bytes_in, (unsigned long long)s->bytes_out,
			 (unsigned long long)s->lost_out);
	if (n < 0 || (size_t)n >= cap)
		return;
	if (s->h5mode) {
		const struct h5_stats *st = &s->h5->st;
		snprintf(buf + n, cap - (size_t)n, "h5 sent %llu, received %llu, retransmitted %llu, "
			 "bad headers %llu, bad crc %llu, out of order %llu, peer resets %llu",
			 (unsigned long long)st->tx_packets, (unsigned long long)st->rx_packets,
			 (unsigned long long)st->retransmits, (unsigned long long)st->bad_header,
			 (unsigned long long)st->bad_crc, (unsigned long long)st->out_of_order,
			 (unsigned long long)st->peer_resets);
	} else {
		const struct h4_stats *st = &s->rx->st;
		snprintf(buf + n, cap - (size_t)n, "h4 packets %llu, bad type bytes %llu, oversized "
			 "headers %llu", (unsigned long long)st->packets,
			 (unsigned long long)st->bad_type, (unsigned long long)st->oversized);
	}
}

static const struct hci_transport_ops stream_ops = {
	.open = stream_open,
	.reconnect = stream_reconnect,
	.send = stream_send,
	.pause = stream_pause,
	.describe = stream_describe,
	.destroy = stream_destroy,
};

const struct hci_transport_ops *hci_stream_ops(void)
{
	return &stream_ops;
}
