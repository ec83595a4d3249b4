# hive-trace: the tracer that attaches to the broker's tap.
TRACE_PURE_SRCS := broker/trace_format.c broker/trace_decode.c broker/trace_hci.c \
	broker/btsnoop.c

PROGRAMS += hive-trace
hive-trace_SRCS := broker/trace.c $(TRACE_PURE_SRCS)

# test_trace runs the program end to end; test_trace_format links the pure halves.
test_trace_SRCS :=
fuzz_trace_format_SRCS := broker/trace_format.c broker/trace_decode.c broker/trace_hci.c
test_trace_format_SRCS := $(TRACE_PURE_SRCS)
