/* The SMP cryptographic toolbox (Core Vol 3 Part H 2.2), through OpenSSL
 * libcrypto only: AES-128 for e(), EVP_MAC "CMAC" for AES-CMAC, EVP_PKEY
 * P-256 for key generation and ECDH.
 *
 * Byte order: every value here is written most significant octet first, as
 * the specification prints it (and as the sample data in Appendix D reads).
 * SMP PDUs carry these values least significant octet first; smp_codec.c
 * turns them around at the wire, so nothing else has to.
 *
 * Functions return 0, or -EIO when libcrypto failed, or -EINVAL for a value
 * that is refused (a private key out of range, a public key off the curve).
 * No function keeps state between calls.
 */
#ifndef SMP_CRYPTO_H
#define SMP_CRYPTO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SMP_P256_LEN 32

/* e(key, plaintext): AES-128 of one block. */
int smp_e(const uint8_t key[16], const uint8_t in[16], uint8_t out[16]);

/* AES-CMAC (RFC 4493) of len octets. */
int smp_aes_cmac(const uint8_t key[16], const uint8_t *msg, size_t len, uint8_t mac[16]);

/* LE legacy confirm value: preq and pres are the 7-octet Pairing Request and
 * Response PDUs as the spec writes them (code in the least significant
 * octet); iat/rat the address types (0 public, 1 random); ia/ra the
 * addresses. */
int smp_c1(const uint8_t k[16], const uint8_t r[16], const uint8_t preq[7],
	   const uint8_t pres[7], uint8_t iat, const uint8_t ia[6], uint8_t rat,
	   const uint8_t ra[6], uint8_t out[16]);

/* LE legacy key generation: STK = s1(TK, Srand, Mrand). */
int smp_s1(const uint8_t k[16], const uint8_t r1[16], const uint8_t r2[16], uint8_t out[16]);

/* Random address hash: hash = ah(IRK, prand), 24 bits. */
int smp_ah(const uint8_t irk[16], const uint8_t r[3], uint8_t out[3]);

/* LE Secure Connections confirm value f4(U, V, X, Z). */
int smp_f4(const uint8_t u[32], const uint8_t v[32], const uint8_t x[16], uint8_t z,
	   uint8_t out[16]);

/* Key generation f5(W, N1, N2, A1, A2) -> MacKey, LTK. A1/A2 are the type
 * octet followed by the 6 address octets. */
int smp_f5(const uint8_t w[32], const uint8_t n1[16], const uint8_t n2[16],
	   const uint8_t a1[7], const uint8_t a2[7], uint8_t mackey[16], uint8_t ltk[16]);

/* Check value f6(W, N1, N2, R, IOcap, A1, A2); IOcap is AuthReq, OOB flag,
 * IO capability, most significant first. */
int smp_f6(const uint8_t w[16], const uint8_t n1[16], const uint8_t n2[16],
	   const uint8_t r[16], const uint8_t iocap[3], const uint8_t a1[7],
	   const uint8_t a2[7], uint8_t out[16]);

/* Numeric comparison value g2(U, V, X, Y) (32 bits; the user sees it mod
 * 10^6). */
int smp_g2(const uint8_t u[32], const uint8_t v[32], const uint8_t x[16],
	   const uint8_t y[16], uint32_t *out);

/* Link key conversion h6(W, keyID) and h7(SALT, W). */
int smp_h6(const uint8_t w[16], const uint8_t keyid[4], uint8_t out[16]);
int smp_h7(const uint8_t salt[16], const uint8_t w[16], uint8_t out[16]);

/* A P-256 key pair, coordinates and scalar most significant octet first. */
struct smp_p256 {
	uint8_t priv[SMP_P256_LEN];
	uint8_t x[SMP_P256_LEN];
	uint8_t y[SMP_P256_LEN];
};

/* A fresh key pair from OpenSSL's generator. */
int smp_p256_keygen(struct smp_p256 *key);

/* The key pair of a given private scalar (tests, debug keys, or a scalar
 * drawn from the caller's randomness). -EINVAL when priv is 0 or not below
 * the group order. */
int smp_p256_from_private(const uint8_t priv[SMP_P256_LEN], struct smp_p256 *key);

/* True when (x, y) is a point of P-256: both coordinates below p and the
 * curve equation holds (never the point at infinity). */
bool smp_p256_on_curve(const uint8_t x[SMP_P256_LEN], const uint8_t y[SMP_P256_LEN]);

/* ECDH: DHKey = x coordinate of priv * (px, py). The peer's key is checked
 * to lie on the curve before use (CVE-2018-5383): -EINVAL when it does not. */
int smp_p256_dhkey(const struct smp_p256 *local, const uint8_t px[SMP_P256_LEN],
		   const uint8_t py[SMP_P256_LEN], uint8_t dhkey[SMP_P256_LEN]);

#endif
