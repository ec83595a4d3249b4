# The SMP actor's pure parts: the toolbox (OpenSSL), the PDU codec and the
# pairing state machine. The hive-smp program (the I/O shell) comes with the
# L2CAP actor.
SMP_PURE_SRCS := actors/smp/smp_codec.c actors/smp/smp_crypto.c actors/smp/smp_pairing.c \
	actors/smp/smp_legacy.c actors/smp/smp_sc.c actors/smp/smp_keys.c

test_smp_crypto_SRCS := actors/smp/smp_crypto.c
test_smp_codec_SRCS := actors/smp/smp_codec.c
test_smp_pairing_SRCS := $(SMP_PURE_SRCS)
fuzz_smp_SRCS := $(SMP_PURE_SRCS)
