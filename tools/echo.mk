# hive-echo: the smallest actor; answers Request{echo}. Tests use its
# --set exit_after_ms=N --set exit_code=C to make an actor that dies.
PROGRAMS += hive-echo
hive-echo_SRCS := tools/hive-echo.c
