/* Shared by the hive-vctrl tests (one test_vctrl binary, several files):
 * a radio driven directly with byte vectors ("rig"), and the packets its
 * controllers send to their hosts. */
#ifndef VCTRL_TEST_H
#define VCTRL_TEST_H

#include <criterion/criterion.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "../../controller/vctrl.h"
#include "../../controller/vctrl_codec.h"
#include "../../controller/vctrl_hci.h"

#define MS 1000000ull

/* Subevents 0x01..0x14 but Enhanced Connection Complete (bit 9). */
#define LE_MASK_ALL (0x00000000000FFFFFull & ~(1ull << 9))

struct rig {
	struct vctrl_radio *r;
	uint64_t now;
	uint8_t rng; /* LE Rand gives 00 01 02 ... */
};

/* One packet towards a host: b holds what follows the H4 indicator. */
struct pkt {
	uint8_t type;
	uint8_t b[1 + 4 + VCTRL_ACL_SIZE_MAX];
	size_t n;
};

int rig_counting_rand(void *arg, uint8_t *out, size_t n);
void rig_power_on(struct rig *g, unsigned i);
struct rig *rig_new_cfg(struct vctrl_config *cfg);
struct rig *rig_new(unsigned n, uint8_t acl_count);
void rig_free(struct rig *g);
void rig_cmd(struct rig *g, unsigned i, uint16_t op, const void *p, size_t n);
void rig_acl(struct rig *g, unsigned i, uint16_t handle, uint8_t pb, const void *p, size_t n);
void rig_tick(struct rig *g, unsigned ms);
size_t h4_split(const uint8_t *p, size_t len, struct pkt *out);
bool rig_pop(struct rig *g, unsigned i, struct pkt *out);
bool pkt_is_event(const struct pkt *k, uint8_t code, int sub);
const uint8_t *evt_params(const struct pkt *k);
uint16_t get_le16(const uint8_t *p);
uint8_t rig_expect_cc(struct rig *g, unsigned i, uint16_t op, uint8_t *ret, size_t *nret);
uint8_t rig_expect_cs(struct rig *g, unsigned i, uint16_t op);
void rig_ok(struct rig *g, unsigned i, uint16_t op, const void *p, size_t n);
bool rig_find_event(struct rig *g, unsigned i, uint8_t code, int sub, struct pkt *out);
void rig_drain(struct rig *g, unsigned i);
void rig_expect_nothing(struct rig *g, unsigned i);
void rig_le_mask(struct rig *g, unsigned i, uint64_t mask);
void rig_legacy_adv(struct rig *g, unsigned i, uint8_t type, const uint8_t *data, uint8_t len);
void rig_legacy_scan(struct rig *g, unsigned i, uint8_t active, uint8_t filter_dup);
void create_conn_params(uint8_t p[25], const uint8_t peer[6]);
void rig_link_up(struct rig *g, unsigned c, unsigned p, uint16_t *hc, uint16_t *hp);
void hex_in(const char *s, uint8_t *out, size_t n);
void reverse_bytes(uint8_t *p, size_t n);
void rig_expect_acl(struct rig *g, unsigned i, uint16_t handle, uint8_t pb, const uint8_t *data,
		    size_t n);
unsigned rig_expect_nocp(struct rig *g, unsigned i, uint16_t handle);

#endif
