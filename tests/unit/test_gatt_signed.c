/* Signed Write Command (Core Vol 3 Part F 3.4.5.4, Part C 10.4, Part H
 * 2.4.5) as PDU scripts through the GATT server with the real verifier
 * (gatt_bond.c, AES-CMAC from smp_crypto.c): a good signature is applied,
 * a bad one, a replayed or lower counter, an unknown peer, a PDU too short,
 * an encrypted link and a characteristic without the property are ignored
 * (commands get no answer). Also the signing function against a published
 * vector, and our own signer verified by our server. */
#include <criterion/criterion.h>
#include <errno.h>
#include <string.h>

#include "../../actors/gatt/gatt_bond.h"
#include "../../actors/gatt/gatt_sign.h"

/* GAP 0x01-0x07, GATT 0x08-0x11, then a service 0x12: characteristic 0x13,
 * value 0x14 (signed writes allowed), CCCD 0x15; characteristic 0x16, value
 * 0x17 (write without response only). */
static const char *db_json =
	"{\"services\": [{\"uuid\": \"1815\", \"characteristics\": ["
	" {\"uuid\": \"2a56\", \"properties\": [\"read\", \"write_without_response\", \"notify\","
	"  \"authenticated_signed_writes\"], \"permissions\": [\"read\", \"write\"],"
	"  \"max_length\": 64, \"value\": \"00\"},"
	" {\"uuid\": \"2a57\", \"properties\": [\"read\", \"write_without_response\"],"
	"  \"permissions\": [\"read\", \"write\"], \"max_length\": 64, \"value\": \"00\"}]}]}";

static const uint8_t csrk[16] = { 0x10, 0x21, 0x32, 0x43, 0x54, 0x65, 0x76, 0x87,
				  0x98, 0xa9, 0xba, 0xcb, 0xdc, 0xed, 0xfe, 0x0f };

struct fx {
	struct gatt_db *db;
	struct gatt_server *s;
	struct gatt_bonds bonds;
	struct att_outbox out;
};

static void fx_init(struct fx *f)
{
	char err[256] = "";
	memset(f, 0, sizeof *f);
	cr_assert_eq(gatt_db_load_json_string(&f->db, db_json, "test", err, sizeof err), 0, "%s",
		     err);
	struct gatt_server_config c = { .verify_signed = gatt_bond_verify_signed,
					.verify_arg = &f->bonds };
	cr_assert_eq(gatt_server_new(&f->s, f->db, &c), 0);
	gatt_bonds_init(&f->bonds, f->db, f->s);
	cr_assert_eq(gatt_server_connect(f->s, 1), 0);
	cr_assert_eq(gatt_server_connect(f->s, 2), 0);
	struct gatt_bond_addr local = { 0, { 1, 2, 3, 4, 5, 6 } };
	struct gatt_bond_addr peer = { 1, { 6, 5, 4, 3, 2, 0xc1 } };
	struct gatt_bond_keys k = { .has_peer_csrk = true };
	memcpy(k.peer_csrk, csrk, 16);
	cr_assert_eq(gatt_bond_attach(&f->bonds, 1, &local, &peer, &k, NULL, 0), 0);
}

static void fx_fini(struct fx *f)
{
	gatt_server_destroy(&f->s);
	gatt_db_destroy(&f->db);
}

/* A Signed Write Command for handle with value, signed with key and counter. */
static size_t signed_pdu(uint8_t *pdu, uint16_t handle, const char *value, const uint8_t key[16],
			 uint32_t counter)
{
	size_t n = strlen(value);
	pdu[0] = ATT_SIGNED_WRITE_CMD;
	pdu[1] = (uint8_t)handle;
	pdu[2] = (uint8_t)(handle >> 8);
	memcpy(pdu + 3, value, n);
	cr_assert_eq(gatt_sign(key, counter, pdu, 3 + n, pdu + 3 + n), 0);
	return 3 + n + GATT_SIGNATURE_LEN;
}

/* Feeds a PDU: a command is never answered; returns whether the value was
 * written (a GATT_EV_WRITE for handle). */
static bool feed(struct fx *f, uint16_t conn, const uint8_t *pdu, size_t len, uint16_t handle)
{
	att_outbox_reset(&f->out);
	cr_assert_eq(gatt_server_on_pdu(f->s, conn, pdu, len, &f->out), 0);
	cr_assert_eq(f->out.n_pdus, 0u, "a command must never be answered");
	for (unsigned i = 0; i < f->out.n_events; i++)
		if (f->out.events[i].type == GATT_EV_WRITE && f->out.events[i].handle == handle)
			return true;
	return false;
}

static void value_is(struct fx *f, uint16_t handle, const char *want)
{
	const struct gatt_attr *a = gatt_db_get(f->db, handle);
	cr_assert_not_null(a);
	cr_assert(a->len == strlen(want) && !memcmp(a->value, want, a->len),
		  "value of 0x%04x is %.*s, want %s", handle, (int)a->len, (const char *)a->value,
		  want);
}

/* The value of 0x14 as the database began: one zero octet. */
static void value_is_zero(struct fx *f)
{
	const struct gatt_attr *a = gatt_db_get(f->db, 0x14);
	cr_assert(a && a->len == 1 && a->value[0] == 0, "0x0014 was written");
}

/* BlueZ's unit/test-crypto.c sign_att_5: CSRK 50 5e ... 61 (least
 * significant first), m = d2 12 00 13 37, SignCounter 1. */
Test(gatt_signed, signature_matches_the_published_vector)
{
	static const uint8_t key[16] = { 0x50, 0x5E, 0x42, 0xDF, 0x96, 0x91, 0xEC, 0x72,
					 0xD3, 0x1F, 0xCD, 0xFB, 0xEB, 0x64, 0x1B, 0x61 };
	static const uint8_t m[] = { 0xd2, 0x12, 0x00, 0x13, 0x37 };
	static const uint8_t want[12] = { 0x01, 0x00, 0x00, 0x00, 0xF1, 0x87,
					  0x1E, 0x93, 0x3C, 0x90, 0x0F, 0xf2 };
	uint8_t sig[12], pdu[sizeof m + 12];
	uint32_t counter = 0;
	cr_assert_eq(gatt_sign(key, 1, m, sizeof m, sig), 0);
	cr_assert_arr_eq(sig, want, 12);
	memcpy(pdu, m, sizeof m);
	memcpy(pdu + sizeof m, sig, 12);
	cr_assert(gatt_sign_verify(key, pdu, sizeof pdu, &counter));
	cr_assert_eq(counter, 1);
	pdu[sizeof m + 11] ^= 0x80;
	cr_assert_not(gatt_sign_verify(key, pdu, sizeof pdu, &counter));
}

Test(gatt_signed, good_signature_is_applied)
{
	struct fx f;
	uint8_t pdu[64];
	fx_init(&f);
	size_t n = signed_pdu(pdu, 0x14, "AB", csrk, 0);
	cr_assert(feed(&f, 1, pdu, n, 0x14));
	value_is(&f, 0x14, "AB");
	struct gatt_bond_link *l = gatt_bond_link(&f.bonds, 1);
	cr_assert_eq(l->keys.peer_counter, 1, "the next acceptable counter");
	cr_assert(l->counters_dirty, "smp must be told to store the counter");
	n = signed_pdu(pdu, 0x14, "CDE", csrk, 7); /* counters may jump */
	cr_assert(feed(&f, 1, pdu, n, 0x14));
	value_is(&f, 0x14, "CDE");
	cr_assert_eq(l->keys.peer_counter, 8);
	fx_fini(&f);
}

Test(gatt_signed, bad_signature_is_ignored)
{
	struct fx f;
	uint8_t pdu[64], other[16];
	fx_init(&f);
	size_t n = signed_pdu(pdu, 0x14, "AB", csrk, 0);
	pdu[n - 1] ^= 0x01; /* one bit of the MAC */
	cr_assert_not(feed(&f, 1, pdu, n, 0x14));
	n = signed_pdu(pdu, 0x14, "AB", csrk, 0);
	pdu[3] = 'X'; /* the value changed after signing */
	cr_assert_not(feed(&f, 1, pdu, n, 0x14));
	memcpy(other, csrk, 16);
	other[0] ^= 1;
	n = signed_pdu(pdu, 0x14, "AB", other, 0); /* another key */
	cr_assert_not(feed(&f, 1, pdu, n, 0x14));
	n = signed_pdu(pdu, 0x14, "AB", csrk, 0);
	pdu[n - 12] = 1; /* the counter changed after signing */
	cr_assert_not(feed(&f, 1, pdu, n, 0x14));
	value_is_zero(&f);
	cr_assert_eq(gatt_bond_link(&f.bonds, 1)->keys.peer_counter, 0);
	cr_assert_eq(f.bonds.signed_rejected, 4);
	fx_fini(&f);
}

Test(gatt_signed, replayed_or_lower_counter_is_ignored)
{
	struct fx f;
	uint8_t pdu[64], old[64];
	fx_init(&f);
	size_t n = signed_pdu(pdu, 0x14, "one", csrk, 5);
	cr_assert(feed(&f, 1, pdu, n, 0x14));
	memcpy(old, pdu, n);
	cr_assert_not(feed(&f, 1, old, n, 0x14), "the same PDU again must be ignored");
	size_t m = signed_pdu(pdu, 0x14, "two", csrk, 4);
	cr_assert_not(feed(&f, 1, pdu, m, 0x14), "a lower counter must be ignored");
	value_is(&f, 0x14, "one");
	m = signed_pdu(pdu, 0x14, "six", csrk, 6);
	cr_assert(feed(&f, 1, pdu, m, 0x14));
	value_is(&f, 0x14, "six");
	fx_fini(&f);
}

Test(gatt_signed, unknown_peer_is_ignored)
{
	struct fx f;
	uint8_t pdu[64];
	fx_init(&f);
	size_t n = signed_pdu(pdu, 0x14, "AB", csrk, 0);
	cr_assert_not(feed(&f, 2, pdu, n, 0x14), "conn 2 is not bonded");
	/* Bonded, but no CSRK was distributed. */
	struct gatt_bond_addr local = { 0, { 1, 2, 3, 4, 5, 6 } }, peer = { 0, { 9, 9, 9, 9, 9, 9 } };
	struct gatt_bond_keys none = { 0 };
	cr_assert_eq(gatt_bond_attach(&f.bonds, 2, &local, &peer, &none, NULL, 0), 0);
	cr_assert_not(feed(&f, 2, pdu, n, 0x14));
	/* After the bond was deleted its key is gone. */
	gatt_bond_unbind(&f.bonds, 2);
	cr_assert_null(gatt_bond_link(&f.bonds, 2));
	/* After the link went down its key is gone. */
	gatt_bond_forget(&f.bonds, 1);
	cr_assert_not(feed(&f, 1, pdu, n, 0x14));
	value_is_zero(&f);
	fx_fini(&f);
}

Test(gatt_signed, too_short_is_ignored)
{
	struct fx f;
	uint8_t pdu[64];
	fx_init(&f);
	size_t n = signed_pdu(pdu, 0x14, "", csrk, 0); /* 15 bytes: the shortest valid */
	for (size_t len = 0; len < n; len++)
		cr_assert_not(len && feed(&f, 1, pdu, len, 0x14), "a %zu-byte PDU was applied", len);
	cr_assert_not(gatt_sign_verify(csrk, pdu, 14, &(uint32_t){ 0 }));
	cr_assert(feed(&f, 1, pdu, n, 0x14), "the 15-byte PDU with an empty value is good");
	value_is(&f, 0x14, "");
	fx_fini(&f);
}

Test(gatt_signed, encrypted_link_or_property_missing_is_ignored)
{
	struct fx f;
	uint8_t pdu[64];
	fx_init(&f);
	size_t n = signed_pdu(pdu, 0x17, "AB", csrk, 0);
	cr_assert_not(feed(&f, 1, pdu, n, 0x17), "0x17 has no authenticated_signed_writes");
	struct gatt_security sec = { .encrypted = true, .key_size = 16, .has_ltk = true };
	cr_assert_eq(gatt_server_set_security(f.s, 1, &sec), 0);
	n = signed_pdu(pdu, 0x14, "AB", csrk, 1);
	cr_assert_not(feed(&f, 1, pdu, n, 0x14), "signed writes are for unencrypted links");
	value_is_zero(&f);
	fx_fini(&f);
}

/* Our client's signer (gatt_bond_sign, the local CSRK and counter) makes
 * PDUs the server accepts, with a fresh counter each time. */
Test(gatt_signed, our_signer_verified_by_our_server)
{
	struct fx f;
	struct gatt_bonds client;
	uint8_t pdu[64];
	fx_init(&f);
	gatt_bonds_init(&client, f.db, f.s);
	struct gatt_bond_addr local = { 1, { 6, 5, 4, 3, 2, 0xc1 } }, peer = { 0, { 1, 2, 3, 4, 5, 6 } };
	struct gatt_bond_keys k = { .has_local_csrk = true, .local_counter = 3 };
	memcpy(k.local_csrk, csrk, 16);
	cr_assert_eq(gatt_bond_attach(&client, 9, &local, &peer, &k, NULL, 0), 0);
	uint8_t sig[ATT_SIGNATURE_LEN];
	cr_assert_eq(gatt_bond_sign(&client, 8, pdu, 3, sig), -ENOKEY, "no bond on conn 8");
	for (int i = 0; i < 2; i++) {
		pdu[0] = ATT_SIGNED_WRITE_CMD;
		pdu[1] = 0x14;
		pdu[2] = 0x00;
		pdu[3] = (uint8_t)('a' + i);
		cr_assert_eq(gatt_bond_sign(&client, 9, pdu, 4, pdu + 4), 0);
		cr_assert_eq(pdu[4], 3 + i, "the SignCounter rides in the signature");
		cr_assert(feed(&f, 1, pdu, 16, 0x14));
	}
	cr_assert_eq(gatt_bond_link(&client, 9)->keys.local_counter, 5);
	cr_assert(gatt_bond_link(&client, 9)->counters_dirty);
	fx_fini(&f);
}
