/* Opening the stream transports' file descriptors, with failures explained
 * in words (what failed and what to do). Every fd returned is non-blocking
 * and close-on-exec. No actor, no state. */
#ifndef HCI_STREAM_OPEN_H
#define HCI_STREAM_OPEN_H

#include <stddef.h>
#include <stdint.h>

#include "hci_spec.h"

/* tcp-client or unix: a connected socket, waiting at most timeout_ms for
 * the connection. Returns the fd, or -errno with err set. */
int stream_connect(const struct hci_spec *s, uint64_t timeout_ms, char *err, size_t cap);

/* tcp-server: a listening socket. Returns the fd, or -errno with err set. */
int stream_listen(const struct hci_spec *s, char *err, size_t cap);

/* Accepts one connection from a listening socket; peer gets "ADDR:PORT".
 * Returns the fd, -EAGAIN when none waits, or another -errno. */
int stream_accept(int lfd, char *peer, size_t cap);

/* serial: opens the device, takes it exclusively, sets raw mode, the baud
 * rate, 8 data bits, 1 stop bit, the parity and RTS/CTS as asked. Returns
 * the fd, or -errno with err set (-EBUSY when another program holds it). */
int stream_serial_open(const struct hci_spec *s, char *err, size_t cap);

#endif
