/* L2CAP codec: see l2cap_codec.h. */
#include "l2cap_codec.h"

#include <errno.h>

int l2cap_frame_decode(const uint8_t *p, size_t len, struct l2cap_frame *f)
{
	struct rd r = rd_init(p, len);
	uint16_t plen = rd_le16(&r);
	uint16_t cid = rd_le16(&r);
	const uint8_t *payload = rd_ptr(&r, plen);
	if (!rd_end(&r))
		return -EBADMSG;
	f->cid = cid;
	f->len = plen;
	f->payload = payload;
	return 0;
}

void l2cap_frame_header_write(struct wr *w, uint16_t cid, uint16_t len)
{
	wr_le16(w, len);
	wr_le16(w, cid);
}

int l2cap_sig_header_decode(const uint8_t *p, size_t len, uint8_t *code, uint8_t *ident,
			    uint16_t *data_len)
{
	struct rd r = rd_init(p, len);
	*code = rd_u8(&r);
	*ident = rd_u8(&r);
	*data_len = rd_le16(&r);
	if (!rd_ok(&r) || r.left != *data_len)
		return -EBADMSG;
	return 0;
}

/* Reads n CIDs (the rest of the data, 2 bytes each) into cids. */
static bool read_cids(struct rd *r, uint16_t *cids, uint8_t *ncid, unsigned min)
{
	if (r->bad || r->left % 2 || r->left / 2 < min || r->left / 2 > L2CAP_ECRED_CIDS_MAX)
		return false;
	*ncid = (uint8_t)(r->left / 2);
	for (unsigned i = 0; i < *ncid; i++)
		cids[i] = rd_le16(r);
	return true;
}

int l2cap_sig_data_decode(uint8_t code, const uint8_t *p, size_t len, struct l2cap_sig *s)
{
	struct rd r = rd_init(p, len);
	bool ok = true;
	s->code = code;
	switch (code) {
	case L2CAP_COMMAND_REJECT: {
		struct l2cap_command_reject *c = &s->u.command_reject;
		*c = (struct l2cap_command_reject){ .reason = rd_le16(&r) };
		if (c->reason == L2CAP_REJ_SIG_MTU_EXCEEDED) {
			c->mtu = rd_le16(&r);
		} else if (c->reason == L2CAP_REJ_INVALID_CID) {
			c->local_cid = rd_le16(&r);
			c->remote_cid = rd_le16(&r);
		} else if (c->reason != L2CAP_REJ_NOT_UNDERSTOOD) {
			/* A reason from a later specification: its data is opaque. */
			size_t n;
			rd_rest(&r, &n);
		}
		break;
	}
	case L2CAP_DISCONNECTION_REQUEST:
	case L2CAP_DISCONNECTION_RESPONSE:
		s->u.disconnection.dcid = rd_le16(&r);
		s->u.disconnection.scid = rd_le16(&r);
		break;
	case L2CAP_CONNECTION_PARAMETER_UPDATE_REQUEST:
		s->u.cpu_request.interval_min = rd_le16(&r);
		s->u.cpu_request.interval_max = rd_le16(&r);
		s->u.cpu_request.latency = rd_le16(&r);
		s->u.cpu_request.timeout = rd_le16(&r);
		break;
	case L2CAP_CONNECTION_PARAMETER_UPDATE_RESPONSE:
	case L2CAP_CREDIT_BASED_RECONFIGURE_RESPONSE:
		s->u.result.result = rd_le16(&r);
		break;
	case L2CAP_LE_CREDIT_BASED_CONNECTION_REQUEST:
		s->u.le_conn_request.spsm = rd_le16(&r);
		s->u.le_conn_request.scid = rd_le16(&r);
		s->u.le_conn_request.mtu = rd_le16(&r);
		s->u.le_conn_request.mps = rd_le16(&r);
		s->u.le_conn_request.credits = rd_le16(&r);
		break;
	case L2CAP_LE_CREDIT_BASED_CONNECTION_RESPONSE:
		s->u.le_conn_response.dcid = rd_le16(&r);
		s->u.le_conn_response.mtu = rd_le16(&r);
		s->u.le_conn_response.mps = rd_le16(&r);
		s->u.le_conn_response.credits = rd_le16(&r);
		s->u.le_conn_response.result = rd_le16(&r);
		break;
	case L2CAP_FLOW_CONTROL_CREDIT_IND:
		s->u.credit_ind.cid = rd_le16(&r);
		s->u.credit_ind.credits = rd_le16(&r);
		break;
	case L2CAP_CREDIT_BASED_CONNECTION_REQUEST: {
		struct l2cap_credit_based_connection_request *c = &s->u.ecred_conn_request;
		c->spsm = rd_le16(&r);
		c->mtu = rd_le16(&r);
		c->mps = rd_le16(&r);
		c->credits = rd_le16(&r);
		ok = read_cids(&r, c->scid, &c->ncid, 1);
		break;
	}
	case L2CAP_CREDIT_BASED_CONNECTION_RESPONSE: {
		struct l2cap_credit_based_connection_response *c = &s->u.ecred_conn_response;
		c->mtu = rd_le16(&r);
		c->mps = rd_le16(&r);
		c->credits = rd_le16(&r);
		c->result = rd_le16(&r);
		ok = read_cids(&r, c->dcid, &c->ncid, 0);
		break;
	}
	case L2CAP_CREDIT_BASED_RECONFIGURE_REQUEST: {
		struct l2cap_credit_based_reconfigure_request *c = &s->u.reconf_request;
		c->mtu = rd_le16(&r);
		c->mps = rd_le16(&r);
		ok = read_cids(&r, c->dcid, &c->ncid, 1);
		break;
	}
	default:
		return -ENOTSUP;
	}
	return ok && rd_end(&r) ? 0 : -EPROTO;
}

int l2cap_sig_decode(const uint8_t *p, size_t len, struct l2cap_sig *s)
{
	uint16_t dlen;
	int rc = l2cap_sig_header_decode(p, len, &s->code, &s->ident, &dlen);
	if (rc < 0)
		return rc;
	uint8_t ident = s->ident;
	rc = l2cap_sig_data_decode(s->code, p + L2CAP_SIG_HDR_LEN, dlen, s);
	s->ident = ident;
	return rc;
}

static bool write_cids(struct wr *w, const uint16_t *cids, uint8_t ncid, unsigned min)
{
	if (ncid < min || ncid > L2CAP_ECRED_CIDS_MAX)
		return false;
	for (unsigned i = 0; i < ncid; i++)
		wr_le16(w, cids[i]);
	return true;
}

int l2cap_sig_encode(struct wr *w, const struct l2cap_sig *s)
{
	size_t start = w->len;
	wr_u8(w, s->code);
	wr_u8(w, s->ident);
	wr_le16(w, 0); /* patched below */
	size_t data_at = w->len;
	bool ok = true;
	switch (s->code) {
	case L2CAP_COMMAND_REJECT: {
		const struct l2cap_command_reject *c = &s->u.command_reject;
		wr_le16(w, c->reason);
		if (c->reason == L2CAP_REJ_SIG_MTU_EXCEEDED) {
			wr_le16(w, c->mtu);
		} else if (c->reason == L2CAP_REJ_INVALID_CID) {
			wr_le16(w, c->local_cid);
			wr_le16(w, c->remote_cid);
		}
		break;
	}
	case L2CAP_DISCONNECTION_REQUEST:
	case L2CAP_DISCONNECTION_RESPONSE:
		wr_le16(w, s->u.disconnection.dcid);
		wr_le16(w, s->u.disconnection.scid);
		break;
	case L2CAP_CONNECTION_PARAMETER_UPDATE_REQUEST:
		wr_le16(w, s->u.cpu_request.interval_min);
		wr_le16(w, s->u.cpu_request.interval_max);
		wr_le16(w, s->u.cpu_request.latency);
		wr_le16(w, s->u.cpu_request.timeout);
		break;
	case L2CAP_CONNECTION_PARAMETER_UPDATE_RESPONSE:
	case L2CAP_CREDIT_BASED_RECONFIGURE_RESPONSE:
		wr_le16(w, s->u.result.result);
		break;
	case L2CAP_LE_CREDIT_BASED_CONNECTION_REQUEST:
		wr_le16(w, s->u.le_conn_request.spsm);
		wr_le16(w, s->u.le_conn_request.scid);
		wr_le16(w, s->u.le_conn_request.mtu);
		wr_le16(w, s->u.le_conn_request.mps);
		wr_le16(w, s->u.le_conn_request.credits);
		break;
	case L2CAP_LE_CREDIT_BASED_CONNECTION_RESPONSE:
		wr_le16(w, s->u.le_conn_response.dcid);
		wr_le16(w, s->u.le_conn_response.mtu);
		wr_le16(w, s->u.le_conn_response.mps);
		wr_le16(w, s->u.le_conn_response.credits);
		wr_le16(w, s->u.le_conn_response.result);
		break;
	case L2CAP_FLOW_CONTROL_CREDIT_IND:
		wr_le16(w, s->u.credit_ind.cid);
		wr_le16(w, s->u.credit_ind.credits);
		break;
	case L2CAP_CREDIT_BASED_CONNECTION_REQUEST: {
		const struct l2cap_credit_based_connection_request *c = &s->u.ecred_conn_request;
		wr_le16(w, c->spsm);
		wr_le16(w, c->mtu);
		wr_le16(w, c->mps);
		wr_le16(w, c->credits);
		ok = write_cids(w, c->scid, c->ncid, 1);
		break;
	}
	case L2CAP_CREDIT_BASED_CONNECTION_RESPONSE: {
		const struct l2cap_credit_based_connection_response *c = &s->u.ecred_conn_response;
		wr_le16(w, c->mtu);
		wr_le16(w, c->mps);
		wr_le16(w, c->credits);
		wr_le16(w, c->result);
		ok = write_cids(w, c->dcid, c->ncid, 0);
		break;
	}
	case L2CAP_CREDIT_BASED_RECONFIGURE_REQUEST: {
		const struct l2cap_credit_based_reconfigure_request *c = &s->u.reconf_request;
		wr_le16(w, c->mtu);
		wr_le16(w, c->mps);
		ok = write_cids(w, c->dcid, c->ncid, 1);
		break;
	}
	default:
		ok = false;
		break;
	}
	if (!ok) {
		if (!w->overflow)
			w->len = start;
		return -EINVAL;
	}
	if (!wr_ok(w))
		return -EMSGSIZE;
	size_t dlen = w->len - data_at;
	w->p[start + 2] = (uint8_t)dlen;
	w->p[start + 3] = (uint8_t)(dlen >> 8);
	return 0;
}

struct sig_info {
	uint8_t code;
	uint8_t min_len;
	const char *name;
};

/* Sorted by code. */
static const struct sig_info sig_info[] = {
	{ L2CAP_COMMAND_REJECT, 2, "l2cap_command_reject" },
	{ L2CAP_DISCONNECTION_REQUEST, 4, "l2cap_disconnection_request" },
	{ L2CAP_DISCONNECTION_RESPONSE, 4, "l2cap_disconnection_response" },
	{ L2CAP_CONNECTION_PARAMETER_UPDATE_REQUEST, 8,
	  "l2cap_connection_parameter_update_request" },
	{ L2CAP_CONNECTION_PARAMETER_UPDATE_RESPONSE, 2,
	  "l2cap_connection_parameter_update_response" },
	{ L2CAP_LE_CREDIT_BASED_CONNECTION_REQUEST, 10,
	  "l2cap_le_credit_based_connection_request" },
	{ L2CAP_LE_CREDIT_BASED_CONNECTION_RESPONSE, 10,
	  "l2cap_le_credit_based_connection_response" },
	{ L2CAP_FLOW_CONTROL_CREDIT_IND, 4, "l2cap_flow_control_credit_ind" },
	{ L2CAP_CREDIT_BASED_CONNECTION_REQUEST, 10, "l2cap_credit_based_connection_request" },
	{ L2CAP_CREDIT_BASED_CONNECTION_RESPONSE, 8, "l2cap_credit_based_connection_response" },
	{ L2CAP_CREDIT_BASED_RECONFIGURE_REQUEST, 6, "l2cap_credit_based_reconfigure_request" },
	{ L2CAP_CREDIT_BASED_RECONFIGURE_RESPONSE, 2, "l2cap_credit_based_reconfigure_response" },
};

static const struct sig_info *sig_find(uint8_t code)
{
	for (size_t i = 0; i < sizeof sig_info / sizeof sig_info[0]; i++)
		if (sig_info[i].code == code)
			return &sig_info[i];
	return NULL;
}

int l2cap_sig_min_len(uint8_t code)
{
	const struct sig_info *i = sig_find(code);
	return i ? i->min_len : -1;
}

const char *l2cap_sig_name(uint8_t code)
{
	const struct sig_info *i = sig_find(code);
	return i ? i->name : "l2cap_unknown_command";
}

const char *l2cap_le_result_str(uint16_t result)
{
	switch (result) {
	case L2CAP_LE_SUCCESS: return "success";
	case L2CAP_LE_SPSM_NOT_SUPPORTED: return "SPSM not supported";
	case L2CAP_LE_NO_RESOURCES: return "no resources available";
	case L2CAP_LE_INSUFFICIENT_AUTHENTICATION: return "insufficient authentication";
	case L2CAP_LE_INSUFFICIENT_AUTHORIZATION: return "insufficient authorization";
	case L2CAP_LE_KEY_SIZE_TOO_SHORT: return "encryption key size too short";
	case L2CAP_LE_INSUFFICIENT_ENCRYPTION: return "insufficient encryption";
	case L2CAP_LE_INVALID_SOURCE_CID: return "invalid source CID";
	case L2CAP_LE_SOURCE_CID_ALREADY_ALLOCATED: return "source CID already allocated";
	case L2CAP_LE_UNACCEPTABLE_PARAMETERS: return "unacceptable parameters";
	default: return "reserved";
	}
}

const char *l2cap_reject_reason_str(uint16_t reason)
{
	switch (reason) {
	case L2CAP_REJ_NOT_UNDERSTOOD: return "command not understood";
	case L2CAP_REJ_SIG_MTU_EXCEEDED: return "signaling MTU exceeded";
	case L2CAP_REJ_INVALID_CID: return "invalid CID in request";
	default: return "reserved";
	}
}
