/* flowstore: the authorization server's state in SQLite: browser sessions
 * (who logged in, between the login and consent pages), pending
 * authorization requests, authorization codes (only their SHA-256; single
 * use, FLOW_CODE_TTL seconds) and remembered grants (per user and client:
 * the scopes the user allowed). */
#ifndef MCPAUTH_FLOWSTORE_H
#define MCPAUTH_FLOWSTORE_H

#include <time.h>

#include "db.h"
#include "refresh.h"

#define FLOW_ID_LEN 43	       /* base64url of 32 random bytes: cookies, CSRF tokens, codes, request ids */
#define FLOW_CODE_TTL 60       /* an authorization code's life, seconds */
#define FLOW_REQUEST_TTL 600   /* a pending authorization request's (the login and consent pages) */
#define FLOW_SESSION_TTL 3600  /* a browser's login, after which it is asked again */
#define FLOW_PRUNE_AFTER 86400 /* used codes are kept a day, so that a replay still revokes */

/* The tables, as store/schema.c's migration adds them: refresh families learn
 * their client and resource; sessions, requests, codes and grants. */
#define FLOWSTORE_SCHEMA                                                                                     \
	"ALTER TABLE refresh_tokens ADD COLUMN client_id TEXT;"                                              \
	"ALTER TABLE refresh_tokens ADD COLUMN resource TEXT;"                                               \
	"CREATE INDEX refresh_tokens_client ON refresh_tokens(sub, client_id);"                              \
	"CREATE TABLE oauth_sessions ("                                                                      \
	" hash BLOB PRIMARY KEY,"                                                                            \
	" sub TEXT,"                                                                                         \
	" csrf TEXT NOT NULL,"                                                                               \
	" expires_at INTEGER NOT NULL);"                                                                     \
	"CREATE TABLE oauth_requests ("                                                                      \
	" id TEXT PRIMARY KEY,"                                                                              \
	" session BLOB NOT NULL,"                                                                            \
	" client_id TEXT NOT NULL,"                                                                          \
	" client_name TEXT NOT NULL,"                                                                        \
	" redirect_uri TEXT NOT NULL,"                                                                       \
	" state TEXT,"                                                                                       \
	" challenge TEXT NOT NULL,"                                                                          \
	" scope TEXT NOT NULL,"                                                                              \
	" resource TEXT,"                                                                                    \
	" expires_at INTEGER NOT NULL);"                                                                     \
	"CREATE TABLE oauth_codes ("                                                                         \
	" hash BLOB PRIMARY KEY,"                                                                            \
	" client_id TEXT NOT NULL,"                                                                          \
	" redirect_uri TEXT NOT NULL,"                                                                       \
	" challenge TEXT NOT NULL,"                                                                          \
	" scope TEXT NOT NULL,"                                                                              \
	" resource TEXT,"                                                                                    \
	" sub TEXT NOT NULL,"                                                                                \
	" expires_at INTEGER NOT NULL,"                                                                      \
	" used INTEGER NOT NULL DEFAULT 0,"                                                                  \
	" family TEXT);"                                                                                     \
	"CREATE TABLE oauth_grants ("                                                                        \
	" sub TEXT NOT NULL,"                                                                                \
	" client_id TEXT NOT NULL,"                                                                          \
	" scope TEXT NOT NULL,"                                                                              \
	" created_at INTEGER NOT NULL,"                                                                      \
	" updated_at INTEGER NOT NULL,"                                                                      \
	" PRIMARY KEY (sub, client_id));"

enum flow_status {
	FLOW_OK = 0,
	FLOW_NOT_FOUND, /* no such session, request, code or grant (or expired) */
	FLOW_EXPIRED,	/* a code past its time */
	FLOW_USED,	/* a code presented again: the tokens issued from it are revoked */
	FLOW_MISMATCH,	/* a code of another client or redirect URI */
	FLOW_PKCE,	/* the code_verifier does not match the code_challenge */
	FLOW_ERROR,	/* the store failed */
};

const char *flowstore_strerror(enum flow_status st);

struct flow_session {
	char *sub; /* NULL until the browser logged in */
	char csrf[FLOW_ID_LEN + 1];
};

struct flow_request {
	char id[FLOW_ID_LEN + 1];
	char *client_id, *client_name, *redirect_uri;
	char *state;	 /* NULL when the client sent none */
	char *challenge; /* S256 */
	char *scope;	 /* asked for, known scopes only */
	char *resource;	 /* NULL: none asked for (tokens get the audience) */
};

/* A new session (sub NULL before login); *cookie is its value, to free. */
enum flow_status flowstore_session_new(struct db *db, const char *sub, time_t now, char **cookie,
				       struct flow_session *s);
/* The session of cookie: FLOW_OK, FLOW_NOT_FOUND (unknown, expired) or FLOW_ERROR. */
enum flow_status flowstore_session_get(struct db *db, const char *cookie, time_t now, struct flow_session *s);
/* Login: a new session of sub replaces the one of old (a session fixed
 * before login is worth nothing after), its pending requests moving along. */
enum flow_status flowstore_session_login(struct db *db, const char *old, const char *sub, time_t now,
					 char **cookie, struct flow_session *s);
void flow_session_free(struct flow_session *s);

/* Stores r for the browser of cookie, filling r->id. */
enum flow_status flowstore_request_new(struct db *db, const char *cookie, struct flow_request *r, time_t now);
/* The request id of the browser of cookie (FLOW_NOT_FOUND for another's). */
enum flow_status flowstore_request_get(struct db *db, const char *cookie, const char *id, time_t now,
				       struct flow_request *r);
enum flow_status flowstore_request_del(struct db *db, const char *id);
void flow_request_free(struct flow_request *r);

/* Allowed: in one commit the request is gone, the user's grant to its
 * client widens by scope (when remember), and *code (to free) is a new code
 * bound to the client, redirect URI, challenge, scope, resource and sub. */
enum flow_status flowstore_code_issue(struct db *db, const struct flow_request *r, const char *sub,
				      const char *scope, int remember, time_t now, char **code);

/* The token endpoint's exchange: checks the code against client_id,
 * redirect_uri and the verifier (S256, constant time), then in one commit
 * marks it used and issues a refresh family for its user, client, scope and
 * resource (*refresh, to free; g filled; addr, the client's address, in
 * its row). A used code revokes that family (FLOW_USED). */
enum flow_status flowstore_code_redeem(struct db *db, const char *code, const char *client_id,
				       const char *redirect_uri, const char *verifier, const char *addr,
				       time_t now, long refresh_ttl, char **refresh, struct refresh_grant *g);

/* The scopes sub granted client_id, "" for none; NULL on a store error. */
char *flowstore_grant_scope(struct db *db, const char *sub, const char *client_id);
/* Forgets the grant and revokes the refresh tokens of that user and client
 * in one commit: FLOW_OK, FLOW_NOT_FOUND (no grant, no token) or FLOW_ERROR. */
enum flow_status flowstore_grant_revoke(struct db *db, const char *sub, const char *client_id);
struct flow_grant {
	const char *sub, *client_id, *scope;
	long long created_at, updated_at;
};
/* Calls fn for each grant (of sub, or all when NULL), by user then client. */
int flowstore_grant_each(struct db *db, const char *sub, void (*fn)(const struct flow_grant *g, void *arg),
			 void *arg);

/* The words of a that are also words of b, once each, in a's order. */
char *flow_scope_intersect(const char *a, const char *b);
/* What a user can grant: its permissions, its scope words, offline_access. */
char *flow_user_scopes(const char *permissions, const char *scope);

/* Whether the grant an access token names (its refresh family, claim
 * grant_id) still stands: 1, 0 when it was revoked (or is gone), -1 on a
 * store error. Answers from a per-process cache while the database's
 * change counter (userdb_generation) is unchanged, for at most a second:
 * no query per request. */
int flowstore_grant_live(struct db *db, const char *family);

/* 1 when every word of want is one of have. */
int flow_scope_covers(const char *have, const char *want);

#endif
