/* HCI command flow control: a queue of commands sent to the controller no
 * faster than Num_HCI_Command_Packets allows, each waiting for its Command
 * Complete or Command Status with a deadline. Pure: time is passed in. */
#ifndef HOST_CMD_H
#define HOST_CMD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "hci_codec.h"

#define HOST_CMD_QUEUE_MAX 64
#define HOST_CMD_PENDING_MAX 8
#define HOST_CMD_TIMEOUT_MS_DEFAULT 2000

struct host_cmd {
	uint16_t opcode;
	uint8_t plen;
	uint8_t params[HCI_CMD_PARAM_MAX];
	uint64_t cookie;      /* the requester's tag, returned in host_cmd_done */
	uint64_t deadline_ms; /* once sent */
};

/* What became of one command. */
struct host_cmd_done {
	uint16_t opcode;
	uint64_t cookie;
	int err;           /* 0, or -ETIMEDOUT when no completion came in time */
	bool by_status;    /* completed by Command Status (the work goes on) */
	uint8_t status;    /* HCI status (when err == 0) */
	uint8_t ret[HCI_CMD_PARAM_MAX]; /* return parameters after the status */
	size_t ret_len;
};

struct host_cmdq {
	struct host_cmd queue[HOST_CMD_QUEUE_MAX];
	unsigned head, count;
	struct host_cmd pending[HOST_CMD_PENDING_MAX]; /* in send order */
	unsigned npending;
	unsigned credits;  /* commands the controller accepts now */
	uint64_t timeout_ms;
	uint64_t sent, completed, timeouts, unexpected;
};

void host_cmdq_init(struct host_cmdq *q, uint64_t timeout_ms);

/* Queues a command (params copied). Returns 0, -ENOBUFS when the queue is
 * full, -EMSGSIZE when plen is over 255. */
int host_cmdq_submit(struct host_cmdq *q, uint16_t opcode, const uint8_t *params, size_t plen,
		     uint64_t cookie);

/* When a command may go now, writes its HCI packet into out and returns its
 * length; returns 0 when nothing may go (no credit, nothing queued, too many
 * pending), -EMSGSIZE when cap is too small. */
int host_cmdq_next(struct host_cmdq *q, uint64_t now_ms, uint8_t *out, size_t cap);

/* A Command Complete (by_status false; ret starts with the status byte) or a
 * Command Status (ret is the one status byte). Takes the credits; returns 1
 * and fills done when it completes a pending command, 0 otherwise (a NOP
 * credit update, or an opcode nobody waits for: counted). */
int host_cmdq_complete(struct host_cmdq *q, uint16_t opcode, uint8_t ncmd, bool by_status,
		       const uint8_t *ret, size_t ret_len, struct host_cmd_done *done);

/* Fills done with the oldest pending command whose deadline passed and
 * returns 1; 0 when none. Call until 0. A timed-out command gives its
 * credit back so the queue does not stall. */
int host_cmdq_expire(struct host_cmdq *q, uint64_t now_ms, struct host_cmd_done *done);

/* The earliest deadline of a pending command, or UINT64_MAX. */
uint64_t host_cmdq_deadline(const struct host_cmdq *q);

#endif
