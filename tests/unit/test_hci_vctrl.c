/* Two hci actors on hive-vctrl, driven by the test as a host would drive
 * them: every packet goes through a real hive-hci, a real broker and a real
 * emulated controller. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"

#define QMAX 256

struct side {
	struct hive_actor *a;
	const char *hci;
	uint8_t *pkt[QMAX];
	size_t len[QMAX];
	int type[QMAX];
	size_t head, tail;
};

static char *dir;
static struct side A = { .hci = "hci-a" }, B = { .hci = "hci-b" };

static void on_hci(struct hive_actor *a, const char *source, const Hive__Envelope *env, void *arg)
{
	struct side *s = arg;
	if (s->tail - s->head == QMAX)
		return;
	size_t i = s->tail++ % QMAX;
	s->type[i] = env->hci->type;
	s->len[i] = env->hci->data.len;
	s->pkt[i] = malloc(env->hci->data.len + 1);
	memcpy(s->pkt[i], env->hci->data.data, env->hci->data.len);
}

static void pump(void)
{
	hive_run_once(A.a, 1);
	hive_run_once(B.a, 1);
}

static void send_pkt(struct side *s, Hive__HciPacket__Type type, const uint8_t *p, size_t n)
{
	Hive__HciPacket pkt = HIVE__HCI_PACKET__INIT;
	pkt.type = type;
	pkt.data.data = (uint8_t *)p;
	pkt.data.len = n;
	Hive__Envelope env = HIVE__ENVELOPE__INIT;
	env.body_case = HIVE__ENVELOPE__BODY_HCI;
	env.hci = &pkt;
	cr_assert_eq(hive_send(s->a, s->hci, &env), 0);
}

/* Waits for the first queued packet matching (type, first byte, LE subevent
 * or -1) and removes it; packets before it are dropped. Returns its length
 * and copies it out. */
static size_t wait_pkt(struct side *s, int type, int code, int sub, uint8_t *out, size_t cap)
{
	uint64_t deadline = hive_now_ns() + (uint64_t)TH_DEADLINE_MS * 1000000ull;
	for (;;) {
		while (s->head < s->tail) {
			size_t i = s->head++ % QMAX;
			uint8_t *p = s->pkt[i];
			size_t n = s->len[i];
			bool match = s->type[i] == type &&
				     (code < 0 || (n > 0 && p[0] == code)) &&
				     (sub < 0 || (n > 2 && p[2] == sub));
			if (getenv("TRACE_PKTS")) {
				fprintf(stderr, "%s got type %d:", s->hci, s->type[i]);
				for (size_t k = 0; k < n && k < 16; k++)
					fprintf(stderr, " %02x", p[k]);
				fprintf(stderr, "\n");
			}
			if (match) {
				cr_assert_leq(n, cap);
				memcpy(out, p, n);
			}
			free(p);
			if (match)
				return n;
		}
		cr_assert_lt(hive_now_ns(), deadline, "%s: no packet type %d code 0x%02x sub %d",
			     s->hci, type, code, sub);
		pump();
	}
}

static size_t wait_event(struct side *s, int code, int sub, uint8_t *out)
{
	return wait_pkt(s, HIVE__HCI_PACKET__TYPE__EVENT, code, sub, out, 260);
}

/* Sends a command and returns the status of its Command Complete (or Command
 * Status); the whole event is copied to ev when given. */
static uint8_t cmd(struct side *s, uint16_t op, const uint8_t *params, uint8_t n, uint8_t *ev)
{
	uint8_t buf[3 + 255];
	buf[0] = (uint8_t)op;
	buf[1] = (uint8_t)(op >> 8);
	buf[2] = n;
	if (n)
		memcpy(buf + 3, params, n);
	send_pkt(s, HIVE__HCI_PACKET__TYPE__COMMAND, buf, 3u + n);
	uint8_t e[260];
	uint64_t deadline = hive_now_ns() + (uint64_t)TH_DEADLINE_MS * 1000000ull;
	for (;;) {
		size_t len = wait_event(s, -1, -1, e);
		if (e[0] == 0x0e && len >= 6 && (e[3] | e[4] << 8) == op) {
			if (ev)
				memcpy(ev, e, len);
			return e[5];
		}
		if (e[0] == 0x0f && len >= 6 && (e[4] | e[5] << 8) == op) {
			if (ev)
				memcpy(ev, e, len);
			return e[2];
		}
		cr_assert_lt(hive_now_ns(), deadline);
	}
}

static void ok(struct side *s, uint16_t op, const uint8_t *params, uint8_t n)
{
	uint8_t st = cmd(s, op, params, n, NULL);
	cr_assert_eq(st, 0, "%s: command 0x%04x failed with 0x%02x", s->hci, op, st);
}

static void start_side(struct side *s, const char *name, const char *hci, const char *sock)
{
	char transport[600], peer[80];
	snprintf(transport, sizeof transport, "unix:%s", sock);
	snprintf(peer, sizeof peer, "peer=%s", name);
	const char *argv[] = { "hive-hci", "--run-dir", dir, "--name", hci, "--transport", transport,
			       "--set", peer, NULL };
	cr_assert_gt(th_spawn(argv, NULL, NULL), 0);
	s->a = th_actor(dir, name);
	cr_assert_not_null(s->a);
	s->head = s->tail = 0;
	hive_on(s->a, HIVE__ENVELOPE__BODY_HCI, on_hci, s);
}

static void setup(void)
{
	dir = th_run_dir();
	cr_assert_not_null(dir);
	char c0[600], c1[600], out[600];
	snprintf(c0, sizeof c0, "%s/c0", dir);
	snprintf(c1, sizeof c1, "%s/c1", dir);
	snprintf(out, sizeof out, "%s/vctrl.out", dir);
	const char *vargv[] = { "hive-vctrl", "--unix", c0, "--unix", c1, "--acl-count", "4", NULL };
	cr_assert_gt(th_spawn(vargv, out, NULL), 0);
	cr_assert(th_file_contains(out, "ready", TH_DEADLINE_MS), "hive-vctrl did not start");
	cr_assert_gt(th_start_broker(dir, NULL), 0);
	start_side(&A, "host-a", "hci-a", c0);
	start_side(&B, "host-b", "hci-b", c1);
}

static void teardown(void)
{
	for (struct side *s = &A; s; s = s == &A ? &B : NULL) {
		while (s->head < s->tail)
			free(s->pkt[s->head++ % QMAX]);
		hive_actor_destroy(&s->a);
	}
	th_cleanup();
	free(dir);
}

TestSuite(hci_vctrl, .init = setup, .fini = teardown, .timeout = 60);

static const uint8_t all_events[8] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x3f };
/* Connection Complete (not the enhanced one), Advertising Report, Connection
 * Update, Remote Features, LTK Request. */
static const uint8_t le_events[8] = { 0x1f, 0, 0, 0, 0, 0, 0, 0 };

/* Reset, masks, and the controller's address. */
static void bring_up(struct side *s, uint8_t addr[6])
{
	ok(s, 0x0c03, NULL, 0);
	ok(s, 0x0c01, all_events, 8);
	ok(s, 0x2001, le_events, 8);
	uint8_t ev[260];
	cr_assert_eq(cmd(s, 0x1009, NULL, 0, ev), 0);
	memcpy(addr, ev + 6, 6);
}

/* A advertises, B scans and connects; returns both handles. */
static void connect_pair(const uint8_t addr_a[6], uint16_t *ha, uint16_t *hb)
{
	const uint8_t adv_params[15] = { 0x20, 0x00, 0x20, 0x00, 0x00, 0x00, 0x00, 0, 0, 0, 0, 0, 0,
					 0x07, 0x00 };
	ok(&A, 0x2006, adv_params, 15);
	uint8_t adv_data[32] = { 9, 6, 0x09, 'h', 'i', 'v', 'e', '-', 'a' };
	ok(&A, 0x2008, adv_data, 32);
	ok(&A, 0x200a, (const uint8_t[]){ 1 }, 1);

	const uint8_t scan_params[7] = { 0x01, 0x10, 0x00, 0x10, 0x00, 0x00, 0x00 };
	ok(&B, 0x200b, scan_params, 7);
	ok(&B, 0x200c, (const uint8_t[]){ 1, 0 }, 2);
	uint8_t ev[260];
	/* LE Advertising Report: subevent 2; the address and the name. */
	for (;;) {
		size_t n = wait_event(&B, 0x3e, 0x02, ev);
		if (n >= 12 && memcmp(ev + 6, addr_a, 6) == 0) {
			cr_assert(memmem(ev, n, "hive-a", 6), "the report lacks the name");
			break;
		}
	}
	ok(&B, 0x200c, (const uint8_t[]){ 0, 0 }, 2);

	uint8_t cc[25] = { 0x10, 0x00, 0x10, 0x00, 0x00, 0x00 };
	memcpy(cc + 6, addr_a, 6);
	const uint8_t rest[13] = { 0x00, 0x18, 0x00, 0x28, 0x00, 0x00, 0x00, 0x48, 0x00, 0, 0, 0, 0 };
	memcpy(cc + 12, rest, 13);
	cr_assert_eq(cmd(&B, 0x200d, cc, 25, NULL), 0);
	/* LE Connection Complete on both, with the right roles. */
	size_t n = wait_event(&B, 0x3e, 0x01, ev);
	cr_assert_geq(n, 21);
	cr_assert_eq(ev[3], 0, "status");
	*hb = (uint16_t)(ev[4] | ev[5] << 8);
	cr_assert_eq(ev[6], 0x00, "B is central");
	n = wait_event(&A, 0x3e, 0x01, ev);
	cr_assert_eq(ev[3], 0);
	*ha = (uint16_t)(ev[4] | ev[5] << 8);
	cr_assert_eq(ev[6], 0x01, "A is peripheral");
}

static void acl(struct side *s, uint16_t handle, const uint8_t *p, uint16_t n)
{
	uint8_t buf[4 + 512];
	buf[0] = (uint8_t)handle;
	buf[1] = (uint8_t)(handle >> 8 & 0x0f);
	buf[2] = (uint8_t)n;
	buf[3] = (uint8_t)(n >> 8);
	memcpy(buf + 4, p, n);
	send_pkt(s, HIVE__HCI_PACKET__TYPE__ACL, buf, 4u + n);
}

/* Starts encryption from B with key kb; A answers the LTK request with ka. */
static void encrypt(uint16_t ha, uint16_t hb, const uint8_t kb[16], const uint8_t ka[16])
{
	uint8_t p[28] = { (uint8_t)hb, (uint8_t)(hb >> 8), 1, 2, 3, 4, 5, 6, 7, 8, 0x34, 0x12 };
	memcpy(p + 12, kb, 16);
	cr_assert_eq(cmd(&B, 0x2019, p, 28, NULL), 0);
	uint8_t ev[260];
	size_t n = wait_event(&A, 0x3e, 0x05, ev);
	cr_assert_eq(n, 15);
	cr_assert_eq(ev[3] | ev[4] << 8, ha);
	cr_assert(memcmp(ev + 5, p + 2, 10) == 0, "Rand and EDIV reach the peripheral");
	uint8_t r[18] = { (uint8_t)ha, (uint8_t)(ha >> 8) };
	memcpy(r + 2, ka, 16);
	ok(&A, 0x201a, r, 18);
}

Test(hci_vctrl, advertise_scan_connect_acl_encrypt_disconnect)
{
	uint8_t addr_a[6], addr_b[6];
	bring_up(&A, addr_a);
	bring_up(&B, addr_b);
	cr_assert(memcmp(addr_a, addr_b, 6) != 0, "each controller has its own address");
	uint16_t ha, hb;
	connect_pair(addr_a, &ha, &hb);

	/* ACL both ways; each packet is reported completed to its sender. */
	uint8_t payload[27], got[600];
	for (int i = 0; i < 27; i++)
		payload[i] = (uint8_t)i;
	for (int round = 0; round < 8; round++) {
		payload[0] = (uint8_t)round;
		acl(&B, hb, payload, 27);
		size_t n = wait_pkt(&A, HIVE__HCI_PACKET__TYPE__ACL, -1, -1, got, sizeof got);
		cr_assert_eq(n, 31);
		cr_assert_eq(got[4], round);
		uint8_t ev[260];
		wait_event(&B, 0x13, -1, ev);
		cr_assert_eq(ev[3] | ev[4] << 8, hb);
		cr_assert_eq(ev[5] | ev[6] << 8, 1);
		acl(&A, ha, payload, 27);
		n = wait_pkt(&B, HIVE__HCI_PACKET__TYPE__ACL, -1, -1, got, sizeof got);
		cr_assert_eq(n, 31);
		wait_event(&A, 0x13, -1, ev);
	}

	/* Equal keys: Encryption Change, enabled, on both sides. */
	const uint8_t key[16] = { 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88,
				  0x99, 0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0xff, 0x00 };
	encrypt(ha, hb, key, key);
	uint8_t ev[260];
	wait_event(&B, 0x08, -1, ev);
	cr_assert_eq(ev[2], 0, "status");
	cr_assert_eq(ev[5], 1, "enabled");
	wait_event(&A, 0x08, -1, ev);
	cr_assert_eq(ev[2], 0);
	cr_assert_eq(ev[5], 1);

	/* Disconnect with a reason: the peer hears it. */
	uint8_t d[3] = { (uint8_t)hb, (uint8_t)(hb >> 8), 0x13 };
	cr_assert_eq(cmd(&B, 0x0406, d, 3, NULL), 0);
	wait_event(&A, 0x05, -1, ev);
	cr_assert_eq(ev[3] | ev[4] << 8, ha);
	cr_assert_eq(ev[5], 0x13, "the peer gets the reason");
	wait_event(&B, 0x05, -1, ev);
	cr_assert_eq(ev[3] | ev[4] << 8, hb);
}

Test(hci_vctrl, unequal_keys_drop_the_link_with_mic_failure)
{
	uint8_t addr_a[6], addr_b[6];
	bring_up(&A, addr_a);
	bring_up(&B, addr_b);
	uint16_t ha, hb;
	connect_pair(addr_a, &ha, &hb);
	const uint8_t kb[16] = { 1 }, ka[16] = { 2 };
	encrypt(ha, hb, kb, ka);
	uint8_t ev[260];
	wait_event(&B, 0x05, -1, ev);
	cr_assert_eq(ev[3] | ev[4] << 8, hb);
	cr_assert_eq(ev[5], 0x3d, "MIC failure, got 0x%02x", ev[5]);
	wait_event(&A, 0x05, -1, ev);
	cr_assert_eq(ev[5], 0x3d);
}
