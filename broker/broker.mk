PROGRAMS += hive-broker
hive-broker_SRCS := broker/broker_main.c broker/broker.c broker/broker_control.c broker/broker_queue.c \
	broker/broker_net.c broker/broker_peek.c broker/broker_perm.c
test_broker_SRCS :=
test_net_SRCS := broker/broker_peek.c broker/broker_perm.c
fuzz_envelope_peek_SRCS := broker/broker_peek.c
