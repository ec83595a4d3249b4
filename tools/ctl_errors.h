/* hive-ctl: protocol codes in words (ctl_errors.c). Pure: no I/O. */
#ifndef HIVE_CTL_ERRORS_H
#define HIVE_CTL_ERRORS_H

#include <stddef.h>

#include "hive.pb-c.h"

/* The specification's name of a code, or NULL when it has none. */
const char *ctl_att_error_name(int code);
const char *ctl_hci_status_name(int code);
const char *ctl_smp_reason_name(int code);
const char *ctl_l2cap_result_name(int code);

/* "hci", "l2cap", "att", "smp" or "local": the JSON word for a domain. */
const char *ctl_domain_name(int domain);

/* A code of a Result domain in words: "ATT error 0x0a Attribute Not Found",
 * "HCI status 0x3e Connection Failed to be Established", "SMP 0x04 Confirm
 * Value Failed", "L2CAP result 0x0002 SPSM Not Supported"; a local
 * (negative errno) status as strerror's words. */
void ctl_code_text(int domain, int code, char *out, size_t cap);

/* A failed Result in words: the actor's error text followed by the code in
 * words, e.g. "read failed (ATT error 0x0a Attribute Not Found)"; a local
 * failure with the actor's text is that text alone, without it strerror's. */
void ctl_result_text(const Hive__Result *r, char *out, size_t cap);

#endif
