/* The AD codec (byte-exact build, parse, truncated structures refused), the
 * accumulator merging advertisement and scan response, addresses (RPA with
 * the specification's ah() sample) and the device configuration file. */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../../actors/host/ad_codec.h"
#include "../../actors/host/gap_codec.h"
#include "../../actors/host/host_addr.h"
#include "../../actors/host/host_config.h"

Test(host_ad, build_is_byte_exact)
{
	struct ad_fields f;
	ad_fields_init(&f);
	f.has_flags = true;
	f.flags = 0x06;
	f.name.p = (const uint8_t *)"hive";
	f.name.len = 4;
	f.n_uuids = 2;
	f.uuids[0] = (struct ad_uuid){ 2, { 0x0d, 0x18 } };
	f.uuids[1] = (struct ad_uuid){ 2, { 0x0f, 0x18 } };
	f.has_appearance = true;
	f.appearance = 0x0340;
	f.has_tx_power = true;
	f.tx_power = -4;
	f.n_manuf = 1;
	f.manuf[0].company = 0x004c;
	f.manuf[0].data.p = (const uint8_t *)"\x01\x02";
	f.manuf[0].data.len = 2;
	uint8_t out[31];
	int n = ad_build(&f, out, sizeof out);
	const uint8_t want[] = { 2, 0x01, 0x06, 5, 0x09, 'h', 'i', 'v', 'e', 5, 0x03, 0x0d, 0x18,
				 0x0f, 0x18, 3, 0x19, 0x40, 0x03, 2, 0x0a, 0xfc, 5, 0xff, 0x4c,
				 0x00, 0x01, 0x02 };
	cr_assert_eq(n, (int)sizeof want);
	cr_assert_eq(memcmp(out, want, sizeof want), 0);

	/* Parse it back. */
	struct ad_fields g;
	ad_fields_init(&g);
	cr_assert_eq(ad_parse(out, (size_t)n, &g), 0);
	cr_assert(g.has_flags && g.flags == 6);
	cr_assert_eq(g.name.len, 4);
	cr_assert_eq(memcmp(g.name.p, "hive", 4), 0);
	cr_assert_eq(g.n_uuids, 2);
	cr_assert_eq(g.uuids[1].b[0], 0x0f);
	cr_assert_eq(g.appearance, 0x0340);
	cr_assert_eq(g.tx_power, -4);
	cr_assert_eq(g.n_manuf, 1);
	cr_assert_eq(g.manuf[0].company, 0x004c);
	cr_assert_eq(g.manuf[0].data.len, 2);
}

Test(host_ad, long_name_is_shortened_and_too_much_is_refused)
{
	struct ad_fields f;
	ad_fields_init(&f);
	f.has_flags = true;
	f.flags = 0x06;
	const char *name = "a name much longer than thirty-one bytes";
	f.name.p = (const uint8_t *)name;
	f.name.len = (uint8_t)strlen(name);
	uint8_t out[31];
	int n = ad_build(&f, out, sizeof out);
	cr_assert_eq(n, 31);
	cr_assert_eq(out[3], 27);
	cr_assert_eq(out[4], AD_NAME_SHORT);
	cr_assert_eq(memcmp(out + 5, name, 26), 0);

	ad_fields_init(&f);
	f.n_uuids = 2;
	f.uuids[0].len = f.uuids[1].len = 16;
	cr_assert_eq(ad_build(&f, out, sizeof out), -EMSGSIZE);
}

Test(host_ad, service_data_and_uuid128)
{
	struct ad_fields f;
	ad_fields_init(&f);
	f.n_svc = 1;
	f.svc[0].uuid = (struct ad_uuid){ 2, { 0xaa, 0xfe } };
	f.svc[0].data.p = (const uint8_t *)"\x10\x00";
	f.svc[0].data.len = 2;
	f.n_uuids = 1;
	f.uuids[0].len = 16;
	for (int i = 0; i < 16; i++)
		f.uuids[0].b[i] = (uint8_t)i;
	uint8_t out[31];
	int n = ad_build(&f, out, sizeof out);
	cr_assert_eq(n, 18 + 6);
	cr_assert_eq(out[0], 17);
	cr_assert_eq(out[1], AD_UUID128_COMPLETE);
	cr_assert_eq(out[18], 5);
	cr_assert_eq(out[19], AD_SERVICE_DATA16);
	cr_assert_eq(out[20], 0xaa);
	struct ad_fields g;
	ad_fields_init(&g);
	cr_assert_eq(ad_parse(out, (size_t)n, &g), 0);
	cr_assert_eq(g.n_svc, 1);
	cr_assert_eq(g.svc[0].data.len, 2);
	cr_assert_eq(g.uuids[0].len, 16);
}

Test(host_ad, truncated_and_malformed_structures_are_refused)
{
	const uint8_t good[] = { 2, 0x01, 0x06, 3, 0x19, 0x40, 0x03, 3, 0x03, 0x0d, 0x18 };
	struct ad_fields f;
	/* Every truncation that cuts a structure fails. */
	for (size_t n = 1; n < sizeof good; n++) {
		ad_fields_init(&f);
		int rc = ad_parse(good, n, &f);
		bool boundary = n == 3 || n == 7;
		cr_assert_eq(rc, boundary ? 0 : -EBADMSG, "length %zu", n);
	}
	ad_fields_init(&f);
	cr_assert_eq(ad_parse((const uint8_t[]){ 2, 0x19, 0x40 }, 3, &f), -EBADMSG);
	cr_assert_eq(ad_parse((const uint8_t[]){ 4, 0x03, 1, 2, 3 }, 5, &f), -EBADMSG);
	cr_assert_eq(ad_parse((const uint8_t[]){ 2, 0xff, 0x4c }, 3, &f), -EBADMSG);
	cr_assert_eq(ad_parse((const uint8_t[]){ 1, 0x0a }, 2, &f), -EBADMSG);
	/* Zero padding ends the data. */
	ad_fields_init(&f);
	cr_assert_eq(ad_parse((const uint8_t[]){ 2, 0x01, 0x06, 0, 0, 0 }, 6, &f), 0);
	cr_assert(f.has_flags);
}

static struct ad_report_in rep(uint8_t type, uint8_t last, const void *data, uint8_t len)
{
	struct ad_report_in r = { .event_type = type, .addr_type = 1, .data = data, .len = len,
				  .rssi = -50 };
	memcpy(r.addr, (uint8_t[]){ 1, 2, 3, 4, 5, last }, 6);
	return r;
}

Test(host_ad, accumulator_merges_advertisement_and_scan_response)
{
	struct ad_acc acc;
	ad_acc_init(&acc, false);
	const uint8_t adv[] = { 2, 0x01, 0x06 };
	const uint8_t rsp[] = { 5, 0x09, 'h', 'i', 'v', 'e' };
	struct ad_report_in r = rep(AD_EVT_ADV_IND, 0xc0, adv, sizeof adv);
	cr_assert_null(ad_acc_update(&acc, &r), "a scannable one waits for its response");
	/* Another device, not scannable: reported at once. */
	struct ad_report_in other = rep(AD_EVT_ADV_NONCONN_IND, 0xc1, adv, sizeof adv);
	const struct ad_entry *e = ad_acc_update(&acc, &other);
	cr_assert_not_null(e);
	cr_assert(!e->has_rsp && !ad_entry_connectable(e));
	r = rep(AD_EVT_SCAN_RSP, 0xc0, rsp, sizeof rsp);
	r.rssi = -40;
	e = ad_acc_update(&acc, &r);
	cr_assert_not_null(e);
	cr_assert(e->has_rsp && ad_entry_connectable(e));
	cr_assert_eq(e->rssi, -40);
	struct ad_fields f;
	ad_fields_init(&f);
	cr_assert_eq(ad_parse(e->adv, e->adv_len, &f), 0);
	cr_assert_eq(ad_parse(e->rsp, e->rsp_len, &f), 0);
	cr_assert(f.has_flags);
	cr_assert_eq(f.name.len, 4);
	/* A response for a device never seen is not reported. */
	r = rep(AD_EVT_SCAN_RSP, 0xc7, rsp, sizeof rsp);
	cr_assert_null(ad_acc_update(&acc, &r));
	/* The same advertisement again: merged with the response kept. */
	r = rep(AD_EVT_ADV_IND, 0xc0, adv, sizeof adv);
	e = ad_acc_update(&acc, &r);
	cr_assert(e && e->has_rsp);
	/* A device whose response never comes is reported in the end. */
	r = rep(AD_EVT_ADV_SCAN_IND, 0xc2, adv, sizeof adv);
	cr_assert_null(ad_acc_update(&acc, &r));
	e = ad_acc_take_pending(&acc);
	cr_assert(e && e->addr[5] == 0xc2 && !e->has_rsp);
	cr_assert_null(ad_acc_take_pending(&acc));
}

Test(host_ad, accumulator_passive_reports_at_once_and_evicts)
{
	struct ad_acc acc;
	ad_acc_init(&acc, true);
	const uint8_t adv[] = { 2, 0x01, 0x06 };
	for (unsigned i = 0; i < AD_ACC_MAX + 5; i++) {
		struct ad_report_in r = rep(AD_EVT_ADV_IND, (uint8_t)i, adv, sizeof adv);
		cr_assert_not_null(ad_acc_update(&acc, &r));
	}
}

struct report_ctx {
	int *calls;
	struct ad_report_in *got;
};

static void fn(void *arg, const struct ad_report_in *r)
{
	struct report_ctx *x = arg;
	x->got[(*x->calls)++] = *r;
}

Test(host_ad, advertising_report_is_parsed_and_checked)
{
	uint8_t ev[] = { 2, 0x00, 0x01, 1, 2, 3, 4, 5, 0xc6, 3, 2, 1, 6, 0xd0,
			 0x04, 0x00, 9, 8, 7, 6, 5, 4, 0, 0xc4 };
	int calls = 0;
	struct ad_report_in got[2];
	struct report_ctx c = { &calls, got };
	cr_assert_eq(gap_parse_adv_report(ev, sizeof ev, fn, &c), 2);
	cr_assert_eq(calls, 2);
	cr_assert_eq(got[0].len, 3);
	cr_assert_eq(got[0].rssi, -48);
	cr_assert_eq(got[1].event_type, AD_EVT_SCAN_RSP);
	cr_assert_eq(got[1].len, 0);
	for (size_t n = 0; n < sizeof ev; n++)
		cr_assert_lt(gap_parse_adv_report(ev, n, fn, &c), 0, "length %zu", n);
	cr_assert_eq(calls, 2);
}

Test(host_ad, rpa_from_the_specification_sample)
{
	/* Core Vol 3 Part H D.7: IRK ec0234a357c8ad05341010a60a397d9b,
	 * prand 708194 -> hash 0dfbaa (most significant octet first). */
	const uint8_t irk_msb[16] = { 0xec, 0x02, 0x34, 0xa3, 0x57, 0xc8, 0xad, 0x05,
				      0x34, 0x10, 0x10, 0xa6, 0x0a, 0x39, 0x7d, 0x9b };
	uint8_t irk[16];
	for (int i = 0; i < 16; i++)
		irk[i] = irk_msb[15 - i];
	uint8_t a[6];
	cr_assert_eq(host_addr_make_rpa(irk, (const uint8_t[]){ 0x94, 0x81, 0x70 }, a), 0);
	char s[HOST_ADDR_STR];
	host_addr_format(a, s);
	cr_assert_str_eq(s, "70:81:94:0D:FB:AA");
	cr_assert(host_addr_is_rpa(a));
	cr_assert(host_addr_resolve(irk, a));
	a[0] ^= 1;
	cr_assert(!host_addr_resolve(irk, a));
}

Test(host_ad, addresses_parse_and_static_generation)
{
	uint8_t a[6];
	bool pub;
	cr_assert_eq(host_addr_parse("C0:98:E5:49:00:01", a, &pub), 0);
	cr_assert(!pub && a[0] == 0x01 && a[5] == 0xc0);
	cr_assert_eq(host_addr_parse("00:11:22:33:44:55/P", a, &pub), 0);
	cr_assert(pub);
	cr_assert_eq(host_addr_parse("00:11:22:33:44", a, &pub), -EINVAL);
	cr_assert_eq(host_addr_parse("00:11:22:33:44:55x", a, &pub), -EINVAL);
	host_addr_make_static((const uint8_t[]){ 0, 0, 0, 0, 0, 0 }, a);
	cr_assert(host_addr_is_static(a));
	cr_assert_neq(a[0] | a[1] | a[2] | a[3] | a[4] | (a[5] & 0x3f), 0);
}

static char *write_tmp(const char *text)
{
	char *path = strdup("/tmp/hive-host-config-XXXXXX");
	int fd = mkstemp(path);
	cr_assert_geq(fd, 0);
	cr_assert_eq(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
	return path;
}

Test(host_ad, config_reads_bumble_keys_and_names_bad_ones)
{
	char *path = write_tmp("{\"name\": \"Bumble\", \"address\": \"F0:F1:F2:F3:F4:F5\", "
			       "\"advertising_interval\": 200, \"irk\": "
			       "\"865F81FF5A8B486EAAE29A27AD9F77DC\", \"keystore\": \"JsonKeyStore\", "
			       "\"class_of_device\": 2376708}");
	struct host_config c;
	char err[256] = "";
	cr_assert_eq(host_config_load(&c, path, err, sizeof err), 0, "%s", err);
	cr_assert_str_eq(c.name, "Bumble");
	cr_assert(c.has_address && !c.address_public && c.address[5] == 0xf0);
	cr_assert_eq(c.adv_interval_ms, 200);
	cr_assert(c.has_irk && c.irk[0] == 0x86 && c.irk[15] == 0xdc);
	cr_assert_str_eq(c.keystore, "JsonKeyStore");
	unlink(path);
	free(path);

	path = write_tmp("{\"name\": \"x\", \"advertising_interval\": \"fast\"}");
	cr_assert_eq(host_config_load(&c, path, err, sizeof err), -EINVAL);
	cr_assert(strstr(err, path) && strstr(err, "advertising_interval"), "%s", err);
	unlink(path);
	free(path);

	path = write_tmp("{\"address\": \"00:11:22:33:44:55\"}");
	cr_assert_eq(host_config_load(&c, path, err, sizeof err), -EINVAL);
	cr_assert(strstr(err, "random static"), "%s", err);
	unlink(path);
	free(path);

	path = write_tmp("{\"name\": ");
	cr_assert_eq(host_config_load(&c, path, err, sizeof err), -EINVAL);
	cr_assert(strstr(err, path), "%s", err);
	unlink(path);
	free(path);
}

Test(host_ad, config_store_keeps_other_keys)
{
	char *path = write_tmp("{\"name\": \"keep\", \"own_address_type\": \"random\"}");
	char err[256] = "";
	cr_assert_eq(host_config_store(path, "address", "C1:02:03:04:05:06", err, sizeof err), 0,
		     "%s", err);
	struct host_config c;
	cr_assert_eq(host_config_load(&c, path, err, sizeof err), 0, "%s", err);
	cr_assert_str_eq(c.name, "keep");
	cr_assert_eq(c.own, HOST_OWN_RANDOM);
	cr_assert(c.has_address && c.address[0] == 0x06);
	unlink(path);
	free(path);
}
