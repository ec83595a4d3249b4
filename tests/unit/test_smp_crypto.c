/* The SMP toolbox against the Core specification's sample data (Vol 3 Part H
 * Appendix D) and RFC 4493, read at test time from
 * /work/shared/vectors/smp-crypto.json: $HIVE_VECTORS_DIR/smp-crypto.json,
 * else ../shared/vectors/smp-crypto.json from the repository root. Every
 * hex string there is most significant octet first, like our API. */
#include <criterion/criterion.h>
#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../actors/smp/smp_crypto.h"

static json_t *vectors(void)
{
	const char *dir = getenv("HIVE_VECTORS_DIR");
	char path[1024];
	json_error_t err;
	json_t *j = NULL;
	if (dir) {
		snprintf(path, sizeof path, "%s/smp-crypto.json", dir);
		j = json_load_file(path, 0, &err);
	}
	if (!j)
		j = json_load_file("../shared/vectors/smp-crypto.json", 0, &err);
	if (!j)
		j = json_load_file("/work/shared/vectors/smp-crypto.json", 0, &err);
	cr_assert_not_null(j, "smp-crypto.json not found: set HIVE_VECTORS_DIR");
	return j;
}

/* Hex of the field key of object o into out; returns the length in octets. */
static size_t hex(json_t *o, const char *key, uint8_t *out, size_t cap)
{
	json_t *v = json_object_get(o, key);
	cr_assert(json_is_string(v), "missing %s", key);
	const char *s = json_string_value(v);
	size_t n = strlen(s) / 2;
	cr_assert(n <= cap && strlen(s) % 2 == 0, "bad hex %s", key);
	for (size_t i = 0; i < n; i++) {
		unsigned b;
		cr_assert_eq(sscanf(s + 2 * i, "%2x", &b), 1);
		out[i] = (uint8_t)b;
	}
	return n;
}

static json_t *section(json_t *j, const char *name)
{
	json_t *o = json_object_get(j, name);
	cr_assert_not_null(o, "no section %s", name);
	return o;
}

#define EXPECT(o, key, got, n)                                                  \
	do {                                                                    \
		uint8_t want_[64];                                              \
		cr_assert_eq(hex((o), (key), want_, sizeof want_), (size_t)(n)); \
		cr_assert_arr_eq(got, want_, n, "%s differs", key);             \
	} while (0)

Test(smp_crypto, aes_cmac_rfc4493)
{
	json_t *j = vectors();
	json_t *list = section(j, "aes_cmac"), *o;
	size_t i;
	cr_assert_eq(json_array_size(list), 4);
	json_array_foreach(list, i, o) {
		uint8_t k[16], m[64], mac[16];
		hex(o, "key", k, 16);
		size_t n = hex(o, "message", m, sizeof m);
		cr_assert_eq(smp_aes_cmac(k, m, n, mac), 0);
		EXPECT(o, "mac", mac, 16);
	}
	json_decref(j);
}

Test(smp_crypto, e_fips197)
{
	/* FIPS-197 C.1 AES-128. */
	static const uint8_t k[16] = { 0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07,
				       0x08, 0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x0e, 0x0f };
	static const uint8_t p[16] = { 0x00, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77,
				       0x88, 0x99, 0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0xff };
	static const uint8_t c[16] = { 0x69, 0xc4, 0xe0, 0xd8, 0x6a, 0x7b, 0x04, 0x30,
				       0xd8, 0xcd, 0xb7, 0x80, 0x70, 0xb4, 0xc5, 0x5a };
	uint8_t out[16];
	cr_assert_eq(smp_e(k, p, out), 0);
	cr_assert_arr_eq(out, c, 16);
}

Test(smp_crypto, c1)
{
	json_t *j = vectors(), *o = section(j, "c1");
	uint8_t k[16], r[16], preq[7], pres[7], ia[6], ra[6], out[16];
	hex(o, "k", k, 16);
	hex(o, "r", r, 16);
	hex(o, "preq", preq, 7);
	hex(o, "pres", pres, 7);
	hex(o, "ia", ia, 6);
	hex(o, "ra", ra, 6);
	uint8_t iat = (uint8_t)json_integer_value(json_object_get(o, "iat"));
	uint8_t rat = (uint8_t)json_integer_value(json_object_get(o, "rat"));
	cr_assert_eq(smp_c1(k, r, preq, pres, iat, ia, rat, ra, out), 0);
	EXPECT(o, "result", out, 16);
	json_decref(j);
}

Test(smp_crypto, s1)
{
	json_t *j = vectors(), *o = section(j, "s1");
	uint8_t k[16], r1[16], r2[16], out[16];
	hex(o, "k", k, 16);
	hex(o, "r1", r1, 16);
	hex(o, "r2", r2, 16);
	cr_assert_eq(smp_s1(k, r1, r2, out), 0);
	EXPECT(o, "result", out, 16);
	json_decref(j);
}

Test(smp_crypto, ah)
{
	json_t *j = vectors(), *o = section(j, "ah");
	uint8_t irk[16], r[3], out[3];
	hex(o, "irk", irk, 16);
	hex(o, "prand", r, 3);
	cr_assert_eq(smp_ah(irk, r, out), 0);
	EXPECT(o, "hash", out, 3);
	json_decref(j);
}

Test(smp_crypto, f4)
{
	json_t *j = vectors(), *o = section(j, "f4");
	uint8_t u[32], v[32], x[16], z[1], out[16];
	hex(o, "u", u, 32);
	hex(o, "v", v, 32);
	hex(o, "x", x, 16);
	hex(o, "z", z, 1);
	cr_assert_eq(smp_f4(u, v, x, z[0], out), 0);
	EXPECT(o, "result", out, 16);
	json_decref(j);
}

Test(smp_crypto, f5)
{
	json_t *j = vectors(), *o = section(j, "f5");
	uint8_t w[32], n1[16], n2[16], a1[7], a2[7], mk[16], ltk[16];
	hex(o, "w", w, 32);
	hex(o, "n1", n1, 16);
	hex(o, "n2", n2, 16);
	hex(o, "a1", a1, 7);
	hex(o, "a2", a2, 7);
	cr_assert_eq(smp_f5(w, n1, n2, a1, a2, mk, ltk), 0);
	EXPECT(o, "mackey", mk, 16);
	EXPECT(o, "ltk", ltk, 16);
	json_decref(j);
}

Test(smp_crypto, f6)
{
	json_t *j = vectors(), *o = section(j, "f6");
	uint8_t w[16], n1[16], n2[16], r[16], io[3], a1[7], a2[7], out[16];
	hex(o, "w", w, 16);
	hex(o, "n1", n1, 16);
	hex(o, "n2", n2, 16);
	hex(o, "r", r, 16);
	hex(o, "iocap", io, 3);
	hex(o, "a1", a1, 7);
	hex(o, "a2", a2, 7);
	cr_assert_eq(smp_f6(w, n1, n2, r, io, a1, a2, out), 0);
	EXPECT(o, "result", out, 16);
	json_decref(j);
}

Test(smp_crypto, g2)
{
	json_t *j = vectors(), *o = section(j, "g2");
	uint8_t u[32], v[32], x[16], y[16];
	uint32_t out = 0;
	hex(o, "u", u, 32);
	hex(o, "v", v, 32);
	hex(o, "x", x, 16);
	hex(o, "y", y, 16);
	cr_assert_eq(smp_g2(u, v, x, y, &out), 0);
	cr_assert_eq(out, (uint32_t)json_integer_value(json_object_get(o, "result")));
	cr_assert_eq(out % 1000000, 938554); /* the six digits the user sees */
	json_decref(j);
}

Test(smp_crypto, h6_h7)
{
	json_t *j = vectors(), *o = section(j, "h6");
	uint8_t w[16], id[4], salt[16], out[16];
	hex(o, "w", w, 16);
	hex(o, "keyid", id, 4);
	cr_assert_eq(smp_h6(w, id, out), 0);
	EXPECT(o, "result", out, 16);
	o = section(j, "h7");
	hex(o, "w", w, 16);
	hex(o, "salt", salt, 16);
	cr_assert_eq(smp_h7(salt, w, out), 0);
	EXPECT(o, "result", out, 16);
	json_decref(j);
}

/* Cross-transport key derivation: the spec's h6/h7 chains. */
Test(smp_crypto, ctkd_chains)
{
	json_t *j = vectors(), *list = section(j, "ctkd"), *o;
	size_t i;
	json_array_foreach(list, i, o) {
		uint8_t in[16], id[4], salt[16], tmp[16], out[16];
		hex(o, "in", in, 16);
		hex(o, "keyid", id, 4);
		if (json_is_true(json_object_get(o, "ct2"))) {
			hex(o, "salt", salt, 16);
			cr_assert_eq(smp_h7(salt, in, tmp), 0);
		} else {
			uint8_t tid[4];
			hex(o, "tmp_keyid", tid, 4);
			cr_assert_eq(smp_h6(in, tid, tmp), 0);
		}
		cr_assert_eq(smp_h6(tmp, id, out), 0);
		EXPECT(o, "out", out, 16);
	}
	json_decref(j);
}

Test(smp_crypto, p256_spec_keys_and_dhkey)
{
	json_t *j = vectors(), *o = section(j, "p256_ecdh");
	uint8_t da[32], db[32], dh[32];
	struct smp_p256 a, b;
	hex(o, "private_a", da, 32);
	hex(o, "private_b", db, 32);
	cr_assert_eq(smp_p256_from_private(da, &a), 0);
	cr_assert_eq(smp_p256_from_private(db, &b), 0);
	EXPECT(o, "public_a_x", a.x, 32);
	EXPECT(o, "public_a_y", a.y, 32);
	EXPECT(o, "public_b_x", b.x, 32);
	EXPECT(o, "public_b_y", b.y, 32);
	cr_assert(smp_p256_on_curve(a.x, a.y));
	cr_assert_eq(smp_p256_dhkey(&a, b.x, b.y, dh), 0);
	EXPECT(o, "dhkey", dh, 32);
	cr_assert_eq(smp_p256_dhkey(&b, a.x, a.y, dh), 0);
	EXPECT(o, "dhkey", dh, 32);
	json_decref(j);
}

Test(smp_crypto, p256_off_curve_key_refused)
{
	json_t *j = vectors(), *o = section(j, "p256_ecdh");
	uint8_t da[32], dh[32];
	struct smp_p256 a, b;
	hex(o, "private_a", da, 32);
	cr_assert_eq(smp_p256_from_private(da, &a), 0);
	hex(o, "private_b", da, 32);
	cr_assert_eq(smp_p256_from_private(da, &b), 0);
	/* CVE-2018-5383: the attacker keeps x and zeroes y. */
	uint8_t y0[32] = { 0 };
	cr_assert_not(smp_p256_on_curve(b.x, y0));
	cr_assert_eq(smp_p256_dhkey(&a, b.x, y0, dh), -EINVAL);
	/* One bit off in y. */
	uint8_t y1[32];
	memcpy(y1, b.y, 32);
	y1[31] ^= 1;
	cr_assert_eq(smp_p256_dhkey(&a, b.x, y1, dh), -EINVAL);
	/* Coordinates not below p, and the all-zero "point". */
	uint8_t ff[32];
	memset(ff, 0xff, 32);
	cr_assert_eq(smp_p256_dhkey(&a, ff, ff, dh), -EINVAL);
	cr_assert_eq(smp_p256_dhkey(&a, y0, y0, dh), -EINVAL);
	json_decref(j);
}

Test(smp_crypto, p256_private_range_and_keygen)
{
	uint8_t zero[32] = { 0 }, ff[32];
	struct smp_p256 k, l;
	uint8_t d1[32], d2[32];
	memset(ff, 0xff, 32);
	cr_assert_eq(smp_p256_from_private(zero, &k), -EINVAL);
	cr_assert_eq(smp_p256_from_private(ff, &k), -EINVAL);
	cr_assert_eq(smp_p256_keygen(&k), 0);
	cr_assert_eq(smp_p256_keygen(&l), 0);
	cr_assert(smp_p256_on_curve(k.x, k.y));
	/* The stored scalar gives the same public key back. */
	struct smp_p256 k2;
	cr_assert_eq(smp_p256_from_private(k.priv, &k2), 0);
	cr_assert_arr_eq(k2.x, k.x, 32);
	cr_assert_arr_eq(k2.y, k.y, 32);
	cr_assert_eq(smp_p256_dhkey(&k, l.x, l.y, d1), 0);
	cr_assert_eq(smp_p256_dhkey(&l, k.x, k.y, d2), 0);
	cr_assert_arr_eq(d1, d2, 32);
}
