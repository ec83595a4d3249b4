/* hive-vctrl: encryption on a link (LE Enable Encryption, the LTK Request
 * and its replies, key refresh, MIC failure, procedure timeout), driven with
 * byte vectors, time passed in. */
#include <stdlib.h>

#include "vctrl_test.h"

/* ============================================================================
 * Encryption
 * ========================================================================== */

static void start_encryption(struct rig *g, unsigned c, uint16_t hc, uint8_t key_byte)
{
	uint8_t e[28];
	e[0] = (uint8_t)hc;
	e[1] = (uint8_t)(hc >> 8);
	for (int i = 0; i < 8; i++)
		e[2 + i] = (uint8_t)(0xA0 + i); /* Rand */
	e[10] = 0x34; /* EDIV 0x1234 */
	e[11] = 0x12;
	memset(e + 12, key_byte, 16);
	rig_cmd(g, c, HCI_LE_ENABLE_ENCRYPTION, e, 28);
	cr_assert_eq(rig_expect_cs(g, c, HCI_LE_ENABLE_ENCRYPTION), 0);
}

static void expect_ltk_request(struct rig *g, unsigned p, uint16_t hp)
{
	struct pkt k;
	cr_assert(rig_pop(g, p, &k), "no LTK request");
	cr_assert(pkt_is_event(&k, HCI_EV_LE_META, HCI_LE_LONG_TERM_KEY_REQUEST));
	cr_assert_eq(k.b[1], 13);
	cr_assert_eq(get_le16(evt_params(&k)), hp);
	cr_assert_eq(evt_params(&k)[2], 0xA0);
	cr_assert_eq(evt_params(&k)[9], 0xA7);
	cr_assert_eq(get_le16(evt_params(&k) + 10), 0x1234);
}

static void ltk_reply(struct rig *g, unsigned p, uint16_t hp, uint8_t key_byte)
{
	uint8_t r[18] = { (uint8_t)hp, (uint8_t)(hp >> 8) };
	memset(r + 2, key_byte, 16);
	rig_cmd(g, p, HCI_LE_LONG_TERM_KEY_REQUEST_REPLY, r, 18);
	uint8_t ret[4];
	size_t n;
	cr_assert_eq(rig_expect_cc(g, p, HCI_LE_LONG_TERM_KEY_REQUEST_REPLY, ret, &n), 0);
	cr_assert_eq(n, 2);
	cr_assert_eq(get_le16(ret), hp);
}

Test(vctrl_enc, equal_keys_encrypt_then_refresh)
{
	struct rig *g = rig_new(2, 8);
	uint16_t hc, hp;
	rig_link_up(g, 1, 0, &hc, &hp);
	start_encryption(g, 1, hc, 0x5A);
	expect_ltk_request(g, 0, hp);
	rig_expect_nothing(g, 1);
	ltk_reply(g, 0, hp, 0x5A);
	struct pkt k;
	for (unsigned i = 0; i < 2; i++) {
		cr_assert(rig_pop(g, i, &k), "ctrl%u: no Encryption Change", i);
		cr_assert(pkt_is_event(&k, HCI_EV_ENCRYPTION_CHANGE, -1));
		cr_assert_eq(evt_params(&k)[0], 0);
		cr_assert_eq(get_le16(evt_params(&k) + 1), i ? hc : hp);
		cr_assert_eq(evt_params(&k)[3], 0x01);
	}
	/* Again on the encrypted link: Encryption Key Refresh Complete. */
	start_encryption(g, 1, hc, 0x5A);
	expect_ltk_request(g, 0, hp);
	ltk_reply(g, 0, hp, 0x5A);
	for (unsigned i = 0; i < 2; i++) {
		cr_assert(rig_pop(g, i, &k));
		cr_assert(pkt_is_event(&k, HCI_EV_ENCRYPTION_KEY_REFRESH_COMPLETE, -1));
		cr_assert_eq(evt_params(&k)[0], 0);
		cr_assert_eq(get_le16(evt_params(&k) + 1), i ? hc : hp);
	}
	/* Data still flows. */
	rig_acl(g, 1, hc, 0, "x", 1);
	rig_tick(g, 0);
	rig_expect_acl(g, 0, hp, 2, (const uint8_t *)"x", 1);
	rig_free(g);
}

Test(vctrl_enc, unequal_keys_drop_the_link_with_mic_failure)
{
	struct rig *g = rig_new(2, 8);
	uint16_t hc, hp;
	rig_link_up(g, 1, 0, &hc, &hp);
	start_encryption(g, 1, hc, 0x11);
	expect_ltk_request(g, 0, hp);
	ltk_reply(g, 0, hp, 0x22);
	struct pkt k;
	for (unsigned i = 0; i < 2; i++) {
		cr_assert(rig_pop(g, i, &k));
		cr_assert(pkt_is_event(&k, HCI_EV_DISCONNECTION_COMPLETE, -1));
		cr_assert_eq(get_le16(evt_params(&k) + 1), i ? hc : hp);
		cr_assert_eq(evt_params(&k)[3], HCI_MIC_FAILURE);
	}
	rig_free(g);
}

Test(vctrl_enc, negative_reply_and_wrong_roles)
{
	struct rig *g = rig_new(2, 8);
	uint16_t hc, hp;
	rig_link_up(g, 1, 0, &hc, &hp);
	/* Only the central starts encryption; only a requested peripheral replies. */
	uint8_t e[28] = { (uint8_t)hp, (uint8_t)(hp >> 8) };
	rig_cmd(g, 0, HCI_LE_ENABLE_ENCRYPTION, e, 28);
	cr_assert_eq(rig_expect_cs(g, 0, HCI_LE_ENABLE_ENCRYPTION), HCI_COMMAND_DISALLOWED);
	uint8_t r[18] = { (uint8_t)hp, (uint8_t)(hp >> 8) };
	rig_cmd(g, 0, HCI_LE_LONG_TERM_KEY_REQUEST_REPLY, r, 18);
	cr_assert_eq(rig_expect_cc(g, 0, HCI_LE_LONG_TERM_KEY_REQUEST_REPLY, NULL, NULL),
		     HCI_COMMAND_DISALLOWED);
	start_encryption(g, 1, hc, 0x33);
	expect_ltk_request(g, 0, hp);
	rig_cmd(g, 0, HCI_LE_LONG_TERM_KEY_REQUEST_NEGATIVE_REPLY, r, 2);
	uint8_t ret[4];
	size_t n;
	cr_assert_eq(rig_expect_cc(g, 0, HCI_LE_LONG_TERM_KEY_REQUEST_NEGATIVE_REPLY, ret, &n), 0);
	cr_assert_eq(get_le16(ret), hp);
	struct pkt k;
	cr_assert(rig_pop(g, 1, &k));
	cr_assert(pkt_is_event(&k, HCI_EV_ENCRYPTION_CHANGE, -1));
	cr_assert_eq(evt_params(&k)[0], HCI_PIN_OR_KEY_MISSING);
	cr_assert_eq(evt_params(&k)[3], 0x00);
	rig_expect_nothing(g, 0);
	/* A peripheral host that masked the LTK Request cannot be asked. */
	rig_le_mask(g, 0, 0x0F);
	start_encryption(g, 1, hc, 0x33);
	cr_assert(rig_pop(g, 1, &k));
	cr_assert(pkt_is_event(&k, HCI_EV_ENCRYPTION_CHANGE, -1));
	cr_assert_eq(evt_params(&k)[0], HCI_PIN_OR_KEY_MISSING);
	rig_free(g);
}

Test(vctrl_enc, unanswered_ltk_request_times_out)
{
	struct rig *g = rig_new(2, 8);
	uint16_t hc, hp;
	rig_link_up(g, 1, 0, &hc, &hp);
	start_encryption(g, 1, hc, 0x44);
	expect_ltk_request(g, 0, hp);
	cr_assert_leq(vctrl_next_deadline(g->r), g->now + 40000 * MS);
	rig_tick(g, 40001);
	struct pkt k;
	for (unsigned i = 0; i < 2; i++) {
		cr_assert(rig_find_event(g, i, HCI_EV_DISCONNECTION_COMPLETE, -1, &k));
		cr_assert_eq(evt_params(&k)[3], HCI_LL_RESPONSE_TIMEOUT);
	}
	rig_free(g);
}
