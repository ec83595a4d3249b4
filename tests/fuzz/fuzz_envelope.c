/* libFuzzer: arbitrary bytes as an envelope, decoded the way the runtime and
 * the broker decode them (protobuf-c through the arena), then packed again. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "arena.h"
#include "hive.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct arena ar;
	arena_init(&ar);
	Hive__Envelope *env = hive__envelope__unpack(&ar.allocator, size, data);
	if (env) {
		/* Everything a handler may touch must be consistent. */
		(void)hive_body_name(env->body_case);
		size_t len = hive__envelope__get_packed_size(env);
		uint8_t *buf = malloc(len ? len : 1);
		if (buf) {
			size_t packed = hive__envelope__pack(env, buf);
			if (packed != len)
				abort();
			/* protobuf-c may re-pack what it accepted into bytes it then
			 * refuses (a string that is not UTF-8); only crashes and leaks
			 * matter here. */
			Hive__Envelope *again = hive__envelope__unpack(NULL, len, buf);
			if (again && again->seq != env->seq)
				abort();
			hive__envelope__free_unpacked(again, NULL);
			free(buf);
		}
	}
	arena_reset(&ar);
	arena_fini(&ar);
	return 0;
}
