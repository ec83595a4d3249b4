/* HCI command flow control: see host_cmd.h. */
#include "host_cmd.h"

#include <errno.h>
#include <string.h>

void host_cmdq_init(struct host_cmdq *q, uint64_t timeout_ms)
{
	memset(q, 0, sizeof *q);
	q->credits = 1; /* the host may send one command after power-on */
	q->timeout_ms = timeout_ms ? timeout_ms : HOST_CMD_TIMEOUT_MS_DEFAULT;
}

int host_cmdq_submit(struct host_cmdq *q, uint16_t opcode, const uint8_t *params, size_t plen,
		     uint64_t cookie)
{
	if (plen > HCI_CMD_PARAM_MAX)
		return -EMSGSIZE;
	if (q->count == HOST_CMD_QUEUE_MAX)
		return -ENOBUFS;
	struct host_cmd *c = &q->queue[(q->head + q->count) % HOST_CMD_QUEUE_MAX];
	c->opcode = opcode;
	c->plen = (uint8_t)plen;
	if (plen)
		memcpy(c->params, params, plen);
	c->cookie = cookie;
	c->deadline_ms = 0;
	q->count++;
	return 0;
}

int host_cmdq_next(struct host_cmdq *q, uint64_t now_ms, uint8_t *out, size_t cap)
{
	if (!q->count || !q->credits || q->npending == HOST_CMD_PENDING_MAX)
		return 0;
	struct host_cmd *c = &q->queue[q->head];
	int n = hci_build_command(out, cap, c->opcode, c->params, c->plen);
	if (n < 0)
		return n;
	c->deadline_ms = now_ms + q->timeout_ms;
	q->pending[q->npending++] = *c;
	q->head = (q->head + 1) % HOST_CMD_QUEUE_MAX;
	q->count--;
	q->credits--;
	q->sent++;
	return n;
}

static void take_pending(struct host_cmdq *q, unsigned i, struct host_cmd_done *done)
{
	done->opcode = q->pending[i].opcode;
	done->cookie = q->pending[i].cookie;
	memmove(&q->pending[i], &q->pending[i + 1],
		(q->npending - i - 1) * sizeof q->pending[0]);
	q->npending--;
}

int host_cmdq_complete(struct host_cmdq *q, uint16_t opcode, uint8_t ncmd, bool by_status,
		       const uint8_t *ret, size_t ret_len, struct host_cmd_done *done)
{
	q->credits = ncmd;
	if (opcode == HCI_OP_NOP)
		return 0;
	for (unsigned i = 0; i < q->npending; i++) {
		if (q->pending[i].opcode != opcode)
			continue;
		take_pending(q, i, done);
		done->err = 0;
		done->by_status = by_status;
		done->status = ret_len ? ret[0] : 0;
		done->ret_len = ret_len > 1 ? ret_len - 1 : 0;
		if (done->ret_len)
			memcpy(done->ret, ret + 1, done->ret_len);
		q->completed++;
		return 1;
	}
	q->unexpected++;
	return 0;
}

int host_cmdq_expire(struct host_cmdq *q, uint64_t now_ms, struct host_cmd_done *done)
{
	for (unsigned i = 0; i < q->npending; i++) {
		if (q->pending[i].deadline_ms > now_ms)
			continue;
		take_pending(q, i, done);
		done->err = -ETIMEDOUT;
		done->by_status = false;
		done->status = 0;
		done->ret_len = 0;
		if (!q->credits)
			q->credits = 1;
		q->timeouts++;
		return 1;
	}
	return 0;
}

uint64_t host_cmdq_deadline(const struct host_cmdq *q)
{
	uint64_t d = UINT64_MAX;
	for (unsigned i = 0; i < q->npending; i++)
		if (q->pending[i].deadline_ms < d)
			d = q->pending[i].deadline_ms;
	return d;
}
