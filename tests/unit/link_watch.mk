# The link watcher of the whole-stack tests (tests/unit/link_watch_util.c).
test_stack_e2e_SRCS := tests/unit/link_watch_util.c
test_swap_python_SRCS := tests/unit/link_watch_util.c
