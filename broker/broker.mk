PROGRAMS += hive-broker
hive-broker_SRCS := broker/broker_main.c broker/broker.c broker/broker_control.c broker/broker_queue.c
test_broker_SRCS :=
