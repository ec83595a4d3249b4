PROGRAMS += hive-ctl
hive-ctl_SRCS := tools/ctl_main.c tools/ctl_script.c tools/ctl_errors.c tools/ctl_console.c \
	tools/ctl_l2cap.c tools/ctl_graph.c tools/ctl_gatt.c tools/ctl_host.c tools/ctl_host_adv.c \
	tools/ctl_bredr.c tools/ctl_smp.c tools/ctl_prompt.c tools/ctl_sdp.c \
	actors/sdp/sdp_de.c actors/sdp/sdp_codec.c actors/sdp/sdp_client.c
# libedit: line editing, history and completion on a terminal (ctl_console.c).
hive-ctl_LIBS := -ledit
# The console test links the pure parts (error words, script splitting).
test_ctl_console_SRCS := tools/ctl_script.c tools/ctl_errors.c
