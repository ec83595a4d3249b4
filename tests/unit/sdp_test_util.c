/* Helpers of the SDP tests (see sdp_test_util.h). */
#include "sdp_test_util.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "hive.h"

size_t sdp_hex(const char *s, uint8_t *out, size_t cap)
{
	size_t n = 0;
	while (*s) {
		if (*s == ' ' || *s == '\n' || *s == '\t') {
			s++;
			continue;
		}
		int hi = hive_hexval(s[0]), lo = hi < 0 ? -1 : hive_hexval(s[1]);
		cr_assert(hi >= 0 && lo >= 0 && n < cap, "bad hex in the test at \"%.10s\"", s);
		out[n++] = (uint8_t)(hi << 4 | lo);
		s += 2;
	}
	return n;
}

static void dump(char *buf, size_t cap, const uint8_t *b, size_t n)
{
	size_t at = 0;
	buf[0] = 0;
	for (size_t i = 0; i < n && at + 4 < cap; i++)
		at += (size_t)snprintf(buf + at, cap - at, "%02x%s", b[i],
				       (i + 1) % 16 == 0 ? "\n    " : " ");
}

void sdp_expect_bytes(const char *what, const uint8_t *got, size_t got_len, const char *want)
{
	uint8_t w[8192];
	size_t wn = sdp_hex(want, w, sizeof w);
	if (wn == got_len && !memcmp(w, got, wn))
		return;
	char a[30000], b[30000];
	dump(a, sizeof a, got, got_len);
	dump(b, sizeof b, w, wn);
	cr_assert_fail("%s:\n  got  (%zu): %s\n  want (%zu): %s", what, got_len, a, wn, b);
}
