/* The SMP pairing state machine: dispatch, phase 1 (feature exchange and
 * the association model), failures, the SMP timer, Repeated Attempts and
 * the user's answers. Phase 2 is in smp_legacy.c and smp_sc.c, phase 3 in
 * smp_keys.c. See smp_pairing.h. */
#include "smp_int.h"

#include <errno.h>
#include <string.h>

/* ---- small helpers shared by the state machine files ----------------------- */

struct smp_event *smp_emit(struct smp_pairing *p, enum smp_event_type type)
{
	struct smp_outbox *o = &p->out;
	struct smp_event *e;
	if (o->n >= SMP_OUTBOX_MAX) {
		/* The caller did not drain: the event is lost, and said so. */
		o->overflow = true;
		e = &o->ev[SMP_OUTBOX_MAX - 1];
	} else {
		e = &o->ev[o->n++];
	}
	memset(e, 0, sizeof *e);
	e->type = type;
	return e;
}

static bool active(const struct smp_pairing *p)
{
	return p->state != SMP_ST_IDLE && p->state != SMP_ST_TIMED_OUT;
}

uint64_t smp_now(const struct smp_pairing *p)
{
	return p->ops.now_ms ? p->ops.now_ms(p->ops.arg) : 0;
}

void smp_rand(struct smp_pairing *p, void *buf, size_t n)
{
	memset(buf, 0, n);
	if (p->ops.rand)
		p->ops.rand(p->ops.arg, buf, n);
}

void smp_send(struct smp_pairing *p, const struct smp_pdu *pdu)
{
	struct smp_event *e = smp_emit(p, SMP_EV_SEND);
	int n = smp_pdu_encode(pdu, e->pdu, sizeof e->pdu);
	e->len = n > 0 ? (uint8_t)n : 0;
	/* The SMP timer restarts whenever a PDU is queued (Vol 3 Part H 3.4). */
	if (active(p))
		p->deadline = smp_now(p) + SMP_TIMEOUT_MS;
}

void smp_send_value(struct smp_pairing *p, uint8_t code, const uint8_t v[16])
{
	struct smp_pdu pdu = { .code = code };
	memcpy(pdu.value, v, 16);
	smp_send(p, &pdu);
}

void smp_mask_key(uint8_t key[16], uint8_t size)
{
	if (size < 16)
		memset(key, 0, 16u - size);
}

void smp_addr7(const struct smp_addr *a, uint8_t out[7])
{
	out[0] = a->type;
	memcpy(out + 1, a->a, 6);
}

const struct smp_addr *smp_init_addr(const struct smp_pairing *p)
{
	return p->role == SMP_ROLE_INITIATOR ? &p->local : &p->peer;
}

const struct smp_addr *smp_resp_addr(const struct smp_pairing *p)
{
	return p->role == SMP_ROLE_INITIATOR ? &p->peer : &p->local;
}

uint32_t smp_passkey_new(struct smp_pairing *p)
{
	uint32_t v = 0;
	/* Rejection sampling for a uniform value, bounded for fixed randoms. */
	for (int i = 0; i < 8; i++) {
		smp_rand(p, &v, sizeof v);
		if (v < 4294000000u)
			break;
	}
	return v % 1000000u;
}

static uint32_t idle_allowed(const struct smp_pairing *p)
{
	return p->role == SMP_ROLE_INITIATOR ? SMP_BIT(SMP_SECURITY_REQUEST)
					     : SMP_BIT(SMP_PAIRING_REQUEST);
}

/* Back to idle: phase state and secrets cleared; the link's identity, the
 * failure count and the last pairing's keys kept. */
void smp_reset(struct smp_pairing *p)
{
	struct smp_pairing keep = *p;
	memset(p, 0, sizeof *p);
	p->role = keep.role;
	p->cfg = keep.cfg;
	p->ops = keep.ops;
	p->local = keep.local;
	p->peer = keep.peer;
	p->fails = keep.fails;
	p->retry_at = keep.retry_at;
	p->keys = keep.keys;
	p->out = keep.out;
	p->state = SMP_ST_IDLE;
	p->allowed = idle_allowed(p);
	memset(&keep, 0, sizeof keep);
}

/* Confirm Value Failed and DHKey Check Failed are failed authentications:
 * the next attempt waits, twice as long each time, up to the cap. */
static void note_failure(struct smp_pairing *p, uint8_t reason)
{
	if (reason != SMP_ERR_CONFIRM_VALUE_FAILED && reason != SMP_ERR_DHKEY_CHECK_FAILED)
		return;
	uint64_t base = p->cfg.retry_base_ms ? p->cfg.retry_base_ms : SMP_RETRY_BASE_MS;
	uint64_t max = p->cfg.retry_max_ms ? p->cfg.retry_max_ms : SMP_RETRY_MAX_MS;
	if (p->fails < 16)
		p->fails++;
	uint64_t wait = base << (p->fails - 1);
	if (wait > max)
		wait = max;
	p->retry_at = smp_now(p) + wait;
}

void smp_fail(struct smp_pairing *p, uint8_t reason)
{
	struct smp_pdu pdu = { .code = SMP_PAIRING_FAILED, .reason = reason };
	bool was_active = active(p);
	smp_send(p, &pdu);
	if (!was_active)
		return;
	struct smp_event *e = smp_emit(p, SMP_EV_FAILED);
	e->reason = reason;
	note_failure(p, reason);
	smp_reset(p);
}

void smp_phase2_done(struct smp_pairing *p, const uint8_t key[16])
{
	memcpy(p->stk, key, 16);
	p->state = SMP_ST_WAIT_ENCRYPTION;
	p->allowed = 0;
	if (p->role == SMP_ROLE_INITIATOR) {
		struct smp_event *e = smp_emit(p, SMP_EV_START_ENCRYPTION);
		memcpy(e->key, key, 16);
		e->key_size = p->key_size;
	}
}

/* ---- the timer ---------------------------------------------------------------- */

/* True when SMP is over on this link (the timer expired, now or before). */
static bool expired(struct smp_pairing *p)
{
	if (active(p) && smp_now(p) >= p->deadline) {
		smp_reset(p);
		p->state = SMP_ST_TIMED_OUT;
		p->allowed = 0;
		smp_emit(p, SMP_EV_TIMEOUT);
	}
	return p->state == SMP_ST_TIMED_OUT;
}

void smp_pairing_tick(struct smp_pairing *p)
{
	(void)expired(p);
}

uint64_t smp_pairing_deadline(const struct smp_pairing *p)
{
	return active(p) ? p->deadline : 0;
}

/* ---- the association model ------------------------------------------------------ */

enum { JW, PK_I, PK_R, PK_B, NC };

/* [responder IO][initiator IO], Vol 3 Part H table 2.8. PK_I: the
 * initiator inputs and the responder displays; PK_R the other way round;
 * PK_B both input. */
static const uint8_t model_legacy[5][5] = {
	{ JW, JW, PK_I, JW, PK_I },
	{ JW, JW, PK_I, JW, PK_I },
	{ PK_R, PK_R, PK_B, JW, PK_R },
	{ JW, JW, JW, JW, JW },
	{ PK_R, PK_R, PK_I, JW, PK_R },
};
static const uint8_t model_sc[5][5] = {
	{ JW, JW, PK_I, JW, PK_I },
	{ JW, NC, PK_I, JW, NC },
	{ PK_R, PK_R, PK_B, JW, PK_R },
	{ JW, JW, JW, JW, JW },
	{ PK_R, NC, PK_I, JW, NC },
};

enum smp_method smp_method_select(const struct smp_pairing_params *req,
				  const struct smp_pairing_params *rsp, bool sc,
				  bool *init_inputs, bool *resp_inputs)
{
	*init_inputs = *resp_inputs = false;
	if (sc ? (req->oob || rsp->oob) : (req->oob && rsp->oob))
		return SMP_METHOD_OOB;
	if (!((req->auth_req | rsp->auth_req) & SMP_AUTH_MITM))
		return SMP_METHOD_JUST_WORKS;
	if (req->io_cap > 4 || rsp->io_cap > 4)
		return SMP_METHOD_JUST_WORKS;
	switch ((sc ? model_sc : model_legacy)[rsp->io_cap][req->io_cap]) {
	case PK_I:
		*init_inputs = true;
		return SMP_METHOD_PASSKEY;
	case PK_R:
		*resp_inputs = true;
		return SMP_METHOD_PASSKEY;
	case PK_B:
		*init_inputs = *resp_inputs = true;
		return SMP_METHOD_PASSKEY;
	case NC:
		return SMP_METHOD_NUMERIC;
	default:
		return SMP_METHOD_JUST_WORKS;
	}
}

/* ---- phase 1 ------------------------------------------------------------------------ */

static uint8_t check_params(const struct smp_pairing_params *x)
{
	if (x->io_cap > SMP_IO_KEYBOARD_DISPLAY || x->oob > 1 || x->max_key_size > 16)
		return SMP_ERR_INVALID_PARAMETERS;
	if (x->max_key_size < 7)
		return SMP_ERR_ENCRYPTION_KEY_SIZE;
	return 0;
}

static void wire7(const struct smp_pdu *pdu, uint8_t out[7])
{
	int n = smp_pdu_encode(pdu, out, SMP_PAIRING_PDU_LEN);
	if (n != SMP_PAIRING_PDU_LEN)
		memset(out, 0, SMP_PAIRING_PDU_LEN);
}

/* Both Pairing Request and Response are known: decide, check our policy and
 * the key size. */
static uint8_t negotiate(struct smp_pairing *p)
{
	const struct smp_pairing_params *q = &p->req, *r = &p->rsp;
	bool ii, ri;
	uint8_t ks = q->max_key_size < r->max_key_size ? q->max_key_size : r->max_key_size;
	if (ks < p->cfg.min_key_size || ks < 7)
		return SMP_ERR_ENCRYPTION_KEY_SIZE;
	p->key_size = ks;
	p->sc = (q->auth_req & r->auth_req & SMP_AUTH_SC) != 0;
	if (p->cfg.sc_only && !p->sc)
		return SMP_ERR_AUTH_REQUIREMENTS;
	p->method = smp_method_select(q, r, p->sc, &ii, &ri);
	/* Legacy OOB needs our TK; SC OOB with the peer holding our data needs
	 * the key pair that data was made with (expired or never made: the
	 * peer would fail our confirm). */
	if (p->method == SMP_METHOD_OOB && !p->sc && !p->cfg.oob_present)
		return SMP_ERR_OOB_NOT_AVAILABLE;
	if (p->method == SMP_METHOD_OOB && p->sc &&
	    (p->role == SMP_ROLE_INITIATOR ? r->oob : q->oob) && !p->cfg.sc_oob_local)
		return SMP_ERR_OOB_NOT_AVAILABLE;
	if (p->cfg.require_mitm && p->method == SMP_METHOD_JUST_WORKS)
		return SMP_ERR_AUTH_REQUIREMENTS;
	p->local_inputs = p->role == SMP_ROLE_INITIATOR ? ii : ri;
	p->local_displays = p->method == SMP_METHOD_PASSKEY && !p->local_inputs;
	p->keypress = p->method == SMP_METHOD_PASSKEY &&
		      (q->auth_req & r->auth_req & SMP_AUTH_KEYPRESS);
	memset(&p->keys, 0, sizeof p->keys);
	p->keys.sc = p->sc;
	p->keys.key_size = ks;
	p->keys.authenticated = p->method != SMP_METHOD_JUST_WORKS;
	p->keys.bonding = (q->auth_req & r->auth_req & SMP_AUTH_BONDING) != 0;
	return 0;
}

static uint8_t begin_phase2(struct smp_pairing *p)
{
	p->state = SMP_ST_PAIRING;
	if (p->sc)
		return smp_sc_begin(p);
	smp_legacy_begin(p);
	return 0;
}

/* Peripheral: the Pairing Response, once the peer's OOB data (if any) is
 * known. */
static uint8_t respond(struct smp_pairing *p)
{
	uint8_t rc;
	struct smp_pdu rsp = { .code = SMP_PAIRING_RESPONSE };
	bool sc = (p->req.auth_req & p->cfg.auth_req & SMP_AUTH_SC) != 0;
	rsp.pairing.io_cap = p->cfg.io_cap;
	rsp.pairing.oob = sc ? p->cfg.sc_oob_peer : p->cfg.oob_present;
	rsp.pairing.auth_req = p->cfg.auth_req & 0x3f;
	rsp.pairing.max_key_size = p->cfg.max_key_size;
	if (p->req.auth_req & p->cfg.auth_req & SMP_AUTH_BONDING) {
		rsp.pairing.init_key_dist = p->req.init_key_dist & p->cfg.init_key_dist & 0x07;
		rsp.pairing.resp_key_dist = p->req.resp_key_dist & p->cfg.resp_key_dist & 0x07;
	}
	p->rsp = rsp.pairing;
	wire7(&rsp, p->pres);
	if ((rc = negotiate(p)))
		return rc;
	smp_send(p, &rsp);
	return begin_phase2(p);
}

static uint8_t on_smp_pairing_request(struct smp_pairing *p, const struct smp_pdu *pdu)
{
	uint8_t rc;
	smp_reset(p);
	/* Started: the timer runs from the Pairing Request, and a refusal
	 * from here on is a failed pairing the user hears of. */
	p->state = SMP_ST_WAIT_RESPONSE;
	p->deadline = smp_now(p) + SMP_TIMEOUT_MS;
	if (p->cfg.pairing_disabled)
		return SMP_ERR_PAIRING_NOT_SUPPORTED;
	if (smp_now(p) < p->retry_at)
		return SMP_ERR_REPEATED_ATTEMPTS;
	if ((rc = check_params(&pdu->pairing)))
		return rc;
	p->req = pdu->pairing;
	wire7(pdu, p->preq);
	/* The central holds OOB data of ours and we hold none of its: the
	 * user may have it (the response waits for the answer). */
	bool sc = (p->req.auth_req & p->cfg.auth_req & SMP_AUTH_SC) != 0;
	if (p->req.oob && p->cfg.ask_oob && !(sc ? p->cfg.sc_oob_peer : p->cfg.oob_present)) {
		p->wait_user = SMP_WAIT_OOB;
		p->allowed = 0;
		smp_emit(p, SMP_EV_OOB_REQUEST)->value = sc;
		return 0;
	}
	return respond(p);
}

static uint8_t on_smp_pairing_response(struct smp_pairing *p, const struct smp_pdu *pdu)
{
	uint8_t rc;
	const struct smp_pairing_params *r = &pdu->pairing;
	if ((rc = check_params(r)))
		return rc;
	/* The responder may only take away keys, never add. */
	if ((r->init_key_dist & ~p->req.init_key_dist) || (r->resp_key_dist & ~p->req.resp_key_dist))
		return SMP_ERR_INVALID_PARAMETERS;
	p->rsp = *r;
	wire7(pdu, p->pres);
	if ((rc = negotiate(p)))
		return rc;
	return begin_phase2(p);
}

static uint8_t on_smp_pairing_failed(struct smp_pairing *p, const struct smp_pdu *pdu)
{
	/* Never answered; ends pairing. */
	struct smp_event *e = smp_emit(p, SMP_EV_FAILED);
	e->reason = pdu->reason;
	e->remote = true;
	/* The peer's verdict is not ours to count: Repeated Attempts guards
	 * the side that found a wrong value (the verifier, Vol 3 Part H
	 * 2.3.6). */
	smp_reset(p);
	return 0;
}

static uint8_t on_smp_security_request(struct smp_pairing *p, const struct smp_pdu *pdu)
{
	if (active(p))
		return 0; /* pairing already under way: ignored */
	if (smp_now(p) < p->retry_at)
		return SMP_ERR_REPEATED_ATTEMPTS;
	smp_emit(p, SMP_EV_SECURITY_REQUEST)->value = pdu->auth_req;
	return 0;
}

static uint8_t on_smp_keypress_notification(struct smp_pairing *p, const struct smp_pdu *pdu)
{
	if (pdu->notification > SMP_KEYPRESS_COMPLETED)
		return SMP_ERR_INVALID_PARAMETERS;
	smp_emit(p, SMP_EV_KEYPRESS)->value = pdu->notification;
	return 0;
}

static uint8_t on_smp_pairing_confirm(struct smp_pairing *p, const struct smp_pdu *pdu)
{
	return p->sc ? on_smp_sc_confirm(p, pdu) : on_smp_legacy_confirm(p, pdu);
}

static uint8_t on_smp_pairing_random(struct smp_pairing *p, const struct smp_pdu *pdu)
{
	return p->sc ? on_smp_sc_random(p, pdu) : on_smp_legacy_random(p, pdu);
}

/* ---- dispatch ---------------------------------------------------------------------------- */

#define FROM_INIT 1 /* the responder receives it */
#define FROM_RESP 2 /* the initiator receives it */
#define FROM_BOTH 3

static const struct smp_handler {
	uint8_t code;
	uint8_t len;
	uint8_t from;
	const char *name;
	uint8_t (*fn)(struct smp_pairing *p, const struct smp_pdu *pdu);
} handlers[] = {
	{ SMP_PAIRING_REQUEST, 7, FROM_INIT, "smp_pairing_request", on_smp_pairing_request },
	{ SMP_PAIRING_RESPONSE, 7, FROM_RESP, "smp_pairing_response", on_smp_pairing_response },
	{ SMP_PAIRING_CONFIRM, 17, FROM_BOTH, "smp_pairing_confirm", on_smp_pairing_confirm },
	{ SMP_PAIRING_RANDOM, 17, FROM_BOTH, "smp_pairing_random", on_smp_pairing_random },
	{ SMP_PAIRING_FAILED, 2, FROM_BOTH, "smp_pairing_failed", on_smp_pairing_failed },
	{ SMP_ENCRYPTION_INFORMATION, 17, FROM_BOTH, "smp_encryption_information", on_smp_key_pdu },
	{ SMP_CENTRAL_IDENTIFICATION, 11, FROM_BOTH, "smp_central_identification", on_smp_key_pdu },
	{ SMP_IDENTITY_INFORMATION, 17, FROM_BOTH, "smp_identity_information", on_smp_key_pdu },
	{ SMP_IDENTITY_ADDRESS_INFORMATION, 8, FROM_BOTH, "smp_identity_address_information",
	  on_smp_key_pdu },
	{ SMP_SIGNING_INFORMATION, 17, FROM_BOTH, "smp_signing_information", on_smp_key_pdu },
	{ SMP_SECURITY_REQUEST, 2, FROM_RESP, "smp_security_request", on_smp_security_request },
	{ SMP_PAIRING_PUBLIC_KEY, 65, FROM_BOTH, "smp_pairing_public_key", on_smp_pairing_public_key },
	{ SMP_PAIRING_DHKEY_CHECK, 17, FROM_BOTH, "smp_pairing_dhkey_check", on_smp_pairing_dhkey_check },
	{ SMP_KEYPRESS_NOTIFICATION, 2, FROM_BOTH, "smp_keypress_notification",
	  on_smp_keypress_notification },
};

static const struct smp_handler *lookup(uint8_t code)
{
	if (code == 0 || code > sizeof handlers / sizeof handlers[0])
		return NULL;
	return &handlers[code - 1]; /* sorted and dense from 0x01 */
}

/* PDUs accepted now, beyond p->allowed. */
static uint32_t always_allowed(const struct smp_pairing *p)
{
	uint32_t a = 0;
	if (active(p))
		a |= SMP_BIT(SMP_PAIRING_FAILED);
	if (p->role == SMP_ROLE_INITIATOR)
		a |= SMP_BIT(SMP_SECURITY_REQUEST);
	if (p->state == SMP_ST_PAIRING && p->keypress)
		a |= SMP_BIT(SMP_KEYPRESS_NOTIFICATION);
	return a;
}

void smp_pairing_on_pdu(struct smp_pairing *p, const uint8_t *buf, size_t len)
{
	struct smp_pdu pdu;
	if (expired(p))
		return;
	if (len == 0) {
		if (active(p))
			smp_fail(p, SMP_ERR_INVALID_PARAMETERS);
		return;
	}
	int rc = smp_pdu_decode(buf, len, &pdu);
	const struct smp_handler *h = lookup(buf[0]);
	if (!h || rc == -ENOTSUP) {
		smp_fail(p, SMP_ERR_COMMAND_NOT_SUPPORTED);
		return;
	}
	if (h->code == SMP_PAIRING_FAILED && !active(p))
		return; /* nothing to fail; never answer a Pairing Failed */
	if (rc < 0 || len != h->len) {
		smp_fail(p, SMP_ERR_INVALID_PARAMETERS);
		return;
	}
	uint32_t bit = SMP_BIT(h->code);
	bool ours = h->from & (p->role == SMP_ROLE_INITIATOR ? FROM_RESP : FROM_INIT);
	if (!ours) {
		smp_fail(p, SMP_ERR_COMMAND_NOT_SUPPORTED);
		return;
	}
	if (!((p->allowed | always_allowed(p)) & bit)) {
		smp_fail(p, SMP_ERR_UNSPECIFIED);
		return;
	}
	/* Received PDUs restart the timer too. */
	if (active(p))
		p->deadline = smp_now(p) + SMP_TIMEOUT_MS;
	uint8_t reason = h->fn(p, &pdu);
	if (reason)
		smp_fail(p, reason);
}

/* ---- calls from the shell ------------------------------------------------------------------ */

void smp_pairing_init(struct smp_pairing *p, enum smp_role role, const struct smp_config *cfg,
		      const struct smp_ops *ops, const struct smp_addr *local,
		      const struct smp_addr *peer)
{
	memset(p, 0, sizeof *p);
	p->role = role;
	p->cfg = *cfg;
	if (p->cfg.max_key_size < 7 || p->cfg.max_key_size > 16)
		p->cfg.max_key_size = 16;
	if (p->cfg.min_key_size < 7 || p->cfg.min_key_size > p->cfg.max_key_size)
		p->cfg.min_key_size = p->cfg.min_key_size < 7 ? 7 : p->cfg.max_key_size;
	if (p->cfg.io_cap > SMP_IO_KEYBOARD_DISPLAY)
		p->cfg.io_cap = SMP_IO_NO_INPUT_NO_OUTPUT;
	p->cfg.init_key_dist &= 0x07;
	p->cfg.resp_key_dist &= 0x07;
	p->ops = *ops;
	p->local = *local;
	p->peer = *peer;
	p->state = SMP_ST_IDLE;
	p->allowed = idle_allowed(p);
}

int smp_pairing_start(struct smp_pairing *p)
{
	if (expired(p))
		return -ETIMEDOUT;
	if (active(p))
		return -EBUSY;
	if (p->role == SMP_ROLE_RESPONDER) {
		struct smp_pdu sr = { .code = SMP_SECURITY_REQUEST, .auth_req = p->cfg.auth_req & 0x3f };
		smp_send(p, &sr);
		return 0;
	}
	if (smp_now(p) < p->retry_at)
		return -EBUSY;
	smp_reset(p);
	struct smp_pdu req = { .code = SMP_PAIRING_REQUEST };
	req.pairing.io_cap = p->cfg.io_cap;
	/* Offering SC: our flag says we hold the peer's SC OOB data; else a
	 * legacy TK. */
	req.pairing.oob = (p->cfg.auth_req & SMP_AUTH_SC) ? p->cfg.sc_oob_peer : p->cfg.oob_present;
	req.pairing.auth_req = p->cfg.auth_req & 0x3f;
	req.pairing.max_key_size = p->cfg.max_key_size;
	if (p->cfg.auth_req & SMP_AUTH_BONDING) {
		req.pairing.init_key_dist = p->cfg.init_key_dist;
		req.pairing.resp_key_dist = p->cfg.resp_key_dist;
	}
	p->req = req.pairing;
	wire7(&req, p->preq);
	p->state = SMP_ST_WAIT_RESPONSE;
	p->allowed = SMP_BIT(SMP_PAIRING_RESPONSE);
	smp_send(p, &req);
	return 0;
}

int smp_pairing_passkey_reply(struct smp_pairing *p, bool ok, uint32_t passkey)
{
	if (expired(p) || p->wait_user != SMP_WAIT_PASSKEY)
		return -EALREADY;
	p->wait_user = SMP_WAIT_NONE;
	if (!ok || passkey > 999999) {
		smp_fail(p, SMP_ERR_PASSKEY_ENTRY_FAILED);
		return 0;
	}
	p->passkey = passkey;
	uint8_t reason;
	if (p->sc) {
		reason = smp_sc_passkey_ready(p);
	} else {
		memset(p->tk, 0, 16);
		p->tk[12] = (uint8_t)(passkey >> 24);
		p->tk[13] = (uint8_t)(passkey >> 16);
		p->tk[14] = (uint8_t)(passkey >> 8);
		p->tk[15] = (uint8_t)passkey;
		smp_legacy_tk_ready(p);
		reason = 0;
	}
	if (reason)
		smp_fail(p, reason);
	return 0;
}

int smp_pairing_confirm_reply(struct smp_pairing *p, bool ok)
{
	if (expired(p) || p->wait_user != SMP_WAIT_CONFIRM)
		return -EALREADY;
	p->wait_user = SMP_WAIT_NONE;
	if (!ok) {
		smp_fail(p, p->method == SMP_METHOD_NUMERIC ? SMP_ERR_NUMERIC_COMPARISON_FAILED
							    : SMP_ERR_UNSPECIFIED);
		return 0;
	}
	if (p->sc) {
		uint8_t reason = smp_sc_user_confirmed(p);
		if (reason)
			smp_fail(p, reason);
	} else {
		smp_legacy_tk_ready(p);
	}
	return 0;
}

int smp_pairing_oob_reply(struct smp_pairing *p, bool ok, const uint8_t r[16],
			  const uint8_t c[16])
{
	if (expired(p) || p->wait_user != SMP_WAIT_OOB)
		return -EALREADY;
	p->wait_user = SMP_WAIT_NONE;
	bool sc = (p->req.auth_req & p->cfg.auth_req & SMP_AUTH_SC) != 0;
	if (ok && sc) {
		p->cfg.sc_oob_peer = true;
		memcpy(p->cfg.sc_oob_peer_r, r, 16);
		memcpy(p->cfg.sc_oob_peer_c, c, 16);
	} else if (ok) {
		p->cfg.oob_present = true;
		memcpy(p->cfg.oob_tk, r, 16);
	}
	uint8_t reason = respond(p);
	if (reason)
		smp_fail(p, reason);
	return 0;
}

int smp_pairing_keypress(struct smp_pairing *p, uint8_t type)
{
	if (expired(p) || !p->keypress || !p->local_inputs || p->state != SMP_ST_PAIRING ||
	    type > SMP_KEYPRESS_COMPLETED)
		return -EPERM;
	struct smp_pdu k = { .code = SMP_KEYPRESS_NOTIFICATION, .notification = type };
	smp_send(p, &k);
	return 0;
}

int smp_pairing_ltk_request(struct smp_pairing *p, uint64_t rand, uint16_t ediv)
{
	if (expired(p) || p->role != SMP_ROLE_RESPONDER || p->state != SMP_ST_WAIT_ENCRYPTION ||
	    rand != 0 || ediv != 0)
		return -ENOENT;
	struct smp_event *e = smp_emit(p, SMP_EV_LTK_REPLY);
	memcpy(e->key, p->stk, 16);
	e->key_size = p->key_size;
	return 0;
}

void smp_pairing_encryption_changed(struct smp_pairing *p, uint8_t status)
{
	if (expired(p) || p->state != SMP_ST_WAIT_ENCRYPTION)
		return;
	if (status) {
		smp_fail(p, SMP_ERR_UNSPECIFIED);
		return;
	}
	smp_keys_begin(p);
}
