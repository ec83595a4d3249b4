/* hive-demo: the demo of `make run`. Starts hive-vctrl (two emulated
 * controllers on one virtual radio) and two graphs with hive-launch: a
 * peripheral (launcher/graphs/peripheral.json, gatt serving
 * examples/heart-rate.json) and a central (launcher/graphs/central.json).
 * It joins each graph's broker as an ephemeral app named "demo" and
 * drives the steps with the actors' own requests: advertise, scan,
 * connect, pair (LE Secure Connections, numeric comparison, confirmed on
 * both sides), discover, read, subscribe to the heart rate while the
 * peripheral's timer notifies a changing measurement, disconnect. One
 * progress line per step; at the end the messages per pipe seen on each
 * broker's tap. --transport-a/--transport-b put a graph on a real
 * controller instead of hive-vctrl. */
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "demo.h"
#include "hive.h"

static void stop_all(struct demo *d)
{
	hive_actor_destroy(&d->p.a);
	hive_actor_destroy(&d->c.a);
	demo_tap_close(&d->p.tap);
	demo_tap_close(&d->c.tap);
	demo_proc_stop(&d->c.launch, 5000);
	demo_proc_stop(&d->p.launch, 5000);
	demo_proc_stop(&d->vctrl, 2000);
	hive__result__free_unpacked(d->result, NULL);
	d->result = NULL;
	if (*d->work && !d->keep)
		demo_rmtree(d->work);
}

static void usage(FILE *f)
{
	fprintf(f,
		"usage: hive-demo [--transport-a SPEC] [--transport-b SPEC] [--bin-dir DIR] [--keep]\n"
		"\n"
		"Runs two hive graphs on one virtual radio (hive-vctrl): a peripheral serving\n"
		"Heart Rate, Battery and Device Information (examples/heart-rate.json), and a\n"
		"central that scans for it, connects, pairs with LE Secure Connections\n"
		"(numeric comparison, confirmed automatically), discovers, reads the device\n"
		"name and the battery level, subscribes to the heart rate, prints %d\n"
		"notifications and disconnects; then the messages per pipe of each graph.\n"
		"\n"
		"  --transport-a SPEC  the peripheral's controller (usb:0, serial:/dev/ttyUSB0,\n"
		"                      tcp-client:H:P, unix:PATH) instead of hive-vctrl\n"
		"  --transport-b SPEC  the central's controller\n"
		"  --bin-dir DIR       where the hive programs are (default: next to hive-demo)\n"
		"  --keep              keep the work folder (logs of every process, bond stores)\n"
		"\n"
		"Exit status 0 when every step worked.\n",
		NOTIFICATIONS);
}

int main(int argc, char **argv)
{
	struct demo *d = calloc(1, sizeof *d);
	int rc = 1;
	if (!d)
		return 1;
	d->p.label = "peripheral";
	d->c.label = "central";
	for (int i = 1; i < argc; i++) {
		bool missing = false;
		const char *v;
		if ((v = hive_opt_value(argc, argv, &i, "--transport-a", &missing)))
			snprintf(d->p.transport, sizeof d->p.transport, "%s", v);
		else if ((v = hive_opt_value(argc, argv, &i, "--transport-b", &missing)))
			snprintf(d->c.transport, sizeof d->c.transport, "%s", v);
		else if ((v = hive_opt_value(argc, argv, &i, "--bin-dir", &missing)))
			snprintf(d->bin, sizeof d->bin, "%s", v);
		else if (!missing && !strcmp(argv[i], "--keep"))
			d->keep = true;
		else if (!missing && (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h"))) {
			usage(stdout);
			free(d);
			return 0;
		} else {
			fprintf(stderr, "%s: %s %s\n", DEMO_NAME, argv[i],
				missing ? "needs a value" : "is not an option");
			usage(stderr);
			free(d);
			return 1;
		}
	}
	hive_signals_install();
	if (!getenv("HIVE_LOG"))
		hive_log_set_threshold(HIVE_LOG_WARN);
	const char *tmp = getenv("TMPDIR");
	snprintf(d->work, sizeof d->work, "%s/hive-demo-XXXXXX", tmp && *tmp ? tmp : "/tmp");
	if (!mkdtemp(d->work)) {
		fprintf(stderr, "%s: cannot make a work folder in %s: %s\n", DEMO_NAME,
			tmp && *tmp ? tmp : "/tmp", strerror(errno));
		*d->work = 0;
	} else if (demo_run_steps(d) == 0) {
		rc = 0;
	}
	if (rc && *d->work) {
		d->keep = true;
		fprintf(stderr, "%s: the logs are in %s\n", DEMO_NAME, d->work);
	}
	stop_all(d);
	if (rc == 0)
		printf("stopped: every process ended; exit 0\n");
	free(d);
	return rc;
}
