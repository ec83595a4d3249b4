#!/bin/sh
# Runs each libFuzzer target for N seconds on its seed corpus (copied, so
# the committed corpus stays as it is) and prints one JSON line per target:
# executions, executions per second, coverage and whether it found a crash.
# FUZZ_JOBS targets run at a time (default 1). Exit status 1 when any target
# crashed (or did not run); its reproducer is kept in BUILD/fuzz/artifacts/.
#
#   run-fuzz.sh BUILD SECONDS TARGET...
set -u

# One target: its log and JSON line in BUILD/fuzz/logs/.
if [ "${1:-}" = "--one" ]; then
	BUILD=$2
	SECONDS_EACH=$3
	f=$4
	name=$(basename "$f")
	work="$BUILD/fuzz/work/$name"
	rm -rf "$work"
	mkdir -p "$work"
	[ -d "tests/fuzz/corpus/$name" ] && cp -r "tests/fuzz/corpus/$name/." "$work/" 2>/dev/null
	mkdir -p "$BUILD/fuzz/logs"
	log="$BUILD/fuzz/logs/$name.log"
	# -timeout: one input that runs this long is a hang, reported as a crash.
	"$f" "$work" -max_total_time="$SECONDS_EACH" -print_final_stats=1 -timeout=25 \
		-artifact_prefix="$BUILD/fuzz/artifacts/$name-" -close_fd_mask=3 >"$log" 2>&1
	rc=$?
	execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
	eps=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -1)
	cov=$(grep -o 'cov: [0-9]*' "$log" | tail -1 | cut -d' ' -f2)
	ft=$(grep -o 'ft: [0-9]*' "$log" | tail -1 | cut -d' ' -f2)
	crashed=false
	if [ $rc -ne 0 ]; then
		crashed=true
		{
			echo "fuzz: $name crashed (exit $rc); see $log and $BUILD/fuzz/artifacts/"
			tail -30 "$log"
		} >&2
	fi
	printf '{"bench":"fuzz","target":"%s","seconds":%s,"execs":%s,"execs_per_s":%s,"coverage_edges":%s,"features":%s,"crashed":%s}\n' \
		"$name" "$SECONDS_EACH" "${execs:-0}" "${eps:-0}" "${cov:-0}" "${ft:-0}" "$crashed" \
		>"$BUILD/fuzz/logs/$name.json"
	exit 0
fi

BUILD=$1
SECONDS_EACH=$2
shift 2
mkdir -p "$BUILD/fuzz/artifacts"
for f in "$@"; do
	rm -f "$BUILD/fuzz/logs/$(basename "$f").json"
done
printf '%s\n' "$@" | xargs -P "${FUZZ_JOBS:-1}" -n 1 "$0" --one "$BUILD" "$SECONDS_EACH"
status=0
for f in "$@"; do
	name=$(basename "$f")
	if [ -s "$BUILD/fuzz/logs/$name.json" ]; then
		cat "$BUILD/fuzz/logs/$name.json"
		grep -q '"crashed":false' "$BUILD/fuzz/logs/$name.json" || status=1
	else
		echo "fuzz: $name did not run" >&2
		status=1
	fi
done
exit $status
