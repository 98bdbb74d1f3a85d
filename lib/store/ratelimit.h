/* ratelimit: failed logins counted per email and per client address in a
 * sliding window, in the SQLite database every process shares. */
#ifndef MCPAUTH_RATELIMIT_H
#define MCPAUTH_RATELIMIT_H

#include <time.h>
#include "db.h"

struct ratelimit {
	long email_limit; /* failures per email within the window */
	long addr_limit;  /* failures per address within the window */
	long window;	  /* seconds */
};

enum ratelimit_status {
	RATELIMIT_ERROR = -1, /* the store failed */
	RATELIMIT_OK = 0,
	RATELIMIT_BLOCKED = 1, /* ratelimit_check: the limit is reached */
};

const char *ratelimit_strerror(enum ratelimit_status st);

/* Before a password is checked: RATELIMIT_BLOCKED when the email (compared
 * case-insensitively, as the user store does) or the address (may be NULL)
 * has its limit of failures within the window, with *retry_after the
 * seconds until it has fewer (the later of the two) and *which "email" or
 * "address". A read only: attempts refused here are not counted, so the
 * window ends window seconds after the failures that filled it. */
enum ratelimit_status ratelimit_check(struct db *db, const struct ratelimit *rl, const char *email,
				      const char *addr, time_t now, long *retry_after, const char **which);

/* Records one failed login for the email and the address, committed. */
enum ratelimit_status ratelimit_fail(struct db *db, const struct ratelimit *rl, const char *email,
				     const char *addr, time_t now);

/* A successful login forgets the email's failures (not the address's).
 * Writes only when there is something to forget. */
enum ratelimit_status ratelimit_success(struct db *db, const char *email);

#endif
