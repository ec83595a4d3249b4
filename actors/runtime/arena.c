#include <stdlib.h>

#include "arena.h"

struct arena_chunk {
	struct arena_chunk *next;
	size_t cap;
	size_t used;
	max_align_t data[];
};

#define ARENA_MIN_CHUNK 16384

static struct arena_chunk *chunk_new(size_t cap)
{
	struct arena_chunk *c = malloc(sizeof *c + cap);
	if (c) {
		c->next = NULL;
		c->cap = cap;
		c->used = 0;
	}
	return c;
}

static void *arena_alloc(void *data, size_t size)
{
	struct arena *a = data;
	size_t need = (size + sizeof(max_align_t) - 1) & ~(sizeof(max_align_t) - 1);
	struct arena_chunk *c = a->head;
	if (!c || c->cap - c->used < need) {
		size_t cap = c ? c->cap * 2 : ARENA_MIN_CHUNK;
		while (cap < need)
			cap *= 2;
		struct arena_chunk *n = chunk_new(cap);
		if (!n)
			return NULL;
		n->next = c;
		a->head = n;
		c = n;
	}
	void *p = (char *)c->data + c->used;
	c->used += need;
	a->total += need;
	return p;
}

static void arena_free(void *data, void *p)
{
	(void)data;
	(void)p;
}

void arena_init(struct arena *a)
{
	a->head = NULL;
	a->total = 0;
	a->allocator.alloc = arena_alloc;
	a->allocator.free = arena_free;
	a->allocator.allocator_data = a;
}

void arena_reset(struct arena *a)
{
	struct arena_chunk *c = a->head;
	if (c && c->next) {
		/* Several chunks were needed: replace them with one that holds it all. */
		size_t want = c->cap;
		while (want < a->total)
			want *= 2;
		arena_fini(a);
		a->head = chunk_new(want);
	} else if (c) {
		c->used = 0;
	}
	a->total = 0;
}

void arena_fini(struct arena *a)
{
	struct arena_chunk *c = a->head;
	while (c) {
		struct arena_chunk *next = c->next;
		free(c);
		c = next;
	}
	a->head = NULL;
	a->total = 0;
}
