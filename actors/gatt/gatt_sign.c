/* Data signing for signed writes. See gatt_sign.h. */
#include "gatt_sign.h"

#include <errno.h>
#include <string.h>

#include <openssl/crypto.h>

#include "../smp/smp_crypto.h"

static void reverse(uint8_t *dst, const uint8_t *src, size_t n)
{
	for (size_t i = 0; i < n; i++)
		dst[i] = src[n - 1 - i];
}

int gatt_sign(const uint8_t csrk[16], uint32_t counter, const uint8_t *m, size_t len,
	      uint8_t signature[GATT_SIGNATURE_LEN])
{
	uint8_t wire[GATT_SIGN_MSG_MAX + 4], msb[GATT_SIGN_MSG_MAX + 4], key[16], mac[16];
	if (len > GATT_SIGN_MSG_MAX)
		return -EMSGSIZE;
	memcpy(wire, m, len);
	for (int i = 0; i < 4; i++)
		wire[len + (size_t)i] = (uint8_t)(counter >> (8 * i));
	reverse(msb, wire, len + 4);
	reverse(key, csrk, 16);
	int rc = smp_aes_cmac(key, msb, len + 4, mac);
	OPENSSL_cleanse(key, sizeof key);
	if (rc < 0)
		return rc;
	memcpy(signature, wire + len, 4);
	/* The 64 most significant bits, least significant octet first. */
	reverse(signature + 4, mac, 8);
	return 0;
}

bool gatt_sign_verify(const uint8_t csrk[16], const uint8_t *pdu, size_t len, uint32_t *counter)
{
	uint8_t want[GATT_SIGNATURE_LEN];
	if (len < 3 + GATT_SIGNATURE_LEN)
		return false;
	const uint8_t *sig = pdu + len - GATT_SIGNATURE_LEN;
	uint32_t c = (uint32_t)sig[0] | (uint32_t)sig[1] << 8 | (uint32_t)sig[2] << 16 |
		     (uint32_t)sig[3] << 24;
	*counter = c;
	if (gatt_sign(csrk, c, pdu, len - GATT_SIGNATURE_LEN, want) < 0)
		return false;
	return CRYPTO_memcmp(want, sig, GATT_SIGNATURE_LEN) == 0;
}
