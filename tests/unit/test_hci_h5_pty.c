/* hive-hci on a serial line: a pty pair stands for the UART. hive-hci opens
 * the slave; the test plays the controller on the master, with H5 (the pure
 * h5.c as the peer endpoint) or H4. Link establishment, a Reset answered,
 * retransmission of dropped frames, the integrity check, a controller that
 * restarts the link, H4 with line noise, and a busy device. */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>
#include <zmq.h>

#include "../../actors/hci/h4.h"
#include "../../actors/hci/h5.h"
#include "harness.h"

/* ---- the peer controller on the master side ---------------------------------------- */

struct peer {
	struct hive_actor *loop;
	int master;
	bool h5mode;
	struct h5 *h5;
	struct h4 *h4;          /* H4 mode: commands from hive-hci */
	struct slip_rx *split;  /* H5 mode: frames from hive-hci, before the peer sees them */
	int drop_cmd_frames;    /* drop this many reliable command frames from hive-hci */
	int drop_evt_frames;    /* drop this many of our reliable event frames */
	int cmd_frames;         /* reliable command frames seen on the wire */
	uint64_t commands;      /* commands the peer accepted */
	uint16_t last_opcode;
	uint64_t actives;       /* times the peer's link became active */
	int tick_timer;
};

static uint64_t now_ms(void)
{
	return hive_now_ns() / 1000000u;
}

static void master_write(struct peer *p, const uint8_t *b, size_t n)
{
	while (n > 0) {
		ssize_t w = write(p->master, b, n);
		if (w < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		cr_assert_gt(w, 0, "writing the pty master: %s", strerror(errno));
		b += w;
		n -= (size_t)w;
	}
}

static void peer_output(void *arg, const uint8_t *bytes, size_t len)
{
	struct peer *p = arg;
	if (len > 2 && (bytes[1] & 0x80) && p->drop_evt_frames > 0) {
		p->drop_evt_frames--; /* lost on the line */
		return;
	}
	master_write(p, bytes, len);
}

static void answer(struct peer *p, const uint8_t *cmd)
{
	p->commands++;
	p->last_opcode = (uint16_t)(cmd[0] | cmd[1] << 8);
	const uint8_t cc[] = { 0x0e, 0x04, 0x01, cmd[0], cmd[1], 0x00 };
	if (p->h5mode) {
		cr_assert_eq(h5_send(p->h5, H5_TYPE_EVENT, cc, sizeof cc, now_ms()), 0);
	} else {
		uint8_t h4[1 + sizeof cc] = { H4_EVENT };
		memcpy(h4 + 1, cc, sizeof cc);
		master_write(p, h4, sizeof h4);
	}
}

static void peer_packet(void *arg, uint8_t type, const uint8_t *pkt, size_t len)
{
	if (type == H4_COMMAND)
		answer(arg, pkt);
}

static void peer_state(void *arg, enum h5_state from, enum h5_state to)
{
	struct peer *p = arg;
	if (to == H5_ACTIVE)
		p->actives++;
}

/* A frame from hive-hci: maybe dropped, else handed to the peer's H5. */
static void on_wire_frame(void *arg, const uint8_t *frame, size_t len)
{
	struct peer *p = arg;
	struct h5_hdr hdr;
	const uint8_t *payload;
	if (h5_packet_decode(frame, len, &hdr, &payload) < 0)
		return;
	if (hdr.reliable && hdr.type == H5_TYPE_COMMAND) {
		p->cmd_frames++;
		if (p->drop_cmd_frames > 0) {
			p->drop_cmd_frames--;
			return;
		}
	}
	uint8_t wire[H5_SLIP_MAX];
	struct wr w = wr_init(wire, sizeof wire);
	cr_assert_eq(h5_packet_encode(&w, &hdr, payload, hdr.len), 0);
	h5_feed(p->h5, wire, w.len, now_ms());
}

static void on_master(struct hive_actor *a, int fd, short revents, void *arg)
{
	struct peer *p = arg;
	uint8_t buf[4096];
	for (;;) {
		ssize_t n = read(fd, buf, sizeof buf);
		if (n <= 0)
			return;
		if (p->h5mode)
			slip_rx_feed(p->split, buf, (size_t)n, on_wire_frame, p);
		else
			h4_feed(p->h4, buf, (size_t)n);
	}
}

static void on_tick(struct hive_actor *a, void *arg)
{
	struct peer *p = arg;
	h5_tick(p->h5, now_ms());
}

static void peer_start(struct peer *p, struct hive_actor *loop, int master, bool h5mode,
		       bool crc)
{
	memset(p, 0, sizeof *p);
	p->loop = loop;
	p->master = master;
	p->h5mode = h5mode;
	p->h5 = calloc(1, sizeof *p->h5);
	p->h4 = calloc(1, sizeof *p->h4);
	p->split = calloc(1, sizeof *p->split);
	h4_init(p->h4, H4_FROM_HOST, peer_packet, p);
	struct h5_config cfg = { .window = 4, .crc = crc, .sync_ms = 50, .retransmit_ms = 100 };
	struct h5_ops ops = { .output = peer_output, .packet = peer_packet, .state = peer_state };
	h5_init(p->h5, &cfg, &ops, p);
	cr_assert_eq(hive_fd_watch(loop, master, ZMQ_POLLIN, on_master, p), 0);
	if (h5mode) {
		h5_start(p->h5, now_ms());
		p->tick_timer = hive_timer_start(loop, 10, 10, on_tick, p);
	}
}

static void peer_stop(struct peer *p)
{
	if (!p->loop)
		return;
	hive_fd_unwatch(p->loop, p->master);
	if (p->tick_timer)
		hive_timer_cancel(p->loop, p->tick_timer);
	free(p->h5);
	free(p->h4);
	free(p->split);
	memset(p, 0, sizeof *p);
}

/* ---- host side and fixture ------------------------------------------------------------- */

#define INBOX_MAX 16

struct inbox {
	uint64_t count;
	uint8_t data[INBOX_MAX][64];
	size_t len[INBOX_MAX];
	int type[INBOX_MAX];
};

static void on_hci(struct hive_actor *a, const char *source, const Hive__Envelope *env, void *arg)
{
	struct inbox *in = arg;
	if (in->count < INBOX_MAX && env->hci->data.len <= 64) {
		memcpy(in->data[in->count], env->hci->data.data, env->hci->data.len);
		in->len[in->count] = env->hci->data.len;
		in->type[in->count] = env->hci->type;
	}
	in->count++;
}

static char *dir;
static char log_path[600];
static char slave_path[128];
static int master = -1, slave_keep = -1;
static struct hive_actor *host;
static struct inbox inbox;
static struct peer peer;

static void setup(void)
{
	dir = th_run_dir();
	cr_assert_not_null(dir);
	cr_assert_gt(th_start_broker(dir, NULL), 0);
	host = th_actor(dir, "host");
	cr_assert_not_null(host);
	memset(&inbox, 0, sizeof inbox);
	hive_on(host, HIVE__ENVELOPE__BODY_HCI, on_hci, &inbox);
	snprintf(log_path, sizeof log_path, "%s/hci.log", dir);

	master = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
	cr_assert_geq(master, 0, "no pty: %s", strerror(errno));
	cr_assert_eq(grantpt(master), 0);
	cr_assert_eq(unlockpt(master), 0);
	cr_assert_eq(ptsname_r(master, slave_path, sizeof slave_path), 0);
	fcntl(master, F_SETFL, fcntl(master, F_GETFL) | O_NONBLOCK);
	/* Keep the slave raw and open from the start, so nothing the peer sends
	 * before hive-hci configures the line is echoed or translated. */
	slave_keep = open(slave_path, O_RDWR | O_NOCTTY | O_CLOEXEC);
	cr_assert_geq(slave_keep, 0);
	struct termios t;
	cr_assert_eq(tcgetattr(slave_keep, &t), 0);
	cfmakeraw(&t);
	cr_assert_eq(tcsetattr(slave_keep, TCSANOW, &t), 0);
}

static void teardown(void)
{
	peer_stop(&peer);
	hive_actor_destroy(&host);
	th_cleanup();
	if (slave_keep >= 0)
		close(slave_keep);
	if (master >= 0)
		close(master);
	slave_keep = master = -1;
	free(dir);
}

TestSuite(hci_serial, .init = setup, .fini = teardown, .timeout = 60);

static pid_t spawn_hci(const char *options)
{
	char spec[300];
	snprintf(spec, sizeof spec, "serial:%s,115200%s", slave_path, options);
	const char *argv[] = { "hive-hci", "--run-dir", dir, "--log-level", "info", "--transport",
			       spec, "--set", "h5_retransmit_ms=100", "--set", "h5_sync_ms=50",
			       "--set", "retry_min_ms=50", NULL };
	pid_t pid = th_spawn(argv, NULL, log_path);
	cr_assert_gt(pid, 0);
	return pid;
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

static int send_command(uint16_t opcode)
{
	uint8_t cmd[3] = { (uint8_t)opcode, (uint8_t)(opcode >> 8), 0 };
	Hive__HciPacket pkt = HIVE__HCI_PACKET__INIT;
	pkt.type = HIVE__HCI_PACKET__TYPE__COMMAND;
	pkt.data.data = cmd;
	pkt.data.len = 3;
	Hive__Envelope env = HIVE__ENVELOPE__INIT;
	env.body_case = HIVE__ENVELOPE__BODY_HCI;
	env.hci = &pkt;
	return hive_send(host, "hci", &env);
}

/* Sends a command and expects its Command Complete as packet i. */
static void command_round_trip(uint16_t opcode)
{
	size_t i = inbox.count;
	cr_assert_eq(send_command(opcode), 0);
	cr_assert(th_run_until_count(host, &inbox.count, i + 1, TH_DEADLINE_MS),
		  "no answer to 0x%04x (log: %s)", opcode, log_path);
	const uint8_t want[] = { 0x0e, 0x04, 0x01, (uint8_t)opcode, (uint8_t)(opcode >> 8), 0x00 };
	cr_assert_eq(inbox.type[i], HIVE__HCI_PACKET__TYPE__EVENT);
	cr_assert_eq(inbox.len[i], sizeof want);
	cr_assert(memcmp(inbox.data[i], want, sizeof want) == 0);
	cr_assert_eq(peer.last_opcode, opcode);
}

static bool wait_active(uint64_t n)
{
	return th_run_until_count(host, &peer.actives, n, TH_DEADLINE_MS);
}

/* ---- tests ------------------------------------------------------------------------------ */

Test(hci_serial, h5_link_and_reset)
{
	peer_start(&peer, host, master, true, false);
	spawn_hci(",h5");
	cr_assert(wait_active(1), "no H5 link (log: %s)", log_path);
	command_round_trip(0x0c03);
	log_has("H5 link with the controller is active (window 4, data integrity check off)");
	command_round_trip(0x1009);
	cr_assert_eq(peer.commands, 2);
	cr_assert_eq(peer.h5->st.out_of_order, 0);
}

Test(hci_serial, h5_retransmits_what_the_line_lost)
{
	peer_start(&peer, host, master, true, false);
	spawn_hci(",h5");
	cr_assert(wait_active(1));
	/* hive-hci's first command frame is lost, then the peer's event. */
	peer.drop_cmd_frames = 1;
	peer.drop_evt_frames = 1;
	command_round_trip(0x0c03);
	cr_assert_geq(peer.cmd_frames, 2, "hive-hci did not send the command again");
	cr_assert_eq(peer.commands, 1, "the controller took the command once");
	cr_assert_geq(peer.h5->st.retransmits, 1);
	/* The next command's answer is the next packet: no duplicate event
	 * reached the host in between. */
	command_round_trip(0x1001);
	cr_assert_eq(inbox.count, 2);
	cr_assert_eq(peer.commands, 2);
}

Test(hci_serial, h5_with_the_integrity_check)
{
	peer_start(&peer, host, master, true, true);
	spawn_hci(",h5,crc");
	cr_assert(wait_active(1));
	cr_assert(peer.h5->crc, "the data integrity check was not agreed");
	log_has("data integrity check on");
	command_round_trip(0x0c03);
	cr_assert_eq(peer.h5->st.bad_crc, 0);
}

Test(hci_serial, h5_controller_restarts_the_link)
{
	peer_start(&peer, host, master, true, false);
	spawn_hci(",h5");
	cr_assert(wait_active(1));
	command_round_trip(0x0c03);
	/* The controller reboots: SYNC while active. */
	h5_start(peer.h5, now_ms());
	cr_assert(wait_active(2), "the link did not come back");
	log_has("the controller restarted the H5 link");
	log_has("is up again");
	command_round_trip(0x0c03);
}

Test(hci_serial, h4_with_line_noise)
{
	peer_start(&peer, host, master, false, false);
	spawn_hci("");
	/* Noise before an unsolicited event; hive-hci resynchronises. */
	log_has("is up");
	const uint8_t noise_then_event[] = { 0x00, 0xff, 0x42, 0x04, 0x0e, 0x04, 0x01, 0x00,
					     0x00, 0x00 };
	master_write(&peer, noise_then_event, sizeof noise_then_event);
	cr_assert(th_run_until_count(host, &inbox.count, 1, TH_DEADLINE_MS));
	cr_assert_eq(inbox.len[0], 6);
	log_has("that are not H4 packets");
	command_round_trip(0x0c03);
}

Test(hci_serial, busy_device)
{
	int other = open(slave_path, O_RDWR | O_NOCTTY | O_CLOEXEC);
	cr_assert_geq(other, 0);
	cr_assert_eq(flock(other, LOCK_EX | LOCK_NB), 0);
	pid_t pid = spawn_hci("");
	int st = th_wait_exit(pid, TH_DEADLINE_MS);
	cr_assert(WIFEXITED(st) && WEXITSTATUS(st) == 1);
	log_has("is busy: another program holds it");
	close(other);
}
