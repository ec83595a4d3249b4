# The sdp actor: data elements, the PDU codec, the service record database
# (and its JSON loader), the server's transactions (pure parts), and the
# hive-sdp program (sdp_main.c holds the I/O).
SDP_PURE_SRCS := actors/sdp/sdp_de.c actors/sdp/sdp_codec.c actors/sdp/sdp_db.c \
	actors/sdp/sdp_db_json.c actors/sdp/sdp_server.c

PROGRAMS += hive-sdp
hive-sdp_SRCS := actors/sdp/sdp_main.c $(SDP_PURE_SRCS)

test_sdp_de_SRCS := actors/sdp/sdp_de.c tests/unit/sdp_test_util.c
test_sdp_codec_SRCS := actors/sdp/sdp_de.c actors/sdp/sdp_codec.c tests/unit/sdp_test_util.c
test_sdp_server_SRCS := $(SDP_PURE_SRCS) tests/unit/sdp_test_util.c
test_sdp_db_SRCS := $(SDP_PURE_SRCS)
# test_sdp_actor runs the program; it links the codec to build PDUs.
test_sdp_actor_SRCS := actors/sdp/sdp_de.c actors/sdp/sdp_codec.c tests/unit/sdp_test_util.c
fuzz_sdp_SRCS := $(SDP_PURE_SRCS)
fuzz_sdp_de_SRCS := actors/sdp/sdp_de.c
# The SDP client's browse (hive-ctl sdp): data elements and the PDU codec.
SDP_CLIENT_SRCS := actors/sdp/sdp_de.c actors/sdp/sdp_codec.c actors/sdp/sdp_client.c
test_l2cap_bredr_sdp_SRCS := $(SDP_PURE_SRCS) actors/sdp/sdp_client.c
fuzz_sdp_client_SRCS := $(SDP_CLIENT_SRCS)
