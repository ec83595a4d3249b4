/* L2CAP codec, BR/EDR signaling: see l2cap_codec_bredr.h. */
#include "l2cap_codec_bredr.h"

#include <errno.h>

int l2cap_bredr_sig_next(struct rd *r, uint8_t *code, uint8_t *ident, const uint8_t **data,
			 uint16_t *data_len)
{
	if (r->bad || r->left == 0)
		return 0;
	size_t at = r->left;
	*code = at >= 1 ? r->p[0] : 0;
	*ident = at >= 2 ? r->p[1] : 0;
	rd_skip(r, 2);
	*data_len = rd_le16(r);
	*data = rd_ptr(r, *data_len);
	if (!rd_ok(r)) {
		r->left = 0;
		return -EBADMSG;
	}
	return 1;
}

/* Command Reject and Disconnection share the LE codec's shapes. */
static int decode_shared(uint8_t code, const uint8_t *p, size_t len, struct l2cap_bredr_sig *s)
{
	struct l2cap_sig le;
	int rc = l2cap_sig_data_decode(code, p, len, &le);
	if (rc < 0)
		return rc;
	if (code == L2CAP_COMMAND_REJECT)
		s->u.command_reject = le.u.command_reject;
	else
		s->u.disconnection = le.u.disconnection;
	return 0;
}

int l2cap_bredr_sig_data_decode(uint8_t code, const uint8_t *p, size_t len,
				struct l2cap_bredr_sig *s)
{
	struct rd r = rd_init(p, len);
	size_t n = 0;
	const uint8_t *rest;
	s->code = code;
	switch (code) {
	case L2CAP_COMMAND_REJECT:
	case L2CAP_DISCONNECTION_REQUEST:
	case L2CAP_DISCONNECTION_RESPONSE:
		return decode_shared(code, p, len, s);
	case L2CAP_CONNECTION_REQUEST:
		s->u.conn_request.psm = rd_le16(&r);
		s->u.conn_request.scid = rd_le16(&r);
		break;
	case L2CAP_CONNECTION_RESPONSE:
		s->u.conn_response.dcid = rd_le16(&r);
		s->u.conn_response.scid = rd_le16(&r);
		s->u.conn_response.result = rd_le16(&r);
		s->u.conn_response.status = rd_le16(&r);
		break;
	case L2CAP_CONFIGURATION_REQUEST:
	case L2CAP_CONFIGURATION_RESPONSE:
		s->u.conf.cid = rd_le16(&r);
		s->u.conf.flags = rd_le16(&r);
		s->u.conf.result = code == L2CAP_CONFIGURATION_RESPONSE ? rd_le16(&r) : 0;
		rest = rd_rest(&r, &n);
		s->u.conf.opts = rest;
		s->u.conf.opts_len = (uint16_t)n;
		break;
	case L2CAP_ECHO_REQUEST:
	case L2CAP_ECHO_RESPONSE:
		rest = rd_rest(&r, &n);
		s->u.echo.data = rest;
		s->u.echo.len = (uint16_t)n;
		break;
	case L2CAP_INFORMATION_REQUEST:
		s->u.info = (struct l2cap_information){ .type = rd_le16(&r) };
		break;
	case L2CAP_INFORMATION_RESPONSE:
		s->u.info.type = rd_le16(&r);
		s->u.info.result = rd_le16(&r);
		rest = rd_rest(&r, &n);
		s->u.info.data = rest;
		s->u.info.len = (uint16_t)n;
		break;
	default:
		return -ENOTSUP;
	}
	return rd_end(&r) ? 0 : -EPROTO;
}

/* The length a known option must have (-1: any). */
static int opt_len(uint8_t type)
{
	switch (type) {
	case L2CAP_OPT_MTU: return 2;
	case L2CAP_OPT_FLUSH_TIMEOUT: return 2;
	case L2CAP_OPT_QOS: return L2CAP_OPT_QOS_LEN;
	case L2CAP_OPT_RFC: return L2CAP_OPT_RFC_LEN;
	case L2CAP_OPT_FCS: return 1;
	default: return -1;
	}
}

int l2cap_conf_opts_parse(const uint8_t *p, size_t len, struct l2cap_conf_opts *o)
{
	struct rd r = rd_init(p, len);
	*o = (struct l2cap_conf_opts){ 0 };
	while (rd_ok(&r) && r.left) {
		uint8_t type = rd_u8(&r);
		uint8_t olen = rd_u8(&r);
		struct rd v = rd_sub(&r, olen);
		if (!rd_ok(&r))
			return -EPROTO;
		uint8_t base = type & (uint8_t)~L2CAP_OPT_HINT;
		int want = opt_len(base);
		if (want < 0) {
			if (type & L2CAP_OPT_HINT)
				continue;
			if (o->n_unknown < L2CAP_CONF_UNKNOWN_MAX)
				o->unknown[o->n_unknown] = type;
			if (o->n_unknown < UINT8_MAX)
				o->n_unknown++;
			continue;
		}
		if (olen != want)
			return -EPROTO;
		switch (base) {
		case L2CAP_OPT_MTU:
			o->has_mtu = true;
			o->mtu = rd_le16(&v);
			break;
		case L2CAP_OPT_FLUSH_TIMEOUT:
			o->has_flush_timeout = true;
			o->flush_timeout = rd_le16(&v);
			break;
		case L2CAP_OPT_QOS:
			o->has_qos = true; /* accepted as is */
			break;
		case L2CAP_OPT_RFC:
			o->has_rfc = true;
			o->rfc_mode = rd_u8(&v);
			break;
		case L2CAP_OPT_FCS:
			o->has_fcs = true;
			o->fcs = rd_u8(&v);
			break;
		}
	}
	return rd_ok(&r) ? 0 : -EPROTO;
}

void l2cap_conf_opt_mtu(struct wr *w, uint16_t mtu)
{
	wr_u8(w, L2CAP_OPT_MTU);
	wr_u8(w, 2);
	wr_le16(w, mtu);
}

int l2cap_bredr_sig_encode(struct wr *w, const struct l2cap_bredr_sig *s)
{
	if (s->code == L2CAP_COMMAND_REJECT || s->code == L2CAP_DISCONNECTION_REQUEST ||
	    s->code == L2CAP_DISCONNECTION_RESPONSE) {
		struct l2cap_sig le = { .code = s->code, .ident = s->ident };
		if (s->code == L2CAP_COMMAND_REJECT)
			le.u.command_reject = s->u.command_reject;
		else
			le.u.disconnection = s->u.disconnection;
		return l2cap_sig_encode(w, &le);
	}
	size_t start = w->len;
	wr_u8(w, s->code);
	wr_u8(w, s->ident);
	wr_le16(w, 0); /* the length, filled in below */
	switch (s->code) {
	case L2CAP_CONNECTION_REQUEST:
		wr_le16(w, s->u.conn_request.psm);
		wr_le16(w, s->u.conn_request.scid);
		break;
	case L2CAP_CONNECTION_RESPONSE:
		wr_le16(w, s->u.conn_response.dcid);
		wr_le16(w, s->u.conn_response.scid);
		wr_le16(w, s->u.conn_response.result);
		wr_le16(w, s->u.conn_response.status);
		break;
	case L2CAP_CONFIGURATION_REQUEST:
	case L2CAP_CONFIGURATION_RESPONSE:
		wr_le16(w, s->u.conf.cid);
		wr_le16(w, s->u.conf.flags);
		if (s->code == L2CAP_CONFIGURATION_RESPONSE)
			wr_le16(w, s->u.conf.result);
		if (s->u.conf.opts_len)
			wr_bytes(w, s->u.conf.opts, s->u.conf.opts_len);
		break;
	case L2CAP_ECHO_REQUEST:
	case L2CAP_ECHO_RESPONSE:
		if (s->u.echo.len)
			wr_bytes(w, s->u.echo.data, s->u.echo.len);
		break;
	case L2CAP_INFORMATION_REQUEST:
		wr_le16(w, s->u.info.type);
		break;
	case L2CAP_INFORMATION_RESPONSE:
		wr_le16(w, s->u.info.type);
		wr_le16(w, s->u.info.result);
		if (s->u.info.len)
			wr_bytes(w, s->u.info.data, s->u.info.len);
		break;
	default:
		return -EINVAL;
	}
	if (w->overflow)
		return -EMSGSIZE;
	size_t dlen = w->len - start - L2CAP_SIG_HDR_LEN;
	w->p[start + 2] = (uint8_t)dlen;
	w->p[start + 3] = (uint8_t)(dlen >> 8);
	return 0;
}

const char *l2cap_bredr_sig_name(uint8_t code)
{
	switch (code) {
	case L2CAP_CONNECTION_REQUEST: return "l2cap_connection_request";
	case L2CAP_CONNECTION_RESPONSE: return "l2cap_connection_response";
	case L2CAP_CONFIGURATION_REQUEST: return "l2cap_configuration_request";
	case L2CAP_CONFIGURATION_RESPONSE: return "l2cap_configuration_response";
	case L2CAP_ECHO_REQUEST: return "l2cap_echo_request";
	case L2CAP_ECHO_RESPONSE: return "l2cap_echo_response";
	case L2CAP_INFORMATION_REQUEST: return "l2cap_information_request";
	case L2CAP_INFORMATION_RESPONSE: return "l2cap_information_response";
	default: return l2cap_sig_name(code);
	}
}

const char *l2cap_conn_result_str(uint16_t result)
{
	switch (result) {
	case L2CAP_CONN_SUCCESS: return "success";
	case L2CAP_CONN_PENDING: return "pending";
	case L2CAP_CONN_PSM_NOT_SUPPORTED: return "PSM not supported";
	case L2CAP_CONN_SECURITY_BLOCK: return "security block";
	case L2CAP_CONN_NO_RESOURCES: return "no resources available";
	case L2CAP_CONN_INVALID_SCID: return "invalid source CID";
	case L2CAP_CONN_SCID_ALREADY_ALLOCATED: return "source CID already allocated";
	default: return "unknown connection result";
	}
}

const char *l2cap_conf_result_str(uint16_t result)
{
	switch (result) {
	case L2CAP_CONF_SUCCESS: return "success";
	case L2CAP_CONF_UNACCEPTABLE_PARAMETERS: return "unacceptable parameters";
	case L2CAP_CONF_REJECTED: return "rejected";
	case L2CAP_CONF_UNKNOWN_OPTIONS: return "unknown options";
	case L2CAP_CONF_PENDING: return "pending";
	case L2CAP_CONF_FLOW_SPEC_REJECTED: return "flow spec rejected";
	default: return "unknown configuration result";
	}
}
