/* hive-vctrl: AES-128 for LE Encrypt, random bytes for LE Rand and SHA-256
 * for the values of BR/EDR pairings, through OpenSSL. */
#include <errno.h>

#include <openssl/evp.h>
#include <openssl/rand.h>

#include "vctrl_int.h"

int vctrl_aes128(const uint8_t key[16], const uint8_t in[16], uint8_t out[16])
{
	int rc = -EIO;
	int n = 0;
	EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
	if (!ctx)
		return -ENOMEM;
	if (EVP_EncryptInit_ex(ctx, EVP_aes_128_ecb(), NULL, key, NULL) == 1 &&
	    EVP_CIPHER_CTX_set_padding(ctx, 0) == 1 &&
	    EVP_EncryptUpdate(ctx, out, &n, in, 16) == 1 && n == 16)
		rc = 0;
	EVP_CIPHER_CTX_free(ctx);
	return rc;
}

int vctrl_rand_system(void *arg, uint8_t *out, size_t n)
{
	return RAND_bytes(out, (int)n) == 1 ? 0 : -EIO;
}

int vctrl_sha256(const void *p, size_t n, uint8_t out[32])
{
	unsigned len = 0;
	return EVP_Digest(p, n, out, &len, EVP_sha256(), NULL) == 1 && len == 32 ? 0 : -EIO;
}
