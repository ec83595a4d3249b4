/* The H4 framer (split, merged, garbage, oversized and truncated lengths,
 * endpoints of one type), h4_check, and the bounded packet queue. Input is
 * fed from heap copies of exactly the bytes given, so ASan catches any read
 * beyond them. */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "../../actors/hci/h4.h"
#include "../../actors/hci/hci_queue.h"

#define MAX_GOT 64

struct got {
	size_t n;
	uint8_t type[MAX_GOT];
	size_t len[MAX_GOT];
	uint8_t *data[MAX_GOT];
};

static void on_packet(void *arg, uint8_t type, const uint8_t *pkt, size_t len)
{
	struct got *g = arg;
	if (g->n >= MAX_GOT) {
		g->n++; /* counted, not kept */
		return;
	}
	g->type[g->n] = type;
	g->len[g->n] = len;
	g->data[g->n] = malloc(len ? len : 1);
	memcpy(g->data[g->n], pkt, len);
	g->n++;
}

static void got_free(struct got *g)
{
	for (size_t i = 0; i < g->n && i < MAX_GOT; i++)
		free(g->data[i]);
	memset(g, 0, sizeof *g);
}

static struct h4 *new_framer(uint32_t types, struct got *g)
{
	struct h4 *h = malloc(sizeof *h);
	h4_init(h, types, on_packet, g);
	return h;
}

/* Feeds exactly len bytes from an exact-size heap copy. */
static int feed(struct h4 *h, const uint8_t *p, size_t len)
{
	uint8_t *copy = malloc(len ? len : 1);
	memcpy(copy, p, len);
	int rc = h4_feed(h, copy, len);
	free(copy);
	return rc;
}

static void expect(const struct got *g, size_t i, uint8_t type, const uint8_t *pkt, size_t len)
{
	cr_assert_gt(g->n, i, "packet %zu missing (got %zu)", i, g->n);
	cr_assert_eq(g->type[i], type, "packet %zu: type %u, want %u", i, g->type[i], type);
	cr_assert_eq(g->len[i], len, "packet %zu: %zu bytes, want %zu", i, g->len[i], len);
	cr_assert(memcmp(g->data[i], pkt, len) == 0, "packet %zu differs", i);
}

static const uint8_t reset_complete[] = { 0x04, 0x0e, 0x04, 0x01, 0x03, 0x0c, 0x00 };
static const uint8_t acl5[] = { 0x02, 0x40, 0x20, 0x05, 0x00, 1, 2, 3, 4, 5 };
static const uint8_t sco3[] = { 0x03, 0x01, 0x00, 0x03, 9, 8, 7 };
static const uint8_t iso2[] = { 0x05, 0x60, 0x00, 0x02, 0xc0, 0xaa, 0xbb }; /* RFU length bits set */
static const uint8_t cmd_reset[] = { 0x01, 0x03, 0x0c, 0x00 };

Test(hci_h4, one_event)
{
	struct got g = { 0 };
	struct h4 *h = new_framer(H4_FROM_CONTROLLER, &g);
	cr_assert_eq(feed(h, reset_complete, sizeof reset_complete), 0);
	cr_assert_eq(g.n, 1);
	expect(&g, 0, H4_EVENT, reset_complete + 1, sizeof reset_complete - 1);
	cr_assert_eq(h->len, 0);
	cr_assert_eq(h->st.packets, 1);
	got_free(&g);
	free(h);
}

Test(hci_h4, split_at_every_byte)
{
	uint8_t stream[64];
	size_t n = 0;
	memcpy(stream + n, reset_complete, sizeof reset_complete);
	n += sizeof reset_complete;
	memcpy(stream + n, acl5, sizeof acl5);
	n += sizeof acl5;
	memcpy(stream + n, iso2, sizeof iso2);
	n += sizeof iso2;
	/* Every split point of the whole stream, in two pieces. */
	for (size_t cut = 0; cut <= n; cut++) {
		struct got g = { 0 };
		struct h4 *h = new_framer(H4_FROM_CONTROLLER, &g);
		feed(h, stream, cut);
		feed(h, stream + cut, n - cut);
		cr_assert_eq(g.n, 3, "cut at %zu: %zu packets", cut, g.n);
		expect(&g, 0, H4_EVENT, reset_complete + 1, sizeof reset_complete - 1);
		expect(&g, 1, H4_ACL, acl5 + 1, sizeof acl5 - 1);
		expect(&g, 2, H4_ISO, iso2 + 1, sizeof iso2 - 1);
		got_free(&g);
		free(h);
	}
	/* One byte at a time. */
	struct got g = { 0 };
	struct h4 *h = new_framer(H4_FROM_CONTROLLER, &g);
	for (size_t i = 0; i < n; i++) {
		feed(h, stream + i, 1);
		cr_assert_eq(g.n, i + 1 < sizeof reset_complete ? 0u : g.n);
	}
	cr_assert_eq(g.n, 3);
	got_free(&g);
	free(h);
}

Test(hci_h4, many_packets_in_one_feed)
{
	uint8_t stream[2000];
	size_t n = 0;
	for (int i = 0; i < 100; i++) {
		const uint8_t *p = i % 3 == 0 ? reset_complete : i % 3 == 1 ? acl5 : sco3;
		size_t len = i % 3 == 0 ? sizeof reset_complete : i % 3 == 1 ? sizeof acl5 : sizeof sco3;
		memcpy(stream + n, p, len);
		n += len;
	}
	struct got g = { 0 };
	struct h4 *h = new_framer(H4_FROM_CONTROLLER, &g);
	cr_assert_eq(feed(h, stream, n), 0);
	cr_assert_eq(g.n, 100);
	cr_assert_eq(h->st.packets, 100);
	cr_assert_eq(h->len, 0);
	expect(&g, 0, H4_EVENT, reset_complete + 1, sizeof reset_complete - 1);
	expect(&g, 1, H4_ACL, acl5 + 1, sizeof acl5 - 1);
	expect(&g, 2, H4_SCO, sco3 + 1, sizeof sco3 - 1);
	got_free(&g);
	free(h);
}

Test(hci_h4, garbage_is_skipped_and_counted)
{
	/* 0x00, 0x07, 0xff are never types; a command (0x01) is not something a
	 * controller sends. */
	uint8_t stream[64] = { 0x00, 0xff, 0x07, 0x01 };
	size_t n = 4;
	memcpy(stream + n, reset_complete, sizeof reset_complete);
	n += sizeof reset_complete;
	stream[n++] = 0x99;
	memcpy(stream + n, acl5, sizeof acl5);
	n += sizeof acl5;
	struct got g = { 0 };
	struct h4 *h = new_framer(H4_FROM_CONTROLLER, &g);
	cr_assert_eq(feed(h, stream, n), 0, "no junk limit: no complaint");
	cr_assert_eq(g.n, 2);
	expect(&g, 0, H4_EVENT, reset_complete + 1, sizeof reset_complete - 1);
	expect(&g, 1, H4_ACL, acl5 + 1, sizeof acl5 - 1);
	cr_assert_eq(h->st.bad_type, 5);
	got_free(&g);
	free(h);
}

Test(hci_h4, junk_limit_reports_an_untrusted_stream)
{
	struct got g = { 0 };
	struct h4 *h = new_framer(H4_FROM_CONTROLLER, &g);
	h->junk_limit = 3;
	const uint8_t two[] = { 0x00, 0x00 };
	cr_assert_eq(feed(h, two, 2), 0);
	cr_assert_eq(feed(h, reset_complete, sizeof reset_complete), 0, "a good packet resets the run");
	cr_assert_eq(h->junk_run, 0);
	/* The third bad byte stops the framer: what follows is not delivered. */
	uint8_t stream[32] = { 0x00, 0x00, 0x00 };
	memcpy(stream + 3, reset_complete, sizeof reset_complete);
	cr_assert_eq(feed(h, stream, 3 + sizeof reset_complete), -EBADMSG);
	cr_assert_eq(g.n, 1);
	h4_reset(h);
	cr_assert_eq(feed(h, reset_complete, sizeof reset_complete), 0);
	cr_assert_eq(g.n, 2);
	/* A limit of one: the first bad byte, even with good packets after it. */
	h->junk_limit = 1;
	stream[0] = 0x07;
	memcpy(stream + 1, reset_complete, sizeof reset_complete);
	cr_assert_eq(feed(h, stream, 1 + sizeof reset_complete), -EBADMSG);
	cr_assert_eq(g.n, 2);
	got_free(&g);
	free(h);
}

Test(hci_h4, oversized_length_resynchronises)
{
	struct got g = { 0 };
	struct h4 *h = new_framer(H4_FROM_CONTROLLER, &g);
	h->acl_max = 27;
	/* ACL announcing 2048 bytes, then a good event. */
	uint8_t stream[64] = { 0x02, 0x40, 0x00, 0x00, 0x08 };
	size_t n = 5;
	memcpy(stream + n, reset_complete, sizeof reset_complete);
	n += sizeof reset_complete;
	feed(h, stream, n);
	cr_assert_eq(g.n, 1);
	expect(&g, 0, H4_EVENT, reset_complete + 1, sizeof reset_complete - 1);
	cr_assert_geq(h->st.oversized, 1);
	/* An ACL of exactly acl_max passes. */
	uint8_t ok[1 + 4 + 27] = { 0x02, 0x01, 0x00, 27, 0x00 };
	feed(h, ok, sizeof ok);
	cr_assert_eq(g.n, 2);
	cr_assert_eq(g.len[1], 4 + 27);
	got_free(&g);
	free(h);
}

Test(hci_h4, truncated_packet_waits_for_the_rest)
{
	struct got g = { 0 };
	struct h4 *h = new_framer(H4_FROM_CONTROLLER, &g);
	/* Header says 5 bytes; only 3 arrive. */
	feed(h, acl5, sizeof acl5 - 2);
	cr_assert_eq(g.n, 0);
	cr_assert_eq(h->len, sizeof acl5 - 2);
	/* A header cut short too. */
	struct got g2 = { 0 };
	struct h4 *h2 = new_framer(H4_FROM_CONTROLLER, &g2);
	feed(h2, acl5, 3);
	cr_assert_eq(g2.n, 0);
	feed(h2, acl5 + 3, sizeof acl5 - 3);
	cr_assert_eq(g2.n, 1);
	/* The rest of the first. */
	feed(h, acl5 + sizeof acl5 - 2, 2);
	cr_assert_eq(g.n, 1);
	expect(&g, 0, H4_ACL, acl5 + 1, sizeof acl5 - 1);
	got_free(&g);
	got_free(&g2);
	free(h);
	free(h2);
}

Test(hci_h4, largest_acl_and_iso)
{
	struct got g = { 0 };
	struct h4 *h = new_framer(H4_FROM_CONTROLLER, &g);
	size_t n = 1 + 4 + H4_ACL_PAYLOAD_MAX;
	uint8_t *big = malloc(n);
	for (size_t i = 0; i < n; i++)
		big[i] = (uint8_t)(i * 7);
	big[0] = H4_ACL;
	big[1] = 0x01;
	big[2] = 0x00;
	big[3] = 0xff;
	big[4] = 0xff;
	/* In uneven pieces. */
	size_t off = 0, step = 1;
	while (off < n) {
		size_t k = n - off < step ? n - off : step;
		feed(h, big + off, k);
		off += k;
		step = step * 3 + 1;
	}
	cr_assert_eq(g.n, 1);
	expect(&g, 0, H4_ACL, big + 1, n - 1);
	/* ISO: 14-bit length, the top bits ignored. */
	uint8_t *iso = calloc(1, 1 + 4 + 16383);
	iso[0] = H4_ISO;
	iso[3] = 0xff;
	iso[4] = 0xff; /* 0x3fff with the RFU bits set */
	feed(h, iso, 1 + 4 + 16383);
	cr_assert_eq(g.n, 2);
	cr_assert_eq(g.len[1], 4 + 16383);
	free(big);
	free(iso);
	got_free(&g);
	free(h);
}

Test(hci_h4, commands_from_a_host)
{
	struct got g = { 0 };
	struct h4 *h = new_framer(H4_FROM_HOST, &g);
	const uint8_t evt_then_cmd[] = { 0x04, 0x0e, 0x00, 0x01, 0x03, 0x0c, 0x00 };
	feed(h, evt_then_cmd, sizeof evt_then_cmd);
	/* 0x04 is not from a host: skipped, and so are 0x0e 0x00, then the
	 * command. */
	cr_assert_eq(g.n, 1);
	expect(&g, 0, H4_COMMAND, cmd_reset + 1, sizeof cmd_reset - 1);
	got_free(&g);
	free(h);
}

Test(hci_h4, fixed_type_endpoints)
{
	struct got g = { 0 };
	struct h4 *h = new_framer(H4_BIT(H4_EVENT), &g);
	h->fixed_type = H4_EVENT;
	/* Two events without type bytes, the second split. */
	const uint8_t a[] = { 0x0e, 0x04, 0x01, 0x03, 0x0c, 0x00, 0x13, 0x05, 0x01 };
	const uint8_t b[] = { 0x40, 0x00, 0x01, 0x00 };
	feed(h, a, sizeof a);
	cr_assert_eq(g.n, 1);
	expect(&g, 0, H4_EVENT, a, 6);
	feed(h, b, sizeof b);
	cr_assert_eq(g.n, 2);
	const uint8_t second[] = { 0x13, 0x05, 0x01, 0x40, 0x00, 0x01, 0x00 };
	expect(&g, 1, H4_EVENT, second, sizeof second);
	got_free(&g);
	free(h);
}

Test(hci_h4, check_whole_packets)
{
	const size_t acl_max = 1021;
	cr_assert_eq(h4_check(H4_COMMAND, cmd_reset + 1, 3, acl_max), 0);
	cr_assert_eq(h4_check(H4_ACL, acl5 + 1, sizeof acl5 - 1, acl_max), 0);
	cr_assert_eq(h4_check(H4_SCO, sco3 + 1, sizeof sco3 - 1, acl_max), 0);
	cr_assert_eq(h4_check(H4_EVENT, reset_complete + 1, sizeof reset_complete - 1, acl_max), 0);
	cr_assert_eq(h4_check(H4_ISO, iso2 + 1, sizeof iso2 - 1, acl_max), 0);
	/* Every packet truncated by one byte, or with one more, fails. */
	const uint8_t *pkts[] = { cmd_reset, acl5, sco3, reset_complete, iso2 };
	size_t lens[] = { sizeof cmd_reset, sizeof acl5, sizeof sco3, sizeof reset_complete,
			  sizeof iso2 };
	for (size_t i = 0; i < 5; i++) {
		uint8_t type = pkts[i][0];
		size_t len = lens[i] - 1;
		for (size_t cut = 0; cut < len; cut++)
			cr_assert_eq(h4_check(type, pkts[i] + 1, cut, acl_max), -EBADMSG,
				     "%s cut to %zu passed", h4_type_name(type), cut);
		uint8_t longer[64];
		memcpy(longer, pkts[i] + 1, len);
		longer[len] = 0;
		cr_assert_eq(h4_check(type, longer, len + 1, acl_max), -EBADMSG);
	}
	cr_assert_eq(h4_check(0x07, cmd_reset + 1, 3, acl_max), -EBADMSG);
	cr_assert_eq(h4_check(H4_COMMAND, NULL, 0, acl_max), -EBADMSG);
	/* ACL over the limit. */
	uint8_t *acl = calloc(1, 4 + 1022);
	acl[2] = 0xfe;
	acl[3] = 0x03;
	cr_assert_eq(h4_check(H4_ACL, acl, 4 + 1022, acl_max), -EBADMSG);
	cr_assert_eq(h4_check(H4_ACL, acl, 4 + 1022, 1022), 0);
	free(acl);
}

Test(hci_h4, encode)
{
	uint8_t buf[8];
	struct wr w = wr_init(buf, sizeof buf);
	cr_assert_eq(h4_encode(&w, H4_COMMAND, cmd_reset + 1, 3), 0);
	cr_assert_eq(w.len, 4);
	cr_assert(memcmp(buf, cmd_reset, 4) == 0);
	cr_assert_eq(h4_encode(&w, H4_COMMAND, cmd_reset + 1, 4), -ENOBUFS);
	cr_assert_eq(w.len, 4, "nothing written on overflow");
	cr_assert_str_eq(h4_type_name(H4_ISO), "iso");
	cr_assert_str_eq(h4_type_name(0x42), "unknown");
}

/* ---- the packet queue ------------------------------------------------------- */

Test(hci_queue, fifo_bounds_and_compaction)
{
	struct hci_queue q;
	cr_assert_eq(hci_queue_init(&q, 64, 4), 0);
	uint8_t a[10] = { 1, 2, 3 }, b[20] = { 4 }, c[40] = { 5 };
	cr_assert_eq(hci_queue_push(&q, 1, a, sizeof a), 0);
	cr_assert_eq(hci_queue_push(&q, 2, b, sizeof b), 0);
	cr_assert_eq(hci_queue_push(&q, 2, c, sizeof c), -ENOBUFS, "over the byte bound");
	cr_assert_eq(hci_queue_count(&q), 2);
	cr_assert_eq(hci_queue_bytes(&q), 5 + 10 + 5 + 20);
	uint8_t type;
	const uint8_t *p;
	size_t len;
	cr_assert(hci_queue_peek(&q, &type, &p, &len));
	cr_assert_eq(type, 1);
	cr_assert_eq(len, 10);
	cr_assert(memcmp(p, a, 10) == 0);
	hci_queue_pop(&q);
	/* Room now exists only once the live part slides to the front. */
	cr_assert_eq(hci_queue_push(&q, 3, a, 10), 0);
	cr_assert_eq(hci_queue_push(&q, 3, a, 0), 0);
	cr_assert(hci_queue_peek(&q, &type, &p, &len));
	cr_assert_eq(type, 2);
	cr_assert_eq(len, 20);
	cr_assert_eq(p[0], 4);
	hci_queue_pop(&q);
	cr_assert(hci_queue_peek(&q, &type, &p, &len));
	cr_assert_eq(type, 3);
	cr_assert_eq(len, 10);
	cr_assert_eq(p[2], 3);
	hci_queue_pop(&q);
	cr_assert(hci_queue_peek(&q, &type, &p, &len));
	cr_assert_eq(len, 0);
	hci_queue_pop(&q);
	cr_assert_not(hci_queue_peek(&q, &type, &p, &len));
	hci_queue_pop(&q); /* harmless when empty */
	/* The count bound. */
	for (int i = 0; i < 4; i++)
		cr_assert_eq(hci_queue_push(&q, 1, a, 1), 0);
	cr_assert_eq(hci_queue_push(&q, 1, a, 1), -ENOBUFS);
	cr_assert_eq(q.high_water, 4);
	hci_queue_clear(&q);
	cr_assert_eq(hci_queue_count(&q), 0);
	cr_assert_eq(hci_queue_push(&q, 1, a, 65), -ENOBUFS, "larger than the queue");
	hci_queue_fini(&q);
}

Test(hci_queue, long_run_keeps_order)
{
	struct hci_queue q;
	cr_assert_eq(hci_queue_init(&q, 1000, 100), 0);
	uint32_t next_in = 0, next_out = 0;
	for (int round = 0; round < 2000; round++) {
		uint8_t pkt[64];
		size_t len = (size_t)(round * 13) % 60 + 4;
		memcpy(pkt, &next_in, 4);
		if (hci_queue_push(&q, 2, pkt, len) == 0)
			next_in++;
		if (round % 3 != 0) {
			uint8_t type;
			const uint8_t *p;
			size_t l;
			if (hci_queue_peek(&q, &type, &p, &l)) {
				uint32_t v;
				memcpy(&v, p, 4);
				cr_assert_eq(v, next_out);
				next_out++;
				hci_queue_pop(&q);
			}
		}
	}
	cr_assert_gt(next_out, 1000);
	hci_queue_fini(&q);
}
