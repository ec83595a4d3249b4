/* Fuzz target: bytes as a launcher graph file, through the whole parse and
 * validation. Whatever the input, graph_parse() must not crash, must not
 * leak, and must either fail with a message or return a graph. */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "../../launcher/graph.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char err[GRAPH_ERR_MAX];
	struct graph *g = NULL;
	int rc = graph_parse(data, size, "fuzz.json", &g, err, sizeof err);
	if (rc == 0) {
		/* Touch everything a launcher would use. */
		for (size_t i = 0; i < g->nactors; i++) {
			const struct graph_actor *a = &g->actors[i];
			if (graph_find(g, a->name) != a || !a->program[0])
				__builtin_trap();
			for (size_t k = 0; k < a->nargs; k++)
				(void)strlen(a->args[k]);
			for (size_t k = 0; k < a->nenv; k++)
				(void)strlen(a->env[k].value);
		}
		graph_destroy(&g);
	} else if (rc == -EINVAL && strncmp(err, "fuzz.json: ", 11) != 0) {
		__builtin_trap();
	}
	return 0;
}
