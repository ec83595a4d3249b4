/* hive-demo's steps, one function each: what the central and the
 * peripheral are asked, and the progress line that says what happened. */
#include <stdio.h>
#include <string.h>

#include "demo.h"

/* ---- the steps ------------------------------------------------------------------------ */

static int step_start(struct demo *d)
{
	d->step = 1;
	if (demo_find_root(d) < 0)
		return -1;
	int n = demo_start_vctrl(d);
	if (n < 0)
		return -1;
	if (demo_start_graph(d, &d->p) < 0 || demo_start_graph(d, &d->c) < 0 ||
	    demo_proc_wait_ready(&d->p.launch, READY_TIMEOUT_MS, NULL, 0) < 0 ||
	    demo_proc_wait_ready(&d->c.launch, READY_TIMEOUT_MS, NULL, 0) < 0)
		return demo_fail(d, "a graph did not start (see its log above)");
	if (demo_join_graph(d, &d->p) < 0 || demo_join_graph(d, &d->c) < 0)
		return -1;
	if (n == 2)
		demo_step(d, "started: hive-vctrl (2 controllers, one radio), graphs peripheral and "
			"central (hci, host, l2cap, gatt, smp each)");
	else
		demo_step(d, "started: peripheral on %s, central on %s%s", d->p.transport,
		     d->c.transport, n ? " (hive-vctrl)" : "");
	return 0;
}

static int step_advertise(struct demo *d)
{
	d->step = 2;
	uint8_t hr[2] = { 0x0d, 0x18 };
	ProtobufCBinaryData uuids[1] = { { 2, hr } };
	Hive__AdvertisingData ad = HIVE__ADVERTISING_DATA__INIT;
	ad.name = DEVICE_NAME;
	ad.n_uuids = 1;
	ad.uuids = uuids;
	Hive__Advertise adv = HIVE__ADVERTISE__INIT;
	adv.connectable = true;
	adv.interval_ms = 50;
	adv.data = &ad;
	Hive__Request req = HIVE__REQUEST__INIT;
	req.op_case = HIVE__REQUEST__OP_ADVERTISE;
	req.advertise = &adv;
	if (demo_call(d, &d->p, "host", &req, "advertise") < 0)
		return -1;
	char t[18] = "?";
	const Hive__AdvertiseResult *ar = d->result->advertise;
	if (ar && ar->own && ar->own->bdaddr.len == 6)
		demo_addr_text(ar->own->bdaddr.data, t);
	demo_step(d, "advertising: peripheral \"%s\" at %s, connectable, Heart Rate service", DEVICE_NAME,
	     t);
	return 0;
}

static int step_scan(struct demo *d)
{
	d->step = 3;
	Hive__Scan sc = HIVE__SCAN__INIT;
	sc.duration_ms = 10000;
	Hive__Request req = HIVE__REQUEST__INIT;
	req.op_case = HIVE__REQUEST__OP_SCAN;
	req.scan = &sc;
	d->found = d->scan_ended = false;
	if (demo_send_request(d, &d->c, "host", &req) < 0)
		return -1;
	d->scan_id = req.id;
	int rc = demo_wait_for(d, &d->found, STEP_TIMEOUT_MS, "scanning for " DEVICE_NAME);
	if (rc == 0 && !d->scan_ended) {
		Hive__StopScan ss = HIVE__STOP_SCAN__INIT;
		Hive__Request stop = HIVE__REQUEST__INIT;
		stop.op_case = HIVE__REQUEST__OP_STOP_SCAN;
		stop.stop_scan = &ss;
		rc = demo_call(d, &d->c, "host", &stop, "stop scanning");
		if (rc == 0)
			rc = demo_wait_for(d, &d->scan_ended, STEP_TIMEOUT_MS, "the end of the scan");
	}
	d->scan_id = 0;
	if (rc < 0)
		return rc;
	char t[18];
	demo_addr_text(d->peer, t);
	demo_step(d, "scanned: central found \"%s\" at %s (%s), rssi %d dBm", DEVICE_NAME, t,
	     d->peer_type ? "random" : "public", d->rssi);
	return 0;
}

static int step_connect(struct demo *d)
{
	d->step = 4;
	Hive__Address peer = HIVE__ADDRESS__INIT;
	peer.type = d->peer_type;
	peer.bdaddr.data = d->peer;
	peer.bdaddr.len = 6;
	Hive__Connect con = HIVE__CONNECT__INIT;
	con.peer = &peer;
	Hive__Request req = HIVE__REQUEST__INIT;
	req.op_case = HIVE__REQUEST__OP_CONNECT;
	req.connect = &con;
	if (demo_call(d, &d->c, "host", &req, "connect") < 0)
		return -1;
	const Hive__ConnectionInfo *ci = d->result->connection;
	if (!ci)
		return demo_fail(d, "connect: the answer has no connection");
	d->c.handle = ci->handle;
	if (demo_wait_for(d, &d->p.connected, STEP_TIMEOUT_MS, "the peripheral's link") < 0)
		return -1;
	demo_step(d, "connected: central handle 0x%04x, peripheral handle 0x%04x, interval %.2f ms",
	     d->c.handle, d->p.handle, ci->interval * 1.25);
	return 0;
}

static int step_pair(struct demo *d)
{
	d->step = 5;
	Hive__SmpPair pair = HIVE__SMP_PAIR__INIT;
	pair.handle = d->c.handle;
	pair.mitm = true; /* both sides display_yes_no: numeric comparison */
	Hive__SmpRequest sr = HIVE__SMP_REQUEST__INIT;
	sr.op_case = HIVE__SMP_REQUEST__OP_PAIR;
	sr.pair = &pair;
	Hive__Request req = HIVE__REQUEST__INIT;
	req.op_case = HIVE__REQUEST__OP_SMP;
	req.smp = &sr;
	if (demo_call(d, &d->c, "smp", &req, "pair") < 0)
		return -1;
	const Hive__SmpPairingComplete *pc =
		d->result->value_case == HIVE__RESULT__VALUE_SMP ? d->result->smp->paired : NULL;
	if (!pc)
		return demo_fail(d, "pair: the answer has no outcome");
	if (demo_wait_for(d, &d->p.encrypted, STEP_TIMEOUT_MS, "the peripheral's encryption") < 0 ||
	    demo_wait_for(d, &d->c.encrypted, STEP_TIMEOUT_MS, "the central's encryption") < 0)
		return -1;
	char num[80] = "";
	if (pc->method == HIVE__SMP_METHOD__METHOD_NUMERIC_COMPARISON) {
		if (!d->c.prompted || !d->p.prompted || d->c.number != d->p.number)
			return demo_fail(d, "numeric comparison: central %06u, peripheral %06u",
				    d->c.number, d->p.number);
		snprintf(num, sizeof num, "numeric comparison %06u confirmed on both sides",
			 d->c.number);
	} else {
		snprintf(num, sizeof num, "method %d", (int)pc->method);
	}
	demo_step(d, "paired: %s, %s, %s, link encrypted (key size %u)",
	     pc->sc ? "LE Secure Connections" : "LE legacy pairing", num,
	     pc->bonded ? "bonded" : "not bonded", d->c.key_size);
	return 0;
}

static const char *service_name(uint16_t u)
{
	switch (u) {
	case 0x1800:
		return "GAP";
	case 0x1801:
		return "GATT";
	case 0x180d:
		return "Heart Rate";
	case 0x180f:
		return "Battery";
	case 0x180a:
		return "Device Information";
	default:
		return "?";
	}
}

static int step_discover(struct demo *d, uint32_t *name_h, uint32_t *battery_h)
{
	d->step = 6;
	char list[512] = "";
	Hive__GattDiscoverServices ds = HIVE__GATT_DISCOVER_SERVICES__INIT;
	Hive__GattRequest gr = HIVE__GATT_REQUEST__INIT;
	gr.op_case = HIVE__GATT_REQUEST__OP_DISCOVER_SERVICES;
	gr.discover_services = &ds;
	if (demo_gatt_call(d, &gr, "discover services") < 0 || !d->result->gatt->discovery)
		return -1;
	const Hive__GattDiscovery *sv = d->result->gatt->discovery;
	size_t nserv = sv->n_services;
	for (size_t i = 0; i < nserv; i++) {
		size_t l = strlen(list);
		uint16_t u = demo_uuid16(&sv->services[i]->uuid);
		snprintf(list + l, sizeof list - l, "%s%04x %s", i ? ", " : "", u, service_name(u));
	}
	Hive__GattDiscoverCharacteristics dc = HIVE__GATT_DISCOVER_CHARACTERISTICS__INIT;
	Hive__GattRequest gr2 = HIVE__GATT_REQUEST__INIT;
	gr2.op_case = HIVE__GATT_REQUEST__OP_DISCOVER_CHARACTERISTICS;
	gr2.discover_characteristics = &dc;
	if (demo_gatt_call(d, &gr2, "discover characteristics") < 0 || !d->result->gatt->discovery)
		return -1;
	const Hive__GattDiscovery *ch = d->result->gatt->discovery;
	for (size_t i = 0; i < ch->n_characteristics; i++) {
		uint16_t u = demo_uuid16(&ch->characteristics[i]->uuid);
		uint32_t vh = ch->characteristics[i]->value_handle;
		if (u == 0x2a00)
			*name_h = vh;
		else if (u == 0x2a19)
			*battery_h = vh;
		else if (u == 0x2a37)
			d->hrm = vh;
	}
	if (!*name_h || !*battery_h || !d->hrm)
		return demo_fail(d, "the peer has no Device Name, Battery Level or Heart Rate "
			       "Measurement");
	demo_step(d, "discovered: %zu services (%s), %zu characteristics", nserv, list,
	     ch->n_characteristics);
	return 0;
}

static int read_value(struct demo *d, uint32_t handle, uint8_t *buf, size_t cap, size_t *len,
		      const char *what)
{
	Hive__GattRead rd = HIVE__GATT_READ__INIT;
	rd.handle = handle;
	Hive__GattRequest gr = HIVE__GATT_REQUEST__INIT;
	gr.op_case = HIVE__GATT_REQUEST__OP_READ;
	gr.read = &rd;
	if (demo_gatt_call(d, &gr, what) < 0 || !d->result->gatt->read)
		return -1;
	const ProtobufCBinaryData *v = &d->result->gatt->read->value;
	*len = v->len < cap ? v->len : cap;
	memcpy(buf, v->data, *len);
	return 0;
}

static int step_read(struct demo *d, uint32_t name_h, uint32_t battery_h)
{
	d->step = 7;
	uint8_t name[249], bat[4];
	size_t nlen, blen;
	if (read_value(d, name_h, name, sizeof name - 1, &nlen, "read the device name") < 0 ||
	    read_value(d, battery_h, bat, sizeof bat, &blen, "read the battery level") < 0)
		return -1;
	if (blen < 1)
		return demo_fail(d, "the battery level is empty");
	name[nlen] = 0;
	demo_step(d, "read: device name \"%s\", battery level %u %%", (char *)name, bat[0]);
	return 0;
}

/* The peripheral's heart: a new measurement every HR_PERIOD_MS. */
static void heart_beat(struct hive_actor *a, void *arg)
{
	static const int8_t wave[] = { 0, 3, 7, 4, -1, -3, 2, 5 };
	struct demo *d = arg;
	if (d->hr_sent >= NOTIFICATIONS) {
		hive_timer_cancel(a, d->timer);
		return;
	}
	uint8_t v[2] = { 0x00, (uint8_t)(72 + wave[d->hr_sent % 8]) };
	Hive__GattNotify n = HIVE__GATT_NOTIFY__INIT;
	n.handle = d->hrm; /* the peripheral's own handle, as discovered */
	n.value.data = v;
	n.value.len = 2;
	n.all_subscribers = true;
	Hive__GattRequest gr = HIVE__GATT_REQUEST__INIT;
	gr.op_case = HIVE__GATT_REQUEST__OP_NOTIFY;
	gr.notify = &n;
	Hive__Request req = HIVE__REQUEST__INIT;
	req.op_case = HIVE__REQUEST__OP_GATT;
	req.gatt = &gr;
	if (demo_send_request(d, &d->p, "gatt", &req) == 0)
		d->hr_sent++;
}

static int step_subscribe(struct demo *d)
{
	d->step = 8;
	Hive__GattSubscribeEvents se = HIVE__GATT_SUBSCRIBE_EVENTS__INIT;
	Hive__GattRequest ge = HIVE__GATT_REQUEST__INIT;
	ge.op_case = HIVE__GATT_REQUEST__OP_SUBSCRIBE_EVENTS;
	ge.subscribe_events = &se;
	if (demo_gatt_call(d, &ge, "gatt events") < 0)
		return -1;
	Hive__GattSubscribe sub = HIVE__GATT_SUBSCRIBE__INIT;
	sub.handle = d->hrm;
	Hive__GattRequest gr = HIVE__GATT_REQUEST__INIT;
	gr.op_case = HIVE__GATT_REQUEST__OP_SUBSCRIBE;
	gr.subscribe = &sub;
	if (demo_gatt_call(d, &gr, "subscribe to the heart rate") < 0)
		return -1;
	uint32_t cccd = d->result->gatt->done ? d->result->gatt->done->cccd : 0;
	demo_step(d, "subscribed: heart rate measurement 0x%04x (CCCD 0x%04x); the peripheral "
		"notifies a new value every %d ms", d->hrm, cccd, HR_PERIOD_MS);
	d->timer = hive_timer_start(d->p.a, 0, HR_PERIOD_MS, heart_beat, d);
	if (d->timer < 0)
		return demo_fail(d, "no timer");
	uint64_t deadline = hive_now_ns() + (uint64_t)STEP_TIMEOUT_MS * 1000000ull;
	while (d->hr_got < NOTIFICATIONS && hive_now_ns() < deadline)
		if (demo_pump(d) < 0)
			return demo_fail(d, "stopped");
	hive_timer_cancel(d->p.a, d->timer);
	if (d->hr_got < NOTIFICATIONS)
		return demo_fail(d, "%d notifications of %d arrived (%llu notify requests failed)",
			    d->hr_got, NOTIFICATIONS, (unsigned long long)d->notify_failures);
	return 0;
}

static const char *reason_name(uint32_t r)
{
	switch (r) {
	case 0x13:
		return "remote user terminated connection";
	case 0x16:
		return "connection terminated by local host";
	case 0x08:
		return "connection timeout";
	default:
		return "other";
	}
}

static int step_disconnect(struct demo *d)
{
	d->step = 9;
	Hive__Disconnect dis = HIVE__DISCONNECT__INIT;
	dis.handle = d->c.handle;
	Hive__Request req = HIVE__REQUEST__INIT;
	req.op_case = HIVE__REQUEST__OP_DISCONNECT;
	req.disconnect = &dis;
	if (demo_call(d, &d->c, "host", &req, "disconnect") < 0 ||
	    demo_wait_for(d, &d->c.disconnected, STEP_TIMEOUT_MS, "the central's disconnection") < 0 ||
	    demo_wait_for(d, &d->p.disconnected, STEP_TIMEOUT_MS, "the peripheral's disconnection") < 0)
		return -1;
	demo_step(d, "disconnected: central 0x%02x (%s), peripheral 0x%02x (%s)", d->c.reason,
	     reason_name(d->c.reason), d->p.reason, reason_name(d->p.reason));
	return 0;
}

/* Messages per pipe seen on both taps, one line per pipe. */
static void summary(struct demo *d)
{
	struct demo_pipe all[2 * DEMO_PIPES_MAX];
	size_t n = 0;
	/* A round trip through each broker, then what its tap still holds. */
	demo_broker_status(d, &d->p);
	demo_broker_status(d, &d->c);
	demo_tap_drain(&d->p.tap);
	demo_tap_drain(&d->c.tap);
	const struct demo_tap *taps[2] = { &d->p.tap, &d->c.tap };
	for (int t = 0; t < 2; t++)
		for (size_t i = 0; i < taps[t]->npipes; i++) {
			bool seen = false;
			for (size_t k = 0; k < n; k++)
				seen |= !strcmp(all[k].a, taps[t]->pipes[i].a) &&
					!strcmp(all[k].b, taps[t]->pipes[i].b);
			if (!seen)
				all[n++] = taps[t]->pipes[i];
		}
	/* The layers first, then apps and the broker; busiest first. */
	for (size_t i = 0; i < n; i++)
		all[i].n = demo_tap_count(&d->p.tap, all[i].a, all[i].b) +
			   demo_tap_count(&d->c.tap, all[i].a, all[i].b);
	for (size_t i = 1; i < n; i++)
		for (size_t k = i; k > 0 && all[k].n > all[k - 1].n; k--) {
			struct demo_pipe x = all[k];
			all[k] = all[k - 1];
			all[k - 1] = x;
		}
	printf("trace: messages per pipe (both directions, from each broker's tap)\n");
	printf("  %-22s %10s %10s\n", "pipe", "peripheral", "central");
	for (size_t i = 0; i < n; i++) {
		char pipe[140];
		snprintf(pipe, sizeof pipe, "%.64s<->%.64s", all[i].a, all[i].b);
		printf("  %-22s %10llu %10llu\n", pipe,
		       (unsigned long long)demo_tap_count(&d->p.tap, all[i].a, all[i].b),
		       (unsigned long long)demo_tap_count(&d->c.tap, all[i].a, all[i].b));
	}
	printf("  %-22s %10llu %10llu\n", "total", (unsigned long long)d->p.tap.total,
	       (unsigned long long)d->c.tap.total);
	fflush(stdout);
}

int demo_run_steps(struct demo *d)
{
	uint32_t name_h = 0, battery_h = 0;
	if (step_start(d) < 0 || step_advertise(d) < 0 || step_scan(d) < 0 ||
	    step_connect(d) < 0 || step_pair(d) < 0 || step_discover(d, &name_h, &battery_h) < 0 ||
	    step_read(d, name_h, battery_h) < 0 || step_subscribe(d) < 0 ||
	    step_disconnect(d) < 0)
		return -1;
	summary(d);
	return 0;
}

