/* hive-bench-hci: raw ACL throughput between two hci actors through
 * hive-vctrl, next to the broker floor measured in the same run.
 *
 *   sender (host-a) -> broker -> hive-hci a -> hive-vctrl -> hive-hci b
 *                   -> broker -> receiver (host-b)
 *
 * The sender keeps no more ACL packets in flight than the controller has
 * buffers, as a host must (Number Of Completed Packets returns them). The
 * floor is the same number of Ping envelopes of the same size from host-a
 * to host-b through the same broker. One JSON line per size on stdout. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "hive.h"

#define ACL_COUNT "16"
#define DEADLINE_NS (60ull * 1000000000ull)

#define EVQ 64

struct side {
	struct hive_actor *a;
	const char *hci;
	uint8_t events[EVQ][260]; /* events not yet looked at, oldest first */
	size_t ev_head, ev_tail;
	uint8_t last_event[260];  /* the one taken last */
	uint64_t acl_in, acl_bytes, pings;
	uint64_t first_ns, last_ns;
	uint64_t completed;    /* ACL packets the controller reported done */
	uint64_t ping_credits; /* pings the receiver has taken */
};

static void on_hci(struct hive_actor *a, const char *source, const Hive__Envelope *env, void *arg)
{
	struct side *s = arg;
	const Hive__HciPacket *p = env->hci;
	uint64_t now = hive_now_ns();
	if (p->type == HIVE__HCI_PACKET__TYPE__ACL) {
		if (!s->acl_in)
			s->first_ns = now;
		s->acl_in++;
		s->acl_bytes += p->data.len > 4 ? p->data.len - 4 : 0;
		s->last_ns = now;
	} else if (p->type == HIVE__HCI_PACKET__TYPE__EVENT && p->data.len >= 2) {
		if (p->data.data[0] == 0x13 && p->data.len >= 7) {
			/* Number Of Completed Packets: one handle per event here. */
			s->completed += (uint64_t)(p->data.data[5] | p->data.data[6] << 8);
			return;
		}
		if (s->ev_tail - s->ev_head == EVQ)
			return;
		size_t n = p->data.len < 260 ? p->data.len : 260;
		memcpy(s->events[s->ev_tail++ % EVQ], p->data.data, n);
	}
}

/* Pings are the floor: the receiver returns a credit every PING_CREDIT so
 * the sender never has more than PING_WINDOW in the broker's queue. */
#define PING_CREDIT 512
#define PING_WINDOW 4096

static void on_ping(struct hive_actor *a, const char *source, const Hive__Envelope *env, void *arg)
{
	struct side *s = arg;
	uint64_t now = hive_now_ns();
	if (env->ping->id == 0) { /* a credit, at the sender */
		s->ping_credits += PING_CREDIT;
		return;
	}
	if (!s->pings)
		s->first_ns = now;
	s->pings++;
	s->last_ns = now;
	if (s->pings % PING_CREDIT == 0) {
		Hive__Ping p = HIVE__PING__INIT;
		Hive__Envelope e = HIVE__ENVELOPE__INIT;
		e.body_case = HIVE__ENVELOPE__BODY_PING;
		e.ping = &p;
		hive_send(a, source, &e);
	}
}

static int send_hci(struct side *s, Hive__HciPacket__Type type, const uint8_t *p, size_t n)
{
	Hive__HciPacket pkt = HIVE__HCI_PACKET__INIT;
	pkt.type = type;
	pkt.data.data = (uint8_t *)p;
	pkt.data.len = n;
	Hive__Envelope env = HIVE__ENVELOPE__INIT;
	env.body_case = HIVE__ENVELOPE__BODY_HCI;
	env.hci = &pkt;
	return hive_send(s->a, s->hci, &env);
}

/* Takes the oldest waiting event into last_event; waits up to the deadline. */
static bool next_event(struct side *s, uint64_t deadline)
{
	while (s->ev_head == s->ev_tail) {
		if (hive_now_ns() > deadline || hive_run_once(s->a, 100) < 0)
			return false;
	}
	memcpy(s->last_event, s->events[s->ev_head++ % EVQ], 260);
	return true;
}

/* Waits for an event of this code (and LE subevent, or -1). */
static int wait_event(struct side *s, uint8_t code, int sub)
{
	uint64_t deadline = hive_now_ns() + DEADLINE_NS;
	while (next_event(s, deadline))
		if (s->last_event[0] == code && (sub < 0 || s->last_event[2] == sub))
			return 0;
	return -ETIMEDOUT;
}

static int cmd(struct side *s, uint16_t op, const uint8_t *params, uint8_t n)
{
	uint8_t buf[3 + 255] = { (uint8_t)op, (uint8_t)(op >> 8), n };
	if (n)
		memcpy(buf + 3, params, n);
	if (send_hci(s, HIVE__HCI_PACKET__TYPE__COMMAND, buf, 3u + n) < 0)
		return -EIO;
	uint64_t deadline = hive_now_ns() + DEADLINE_NS;
	while (next_event(s, deadline)) {
		const uint8_t *e = s->last_event;
		if (e[0] == 0x0e && (e[3] | e[4] << 8) == op)
			return e[5];
		if (e[0] == 0x0f && (e[4] | e[5] << 8) == op)
			return e[2];
	}
	return -ETIMEDOUT;
}

static pid_t spawn(const char *const argv[], const char *out)
{
	pid_t pid = fork();
	if (pid == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (out) {
			int fd = open(out, O_WRONLY | O_CREAT | O_TRUNC, 0600);
			dup2(fd, 1);
		}
		execv(argv[0], (char *const *)argv);
		_exit(127);
	}
	return pid;
}

static bool wait_file_line(const char *path, const char *needle)
{
	uint64_t deadline = hive_now_ns() + DEADLINE_NS;
	char buf[4096];
	while (hive_now_ns() < deadline) {
		FILE *f = fopen(path, "r");
		size_t n = f ? fread(buf, 1, sizeof buf - 1, f) : 0;
		if (f)
			fclose(f);
		buf[n] = '\0';
		if (strstr(buf, needle))
			return true;
		usleep(10000);
	}
	return false;
}

/* Connects A (advertising) and B (central); returns A's and B's handles. */
static int link_up(struct side *A, struct side *B, uint16_t *ha, uint16_t *hb)
{
	static const uint8_t mask[8] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x3f };
	static const uint8_t le_mask[8] = { 0x5f }; /* with Data Length Change */
	static const uint8_t adv_params[15] = { 0x20, 0, 0x20, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 7, 0 };
	uint8_t addr[6];
	struct side *both[2] = { A, B };
	for (int i = 0; i < 2; i++)
		if (cmd(both[i], 0x0c03, NULL, 0) || cmd(both[i], 0x0c01, mask, 8) ||
		    cmd(both[i], 0x2001, le_mask, 8))
			return -EIO;
	if (cmd(A, 0x1009, NULL, 0) != 0)
		return -EIO;
	memcpy(addr, A->last_event + 6, 6);
	if (cmd(A, 0x2006, adv_params, 15) || cmd(A, 0x200a, (const uint8_t[]){ 1 }, 1))
		return -EIO;
	uint8_t cc[25] = { 0x10, 0, 0x10, 0, 0, 0 };
	memcpy(cc + 6, addr, 6);
	const uint8_t rest[13] = { 0, 0x18, 0, 0x28, 0, 0, 0, 0x48, 0, 0, 0, 0, 0 };
	memcpy(cc + 12, rest, 13);
	if (cmd(B, 0x200d, cc, 25) || wait_event(B, 0x3e, 0x01))
		return -EIO;
	*hb = (uint16_t)(B->last_event[4] | B->last_event[5] << 8);
	if (wait_event(A, 0x3e, 0x01))
		return -EIO;
	*ha = (uint16_t)(A->last_event[4] | A->last_event[5] << 8);
	/* Full-size link-layer packets, so a 251-byte ACL packet is one packet
	 * on the other side too. */
	const uint8_t dl[6] = { (uint8_t)*ha, (uint8_t)(*ha >> 8), 251, 0, 0x48, 0x08 };
	if (cmd(A, 0x2022, dl, 6) != 0 || wait_event(A, 0x3e, 0x07))
		return -EIO;
	return 0;
}

/* The receiver: counts what arrives and reports at the end through a pipe. */
static void receiver(const char *dir, int out_fd, uint64_t want, size_t size, bool pings)
{
	struct hive_actor_config cfg = { .name = "host-b", .run_dir = dir };
	struct side B = { .hci = "hci-b" };
	if (hive_actor_new(&B.a, &cfg) < 0)
		_exit(1);
	hive_on(B.a, HIVE__ENVELOPE__BODY_HCI, on_hci, &B);
	hive_on(B.a, HIVE__ENVELOPE__BODY_PING, on_ping, &B);
	uint64_t deadline = hive_now_ns() + DEADLINE_NS;
	/* ACL is counted in bytes: a controller may split packets. */
	while ((pings ? B.pings : B.acl_bytes / size) < want && hive_now_ns() < deadline)
		hive_run_once(B.a, 100);
	uint64_t r[3] = { pings ? B.pings : B.acl_bytes / size, B.first_ns, B.last_ns };
	if (write(out_fd, r, sizeof r) != (ssize_t)sizeof r)
		_exit(1);
	hive_actor_destroy(&B.a);
	_exit(0);
}

static double rate(const uint64_t r[3])
{
	return r[2] > r[1] ? (double)(r[0] - 1) * 1e9 / (double)(r[2] - r[1]) : 0;
}

int main(int argc, char **argv)
{
	uint64_t count = argc > 1 ? strtoull(argv[1], NULL, 0) : 20000;
	char bindir[4096];
	ssize_t n = readlink("/proc/self/exe", bindir, sizeof bindir - 1);
	if (n <= 0)
		return 1;
	bindir[n] = '\0';
	*strrchr(bindir, '/') = '\0';
	char dir[] = "/tmp/hive-bench-hci-XXXXXX";
	if (!mkdtemp(dir))
		return 1;
	hive_log_set_threshold(HIVE_LOG_ERROR);
	char vctrl[4200], broker[4200], hci[4200], c0[4200], c1[4200], vout[4200];
	snprintf(vctrl, sizeof vctrl, "%s/hive-vctrl", bindir);
	snprintf(broker, sizeof broker, "%s/hive-broker", bindir);
	snprintf(hci, sizeof hci, "%s/hive-hci", bindir);
	snprintf(c0, sizeof c0, "unix:%s/c0", dir);
	snprintf(c1, sizeof c1, "unix:%s/c1", dir);
	snprintf(vout, sizeof vout, "%s/vctrl.out", dir);
	pid_t pids[5];
	pids[0] = spawn((const char *const[]){ vctrl, "--unix", c0 + 5, "--unix", c1 + 5,
					       "--acl-count", ACL_COUNT, "--log-level", "error",
					       NULL }, vout);
	pids[1] = spawn((const char *const[]){ broker, "--run-dir", dir, "--log-level", "error",
					       NULL }, NULL);
	int rc = wait_file_line(vout, "ready") ? 0 : 1;
	pids[2] = spawn((const char *const[]){ hci, "--run-dir", dir, "--name", "hci-a",
					       "--transport", c0, "--set", "peer=host-a",
					       "--log-level", "error", NULL }, NULL);
	pids[3] = spawn((const char *const[]){ hci, "--run-dir", dir, "--name", "hci-b",
					       "--transport", c1, "--set", "peer=host-b",
					       "--log-level", "error", NULL }, NULL);
	pids[4] = 0;

	struct side A = { .hci = "hci-a" };
	struct hive_actor_config cfg = { .name = "host-a", .run_dir = dir };
	if (rc == 0 && hive_actor_new(&A.a, &cfg) < 0)
		rc = 1;
	/* B's side of the link setup runs here too, then B hands over to the
	 * receiving process under the same name. */
	struct side B = { .hci = "hci-b" };
	struct hive_actor_config cfgb = { .name = "host-b", .run_dir = dir };
	if (rc == 0 && hive_actor_new(&B.a, &cfgb) < 0)
		rc = 1;
	uint16_t ha = 0, hb = 0;
	if (rc == 0) {
		hive_on(A.a, HIVE__ENVELOPE__BODY_HCI, on_hci, &A);
		hive_on(A.a, HIVE__ENVELOPE__BODY_PING, on_ping, &A);
		hive_on(B.a, HIVE__ENVELOPE__BODY_HCI, on_hci, &B);
		rc = link_up(&A, &B, &ha, &hb) == 0 ? 0 : 1;
		if (rc)
			fprintf(stderr, "hive-bench-hci: no link (last event %02x %02x %02x)\n",
				A.last_event[0], A.last_event[2], B.last_event[0]);
		hive_actor_destroy(&B.a);
	}
	const size_t sizes[2] = { 27, 251 };
	for (int k = 0; k < 2 && rc == 0; k++) {
		double rates[2] = { 0, 0 };
		for (int pings = 0; pings < 2 && rc == 0; pings++) {
			int fds[2];
			if (pipe(fds) < 0)
				return 1;
			pid_t rx = fork();
			if (rx == 0) {
				prctl(PR_SET_PDEATHSIG, SIGKILL);
				receiver(dir, fds[1], count, sizes[k], pings);
			}
			uint8_t pkt[4 + 251];
			pkt[0] = (uint8_t)ha;
			pkt[1] = (uint8_t)(ha >> 8);
			pkt[2] = (uint8_t)sizes[k];
			pkt[3] = 0;
			memset(pkt + 4, 0x5a, sizes[k]);
			uint64_t sent = 0, credits = strtoull(ACL_COUNT, NULL, 10);
			A.completed = 0;
			A.ping_credits = 0;
			uint64_t deadline = hive_now_ns() + DEADLINE_NS;
			while (sent < count && hive_now_ns() < deadline) {
				if (pings) {
					if (sent >= A.ping_credits + PING_WINDOW) {
						hive_run_once(A.a, 100);
						continue;
					}
					Hive__Ping p = HIVE__PING__INIT;
					p.id = sent + 1;
					p.payload.data = pkt + 4;
					p.payload.len = sizes[k];
					Hive__Envelope env = HIVE__ENVELOPE__INIT;
					env.body_case = HIVE__ENVELOPE__BODY_PING;
					env.ping = &p;
					if (hive_send(A.a, "host-b", &env) == 0)
						sent++;
					continue;
				}
				if (sent < A.completed + credits) {
					if (send_hci(&A, HIVE__HCI_PACKET__TYPE__ACL, pkt, 4 + sizes[k]) == 0)
						sent++;
					if (sent < A.completed + credits)
						continue;
				}
				hive_run_once(A.a, 100);
			}
			uint64_t r[3] = { 0 };
			if (read(fds[0], r, sizeof r) != (ssize_t)sizeof r || r[0] < count) {
				fprintf(stderr, "hive-bench-hci: %s of %zu bytes: sent %llu, %llu "
					"arrived\n", pings ? "pings" : "ACL", sizes[k],
					(unsigned long long)sent, (unsigned long long)r[0]);
				rc = 1;
			}
			waitpid(rx, NULL, 0);
			close(fds[0]);
			close(fds[1]);
			rates[pings] = rate(r);
		}
		if (rc == 0)
			printf("{\"bench\":\"hci_acl\",\"size\":%zu,\"packets\":%llu,"
			       "\"controller_buffers\":%s,\"packets_per_s\":%.0f,\"mb_per_s\":%.3f,"
			       "\"floor_broker_msgs_per_s\":%.0f,\"ratio_to_floor\":%.3f,"
			       "\"broker_crossings\":4}\n",
			       sizes[k], (unsigned long long)count, ACL_COUNT, rates[0],
			       rates[0] * (double)sizes[k] / 1e6, rates[1],
			       rates[1] > 0 ? rates[0] / rates[1] : 0);
		fflush(stdout);
	}
	if (rc != 0)
		fprintf(stderr, "hive-bench-hci: the run failed (no link, or packets missing)\n");
	hive_actor_destroy(&A.a);
	for (int i = 0; i < 4; i++) {
		kill(pids[i], SIGTERM);
		waitpid(pids[i], NULL, 0);
	}
	char rm[4200];
	snprintf(rm, sizeof rm, "rm -rf %s", dir);
	if (system(rm) != 0)
		rc = 1;
	return rc;
}
