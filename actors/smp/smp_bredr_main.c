/* hive-smp's BR/EDR shell: see smp_bredr_main.h.
 *
 * From host: BredrEvent (the security kinds) and LinkEvent. To host:
 * Request hci_command (Link Key, IO Capability, User Confirmation, User
 * Passkey and PIN Code replies). To apps: SmpEvent prompt (through the smp
 * actor's outbox) and bredr_paired; Result link_keys. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "smp_bredr_main.h"

#define KEYS_MAX 128

bool smp_bredr_on_link(struct smp_bredr *b, const Hive__LinkEvent *le)
{
	uint16_t handle = (uint16_t)(le->handle & 0x0fff);
	if (le->kind_case == HIVE__LINK_EVENT__KIND_DISCONNECTED) {
		smp_bredr_disconnected(b, handle);
		return false;
	}
	if (le->kind_case != HIVE__LINK_EVENT__KIND_CONNECTED || le->connected->le)
		return false;
	static const uint8_t zero[6];
	const Hive__Connected *c = le->connected;
	const uint8_t *own = c->own && c->own->bdaddr.len == 6 ? c->own->bdaddr.data : zero;
	const uint8_t *peer = c->peer && c->peer->bdaddr.len == 6 ? c->peer->bdaddr.data : zero;
	smp_bredr_connected(b, handle, own, peer);
	return true;
}

void smp_bredr_on_event(struct smp_bredr *b, struct smp_actor *s, const Hive__BredrEvent *ev)
{
	struct smp_bredr_in in = { 0 };
	if (ev->bdaddr.len != 6)
		return; /* every kind smp handles names the peer */
	in.kind = (int)ev->kind;
	in.handle = (uint16_t)(ev->handle & 0x0fff);
	memcpy(in.addr, ev->bdaddr.data, 6);
	in.status = (uint8_t)ev->status;
	in.value = ev->value;
	if (ev->link_key.len == 16) {
		memcpy(in.key, ev->link_key.data, 16);
		in.has_key = true;
	}
	in.key_type = (uint8_t)ev->key_type;
	in.io = (uint8_t)ev->io_capability;
	in.oob = (uint8_t)ev->oob;
	in.auth_req = (uint8_t)ev->auth_req;
	smp_bredr_event(b, s, &in);
	memset(in.key, 0, sizeof in.key);
}

static void send_result(struct hive_actor *a, const char *dest, Hive__Result *res)
{
	Hive__Envelope env = HIVE__ENVELOPE__INIT;
	env.body_case = HIVE__ENVELOPE__BODY_RESULT;
	env.result = res;
	int rc = hive_send(a, dest, &env);
	if (rc < 0)
		HLOG_WARN(a, "sending a Result to %s failed: %s", dest, strerror(-rc));
}

bool smp_bredr_request(struct smp_bredr *b, struct hive_actor *a, const char *source,
		       uint64_t id, const Hive__SmpRequest *q)
{
	Hive__Result res = HIVE__RESULT__INIT;
	Hive__SmpResult sr = HIVE__SMP_RESULT__INIT;
	res.id = id;
	if (q->op_case == HIVE__SMP_REQUEST__OP_LINK_KEYS) {
		struct smp_link_key_info *keys = calloc(KEYS_MAX, sizeof *keys);
		Hive__LinkKeyInfo info[KEYS_MAX];
		Hive__LinkKeyInfo *ptr[KEYS_MAX];
		Hive__LinkKeyList list = HIVE__LINK_KEY_LIST__INIT;
		int n = keys ? smp_bredr_list(b, keys, KEYS_MAX) : -ENOMEM;
		if (n < 0) {
			res.status = n;
			res.error = "the bond store could not be read: check its file";
			send_result(a, source, &res);
			free(keys);
			return true;
		}
		for (int i = 0; i < n; i++) {
			hive__link_key_info__init(&info[i]);
			info[i].local.data = keys[i].local;
			info[i].local.len = 6;
			info[i].peer.data = keys[i].peer;
			info[i].peer.len = 6;
			info[i].key_type = keys[i].type;
			info[i].created_s = keys[i].created_s;
			ptr[i] = &info[i];
		}
		list.n_keys = (size_t)n;
		list.keys = ptr;
		sr.value_case = HIVE__SMP_RESULT__VALUE_LINK_KEYS;
		sr.link_keys = &list;
		res.value_case = HIVE__RESULT__VALUE_SMP;
		res.smp = &sr;
		send_result(a, source, &res);
		free(keys);
		return true;
	}
	if (q->op_case == HIVE__SMP_REQUEST__OP_LINK_KEY_DELETE) {
		Hive__SmpUnpaired un = HIVE__SMP_UNPAIRED__INIT;
		int n = q->link_key_delete->bdaddr.len == 6
				? smp_bredr_delete(b, q->link_key_delete->bdaddr.data)
				: -EINVAL;
		if (n < 0) {
			res.status = n;
			res.error = n == -EINVAL ? "link_key_delete needs the peer's 6-octet BD_ADDR"
						 : "the bond store could not be written";
		} else {
			un.deleted = (uint32_t)n;
			sr.value_case = HIVE__SMP_RESULT__VALUE_UNPAIRED;
			sr.unpaired = &un;
			res.value_case = HIVE__RESULT__VALUE_SMP;
			res.smp = &sr;
		}
		send_result(a, source, &res);
		return true;
	}
	return false;
}

void smp_bredr_send(struct smp_bredr *b, struct hive_actor *a, const char *host,
		    uint64_t *next_id)
{
	if (b->log[0])
		HLOG_WARN(a, "%s", b->log);
	if (b->overflow)
		HLOG_ERROR(a, "BR/EDR outbox overflow: %llu actions lost",
			   (unsigned long long)b->overflow);
	for (unsigned i = 0; i < b->nout; i++) {
		const struct smp_bredr_out *o = &b->out[i];
		Hive__Envelope env = HIVE__ENVELOPE__INIT;
		int rc;
		if (o->type == SMP_BR_OUT_HCI) {
			Hive__HciCommand hc = HIVE__HCI_COMMAND__INIT;
			Hive__Request req = HIVE__REQUEST__INIT;
			hc.opcode = o->opcode;
			hc.params.data = (uint8_t *)o->params;
			hc.params.len = o->len;
			req.op_case = HIVE__REQUEST__OP_HCI_COMMAND;
			req.hci_command = &hc;
			/* The handle rides in the id, as smp_main.c's requests. */
			req.id = (++*next_id << 16) | o->handle;
			env.body_case = HIVE__ENVELOPE__BODY_REQUEST;
			env.request = &req;
			HLOG_DEBUG(a, ">>> BR/EDR reply 0x%04x conn=0x%04x", o->opcode, o->handle);
			rc = hive_send(a, host, &env);
		} else {
			Hive__LinkKeyPaired lp = HIVE__LINK_KEY_PAIRED__INIT;
			Hive__SmpEvent ev = HIVE__SMP_EVENT__INIT;
			lp.peer.data = (uint8_t *)o->peer;
			lp.peer.len = 6;
			lp.status = o->status;
			lp.key_type = o->key_type;
			lp.authenticated = o->key_type == 0x05 || o->key_type == 0x08;
			lp.stored = o->stored;
			ev.handle = o->handle;
			ev.kind_case = HIVE__SMP_EVENT__KIND_BREDR_PAIRED;
			ev.bredr_paired = &lp;
			env.body_case = HIVE__ENVELOPE__BODY_SMP_EVENT;
			env.smp_event = &ev;
			rc = hive_send(a, o->dest, &env);
		}
		if (rc < 0)
			HLOG_WARN(a, "BR/EDR: sending to %s failed: %s",
				  o->type == SMP_BR_OUT_HCI ? host : o->dest, strerror(-rc));
	}
	smp_bredr_out_clear(b);
	b->overflow = 0;
}
