/* Rendering trace fields as one text line or one JSON line (see
 * trace_format.h). Pure: writes only into the caller's buffers. */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "trace_format.h"

/* A topic name byte: printable ASCII other than the separator, so names
 * are safe on a terminal and in JSON whatever the tap sends. */
static bool name_byte_ok(uint8_t c)
{
	return c > 0x20 && c < 0x7f && c != '>';
}

int trace_topic_split(const void *topic, size_t len, char src[TRACE_NAME_CAP],
		      char dst[TRACE_NAME_CAP])
{
	const uint8_t *t = topic;
	const uint8_t *gt = t ? memchr(t, '>', len) : NULL;
	if (!gt)
		return -EINVAL;
	size_t ns = (size_t)(gt - t), nd = len - ns - 1;
	if (ns == 0 || nd == 0 || ns >= TRACE_NAME_CAP || nd >= TRACE_NAME_CAP)
		return -EINVAL;
	for (size_t i = 0; i < len; i++)
		if (i != ns && !name_byte_ok(t[i]))
			return -EINVAL;
	memcpy(src, t, ns);
	src[ns] = '\0';
	memcpy(dst, gt + 1, nd);
	dst[nd] = '\0';
	return 0;
}

static const char *body_name(const Hive__Envelope *env)
{
	const ProtobufCFieldDescriptor *f = protobuf_c_message_descriptor_get_field(
		&hive__envelope__descriptor, (unsigned)env->body_case);
	return f ? f->name : "none";
}

/* ---- text ------------------------------------------------------------------------ */

/* A string builder over the caller's buffer; `cut` once something did not
 * fit (later appends are dropped). */
struct sb {
	char *p;
	size_t cap; /* usable bytes, the NUL excluded */
	size_t len;
	bool cut;
};

static void sb_printf(struct sb *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void sb_printf(struct sb *s, const char *fmt, ...)
{
	if (s->cut)
		return;
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(s->p + s->len, s->cap - s->len + 1, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n > s->cap - s->len) {
		s->p[s->len] = '\0'; /* drop the partial piece */
		s->cut = true;
		return;
	}
	s->len += (size_t)n;
}

/* Longest string shown in a text line, in source bytes. */
#define TEXT_STR_MAX 80

static void sb_quoted(struct sb *s, const char *str, size_t len)
{
	sb_printf(s, "\"");
	for (size_t i = 0; i < len && i < TEXT_STR_MAX && !s->cut; i++) {
		uint8_t c = (uint8_t)str[i];
		if (c >= 0x20 && c < 0x7f && c != '"' && c != '\\')
			sb_printf(s, "%c", c);
		else
			sb_printf(s, "\\x%02x", c);
	}
	sb_printf(s, len > TEXT_STR_MAX ? "...\"" : "\"");
}

static void text_field(struct sb *s, const struct trace_field *f)
{
	switch (f->kind) {
	case TF_WORD:
		sb_printf(s, " %s", f->str);
		break;
	case TF_NAME:
		sb_printf(s, " (%s)", f->str);
		break;
	case TF_DEC:
		sb_printf(s, " %s=%" PRIu64, f->key, f->num);
		break;
	case TF_SDEC:
		sb_printf(s, " %s=%" PRId64, f->key, (int64_t)f->num);
		break;
	case TF_HEX:
		sb_printf(s, " %s=0x%0*" PRIx64, f->key, (int)f->width, f->num);
		break;
	case TF_BOOL:
		sb_printf(s, " %s=%s", f->key, f->num ? "yes" : "no");
		break;
	case TF_STR:
		sb_printf(s, " %s=", f->key);
		sb_quoted(s, f->str, f->len);
		break;
	case TF_DATA:
		break; /* JSON carries the bytes; a text line stays one line */
	case TF_ERROR:
		sb_printf(s, " [%s]", f->str);
		break;
	}
}

size_t trace_format_text(char *buf, size_t cap, const struct trace_msg *m)
{
	if (cap < TRACE_TEXT_MIN) {
		if (cap)
			buf[0] = '\0';
		return 0;
	}
	/* Keep room for "...\n" after whatever fits. */
	struct sb s = { .p = buf, .cap = cap - 1 - 4, .len = 0, .cut = false };
	buf[0] = '\0';
	uint64_t mag = m->time_ns < 0 ? (uint64_t)0 - (uint64_t)m->time_ns : (uint64_t)m->time_ns;
	sb_printf(&s, "%c%" PRIu64 ".%06" PRIu64 " %s>%s %zuB %s", m->time_ns < 0 ? '-' : '+',
		  mag / 1000000000u, mag % 1000000000u / 1000u, m->source, m->destination,
		  m->size, body_name(m->env));
	struct trace_fields fields;
	trace_decode(m->env, &fields);
	for (size_t i = 0; i < fields.n && !s.cut; i++)
		text_field(&s, &fields.f[i]);
	memcpy(buf + s.len, s.cut ? "...\n" : "\n", s.cut ? 5 : 2);
	return s.len + (s.cut ? 4 : 1);
}

/* ---- JSON ------------------------------------------------------------------------- */

/* A JSON string for bytes that may not be UTF-8: as they are when valid,
 * else with every byte outside printable ASCII replaced by '?'. */
static json_t *json_text(const char *str, size_t len)
{
	json_t *j = json_stringn(str, len);
	if (j)
		return j;
	char *clean = malloc(len + 1);
	if (!clean)
		return NULL;
	for (size_t i = 0; i < len; i++) {
		uint8_t c = (uint8_t)str[i];
		clean[i] = c >= 0x20 && c < 0x7f ? (char)c : '?';
	}
	j = json_stringn(clean, len);
	free(clean);
	return j;
}

static json_t *json_hex(const uint8_t *p, size_t len)
{
	static const char digits[] = "0123456789abcdef";
	char *hex = malloc(2 * len + 1);
	if (!hex)
		return NULL;
	for (size_t i = 0; i < len; i++) {
		hex[2 * i] = digits[p[i] >> 4];
		hex[2 * i + 1] = digits[p[i] & 15];
	}
	json_t *j = json_stringn_nocheck(hex, 2 * len);
	free(hex);
	return j;
}

/* Several problems in one message join into one "error" string. */
static json_t *json_error(json_t *obj, const struct trace_field *f)
{
	json_t *old = json_object_get(obj, "error");
	if (!old)
		return json_stringn(f->str, f->len);
	size_t n = json_string_length(old);
	char *joined = malloc(n + 2 + f->len + 1);
	if (!joined)
		return NULL;
	memcpy(joined, json_string_value(old), n);
	memcpy(joined + n, "; ", 2);
	memcpy(joined + n + 2, f->str, f->len);
	json_t *j = json_stringn(joined, n + 2 + f->len);
	free(joined);
	return j;
}

static json_t *json_field(json_t *obj, const struct trace_field *f)
{
	switch (f->kind) {
	case TF_WORD:
	case TF_NAME:
	case TF_STR:
		return json_text(f->str, f->len);
	case TF_DEC:
	case TF_HEX:
	case TF_SDEC:
		return json_integer((json_int_t)f->num);
	case TF_BOOL:
		return json_boolean(f->num);
	case TF_DATA:
		return json_hex((const uint8_t *)f->str, f->len);
	case TF_ERROR:
		return json_error(obj, f);
	}
	return NULL;
}

/* Sets key to v (consumed); false when v is NULL or setting failed. */
static bool put(json_t *obj, const char *key, json_t *v)
{
	return v && json_object_set_new(obj, key, v) == 0;
}

static json_t *json_message(const struct trace_msg *m)
{
	const Hive__Envelope *env = m->env;
	json_t *obj = json_object();
	if (!obj)
		return NULL;
	bool ok = put(obj, "time_ns", json_integer((json_int_t)m->time_ns)) &&
		  put(obj, "sent_ns", json_integer((json_int_t)env->sent_ns)) &&
		  put(obj, "source", json_string(m->source)) &&
		  put(obj, "destination", json_string(m->destination)) &&
		  put(obj, "seq", json_integer((json_int_t)env->seq)) &&
		  put(obj, "body", json_string(body_name(env))) &&
		  put(obj, "size", json_integer((json_int_t)m->size));
	struct trace_fields fields;
	trace_decode(env, &fields);
	for (size_t i = 0; ok && i < fields.n; i++)
		ok = put(obj, fields.f[i].key, json_field(obj, &fields.f[i]));
	if (!ok)
		json_decref(obj);
	return ok ? obj : NULL;
}

int trace_format_json(char **buf, size_t *cap, const struct trace_msg *m)
{
	json_t *obj = json_message(m);
	if (!obj)
		return -ENOMEM;
	int rc = -ENOMEM;
	size_t need = json_dumpb(obj, NULL, 0, JSON_COMPACT | JSON_PRESERVE_ORDER);
	if (need == 0 || need > INT32_MAX - 2)
		goto out;
	if (need + 2 > *cap) {
		char *b = realloc(*buf, need + 2);
		if (!b)
			goto out;
		*buf = b;
		*cap = need + 2;
	}
	if (json_dumpb(obj, *buf, need, JSON_COMPACT | JSON_PRESERVE_ORDER) != need)
		goto out;
	(*buf)[need] = '\n';
	(*buf)[need + 1] = '\0';
	rc = (int)(need + 1);
out:
	json_decref(obj);
	return rc;
}
