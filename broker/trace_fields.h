/* Adding fields to a struct trace_fields (internal to the trace decoders).
 * A list that is full ignores further fields; decoders never check. */
#ifndef HIVE_TRACE_FIELDS_H
#define HIVE_TRACE_FIELDS_H

#include <string.h>

#include "trace_format.h"

static inline struct trace_field *tf_add(struct trace_fields *out, const char *key,
					 enum trace_field_kind kind)
{
	if (out->n >= TRACE_FIELDS_MAX)
		return NULL;
	struct trace_field *f = &out->f[out->n++];
	memset(f, 0, sizeof *f);
	f->key = key;
	f->kind = kind;
	return f;
}

static inline void tf_word(struct trace_fields *out, const char *key, const char *word)
{
	struct trace_field *f = tf_add(out, key, TF_WORD);
	if (f) {
		f->str = word;
		f->len = strlen(word);
	}
}

static inline void tf_name(struct trace_fields *out, const char *key, const char *name)
{
	struct trace_field *f = tf_add(out, key, TF_NAME);
	if (f) {
		f->str = name;
		f->len = strlen(name);
	}
}

static inline void tf_dec(struct trace_fields *out, const char *key, uint64_t v)
{
	struct trace_field *f = tf_add(out, key, TF_DEC);
	if (f)
		f->num = v;
}

static inline void tf_sdec(struct trace_fields *out, const char *key, int64_t v)
{
	struct trace_field *f = tf_add(out, key, TF_SDEC);
	if (f)
		f->num = (uint64_t)v;
}

static inline void tf_hex(struct trace_fields *out, const char *key, uint64_t v,
			  unsigned width)
{
	struct trace_field *f = tf_add(out, key, TF_HEX);
	if (f) {
		f->num = v;
		f->width = (uint8_t)width;
	}
}

static inline void tf_bool(struct trace_fields *out, const char *key, bool v)
{
	struct trace_field *f = tf_add(out, key, TF_BOOL);
	if (f)
		f->num = v;
}

/* A protobuf string (NULL reads as empty). */
static inline void tf_str(struct trace_fields *out, const char *key, const char *s)
{
	struct trace_field *f = tf_add(out, key, TF_STR);
	if (f) {
		f->str = s ? s : "";
		f->len = strlen(f->str);
	}
}

static inline void tf_data(struct trace_fields *out, const char *key, const uint8_t *p,
			   size_t len)
{
	struct trace_field *f = tf_add(out, key, TF_DATA);
	if (f) {
		f->str = (const char *)p;
		f->len = p ? len : 0;
	}
}

static inline void tf_error(struct trace_fields *out, const char *what)
{
	struct trace_field *f = tf_add(out, "error", TF_ERROR);
	if (f) {
		f->str = what;
		f->len = strlen(what);
	}
}

#endif
