#!/bin/sh
# Runs each Criterion test binary (and each libFuzzer target, briefly),
# prints its output, and ends with one line "tests: N passed, N failed" over
# all of them. Exit status 1 when any failed.
set -u
BUILD=${BUILD:-build}
export HIVE_BIN_DIR="${HIVE_BIN_DIR:-$(pwd)/$BUILD/bin}"
export HIVE_LOG="${HIVE_LOG:-warn}"
# Sample data from the specification (copied from the shared vectors).
export HIVE_VECTORS_DIR="${HIVE_VECTORS_DIR:-$(pwd)/tests/vectors}"
passed=0
failed=0
bad_bins=""
# libFuzzer targets (fuzz_*) among the arguments: a short run each on its
# corpus, two at a time; each counts as one test, failed when it crashed.
fuzz=""
for t in "$@"; do
	case $(basename "$t") in fuzz_*) fuzz="$fuzz $t" ;; esac
done
if [ -n "$fuzz" ]; then
	secs=${FUZZ_SMOKE_SECONDS:-2}
	echo "== fuzz targets, $secs s each on their corpus"
	out=$(mktemp)
	# shellcheck disable=SC2086 # one word per target
	FUZZ_JOBS=${FUZZ_JOBS:-2} "$(dirname "$0")/fuzz/run-fuzz.sh" "$BUILD" "$secs" $fuzz >"$out"
	cat "$out"
	for t in $fuzz; do
		if grep -q "\"target\":\"$(basename "$t")\".*\"crashed\":false" "$out"; then
			passed=$((passed + 1))
		else
			failed=$((failed + 1))
			bad_bins="$bad_bins $(basename "$t")"
		fi
	done
	rm -f "$out"
fi
# Sanitized processes (the tests and every program they start) write their
# reports into BUILD/sanitizer/, where they are found after the suite even
# when a supervisor restarted the process that failed.
san_dir="$(pwd)/$BUILD/sanitizer"
rm -rf "$san_dir"
mkdir -p "$san_dir"
export ASAN_OPTIONS="${ASAN_OPTIONS:-log_path=$san_dir/asan:detect_stack_use_after_return=0}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-log_path=$san_dir/ubsan:print_stacktrace=1:halt_on_error=1}"
for t in "$@"; do
	case $(basename "$t") in fuzz_*) continue ;; esac
	out=$(mktemp)
	echo "== $(basename "$t")"
	"$t" --jobs "${TEST_JOBS:-2}" --timeout "${TEST_TIMEOUT:-120}" >"$out" 2>&1
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
# Each sanitizer report counts as one failure.
for r in "$san_dir"/*; do
	[ -s "$r" ] || continue
	echo "---- sanitizer report $r"
	head -60 "$r"
	failed=$((failed + 1))
	bad_bins="$bad_bins $(basename "$r")"
done
[ -n "$bad_bins" ] && echo "failing test programs:$bad_bins"
echo "tests: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
