#!/bin/sh
# Runs hive's benchmarks; called by `make bench` with the build directory.
# stdout: JSON lines only, one object per line; logs go to stderr.
# Extra arguments go to hive-bench (see hive-bench --help), e.g.
#   tests/bench/run-bench.sh build --only floor,hive --placements spread
set -eu

BUILD=${1:-build}
[ $# -gt 0 ] && shift
BIN="$BUILD/bin"

for p in hive-bench hive-broker; do
	if [ ! -x "$BIN/$p" ]; then
		echo "run-bench: $BIN/$p is missing; run make BUILD=$BUILD all" >&2
		exit 1
	fi
done

# A private directory for every run directory the benchmark makes, removed
# however the benchmark ends (hive-bench removes its own on a clean exit and
# kills its children; they also die with it).
TMP=$(mktemp -d "${TMPDIR:-/tmp}/hive-bench-XXXXXX")
chmod 700 "$TMP"
trap 'rm -rf "$TMP"' EXIT
trap 'exit 130' INT TERM HUP

echo "run-bench: $(nproc) CPUs, $(uname -sr); about two minutes" >&2
status=0
"$BIN/hive-bench" --broker "$BIN/hive-broker" --tmp "$TMP" "$@" || status=$?
# ACL throughput between two hci actors through hive-vctrl (issue 3).
if [ -x "$BIN/hive-bench-hci" ] && [ -x "$BIN/hive-vctrl" ] && [ -x "$BIN/hive-hci" ]; then
	"$BIN/hive-bench-hci" 20000 || status=$?
fi
# CoC throughput and CPU per MB, pairing time and CPU plus P-256 ops/s, and
# L2CAP frames/s of 27 and 247 bytes with CPU per 10,000 frames, between two
# whole graphs on hive-vctrl (issues 5, 7 and 4).
for b in hive-bench-coc hive-bench-pair hive-bench-l2cap; do
	if [ -x "$BIN/$b" ] && [ -x "$BIN/hive-vctrl" ] && [ -x "$BIN/hive-launch" ]; then
		TMPDIR="$TMP" HIVE_BIN_DIR="$(cd "$BIN" && pwd)" "$BIN/$b" || status=$?
	fi
done
# The reference GATT workload (BENCH-WORKLOAD.md) between two whole graphs
# on hive-vctrl, next to Bumble's figures; about 20-40 s.
if [ -x "$BIN/hive-bench-gatt" ] && [ -x "$BIN/hive-launch" ] && [ -x "$BIN/hive-gatt" ]; then
	TMPDIR="$TMP" "$BIN/hive-bench-gatt" || status=$?
fi
# The same read round trip and notifications/s with the central's gatt in
# another network namespace over tcp+CURVE, next to all-ipc (issue 11). The
# tcp half needs root for the namespaces; without it the line says skipped.
if [ -x "$BIN/hive-bench-net" ] && [ -x "$BIN/hive-launch" ] && [ -x "$BIN/hive-gatt" ]; then
	TMPDIR="$TMP" HIVE_BIN_DIR="$(cd "$BIN" && pwd)" "$BIN/hive-bench-net" || status=$?
fi
exit $status
