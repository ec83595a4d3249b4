/* Robust caching, the server's side (Core Vol 3 Part G 2.5.2.1): which
 * clients are change-aware, Database Out Of Sync for the others. A client
 * that enabled robust caching (Client Supported Features bit 0) becomes
 * change-unaware when the database changes. While it is, its commands are
 * ignored and a request gets Database Out Of Sync (0x12, handle 0), except
 * Exchange MTU and a read of the Database Hash (Read of its handle, or
 * Read By Type of 0x2B2A), which are served and make it change-aware. It
 * also becomes change-aware when it confirms the Service Changed
 * indication, and with the first request it sends after an Out Of Sync
 * error (it has been told). The state is per connection: a bonded
 * client's state is not kept across connections. */
#include <errno.h>

#include "gatt_server_int.h"

static bool reads_hash(const struct gatt_server *s, const uint8_t *pdu, size_t len)
{
	uint16_t h = gatt_db_hash_handle(s->db);
	if (pdu[0] == ATT_READ_REQ && len == 3)
		return h && (uint16_t)(pdu[1] | pdu[2] << 8) == h;
	if (pdu[0] == ATT_READ_BY_TYPE_REQ && len == 7)
		return (uint16_t)(pdu[5] | pdu[6] << 8) == GATT_DB_HASH_UUID;
	return false;
}

int gatt_robust_gate(struct gatt_server *s, struct gatt_conn *c, const uint8_t *pdu,
		     size_t len, struct att_outbox *out)
{
	if (!(c->client_features & GATT_CLIENT_FEAT_ROBUST_CACHING))
		return 0;
	enum att_kind kind = att_opcode_kind(pdu[0]);
	if (kind == ATT_CMD)
		return 1;
	if (kind != ATT_REQ || pdu[0] == ATT_EXCHANGE_MTU_REQ)
		return 0;
	if (c->oos_sent || reads_hash(s, pdu, len)) {
		c->change_unaware = false;
		c->oos_sent = false;
		return 0;
	}
	if (out->n_pdus >= ATT_OUTBOX_MAX_PDUS)
		return 1; /* no room: as if lost; the client will time out */
	struct att_out_pdu *o = &out->pdus[out->n_pdus++];
	o->conn = c->conn;
	o->pdu[0] = ATT_ERROR_RSP;
	o->pdu[1] = pdu[0];
	o->pdu[2] = 0;
	o->pdu[3] = 0;
	o->pdu[4] = ATT_ECODE_DATABASE_OUT_OF_SYNC;
	o->len = 5;
	c->oos_sent = true;
	return 2;
}

void gatt_robust_confirmed(struct gatt_server *s, struct gatt_conn *c, uint16_t handle)
{
	if (handle && handle == gatt_db_service_changed_handle(s->db)) {
		c->change_unaware = false;
		c->oos_sent = false;
	}
}

int gatt_server_db_changed(struct gatt_server *s, uint16_t start, uint16_t end,
			   struct att_outbox *out)
{
	for (int i = 0; i < GATT_SERVER_MAX_CONN; i++) {
		struct gatt_conn *c = &s->conns[i];
		if (c->used && (c->client_features & GATT_CLIENT_FEAT_ROBUST_CACHING)) {
			c->change_unaware = true;
			c->oos_sent = false;
		}
	}
	return gatt_server_service_changed(s, start, end, out);
}

bool gatt_server_robust_state(const struct gatt_server *s, uint16_t conn, uint8_t *features,
			      uint8_t *state)
{
	const struct gatt_conn *c = gatt_server_conn(s, conn);
	if (!c)
		return false;
	*features = c->client_features;
	*state = (uint8_t)(c->change_unaware | c->oos_sent << 1);
	return true;
}

int gatt_server_set_robust_state(struct gatt_server *s, uint16_t conn, uint8_t features,
				 uint8_t state)
{
	struct gatt_conn *c = gatt_server_conn(s, conn);
	if (!c)
		return -ENOENT;
	c->client_features = features & 0x07;
	c->change_unaware = state & 1;
	c->oos_sent = state & 2;
	return 0;
}

bool gatt_server_change_aware(const struct gatt_server *s, uint16_t conn)
{
	const struct gatt_conn *c = gatt_server_conn(s, conn);
	return c && !c->change_unaware;
}
