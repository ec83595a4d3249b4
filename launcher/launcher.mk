# hive-launch: starts, supervises and stops a graph of actors.
PROGRAMS += hive-launch
hive-launch_SRCS := launcher/launch_main.c launcher/launch_run.c launcher/child.c \
	launcher/graph.c launcher/supervise.c broker/broker_perm.c launcher/launch_device.c \
	actors/host/host_config.c actors/host/host_addr.c actors/smp/smp_crypto.c

# The unit tests link the pure parts (graph files, supervision decisions).
test_launcher_SRCS := launcher/graph.c launcher/supervise.c broker/broker_perm.c
fuzz_graph_SRCS := launcher/graph.c broker/broker_perm.c
test_net_graph_SRCS := launcher/graph.c broker/broker_perm.c
# The device configuration's keystore and IO capability handed to smp.
test_launch_device_SRCS := launcher/launch_device.c launcher/child.c launcher/supervise.c \
	actors/host/host_config.c \
	actors/host/host_addr.c actors/smp/smp_crypto.c
