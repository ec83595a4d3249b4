/* Sockets and serial devices for the stream transports. */
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "stream_open.h"

static uint64_t mono_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

/* Waits for a non-blocking connect to finish. Returns 0 or -errno (a
 * signal, EINTR, ends the wait too: the actor is being stopped). */
static int finish_connect(int fd, uint64_t deadline_ms)
{
	uint64_t now = mono_ms();
	if (now >= deadline_ms)
		return -ETIMEDOUT;
	struct pollfd p = { .fd = fd, .events = POLLOUT };
	int rc = poll(&p, 1, (int)(deadline_ms - now));
	if (rc < 0)
		return -errno;
	if (rc == 0)
		return -ETIMEDOUT;
	int soerr = 0;
	socklen_t sl = sizeof soerr;
	if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &sl) < 0)
		return -errno;
	return -soerr;
}

static int connect_addr(int family, const struct sockaddr *sa, socklen_t salen,
			uint64_t deadline_ms)
{
	int fd = socket(family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	int rc = connect(fd, sa, salen) == 0 ? 0 : -errno;
	if (rc == -EINPROGRESS)
		rc = finish_connect(fd, deadline_ms);
	if (rc < 0) {
		close(fd);
		return rc;
	}
	if (family != AF_UNIX) {
		int one = 1;
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
	}
	return fd;
}

static int connect_unix(const struct hci_spec *s, uint64_t deadline_ms, char *err, size_t cap)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	snprintf(sun.sun_path, sizeof sun.sun_path, "%s", s->unix_path);
	int fd = connect_addr(AF_UNIX, (struct sockaddr *)&sun, sizeof sun, deadline_ms);
	if (fd >= 0)
		return fd;
	const char *hint;
	switch (-fd) {
	case ENOENT:
		hint = "is the controller (hive-vctrl) running and serving that path?";
		break;
	case ECONNREFUSED:
		hint = "the socket file exists but nothing listens on it; start the controller "
		       "again";
		break;
	case EACCES:
		hint = "check the permissions of the socket and its directory";
		break;
	case EAGAIN:
		hint = "the controller is not accepting connections fast enough; try again";
		break;
	default:
		hint = "check the path and that the controller serves H4 there";
		break;
	}
	snprintf(err, cap, "cannot connect to the controller at unix:%s: %s; %s", s->unix_path,
		 strerror(-fd), hint);
	return fd;
}

static void port_text(char *buf, size_t cap, uint16_t port)
{
	snprintf(buf, cap, "%u", port);
}

static int connect_tcp(const struct hci_spec *s, uint64_t deadline_ms, char *err, size_t cap)
{
	char port[8];
	port_text(port, sizeof port, s->tcp.port);
	struct addrinfo hints = { .ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM };
	struct addrinfo *res = NULL;
	int g = getaddrinfo(s->tcp.host, port, &hints, &res);
	if (g != 0) {
		snprintf(err, cap, "cannot resolve the controller's host '%s': %s; check the host "
			 "name in tcp-client:HOST:PORT", s->tcp.host, gai_strerror(g));
		return -EHOSTUNREACH;
	}
	int fd = -ENOENT;
	for (struct addrinfo *ai = res; ai; ai = ai->ai_next) {
		fd = connect_addr(ai->ai_family, ai->ai_addr, ai->ai_addrlen, deadline_ms);
		if (fd >= 0 || fd == -ETIMEDOUT)
			break;
	}
	freeaddrinfo(res);
	if (fd >= 0)
		return fd;
	const char *hint = fd == -ECONNREFUSED
		? "is the controller (hive-vctrl, or a tcp-server) listening there?"
		: fd == -ETIMEDOUT ? "the host did not answer in time; check the address and the "
				     "network"
				   : "check the address and the network";
	snprintf(err, cap, "cannot connect to the controller at %s:%u: %s; %s", s->tcp.host,
		 s->tcp.port, strerror(-fd), hint);
	return fd;
}

int stream_connect(const struct hci_spec *s, uint64_t timeout_ms, char *err, size_t cap)
{
	uint64_t deadline = mono_ms() + timeout_ms;
	if (s->kind == HCI_TRANSPORT_UNIX)
		return connect_unix(s, deadline, err, cap);
	if (s->kind == HCI_TRANSPORT_TCP_CLIENT)
		return connect_tcp(s, deadline, err, cap);
	snprintf(err, cap, "not a connecting transport");
	return -EINVAL;
}

int stream_listen(const struct hci_spec *s, char *err, size_t cap)
{
	char port[8];
	port_text(port, sizeof port, s->tcp.port);
	struct addrinfo hints = { .ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM,
				  .ai_flags = AI_PASSIVE };
	struct addrinfo *res = NULL;
	const char *host = s->tcp.host[0] ? s->tcp.host : NULL;
	int g = getaddrinfo(host, port, &hints, &res);
	if (g != 0) {
		snprintf(err, cap, "cannot resolve '%s' to listen on: %s; use an address of this "
			 "machine or _ for every interface", s->tcp.host, gai_strerror(g));
		return -EADDRNOTAVAIL;
	}
	int rc = -EADDRNOTAVAIL;
	for (struct addrinfo *ai = res; ai; ai = ai->ai_next) {
		int fd = socket(ai->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
		if (fd < 0) {
			rc = -errno;
			continue;
		}
		int one = 1;
		setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
		if (bind(fd, ai->ai_addr, ai->ai_addrlen) == 0 && listen(fd, 4) == 0) {
			rc = fd;
			break;
		}
		rc = -errno;
		close(fd);
	}
	freeaddrinfo(res);
	if (rc < 0)
		snprintf(err, cap, "cannot listen on %s:%u: %s; %s", host ? host : "_", s->tcp.port,
			 strerror(-rc), rc == -EADDRINUSE
			 ? "another program uses the port (find it with ss -ltnp)"
			 : rc == -EACCES ? "ports below 1024 need privileges; pick another"
				  : "check the address");
	return rc;
}

int stream_accept(int lfd, char *peer, size_t cap)
{
	struct sockaddr_storage ss;
	socklen_t sl = sizeof ss;
	int fd = accept4(lfd, (struct sockaddr *)&ss, &sl, SOCK_NONBLOCK | SOCK_CLOEXEC);
	if (fd < 0)
		return errno == EWOULDBLOCK ? -EAGAIN : -errno;
	char host[NI_MAXHOST] = "?", serv[NI_MAXSERV] = "?";
	getnameinfo((struct sockaddr *)&ss, sl, host, sizeof host, serv, sizeof serv,
		    NI_NUMERICHOST | NI_NUMERICSERV);
	snprintf(peer, cap, "%s:%s", host, serv);
	int one = 1;
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
	return fd;
}

/* ---- serial -------------------------------------------------------------------- */

static const struct {
	uint32_t baud;
	speed_t speed;
} speeds[] = {
	{ 1200, B1200 },       { 1800, B1800 },       { 2400, B2400 },
	{ 4800, B4800 },       { 9600, B9600 },       { 19200, B19200 },
	{ 38400, B38400 },     { 57600, B57600 },     { 115200, B115200 },
	{ 230400, B230400 },   { 460800, B460800 },   { 500000, B500000 },
	{ 576000, B576000 },   { 921600, B921600 },   { 1000000, B1000000 },
	{ 1152000, B1152000 }, { 1500000, B1500000 }, { 2000000, B2000000 },
	{ 2500000, B2500000 }, { 3000000, B3000000 }, { 3500000, B3500000 },
	{ 4000000, B4000000 },
};

static int baud_speed(uint32_t baud, speed_t *out)
{
	for (size_t i = 0; i < sizeof speeds / sizeof speeds[0]; i++) {
		if (speeds[i].baud == baud) {
			*out = speeds[i].speed;
			return 0;
		}
	}
	return -EINVAL;
}

static void open_error(const char *dev, int e, char *err, size_t cap)
{
	const char *hint;
	switch (e) {
	case ENOENT:
	case ENODEV:
	case ENXIO:
		hint = "is the controller plugged in? (list serial devices with ls /dev/tty*)";
		break;
	case EACCES:
	case EPERM:
		hint = "add yourself to the dialout group (sudo usermod -aG dialout $USER) and log "
		       "in again";
		break;
	case EBUSY:
		hint = "another program holds it (find it with fuser -v DEVICE) and stop it";
		break;
	default:
		hint = "check the device path";
		break;
	}
	snprintf(err, cap, "cannot open %s: %s; %s", dev, strerror(e), hint);
}

static int configure(int fd, const struct hci_spec *s, char *err, size_t cap)
{
	const char *dev = s->serial.device;
	struct termios t;
	speed_t speed;
	if (tcgetattr(fd, &t) < 0) {
		int e = errno;
		snprintf(err, cap, "%s is not a serial device (%s); give a tty such as "
			 "/dev/ttyUSB0 or /dev/ttyACM0", dev, strerror(e));
		return -e;
	}
	if (baud_speed(s->serial.baud, &speed) < 0) {
		snprintf(err, cap, "%u baud is not a rate this system can set on %s", s->serial.baud,
			 dev);
		return -EINVAL;
	}
	cfmakeraw(&t);
	t.c_iflag &= ~(tcflag_t)(INPCK | IXON | IXOFF | IXANY);
	t.c_cflag &= ~(tcflag_t)(CSIZE | CSTOPB | PARENB | PARODD | CRTSCTS);
	t.c_cflag |= CS8 | CLOCAL | CREAD;
	if (s->serial.even_parity)
		t.c_cflag |= PARENB;
	if (s->serial.rtscts)
		t.c_cflag |= CRTSCTS;
	t.c_cc[VMIN] = 1;
	t.c_cc[VTIME] = 0;
	if (cfsetispeed(&t, speed) < 0 || cfsetospeed(&t, speed) < 0 ||
	    tcsetattr(fd, TCSANOW, &t) < 0) {
		int e = errno;
		snprintf(err, cap, "cannot set %s to %u baud%s: %s; try another rate the adapter "
			 "supports", dev, s->serial.baud, s->serial.rtscts ? " with RTS/CTS" : "",
			 strerror(e));
		return -e;
	}
	tcflush(fd, TCIOFLUSH);
	return 0;
}

int stream_serial_open(const struct hci_spec *s, char *err, size_t cap)
{
	const char *dev = s->serial.device;
	int fd = open(dev, O_RDWR | O_NOCTTY | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0) {
		int e = errno;
		open_error(dev, e, err, cap);
		return -e;
	}
	/* Another hive-hci (or a program that locks, like minicom) has it. */
	if (flock(fd, LOCK_EX | LOCK_NB) < 0 && errno == EWOULDBLOCK) {
		close(fd);
		snprintf(err, cap, "%s is busy: another program holds it (find it with fuser -v "
			 "%s) and stop it", dev, dev);
		return -EBUSY;
	}
	int rc = configure(fd, s, err, cap);
	if (rc < 0) {
		close(fd);
		return rc;
	}
	/* Nobody else may open it while we use it. */
	ioctl(fd, TIOCEXCL);
	return fd;
}
