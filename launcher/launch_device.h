/* The device configuration's security settings for smp.
 *
 * The host actor reads the device configuration file (`config=PATH`, see
 * actors/host/host_config.h); its `keystore` and `io_capability` belong to
 * pairing, which is smp's. The launcher hands them to the graph's smp actor
 * as its own settings (`keystore=`, `io_cap=`) when it builds the actors'
 * command lines, unless smp is given them explicitly (graph args or --set
 * smp.KEY=VALUE win). So smp keeps owning the bond store and the IO
 * capability, a restarted smp gets the same values, and no message is
 * needed between host and smp at start-up. */
#ifndef LAUNCH_DEVICE_H
#define LAUNCH_DEVICE_H

#include <stddef.h>

#include "child.h"

/* host_argv and smp_argv: the actors' command lines so far. Appends
 * "--set keystore=..." and "--set io_cap=..." to smp_argv for what the
 * host's device configuration holds and smp_argv does not set. Returns 0,
 * or -errno with a message in err (a configuration that does not load). */
int launch_device_settings(const struct strv *host_argv, struct strv *smp_argv, char *err,
			   size_t errcap);

#endif
