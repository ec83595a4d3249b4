# hive-demo: the demo of `make run` (two graphs on hive-vctrl, driven
# step by step; see tools/hive-demo.c).
PROGRAMS += hive-demo
hive-demo_SRCS := tools/hive-demo.c tools/demo_app.c tools/demo_steps.c tools/demo_proc.c
