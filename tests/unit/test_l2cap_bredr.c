/* BR/EDR signaling scripts (CID 0x0001): request bytes in, response bytes
 * out, for every code and every rejection; basic-mode channels opened both
 * ways, their B-frames, RTX. Pure, without sockets. */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../actors/l2cap/l2cap.h"
#include "../../actors/l2cap/l2cap_snapshot.h"

#define H 0x0001
#define B(...) ((const uint8_t[]){ __VA_ARGS__ }), sizeof((const uint8_t[]){ __VA_ARGS__ })

static struct l2cap *l;
static uint64_t now;

static void start(void)
{
	l = l2cap_new(NULL);
	cr_assert_not_null(l);
	cr_assert_eq(l2cap_link_add(l, H, L2CAP_ROLE_CENTRAL), 0);
	cr_assert_eq(l2cap_link_set_bredr(l, H), 0);
	cr_assert_eq(l2cap_psm_listen(l, 0x0001, "sdp", 0, L2CAP_SEC_NONE), 0);
	cr_assert_eq(l2cap_psm_listen(l, 0x1001, "secure", 100, L2CAP_SEC_ENCRYPTED), 0);
	now = 1000;
}

static void teardown(void)
{
	l2cap_destroy(&l);
	cr_assert_null(l);
}

TestSuite(bredr, .init = start, .fini = teardown);

static void hexdump(char *out, size_t cap, const uint8_t *p, size_t n)
{
	size_t at = 0;
	out[0] = 0;
	for (size_t i = 0; i < n && at + 4 < cap; i++)
		at += (size_t)snprintf(out + at, cap - at, "%02x ", p[i]);
}

static void frame_in(uint16_t cid, const uint8_t *p, size_t n)
{
	uint8_t f[800];
	cr_assert_leq(n + 4, sizeof f);
	f[0] = (uint8_t)n;
	f[1] = (uint8_t)(n >> 8);
	f[2] = (uint8_t)cid;
	f[3] = (uint8_t)(cid >> 8);
	if (n)
		memcpy(f + 4, p, n);
	l2cap_on_frame(l, H, f, n + 4, now);
}

static void sig_in(const uint8_t *p, size_t n)
{
	frame_in(0x0001, p, n);
}

/* Item i of the outbox must be a frame on cid with exactly these bytes. */
static void expect_frame_at(size_t i, uint16_t cid, const uint8_t *p, size_t n)
{
	char want[600], got[600];
	hexdump(want, sizeof want, p, n);
	cr_assert_gt(l->out.n, i, "nothing sent at %zu; wanted %s", i, want);
	const struct l2cap_out *o = &l->out.v[i];
	cr_assert_eq(o->kind, L2CAP_OUT_FRAME, "item %zu is kind %d; wanted %s", i, o->kind, want);
	cr_assert_eq(o->handle, H);
	hexdump(got, sizeof got, o->data + 4, o->len - 4);
	cr_assert_eq(o->data[2] | o->data[3] << 8, cid, "CID 0x%04x", o->data[2] | o->data[3] << 8);
	cr_assert_eq(o->len, n + 4, "wanted %s got %s", want, got);
	cr_assert_eq(o->data[0] | o->data[1] << 8, n);
	cr_assert_eq(memcmp(o->data + 4, p, n), 0, "wanted %s got %s", want, got);
}

static void expect_nothing(void)
{
	cr_assert_eq(l->out.n, 0, "%zu items, first kind %d", l->out.n,
		     l->out.n ? (int)l->out.v[0].kind : -1);
}

/* The next signaling frame of the outbox; a cursor over the items. */
static size_t at;
static void next_sig(const uint8_t *p, size_t n)
{
	expect_frame_at(at++, 0x0001, p, n);
}

/* Everything expected was seen: the outbox is cleared. */
static void done(void)
{
	cr_assert_eq(l->out.n, at, "%zu items, %zu expected", l->out.n, at);
	l2cap_outbox_clear(l);
	at = 0;
}

static const struct l2cap_out *item(enum l2cap_out_kind kind)
{
	for (size_t i = 0; i < l->out.n; i++)
		if (l->out.v[i].kind == kind)
			return &l->out.v[i];
	return NULL;
}

#define IN(...) sig_in(B(__VA_ARGS__))
#define OUT(...) next_sig(B(__VA_ARGS__))

/* ---- the dispatcher's common work ---------------------------------------------- */

Test(bredr, unknown_codes_are_not_understood)
{
	/* LE-only codes, unassigned codes: Command Reject 0x0000 with the
	 * identifier. */
	IN(0x12, 0x07, 0x08, 0x00, 0x06, 0x00, 0x0c, 0x00, 0x00, 0x00, 0xc8, 0x00);
	OUT(0x01, 0x07, 0x02, 0x00, 0x00, 0x00);
	IN(0x14, 0x08, 0x0a, 0x00, 0x80, 0x00, 0x40, 0x00, 0x64, 0x00, 0x40, 0x00, 0x01, 0x00);
	OUT(0x01, 0x08, 0x02, 0x00, 0x00, 0x00);
	IN(0x0c, 0x09, 0x00, 0x00);
	OUT(0x01, 0x09, 0x02, 0x00, 0x00, 0x00);
	IN(0xff, 0x0a, 0x00, 0x00);
	OUT(0x01, 0x0a, 0x02, 0x00, 0x00, 0x00);
	done();
	cr_assert_eq(l->st.sig_rejects_sent, 4);
}

Test(bredr, signaling_mtu_exceeded)
{
	l->bredr.mtu_sig = 48;
	/* 49 bytes: rejected whole with our MTUsig (48), for the first
	 * command's identifier, nothing in it handled. */
	uint8_t big[49] = { 0x08, 0x21, 0x2d, 0x00 };
	sig_in(big, sizeof big);
	OUT(0x01, 0x21, 0x04, 0x00, 0x01, 0x00, 0x30, 0x00);
	done();
	/* 48 bytes fit: an echo of 44 bytes comes back. */
	uint8_t ok[48] = { 0x08, 0x22, 0x2c, 0x00, 0xaa };
	sig_in(ok, sizeof ok);
	ok[0] = 0x09;
	next_sig(ok, sizeof ok);
	done();
	/* An oversized Command Reject is not answered. */
	uint8_t rej[60] = { 0x01, 0x23, 0x38, 0x00 };
	sig_in(rej, sizeof rej);
	expect_nothing();
}

Test(bredr, several_commands_in_one_frame)
{
	/* Echo Request, Information Request (extended features), an unknown
	 * code: three answers, in order. */
	IN(0x08, 0x01, 0x02, 0x00, 0x11, 0x22,
	   0x0a, 0x02, 0x02, 0x00, 0x02, 0x00,
	   0x1f, 0x03, 0x00, 0x00);
	OUT(0x09, 0x01, 0x02, 0x00, 0x11, 0x22);
	OUT(0x0b, 0x02, 0x08, 0x00, 0x02, 0x00, 0x00, 0x00, 0x80, 0x00, 0x00, 0x00);
	OUT(0x01, 0x03, 0x02, 0x00, 0x00, 0x00);
	done();
}

Test(bredr, truncated_commands)
{
	/* A header whose length runs past the frame ends it: the commands
	 * before it are answered, nothing after. */
	IN(0x08, 0x01, 0x00, 0x00, 0x08, 0x02, 0x09, 0x00, 0x01);
	OUT(0x09, 0x01, 0x00, 0x00);
	done();
	cr_assert_eq(l->st.sig_malformed, 1);
	/* Less than a header after a command. */
	IN(0x08, 0x03, 0x00, 0x00, 0x08, 0x04);
	OUT(0x09, 0x03, 0x00, 0x00);
	done();
	cr_assert_eq(l->st.sig_malformed, 2);
	/* Identifier 0 skips that command only. */
	IN(0x08, 0x00, 0x00, 0x00, 0x08, 0x05, 0x00, 0x00);
	OUT(0x09, 0x05, 0x00, 0x00);
	done();
	/* Requests of the wrong length: not understood. */
	IN(0x02, 0x06, 0x02, 0x00, 0x01, 0x00);                         /* Connection */
	OUT(0x01, 0x06, 0x02, 0x00, 0x00, 0x00);
	IN(0x02, 0x07, 0x05, 0x00, 0x01, 0x00, 0x40, 0x00, 0x00);       /* one too many */
	OUT(0x01, 0x07, 0x02, 0x00, 0x00, 0x00);
	IN(0x04, 0x08, 0x03, 0x00, 0x40, 0x00, 0x00);                   /* Configuration */
	OUT(0x01, 0x08, 0x02, 0x00, 0x00, 0x00);
	IN(0x06, 0x09, 0x03, 0x00, 0x40, 0x00, 0x41);                   /* Disconnection */
	OUT(0x01, 0x09, 0x02, 0x00, 0x00, 0x00);
	IN(0x0a, 0x0a, 0x01, 0x00, 0x02);                               /* Information */
	OUT(0x01, 0x0a, 0x02, 0x00, 0x00, 0x00);
	done();
	/* Responses of the wrong length are dropped. */
	IN(0x03, 0x0b, 0x07, 0x00, 0x40, 0x00, 0x40, 0x00, 0x00, 0x00, 0x00);
	IN(0x05, 0x0c, 0x05, 0x00, 0x40, 0x00, 0x00, 0x00, 0x00);
	IN(0x01, 0x0d, 0x01, 0x00, 0x00);
	expect_nothing();
}

Test(bredr, unmatched_responses_are_dropped)
{
	IN(0x01, 0x01, 0x02, 0x00, 0x00, 0x00);
	IN(0x03, 0x02, 0x08, 0x00, 0x40, 0x00, 0x40, 0x00, 0x00, 0x00, 0x00, 0x00);
	IN(0x05, 0x03, 0x06, 0x00, 0x40, 0x00, 0x00, 0x00, 0x00, 0x00);
	IN(0x07, 0x04, 0x04, 0x00, 0x40, 0x00, 0x41, 0x00);
	IN(0x09, 0x05, 0x00, 0x00);
	IN(0x0b, 0x06, 0x04, 0x00, 0x02, 0x00, 0x01, 0x00);
	expect_nothing();
	cr_assert_eq(l->st.sig_unexpected, 6);
}

/* ---- echo and information ------------------------------------------------------------ */

Test(bredr, echo_request_is_answered_with_its_data)
{
	IN(0x08, 0x11, 0x00, 0x00);
	OUT(0x09, 0x11, 0x00, 0x00);
	IN(0x08, 0x12, 0x03, 0x00, 'a', 'b', 'c');
	OUT(0x09, 0x12, 0x03, 0x00, 'a', 'b', 'c');
	done();
	cr_assert_eq(l->bredr.st.echo_answered, 2);
}

Test(bredr, our_echo_request_and_its_rtx)
{
	cr_assert_eq(l2cap_bredr_echo(l, H, B(0x01, 0x02), now), 0);
	OUT(0x08, 0x01, 0x02, 0x00, 0x01, 0x02);
	done();
	IN(0x09, 0x01, 0x00, 0x00);
	expect_nothing();
	cr_assert_eq(l2cap_deadline(l), UINT64_MAX);
	/* Unanswered: RTX expires it, silently. */
	cr_assert_eq(l2cap_bredr_echo(l, H, NULL, 0, now), 0);
	l2cap_outbox_clear(l);
	cr_assert_eq(l2cap_deadline(l), now + L2CAP_RTX_MS_DEFAULT);
	l2cap_on_time(l, now + L2CAP_RTX_MS_DEFAULT);
	expect_nothing();
	cr_assert_eq(l->st.sig_timeouts, 1);
	cr_assert_eq(l2cap_bredr_echo(l, 0x0999, NULL, 0, now), -ENOENT);
}

Test(bredr, information_request_every_type)
{
	IN(0x0a, 0x01, 0x02, 0x00, 0x01, 0x00); /* connectionless MTU: not supported */
	OUT(0x0b, 0x01, 0x04, 0x00, 0x01, 0x00, 0x01, 0x00);
	IN(0x0a, 0x02, 0x02, 0x00, 0x02, 0x00); /* extended features: fixed channels */
	OUT(0x0b, 0x02, 0x08, 0x00, 0x02, 0x00, 0x00, 0x00, 0x80, 0x00, 0x00, 0x00);
	IN(0x0a, 0x03, 0x02, 0x00, 0x03, 0x00); /* fixed channels: 0x0001, 0x0007 (smp) */
	OUT(0x0b, 0x03, 0x0c, 0x00, 0x03, 0x00, 0x00, 0x00, 0x82, 0, 0, 0, 0, 0, 0, 0);
	IN(0x0a, 0x04, 0x02, 0x00, 0x55, 0x00); /* unknown type */
	OUT(0x0b, 0x04, 0x04, 0x00, 0x55, 0x00, 0x01, 0x00);
	done();
	l2cap_fixed_unregister(&l->fixed, L2CAP_CID_SMP_BREDR, NULL);
	IN(0x0a, 0x05, 0x02, 0x00, 0x03, 0x00);
	OUT(0x0b, 0x05, 0x0c, 0x00, 0x03, 0x00, 0x00, 0x00, 0x02, 0, 0, 0, 0, 0, 0, 0);
	done();
}

/* ---- connections from the peer --------------------------------------------------------- */

Test(bredr, connection_request_refusals)
{
	/* Unknown PSM, and an invalid one (even): PSM not supported. */
	IN(0x02, 0x01, 0x04, 0x00, 0x03, 0x00, 0x40, 0x00);
	OUT(0x03, 0x01, 0x08, 0x00, 0x00, 0x00, 0x40, 0x00, 0x02, 0x00, 0x00, 0x00);
	IN(0x02, 0x02, 0x04, 0x00, 0x02, 0x00, 0x40, 0x00);
	OUT(0x03, 0x02, 0x08, 0x00, 0x00, 0x00, 0x40, 0x00, 0x02, 0x00, 0x00, 0x00);
	/* Encryption needed and the link is not encrypted: security block. */
	IN(0x02, 0x03, 0x04, 0x00, 0x01, 0x10, 0x40, 0x00);
	OUT(0x03, 0x03, 0x08, 0x00, 0x00, 0x00, 0x40, 0x00, 0x03, 0x00, 0x00, 0x00);
	/* A source CID outside the dynamic range. */
	IN(0x02, 0x04, 0x04, 0x00, 0x01, 0x00, 0x3f, 0x00);
	OUT(0x03, 0x04, 0x08, 0x00, 0x00, 0x00, 0x3f, 0x00, 0x06, 0x00, 0x00, 0x00);
	done();
	cr_assert_eq(l->st.sig_rejects_sent, 0);
	/* Accepted once encrypted. */
	struct l2cap_security sec = { .encrypted = true, .key_size = 16 };
	l2cap_link_set_security(l, H, &sec);
	IN(0x02, 0x05, 0x04, 0x00, 0x01, 0x10, 0x40, 0x00);
	OUT(0x03, 0x05, 0x08, 0x00, 0x40, 0x00, 0x40, 0x00, 0x00, 0x00, 0x00, 0x00);
	OUT(0x04, 0x01, 0x08, 0x00, 0x40, 0x00, 0x00, 0x00, 0x01, 0x02, 0x64, 0x00);
	done();
	/* The same source CID again: already allocated. */
	IN(0x02, 0x06, 0x04, 0x00, 0x01, 0x00, 0x40, 0x00);
	OUT(0x03, 0x06, 0x08, 0x00, 0x00, 0x00, 0x40, 0x00, 0x07, 0x00, 0x00, 0x00);
	done();
}

/* The peer opens a channel to PSM 1 (source CID 0x0070): our answer and our
 * Configuration Request (MTU 672, identifier id). */
static void peer_connects_with(uint8_t id)
{
	IN(0x02, 0x10, 0x04, 0x00, 0x01, 0x00, 0x70, 0x00);
	OUT(0x03, 0x10, 0x08, 0x00, 0x40, 0x00, 0x70, 0x00, 0x00, 0x00, 0x00, 0x00);
	OUT(0x04, id, 0x08, 0x00, 0x70, 0x00, 0x00, 0x00, 0x01, 0x02, 0xa0, 0x02);
	done();
	struct l2cap_chan *ch = l2cap_chan_find(l, H, 0x0040);
	cr_assert_not_null(ch);
	cr_assert_eq(ch->state, L2CAP_CHAN_CONNECTING);
}

static void peer_connects(void)
{
	peer_connects_with(1);
}

/* The peer accepts ours, then configures its side with MTU mtu. */
static void peer_configures(uint16_t mtu)
{
	IN(0x05, 0x01, 0x06, 0x00, 0x40, 0x00, 0x00, 0x00, 0x00, 0x00);
	expect_nothing();
	IN(0x04, 0x11, 0x08, 0x00, 0x40, 0x00, 0x00, 0x00, 0x01, 0x02, (uint8_t)mtu,
	   (uint8_t)(mtu >> 8));
	OUT(0x05, 0x11, 0x06, 0x00, 0x70, 0x00, 0x00, 0x00, 0x00, 0x00);
}

Test(bredr, incoming_channel_opens_and_carries_data)
{
	peer_connects();
	peer_configures(100);
	const struct l2cap_out *o = item(L2CAP_OUT_COC_OPENED);
	cr_assert_not_null(o);
	cr_assert_str_eq(o->dest, "sdp");
	cr_assert(o->incoming);
	cr_assert_eq(o->cid, 0x0040);
	cr_assert_eq(o->spsm, 0x0001);
	cr_assert_eq(o->mtu, 100);
	at++;
	done();
	/* A B-frame in: one PDU for the owner on our CID. */
	frame_in(0x0040, B(0x02, 0x00, 0x01));
	cr_assert_eq(l->out.n, 1);
	o = &l->out.v[0];
	cr_assert_eq(o->kind, L2CAP_OUT_PDU);
	cr_assert_str_eq(o->dest, "sdp");
	cr_assert_eq(o->cid, 0x0040);
	cr_assert_eq(o->len, 3);
	cr_assert_eq(memcmp(o->data, "\x02\x00\x01", 3), 0);
	l2cap_outbox_clear(l);
	/* Out: one B-frame to the peer's CID; over the peer's MTU refused. */
	cr_assert_eq(l2cap_bredr_send(l, H, 0x0040, B(0x03, 0x00, 0x01)), 0);
	expect_frame_at(0, 0x0070, B(0x03, 0x00, 0x01));
	at = 1;
	done();
	uint8_t big[101] = { 0 };
	cr_assert_eq(l2cap_bredr_send(l, H, 0x0040, big, sizeof big), -EMSGSIZE);
	cr_assert_eq(l2cap_bredr_send(l, H, 0x0040, big, 100), 0);
	cr_assert_eq(l2cap_bredr_send(l, H, 0x0041, big, 10), -ENOENT);
	l2cap_outbox_clear(l);
	/* Frames over our MTU (672) or to no channel are dropped. */
	uint8_t huge[673] = { 0 };
	frame_in(0x0040, huge, sizeof huge);
	frame_in(0x0041, huge, 1);
	expect_nothing();
	cr_assert_eq(l->bredr.st.bframes_dropped, 2);
}

Test(bredr, configuration_with_unknown_options)
{
	peer_connects();
	/* Option 0x10 is unknown, 0x90 is an unknown hint (skipped), MTU fine:
	 * Unknown Options listing 0x10 only. */
	IN(0x04, 0x11, 0x0f, 0x00, 0x40, 0x00, 0x00, 0x00, 0x10, 0x01, 0xaa, 0x90, 0x02, 0x00,
	   0x00, 0x01, 0x02, 0x00, 0x01);
	OUT(0x05, 0x11, 0x07, 0x00, 0x70, 0x00, 0x00, 0x00, 0x03, 0x00, 0x10);
	done();
	/* Flush timeout and QoS are taken as they are. */
	IN(0x04, 0x12, 0x20, 0x00, 0x40, 0x00, 0x00, 0x00, 0x02, 0x02, 0x20, 0x00, 0x03, 0x16,
	   0x00, 0x01, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0);
	OUT(0x05, 0x12, 0x06, 0x00, 0x70, 0x00, 0x00, 0x00, 0x00, 0x00);
	done();
	struct l2cap_chan *ch = l2cap_chan_find(l, H, 0x0040);
	cr_assert_eq(ch->peer_mtu, 672);
	cr_assert_eq(ch->br.flush_timeout, 0x0020);
}

Test(bredr, configuration_with_bad_mtu_or_mode)
{
	peer_connects();
	/* MTU 40 < 48: Unacceptable Parameters, suggesting 48. */
	IN(0x04, 0x11, 0x08, 0x00, 0x40, 0x00, 0x00, 0x00, 0x01, 0x02, 0x28, 0x00);
	OUT(0x05, 0x11, 0x0a, 0x00, 0x70, 0x00, 0x00, 0x00, 0x01, 0x00, 0x01, 0x02, 0x30, 0x00);
	/* ERTM: only basic mode, offered back. */
	IN(0x04, 0x12, 0x0f, 0x00, 0x40, 0x00, 0x00, 0x00, 0x04, 0x09, 0x03, 0, 0, 0, 0, 0, 0,
	   0, 0);
	OUT(0x05, 0x12, 0x11, 0x00, 0x70, 0x00, 0x00, 0x00, 0x01, 0x00, 0x04, 0x09, 0, 0, 0, 0,
	    0, 0, 0, 0, 0);
	/* A known option of the wrong length, an option running past the end:
	 * the command is not understood. */
	IN(0x04, 0x13, 0x07, 0x00, 0x40, 0x00, 0x00, 0x00, 0x01, 0x01, 0x30);
	OUT(0x01, 0x13, 0x02, 0x00, 0x00, 0x00);
	IN(0x04, 0x14, 0x07, 0x00, 0x40, 0x00, 0x00, 0x00, 0x01, 0x02, 0x30);
	OUT(0x01, 0x14, 0x02, 0x00, 0x00, 0x00);
	done();
	/* Still configuring; a good request then opens it. */
	cr_assert_eq(l2cap_chan_find(l, H, 0x0040)->state, L2CAP_CHAN_CONNECTING);
	peer_configures(48);
	cr_assert_not_null(item(L2CAP_OUT_COC_OPENED));
	cr_assert_eq(l2cap_chan_find(l, H, 0x0040)->state, L2CAP_CHAN_OPEN);
}

Test(bredr, configuration_continuation)
{
	peer_connects();
	/* MTU in the first part, flagged to continue: success with C. */
	IN(0x04, 0x11, 0x08, 0x00, 0x40, 0x00, 0x01, 0x00, 0x01, 0x02, 0x00, 0x01);
	OUT(0x05, 0x11, 0x06, 0x00, 0x70, 0x00, 0x01, 0x00, 0x00, 0x00);
	done();
	/* The last part, without the MTU: the first part's MTU holds. */
	IN(0x04, 0x12, 0x08, 0x00, 0x40, 0x00, 0x00, 0x00, 0x02, 0x02, 0xff, 0xff);
	OUT(0x05, 0x12, 0x06, 0x00, 0x70, 0x00, 0x00, 0x00, 0x00, 0x00);
	done();
	cr_assert_eq(l2cap_chan_find(l, H, 0x0040)->peer_mtu, 256);
	/* Our request answered with C set: we send an empty one, and the final
	 * answer opens the channel. */
	IN(0x05, 0x01, 0x06, 0x00, 0x40, 0x00, 0x01, 0x00, 0x00, 0x00);
	OUT(0x04, 0x02, 0x04, 0x00, 0x70, 0x00, 0x00, 0x00);
	done();
	IN(0x05, 0x02, 0x06, 0x00, 0x40, 0x00, 0x00, 0x00, 0x00, 0x00);
	cr_assert_not_null(item(L2CAP_OUT_COC_OPENED));
}

Test(bredr, configuration_of_unknown_cid_is_rejected)
{
	IN(0x04, 0x01, 0x04, 0x00, 0x40, 0x00, 0x00, 0x00);
	OUT(0x01, 0x01, 0x06, 0x00, 0x02, 0x00, 0x40, 0x00, 0x00, 0x00);
	done();
}

Test(bredr, our_options_refused)
{
	peer_connects();
	/* Unacceptable, with an MTU we can take: asked again with it. */
	IN(0x05, 0x01, 0x0a, 0x00, 0x40, 0x00, 0x00, 0x00, 0x01, 0x00, 0x01, 0x02, 0x00, 0x02);
	OUT(0x04, 0x02, 0x08, 0x00, 0x70, 0x00, 0x00, 0x00, 0x01, 0x02, 0x00, 0x02);
	done();
	/* Rejected: the channel goes (Disconnection Request); the owner never
	 * heard of it. */
	IN(0x05, 0x02, 0x06, 0x00, 0x40, 0x00, 0x00, 0x00, 0x02, 0x00);
	OUT(0x06, 0x03, 0x04, 0x00, 0x70, 0x00, 0x40, 0x00);
	done();
	IN(0x07, 0x03, 0x04, 0x00, 0x70, 0x00, 0x40, 0x00);
	expect_nothing();
	cr_assert_null(l2cap_chan_find(l, H, 0x0040));
}

/* ---- disconnection ---------------------------------------------------------------------- */

Test(bredr, disconnection)
{
	/* Of an unknown CID: Command Reject, invalid CID, with both CIDs. */
	IN(0x06, 0x01, 0x04, 0x00, 0x45, 0x00, 0x71, 0x00);
	OUT(0x01, 0x01, 0x06, 0x00, 0x02, 0x00, 0x45, 0x00, 0x71, 0x00);
	done();
	/* Of an open channel: answered, the owner told. */
	peer_connects();
	peer_configures(100);
	l2cap_outbox_clear(l);
	at = 0;
	IN(0x06, 0x02, 0x04, 0x00, 0x40, 0x00, 0x70, 0x00);
	OUT(0x07, 0x02, 0x04, 0x00, 0x40, 0x00, 0x70, 0x00);
	const struct l2cap_out *o = item(L2CAP_OUT_COC_CLOSED);
	cr_assert_not_null(o);
	cr_assert_eq(o->status, -ECONNRESET);
	cr_assert_str_eq(o->dest, "sdp");
	at++;
	done();
	/* While configuring: answered, the channel gone. */
	peer_connects_with(2);
	IN(0x06, 0x03, 0x04, 0x00, 0x40, 0x00, 0x70, 0x00);
	OUT(0x07, 0x03, 0x04, 0x00, 0x40, 0x00, 0x70, 0x00);
	done();
	cr_assert_null(l2cap_chan_find(l, H, 0x0040));
	/* Our late Configuration Response finds nothing. */
	IN(0x05, 0x02, 0x06, 0x00, 0x40, 0x00, 0x00, 0x00, 0x00, 0x00);
	expect_nothing();
}

/* ---- connections of ours ------------------------------------------------------------------ */

Test(bredr, outgoing_channel_with_pending_answer)
{
	int cid = l2cap_bredr_connect(l, H, 0x0003, "rfcomm", 0, 77, now);
	cr_assert_eq(cid, 0x0040);
	OUT(0x02, 0x01, 0x04, 0x00, 0x03, 0x00, 0x40, 0x00);
	done();
	/* Pending: the wait becomes ERTX. */
	IN(0x03, 0x01, 0x08, 0x00, 0x00, 0x00, 0x40, 0x00, 0x01, 0x00, 0x01, 0x00);
	expect_nothing();
	cr_assert_eq(l2cap_deadline(l), now + L2CAP_ERTX_MS);
	/* Success: we configure; the peer does too. */
	IN(0x03, 0x01, 0x08, 0x00, 0x55, 0x00, 0x40, 0x00, 0x00, 0x00, 0x00, 0x00);
	OUT(0x04, 0x02, 0x08, 0x00, 0x55, 0x00, 0x00, 0x00, 0x01, 0x02, 0xa0, 0x02);
	done();
	IN(0x04, 0x20, 0x04, 0x00, 0x40, 0x00, 0x00, 0x00);
	OUT(0x05, 0x20, 0x06, 0x00, 0x55, 0x00, 0x00, 0x00, 0x00, 0x00);
	done();
	IN(0x05, 0x02, 0x06, 0x00, 0x40, 0x00, 0x00, 0x00, 0x00, 0x00);
	const struct l2cap_out *o = item(L2CAP_OUT_COC_OPENED);
	cr_assert_not_null(o);
	cr_assert_not(o->incoming);
	cr_assert_eq(o->req_id, 77);
	cr_assert_eq(o->mtu, 672);
	cr_assert_str_eq(o->dest, "rfcomm");
	l2cap_outbox_clear(l);
	/* Ours to close: Disconnection Request, closed on the answer. */
	cr_assert_eq(l2cap_coc_disconnect(l, H, 0x0040, now), 0);
	OUT(0x06, 0x03, 0x04, 0x00, 0x55, 0x00, 0x40, 0x00);
	done();
	IN(0x07, 0x03, 0x04, 0x00, 0x55, 0x00, 0x40, 0x00);
	o = item(L2CAP_OUT_COC_CLOSED);
	cr_assert_not_null(o);
	cr_assert_eq(o->status, 0);
}

Test(bredr, outgoing_channel_refused_rejected_or_timed_out)
{
	cr_assert_eq(l2cap_bredr_connect(l, H, 0x0003, "app", 0, 1, now), 0x0040);
	l2cap_outbox_clear(l);
	IN(0x03, 0x01, 0x08, 0x00, 0x00, 0x00, 0x40, 0x00, 0x02, 0x00, 0x00, 0x00);
	const struct l2cap_out *o = item(L2CAP_OUT_COC_OPEN_FAILED);
	cr_assert_not_null(o);
	cr_assert_eq(o->status, L2CAP_CONN_PSM_NOT_SUPPORTED);
	cr_assert_eq(o->req_id, 1);
	l2cap_outbox_clear(l);
	/* Command Reject: refused. */
	cr_assert_eq(l2cap_bredr_connect(l, H, 0x0003, "app", 0, 2, now), 0x0040);
	l2cap_outbox_clear(l);
	IN(0x01, 0x02, 0x02, 0x00, 0x00, 0x00);
	o = item(L2CAP_OUT_COC_OPEN_FAILED);
	cr_assert_not_null(o);
	cr_assert_eq(o->status, -ECONNREFUSED);
	l2cap_outbox_clear(l);
	/* No answer: RTX. */
	cr_assert_eq(l2cap_bredr_connect(l, H, 0x0003, "app", 0, 3, now), 0x0040);
	l2cap_outbox_clear(l);
	l2cap_on_time(l, now + L2CAP_RTX_MS_DEFAULT - 1);
	expect_nothing();
	l2cap_on_time(l, now + L2CAP_RTX_MS_DEFAULT);
	o = item(L2CAP_OUT_COC_OPEN_FAILED);
	cr_assert_not_null(o);
	cr_assert_eq(o->status, -ETIMEDOUT);
	l2cap_outbox_clear(l);
	/* Configuration unanswered: the channel is disconnected. */
	cr_assert_eq(l2cap_bredr_connect(l, H, 0x0003, "app", 0, 4, now), 0x0040);
	IN(0x03, 0x04, 0x08, 0x00, 0x60, 0x00, 0x40, 0x00, 0x00, 0x00, 0x00, 0x00);
	l2cap_outbox_clear(l);
	l2cap_on_time(l, now + L2CAP_RTX_MS_DEFAULT);
	o = item(L2CAP_OUT_COC_OPEN_FAILED);
	cr_assert_not_null(o);
	cr_assert_eq(o->status, -ETIMEDOUT);
	expect_frame_at(1, 0x0001, B(0x06, 0x06, 0x04, 0x00, 0x60, 0x00, 0x40, 0x00));
	l2cap_outbox_clear(l);
	/* Bad requests. */
	cr_assert_eq(l2cap_bredr_connect(l, H, 0x0002, "app", 0, 5, now), -EINVAL);
	cr_assert_eq(l2cap_bredr_connect(l, H, 0x0003, "app", 47, 5, now), -EINVAL);
	cr_assert_eq(l2cap_bredr_connect(l, 0x0999, 0x0003, "app", 0, 5, now), -ENOENT);
}

Test(bredr, link_gone_while_configuring)
{
	cr_assert_eq(l2cap_bredr_connect(l, H, 0x0003, "app", 0, 9, now), 0x0040);
	IN(0x03, 0x01, 0x08, 0x00, 0x60, 0x00, 0x40, 0x00, 0x00, 0x00, 0x00, 0x00);
	l2cap_outbox_clear(l);
	cr_assert_eq(l2cap_link_remove(l, H), 0);
	const struct l2cap_out *o = item(L2CAP_OUT_COC_OPEN_FAILED);
	cr_assert_not_null(o);
	cr_assert_eq(o->status, -ENOTCONN);
	cr_assert_eq(l->out.n, 1);
}

Test(bredr, psm_registry)
{
	cr_assert_eq(l2cap_psm_listen(l, 0x0001, "other", 0, 0), -EADDRINUSE);
	cr_assert_eq(l2cap_psm_listen(l, 0x0001, "sdp", 200, 0), 0);
	cr_assert_eq(l2cap_psm_find(l, 0x0001)->mtu, 200);
	cr_assert_eq(l2cap_psm_listen(l, 0x0002, "x", 0, 0), -EINVAL);
	cr_assert_eq(l2cap_psm_listen(l, 0x0101, "x", 0, 0), -EINVAL);
	cr_assert_eq(l2cap_psm_listen(l, 0x0005, "x", 47, 0), -EINVAL);
	cr_assert_eq(l2cap_psm_unlisten(l, 0x0001, "other"), -ENOENT);
	cr_assert_eq(l2cap_psm_unlisten(l, 0x0001, "sdp"), 0);
	IN(0x02, 0x01, 0x04, 0x00, 0x01, 0x00, 0x40, 0x00);
	OUT(0x03, 0x01, 0x08, 0x00, 0x00, 0x00, 0x40, 0x00, 0x02, 0x00, 0x00, 0x00);
	done();
}

Test(bredr, le_links_keep_le_signaling)
{
	/* On an LE link CID 0x0001 is no signaling channel, and BR/EDR codes
	 * on 0x0005 are not understood. */
	cr_assert_eq(l2cap_link_add(l, 0x0040, L2CAP_ROLE_CENTRAL), 0);
	uint8_t f[] = { 0x04, 0x00, 0x05, 0x00, 0x08, 0x01, 0x00, 0x00 };
	l2cap_on_frame(l, 0x0040, f, sizeof f, now);
	cr_assert_eq(l->out.n, 1);
	cr_assert_eq(l->out.v[0].data[2], 0x05);
	cr_assert_eq(l->out.v[0].data[4], 0x01);
	l2cap_outbox_clear(l);
	cr_assert_eq(l2cap_bredr_connect(l, 0x0040, 0x0001, "app", 0, 1, now), -EINVAL);
}

Test(bredr, snapshot_keeps_links_channels_and_psms)
{
	peer_connects();
	peer_configures(100);
	l2cap_outbox_clear(l);
	at = 0;
	cr_assert_eq(l2cap_psm_listen(l, 0x1003, "app", 0, L2CAP_SEC_NONE), 0);
	size_t cap = l2cap_snapshot_max();
	uint8_t *buf = malloc(cap);
	cr_assert_not_null(buf);
	int n = l2cap_snapshot_write(l, buf, cap);
	cr_assert_gt(n, 0);
	l2cap_destroy(&l);
	l = l2cap_new(NULL);
	cr_assert_eq(l2cap_snapshot_restore(l, buf, (size_t)n, now), 1);
	free(buf);
	expect_nothing();
	cr_assert(l2cap_link_find(l, H)->bredr);
	cr_assert_not_null(l2cap_psm_find(l, 0x0001));
	cr_assert_str_eq(l2cap_psm_find(l, 0x1003)->owner, "app");
	/* The channel still carries B-frames, the link still signals on 0x0001. */
	frame_in(0x0040, B(0x06, 0x00, 0x01));
	cr_assert_eq(l->out.n, 1);
	cr_assert_eq(l->out.v[0].kind, L2CAP_OUT_PDU);
	cr_assert_str_eq(l->out.v[0].dest, "sdp");
	l2cap_outbox_clear(l);
	cr_assert_eq(l2cap_bredr_send(l, H, 0x0040, B(0x07)), 0);
	expect_frame_at(0, 0x0070, B(0x07));
	l2cap_outbox_clear(l);
	IN(0x08, 0x09, 0x00, 0x00);
	OUT(0x09, 0x09, 0x00, 0x00);
	done();
}

Test(bredr, link_gone_while_the_peer_configures)
{
	/* Our request answered, the peer's not yet sent: the owner never heard
	 * of the channel and hears nothing of its end. */
	peer_connects();
	IN(0x05, 0x01, 0x06, 0x00, 0x40, 0x00, 0x00, 0x00, 0x00, 0x00);
	expect_nothing();
	cr_assert_eq(l2cap_link_remove(l, H), 0);
	expect_nothing();
}

Test(bredr, sends_wait_for_the_host_and_push_back)
{
	peer_connects();
	peer_configures(100);
	l2cap_outbox_clear(l);
	at = 0;
	l->cfg.txq_max = 200;
	/* The host takes one frame at a time. */
	l2cap_on_host_credits(l, H, 0, 1, true, 1);
	uint8_t sdu[50];
	int sent = 0, rc;
	for (;;) {
		memset(sdu, sent, sizeof sdu);
		if ((rc = l2cap_bredr_send(l, H, 0x0040, sdu, sizeof sdu)) != 0)
			break;
		sent++;
	}
	cr_assert_eq(rc, -EAGAIN);
	cr_assert_eq(sent, 5, "%d SDUs taken", sent); /* 1 to the host, 200 bytes queued */
	cr_assert_eq(l->out.n, 1);
	cr_assert_eq(l->out.v[0].len, 4 + sizeof sdu);
	cr_assert_eq(l->out.v[0].data[4], 0);
	l2cap_outbox_clear(l);
	/* Each credit lets the next B-frame go, in order; writable once the
	 * queue is down to half. */
	bool writable = false;
	for (int i = 1; i < sent; i++) {
		l2cap_on_host_credits(l, H, 1, 1, false, 1);
		cr_assert_geq(l->out.n, 1);
		const struct l2cap_out *o = &l->out.v[0];
		cr_assert_eq(o->kind, L2CAP_OUT_FRAME);
		cr_assert_eq(o->len, 4 + sizeof sdu);
		cr_assert_eq(o->data[4], i, "SDU %d went as %d", i, o->data[4]);
		writable |= item(L2CAP_OUT_COC_WRITABLE) != NULL;
		cr_assert_eq(writable, i >= 2, "writable after %d", i);
		l2cap_outbox_clear(l);
	}
}
