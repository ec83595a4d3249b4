/* SDP PDUs: strict decoding and encoding (see sdp_codec.h).
 *
 * What a request is refused with:
 *   ParameterLength not the bytes that follow the header   Invalid PDU Size
 *   a malformed data element, a pattern that is not a sequence of 1..12
 *   UUIDs, an ID list that is not a sequence of 16-bit IDs and 32-bit
 *   ranges lo..hi with lo <= hi, MaximumServiceRecordCount 0,
 *   MaximumAttributeByteCount under 7, bytes after the continuation state
 *                                                          Invalid request syntax
 *   a continuation state longer than 16 bytes              Invalid Continuation State
 *   more than SDP_ID_LIST_MAX IDs and ranges               Insufficient Resources
 */
#include "sdp_codec.h"

#include <string.h>

int sdp_decode_hdr(const uint8_t *pdu, size_t len, struct sdp_hdr *hdr)
{
	struct rd r = rd_init(pdu, len);
	hdr->pdu_id = rd_u8(&r);
	hdr->tid = sdp_rd_be16(&r);
	hdr->plen = sdp_rd_be16(&r);
	if (!rd_ok(&r) || r.left != hdr->plen)
		return SDP_ERR_INVALID_PDU_SIZE;
	return 0;
}

const char *sdp_pdu_name(uint8_t pdu_id)
{
	switch (pdu_id) {
	case SDP_ERROR_RSP:
		return "sdp_error_response";
	case SDP_SERVICE_SEARCH_REQ:
		return "sdp_service_search_request";
	case SDP_SERVICE_SEARCH_RSP:
		return "sdp_service_search_response";
	case SDP_SERVICE_ATTR_REQ:
		return "sdp_service_attribute_request";
	case SDP_SERVICE_ATTR_RSP:
		return "sdp_service_attribute_response";
	case SDP_SERVICE_SEARCH_ATTR_REQ:
		return "sdp_service_search_attribute_request";
	case SDP_SERVICE_SEARCH_ATTR_RSP:
		return "sdp_service_search_attribute_response";
	default:
		return "sdp_unknown";
	}
}

const char *sdp_error_name(uint16_t code)
{
	switch (code) {
	case SDP_ERR_NONE:
		return "success";
	case SDP_ERR_UNSUPPORTED_VERSION:
		return "invalid/unsupported SDP version";
	case SDP_ERR_INVALID_HANDLE:
		return "invalid service record handle";
	case SDP_ERR_INVALID_SYNTAX:
		return "invalid request syntax";
	case SDP_ERR_INVALID_PDU_SIZE:
		return "invalid PDU size";
	case SDP_ERR_INVALID_CONTINUATION:
		return "invalid continuation state";
	case SDP_ERR_INSUFFICIENT_RESOURCES:
		return "insufficient resources";
	default:
		return "unknown SDP error";
	}
}

uint32_t sdp_rsp_handle(const struct sdp_service_search_rsp *r, unsigned i)
{
	if (i >= r->current)
		return 0;
	struct rd h = rd_init(r->handles + 4 * i, 4);
	return sdp_rd_be32(&h);
}

/* ---- pieces of requests ----------------------------------------------------- */

static int read_pattern(struct rd *r, struct sdp_pattern *p)
{
	struct sdp_de seq, de;
	memset(p, 0, sizeof *p);
	if (sdp_de_read(r, &seq) < 0 || seq.type != SDP_DE_SEQ)
		return SDP_ERR_INVALID_SYNTAX;
	struct rd in = rd_init(seq.data, seq.len);
	while (in.left) {
		if (sdp_de_read(&in, &de) < 0 || de.type != SDP_DE_UUID)
			return SDP_ERR_INVALID_SYNTAX;
		if (p->n == SDP_PATTERN_MAX)
			return SDP_ERR_INVALID_SYNTAX;
		sdp_de_uuid(&de, &p->uuid[p->n++]);
	}
	return p->n ? 0 : SDP_ERR_INVALID_SYNTAX;
}

static int read_id_list(struct rd *r, struct sdp_id_list *l)
{
	struct sdp_de seq, de;
	l->n = 0;
	if (sdp_de_read(r, &seq) < 0 || seq.type != SDP_DE_SEQ)
		return SDP_ERR_INVALID_SYNTAX;
	struct rd in = rd_init(seq.data, seq.len);
	while (in.left) {
		if (sdp_de_read(&in, &de) < 0 || de.type != SDP_DE_UINT ||
		    (de.len != 2 && de.len != 4))
			return SDP_ERR_INVALID_SYNTAX;
		uint32_t v = (uint32_t)sdp_de_uint(&de);
		struct sdp_id_range e = { .lo = (uint16_t)v, .hi = (uint16_t)v };
		if (de.len == 4) {
			e.lo = (uint16_t)(v >> 16);
			e.range = true;
			if (e.lo > e.hi)
				return SDP_ERR_INVALID_SYNTAX;
		}
		if (l->n == SDP_ID_LIST_MAX)
			return SDP_ERR_INSUFFICIENT_RESOURCES;
		l->r[l->n++] = e;
	}
	return l->n ? 0 : SDP_ERR_INVALID_SYNTAX;
}

/* The continuation state, which must end the parameters. */
static int read_cont(struct rd *r, struct sdp_cont *c)
{
	memset(c, 0, sizeof *c);
	uint8_t n = rd_u8(r);
	if (!rd_ok(r))
		return SDP_ERR_INVALID_SYNTAX;
	if (n > SDP_CONT_MAX)
		return SDP_ERR_INVALID_CONTINUATION;
	if (!rd_copy(r, c->b, n))
		return SDP_ERR_INVALID_SYNTAX;
	c->len = n;
	return rd_end(r) ? 0 : SDP_ERR_INVALID_SYNTAX;
}

static void set_key(struct sdp_req_key *key, const uint8_t *params, const struct rd *r)
{
	if (key) {
		key->p = params;
		key->len = (size_t)(r->p - params);
	}
}

int sdp_decode_service_search_req(const uint8_t *params, size_t len,
				  struct sdp_service_search_req *out, struct sdp_req_key *key)
{
	struct rd r = rd_init(params, len);
	int rc = read_pattern(&r, &out->pattern);
	if (rc)
		return rc;
	out->max_records = sdp_rd_be16(&r);
	if (!rd_ok(&r) || out->max_records == 0)
		return SDP_ERR_INVALID_SYNTAX;
	set_key(key, params, &r);
	return read_cont(&r, &out->cont);
}

int sdp_decode_service_attr_req(const uint8_t *params, size_t len,
				struct sdp_service_attr_req *out, struct sdp_req_key *key)
{
	struct rd r = rd_init(params, len);
	out->handle = sdp_rd_be32(&r);
	out->max_bytes = sdp_rd_be16(&r);
	if (!rd_ok(&r) || out->max_bytes < SDP_MIN_ATTR_BYTE_COUNT)
		return SDP_ERR_INVALID_SYNTAX;
	int rc = read_id_list(&r, &out->ids);
	if (rc)
		return rc;
	set_key(key, params, &r);
	return read_cont(&r, &out->cont);
}

int sdp_decode_service_search_attr_req(const uint8_t *params, size_t len,
				       struct sdp_service_search_attr_req *out,
				       struct sdp_req_key *key)
{
	struct rd r = rd_init(params, len);
	int rc = read_pattern(&r, &out->pattern);
	if (rc)
		return rc;
	out->max_bytes = sdp_rd_be16(&r);
	if (!rd_ok(&r) || out->max_bytes < SDP_MIN_ATTR_BYTE_COUNT)
		return SDP_ERR_INVALID_SYNTAX;
	rc = read_id_list(&r, &out->ids);
	if (rc)
		return rc;
	set_key(key, params, &r);
	return read_cont(&r, &out->cont);
}

/* ---- encoding ---------------------------------------------------------------- */

/* Writes the header with a zero length; returns where it starts. */
static size_t hdr_open(struct wr *w, uint8_t pdu_id, uint16_t tid)
{
	size_t at = w->len;
	wr_u8(w, pdu_id);
	sdp_wr_be16(w, tid);
	sdp_wr_be16(w, 0);
	return at;
}

static void hdr_close(struct wr *w, size_t at)
{
	if (!wr_ok(w))
		return;
	size_t plen = w->len - at - SDP_HDR_LEN;
	if (plen > 0xffff) {
		w->overflow = true;
		return;
	}
	w->p[at + 3] = (uint8_t)(plen >> 8);
	w->p[at + 4] = (uint8_t)plen;
}

static void put_cont(struct wr *w, const struct sdp_cont *c)
{
	uint8_t n = c && c->len <= SDP_CONT_MAX ? c->len : 0;
	wr_u8(w, n);
	if (n)
		wr_bytes(w, c->b, n);
}

static void put_pattern(struct wr *w, const struct sdp_pattern *p)
{
	size_t s = sdp_de_seq_open(w);
	for (unsigned i = 0; i < p->n && i < SDP_PATTERN_MAX; i++)
		sdp_de_put_uuid(w, &p->uuid[i]);
	sdp_de_seq_close(w, s, SDP_DE_SEQ);
}

static void put_ids(struct wr *w, const struct sdp_id_list *l)
{
	size_t s = sdp_de_seq_open(w);
	for (unsigned i = 0; i < l->n && i < SDP_ID_LIST_MAX; i++) {
		if (l->r[i].range)
			sdp_de_put_u32(w, (uint32_t)l->r[i].lo << 16 | l->r[i].hi);
		else
			sdp_de_put_u16(w, l->r[i].lo);
	}
	sdp_de_seq_close(w, s, SDP_DE_SEQ);
}

void sdp_encode_service_search_req(struct wr *w, uint16_t tid,
				   const struct sdp_service_search_req *q)
{
	size_t at = hdr_open(w, SDP_SERVICE_SEARCH_REQ, tid);
	put_pattern(w, &q->pattern);
	sdp_wr_be16(w, q->max_records);
	put_cont(w, &q->cont);
	hdr_close(w, at);
}

void sdp_encode_service_attr_req(struct wr *w, uint16_t tid, const struct sdp_service_attr_req *q)
{
	size_t at = hdr_open(w, SDP_SERVICE_ATTR_REQ, tid);
	sdp_wr_be32(w, q->handle);
	sdp_wr_be16(w, q->max_bytes);
	put_ids(w, &q->ids);
	put_cont(w, &q->cont);
	hdr_close(w, at);
}

void sdp_encode_service_search_attr_req(struct wr *w, uint16_t tid,
					const struct sdp_service_search_attr_req *q)
{
	size_t at = hdr_open(w, SDP_SERVICE_SEARCH_ATTR_REQ, tid);
	put_pattern(w, &q->pattern);
	sdp_wr_be16(w, q->max_bytes);
	put_ids(w, &q->ids);
	put_cont(w, &q->cont);
	hdr_close(w, at);
}

void sdp_encode_error_rsp(struct wr *w, uint16_t tid, uint16_t code)
{
	size_t at = hdr_open(w, SDP_ERROR_RSP, tid);
	sdp_wr_be16(w, code);
	hdr_close(w, at);
}

void sdp_encode_service_search_rsp(struct wr *w, uint16_t tid, uint16_t total,
				   const uint32_t *handles, uint16_t n,
				   const struct sdp_cont *cont)
{
	size_t at = hdr_open(w, SDP_SERVICE_SEARCH_RSP, tid);
	sdp_wr_be16(w, total);
	sdp_wr_be16(w, n);
	for (unsigned i = 0; i < n; i++)
		sdp_wr_be32(w, handles[i]);
	put_cont(w, cont);
	hdr_close(w, at);
}

void sdp_encode_attr_rsp(struct wr *w, uint8_t pdu_id, uint16_t tid, const uint8_t *bytes,
			 uint16_t n, const struct sdp_cont *cont)
{
	size_t at = hdr_open(w, pdu_id, tid);
	sdp_wr_be16(w, n);
	wr_bytes(w, bytes, n);
	put_cont(w, cont);
	hdr_close(w, at);
}

/* ---- decoding responses ----------------------------------------------------- */

int sdp_decode_error_rsp(const uint8_t *params, size_t len, uint16_t *code)
{
	struct rd r = rd_init(params, len);
	*code = sdp_rd_be16(&r);
	/* ErrorInfo: none is defined; whatever follows is ignored. */
	return rd_ok(&r) ? 0 : SDP_ERR_INVALID_SYNTAX;
}

int sdp_decode_service_search_rsp(const uint8_t *params, size_t len,
				  struct sdp_service_search_rsp *out)
{
	struct rd r = rd_init(params, len);
	out->total = sdp_rd_be16(&r);
	out->current = sdp_rd_be16(&r);
	out->handles = rd_ptr(&r, 4 * (size_t)out->current);
	if (!rd_ok(&r) || out->current > out->total)
		return SDP_ERR_INVALID_SYNTAX;
	return read_cont(&r, &out->cont);
}

int sdp_decode_attr_rsp(const uint8_t *params, size_t len, struct sdp_attr_rsp *out)
{
	struct rd r = rd_init(params, len);
	out->count = sdp_rd_be16(&r);
	out->bytes = rd_ptr(&r, out->count);
	if (!rd_ok(&r))
		return SDP_ERR_INVALID_SYNTAX;
	return read_cont(&r, &out->cont);
}
