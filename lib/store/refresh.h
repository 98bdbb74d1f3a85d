/* refresh: opaque refresh tokens with rotation and reuse detection. A token
 * is 256 random bits, base64url; the store keeps only its SHA-256, with
 * its family (every token descended from one login), subject, granted
 * scope, absolute expiry and used/revoked flags. */
#ifndef MCPAUTH_REFRESH_H
#define MCPAUTH_REFRESH_H

#include <time.h>
#include "db.h"

#define REFRESH_TOKEN_BYTES 32
#define REFRESH_TOKEN_LEN 43  /* base64url of 32 bytes, no padding */
#define REFRESH_FAMILY_LEN 22 /* base64url of 16 bytes */

enum refresh_status {
	REFRESH_OK = 0,
	REFRESH_UNKNOWN,      /* not a token this store issued (or long gone) */
	REFRESH_EXPIRED,      /* past its family's absolute lifetime */
	REFRESH_REVOKED,      /* its family was revoked (logout, reuse) */
	REFRESH_REUSED,	      /* already rotated: the whole family is now revoked */
	REFRESH_ERROR,	      /* the store failed; nothing was changed */
	REFRESH_WRONG_CLIENT, /* issued to another OAuth client (or to none); left as it was */
};

/* What a token grants, filled on REFRESH_OK (and on REUSED and REVOKED,
 * for the audit log). */
struct refresh_grant {
	char family[REFRESH_FAMILY_LEN + 1];
	char *sub;
	char *scope;
	char *client_id; /* the OAuth client it was issued to; NULL for /auth/login */
	char *resource;	 /* the resource (RFC 8707) its access tokens are for; NULL: the audience */
	time_t expires_at;
};

/* A new family for sub with scope, expiring at now + ttl. On REFRESH_OK
 * *token is the new token (free it with refresh_token_free), committed.
 * addr, here and below, is the client address the new token goes to,
 * stored in its row for the sessions list (NULL: none). */
enum refresh_status refresh_issue(struct db *db, const char *sub, const char *scope, const char *addr,
				  time_t now, long ttl, char **token, struct refresh_grant *g);

/* The authorization server's issue, bound to client_id and resource,
 * inside a transaction the caller runs (db_txn_run): the token endpoint
 * consumes a code and issues its family in one commit. Returns the SQLite
 * result (DB_DONE when issued); *token is freed and set anew on each
 * call, as a retried transaction calls it again. */
int refresh_issue_in(struct db *db, const char *sub, const char *scope, const char *client_id,
		     const char *resource, const char *addr, time_t now, long ttl, char **token,
		     struct refresh_grant *g);

/* Rotation: token is marked used and a new token of the same family, with
 * the same expiry, is committed into *new_token. A token used before
 * revokes its whole family (REFRESH_REUSED, committed). */
enum refresh_status refresh_rotate(struct db *db, const char *token, const char *addr, time_t now,
				   char **new_token, struct refresh_grant *g);

/* The same for the token of client_id (NULL: a token of no client, as
 * /auth/login issues): a token of another client is REFRESH_WRONG_CLIENT
 * and neither used nor revoked. */
enum refresh_status refresh_rotate_client(struct db *db, const char *token, const char *client_id,
					  const char *addr, time_t now, char **new_token,
					  struct refresh_grant *g);

/* Revokes the family of token (logout). REFRESH_OK when it was found,
 * whatever its state. */
enum refresh_status refresh_revoke(struct db *db, const char *token, struct refresh_grant *g);

/* The same for a token of client_id only (RFC 7009): another client's
 * token is REFRESH_WRONG_CLIENT and stays as it was. */
enum refresh_status refresh_revoke_client(struct db *db, const char *token, const char *client_id,
					  struct refresh_grant *g);

/* Revokes a family by its id (its user is gone). */
enum refresh_status refresh_revoke_family(struct db *db, const char *family);

const char *refresh_strerror(enum refresh_status st);
void refresh_grant_free(struct refresh_grant *g);
void refresh_token_free(char *token);

#endif
