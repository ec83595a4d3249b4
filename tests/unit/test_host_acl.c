/* ACL reassembly, fragmentation and credits, and the command queue's flow
 * control and timeouts: pure, without sockets. */
#include <criterion/criterion.h>
#include <errno.h>
#include <string.h>

#include "../../actors/host/host_acl.h"
#include "../../actors/host/host_cmd.h"

#define B(...) ((const uint8_t[]){ __VA_ARGS__ }), sizeof((const uint8_t[]){ __VA_ARGS__ })

static struct host_acl acl;

static void setup(void)
{
	host_acl_init(&acl, 27, 2);
	cr_assert_eq(host_acl_link_add(&acl, 0x40), 0);
	cr_assert_eq(host_acl_link_add(&acl, 0x41), 0);
}

static void teardown(void)
{
	host_acl_fini(&acl);
}

TestSuite(host_acl, .init = setup, .fini = teardown);

static int rx(const uint8_t *p, size_t len, const uint8_t **frame, size_t *flen)
{
	uint16_t handle;
	return host_acl_rx(&acl, p, len, &handle, frame, flen);
}

Test(host_acl, single_fragment_frame)
{
	const uint8_t *f;
	size_t n;
	cr_assert_eq(rx(B(0x40, 0x20, 0x07, 0x00, 0x03, 0x00, 0x04, 0x00, 0x0a, 0x01, 0x00), &f,
			&n), 1);
	cr_assert_eq(n, 7);
	cr_assert_eq(memcmp(f, (uint8_t[]){ 0x03, 0x00, 0x04, 0x00, 0x0a, 0x01, 0x00 }, 7), 0);
	cr_assert_eq(acl.st.rx_frames, 1);
}

Test(host_acl, start_and_continuations)
{
	const uint8_t *f;
	size_t n;
	/* L2CAP length 6 split 2 + 3 + 5 bytes (the header itself is split). */
	cr_assert_eq(rx(B(0x40, 0x20, 0x02, 0x00, 0x06, 0x00), &f, &n), 0);
	cr_assert_eq(rx(B(0x40, 0x10, 0x03, 0x00, 0x04, 0x00, 0xa1), &f, &n), 0);
	cr_assert_eq(rx(B(0x40, 0x10, 0x05, 0x00, 0xa2, 0xa3, 0xa4, 0xa5, 0xa6), &f, &n), 1);
	cr_assert_eq(n, 10);
	cr_assert_eq(f[9], 0xa6);
	/* Interleaved links reassemble independently. */
	cr_assert_eq(rx(B(0x40, 0x20, 0x05, 0x00, 0x02, 0x00, 0x04, 0x00, 0x01), &f, &n), 0);
	cr_assert_eq(rx(B(0x41, 0x20, 0x05, 0x00, 0x01, 0x00, 0x04, 0x00, 0x0b), &f, &n), 1);
	cr_assert_eq(rx(B(0x40, 0x10, 0x01, 0x00, 0x02), &f, &n), 1);
	cr_assert_eq(n, 6);
	cr_assert_eq(f[5], 0x02);
	/* An empty L2CAP payload is a complete frame. */
	cr_assert_eq(rx(B(0x41, 0x20, 0x04, 0x00, 0x00, 0x00, 0x05, 0x00), &f, &n), 1);
	cr_assert_eq(n, 4);
}

Test(host_acl, continuation_without_start_is_dropped)
{
	const uint8_t *f;
	size_t n;
	cr_assert_eq(rx(B(0x40, 0x10, 0x02, 0x00, 0xaa, 0xbb), &f, &n), -EPROTO);
	cr_assert_eq(acl.st.rx_no_start, 1);
	/* ... also after a completed frame. */
	cr_assert_eq(rx(B(0x40, 0x20, 0x04, 0x00, 0x00, 0x00, 0x04, 0x00), &f, &n), 1);
	cr_assert_eq(rx(B(0x40, 0x10, 0x01, 0x00, 0xaa), &f, &n), -EPROTO);
	cr_assert_eq(acl.st.rx_no_start, 2);
}

Test(host_acl, frame_longer_than_its_length_is_dropped)
{
	const uint8_t *f;
	size_t n;
	cr_assert_eq(rx(B(0x40, 0x20, 0x06, 0x00, 0x01, 0x00, 0x04, 0x00, 0xaa, 0xbb), &f, &n),
		     -EPROTO);
	cr_assert_eq(rx(B(0x40, 0x20, 0x05, 0x00, 0x02, 0x00, 0x04, 0x00, 0xaa), &f, &n), 0);
	cr_assert_eq(rx(B(0x40, 0x10, 0x02, 0x00, 0xbb, 0xcc), &f, &n), -EPROTO);
	cr_assert_eq(acl.st.rx_too_long, 2);
	/* The link recovers with the next start. */
	cr_assert_eq(rx(B(0x40, 0x10, 0x01, 0x00, 0xdd), &f, &n), -EPROTO);
	cr_assert_eq(rx(B(0x40, 0x20, 0x05, 0x00, 0x01, 0x00, 0x04, 0x00, 0xee), &f, &n), 1);
}

Test(host_acl, new_start_abandons_partial_frame)
{
	const uint8_t *f;
	size_t n;
	cr_assert_eq(rx(B(0x40, 0x20, 0x05, 0x00, 0x09, 0x00, 0x04, 0x00, 0xaa), &f, &n), 0);
	cr_assert_eq(rx(B(0x40, 0x20, 0x05, 0x00, 0x01, 0x00, 0x04, 0x00, 0xee), &f, &n), 1);
	cr_assert_eq(acl.st.rx_abandoned, 1);
	cr_assert_eq(f[4], 0xee);
}

Test(host_acl, unknown_handle_and_malformed_header)
{
	const uint8_t *f;
	size_t n;
	cr_assert_eq(rx(B(0x42, 0x20, 0x04, 0x00, 0x00, 0x00, 0x04, 0x00), &f, &n), -ENOENT);
	cr_assert_eq(acl.st.rx_unknown_handle, 1);
	cr_assert_eq(rx(B(0x40, 0x20, 0x05, 0x00, 0x00, 0x00, 0x04, 0x00), &f, &n), -EBADMSG);
	cr_assert_eq(rx(B(0x40, 0x20), &f, &n), -EBADMSG);
	cr_assert_eq(acl.st.rx_malformed, 2);
	/* After removal the handle is unknown. */
	cr_assert_eq(host_acl_link_remove(&acl, 0x41), 0);
	cr_assert_eq(rx(B(0x41, 0x20, 0x04, 0x00, 0x00, 0x00, 0x04, 0x00), &f, &n), -ENOENT);
}

static void frame_of(uint8_t *buf, size_t payload, uint8_t fill)
{
	buf[0] = (uint8_t)payload;
	buf[1] = (uint8_t)(payload >> 8);
	buf[2] = 0x04;
	buf[3] = 0x00;
	memset(buf + 4, fill, payload);
}

Test(host_acl, fragments_to_acl_size_within_credits)
{
	uint8_t frame[64], out[64];
	frame_of(frame, 56, 0x5a); /* 60 bytes: 27 + 27 + 6 */
	cr_assert_eq(host_acl_tx_submit(&acl, 0x40, frame, 60), 0);
	cr_assert_eq(host_acl_pending(&acl, 0x40), 3);
	cr_assert_eq(host_acl_tx_next(&acl, out, sizeof out), 31);
	cr_assert_eq(memcmp(out, (uint8_t[]){ 0x40, 0x00, 0x1b, 0x00, 0x38, 0x00, 0x04, 0x00 }, 8),
		     0);
	cr_assert_eq(host_acl_tx_next(&acl, out, sizeof out), 31);
	cr_assert_eq(memcmp(out, (uint8_t[]){ 0x40, 0x10, 0x1b, 0x00 }, 4), 0);
	/* Two buffers, both in use: nothing more until a completion. */
	cr_assert_eq(host_acl_tx_next(&acl, out, sizeof out), 0);
	cr_assert_eq(host_acl_completed(&acl, 0x40, 1), 1);
	cr_assert_eq(host_acl_tx_next(&acl, out, sizeof out), 10);
	cr_assert_eq(memcmp(out, (uint8_t[]){ 0x40, 0x10, 0x06, 0x00, 0x5a }, 5), 0);
	cr_assert_eq(host_acl_tx_next(&acl, out, sizeof out), 0);
	/* Completions never give more than was in flight. */
	cr_assert_eq(host_acl_completed(&acl, 0x40, 5), 2);
	cr_assert_eq(acl.free, 2);
	cr_assert_eq(acl.st.completed_unknown, 3);
}

/* The credits owed to l2cap (AclCredits): a new link starts its window; then
 * each frame whose last fragment went to the controller is one credit back,
 * a frame still half sent is not. */
Test(host_acl, credits_to_l2cap)
{
	uint8_t frame[64], out[64];
	bool reset;
	struct host_acl_link *l = &acl.link[0];
	cr_assert_eq(l->handle, 0x40);
	cr_assert_eq(host_acl_take_credits(l, &reset), HOST_ACL_L2CAP_WINDOW);
	cr_assert(reset);
	cr_assert_eq(host_acl_take_credits(l, &reset), 0);
	cr_assert_not(reset);
	frame_of(frame, 56, 0x11); /* 3 fragments */
	cr_assert_eq(host_acl_tx_submit(&acl, 0x40, frame, 60), 0);
	frame_of(frame, 10, 0x22); /* 1 fragment */
	cr_assert_eq(host_acl_tx_submit(&acl, 0x40, frame, 14), 0);
	cr_assert_gt(host_acl_tx_next(&acl, out, sizeof out), 0);
	cr_assert_gt(host_acl_tx_next(&acl, out, sizeof out), 0);
	cr_assert_eq(host_acl_take_credits(l, &reset), 0, "the first frame is still half sent");
	cr_assert_eq(host_acl_completed(&acl, 0x40, 2), 2);
	cr_assert_gt(host_acl_tx_next(&acl, out, sizeof out), 0);
	cr_assert_gt(host_acl_tx_next(&acl, out, sizeof out), 0);
	cr_assert_eq(host_acl_take_credits(l, &reset), 2);
	cr_assert_not(reset);
	/* The window leaves room for a restarted l2cap's predecessor. */
	cr_assert_geq(HOST_ACL_TXQ_MAX, 2 * HOST_ACL_L2CAP_WINDOW);
}

/* After a restart the controller may hold the dead predecessor's packets:
 * every buffer is busy until a completion beyond what a link has in flight
 * pays it back, or the deadline passes. */
Test(host_acl, restart_debt_until_completions_or_deadline)
{
	uint8_t frame[64], out[64];
	host_acl_resume(&acl, 1000);
	cr_assert_eq(acl.free, 0);
	cr_assert_eq(host_acl_deadline(&acl), 1000);
	frame_of(frame, 10, 0x33);
	cr_assert_eq(host_acl_tx_submit(&acl, 0x40, frame, 14), 0);
	cr_assert_eq(host_acl_tx_next(&acl, out, sizeof out), 0, "sent into a full controller");
	/* One of the predecessor's packets completes: one buffer is ours. */
	cr_assert_eq(host_acl_completed(&acl, 0x41, 1), 1);
	cr_assert_eq(acl.st.completed_unknown, 0);
	cr_assert_gt(host_acl_tx_next(&acl, out, sizeof out), 0);
	cr_assert_eq(host_acl_tx_next(&acl, out, sizeof out), 0);
	/* The other never completes (it had gone before the crash): the
	 * deadline frees it. */
	host_acl_on_time(&acl, 999);
	cr_assert_eq(acl.free, 0);
	host_acl_on_time(&acl, 1000);
	cr_assert_eq(acl.free, 1);
	cr_assert_eq(host_acl_deadline(&acl), UINT64_MAX);
	/* Completions beyond that are unknown again, never more than total. */
	cr_assert_eq(host_acl_completed(&acl, 0x40, 3), 1);
	cr_assert_eq(acl.free, 2);
	cr_assert_eq(acl.st.completed_unknown, 2);
}

Test(host_acl, buffers_are_shared_round_robin)
{
	uint8_t frame[64], out[64];
	host_acl_set_buffers(&acl, 27, 1);
	frame_of(frame, 50, 0x11);
	cr_assert_eq(host_acl_tx_submit(&acl, 0x40, frame, 54), 0);
	cr_assert_eq(host_acl_tx_submit(&acl, 0x40, frame, 54), 0);
	frame_of(frame, 50, 0x22);
	cr_assert_eq(host_acl_tx_submit(&acl, 0x41, frame, 54), 0);
	uint16_t order[6];
	for (int i = 0; i < 6; i++) {
		cr_assert_gt(host_acl_tx_next(&acl, out, sizeof out), 0);
		order[i] = (uint16_t)(out[0] | (out[1] & 0x0f) << 8);
		cr_assert_eq(host_acl_tx_next(&acl, out, sizeof out), 0, "one buffer only");
		cr_assert_eq(host_acl_completed(&acl, order[i], 1), 1);
	}
	/* 0x40 has 4 fragments, 0x41 has 2: they alternate while both wait. */
	cr_assert_eq(order[0], 0x40);
	cr_assert_eq(order[1], 0x41);
	cr_assert_eq(order[2], 0x40);
	cr_assert_eq(order[3], 0x41);
	cr_assert_eq(order[4], 0x40);
	cr_assert_eq(order[5], 0x40);
}

Test(host_acl, disconnection_frees_pending_and_credits)
{
	uint8_t frame[128], out[64];
	frame_of(frame, 100, 0x33);
	cr_assert_eq(host_acl_tx_submit(&acl, 0x40, frame, 104), 0);
	cr_assert_eq(host_acl_tx_submit(&acl, 0x40, frame, 104), 0);
	cr_assert_gt(host_acl_tx_next(&acl, out, sizeof out), 0);
	cr_assert_gt(host_acl_tx_next(&acl, out, sizeof out), 0);
	cr_assert_eq(acl.free, 0);
	cr_assert_eq(host_acl_link_remove(&acl, 0x40), 2);
	cr_assert_eq(acl.free, 2);
	cr_assert_eq(acl.st.tx_flushed, 2);
	cr_assert_eq(host_acl_pending(&acl, 0xffff), 0);
	/* Late completions for the gone link are ignored. */
	cr_assert_eq(host_acl_completed(&acl, 0x40, 2), 0);
	cr_assert_eq(acl.free, 2);
}

Test(host_acl, refuses_bad_frames_and_applies_back_pressure)
{
	uint8_t frame[16];
	frame_of(frame, 4, 0);
	cr_assert_eq(host_acl_tx_submit(&acl, 0x40, frame, 7), -EINVAL);
	cr_assert_eq(host_acl_tx_submit(&acl, 0x40, frame, 3), -EINVAL);
	cr_assert_eq(host_acl_tx_submit(&acl, 0x99, frame, 8), -ENOENT);
	for (int i = 0; i < HOST_ACL_TXQ_MAX; i++)
		cr_assert_eq(host_acl_tx_submit(&acl, 0x40, frame, 8), 0);
	cr_assert_eq(host_acl_tx_submit(&acl, 0x40, frame, 8), -ENOBUFS);
	cr_assert_eq(acl.st.tx_refused, 4);
}

Test(host_acl, link_table_limits)
{
	cr_assert_eq(host_acl_link_add(&acl, 0x40), -EEXIST);
	for (int i = 2; i < HOST_LINKS_MAX; i++)
		cr_assert_eq(host_acl_link_add(&acl, (uint16_t)(0x100 + i)), 0);
	cr_assert_eq(host_acl_link_add(&acl, 0x200), -ENOSPC);
	cr_assert_eq(host_acl_link_remove(&acl, 0x999), -ENOENT);
}

/* ---- command flow control ---------------------------------------------------------- */

Test(host_cmd, burst_with_one_credit)
{
	struct host_cmdq q;
	struct host_cmd_done d;
	uint8_t out[300];
	host_cmdq_init(&q, 100);
	for (uint16_t i = 0; i < 3; i++)
		cr_assert_eq(host_cmdq_submit(&q, (uint16_t)(0x2001 + i), NULL, 0, 100 + i), 0);
	cr_assert_eq(host_cmdq_next(&q, 0, out, sizeof out), 3);
	cr_assert_eq(host_cmdq_next(&q, 0, out, sizeof out), 0);
	cr_assert_eq(host_cmdq_complete(&q, 0x2001, 1, false, B(0x00, 0xaa), &d), 1);
	cr_assert_eq(d.cookie, 100);
	cr_assert_eq(d.status, 0);
	cr_assert_eq(d.ret_len, 1);
	cr_assert_eq(d.ret[0], 0xaa);
	cr_assert_eq(host_cmdq_next(&q, 0, out, sizeof out), 3);
	cr_assert_eq(out[0], 0x02);
	/* ncmd 0 in a status: the next waits for a NOP credit. */
	cr_assert_eq(host_cmdq_complete(&q, 0x2002, 0, true, B(0x0c), &d), 1);
	cr_assert(d.by_status);
	cr_assert_eq(d.status, 0x0c);
	cr_assert_eq(host_cmdq_next(&q, 0, out, sizeof out), 0);
	cr_assert_eq(host_cmdq_complete(&q, HCI_OP_NOP, 1, false, NULL, 0, &d), 0);
	cr_assert_eq(host_cmdq_next(&q, 0, out, sizeof out), 3);
	/* A completion nobody waits for is counted. */
	cr_assert_eq(host_cmdq_complete(&q, 0x0c03, 1, false, B(0x00), &d), 0);
	cr_assert_eq(q.unexpected, 1);
}

Test(host_cmd, timeout_returns_credit)
{
	struct host_cmdq q;
	struct host_cmd_done d;
	uint8_t out[300];
	host_cmdq_init(&q, 100);
	cr_assert_eq(host_cmdq_submit(&q, 0x0c03, NULL, 0, 7), 0);
	cr_assert_eq(host_cmdq_submit(&q, 0x1001, NULL, 0, 8), 0);
	cr_assert_eq(host_cmdq_next(&q, 1000, out, sizeof out), 3);
	cr_assert_eq(host_cmdq_deadline(&q), 1100);
	cr_assert_eq(host_cmdq_expire(&q, 1099, &d), 0);
	cr_assert_eq(host_cmdq_expire(&q, 1100, &d), 1);
	cr_assert_eq(d.err, -ETIMEDOUT);
	cr_assert_eq(d.cookie, 7);
	cr_assert_eq(host_cmdq_deadline(&q), UINT64_MAX);
	cr_assert_eq(host_cmdq_next(&q, 1100, out, sizeof out), 3);
	cr_assert_eq(out[1], 0x10);
}

Test(host_cmd, queue_limits)
{
	struct host_cmdq q;
	uint8_t big[256] = { 0 };
	host_cmdq_init(&q, 0);
	cr_assert_eq(q.timeout_ms, HOST_CMD_TIMEOUT_MS_DEFAULT);
	cr_assert_eq(host_cmdq_submit(&q, 0x0c03, big, 256, 1), -EMSGSIZE);
	for (int i = 0; i < HOST_CMD_QUEUE_MAX; i++)
		cr_assert_eq(host_cmdq_submit(&q, 0x0c03, big, 255, 1), 0);
	cr_assert_eq(host_cmdq_submit(&q, 0x0c03, NULL, 0, 1), -ENOBUFS);
}
