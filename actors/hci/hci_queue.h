/* A bounded FIFO of HCI packets (type and bytes) in one buffer allocated at
 * init: no allocation per packet. Pure. */
#ifndef HCI_QUEUE_H
#define HCI_QUEUE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct hci_queue {
	uint8_t *buf;
	size_t cap;        /* bytes */
	size_t head, tail; /* live entries are buf[head..tail) */
	size_t count;
	size_t max_count;
	uint64_t high_water; /* most entries ever held */
};

/* Allocates cap bytes for entries (each takes 5 bytes + its packet) and
 * admits at most max_count entries. Returns 0 or -ENOMEM. */
int hci_queue_init(struct hci_queue *q, size_t cap, size_t max_count);
void hci_queue_fini(struct hci_queue *q);

/* Copies a packet in. Returns 0, or -ENOBUFS when it does not fit (the
 * queue is unchanged). */
int hci_queue_push(struct hci_queue *q, uint8_t type, const uint8_t *pkt, size_t len);

/* The oldest packet, or false when empty. *pkt points into the queue until
 * the next push or pop. */
bool hci_queue_peek(const struct hci_queue *q, uint8_t *type, const uint8_t **pkt, size_t *len);
void hci_queue_pop(struct hci_queue *q);
void hci_queue_clear(struct hci_queue *q);

static inline size_t hci_queue_count(const struct hci_queue *q)
{
	return q->count;
}

static inline size_t hci_queue_bytes(const struct hci_queue *q)
{
	return q->tail - q->head;
}

#endif
