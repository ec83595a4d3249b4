/* SMP PDU codec: byte-exact vectors for every PDU of Vol 3 Part H 3.5-3.6,
 * round trips, and every PDU one octet short or long refused. */
#include <criterion/criterion.h>
#include <errno.h>
#include <string.h>

#include "../../actors/smp/smp_codec.h"

#define B(...) ((const uint8_t[]){ __VA_ARGS__ }), sizeof((const uint8_t[]){ __VA_ARGS__ })

/* One wire vector per code, values chosen so byte order shows. */
static const uint8_t v_req[] = { 0x01, 0x04, 0x00, 0x2d, 0x10, 0x0f, 0x0f };
static const uint8_t v_rsp[] = { 0x02, 0x03, 0x01, 0x09, 0x07, 0x02, 0x05 };
static const uint8_t v_confirm[] = { 0x03, 0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08,
				     0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x0e, 0x0f };
static const uint8_t v_random[] = { 0x04, 0xf0, 0xf1, 0xf2, 0xf3, 0xf4, 0xf5, 0xf6, 0xf7, 0xf8,
				    0xf9, 0xfa, 0xfb, 0xfc, 0xfd, 0xfe, 0xff };
static const uint8_t v_failed[] = { 0x05, 0x0b };
static const uint8_t v_encinfo[] = { 0x06, 0x10, 0x11, 0x12, 0x13, 0x14, 0x15, 0x16, 0x17, 0x18,
				     0x19, 0x1a, 0x1b, 0x1c, 0x1d, 0x1e, 0x1f };
static const uint8_t v_centralid[] = { 0x07, 0x34, 0x12, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08 };
static const uint8_t v_idinfo[] = { 0x08, 0x20, 0x21, 0x22, 0x23, 0x24, 0x25, 0x26, 0x27, 0x28,
				    0x29, 0x2a, 0x2b, 0x2c, 0x2d, 0x2e, 0x2f };
static const uint8_t v_idaddr[] = { 0x09, 0x01, 0xa6, 0xa5, 0xa4, 0xa3, 0xa2, 0xc1 };
static const uint8_t v_sign[] = { 0x0a, 0x30, 0x31, 0x32, 0x33, 0x34, 0x35, 0x36, 0x37, 0x38,
				  0x39, 0x3a, 0x3b, 0x3c, 0x3d, 0x3e, 0x3f };
static const uint8_t v_secreq[] = { 0x0b, 0x2d };
static uint8_t v_pubkey[65]; /* filled: 0x0c, x = 0x40.., y = 0x80.. */
static const uint8_t v_dhcheck[] = { 0x0d, 0x50, 0x51, 0x52, 0x53, 0x54, 0x55, 0x56, 0x57, 0x58,
				     0x59, 0x5a, 0x5b, 0x5c, 0x5d, 0x5e, 0x5f };
static const uint8_t v_keypress[] = { 0x0e, 0x04 };

static void fill_pubkey(void)
{
	v_pubkey[0] = 0x0c;
	for (int i = 0; i < 32; i++) {
		v_pubkey[1 + i] = (uint8_t)(0x40 + i);
		v_pubkey[33 + i] = (uint8_t)(0x80 + i);
	}
}

static const struct {
	const uint8_t *p;
	size_t len;
} all[] = {
	{ v_req, sizeof v_req }, { v_rsp, sizeof v_rsp }, { v_confirm, sizeof v_confirm },
	{ v_random, sizeof v_random }, { v_failed, sizeof v_failed },
	{ v_encinfo, sizeof v_encinfo }, { v_centralid, sizeof v_centralid },
	{ v_idinfo, sizeof v_idinfo }, { v_idaddr, sizeof v_idaddr }, { v_sign, sizeof v_sign },
	{ v_secreq, sizeof v_secreq }, { v_pubkey, sizeof v_pubkey },
	{ v_dhcheck, sizeof v_dhcheck }, { v_keypress, sizeof v_keypress },
};

static void round_trip(const uint8_t *p, size_t len, struct smp_pdu *out)
{
	uint8_t buf[SMP_PDU_MAX + 1];
	cr_assert_eq(smp_pdu_decode(p, len, out), 0, "decode code 0x%02x", p[0]);
	cr_assert_eq(smp_pdu_encode(out, buf, sizeof buf), (int)len);
	cr_assert_arr_eq(buf, p, len, "re-encoded code 0x%02x differs", p[0]);
}

Test(smp_codec, lengths_per_code)
{
	static const uint8_t want[] = { 0, 7, 7, 17, 17, 2, 17, 11, 17, 8, 17, 2, 65, 17, 2, 0 };
	for (unsigned c = 0; c < sizeof want; c++)
		cr_assert_eq(smp_pdu_len((uint8_t)c), want[c], "code 0x%02x", c);
	cr_assert_eq(smp_pdu_len(0xff), 0);
}

Test(smp_codec, pairing_request_and_response)
{
	struct smp_pdu p;
	round_trip(v_req, sizeof v_req, &p);
	cr_assert_eq(p.code, SMP_PAIRING_REQUEST);
	cr_assert_eq(p.pairing.io_cap, SMP_IO_KEYBOARD_DISPLAY);
	cr_assert_eq(p.pairing.oob, 0);
	cr_assert_eq(p.pairing.auth_req, SMP_AUTH_BONDING | SMP_AUTH_MITM | SMP_AUTH_SC | SMP_AUTH_CT2);
	cr_assert_eq(p.pairing.max_key_size, 16);
	cr_assert_eq(p.pairing.init_key_dist, 0x0f);
	cr_assert_eq(p.pairing.resp_key_dist, 0x0f);
	round_trip(v_rsp, sizeof v_rsp, &p);
	cr_assert_eq(p.code, SMP_PAIRING_RESPONSE);
	cr_assert_eq(p.pairing.io_cap, SMP_IO_NO_INPUT_NO_OUTPUT);
	cr_assert_eq(p.pairing.oob, 1);
	cr_assert_eq(p.pairing.max_key_size, 7);
	cr_assert_eq(p.pairing.init_key_dist, 2);
	cr_assert_eq(p.pairing.resp_key_dist, 5);
	/* The spec's c1 sample: preq 07071000000101 is this PDU, LSB first. */
	cr_assert_eq(smp_pdu_decode(B(0x01, 0x01, 0x00, 0x00, 0x10, 0x07, 0x07), &p), 0);
	cr_assert_eq(p.pairing.io_cap, 1);
	cr_assert_eq(p.pairing.max_key_size, 16);
	cr_assert_eq(p.pairing.init_key_dist, 7);
}

Test(smp_codec, values_are_reversed_at_the_wire)
{
	struct smp_pdu p;
	round_trip(v_confirm, sizeof v_confirm, &p);
	for (int i = 0; i < 16; i++)
		cr_assert_eq(p.value[i], 15 - i);
	round_trip(v_random, sizeof v_random, &p);
	cr_assert_eq(p.value[0], 0xff);
	cr_assert_eq(p.value[15], 0xf0);
	const struct {
		const uint8_t *v;
		size_t n;
		uint8_t code;
	} same[] = { { v_encinfo, sizeof v_encinfo, SMP_ENCRYPTION_INFORMATION },
		     { v_idinfo, sizeof v_idinfo, SMP_IDENTITY_INFORMATION },
		     { v_sign, sizeof v_sign, SMP_SIGNING_INFORMATION },
		     { v_dhcheck, sizeof v_dhcheck, SMP_PAIRING_DHKEY_CHECK } };
	for (size_t k = 0; k < sizeof same / sizeof same[0]; k++) {
		round_trip(same[k].v, same[k].n, &p);
		cr_assert_eq(p.code, same[k].code);
		cr_assert_eq(p.value[0], same[k].v[16]);
		cr_assert_eq(p.value[15], same[k].v[1]);
	}
}

Test(smp_codec, short_pdus)
{
	struct smp_pdu p;
	round_trip(v_failed, sizeof v_failed, &p);
	cr_assert_eq(p.reason, SMP_ERR_DHKEY_CHECK_FAILED);
	round_trip(v_secreq, sizeof v_secreq, &p);
	cr_assert_eq(p.auth_req, 0x2d);
	round_trip(v_keypress, sizeof v_keypress, &p);
	cr_assert_eq(p.notification, SMP_KEYPRESS_COMPLETED);
	round_trip(v_centralid, sizeof v_centralid, &p);
	cr_assert_eq(p.central_id.ediv, 0x1234);
	cr_assert_eq(p.central_id.rand, 0x0807060504030201ull);
	round_trip(v_idaddr, sizeof v_idaddr, &p);
	cr_assert_eq(p.id_addr.type, 1);
	static const uint8_t addr[6] = { 0xc1, 0xa2, 0xa3, 0xa4, 0xa5, 0xa6 };
	cr_assert_arr_eq(p.id_addr.addr, addr, 6);
}

Test(smp_codec, public_key, .init = fill_pubkey)
{
	struct smp_pdu p;
	round_trip(v_pubkey, sizeof v_pubkey, &p);
	cr_assert_eq(p.public_key.x[0], 0x40 + 31);
	cr_assert_eq(p.public_key.x[31], 0x40);
	cr_assert_eq(p.public_key.y[0], 0x80 + 31);
	cr_assert_eq(p.public_key.y[31], 0x80);
}

Test(smp_codec, every_pdu_short_or_long_is_refused, .init = fill_pubkey)
{
	uint8_t buf[SMP_PDU_MAX + 2];
	struct smp_pdu p;
	cr_assert_eq(sizeof all / sizeof all[0], SMP_CODE_MAX);
	for (size_t k = 0; k < sizeof all / sizeof all[0]; k++) {
		cr_assert_eq(all[k].p[0], k + 1);
		cr_assert_eq(smp_pdu_len(all[k].p[0]), all[k].len);
		memcpy(buf, all[k].p, all[k].len);
		buf[all[k].len] = 0x00;
		cr_assert_eq(smp_pdu_decode(buf, all[k].len - 1, &p), -EBADMSG, "short 0x%02x",
			     buf[0]);
		cr_assert_eq(smp_pdu_decode(buf, all[k].len + 1, &p), -EBADMSG, "long 0x%02x",
			     buf[0]);
		cr_assert_eq(smp_pdu_decode(buf, all[k].len, &p), 0);
		/* Encoding into one octet too few fails, nothing is half-written
		 * past the buffer. */
		cr_assert_eq(smp_pdu_encode(&p, buf, all[k].len - 1), -ENOSPC);
	}
}

Test(smp_codec, unknown_and_empty)
{
	struct smp_pdu p;
	cr_assert_eq(smp_pdu_decode(NULL, 0, &p), -EBADMSG);
	cr_assert_eq(smp_pdu_decode(B(0x00), &p), -ENOTSUP);
	cr_assert_eq(smp_pdu_decode(B(0x0f, 0x00), &p), -ENOTSUP);
	cr_assert_eq(p.code, 0x0f);
	cr_assert_eq(smp_pdu_decode(B(0xff), &p), -ENOTSUP);
	p.code = 0x42;
	uint8_t buf[8];
	cr_assert_eq(smp_pdu_encode(&p, buf, sizeof buf), -ENOTSUP);
}

Test(smp_codec, names)
{
	cr_assert_str_eq(smp_code_name(SMP_PAIRING_REQUEST), "smp_pairing_request");
	cr_assert_str_eq(smp_code_name(SMP_KEYPRESS_NOTIFICATION), "smp_keypress_notification");
	cr_assert_str_eq(smp_code_name(0), "unknown");
	cr_assert_str_eq(smp_code_name(0x99), "unknown");
	cr_assert_str_eq(smp_reason_name(SMP_ERR_CONFIRM_VALUE_FAILED), "confirm value failed");
	cr_assert_str_eq(smp_reason_name(SMP_ERR_DHKEY_CHECK_FAILED), "dhkey check failed");
	cr_assert_str_eq(smp_reason_name(SMP_ERR_REPEATED_ATTEMPTS), "repeated attempts");
	cr_assert_str_eq(smp_reason_name(0), "unknown");
	cr_assert_str_eq(smp_reason_name(0xee), "unknown");
	for (uint8_t c = 1; c <= SMP_CODE_MAX; c++)
		cr_assert_str_neq(smp_code_name(c), "unknown");
	for (uint8_t r = 1; r <= SMP_ERR_BUSY; r++)
		cr_assert_str_neq(smp_reason_name(r), "unknown");
}
