/* hive-smp: Request.smp from apps (pair, encrypt, OOB, keypress, bonds,
 * unpair, subscribe, user replies, policy; BR/EDR link keys and gatt's
 * requests go on to smp_bredr_main.c and smp_gatt.c). Part of the I/O
 * shell (smp_main.h). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "smp_main.h"

/* 16 octets least significant first -> most significant first: 1, or 0
 * when the field is absent, -EINVAL when it has another length. */
static int key16_in(const ProtobufCBinaryData *b, uint8_t out[16])
{
	if (b->len == 0)
		return 0;
	if (b->len != 16)
		return -EINVAL;
	smp_main_rev(out, b->data, 16);
	return 1;
}

static void list_bonds(struct smp_main *m, const char *source, uint64_t id)
{
	Hive__Result res = HIVE__RESULT__INIT;
	Hive__SmpResult sr = HIVE__SMP_RESULT__INIT;
	Hive__SmpBondList bl = HIVE__SMP_BOND_LIST__INIT;
	Hive__Envelope env = HIVE__ENVELOPE__INIT;
	int n = smp_bonds_list(m->store, NULL, m->list, SMP_MAIN_LIST_MAX);
	res.id = id;
	env.body_case = HIVE__ENVELOPE__BODY_RESULT;
	env.result = &res;
	if (n < 0) {
		res.status = n;
		res.error = (char *)smp_bonds_error(m->store);
		smp_main_send(m, source, &env);
		return;
	}
	if (n > SMP_MAIN_LIST_MAX)
		n = SMP_MAIN_LIST_MAX;
	Hive__SmpBond *b = calloc((size_t)n + 1, sizeof *b);
	Hive__SmpBond **bp = calloc((size_t)n + 1, sizeof *bp);
	Hive__SmpAddress *ad = calloc(2 * (size_t)n + 1, sizeof *ad);
	uint8_t *bytes = calloc(12 * (size_t)n + 1, 1);
	if (!b || !bp || !ad || !bytes) {
		res.status = -ENOMEM;
		res.error = (char *)"out of memory";
		n = 0;
	}
	for (int i = 0; i < n; i++) {
		const struct smp_bond *x = &m->list[i];
		hive__smp_bond__init(&b[i]);
		hive__smp_address__init(&ad[2 * i]);
		hive__smp_address__init(&ad[2 * i + 1]);
		smp_main_addr_out(&ad[2 * i], &x->local, bytes + 12 * i);
		smp_main_addr_out(&ad[2 * i + 1], &x->peer, bytes + 12 * i + 6);
		b[i].local = &ad[2 * i];
		b[i].peer = &ad[2 * i + 1];
		b[i].key_size = x->key_size;
		b[i].authenticated = x->authenticated;
		b[i].sc = x->sc;
		b[i].has_ltk = x->has_local_ltk || x->has_peer_ltk;
		b[i].has_irk = x->has_peer_irk;
		b[i].has_csrk = x->has_peer_csrk;
		b[i].created_s = x->created_s;
		bp[i] = &b[i];
	}
	if (res.status == 0) {
		bl.n_bonds = (size_t)n;
		bl.bonds = bp;
		sr.value_case = HIVE__SMP_RESULT__VALUE_BONDS;
		sr.bonds = &bl;
		res.value_case = HIVE__RESULT__VALUE_SMP;
		res.smp = &sr;
	}
	smp_main_send(m, source, &env);
	free(b);
	free(bp);
	free(ad);
	free(bytes);
}

static void user_reply(struct smp_main *m, const char *source, uint64_t id,
		       const Hive__SmpUserReply *u)
{
	struct smp_oob_answer oa = { 0 };
	int hc = key16_in(&u->oob_c, oa.c), hr = key16_in(&u->oob_r, oa.r);
	int ht = key16_in(&u->oob_tk, oa.tk);
	oa.has_data = hc > 0 && hr > 0;
	oa.has_tk = ht > 0;
	smp_actor_user_reply(&m->s, source, id, (uint16_t)u->handle, u->accept, u->passkey,
			     hc < 0 || hr < 0 || ht < 0 ? NULL : &oa);
}

void smp_main_on_request(struct hive_actor *a, const char *source, const Hive__Envelope *env,
			 void *arg)
{
	struct smp_main *m = arg;
	const Hive__Request *r = env->request;
	const Hive__SmpRequest *q = r->op_case == HIVE__REQUEST__OP_SMP ? r->smp : NULL;
	struct smp_addr peer;
	switch (q ? q->op_case : HIVE__SMP_REQUEST__OP__NOT_SET) {
	case HIVE__SMP_REQUEST__OP_PAIR: {
		struct smp_pair_opts o = {
			.legacy = q->pair->legacy,
			.mitm = q->pair->mitm,
			.no_bonding = q->pair->no_bonding,
			.io_cap = q->pair->io_cap ? (int)q->pair->io_cap - 1 : -1,
		};
		int hc = key16_in(&q->pair->oob_c, o.oob_c), hr = key16_in(&q->pair->oob_r, o.oob_r);
		int ht = key16_in(&q->pair->oob_tk, o.oob_tk);
		if (hc < 0 || hr < 0 || ht < 0 || hc != hr) {
			smp_act_result(&m->s, source, r->id, -EINVAL,
				       "pair: oob_c and oob_r come together, 16 octets each; oob_tk "
				       "is 16 octets");
			break;
		}
		o.has_oob = hc > 0;
		o.has_tk = ht > 0;
		smp_actor_pair(&m->s, source, r->id, (uint16_t)q->pair->handle, &o);
		break;
	}
	case HIVE__SMP_REQUEST__OP_OOB_LOCAL:
		smp_actor_oob_local(&m->s, source, r->id, q->oob_local->renew);
		break;
	case HIVE__SMP_REQUEST__OP_KEYPRESS:
		smp_actor_keypress(&m->s, source, r->id, (uint16_t)q->keypress->handle,
				   q->keypress->type > 255 ? 255 : (uint8_t)q->keypress->type);
		break;
	case HIVE__SMP_REQUEST__OP_ENCRYPT:
		smp_actor_encrypt(&m->s, source, r->id, (uint16_t)q->encrypt->handle);
		break;
	case HIVE__SMP_REQUEST__OP_BONDS:
		list_bonds(m, source, r->id);
		break;
	case HIVE__SMP_REQUEST__OP_UNPAIR:
		memset(&peer, 0, sizeof peer);
		if (q->unpair->peer && q->unpair->peer->bdaddr.len == 6) {
			peer.type = (uint8_t)(q->unpair->peer->type & 1);
			smp_main_rev(peer.a, q->unpair->peer->bdaddr.data, 6);
			smp_actor_unpair(&m->s, source, r->id, &peer);
		} else {
			smp_act_result(&m->s, source, r->id, -EINVAL,
				       "unpair needs the peer's 6-octet identity address");
		}
		break;
	case HIVE__SMP_REQUEST__OP_SUBSCRIBE:
		smp_actor_subscribe(&m->s, source, r->id);
		break;
	case HIVE__SMP_REQUEST__OP_USER_REPLY:
		if (smp_bredr_user_reply(&m->bredr, &m->s, source, r->id,
					 (uint16_t)q->user_reply->handle, q->user_reply->accept,
					 q->user_reply->passkey))
			break;
		user_reply(m, source, r->id, q->user_reply);
		break;
	case HIVE__SMP_REQUEST__OP_SET_POLICY:
		smp_actor_set_policy(&m->s, source, r->id,
				     q->set_policy->policy ? q->set_policy->policy : "");
		break;
	default:
		if (q && smp_bredr_request(&m->bredr, m->a, source, r->id, q))
			break;
		if (q && smp_gatt_request(&m->sg, source, r->id, q))
			break;
		smp_act_result(&m->s, source, r->id, -ENOTSUP,
			       "smp serves pair, encrypt, bonds, unpair, subscribe, user_reply, "
			       "set_policy");
		break;
	}
	smp_main_flush(m);
}
