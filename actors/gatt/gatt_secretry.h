/* The GATT client's security retry (Core Vol 3 Part C 10.3.2: a client
 * that gets Insufficient Authentication, Encryption or Encryption Key Size
 * may raise the link's security and try again), without I/O: which error
 * leads smp to encrypt the link with the bond's key, to pair, or to nothing.
 *
 * The setting (hive-gatt --set security_retry=N):
 *   0  off: the app gets the ATT error as it came;
 *   1  (default) encrypt with an existing bond; pair only when the app's
 *      request asked for it (GattRequest.secure);
 *   2  also pair when there is no bond.
 * gatt_secretry_io.c asks smp and runs the procedure again once. */
#ifndef HIVE_GATT_SECRETRY_H
#define HIVE_GATT_SECRETRY_H

#include <stdbool.h>
#include <stdint.h>

#define GATT_SECRETRY_OFF 0
#define GATT_SECRETRY_BOND 1 /* the default */
#define GATT_SECRETRY_PAIR 2

enum gatt_secretry_act {
	GATT_SR_NONE = 0,
	GATT_SR_ENCRYPT,   /* SmpRequest encrypt: the stored LTK */
	GATT_SR_PAIR,      /* SmpRequest pair, bonding as smp's default */
	GATT_SR_PAIR_MITM, /* the same with MITM protection required */
};

/* True for the ATT errors a retry can cure: 0x05, 0x0C, 0x0F. */
bool gatt_secretry_error(uint8_t att_error);

/* What to ask smp after att_error, for a link that is (not) encrypted and
 * whose peer smp holds (no) bond of; secure: the app's request allows
 * pairing. Encrypt when bonded and not encrypted (0x0F, 0x05); otherwise
 * pair when the setting or the request allows it, requiring MITM for 0x05
 * on an encrypted link (an unauthenticated key is what it lacks). */
enum gatt_secretry_act gatt_secretry_decide(unsigned setting, bool secure, uint8_t att_error,
					    bool encrypted, bool bonded);

/* "encryption with the bond's key", "pairing", "pairing with MITM". */
const char *gatt_secretry_act_name(enum gatt_secretry_act a);

#endif
