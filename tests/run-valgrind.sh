#!/bin/sh
# make valgrind: runs the given test programs with every hive process they
# start under valgrind memcheck (HIVE_VALGRIND, honoured by th_spawn in
# tests/support/harness.c; the launchers' actors are followed through exec),
# deadlines scaled by HIVE_TEST_SLOW, one test at a time. Then sums up the
# per-process logs in BUILD/valgrind: memory errors and definite leaks, and
# prints each log that has any. Exit status 1 when a test failed or
# valgrind found something.
set -u
BUILD=${BUILD:-build}
dir="$(pwd)/$BUILD/valgrind"
rm -rf "$dir"
mkdir -p "$dir"
export HIVE_VALGRIND="$dir"
export HIVE_TEST_SLOW="${HIVE_TEST_SLOW:-8}"
TEST_JOBS=1 TEST_TIMEOUT="${TEST_TIMEOUT:-900}" "$(dirname "$0")/run-tests.sh" "$@"
status=$?
procs=0
dirty=0
unchecked=0
for f in "$dir"/*.vg; do
	[ -e "$f" ] || continue
	procs=$((procs + 1))
	errors=$(sed -n 's/.*ERROR SUMMARY: \([0-9,]*\) errors.*/\1/p' "$f" | tail -1 | tr -d ,)
	if [ -z "$errors" ]; then
		# Killed before its summary (no leak check): its errors still
		# show as they happened.
		unchecked=$((unchecked + 1))
		errors=$(grep -c -E '== (Invalid (read|write|free)|Mismatched free|Conditional jump|Use of uninitialised|Syscall param|Source and destination overlap)' "$f")
	fi
	lost=$(sed -n 's/.*definitely lost: \([0-9,]*\) bytes.*/\1/p' "$f" | tail -1 | tr -d ,)
	prog=$(sed -n 's/^==[0-9]*== Command: //p' "$f" | head -1)
	if [ "${errors:-0}" != 0 ] || [ "${lost:-0}" != 0 ]; then
		dirty=$((dirty + 1))
		echo "---- valgrind: $prog: ${errors:-0} errors, ${lost:-0} bytes definitely lost ($f)"
		grep -v '^==[0-9]*== *$' "$f" | sed -n '/Command:/,$p' | head -80
	fi
done
echo "valgrind: $procs processes checked ($unchecked killed before their leak check), $dirty with errors or definite leaks"
[ "$dirty" -eq 0 ] && [ "$status" -eq 0 ]
