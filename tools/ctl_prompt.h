/* hive-ctl: answering smp's pairing prompts, shared by `pair` (ctl_smp.c)
 * and `auth` (ctl_bredr.c): from --yes / --passkey N, else on the
 * terminal. */
#ifndef CTL_PROMPT_H
#define CTL_PROMPT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ctl.h"

/* What a command was told to answer without asking. */
struct ctl_prompt_answers {
	bool yes;         /* --yes: accept numeric comparison and Just Works */
	bool has_passkey; /* --passkey N */
	uint32_t passkey;
};

/* Asks question on the terminal and reads a line into buf. False when
 * stdin is not a terminal or gives nothing. */
bool ctl_ask_line(const char *question, char *buf, size_t cap);

/* A display, confirmation or passkey-entry prompt: prints the passkey to
 * type on the peer, or decides the answer from ans, else asks on the
 * terminal (passkey_question for a passkey entry). Returns true when smp
 * waits for a user_reply, with *accept and *passkey to send; false for a
 * display and for kinds it does not handle (the caller's, e.g. OOB). */
bool ctl_prompt_answer(const struct ctl *c, const struct ctl_prompt_answers *ans,
		       const Hive__SmpPrompt *p, const char *passkey_question, bool *accept,
		       uint32_t *passkey);

#endif
