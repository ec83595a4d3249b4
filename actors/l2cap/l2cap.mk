# l2cap: the pure core (codec, fixed channels, LE signaling, credit based
# channels). The hive-l2cap program comes once its messages exist.
L2CAP_PURE_SRCS := actors/l2cap/l2cap_codec.c actors/l2cap/l2cap_fixed.c \
	actors/l2cap/l2cap.c actors/l2cap/l2cap_signaling.c actors/l2cap/l2cap_coc.c \
	actors/l2cap/l2cap_ecred.c

test_l2cap_codec_SRCS := actors/l2cap/l2cap_codec.c
test_l2cap_signaling_SRCS := $(L2CAP_PURE_SRCS)
test_l2cap_coc_SRCS := $(L2CAP_PURE_SRCS)
fuzz_l2cap_signaling_SRCS := $(L2CAP_PURE_SRCS)
fuzz_kframe_SRCS := $(L2CAP_PURE_SRCS)
