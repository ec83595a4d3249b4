/* SMP PDU codec (see smp_codec.h). Pure: no allocation, no globals beyond
 * constant tables. Every read goes through struct rd. */
#include "smp_codec.h"

#include <errno.h>
#include <string.h>

#include "hive_bytes.h"

static const struct {
	uint8_t len;
	const char *name;
} pdus[SMP_CODE_MAX + 1] = {
	[SMP_PAIRING_REQUEST] = { 7, "smp_pairing_request" },
	[SMP_PAIRING_RESPONSE] = { 7, "smp_pairing_response" },
	[SMP_PAIRING_CONFIRM] = { 17, "smp_pairing_confirm" },
	[SMP_PAIRING_RANDOM] = { 17, "smp_pairing_random" },
	[SMP_PAIRING_FAILED] = { 2, "smp_pairing_failed" },
	[SMP_ENCRYPTION_INFORMATION] = { 17, "smp_encryption_information" },
	[SMP_CENTRAL_IDENTIFICATION] = { 11, "smp_central_identification" },
	[SMP_IDENTITY_INFORMATION] = { 17, "smp_identity_information" },
	[SMP_IDENTITY_ADDRESS_INFORMATION] = { 8, "smp_identity_address_information" },
	[SMP_SIGNING_INFORMATION] = { 17, "smp_signing_information" },
	[SMP_SECURITY_REQUEST] = { 2, "smp_security_request" },
	[SMP_PAIRING_PUBLIC_KEY] = { 65, "smp_pairing_public_key" },
	[SMP_PAIRING_DHKEY_CHECK] = { 17, "smp_pairing_dhkey_check" },
	[SMP_KEYPRESS_NOTIFICATION] = { 2, "smp_keypress_notification" },
};

static const char *const reasons[] = {
	[SMP_ERR_PASSKEY_ENTRY_FAILED] = "passkey entry failed",
	[SMP_ERR_OOB_NOT_AVAILABLE] = "oob not available",
	[SMP_ERR_AUTH_REQUIREMENTS] = "authentication requirements",
	[SMP_ERR_CONFIRM_VALUE_FAILED] = "confirm value failed",
	[SMP_ERR_PAIRING_NOT_SUPPORTED] = "pairing not supported",
	[SMP_ERR_ENCRYPTION_KEY_SIZE] = "encryption key size",
	[SMP_ERR_COMMAND_NOT_SUPPORTED] = "command not supported",
	[SMP_ERR_UNSPECIFIED] = "unspecified reason",
	[SMP_ERR_REPEATED_ATTEMPTS] = "repeated attempts",
	[SMP_ERR_INVALID_PARAMETERS] = "invalid parameters",
	[SMP_ERR_DHKEY_CHECK_FAILED] = "dhkey check failed",
	[SMP_ERR_NUMERIC_COMPARISON_FAILED] = "numeric comparison failed",
	[SMP_ERR_BREDR_PAIRING_IN_PROGRESS] = "br/edr pairing in progress",
	[SMP_ERR_CTKD_NOT_ALLOWED] = "cross-transport key derivation not allowed",
	[SMP_ERR_KEY_REJECTED] = "key rejected",
	[SMP_ERR_BUSY] = "busy",
};

size_t smp_pdu_len(uint8_t code)
{
	return code <= SMP_CODE_MAX ? pdus[code].len : 0;
}

const char *smp_code_name(uint8_t code)
{
	return code <= SMP_CODE_MAX && pdus[code].name ? pdus[code].name : "unknown";
}

const char *smp_reason_name(uint8_t reason)
{
	if (reason < sizeof reasons / sizeof reasons[0] && reasons[reason])
		return reasons[reason];
	return "unknown";
}

/* n octets from the wire (least significant first) into out, most
 * significant first. */
static void rd_rev(struct rd *r, uint8_t *out, size_t n)
{
	const uint8_t *b = rd_ptr(r, n);
	for (size_t i = 0; i < n; i++)
		out[i] = b ? b[n - 1 - i] : 0;
}

static void wr_rev(struct wr *w, const uint8_t *in, size_t n)
{
	uint8_t *b = wr_reserve(w, n);
	if (b)
		for (size_t i = 0; i < n; i++)
			b[i] = in[n - 1 - i];
}

int smp_pdu_decode(const uint8_t *buf, size_t len, struct smp_pdu *out)
{
	struct rd r = rd_init(buf, len);
	memset(out, 0, sizeof *out);
	out->code = rd_u8(&r);
	if (!rd_ok(&r))
		return -EBADMSG;
	size_t want = smp_pdu_len(out->code);
	if (!want)
		return -ENOTSUP;
	if (len != want)
		return -EBADMSG;
	switch (out->code) {
	case SMP_PAIRING_REQUEST:
	case SMP_PAIRING_RESPONSE:
		out->pairing.io_cap = rd_u8(&r);
		out->pairing.oob = rd_u8(&r);
		out->pairing.auth_req = rd_u8(&r);
		out->pairing.max_key_size = rd_u8(&r);
		out->pairing.init_key_dist = rd_u8(&r);
		out->pairing.resp_key_dist = rd_u8(&r);
		break;
	case SMP_PAIRING_CONFIRM:
	case SMP_PAIRING_RANDOM:
	case SMP_ENCRYPTION_INFORMATION:
	case SMP_IDENTITY_INFORMATION:
	case SMP_SIGNING_INFORMATION:
	case SMP_PAIRING_DHKEY_CHECK:
		rd_rev(&r, out->value, 16);
		break;
	case SMP_PAIRING_FAILED:
		out->reason = rd_u8(&r);
		break;
	case SMP_CENTRAL_IDENTIFICATION:
		out->central_id.ediv = rd_le16(&r);
		out->central_id.rand = rd_le64(&r);
		break;
	case SMP_IDENTITY_ADDRESS_INFORMATION:
		out->id_addr.type = rd_u8(&r);
		rd_rev(&r, out->id_addr.addr, 6);
		break;
	case SMP_SECURITY_REQUEST:
		out->auth_req = rd_u8(&r);
		break;
	case SMP_PAIRING_PUBLIC_KEY:
		rd_rev(&r, out->public_key.x, 32);
		rd_rev(&r, out->public_key.y, 32);
		break;
	case SMP_KEYPRESS_NOTIFICATION:
		out->notification = rd_u8(&r);
		break;
	}
	return rd_end(&r) ? 0 : -EBADMSG;
}

int smp_pdu_encode(const struct smp_pdu *pdu, uint8_t *buf, size_t cap)
{
	size_t want = smp_pdu_len(pdu->code);
	if (!want)
		return -ENOTSUP;
	struct wr w = wr_init(buf, cap);
	wr_u8(&w, pdu->code);
	switch (pdu->code) {
	case SMP_PAIRING_REQUEST:
	case SMP_PAIRING_RESPONSE:
		wr_u8(&w, pdu->pairing.io_cap);
		wr_u8(&w, pdu->pairing.oob);
		wr_u8(&w, pdu->pairing.auth_req);
		wr_u8(&w, pdu->pairing.max_key_size);
		wr_u8(&w, pdu->pairing.init_key_dist);
		wr_u8(&w, pdu->pairing.resp_key_dist);
		break;
	case SMP_PAIRING_CONFIRM:
	case SMP_PAIRING_RANDOM:
	case SMP_ENCRYPTION_INFORMATION:
	case SMP_IDENTITY_INFORMATION:
	case SMP_SIGNING_INFORMATION:
	case SMP_PAIRING_DHKEY_CHECK:
		wr_rev(&w, pdu->value, 16);
		break;
	case SMP_PAIRING_FAILED:
		wr_u8(&w, pdu->reason);
		break;
	case SMP_CENTRAL_IDENTIFICATION:
		wr_le16(&w, pdu->central_id.ediv);
		wr_le64(&w, pdu->central_id.rand);
		break;
	case SMP_IDENTITY_ADDRESS_INFORMATION:
		wr_u8(&w, pdu->id_addr.type);
		wr_rev(&w, pdu->id_addr.addr, 6);
		break;
	case SMP_SECURITY_REQUEST:
		wr_u8(&w, pdu->auth_req);
		break;
	case SMP_PAIRING_PUBLIC_KEY:
		wr_rev(&w, pdu->public_key.x, 32);
		wr_rev(&w, pdu->public_key.y, 32);
		break;
	case SMP_KEYPRESS_NOTIFICATION:
		wr_u8(&w, pdu->notification);
		break;
	}
	if (!wr_ok(&w))
		return -ENOSPC;
	return (int)w.len;
}
