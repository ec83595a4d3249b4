/* The SMP cryptographic toolbox over OpenSSL 3 libcrypto (see smp_crypto.h).
 * Nothing here is hand-rolled: AES-128-ECB through EVP_CIPHER, AES-CMAC
 * through EVP_MAC "CMAC", P-256 through EVP_PKEY (keygen, derive) and the
 * EC_GROUP/EC_POINT arithmetic for the public key of a given scalar and the
 * on-curve check. */
#include "smp_crypto.h"

#include <errno.h>
#include <string.h>

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/obj_mac.h>
#include <openssl/param_build.h>

int smp_e(const uint8_t key[16], const uint8_t in[16], uint8_t out[16])
{
	int rc = -EIO, n = 0;
	EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
	if (!c)
		return -EIO;
	if (EVP_EncryptInit_ex(c, EVP_aes_128_ecb(), NULL, key, NULL) != 1)
		goto out;
	EVP_CIPHER_CTX_set_padding(c, 0);
	if (EVP_EncryptUpdate(c, out, &n, in, 16) != 1 || n != 16)
		goto out;
	rc = 0;
out:
	EVP_CIPHER_CTX_free(c);
	return rc;
}

int smp_aes_cmac(const uint8_t key[16], const uint8_t *msg, size_t len, uint8_t mac[16])
{
	int rc = -EIO;
	size_t n = 0;
	EVP_MAC *m = EVP_MAC_fetch(NULL, "CMAC", NULL);
	EVP_MAC_CTX *c = m ? EVP_MAC_CTX_new(m) : NULL;
	char cipher[] = "AES-128-CBC";
	OSSL_PARAM params[] = {
		OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_CIPHER, cipher, 0),
		OSSL_PARAM_construct_end(),
	};
	if (!c)
		goto out;
	if (EVP_MAC_init(c, key, 16, params) != 1)
		goto out;
	if (len && EVP_MAC_update(c, msg, len) != 1)
		goto out;
	if (EVP_MAC_final(c, mac, &n, 16) != 1 || n != 16)
		goto out;
	rc = 0;
out:
	EVP_MAC_CTX_free(c);
	EVP_MAC_free(m);
	return rc;
}

static void xor16(uint8_t *a, const uint8_t *b)
{
	for (int i = 0; i < 16; i++)
		a[i] ^= b[i];
}

int smp_c1(const uint8_t k[16], const uint8_t r[16], const uint8_t preq[7],
	   const uint8_t pres[7], uint8_t iat, const uint8_t ia[6], uint8_t rat,
	   const uint8_t ra[6], uint8_t out[16])
{
	/* p1 = pres || preq || rat' || iat'; p2 = padding || ia || ra. */
	uint8_t p1[16], p2[16], t[16];
	memcpy(p1, pres, 7);
	memcpy(p1 + 7, preq, 7);
	p1[14] = rat;
	p1[15] = iat;
	memset(p2, 0, 4);
	memcpy(p2 + 4, ia, 6);
	memcpy(p2 + 10, ra, 6);
	memcpy(t, r, 16);
	xor16(t, p1);
	int rc = smp_e(k, t, t);
	if (rc)
		return rc;
	xor16(t, p2);
	return smp_e(k, t, out);
}

int smp_s1(const uint8_t k[16], const uint8_t r1[16], const uint8_t r2[16], uint8_t out[16])
{
	/* r' = the least significant 64 bits of r1, then those of r2. */
	uint8_t r[16];
	memcpy(r, r1 + 8, 8);
	memcpy(r + 8, r2 + 8, 8);
	return smp_e(k, r, out);
}

int smp_ah(const uint8_t irk[16], const uint8_t r[3], uint8_t out[3])
{
	uint8_t p[16] = { 0 }, e[16];
	memcpy(p + 13, r, 3);
	int rc = smp_e(irk, p, e);
	if (rc == 0)
		memcpy(out, e + 13, 3);
	return rc;
}

int smp_f4(const uint8_t u[32], const uint8_t v[32], const uint8_t x[16], uint8_t z,
	   uint8_t out[16])
{
	uint8_t m[65];
	memcpy(m, u, 32);
	memcpy(m + 32, v, 32);
	m[64] = z;
	return smp_aes_cmac(x, m, sizeof m, out);
}

int smp_f5(const uint8_t w[32], const uint8_t n1[16], const uint8_t n2[16],
	   const uint8_t a1[7], const uint8_t a2[7], uint8_t mackey[16], uint8_t ltk[16])
{
	static const uint8_t salt[16] = { 0x6c, 0x88, 0x83, 0x91, 0xaa, 0xf5, 0xa5, 0x38,
					  0x60, 0x37, 0x0b, 0xdb, 0x5a, 0x60, 0x83, 0xbe };
	uint8_t t[16], m[53];
	int rc = smp_aes_cmac(salt, w, 32, t);
	if (rc)
		return rc;
	/* Counter || keyID "btle" || N1 || N2 || A1 || A2 || Length 256. */
	m[0] = 0;
	memcpy(m + 1, "btle", 4);
	memcpy(m + 5, n1, 16);
	memcpy(m + 21, n2, 16);
	memcpy(m + 37, a1, 7);
	memcpy(m + 44, a2, 7);
	m[51] = 0x01;
	m[52] = 0x00;
	rc = smp_aes_cmac(t, m, sizeof m, mackey);
	if (rc)
		return rc;
	m[0] = 1;
	return smp_aes_cmac(t, m, sizeof m, ltk);
}

int smp_f6(const uint8_t w[16], const uint8_t n1[16], const uint8_t n2[16],
	   const uint8_t r[16], const uint8_t iocap[3], const uint8_t a1[7],
	   const uint8_t a2[7], uint8_t out[16])
{
	uint8_t m[65];
	memcpy(m, n1, 16);
	memcpy(m + 16, n2, 16);
	memcpy(m + 32, r, 16);
	memcpy(m + 48, iocap, 3);
	memcpy(m + 51, a1, 7);
	memcpy(m + 58, a2, 7);
	return smp_aes_cmac(w, m, sizeof m, out);
}

int smp_g2(const uint8_t u[32], const uint8_t v[32], const uint8_t x[16],
	   const uint8_t y[16], uint32_t *out)
{
	uint8_t m[80], mac[16];
	memcpy(m, u, 32);
	memcpy(m + 32, v, 32);
	memcpy(m + 64, y, 16);
	int rc = smp_aes_cmac(x, m, sizeof m, mac);
	if (rc == 0)
		*out = (uint32_t)mac[12] << 24 | (uint32_t)mac[13] << 16 |
		       (uint32_t)mac[14] << 8 | mac[15];
	return rc;
}

int smp_h6(const uint8_t w[16], const uint8_t keyid[4], uint8_t out[16])
{
	return smp_aes_cmac(w, keyid, 4, out);
}

int smp_h7(const uint8_t salt[16], const uint8_t w[16], uint8_t out[16])
{
	return smp_aes_cmac(salt, w, 16, out);
}

/* ---- P-256 ------------------------------------------------------------------ */

int smp_p256_keygen(struct smp_p256 *key)
{
	int rc = -EIO;
	BIGNUM *d = NULL, *x = NULL, *y = NULL;
	EVP_PKEY *pk = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	if (!pk)
		return -EIO;
	if (EVP_PKEY_get_bn_param(pk, OSSL_PKEY_PARAM_PRIV_KEY, &d) != 1 ||
	    EVP_PKEY_get_bn_param(pk, OSSL_PKEY_PARAM_EC_PUB_X, &x) != 1 ||
	    EVP_PKEY_get_bn_param(pk, OSSL_PKEY_PARAM_EC_PUB_Y, &y) != 1)
		goto out;
	if (BN_bn2binpad(d, key->priv, 32) != 32 || BN_bn2binpad(x, key->x, 32) != 32 ||
	    BN_bn2binpad(y, key->y, 32) != 32)
		goto out;
	rc = 0;
out:
	BN_clear_free(d);
	BN_free(x);
	BN_free(y);
	EVP_PKEY_free(pk);
	return rc;
}

int smp_p256_from_private(const uint8_t priv[SMP_P256_LEN], struct smp_p256 *key)
{
	int rc = -EIO;
	EC_GROUP *g = EC_GROUP_new_by_curve_name(NID_X9_62_prime256v1);
	BN_CTX *bc = BN_CTX_new();
	BIGNUM *d = BN_bin2bn(priv, 32, NULL);
	BIGNUM *x = BN_new(), *y = BN_new();
	EC_POINT *q = g ? EC_POINT_new(g) : NULL;
	if (!g || !bc || !d || !x || !y || !q)
		goto out;
	if (BN_is_zero(d) || BN_cmp(d, EC_GROUP_get0_order(g)) >= 0) {
		rc = -EINVAL;
		goto out;
	}
	if (EC_POINT_mul(g, q, d, NULL, NULL, bc) != 1 ||
	    EC_POINT_get_affine_coordinates(g, q, x, y, bc) != 1)
		goto out;
	if (BN_bn2binpad(x, key->x, 32) != 32 || BN_bn2binpad(y, key->y, 32) != 32)
		goto out;
	memcpy(key->priv, priv, 32);
	rc = 0;
out:
	EC_POINT_free(q);
	BN_clear_free(d);
	BN_free(x);
	BN_free(y);
	BN_CTX_free(bc);
	EC_GROUP_free(g);
	return rc;
}

bool smp_p256_on_curve(const uint8_t px[SMP_P256_LEN], const uint8_t py[SMP_P256_LEN])
{
	bool ok = false;
	EC_GROUP *g = EC_GROUP_new_by_curve_name(NID_X9_62_prime256v1);
	BN_CTX *bc = BN_CTX_new();
	BIGNUM *x = BN_bin2bn(px, 32, NULL), *y = BN_bin2bn(py, 32, NULL);
	BIGNUM *p = BN_new();
	EC_POINT *q = g ? EC_POINT_new(g) : NULL;
	if (!g || !bc || !x || !y || !p || !q)
		goto out;
	/* Coordinates must be field elements, not merely congruent to one. */
	if (EC_GROUP_get_curve(g, p, NULL, NULL, bc) != 1)
		goto out;
	if (BN_cmp(x, p) >= 0 || BN_cmp(y, p) >= 0)
		goto out;
	/* OpenSSL refuses to set coordinates of a point not on the curve; the
	 * explicit test says what we rely on. */
	if (EC_POINT_set_affine_coordinates(g, q, x, y, bc) != 1)
		goto out;
	ok = EC_POINT_is_on_curve(g, q, bc) == 1 && !EC_POINT_is_at_infinity(g, q);
out:
	EC_POINT_free(q);
	BN_free(x);
	BN_free(y);
	BN_free(p);
	BN_CTX_free(bc);
	EC_GROUP_free(g);
	return ok;
}

/* An EVP_PKEY for P-256 from a public point and, when priv is given, the
 * private scalar. */
static EVP_PKEY *pkey_from(const uint8_t *priv, const uint8_t x[32], const uint8_t y[32])
{
	EVP_PKEY *pk = NULL;
	EVP_PKEY_CTX *c = NULL;
	OSSL_PARAM *params = NULL;
	BIGNUM *d = NULL;
	uint8_t pub[65];
	char group[] = "P-256";
	OSSL_PARAM_BLD *b = OSSL_PARAM_BLD_new();
	if (!b)
		return NULL;
	pub[0] = 0x04;
	memcpy(pub + 1, x, 32);
	memcpy(pub + 33, y, 32);
	if (OSSL_PARAM_BLD_push_utf8_string(b, OSSL_PKEY_PARAM_GROUP_NAME, group, 0) != 1 ||
	    OSSL_PARAM_BLD_push_octet_string(b, OSSL_PKEY_PARAM_PUB_KEY, pub, sizeof pub) != 1)
		goto out;
	if (priv) {
		d = BN_secure_new();
		if (!d || !BN_bin2bn(priv, 32, d) ||
		    OSSL_PARAM_BLD_push_BN(b, OSSL_PKEY_PARAM_PRIV_KEY, d) != 1)
			goto out;
	}
	params = OSSL_PARAM_BLD_to_param(b);
	c = EVP_PKEY_CTX_new_from_name(NULL, "EC", NULL);
	if (!params || !c || EVP_PKEY_fromdata_init(c) != 1)
		goto out;
	if (EVP_PKEY_fromdata(c, &pk, priv ? EVP_PKEY_KEYPAIR : EVP_PKEY_PUBLIC_KEY, params) != 1)
		pk = NULL;
out:
	EVP_PKEY_CTX_free(c);
	OSSL_PARAM_free(params);
	OSSL_PARAM_BLD_free(b);
	BN_clear_free(d);
	return pk;
}

int smp_p256_dhkey(const struct smp_p256 *local, const uint8_t px[SMP_P256_LEN],
		   const uint8_t py[SMP_P256_LEN], uint8_t dhkey[SMP_P256_LEN])
{
	int rc = -EIO;
	size_t n = 32;
	EVP_PKEY *mine = NULL, *peer = NULL;
	EVP_PKEY_CTX *c = NULL;
	/* CVE-2018-5383: never multiply by a point that is not on the curve. */
	if (!smp_p256_on_curve(px, py))
		return -EINVAL;
	mine = pkey_from(local->priv, local->x, local->y);
	peer = pkey_from(NULL, px, py);
	if (!peer) {
		rc = -EINVAL;
		goto out;
	}
	if (!mine)
		goto out;
	c = EVP_PKEY_CTX_new_from_pkey(NULL, mine, NULL);
	if (!c || EVP_PKEY_derive_init(c) != 1)
		goto out;
	/* validate_peer = 1: OpenSSL checks the peer key once more. */
	if (EVP_PKEY_derive_set_peer_ex(c, peer, 1) != 1) {
		rc = -EINVAL;
		goto out;
	}
	if (EVP_PKEY_derive(c, dhkey, &n) != 1 || n != 32)
		goto out;
	rc = 0;
out:
	EVP_PKEY_CTX_free(c);
	EVP_PKEY_free(mine);
	EVP_PKEY_free(peer);
	return rc;
}
