#!/bin/sh
# Runs each libFuzzer target for N seconds on its seed corpus (copied, so
# the committed corpus stays as it is) and prints one JSON line per target:
# executions, executions per second, coverage and whether it found a crash.
# Exit status 1 when any target crashed; its reproducer is kept in
# BUILD/fuzz/artifacts/.
set -u
BUILD=$1
SECONDS_EACH=$2
shift 2
status=0
mkdir -p "$BUILD/fuzz/artifacts"
for f in "$@"; do
	name=$(basename "$f")
	work="$BUILD/fuzz/work/$name"
	rm -rf "$work"
	mkdir -p "$work"
	[ -d "tests/fuzz/corpus/$name" ] && cp -r "tests/fuzz/corpus/$name/." "$work/" 2>/dev/null
	log="$BUILD/fuzz/$name.log"
	"$f" "$work" -max_total_time="$SECONDS_EACH" -print_final_stats=1 \
		-artifact_prefix="$BUILD/fuzz/artifacts/$name-" -close_fd_mask=3 >"$log" 2>&1
	rc=$?
	execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
	eps=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -1)
	cov=$(grep -o 'cov: [0-9]*' "$log" | tail -1 | cut -d' ' -f2)
	ft=$(grep -o 'ft: [0-9]*' "$log" | tail -1 | cut -d' ' -f2)
	crashed=false
	if [ $rc -ne 0 ]; then
		crashed=true
		status=1
		echo "fuzz: $name crashed; see $log and $BUILD/fuzz/artifacts/" >&2
		tail -30 "$log" >&2
	fi
	printf '{"bench":"fuzz","target":"%s","seconds":%s,"execs":%s,"execs_per_s":%s,"coverage_edges":%s,"features":%s,"crashed":%s}\n' \
		"$name" "$SECONDS_EACH" "${execs:-0}" "${eps:-0}" "${cov:-0}" "${ft:-0}" "$crashed"
done
exit $status
