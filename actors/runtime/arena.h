/* A bump allocator for unpacking envelopes: protobuf-c allocates through it,
 * and the whole message is released at once by arena_reset() after the
 * handler returns, so the steady state allocates nothing per message. */
#ifndef HIVE_ARENA_H
#define HIVE_ARENA_H

#include <stddef.h>
#include <stdint.h>

#include <protobuf-c/protobuf-c.h>

struct arena_chunk;

struct arena {
	struct arena_chunk *head; /* the chunk being filled; older ones follow */
	size_t total;             /* bytes handed out since the last reset */
	ProtobufCAllocator allocator;
};

void arena_init(struct arena *a);
/* Frees everything handed out; keeps one chunk big enough for the largest
 * message seen so far. */
void arena_reset(struct arena *a);
void arena_fini(struct arena *a);

#endif
