/* linkstore: the single-use links mailed to users (email verification,
 * password reset). A link's token is 128 random bits (base64url, 22
 * characters); only its SHA-256 is stored, with its purpose, its user, the
 * address it was mailed to and its expiry. */
#ifndef MCPAUTH_LINKSTORE_H
#define MCPAUTH_LINKSTORE_H

#include <time.h>
#include "db.h"

#define LINK_TOKEN_LEN 22

/* The table, as store/schema.c's migration adds it. */
#define LINKSTORE_SCHEMA                                                                                     \
	"CREATE TABLE account_links ("                                                                       \
	" hash BLOB PRIMARY KEY,"                                                                            \
	" purpose TEXT NOT NULL,"                                                                            \
	" sub TEXT NOT NULL,"                                                                                \
	" email TEXT NOT NULL,"                                                                              \
	" expires_at INTEGER NOT NULL,"                                                                      \
	" used INTEGER NOT NULL DEFAULT 0);"                                                                 \
	"CREATE INDEX account_links_sub ON account_links(sub, purpose);"

enum link_purpose {
	LINK_VERIFY, /* the email address is the user's */
	LINK_RESET,  /* the user may set a new password */
};

enum link_status {
	LINK_OK = 0,
	LINK_NOT_FOUND, /* no such link (or of another purpose) */
	LINK_EXPIRED,
	LINK_USED,
	LINK_ERROR, /* the store failed */
};

const char *linkstore_strerror(enum link_status st);

/* A new link for sub, mailed to email, valid ttl seconds from now; the
 * user's earlier links of the same purpose stop working (only the newest
 * mail counts). *token (to free with secure_free) is what the mail carries. */
enum link_status linkstore_issue(struct db *db, enum link_purpose purpose, const char *sub, const char *email,
				 time_t now, long ttl, char **token);

/* The link of token, unused and in time: LINK_OK with *sub and *email
 * (to free) when given, nothing changed. */
enum link_status linkstore_check(struct db *db, enum link_purpose purpose, const char *token, time_t now,
				 char **sub, char **email);

/* The same, and in one commit the link is used and the user's other links
 * of that purpose are gone; a verification link also marks the address
 * verified, if it is still the user's. */
enum link_status linkstore_use(struct db *db, enum link_purpose purpose, const char *token, time_t now,
			       char **sub, char **email);

#endif
