# hive-launch: starts, supervises and stops a graph of actors.
PROGRAMS += hive-launch
hive-launch_SRCS := launcher/launch_main.c launcher/launch_run.c launcher/child.c \
	launcher/graph.c launcher/supervise.c

# The unit tests link the pure parts (graph files, supervision decisions).
test_launcher_SRCS := launcher/graph.c launcher/supervise.c
fuzz_graph_SRCS := launcher/graph.c
