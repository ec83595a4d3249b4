/* libFuzzer target: the SMP codec and pairing state machine, both roles.
 * An initiator and a responder are wired through two PDU queues; the input
 * is a configuration octet then operations [op][len][bytes]: inject raw
 * bytes into one side, deliver (possibly with one octet changed) the next
 * queued PDU, answer the user's question, report encryption, ask for the
 * LTK, let time pass. Randomness is a fixed generator, so a crash
 * reproduces. Every PDU a machine sends must decode, and the outbox must
 * never overflow. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "../../actors/smp/smp_pairing.h"

#define QMAX 32

struct queue {
	uint8_t pdu[QMAX][SMP_PDU_MAX];
	uint8_t len[QMAX];
	unsigned head, n;
};

struct fz {
	struct smp_pairing m[2]; /* 0 initiator, 1 responder */
	struct queue q[2];       /* q[k]: sent by m[k] */
	uint64_t now;
	struct env {
		uint64_t rng;
		const uint64_t *now;
	} env[2];
};

static void fz_rand(void *arg, void *buf, size_t n)
{
	uint64_t *s = &((struct env *)arg)->rng;
	uint8_t *b = buf;
	for (size_t k = 0; k < n; k++) {
		*s = *s * 6364136223846793005ull + 1442695040888963407ull;
		b[k] = (uint8_t)(*s >> 56);
	}
}

static uint64_t fz_now(void *arg)
{
	return *((struct env *)arg)->now;
}

static void drain(struct fz *f, int k)
{
	struct smp_outbox *o = &f->m[k].out;
	if (o->overflow)
		__builtin_trap();
	for (unsigned e = 0; e < o->n; e++) {
		struct smp_event *ev = &o->ev[e];
		if (ev->type != SMP_EV_SEND)
			continue;
		struct smp_pdu pdu;
		if (smp_pdu_decode(ev->pdu, ev->len, &pdu) != 0)
			__builtin_trap();
		struct queue *q = &f->q[k];
		if (q->n == QMAX) {
			q->head = (q->head + 1) % QMAX;
			q->n--;
		}
		unsigned at = (q->head + q->n++) % QMAX;
		memcpy(q->pdu[at], ev->pdu, ev->len);
		q->len[at] = ev->len;
	}
	smp_outbox_clear(o);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct fz f; /* large: kept off the stack; reset on every input */
	if (size < 2)
		return 0;
	memset(&f, 0, sizeof f);
	uint8_t c0 = data[0], c1 = data[1];
	data += 2;
	size -= 2;
	struct smp_config cfg[2];
	for (int k = 0; k < 2; k++) {
		uint8_t c = k ? c1 : c0;
		memset(&cfg[k], 0, sizeof cfg[k]);
		cfg[k].io_cap = c % 5;
		cfg[k].auth_req = (uint8_t)(SMP_AUTH_BONDING | (c & 0x08 ? SMP_AUTH_SC : 0) |
					    (c & 0x10 ? SMP_AUTH_MITM : 0) |
					    (c & 0x20 ? SMP_AUTH_KEYPRESS : 0));
		cfg[k].max_key_size = (uint8_t)(7 + (c >> 4) % 10);
		cfg[k].min_key_size = 7;
		cfg[k].init_key_dist = cfg[k].resp_key_dist = 0x07;
		cfg[k].oob_present = (c & 0x40) != 0;
		cfg[k].confirm_just_works = (c & 0x80) != 0;
		cfg[k].identity.type = 0;
	}
	/* Legacy OOB and SC together on a side: Secure Connections OOB data
	 * too, made by that side (a fixed key pair) and held by the other, so
	 * the confirm check, f6 with ra/rb and the mutations of both run. */
	for (int k = 0; k < 2; k++) {
		if (!cfg[k].oob_present || !(cfg[k].auth_req & SMP_AUTH_SC))
			continue;
		struct smp_p256 key;
		uint8_t c[16];
		memset(cfg[k].sc_oob_priv, 0x11 + k, sizeof cfg[k].sc_oob_priv);
		memset(cfg[k].sc_oob_r, 0xa0 + k, sizeof cfg[k].sc_oob_r);
		if (smp_sc_oob_data(cfg[k].sc_oob_priv, cfg[k].sc_oob_r, &key, c) != 0)
			continue;
		cfg[k].sc_oob_local = true;
		cfg[!k].sc_oob_peer = true;
		memcpy(cfg[!k].sc_oob_peer_r, cfg[k].sc_oob_r, 16);
		memcpy(cfg[!k].sc_oob_peer_c, c, 16);
	}
	struct smp_addr a = { 0, { 1, 2, 3, 4, 5, 6 } }, b = { 1, { 0xc0, 2, 3, 4, 5, 7 } };
	f.now = 1000;
	for (int k = 0; k < 2; k++) {
		f.env[k].rng = (uint64_t)k + 1;
		f.env[k].now = &f.now;
	}
	struct smp_ops o0 = { fz_rand, fz_now, &f.env[0] }, o1 = { fz_rand, fz_now, &f.env[1] };
	smp_pairing_init(&f.m[0], SMP_ROLE_INITIATOR, &cfg[0], &o0, &a, &b);
	smp_pairing_init(&f.m[1], SMP_ROLE_RESPONDER, &cfg[1], &o1, &b, &a);
	while (size >= 2) {
		uint8_t op = data[0];
		size_t len = data[1];
		data += 2;
		size -= 2;
		if (len > size)
			len = size;
		int k = op & 1;
		struct smp_pairing *m = &f.m[k];
		switch ((op >> 1) % 10) {
		case 0: /* raw bytes into one side */
			smp_pairing_on_pdu(m, data, len);
			break;
		case 1: { /* deliver the next PDU sent by the other side, maybe changed */
			struct queue *q = &f.q[!k];
			if (!q->n)
				break;
			uint8_t pdu[SMP_PDU_MAX];
			size_t n = q->len[q->head];
			memcpy(pdu, q->pdu[q->head], n);
			q->head = (q->head + 1) % QMAX;
			q->n--;
			if (len >= 2 && n)
				pdu[data[0] % n] ^= data[1];
			smp_pairing_on_pdu(m, pdu, n);
			break;
		}
		case 2: /* the user types a passkey */
			smp_pairing_passkey_reply(m, len ? data[0] != 0 : true,
						  len >= 4 ? (uint32_t)data[1] | (uint32_t)data[2] << 8 |
								     (uint32_t)data[3] << 16
							   : 0);
			break;
		case 3:
			smp_pairing_confirm_reply(m, len ? data[0] != 0 : true);
			break;
		case 4:
			smp_pairing_encryption_changed(m, len ? data[0] : 0);
			break;
		case 5:
			smp_pairing_ltk_request(m, len ? data[0] : 0, 0);
			break;
		case 6:
			f.now += len ? (uint64_t)data[0] * 500 : 1000;
			smp_pairing_tick(&f.m[0]);
			smp_pairing_tick(&f.m[1]);
			break;
		case 7:
			smp_pairing_start(m);
			break;
		case 8:
			smp_pairing_keypress(m, len ? data[0] : 0);
			break;
		default: /* deliver everything queued both ways, unchanged */
			for (int r = 0; r < 8; r++)
				for (int s = 0; s < 2; s++) {
					struct queue *q = &f.q[s];
					if (!q->n)
						continue;
					unsigned h = q->head;
					q->head = (q->head + 1) % QMAX;
					q->n--;
					smp_pairing_on_pdu(&f.m[!s], q->pdu[h], q->len[h]);
					drain(&f, 0);
					drain(&f, 1);
				}
			break;
		}
		drain(&f, 0);
		drain(&f, 1);
		if (f.m[0].state > SMP_ST_TIMED_OUT || f.m[1].state > SMP_ST_TIMED_OUT)
			__builtin_trap();
		data += len;
		size -= len;
	}
	return 0;
}
