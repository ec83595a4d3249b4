/* hive-vctrl, BR/EDR security: Authentication Requested and the link key
 * requests, Secure Simple Pairing (IO capabilities, numeric comparison,
 * just works, passkey entry), legacy PIN pairing, link key notifications,
 * Set Connection Encryption (Vol 4 Part E 7.1.10 - 7.1.17, 7.1.29 - 7.1.37;
 * Vol 3 Part C 5.2.2.6 for the association models).
 *
 * Not modelled: LMP, the P-192/P-256 key exchange and the E0/AES-CCM
 * ciphers, OOB data, Secure Connections (keys are P-192 types 4 and 5, or a
 * combination key 0 from a PIN). Each pairing draws a random from the
 * radio's source; the numeric value (or passkey) and the link key both
 * sides get are SHA-256 of the two addresses and that random, so both hosts
 * see the same value and the same key, as real devices do. */
#include <string.h>

#include "vctrl_int.h"

enum { METHOD_JUST_WORKS, METHOD_NUMERIC, METHOD_PASSKEY };

static struct vctrl *side_ctrl(struct vctrl_radio *r, const struct vctrl_link *l, int side)
{
	return &r->ctrl[l->ctrl[side]];
}

static const uint8_t *peer_addr(struct vctrl_radio *r, const struct vctrl_link *l, int side)
{
	return r->ctrl[l->ctrl[!side]].public_addr;
}

/* Sends an event of one BD_ADDR (the peer's) to side; false when masked. */
static bool ask(struct vctrl_radio *r, struct vctrl_link *l, int side, uint8_t code)
{
	uint8_t buf[VCTRL_PKT_MAX];
	struct wr w = wr_init(buf, sizeof buf);
	vctrl_evt_addr(&w, code, peer_addr(r, l, side));
	l->auth.deadline = r->now + VCTRL_LMP_TIMEOUT_NS;
	return vctrl_send_event(r, side_ctrl(r, l, side), &w);
}

static void send_auth_complete(struct vctrl_radio *r, struct vctrl_link *l, uint8_t status)
{
	int s = l->auth.init;
	uint8_t buf[VCTRL_PKT_MAX];
	struct wr w = wr_init(buf, sizeof buf);
	vctrl_evt_status_handle(&w, HCI_EV_AUTHENTICATION_COMPLETE, status, l->handle[s]);
	vctrl_send_event(r, side_ctrl(r, l, s), &w);
}

/* Ends the procedure: Simple Pairing Complete to the hosts that took part
 * in Simple Pairing, Authentication Complete to the initiator. */
static void auth_end(struct vctrl_radio *r, struct vctrl_link *l, uint8_t status)
{
	for (int s = 0; s < 2; s++) {
		if (!l->auth.ssp_seen[s])
			continue;
		uint8_t buf[VCTRL_PKT_MAX];
		struct wr w = wr_init(buf, sizeof buf);
		vctrl_evt_simple_pairing_complete(&w, status, peer_addr(r, l, s));
		vctrl_send_event(r, side_ctrl(r, l, s), &w);
	}
	send_auth_complete(r, l, status);
	if (status != HCI_SUCCESS)
		vctrl_log(r, side_ctrl(r, l, l->auth.init), HIVE_LOG_INFO,
			  "BR/EDR 0x%03x: authentication failed with 0x%02x",
			  l->handle[l->auth.init], status);
	memset(&l->auth, 0, sizeof l->auth);
}

/* A value of this pairing: SHA-256(tag, initiator and responder addresses,
 * the pairing's random, extra). */
static void pairing_hash(struct vctrl_radio *r, const struct vctrl_link *l, uint8_t tag,
			 const uint8_t *extra, size_t n, uint8_t out[32])
{
	uint8_t in[1 + 6 + 6 + 16 + 17];
	int i = l->auth.init;
	in[0] = tag;
	memcpy(in + 1, side_ctrl(r, l, i)->public_addr, 6);
	memcpy(in + 7, side_ctrl(r, l, !i)->public_addr, 6);
	memcpy(in + 13, l->auth.rnd, 16);
	if (n)
		memcpy(in + 29, extra, n);
	if (vctrl_sha256(in, 29 + n, out) < 0) {
		/* cannot happen with a working OpenSSL; still the same on both */
		memset(out, 0, 32);
		memcpy(out, in + 13, 16);
	}
}

static void pairing_random(struct vctrl_radio *r, struct vctrl_link *l)
{
	uint32_t seq = r->pair_seq++;
	if (!r->cfg.rand || r->cfg.rand(r->cfg.rand_arg, l->auth.rnd, 16) < 0) {
		memset(l->auth.rnd, 0, 16);
		memcpy(l->auth.rnd, &seq, sizeof seq);
	}
}

/* Both controllers now hold the same new key: Link Key Notification on
 * both, then the end of the procedure. */
static void pairing_success(struct vctrl_radio *r, struct vctrl_link *l, const uint8_t key[16],
			    uint8_t type)
{
	for (int s = 0; s < 2; s++) {
		memcpy(l->key[s], key, 16);
		l->has_key[s] = true;
	}
	for (int s = 0; s < 2; s++) {
		if (!l->auth.ssp_seen[s])
			continue;
		uint8_t buf[VCTRL_PKT_MAX];
		struct wr w = wr_init(buf, sizeof buf);
		vctrl_evt_simple_pairing_complete(&w, HCI_SUCCESS, peer_addr(r, l, s));
		vctrl_send_event(r, side_ctrl(r, l, s), &w);
		l->auth.ssp_seen[s] = false;
	}
	for (int s = 0; s < 2; s++) {
		uint8_t buf[VCTRL_PKT_MAX];
		struct wr w = wr_init(buf, sizeof buf);
		vctrl_evt_link_key_notification(&w, peer_addr(r, l, s), key, type);
		vctrl_send_event(r, side_ctrl(r, l, s), &w);
	}
	vctrl_log(r, side_ctrl(r, l, l->auth.init), HIVE_LOG_INFO,
		  "BR/EDR 0x%03x: paired, link key type %u", l->handle[l->auth.init], type);
	auth_end(r, l, HCI_SUCCESS);
}

/* The pairing starts: Simple Pairing when both hosts enabled it, else PIN. */
static void pairing_start(struct vctrl_radio *r, struct vctrl_link *l)
{
	int i = l->auth.init;
	pairing_random(r, l);
	if (side_ctrl(r, l, 0)->ssp_mode && side_ctrl(r, l, 1)->ssp_mode) {
		l->auth.state = AUTH_IO_INIT;
		l->auth.ssp_seen[i] = true;
		if (!ask(r, l, i, HCI_EV_IO_CAPABILITY_REQUEST))
			auth_end(r, l, HCI_PAIRING_NOT_ALLOWED);
		return;
	}
	l->auth.state = AUTH_PIN_INIT;
	if (!ask(r, l, i, HCI_EV_PIN_CODE_REQUEST))
		auth_end(r, l, HCI_PIN_OR_KEY_MISSING);
}

/* ---- authentication, link keys (7.1.10, 7.1.11, 7.1.15) ------------------- */

uint8_t on_authentication_requested(struct vctrl_radio *r, struct vctrl *c,
				    const struct vctrl_cmd *cmd, struct wr *ret)
{
	struct rd rd = rd_init(cmd->params, cmd->n);
	uint16_t handle = rd_le16(&rd);
	int side;
	struct vctrl_link *l = vctrl_link_find(r, c, handle, &side);
	if (!l)
		return HCI_UNKNOWN_CONNECTION_ID;
	if (!l->bredr || l->auth.state != AUTH_IDLE)
		return HCI_COMMAND_DISALLOWED;
	memset(&l->auth, 0, sizeof l->auth);
	l->auth.init = side;
	l->auth.state = AUTH_KEY_INIT;
	if (!ask(r, l, side, HCI_EV_LINK_KEY_REQUEST))
		pairing_start(r, l); /* a host that masked the request has no key */
	return HCI_SUCCESS;
}

/* The link a host's reply about addr is for, in *lp: HCI_SUCCESS when the
 * authentication waits for that host (the initiator's at init_state, the
 * responder's at resp_state), else why not. */
static uint8_t waiting_link(struct vctrl_radio *r, struct vctrl *c, const uint8_t *addr,
			    uint8_t init_state, uint8_t resp_state, struct vctrl_link **lp,
			    int *side)
{
	struct vctrl_link *l = *lp = vctrl_bredr_link_by_addr(r, c, addr, side);
	if (!l)
		return HCI_UNKNOWN_CONNECTION_ID;
	return l->auth.state == (*side == l->auth.init ? init_state : resp_state)
		       ? HCI_SUCCESS
		       : HCI_COMMAND_DISALLOWED;
}

uint8_t on_link_key_request_reply(struct vctrl_radio *r, struct vctrl *c,
				  const struct vctrl_cmd *cmd, struct wr *ret)
{
	const uint8_t *addr = cmd->params;
	const uint8_t *key = cmd->params + 6;
	wr_bytes(ret, addr, 6);
	int side;
	struct vctrl_link *l;
	uint8_t st = waiting_link(r, c, addr, AUTH_KEY_INIT, AUTH_KEY_RESP, &l, &side);
	if (st)
		return st;
	bool init = side == l->auth.init;
	memcpy(l->key[side], key, 16);
	l->has_key[side] = true;
	if (init) {
		l->auth.state = AUTH_KEY_RESP;
		if (!ask(r, l, !side, HCI_EV_LINK_KEY_REQUEST))
			auth_end(r, l, HCI_PIN_OR_KEY_MISSING);
		return HCI_SUCCESS;
	}
	/* Both keys are known: the challenge and response succeed only when
	 * they are the same key. */
	auth_end(r, l, memcmp(l->key[0], l->key[1], 16) ? HCI_AUTHENTICATION_FAILURE : HCI_SUCCESS);
	return HCI_SUCCESS;
}

uint8_t on_link_key_request_negative_reply(struct vctrl_radio *r, struct vctrl *c,
					   const struct vctrl_cmd *cmd, struct wr *ret)
{
	const uint8_t *addr = cmd->params;
	wr_bytes(ret, addr, 6);
	int side;
	struct vctrl_link *l;
	uint8_t st = waiting_link(r, c, addr, AUTH_KEY_INIT, AUTH_KEY_RESP, &l, &side);
	if (st)
		return st;
	l->has_key[side] = false;
	if (side == l->auth.init)
		pairing_start(r, l);
	else /* the responder has no key: the initiator's host learns it must pair again */
		auth_end(r, l, HCI_PIN_OR_KEY_MISSING);
	return HCI_SUCCESS;
}

/* ---- legacy pairing (7.1.12, 7.1.13) ----------------------------------------- */

uint8_t on_pin_code_request_reply(struct vctrl_radio *r, struct vctrl *c,
				  const struct vctrl_cmd *cmd, struct wr *ret)
{
	struct vctrl_pin_reply p;
	if (vctrl_parse_pin_reply(cmd->params, cmd->n, &p) < 0)
		return HCI_INVALID_PARAMETERS;
	wr_bytes(ret, p.addr, 6);
	if (p.len < 1 || p.len > 16)
		return HCI_INVALID_PARAMETERS;
	int side;
	struct vctrl_link *l;
	uint8_t st = waiting_link(r, c, p.addr, AUTH_PIN_INIT, AUTH_PIN_RESP, &l, &side);
	if (st)
		return st;
	bool init = side == l->auth.init;
	memcpy(l->auth.pin[side], p.pin, p.len);
	l->auth.pin_len[side] = p.len;
	if (init) {
		l->auth.state = AUTH_PIN_RESP;
		if (!ask(r, l, !side, HCI_EV_PIN_CODE_REQUEST))
			auth_end(r, l, HCI_PIN_OR_KEY_MISSING);
		return HCI_SUCCESS;
	}
	if (l->auth.pin_len[0] != l->auth.pin_len[1] ||
	    memcmp(l->auth.pin[0], l->auth.pin[1], l->auth.pin_len[0])) {
		auth_end(r, l, HCI_AUTHENTICATION_FAILURE);
		return HCI_SUCCESS;
	}
	uint8_t h[32];
	pairing_hash(r, l, 'P', l->auth.pin[0], l->auth.pin_len[0], h);
	pairing_success(r, l, h, HCI_KEY_COMBINATION);
	return HCI_SUCCESS;
}

uint8_t on_pin_code_request_negative_reply(struct vctrl_radio *r, struct vctrl *c,
					   const struct vctrl_cmd *cmd, struct wr *ret)
{
	const uint8_t *addr = cmd->params;
	wr_bytes(ret, addr, 6);
	int side;
	struct vctrl_link *l;
	uint8_t st = waiting_link(r, c, addr, AUTH_PIN_INIT, AUTH_PIN_RESP, &l, &side);
	if (st)
		return st;
	auth_end(r, l, HCI_PIN_OR_KEY_MISSING);
	return HCI_SUCCESS;
}

/* ---- Secure Simple Pairing (7.1.29 - 7.1.37) ----------------------------------- */

/* Vol 3 Part C 5.2.2.6: with no MITM protection asked for on either side,
 * both act as DisplayOnly (just works); else the IO capabilities choose. */
static int ssp_method(const struct vctrl_auth *a)
{
	bool mitm = (a->auth_req[0] | a->auth_req[1]) & 1;
	uint8_t x = a->io[0], y = a->io[1];
	if (!mitm || x == HCI_IO_NO_INPUT_NO_OUTPUT || y == HCI_IO_NO_INPUT_NO_OUTPUT)
		return METHOD_JUST_WORKS;
	if (x == HCI_IO_KEYBOARD_ONLY || y == HCI_IO_KEYBOARD_ONLY)
		return METHOD_PASSKEY;
	if (x == HCI_IO_DISPLAY_YES_NO && y == HCI_IO_DISPLAY_YES_NO)
		return METHOD_NUMERIC;
	return METHOD_JUST_WORKS; /* a DisplayOnly side cannot confirm */
}

/* User Confirmation Request or User Passkey Notification with the value;
 * false when masked. */
static bool send_value(struct vctrl_radio *r, struct vctrl_link *l, int s, uint8_t code)
{
	uint8_t buf[VCTRL_PKT_MAX];
	struct wr w = wr_init(buf, sizeof buf);
	vctrl_evt_addr_value(&w, code, peer_addr(r, l, s), l->auth.value);
	return vctrl_send_event(r, side_ctrl(r, l, s), &w);
}

/* Authentication stage 1: what each host is asked. */
static void ssp_stage1(struct vctrl_radio *r, struct vctrl_link *l)
{
	struct vctrl_auth *a = &l->auth;
	uint8_t h[32];
	pairing_hash(r, l, 'V', NULL, 0, h);
	a->value = (uint32_t)(h[0] | h[1] << 8 | h[2] << 16 | (uint32_t)h[3] << 24) % 1000000u;
	int m = ssp_method(a);
	a->authenticated = m != METHOD_JUST_WORKS;
	a->state = AUTH_USER;
	for (int s = 0; s < 2; s++) {
		int i = s == 0 ? a->init : !a->init; /* the initiator first */
		if (m == METHOD_PASSKEY && a->io[i] != HCI_IO_KEYBOARD_ONLY) {
			a->need[i] = SSP_NONE;
			a->done[i] = true;
			send_value(r, l, i, HCI_EV_USER_PASSKEY_NOTIFICATION);
			continue;
		}
		a->need[i] = m == METHOD_PASSKEY ? SSP_PASSKEY : SSP_CONFIRM;
		a->done[i] = false;
		bool asked = m == METHOD_PASSKEY
				     ? ask(r, l, i, HCI_EV_USER_PASSKEY_REQUEST)
				     : send_value(r, l, i, HCI_EV_USER_CONFIRMATION_REQUEST);
		if (!asked) { /* a host that masked the request cannot answer it */
			auth_end(r, l, HCI_AUTHENTICATION_FAILURE);
			return;
		}
	}
	a->deadline = r->now + VCTRL_LMP_TIMEOUT_NS;
}

uint8_t on_io_capability_request_reply(struct vctrl_radio *r, struct vctrl *c,
				       const struct vctrl_cmd *cmd, struct wr *ret)
{
	struct vctrl_io_cap p;
	if (vctrl_parse_io_cap_reply(cmd->params, cmd->n, &p) < 0)
		return HCI_INVALID_PARAMETERS;
	wr_bytes(ret, p.addr, 6);
	if (p.io > HCI_IO_NO_INPUT_NO_OUTPUT || p.oob > 1 || p.auth_req > 0x05)
		return HCI_INVALID_PARAMETERS;
	int side;
	struct vctrl_link *l;
	uint8_t st = waiting_link(r, c, p.addr, AUTH_IO_INIT, AUTH_IO_RESP, &l, &side);
	if (st)
		return st;
	bool init = side == l->auth.init;
	l->auth.io[side] = p.io;
	l->auth.oob[side] = p.oob;
	l->auth.auth_req[side] = p.auth_req;
	/* The peer's host hears these capabilities from its controller. */
	struct vctrl_io_cap resp = { .io = p.io, .oob = p.oob, .auth_req = p.auth_req };
	memcpy(resp.addr, c->public_addr, 6);
	uint8_t buf[VCTRL_PKT_MAX];
	struct wr w = wr_init(buf, sizeof buf);
	vctrl_evt_io_cap_response(&w, &resp);
	vctrl_send_event(r, side_ctrl(r, l, !side), &w);
	if (init) {
		l->auth.state = AUTH_IO_RESP;
		l->auth.ssp_seen[!side] = true;
		if (!ask(r, l, !side, HCI_EV_IO_CAPABILITY_REQUEST))
			auth_end(r, l, HCI_PAIRING_NOT_ALLOWED);
		return HCI_SUCCESS;
	}
	ssp_stage1(r, l);
	return HCI_SUCCESS;
}

uint8_t on_io_capability_request_negative_reply(struct vctrl_radio *r, struct vctrl *c,
						const struct vctrl_cmd *cmd, struct wr *ret)
{
	const uint8_t *addr = cmd->params;
	uint8_t reason = cmd->params[6];
	wr_bytes(ret, addr, 6);
	int side;
	struct vctrl_link *l;
	uint8_t st = waiting_link(r, c, addr, AUTH_IO_INIT, AUTH_IO_RESP, &l, &side);
	if (st)
		return st;
	auth_end(r, l, reason ? reason : HCI_PAIRING_NOT_ALLOWED);
	return HCI_SUCCESS;
}

/* A host answered in stage 1; when both have, the outcome. */
static void ssp_answered(struct vctrl_radio *r, struct vctrl_link *l, int side)
{
	struct vctrl_auth *a = &l->auth;
	a->done[side] = true;
	if (!a->done[0] || !a->done[1])
		return;
	bool ok = true;
	if (a->need[0] == SSP_PASSKEY && a->need[1] == SSP_PASSKEY)
		ok = a->entered[0] == a->entered[1];
	else
		for (int s = 0; s < 2; s++)
			if (a->need[s] == SSP_PASSKEY && a->entered[s] != a->value)
				ok = false;
	if (!ok) {
		auth_end(r, l, HCI_AUTHENTICATION_FAILURE);
		return;
	}
	uint8_t h[32];
	pairing_hash(r, l, 'K', NULL, 0, h);
	pairing_success(r, l, h,
			a->authenticated ? HCI_KEY_AUTHENTICATED_P192 : HCI_KEY_UNAUTHENTICATED_P192);
}

static uint8_t user_reply(struct vctrl_radio *r, struct vctrl *c, const struct vctrl_cmd *cmd,
			  struct wr *ret, uint8_t need, bool positive)
{
	const uint8_t *addr = cmd->params;
	wr_bytes(ret, addr, 6);
	uint32_t value = 0;
	if (need == SSP_PASSKEY && positive) {
		struct rd rd = rd_init(cmd->params + 6, cmd->n - 6);
		value = rd_le32(&rd);
		if (value > 999999)
			return HCI_INVALID_PARAMETERS;
	}
	int side;
	struct vctrl_link *l = vctrl_bredr_link_by_addr(r, c, addr, &side);
	if (!l)
		return HCI_UNKNOWN_CONNECTION_ID;
	if (l->auth.state != AUTH_USER || l->auth.need[side] != need || l->auth.done[side])
		return HCI_COMMAND_DISALLOWED;
	if (!positive) {
		auth_end(r, l, HCI_AUTHENTICATION_FAILURE);
		return HCI_SUCCESS;
	}
	l->auth.entered[side] = value;
	ssp_answered(r, l, side);
	return HCI_SUCCESS;
}

uint8_t on_user_confirmation_request_reply(struct vctrl_radio *r, struct vctrl *c,
					   const struct vctrl_cmd *cmd, struct wr *ret)
{
	return user_reply(r, c, cmd, ret, SSP_CONFIRM, true);
}

uint8_t on_user_confirmation_request_negative_reply(struct vctrl_radio *r, struct vctrl *c,
						    const struct vctrl_cmd *cmd, struct wr *ret)
{
	return user_reply(r, c, cmd, ret, SSP_CONFIRM, false);
}

uint8_t on_user_passkey_request_reply(struct vctrl_radio *r, struct vctrl *c,
				      const struct vctrl_cmd *cmd, struct wr *ret)
{
	return user_reply(r, c, cmd, ret, SSP_PASSKEY, true);
}

uint8_t on_user_passkey_request_negative_reply(struct vctrl_radio *r, struct vctrl *c,
					       const struct vctrl_cmd *cmd, struct wr *ret)
{
	return user_reply(r, c, cmd, ret, SSP_PASSKEY, false);
}

/* ---- encryption (7.1.16) ------------------------------------------------------ */

static void send_encryption_change(struct vctrl_radio *r, struct vctrl_link *l, uint8_t on)
{
	for (int s = 0; s < 2; s++) {
		uint8_t buf[VCTRL_PKT_MAX];
		struct wr w = wr_init(buf, sizeof buf);
		vctrl_evt_encryption_change(&w, HCI_SUCCESS, l->handle[s], on);
		vctrl_send_event(r, side_ctrl(r, l, s), &w);
	}
}

uint8_t on_set_connection_encryption(struct vctrl_radio *r, struct vctrl *c,
				     const struct vctrl_cmd *cmd, struct wr *ret)
{
	struct rd rd = rd_init(cmd->params, cmd->n);
	uint16_t handle = rd_le16(&rd);
	uint8_t enable = rd_u8(&rd);
	if (enable > 1)
		return HCI_INVALID_PARAMETERS;
	int side;
	struct vctrl_link *l = vctrl_link_find(r, c, handle, &side);
	if (!l)
		return HCI_UNKNOWN_CONNECTION_ID;
	if (!l->bredr || l->auth.state != AUTH_IDLE)
		return HCI_COMMAND_DISALLOWED;
	if (!enable) {
		l->encrypted = false;
		send_encryption_change(r, l, 0x00);
		return HCI_SUCCESS;
	}
	if (!l->has_key[side])
		return HCI_PIN_OR_KEY_MISSING; /* authenticate first */
	if (!l->has_key[!side] || memcmp(l->key[0], l->key[1], 16)) {
		/* The two sides derive different encryption keys: the peer
		 * cannot decrypt, and the link ends. */
		vctrl_log(r, c, HIVE_LOG_INFO, "BR/EDR 0x%03x: the two sides hold different link "
			  "keys; encryption fails", handle);
		const uint8_t reason[2] = { HCI_AUTHENTICATION_FAILURE, HCI_AUTHENTICATION_FAILURE };
		const bool notify[2] = { true, true };
		vctrl_link_drop(r, l, reason, notify);
		return HCI_SUCCESS;
	}
	l->encrypted = true;
	send_encryption_change(r, l, 0x01); /* E0 */
	return HCI_SUCCESS;
}

/* ---- time ------------------------------------------------------------------- */

void vctrl_ssp_timeouts(struct vctrl_radio *r, uint64_t now)
{
	for (unsigned i = 0; i < VCTRL_MAX_LINKS; i++) {
		struct vctrl_link *l = &r->link[i];
		if (l->used && l->bredr && l->auth.state != AUTH_IDLE && now >= l->auth.deadline)
			auth_end(r, l, HCI_LMP_RESPONSE_TIMEOUT);
	}
}

uint64_t vctrl_ssp_deadline(const struct vctrl_radio *r)
{
	uint64_t t = UINT64_MAX;
	for (unsigned i = 0; i < VCTRL_MAX_LINKS; i++) {
		const struct vctrl_link *l = &r->link[i];
		if (l->used && l->bredr && l->auth.state != AUTH_IDLE && l->auth.deadline < t)
			t = l->auth.deadline;
	}
	return t;
}
