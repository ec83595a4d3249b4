# hive-bench: `make bench` runs it through tests/bench/run-bench.sh.
PROGRAMS += hive-bench
hive-bench_SRCS := tests/bench/hive_bench.c tests/bench/bench_proc.c \
	tests/bench/bench_floor.c tests/bench/bench_zmq.c tests/bench/bench_hive.c
# hive-bench-hci: ACL throughput between two hci actors through hive-vctrl.
PROGRAMS += hive-bench-hci
hive-bench-hci_SRCS := tests/bench/bench_hci.c
