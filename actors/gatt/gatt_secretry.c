/* The GATT client's security retry: the decision. See gatt_secretry.h. */
#include "gatt_secretry.h"

#include "att_codec.h"

bool gatt_secretry_error(uint8_t att_error)
{
	return att_error == ATT_ECODE_INSUFFICIENT_AUTHENTICATION ||
	       att_error == ATT_ECODE_INSUFFICIENT_ENCRYPTION ||
	       att_error == ATT_ECODE_INSUFFICIENT_ENCRYPTION_KEY_SIZE;
}

enum gatt_secretry_act gatt_secretry_decide(unsigned setting, bool secure, uint8_t att_error,
					    bool encrypted, bool bonded)
{
	if (setting == GATT_SECRETRY_OFF || !gatt_secretry_error(att_error))
		return GATT_SR_NONE;
	/* The bond's key may be all the attribute needs: no user involved. A
	 * larger key or MITM protection needs a new pairing. */
	if (bonded && !encrypted && att_error != ATT_ECODE_INSUFFICIENT_ENCRYPTION_KEY_SIZE)
		return GATT_SR_ENCRYPT;
	if (!secure && setting < GATT_SECRETRY_PAIR)
		return GATT_SR_NONE;
	/* Insufficient Authentication: on an encrypted link the key is
	 * unauthenticated (MITM needed); on an unencrypted link without a
	 * bond, a new key must be authenticated to be of use. */
	if (att_error == ATT_ECODE_INSUFFICIENT_AUTHENTICATION)
		return GATT_SR_PAIR_MITM;
	return GATT_SR_PAIR;
}

const char *gatt_secretry_act_name(enum gatt_secretry_act a)
{
	switch (a) {
	case GATT_SR_ENCRYPT:
		return "encryption with the bond's key";
	case GATT_SR_PAIR:
		return "pairing";
	case GATT_SR_PAIR_MITM:
		return "pairing with MITM protection";
	default:
		return "nothing";
	}
}
