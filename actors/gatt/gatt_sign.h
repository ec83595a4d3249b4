/* Data signing for the ATT Signed Write Command (Core Vol 3 Part H 2.4.5,
 * Part C 10.4): the 12-octet Authentication Signature is SignCounter (4
 * octets, little-endian) followed by the 64 most significant bits of
 * AES-CMAC(CSRK, m || SignCounter), where m is the PDU from the opcode to the
 * end of the value. On the air the CSRK, m and the MAC are least significant
 * octet first; AES-CMAC is defined most significant first, so the key and the
 * message are reversed into it and the MAC reversed out of it, as the
 * deployed stacks do.
 *
 * The AES-CMAC is smp's (actors/smp/smp_crypto.c, OpenSSL); nothing here
 * computes AES itself.
 */
#ifndef HIVE_GATT_SIGN_H
#define HIVE_GATT_SIGN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define GATT_SIGNATURE_LEN 12
#define GATT_SIGN_MSG_MAX 520 /* opcode, handle and a value up to the largest MTU */

/* Signs m (len octets, opcode first) with csrk (16 octets, least
 * significant first) and counter; writes the signature as sent. Returns 0,
 * -EMSGSIZE (m too long) or -EIO (libcrypto failed). */
int gatt_sign(const uint8_t csrk[16], uint32_t counter, const uint8_t *m, size_t len,
	      uint8_t signature[GATT_SIGNATURE_LEN]);

/* Checks a whole received signed PDU (m followed by the 12-octet
 * signature). True when the MAC is right; *counter gets the SignCounter it
 * carries (also when false, if the PDU is long enough). A PDU shorter than
 * opcode + handle + signature is false. */
bool gatt_sign_verify(const uint8_t csrk[16], const uint8_t *pdu, size_t len, uint32_t *counter);

#endif
