# The three-namespace lab (tests/unit/netns_util.c): the test of one graph
# across machines and its bench (tests/bench/bench_net.c) link it.
test_netns_SRCS := tests/unit/netns_util.c
