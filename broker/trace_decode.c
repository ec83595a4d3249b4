/* Envelope bodies to trace fields: one decoder per body case, dispatched by
 * a table. Pure: reads only the envelope, which may come from the wire with
 * any content (unknown enum values, empty strings, NULL submessages when
 * built by hand). */
#include <stddef.h>

#include "hive_bytes.h"
#include "trace_fields.h"
#include "trace_format.h"

/* The name of an enum value, or NULL for a value the contract lacks. */
static const char *enum_name(const ProtobufCEnumDescriptor *d, int v)
{
	const ProtobufCEnumValue *ev = protobuf_c_enum_descriptor_get_value(d, v);
	return ev ? ev->name : NULL;
}

static void tf_enum(struct trace_fields *out, const char *key,
		    const ProtobufCEnumDescriptor *d, int v)
{
	const char *name = enum_name(d, v);
	if (name)
		tf_word(out, key, name);
	else
		tf_sdec(out, key, v);
}

static void on_hci(const Hive__Envelope *env, struct trace_fields *out)
{
	const Hive__HciPacket *h = env->hci;
	trace_decode_hci(h->type, h->data.data, h->data.len, out);
}

static void on_l2cap(const Hive__Envelope *env, struct trace_fields *out)
{
	const Hive__L2capFrame *l = env->l2cap;
	tf_hex(out, "handle", l->handle, 4);
	struct rd r = rd_init(l->data.data, l->data.len);
	uint16_t len = rd_le16(&r);
	uint16_t cid = rd_le16(&r);
	if (!rd_ok(&r)) {
		tf_dec(out, "frame_len", l->data.len);
		tf_error(out, "short frame: fewer than 4 bytes of L2CAP header");
	} else {
		tf_hex(out, "cid", cid, 4);
		tf_dec(out, "len", len);
		if (len != r.left)
			tf_error(out, "the L2CAP length disagrees with the payload held");
	}
	tf_data(out, "data", l->data.data, l->data.len);
}

static void on_pdu(const Hive__Envelope *env, struct trace_fields *out)
{
	const Hive__ChannelPdu *p = env->pdu;
	tf_hex(out, "handle", p->handle, 4);
	tf_hex(out, "cid", p->cid, 4);
	tf_dec(out, "len", p->payload.len);
	/* ATT, LE signaling and SMP PDUs start with an opcode. */
	if (p->payload.len >= 1 && p->payload.data &&
	    (p->cid == 0x0004 || p->cid == 0x0005 || p->cid == 0x0006))
		tf_hex(out, "op", p->payload.data[0], 2);
	tf_data(out, "data", p->payload.data, p->payload.len);
}

static void on_link(const Hive__Envelope *env, struct trace_fields *out)
{
	const Hive__LinkEvent *l = env->link;
	tf_hex(out, "handle", l->handle, 4);
	const ProtobufCFieldDescriptor *fd =
		protobuf_c_message_descriptor_get_field(&hive__link_event__descriptor,
							(unsigned)l->kind_case);
	tf_word(out, "kind", fd ? fd->name : "none");
	switch (l->kind_case) {
	case HIVE__LINK_EVENT__KIND_CONNECTED:
		if (!l->connected)
			break;
		tf_enum(out, "role", &hive__connected__role__descriptor, l->connected->role);
		tf_dec(out, "interval", l->connected->interval);
		tf_bool(out, "le", l->connected->le);
		break;
	case HIVE__LINK_EVENT__KIND_CONNECTION_FAILED:
		if (l->connection_failed)
			tf_hex(out, "status", l->connection_failed->status, 2);
		break;
	case HIVE__LINK_EVENT__KIND_DISCONNECTED:
		if (l->disconnected)
			tf_hex(out, "reason", l->disconnected->reason, 2);
		break;
	case HIVE__LINK_EVENT__KIND_ENCRYPTION_CHANGED:
		if (!l->encryption_changed)
			break;
		tf_bool(out, "enabled", l->encryption_changed->enabled);
		tf_dec(out, "key_size", l->encryption_changed->key_size);
		tf_hex(out, "status", l->encryption_changed->status, 2);
		break;
	case HIVE__LINK_EVENT__KIND_ENCRYPTION_KEY_REFRESH:
		if (l->encryption_key_refresh)
			tf_hex(out, "status", l->encryption_key_refresh->status, 2);
		break;
	case HIVE__LINK_EVENT__KIND_PARAMETERS_UPDATED:
		if (!l->parameters_updated)
			break;
		tf_dec(out, "interval", l->parameters_updated->interval);
		tf_dec(out, "latency", l->parameters_updated->latency);
		tf_dec(out, "supervision_timeout", l->parameters_updated->supervision_timeout);
		tf_hex(out, "status", l->parameters_updated->status, 2);
		break;
	case HIVE__LINK_EVENT__KIND_PHY_UPDATED:
		if (!l->phy_updated)
			break;
		tf_dec(out, "tx_phy", l->phy_updated->tx_phy);
		tf_dec(out, "rx_phy", l->phy_updated->rx_phy);
		break;
	case HIVE__LINK_EVENT__KIND_DATA_LENGTH_CHANGED:
		if (!l->data_length_changed)
			break;
		tf_dec(out, "max_tx_octets", l->data_length_changed->max_tx_octets);
		tf_dec(out, "max_rx_octets", l->data_length_changed->max_rx_octets);
		break;
	case HIVE__LINK_EVENT__KIND_MTU_CHANGED:
		if (l->mtu_changed)
			tf_dec(out, "mtu", l->mtu_changed->mtu);
		break;
	default:
		break;
	}
}

static void add_ping(struct trace_fields *out, const Hive__Ping *p)
{
	if (!p)
		return;
	tf_dec(out, "ping_id", p->id);
	tf_dec(out, "len", p->payload.len);
}

static void on_request(const Hive__Envelope *env, struct trace_fields *out)
{
	const Hive__Request *r = env->request;
	tf_dec(out, "id", r->id);
	if (r->op_case == HIVE__REQUEST__OP_ECHO) {
		tf_word(out, "op", "echo");
		add_ping(out, r->echo);
	}
}

static void on_result(const Hive__Envelope *env, struct trace_fields *out)
{
	const Hive__Result *r = env->result;
	tf_dec(out, "id", r->id);
	tf_sdec(out, "status", r->status);
	if (r->status != 0)
		tf_enum(out, "domain", &hive__result__domain__descriptor, r->domain);
	if (r->error && r->error[0])
		tf_str(out, "why", r->error);
	if (r->value_case == HIVE__RESULT__VALUE_ECHO) {
		tf_word(out, "value", "echo");
		add_ping(out, r->echo);
	}
}

static void on_hello(const Hive__Envelope *env, struct trace_fields *out)
{
	const Hive__Hello *h = env->hello;
	tf_str(out, "actor", h->name);
	tf_dec(out, "pid", h->pid);
	if (h->program && h->program[0])
		tf_str(out, "program", h->program);
	tf_bool(out, "replace", h->replace);
	tf_bool(out, "reliable", h->reliable);
}

static void on_welcome(const Hive__Envelope *env, struct trace_fields *out)
{
	const Hive__Welcome *w = env->welcome;
	tf_bool(out, "accepted", w->accepted);
	tf_bool(out, "restarted", w->restarted);
	tf_dec(out, "incarnation", w->incarnation);
	if (w->has_snapshot)
		tf_dec(out, "snapshot_len", w->snapshot.len);
	if (w->error && w->error[0])
		tf_str(out, "why", w->error);
}

static void on_snapshot_save(const Hive__Envelope *env, struct trace_fields *out)
{
	tf_dec(out, "len", env->snapshot_save->data.len);
}

static void on_ack(const Hive__Envelope *env, struct trace_fields *out)
{
	tf_dec(out, "received", env->ack->received);
}

static void on_status(const Hive__Envelope *env, struct trace_fields *out)
{
	const Hive__Status *s = env->status;
	tf_dec(out, "actors", s->n_actors);
	tf_bool(out, "graph_ready", s->graph_ready);
	tf_dec(out, "routed", s->routed);
	tf_dec(out, "malformed", s->malformed);
	tf_dec(out, "tap_subscriptions", s->tap_subscriptions);
}

static void on_notice(const Hive__Envelope *env, struct trace_fields *out)
{
	const Hive__Notice *n = env->notice;
	tf_enum(out, "kind", &hive__notice__kind__descriptor, n->kind);
	tf_str(out, "actor", n->name);
	tf_dec(out, "pid", n->pid);
	if (n->detail && n->detail[0])
		tf_str(out, "detail", n->detail);
}

static void on_actor_exited(const Hive__Envelope *env, struct trace_fields *out)
{
	const Hive__ActorExited *x = env->actor_exited;
	tf_str(out, "actor", x->name);
	tf_dec(out, "pid", x->pid);
	tf_str(out, "how", x->how);
}

static void on_undeliverable(const Hive__Envelope *env, struct trace_fields *out)
{
	const Hive__Undeliverable *u = env->undeliverable;
	tf_str(out, "to", u->destination);
	tf_dec(out, "of_seq", u->seq);
	tf_str(out, "why", u->reason);
}

static void on_stop(const Hive__Envelope *env, struct trace_fields *out)
{
	tf_str(out, "why", env->stop->reason);
}

static void on_ping(const Hive__Envelope *env, struct trace_fields *out)
{
	add_ping(out, env->ping);
}

typedef void (*decode_fn)(const Hive__Envelope *env, struct trace_fields *out);

/* By body case; a case without a decoder shows its name only (Ready,
 * StatusRequest, Watch, GraphReady carry nothing). */
static const struct {
	Hive__Envelope__BodyCase body;
	decode_fn fn;
} decoders[] = {
	{ HIVE__ENVELOPE__BODY_HCI, on_hci },
	{ HIVE__ENVELOPE__BODY_L2CAP, on_l2cap },
	{ HIVE__ENVELOPE__BODY_PDU, on_pdu },
	{ HIVE__ENVELOPE__BODY_LINK, on_link },
	{ HIVE__ENVELOPE__BODY_REQUEST, on_request },
	{ HIVE__ENVELOPE__BODY_RESULT, on_result },
	{ HIVE__ENVELOPE__BODY_HELLO, on_hello },
	{ HIVE__ENVELOPE__BODY_WELCOME, on_welcome },
	{ HIVE__ENVELOPE__BODY_SNAPSHOT_SAVE, on_snapshot_save },
	{ HIVE__ENVELOPE__BODY_ACK, on_ack },
	{ HIVE__ENVELOPE__BODY_STATUS, on_status },
	{ HIVE__ENVELOPE__BODY_NOTICE, on_notice },
	{ HIVE__ENVELOPE__BODY_ACTOR_EXITED, on_actor_exited },
	{ HIVE__ENVELOPE__BODY_UNDELIVERABLE, on_undeliverable },
	{ HIVE__ENVELOPE__BODY_STOP, on_stop },
	{ HIVE__ENVELOPE__BODY_PING, on_ping },
};

/* The body's submessage pointer, whatever the case (they share the oneof
 * union), so one NULL check serves every decoder. */
static const void *body_ptr(const Hive__Envelope *env)
{
	return env->hci;
}

void trace_decode(const Hive__Envelope *env, struct trace_fields *out)
{
	out->n = 0;
	if (!env || env->body_case == HIVE__ENVELOPE__BODY__NOT_SET)
		return;
	for (size_t i = 0; i < sizeof decoders / sizeof decoders[0]; i++) {
		if (decoders[i].body != env->body_case)
			continue;
		if (!body_ptr(env))
			tf_error(out, "body case set but no body");
		else
			decoders[i].fn(env, out);
		return;
	}
}
