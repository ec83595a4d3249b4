# The gatt actor: ATT codec, attribute database, GATT server and client
# (pure parts), and the hive-gatt program (gatt_actor.c holds the actor's
# state, gatt_main.c and gatt_main_req.c the I/O).
GATT_PURE_SRCS := actors/gatt/att_codec.c actors/gatt/gatt_db.c actors/gatt/gatt_db_json.c \
	actors/gatt/gatt_server.c actors/gatt/gatt_server_read.c actors/gatt/gatt_provider.c \
	actors/gatt/gatt_robust.c actors/gatt/gatt_cache.c \
	actors/gatt/gatt_client.c actors/gatt/gatt_client_proc.c actors/gatt/gatt_flow.c \
	actors/gatt/gatt_bond.c actors/gatt/gatt_sign.c actors/smp/smp_crypto.c \
	actors/gatt/gatt_secretry.c

test_att_codec_SRCS := actors/gatt/att_codec.c
test_gatt_db_SRCS := $(GATT_PURE_SRCS)
test_gatt_server_SRCS := $(GATT_PURE_SRCS)
test_gatt_flow_SRCS := actors/gatt/gatt_flow.c
test_gatt_client_SRCS := $(GATT_PURE_SRCS)
test_gatt_stale_SRCS := $(GATT_PURE_SRCS) tests/unit/malformed_util.c
test_gatt_provider_SRCS := $(GATT_PURE_SRCS)
test_gatt_robust_SRCS := $(GATT_PURE_SRCS) actors/gatt/gatt_actor.c
test_gatt_cache_SRCS := $(GATT_PURE_SRCS)
fuzz_att_server_SRCS := $(GATT_PURE_SRCS)
fuzz_att_client_SRCS := $(GATT_PURE_SRCS)
fuzz_gatt_provider_SRCS := $(GATT_PURE_SRCS)

PROGRAMS += hive-gatt
hive-gatt_SRCS := actors/gatt/gatt_main.c actors/gatt/gatt_main_req.c actors/gatt/gatt_provider_io.c actors/gatt/gatt_cache_io.c actors/gatt/gatt_actor.c actors/gatt/gatt_smp.c actors/gatt/gatt_secretry_io.c $(GATT_PURE_SRCS)
# test_gatt_actor runs the program; it links the codec to build PDUs.
test_gatt_actor_SRCS := actors/gatt/att_codec.c
test_gatt_signed_SRCS := $(GATT_PURE_SRCS)
test_gatt_bond_SRCS := $(GATT_PURE_SRCS)
fuzz_gatt_bond_record_SRCS := $(GATT_PURE_SRCS)
test_gatt_bond_e2e_SRCS := actors/smp/smp_bonds.c actors/gatt/gatt_sign.c actors/smp/smp_crypto.c
test_gatt_secretry_SRCS := actors/gatt/gatt_secretry.c
