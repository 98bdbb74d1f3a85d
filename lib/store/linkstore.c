#include "linkstore.h"
#include "db.h"
#include "userdb.h"
#include "util.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <stdlib.h>
#include <string.h>

#define HASH_LEN 32
#define LINK_PRUNE_AFTER 86400 /* used and expired links are kept a day, so a reuse says "used" */

static const char *const purposes[] = {[LINK_VERIFY] = "verify", [LINK_RESET] = "reset"};

const char *linkstore_strerror(enum link_status st)
{
	switch (st) {
	case LINK_OK:
		return "ok";
	case LINK_NOT_FOUND:
		return "unknown link";
	case LINK_EXPIRED:
		return "expired link";
	case LINK_USED:
		return "link already used";
	case LINK_ERROR:
		break;
	}
	return "the link store failed";
}

/* SHA-256 of a token's text; -1 when it cannot be one of ours. */
static int token_hash(const char *token, unsigned char out[HASH_LEN])
{
	unsigned char raw[b64url_decoded_max(LINK_TOKEN_LEN)];
	size_t rawlen;
	unsigned int n = 0;
	if (!token || strlen(token) != LINK_TOKEN_LEN ||
	    b64url_decode_into(token, LINK_TOKEN_LEN, raw, sizeof raw, &rawlen) < 0 || rawlen != 16)
		return -1;
	OPENSSL_cleanse(raw, sizeof raw);
	return EVP_Digest(token, LINK_TOKEN_LEN, out, &n, EVP_sha256(), NULL) == 1 && n == HASH_LEN ? 0 : -1;
}

struct issue_args {
	const char *purpose, *sub, *email;
	const unsigned char *hash;
	long long now, expires;
};

static enum db_err issue_fn(struct db *db, void *arg)
{
	struct issue_args *a = arg;
	int rc =
	    db_exec(db, NULL, "DELETE FROM account_links WHERE (sub = ? AND purpose = ?) OR expires_at < ?",
		    DB_TEXT, a->sub, DB_TEXT, a->purpose, DB_INT, a->now - LINK_PRUNE_AFTER, DB_END);
	if (rc != DB_DONE)
		return rc;
	return db_exec(db, NULL,
		       "INSERT INTO account_links(hash,purpose,sub,email,expires_at) VALUES(?,?,?,?,?)",
		       DB_BLOB, a->hash, (size_t)HASH_LEN, DB_TEXT, a->purpose, DB_TEXT, a->sub, DB_TEXT,
		       a->email, DB_INT, a->expires, DB_END);
}

enum link_status linkstore_issue(struct db *db, enum link_purpose purpose, const char *sub, const char *email,
				 time_t now, long ttl, char **token)
{
	unsigned char rnd[16], hash[HASH_LEN];
	*token = NULL;
	if (RAND_bytes(rnd, sizeof rnd) != 1)
		return LINK_ERROR;
	char *t = b64url_encode(rnd, sizeof rnd);
	OPENSSL_cleanse(rnd, sizeof rnd);
	if (token_hash(t, hash) < 0) {
		secure_free(t, strlen(t));
		return LINK_ERROR;
	}
	struct issue_args a = {purposes[purpose], sub, email, hash, (long long)now, (long long)now + ttl};
	if (db_txn_run(db, issue_fn, &a) != DB_OK) {
		secure_free(t, strlen(t));
		return LINK_ERROR;
	}
	*token = t;
	return LINK_OK;
}

struct use_args {
	const char *purpose;
	const unsigned char *hash;
	long long now;
	int consume;
	enum link_status st;
	char *sub, *email;
};

/* Reads the link (and, when consuming, uses it); a result of DB_OK
 * commits, so a refusal is in a->st with DB_OK. */
static enum db_err use_fn(struct db *db, void *arg)
{
	struct use_args *a = arg;
	free(a->sub);
	free(a->email);
	a->sub = a->email = NULL;
	struct db_rows *q;
	int rc = db_exec(
	    db, &q, "SELECT sub, email, expires_at, used FROM account_links WHERE hash = ? AND purpose = ?",
	    DB_BLOB, a->hash, (size_t)HASH_LEN, DB_TEXT, a->purpose, DB_END);
	if (rc == DB_DONE) {
		a->st = LINK_NOT_FOUND;
		return DB_OK;
	}
	if (rc != DB_ROW)
		return rc;
	a->sub = db_column_text_dup(q, 0);
	a->email = db_column_text_dup(q, 1);
	long long expires = db_column_int(q, 2);
	int used = db_column_int(q, 3);
	db_rows_free(q);
	a->st = used ? LINK_USED : expires < a->now ? LINK_EXPIRED : LINK_OK;
	if (a->st != LINK_OK || !a->consume)
		return DB_OK;
	rc = db_exec(db, NULL, "UPDATE account_links SET used = 1 WHERE hash = ?", DB_BLOB, a->hash,
		     (size_t)HASH_LEN, DB_END);
	if (rc == DB_DONE)
		rc =
		    db_exec(db, NULL, "DELETE FROM account_links WHERE sub = ? AND purpose = ? AND hash <> ?",
			    DB_TEXT, a->sub, DB_TEXT, a->purpose, DB_BLOB, a->hash, (size_t)HASH_LEN, DB_END);
	/* Verified only while the address mailed is still the user's. */
	if (rc == DB_DONE && strcmp(a->purpose, purposes[LINK_VERIFY]) == 0)
		rc = db_exec(db, NULL, "UPDATE users SET email_verified = 1 WHERE sub = ? AND email = ?",
			     DB_TEXT, a->sub, DB_TEXT, a->email, DB_END);
	return rc == DB_DONE ? DB_OK : rc;
}

static enum link_status link_read(struct db *db, enum link_purpose purpose, const char *token, time_t now,
				  int consume, char **sub, char **email)
{
	unsigned char hash[HASH_LEN];
	if (sub)
		*sub = NULL;
	if (email)
		*email = NULL;
	if (token_hash(token, hash) < 0)
		return LINK_NOT_FOUND;
	struct use_args a = {purposes[purpose], hash, (long long)now, consume, LINK_ERROR, NULL, NULL};
	int rc = consume ? db_txn_run(db, use_fn, &a) : use_fn(db, &a);
	if (rc != DB_OK)
		a.st = LINK_ERROR;
	if (consume && a.st == LINK_OK)
		userdb_touch(db);
	if (a.st == LINK_OK && sub)
		*sub = a.sub;
	else
		free(a.sub);
	if (a.st == LINK_OK && email)
		*email = a.email;
	else
		free(a.email);
	return a.st;
}

enum link_status linkstore_check(struct db *db, enum link_purpose purpose, const char *token, time_t now,
				 char **sub, char **email)
{
	return link_read(db, purpose, token, now, 0, sub, email);
}

enum link_status linkstore_use(struct db *db, enum link_purpose purpose, const char *token, time_t now,
			       char **sub, char **email)
{
	return link_read(db, purpose, token, now, 1, sub, email);
}
