/* mcpauth: what the tool's command files share (tools/mcpauth.c holds the
 * dispatch and most commands; tools/grant.c the OAuth grant commands). */
#ifndef MCPAUTH_TOOL_H
#define MCPAUTH_TOOL_H

#include <sqlite3.h>

#include "config.h"
#include "userdb.h"

/* Exit codes; mcpauth help lists them. */
enum {
	EX_OK = 0,
	EX_ERROR = 1,	 /* the work could not be done: files, database, settings */
	EX_USAGE = 2,	 /* bad command line */
	EX_NOUSER = 3,	 /* no user with that email */
	EX_EXISTS = 4,	 /* the email is taken */
	EX_REJECTED = 5, /* verify: the token fails a check */
	EX_EXPIRED = 6,	 /* verify: the token is well signed but expired */
	EX_NOGRANT = 7,	 /* grant revoke: the user has no grant of that client */
};

extern struct config cfg;

/* "mcpauth: " and the message on stderr. */
void fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* As root on a state directory owned by another user: become that user. */
int act_as_owner(void);
int open_db(sqlite3 **db, unsigned flags);
/* EX_OK with u filled, or EX_NOUSER / EX_ERROR (said on stderr). */
int find_user(sqlite3 *db, const char *email, struct user *u);

int cmd_grant_list(int argc, char **argv);
int cmd_grant_revoke(int argc, char **argv);

#endif
