/* libFuzzer: arbitrary bytes through the broker's envelope peeker, checked
 * against protobuf-c: when both accept the bytes, they must agree on the
 * body case, the seq and a ChannelPdu's cid (otherwise a sender could show
 * the broker's permissions one kind and the receiver another). The peeker
 * may refuse what protobuf-c tolerates (a tag past 2^29): the broker then
 * drops the message as malformed, which is safe. */
#include <stdint.h>
#include <stdlib.h>

#include "arena.h"
#include "broker_peek.h"
#include "hive.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct env_peek pk;
	int rc = env_peek(data, size, &pk);
	struct arena ar;
	arena_init(&ar);
	Hive__Envelope *env = hive__envelope__unpack(&ar.allocator, size, data);
	if (env && rc == 0 && (pk.seq != env->seq || pk.body != (uint32_t)env->body_case))
		abort();
	if (env && rc == 0 && env->body_case == HIVE__ENVELOPE__BODY_PDU && pk.has_cid &&
	    pk.cid != env->pdu->cid)
		abort();
	arena_fini(&ar);
	return 0;
}
