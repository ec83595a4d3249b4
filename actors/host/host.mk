# hive-host: HCI commands and events, ACL data, the connection table, GAP.
HOST_PURE_SRCS := actors/host/hci_codec.c actors/host/host_cmd.c actors/host/host_acl.c \
	actors/host/host_conn.c actors/host/host_events.c actors/host/host_setup.c \
	actors/host/host.c actors/host/ad_codec.c actors/host/gap_codec.c \
	actors/host/host_gap.c actors/host/host_gap_link.c actors/host/host_ext.c \
	actors/host/host_addr.c \
	actors/host/host_config.c \
	actors/smp/smp_crypto.c actors/host/hci_codec_bredr.c actors/host/host_bredr.c \
	actors/host/host_bredr_ops.c

PROGRAMS += hive-host
hive-host_SRCS := actors/host/host_main.c actors/host/host_main_gap.c \
	actors/host/host_bredr_main.c $(HOST_PURE_SRCS)

# Unit tests link the pure state machine; test_host_script runs the program.
test_host_codec_SRCS := $(HOST_PURE_SRCS)
test_host_acl_SRCS := $(HOST_PURE_SRCS)
test_host_ad_SRCS := $(HOST_PURE_SRCS)
test_host_script_SRCS := actors/host/hci_codec.c
test_host_gap_SRCS := actors/host/hci_codec.c
test_host_ext_SRCS := actors/host/hci_codec.c
test_host_e2e_SRCS := actors/host/hci_codec.c
fuzz_hci_event_SRCS := $(HOST_PURE_SRCS)
fuzz_hci_bredr_SRCS := $(HOST_PURE_SRCS)
test_host_bredr_codec_SRCS := $(HOST_PURE_SRCS)
test_host_bredr_SRCS := actors/host/hci_codec.c
fuzz_acl_SRCS := $(HOST_PURE_SRCS)
fuzz_ad_SRCS := actors/host/ad_codec.c actors/host/gap_codec.c
