# The gatt actor: ATT codec, attribute database, GATT server (pure parts).
# The program (hive-gatt) comes with the I/O shell once l2cap and the
# proto messages for ATT bearers exist.
GATT_PURE_SRCS := actors/gatt/att_codec.c actors/gatt/gatt_db.c actors/gatt/gatt_db_json.c \
	actors/gatt/gatt_server.c actors/gatt/gatt_server_read.c

test_att_codec_SRCS := actors/gatt/att_codec.c
test_gatt_db_SRCS := $(GATT_PURE_SRCS)
test_gatt_server_SRCS := $(GATT_PURE_SRCS)
fuzz_att_server_SRCS := $(GATT_PURE_SRCS)
