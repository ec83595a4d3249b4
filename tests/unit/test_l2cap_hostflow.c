/* The frames l2cap sends to the host within the host's ACL credits
 * (AclCredits, l2cap_hostflow.c): the window, the order, the backlog, the
 * busy and drained events to a fixed channel's owner, the hard bound, the
 * first credits after a restart, and the link going. Pure, no sockets. */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../actors/l2cap/l2cap.h"

#define H 0x0040
#define ATT 0x0004

static struct l2cap *l;
/* What the outbox held: frames (their first payload byte is the sequence
 * number) and the fixed_busy events. */
static unsigned frames, seq_next, busy_events, drained_events, last_queued, last_epoch;
static bool disorder;
static char busy_dest[L2CAP_NAME_MAX + 1];

static void setup(void)
{
	l = l2cap_new(NULL);
	cr_assert_not_null(l);
	cr_assert_eq(l2cap_link_add(l, H, L2CAP_ROLE_PERIPHERAL), 0);
	cr_assert_eq(l2cap_fixed_register(&l->fixed, ATT, "gatt"), 0);
	frames = seq_next = busy_events = drained_events = last_queued = 0;
	disorder = false;
	busy_dest[0] = 0;
}

static void teardown(void)
{
	l2cap_destroy(&l);
}

TestSuite(hostflow, .init = setup, .fini = teardown, .timeout = 30);

static void drain_outbox(void)
{
	for (size_t i = 0; i < l->out.n; i++) {
		const struct l2cap_out *o = &l->out.v[i];
		if (o->kind == L2CAP_OUT_FRAME) {
			cr_assert_eq(o->handle, H);
			if (o->cid == ATT) {
				if (o->data[4] != (uint8_t)seq_next)
					disorder = true;
				seq_next++;
			}
			frames++;
			last_epoch = o->epoch;
		} else if (o->kind == L2CAP_OUT_FIXED_BUSY) {
			cr_assert_eq(o->cid, ATT);
			snprintf(busy_dest, sizeof busy_dest, "%s", o->dest);
			last_queued = (unsigned)o->unsent;
			if (o->status)
				busy_events++;
			else
				drained_events++;
		}
	}
	l2cap_outbox_clear(l);
}

static int send_att(unsigned seq)
{
	uint8_t pdu[3] = { (uint8_t)seq, 0x1b, 0x00 };
	return l2cap_send_fixed(l, H, ATT, pdu, sizeof pdu);
}

Test(hostflow, without_credits_nothing_is_held)
{
	/* A host that never sent AclCredits (a fake one in a test) gets every
	 * frame at once, as before flow control existed. */
	for (unsigned i = 0; i < 300; i++)
		cr_assert_eq(send_att(i), 0);
	drain_outbox();
	cr_assert_eq(frames, 300);
	cr_assert_eq(l2cap_link_find(l, H)->hq_count, 0);
	cr_assert_eq(busy_events, 0);
}

Test(hostflow, window_then_backlog_in_order)
{
	l2cap_on_host_credits(l, H, 0, 4, true, 7);
	for (unsigned i = 0; i < 10; i++)
		cr_assert_eq(send_att(i), 0);
	drain_outbox();
	cr_assert_eq(frames, 4, "%u frames went with a window of 4", frames);
	cr_assert_eq(l2cap_link_find(l, H)->hq_count, 6);
	l2cap_on_host_credits(l, H, 2, 4, false, 7);
	drain_outbox();
	cr_assert_eq(frames, 6);
	/* Credits never exceed the window, whatever the host says. */
	l2cap_on_host_credits(l, H, 100, 4, false, 7);
	drain_outbox();
	cr_assert_eq(frames, 10);
	cr_assert_eq(l2cap_link_find(l, H)->host_credits, 0, "credits %u: clamped to 4, 4 used",
		     l2cap_link_find(l, H)->host_credits);
	cr_assert_not(disorder, "frames left out of order");
	l2cap_on_host_credits(l, H, 100, 4, false, 7);
	cr_assert_eq(l2cap_link_find(l, H)->host_credits, 4);
	/* A frame sent now goes at once: there is room and no backlog. */
	cr_assert_eq(send_att(10), 0);
	drain_outbox();
	cr_assert_eq(frames, 11);
}

Test(hostflow, owner_told_busy_then_drained)
{
	l2cap_on_host_credits(l, H, 0, 8, true, 7);
	unsigned n = 8 + L2CAP_HOSTQ_HIGH;
	for (unsigned i = 0; i < n; i++)
		cr_assert_eq(send_att(i), 0);
	drain_outbox();
	cr_assert_eq(busy_events, 1, "busy told %u times at the watermark", busy_events);
	cr_assert_str_eq(busy_dest, "gatt");
	cr_assert_eq(last_queued, L2CAP_HOSTQ_HIGH);
	/* Told again at the next multiple (an owner that restarted learns it). */
	for (unsigned i = n; i < n + L2CAP_HOSTQ_HIGH; i++)
		cr_assert_eq(send_att(i), 0);
	drain_outbox();
	cr_assert_eq(busy_events, 2);
	/* The host drains: once the backlog is down to the low watermark,
	 * the owner hears it, once. */
	while (l2cap_link_find(l, H)->hq_count) {
		l2cap_on_host_credits(l, H, 8, 8, false, 7);
		drain_outbox();
	}
	cr_assert_eq(drained_events, 1);
	cr_assert_eq(frames, n + L2CAP_HOSTQ_HIGH);
	cr_assert_not(disorder);
}

Test(hostflow, hard_bound_refuses_and_counts)
{
	l2cap_on_host_credits(l, H, 0, 1, true, 7);
	cr_assert_eq(send_att(0), 0);
	for (unsigned i = 1; i <= L2CAP_HOSTQ_MAX; i++)
		cr_assert_eq(send_att(i), 0, "frame %u", i);
	cr_assert_eq(send_att(0), -ENOBUFS);
	cr_assert_eq(l->st.host_backlog_refused, 1);
	cr_assert_eq(l->st.host_backlog_max, L2CAP_HOSTQ_MAX);
	drain_outbox();
	/* The link goes: the backlog is freed and counted (ASan checks the
	 * memory). */
	cr_assert_eq(l2cap_link_remove(l, H), 0);
	cr_assert_eq(l->st.host_backlog_flushed, L2CAP_HOSTQ_MAX);
}

Test(hostflow, first_credits_after_restart_open_the_window)
{
	/* A restarted l2cap does not know what its predecessor left
	 * outstanding: the first AclCredits, even a plain return, starts a full
	 * window (the host's queue is twice the window for this). */
	for (unsigned i = 0; i < 3; i++)
		cr_assert_eq(send_att(i), 0);
	l2cap_on_host_credits(l, H, 1, 5, false, 7);
	cr_assert_eq(l2cap_link_find(l, H)->host_credits, 5);
	for (unsigned i = 3; i < 20; i++)
		cr_assert_eq(send_att(i), 0);
	drain_outbox();
	cr_assert_eq(frames, 3 + 5);
}

Test(hostflow, credits_for_an_unknown_link_are_ignored)
{
	l2cap_on_host_credits(l, 0x0123, 4, 4, true, 7);
	cr_assert_eq(l->out.n, 0);
	cr_assert_not(l2cap_link_find(l, H)->host_flow);
}

Test(hostflow, host_restart_sends_uncredited_frames_again)
{
	l2cap_on_host_credits(l, H, 0, 4, true, 7);
	for (unsigned i = 0; i < 7; i++)
		cr_assert_eq(send_att(i), 0);
	drain_outbox();
	cr_assert_eq(frames, 4);
	/* The host sent frames 0 and 1 on and credited them, then died with
	 * 2 and 3 in its queue. Its successor resets the window: 2 and 3 go
	 * again, first, then the backlog 4..6, in order. */
	l2cap_on_host_credits(l, H, 2, 4, false, 7);
	drain_outbox();
	cr_assert_eq(frames, 6);
	cr_assert_eq(last_epoch, 7);
	l2cap_on_host_credits(l, H, 0, 4, true, 8);
	seq_next = 2;
	frames = 0;
	drain_outbox();
	cr_assert_eq(frames, 4, "%u frames after the reset", frames);
	cr_assert_not(disorder, "not 2, 3, 4, 5 in order after the restart");
	cr_assert_eq(l->st.host_resent, 2 + 2, "frames 2..5 were outstanding");
	cr_assert_eq(l2cap_link_find(l, H)->hq_count, 1);
	/* Stamped for the new host, which drops what carries the old epoch. */
	cr_assert_eq(last_epoch, 8);
}
