/* hive-vctrl: AES-128 for LE Encrypt and random bytes for LE Rand, through
 * OpenSSL. */
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
