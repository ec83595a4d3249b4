/* Graph files: JSON (jansson) to a validated struct graph. Every error names
 * the file, the line and column when jansson knows them (syntax errors), and
 * the key: "graph.json: actors[1] ("gatt"): key 'args' must be an array of
 * strings, not a string". */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "broker_perm.h"
#include "graph.h"
#include "hive.h"

#define GRAPH_FILE_MAX (4u << 20)

/* One parse: where errors go. Only the first error is kept. */
struct parse {
	const char *source;
	char *err;
	size_t err_cap;
	bool failed;
};

static const char *const restart_names[] = { "permanent", "transient", "temporary" };

static const char *const graph_keys[] = { "name", "supervision", "broker", "actors",
					  "permissions", NULL };
static const char *const supervision_keys[] = { "max_restarts", "period_s", NULL };
static const char *const broker_keys[] = { "queue_messages", "queue_bytes", "max_frame", NULL };
static const char *const actor_keys[] = { "name", "program", "args", "env", "restart",
					  "ready_timeout_ms", "cpu", "where", NULL };

const char *graph_restart_name(enum graph_restart r)
{
	return (unsigned)r < 3 ? restart_names[r] : "?";
}

/* Records "SOURCE: message" (the first error only) and returns -EINVAL. */
static int __attribute__((format(printf, 2, 3))) fail(struct parse *p, const char *fmt, ...)
{
	if (p->failed || !p->err || p->err_cap == 0)
		return -EINVAL;
	p->failed = true;
	char msg[GRAPH_ERR_MAX];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	snprintf(p->err, p->err_cap, "%s: %s", p->source, msg);
	return -EINVAL;
}

static const char *type_name(const json_t *v)
{
	switch (json_typeof(v)) {
	case JSON_OBJECT: return "an object";
	case JSON_ARRAY: return "an array";
	case JSON_STRING: return "a string";
	case JSON_INTEGER: return "an integer";
	case JSON_REAL: return "a real number";
	case JSON_TRUE: return "true";
	case JSON_FALSE: return "false";
	case JSON_NULL: return "null";
	}
	return "something else";
}

/* Fails on the first key of obj that is not in known. */
static int check_keys(struct parse *p, const json_t *obj, const char *where,
		      const char *const known[])
{
	const char *key;
	json_t *v;
	int rc = 0;
	json_object_foreach((json_t *)obj, key, v) {
		bool ok = false;
		for (size_t i = 0; known[i] && !ok; i++)
			ok = strcmp(key, known[i]) == 0;
		if (!ok && rc == 0) {
			char list[256] = "";
			size_t n = 0;
			for (size_t i = 0; known[i] && n < sizeof list; i++)
				n += (size_t)snprintf(list + n, sizeof list - n, "%s%s",
						      i ? ", " : "", known[i]);
			rc = fail(p, "%s: unknown key '%s' (known keys: %s)", where, key, list);
		}
	}
	return rc;
}

/* The object at key, NULL when absent; fails when present but not an object. */
static int get_object(struct parse *p, const json_t *obj, const char *key, const char *where,
		      json_t **out)
{
	json_t *v = json_object_get(obj, key);
	int rc = 0;
	*out = NULL;
	if (v && !json_is_object(v))
		rc = fail(p, "%s: key '%s' must be an object {...}, not %s", where, key,
			  type_name(v));
	else
		*out = v;
	return rc;
}

/* A copy of the string at key; def (may be NULL) when absent. */
static int get_string(struct parse *p, const json_t *obj, const char *key, const char *where,
		      bool required, const char *def, char **out)
{
	json_t *v = json_object_get(obj, key);
	const char *s = def;
	int rc = 0;
	*out = NULL;
	if (!v && required)
		rc = fail(p, "%s: required key '%s' is missing", where, key);
	else if (v && !json_is_string(v))
		rc = fail(p, "%s: key '%s' must be a string, not %s", where, key, type_name(v));
	else if (v)
		s = json_string_value(v);
	if (rc == 0 && s) {
		*out = strdup(s);
		rc = *out ? 0 : -ENOMEM;
	}
	return rc;
}

/* The integer at key, within [min, max]; def when absent. */
static int get_uint(struct parse *p, const json_t *obj, const char *key, const char *where,
		    uint64_t min, uint64_t max, uint64_t def, uint64_t *out)
{
	json_t *v = json_object_get(obj, key);
	json_int_t n = v && json_is_integer(v) ? json_integer_value(v) : 0;
	int rc = 0;
	*out = def;
	if (v && !json_is_integer(v))
		rc = fail(p, "%s: key '%s' must be an integer, not %s", where, key, type_name(v));
	else if (v && (n < 0 || (uint64_t)n < min || (uint64_t)n > max))
		rc = fail(p, "%s: key '%s' is %lld; use %llu to %llu", where, key, (long long)n,
			  (unsigned long long)min, (unsigned long long)max);
	else if (v)
		*out = (uint64_t)n;
	return rc;
}

static int parse_args(struct parse *p, const json_t *obj, const char *where,
		      struct graph_actor *a)
{
	json_t *v = json_object_get(obj, "args");
	size_t n = json_is_array(v) ? json_array_size(v) : 0;
	int rc = 0;
	if (v && !json_is_array(v))
		rc = fail(p, "%s: key 'args' must be an array of strings, not %s", where,
			  type_name(v));
	else if (n > GRAPH_MAX_ARGS)
		rc = fail(p, "%s: key 'args' has %zu entries; at most %d", where, n,
			  GRAPH_MAX_ARGS);
	if (rc == 0 && v) {
		a->args = calloc(n ? n : 1, sizeof *a->args);
		rc = a->args ? 0 : -ENOMEM;
	}
	for (size_t i = 0; rc == 0 && i < n; i++) {
		json_t *s = json_array_get(v, i);
		if (!json_is_string(s)) {
			rc = fail(p, "%s: key 'args': entry %zu must be a string, not %s", where,
				  i, type_name(s));
		} else {
			a->args[i] = strdup(json_string_value(s));
			rc = a->args[i] ? 0 : -ENOMEM;
			a->nargs += rc == 0;
		}
	}
	return rc;
}

static int parse_env(struct parse *p, const json_t *obj, const char *where,
		     struct graph_actor *a)
{
	json_t *env;
	int rc = get_object(p, obj, "env", where, &env);
	if (rc == 0 && env) {
		a->env = calloc(json_object_size(env) + 1, sizeof *a->env);
		rc = a->env ? 0 : -ENOMEM;
	}
	const char *key;
	json_t *v;
	if (rc == 0 && env) {
		json_object_foreach(env, key, v) {
			if (rc < 0)
				break;
			if (!key[0] || strchr(key, '=')) {
				rc = fail(p, "%s: key 'env': variable name '%s' must be non-empty "
					  "and without '='", where, key);
			} else if (!json_is_string(v)) {
				rc = fail(p, "%s: key 'env': the value of '%s' must be a string, "
					  "not %s", where, key, type_name(v));
			} else {
				struct graph_env *e = &a->env[a->nenv];
				e->key = strdup(key);
				e->value = strdup(json_string_value(v));
				rc = e->key && e->value ? 0 : -ENOMEM;
				a->nenv++; /* freed by actor_fini() even when half made */
			}
		}
	}
	return rc;
}

static int parse_restart(struct parse *p, const json_t *obj, const char *where,
			 struct graph_actor *a)
{
	json_t *v = json_object_get(obj, "restart");
	int rc = v ? -EINVAL : 0;
	a->restart = GRAPH_RESTART_PERMANENT;
	for (int i = 0; rc < 0 && json_is_string(v) && i < 3; i++) {
		if (strcmp(json_string_value(v), restart_names[i]) == 0) {
			a->restart = (enum graph_restart)i;
			rc = 0;
		}
	}
	if (rc < 0 && json_is_string(v))
		rc = fail(p, "%s: key 'restart' is \"%s\"; use \"permanent\", \"transient\" or "
			  "\"temporary\"", where, json_string_value(v));
	else if (rc < 0)
		rc = fail(p, "%s: key 'restart' must be a string (\"permanent\", \"transient\" "
			  "or \"temporary\"), not %s", where, type_name(v));
	return rc;
}

static int parse_actor(struct parse *p, const json_t *v, size_t index, struct graph *g)
{
	char where[HIVE_NAME_MAX + 48];
	snprintf(where, sizeof where, "actors[%zu]", index);
	struct graph_actor *a = &g->actors[g->nactors];
	int rc = 0;
	if (!json_is_object(v)) {
		rc = fail(p, "%s must be an object {\"name\": ..., \"program\": ...}, not %s",
			  where, type_name(v));
	} else {
		g->nactors++; /* from here on graph_destroy() frees it */
		a->cpu = -1;
		rc = get_string(p, v, "name", where, true, NULL, &a->name);
	}
	if (rc == 0 && !hive_name_valid(a->name))
		rc = fail(p, "%s: key 'name': '%s' is not a valid actor name; use 1 to %d of "
			  "A-Z a-z 0-9 _ - .", where, a->name, HIVE_NAME_MAX);
	if (rc == 0 && (strcmp(a->name, "broker") == 0 || strcmp(a->name, "launcher") == 0))
		rc = fail(p, "%s: key 'name': '%s' is reserved for hive itself; choose another",
			  where, a->name);
	for (size_t i = 0; rc == 0 && i + 1 < g->nactors; i++)
		if (strcmp(g->actors[i].name, a->name) == 0)
			rc = fail(p, "%s: key 'name': '%s' is already the name of actors[%zu]; "
				  "names must be unique", where, a->name, i);
	if (rc == 0)
		snprintf(where, sizeof where, "actors[%zu] (\"%s\")", index, a->name);
	if (rc == 0)
		rc = check_keys(p, v, where, actor_keys);
	char *place = NULL;
	if (rc == 0)
		rc = get_string(p, v, "where", where, false, "local", &place);
	if (rc == 0 && strcmp(place, "remote") == 0)
		a->remote = true;
	else if (rc == 0 && strcmp(place, "local") != 0)
		rc = fail(p, "%s: key 'where' is \"%s\"; use \"local\" (started here) or "
			  "\"remote\" (started by hand on another host with --broker tcp://... "
			  "--keys DIR)", where, place);
	free(place);
	if (rc == 0)
		rc = get_string(p, v, "program", where, !a->remote, a->remote ? "" : NULL,
				&a->program);
	if (rc == 0 && !a->program[0] && !a->remote)
		rc = fail(p, "%s: key 'program' is empty; name the executable to run", where);
	if (rc == 0)
		rc = parse_args(p, v, where, a);
	if (rc == 0)
		rc = parse_env(p, v, where, a);
	if (rc == 0)
		rc = parse_restart(p, v, where, a);
	if (rc == 0)
		rc = get_uint(p, v, "ready_timeout_ms", where, 1, GRAPH_MAX_READY_TIMEOUT_MS,
			      GRAPH_DEFAULT_READY_TIMEOUT_MS, &a->ready_timeout_ms);
	uint64_t cpu = 0;
	if (rc == 0 && json_object_get(v, "cpu")) {
		rc = get_uint(p, v, "cpu", where, 0, 1023, 0, &cpu);
		a->cpu = (int)cpu;
	}
	return rc;
}

static int parse_sections(struct parse *p, const json_t *root, struct graph *g)
{
	json_t *sup, *broker;
	uint64_t n;
	int rc = check_keys(p, root, "top level", graph_keys);
	if (rc == 0)
		rc = get_string(p, root, "name", "top level", false, "unnamed", &g->name);
	if (rc == 0)
		rc = get_object(p, root, "supervision", "top level", &sup);
	if (rc == 0 && sup)
		rc = check_keys(p, sup, "supervision", supervision_keys);
	g->max_restarts = GRAPH_DEFAULT_MAX_RESTARTS;
	g->period_s = GRAPH_DEFAULT_PERIOD_S;
	if (rc == 0 && sup) {
		rc = get_uint(p, sup, "max_restarts", "supervision", 0, GRAPH_MAX_RESTARTS,
			      GRAPH_DEFAULT_MAX_RESTARTS, &n);
		g->max_restarts = (unsigned)n;
	}
	if (rc == 0 && sup) {
		rc = get_uint(p, sup, "period_s", "supervision", 1, GRAPH_MAX_PERIOD_S,
			      GRAPH_DEFAULT_PERIOD_S, &n);
		g->period_s = (unsigned)n;
	}
	if (rc == 0)
		rc = get_object(p, root, "broker", "top level", &broker);
	if (rc == 0 && broker)
		rc = check_keys(p, broker, "broker", broker_keys);
	if (rc == 0 && broker)
		rc = get_uint(p, broker, "queue_messages", "broker", 1, UINT32_MAX, 0,
			      &g->queue_messages);
	if (rc == 0 && broker)
		rc = get_uint(p, broker, "queue_bytes", "broker", 1, 1ull << 40, 0,
			      &g->queue_bytes);
	if (rc == 0 && broker)
		rc = get_uint(p, broker, "max_frame", "broker", 256, 1u << 30, 0, &g->max_frame);
	return rc;
}

/* Checks the permissions section with the broker's own parser and keeps it
 * as text for the broker. */
static int parse_permissions(struct parse *p, const json_t *root, struct graph *g)
{
	json_t *perm;
	int rc = get_object(p, root, "permissions", "top level", &perm);
	if (rc < 0 || !perm)
		return rc;
	g->permissions_json = json_dumps(perm, JSON_COMPACT);
	if (!g->permissions_json)
		return -ENOMEM;
	struct perm_table t;
	char err[PERM_ERR_MAX];
	rc = perm_parse(g->permissions_json, strlen(g->permissions_json), "graph", &t, err,
			sizeof err);
	if (rc == -EINVAL)
		rc = fail(p, "%s", err + strlen("graph: "));
	perm_fini(&t);
	return rc;
}

static int parse_graph(struct parse *p, const json_t *root, struct graph *g)
{
	int rc = parse_sections(p, root, g);
	if (rc == 0)
		rc = parse_permissions(p, root, g);
	json_t *actors = json_object_get(root, "actors");
	if (rc == 0 && !actors)
		rc = fail(p, "top level: required key 'actors' is missing (an array of "
			  "{\"name\": ..., \"program\": ...})");
	if (rc == 0 && !json_is_array(actors))
		rc = fail(p, "top level: key 'actors' must be an array, not %s", type_name(actors));
	size_t n = rc == 0 ? json_array_size(actors) : 0;
	if (rc == 0 && n > GRAPH_MAX_ACTORS)
		rc = fail(p, "top level: key 'actors' has %zu entries; at most %d", n,
			  GRAPH_MAX_ACTORS);
	if (rc == 0) {
		g->actors = calloc(n ? n : 1, sizeof *g->actors);
		rc = g->actors ? 0 : -ENOMEM;
	}
	for (size_t i = 0; rc == 0 && i < n; i++)
		rc = parse_actor(p, json_array_get(actors, i), i, g);
	return rc;
}

int graph_parse(const void *text, size_t len, const char *source, struct graph **out,
		char *err, size_t err_cap)
{
	struct parse p = { .source = source ? source : "graph", .err = err, .err_cap = err_cap };
	struct graph *g = NULL;
	json_error_t je;
	int rc;
	*out = NULL;
	if (err && err_cap)
		err[0] = '\0';

	json_t *root = json_loadb(text, len, JSON_REJECT_DUPLICATES, &je);
	if (!root) {
		if (je.line > 0)
			rc = fail(&p, "line %d, column %d: invalid JSON: %s", je.line, je.column,
				  je.text);
		else
			rc = fail(&p, "invalid JSON: %s", je.text);
	} else if (!json_is_object(root)) {
		rc = fail(&p, "top level: a graph is an object {\"actors\": [...]}, not %s",
			  type_name(root));
	} else {
		g = calloc(1, sizeof *g);
		rc = g ? parse_graph(&p, root, g) : -ENOMEM;
	}
	if (rc == -ENOMEM && err && err_cap)
		snprintf(err, err_cap, "%s: out of memory", p.source);
	json_decref(root);
	if (rc < 0)
		graph_destroy(&g);
	*out = g;
	return rc;
}

int graph_load(const char *path, struct graph **out, char *err, size_t err_cap)
{
	*out = NULL;
	int rc = 0;
	char *buf = NULL;
	size_t len = 0;
	FILE *f = fopen(path, "rb");
	if (!f)
		rc = -errno;
	if (rc == 0) {
		buf = malloc(GRAPH_FILE_MAX + 1);
		rc = buf ? 0 : -ENOMEM;
	}
	if (rc == 0) {
		len = fread(buf, 1, GRAPH_FILE_MAX + 1, f);
		if (ferror(f))
			rc = -EIO;
		else if (len > GRAPH_FILE_MAX)
			rc = -EFBIG;
	}
	if (f)
		fclose(f);
	if (rc < 0 && err && err_cap)
		snprintf(err, err_cap, "%s: cannot read the graph file: %s", path,
			 rc == -EFBIG ? "larger than 4 MiB" : strerror(-rc));
	if (rc == 0)
		rc = graph_parse(buf, len, path, out, err, err_cap);
	free(buf);
	return rc;
}

static void actor_fini(struct graph_actor *a)
{
	free(a->name);
	free(a->program);
	for (size_t i = 0; i < a->nargs; i++)
		free(a->args[i]);
	free(a->args);
	for (size_t i = 0; i < a->nenv; i++) {
		free(a->env[i].key);
		free(a->env[i].value);
	}
	free(a->env);
}

void graph_destroy(struct graph **self_p)
{
	struct graph *g = *self_p;
	if (!g)
		return;
	for (size_t i = 0; i < g->nactors; i++)
		actor_fini(&g->actors[i]);
	free(g->actors);
	free(g->name);
	free(g->permissions_json);
	free(g);
	*self_p = NULL;
}

const struct graph_actor *graph_find(const struct graph *g, const char *name)
{
	for (size_t i = 0; i < g->nactors; i++)
		if (strcmp(g->actors[i].name, name) == 0)
			return &g->actors[i];
	return NULL;
}
