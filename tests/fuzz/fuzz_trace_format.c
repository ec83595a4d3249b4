/* Fuzz target: arbitrary bytes as a tap message through hive-trace's pure
 * half. The first byte gives the length of a topic taken from the bytes
 * that follow it; the rest is unpacked as an Envelope and, when it decodes,
 * formatted as text and as JSON (which must parse back). The rest is also
 * decoded directly as an HCI packet of every type, so the HCI decoders see
 * raw bytes even when they are not a valid protobuf. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "trace_format.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	size_t tlen = data[0] % 48;
	if (tlen > size - 1)
		tlen = size - 1;
	const uint8_t *topic = data + 1;
	const uint8_t *body = data + 1 + tlen;
	size_t blen = size - 1 - tlen;

	char src[TRACE_NAME_CAP], dst[TRACE_NAME_CAP];
	if (trace_topic_split(topic, tlen, src, dst) < 0) {
		strcpy(src, "host");
		strcpy(dst, "hci");
	}

	struct trace_fields f;
	for (int t = 0; t <= 6; t++)
		trace_decode_hci((Hive__HciPacket__Type)t, body, blen, &f);

	Hive__Envelope *env = hive__envelope__unpack(NULL, blen, body);
	if (!env)
		return 0;
	struct trace_msg m = {
		.source = src,
		.destination = dst,
		.env = env,
		.size = blen,
		.time_ns = (int64_t)(env->sent_ns - env->seq),
	};
	char line[TRACE_TEXT_LINE];
	size_t n = trace_format_text(line, sizeof line, &m);
	if (n == 0 || n >= sizeof line || line[n - 1] != '\n' || strlen(line) != n)
		abort();
	char small[TRACE_TEXT_MIN];
	n = trace_format_text(small, sizeof small, &m);
	if (n == 0 || small[n - 1] != '\n' || strlen(small) != n)
		abort();

	char *json = NULL;
	size_t cap = 0;
	int jn = trace_format_json(&json, &cap, &m);
	if (jn > 0) {
		json_error_t err;
		json_t *j = json_loadb(json, (size_t)jn, 0, &err);
		if (!j)
			abort(); /* the formatter wrote JSON that does not parse */
		json_decref(j);
	}
	free(json);
	hive__envelope__free_unpacked(env, NULL);
	return 0;
}
