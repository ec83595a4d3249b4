/* hive-ctl: splitting a script into commands and a command into words.
 * Pure: no I/O, no allocation. */
#include <string.h>

#include "ctl_script.h"

size_t ctl_command_end(const char *s)
{
	size_t i = 0;
	char quote = 0;
	for (; s[i]; i++) {
		char ch = s[i];
		if (quote) {
			if (ch == quote)
				quote = 0;
			else if (ch == '\\' && quote == '"' && s[i + 1])
				i++;
			continue;
		}
		if (ch == '"' || ch == '\'')
			quote = ch;
		else if (ch == ';' || ch == '\n')
			break;
	}
	return i;
}

static bool blank(char ch)
{
	return ch == ' ' || ch == '\t' || ch == '\n' || ch == '\r';
}

int ctl_tokenize(const char *line, char *buf, char **argv, int max)
{
	int argc = 0;
	const char *p = line;
	char *o = buf;
	for (;;) {
		while (blank(*p))
			p++;
		/* A '#' starting a word starts a comment (script files). */
		if (!*p || *p == '#')
			return argc;
		if (argc == max)
			return -1;
		argv[argc++] = o;
		while (*p && !blank(*p)) {
			if (*p == '"' || *p == '\'') {
				char q = *p++;
				while (*p && *p != q) {
					if (q == '"' && *p == '\\' && p[1])
						p++;
					*o++ = *p++;
				}
				if (*p != q)
					return -1;
				p++;
			} else {
				*o++ = *p++;
			}
		}
		*o++ = '\0';
	}
}
