/* hive-hci: the hci actor. Command line, settings, start-up, exit. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "h4.h"
#include "hci.h"

enum {
	EXIT_OPEN_FAILED = 1, /* the transport or the broker could not be reached */
	EXIT_USAGE = 2,       /* bad command line, spec or setting */
};

static void usage(FILE *f)
{
	fprintf(f,
		"usage: hive-hci --transport SPEC [--run-dir DIR] [--name NAME] [--set KEY=VALUE]...\n"
		"       hive-hci --list-usb\n"
		"\n"
		"The hci actor: carries HCI packets between a controller and the host actor.\n"
		"\n"
		"  --transport SPEC   the controller (also --set transport=SPEC, as the launcher\n"
		"                     passes it; --transport wins when both are given):\n"
		"      usb:INDEX                 the INDEX-th USB Bluetooth controller (from 0)\n"
		"      usb:VID:PID[/SERIAL]      a USB device by ids (hex), optionally serial\n"
		"      usb:VID:PID#N             the N-th device with these ids\n"
		"      serial:DEVICE[,BAUD][,rtscts][,h5][,crc][,parity=even|none]\n"
		"                                a UART with H4 (default) or H5 (three-wire)\n"
		"      tcp-client:HOST:PORT      connect to a controller serving H4 over TCP\n"
		"      tcp-server:HOST:PORT      wait for a controller to connect (HOST _ : any)\n"
		"      unix:PATH                 connect to a controller serving H4 on a unix socket\n"
		"  --list-usb         list the Bluetooth controllers on USB and exit\n"
		"\n"
		"Settings (--set KEY=VALUE):\n"
		"  peer=host               the host actor's name\n"
		"  acl_max=N               largest ACL payload either way (default fits the frame)\n"
		"  queue_packets=N, queue_bytes=N\n"
		"                          bound of the queues to the controller and to the host\n"
		"  retry_min_ms=100, retry_max_ms=5000\n"
		"                          reconnection backoff after the transport drops\n"
		"  open_wait_ms=0          keep trying the first open this long before failing\n"
		"  connect_timeout_ms=3000 one tcp or unix connection attempt\n"
		"  h5_window=4, h5_retransmit_ms=250, h5_sync_ms=250\n"
		"\n"
		"Exit status: 0 stopped; 1 the transport or the broker could not be reached;\n"
		"2 bad command line, transport spec or setting.\n");
}

/* Reads the spec from the command line before the actor exists, so a bad
 * one fails at once: --transport wins over --set transport=. */
static const char *find_transport(int argc, char **argv)
{
	const char *opt = NULL, *set = NULL;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		if (strcmp(a, "--transport") == 0 && i + 1 < argc)
			opt = argv[++i];
		else if (strncmp(a, "--transport=", 12) == 0)
			opt = a + 12;
		else if (strcmp(a, "--set") == 0 && i + 1 < argc) {
			if (strncmp(argv[i + 1], "transport=", 10) == 0)
				set = argv[i + 1] + 10;
			i++;
		} else if (strncmp(a, "--set=transport=", 16) == 0)
			set = a + 16;
	}
	return opt ? opt : set;
}

/* The program's own options left by hive_actor_from_args. */
static int check_rest(int rest, char **argv)
{
	for (int i = 1; i < rest; i++) {
		if (strcmp(argv[i], "--transport") == 0 && i + 1 < rest) {
			i++;
			continue;
		}
		if (strncmp(argv[i], "--transport=", 12) == 0)
			continue;
		fprintf(stderr, "%s: unknown option %s; see %s --help\n", HCI_PROGRAM, argv[i],
			HCI_PROGRAM);
		return -EINVAL;
	}
	return 0;
}

static int setting(struct hive_actor *a, const char *key, uint64_t min, uint64_t max,
		   uint64_t *v)
{
	int err = 0;
	uint64_t n = hive_config_u64(a, key, *v, &err);
	if (err || n < min || n > max) {
		fprintf(stderr, "%s: --set %s=%s: use a whole number from %llu to %llu\n",
			HCI_PROGRAM, key, hive_config(a, key), (unsigned long long)min,
			(unsigned long long)max);
		return -EINVAL;
	}
	*v = n;
	return 0;
}

static int read_settings(struct hive_actor *a, struct hci_settings *s)
{
	uint64_t acl = s->acl_max, qb = s->queue_bytes, qp = s->queue_packets;
	uint64_t win = s->h5_window, rt = s->h5_retransmit_ms, sy = s->h5_sync_ms;
	int rc = 0;
	rc |= setting(a, "acl_max", 27, H4_ACL_PAYLOAD_MAX, &acl);
	rc |= setting(a, "queue_bytes", 1u << 16, 1u << 30, &qb);
	rc |= setting(a, "queue_packets", 1, 1u << 20, &qp);
	rc |= setting(a, "retry_min_ms", 1, 600000, &s->retry_min_ms);
	rc |= setting(a, "retry_max_ms", 1, 3600000, &s->retry_max_ms);
	rc |= setting(a, "open_wait_ms", 0, 3600000, &s->open_wait_ms);
	rc |= setting(a, "connect_timeout_ms", 10, 600000, &s->connect_timeout_ms);
	rc |= setting(a, "h5_window", 1, 7, &win);
	rc |= setting(a, "h5_retransmit_ms", 10, 60000, &rt);
	rc |= setting(a, "h5_sync_ms", 10, 60000, &sy);
	if (rc)
		return -EINVAL;
	if (qb < acl + 16) {
		fprintf(stderr, "%s: queue_bytes=%llu cannot hold one ACL packet of acl_max=%llu\n",
			HCI_PROGRAM, (unsigned long long)qb, (unsigned long long)acl);
		return -EINVAL;
	}
	if (s->retry_max_ms < s->retry_min_ms)
		s->retry_max_ms = s->retry_min_ms;
	s->acl_max = acl;
	s->queue_bytes = qb;
	s->queue_packets = qp;
	s->h5_window = (uint32_t)win;
	s->h5_retransmit_ms = (uint32_t)rt;
	s->h5_sync_ms = (uint32_t)sy;
	const char *peer = hive_config(a, "peer");
	if (peer) {
		if (!hive_name_valid(peer)) {
			fprintf(stderr, "%s: --set peer=%s is not a valid actor name\n", HCI_PROGRAM,
				peer);
			return -EINVAL;
		}
		snprintf(s->peer, sizeof s->peer, "%s", peer);
	}
	return 0;
}

/* Waits ms in the loop (a Stop or a signal still ends it). */
static void loop_for(struct hive_actor *a, uint64_t ms)
{
	uint64_t end = hive_now_ns() + ms * 1000000u;
	while (!hive_actor_stopping(a)) {
		uint64_t now = hive_now_ns();
		if (now >= end)
			break;
		if (hive_run_once(a, (int)((end - now) / 1000000u) + 1) < 0)
			break;
	}
}

/* The first open, retried for open_wait_ms. Returns 0 or -errno (h->err). */
static int first_open(struct hci *h)
{
	uint64_t deadline = hive_now_ns() + h->cfg.open_wait_ms * 1000000u;
	uint64_t delay = h->cfg.retry_min_ms;
	for (;;) {
		h->err[0] = '\0';
		int rc = h->ops->open(h);
		if (rc == 0)
			return 0;
		if (!h->err[0])
			snprintf(h->err, sizeof h->err, "cannot open %.300s: %s", h->spec_text,
				 strerror(-rc));
		h->ops->destroy(h);
		uint64_t now = hive_now_ns();
		if (now >= deadline || hive_actor_stopping(h->a))
			return rc;
		hive_log(h->a, HIVE_LOG_INFO, "%s; trying again for up to %llu ms", h->err,
			 (unsigned long long)((deadline - now) / 1000000u));
		loop_for(h->a, delay);
		delay = delay * 2 > h->cfg.retry_max_ms ? h->cfg.retry_max_ms : delay * 2;
	}
}

static void log_summary(struct hci *h)
{
	char tr[400] = "";
	if (h->ops && h->tr && h->ops->describe)
		h->ops->describe(h, tr, sizeof tr);
	hive_log(h->a, HIVE_LOG_INFO, "to %s %llu, from it %llu, to the controller %llu; dropped: "
		 "malformed %llu, queue full %llu to the controller and %llu to %s; transport "
		 "drops %llu, reconnections %llu; %s", h->cfg.peer, (unsigned long long)h->n.to_host,
		 (unsigned long long)h->n.from_host, (unsigned long long)h->n.to_controller,
		 (unsigned long long)h->n.bad_from_host,
		 (unsigned long long)h->n.full_to_controller,
		 (unsigned long long)h->n.full_to_host, h->cfg.peer,
		 (unsigned long long)h->n.drops, (unsigned long long)h->n.reconnects, tr);
}

int main(int argc, char **argv)
{
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0) {
			usage(stdout);
			return 0;
		}
		if (strcmp(argv[i], "--list-usb") == 0)
			return hci_usb_list();
	}

	struct hci h;
	memset(&h, 0, sizeof h);
	hci_settings_default(&h.cfg);
	const char *text = find_transport(argc, argv);
	if (hci_spec_parse(text, &h.spec, h.err, sizeof h.err) < 0) {
		fprintf(stderr, "%s: %s\n", HCI_PROGRAM, h.err);
		return EXIT_USAGE;
	}
	hci_spec_format(&h.spec, h.spec_text, sizeof h.spec_text);

	struct hive_actor *a = NULL;
	int rest = 0;
	if (hive_actor_from_args(&a, argc, argv, "hci", &rest) < 0)
		return EXIT_OPEN_FAILED; /* the runtime said why */
	int status = 0;
	if (check_rest(rest, argv) < 0 || read_settings(a, &h.cfg) < 0)
		status = EXIT_USAGE;
	if (status == 0 && hci_init(&h, a) < 0) {
		fprintf(stderr, "%s: out of memory for the packet queues\n", HCI_PROGRAM);
		status = EXIT_OPEN_FAILED;
	}
	if (status == 0) {
		h.ops = h.spec.kind == HCI_TRANSPORT_USB ? hci_usb_ops() : hci_stream_ops();
		if (first_open(&h) < 0) {
			fprintf(stderr, "%s: %s\n", HCI_PROGRAM, h.err);
			status = EXIT_OPEN_FAILED;
		}
	}
	if (status == 0) {
		hive_log(a, HIVE_LOG_INFO, "transport %s open; passing packets to %s", h.spec_text,
			 h.cfg.peer);
		hive_actor_ready(a);
		if (hive_run(a) < 0)
			status = EXIT_OPEN_FAILED;
		log_summary(&h);
	}
	hci_fini(&h);
	hive_actor_destroy(&a);
	return status;
}
