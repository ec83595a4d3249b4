/* hive-ctl: answering smp's pairing prompts (ctl_prompt.h). */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "ctl_prompt.h"

bool ctl_ask_line(const char *question, char *buf, size_t cap)
{
	if (!isatty(0))
		return false;
	printf("%s ", question);
	fflush(stdout);
	return fgets(buf, (int)cap, stdin) != NULL;
}

bool ctl_prompt_answer(const struct ctl *c, const struct ctl_prompt_answers *ans,
		       const Hive__SmpPrompt *p, const char *passkey_question, bool *accept,
		       uint32_t *passkey)
{
	char line[64], q[96];
	switch (p->kind) {
	case HIVE__SMP_PROMPT__KIND__PASSKEY_DISPLAY:
		if (!c->json)
			printf("passkey %06u: type it on the peer\n", p->number);
		fflush(stdout);
		return false;
	case HIVE__SMP_PROMPT__KIND__CONFIRM_NUMBER:
	case HIVE__SMP_PROMPT__KIND__CONFIRM_JUST_WORKS:
		*accept = ans->yes;
		*passkey = 0;
		if (p->kind == HIVE__SMP_PROMPT__KIND__CONFIRM_NUMBER)
			snprintf(q, sizeof q, "does the peer show %06u? [y/N]", p->number);
		else
			snprintf(q, sizeof q, "pair without authentication (Just Works)? [y/N]");
		if (ans->yes && !c->json)
			printf("%s yes (--yes)\n", q);
		else if (!ans->yes)
			*accept = ctl_ask_line(q, line, sizeof line) &&
				  (line[0] == 'y' || line[0] == 'Y');
		return true;
	case HIVE__SMP_PROMPT__KIND__PASSKEY_ENTRY:
		*passkey = ans->passkey;
		*accept = ans->has_passkey;
		if (!*accept && ctl_ask_line(passkey_question, line, sizeof line)) {
			char *end;
			unsigned long n = strtoul(line, &end, 10);
			*accept = end != line && n <= 999999;
			*passkey = (uint32_t)n;
		}
		return true;
	default:
		return false;
	}
}
