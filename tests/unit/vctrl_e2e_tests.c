/* hive-vctrl end to end: the real program, hosts on unix and TCP sockets
 * speaking plain H4 as any host would. Waits use poll with deadlines. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "harness.h"
#include "vctrl_test.h"

/* ============================================================================
 * End to end: the real hive-vctrl, two hosts on unix sockets speaking H4
 * ========================================================================== */

struct host {
	int fd;
	size_t len;
	uint8_t buf[1 << 16];
};

struct e2e {
	char dir[160];
	char path[2][300];
	char out[300], err[300];
	pid_t pid;
	struct host h[2];
};

static int host_open(struct host *h, const char *path)
{
	h->len = 0;
	h->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	cr_assert_geq(h->fd, 0);
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	snprintf(sa.sun_path, sizeof sa.sun_path, "%s", path);
	cr_assert_eq(connect(h->fd, (struct sockaddr *)&sa, sizeof sa), 0, "connect %s: %s", path,
		     strerror(errno));
	return h->fd;
}

static void host_close(struct host *h)
{
	if (h->fd >= 0)
		close(h->fd);
	h->fd = -1;
}

static void host_write(struct host *h, const void *p, size_t n)
{
	cr_assert_eq(write(h->fd, p, n), (ssize_t)n, "write: %s", strerror(errno));
}

static void host_cmd(struct host *h, uint16_t op, const void *p, size_t n)
{
	uint8_t b[4 + 255] = { H4_CMD, (uint8_t)op, (uint8_t)(op >> 8), (uint8_t)n };
	if (n)
		memcpy(b + 4, p, n);
	host_write(h, b, 4 + n);
}

/* Reads until one whole packet is there or the deadline passes (false), or
 * the controller closed the stream (false, *eof set). */
static bool host_pop(struct host *h, struct pkt *out, int timeout_ms, bool *eof)
{
	uint64_t deadline = hive_now_ns() + (uint64_t)timeout_ms * MS;
	if (eof)
		*eof = false;
	for (;;) {
		size_t n = h4_split(h->buf, h->len, out);
		if (n) {
			memmove(h->buf, h->buf + n, h->len - n);
			h->len -= n;
			return true;
		}
		uint64_t now = hive_now_ns();
		if (now >= deadline)
			return false;
		struct pollfd pfd = { .fd = h->fd, .events = POLLIN };
		int rc = poll(&pfd, 1, (int)((deadline - now + MS - 1) / MS));
		if (rc <= 0)
			continue;
		ssize_t got = read(h->fd, h->buf + h->len, sizeof h->buf - h->len);
		if (got <= 0) {
			if (eof)
				*eof = true;
			return false;
		}
		h->len += (size_t)got;
	}
}

/* Waits for an event (other packets on the way are passed over). */
static bool host_wait(struct host *h, uint8_t code, int sub, struct pkt *out)
{
	uint64_t deadline = hive_now_ns() + (uint64_t)TH_DEADLINE_MS * MS;
	while (hive_now_ns() < deadline) {
		int left = (int)((deadline - hive_now_ns()) / MS) + 1;
		if (!host_pop(h, out, left, NULL))
			return false;
		if (pkt_is_event(out, code, sub))
			return true;
	}
	return false;
}

/* Sends a command and waits for its Command Complete / Status: the status,
 * and the return parameters after it. */
static uint8_t host_run(struct host *h, uint16_t op, const void *p, size_t n, uint8_t *ret,
			size_t *nret)
{
	host_cmd(h, op, p, n);
	struct pkt k;
	uint64_t deadline = hive_now_ns() + (uint64_t)TH_DEADLINE_MS * MS;
	while (hive_now_ns() < deadline) {
		cr_assert(host_pop(h, &k, TH_DEADLINE_MS, NULL), "no answer to 0x%04x", op);
		if (pkt_is_event(&k, HCI_EV_COMMAND_COMPLETE, -1) && get_le16(k.b + 3) == op) {
			if (ret) {
				*nret = k.b[1] - 4;
				memcpy(ret, k.b + 6, *nret);
			}
			return k.b[5];
		}
		if (pkt_is_event(&k, HCI_EV_COMMAND_STATUS, -1) && get_le16(k.b + 4) == op)
			return k.b[2];
	}
	cr_assert_fail("no answer to 0x%04x", op);
	return 0xFF;
}

static void host_ok(struct host *h, uint16_t op, const void *p, size_t n)
{
	uint8_t st = host_run(h, op, p, n, NULL, NULL);
	cr_assert_eq(st, 0, "0x%04x failed with 0x%02x", op, st);
}

/* A host's start: Reset, the event masks. */
static void host_setup(struct host *h)
{
	host_ok(h, HCI_RESET, NULL, 0);
	host_ok(h, HCI_SET_EVENT_MASK,
		(uint8_t[]){ 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x00, 0x20 }, 8);
	host_ok(h, HCI_LE_SET_EVENT_MASK, (uint8_t[]){ 0xFF, 0x1D, 0, 0, 0, 0, 0, 0 }, 8);
}

static void e2e_start(struct e2e *e, bool use_count)
{
	char *dir = th_run_dir();
	cr_assert_not_null(dir);
	snprintf(e->dir, sizeof e->dir, "%s", dir);
	free(dir);
	snprintf(e->out, sizeof e->out, "%s/out", e->dir);
	snprintf(e->err, sizeof e->err, "%s/err", e->dir);
	char base[200];
	snprintf(base, sizeof base, "%s/ctrl", e->dir);
	for (int i = 0; i < 2; i++)
		snprintf(e->path[i], sizeof e->path[i], "%s%d", base, i);
	const char *with_count[] = { "hive-vctrl", "--unix", base, "--count", "2", "--acl-count", "4",
				     "--adv-min-ms", "10", NULL };
	const char *with_two[] = { "hive-vctrl", "--unix", e->path[0], "--unix", e->path[1],
				   "--acl-count", "4", "--adv-min-ms", "10", "--bredr-time-div", "16",
				   NULL };
	e->pid = th_spawn(use_count ? with_count : with_two, e->out, e->err);
	cr_assert_gt(e->pid, 0);
	cr_assert(th_file_contains(e->out, "ready\n", TH_DEADLINE_MS),
		  "hive-vctrl did not get ready; see %s", e->err);
	for (int i = 0; i < 2; i++) {
		host_open(&e->h[i], e->path[i]);
		host_setup(&e->h[i]);
	}
}

/* SIGTERM: the program exits 0 (under ASan: without leaks) and says
 * nothing of sanitizers. */
static void e2e_stop(struct e2e *e)
{
	for (int i = 0; i < 2; i++)
		host_close(&e->h[i]);
	kill(e->pid, SIGTERM);
	int st = th_wait_exit(e->pid, TH_DEADLINE_MS);
	char *err = th_slurp(e->err, NULL);
	cr_assert(st >= 0 && WIFEXITED(st) && WEXITSTATUS(st) == 0,
		  "hive-vctrl ended with status 0x%x:\n%s", st, err ? err : "");
	cr_assert(!err || (!strstr(err, "Sanitizer") && !strstr(err, "runtime error")), "%s", err);
	free(err);
}

static void e2e_address(struct e2e *e, int i, uint8_t a[6])
{
	size_t n;
	cr_assert_eq(host_run(&e->h[i], HCI_READ_BD_ADDR, NULL, 0, a, &n), 0);
	cr_assert_eq(n, 6);
}

/* h[1] connects as central to h[0]; returns the handles. */
static void e2e_connect(struct e2e *e, uint16_t *hc, uint16_t *hp)
{
	uint8_t a0[6], cp[25];
	e2e_address(e, 0, a0);
	uint8_t ap[15] = { 0x20, 0, 0x20, 0, HCI_ADV_IND, 0, 0, 0, 0, 0, 0, 0, 0, 7, 0 };
	host_ok(&e->h[0], HCI_LE_SET_ADVERTISING_PARAMETERS, ap, 15);
	host_ok(&e->h[0], HCI_LE_SET_ADVERTISING_ENABLE, (uint8_t[]){ 1 }, 1);
	create_conn_params(cp, a0);
	host_ok(&e->h[1], HCI_LE_CREATE_CONNECTION, cp, 25);
	struct pkt k;
	cr_assert(host_wait(&e->h[1], HCI_EV_LE_META, HCI_LE_CONNECTION_COMPLETE, &k));
	cr_assert_eq(evt_params(&k)[0], 0);
	cr_assert_eq(evt_params(&k)[3], HCI_ROLE_CENTRAL);
	cr_assert_arr_eq(evt_params(&k) + 5, a0, 6, "the central sees the advertiser's address");
	*hc = get_le16(evt_params(&k) + 1);
	cr_assert(host_wait(&e->h[0], HCI_EV_LE_META, HCI_LE_CONNECTION_COMPLETE, &k));
	cr_assert_eq(evt_params(&k)[0], 0);
	cr_assert_eq(evt_params(&k)[3], HCI_ROLE_PERIPHERAL);
	*hp = get_le16(evt_params(&k) + 1);
}

static void acl_bytes(uint8_t *b, uint16_t handle, const void *data, uint16_t n)
{
	b[0] = H4_ACL;
	b[1] = (uint8_t)handle;
	b[2] = (uint8_t)(handle >> 8); /* PB 0b00: first, non-flushable */
	b[3] = (uint8_t)n;
	b[4] = (uint8_t)(n >> 8);
	memcpy(b + 5, data, n);
}

/* Waits for n ACL packets on handle and returns their bytes concatenated. */
static size_t host_acl(struct host *h, uint16_t handle, unsigned npkts, uint8_t *out)
{
	size_t total = 0;
	struct pkt k;
	for (unsigned i = 0; i < npkts; i++) {
		do
			cr_assert(host_pop(h, &k, TH_DEADLINE_MS, NULL), "ACL packet %u missing", i);
		while (k.type != H4_ACL);
		cr_assert_eq(get_le16(k.b) & 0x0FFF, handle);
		memcpy(out + total, k.b + 4, get_le16(k.b + 2));
		total += get_le16(k.b + 2);
	}
	return total;
}

/* Sums Number Of Completed Packets for handle until want is reached. */
static void host_completed(struct host *h, uint16_t handle, unsigned want)
{
	unsigned got = 0;
	struct pkt k;
	while (got < want) {
		cr_assert(host_wait(h, HCI_EV_NUMBER_OF_COMPLETED_PACKETS, -1, &k),
			  "completed %u of %u packets", got, want);
		for (unsigned i = 0; i < k.b[2]; i++)
			if (get_le16(k.b + 3 + 4 * i) == handle)
				got += get_le16(k.b + 5 + 4 * i);
	}
	cr_assert_eq(got, want);
}

TestSuite(vctrl_e2e, .fini = th_cleanup);

Test(vctrl_e2e, hosts_reset_and_read_their_controllers)
{
	struct e2e e;
	e2e_start(&e, true);
	uint8_t a[6], ret[64];
	size_t n;
	char s[18];
	e2e_address(&e, 0, a);
	cr_assert_str_eq(vctrl_addr_str(a, s), "02:48:49:56:45:00");
	e2e_address(&e, 1, a);
	cr_assert_str_eq(vctrl_addr_str(a, s), "02:48:49:56:45:01");
	char *out = th_slurp(e.out, NULL);
	cr_assert(out && strstr(out, "ctrl 1 unix:") && strstr(out, "02:48:49:56:45:01"),
		  "ready lines: %s", out ? out : "(none)");
	free(out);
	cr_assert_eq(host_run(&e.h[0], HCI_LE_READ_BUFFER_SIZE, NULL, 0, ret, &n), 0);
	cr_assert_eq(get_le16(ret), 251);
	cr_assert_eq(ret[2], 4);
	cr_assert_eq(host_run(&e.h[0], 0xFC01, NULL, 0, NULL, NULL), HCI_UNKNOWN_COMMAND);
	cr_assert_eq(host_run(&e.h[0], HCI_SET_EVENT_MASK, "\x01", 1, NULL, NULL),
		     HCI_INVALID_PARAMETERS);
	/* A command written one byte at a time. */
	const uint8_t rand[] = { H4_CMD, 0x18, 0x20, 0x00 };
	for (size_t i = 0; i < sizeof rand; i++)
		host_write(&e.h[1], rand + i, 1);
	struct pkt k;
	cr_assert(host_pop(&e.h[1], &k, TH_DEADLINE_MS, NULL));
	cr_assert(pkt_is_event(&k, HCI_EV_COMMAND_COMPLETE, -1));
	cr_assert_eq(get_le16(k.b + 3), HCI_LE_RAND);
	cr_assert_eq(k.b[1], 4 + 8);
	/* SIGTERM: a clean exit that removes the sockets. */
	e2e_stop(&e);
	cr_assert_neq(access(e.path[0], F_OK), 0, "socket left behind");
}

Test(vctrl_e2e, advertising_data_reaches_the_scanner)
{
	struct e2e e;
	e2e_start(&e, false);
	const uint8_t data[] = { 0x02, 0x01, 0x06, 0x06, 0x09, 'h', 'i', 'v', 'e', '0' };
	uint8_t ad[32] = { sizeof data };
	memcpy(ad + 1, data, sizeof data);
	uint8_t rsp[32] = { 3, 0x02, 0x0A, 0x00 };
	uint8_t ap[15] = { 0x20, 0, 0x20, 0, HCI_ADV_IND, 0, 0, 0, 0, 0, 0, 0, 0, 7, 0 };
	host_ok(&e.h[0], HCI_LE_SET_ADVERTISING_PARAMETERS, ap, 15);
	host_ok(&e.h[0], HCI_LE_SET_ADVERTISING_DATA, ad, 32);
	host_ok(&e.h[0], HCI_LE_SET_SCAN_RESPONSE_DATA, rsp, 32);
	host_ok(&e.h[0], HCI_LE_SET_ADVERTISING_ENABLE, (uint8_t[]){ 1 }, 1);
	host_ok(&e.h[1], HCI_LE_SET_SCAN_PARAMETERS, (uint8_t[]){ 1, 0x10, 0, 0x10, 0, 0, 0 }, 7);
	host_ok(&e.h[1], HCI_LE_SET_SCAN_ENABLE, (uint8_t[]){ 1, 1 }, 2);
	uint8_t a0[6];
	e2e_address(&e, 0, a0);
	struct pkt k;
	bool adv = false, scan_rsp = false;
	while (!(adv && scan_rsp)) {
		cr_assert(host_wait(&e.h[1], HCI_EV_LE_META, HCI_LE_ADVERTISING_REPORT, &k),
			  "reports: advertising %d, scan response %d", adv, scan_rsp);
		const uint8_t *p = evt_params(&k);
		cr_assert_arr_eq(p + 3, a0, 6);
		if (p[1] == HCI_REPORT_ADV_IND) {
			cr_assert_eq(p[9], sizeof data);
			cr_assert_arr_eq(p + 10, data, sizeof data);
			adv = true;
		} else if (p[1] == HCI_REPORT_SCAN_RSP) {
			cr_assert_eq(p[9], 3);
			scan_rsp = true;
		}
	}
	e2e_stop(&e);
}

Test(vctrl_e2e, connection_acl_both_ways_and_flow_control)
{
	struct e2e e;
	e2e_start(&e, false);
	uint16_t hc, hp;
	e2e_connect(&e, &hc, &hp);
	/* Central to peripheral: 60 bytes, delivered in 27-octet PDUs. */
	uint8_t data[60], b[5 + 60], got[600];
	for (int i = 0; i < 60; i++)
		data[i] = (uint8_t)(i + 1);
	acl_bytes(b, hc, data, 60);
	host_write(&e.h[1], b, 5 + 60);
	cr_assert_eq(host_acl(&e.h[0], hp, 3, got), 60);
	cr_assert_arr_eq(got, data, 60);
	host_completed(&e.h[1], hc, 1);
	/* And back. */
	acl_bytes(b, hp, data, 20);
	host_write(&e.h[0], b, 5 + 20);
	cr_assert_eq(host_acl(&e.h[1], hc, 1, got), 20);
	cr_assert_arr_eq(got, data, 20);
	host_completed(&e.h[0], hp, 1);
	/* Six packets in one write against four buffers: two are refused. */
	uint8_t six[6 * (5 + 10)];
	for (int i = 0; i < 6; i++) {
		memset(data, 'A' + i, 10);
		acl_bytes(six + i * 15, hc, data, 10);
	}
	host_write(&e.h[1], six, sizeof six);
	struct pkt k;
	for (int i = 0; i < 2; i++)
		cr_assert(host_wait(&e.h[1], HCI_EV_DATA_BUFFER_OVERFLOW, -1, &k),
			  "refusal %d missing", i);
	cr_assert_eq(host_acl(&e.h[0], hp, 4, got), 40);
	for (int i = 0; i < 4; i++)
		cr_assert_eq(got[10 * i], 'A' + i, "packet %d", i);
	host_completed(&e.h[1], hc, 4);
	/* Nothing more arrives at the peripheral. */
	cr_assert_not(host_pop(&e.h[0], &k, 100, NULL), "a refused packet was delivered");
	e2e_stop(&e);
}

static void e2e_encrypt_start(struct e2e *e, uint16_t hc, uint8_t key)
{
	uint8_t p[28] = { (uint8_t)hc, (uint8_t)(hc >> 8), 1, 2, 3, 4, 5, 6, 7, 8, 0x22, 0x11 };
	memset(p + 12, key, 16);
	host_ok(&e->h[1], HCI_LE_ENABLE_ENCRYPTION, p, 28);
	struct pkt k;
	cr_assert(host_wait(&e->h[0], HCI_EV_LE_META, HCI_LE_LONG_TERM_KEY_REQUEST, &k));
	cr_assert_eq(get_le16(evt_params(&k) + 10), 0x1122, "EDIV");
}

Test(vctrl_e2e, encryption_with_equal_and_unequal_keys)
{
	struct e2e e;
	e2e_start(&e, false);
	uint16_t hc, hp;
	e2e_connect(&e, &hc, &hp);
	e2e_encrypt_start(&e, hc, 0x77);
	uint8_t r[18] = { (uint8_t)hp, (uint8_t)(hp >> 8) };
	memset(r + 2, 0x77, 16);
	host_ok(&e.h[0], HCI_LE_LONG_TERM_KEY_REQUEST_REPLY, r, 18);
	struct pkt k;
	for (int i = 0; i < 2; i++) {
		cr_assert(host_wait(&e.h[i], HCI_EV_ENCRYPTION_CHANGE, -1, &k));
		cr_assert_eq(evt_params(&k)[0], 0);
		cr_assert_eq(get_le16(evt_params(&k) + 1), i ? hc : hp);
		cr_assert_eq(evt_params(&k)[3], 1);
	}
	/* The peripheral answers with another key: MIC failure on both sides. */
	e2e_encrypt_start(&e, hc, 0x77);
	memset(r + 2, 0x78, 16);
	host_ok(&e.h[0], HCI_LE_LONG_TERM_KEY_REQUEST_REPLY, r, 18);
	for (int i = 0; i < 2; i++) {
		cr_assert(host_wait(&e.h[i], HCI_EV_DISCONNECTION_COMPLETE, -1, &k));
		cr_assert_eq(get_le16(evt_params(&k) + 1), i ? hc : hp);
		cr_assert_eq(evt_params(&k)[3], HCI_MIC_FAILURE);
	}
	e2e_stop(&e);
}

Test(vctrl_e2e, disconnect_reason_and_power_off_reach_the_peer)
{
	struct e2e e;
	e2e_start(&e, false);
	uint16_t hc, hp;
	e2e_connect(&e, &hc, &hp);
	uint8_t d[3] = { (uint8_t)hc, (uint8_t)(hc >> 8), HCI_REMOTE_USER_TERMINATED };
	host_ok(&e.h[1], HCI_DISCONNECT, d, 3);
	struct pkt k;
	cr_assert(host_wait(&e.h[1], HCI_EV_DISCONNECTION_COMPLETE, -1, &k));
	cr_assert_eq(evt_params(&k)[3], HCI_LOCAL_HOST_TERMINATED);
	cr_assert(host_wait(&e.h[0], HCI_EV_DISCONNECTION_COMPLETE, -1, &k));
	cr_assert_eq(get_le16(evt_params(&k) + 1), hp);
	cr_assert_eq(evt_params(&k)[3], HCI_REMOTE_USER_TERMINATED);
	cr_assert_eq(host_run(&e.h[1], HCI_DISCONNECT, d, 3, NULL, NULL), HCI_UNKNOWN_CONNECTION_ID);
	/* Connected again, the central's host goes away: power-off. */
	e2e_connect(&e, &hc, &hp);
	host_close(&e.h[1]);
	cr_assert(host_wait(&e.h[0], HCI_EV_DISCONNECTION_COMPLETE, -1, &k));
	cr_assert_eq(get_le16(evt_params(&k) + 1), hp);
	cr_assert_eq(evt_params(&k)[3], HCI_REMOTE_USER_TERMINATED);
	/* A new host on the same socket finds the controller and connects. */
	host_open(&e.h[1], e.path[1]);
	host_setup(&e.h[1]);
	e2e_connect(&e, &hc, &hp);
	e2e_stop(&e);
}

Test(vctrl_e2e, garbage_closes_only_that_host)
{
	struct e2e e;
	e2e_start(&e, false);
	host_write(&e.h[0], "\xFF\x01\x02", 3);
	struct pkt k;
	bool eof = false;
	while (host_pop(&e.h[0], &k, TH_DEADLINE_MS, &eof))
		;
	cr_assert(eof, "the controller kept a host whose H4 framing is lost");
	host_close(&e.h[0]);
	uint8_t a[6];
	e2e_address(&e, 1, a); /* the other host is served */
	host_open(&e.h[0], e.path[0]);
	host_setup(&e.h[0]);
	/* A second host on a busy socket is closed at once. */
	struct host *extra = calloc(1, sizeof *extra);
	host_open(extra, e.path[0]);
	cr_assert_not(host_pop(extra, &k, TH_DEADLINE_MS, &eof));
	cr_assert(eof);
	host_close(extra);
	free(extra);
	e2e_address(&e, 0, a);
	cr_assert(th_alive(e.pid));
	e2e_stop(&e);
}

Test(vctrl_e2e, tcp_endpoint_with_any_free_port)
{
	char *dir = th_run_dir();
	cr_assert_not_null(dir);
	char out[300], err[300];
	snprintf(out, sizeof out, "%s/out", dir);
	snprintf(err, sizeof err, "%s/err", dir);
	const char *argv[] = { "hive-vctrl", "--tcp", "127.0.0.1:0", "--address-base",
			       "C0:FF:EE:00:00:10", NULL };
	pid_t pid = th_spawn(argv, out, err);
	cr_assert_gt(pid, 0);
	cr_assert(th_file_contains(out, "ready\n", TH_DEADLINE_MS), "see %s", err);
	char *text = th_slurp(out, NULL);
	unsigned port = 0;
	char addr[18] = "";
	cr_assert(text && sscanf(text, "ctrl 0 tcp:127.0.0.1:%u %17s", &port, addr) == 2,
		  "ready lines: %s", text ? text : "");
	free(text);
	cr_assert_str_eq(addr, "C0:FF:EE:00:00:10");
	struct host *h = calloc(1, sizeof *h);
	h->fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port),
				  .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	cr_assert_eq(connect(h->fd, (struct sockaddr *)&sa, sizeof sa), 0);
	host_ok(h, HCI_RESET, NULL, 0);
	uint8_t a[6];
	size_t n;
	cr_assert_eq(host_run(h, HCI_READ_BD_ADDR, NULL, 0, a, &n), 0);
	char s[18];
	cr_assert_str_eq(vctrl_addr_str(a, s), "C0:FF:EE:00:00:10");
	host_close(h);
	free(h);
	kill(pid, SIGTERM);
	int st = th_wait_exit(pid, TH_DEADLINE_MS);
	cr_assert(st >= 0 && WIFEXITED(st) && WEXITSTATUS(st) == 0);
	free(dir);
}

Test(vctrl_e2e, bad_options_are_refused)
{
	char *dir = th_run_dir();
	char err[300];
	snprintf(err, sizeof err, "%s/err", dir);
	const char *none[] = { "hive-vctrl", NULL };
	const char *count[] = { "hive-vctrl", "--unix", "/tmp/a", "--tcp", "127.0.0.1:0", "--count",
				"3", NULL };
	const char *acl[] = { "hive-vctrl", "--unix", "/tmp/a", "--acl-count", "0", NULL };
	const char *addr[] = { "hive-vctrl", "--unix", "/tmp/a", "--address-base", "zz", NULL };
	const char *unknown[] = { "hive-vctrl", "--frobnicate", NULL };
	const char *const *bad[] = { none, count, acl, addr, unknown };
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		pid_t pid = th_spawn(bad[i], NULL, err);
		int st = th_wait_exit(pid, TH_DEADLINE_MS);
		cr_assert(st >= 0 && WIFEXITED(st) && WEXITSTATUS(st) != 0, "case %zu accepted", i);
		char *text = th_slurp(err, NULL);
		cr_assert(text && strstr(text, "ERROR"), "case %zu: no error logged", i);
		free(text);
	}
	const char *help[] = { "hive-vctrl", "--help", NULL };
	char out[300];
	snprintf(out, sizeof out, "%s/help", dir);
	pid_t pid = th_spawn(help, out, NULL);
	int st = th_wait_exit(pid, TH_DEADLINE_MS);
	cr_assert(st >= 0 && WIFEXITED(st) && WEXITSTATUS(st) == 0);
	cr_assert(th_file_contains(out, "--count N", 0));
	free(dir);
}

/* The next event on h must be code; its parameters. */
static const uint8_t *host_evt(struct host *h, uint8_t code, struct pkt *k)
{
	cr_assert(host_pop(h, k, TH_DEADLINE_MS, NULL), "no event 0x%02x", code);
	cr_assert(pkt_is_event(k, code, -1), "expected event 0x%02x, got type %u code 0x%02x", code,
		  k->type, k->b[0]);
	return evt_params(k);
}

static void host_addr_cmd(struct host *h, uint16_t op, const uint8_t peer[6], const void *more,
			  size_t n)
{
	uint8_t p[32];
	memcpy(p, peer, 6);
	if (n)
		memcpy(p + 6, more, n);
	uint8_t ret[16];
	size_t nret;
	cr_assert_eq(host_run(h, op, p, 6 + n, ret, &nret), 0, "0x%04x", op);
	cr_assert_arr_eq(ret, peer, 6);
}

Test(vctrl_e2e, bredr_inquiry_connection_ssp_and_encryption)
{
	struct e2e e;
	e2e_start(&e, false);
	uint8_t a[2][6];
	for (int i = 0; i < 2; i++) {
		e2e_address(&e, i, a[i]);
		host_ok(&e.h[i], HCI_SET_EVENT_MASK,
			(uint8_t[]){ 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x3F }, 8);
		host_ok(&e.h[i], HCI_WRITE_SIMPLE_PAIRING_MODE, (uint8_t[]){ 1 }, 1);
		host_ok(&e.h[i], HCI_WRITE_INQUIRY_MODE, (uint8_t[]){ HCI_INQUIRY_MODE_EXTENDED }, 1);
	}
	uint8_t eir[241] = { 0, 6, 0x09, 'h', 'i', 'v', 'e', '0' };
	host_ok(&e.h[0], HCI_WRITE_EXTENDED_INQUIRY_RESPONSE, eir, sizeof eir);
	host_ok(&e.h[0], HCI_WRITE_SCAN_ENABLE, (uint8_t[]){ HCI_SCAN_INQUIRY | HCI_SCAN_PAGE }, 1);
	/* h1 inquires (1.28 s, 80 ms at 16x) and finds h0 with its name. */
	host_ok(&e.h[1], HCI_INQUIRY, (uint8_t[]){ 0x33, 0x8B, 0x9E, 0x01, 0x00 }, 5);
	struct pkt k;
	const uint8_t *p = host_evt(&e.h[1], HCI_EV_EXTENDED_INQUIRY_RESULT, &k);
	cr_assert_arr_eq(p + 1, a[0], 6);
	cr_assert_eq((int8_t)p[14], -50);
	cr_assert_arr_eq(p + 15, eir + 1, 7);
	cr_assert_eq(host_evt(&e.h[1], HCI_EV_INQUIRY_COMPLETE, &k)[0], 0);
	/* h1 pages h0, h0 accepts. */
	uint8_t cc[13] = { 0 };
	memcpy(cc, a[0], 6);
	cc[6] = 0x18;
	cc[7] = 0xCC;
	cc[8] = 0x01;
	host_ok(&e.h[1], HCI_CREATE_CONNECTION, cc, sizeof cc);
	p = host_evt(&e.h[0], HCI_EV_CONNECTION_REQUEST, &k);
	cr_assert_arr_eq(p, a[1], 6);
	uint8_t acc[7];
	memcpy(acc, a[1], 6);
	acc[6] = HCI_ROLE_PERIPHERAL;
	host_ok(&e.h[0], HCI_ACCEPT_CONNECTION_REQUEST, acc, 7);
	uint16_t h[2];
	for (int i = 0; i < 2; i++) {
		p = host_evt(&e.h[i], HCI_EV_CONNECTION_COMPLETE, &k);
		cr_assert_eq(p[0], 0);
		cr_assert_eq(p[9], HCI_LINK_ACL);
		h[i] = get_le16(p + 1);
	}
	/* h1 authenticates: no key, Simple Pairing with numeric comparison. */
	host_ok(&e.h[1], HCI_AUTHENTICATION_REQUESTED, (uint8_t[]){ (uint8_t)h[1], 0 }, 2);
	host_evt(&e.h[1], HCI_EV_LINK_KEY_REQUEST, &k);
	host_addr_cmd(&e.h[1], HCI_LINK_KEY_REQUEST_NEGATIVE_REPLY, a[0], NULL, 0);
	host_evt(&e.h[1], HCI_EV_IO_CAPABILITY_REQUEST, &k);
	host_addr_cmd(&e.h[1], HCI_IO_CAPABILITY_REQUEST_REPLY, a[0], (uint8_t[]){ 1, 0, 3 }, 3);
	host_evt(&e.h[0], HCI_EV_IO_CAPABILITY_RESPONSE, &k);
	host_evt(&e.h[0], HCI_EV_IO_CAPABILITY_REQUEST, &k);
	host_addr_cmd(&e.h[0], HCI_IO_CAPABILITY_REQUEST_REPLY, a[1], (uint8_t[]){ 1, 0, 3 }, 3);
	host_evt(&e.h[1], HCI_EV_IO_CAPABILITY_RESPONSE, &k);
	uint32_t value[2];
	for (int i = 0; i < 2; i++) {
		p = host_evt(&e.h[i], HCI_EV_USER_CONFIRMATION_REQUEST, &k);
		value[i] = get_le16(p + 6) | (uint32_t)get_le16(p + 8) << 16;
	}
	cr_assert_eq(value[0], value[1], "both hosts show the same number");
	for (int i = 0; i < 2; i++)
		host_addr_cmd(&e.h[i], HCI_USER_CONFIRMATION_REQUEST_REPLY, a[!i], NULL, 0);
	uint8_t key[2][16];
	for (int i = 0; i < 2; i++) {
		cr_assert_eq(host_evt(&e.h[i], HCI_EV_SIMPLE_PAIRING_COMPLETE, &k)[0], 0);
		p = host_evt(&e.h[i], HCI_EV_LINK_KEY_NOTIFICATION, &k);
		memcpy(key[i], p + 6, 16);
		cr_assert_eq(p[22], HCI_KEY_AUTHENTICATED_P192);
	}
	cr_assert_arr_eq(key[0], key[1], 16);
	cr_assert_eq(host_evt(&e.h[1], HCI_EV_AUTHENTICATION_COMPLETE, &k)[0], 0);
	/* Encryption on both. */
	host_ok(&e.h[1], HCI_SET_CONNECTION_ENCRYPTION, (uint8_t[]){ (uint8_t)h[1], 0, 1 }, 3);
	for (int i = 0; i < 2; i++) {
		p = host_evt(&e.h[i], HCI_EV_ENCRYPTION_CHANGE, &k);
		cr_assert_eq(p[0], 0);
		cr_assert_eq(get_le16(p + 1), h[i]);
		cr_assert_eq(p[3], 1);
	}
	/* ACL over the link, whole, with its completed packet. */
	uint8_t data[400], b[5 + sizeof data], got[sizeof data];
	for (size_t i = 0; i < sizeof data; i++)
		data[i] = (uint8_t)i;
	acl_bytes(b, h[1], data, sizeof data);
	host_write(&e.h[1], b, sizeof b);
	cr_assert_eq(host_acl(&e.h[0], h[0], 1, got), sizeof data);
	cr_assert_arr_eq(got, data, sizeof data);
	host_completed(&e.h[1], h[1], 1);
	e2e_stop(&e);
}
