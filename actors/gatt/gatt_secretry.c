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
	/* Insufficient Authentication on an encrypted link: the key is not
	 * authenticated, only a MITM-protected pairing helps. On an
	 * unencrypted link without a bond it is also what a server answers
	 * when it merely wants encryption and holds no key (Vol 3 Part C
	 * 10.3.1): pair as smp's IO capabilities allow (MITM when both sides
	 * can); should the attribute want more, the retry's error says so. */
	if (att_error == ATT_ECODE_INSUFFICIENT_AUTHENTICATION && encrypted)
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
