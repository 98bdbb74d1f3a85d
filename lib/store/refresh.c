#include "refresh.h"
#include "db.h"
#include "userdb.h"
#include "util.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <stdlib.h>
#include <string.h>

#define HASH_LEN 32
/* Rows of families past their lifetime are kept a day, so that their
 * tokens are still answered "expired" rather than "unknown" for a while. */
#define PRUNE_AFTER 86400

/* SHA-256 of the token's text; 0, or -1 when the text cannot be one of
 * our tokens (then the store is not even asked). */
static int token_hash(const char *token, unsigned char out[HASH_LEN])
{
	unsigned char *raw = NULL;
	size_t rawlen = 0;
	if (!token || strlen(token) != REFRESH_TOKEN_LEN ||
	    b64url_decode(token, REFRESH_TOKEN_LEN, &raw, &rawlen) < 0)
		return -1;
	secure_free(raw, rawlen);
	unsigned int n = 0;
	if (EVP_Digest(token, REFRESH_TOKEN_LEN, out, &n, EVP_sha256(), NULL) != 1 || n != HASH_LEN)
		return -1;
	return 0;
}

/* A new random token and its hash. */
static int token_new(char **token, unsigned char hash[HASH_LEN])
{
	unsigned char rnd[REFRESH_TOKEN_BYTES];
	if (RAND_bytes(rnd, sizeof rnd) != 1)
		return -1;
	*token = b64url_encode(rnd, sizeof rnd);
	OPENSSL_cleanse(rnd, sizeof rnd);
	return token_hash(*token, hash);
}

void refresh_token_free(char *token)
{
	if (token)
		secure_free(token, strlen(token));
}

void refresh_grant_free(struct refresh_grant *g)
{
	free(g->sub);
	free(g->scope);
	free(g->client_id);
	free(g->resource);
	memset(g, 0, sizeof *g);
}

const char *refresh_strerror(enum refresh_status st)
{
	switch (st) {
	case REFRESH_OK:
		return "ok";
	case REFRESH_UNKNOWN:
		return "unknown token";
	case REFRESH_EXPIRED:
		return "expired";
	case REFRESH_REVOKED:
		return "family revoked";
	case REFRESH_REUSED:
		return "reuse of a rotated token";
	case REFRESH_WRONG_CLIENT:
		return "issued to another client";
	default:
		return "store error";
	}
}

/* addr: the client address the token goes to (the sessions list's), or NULL. */
static int insert_token(struct db *db, const unsigned char hash[HASH_LEN], const struct refresh_grant *g,
			const char *addr, time_t now)
{
	return db_exec(
	    db, NULL,
	    "INSERT INTO refresh_tokens(hash,family,sub,scope,created_at,expires_at,client_id,resource,addr) "
	    "VALUES(?,?,?,?,?,?,?,?,?)",
	    DB_BLOB, hash, (size_t)HASH_LEN, DB_TEXT, g->family, DB_TEXT, g->sub, DB_TEXT, g->scope, DB_INT,
	    (long long)now, DB_INT, (long long)g->expires_at, DB_TEXT, g->client_id, DB_TEXT, g->resource,
	    DB_TEXT, addr, DB_END);
}

struct op {
	unsigned char hash[HASH_LEN];
	time_t now;
	long ttl;
	char *token;	       /* the new token */
	const char *client_id; /* rotation: the client presenting the token */
	const char *addr;      /* the address the new token goes to, or NULL */
	int check_client;
	int revoked; /* a family was revoked: the access tokens' caches must see it */
	struct refresh_grant *g;
	enum refresh_status st;
};

static void op_reset(struct op *o)
{
	refresh_token_free(o->token);
	o->token = NULL;
	o->st = REFRESH_ERROR;
	o->revoked = 0;
}

static enum db_err issue_fn(struct db *db, void *arg);

int refresh_issue_in(struct db *db, const char *sub, const char *scope, const char *client_id,
		     const char *resource, const char *addr, time_t now, long ttl, char **token,
		     struct refresh_grant *g)
{
	refresh_token_free(*token);
	*token = NULL;
	refresh_grant_free(g);
	g->sub = ck_strdup(sub);
	g->scope = ck_strdup(scope);
	g->client_id = client_id ? ck_strdup(client_id) : NULL;
	g->resource = resource ? ck_strdup(resource) : NULL;
	struct op o = {.now = now, .ttl = ttl, .addr = addr, .g = g};
	int rc = issue_fn(db, &o);
	*token = o.token;
	return rc == DB_DONE ? DB_DONE : rc;
}

static enum db_err issue_fn(struct db *db, void *arg)
{
	struct op *o = arg;
	op_reset(o);
	unsigned char fam[16];
	if (RAND_bytes(fam, sizeof fam) != 1 || token_new(&o->token, o->hash) < 0)
		return DB_ERROR;
	char *family = b64url_encode(fam, sizeof fam);
	memcpy(o->g->family, family, REFRESH_FAMILY_LEN + 1);
	free(family);
	o->g->expires_at = o->now + o->ttl;
	int rc = db_exec(db, NULL, "DELETE FROM refresh_tokens WHERE expires_at <= ?", DB_INT,
			 (long long)(o->now - PRUNE_AFTER), DB_END);
	if (rc == DB_DONE)
		rc = insert_token(db, o->hash, o->g, o->addr, o->now);
	if (rc == DB_DONE)
		o->st = REFRESH_OK;
	return rc;
}

enum refresh_status refresh_issue(struct db *db, const char *sub, const char *scope, const char *addr,
				  time_t now, long ttl, char **token, struct refresh_grant *g)
{
	memset(g, 0, sizeof *g);
	g->sub = ck_strdup(sub);
	g->scope = ck_strdup(scope);
	struct op o = {.now = now, .ttl = ttl, .addr = addr, .g = g};
	if (db_txn_run(db, issue_fn, &o) != DB_OK)
		op_reset(&o);
	*token = o.token;
	return o.st;
}

/* Reads the row of o->hash into o->g: 1 with used and revoked set, 0 when
 * there is none, -1 on a store error. */
static int find(struct db *db, struct op *o, int *used, int *revoked)
{
	struct db_rows *q;
	int rc = db_exec(
	    db, &q,
	    "SELECT hash,family,sub,scope,expires_at,used,revoked,client_id,resource FROM refresh_tokens "
	    "WHERE hash = ?",
	    DB_BLOB, o->hash, (size_t)HASH_LEN, DB_END);
	if (rc == DB_DONE)
		return 0;
	if (rc != DB_ROW)
		return -1;
	size_t stored_len;
	unsigned char *stored = db_column_blob_dup(q, 0, &stored_len);
	const char *family = db_column_text(q, 1);
	const char *sub = db_column_text(q, 2);
	const char *scope = db_column_text(q, 3);
	/* The index found it; compare the secret's hash in constant time anyway. */
	int same = stored && stored_len == HASH_LEN && CRYPTO_memcmp(stored, o->hash, HASH_LEN) == 0;
	free(stored);
	if (!same || !family || !sub || !scope || strlen(family) != REFRESH_FAMILY_LEN) {
		db_rows_free(q);
		return 0;
	}
	refresh_grant_free(o->g);
	memcpy(o->g->family, family, REFRESH_FAMILY_LEN + 1);
	o->g->sub = ck_strdup(sub);
	o->g->scope = ck_strdup(scope);
	o->g->expires_at = (time_t)db_column_int(q, 4);
	*used = (int)db_column_int(q, 5);
	*revoked = (int)db_column_int(q, 6);
	const char *client = db_column_text(q, 7);
	const char *resource = db_column_text(q, 8);
	o->g->client_id = client ? ck_strdup(client) : NULL;
	o->g->resource = resource ? ck_strdup(resource) : NULL;
	db_rows_free(q);
	return 1;
}

/* The token found is not of the client that presents it. */
static int wrong_client(const struct op *o)
{
	if (!o->check_client)
		return 0;
	if (!o->client_id)
		return o->g->client_id != NULL;
	return !o->g->client_id || strcmp(o->client_id, o->g->client_id) != 0;
}

static int revoke_family(struct db *db, const char *family)
{
	return db_exec(db, NULL, "UPDATE refresh_tokens SET revoked = 1 WHERE family = ?", DB_TEXT, family,
		       DB_END);
}

/* The token's row, for rotating or revoking it: 1 when found and the
 * asking client's (used and revoked filled); 0 with o->st saying why not
 * (unknown, or another client's: not this client's to use, nor to burn);
 * -1 when the store fails. */
static int find_own(struct db *db, struct op *o, int *used, int *revoked)
{
	op_reset(o);
	int found = find(db, o, used, revoked);
	if (found == 0)
		o->st = REFRESH_UNKNOWN;
	else if (found > 0 && wrong_client(o)) {
		o->st = REFRESH_WRONG_CLIENT;
		found = 0;
	}
	return found;
}

static enum db_err rotate_fn(struct db *db, void *arg)
{
	struct op *o = arg;
	int used = 0, revoked = 0;
	int found = find_own(db, o, &used, &revoked);
	if (found <= 0)
		return found < 0 ? DB_ERROR : DB_OK;
	if (revoked) {
		o->st = REFRESH_REVOKED;
		return DB_OK;
	}
	if (o->g->expires_at <= o->now) {
		o->st = REFRESH_EXPIRED;
		return DB_OK;
	}
	if (used) {
		/* Someone holds a token that was already exchanged: the thief or
		 * the owner, no telling which, so the whole family goes. */
		int rc = revoke_family(db, o->g->family);
		if (rc == DB_DONE)
			o->st = REFRESH_REUSED, o->revoked = 1;
		return rc;
	}
	int rc = db_exec(db, NULL, "UPDATE refresh_tokens SET used = 1 WHERE hash = ? AND used = 0", DB_BLOB,
			 o->hash, (size_t)HASH_LEN, DB_END);
	if (rc != DB_DONE)
		return rc;
	unsigned char hash[HASH_LEN];
	if (token_new(&o->token, hash) < 0)
		return DB_ERROR;
	rc = insert_token(db, hash, o->g, o->addr, o->now);
	if (rc == DB_DONE)
		o->st = REFRESH_OK;
	return rc;
}

static enum refresh_status run(struct db *db, enum db_err (*fn)(struct db *, void *), struct op *o)
{
	if (db_txn_run(db, fn, o) != DB_OK)
		op_reset(o);
	else if (o->revoked)
		userdb_touch(db);
	return o->st;
}

enum refresh_status refresh_rotate(struct db *db, const char *token, const char *addr, time_t now,
				   char **new_token, struct refresh_grant *g)
{
	memset(g, 0, sizeof *g);
	*new_token = NULL;
	struct op o = {.now = now, .addr = addr, .g = g};
	if (token_hash(token, o.hash) < 0)
		return REFRESH_UNKNOWN;
	enum refresh_status st = run(db, rotate_fn, &o);
	*new_token = o.token;
	return st;
}

enum refresh_status refresh_rotate_client(struct db *db, const char *token, const char *client_id,
					  const char *addr, time_t now, char **new_token,
					  struct refresh_grant *g)
{
	memset(g, 0, sizeof *g);
	*new_token = NULL;
	struct op o = {.now = now, .addr = addr, .g = g, .client_id = client_id, .check_client = 1};
	if (token_hash(token, o.hash) < 0)
		return REFRESH_UNKNOWN;
	enum refresh_status st = run(db, rotate_fn, &o);
	*new_token = o.token;
	return st;
}

static enum db_err revoke_fn(struct db *db, void *arg)
{
	struct op *o = arg;
	int used = 0, revoked = 0;
	int found = find_own(db, o, &used, &revoked);
	if (found <= 0)
		return found < 0 ? DB_ERROR : DB_OK;
	int rc = revoke_family(db, o->g->family);
	if (rc == DB_DONE)
		o->st = REFRESH_OK, o->revoked = 1;
	return rc;
}

enum refresh_status refresh_revoke(struct db *db, const char *token, struct refresh_grant *g)
{
	memset(g, 0, sizeof *g);
	struct op o = {.g = g};
	if (token_hash(token, o.hash) < 0)
		return REFRESH_UNKNOWN;
	return run(db, revoke_fn, &o);
}

enum refresh_status refresh_revoke_client(struct db *db, const char *token, const char *client_id,
					  struct refresh_grant *g)
{
	memset(g, 0, sizeof *g);
	struct op o = {.g = g, .client_id = client_id, .check_client = 1};
	if (token_hash(token, o.hash) < 0)
		return REFRESH_UNKNOWN;
	return run(db, revoke_fn, &o);
}

static enum db_err revoke_family_fn(struct db *db, void *arg)
{
	return revoke_family(db, arg);
}

enum refresh_status refresh_revoke_family(struct db *db, const char *family)
{
	if (db_txn_run(db, revoke_family_fn, (void *)family) != DB_OK)
		return REFRESH_ERROR;
	userdb_touch(db);
	return REFRESH_OK;
}
