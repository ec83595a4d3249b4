/* hive-trace's pure half: a tap message to one text line or one JSON line.
 *
 * A message is decoded once into a short list of named fields (struct
 * trace_fields); the text and JSON renderers print the same list, so the two
 * formats always say the same thing. Nothing here touches a socket, a file
 * or a clock; every length in the bytes is checked against the bytes held.
 *
 *   text: +12.345678 host>hci 21B hci command opcode=0x0c03 (Reset) ogf=0x03 ocf=0x0003 plen=0
 *   json: {"time_ns":12345678000,"sent_ns":...,"source":"host","destination":"hci",
 *          "seq":1,"body":"hci","size":21,"type":"command","opcode":3075,
 *          "opcode_name":"Reset","ogf":3,"ocf":3,"plen":0,"data":"030c00"}
 *
 * `size` is the packed envelope, as it crossed the pipe.
 */
#ifndef HIVE_TRACE_FORMAT_H
#define HIVE_TRACE_FORMAT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "hive.pb-c.h"

/* ---- tap topics -------------------------------------------------------------- */

/* Room for a name of the tap topic (HIVE_NAME_MAX + NUL), kept here so the
 * pure code does not need the runtime header. */
#define TRACE_NAME_CAP 65

/* Splits a tap topic "source>destination" (not NUL-terminated) into two
 * NUL-terminated names. Returns 0, or -EINVAL when there is no '>' or a
 * side is empty or longer than TRACE_NAME_CAP - 1. */
int trace_topic_split(const void *topic, size_t len, char src[TRACE_NAME_CAP],
		      char dst[TRACE_NAME_CAP]);

/* ---- decoded fields ------------------------------------------------------- */

enum trace_field_kind {
	TF_WORD,  /* text: the bare word ("command"); json: "key":"word" */
	TF_NAME,  /* text: "(Reset)"; json: "key":"Reset" */
	TF_DEC,   /* text: key=12; json: number */
	TF_SDEC,  /* signed: text key=-5; json: number */
	TF_HEX,   /* text: key=0x0c03 (width hex digits); json: number */
	TF_BOOL,  /* text: key=yes|no; json: true/false */
	TF_STR,   /* text: key="..." escaped and cut; json: "key":"..." */
	TF_DATA,  /* text: nothing (too long for one line); json: "key":"hex" */
	TF_ERROR, /* text: [what is wrong]; json: "error":"what is wrong" */
};

struct trace_field {
	const char *key;
	enum trace_field_kind kind;
	uint8_t width; /* TF_HEX digits */
	uint64_t num;  /* TF_DEC, TF_HEX, TF_BOOL; TF_SDEC as int64_t */
	const char *str;      /* TF_WORD, TF_NAME, TF_STR, TF_ERROR; TF_DATA bytes */
	size_t len;           /* TF_STR, TF_DATA length */
};

#define TRACE_FIELDS_MAX 24

/* The decode of one envelope body. Strings and bytes point into the
 * envelope or to constants: the list lives no longer than the envelope. */
struct trace_fields {
	struct trace_field f[TRACE_FIELDS_MAX];
	size_t n;
};

/* Decodes env's body into fields (none for an empty body). Never fails:
 * what cannot be decoded becomes a TF_ERROR field. */
void trace_decode(const Hive__Envelope *env, struct trace_fields *out);

/* Decodes one HCI packet (without the H4 byte) of the given HciPacket type
 * into fields; used by trace_decode. */
void trace_decode_hci(Hive__HciPacket__Type type, const uint8_t *data, size_t len,
		      struct trace_fields *out);

/* The name of an HCI command opcode, event code, or LE Meta subevent, or
 * NULL when the table does not have it. */
const char *trace_hci_command_name(uint16_t opcode);
const char *trace_hci_event_name(uint8_t code);
const char *trace_hci_le_subevent_name(uint8_t subevent);

/* ---- rendering ---------------------------------------------------------------- */

/* One message as the tap delivered it. */
struct trace_msg {
	const char *source;      /* NUL-terminated names */
	const char *destination;
	const Hive__Envelope *env;
	size_t size;             /* packed envelope bytes */
	int64_t time_ns;         /* sent_ns relative to the first message traced */
};

/* Smallest cap trace_format_text accepts. */
#define TRACE_TEXT_MIN 64
/* A cap that holds any line whole except for long strings, which are cut. */
#define TRACE_TEXT_LINE 1024

/* Writes one text line ending in '\n', NUL-terminated, into buf (cap >=
 * TRACE_TEXT_MIN). A line that does not fit is cut and ends in "...\n".
 * Returns the line's length without the NUL. */
size_t trace_format_text(char *buf, size_t cap, const struct trace_msg *m);

/* Writes one JSON object and '\n' into *buf, growing it with realloc
 * (*buf may be NULL with *cap 0; the caller frees it). Returns the length
 * (no NUL counted), or -ENOMEM. */
int trace_format_json(char **buf, size_t *cap, const struct trace_msg *m);

#endif
