/* libFuzzer target: response bytes fed to the GATT client in every
 * procedure state. The input is a list of operations [op][len][bytes]: start
 * a procedure (its type and parameters from the bytes), feed the bytes as a
 * PDU from the server, let time pass, change the MTU, reconnect. Every PDU
 * the client sends must decode and fit the bearer's MTU; every procedure
 * accepted must end with exactly one DONE. */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "../../actors/gatt/gatt_client.h"

static int sign(void *arg, uint16_t conn, const uint8_t *pdu, size_t len, uint8_t sig[12])
{
	memset(sig, 0x5a, 12);
	return len & 1 ? -ENOKEY : 0;
}

struct state {
	struct gatt_client *c;
	struct gatt_client_outbox out;
	uint64_t now;
	long started, done;
};

static void check(struct state *s)
{
	for (unsigned i = 0; i < s->out.n_pdus; i++) {
		struct att_pdu p;
		const struct att_out_pdu *o = &s->out.pdus[i];
		if (o->len == 0 || o->len > ATT_MAX_MTU || att_decode(o->pdu, o->len, &p) != 0)
			__builtin_trap();
		if (gatt_client_connected(s->c, o->conn) && o->len > gatt_client_mtu(s->c, o->conn))
			__builtin_trap();
	}
	for (unsigned i = 0; i < s->out.n_events; i++)
		if (s->out.events[i].type == GATT_CEV_DONE)
			s->done++;
	gatt_client_outbox_reset(&s->out);
}

static uint16_t le16(const uint8_t *b, size_t n, size_t at)
{
	return at + 1 < n ? (uint16_t)(b[at] | b[at + 1] << 8) : 0;
}

static void start(struct state *s, const uint8_t *b, size_t n)
{
	if (n < 1)
		return;
	uint16_t handles[4] = { le16(b, n, 1), le16(b, n, 3), le16(b, n, 5), le16(b, n, 7) };
	struct gatt_client_req r = {
		.type = (enum gatt_proc_type)(1 + b[0] % GATT_PROC_UNSUBSCRIBE),
		.handle = le16(b, n, 1),
		.start = le16(b, n, 3),
		.end = le16(b, n, 5),
		.offset = (uint16_t)(le16(b, n, 7) % 600),
		.mtu = (uint16_t)(le16(b, n, 9) % 600),
		.cccd = le16(b, n, 11),
		.indicate = n > 13 && (b[13] & 1),
		.has_uuid = n > 13 && (b[13] & 2),
		.uuid = n > 14 && (b[14] & 1) ? (struct att_uuid){ .len = 16, .b = { 1, 2, 3 } }
					      : att_uuid16(le16(b, n, 15)),
		.value = n > 17 ? b + 17 : NULL,
		.len = n > 17 ? n - 17 : 0,
		.handles = handles,
		.n_handles = 2 + (n > 13 ? b[13] % 3 : 0),
	};
	if (gatt_client_request(s->c, 1, &r, s->now, &s->out) == 0)
		s->started++;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct state s = { 0 };
	struct gatt_client_config cfg = { .sign = sign, .mtu = 185 };
	if (gatt_client_new(&s.c, &cfg) < 0)
		return 0;
	gatt_client_connect(s.c, 1);
	size_t at = 0;
	while (at + 2 <= size) {
		uint8_t op = data[at];
		size_t len = data[at + 1];
		at += 2;
		if (len > size - at)
			len = size - at;
		const uint8_t *b = data + at;
		at += len;
		switch (op % 6) {
		case 0:
			start(&s, b, len);
			break;
		case 1:
		case 2:
			gatt_client_on_pdu(s.c, 1, b, len, s.now, &s.out);
			break;
		case 3:
			s.now += len ? (uint64_t)b[0] * 1000u : GATT_CLIENT_TIMEOUT_MS;
			gatt_client_tick(s.c, s.now, &s.out);
			break;
		case 4:
			gatt_client_set_mtu(s.c, 1, le16(b, len, 0));
			break;
		case 5:
			gatt_client_disconnect(s.c, 1, &s.out);
			gatt_client_connect(s.c, 1);
			break;
		}
		check(&s);
	}
	gatt_client_disconnect(s.c, 1, &s.out);
	check(&s);
	if (s.started != s.done)
		__builtin_trap();
	gatt_client_destroy(&s.c);
	return 0;
}
