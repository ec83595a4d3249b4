/* smp's BR/EDR side without sockets (smp_bredr.c on a real SQLite file):
 * each security event the host forwards, and the HCI reply smp asks the
 * host to send, byte for byte; the delegate's prompts to subscribers and
 * their answers, the policy when nobody is asked, the link key table
 * (stored, answered on the next request, listed, deleted), and the
 * refusals for a peer without a link. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "../../actors/smp/smp_bredr.h"
#include "../../actors/smp/smp_actor_int.h"

static const uint8_t OWN[6] = { 1, 2, 3, 4, 5, 6 };
static const uint8_t PEER[6] = { 0x11, 0x22, 0x33, 0x44, 0x55, 0x66 };

static struct smp_bredr b;
static struct smp_actor s;
static char *dir;

static void setup(void)
{
	char path[600], err[256];
	dir = th_run_dir();
	cr_assert_not_null(dir);
	snprintf(path, sizeof path, "%s/bonds.sqlite3", dir);
	cr_assert_eq(smp_bredr_open(&b, path, err, sizeof err), 0, "%s", err);
	memset(&s, 0, sizeof s);
	smp_settings_default(&s.set);
	smp_bredr_connected(&b, 0x0001, OWN, PEER);
}

static void teardown(void)
{
	smp_bredr_close(&b);
	th_cleanup();
	free(dir);
}

TestSuite(smp_bredr, .init = setup, .fini = teardown);

static void ev(int kind, const uint8_t addr[6], uint32_t value)
{
	struct smp_bredr_in in = { .kind = kind, .handle = 0x0001, .value = value };
	memcpy(in.addr, addr, 6);
	smp_bredr_out_clear(&b);
	s.nout = 0;
	smp_bredr_event(&b, &s, &in);
}

/* The one HCI command asked for: opcode and the parameters after the
 * address. */
static const struct smp_bredr_out *hci_out(uint16_t opcode)
{
	const struct smp_bredr_out *found = NULL;
	for (unsigned i = 0; i < b.nout; i++)
		if (b.out[i].type == SMP_BR_OUT_HCI) {
			cr_assert_null(found, "two HCI commands");
			found = &b.out[i];
		}
	cr_assert_not_null(found, "no HCI command (want 0x%04x)", opcode);
	cr_assert_eq(found->opcode, opcode, "0x%04x, want 0x%04x", found->opcode, opcode);
	cr_assert_arr_eq(found->params, PEER, 6);
	return found;
}

static void subscribe(void)
{
	snprintf(s.subscribers[0], sizeof s.subscribers[0], "app");
	s.nsubscribers = 1;
}

Test(smp_bredr, link_key_request_without_a_key_is_refused)
{
	ev(SMP_BR_LINK_KEY_REQUEST, PEER, 0);
	cr_assert_eq(hci_out(0x040c)->len, 6);
}

Test(smp_bredr, io_capability_reply_says_display_yes_no_and_general_bonding)
{
	ev(SMP_BR_IO_CAPABILITY_REQUEST, PEER, 0);
	const struct smp_bredr_out *o = hci_out(0x042b);
	cr_assert_eq(o->len, 9);
	cr_assert_eq(o->params[6], 0x01, "DisplayYesNo");
	cr_assert_eq(o->params[7], 0x00, "no OOB data");
	cr_assert_eq(o->params[8], 0x04, "General Bonding, no MITM by default");
	s.set.cfg.auth_req |= 0x04; /* SMP MITM */
	ev(SMP_BR_IO_CAPABILITY_REQUEST, PEER, 0);
	cr_assert_eq(hci_out(0x042b)->params[8], 0x05);
}

Test(smp_bredr, numeric_comparison_prompts_the_subscriber_and_its_answer_is_sent)
{
	subscribe();
	struct smp_bredr_in io = { .kind = SMP_BR_IO_CAPABILITY_RESPONSE, .handle = 1, .io = 1,
				   .auth_req = 0x05 };
	memcpy(io.addr, PEER, 6);
	smp_bredr_event(&b, &s, &io);
	ev(SMP_BR_USER_CONFIRMATION_REQUEST, PEER, 123456);
	cr_assert_eq(b.nout, 0, "answered before the user");
	cr_assert_eq(s.nout, 1);
	cr_assert_eq(s.out[0].type, SMP_ACT_PROMPT);
	cr_assert_eq(s.out[0].prompt, SMP_PROMPT_CONFIRM_NUMBER);
	cr_assert_eq(s.out[0].number, 123456);
	cr_assert_str_eq(s.out[0].dest, "app");
	cr_assert_eq(s.out[0].handle, 0x0001);
	cr_assert_eq(s.out[0].peer.a[0], 0x66, "the peer most significant first");
	/* Another link's reply is not this one's. */
	cr_assert_not(smp_bredr_user_reply(&b, &s, "app", 7, 0x0002, true, 0));
	smp_bredr_out_clear(&b);
	s.nout = 0;
	cr_assert(smp_bredr_user_reply(&b, &s, "app", 7, 0x0001, true, 0));
	hci_out(0x042c);
	cr_assert_eq(s.out[0].type, SMP_ACT_RESULT);
	cr_assert_eq(s.out[0].status, 0);
	/* Answered once only. */
	smp_bredr_out_clear(&b);
	s.nout = 0;
	cr_assert(smp_bredr_user_reply(&b, &s, "app", 8, 0x0001, true, 0));
	cr_assert_eq(b.nout, 0);
	cr_assert_lt(s.out[0].status, 0);
}

Test(smp_bredr, just_works_is_confirmed_without_asking_and_the_policy_answers_alone)
{
	struct smp_bredr_in io = { .kind = SMP_BR_IO_CAPABILITY_RESPONSE, .handle = 1, .io = 3 };
	memcpy(io.addr, PEER, 6);
	subscribe();
	smp_bredr_event(&b, &s, &io);
	ev(SMP_BR_USER_CONFIRMATION_REQUEST, PEER, 1);
	hci_out(0x042c);
	cr_assert_eq(s.nout, 0, "Just Works prompted without confirm_just_works");
	/* Numeric comparison with nobody subscribed: the policy. */
	s.nsubscribers = 0;
	io.io = 1;
	io.auth_req = 0x05;
	smp_bredr_event(&b, &s, &io);
	ev(SMP_BR_USER_CONFIRMATION_REQUEST, PEER, 1);
	hci_out(0x042c);
	s.set.policy = SMP_POLICY_REJECT;
	ev(SMP_BR_USER_CONFIRMATION_REQUEST, PEER, 1);
	hci_out(0x042d);
}

Test(smp_bredr, passkey_and_pin_requests_with_the_passkey_policy)
{
	s.set.policy = SMP_POLICY_PASSKEY;
	s.set.policy_passkey = 123456;
	ev(SMP_BR_USER_PASSKEY_REQUEST, PEER, 0);
	const struct smp_bredr_out *o = hci_out(0x042e);
	cr_assert_eq(o->len, 10);
	cr_assert_arr_eq(o->params + 6, ((uint8_t[]){ 0x40, 0xe2, 0x01, 0x00 }), 4);
	ev(SMP_BR_PIN_CODE_REQUEST, PEER, 0);
	o = hci_out(0x040d);
	cr_assert_eq(o->len, 23);
	cr_assert_eq(o->params[6], 6);
	cr_assert_arr_eq(o->params + 7, "123456", 6);
	s.set.policy = SMP_POLICY_ACCEPT;
	ev(SMP_BR_PIN_CODE_REQUEST, PEER, 0);
	hci_out(0x040e);
	/* A displayed passkey is shown to the subscribers, nothing answered. */
	subscribe();
	ev(SMP_BR_USER_PASSKEY_NOTIFICATION, PEER, 654321);
	cr_assert_eq(b.nout, 0);
	cr_assert_eq(s.out[0].prompt, SMP_PROMPT_PASSKEY_DISPLAY);
	cr_assert_eq(s.out[0].number, 654321);
}

Test(smp_bredr, link_key_stored_answered_listed_and_deleted)
{
	subscribe();
	struct smp_bredr_in lk = { .kind = SMP_BR_LINK_KEY, .handle = 1, .has_key = true,
				   .key_type = 5 };
	memcpy(lk.addr, PEER, 6);
	memset(lk.key, 0xa5, 16);
	lk.key[0] = 0x01;
	smp_bredr_out_clear(&b);
	smp_bredr_event(&b, &s, &lk);
	cr_assert_eq(b.nout, 1);
	cr_assert_eq(b.out[0].type, SMP_BR_OUT_PAIRED);
	cr_assert(b.out[0].stored);
	cr_assert_eq(b.out[0].key_type, 5);
	cr_assert_str_eq(b.out[0].dest, "app");
	ev(SMP_BR_LINK_KEY_REQUEST, PEER, 0);
	const struct smp_bredr_out *o = hci_out(0x040b);
	cr_assert_eq(o->len, 22);
	cr_assert_arr_eq(o->params + 6, lk.key, 16);
	/* A new key replaces the old one (one row per peer). */
	lk.key[0] = 0x02;
	smp_bredr_event(&b, &s, &lk);
	struct smp_link_key_info list[4];
	cr_assert_eq(smp_bredr_list(&b, list, 4), 1);
	cr_assert_arr_eq(list[0].peer, PEER, 6);
	cr_assert_arr_eq(list[0].local, OWN, 6);
	cr_assert_eq(list[0].type, 5);
	ev(SMP_BR_LINK_KEY_REQUEST, PEER, 0);
	cr_assert_eq(hci_out(0x040b)->params[6], 0x02);
	cr_assert_eq(smp_bredr_delete(&b, PEER), 1);
	cr_assert_eq(smp_bredr_list(&b, list, 4), 0);
	ev(SMP_BR_LINK_KEY_REQUEST, PEER, 0);
	hci_out(0x040c);
	/* Without bonding nothing is stored. */
	s.set.cfg.auth_req &= (uint8_t)~0x03;
	smp_bredr_out_clear(&b);
	smp_bredr_event(&b, &s, &lk);
	cr_assert_not(b.out[0].stored);
	cr_assert_eq(smp_bredr_list(&b, list, 4), 0);
}

Test(smp_bredr, a_failed_pairing_is_reported_and_a_peer_without_link_refused)
{
	subscribe();
	ev(SMP_BR_IO_CAPABILITY_REQUEST, PEER, 0);
	struct smp_bredr_in done = { .kind = SMP_BR_SSP_COMPLETE, .handle = 1, .status = 0x05 };
	memcpy(done.addr, PEER, 6);
	smp_bredr_out_clear(&b);
	smp_bredr_event(&b, &s, &done);
	cr_assert_eq(b.nout, 1);
	cr_assert_eq(b.out[0].type, SMP_BR_OUT_PAIRED);
	cr_assert_eq(b.out[0].status, 0x05);
	/* The link goes; its peer's questions are refused. */
	smp_bredr_disconnected(&b, 0x0001);
	struct smp_bredr_in q = { .kind = SMP_BR_IO_CAPABILITY_REQUEST };
	memcpy(q.addr, PEER, 6);
	smp_bredr_out_clear(&b);
	smp_bredr_event(&b, &s, &q);
	const struct smp_bredr_out *o = hci_out(0x0434);
	cr_assert_eq(o->len, 7);
	cr_assert_eq(o->params[6], 0x18, "Pairing Not Allowed");
	q.kind = SMP_BR_LINK_KEY_REQUEST;
	smp_bredr_out_clear(&b);
	smp_bredr_event(&b, &s, &q);
	hci_out(0x040c);
	q.kind = SMP_BR_USER_CONFIRMATION_REQUEST;
	smp_bredr_out_clear(&b);
	smp_bredr_event(&b, &s, &q);
	hci_out(0x042d);
}

static uint64_t fake_now;

static uint64_t clock_now(void *arg)
{
	return fake_now;
}

Test(smp_bredr, an_unanswered_prompt_is_refused_at_its_deadline)
{
	subscribe();
	s.ops.now_ms = clock_now;
	s.set.prompt_timeout_ms = 1000;
	fake_now = 5000;
	struct smp_bredr_in io = { .kind = SMP_BR_IO_CAPABILITY_RESPONSE, .handle = 1, .io = 1,
				   .auth_req = 0x05 };
	memcpy(io.addr, PEER, 6);
	smp_bredr_event(&b, &s, &io);
	ev(SMP_BR_USER_CONFIRMATION_REQUEST, PEER, 42);
	cr_assert_eq(b.nout, 0);
	cr_assert_eq(smp_bredr_deadline(&b), 6000);
	smp_bredr_tick(&b, &s, 5999);
	cr_assert_eq(b.nout, 0, "refused before its time");
	smp_bredr_tick(&b, &s, 6000);
	hci_out(0x042d);
	cr_assert_eq(smp_bredr_deadline(&b), 0);
	cr_assert_neq(b.log[0], 0);
	/* A passkey prompt: the passkey negative reply. */
	smp_bredr_out_clear(&b);
	ev(SMP_BR_USER_PASSKEY_REQUEST, PEER, 0);
	smp_bredr_out_clear(&b);
	smp_bredr_tick(&b, &s, 7000);
	hci_out(0x042f);
}
