/* The SDP server's transactions (see sdp_server.h).
 *
 * Each request builds its whole answer (the handle list, or the attribute
 * list(s) as one data element) and sends the slice that starts where the
 * continuation state says: the database does not change, so building it
 * again for every continuation gives the same bytes.
 *
 * ServiceSearchAttribute: a matching record none of whose attributes are
 * asked for is left out of the AttributeLists (as BlueZ does).
 */
#include "sdp_server.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

struct sdp_cont_slot {
	bool active;
	uint8_t pdu_id;
	uint64_t digest; /* FNV-1a of the request's parameters before the state */
	size_t key_len;
	uint32_t offset; /* handles or bytes already sent */
	struct sdp_cont issued;
};

struct sdp_channel {
	uint16_t handle, cid;
	uint16_t mtu;
	struct sdp_cont_slot cont;
};

struct sdp_server {
	const struct sdp_db *db;
	uint16_t default_mtu;
	uint32_t nonce;
	size_t n_channels;
	struct sdp_channel channels[SDP_CHANNELS_MAX];
	uint32_t *handles; /* one per record: a ServiceSearch answer */
	size_t scratch_len;
	uint8_t *scratch; /* the largest attribute list(s) answer */
	struct sdp_server_stats stats;
};

/* The transaction being answered. */
struct sdp_txn {
	struct sdp_channel *ch;
	struct sdp_hdr hdr;
	const uint8_t *params;
	struct wr *w; /* the answer */
};

static uint16_t clamp_mtu(uint32_t mtu)
{
	return (uint16_t)(mtu < SDP_MTU_MIN ? SDP_MTU_MIN : mtu > SDP_RSP_MAX ? SDP_RSP_MAX : mtu);
}

int sdp_server_new(struct sdp_server **out, const struct sdp_db *db,
		   const struct sdp_server_config *cfg)
{
	struct sdp_server *s = calloc(1, sizeof *s);
	*out = NULL;
	if (!s)
		return -ENOMEM;
	s->db = db;
	s->default_mtu = clamp_mtu(cfg && cfg->default_mtu ? cfg->default_mtu : SDP_MTU_DEFAULT);
	s->nonce = cfg ? cfg->seed : 0;
	s->handles = calloc(sdp_db_count(db) + 1, sizeof *s->handles);
	s->scratch_len = sdp_db_max_lists_len(db);
	s->scratch = malloc(s->scratch_len);
	if (!s->handles || !s->scratch) {
		sdp_server_destroy(&s);
		return -ENOMEM;
	}
	*out = s;
	return 0;
}

void sdp_server_destroy(struct sdp_server **self_p)
{
	if (!self_p || !*self_p)
		return;
	free((*self_p)->handles);
	free((*self_p)->scratch);
	free(*self_p);
	*self_p = NULL;
}

/* ---- channels ------------------------------------------------------------------ */

static struct sdp_channel *channel(struct sdp_server *s, uint16_t handle, uint16_t cid,
				   bool create)
{
	for (size_t i = 0; i < s->n_channels; i++)
		if (s->channels[i].handle == handle && s->channels[i].cid == cid)
			return &s->channels[i];
	if (!create || s->n_channels == SDP_CHANNELS_MAX)
		return NULL;
	struct sdp_channel *ch = &s->channels[s->n_channels++];
	memset(ch, 0, sizeof *ch);
	ch->handle = handle;
	ch->cid = cid;
	ch->mtu = s->default_mtu;
	return ch;
}

int sdp_server_set_mtu(struct sdp_server *s, uint16_t handle, uint16_t cid, uint32_t mtu)
{
	struct sdp_channel *ch = channel(s, handle, cid, true);
	if (!ch)
		return -ENOSPC;
	ch->mtu = clamp_mtu(mtu);
	return 0;
}

static void channel_remove(struct sdp_server *s, size_t i)
{
	s->channels[i] = s->channels[--s->n_channels];
}

void sdp_server_channel_closed(struct sdp_server *s, uint16_t handle, uint16_t cid)
{
	for (size_t i = 0; i < s->n_channels; i++)
		if (s->channels[i].handle == handle && s->channels[i].cid == cid) {
			channel_remove(s, i);
			return;
		}
}

void sdp_server_link_down(struct sdp_server *s, uint16_t handle)
{
	for (size_t i = s->n_channels; i-- > 0;)
		if (s->channels[i].handle == handle)
			channel_remove(s, i);
}

size_t sdp_server_channel_count(const struct sdp_server *s)
{
	return s->n_channels;
}

const struct sdp_server_stats *sdp_server_stats(const struct sdp_server *s)
{
	return &s->stats;
}

/* ---- continuation states ---------------------------------------------------------- */

static uint64_t digest(const struct sdp_req_key *key)
{
	uint64_t h = 0xcbf29ce484222325ull;
	for (size_t i = 0; i < key->len; i++)
		h = (h ^ key->p[i]) * 0x100000001b3ull;
	return h;
}

/* Where the request continues: 0 for a fresh request (which abandons any
 * earlier one), the offset of the state we issued, or
 * SDP_ERR_INVALID_CONTINUATION. */
static int cont_take(struct sdp_txn *t, const struct sdp_req_key *key,
		     const struct sdp_cont *c, uint32_t *offset)
{
	struct sdp_cont_slot *slot = &t->ch->cont;
	*offset = 0;
	if (c->len == 0) {
		slot->active = false;
		return 0;
	}
	bool ok = slot->active && slot->pdu_id == t->hdr.pdu_id && c->len == slot->issued.len &&
		  !memcmp(c->b, slot->issued.b, c->len) && slot->key_len == key->len &&
		  slot->digest == digest(key);
	slot->active = false;
	if (!ok)
		return SDP_ERR_INVALID_CONTINUATION;
	*offset = slot->offset;
	return 0;
}

static void cont_issue(struct sdp_server *s, struct sdp_txn *t, const struct sdp_req_key *key,
		       uint32_t offset, struct sdp_cont *c)
{
	struct sdp_cont_slot *slot = &t->ch->cont;
	uint32_t nonce = s->nonce++;
	struct wr w = wr_init(c->b, sizeof c->b);
	sdp_wr_be32(&w, offset);
	sdp_wr_be32(&w, nonce);
	c->len = (uint8_t)w.len;
	*slot = (struct sdp_cont_slot){ .active = true,
					.pdu_id = t->hdr.pdu_id,
					.digest = digest(key),
					.key_len = key->len,
					.offset = offset,
					.issued = *c };
	s->stats.continuations++;
}

/* ---- the transactions --------------------------------------------------------------- */

static size_t search(struct sdp_server *s, const struct sdp_pattern *p, size_t max)
{
	size_t n = 0;
	for (size_t i = 0; i < sdp_db_count(s->db) && n < max; i++) {
		const struct sdp_record *r = sdp_db_at(s->db, i);
		if (sdp_record_matches(r, p))
			s->handles[n++] = r->handle;
	}
	return n;
}

static int on_sdp_service_search_request(struct sdp_server *s, struct sdp_txn *t)
{
	struct sdp_service_search_req q;
	struct sdp_req_key key;
	struct sdp_cont c = { 0 };
	uint32_t off;
	int rc = sdp_decode_service_search_req(t->params, t->hdr.plen, &q, &key);
	if (rc == 0)
		rc = cont_take(t, &key, &q.cont, &off);
	if (rc)
		return rc;
	size_t total = search(s, &q.pattern, q.max_records);
	if (off >= total && (off || q.cont.len))
		return SDP_ERR_INVALID_CONTINUATION;
	/* header, TotalServiceRecordCount, CurrentServiceRecordCount, state length */
	size_t room = t->ch->mtu - SDP_HDR_LEN - 4 - 1;
	size_t n = total - off;
	if (n * 4 > room) {
		n = (room - SDP_TOKEN_LEN) / 4;
		cont_issue(s, t, &key, off + (uint32_t)n, &c);
	}
	sdp_encode_service_search_rsp(t->w, t->hdr.tid, (uint16_t)total, s->handles + off,
				      (uint16_t)n, &c);
	return 0;
}

/* Sends the slice of body that starts at the continuation state. */
static int answer_slice(struct sdp_server *s, struct sdp_txn *t, const struct sdp_req_key *key,
			const struct sdp_cont *in, const uint8_t *body, size_t len,
			uint16_t max_bytes, uint8_t rsp_id)
{
	struct sdp_cont c = { 0 };
	uint32_t off;
	int rc = cont_take(t, key, in, &off);
	if (rc)
		return rc;
	if (in->len && off >= len)
		return SDP_ERR_INVALID_CONTINUATION;
	/* header, AttributeListByteCount, state length */
	size_t room = t->ch->mtu - SDP_HDR_LEN - 2 - 1;
	size_t n = len - off;
	if (n > max_bytes || n > room) {
		n = room - SDP_TOKEN_LEN;
		if (n > max_bytes)
			n = max_bytes;
		cont_issue(s, t, key, off + (uint32_t)n, &c);
	}
	sdp_encode_attr_rsp(t->w, rsp_id, t->hdr.tid, body + off, (uint16_t)n, &c);
	return 0;
}

static int on_sdp_service_attribute_request(struct sdp_server *s, struct sdp_txn *t)
{
	struct sdp_service_attr_req q;
	struct sdp_req_key key;
	int rc = sdp_decode_service_attr_req(t->params, t->hdr.plen, &q, &key);
	if (rc)
		return rc;
	const struct sdp_record *r = sdp_db_find(s->db, q.handle);
	if (!r)
		return SDP_ERR_INVALID_HANDLE;
	struct wr body = wr_init(s->scratch, s->scratch_len);
	sdp_record_attr_list(r, &q.ids, &body);
	if (!wr_ok(&body))
		return SDP_ERR_INSUFFICIENT_RESOURCES;
	return answer_slice(s, t, &key, &q.cont, body.p, body.len, q.max_bytes,
			    SDP_SERVICE_ATTR_RSP);
}

static int on_sdp_service_search_attribute_request(struct sdp_server *s, struct sdp_txn *t)
{
	struct sdp_service_search_attr_req q;
	struct sdp_req_key key;
	int rc = sdp_decode_service_search_attr_req(t->params, t->hdr.plen, &q, &key);
	if (rc)
		return rc;
	size_t n = search(s, &q.pattern, sdp_db_count(s->db));
	struct wr body = wr_init(s->scratch, s->scratch_len);
	size_t outer = sdp_de_seq_open(&body);
	for (size_t i = 0; i < n; i++) {
		size_t at = body.len;
		if (sdp_record_attr_list(sdp_db_find(s->db, s->handles[i]), &q.ids, &body) == 0 &&
		    wr_ok(&body))
			body.len = at; /* nothing asked for in this record */
	}
	sdp_de_seq_close(&body, outer, SDP_DE_SEQ);
	if (!wr_ok(&body))
		return SDP_ERR_INSUFFICIENT_RESOURCES;
	return answer_slice(s, t, &key, &q.cont, body.p, body.len, q.max_bytes,
			    SDP_SERVICE_SEARCH_ATTR_RSP);
}

/* ---- dispatch ---------------------------------------------------------------------- */

typedef int (*sdp_handler)(struct sdp_server *s, struct sdp_txn *t);

/* Sorted by PDU ID; min_len is the shortest parameters that can be well
 * formed (a one-UUID pattern is 5 bytes, a one-ID list 5, the state 1). */
static const struct sdp_handler_entry {
	uint8_t pdu_id;
	bool request;
	uint16_t min_len;
	const char *name;
	sdp_handler fn;
} handlers[] = {
	{ SDP_ERROR_RSP, false, 2, "sdp_error_response", NULL },
	{ SDP_SERVICE_SEARCH_REQ, true, 5 + 2 + 1, "sdp_service_search_request",
	  on_sdp_service_search_request },
	{ SDP_SERVICE_SEARCH_RSP, false, 5, "sdp_service_search_response", NULL },
	{ SDP_SERVICE_ATTR_REQ, true, 4 + 2 + 5 + 1, "sdp_service_attribute_request",
	  on_sdp_service_attribute_request },
	{ SDP_SERVICE_ATTR_RSP, false, 3, "sdp_service_attribute_response", NULL },
	{ SDP_SERVICE_SEARCH_ATTR_REQ, true, 5 + 2 + 5 + 1, "sdp_service_search_attribute_request",
	  on_sdp_service_search_attribute_request },
	{ SDP_SERVICE_SEARCH_ATTR_RSP, false, 3, "sdp_service_search_attribute_response", NULL },
};

static const struct sdp_handler_entry *find_handler(uint8_t pdu_id)
{
	size_t lo = 0, hi = sizeof handlers / sizeof handlers[0];
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (handlers[mid].pdu_id == pdu_id)
			return &handlers[mid];
		if (handlers[mid].pdu_id < pdu_id)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

int sdp_server_on_pdu(struct sdp_server *s, uint16_t handle, uint16_t cid, const uint8_t *pdu,
		      size_t len, struct sdp_outbox *out)
{
	if (out->n >= SDP_OUTBOX_MAX)
		return -ENOSPC;
	struct sdp_out_pdu *o = &out->pdus[out->n];
	struct wr w = wr_init(o->pdu, sizeof o->pdu);
	struct sdp_txn t = { .w = &w };
	int code = sdp_decode_hdr(pdu, len, &t.hdr);
	const struct sdp_handler_entry *h = find_handler(t.hdr.pdu_id);
	if (code == 0 && h && !h->request) {
		s->stats.dropped++;
		return -EPROTO;
	}
	t.ch = channel(s, handle, cid, true);
	s->stats.requests++;
	if (!t.ch)
		code = SDP_ERR_INSUFFICIENT_RESOURCES;
	else if (code == 0 && !h)
		code = SDP_ERR_INVALID_SYNTAX;
	else if (code == 0 && t.hdr.plen < h->min_len)
		code = SDP_ERR_INVALID_SYNTAX;
	if (code == 0) {
		t.params = pdu + SDP_HDR_LEN;
		code = h->fn(s, &t);
	}
	if (code == 0 && (!wr_ok(&w) || w.len > t.ch->mtu))
		code = SDP_ERR_INSUFFICIENT_RESOURCES; /* cannot happen: every answer is sized */
	if (code) {
		if (t.ch)
			t.ch->cont.active = false;
		w = wr_init(o->pdu, sizeof o->pdu);
		sdp_encode_error_rsp(&w, t.hdr.tid, (uint16_t)code);
		s->stats.errors++;
	}
	o->handle = handle;
	o->cid = cid;
	o->len = (uint16_t)w.len;
	out->n++;
	return 0;
}
