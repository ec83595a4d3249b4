# l2cap: the pure core (codec, fixed channels, LE signaling, credit based
# channels, the snapshot of its state) and hive-l2cap, the I/O shell.
L2CAP_PURE_SRCS := actors/l2cap/l2cap_codec.c actors/l2cap/l2cap_fixed.c \
	actors/l2cap/l2cap.c actors/l2cap/l2cap_hostflow.c actors/l2cap/l2cap_signaling.c actors/l2cap/l2cap_coc.c \
	actors/l2cap/l2cap_ecred.c actors/l2cap/l2cap_snapshot.c \
	actors/l2cap/l2cap_codec_bredr.c actors/l2cap/l2cap_bredr.c actors/l2cap/l2cap_bredr_conf.c

PROGRAMS += hive-l2cap
hive-l2cap_SRCS := actors/l2cap/l2cap_main.c actors/l2cap/l2cap_main_req.c $(L2CAP_PURE_SRCS)

test_l2cap_codec_SRCS := actors/l2cap/l2cap_codec.c
test_l2cap_signaling_SRCS := $(L2CAP_PURE_SRCS)
test_l2cap_bredr_SRCS := $(L2CAP_PURE_SRCS)
fuzz_l2cap_bredr_SRCS := $(L2CAP_PURE_SRCS)
test_l2cap_coc_SRCS := $(L2CAP_PURE_SRCS)
test_l2cap_hostflow_SRCS := $(L2CAP_PURE_SRCS)
test_l2cap_snapshot_SRCS := $(L2CAP_PURE_SRCS)
fuzz_l2cap_signaling_SRCS := $(L2CAP_PURE_SRCS)
fuzz_kframe_SRCS := $(L2CAP_PURE_SRCS)
test_l2cap_actor_SRCS := tests/unit/l2cap_actor_util.c
test_l2cap_ctl_SRCS := tests/unit/l2cap_actor_util.c
test_l2cap_bredr_actor_SRCS := tests/unit/l2cap_actor_util.c
