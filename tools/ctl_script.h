/* hive-ctl: scripts to commands, commands to words (ctl_script.c). */
#ifndef HIVE_CTL_SCRIPT_H
#define HIVE_CTL_SCRIPT_H

#include <stdbool.h>
#include <stddef.h>

/* The length of the first command of s: up to the first ';' or newline
 * outside quotes, or the end. The next command starts after that byte. */
size_t ctl_command_end(const char *s);

/* Splits a command into words: blanks separate, double or single quotes
 * group, a backslash escapes in double quotes, a word starting with '#'
 * ends the line (a comment). Writes the words into buf (at least
 * strlen(line) + 1 bytes) and points argv at them. Returns the word count,
 * or -1 on an unterminated quote or more than max words. */
int ctl_tokenize(const char *line, char *buf, char **argv, int max);

#endif
