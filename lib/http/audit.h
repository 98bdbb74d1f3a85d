/* audit: one JSON line per security event (logins, refresh tokens, refused
 * tokens, denied permissions, admin changes, rate limits), appended to a
 * file or to stderr. Lines carry who, from where, on which route and why;
 * never a token, password, hash or key. */
#ifndef MCPAUTH_AUDIT_H
#define MCPAUTH_AUDIT_H

#include <stddef.h>

struct request;

#define AUDIT_MAX_VALUE 256 /* longer values are cut, so a line stays under PIPE_BUF */

/* Opens the log once per process: "stderr", or an absolute path opened with
 * O_APPEND (created 0600). Returns 0, or -1 with the reason in err. */
int audit_open(const char *target, char *err, size_t errlen);
void audit_close(void);

/* Appends {"time","event","sub","email","addr","method","route",...}: the
 * request gives the address, method and route (req may be NULL); then
 * key/value string pairs, ended by a NULL key. A NULL value leaves its key
 * out. The line is written with one write(2), so processes sharing the file
 * never interleave. Keys in the pairs: "sub" (who acted), "email", and
 * event-specific ones ("reason", "need", "target", ...). */
void audit_event(const struct request *req, const char *event, ...) __attribute__((sentinel));

/* The last line written, for the unit tests; "" before the first. */
const char *audit_last_line(void);

#endif
