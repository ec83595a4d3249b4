/* hive-ctl's l2cap commands against two real hive-l2cap processes whose
 * fake hosts (in this test) forward frames between them like a radio. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "l2cap_actor_util.h"

#define H 0x0040

static char *dir;

static void setup(void)
{
	dir = th_run_dir();
	cr_assert_not_null(dir);
	cr_assert_gt(th_start_broker(dir, NULL), 0);
}

static void teardown(void)
{
	th_cleanup();
	free(dir);
}

TestSuite(l2cap_ctl, .init = setup, .fini = teardown, .timeout = 120);

static pid_t ctl(const char *script, const char *out)
{
	char path[600];
	snprintf(path, sizeof path, "%s/%s", dir, out);
	const char *argv[] = { "hive-ctl", "--run-dir", dir, "-c", script, NULL };
	pid_t pid = th_spawn(argv, path, NULL);
	cr_assert_gt(pid, 0);
	return pid;
}

/* Pumps the fake hosts until pid exits; returns its exit code. */
static int ctl_wait(pid_t pid)
{
	uint64_t deadline = hive_now_ns() + 3ull * TH_DEADLINE_MS * 1000000ull;
	int st;
	while (hive_now_ns() < deadline) {
		lt_pump();
		if (waitpid(pid, &st, WNOHANG) == pid)
			return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
	}
	cr_assert_fail("hive-ctl did not finish");
	return -1;
}

static char *out(const char *name)
{
	char path[600];
	snprintf(path, sizeof path, "%s/%s", dir, name);
	char *s = th_slurp(path, NULL);
	cr_assert_not_null(s);
	return s;
}

Test(l2cap_ctl, listen_open_send_close_and_conn_update)
{
	struct lt_peer *ha = lt_peer_new(dir, "host-a"), *hb = lt_peer_new(dir, "host-b");
	struct lt_peer *app = lt_peer_new(dir, "app");
	ha->hook = hb->hook = lt_radio;
	ha->user = hb;
	hb->user = ha;
	lt_spawn_l2cap(dir, "l2cap-a", (const char *const[]){ "host=host-a", NULL });
	lt_spawn_l2cap(dir, "l2cap-b", (const char *const[]){ "host=host-b", NULL });
	lt_send_connected(ha, "l2cap-a", H, true);
	lt_send_connected(hb, "l2cap-b", H, false);
	for (uint64_t id = 1; lt_table(app, "l2cap-a", id)->n_links != 1; id++)
		;
	for (uint64_t id = 100; lt_table(app, "l2cap-b", id)->n_links != 1; id++)
		;

	/* 3000 bytes: two SDUs of the peer's default MTU (2048). */
	char file[600];
	snprintf(file, sizeof file, "%s/blob", dir);
	FILE *f = fopen(file, "wb");
	cr_assert_not_null(f);
	for (int i = 0; i < 3000; i++)
		fputc(i & 0xff, f);
	fclose(f);

	pid_t rx = ctl("l2cap listen 0x81 --to l2cap-b; l2cap recv --count 3 --timeout 30 "
		       "--to l2cap-b", "rx.out");
	char path[600];
	snprintf(path, sizeof path, "%s/rx.out", dir);
	cr_assert(th_file_contains(path, "listening on spsm 0x81", TH_DEADLINE_MS));

	char script[1200];
	snprintf(script, sizeof script,
		 "l2cap open 0x81 --to l2cap-a; l2cap send 0x40 68656c6c6f --to l2cap-a; "
		 "l2cap send 0x40 @%s --to l2cap-a; l2cap channels --to l2cap-a; "
		 "l2cap close 0x40 --to l2cap-a", file);
	pid_t tx = ctl(script, "tx.out");
	int tx_rc = ctl_wait(tx);
	int rx_rc = ctl_wait(rx);
	char *txo = out("tx.out"), *rxo = out("rx.out");
	cr_assert_eq(tx_rc, 0, "%s", txo);
	cr_assert_eq(rx_rc, 0, "%s", rxo);
	cr_assert(strstr(txo, "channel 0x0040:0x0040 open, peer mtu 2048"), "%s", txo);
	cr_assert(strstr(txo, "sent 5 bytes in 1 SDU(s)"), "%s", txo);
	cr_assert(strstr(txo, "sent 3000 bytes in 2 SDU(s)"), "%s", txo);
	cr_assert(strstr(txo, "0x0040:0x0040 0x81  open"), "%s", txo);
	cr_assert(strstr(rxo, "opened 0x0040:0x0040 spsm 0x81"), "%s", rxo);
	cr_assert(strstr(rxo, "sdu 0x0040:0x0040 len 5 68656c6c6f\n"), "%s", rxo);
	cr_assert(strstr(rxo, "len 2048 000102"), "%s", rxo);
	cr_assert(strstr(rxo, "len 952 "), "%s", rxo);
	free(txo);
	free(rxo);

	/* The peripheral asks; the central accepts and asks its host. */
	pid_t cu = ctl("l2cap conn-update 24 40 0 500 --to l2cap-b", "cu.out");
	cr_assert_eq(ctl_wait(cu), 0);
	char *cuo = out("cu.out");
	cr_assert(strstr(cuo, "accepted by the central"), "%s", cuo);
	free(cuo);
	const Hive__Envelope *e = lt_take(ha, HIVE__ENVELOPE__BODY_REQUEST, "update");
	cr_assert_eq(e->request->op_case, HIVE__REQUEST__OP_UPDATE_CONNECTION);
	cr_assert_eq(e->request->update_connection->interval_max, 40);

	/* Errors are reported and fail the script. */
	pid_t bad = ctl("l2cap send 0x55 00 --to l2cap-a", "bad.out");
	cr_assert_eq(ctl_wait(bad), 1);
}
