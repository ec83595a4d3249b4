/* What gatt keeps of bonds (gatt_bond.c): the GATT record of a bonded
 * peer's CCCDs made and restored byte for byte, refused whole when
 * malformed or made for another database, merged with CCCDs the link set
 * itself, and counters that never go back when smp's copy trails ours. */
#include <criterion/criterion.h>
#include <errno.h>
#include <string.h>

#include "../../actors/gatt/gatt_bond.h"

/* GATT's Service Changed value 0x0a (CCCD 0x0b); 0x14 notify (CCCD 0x15),
 * 0x17 indicate (CCCD 0x18), 0x1a read only. */
static const char *db_json =
	"{\"services\": [{\"uuid\": \"180d\", \"characteristics\": ["
	" {\"uuid\": \"2a37\", \"properties\": [\"notify\"], \"permissions\": [], \"value\": \"00\"},"
	" {\"uuid\": \"2a38\", \"properties\": [\"read\", \"indicate\"], \"permissions\": [\"read\"],"
	"  \"value\": \"01\"},"
	" {\"uuid\": \"2a39\", \"properties\": [\"read\"], \"permissions\": [\"read\"],"
	"  \"value\": \"02\"}]}]}";

struct fx {
	struct gatt_db *db;
	struct gatt_server *s;
	struct gatt_bonds b;
};

static const struct gatt_bond_addr local = { 0, { 1, 2, 3, 4, 5, 6 } };
static const struct gatt_bond_addr peer = { 1, { 6, 5, 4, 3, 2, 0xc1 } };

static void fx_init(struct fx *f, const char *json)
{
	char err[256] = "";
	memset(f, 0, sizeof *f);
	cr_assert_eq(gatt_db_load_json_string(&f->db, json, "test", err, sizeof err), 0, "%s", err);
	cr_assert_eq(gatt_server_new(&f->s, f->db, NULL), 0);
	gatt_bonds_init(&f->b, f->db, f->s);
	for (uint16_t c = 1; c <= 3; c++)
		cr_assert_eq(gatt_server_connect(f->s, c), 0);
}

static void fx_fini(struct fx *f)
{
	gatt_server_destroy(&f->s);
	gatt_db_destroy(&f->db);
}

/* Writes a CCCD as the peer would (a Write Request through the server). */
static void write_cccd(struct fx *f, uint16_t conn, uint16_t cccd, uint16_t v)
{
	struct att_outbox out;
	uint8_t pdu[] = { ATT_WRITE_REQ, (uint8_t)cccd, (uint8_t)(cccd >> 8), (uint8_t)v,
			  (uint8_t)(v >> 8) };
	att_outbox_reset(&out);
	cr_assert_eq(gatt_server_on_pdu(f->s, conn, pdu, sizeof pdu, &out), 0);
	cr_assert_eq(out.n_pdus, 1u);
	cr_assert_eq(out.pdus[0].pdu[0], ATT_WRITE_RSP, "CCCD 0x%04x refused", cccd);
}

Test(gatt_bond, record_round_trip)
{
	struct fx f;
	uint8_t rec[GATT_BOND_RECORD_MAX];
	fx_init(&f, db_json);
	write_cccd(&f, 1, 0x15, 1);
	write_cccd(&f, 1, 0x18, 2);
	write_cccd(&f, 1, 0x0b, 2);
	int n = gatt_bond_record(&f.b, 1, rec, sizeof rec);
	cr_assert_eq(n, 1 + 16 + 2 + 3 * 4);
	cr_assert_eq(rec[0], GATT_BOND_RECORD_VERSION);
	cr_assert_arr_eq(rec + 1, gatt_db_hash(f.db), 16);
	cr_assert_eq(rec[17], 3);
	uint8_t small[20];
	cr_assert_eq(gatt_bond_record(&f.b, 1, small, sizeof small), -EMSGSIZE);
	/* A new connection of the same peer gets them back. */
	int rc = gatt_bond_attach(&f.b, 2, &local, &peer, &(struct gatt_bond_keys){ 0 }, rec,
				  (size_t)n);
	cr_assert_eq(rc, 3, "attach: %d", rc);
	cr_assert_eq(gatt_server_cccd(f.s, 2, 0x14), 1);
	cr_assert_eq(gatt_server_cccd(f.s, 2, 0x17), 2);
	cr_assert_eq(gatt_server_cccd(f.s, 2, 0x0a), 2);
	cr_assert_not(gatt_bond_link(&f.b, 2)->record_dirty, "nothing new to store");
	cr_assert_eq(gatt_server_cccd(f.s, 3, 0x14), 0, "other connections are untouched");
	/* A CCCD written later makes the record be stored again. */
	write_cccd(&f, 2, 0x15, 0);
	gatt_bond_cccd_written(&f.b, 2);
	cr_assert(gatt_bond_link(&f.b, 2)->record_dirty);
	gatt_bond_cccd_written(&f.b, 3); /* not bonded: nothing */
	cr_assert_null(gatt_bond_link(&f.b, 3));
	fx_fini(&f);
}

Test(gatt_bond, malformed_records_apply_nothing)
{
	struct fx f;
	uint8_t rec[GATT_BOND_RECORD_MAX], bad[GATT_BOND_RECORD_MAX];
	fx_init(&f, db_json);
	write_cccd(&f, 1, 0x15, 1);
	write_cccd(&f, 1, 0x18, 2);
	int n = gatt_bond_record(&f.b, 1, rec, sizeof rec);
	cr_assert_gt(n, 0);
	for (int len = 0; len < n; len++)
		cr_assert_eq(gatt_bond_record_apply(&f.b, 2, rec, (size_t)len), -EBADMSG,
			     "a record cut at %d bytes", len);
	memcpy(bad, rec, (size_t)n);
	bad[n] = 0;
	cr_assert_eq(gatt_bond_record_apply(&f.b, 2, bad, (size_t)n + 1), -EBADMSG, "a byte too many");
	memcpy(bad, rec, (size_t)n);
	bad[0] = 2;
	cr_assert_eq(gatt_bond_record_apply(&f.b, 2, bad, (size_t)n), -EBADMSG, "another version");
	memcpy(bad, rec, (size_t)n);
	bad[n - 2] = 4; /* the last value: 4 is no CCCD value */
	cr_assert_eq(gatt_bond_record_apply(&f.b, 2, bad, (size_t)n), -EBADMSG);
	memcpy(bad, rec, (size_t)n);
	bad[n - 4] = 0x1a; /* a value handle without a CCCD */
	cr_assert_eq(gatt_bond_record_apply(&f.b, 2, bad, (size_t)n), -EBADMSG);
	memcpy(bad, rec, (size_t)n);
	bad[5] ^= 1; /* another database */
	cr_assert_eq(gatt_bond_record_apply(&f.b, 2, bad, (size_t)n), -ESTALE);
	cr_assert_eq(gatt_server_cccd(f.s, 2, 0x14), 0, "the first pair must not have been applied");
	cr_assert_eq(gatt_server_cccd(f.s, 2, 0x17), 0);
	/* Attached anyway, with a record to replace. */
	cr_assert_eq(gatt_bond_attach(&f.b, 2, &local, &peer, &(struct gatt_bond_keys){ 0 }, bad,
				      (size_t)n),
		     -ESTALE);
	cr_assert(gatt_bond_link(&f.b, 2)->record_dirty);
	fx_fini(&f);
}

/* A record made when the database was different is not applied: the
 * handles may mean something else now. */
Test(gatt_bond, record_of_another_database)
{
	struct fx f, g;
	uint8_t rec[GATT_BOND_RECORD_MAX];
	fx_init(&f, db_json);
	fx_init(&g, "{\"services\": [{\"uuid\": \"180d\", \"characteristics\": ["
		    " {\"uuid\": \"2a37\", \"properties\": [\"notify\"], \"permissions\": [],"
		    "  \"value\": \"00\"}]}]}");
	write_cccd(&f, 1, 0x15, 1);
	int n = gatt_bond_record(&f.b, 1, rec, sizeof rec);
	cr_assert_eq(gatt_bond_record_apply(&g.b, 1, rec, (size_t)n), -ESTALE);
	cr_assert_eq(gatt_server_cccd(g.s, 1, 0x14), 0);
	fx_fini(&f);
	fx_fini(&g);
}

/* CCCDs the link wrote before smp said it is bonded (it subscribed, then
 * paired) win over the record, and make a new record to store. */
Test(gatt_bond, merge_with_the_links_own_cccds)
{
	struct fx f;
	uint8_t rec[GATT_BOND_RECORD_MAX];
	fx_init(&f, db_json);
	write_cccd(&f, 1, 0x15, 1);
	int n = gatt_bond_record(&f.b, 1, rec, sizeof rec);
	write_cccd(&f, 2, 0x18, 2);
	write_cccd(&f, 2, 0x15, 0);
	cr_assert_eq(gatt_bond_attach(&f.b, 2, &local, &peer, &(struct gatt_bond_keys){ 0 }, rec,
				      (size_t)n),
		     1);
	cr_assert_eq(gatt_server_cccd(f.s, 2, 0x14), 1);
	cr_assert_eq(gatt_server_cccd(f.s, 2, 0x17), 2);
	cr_assert(gatt_bond_link(&f.b, 2)->record_dirty);
	/* No record and no CCCDs: nothing to store. */
	cr_assert_eq(gatt_bond_attach(&f.b, 3, &local, &peer, &(struct gatt_bond_keys){ 0 }, NULL, 0),
		     0);
	cr_assert_not(gatt_bond_link(&f.b, 3)->record_dirty);
	fx_fini(&f);
}

/* smp's counters may trail ours (our updates still on their way): a new
 * gatt_bond for the same bond and key never moves them back; a new key
 * (a new pairing) takes smp's. */
Test(gatt_bond, counters_never_go_back)
{
	struct fx f;
	fx_init(&f, db_json);
	struct gatt_bond_keys k = { .has_peer_csrk = true, .has_local_csrk = true,
				    .peer_counter = 10, .local_counter = 20 };
	memset(k.peer_csrk, 0x11, 16);
	memset(k.local_csrk, 0x22, 16);
	cr_assert_eq(gatt_bond_attach(&f.b, 1, &local, &peer, &k, NULL, 0), 0);
	struct gatt_bond_keys older = k;
	older.peer_counter = 4;
	older.local_counter = 5;
	cr_assert_eq(gatt_bond_attach(&f.b, 1, &local, &peer, &older, NULL, 0), 0);
	cr_assert_eq(gatt_bond_link(&f.b, 1)->keys.peer_counter, 10);
	cr_assert_eq(gatt_bond_link(&f.b, 1)->keys.local_counter, 20);
	struct gatt_bond_keys fresh = older;
	memset(fresh.peer_csrk, 0x33, 16);
	memset(fresh.local_csrk, 0x44, 16);
	cr_assert_eq(gatt_bond_attach(&f.b, 1, &local, &peer, &fresh, NULL, 0), 0);
	cr_assert_eq(gatt_bond_link(&f.b, 1)->keys.peer_counter, 4);
	cr_assert_eq(gatt_bond_link(&f.b, 1)->keys.local_counter, 5);
	gatt_bond_forget(&f.b, 1);
	cr_assert_null(gatt_bond_link(&f.b, 1));
	fx_fini(&f);
}

/* smp's word is checked against the host's: a bond announced before the
 * host's Connected waits for it and is applied only to that peer address;
 * a late one for a link gone never lands on a new link reusing the handle. */
Test(gatt_bond, admitted_only_for_the_same_link)
{
	struct fx f;
	fx_init(&f, db_json);
	struct gatt_bond_keys k = { 0 };
	const struct gatt_bond_addr a = { 0, { 1, 1, 1, 1, 1, 1 } }, other = { 0, { 2, 2, 2, 2, 2, 2 } };
	/* Known connection, address not known (a restarted gatt): applied. */
	cr_assert_eq(gatt_bond_admit(&f.b, 1, true, &a, &local, &peer, &k, NULL, 0), 1);
	/* Known with its address: the same peer is, another is not. */
	cr_assert_null(gatt_bond_link_up(&f.b, 1, &a));
	cr_assert_eq(gatt_bond_admit(&f.b, 1, true, &a, &local, &peer, &k, NULL, 0), 1);
	cr_assert_eq(gatt_bond_admit(&f.b, 1, true, &other, &local, &peer, &k, NULL, 0), -ESTALE);
	/* Not known yet: parked, handed back by the Connected of that peer. */
	uint8_t rec[4] = { 9, 9, 9, 9 };
	cr_assert_eq(gatt_bond_admit(&f.b, 5, false, &a, &local, &peer, &k, rec, 4), 0);
	struct gatt_bond_parked *p = gatt_bond_link_up(&f.b, 5, &a);
	cr_assert_not_null(p);
	cr_assert(p->len == 4 && !memcmp(p->record, rec, 4) && !memcmp(&p->peer, &peer, sizeof peer));
	p->used = false;
	/* Parked for a link gone, then the handle comes back with another
	 * peer: dropped. */
	cr_assert_eq(gatt_bond_admit(&f.b, 6, false, &a, &local, &peer, &k, NULL, 0), 0);
	cr_assert_null(gatt_bond_link_up(&f.b, 6, &other));
	cr_assert_null(gatt_bond_link_up(&f.b, 6, &a), "the dropped bond must not come back");
	/* Disconnection forgets the address and anything parked. */
	cr_assert_eq(gatt_bond_admit(&f.b, 7, false, &a, &local, &peer, &k, NULL, 0), 0);
	gatt_bond_forget(&f.b, 7);
	cr_assert_null(gatt_bond_link_up(&f.b, 7, &a));
	gatt_bond_forget(&f.b, 1);
	cr_assert_eq(gatt_bond_admit(&f.b, 1, true, &other, &local, &peer, &k, NULL, 0), 1);
	fx_fini(&f);
}
