/* Bounded packet FIFO: entries [type u8][length le32][bytes] one after the
 * other; the live region slides to the front when the tail needs room. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "hci_queue.h"
#include "hive_bytes.h"

#define ENTRY_HDR 5

int hci_queue_init(struct hci_queue *q, size_t cap, size_t max_count)
{
	memset(q, 0, sizeof *q);
	q->buf = malloc(cap ? cap : 1);
	if (!q->buf)
		return -ENOMEM;
	q->cap = cap;
	q->max_count = max_count;
	return 0;
}

void hci_queue_fini(struct hci_queue *q)
{
	free(q->buf);
	memset(q, 0, sizeof *q);
}

int hci_queue_push(struct hci_queue *q, uint8_t type, const uint8_t *pkt, size_t len)
{
	if (q->count >= q->max_count || len > UINT32_MAX || len > q->cap ||
	    ENTRY_HDR + len > q->cap - (q->tail - q->head))
		return -ENOBUFS;
	if (q->cap - q->tail < ENTRY_HDR + len) {
		memmove(q->buf, q->buf + q->head, q->tail - q->head);
		q->tail -= q->head;
		q->head = 0;
	}
	struct wr w = wr_init(q->buf + q->tail, q->cap - q->tail);
	wr_u8(&w, type);
	wr_le32(&w, (uint32_t)len);
	wr_bytes(&w, pkt, len);
	q->tail += w.len;
	q->count++;
	if (q->count > q->high_water)
		q->high_water = q->count;
	return 0;
}

bool hci_queue_peek(const struct hci_queue *q, uint8_t *type, const uint8_t **pkt, size_t *len)
{
	if (!q->count)
		return false;
	struct rd r = rd_init(q->buf + q->head, q->tail - q->head);
	*type = rd_u8(&r);
	*len = rd_le32(&r);
	*pkt = rd_ptr(&r, *len);
	return rd_ok(&r);
}

void hci_queue_pop(struct hci_queue *q)
{
	if (!q->count)
		return;
	struct rd r = rd_init(q->buf + q->head, q->tail - q->head);
	rd_skip(&r, 1);
	size_t len = rd_le32(&r);
	q->head += ENTRY_HDR + len;
	q->count--;
	if (!q->count)
		q->head = q->tail = 0;
}

void hci_queue_clear(struct hci_queue *q)
{
	q->head = q->tail = 0;
	q->count = 0;
}
