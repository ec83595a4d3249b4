/* The GATT client's security retry, the decision (actors/gatt/gatt_secretry.h):
 * which ATT error leads smp to encrypt, to pair (with or without MITM) or
 * to nothing, for each setting, with and without a bond, on an encrypted
 * link or not, with and without the request's `secure`. */
#include <criterion/criterion.h>

#include "../../actors/gatt/att_codec.h"
#include "../../actors/gatt/gatt_secretry.h"

#define AUTHN ATT_ECODE_INSUFFICIENT_AUTHENTICATION
#define ENC ATT_ECODE_INSUFFICIENT_ENCRYPTION
#define KEYSZ ATT_ECODE_INSUFFICIENT_ENCRYPTION_KEY_SIZE

Test(gatt_secretry, only_the_three_security_errors_count)
{
	for (unsigned e = 0; e < 256; e++) {
		bool want = e == AUTHN || e == ENC || e == KEYSZ;
		cr_assert_eq(gatt_secretry_error((uint8_t)e), want, "0x%02x", e);
		if (!want)
			for (unsigned s = 0; s <= 2; s++)
				cr_assert_eq(gatt_secretry_decide(s, true, (uint8_t)e, false, true),
					     GATT_SR_NONE, "0x%02x setting %u", e, s);
	}
	cr_assert_eq(gatt_secretry_decide(2, true, ATT_ECODE_INSUFFICIENT_AUTHORIZATION, false,
					  false), GATT_SR_NONE, "authorization is not smp's");
}

Test(gatt_secretry, setting_0_never_asks)
{
	const uint8_t errs[] = { AUTHN, ENC, KEYSZ };
	for (int i = 0; i < 3; i++)
		for (int m = 0; m < 8; m++)
			cr_assert_eq(gatt_secretry_decide(0, m & 1, errs[i], m & 2, m & 4),
				     GATT_SR_NONE);
}

Test(gatt_secretry, a_bond_on_an_unencrypted_link_is_encrypted)
{
	for (unsigned s = 1; s <= 2; s++)
		for (int secure = 0; secure < 2; secure++) {
			cr_assert_eq(gatt_secretry_decide(s, secure, ENC, false, true),
				     GATT_SR_ENCRYPT);
			cr_assert_eq(gatt_secretry_decide(s, secure, AUTHN, false, true),
				     GATT_SR_ENCRYPT);
		}
	/* The bond's key is the size it is: a larger one needs pairing. */
	cr_assert_eq(gatt_secretry_decide(1, false, KEYSZ, false, true), GATT_SR_NONE);
	cr_assert_eq(gatt_secretry_decide(1, true, KEYSZ, false, true), GATT_SR_PAIR);
}

Test(gatt_secretry, setting_1_pairs_only_when_the_request_says_secure)
{
	cr_assert_eq(gatt_secretry_decide(1, false, ENC, false, false), GATT_SR_NONE);
	cr_assert_eq(gatt_secretry_decide(1, false, AUTHN, false, false), GATT_SR_NONE);
	cr_assert_eq(gatt_secretry_decide(1, false, AUTHN, true, true), GATT_SR_NONE);
	cr_assert_eq(gatt_secretry_decide(1, true, ENC, false, false), GATT_SR_PAIR);
	/* No key yet: a server that only wants encryption says 0x05 too. */
	cr_assert_eq(gatt_secretry_decide(1, true, AUTHN, false, false), GATT_SR_PAIR);
	cr_assert_eq(gatt_secretry_decide(1, true, AUTHN, true, true), GATT_SR_PAIR_MITM,
		     "encrypted without MITM: pair again with MITM");
	cr_assert_eq(gatt_secretry_decide(1, true, KEYSZ, true, true), GATT_SR_PAIR);
}

Test(gatt_secretry, setting_2_pairs_without_a_bond)
{
	cr_assert_eq(gatt_secretry_decide(2, false, ENC, false, false), GATT_SR_PAIR);
	cr_assert_eq(gatt_secretry_decide(2, false, AUTHN, false, false), GATT_SR_PAIR);
	cr_assert_eq(gatt_secretry_decide(2, false, AUTHN, true, false), GATT_SR_PAIR_MITM);
	cr_assert_eq(gatt_secretry_decide(2, false, KEYSZ, true, true), GATT_SR_PAIR);
	cr_assert_eq(gatt_secretry_decide(2, false, ENC, false, true), GATT_SR_ENCRYPT,
		     "a bond is still used before pairing again");
}

Test(gatt_secretry, actions_have_words)
{
	cr_assert_str_eq(gatt_secretry_act_name(GATT_SR_ENCRYPT), "encryption with the bond's key");
	cr_assert_str_eq(gatt_secretry_act_name(GATT_SR_PAIR_MITM), "pairing with MITM protection");
}
