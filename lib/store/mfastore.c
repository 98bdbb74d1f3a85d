#include "mfastore.h"
#include "db.h"
#include "util.h"

#include <ctype.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <stdlib.h>
#include <string.h>

#define HASH_LEN 32
#define TICKET_BYTES 32
#define TICKET_LEN 43

const char *mfastore_strerror(enum mfa_status st)
{
	switch (st) {
	case MFA_OK:
		return "ok";
	case MFA_OFF:
		return "no second factor";
	case MFA_ON:
		return "second factor already on";
	case MFA_WRONG_CODE:
		return "wrong code";
	case MFA_REUSED:
		return "code of a time step already used";
	case MFA_NO_TICKET:
		return "unknown or expired login ticket";
	default:
		return "store error";
	}
}

static void sha256(const char *s, size_t n, unsigned char out[HASH_LEN])
{
	unsigned int len = 0;
	EVP_Digest(s, n, out, &len, EVP_sha256(), NULL);
}

/* A recovery code as typed: letters and digits only, lower case, at most
 * 16 of them (NULL when it holds anything else). */
static int recovery_normal(const char *code, char out[17])
{
	size_t n = 0;
	for (const char *p = code; *p; p++) {
		if (*p == '-' || *p == ' ')
			continue;
		if (!isalnum((unsigned char)*p) || n == 16)
			return -1;
		out[n++] = (char)tolower((unsigned char)*p);
	}
	out[n] = '\0';
	return n ? 0 : -1;
}

enum mfa_status mfastore_state(struct db *db, const char *sub, enum mfa_state *state, int *recovery_left)
{
	struct db_rows *q;
	*state = MFA_STATE_OFF;
	if (recovery_left)
		*recovery_left = 0;
	int rc = db_exec(db, &q, "SELECT enabled FROM mfa_secrets WHERE sub=?", DB_TEXT, sub, DB_END);
	if (rc == DB_ROW) {
		*state = db_column_int(q, 0) ? MFA_STATE_ON : MFA_STATE_PENDING;
		db_rows_free(q);
	} else if (rc != DB_DONE) {
		return MFA_ERROR;
	}
	if (!recovery_left || *state != MFA_STATE_ON)
		return MFA_OK;
	rc = db_exec(db, &q, "SELECT count(*) FROM mfa_recovery WHERE sub=? AND used_at IS NULL", DB_TEXT,
		     sub, DB_END);
	if (rc != DB_ROW)
		return MFA_ERROR;
	*recovery_left = db_column_int(q, 0);
	db_rows_free(q);
	return MFA_OK;
}

struct op {
	const char *sub, *code;
	time_t now;
	unsigned char *key;
	char **codes;
	int recovery;
	enum mfa_status st;
};

static enum db_err enroll_fn(struct db *db, void *arg)
{
	struct op *o = arg;
	struct db_rows *q;
	int rc = db_exec(db, &q, "SELECT enabled FROM mfa_secrets WHERE sub=?", DB_TEXT, o->sub, DB_END);
	if (rc == DB_ROW) {
		int on = db_column_int(q, 0);
		db_rows_free(q);
		if (on) {
			o->st = MFA_ON;
			return DB_OK;
		}
	} else if (rc != DB_DONE) {
		return rc;
	}
	rc = db_exec(db, NULL,
		     "INSERT INTO mfa_secrets(sub,secret,enabled,last_step,created_at) VALUES(?,?,0,0,?) "
		     "ON CONFLICT(sub) DO UPDATE SET secret = excluded.secret, enabled = 0, last_step = 0,"
		     " created_at = excluded.created_at",
		     DB_TEXT, o->sub, DB_BLOB, o->key, (size_t)TOTP_SECRET_LEN, DB_INT, (long long)o->now,
		     DB_END);
	if (rc != DB_DONE)
		return rc;
	o->st = MFA_OK;
	return DB_OK;
}

enum mfa_status mfastore_enroll(struct db *db, const char *sub, time_t now,
				unsigned char key[TOTP_SECRET_LEN])
{
	if (RAND_bytes(key, TOTP_SECRET_LEN) != 1)
		return MFA_ERROR;
	struct op o = {.sub = sub, .now = now, .key = key, .st = MFA_ERROR};
	if (db_txn_run(db, enroll_fn, &o) != DB_OK)
		return MFA_ERROR;
	if (o.st != MFA_OK)
		OPENSSL_cleanse(key, TOTP_SECRET_LEN);
	return o.st;
}

/* The secret, its state and last step of sub within a transaction (or not). */
static int read_secret(struct db *db, const char *sub, unsigned char key[TOTP_SECRET_LEN], int *on,
		       long long *last)
{
	struct db_rows *q;
	int rc = db_exec(db, &q, "SELECT secret, enabled, last_step FROM mfa_secrets WHERE sub=?", DB_TEXT,
			 sub, DB_END);
	if (rc != DB_ROW)
		return rc;
	size_t n;
	unsigned char *secret = db_column_blob_dup(q, 0, &n);
	if (!secret || n != TOTP_SECRET_LEN) {
		if (secret)
			secure_free(secret, n);
		db_rows_free(q);
		return DB_ERROR;
	}
	memcpy(key, secret, TOTP_SECRET_LEN);
	secure_free(secret, n);
	*on = (int)db_column_int(q, 1);
	*last = db_column_int(q, 2);
	db_rows_free(q);
	return DB_ROW;
}

enum mfa_status mfastore_secret(struct db *db, const char *sub, unsigned char key[TOTP_SECRET_LEN],
				enum mfa_state *state)
{
	int on = 0;
	long long last;
	int rc = read_secret(db, sub, key, &on, &last);
	if (rc == DB_DONE)
		return MFA_OFF;
	if (rc != DB_ROW)
		return MFA_ERROR;
	*state = on ? MFA_STATE_ON : MFA_STATE_PENDING;
	return MFA_OK;
}

/* The code's step when it is right and newer than last: MFA_OK (step
 * stored), MFA_REUSED or MFA_WRONG_CODE. */
static int use_step(struct db *db, struct op *o, const unsigned char *key, long long last)
{
	uint64_t step;
	if (!totp_match(key, TOTP_SECRET_LEN, o->now, o->code, &step)) {
		o->st = MFA_WRONG_CODE;
		return DB_OK;
	}
	if ((long long)step <= last) {
		o->st = MFA_REUSED;
		return DB_OK;
	}
	int rc = db_exec(db, NULL, "UPDATE mfa_secrets SET enabled=1, last_step=? WHERE sub=?", DB_INT,
			 (long long)step, DB_TEXT, o->sub, DB_END);
	if (rc != DB_DONE)
		return rc;
	o->st = MFA_OK;
	return DB_OK;
}

static enum db_err confirm_fn(struct db *db, void *arg)
{
	struct op *o = arg;
	unsigned char key[TOTP_SECRET_LEN];
	int on = 0;
	long long last = 0;
	int rc = read_secret(db, o->sub, key, &on, &last);
	mfastore_codes_free(o->codes);
	if (rc == DB_DONE || (rc == DB_ROW && on)) {
		o->st = rc == DB_DONE ? MFA_OFF : MFA_ON;
		return DB_OK;
	}
	if (rc != DB_ROW)
		return rc;
	rc = use_step(db, o, key, last);
	OPENSSL_cleanse(key, sizeof key);
	if (rc != DB_OK || o->st != MFA_OK)
		return rc;
	if ((rc = db_exec(db, NULL, "DELETE FROM mfa_recovery WHERE sub=?", DB_TEXT, o->sub, DB_END)) !=
	    DB_DONE)
		return rc;
	/* Lower-case base32 without the letters and digits people confuse. */
	static const char alphabet[] = "abcdefghjkmnpqrstuvwxyz23456789";
	for (int i = 0; i < MFA_RECOVERY_CODES; i++) {
		unsigned char rnd[10];
		if (RAND_bytes(rnd, sizeof rnd) != 1)
			return DB_ERROR;
		char *c = ck_malloc(MFA_RECOVERY_LEN + 1), norm[17];
		for (int j = 0, k = 0; j < MFA_RECOVERY_LEN; j++)
			c[j] = j == 5 ? '-' : alphabet[rnd[k++] % (sizeof alphabet - 1)];
		c[MFA_RECOVERY_LEN] = '\0';
		OPENSSL_cleanse(rnd, sizeof rnd);
		o->codes[i] = c;
		unsigned char h[HASH_LEN];
		recovery_normal(c, norm);
		sha256(norm, strlen(norm), h);
		if ((rc = db_exec(db, NULL,
				  "INSERT INTO mfa_recovery(sub,hash) VALUES(?,?) ON CONFLICT DO NOTHING",
				  DB_TEXT, o->sub, DB_BLOB, h, (size_t)HASH_LEN, DB_END)) != DB_DONE)
			return rc;
	}
	return DB_OK;
}

void mfastore_codes_free(char *codes[MFA_RECOVERY_CODES])
{
	for (int i = 0; i < MFA_RECOVERY_CODES; i++) {
		if (codes[i])
			secure_free(codes[i], strlen(codes[i]));
		codes[i] = NULL;
	}
}

enum mfa_status mfastore_confirm(struct db *db, const char *sub, const char *code, time_t now,
				 char *codes[MFA_RECOVERY_CODES])
{
	memset(codes, 0, sizeof(char *) * MFA_RECOVERY_CODES);
	struct op o = {.sub = sub, .code = code, .now = now, .codes = codes, .st = MFA_ERROR};
	if (db_txn_run(db, confirm_fn, &o) != DB_OK) {
		mfastore_codes_free(codes);
		return MFA_ERROR;
	}
	if (o.st != MFA_OK)
		mfastore_codes_free(codes);
	return o.st;
}

static enum db_err verify_fn(struct db *db, void *arg)
{
	struct op *o = arg;
	unsigned char key[TOTP_SECRET_LEN];
	int on = 0;
	long long last = 0;
	o->recovery = 0;
	int rc = read_secret(db, o->sub, key, &on, &last);
	if (rc == DB_DONE || (rc == DB_ROW && !on)) {
		o->st = MFA_OFF;
		return DB_OK;
	}
	if (rc != DB_ROW)
		return rc;
	if (strlen(o->code) == TOTP_DIGITS) {
		rc = use_step(db, o, key, last);
		OPENSSL_cleanse(key, sizeof key);
		return rc;
	}
	OPENSSL_cleanse(key, sizeof key);
	char norm[17];
	o->st = MFA_WRONG_CODE;
	if (recovery_normal(o->code, norm) < 0)
		return DB_OK;
	unsigned char h[HASH_LEN];
	sha256(norm, strlen(norm), h);
	OPENSSL_cleanse(norm, sizeof norm);
	/* The hash is the key looked up: the code itself is never compared. */
	rc = db_exec(db, NULL, "UPDATE mfa_recovery SET used_at=? WHERE sub=? AND hash=? AND used_at IS NULL",
		     DB_INT, (long long)o->now, DB_TEXT, o->sub, DB_BLOB, h, (size_t)HASH_LEN, DB_END);
	if (rc != DB_DONE)
		return rc;
	if (db_changes(db) == 1) {
		o->st = MFA_OK;
		o->recovery = 1;
	}
	return DB_OK;
}

enum mfa_status mfastore_verify(struct db *db, const char *sub, const char *code, time_t now, int *recovery)
{
	struct op o = {.sub = sub, .code = code ? code : "", .now = now, .st = MFA_ERROR};
	*recovery = 0;
	if (db_txn_run(db, verify_fn, &o) != DB_OK)
		return MFA_ERROR;
	*recovery = o.recovery;
	return o.st;
}

static enum db_err reset_fn(struct db *db, void *arg)
{
	struct op *o = arg;
	int rc = db_exec(db, NULL, "DELETE FROM mfa_secrets WHERE sub=?", DB_TEXT, o->sub, DB_END);
	if (rc != DB_DONE)
		return rc;
	o->st = db_changes(db) ? MFA_OK : MFA_OFF;
	rc = db_exec(db, NULL, "DELETE FROM mfa_recovery WHERE sub=?", DB_TEXT, o->sub, DB_END);
	if (rc == DB_DONE)
		rc = db_exec(db, NULL, "DELETE FROM mfa_tickets WHERE sub=?", DB_TEXT, o->sub, DB_END);
	return rc == DB_DONE ? DB_OK : rc;
}

enum mfa_status mfastore_reset(struct db *db, const char *sub)
{
	struct op o = {.sub = sub, .st = MFA_ERROR};
	return db_txn_run(db, reset_fn, &o) == DB_OK ? o.st : MFA_ERROR;
}

static int ticket_hash(const char *ticket, unsigned char h[HASH_LEN])
{
	if (!ticket || strlen(ticket) != TICKET_LEN)
		return -1;
	sha256(ticket, TICKET_LEN, h);
	return 0;
}

struct ticket_op {
	const unsigned char *hash;
	const char *sub, *scope;
	time_t now;
};

static enum db_err ticket_new_fn(struct db *db, void *arg)
{
	struct ticket_op *t = arg;
	/* Expired tickets go as new ones come: the table stays small. */
	int rc = db_exec(db, NULL, "DELETE FROM mfa_tickets WHERE expires_at<?", DB_INT, (long long)t->now,
			 DB_END);
	if (rc == DB_DONE)
		rc = db_exec(db, NULL, "INSERT INTO mfa_tickets(hash,sub,scope,expires_at) VALUES(?,?,?,?)",
			     DB_BLOB, t->hash, (size_t)HASH_LEN, DB_TEXT, t->sub, DB_TEXT, t->scope, DB_INT,
			     (long long)(t->now + MFA_TICKET_TTL), DB_END);
	return rc == DB_DONE ? DB_OK : rc;
}

enum mfa_status mfastore_ticket_new(struct db *db, const char *sub, const char *scope, time_t now,
				    char **ticket)
{
	unsigned char rnd[TICKET_BYTES], h[HASH_LEN];
	*ticket = NULL;
	if (RAND_bytes(rnd, sizeof rnd) != 1)
		return MFA_ERROR;
	char *t = b64url_encode(rnd, sizeof rnd);
	OPENSSL_cleanse(rnd, sizeof rnd);
	ticket_hash(t, h);
	struct ticket_op op = {h, sub, scope, now};
	if (db_txn_run(db, ticket_new_fn, &op) != DB_OK) {
		secure_free(t, strlen(t));
		return MFA_ERROR;
	}
	*ticket = t;
	return MFA_OK;
}

enum mfa_status mfastore_ticket_get(struct db *db, const char *ticket, time_t now, char **sub, char **scope)
{
	unsigned char h[HASH_LEN];
	struct db_rows *q;
	*sub = *scope = NULL;
	if (ticket_hash(ticket, h) < 0)
		return MFA_NO_TICKET;
	int rc = db_exec(
	    db, &q, "SELECT sub, scope FROM mfa_tickets WHERE hash=? AND expires_at>=? AND tries<?", DB_BLOB,
	    h, (size_t)HASH_LEN, DB_INT, (long long)now, DB_INT, (long long)MFA_TICKET_TRIES, DB_END);
	if (rc == DB_DONE)
		return MFA_NO_TICKET;
	if (rc != DB_ROW)
		return MFA_ERROR;
	*sub = db_column_text_dup(q, 0);
	*scope = db_column_text_dup(q, 1);
	db_rows_free(q);
	return MFA_OK;
}

static enum mfa_status ticket_write(struct db *db, const char *ticket, const char *sql)
{
	unsigned char h[HASH_LEN];
	if (ticket_hash(ticket, h) < 0)
		return MFA_NO_TICKET;
	return db_exec(db, NULL, sql, DB_BLOB, h, (size_t)HASH_LEN, DB_END) == DB_DONE ? MFA_OK : MFA_ERROR;
}

enum mfa_status mfastore_ticket_fail(struct db *db, const char *ticket)
{
	return ticket_write(db, ticket, "UPDATE mfa_tickets SET tries=tries+1 WHERE hash=?");
}

enum mfa_status mfastore_ticket_del(struct db *db, const char *ticket)
{
	enum mfa_status st = ticket_write(db, ticket, "DELETE FROM mfa_tickets WHERE hash=?");
	/* Two requests with one ticket: only the one that deleted it goes on. */
	return st == MFA_OK && db_changes(db) == 0 ? MFA_NO_TICKET : st;
}

/* The key of a mark: SHA-256 of its kind's letter and the value. */
static void mark_hash(enum mfa_mark kind, const char *value, unsigned char h[HASH_LEN])
{
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	unsigned int n = 0;
	char k = (char)('s' + kind);
	EVP_DigestInit_ex(ctx, EVP_sha256(), NULL);
	EVP_DigestUpdate(ctx, &k, 1);
	EVP_DigestUpdate(ctx, value, strlen(value));
	EVP_DigestFinal_ex(ctx, h, &n);
	EVP_MD_CTX_free(ctx);
}

struct mark_op {
	const unsigned char *hash;
	time_t now;
	long ttl;
};

static enum db_err mark_fn(struct db *db, void *arg)
{
	struct mark_op *m = arg;
	/* Marks past their time go as new ones come. */
	int rc =
	    db_exec(db, NULL, "DELETE FROM mfa_marks WHERE expires_at<?", DB_INT, (long long)m->now, DB_END);
	if (rc == DB_DONE)
		rc =
		    db_exec(db, NULL,
			    "INSERT INTO mfa_marks(hash,expires_at) VALUES(?,?)"
			    " ON CONFLICT(hash) DO UPDATE SET expires_at = excluded.expires_at",
			    DB_BLOB, m->hash, (size_t)HASH_LEN, DB_INT, (long long)(m->now + m->ttl), DB_END);
	return rc == DB_DONE ? DB_OK : rc;
}

enum mfa_status mfastore_mark(struct db *db, enum mfa_mark kind, const char *value, time_t now, long ttl)
{
	unsigned char h[HASH_LEN];
	if (!value)
		return MFA_ERROR;
	mark_hash(kind, value, h);
	struct mark_op m = {h, now, ttl};
	return db_txn_run(db, mark_fn, &m) == DB_OK ? MFA_OK : MFA_ERROR;
}

int mfastore_marked(struct db *db, enum mfa_mark kind, const char *value, time_t now)
{
	unsigned char h[HASH_LEN];
	struct db_rows *q;
	if (!value)
		return 0;
	mark_hash(kind, value, h);
	int rc = db_exec(db, &q, "SELECT 1 FROM mfa_marks WHERE hash=? AND expires_at>=?", DB_BLOB, h,
			 (size_t)HASH_LEN, DB_INT, (long long)now, DB_END);
	if (rc == DB_ROW) {
		db_rows_free(q);
		return 1;
	}
	return rc == DB_DONE ? 0 : -1;
}
