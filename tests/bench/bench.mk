# hive-bench: `make bench` runs it through tests/bench/run-bench.sh.
PROGRAMS += hive-bench
hive-bench_SRCS := tests/bench/hive_bench.c tests/bench/bench_proc.c \
	tests/bench/bench_floor.c tests/bench/bench_zmq.c tests/bench/bench_hive.c
# hive-bench-hci: ACL throughput between two hci actors through hive-vctrl.
PROGRAMS += hive-bench-hci
hive-bench-hci_SRCS := tests/bench/bench_hci.c
# hive-bench-gatt: the reference GATT workload (docs: /work/shared/BENCH-WORKLOAD.md)
# between two whole graphs on one hive-vctrl; reuses hive-demo's app side.
PROGRAMS += hive-bench-gatt
hive-bench-gatt_SRCS := tests/bench/bench_gatt.c tools/demo_app.c \
	tools/demo_steps.c tools/demo_proc.c
# hive-bench-coc: CoC throughput and CPU per MB between two graphs on hive-vctrl.
PROGRAMS += hive-bench-coc
hive-bench-coc_SRCS := tests/bench/bench_coc.c tests/bench/bench_cpu.c tests/support/harness.c \
	tests/support/e2e.c
# hive-bench-pair: LE Secure Connections pairing end to end (time, CPU) and
# P-256 operations per second through actors/smp/smp_crypto.c.
PROGRAMS += hive-bench-pair
hive-bench-pair_SRCS := tests/bench/bench_pair.c tests/bench/bench_cpu.c tests/support/harness.c \
	tests/support/e2e.c actors/smp/smp_crypto.c
# hive-bench-net: the read round trip and notifications/s with gatt in another
# network namespace over tcp+CURVE, next to all-ipc (the test_netns lab).
PROGRAMS += hive-bench-net
hive-bench-net_SRCS := tests/bench/bench_net.c tests/unit/netns_util.c tests/support/harness.c \
	tests/support/e2e.c
# hive-bench-l2cap: L2CAP frames/s of 27 and 247 bytes end to end between two
# graphs on hive-vctrl, with CPU seconds per 10,000 frames for each process.
PROGRAMS += hive-bench-l2cap
hive-bench-l2cap_SRCS := tests/bench/bench_l2cap.c tests/bench/bench_cpu.c \
	tests/support/harness.c tests/support/e2e.c
