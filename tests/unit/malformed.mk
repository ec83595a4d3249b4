# The malformed-PDU and chaos tests link their helpers.
test_malformed_att_SRCS := tests/unit/malformed_util.c
test_malformed_l2cap_SRCS := tests/unit/malformed_util.c
test_malformed_smp_SRCS := tests/unit/malformed_util.c
test_malformed_hci_SRCS := tests/unit/malformed_util.c
test_chaos_SRCS := tests/unit/malformed_util.c
