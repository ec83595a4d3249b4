/* The SDP client's browse: see sdp_client.h. */
#include "sdp_client.h"

#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void sdp_browse_init(struct sdp_browse *b, uint16_t max_bytes)
{
	memset(b, 0, sizeof *b);
	b->max_bytes = max_bytes < SDP_MIN_ATTR_BYTE_COUNT ? SDP_MIN_ATTR_BYTE_COUNT : max_bytes;
	b->tid = 1;
}

void sdp_browse_free(struct sdp_browse *b)
{
	free(b->buf);
	b->buf = NULL;
	b->len = b->cap = 0;
}

int sdp_browse_request(struct sdp_browse *b, struct wr *w)
{
	struct sdp_service_search_attr_req *q = calloc(1, sizeof *q);
	if (!q)
		return -ENOMEM;
	q->pattern.n = 1;
	q->pattern.uuid[0] = sdp_uuid16(SDP_PUBLIC_BROWSE_GROUP);
	q->max_bytes = b->max_bytes;
	q->ids.n = 1;
	q->ids.r[0] = (struct sdp_id_range){ .lo = 0x0000, .hi = 0xffff, .range = true };
	q->cont = b->cont;
	sdp_encode_service_search_attr_req(w, b->tid, q);
	free(q);
	return w->overflow ? -EMSGSIZE : 0;
}

static int append(struct sdp_browse *b, const uint8_t *p, size_t n)
{
	if (b->len + n > SDP_BROWSE_MAX)
		return -E2BIG;
	if (b->len + n > b->cap) {
		size_t cap = b->cap ? b->cap : 1024;
		while (cap < b->len + n)
			cap *= 2;
		uint8_t *v = realloc(b->buf, cap);
		if (!v)
			return -ENOMEM;
		b->buf = v;
		b->cap = cap;
	}
	if (n)
		memcpy(b->buf + b->len, p, n);
	b->len += n;
	return 0;
}

int sdp_browse_response(struct sdp_browse *b, const uint8_t *pdu, size_t len,
			uint16_t *sdp_err)
{
	struct sdp_hdr h;
	*sdp_err = 0;
	if (sdp_decode_hdr(pdu, len, &h) != 0 || h.tid != b->tid)
		return -EBADMSG;
	const uint8_t *params = pdu + SDP_HDR_LEN;
	if (h.pdu_id == SDP_ERROR_RSP)
		return sdp_decode_error_rsp(params, h.plen, sdp_err) == 0 ? -EREMOTEIO : -EBADMSG;
	struct sdp_attr_rsp r;
	if (h.pdu_id != SDP_SERVICE_SEARCH_ATTR_RSP || sdp_decode_attr_rsp(params, h.plen, &r) != 0)
		return -EBADMSG;
	/* An answer longer than we allowed breaks the request's contract. */
	if (r.count > b->max_bytes)
		return -EBADMSG;
	int rc = append(b, r.bytes, r.count);
	if (rc < 0)
		return rc;
	b->tid = (uint16_t)(b->tid == 0xffff ? 1 : b->tid + 1);
	b->cont = r.cont;
	if (r.cont.len) {
		if (++b->rounds > SDP_BROWSE_ROUNDS_MAX)
			return -E2BIG;
		return 1;
	}
	return sdp_de_valid(b->buf, b->len) ? 0 : -EBADMSG;
}

int sdp_browse_each(const struct sdp_browse *b, sdp_attr_fn fn, void *arg)
{
	struct rd r = rd_init(b->buf, b->len);
	struct sdp_de top;
	if (sdp_de_read_deep(&r, &top, SDP_DE_MAX_DEPTH) < 0 || top.type != SDP_DE_SEQ ||
	    !rd_end(&r))
		return -EBADMSG;
	int records = 0;
	struct rd recs = rd_init(top.data, top.len);
	while (recs.left) {
		struct sdp_de rec;
		if (sdp_de_read(&recs, &rec) < 0 || rec.type != SDP_DE_SEQ)
			return -EBADMSG;
		/* The handle first, so every attribute can name its record. */
		uint32_t handle = 0xffffffffu;
		struct rd a = rd_init(rec.data, rec.len);
		while (a.left) {
			struct sdp_de id, v;
			if (sdp_de_read(&a, &id) < 0 || sdp_de_read(&a, &v) < 0 ||
			    id.type != SDP_DE_UINT || id.len != 2)
				return -EBADMSG;
			if (sdp_de_uint(&id) == 0x0000 && v.type == SDP_DE_UINT && v.len == 4)
				handle = (uint32_t)sdp_de_uint(&v);
		}
		a = rd_init(rec.data, rec.len);
		for (unsigned i = 0; a.left; i++) {
			struct sdp_de id, v;
			sdp_de_read(&a, &id);
			sdp_de_read(&a, &v);
			if (fn)
				fn(handle, i, (uint16_t)sdp_de_uint(&id), &v, arg);
		}
		records++;
	}
	return records;
}

const char *sdp_attr_name(uint16_t id)
{
	switch (id) {
	case 0x0000: return "ServiceRecordHandle";
	case 0x0001: return "ServiceClassIDList";
	case 0x0002: return "ServiceRecordState";
	case 0x0003: return "ServiceID";
	case 0x0004: return "ProtocolDescriptorList";
	case 0x0005: return "BrowseGroupList";
	case 0x0006: return "LanguageBaseAttributeIDList";
	case 0x0007: return "ServiceInfoTimeToLive";
	case 0x0008: return "ServiceAvailability";
	case 0x0009: return "BluetoothProfileDescriptorList";
	case 0x000A: return "DocumentationURL";
	case 0x000B: return "ClientExecutableURL";
	case 0x000C: return "IconURL";
	case 0x000D: return "AdditionalProtocolDescriptorLists";
	/* At the primary language base 0x0100. */
	case 0x0100: return "ServiceName";
	case 0x0101: return "ServiceDescription";
	case 0x0102: return "ProviderName";
	/* The SDP server's own record; GOEP and others reuse 0x0200. */
	case 0x0200: return "VersionNumberList";
	case 0x0201: return "ServiceDatabaseState";
	case 0x0311: return "SupportedFeatures";
	default: return "";
	}
}

/* ---- formatting ------------------------------------------------------------ */

struct out {
	char *p;
	size_t cap, len;
	bool cut;
};

static void put(struct out *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void put(struct out *o, const char *fmt, ...)
{
	if (o->cut)
		return;
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(o->p + o->len, o->cap - o->len, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= o->cap - o->len) {
		o->cut = true;
		o->len = o->cap - 1;
		return;
	}
	o->len += (size_t)n;
}

static void format(struct out *o, const struct sdp_de *de, unsigned depth)
{
	struct rd r;
	switch (de->type) {
	case SDP_DE_NIL:
		put(o, "nil");
		break;
	case SDP_DE_BOOL:
		put(o, "%s", de->len && de->data[0] ? "true" : "false");
		break;
	case SDP_DE_UINT:
	case SDP_DE_INT:
		if (de->len > 8) {
			put(o, "0x");
			for (uint32_t i = 0; i < de->len; i++)
				put(o, "%02x", de->data[i]);
		} else if (de->type == SDP_DE_INT) {
			int64_t v = (int64_t)sdp_de_uint(de);
			put(o, "%lld", (long long)v);
		} else {
			put(o, "0x%0*llx", (int)de->len * 2, (unsigned long long)sdp_de_uint(de));
		}
		break;
	case SDP_DE_UUID: {
		struct sdp_uuid u;
		uint32_t s;
		if (sdp_de_uuid(de, &u) < 0)
			break;
		if (de->len <= 4 && sdp_uuid_short(&u, &s))
			put(o, de->len == 2 ? "uuid 0x%04x" : "uuid 0x%08x", s);
		else
			put(o, "uuid %02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x",
			    u.b[0], u.b[1], u.b[2], u.b[3], u.b[4], u.b[5], u.b[6], u.b[7], u.b[8],
			    u.b[9], u.b[10], u.b[11], u.b[12], u.b[13], u.b[14], u.b[15]);
		break;
	}
	case SDP_DE_TEXT:
	case SDP_DE_URL:
		put(o, "\"");
		for (uint32_t i = 0; i < de->len; i++) {
			uint8_t c = de->data[i];
			if (c == '"' || c == '\\')
				put(o, "\\%c", c);
			else if (c >= 0x20 && c < 0x7f)
				put(o, "%c", c);
			else if (c == 0 && i + 1 == de->len)
				; /* a terminating NUL */
			else
				put(o, "\\x%02x", c);
		}
		put(o, "\"");
		break;
	case SDP_DE_SEQ:
	case SDP_DE_ALT:
		put(o, de->type == SDP_DE_SEQ ? "[" : "alt[");
		r = rd_init(de->data, de->len);
		for (unsigned i = 0; r.left && depth < SDP_DE_MAX_DEPTH; i++) {
			struct sdp_de e;
			if (sdp_de_read(&r, &e) < 0)
				break;
			if (i)
				put(o, ", ");
			format(o, &e, depth + 1);
		}
		put(o, "]");
		break;
	default:
		put(o, "?");
		break;
	}
}

size_t sdp_de_format(const struct sdp_de *de, char *out, size_t cap)
{
	struct out o = { .p = out, .cap = cap };
	out[0] = '\0';
	format(&o, de, 0);
	if (o.cut && cap >= 4) {
		memcpy(out + cap - 4, "...", 4);
		o.len = cap - 1;
	}
	return o.len;
}
