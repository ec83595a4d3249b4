# hive-vctrl: emulated LE and BR/EDR controllers on one virtual radio, served
# as H4 over unix and TCP sockets.
VCTRL_CORE_SRCS := controller/vctrl_codec.c controller/vctrl_radio.c controller/vctrl_cmd.c \
	controller/vctrl_adv.c controller/vctrl_scan.c controller/vctrl_conn.c controller/vctrl_data.c \
	controller/vctrl_crypto.c controller/vctrl_codec_bredr.c controller/vctrl_bredr.c \
	controller/vctrl_ssp.c

PROGRAMS += hive-vctrl
hive-vctrl_SRCS := controller/vctrl_main.c $(VCTRL_CORE_SRCS)

# One test binary from several files: the codec and commands
# (tests/unit/test_vctrl.c), the radio, and the real program end to end.
test_vctrl_SRCS := $(VCTRL_CORE_SRCS) tests/unit/vctrl_test_util.c \
	tests/unit/vctrl_radio_tests.c tests/unit/vctrl_enc_tests.c \
	tests/unit/vctrl_e2e_tests.c tests/unit/vctrl_bredr_tests.c
# The fuzzer feeds the state machine H4 streams.
fuzz_vctrl_cmd_SRCS := $(VCTRL_CORE_SRCS)
