/* sessions: what a user is signed in with, as the user sees it: the live
 * refresh-token families (a login of /auth/login, or an OAuth client's)
 * and the OAuth grants (a client the user allowed), each with its
 * client, when it began, when it was last used and from which address;
 * and ending one. Built on the refresh and flowstore tables. */
#ifndef MCPAUTH_SESSIONS_H
#define MCPAUTH_SESSIONS_H

#include <time.h>
#include "db.h"

/* The migration: the client address each refresh token was issued to
 * (written with its row by refresh_issue and refresh_rotate): a family's
 * first row is its login's, its newest the last use's. */
#define SESSIONS_SCHEMA "ALTER TABLE refresh_tokens ADD COLUMN addr TEXT;"

/* "rt_" + a family's id, or "gr_" + 22 base64url characters of the
 * SHA-256 of the grant's client_id. */
#define SESSION_ID_LEN 25

enum session_kind {
	SESSION_REFRESH, /* a refresh-token family */
	SESSION_GRANT,	 /* an OAuth grant */
};

struct account_session {
	char id[SESSION_ID_LEN + 1];
	enum session_kind kind;
	const char *client_id; /* NULL: a login of /auth/login */
	const char *scope;
	long long created_at, last_used_at;   /* seconds since the epoch */
	long long expires_at;		      /* a family's absolute end; 0 for a grant */
	const char *created_addr, *last_addr; /* NULL when not known */
};

enum sessions_status {
	SESSIONS_OK = 0,
	SESSIONS_NOT_FOUND, /* no live session of this user has the id */
	SESSIONS_ERROR,	    /* the store failed */
};

/* Calls fn for each live session of sub at now: families newest use
 * first, then grants newest first. */
enum sessions_status sessions_each(struct db *db, const char *sub, time_t now,
				   void (*fn)(const struct account_session *s, void *arg), void *arg);

/* Ends the session id of sub: a family is revoked (its refresh token and
 * the access tokens naming it as grant_id stop working), a grant forgotten
 * with every refresh token of its client. Another user's id is
 * SESSIONS_NOT_FOUND, as an unknown one. *client_id (when given) is the
 * session's client, to free, NULL for a login. */
enum sessions_status sessions_end(struct db *db, const char *sub, const char *id, enum session_kind *kind,
				  char **client_id);

const char *sessions_strerror(enum sessions_status st);

#endif
