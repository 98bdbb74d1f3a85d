/* pwrules: what a new password must be (sign-up, change, reset and the
 * operator's tool alike): at least MCPAUTH_PASSWORD_MIN characters, at
 * most PASSWORD_MAX_LEN bytes, not one of the common passwords shipped in
 * MCPAUTH_PASSWORD_LIST (compared without regard to case), and not the
 * email address or its local part. */
#ifndef MCPAUTH_PWRULES_H
#define MCPAUTH_PWRULES_H

struct config;

/* Takes the minimum and the list's path from c (kept, not copied: c
 * outlives every check). Without it: 10 characters and the build's list. */
void pwrules_configure(const struct config *c);

/* NULL when password may be set for the user with this email (NULL: no
 * email known), otherwise a static English sentence for the JSON
 * `message` of a 400 {"error":"Weak password"}. The list is read on the
 * first call that needs it, once per process; when it cannot be read
 * every password is refused (and the reason logged), never waved
 * through. */
const char *password_rule_violation(const char *password, const char *email);

/* Drops the list read (tests, and a process that wants its memory back). */
void pwrules_reset(void);

#endif
