#!/bin/sh
# Runs each Criterion test binary, prints its output, and ends with one line
# "tests: N passed, N failed" over all of them. Exit status 1 when any failed.
set -u
BUILD=${BUILD:-build}
export HIVE_BIN_DIR="${HIVE_BIN_DIR:-$(pwd)/$BUILD/bin}"
export HIVE_LOG="${HIVE_LOG:-warn}"
# Sample data from the specification (copied from the shared vectors).
export HIVE_VECTORS_DIR="${HIVE_VECTORS_DIR:-$(pwd)/tests/vectors}"
passed=0
failed=0
bad_bins=""
for t in "$@"; do
	out=$(mktemp)
	echo "== $(basename "$t")"
	"$t" --jobs 2 --timeout 120 >"$out" 2>&1
	rc=$?
	cat "$out"
	line=$(grep -a 'Synthesis: Tested:' "$out" | tail -1)
	if [ -n "$line" ]; then
		p=$(echo "$line" | sed -n 's/.*Passing: \([0-9]*\).*/\1/p')
		f=$(echo "$line" | sed -n 's/.*Failing: \([0-9]*\).*/\1/p')
		c=$(echo "$line" | sed -n 's/.*Crashing: \([0-9]*\).*/\1/p')
		passed=$((passed + ${p:-0}))
		failed=$((failed + ${f:-0}))
		[ "${c:-0}" != "${f:-0}" ] && [ "${c:-0}" -gt "${f:-0}" ] && failed=$((failed + c - f))
	else
		failed=$((failed + 1))
	fi
	if [ $rc -ne 0 ]; then
		bad_bins="$bad_bins $(basename "$t")"
		[ -z "$line" ] || [ "${f:-0}" = 0 ] && failed=$((failed + 1))
	fi
	rm -f "$out"
done
[ -n "$bad_bins" ] && echo "failing test programs:$bad_bins"
echo "tests: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
