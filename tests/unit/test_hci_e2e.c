/* hive-hci end to end through real processes: a real broker, a real hive-hci,
 * an in-process actor named "host", and a fake controller written here (H4
 * over a unix or TCP socket; it answers every command with Command Complete
 * and echoes ACL). The fake controller's sockets are served by the host
 * actor's own loop, so every wait is a deadline on an event. */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>
#include <zmq.h>

#include "../../actors/hci/h4.h"
#include "harness.h"

/* ---- the fake controller -------------------------------------------------------- */

struct fake_ctrl {
	struct hive_actor *loop;
	int lfd, fd;
	struct h4 *rx;
	uint64_t accepts, closes, commands, acls;
	uint16_t last_opcode;
	bool mute;             /* do not answer */
	char path[108];
	uint16_t port;
};

static void ctrl_write(struct fake_ctrl *c, const uint8_t *p, size_t n)
{
	while (n > 0 && c->fd >= 0) {
		ssize_t w = write(c->fd, p, n);
		if (w < 0 && errno == EINTR)
			continue;
		cr_assert_gt(w, 0, "the fake controller could not write: %s", strerror(errno));
		p += w;
		n -= (size_t)w;
	}
}

static void ctrl_on_packet(void *arg, uint8_t type, const uint8_t *pkt, size_t len)
{
	struct fake_ctrl *c = arg;
	if (type == H4_COMMAND) {
		c->commands++;
		c->last_opcode = (uint16_t)(pkt[0] | pkt[1] << 8);
		if (c->mute)
			return;
		const uint8_t cc[] = { H4_EVENT, 0x0e, 0x04, 0x01, pkt[0], pkt[1], 0x00 };
		ctrl_write(c, cc, sizeof cc);
	} else if (type == H4_ACL) {
		c->acls++;
		if (c->mute)
			return;
		uint8_t *copy = malloc(1 + len);
		copy[0] = H4_ACL;
		memcpy(copy + 1, pkt, len);
		ctrl_write(c, copy, 1 + len);
		free(copy);
	}
}

static void ctrl_close(struct fake_ctrl *c)
{
	if (c->fd < 0)
		return;
	hive_fd_unwatch(c->loop, c->fd);
	close(c->fd);
	c->fd = -1;
	c->closes++;
	h4_reset(c->rx);
}

static void ctrl_on_fd(struct hive_actor *a, int fd, short revents, void *arg)
{
	struct fake_ctrl *c = arg;
	uint8_t buf[8192];
	for (;;) {
		ssize_t n = read(fd, buf, sizeof buf);
		if (n > 0) {
			h4_feed(c->rx, buf, (size_t)n);
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN)
			return;
		ctrl_close(c); /* hive-hci went away */
		return;
	}
}

static void ctrl_attach(struct fake_ctrl *c, int fd)
{
	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
	c->fd = fd;
	c->accepts++;
	cr_assert_eq(hive_fd_watch(c->loop, fd, ZMQ_POLLIN, ctrl_on_fd, c), 0);
}

static void ctrl_on_listen(struct hive_actor *a, int lfd, short revents, void *arg)
{
	struct fake_ctrl *c = arg;
	int fd = accept(lfd, NULL, NULL);
	if (fd < 0)
		return;
	if (c->fd >= 0) {
		close(fd); /* one host at a time */
		return;
	}
	ctrl_attach(c, fd);
}

static void ctrl_init(struct fake_ctrl *c, struct hive_actor *loop)
{
	memset(c, 0, sizeof *c);
	c->loop = loop;
	c->lfd = c->fd = -1;
	c->rx = malloc(sizeof *c->rx);
	h4_init(c->rx, H4_FROM_HOST, ctrl_on_packet, c);
}

static void ctrl_listen_unix(struct fake_ctrl *c, const char *path)
{
	cr_assert_lt(strlen(path), sizeof c->path);
	memcpy(c->path, path, strlen(path) + 1);
	unlink(path);
	c->lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	memcpy(sun.sun_path, c->path, sizeof c->path);
	cr_assert_eq(bind(c->lfd, (struct sockaddr *)&sun, sizeof sun), 0, "%s", strerror(errno));
	cr_assert_eq(listen(c->lfd, 4), 0);
	cr_assert_eq(hive_fd_watch(c->loop, c->lfd, ZMQ_POLLIN, ctrl_on_listen, c), 0);
}

static void ctrl_listen_tcp(struct fake_ctrl *c)
{
	c->lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	struct sockaddr_in sin = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	cr_assert_eq(bind(c->lfd, (struct sockaddr *)&sin, sizeof sin), 0);
	socklen_t sl = sizeof sin;
	getsockname(c->lfd, (struct sockaddr *)&sin, &sl);
	c->port = ntohs(sin.sin_port);
	cr_assert_eq(listen(c->lfd, 4), 0);
	cr_assert_eq(hive_fd_watch(c->loop, c->lfd, ZMQ_POLLIN, ctrl_on_listen, c), 0);
}

static void ctrl_unlisten(struct fake_ctrl *c)
{
	if (c->lfd < 0)
		return;
	hive_fd_unwatch(c->loop, c->lfd);
	close(c->lfd);
	c->lfd = -1;
	if (c->path[0])
		unlink(c->path);
}

static void ctrl_fini(struct fake_ctrl *c)
{
	ctrl_close(c);
	ctrl_unlisten(c);
	free(c->rx);
}

/* ---- the host side ------------------------------------------------------------------ */

#define INBOX_MAX 16

struct inbox {
	uint64_t count;
	int type[INBOX_MAX];
	uint8_t *data[INBOX_MAX];
	size_t len[INBOX_MAX];
	char source[HIVE_NAME_MAX + 1];
};

static void on_hci(struct hive_actor *a, const char *source, const Hive__Envelope *env, void *arg)
{
	struct inbox *in = arg;
	snprintf(in->source, sizeof in->source, "%s", source);
	if (in->count < INBOX_MAX) {
		size_t i = in->count;
		in->type[i] = env->hci->type;
		in->len[i] = env->hci->data.len;
		in->data[i] = malloc(env->hci->data.len + 1);
		memcpy(in->data[i], env->hci->data.data, env->hci->data.len);
	}
	in->count++;
}

/* What hive-hci told the host about its transport. */
struct transport_news {
	uint64_t ups, downs;
	char reason[256];
};

static void on_transport_state(struct hive_actor *a, const char *source,
			       const Hive__Envelope *env, void *arg)
{
	struct transport_news *t = arg;
	if (env->transport_state->state == HIVE__TRANSPORT_STATE__STATE__UP) {
		t->ups++;
	} else if (env->transport_state->state == HIVE__TRANSPORT_STATE__STATE__DOWN) {
		t->downs++;
		snprintf(t->reason, sizeof t->reason, "%s", env->transport_state->reason);
	}
}

static void inbox_free(struct inbox *in)
{
	for (size_t i = 0; i < in->count && i < INBOX_MAX; i++)
		free(in->data[i]);
	memset(in, 0, sizeof *in);
}

static int send_hci(struct hive_actor *a, Hive__HciPacket__Type type, const uint8_t *p,
		    size_t len)
{
	Hive__HciPacket pkt = HIVE__HCI_PACKET__INIT;
	pkt.type = type;
	pkt.data.data = (uint8_t *)p;
	pkt.data.len = len;
	Hive__Envelope env = HIVE__ENVELOPE__INIT;
	env.body_case = HIVE__ENVELOPE__BODY_HCI;
	env.hci = &pkt;
	return hive_send(a, "hci", &env);
}

static const uint8_t reset_cmd[] = { 0x03, 0x0c, 0x00 };
static const uint8_t reset_done[] = { 0x0e, 0x04, 0x01, 0x03, 0x0c, 0x00 };

/* ---- fixture -------------------------------------------------------------------------- */

static char *dir;
static char log_path[600];
static char sock_path[600];
static struct hive_actor *host;
static struct inbox inbox;
static struct transport_news news;
static struct fake_ctrl ctrl;

static void setup(void)
{
	dir = th_run_dir();
	cr_assert_not_null(dir);
	cr_assert_gt(th_start_broker(dir, NULL), 0, "the broker did not start");
	host = th_actor(dir, "host");
	cr_assert_not_null(host);
	memset(&inbox, 0, sizeof inbox);
	hive_on(host, HIVE__ENVELOPE__BODY_HCI, on_hci, &inbox);
	memset(&news, 0, sizeof news);
	hive_on(host, HIVE__ENVELOPE__BODY_TRANSPORT_STATE, on_transport_state, &news);
	snprintf(log_path, sizeof log_path, "%s/hci.log", dir);
	snprintf(sock_path, sizeof sock_path, "%s/ctrl.sock", dir);
	ctrl_init(&ctrl, host);
}

static void teardown(void)
{
	ctrl_fini(&ctrl);
	inbox_free(&inbox);
	hive_actor_destroy(&host);
	th_cleanup();
	free(dir);
}

TestSuite(hci_e2e, .init = setup, .fini = teardown, .timeout = 60);

static pid_t spawn_hci(const char *transport_arg, const char *spec)
{
	const char *argv[] = { "hive-hci", "--run-dir", dir, "--log-level", "info",
			       "--set", "retry_min_ms=50", transport_arg, spec, NULL };
	pid_t pid = th_spawn(argv, NULL, log_path);
	cr_assert_gt(pid, 0);
	return pid;
}

static bool wait_count(const uint64_t *count, uint64_t want)
{
	return th_run_until_count(host, count, want, TH_DEADLINE_MS);
}

static void expect_packet(size_t i, int type, const uint8_t *p, size_t len)
{
	cr_assert(wait_count(&inbox.count, i + 1), "packet %zu never came (log: %s)", i, log_path);
	cr_assert_lt(i, INBOX_MAX);
	cr_assert_str_eq(inbox.source, "hci");
	cr_assert_eq(inbox.type[i], type, "packet %zu: type %d, want %d", i, inbox.type[i], type);
	cr_assert_eq(inbox.len[i], len, "packet %zu: %zu bytes, want %zu", i, inbox.len[i], len);
	cr_assert(memcmp(inbox.data[i], p, len) == 0, "packet %zu differs", i);
}

static void reset_round_trip(void)
{
	size_t i = inbox.count;
	cr_assert_eq(send_hci(host, HIVE__HCI_PACKET__TYPE__COMMAND, reset_cmd, 3), 0);
	expect_packet(i, HIVE__HCI_PACKET__TYPE__EVENT, reset_done, sizeof reset_done);
	cr_assert_eq(ctrl.last_opcode, 0x0c03);
}

/* Waits for hive-hci's log to say needle, running the host loop (which
 * also serves the fake controller) meanwhile. */
static void log_has(const char *needle)
{
	uint64_t deadline = hive_now_ns() + (uint64_t)TH_DEADLINE_MS * 1000000u;
	while (hive_now_ns() < deadline) {
		if (th_file_contains(log_path, needle, 0))
			return;
		hive_run_once(host, 10);
	}
	char *log = th_slurp(log_path, NULL);
	cr_assert_fail("hive-hci's log never said '%s'; it says:\n%s", needle, log ? log : "");
}

/* ---- tests ------------------------------------------------------------------------------ */

static char spec[700];

static pid_t spawn_unix(void)
{
	snprintf(spec, sizeof spec, "unix:%s", sock_path);
	return spawn_hci("--transport", spec);
}

Test(hci_e2e, reset_over_unix)
{
	ctrl_listen_unix(&ctrl, sock_path);
	pid_t pid = spawn_unix();
	reset_round_trip();
	cr_assert_eq(ctrl.accepts, 1);
	log_has("transport unix:");
	/* SIGTERM: a clean exit. */
	kill(pid, SIGTERM);
	int st = th_wait_exit(pid, TH_DEADLINE_MS);
	cr_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0, "hive-hci did not exit cleanly (%d)", st);
	log_has("to host 1, from it 1, to the controller 1");
}

Test(hci_e2e, split_and_merged_from_the_controller)
{
	ctrl_listen_unix(&ctrl, sock_path);
	spawn_unix();
	reset_round_trip();
	/* Three events in one write, then one a byte per write. */
	const uint8_t three[] = { 0x04, 0x13, 0x05, 0x01, 0x40, 0x00, 0x01, 0x00,
				  0x04, 0x0f, 0x04, 0x00, 0x01, 0x05, 0x04,
				  0x04, 0x3e, 0x02, 0x0a, 0x00 };
	ctrl_write(&ctrl, three, sizeof three);
	const uint8_t one[] = { 0x04, 0x05, 0x04, 0x00, 0x40, 0x00, 0x13 };
	for (size_t k = 0; k < sizeof one; k++)
		ctrl_write(&ctrl, one + k, 1);
	expect_packet(1, HIVE__HCI_PACKET__TYPE__EVENT, three + 1, 7);
	expect_packet(2, HIVE__HCI_PACKET__TYPE__EVENT, three + 9, 6);
	expect_packet(3, HIVE__HCI_PACKET__TYPE__EVENT, three + 16, 4);
	expect_packet(4, HIVE__HCI_PACKET__TYPE__EVENT, one + 1, 6);
}

Test(hci_e2e, acl_both_ways_small_and_large)
{
	ctrl_listen_unix(&ctrl, sock_path);
	spawn_unix();
	size_t sizes[] = { 27, 1021, 60000 };
	for (size_t k = 0; k < 3; k++) {
		size_t n = 4 + sizes[k];
		uint8_t *acl = malloc(n);
		acl[0] = 0x40;
		acl[1] = 0x20;
		acl[2] = (uint8_t)sizes[k];
		acl[3] = (uint8_t)(sizes[k] >> 8);
		for (size_t i = 4; i < n; i++)
			acl[i] = (uint8_t)(i * 31 + k);
		cr_assert_eq(send_hci(host, HIVE__HCI_PACKET__TYPE__ACL, acl, n), 0);
		expect_packet(k, HIVE__HCI_PACKET__TYPE__ACL, acl, n);
		free(acl);
	}
	cr_assert_eq(ctrl.acls, 3);
}

Test(hci_e2e, malformed_from_the_host_is_dropped_and_logged)
{
	ctrl_listen_unix(&ctrl, sock_path);
	spawn_unix();
	/* The length field says one parameter; none follows. */
	const uint8_t bad[] = { 0x03, 0x0c, 0x01 };
	cr_assert_eq(send_hci(host, HIVE__HCI_PACKET__TYPE__COMMAND, bad, 3), 0);
	/* An event is not something a host sends. */
	cr_assert_eq(send_hci(host, HIVE__HCI_PACKET__TYPE__EVENT, reset_done, 6), 0);
	reset_round_trip();
	cr_assert_eq(ctrl.commands, 1, "only the good command reached the controller");
	log_has("dropped a malformed HciPacket from host (type 1, 3 bytes)");
	log_has("dropped a malformed HciPacket from host (type 4, 6 bytes)");
}

Test(hci_e2e, reconnects_with_backoff_after_a_drop)
{
	ctrl_listen_unix(&ctrl, sock_path);
	spawn_unix();
	reset_round_trip();

	/* The controller drops the connection; the listener stays. */
	ctrl_close(&ctrl);
	cr_assert(wait_count(&ctrl.accepts, 2), "hive-hci did not reconnect");
	log_has("dropped: the controller closed the connection; reconnecting in 50 ms");
	log_has("is up again after 1 attempt");
	reset_round_trip();
	/* The host was told: up, down with the reason, up again. */
	cr_assert(wait_count(&news.ups, 2), "no TransportState UP after the reconnection");
	cr_assert_eq(news.downs, 1);
	cr_assert(strstr(news.reason, "closed the connection"), "reason: %s", news.reason);

	/* Now the controller is gone for a while: attempts fail and back off. */
	ctrl_unlisten(&ctrl);
	ctrl_close(&ctrl);
	log_has("reconnection attempt 2 to unix:");
	log_has("next in 200 ms");
	/* A command sent while down waits in the queue. */
	cr_assert_eq(send_hci(host, HIVE__HCI_PACKET__TYPE__COMMAND, reset_cmd, 3), 0);
	size_t before = inbox.count;
	ctrl_listen_unix(&ctrl, sock_path);
	cr_assert(wait_count(&ctrl.accepts, 3), "hive-hci did not come back");
	expect_packet(before, HIVE__HCI_PACKET__TYPE__EVENT, reset_done, sizeof reset_done);
	log_has("packets for the controller waited");
	reset_round_trip();
}

Test(hci_e2e, garbage_on_a_socket_reconnects)
{
	ctrl_listen_unix(&ctrl, sock_path);
	spawn_unix();
	reset_round_trip();
	const uint8_t junk[] = { 0x00, 0xff, 0x04, 0x0e, 0x00 };
	ctrl_write(&ctrl, junk, sizeof junk);
	cr_assert(wait_count(&ctrl.accepts, 2), "hive-hci did not reconnect");
	log_has("not H4 packets");
	reset_round_trip();
}

Test(hci_e2e, tcp_client_with_set_transport)
{
	ctrl_listen_tcp(&ctrl);
	char set[128];
	snprintf(set, sizeof set, "transport=tcp-client:127.0.0.1:%u", ctrl.port);
	/* As the launcher passes it. */
	spawn_hci("--set", set);
	reset_round_trip();
}

Test(hci_e2e, tcp_server_accepts_a_controller)
{
	/* A free port: bind to 0, read it, let go. */
	int probe = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in sin = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	cr_assert_eq(bind(probe, (struct sockaddr *)&sin, sizeof sin), 0);
	socklen_t sl = sizeof sin;
	getsockname(probe, (struct sockaddr *)&sin, &sl);
	close(probe);
	snprintf(spec, sizeof spec, "tcp-server:127.0.0.1:%u", ntohs(sin.sin_port));
	spawn_hci("--transport", spec);
	log_has("waiting for a controller to connect on 127.0.0.1:");
	for (int round = 0; round < 2; round++) {
		int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
		cr_assert_eq(connect(fd, (struct sockaddr *)&sin, sizeof sin), 0, "%s",
			     strerror(errno));
		ctrl_attach(&ctrl, fd);
		reset_round_trip();
		log_has("a controller connected from 127.0.0.1");
		if (round == 0) {
			/* A second controller while one is connected is turned away. */
			int other = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
			cr_assert_eq(connect(other, (struct sockaddr *)&sin, sizeof sin), 0);
			log_has("refused a controller connection from 127.0.0.1");
			char b;
			cr_assert_eq(read(other, &b, 1), 0, "not closed");
			close(other);
			reset_round_trip();
		}
		/* The controller goes; hive-hci notices and waits for the next one
		 * (a second connection while one is up would be refused). */
		ctrl_close(&ctrl);
		log_has("dropped: the controller closed the connection");
	}
	log_has("is up again");
}

Test(hci_e2e, errors_say_what_and_what_to_do)
{
	struct {
		const char *spec;
		int status;
		const char *says;
	} cases[] = {
		{ "tcp-client:localhost", 2,
		  "hive-hci: transport 'tcp-client:localhost' is not valid: expected "
		  "tcp-client:HOST:PORT\n" },
		{ "unix:/nonexistent/hive/ctrl", 1,
		  "hive-hci: cannot connect to the controller at unix:/nonexistent/hive/ctrl: No "
		  "such file or directory; is the controller (hive-vctrl) running and serving that "
		  "path?\n" },
		{ "tcp-client:127.0.0.1:1", 1,
		  "hive-hci: cannot connect to the controller at 127.0.0.1:1: Connection refused" },
		{ "serial:/nonexistent/ttyUSB0", 1,
		  "hive-hci: cannot open /nonexistent/ttyUSB0: No such file or directory; is the "
		  "controller plugged in? (list serial devices with ls /dev/tty*)\n" },
		{ "serial:/dev/null", 1, "/dev/null is not a serial device" },
		{ "usb:ffff:fffe", 1,
		  "hive-hci: no USB device ffff:fffe (found none with that id); plug one in or "
		  "list them with hive-hci --list-usb\n" },
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		const char *argv[] = { "hive-hci", "--run-dir", dir, "--transport", cases[i].spec,
				       NULL };
		pid_t pid = th_spawn(argv, NULL, log_path);
		int st = th_wait_exit(pid, TH_DEADLINE_MS);
		cr_assert(WIFEXITED(st), "%s: did not exit", cases[i].spec);
		cr_assert_eq(WEXITSTATUS(st), cases[i].status, "%s: exit %d", cases[i].spec,
			     WEXITSTATUS(st));
		char *log = th_slurp(log_path, NULL);
		cr_assert(log && strstr(log, cases[i].says), "%s: the error was:\n%s", cases[i].spec,
			  log ? log : "");
		free(log);
	}
	/* Settings are checked too. */
	const char *argv[] = { "hive-hci", "--run-dir", dir, "--transport", "unix:/x", "--set",
			       "h5_window=9", NULL };
	pid_t pid = th_spawn(argv, NULL, log_path);
	int st = th_wait_exit(pid, TH_DEADLINE_MS);
	cr_assert(WIFEXITED(st) && WEXITSTATUS(st) == 2);
	log_has("hive-hci: --set h5_window=9: use a whole number from 1 to 7");
}

Test(hci_e2e, list_usb_needs_no_broker)
{
	char out[700];
	snprintf(out, sizeof out, "%s/list.txt", dir);
	const char *argv[] = { "hive-hci", "--list-usb", NULL };
	pid_t pid = th_spawn(argv, out, log_path);
	int st = th_wait_exit(pid, TH_DEADLINE_MS);
	cr_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	char *text = th_slurp(out, NULL);
	cr_assert(text && (strstr(text, "no USB Bluetooth controller found") ||
			   strstr(text, "INDEX")), "%s", text ? text : "");
	free(text);
}

Test(hci_e2e, with_hive_vctrl_when_built)
{
	char bin[1024];
	th_bin(bin, sizeof bin, "hive-vctrl");
	if (access(bin, X_OK) != 0)
		cr_skip_test("hive-vctrl is not built (%s)", bin);
	char out[700];
	snprintf(out, sizeof out, "%s/vctrl.out", dir);
	const char *argv[] = { "hive-vctrl", "--unix", sock_path, NULL };
	cr_assert_gt(th_spawn(argv, out, NULL), 0);
	cr_assert(th_file_contains(out, "ready\n", TH_DEADLINE_MS), "hive-vctrl did not start");
	spawn_unix();
	size_t i = inbox.count;
	cr_assert_eq(send_hci(host, HIVE__HCI_PACKET__TYPE__COMMAND, reset_cmd, 3), 0);
	expect_packet(i, HIVE__HCI_PACKET__TYPE__EVENT, reset_done, sizeof reset_done);
	/* Read_BD_ADDR answers with controller 0's address. */
	const uint8_t read_bd_addr[] = { 0x09, 0x10, 0x00 };
	cr_assert_eq(send_hci(host, HIVE__HCI_PACKET__TYPE__COMMAND, read_bd_addr, 3), 0);
	cr_assert(wait_count(&inbox.count, i + 2));
	cr_assert_eq(inbox.len[i + 1], 12);
	cr_assert_eq(inbox.data[i + 1][0], 0x0e);
	cr_assert_eq(inbox.data[i + 1][5], 0x00, "status");
}
