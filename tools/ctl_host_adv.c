/* hive-ctl advertise: legacy or extended advertising (long data, another
 * PHY) through the host actor. */
#include <stdio.h>
#include <string.h>

#include "ctl_host.h"

int parse_phy(const char *s)
{
	if (!strcmp(s, "1m"))
		return 1;
	if (!strcmp(s, "2m"))
		return 2;
	if (!strcmp(s, "coded"))
		return 3;
	return 0;
}

int ctl_cmd_advertise(struct ctl *c, int argc, char **argv)
{
	const char *cmd = "advertise";
	Hive__Request req = HIVE__REQUEST__INIT;
	struct call k;
	if (argc == 2 && !strcmp(argv[1], "off")) {
		Hive__StopAdvertising s = HIVE__STOP_ADVERTISING__INIT;
		req.op_case = HIVE__REQUEST__OP_STOP_ADVERTISING;
		req.stop_advertising = &s;
		int rc = call(c, cmd, &req, 0, &k);
		if (rc == 0) {
			ok_json(c, cmd);
			if (!c->json)
				printf("advertising stopped\n");
		}
		call_free(&k);
		return rc;
	}
	Hive__Advertise adv = HIVE__ADVERTISE__INIT;
	Hive__AdvertisingData data = HIVE__ADVERTISING_DATA__INIT, rsp = HIVE__ADVERTISING_DATA__INIT;
	uint8_t uuids[16][16], manuf[256];
	static uint8_t raw[1650];
	size_t raw_len;
	ProtobufCBinaryData ub[16];
	Hive__ManufacturerData md = HIVE__MANUFACTURER_DATA__INIT, *mdp = &md;
	bool fields = false;
	unsigned long v;
	adv.connectable = true;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i], *val = i + 1 < argc ? argv[i + 1] : NULL;
		if (!strcmp(a, "--connectable")) {
			adv.connectable = true;
		} else if (!strcmp(a, "--non-connectable")) {
			adv.connectable = false;
		} else if (!strcmp(a, "--name") && val) {
			rsp.name = (char *)val;
			adv.scan_response = &rsp;
			i++;
		} else if (!strcmp(a, "--interval") && val) {
			if (parse_uint(val, 10240, &v) < 0 || v < 20)
				return ctl_fail(c, cmd, "--interval %s: milliseconds 20..10240", val);
			adv.interval_ms = (uint32_t)v;
			i++;
		} else if (!strcmp(a, "--uuid") && val) {
			size_t n;
			if (data.n_uuids == 16 || parse_uuid(val, uuids[data.n_uuids], &n) < 0)
				return ctl_fail(c, cmd, "--uuid %s: expected 16, 32 or 128-bit UUID",
						val);
			ub[data.n_uuids].data = uuids[data.n_uuids];
			ub[data.n_uuids].len = n;
			data.n_uuids++;
			fields = true;
			i++;
		} else if (!strcmp(a, "--extended")) {
			adv.extended = true;
		} else if (!strcmp(a, "--phy") && val) {
			if (!(adv.phy = (uint32_t)parse_phy(val)))
				return ctl_fail(c, cmd, "--phy %s: expected 1m, 2m or coded", val);
			i++;
		} else if (!strcmp(a, "--data") && val) {
			if (parse_hex(val, raw, sizeof raw, &raw_len) < 0 || !raw_len)
				return ctl_fail(c, cmd, "--data %s: the advertising data as hex, "
						"at most 1650 bytes", val);
			adv.raw_data.data = raw;
			adv.raw_data.len = raw_len;
			i++;
		} else if (!strcmp(a, "--manufacturer") && val) {
			size_t n;
			if (parse_hex(val, manuf, sizeof manuf, &n) < 0 || n < 2)
				return ctl_fail(c, cmd, "--manufacturer %s: hex of the company id "
						"(little-endian) and the data", val);
			md.company = (uint32_t)(manuf[0] | manuf[1] << 8);
			md.data.data = manuf + 2;
			md.data.len = n - 2;
			data.n_manufacturer = 1;
			data.manufacturer = &mdp;
			fields = true;
			i++;
		} else {
			return ctl_fail(c, cmd, "usage: advertise [--name NAME] [--connectable|"
					"--non-connectable] [--interval MS] [--uuid UUID]... "
					"[--manufacturer HEX] [--data HEX] [--extended] "
					"[--phy 1m|2m|coded] | advertise off");
		}
	}
	data.uuids = ub;
	if (fields || rsp.name)
		adv.data = &data; /* the host adds the flags */
	req.op_case = HIVE__REQUEST__OP_ADVERTISE;
	req.advertise = &adv;
	int rc = call(c, cmd, &req, 0, &k);
	if (rc == 0) {
		const Hive__AdvertiseResult *ar = k.final->advertise;
		char t[18];
		addr_text(ar ? ar->own : NULL, t);
		if (c->json)
			ctl_print_json(json_pack("{s:s, s:b, s:s, s:s, s:b, s:b}", "command", cmd,
						 "ok", 1, "address", t, "type",
						 addr_type_name(ar && ar->own ? (int)ar->own->type : -1),
						 "connectable", adv.connectable, "extended_commands",
						 ar && ar->extended));
		else
			printf("advertising as %s (%s)%s%s\n", t,
			       addr_type_name(ar && ar->own ? (int)ar->own->type : -1),
			       adv.connectable ? ", connectable" : "",
			       ar && ar->extended ? ", extended commands" : "");
	}
	call_free(&k);
	return rc;
}

