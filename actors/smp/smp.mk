# The SMP actor: the toolbox (OpenSSL), the PDU codec and the pairing state
# machine (pure), the bond store (SQLite), the link table and the pairing
# delegate (pure but for the store), and hive-smp, the I/O shell.
SMP_PURE_SRCS := actors/smp/smp_codec.c actors/smp/smp_crypto.c actors/smp/smp_pairing.c \
	actors/smp/smp_legacy.c actors/smp/smp_sc.c actors/smp/smp_keys.c
SMP_ACTOR_SRCS := $(SMP_PURE_SRCS) actors/smp/smp_bonds.c actors/smp/smp_actor.c \
	actors/smp/smp_delegate.c

PROGRAMS += hive-smp
hive-smp_SRCS := actors/smp/smp_main.c actors/smp/smp_main_req.c actors/smp/smp_gatt.c \
	actors/smp/smp_bredr.c actors/smp/smp_bredr_main.c $(SMP_ACTOR_SRCS)

test_smp_crypto_SRCS := actors/smp/smp_crypto.c
test_smp_codec_SRCS := actors/smp/smp_codec.c
test_smp_pairing_SRCS := $(SMP_PURE_SRCS) tests/unit/smp_pairing_util.c
test_smp_oob_SRCS := $(SMP_PURE_SRCS) tests/unit/smp_pairing_util.c
test_smp_attempts_SRCS := $(SMP_ACTOR_SRCS)
test_smp_bonds_SRCS := actors/smp/smp_bonds.c
test_smp_bredr_SRCS := $(SMP_ACTOR_SRCS) actors/smp/smp_bredr.c

fuzz_smp_SRCS := $(SMP_PURE_SRCS)
