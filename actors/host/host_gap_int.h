/* Between host_gap.c and host_gap_link.c: the operations of GAP. */
#ifndef HOST_GAP_INT_H
#define HOST_GAP_INT_H

#include "host_gap.h"

/* A free operation of kind for asker, or NULL. */
struct gap_op *gap_op_new(struct host *h, enum gap_kind kind, uint64_t asker);
/* Sends the operation's first command. On failure the operation is freed
 * and *why says why. */
int gap_op_start(struct host *h, struct gap_op *op, const char **why);
/* The operation of kind on handle, or NULL. */
struct gap_op *gap_find_kind(struct host *h, enum gap_kind kind, uint16_t handle);
/* Sets *why to text and returns rc. */
int gap_refuse(const char **why, const char *text, int rc);

#endif
