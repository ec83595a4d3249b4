/* Rings of held messages: the queue of an absent actor and the in-flight
 * window of a live one. Messages are moved, never copied. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "broker.h"

static int mqueue_grow(struct mqueue *q)
{
	size_t cap = q->cap ? q->cap * 2 : 64;
	struct qmsg *items = malloc(cap * sizeof *items);
	if (!items)
		return -ENOMEM;
	/* zmq_msg_t may be moved bytewise only through zmq_msg_move. */
	for (size_t i = 0; i < q->len; i++) {
		struct qmsg *from = &q->items[(q->head + i) % q->cap];
		zmq_msg_init(&items[i].src);
		zmq_msg_init(&items[i].env);
		zmq_msg_move(&items[i].src, &from->src);
		zmq_msg_move(&items[i].env, &from->env);
		zmq_msg_close(&from->src);
		zmq_msg_close(&from->env);
	}
	free(q->items);
	q->items = items;
	q->head = 0;
	q->cap = cap;
	return 0;
}

int mqueue_push_back(struct mqueue *q, zmq_msg_t *src, zmq_msg_t *env)
{
	if (q->len == q->cap && mqueue_grow(q) < 0)
		return -ENOMEM;
	struct qmsg *slot = &q->items[(q->head + q->len) % q->cap];
	zmq_msg_init(&slot->src);
	zmq_msg_init(&slot->env);
	zmq_msg_move(&slot->src, src);
	zmq_msg_move(&slot->env, env);
	q->len++;
	q->bytes += zmq_msg_size(&slot->env);
	return 0;
}

struct qmsg *mqueue_front(struct mqueue *q)
{
	return q->len ? &q->items[q->head] : NULL;
}

void mqueue_pop_front(struct mqueue *q, struct qmsg *out)
{
	struct qmsg *m = &q->items[q->head];
	q->bytes -= zmq_msg_size(&m->env);
	zmq_msg_init(&out->src);
	zmq_msg_init(&out->env);
	zmq_msg_move(&out->src, &m->src);
	zmq_msg_move(&out->env, &m->env);
	zmq_msg_close(&m->src);
	zmq_msg_close(&m->env);
	q->head = (q->head + 1) % q->cap;
	q->len--;
}

void mqueue_drop_front(struct mqueue *q)
{
	struct qmsg m;
	mqueue_pop_front(q, &m);
	zmq_msg_close(&m.src);
	zmq_msg_close(&m.env);
}

int mqueue_prepend_all(struct mqueue *to, struct mqueue *from)
{
	struct mqueue merged = { 0 };
	int rc = 0;
	while (from->len && rc == 0) {
		struct qmsg m;
		mqueue_pop_front(from, &m);
		rc = mqueue_push_back(&merged, &m.src, &m.env);
		zmq_msg_close(&m.src);
		zmq_msg_close(&m.env);
	}
	while (to->len && rc == 0) {
		struct qmsg m;
		mqueue_pop_front(to, &m);
		rc = mqueue_push_back(&merged, &m.src, &m.env);
		zmq_msg_close(&m.src);
		zmq_msg_close(&m.env);
	}
	mqueue_fini(to);
	*to = merged;
	return rc;
}

void mqueue_fini(struct mqueue *q)
{
	while (q->len)
		mqueue_drop_front(q);
	free(q->items);
	memset(q, 0, sizeof *q);
}
