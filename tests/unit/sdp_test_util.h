/* Helpers of the SDP tests: PDUs written as hex strings, and comparisons
 * that print both hexdumps on failure. */
#ifndef SDP_TEST_UTIL_H
#define SDP_TEST_UTIL_H

#include <stddef.h>
#include <stdint.h>

/* "35 03 19 11 01" (spaces and newlines ignored) into out; returns the
 * length. A malformed string fails the test. */
size_t sdp_hex(const char *s, uint8_t *out, size_t cap);

/* Fails the test with both hexdumps when got differs from the hex string
 * want; what names the step. */
void sdp_expect_bytes(const char *what, const uint8_t *got, size_t got_len, const char *want);

#endif
