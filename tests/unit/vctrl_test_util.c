/* hive-vctrl tests: the rig (a radio driven directly) and its helpers. */
#include <stdio.h>
#include <stdlib.h>

#include "hive.h"
#include "vctrl_test.h"

int rig_counting_rand(void *arg, uint8_t *out, size_t n)
{
	uint8_t *next = arg;
	for (size_t i = 0; i < n; i++)
		out[i] = (*next)++;
	return 0;
}

/* A host attaches and sets its event mask as hosts do: events up to
 * Encryption Key Refresh Complete (bit 47) and the LE Meta event (bit 61),
 * which the default mask leaves out. */
void rig_power_on(struct rig *g, unsigned i)
{
	vctrl_host_attach(g->r, i, g->now);
	uint8_t b[3 + 8] = { 0x01, 0x0C, 8, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x00, 0x20 };
	vctrl_on_packet(g->r, i, H4_CMD, b, sizeof b, g->now);
	vctrl_outbox_consume(g->r, i, SIZE_MAX);
}

struct rig *rig_new_cfg(struct vctrl_config *cfg)
{
	/* The rig's malformed input is deliberate: keep its warnings out of the
	 * test output unless someone is debugging (HIVE_LOG=debug). */
	if (hive_log_threshold() < HIVE_LOG_DEBUG)
		hive_log_set_threshold(HIVE_LOG_ERROR);
	struct rig *g = calloc(1, sizeof *g);
	cr_assert_not_null(g);
	cfg->rand = rig_counting_rand;
	cfg->rand_arg = &g->rng;
	cr_assert_eq(vctrl_radio_new(&g->r, cfg), 0);
	g->now = 1000 * MS;
	for (unsigned i = 0; i < cfg->count; i++)
		rig_power_on(g, i);
	return g;
}

struct rig *rig_new(unsigned n, uint8_t acl_count)
{
	struct vctrl_config cfg;
	vctrl_config_default(&cfg);
	cfg.count = n;
	cfg.acl_count = acl_count;
	cfg.adv_min_period_ns = 10 * MS;
	return rig_new_cfg(&cfg);
}

void rig_free(struct rig *g)
{
	vctrl_radio_destroy(&g->r);
	cr_assert_null(g->r);
	vctrl_radio_destroy(&g->r); /* idempotent */
	free(g);
}

void rig_cmd(struct rig *g, unsigned i, uint16_t op, const void *p, size_t n)
{
	uint8_t b[3 + 255];
	cr_assert(n <= 255);
	b[0] = (uint8_t)op;
	b[1] = (uint8_t)(op >> 8);
	b[2] = (uint8_t)n;
	if (n)
		memcpy(b + 3, p, n);
	vctrl_on_packet(g->r, i, H4_CMD, b, 3 + n, g->now);
}

void rig_acl(struct rig *g, unsigned i, uint16_t handle, uint8_t pb, const void *p, size_t n)
{
	uint8_t b[4 + VCTRL_ACL_SIZE_MAX];
	b[0] = (uint8_t)handle;
	b[1] = (uint8_t)((handle >> 8) | pb << 4);
	b[2] = (uint8_t)n;
	b[3] = (uint8_t)(n >> 8);
	memcpy(b + 4, p, n);
	vctrl_on_packet(g->r, i, H4_ACL, b, 4 + n, g->now);
}

void rig_tick(struct rig *g, unsigned ms)
{
	g->now += ms * MS;
	vctrl_tick(g->r, g->now);
}

/* Splits the next packet off the front of an H4 byte stream. Returns its
 * total length, 0 when incomplete; fails the test on a malformed stream. */
size_t h4_split(const uint8_t *p, size_t len, struct pkt *out)
{
	if (len < 1)
		return 0;
	size_t need;
	if (p[0] == H4_EVT) {
		if (len < 3)
			return 0;
		need = 3 + (size_t)p[2];
	} else {
		cr_assert_eq(p[0], H4_ACL, "packet type 0x%02x towards a host", p[0]);
		if (len < 5)
			return 0;
		need = 5 + (size_t)(p[3] | p[4] << 8);
	}
	if (len < need)
		return 0;
	out->type = p[0];
	out->n = need - 1;
	memcpy(out->b, p + 1, out->n);
	return need;
}

bool rig_pop(struct rig *g, unsigned i, struct pkt *out)
{
	size_t len;
	const uint8_t *p = vctrl_outbox(g->r, i, &len);
	size_t n = h4_split(p, len, out);
	if (!n) {
		cr_assert_eq(len, 0, "ctrl%u outbox ends with a partial packet", i);
		return false;
	}
	vctrl_outbox_consume(g->r, i, n);
	return true;
}

bool pkt_is_event(const struct pkt *k, uint8_t code, int sub)
{
	return k->type == H4_EVT && k->b[0] == code &&
	       (sub < 0 || (code == HCI_EV_LE_META && k->n > 2 && k->b[2] == sub));
}

/* Parameters of an event (after code and length; for LE Meta after the
 * subevent code). */
const uint8_t *evt_params(const struct pkt *k)
{
	return k->b[0] == HCI_EV_LE_META ? k->b + 3 : k->b + 2;
}

uint16_t get_le16(const uint8_t *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}

/* The next packet must be Command Complete for op: returns the status, and
 * the return parameters after it. */
uint8_t rig_expect_cc(struct rig *g, unsigned i, uint16_t op, uint8_t *ret, size_t *nret)
{
	struct pkt k;
	cr_assert(rig_pop(g, i, &k), "ctrl%u: no answer to 0x%04x", i, op);
	cr_assert(pkt_is_event(&k, HCI_EV_COMMAND_COMPLETE, -1),
		  "ctrl%u: expected Command Complete for 0x%04x, got type %u event 0x%02x", i, op,
		  k.type, k.b[0]);
	cr_assert_geq(k.b[1], 4);
	cr_assert_eq(k.b[2], 1, "Num_HCI_Command_Packets");
	cr_assert_eq(get_le16(k.b + 3), op, "Command Complete for 0x%04x, expected 0x%04x",
		     get_le16(k.b + 3), op);
	if (ret) {
		*nret = k.b[1] - 4;
		memcpy(ret, k.b + 6, *nret);
	}
	return k.b[5];
}

uint8_t rig_expect_cs(struct rig *g, unsigned i, uint16_t op)
{
	struct pkt k;
	cr_assert(rig_pop(g, i, &k), "ctrl%u: no answer to 0x%04x", i, op);
	cr_assert(pkt_is_event(&k, HCI_EV_COMMAND_STATUS, -1),
		  "ctrl%u: expected Command Status for 0x%04x, got event 0x%02x", i, op, k.b[0]);
	cr_assert_eq(k.b[1], 4);
	cr_assert_eq(get_le16(k.b + 4), op);
	cr_assert_eq(k.b[3], 1, "Num_HCI_Command_Packets");
	return k.b[2];
}

/* Sends a command and checks it succeeded (Command Complete or Status). */
void rig_ok(struct rig *g, unsigned i, uint16_t op, const void *p, size_t n)
{
	rig_cmd(g, i, op, p, n);
	struct pkt k;
	cr_assert(rig_pop(g, i, &k), "ctrl%u: no answer to 0x%04x", i, op);
	cr_assert(k.type == H4_EVT, "ctrl%u: ACL before the answer to 0x%04x", i, op);
	if (k.b[0] == HCI_EV_COMMAND_COMPLETE) {
		cr_assert_eq(get_le16(k.b + 3), op);
		cr_assert_eq(k.b[5], 0, "ctrl%u: 0x%04x failed with 0x%02x", i, op, k.b[5]);
	} else {
		cr_assert_eq(k.b[0], HCI_EV_COMMAND_STATUS, "ctrl%u: event 0x%02x before the answer "
			     "to 0x%04x", i, k.b[0], op);
		cr_assert_eq(get_le16(k.b + 4), op);
		cr_assert_eq(k.b[2], 0, "ctrl%u: 0x%04x failed with 0x%02x", i, op, k.b[2]);
	}
}

/* Pops packets until the wanted event; false when the outbox runs dry. */
bool rig_find_event(struct rig *g, unsigned i, uint8_t code, int sub, struct pkt *out)
{
	while (rig_pop(g, i, out))
		if (pkt_is_event(out, code, sub))
			return true;
	return false;
}

void rig_drain(struct rig *g, unsigned i)
{
	vctrl_outbox_consume(g->r, i, SIZE_MAX);
}

void rig_expect_nothing(struct rig *g, unsigned i)
{
	size_t len;
	vctrl_outbox(g->r, i, &len);
	cr_assert_eq(len, 0, "ctrl%u: %zu unexpected bytes for the host", i, len);
}

void rig_le_mask(struct rig *g, unsigned i, uint64_t mask)
{
	uint8_t m[8];
	for (int k = 0; k < 8; k++)
		m[k] = (uint8_t)(mask >> (8 * k));
	rig_ok(g, i, HCI_LE_SET_EVENT_MASK, m, 8);
}

void rig_legacy_adv(struct rig *g, unsigned i, uint8_t type, const uint8_t *data, uint8_t len)
{
	uint8_t p[15] = { 0x20, 0x00, 0x20, 0x00, type, 0, 0, 0, 0, 0, 0, 0, 0, 7, 0 };
	rig_ok(g, i, HCI_LE_SET_ADVERTISING_PARAMETERS, p, sizeof p);
	uint8_t d[32] = { len };
	if (len)
		memcpy(d + 1, data, len);
	rig_ok(g, i, HCI_LE_SET_ADVERTISING_DATA, d, sizeof d);
	rig_ok(g, i, HCI_LE_SET_ADVERTISING_ENABLE, (uint8_t[]){ 1 }, 1);
}

void rig_legacy_scan(struct rig *g, unsigned i, uint8_t active, uint8_t filter_dup)
{
	uint8_t p[7] = { active, 0x10, 0x00, 0x10, 0x00, 0, 0 };
	rig_ok(g, i, HCI_LE_SET_SCAN_PARAMETERS, p, sizeof p);
	rig_ok(g, i, HCI_LE_SET_SCAN_ENABLE, (uint8_t[]){ 1, filter_dup }, 2);
}

void create_conn_params(uint8_t p[25], const uint8_t peer[6])
{
	uint8_t t[25] = { 0x10, 0, 0x10, 0, 0, 0 /* public */, 0, 0, 0, 0, 0, 0, 0 /* own public */,
			  0x18, 0, 0x28, 0, 0, 0, 0x2A, 0, 0, 0, 0, 0 };
	memcpy(t + 6, peer, 6);
	memcpy(p, t, 25);
}

/* Central c connects to peripheral p (legacy advertising and LE Create
 * Connection); returns both handles. */
void rig_link_up(struct rig *g, unsigned c, unsigned p, uint16_t *hc, uint16_t *hp)
{
	rig_legacy_adv(g, p, HCI_ADV_IND, (const uint8_t *)"\x02\x01\x06", 3);
	uint8_t peer[6], cp[25];
	vctrl_public_address(g->r, p, peer);
	create_conn_params(cp, peer);
	rig_ok(g, c, HCI_LE_CREATE_CONNECTION, cp, sizeof cp);
	rig_tick(g, 30);
	struct pkt k;
	cr_assert(rig_find_event(g, c, HCI_EV_LE_META, HCI_LE_CONNECTION_COMPLETE, &k),
		  "no connection complete on the central");
	cr_assert_eq(evt_params(&k)[0], 0);
	cr_assert_eq(evt_params(&k)[3], HCI_ROLE_CENTRAL);
	*hc = get_le16(evt_params(&k) + 1);
	cr_assert(rig_find_event(g, p, HCI_EV_LE_META, HCI_LE_CONNECTION_COMPLETE, &k),
		  "no connection complete on the peripheral");
	cr_assert_eq(evt_params(&k)[0], 0);
	cr_assert_eq(evt_params(&k)[3], HCI_ROLE_PERIPHERAL);
	*hp = get_le16(evt_params(&k) + 1);
	rig_drain(g, c);
	rig_drain(g, p);
}

void hex_in(const char *s, uint8_t *out, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		unsigned v;
		cr_assert_eq(sscanf(s + 2 * i, "%2x", &v), 1);
		out[i] = (uint8_t)v;
	}
}

void reverse_bytes(uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n / 2; i++) {
		uint8_t t = p[i];
		p[i] = p[n - 1 - i];
		p[n - 1 - i] = t;
	}
}

/* Pops the next ACL packet for a host. */
void rig_expect_acl(struct rig *g, unsigned i, uint16_t handle, uint8_t pb, const uint8_t *data,
		       size_t n)
{
	struct pkt k;
	cr_assert(rig_pop(g, i, &k), "ctrl%u: no ACL data", i);
	cr_assert_eq(k.type, H4_ACL, "ctrl%u: event 0x%02x instead of ACL", i, k.b[0]);
	cr_assert_eq(get_le16(k.b) & 0x0FFF, handle);
	cr_assert_eq(get_le16(k.b) >> 12 & 3, pb, "packet boundary flag");
	cr_assert_eq(get_le16(k.b + 2), n);
	cr_assert_arr_eq(k.b + 4, data, n);
}

/* Pops Number Of Completed Packets and returns the count for handle. */
unsigned rig_expect_nocp(struct rig *g, unsigned i, uint16_t handle)
{
	struct pkt k;
	cr_assert(rig_pop(g, i, &k), "ctrl%u: no Number Of Completed Packets", i);
	cr_assert(pkt_is_event(&k, HCI_EV_NUMBER_OF_COMPLETED_PACKETS, -1), "ctrl%u: event 0x%02x", i,
		  k.b[0]);
	cr_assert_eq(k.b[2], 1);
	cr_assert_eq(get_le16(k.b + 3), handle);
	return get_le16(k.b + 5);
}
