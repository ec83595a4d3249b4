/* Device addresses: text form, random static addresses, resolvable private
 * addresses made and resolved with ah() (Core Vol 6 Part B 1.3, Vol 3 Part
 * H 2.2.2). Addresses are 6 bytes least significant octet first (as on the
 * wire); the text form is most significant first ("C0:98:E5:49:00:01").
 * IRKs are 16 bytes least significant octet first (as SMP sends them and as
 * Bumble's device JSON writes them). Randomness is passed in. */
#ifndef HOST_ADDR_H
#define HOST_ADDR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define HOST_ADDR_STR 18

/* "AA:BB:CC:DD:EE:FF", optionally followed by "/P" (public) as Bumble
 * writes it. Returns 0 or -EINVAL. */
int host_addr_parse(const char *s, uint8_t out[6], bool *is_public);
void host_addr_format(const uint8_t a[6], char out[HOST_ADDR_STR]);

bool host_addr_is_static(const uint8_t a[6]);
bool host_addr_is_rpa(const uint8_t a[6]);

/* A random static address from 6 random bytes. */
void host_addr_make_static(const uint8_t rnd[6], uint8_t out[6]);
/* A resolvable private address from the IRK and 3 random bytes. Returns 0
 * or -EIO (libcrypto). */
int host_addr_make_rpa(const uint8_t irk[16], const uint8_t rnd[3], uint8_t out[6]);
/* True when rpa is a resolvable private address made with irk. */
bool host_addr_resolve(const uint8_t irk[16], const uint8_t rpa[6]);

#endif
