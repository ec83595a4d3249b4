/* The l2cap state as bytes (l2cap_snapshot.h): a round trip keeps links,
 * channels, listeners and registrations; a channel that lost queued data
 * comes back closed loudly; every truncation is refused. Pure. */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "../../actors/l2cap/l2cap.h"
#include "../../actors/l2cap/l2cap_snapshot.h"

#define H 0x0041
#define SPSM 0x0081

static struct l2cap *A, *B;

/* Frames of one side to the other until both are quiet; other items dropped. */
static void pump(void)
{
	for (int round = 0; round < 100; round++) {
		bool moved = false;
		struct l2cap *s[2] = { A, B };
		for (int i = 0; i < 2; i++) {
			struct l2cap_outbox box = s[i]->out;
			s[i]->out = (struct l2cap_outbox){ 0 };
			for (size_t j = 0; j < box.n; j++) {
				moved = true;
				if (box.v[j].kind == L2CAP_OUT_FRAME)
					l2cap_on_frame(s[1 - i], H, box.v[j].data, box.v[j].len, 1000);
				free(box.v[j].data);
			}
			free(box.v);
		}
		if (!moved)
			return;
	}
}

static void setup(void)
{
	A = l2cap_new(NULL);
	B = l2cap_new(NULL);
	cr_assert(A && B);
	cr_assert_eq(l2cap_link_add(A, H, L2CAP_ROLE_CENTRAL), 0);
	cr_assert_eq(l2cap_link_add(B, H, L2CAP_ROLE_PERIPHERAL), 0);
	struct l2cap_coc_policy pol = { .rx = { 100, 50, 4 }, .sec_level = L2CAP_SEC_NONE,
					.max_channels = 3 };
	cr_assert_eq(l2cap_coc_listen(B, SPSM, "app-b", &pol), 0);
	cr_assert_eq(l2cap_fixed_register(&B->fixed, 0x0020, "custom"), 0);
	struct l2cap_coc_params rx = { 200, 60, 5 };
	cr_assert_eq(l2cap_coc_connect(A, H, SPSM, "app-a", &rx, 7, 1000), 0x40);
	pump();
	cr_assert_not_null(l2cap_chan_find(B, H, 0x40));
	struct l2cap_security sec = { .encrypted = true, .key_size = 16 };
	cr_assert_eq(l2cap_link_set_security(B, H, &sec), 0);
}

static void teardown(void)
{
	l2cap_destroy(&A);
	l2cap_destroy(&B);
}

TestSuite(l2cap_snapshot, .init = setup, .fini = teardown, .timeout = 30);

static uint8_t *snap(struct l2cap *l, size_t *len)
{
	size_t cap = l2cap_snapshot_max();
	uint8_t *buf = malloc(cap);
	cr_assert_not_null(buf);
	int n = l2cap_snapshot_write(l, buf, cap);
	cr_assert_gt(n, 0);
	*len = (size_t)n;
	return buf;
}

Test(l2cap_snapshot, round_trip_keeps_the_channel_table)
{
	size_t len;
	uint8_t *buf = snap(B, &len);
	struct l2cap *R = l2cap_new(NULL);
	cr_assert_eq(l2cap_snapshot_restore(R, buf, len, 2000), 1);
	cr_assert_eq(R->out.n, 0, "nothing to tell: no data was lost");
	struct l2cap_chan *o = l2cap_chan_find(B, H, 0x40), *c = l2cap_chan_find(R, H, 0x40);
	cr_assert_not_null(c);
	cr_assert_eq(c->state, L2CAP_CHAN_OPEN);
	cr_assert_eq(c->remote_cid, o->remote_cid);
	cr_assert_eq(c->spsm, SPSM);
	cr_assert(c->incoming);
	cr_assert_str_eq(c->owner, "app-b");
	cr_assert_eq(c->peer_mtu, 200);
	cr_assert_eq(c->peer_mps, 60);
	cr_assert_eq(c->tx_credits, o->tx_credits);
	cr_assert_eq(c->rx_credits, o->rx_credits);
	cr_assert_eq(c->rx.mtu, 100);
	struct l2cap_link *k = l2cap_link_find(R, H);
	cr_assert_eq(k->role, L2CAP_ROLE_PERIPHERAL);
	cr_assert(k->sec.encrypted);
	cr_assert_eq(k->sec.key_size, 16);
	cr_assert_str_eq(l2cap_fixed_owner(&R->fixed, 0x0020), "custom");
	cr_assert_str_eq(l2cap_fixed_owner(&R->fixed, 0x0004), "gatt");
	cr_assert_eq(R->listen[0].spsm, SPSM);
	cr_assert_eq(R->listen[0].policy.max_channels, 3);

	/* The same bytes again, and the restored side keeps working. */
	size_t len2;
	uint8_t *buf2 = snap(R, &len2);
	cr_assert_eq(len2, len);
	cr_assert_arr_eq(buf2, buf, len);
	l2cap_destroy(&B);
	B = R;
	uint8_t sdu[90];
	memset(sdu, 0x5a, sizeof sdu);
	cr_assert_eq(l2cap_coc_send(A, H, 0x40, sdu, sizeof sdu), 0);
	pump();
	cr_assert_eq(B->st.coc_violations, 0);
	cr_assert_eq(A->st.coc_violations, 0);
	free(buf);
	free(buf2);
}

Test(l2cap_snapshot, a_channel_with_queued_sdus_comes_back_closed)
{
	/* No credits left on A: SDUs stay queued. */
	struct l2cap_chan *ch = l2cap_chan_find(A, H, 0x40);
	ch->tx_credits = 0;
	uint8_t sdu[40] = { 1 };
	cr_assert_eq(l2cap_coc_send(A, H, 0x40, sdu, sizeof sdu), 0);
	cr_assert_eq(l2cap_coc_send(A, H, 0x40, sdu, sizeof sdu), 0);
	l2cap_outbox_clear(A);
	size_t len;
	uint8_t *buf = snap(A, &len);
	struct l2cap *R = l2cap_new(NULL);
	cr_assert_eq(l2cap_snapshot_restore(R, buf, len, 2000), 1);
	bool told = false, disc = false;
	for (size_t i = 0; i < R->out.n; i++) {
		const struct l2cap_out *o = &R->out.v[i];
		if (o->kind == L2CAP_OUT_COC_CLOSED) {
			told = true;
			cr_assert_eq(o->status, -EIO);
			cr_assert_eq(o->unsent, 2);
			cr_assert_str_eq(o->dest, "app-a");
		}
		disc |= o->kind == L2CAP_OUT_FRAME && o->data[4] == 0x06;
	}
	cr_assert(told && disc);
	l2cap_destroy(&R);
	free(buf);
}

Test(l2cap_snapshot, truncated_or_corrupt_bytes_are_refused)
{
	size_t len;
	uint8_t *buf = snap(B, &len);
	for (size_t n = 0; n < len; n++) {
		struct l2cap *R = l2cap_new(NULL);
		cr_assert_eq(l2cap_snapshot_restore(R, buf, n, 2000), -EBADMSG, "length %zu", n);
		for (unsigned i = 0; i < L2CAP_LINKS_MAX; i++)
			cr_assert_not(R->link[i].in_use);
		l2cap_destroy(&R);
	}
	buf[0] ^= 0xff;
	struct l2cap *R = l2cap_new(NULL);
	cr_assert_eq(l2cap_snapshot_restore(R, buf, len, 2000), -EBADMSG);
	/* Not over live links. */
	cr_assert_eq(l2cap_snapshot_restore(A, buf, len, 2000), -EEXIST);
	l2cap_destroy(&R);
	free(buf);
}
