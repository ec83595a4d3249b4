/* The bond store: write, read, replace, delete, list; WAL on; a bond is
 * all or nothing across a crash in the middle of its transaction; clear
 * errors when the file cannot be used. */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "harness.h"
#include "../../actors/smp/smp_bonds.h"

static char *dir;
static char path[600];

static void setup(void)
{
	dir = th_run_dir();
	cr_assert_not_null(dir);
	snprintf(path, sizeof path, "%s/bonds.sqlite3", dir);
}

static void teardown(void)
{
	th_cleanup();
	free(dir);
}

TestSuite(smp_bonds, .init = setup, .fini = teardown, .timeout = 60);

static struct smp_bond sample(uint8_t tag)
{
	struct smp_bond b;
	memset(&b, 0, sizeof b);
	b.local = (struct smp_addr){ 0, { 0x11, 0x22, 0x33, 0x44, 0x55, 0x66 } };
	b.peer = (struct smp_addr){ 1, { 0xc0, 0x01, 0x02, 0x03, 0x04, tag } };
	b.key_size = 16;
	b.authenticated = true;
	b.has_local_ltk = b.has_peer_ltk = b.has_peer_irk = b.has_peer_csrk = true;
	for (int i = 0; i < 16; i++) {
		b.local_ltk[i] = (uint8_t)(tag + i);
		b.peer_ltk[i] = (uint8_t)(0x40 + tag + i);
		b.peer_irk[i] = (uint8_t)(0x80 + i);
		b.peer_csrk[i] = (uint8_t)(0xa0 + i);
	}
	b.local_ediv = 0x1234;
	b.local_rand = 0xfedcba9876543210ull;
	b.peer_ediv = 0xbeef;
	b.peer_rand = 0x0123456789abcdefull;
	b.peer_sign_counter = 7;
	return b;
}

static struct smp_bonds *open_store(void)
{
	char err[256];
	struct smp_bonds *s = NULL;
	int rc = smp_bonds_open(&s, path, err, sizeof err);
	cr_assert_eq(rc, 0, "%s", err);
	return s;
}

Test(smp_bonds, write_read_replace_delete)
{
	struct smp_bonds *s = open_store();
	cr_assert(smp_bonds_wal(s), "journal mode is not WAL");
	struct smp_bond b = sample(1), got;
	cr_assert_eq(smp_bonds_get(s, &b.local, &b.peer, &got), -ENOENT);
	cr_assert_eq(smp_bonds_put(s, &b), 0);
	cr_assert_eq(smp_bonds_get(s, &b.local, &b.peer, &got), 0);
	cr_assert_eq(memcmp(got.local_ltk, b.local_ltk, 16), 0);
	cr_assert_eq(memcmp(got.peer_ltk, b.peer_ltk, 16), 0);
	cr_assert_eq(memcmp(got.peer_irk, b.peer_irk, 16), 0);
	cr_assert_eq(got.local_ediv, 0x1234);
	cr_assert_eq(got.local_rand, 0xfedcba9876543210ull, "64-bit Rand kept exactly");
	cr_assert_eq(got.peer_rand, 0x0123456789abcdefull);
	cr_assert(got.has_peer_csrk && !got.has_local_csrk && got.authenticated && !got.sc);
	cr_assert_eq(got.peer_sign_counter, 7);
	cr_assert_eq(got.peer.type, 1);

	/* Same peer again: replaced, not added. */
	b.sc = true;
	cr_assert_eq(smp_bonds_put(s, &b), 0);
	struct smp_bond other = sample(2);
	cr_assert_eq(smp_bonds_put(s, &other), 0);
	struct smp_bond list[4];
	cr_assert_eq(smp_bonds_list(s, NULL, list, 4), 2);
	cr_assert_eq(smp_bonds_list(s, &b.local, list, 4), 2);
	cr_assert_eq(smp_bonds_get(s, &b.local, &b.peer, &got), 0);
	cr_assert(got.sc);

	cr_assert_eq(smp_bonds_set_counters(s, &b.local, &b.peer, 3, 9), 0);
	cr_assert_eq(smp_bonds_get(s, &b.local, &b.peer, &got), 0);
	cr_assert_eq(got.local_sign_counter, 3);
	cr_assert_eq(got.peer_sign_counter, 9);

	cr_assert_eq(smp_bonds_delete(s, NULL, &b.peer), 1);
	cr_assert_eq(smp_bonds_delete(s, NULL, &b.peer), 0);
	cr_assert_eq(smp_bonds_list(s, NULL, list, 4), 1);
	smp_bonds_close(&s);
	cr_assert_null(s);
	smp_bonds_close(&s);

	/* Survives closing. */
	s = open_store();
	cr_assert_eq(smp_bonds_get(s, &other.local, &other.peer, &got), 0);
	smp_bonds_close(&s);
}

static void fill(void *arg, void *buf, size_t n)
{
	(*(unsigned *)arg)++;
	memset(buf, 0x5a + (int)*(unsigned *)arg, n);
}

Test(smp_bonds, local_keys_made_once)
{
	struct smp_bonds *s = open_store();
	struct smp_addr me = { 0, { 1, 2, 3, 4, 5, 6 } };
	uint8_t irk[16], csrk[16], irk2[16], csrk2[16];
	unsigned calls = 0;
	cr_assert_eq(smp_bonds_local_keys(s, &me, fill, &calls, irk, csrk), 0);
	cr_assert_eq(calls, 2);
	smp_bonds_close(&s);
	s = open_store();
	cr_assert_eq(smp_bonds_local_keys(s, &me, fill, &calls, irk2, csrk2), 0);
	cr_assert_eq(calls, 2, "made again instead of read");
	cr_assert_eq(memcmp(irk, irk2, 16), 0);
	cr_assert_eq(memcmp(csrk, csrk2, 16), 0);
	smp_bonds_close(&s);
}

/* A process that dies between writing a bond's row and COMMIT leaves the
 * store as it was: the old bond whole, the new one absent. */
Test(smp_bonds, crash_mid_write_leaves_no_half_bond)
{
	struct smp_bonds *s = open_store();
	struct smp_bond old = sample(1);
	cr_assert_eq(smp_bonds_put(s, &old), 0);
	smp_bonds_close(&s);

	pid_t pid = fork();
	cr_assert_geq(pid, 0);
	if (pid == 0) {
		char err[256];
		struct smp_bonds *c = NULL;
		if (smp_bonds_open(&c, path, err, sizeof err) < 0)
			_exit(1);
		struct smp_bond changed = sample(1), added = sample(3);
		changed.sc = true;
		memset(changed.peer_ltk, 0xee, 16);
		smp_bonds_crash_before_commit(c);
		smp_bonds_put(c, &changed); /* dies here */
		(void)added;
		_exit(0);
	}
	int status = th_wait_exit(pid, TH_DEADLINE_MS);
	cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 3, "the child did not crash "
		  "mid-write (status %d)", status);

	s = open_store();
	struct smp_bond got;
	cr_assert_eq(smp_bonds_get(s, &old.local, &old.peer, &got), 0);
	cr_assert_not(got.sc, "half of the new bond is visible");
	cr_assert_eq(memcmp(got.peer_ltk, old.peer_ltk, 16), 0);
	struct smp_bond list[4];
	cr_assert_eq(smp_bonds_list(s, NULL, list, 4), 1);
	/* And the store is writable again. */
	struct smp_bond next = sample(4);
	cr_assert_eq(smp_bonds_put(s, &next), 0);
	cr_assert_eq(smp_bonds_list(s, NULL, list, 4), 2);
	smp_bonds_close(&s);
}

Test(smp_bonds, unusable_file_is_a_clear_error)
{
	char err[256] = "";
	struct smp_bonds *s = NULL;
	char bad[700];
	snprintf(bad, sizeof bad, "%s/no/such/dir/bonds.sqlite3", dir);
	cr_assert_lt(smp_bonds_open(&s, bad, err, sizeof err), 0);
	cr_assert_null(s);
	cr_assert(strstr(err, bad), "the error names the file: %s", err);

	snprintf(bad, sizeof bad, "%s/garbage", dir);
	FILE *f = fopen(bad, "w");
	fputs("this is not an SQLite database, not at all, really not.........", f);
	fclose(f);
	cr_assert_lt(smp_bonds_open(&s, bad, err, sizeof err), 0);
	cr_assert(strstr(err, "garbage"), "%s", err);
}

Test(smp_bonds, address_text)
{
	struct smp_addr a;
	char buf[40];
	cr_assert_eq(smp_addr_parse("random:C0:01:02:03:04:05", &a), 0);
	cr_assert_eq(a.type, 1);
	cr_assert_eq(a.a[0], 0xc0);
	cr_assert_eq(a.a[5], 0x05);
	smp_addr_format(&a, buf, sizeof buf);
	cr_assert_str_eq(buf, "random:C0:01:02:03:04:05");
	cr_assert_eq(smp_addr_parse("11:22:33:44:55:66", &a), 0);
	cr_assert_eq(a.type, 0);
	cr_assert_lt(smp_addr_parse("11:22:33:44:55", &a), 0);
	cr_assert_lt(smp_addr_parse("11:22:33:44:55:66:77", &a), 0);
	cr_assert_lt(smp_addr_parse("bogus:11:22:33:44:55:66", &a), 0);
}

/* The GATT record (gatt's CCCDs of a bonded peer) lives in the bond's row:
 * written in one statement, read back byte for byte, kept when a new
 * pairing writes the bond again, gone with the bond, refused for a peer
 * that has no bond, and visible to a second connection to the file (what
 * a restarted smp sees). */
Test(smp_bonds, gatt_record_with_the_bond)
{
	struct smp_bonds *s = open_store();
	struct smp_bond b = sample(3);
	uint8_t rec[40], got[64];
	for (size_t i = 0; i < sizeof rec; i++)
		rec[i] = (uint8_t)(0x30 + i);
	cr_assert_eq(smp_bonds_set_gatt(s, &b.local, &b.peer, rec, sizeof rec), -ENOENT,
		     "a record without a bond must be refused");
	cr_assert_eq(smp_bonds_put(s, &b), 0);
	cr_assert_eq(smp_bonds_get_gatt(s, &b.local, &b.peer, got, sizeof got), 0, "no record yet");
	cr_assert_eq(smp_bonds_set_gatt(s, &b.local, &b.peer, rec, sizeof rec), 0);
	cr_assert_eq(smp_bonds_get_gatt(s, &b.local, &b.peer, got, sizeof got), (int)sizeof rec);
	cr_assert_eq(memcmp(got, rec, sizeof rec), 0);
	cr_assert_eq(smp_bonds_get_gatt(s, &b.local, &b.peer, got, 8), -EMSGSIZE);

	/* Another process (a restarted smp) reads it. */
	struct smp_bonds *s2 = open_store();
	cr_assert_eq(smp_bonds_get_gatt(s2, &b.local, &b.peer, got, sizeof got), (int)sizeof rec);
	smp_bonds_close(&s2);

	/* Pairing again with the same peer keeps the record. */
	b.key_size = 7;
	cr_assert_eq(smp_bonds_put(s, &b), 0);
	cr_assert_eq(smp_bonds_get_gatt(s, &b.local, &b.peer, got, sizeof got), (int)sizeof rec);

	uint8_t big[SMP_BONDS_GATT_MAX + 1] = { 0 };
	cr_assert_eq(smp_bonds_set_gatt(s, &b.local, &b.peer, big, sizeof big), -EMSGSIZE);
	cr_assert_eq(smp_bonds_get_gatt(s, &b.local, &b.peer, got, sizeof got), (int)sizeof rec,
		     "a refused record must leave the old one");

	cr_assert_eq(smp_bonds_delete(s, &b.local, &b.peer), 1);
	cr_assert_eq(smp_bonds_get_gatt(s, &b.local, &b.peer, got, sizeof got), -ENOENT);
	cr_assert_eq(smp_bonds_put(s, &b), 0);
	cr_assert_eq(smp_bonds_get_gatt(s, &b.local, &b.peer, got, sizeof got), 0,
		     "a bond made after the delete must not inherit the old record");
	smp_bonds_close(&s);
}

/* A crash in the middle of another bond's write leaves the committed
 * record of a bond intact. */
Test(smp_bonds, gatt_record_survives_a_crash)
{
	struct smp_bonds *s = open_store();
	struct smp_bond b = sample(4), c = sample(5);
	uint8_t rec[4] = { 1, 2, 3, 4 }, got[8];
	cr_assert_eq(smp_bonds_put(s, &b), 0);
	cr_assert_eq(smp_bonds_set_gatt(s, &b.local, &b.peer, rec, sizeof rec), 0);
	smp_bonds_close(&s);
	pid_t pid = fork();
	cr_assert(pid >= 0);
	if (pid == 0) {
		struct smp_bonds *t = NULL;
		char err[128];
		if (smp_bonds_open(&t, path, err, sizeof err) < 0)
			_exit(1);
		smp_bonds_crash_before_commit(t);
		c.peer = b.peer; /* rewriting the same bond */
		c.key_size = 9;
		smp_bonds_put(t, &c);
		_exit(0);
	}
	int st;
	cr_assert_eq(waitpid(pid, &st, 0), pid);
	cr_assert(WIFEXITED(st) && WEXITSTATUS(st) == 3, "the child did not crash mid-write");
	s = open_store();
	struct smp_bond got_b;
	cr_assert_eq(smp_bonds_get(s, &b.local, &b.peer, &got_b), 0);
	cr_assert_eq(got_b.key_size, 16, "the half-written bond must not be seen");
	cr_assert_eq(smp_bonds_get_gatt(s, &b.local, &b.peer, got, sizeof got), 4);
	cr_assert_eq(memcmp(got, rec, 4), 0);
	smp_bonds_close(&s);
}

/* Two stacks (two local identities) sharing one file bond with the same
 * peer: each sees, updates and deletes only its own bond and record. */
Test(smp_bonds, two_local_identities)
{
	struct smp_bonds *s = open_store();
	struct smp_bond a = sample(6), b = sample(6);
	b.local = (struct smp_addr){ 1, { 0xc1, 0xaa, 0xbb, 0xcc, 0xdd, 0xee } };
	b.key_size = 12;
	uint8_t ra[2] = { 0xa, 0xa }, rb[3] = { 0xb, 0xb, 0xb }, got[8];
	struct smp_bond list[4], one;
	cr_assert_eq(smp_bonds_put(s, &a), 0);
	cr_assert_eq(smp_bonds_put(s, &b), 0);
	cr_assert_eq(smp_bonds_list(s, NULL, list, 4), 2);
	cr_assert_eq(smp_bonds_list(s, &a.local, list, 4), 1);
	cr_assert_eq(memcmp(&list[0].local, &a.local, sizeof a.local), 0);
	cr_assert_eq(smp_bonds_list(s, &b.local, list, 4), 1);
	cr_assert_eq(list[0].key_size, 12);
	cr_assert_eq(smp_bonds_get(s, &a.local, &a.peer, &one), 0);
	cr_assert_eq(one.key_size, 16);
	cr_assert_eq(smp_bonds_set_gatt(s, &a.local, &a.peer, ra, sizeof ra), 0);
	cr_assert_eq(smp_bonds_set_gatt(s, &b.local, &b.peer, rb, sizeof rb), 0);
	cr_assert_eq(smp_bonds_get_gatt(s, &a.local, &a.peer, got, sizeof got), 2);
	cr_assert_eq(smp_bonds_get_gatt(s, &b.local, &b.peer, got, sizeof got), 3);
	cr_assert_eq(smp_bonds_set_counters(s, &b.local, &b.peer, 5, 9), 0);
	cr_assert_eq(smp_bonds_get(s, &a.local, &a.peer, &one), 0);
	cr_assert_eq(one.peer_sign_counter, 7, "the other stack's counters must not move");
	/* Stack b knows its identity: unqualified lists and deletes are its own. */
	smp_bonds_set_scope(s, &b.local);
	cr_assert_eq(smp_bonds_list(s, NULL, list, 4), 1);
	cr_assert_eq(memcmp(&list[0].local, &b.local, sizeof b.local), 0);
	cr_assert_eq(smp_bonds_delete(s, NULL, &b.peer), 1, "only b's bond with that peer");
	cr_assert_eq(smp_bonds_list(s, NULL, list, 4), 0);
	smp_bonds_set_scope(s, NULL);
	cr_assert_eq(smp_bonds_list(s, NULL, list, 4), 1);
	cr_assert_eq(smp_bonds_get_gatt(s, &a.local, &a.peer, got, sizeof got), 2);
	cr_assert_eq(smp_bonds_get(s, &b.local, &b.peer, &one), -ENOENT);
	smp_bonds_close(&s);
}
