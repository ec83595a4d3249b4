/* LE credit based channels between two l2cap state machines wired through
 * their outboxes: open, SDUs across MPS boundaries, credits and
 * back-pressure, every disconnection the specification requires, link
 * loss, and 1 MB pushed through in order. Pure, without sockets. */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "../../actors/l2cap/l2cap.h"

#define H 0x0040
#define SPSM 0x0080

/* What one side's owners were told. */
struct event {
	enum l2cap_out_kind kind;
	uint16_t cid;
	int status;
	uint64_t req_id;
	size_t unsent;
	uint16_t mtu, mps;
	bool incoming;
};

struct side {
	struct l2cap *l;
	struct event ev[64];
	size_t nev;
	/* SDUs received, concatenated, and their lengths. */
	uint8_t *rx;
	size_t rx_len, rx_cap;
	size_t sdus;
	size_t last_sdu_len;
	/* K-frames this side sent on dynamic CIDs, and the largest payload. */
	size_t kframes;
	size_t max_kframe;
	bool deliver; /* frames go to the peer (false: they are dropped) */
};

static struct side A, B; /* A central, B peripheral */
static uint64_t now = 1000;

static void side_init(struct side *s, enum l2cap_role role, size_t txq_max)
{
	memset(s, 0, sizeof *s);
	struct l2cap_config cfg;
	l2cap_config_default(&cfg);
	if (txq_max)
		cfg.txq_max = txq_max;
	s->l = l2cap_new(&cfg);
	cr_assert_not_null(s->l);
	cr_assert_eq(l2cap_link_add(s->l, H, role), 0);
	s->deliver = true;
}

static void setup(void)
{
	side_init(&A, L2CAP_ROLE_CENTRAL, 0);
	side_init(&B, L2CAP_ROLE_PERIPHERAL, 0);
}

static void teardown(void)
{
	l2cap_destroy(&A.l);
	l2cap_destroy(&B.l);
	free(A.rx);
	free(B.rx);
}

TestSuite(coc, .init = setup, .fini = teardown, .timeout = 60);

static void record(struct side *s, const struct l2cap_out *o)
{
	if (o->kind == L2CAP_OUT_COC_SDU) {
		if (s->rx_len + o->len > s->rx_cap) {
			s->rx_cap = (s->rx_len + o->len) * 2;
			s->rx = realloc(s->rx, s->rx_cap);
			cr_assert_not_null(s->rx);
		}
		if (o->len)
			memcpy(s->rx + s->rx_len, o->data, o->len);
		s->rx_len += o->len;
		s->sdus++;
		s->last_sdu_len = o->len;
		return;
	}
	cr_assert_lt(s->nev, 64);
	s->ev[s->nev++] = (struct event){ .kind = o->kind, .cid = o->cid, .status = o->status,
					  .req_id = o->req_id, .unsent = o->unsent,
					  .mtu = o->mtu, .mps = o->mps, .incoming = o->incoming };
}

/* Moves everything in both outboxes until both are quiet. */
static void pump(void)
{
	for (int round = 0; round < 1000000; round++) {
		bool moved = false;
		struct side *sides[2] = { &A, &B };
		for (int i = 0; i < 2; i++) {
			struct side *s = sides[i], *peer = sides[1 - i];
			/* Take the items: delivering may append to this outbox. */
			struct l2cap_outbox box = s->l->out;
			s->l->out = (struct l2cap_outbox){ 0 };
			for (size_t j = 0; j < box.n; j++) {
				struct l2cap_out *o = &box.v[j];
				moved = true;
				if (o->kind == L2CAP_OUT_FRAME) {
					if (L2CAP_CID_IS_DYNAMIC(o->cid)) {
						s->kframes++;
						if (o->len - 4 > s->max_kframe)
							s->max_kframe = o->len - 4;
					}
					if (s->deliver)
						l2cap_on_frame(peer->l, H, o->data, o->len, now);
				} else {
					record(s, o);
				}
				free(o->data);
			}
			/* Keep whichever array is larger for reuse. */
			if (s->l->out.n == 0 && box.cap > s->l->out.cap) {
				free(s->l->out.v);
				s->l->out = box;
				s->l->out.n = 0;
			} else {
				free(box.v);
			}
		}
		if (!moved)
			return;
	}
	cr_assert_fail("the two sides never went quiet");
}

static const struct event *find_event(struct side *s, enum l2cap_out_kind kind)
{
	for (size_t i = 0; i < s->nev; i++)
		if (s->ev[i].kind == kind)
			return &s->ev[i];
	return NULL;
}

static uint16_t a_cid, b_cid; /* each side's local CID of the channel */

/* B listens with rx (MTU, MPS, credits); A opens with its own rx. */
static void open_channel(struct l2cap_coc_params a_rx, struct l2cap_coc_params b_rx)
{
	struct l2cap_coc_policy pol = { .rx = b_rx };
	cr_assert_eq(l2cap_coc_listen(B.l, SPSM, "srv", &pol), 0);
	int cid = l2cap_coc_connect(A.l, H, SPSM, "cli", &a_rx, 42, now);
	cr_assert_gt(cid, 0, "connect: %d", cid);
	a_cid = (uint16_t)cid;
	pump();
	const struct event *e = find_event(&A, L2CAP_OUT_COC_OPENED);
	cr_assert_not_null(e, "A not opened");
	cr_assert_eq(e->req_id, 42);
	cr_assert_eq(e->cid, a_cid);
	cr_assert_eq(e->mtu, b_rx.mtu);
	cr_assert_eq(e->mps, b_rx.mps);
	cr_assert_not(e->incoming);
	e = find_event(&B, L2CAP_OUT_COC_OPENED);
	cr_assert_not_null(e, "B not opened");
	cr_assert(e->incoming);
	cr_assert_eq(e->mtu, a_rx.mtu);
	b_cid = e->cid;
	A.nev = B.nev = 0;
}

static uint8_t *pattern(size_t n, unsigned seed)
{
	uint8_t *p = malloc(n ? n : 1);
	for (size_t i = 0; i < n; i++)
		p[i] = (uint8_t)(i * 7 + seed + (i >> 8));
	return p;
}

/* ---- opening ---------------------------------------------------------------------- */

Test(coc, open_and_close_by_owner)
{
	open_channel((struct l2cap_coc_params){ 100, 50, 4 },
		     (struct l2cap_coc_params){ 512, 64, 8 });
	struct l2cap_chan *ca = l2cap_chan_find(A.l, H, a_cid);
	struct l2cap_chan *cb = l2cap_chan_find(B.l, H, b_cid);
	cr_assert_eq(ca->remote_cid, b_cid);
	cr_assert_eq(cb->remote_cid, a_cid);
	cr_assert_eq(ca->tx_credits, 8);
	cr_assert_eq(cb->tx_credits, 4);
	cr_assert_eq(l2cap_coc_disconnect(A.l, H, a_cid, now), 0);
	cr_assert_eq(l2cap_coc_disconnect(A.l, H, a_cid, now), -EALREADY);
	pump();
	const struct event *e = find_event(&A, L2CAP_OUT_COC_CLOSED);
	cr_assert_not_null(e);
	cr_assert_eq(e->status, 0);
	e = find_event(&B, L2CAP_OUT_COC_CLOSED);
	cr_assert_not_null(e);
	cr_assert_eq(e->status, -ECONNRESET);
	cr_assert_null(l2cap_chan_find(A.l, H, a_cid));
	cr_assert_null(l2cap_chan_find(B.l, H, b_cid));
	cr_assert_eq(l2cap_coc_disconnect(A.l, H, a_cid, now), -ENOENT);
}

Test(coc, open_refused_spsm_not_supported)
{
	struct l2cap_coc_params rx = { 100, 50, 4 };
	int cid = l2cap_coc_connect(A.l, H, 0x0081, "cli", &rx, 7, now);
	cr_assert_gt(cid, 0);
	pump();
	const struct event *e = find_event(&A, L2CAP_OUT_COC_OPEN_FAILED);
	cr_assert_not_null(e);
	cr_assert_eq(e->status, L2CAP_LE_SPSM_NOT_SUPPORTED);
	cr_assert_eq(e->req_id, 7);
	cr_assert_null(l2cap_chan_find(A.l, H, (uint16_t)cid));
}

Test(coc, open_times_out)
{
	struct l2cap_coc_params rx = { 100, 50, 4 };
	A.deliver = false;
	int cid = l2cap_coc_connect(A.l, H, SPSM, "cli", &rx, 8, now);
	pump();
	cr_assert_null(find_event(&A, L2CAP_OUT_COC_OPEN_FAILED));
	l2cap_on_time(A.l, l2cap_deadline(A.l));
	pump();
	const struct event *e = find_event(&A, L2CAP_OUT_COC_OPEN_FAILED);
	cr_assert_not_null(e);
	cr_assert_eq(e->status, -ETIMEDOUT);
	cr_assert_null(l2cap_chan_find(A.l, H, (uint16_t)cid));
}

Test(coc, bad_local_requests)
{
	struct l2cap_coc_params rx = { 100, 50, 4 };
	struct l2cap_coc_params bad = { 22, 50, 4 };
	cr_assert_eq(l2cap_coc_connect(A.l, H, SPSM, "cli", &bad, 1, now), -EINVAL);
	cr_assert_eq(l2cap_coc_connect(A.l, H, 0x0100, "cli", &rx, 1, now), -EINVAL);
	cr_assert_eq(l2cap_coc_connect(A.l, H, 0, "cli", &rx, 1, now), -EINVAL);
	cr_assert_eq(l2cap_coc_connect(A.l, 0x99, SPSM, "cli", &rx, 1, now), -ENOENT);
	struct l2cap_coc_policy pol = { .rx = rx };
	cr_assert_eq(l2cap_coc_listen(B.l, SPSM, "srv", &pol), 0);
	cr_assert_eq(l2cap_coc_listen(B.l, SPSM, "other", &pol), -EADDRINUSE);
	cr_assert_eq(l2cap_coc_unlisten(B.l, SPSM, "other"), -ENOENT);
	cr_assert_eq(l2cap_coc_unlisten(B.l, SPSM, "srv"), 0);
	cr_assert_eq(l2cap_coc_send(A.l, H, 0x40, (uint8_t *)"x", 1), -ENOENT);
}

/* ---- segmentation and reassembly ------------------------------------------------------ */

/* Sends one SDU of n bytes from A to B and checks it arrives whole in
 * the expected number of K-frames, none larger than MPS. */
static void send_one(size_t n, size_t frames, uint16_t mps)
{
	uint8_t *p = pattern(n, (unsigned)n);
	size_t before_rx = B.rx_len, before_frames = A.kframes, before_sdus = B.sdus;
	cr_assert_eq(l2cap_coc_send(A.l, H, a_cid, p, n), 0, "send %zu", n);
	pump();
	cr_assert_eq(B.sdus, before_sdus + 1, "SDU of %zu not delivered", n);
	cr_assert_eq(B.last_sdu_len, n);
	cr_assert_eq(memcmp(B.rx + before_rx, p, n), 0, "SDU of %zu differs", n);
	cr_assert_eq(A.kframes - before_frames, frames, "SDU of %zu: %zu K-frames", n,
		     A.kframes - before_frames);
	cr_assert_leq(A.max_kframe, mps);
	free(p);
}

Test(coc, sdus_across_mps_boundaries)
{
	const uint16_t mps = 50, mtu = 600;
	open_channel((struct l2cap_coc_params){ 100, 50, 4 },
		     (struct l2cap_coc_params){ mtu, mps, 10 });
	send_one(1, 1, mps);
	send_one(mps - 2, 1, mps);     /* exactly one full K-frame */
	send_one(mps - 1, 2, mps);     /* one byte spills over */
	send_one(mps, 2, mps);
	send_one(3 * mps + 1, 4, mps); /* 48 + 50 + 50 + 3 */
	send_one(mtu, 13, mps);        /* 48 + 11 * 50 + 2 */
	send_one(0, 1, mps);           /* an empty SDU is a K-frame with its length */
	/* Larger than the peer's MTU: refused here, nothing sent. */
	uint8_t big[601] = { 0 };
	cr_assert_eq(l2cap_coc_send(A.l, H, a_cid, big, sizeof big), -EMSGSIZE);
	/* And the other way, with the other side's MPS. */
	uint8_t *p = pattern(100, 3);
	cr_assert_eq(l2cap_coc_send(B.l, H, b_cid, p, 100), 0);
	pump();
	cr_assert_eq(A.sdus, 1);
	cr_assert_eq(memcmp(A.rx, p, 100), 0);
	cr_assert_eq(B.kframes, 3); /* 48 + 50 + 2 */
	free(p);
}

Test(coc, minimum_mps_and_mtu)
{
	open_channel((struct l2cap_coc_params){ 23, 23, 1 },
		     (struct l2cap_coc_params){ 23, 23, 1 });
	send_one(23, 2, 23);
	send_one(21, 1, 23);
	send_one(22, 2, 23);
}

/* ---- credits and back-pressure ----------------------------------------------------------- */

Test(coc, credits_exhausted_queue_then_resume)
{
	open_channel((struct l2cap_coc_params){ 100, 50, 4 },
		     (struct l2cap_coc_params){ 600, 50, 4 });
	/* B keeps its credits: A may send 4 K-frames, then must wait. */
	cr_assert_eq(l2cap_coc_rx_hold(B.l, H, b_cid, true), 0);
	uint8_t *p = pattern(3 * 148, 1);
	for (int i = 0; i < 3; i++)
		cr_assert_eq(l2cap_coc_send(A.l, H, a_cid, p + 148 * i, 148), 0);
	pump();
	struct l2cap_chan *ca = l2cap_chan_find(A.l, H, a_cid);
	cr_assert_eq(A.kframes, 4);
	cr_assert_eq(ca->tx_credits, 0);
	cr_assert_eq(ca->txq_count, 2); /* the second SDU half sent, the third waiting */
	cr_assert_eq(B.sdus, 1);
	/* Credits come back: everything goes, in order. */
	cr_assert_eq(l2cap_coc_rx_hold(B.l, H, b_cid, false), 0);
	pump();
	cr_assert_eq(B.sdus, 3);
	cr_assert_eq(B.rx_len, 3 * 148);
	cr_assert_eq(memcmp(B.rx, p, 3 * 148), 0);
	cr_assert_eq(ca->txq_count, 0);
	cr_assert_eq(A.kframes, 9);
	free(p);
}

/* The host's ACL credits (AclCredits) pace the K-frames too: without them
 * the SDUs wait in the channel's queue, not in a link backlog. */
Test(coc, host_credits_pace_kframes)
{
	open_channel((struct l2cap_coc_params){ 100, 50, 20 },
		     (struct l2cap_coc_params){ 600, 50, 20 });
	l2cap_on_host_credits(A.l, H, 0, 3, true, 7);
	uint8_t *p = pattern(400, 9); /* 48 + 7 * 50 + 2: 9 K-frames */
	cr_assert_eq(l2cap_coc_send(A.l, H, a_cid, p, 400), 0);
	pump();
	struct l2cap_link *k = l2cap_link_find(A.l, H);
	struct l2cap_chan *ca = l2cap_chan_find(A.l, H, a_cid);
	cr_assert_eq(A.kframes, 3, "%zu K-frames went with 3 host credits", A.kframes);
	cr_assert_eq(k->hq_count, 0, "K-frames must wait in the channel, not the backlog");
	cr_assert_eq(ca->txq_count, 1);
	/* The host's queue drains two frames at a time. */
	while (A.kframes < 9) {
		size_t before = A.kframes;
		l2cap_on_host_credits(A.l, H, 2, 3, false, 7);
		pump();
		cr_assert_gt(A.kframes, before, "credits came back but nothing went");
		cr_assert_leq(A.kframes - before, 2);
	}
	cr_assert_eq(B.sdus, 1);
	cr_assert_eq(memcmp(B.rx, p, 400), 0);
	cr_assert_eq(ca->txq_count, 0);
	free(p);
}

Test(coc, queue_full_says_eagain_then_writable)
{
	l2cap_destroy(&A.l);
	side_init(&A, L2CAP_ROLE_CENTRAL, 1000);
	open_channel((struct l2cap_coc_params){ 100, 50, 4 },
		     (struct l2cap_coc_params){ 600, 50, 2 });
	cr_assert_eq(l2cap_coc_rx_hold(B.l, H, b_cid, true), 0);
	uint8_t *p = pattern(600, 2);
	int rc = 0, sent = 0;
	while ((rc = l2cap_coc_send(A.l, H, a_cid, p, 300)) == 0)
		sent++;
	cr_assert_eq(rc, -EAGAIN);
	cr_assert_geq(sent, 3);
	pump();
	cr_assert_null(find_event(&A, L2CAP_OUT_COC_WRITABLE));
	cr_assert_eq(l2cap_coc_rx_hold(B.l, H, b_cid, false), 0);
	pump();
	cr_assert_not_null(find_event(&A, L2CAP_OUT_COC_WRITABLE));
	cr_assert_eq(B.sdus, (size_t)sent);
	free(p);
}

/* ---- the peer breaks the rules: disconnection ------------------------------------------- */

/* Feeds one raw frame to side s as if its peer had sent it. */
static void raw_in(struct side *s, uint16_t cid, const uint8_t *p, size_t n)
{
	uint8_t *f = malloc(n + 4);
	f[0] = (uint8_t)n;
	f[1] = (uint8_t)(n >> 8);
	f[2] = (uint8_t)cid;
	f[3] = (uint8_t)(cid >> 8);
	memcpy(f + 4, p, n);
	l2cap_on_frame(s->l, H, f, n + 4, now);
	free(f);
}

/* victim disconnected the channel for a violation: it told its owner
 * -EPROTO, and the peer's owner hears -ECONNRESET. */
static void expect_violation_disconnect(struct side *victim, struct side *peer)
{
	pump();
	const struct event *e = find_event(victim, L2CAP_OUT_COC_CLOSED);
	cr_assert_not_null(e, "no CLOSED at the side that saw the violation");
	cr_assert_eq(e->status, -EPROTO);
	e = find_event(peer, L2CAP_OUT_COC_CLOSED);
	cr_assert_not_null(e, "the peer's channel is still open");
	cr_assert_eq(e->status, -ECONNRESET);
	cr_assert_eq(victim->l->st.coc_violations, 1);
	cr_assert_null(l2cap_chan_find(A.l, H, a_cid));
	cr_assert_null(l2cap_chan_find(B.l, H, b_cid));
}

static void open_default(void)
{
	open_channel((struct l2cap_coc_params){ 100, 50, 4 },
		     (struct l2cap_coc_params){ 100, 50, 4 });
}

Test(coc, credit_overflow_disconnects)
{
	open_default();
	/* A holds 4 credits; 65532 more reach 65536. */
	uint8_t ind[] = { 0x16, 0x77, 0x04, 0x00, (uint8_t)b_cid, 0x00, 0xfc, 0xff };
	raw_in(&A, 0x0005, ind, sizeof ind);
	expect_violation_disconnect(&A, &B);
}

Test(coc, credit_up_to_65535_is_fine)
{
	open_default();
	uint8_t ind[] = { 0x16, 0x77, 0x04, 0x00, (uint8_t)b_cid, 0x00, 0xfb, 0xff };
	raw_in(&A, 0x0005, ind, sizeof ind);
	pump();
	cr_assert_eq(l2cap_chan_find(A.l, H, a_cid)->tx_credits, 65535);
	cr_assert_null(find_event(&A, L2CAP_OUT_COC_CLOSED));
}

Test(coc, sdu_longer_than_mtu_disconnects)
{
	open_default();
	/* B's MTU is 100: an SDU length of 101. */
	raw_in(&B, b_cid, (uint8_t[]){ 101, 0, 1, 2, 3 }, 5);
	expect_violation_disconnect(&B, &A);
}

Test(coc, kframe_larger_than_mps_disconnects)
{
	open_default();
	uint8_t k[51] = { 49, 0 };
	raw_in(&B, b_cid, k, sizeof k);
	expect_violation_disconnect(&B, &A);
}

Test(coc, kframes_beyond_sdu_length_disconnect)
{
	open_default();
	raw_in(&B, b_cid, (uint8_t[]){ 10, 0, 1, 2, 3, 4, 5 }, 7);
	raw_in(&B, b_cid, (uint8_t[]){ 6, 7, 8, 9, 10, 11 }, 6);
	expect_violation_disconnect(&B, &A);
	cr_assert_eq(B.sdus, 0);
}

Test(coc, first_kframe_without_sdu_length_disconnects)
{
	open_default();
	raw_in(&B, b_cid, (uint8_t[]){ 1 }, 1);
	expect_violation_disconnect(&B, &A);
}

Test(coc, sending_without_credits_disconnects)
{
	open_default();
	cr_assert_eq(l2cap_coc_rx_hold(B.l, H, b_cid, true), 0);
	for (int i = 0; i < 4; i++)
		raw_in(&B, b_cid, (uint8_t[]){ 1, 0, (uint8_t)i }, 3);
	pump();
	cr_assert_eq(B.sdus, 4);
	cr_assert_null(find_event(&B, L2CAP_OUT_COC_CLOSED));
	raw_in(&B, b_cid, (uint8_t[]){ 1, 0, 9 }, 3);
	expect_violation_disconnect(&B, &A);
}

Test(coc, peer_disconnect_reports_unsent)
{
	open_default();
	cr_assert_eq(l2cap_coc_rx_hold(B.l, H, b_cid, true), 0);
	uint8_t p[100] = { 0 };
	for (int i = 0; i < 4; i++)
		cr_assert_eq(l2cap_coc_send(A.l, H, a_cid, p, sizeof p), 0);
	pump();
	cr_assert_eq(l2cap_coc_disconnect(B.l, H, b_cid, now), 0);
	pump();
	const struct event *e = find_event(&A, L2CAP_OUT_COC_CLOSED);
	cr_assert_not_null(e);
	cr_assert_eq(e->status, -ECONNRESET);
	cr_assert_eq(e->unsent, 3); /* 4 credits: the first SDU (3 K-frames) and a bit */
}

/* ---- link loss ------------------------------------------------------------------------ */

Test(coc, link_drop_closes_every_channel)
{
	open_default();
	struct l2cap_coc_params rx = { 100, 50, 4 };
	int second = l2cap_coc_connect(A.l, H, SPSM, "cli", &rx, 43, now);
	pump();
	A.nev = B.nev = 0;
	int third = l2cap_coc_connect(A.l, H, SPSM, "cli", &rx, 44, now); /* still connecting */
	cr_assert_gt(third, 0);
	cr_assert_eq(l2cap_link_remove(A.l, H), 0);
	cr_assert_eq(l2cap_link_remove(B.l, H), 0);
	A.deliver = B.deliver = false;
	pump();
	size_t closed = 0, failed = 0;
	for (size_t i = 0; i < A.nev; i++) {
		if (A.ev[i].kind == L2CAP_OUT_COC_CLOSED) {
			cr_assert_eq(A.ev[i].status, -ENOTCONN);
			cr_assert(A.ev[i].cid == a_cid || A.ev[i].cid == second);
			closed++;
		} else if (A.ev[i].kind == L2CAP_OUT_COC_OPEN_FAILED) {
			cr_assert_eq(A.ev[i].status, -ENOTCONN);
			cr_assert_eq(A.ev[i].req_id, 44);
			failed++;
		}
	}
	cr_assert_eq(closed, 2);
	cr_assert_eq(failed, 1);
	cr_assert_eq(B.nev, 2);
	cr_assert_null(l2cap_chan_find(A.l, H, a_cid));
}

/* ---- volume --------------------------------------------------------------------------- */

Test(coc, one_megabyte_in_order)
{
	l2cap_destroy(&A.l);
	side_init(&A, L2CAP_ROLE_CENTRAL, 16 * 1024);
	open_channel((struct l2cap_coc_params){ 2048, 100, 6 },
		     (struct l2cap_coc_params){ 2048, 247, 8 });
	const size_t total = 1024 * 1024;
	uint8_t *p = pattern(total, 9);
	size_t off = 0, sdus = 0, eagain = 0;
	while (off < total) {
		/* SDU sizes walk through 1..2048 so every boundary case shows up. */
		size_t n = 1 + (sdus * 37) % 2048;
		if (n > total - off)
			n = total - off;
		int rc = l2cap_coc_send(A.l, H, a_cid, p + off, n);
		if (rc == -EAGAIN) {
			eagain++;
			pump();
			continue;
		}
		cr_assert_eq(rc, 0);
		off += n;
		sdus++;
		/* Deliver now and then, so the queue fills sometimes. */
		if (sdus % 16 == 0)
			pump();
	}
	pump();
	cr_assert_eq(B.rx_len, total);
	cr_assert_eq(B.sdus, sdus);
	cr_assert_eq(memcmp(B.rx, p, total), 0, "1 MB arrived out of order or corrupt");
	cr_assert_leq(A.max_kframe, 247);
	cr_assert_gt(eagain, 0, "the queue never filled");
	cr_assert_eq(A.l->st.coc_violations + B.l->st.coc_violations, 0);
	free(p);
}

/* ---- enhanced credit based mode -------------------------------------------------------- */

Test(coc, ecred_five_channels_in_one_request)
{
	struct l2cap_coc_policy pol = { .rx = { 300, 100, 4 } };
	cr_assert_eq(l2cap_coc_listen(B.l, SPSM, "srv", &pol), 0);
	struct l2cap_coc_params rx = { 200, 80, 3 };
	uint16_t cids[5];
	cr_assert_eq(l2cap_ecred_connect(A.l, H, SPSM, "cli", &rx, 5, 50, now, cids), 5);
	pump();
	size_t opened = 0;
	for (size_t i = 0; i < A.nev; i++)
		if (A.ev[i].kind == L2CAP_OUT_COC_OPENED) {
			cr_assert_eq(A.ev[i].mtu, 300);
			cr_assert_eq(A.ev[i].mps, 100);
			cr_assert_eq(A.ev[i].req_id, 50);
			opened++;
		}
	cr_assert_eq(opened, 5);
	cr_assert_eq(B.nev, 5);
	/* Data on every channel, across MPS. */
	uint8_t *p = pattern(300, 4);
	for (int i = 0; i < 5; i++)
		cr_assert_eq(l2cap_coc_send(A.l, H, cids[i], p, 300), 0);
	pump();
	cr_assert_eq(B.sdus, 5);
	for (int i = 0; i < 5; i++)
		cr_assert_eq(memcmp(B.rx + 300 * i, p, 300), 0);
	free(p);
	/* Too many, or MTU below 64: refused locally. */
	cr_assert_eq(l2cap_ecred_connect(A.l, H, SPSM, "cli", &rx, 6, 51, now, cids), -EINVAL);
	struct l2cap_coc_params small = { 63, 64, 1 };
	cr_assert_eq(l2cap_ecred_connect(A.l, H, SPSM, "cli", &small, 1, 51, now, cids),
		     -EINVAL);
}

Test(coc, ecred_some_refused)
{
	struct l2cap_coc_policy pol = { .rx = { 300, 100, 4 }, .max_channels = 2 };
	cr_assert_eq(l2cap_coc_listen(B.l, SPSM, "srv", &pol), 0);
	struct l2cap_coc_params rx = { 200, 80, 3 };
	uint16_t cids[3];
	cr_assert_eq(l2cap_ecred_connect(A.l, H, SPSM, "cli", &rx, 3, 60, now, cids), 3);
	pump();
	size_t opened = 0, failed = 0;
	for (size_t i = 0; i < A.nev; i++) {
		if (A.ev[i].kind == L2CAP_OUT_COC_OPENED)
			opened++;
		if (A.ev[i].kind == L2CAP_OUT_COC_OPEN_FAILED) {
			cr_assert_eq(A.ev[i].status, L2CAP_ECRED_SOME_NO_RESOURCES);
			cr_assert_eq(A.ev[i].cid, cids[2]);
			failed++;
		}
	}
	cr_assert_eq(opened, 2);
	cr_assert_eq(failed, 1);
	cr_assert_null(l2cap_chan_find(A.l, H, cids[2]));
}

Test(coc, ecred_spsm_not_supported)
{
	struct l2cap_coc_params rx = { 200, 80, 3 };
	uint16_t cids[2];
	cr_assert_eq(l2cap_ecred_connect(A.l, H, 0x99, "cli", &rx, 2, 61, now, cids), 2);
	pump();
	cr_assert_eq(A.nev, 2);
	cr_assert_eq(A.ev[0].kind, L2CAP_OUT_COC_OPEN_FAILED);
	cr_assert_eq(A.ev[0].status, L2CAP_ECRED_SPSM_NOT_SUPPORTED);
	cr_assert_eq(A.ev[1].status, L2CAP_ECRED_SPSM_NOT_SUPPORTED);
}
