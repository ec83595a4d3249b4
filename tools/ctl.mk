PROGRAMS += hive-ctl
hive-ctl_SRCS := tools/ctl_main.c tools/ctl_l2cap.c tools/ctl_graph.c tools/ctl_gatt.c tools/ctl_host.c tools/ctl_smp.c
