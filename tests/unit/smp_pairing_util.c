/* The harness of the SMP state machine tests: see smp_pairing_util.h. */
#include "smp_pairing_util.h"

#include <criterion/criterion.h>
#include <string.h>

static void fake_rand(void *arg, void *buf, size_t n)
{
	struct side *s = arg;
	if (s->script_pos < 4 && s->script[s->script_pos] && s->script_len[s->script_pos] == n) {
		memcpy(buf, s->script[s->script_pos++], n);
		return;
	}
	uint8_t *b = buf;
	for (size_t k = 0; k < n; k++) {
		s->rng ^= s->rng << 13;
		s->rng ^= s->rng >> 7;
		s->rng ^= s->rng << 17;
		b[k] = (uint8_t)(s->rng >> 24);
	}
}

static uint64_t *clock_of(struct side *s);
static uint64_t fake_now(void *arg)
{
	return *clock_of(arg);
}

static struct world *W; /* the one world of the running test, for fake_now */
static uint64_t *clock_of(struct side *s)
{
	(void)s;
	return &W->now;
}

const struct smp_addr addr_i = { 1, { 0xc1, 0xa2, 0xa3, 0xa4, 0xa5, 0xa6 } };
const struct smp_addr addr_r = { 0, { 0xb1, 0xb2, 0xb3, 0xb4, 0xb5, 0xb6 } };

struct smp_config cfg_default(uint8_t io)
{
	struct smp_config c = {
		.io_cap = io,
		.auth_req = SMP_AUTH_BONDING | SMP_AUTH_SC,
		.max_key_size = 16,
		.min_key_size = 7,
		.init_key_dist = SMP_DIST_ENC_KEY | SMP_DIST_ID_KEY | SMP_DIST_SIGN_KEY,
		.resp_key_dist = SMP_DIST_ENC_KEY | SMP_DIST_ID_KEY | SMP_DIST_SIGN_KEY,
	};
	for (int k = 0; k < 16; k++) {
		c.irk[k] = (uint8_t)(0x10 + k + io);
		c.csrk[k] = (uint8_t)(0x30 + k + io);
	}
	c.identity.type = 0;
	memset(c.identity.a, 0x50 + io, 6);
	return c;
}

void setup(struct world *w, const struct smp_config *ci, const struct smp_config *cr)
{
	memset(w, 0, sizeof *w);
	W = w;
	w->now = 1000000;
	w->i.rng = 0x1234567887654321ull;
	w->r.rng = 0x0fedcba987654321ull;
	struct smp_ops oi = { fake_rand, fake_now, &w->i }, or_ = { fake_rand, fake_now, &w->r };
	smp_pairing_init(&w->i.p, SMP_ROLE_INITIATOR, ci, &oi, &addr_i, &addr_r);
	smp_pairing_init(&w->r.p, SMP_ROLE_RESPONDER, cr, &or_, &addr_r, &addr_i);
}

unsigned drain(struct world *w, bool init)
{
	struct side *s = init ? &w->i : &w->r, *o = init ? &w->r : &w->i;
	struct smp_outbox box = s->p.out;
	smp_outbox_clear(&s->p.out);
	cr_assert_not(box.overflow, "outbox overflow");
	for (unsigned k = 0; k < box.n; k++) {
		struct smp_event *e = &box.ev[k];
		switch (e->type) {
		case SMP_EV_SEND: {
			uint8_t pdu[SMP_PDU_MAX + 1];
			size_t len = e->len;
			memcpy(pdu, e->pdu, len);
			if (pdu[0] == SMP_PAIRING_CONFIRM)
				s->confirms_sent++;
			if (pdu[0] == SMP_PAIRING_RANDOM)
				for (int b = 0; b < 16; b++)
					s->last_rand[b] = pdu[16 - b];
			if (w->mutate && !w->mutate(w, init, pdu, &len))
				break;
			smp_pairing_on_pdu(&o->p, pdu, len);
			break;
		}
		case SMP_EV_PASSKEY_DISPLAY:
			s->displayed = e->value;
			s->displayed_set = true;
			break;
		case SMP_EV_PASSKEY_REQUEST:
			s->asked_passkey = true;
			break;
		case SMP_EV_CONFIRM_NUMBER:
			s->number = e->value;
			s->asked_confirm = true;
			break;
		case SMP_EV_CONFIRM_JUST_WORKS:
			s->asked_confirm = true;
			break;
		case SMP_EV_KEYPRESS:
			s->keypress = e->value;
			break;
		case SMP_EV_START_ENCRYPTION:
			memcpy(s->enc_key, e->key, 16);
			s->have_enc = true;
			cr_assert_eq(e->ediv, 0);
			cr_assert_eq(e->rand, 0);
			/* The host: the peripheral's controller asks for the LTK. */
			cr_assert_eq(smp_pairing_ltk_request(&o->p, 0, 0), 0);
			break;
		case SMP_EV_LTK_REPLY: {
			memcpy(s->enc_key, e->key, 16);
			s->have_enc = true;
			uint8_t st = memcmp(w->i.enc_key, w->r.enc_key, 16) ? 0x06 : 0x00;
			smp_pairing_encryption_changed(&w->r.p, st);
			smp_pairing_encryption_changed(&w->i.p, st);
			break;
		}
		case SMP_EV_SECURITY_REQUEST:
			s->sec_req++;
			cr_assert_eq(smp_pairing_start(&s->p), 0);
			break;
		case SMP_EV_COMPLETE:
			s->complete++;
			break;
		case SMP_EV_FAILED:
			s->failed++;
			s->reason = e->reason;
			s->remote = e->remote;
			break;
		case SMP_EV_TIMEOUT:
			s->timeout++;
			break;
		case SMP_EV_OOB_REQUEST:
			s->oob_asked++;
			s->oob_kind = e->value;
			break;
		}
	}
	return box.n;
}

static bool user(struct world *w, struct side *s, struct side *o)
{
	if (w->manual)
		return false;
	if (s->asked_passkey) {
		uint32_t pk = o->displayed_set ? o->displayed : w->both_input_passkey;
		if (!o->displayed_set && o->asked_passkey == false && o->p.local_displays)
			return false; /* the other side has not shown it yet */
		s->asked_passkey = false;
		smp_pairing_passkey_reply(&s->p, !s->user_rejects, pk);
		return true;
	}
	if (s->asked_confirm) {
		s->asked_confirm = false;
		smp_pairing_confirm_reply(&s->p, !s->user_rejects);
		return true;
	}
	return false;
}

void pump(struct world *w)
{
	for (int guard = 0; guard < 1000; guard++) {
		unsigned n = drain(w, true) + drain(w, false);
		if (!n && !user(w, &w->i, &w->r) && !user(w, &w->r, &w->i))
			return;
	}
	cr_assert_fail("pump did not settle");
}

void pair(struct world *w)
{
	cr_assert_eq(smp_pairing_start(&w->i.p), 0);
	pump(w);
}

void assert_paired(struct world *w)
{
	cr_assert_eq(w->i.failed, 0, "initiator failed: 0x%02x", w->i.reason);
	cr_assert_eq(w->r.failed, 0, "responder failed: 0x%02x", w->r.reason);
	cr_assert_eq(w->i.complete, 1);
	cr_assert_eq(w->r.complete, 1);
	cr_assert_arr_eq(w->i.enc_key, w->r.enc_key, 16);
	const struct smp_keys *ki = &w->i.p.keys, *kr = &w->r.p.keys;
	cr_assert_eq(ki->key_size, kr->key_size);
	cr_assert_eq(ki->local.dist, kr->peer.dist);
	cr_assert_eq(kr->local.dist, ki->peer.dist);
	if (kr->local.dist & SMP_DIST_ENC_KEY) {
		cr_assert_arr_eq(kr->local.ltk, ki->peer.ltk, 16);
		cr_assert_eq(kr->local.ediv, ki->peer.ediv);
		cr_assert_eq(kr->local.rand, ki->peer.rand);
	}
	if (ki->local.dist & SMP_DIST_ENC_KEY)
		cr_assert_arr_eq(ki->local.ltk, kr->peer.ltk, 16);
	if (kr->local.dist & SMP_DIST_ID_KEY) {
		cr_assert_arr_eq(ki->peer.irk, w->r.p.cfg.irk, 16);
		cr_assert_arr_eq(ki->peer.identity.a, w->r.p.cfg.identity.a, 6);
	}
	if (ki->local.dist & SMP_DIST_ID_KEY)
		cr_assert_arr_eq(kr->peer.irk, w->i.p.cfg.irk, 16);
	if (ki->local.dist & SMP_DIST_SIGN_KEY)
		cr_assert_arr_eq(kr->peer.csrk, w->i.p.cfg.csrk, 16);
	if (ki->sc)
		cr_assert_arr_eq(ki->ltk, kr->ltk, 16);
	cr_assert_eq(w->i.p.state, SMP_ST_IDLE);
	cr_assert_eq(w->r.p.state, SMP_ST_IDLE);
}

const uint8_t priv_a[32] = {
	0x3f, 0x49, 0xf6, 0xd4, 0xa3, 0xc5, 0x5f, 0x38, 0x74, 0xc9, 0xb3, 0xe3, 0xd2, 0x10, 0x3f, 0x50,
	0x4a, 0xff, 0x60, 0x7b, 0xeb, 0x40, 0xb7, 0x99, 0x58, 0x99, 0xb8, 0xa6, 0xcd, 0x3c, 0x1a, 0xbd
};
const uint8_t priv_b[32] = {
	0x55, 0x18, 0x8b, 0x3d, 0x32, 0xf6, 0xbb, 0x9a, 0x90, 0x0a, 0xfc, 0xfb, 0xee, 0xd4, 0xe7, 0x2a,
	0x59, 0xcb, 0x9a, 0xc2, 0xf1, 0x9d, 0x7c, 0xfb, 0x6b, 0x4f, 0xdd, 0x49, 0xf4, 0x7f, 0xc5, 0xfd
};
const uint8_t spec_dhkey[32] = {
	0xec, 0x02, 0x34, 0xa3, 0x57, 0xc8, 0xad, 0x05, 0x34, 0x10, 0x10, 0xa6, 0x0a, 0x39, 0x7d, 0x9b,
	0x99, 0x79, 0x6b, 0x13, 0xb4, 0xf8, 0x66, 0xf1, 0x86, 0x8d, 0x34, 0xf3, 0x73, 0xbf, 0xa6, 0x98
};
const uint8_t spec_na[16] = { 0xd5, 0xcb, 0x84, 0x54, 0xd1, 0x77, 0x73, 0x3e,
				     0xff, 0xff, 0xb2, 0xec, 0x71, 0x2b, 0xae, 0xab };
const uint8_t spec_nb[16] = { 0xa6, 0xe8, 0xe7, 0xcc, 0x25, 0xa7, 0x5f, 0x6e,
				     0x21, 0x65, 0x83, 0xf7, 0xff, 0x3d, 0xc4, 0xcf };
const uint8_t spec_ltk[16] = { 0x69, 0x86, 0x79, 0x11, 0x69, 0xd7, 0xcd, 0x23,
				      0x98, 0x05, 0x22, 0xb5, 0x94, 0x75, 0x0a, 0x38 };

void script(struct side *s, const uint8_t *a, size_t an, const uint8_t *b, size_t bn)
{
	s->script[0] = a;
	s->script_len[0] = an;
	s->script[1] = b;
	s->script_len[1] = bn;
}

/* Feeds raw bytes to one side and returns the Pairing Failed reason it
 * sent (0 when it sent none). */
uint8_t feed(struct side *s, const uint8_t *pdu, size_t len)
{
	smp_outbox_clear(&s->p.out);
	smp_pairing_on_pdu(&s->p, pdu, len);
	uint8_t reason = 0;
	for (unsigned k = 0; k < s->p.out.n; k++)
		if (s->p.out.ev[k].type == SMP_EV_SEND && s->p.out.ev[k].pdu[0] == SMP_PAIRING_FAILED)
			reason = s->p.out.ev[k].pdu[1];
	return reason;
}
