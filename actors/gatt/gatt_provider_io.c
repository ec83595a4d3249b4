/* hive-gatt's messages with value providers (see gatt_provider_io.h). */
#include "gatt_provider_io.h"

#include <errno.h>
#include <string.h>

void gatt_pio_ask(struct hive_actor *a, struct gatt_actor *g, const struct gatt_event *e,
		  uint64_t now_ms)
{
	struct gatt_providers *p = &g->providers;
	const char *name = gatt_providers_name(p, e->handle);
	if (!name) {
		HLOG_WARN(a, "no app provides handle 0x%04x any more: conn 0x%04x gets Unlikely "
			     "Error", e->handle, e->conn);
		if (!e->no_response)
			gatt_providers_fail(p, e->conn, e->token);
		return;
	}
	Hive__GattProviderAsk ask = HIVE__GATT_PROVIDER_ASK__INIT;
	ask.token = e->token;
	ask.handle = e->handle;
	ask.offset = e->value;
	ask.write = e->type == GATT_EV_PROVIDER_WRITE;
	ask.value.data = (uint8_t *)e->data;
	ask.value.len = e->data ? e->len : 0;
	ask.no_response = e->no_response;
	Hive__GattEvent ge = HIVE__GATT_EVENT__INIT;
	ge.conn = e->conn;
	ge.kind_case = HIVE__GATT_EVENT__KIND_PROVIDER_ASK;
	ge.provider_ask = &ask;
	Hive__Envelope env = HIVE__ENVELOPE__INIT;
	env.body_case = HIVE__ENVELOPE__BODY_GATT_EVENT;
	env.gatt_event = &ge;
	int rc = hive_send(a, name, &env);
	if (rc < 0)
		HLOG_WARN(a, "asking %s for handle 0x%04x failed: %s; conn 0x%04x gets Unlikely "
			     "Error", name, e->handle, strerror(-rc), e->conn);
	if (e->no_response)
		return;
	if (rc < 0 || gatt_providers_asked(p, e->conn, e->token, name, env.seq, now_ms) < 0)
		gatt_providers_fail(p, e->conn, e->token);
}

int gatt_pio_request(struct gatt_actor *g, const char *source, const Hive__GattRequest *r,
		     const char **what)
{
	struct gatt_providers *p = &g->providers;
	if (r->op_case == HIVE__GATT_REQUEST__OP_PROVIDER_REGISTER) {
		const Hive__GattProviderRegister *reg = r->provider_register;
		int rc = reg->handle > 0xffff ? -ENOENT
			: gatt_providers_register(p, g->server, g->db, source,
						  (uint16_t)reg->handle, reg->release);
		*what = rc == -ENOENT ? "provider_register: no such handle in the local database "
					"(see gatt-db)"
			: rc == -EINVAL ? "provider_register: only characteristic values and "
					  "descriptors can be provided (not declarations, CCCDs or "
					  "the GATT service's own values)"
			: rc == -EPERM ? "provider_register: another app provides this handle"
			: rc == -ENOSPC ? "provider_register: too many provided handles"
					: "provider_register";
		return rc;
	}
	const Hive__GattProviderAnswer *ans = r->provider_answer;
	uint16_t conn;
	/* A bad answer leaves the question open (its deadline still runs). */
	int rc = ans->att_error > 0xff ? -EINVAL
		: ans->token > UINT32_MAX ? -ENOENT
		: gatt_providers_take(p, (uint32_t)ans->token, source, &conn);
	if (rc == 0)
		rc = gatt_server_provider_answer(g->server, conn, (uint32_t)ans->token,
						 (uint8_t)ans->att_error, ans->value.data,
						 ans->value.len, &g->sout);
	*what = rc == -ENOENT ? "provider_answer: no such question; it came too late (the peer "
				"already got Unlikely Error) or the link went"
		: rc == -EPERM ? "provider_answer: the question was asked of another app"
		: rc == -EINVAL ? "provider_answer: att_error is not an ATT error code (1..255)"
				: "provider_answer";
	return rc;
}

void gatt_pio_tick(struct hive_actor *a, struct gatt_actor *g, uint64_t now_ms)
{
	uint32_t token;
	uint16_t conn;
	while (gatt_providers_expired(&g->providers, now_ms, &token, &conn)) {
		HLOG_WARN(a, "a value provider did not answer within %u ms: conn 0x%04x gets "
			     "Unlikely Error", g->providers.timeout_ms, conn);
		gatt_providers_fail(&g->providers, conn, token);
	}
}

bool gatt_pio_undeliverable(struct hive_actor *a, struct gatt_actor *g,
			    const Hive__Undeliverable *u)
{
	uint32_t token;
	uint16_t conn;
	if (!gatt_providers_undeliverable(&g->providers, u->seq, &token, &conn))
		return false;
	HLOG_WARN(a, "value provider %s unreachable (%s): conn 0x%04x gets Unlikely Error",
		  u->destination, u->reason, conn);
	gatt_providers_fail(&g->providers, conn, token);
	return true;
}
