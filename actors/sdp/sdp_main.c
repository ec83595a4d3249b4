/* hive-sdp: the SDP server actor's I/O shell. The only file of the sdp actor
 * that touches ZeroMQ and protobuf-c.
 *
 *   hive-sdp [runtime options] [--set db=PATH] [--set mtu=N] [--set l2cap=NAME]
 *
 * db: the service records as JSON (the format is described in
 * sdp_db_json.c); without it only the SDP server's own record 0x00000000.
 * mtu: the peer's MTU of a channel nobody told us about (default 672, the
 * L2CAP default; at least 48). l2cap: the actor that carries our PDUs
 * (default "l2cap").
 *
 * In: ChannelPdu from l2cap (handle, cid, payload = one SDP PDU of a BR/EDR
 * basic-mode channel on PSM 0x0001); L2capEvent opened (its peer_mtu becomes
 * the channel's MTU) and closed; LinkEvent disconnected (the link's
 * channels are forgotten). Out: ChannelPdu (same handle and cid, payload =
 * the answer) to l2cap.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hive.h"
#include "sdp_server.h"

#define SDP_PSM 0x0001

struct sdp_main {
	struct hive_actor *a;
	struct sdp_db *db;
	struct sdp_server *server;
	const char *l2cap;
	uint64_t send_failures;
	struct sdp_outbox out;
};

static void flush(struct sdp_main *self)
{
	for (unsigned i = 0; i < self->out.n; i++) {
		const struct sdp_out_pdu *o = &self->out.pdus[i];
		HLOG_DEBUG(self->a, ">>> %s handle=0x%04x cid=0x%04x len=%u",
			   sdp_pdu_name(o->len ? o->pdu[0] : 0), o->handle, o->cid, o->len);
		Hive__ChannelPdu cp = HIVE__CHANNEL_PDU__INIT;
		cp.handle = o->handle;
		cp.cid = o->cid;
		cp.payload.data = (uint8_t *)o->pdu;
		cp.payload.len = o->len;
		Hive__Envelope env = HIVE__ENVELOPE__INIT;
		env.body_case = HIVE__ENVELOPE__BODY_PDU;
		env.pdu = &cp;
		int rc = hive_send(self->a, self->l2cap, &env);
		if (rc < 0) {
			self->send_failures++;
			HLOG_WARN(self->a, "sending an SDP answer to %s failed: %s", self->l2cap,
				  strerror(-rc));
		}
	}
	self->out.n = 0;
}

static void on_pdu(struct hive_actor *a, const char *source, const Hive__Envelope *env, void *arg)
{
	struct sdp_main *self = arg;
	const Hive__ChannelPdu *cp = env->pdu;
	if (cp->handle > 0x0eff || cp->cid > 0xffff || cp->cid < 0x0040) {
		HLOG_WARN(a, "channel PDU from %s on handle 0x%04x cid 0x%04x ignored: not a "
			     "dynamic channel", source, cp->handle, cp->cid);
		return;
	}
	HLOG_DEBUG(a, "<<< %s handle=0x%04x cid=0x%04x len=%zu",
		   sdp_pdu_name(cp->payload.len ? cp->payload.data[0] : 0), cp->handle, cp->cid,
		   cp->payload.len);
	int rc = sdp_server_on_pdu(self->server, (uint16_t)cp->handle, (uint16_t)cp->cid,
				   cp->payload.data, cp->payload.len, &self->out);
	if (rc < 0)
		HLOG_DEBUG(a, "SDP PDU on handle 0x%04x cid 0x%04x not answered: %s", cp->handle,
			   cp->cid, rc == -EPROTO ? "a response, and we are a server"
						  : strerror(-rc));
	flush(self);
}

static void on_l2cap_event(struct hive_actor *a, const char *source, const Hive__Envelope *env,
			   void *arg)
{
	struct sdp_main *self = arg;
	const Hive__L2capEvent *ev = env->l2cap_event;
	if (ev->kind_case == HIVE__L2CAP_EVENT__KIND_OPENED && ev->opened->channel) {
		const Hive__L2capChannelInfo *ci = ev->opened->channel;
		if (ci->spsm != SDP_PSM || ci->handle > 0x0eff || ci->cid > 0xffff)
			return;
		int rc = sdp_server_set_mtu(self->server, (uint16_t)ci->handle, (uint16_t)ci->cid,
					    ci->peer_mtu ? ci->peer_mtu : SDP_MTU_DEFAULT);
		HLOG_DEBUG(a, "channel handle=0x%04x cid=0x%04x opened, peer MTU %u: %s",
			   ci->handle, ci->cid, ci->peer_mtu, rc < 0 ? strerror(-rc) : "ok");
	} else if (ev->kind_case == HIVE__L2CAP_EVENT__KIND_CLOSED && ev->closed) {
		sdp_server_channel_closed(self->server, (uint16_t)ev->closed->handle,
					  (uint16_t)ev->closed->cid);
	}
}

static void on_link(struct hive_actor *a, const char *source, const Hive__Envelope *env,
		    void *arg)
{
	struct sdp_main *self = arg;
	if (env->link->kind_case == HIVE__LINK_EVENT__KIND_DISCONNECTED)
		sdp_server_link_down(self->server, (uint16_t)env->link->handle);
}

int main(int argc, char **argv)
{
	struct sdp_main *self = calloc(1, sizeof *self);
	char err[512] = "";
	int rc = 1, cfg_err = 0;
	if (!self)
		return 1;
	hive_signals_install();
	if (hive_actor_from_args(&self->a, argc, argv, "sdp", NULL) < 0) {
		free(self);
		return 1;
	}
	const char *db = hive_config(self->a, "db");
	uint64_t mtu = hive_config_u64(self->a, "mtu", SDP_MTU_DEFAULT, &cfg_err);
	self->l2cap = hive_config(self->a, "l2cap");
	if (!self->l2cap)
		self->l2cap = "l2cap";
	if (cfg_err || mtu < SDP_MTU_MIN || mtu > 0xffff) {
		HLOG_ERROR(self->a, "--set mtu=N: expected %d..65535", SDP_MTU_MIN);
		goto out;
	}
	if (db ? sdp_db_load_json_file(&self->db, db, err, sizeof err) < 0
	       : sdp_db_new(&self->db) < 0) {
		HLOG_ERROR(self->a, "loading the service records: %s", *err ? err : "no memory");
		goto out;
	}
	struct sdp_server_config cfg = { .default_mtu = (uint16_t)mtu,
					 .seed = (uint32_t)hive_now_ns() };
	if (sdp_server_new(&self->server, self->db, &cfg) < 0) {
		HLOG_ERROR(self->a, "starting the server: no memory");
		goto out;
	}
	HLOG_INFO(self->a, "serving %zu service records (%s), SDP to %s",
		  sdp_db_count(self->db), db ? db : "the SDP server's only", self->l2cap);
	hive_on(self->a, HIVE__ENVELOPE__BODY_PDU, on_pdu, self);
	hive_on(self->a, HIVE__ENVELOPE__BODY_L2CAP_EVENT, on_l2cap_event, self);
	hive_on(self->a, HIVE__ENVELOPE__BODY_LINK, on_link, self);
	hive_actor_ready(self->a);
	rc = hive_run(self->a) < 0;
out:
	sdp_server_destroy(&self->server);
	sdp_db_destroy(&self->db);
	hive_actor_destroy(&self->a);
	free(self);
	return rc;
}
