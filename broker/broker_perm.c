/* Permissions: the JSON table, the built-in rules, the check per message. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "broker_perm.h"

#define PERM_FILE_MAX (1u << 20)
#define CID_SMP_LE 0x0006
#define CID_SMP_BREDR 0x0007

static const char *const layers[] = { "hci", "host", "l2cap", "gatt", "smp", "sdp", NULL };
static const char *const hci_pair[] = { "hci", "host", NULL };
static const char *const smp_pair[] = { "l2cap", "smp", NULL };

static bool in_list(const char *const list[], const char *name)
{
	for (size_t i = 0; list[i]; i++)
		if (strcmp(list[i], name) == 0)
			return true;
	return false;
}

static int __attribute__((format(printf, 4, 5)))
fail(char *err, size_t cap, const char *source, const char *fmt, ...)
{
	char msg[PERM_ERR_MAX];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	if (err && cap)
		snprintf(err, cap, "%s: %s", source, msg);
	return -EINVAL;
}

static int parse_send_to(const json_t *v, struct perm_entry *e, const char *source, char *err,
			 size_t cap)
{
	if (!json_is_array(v))
		return fail(err, cap, source, "permissions.%s: 'may_send_to' must be an array of "
			    "names (\"*\" for anyone, \"apps\" for any non-layer name)", e->name);
	size_t n = json_array_size(v);
	e->send_to = calloc(n ? n : 1, sizeof *e->send_to);
	if (!e->send_to)
		return -ENOMEM;
	e->has_send_to = true;
	for (size_t i = 0; i < n; i++) {
		const char *s = json_string_value(json_array_get(v, i));
		if (!s || (strcmp(s, "*") != 0 && !hive_name_valid(s)))
			return fail(err, cap, source, "permissions.%s: may_send_to[%zu] must be an "
				    "actor name, \"apps\" or \"*\"", e->name, i);
		snprintf(e->send_to[e->nsend_to++], sizeof e->send_to[0], "%s", s);
	}
	return 0;
}

static int parse_kinds(const json_t *v, struct perm_entry *e, const char *source, char *err,
		       size_t cap)
{
	if (!json_is_array(v))
		return fail(err, cap, source, "permissions.%s: 'kinds' must be an array of body "
			    "names (\"hci\", \"pdu\", \"request\", ...)", e->name);
	size_t n = json_array_size(v);
	e->kinds = calloc(n ? n : 1, sizeof *e->kinds);
	if (!e->kinds)
		return -ENOMEM;
	e->has_kinds = true;
	for (size_t i = 0; i < n; i++) {
		const char *s = json_string_value(json_array_get(v, i));
		const ProtobufCFieldDescriptor *f =
			s ? protobuf_c_message_descriptor_get_field_by_name(&hive__envelope__descriptor,
									     s)
			  : NULL;
		if (!f || f->id < 10)
			return fail(err, cap, source, "permissions.%s: kinds[%zu] \"%s\" is not a "
				    "body of the Envelope in messages/hive.proto", e->name, i,
				    s ? s : "(not a string)");
		e->kinds[e->nkinds++] = f->id;
	}
	return 0;
}

static int parse_entry(const char *name, const json_t *v, struct perm_entry *e,
		       const char *source, char *err, size_t cap)
{
	snprintf(e->name, sizeof e->name, "%s", name);
	if (!hive_name_valid(name))
		return fail(err, cap, source, "permissions: '%s' is not an actor name", name);
	if (!json_is_object(v))
		return fail(err, cap, source, "permissions.%s must be an object {\"may_send_to\": "
			    "[...], \"kinds\": [...], \"replace\": false}", name);
	const char *key;
	json_t *val;
	int rc = 0;
	json_object_foreach((json_t *)v, key, val) {
		if (rc < 0)
			break;
		if (strcmp(key, "may_send_to") == 0)
			rc = parse_send_to(val, e, source, err, cap);
		else if (strcmp(key, "kinds") == 0)
			rc = parse_kinds(val, e, source, err, cap);
		else if (strcmp(key, "replace") == 0 && json_is_boolean(val))
			e->replace = json_is_true(val);
		else if (strcmp(key, "replace") == 0)
			rc = fail(err, cap, source, "permissions.%s: 'replace' must be true or false",
				  name);
		else
			rc = fail(err, cap, source, "permissions.%s: unknown key '%s' (known keys: "
				  "may_send_to, kinds, replace)", name, key);
	}
	return rc;
}

int perm_parse(const char *json, size_t len, const char *source, struct perm_table *t,
	       char *err, size_t err_cap)
{
	json_error_t je;
	int rc = 0;
	memset(t, 0, sizeof *t);
	json_t *root = json_loadb(json, len, JSON_REJECT_DUPLICATES, &je);
	if (!root)
		return fail(err, err_cap, source, "line %d, column %d: invalid JSON: %s", je.line,
			    je.column, je.text);
	if (!json_is_object(root))
		rc = fail(err, err_cap, source, "permissions must be an object {\"NAME\": {...}}");
	size_t n = rc == 0 ? json_object_size(root) : 0;
	if (rc == 0) {
		t->entries = calloc(n ? n : 1, sizeof *t->entries);
		rc = t->entries ? 0 : -ENOMEM;
	}
	const char *key;
	json_t *v;
	if (rc == 0) {
		json_object_foreach(root, key, v) {
			if (rc < 0)
				break;
			rc = parse_entry(key, v, &t->entries[t->n++], source, err, err_cap);
		}
	}
	json_decref(root);
	if (rc < 0)
		perm_fini(t);
	else
		t->enabled = true;
	return rc;
}

int perm_load(const char *path, struct perm_table *t, char *err, size_t err_cap)
{
	memset(t, 0, sizeof *t);
	FILE *f = fopen(path, "rb");
	if (!f) {
		int e = errno;
		snprintf(err, err_cap, "%s: cannot read the permissions: %s", path, strerror(e));
		return -e;
	}
	char *buf = malloc(PERM_FILE_MAX);
	size_t len = buf ? fread(buf, 1, PERM_FILE_MAX, f) : 0;
	fclose(f);
	int rc = buf ? perm_parse(buf, len, path, t, err, err_cap) : -ENOMEM;
	free(buf);
	return rc;
}

void perm_fini(struct perm_table *t)
{
	for (size_t i = 0; i < t->n; i++) {
		free(t->entries[i].send_to);
		free(t->entries[i].kinds);
	}
	free(t->entries);
	memset(t, 0, sizeof *t);
}

static const struct perm_entry *find(const struct perm_table *t, const char *name)
{
	for (size_t i = 0; i < t->n; i++)
		if (strcmp(t->entries[i].name, name) == 0)
			return &t->entries[i];
	return NULL;
}

static bool may_send_to(const struct perm_entry *e, const char *to)
{
	for (size_t i = 0; i < e->nsend_to; i++) {
		const char *s = e->send_to[i];
		if (strcmp(s, "*") == 0 || strcmp(s, to) == 0 ||
		    (strcmp(s, "apps") == 0 && !in_list(layers, to)))
			return true;
	}
	return false;
}

static bool may_send_kind(const struct perm_entry *e, uint32_t body)
{
	for (size_t i = 0; i < e->nkinds; i++)
		if (e->kinds[i] == body)
			return true;
	return false;
}

bool perm_allows(const struct perm_table *t, const char *from, const char *to,
		 const struct env_peek *pk, char *why, size_t why_cap)
{
	if (!t->enabled || strcmp(to, "broker") == 0)
		return true;
	const char *kind = hive_body_name((Hive__Envelope__BodyCase)pk->body);
	/* The built-in rules first: they hold whatever the table says. */
	if (pk->body == HIVE__ENVELOPE__BODY_HCI &&
	    (!in_list(hci_pair, from) || !in_list(hci_pair, to) || strcmp(from, to) == 0)) {
		snprintf(why, why_cap, "refused by the permissions: %s may not send raw HCI (hci) "
			 "to %s; only hci and host exchange HciPacket", from, to);
		return false;
	}
	if (pk->body == HIVE__ENVELOPE__BODY_TRANSPORT_STATE && strcmp(from, "hci") != 0) {
		snprintf(why, why_cap, "refused by the permissions: only hci reports the "
			 "transport state, not %s", from);
		return false;
	}
	if (pk->body == HIVE__ENVELOPE__BODY_PDU && pk->has_cid &&
	    (pk->cid == CID_SMP_LE || pk->cid == CID_SMP_BREDR) &&
	    (!in_list(smp_pair, from) || !in_list(smp_pair, to) || strcmp(from, to) == 0)) {
		snprintf(why, why_cap, "refused by the permissions: %s may not send SMP PDUs (CID "
			 "0x%04x, key material) to %s; only l2cap and smp carry them", from,
			 pk->cid, to);
		return false;
	}
	const struct perm_entry *e = find(t, from);
	if (e && e->has_send_to && !may_send_to(e, to)) {
		snprintf(why, why_cap, "refused by the permissions: %s may not send to %s (its "
			 "may_send_to in the graph's permissions)", from, to);
		return false;
	}
	if (e && e->has_kinds && !may_send_kind(e, pk->body)) {
		snprintf(why, why_cap, "refused by the permissions: %s may not send %s messages "
			 "(its kinds in the graph's permissions)", from, kind);
		return false;
	}
	return true;
}

bool perm_may_replace(const struct perm_table *t, const char *name)
{
	if (!t->enabled)
		return true;
	const struct perm_entry *e = find(t, name);
	return e && e->replace;
}
