/* hive-ctl on a terminal: libedit's readline for line editing, history in
 * ~/.hive_history and Tab completion of command names and of each
 * command's words (options and subcommands from the table in ctl_main.c). */
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <editline/readline.h>

#include "ctl.h"

#define HISTORY_MAX 1000

/* readline's generator is called with state 0 first, then until NULL. The
 * iteration state lives here: libedit gives the callback no argument. */
static struct {
	const struct ctl_command *cmd; /* completing its words, or NULL: names */
	const struct ctl_command *next;
	const char *word;              /* the next word in cmd->words */
} complete_at;

static char *next_name(const char *text, int state)
{
	size_t n = strlen(text);
	if (state == 0)
		complete_at.next = ctl_commands;
	while (complete_at.next->name) {
		const char *name = complete_at.next++->name;
		if (strncmp(name, text, n) == 0)
			return strdup(name);
	}
	return NULL;
}

static char *next_word(const char *text, int state)
{
	size_t n = strlen(text);
	if (state == 0)
		complete_at.word = complete_at.cmd->words;
	const char *w = complete_at.word;
	while (w && *w) {
		while (*w == ' ')
			w++;
		size_t len = strcspn(w, " ");
		if (len == 0)
			break;
		const char *this = w;
		w += len;
		complete_at.word = w;
		if (len >= n && strncmp(this, text, n) == 0)
			return strndup(this, len);
	}
	complete_at.word = w;
	return NULL;
}

/* The first word of the line decides: at it, command names; after it, that
 * command's words; nothing for an unknown command (no file names either). */
static char **complete(const char *text, int start, int end)
{
	rl_attempted_completion_over = 1;
	const char *line = rl_line_buffer;
	size_t skip = strspn(line, " \t");
	if ((size_t)start <= skip)
		return rl_completion_matches(text, next_name);
	size_t len = strcspn(line + skip, " \t");
	complete_at.cmd = NULL;
	for (const struct ctl_command *k = ctl_commands; k->name; k++)
		if (strlen(k->name) == len && strncmp(k->name, line + skip, len) == 0)
			complete_at.cmd = k;
	if (!complete_at.cmd || !complete_at.cmd->words)
		return NULL;
	return rl_completion_matches(text, next_word);
}

static void history_path(char *out, size_t cap)
{
	const char *home = getenv("HOME");
	if (home && *home)
		snprintf(out, cap, "%s/.hive_history", home);
	else
		out[0] = '\0';
}

int ctl_console(struct ctl *c)
{
	char hist[4096], prompt[300], dir[sizeof c->run_dir];
	history_path(hist, sizeof hist);
	snprintf(dir, sizeof dir, "%s", c->run_dir);
	/* "hive> " on the default run directory, else "hive:NAME> ": which
	 * graph the commands go to. */
	char dflt[sizeof c->run_dir];
	hive_default_run_dir(dflt, sizeof dflt);
	if (strcmp(dflt, c->run_dir) == 0)
		snprintf(prompt, sizeof prompt, "hive> ");
	else
		snprintf(prompt, sizeof prompt, "hive:%.200s> ", basename(dir));
	rl_readline_name = "hive";
	rl_attempted_completion_function = complete;
	rl_completion_append_character = ' ';
	using_history();
	stifle_history(HISTORY_MAX);
	if (hist[0])
		read_history(hist);
	int failures = 0;
	bool quit = false;
	while (!quit && !hive_signal_received()) {
		char *line = readline(prompt);
		if (!line) {
			putchar('\n');
			break;
		}
		if (line[strspn(line, " \t")]) {
			HIST_ENTRY *last = history_length > 0 ? history_get(history_base +
									     history_length - 1)
							      : NULL;
			if (!last || strcmp(last->line, line) != 0)
				add_history(line);
		}
		failures += ctl_run_script(c, line, &quit);
		free(line);
	}
	if (hist[0] && write_history(hist) != 0)
		fprintf(stderr, "hive-ctl: cannot write the history to %s\n", hist);
	return failures;
}
