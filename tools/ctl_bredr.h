/* hive-ctl commands of BR/EDR (ctl_bredr.c), listed in ctl_main.c. */
#ifndef CTL_BREDR_H
#define CTL_BREDR_H

#include "ctl.h"

int ctl_cmd_inquiry(struct ctl *c, int argc, char **argv);
int ctl_cmd_bredr_connect(struct ctl *c, int argc, char **argv);
/* `connect`: BR/EDR with --bredr, else LE. */
int ctl_cmd_connect_any(struct ctl *c, int argc, char **argv);
int ctl_cmd_scan_enable(struct ctl *c, int argc, char **argv);
int ctl_cmd_remote_name(struct ctl *c, int argc, char **argv);
int ctl_cmd_auth(struct ctl *c, int argc, char **argv);
int ctl_cmd_link_keys(struct ctl *c, int argc, char **argv);

#endif
