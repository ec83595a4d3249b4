/* Device addresses: see host_addr.h. */
#include "host_addr.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "../smp/smp_crypto.h"
#include "hive.h"

int host_addr_parse(const char *s, uint8_t out[6], bool *is_public)
{
	bool pub = false;
	for (int i = 0; i < 6; i++) {
		const char *p = s + i * 3;
		int hi = hive_hexval(p[0]), lo = hi < 0 ? -1 : hive_hexval(p[1]);
		if (hi < 0 || lo < 0)
			return -EINVAL;
		if (i < 5 && p[2] != ':')
			return -EINVAL;
		out[5 - i] = (uint8_t)(hi << 4 | lo);
	}
	const char *rest = s + 17;
	if (!strcmp(rest, "/P") || !strcmp(rest, "/p"))
		pub = true;
	else if (*rest)
		return -EINVAL;
	if (is_public)
		*is_public = pub;
	return 0;
}

void host_addr_format(const uint8_t a[6], char out[HOST_ADDR_STR])
{
	snprintf(out, HOST_ADDR_STR, "%02X:%02X:%02X:%02X:%02X:%02X", a[5], a[4], a[3], a[2],
		 a[1], a[0]);
}

bool host_addr_is_static(const uint8_t a[6])
{
	return (a[5] & 0xc0) == 0xc0;
}

bool host_addr_is_rpa(const uint8_t a[6])
{
	return (a[5] & 0xc0) == 0x40;
}

void host_addr_make_static(const uint8_t rnd[6], uint8_t out[6])
{
	memcpy(out, rnd, 6);
	out[5] |= 0xc0;
	/* The random part may be neither all zeros nor all ones. */
	bool zeros = !(out[0] | out[1] | out[2] | out[3] | out[4]) && out[5] == 0xc0;
	bool ones = (out[0] & out[1] & out[2] & out[3] & out[4]) == 0xff && out[5] == 0xff;
	if (zeros || ones)
		out[0] ^= 0x01;
}

/* hash = ah(IRK, prand) with the values most significant octet first. */
static int hash(const uint8_t irk[16], const uint8_t prand_le[3], uint8_t out_le[3])
{
	uint8_t k[16], r[3], h[3];
	for (int i = 0; i < 16; i++)
		k[i] = irk[15 - i];
	for (int i = 0; i < 3; i++)
		r[i] = prand_le[2 - i];
	int rc = smp_ah(k, r, h);
	for (int i = 0; i < 3; i++)
		out_le[i] = h[2 - i];
	return rc;
}

int host_addr_make_rpa(const uint8_t irk[16], const uint8_t rnd[3], uint8_t out[6])
{
	uint8_t prand[3] = { rnd[0], rnd[1], (uint8_t)((rnd[2] & 0x3f) | 0x40) };
	/* The random part may be neither all zeros nor all ones. */
	if (!prand[0] && !prand[1] && prand[2] == 0x40)
		prand[0] = 1;
	if (prand[0] == 0xff && prand[1] == 0xff && prand[2] == 0x7f)
		prand[0] = 0xfe;
	if (hash(irk, prand, out) < 0)
		return -EIO;
	memcpy(out + 3, prand, 3);
	return 0;
}

bool host_addr_resolve(const uint8_t irk[16], const uint8_t rpa[6])
{
	uint8_t h[3];
	if (!host_addr_is_rpa(rpa) || hash(irk, rpa + 3, h) < 0)
		return false;
	return !memcmp(h, rpa, 3);
}
