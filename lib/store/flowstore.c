#include "flowstore.h"
#include "db.h"
#include "userdb.h"
#include "util.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define HASH_LEN 32

/* A new random value (32 bytes, base64url) into out. */
static int random_id(char out[FLOW_ID_LEN + 1])
{
	unsigned char rnd[32];
	if (RAND_bytes(rnd, sizeof rnd) != 1)
		return -1;
	char *s = b64url_encode(rnd, sizeof rnd);
	OPENSSL_cleanse(rnd, sizeof rnd);
	memcpy(out, s, FLOW_ID_LEN + 1);
	free(s);
	return 0;
}

/* SHA-256 of a secret's text (cookies and codes are stored only so); -1
 * when it cannot be one of ours. */
static int secret_hash(const char *s, unsigned char out[HASH_LEN])
{
	unsigned int n = 0;
	if (!s || strlen(s) != FLOW_ID_LEN)
		return -1;
	return EVP_Digest(s, FLOW_ID_LEN, out, &n, EVP_sha256(), NULL) == 1 && n == HASH_LEN ? 0 : -1;
}

char *flow_scope_intersect(const char *a, const char *b)
{
	struct sbuf out = {0};
	sbuf_adds(&out, "");
	const char *s;
	size_t n;
	for (const char *c = a; list_next(&c, " ", &s, &n);)
		if (words_has(b, s, n))
			words_add(&out, s, n);
	return sbuf_take(&out);
}

char *flow_user_scopes(const char *permissions, const char *scope)
{
	return ck_asprintf("%s %s offline_access", permissions ? permissions : "", scope ? scope : "");
}

int flow_scope_covers(const char *have, const char *want)
{
	const char *s;
	size_t n;
	for (const char *c = want; list_next(&c, " ", &s, &n);)
		if (!words_has(have, s, n))
			return 0;
	return 1;
}

void flow_session_free(struct flow_session *s)
{
	free(s->sub);
	memset(s, 0, sizeof *s);
}

struct session_op {
	const char *old, *sub;
	time_t now;
	char cookie[FLOW_ID_LEN + 1];
	struct flow_session *s;
};

static int session_insert(struct db *db, struct session_op *o, unsigned char hash[HASH_LEN])
{
	if (random_id(o->cookie) < 0 || random_id(o->s->csrf) < 0 || secret_hash(o->cookie, hash) < 0)
		return DB_ERROR;
	int rc = db_exec(db, NULL, "DELETE FROM oauth_sessions WHERE expires_at <= ?", DB_INT,
			 (long long)o->now, DB_END);
	if (rc == DB_DONE)
		rc = db_exec(db, NULL, "DELETE FROM oauth_requests WHERE expires_at <= ?", DB_INT,
			     (long long)o->now, DB_END);
	if (rc == DB_DONE)
		rc = db_exec(db, NULL, "INSERT INTO oauth_sessions(hash,sub,csrf,expires_at) VALUES(?,?,?,?)",
			     DB_BLOB, hash, (size_t)HASH_LEN, DB_TEXT, o->sub, DB_TEXT, o->s->csrf, DB_INT,
			     (long long)(o->now + FLOW_SESSION_TTL), DB_END);
	return rc;
}

static enum db_err session_new_fn(struct db *db, void *arg)
{
	unsigned char hash[HASH_LEN];
	return session_insert(db, arg, hash);
}

static enum db_err session_login_fn(struct db *db, void *arg)
{
	struct session_op *o = arg;
	unsigned char hash[HASH_LEN], old[HASH_LEN];
	int rc = session_insert(db, o, hash);
	if (rc == DB_DONE && o->old && secret_hash(o->old, old) == 0) {
		rc = db_exec(db, NULL, "UPDATE oauth_requests SET session = ? WHERE session = ?", DB_BLOB,
			     hash, (size_t)HASH_LEN, DB_BLOB, old, (size_t)HASH_LEN, DB_END);
		if (rc == DB_DONE)
			rc = db_exec(db, NULL, "DELETE FROM oauth_sessions WHERE hash = ?", DB_BLOB, old,
				     (size_t)HASH_LEN, DB_END);
	}
	return rc;
}

static int session_run(struct db *db, enum db_err (*fn)(struct db *, void *), struct session_op *o,
		       char **cookie)
{
	*cookie = NULL;
	if (db_txn_run(db, fn, o) != DB_OK) {
		flow_session_free(o->s);
		return FLOW_ERROR;
	}
	o->s->sub = o->sub ? ck_strdup(o->sub) : NULL;
	*cookie = ck_strdup(o->cookie);
	OPENSSL_cleanse(o->cookie, sizeof o->cookie);
	return FLOW_OK;
}

enum flow_status flowstore_session_new(struct db *db, const char *sub, time_t now, char **cookie,
				       struct flow_session *s)
{
	memset(s, 0, sizeof *s);
	struct session_op o = {.sub = sub, .now = now, .s = s};
	return session_run(db, session_new_fn, &o, cookie);
}

enum flow_status flowstore_session_login(struct db *db, const char *old, const char *sub, time_t now,
					 char **cookie, struct flow_session *s)
{
	memset(s, 0, sizeof *s);
	struct session_op o = {.old = old, .sub = sub, .now = now, .s = s};
	return session_run(db, session_login_fn, &o, cookie);
}

enum flow_status flowstore_session_get(struct db *db, const char *cookie, time_t now, struct flow_session *s)
{
	unsigned char hash[HASH_LEN];
	memset(s, 0, sizeof *s);
	if (secret_hash(cookie, hash) < 0)
		return FLOW_NOT_FOUND;
	struct db_rows *q;
	int rc = db_exec(db, &q, "SELECT sub, csrf FROM oauth_sessions WHERE hash = ? AND expires_at > ?",
			 DB_BLOB, hash, (size_t)HASH_LEN, DB_INT, (long long)now, DB_END);
	if (rc == DB_DONE)
		return FLOW_NOT_FOUND;
	if (rc != DB_ROW)
		return FLOW_ERROR;
	const char *csrf = db_column_text(q, 1);
	int st = FLOW_NOT_FOUND;
	if (csrf && strlen(csrf) == FLOW_ID_LEN) {
		s->sub = db_column_text_dup(q, 0);
		memcpy(s->csrf, csrf, FLOW_ID_LEN + 1);
		st = FLOW_OK;
	}
	db_rows_free(q);
	return st;
}

void flow_request_free(struct flow_request *r)
{
	free(r->client_id);
	free(r->client_name);
	free(r->redirect_uri);
	free(r->state);
	free(r->challenge);
	free(r->scope);
	free(r->resource);
	memset(r, 0, sizeof *r);
}

enum flow_status flowstore_request_new(struct db *db, const char *cookie, struct flow_request *r, time_t now)
{
	unsigned char hash[HASH_LEN];
	if (secret_hash(cookie, hash) < 0 || random_id(r->id) < 0)
		return FLOW_ERROR;
	int rc = db_exec(
	    db, NULL,
	    "INSERT INTO oauth_requests(id,session,client_id,client_name,redirect_uri,state,challenge,"
	    "scope,resource,expires_at) VALUES(?,?,?,?,?,?,?,?,?,?)",
	    DB_TEXT, r->id, DB_BLOB, hash, (size_t)HASH_LEN, DB_TEXT, r->client_id, DB_TEXT, r->client_name,
	    DB_TEXT, r->redirect_uri, DB_TEXT, r->state, DB_TEXT, r->challenge, DB_TEXT, r->scope, DB_TEXT,
	    r->resource, DB_INT, (long long)(now + FLOW_REQUEST_TTL), DB_END);
	return rc == DB_DONE ? FLOW_OK : FLOW_ERROR;
}

enum flow_status flowstore_request_get(struct db *db, const char *cookie, const char *id, time_t now,
				       struct flow_request *r)
{
	unsigned char hash[HASH_LEN];
	memset(r, 0, sizeof *r);
	if (secret_hash(cookie, hash) < 0 || !id || strlen(id) != FLOW_ID_LEN)
		return FLOW_NOT_FOUND;
	struct db_rows *q;
	int rc = db_exec(db, &q,
			 "SELECT client_id,client_name,redirect_uri,state,challenge,scope,resource FROM "
			 "oauth_requests WHERE id = ? AND session = ? AND expires_at > ?",
			 DB_TEXT, id, DB_BLOB, hash, (size_t)HASH_LEN, DB_INT, (long long)now, DB_END);
	if (rc == DB_DONE)
		return FLOW_NOT_FOUND;
	if (rc != DB_ROW)
		return FLOW_ERROR;
	memcpy(r->id, id, FLOW_ID_LEN + 1);
	r->client_id = db_column_text_dup(q, 0);
	r->client_name = db_column_text_dup(q, 1);
	r->redirect_uri = db_column_text_dup(q, 2);
	r->state = db_column_text_dup(q, 3);
	r->challenge = db_column_text_dup(q, 4);
	r->scope = db_column_text_dup(q, 5);
	r->resource = db_column_text_dup(q, 6);
	db_rows_free(q);
	if (!r->client_id || !r->client_name || !r->redirect_uri || !r->challenge || !r->scope) {
		flow_request_free(r);
		return FLOW_NOT_FOUND;
	}
	return FLOW_OK;
}

enum flow_status flowstore_request_del(struct db *db, const char *id)
{
	return db_exec(db, NULL, "DELETE FROM oauth_requests WHERE id = ?", DB_TEXT, id, DB_END) == DB_DONE
		   ? FLOW_OK
		   : FLOW_ERROR;
}

/* The grant of sub to client widened by scope: every word once. */
static int grant_widen(struct db *db, const char *sub, const char *client, const char *scope, time_t now)
{
	struct db_rows *q;
	struct sbuf b = {0};
	sbuf_adds(&b, "");
	int rc = db_exec(db, &q, "SELECT scope FROM oauth_grants WHERE sub = ? AND client_id = ?", DB_TEXT,
			 sub, DB_TEXT, client, DB_END);
	if (rc == DB_ROW) {
		const char *old = db_column_text(q, 0);
		sbuf_adds(&b, old ? old : "");
		db_rows_free(q);
	} else if (rc != DB_DONE) {
		sbuf_free(&b);
		return rc;
	}
	const char *s;
	size_t n;
	for (const char *c = scope; list_next(&c, " ", &s, &n);)
		words_add(&b, s, n);
	rc = db_exec(db, NULL,
		     "INSERT INTO oauth_grants(sub,client_id,scope,created_at,updated_at) VALUES(?,?,?,?,?) "
		     "ON CONFLICT(sub,client_id) DO UPDATE SET scope = excluded.scope, updated_at = "
		     "excluded.updated_at",
		     DB_TEXT, sub, DB_TEXT, client, DB_TEXT, b.p, DB_INT, (long long)now, DB_INT,
		     (long long)now, DB_END);
	sbuf_free(&b);
	return rc;
}

struct code_op {
	const struct flow_request *r;
	const char *sub, *scope;
	int remember;
	time_t now;
	char code[FLOW_ID_LEN + 1];
};

static enum db_err code_issue_fn(struct db *db, void *arg)
{
	struct code_op *o = arg;
	unsigned char hash[HASH_LEN];
	if (random_id(o->code) < 0 || secret_hash(o->code, hash) < 0)
		return DB_ERROR;
	int rc = db_exec(db, NULL, "DELETE FROM oauth_codes WHERE expires_at <= ?", DB_INT,
			 (long long)(o->now - FLOW_PRUNE_AFTER), DB_END);
	if (rc == DB_DONE)
		rc = db_exec(db, NULL, "DELETE FROM oauth_requests WHERE id = ?", DB_TEXT, o->r->id, DB_END);
	if (rc == DB_DONE && o->remember)
		rc = grant_widen(db, o->sub, o->r->client_id, o->scope, o->now);
	if (rc == DB_DONE)
		rc = db_exec(
		    db, NULL,
		    "INSERT INTO oauth_codes(hash,client_id,redirect_uri,challenge,scope,resource,sub,"
		    "expires_at) VALUES(?,?,?,?,?,?,?,?)",
		    DB_BLOB, hash, (size_t)HASH_LEN, DB_TEXT, o->r->client_id, DB_TEXT, o->r->redirect_uri,
		    DB_TEXT, o->r->challenge, DB_TEXT, o->scope, DB_TEXT, o->r->resource, DB_TEXT, o->sub,
		    DB_INT, (long long)(o->now + FLOW_CODE_TTL), DB_END);
	return rc;
}

enum flow_status flowstore_code_issue(struct db *db, const struct flow_request *r, const char *sub,
				      const char *scope, int remember, time_t now, char **code)
{
	struct code_op o = {.r = r, .sub = sub, .scope = scope, .remember = remember, .now = now};
	*code = NULL;
	if (db_txn_run(db, code_issue_fn, &o) != DB_OK)
		return FLOW_ERROR;
	*code = ck_strdup(o.code);
	OPENSSL_cleanse(o.code, sizeof o.code);
	return FLOW_OK;
}

struct redeem_op {
	unsigned char hash[HASH_LEN];
	const char *client_id, *redirect_uri, *verifier, *addr;
	time_t now;
	long ttl;
	char *token;
	struct refresh_grant *g;
	int st;
};

/* BASE64URL(SHA256(verifier)) equals the challenge (RFC 7636 section 4.6). */
static int pkce_ok(const char *verifier, const char *challenge)
{
	unsigned char d[32];
	unsigned int n = 0;
	if (EVP_Digest(verifier, strlen(verifier), d, &n, EVP_sha256(), NULL) != 1 || n != sizeof d)
		return 0;
	char *want = b64url_encode(d, sizeof d);
	int ok = strlen(challenge) == strlen(want) && CRYPTO_memcmp(want, challenge, strlen(want)) == 0;
	free(want);
	return ok;
}

static enum db_err redeem_fn(struct db *db, void *arg)
{
	struct redeem_op *o = arg;
	struct db_rows *q;
	o->st = FLOW_ERROR;
	int rc = db_exec(db, &q,
			 "SELECT client_id,redirect_uri,challenge,scope,resource,sub,expires_at,used,family "
			 "FROM oauth_codes WHERE hash = ?",
			 DB_BLOB, o->hash, (size_t)HASH_LEN, DB_END);
	if (rc == DB_DONE) {
		o->st = FLOW_NOT_FOUND;
		return DB_OK;
	}
	if (rc != DB_ROW)
		return rc;
	char *client = db_column_text_dup(q, 0), *redirect = db_column_text_dup(q, 1),
	     *challenge = db_column_text_dup(q, 2);
	char *scope = db_column_text_dup(q, 3), *resource = db_column_text_dup(q, 4),
	     *sub = db_column_text_dup(q, 5), *family = db_column_text_dup(q, 8);
	long long expires = db_column_int(q, 6);
	int used = db_column_int(q, 7);
	db_rows_free(q);
	rc = DB_OK;
	if (!client || !redirect || !challenge || !scope || !sub) {
		o->st = FLOW_NOT_FOUND;
	} else if (used) {
		/* A replayed code: whoever holds it, the tokens it gave are no
		 * one's now (RFC 6749 section 4.1.2). */
		if (family)
			rc = db_exec(db, NULL, "UPDATE refresh_tokens SET revoked = 1 WHERE family = ?",
				     DB_TEXT, family, DB_END);
		if (rc == DB_OK || rc == DB_DONE)
			o->st = FLOW_USED;
	} else if (expires <= o->now) {
		o->st = FLOW_EXPIRED;
	} else if (strcmp(client, o->client_id) != 0 || strcmp(redirect, o->redirect_uri) != 0) {
		o->st = FLOW_MISMATCH;
	} else if (!pkce_ok(o->verifier, challenge)) {
		o->st = FLOW_PKCE;
	} else {
		rc = db_exec(db, NULL, "UPDATE oauth_codes SET used = 1 WHERE hash = ?", DB_BLOB, o->hash,
			     (size_t)HASH_LEN, DB_END);
		if (rc == DB_DONE)
			rc = refresh_issue_in(db, sub, scope, client, resource, o->addr, o->now, o->ttl,
					      &o->token, o->g);
		if (rc == DB_DONE)
			rc = db_exec(db, NULL, "UPDATE oauth_codes SET family = ? WHERE hash = ?", DB_TEXT,
				     o->g->family, DB_BLOB, o->hash, (size_t)HASH_LEN, DB_END);
		if (rc == DB_DONE)
			o->st = FLOW_OK;
	}
	free(client), free(redirect), free(challenge), free(scope), free(resource), free(sub), free(family);
	return rc;
}

enum flow_status flowstore_code_redeem(struct db *db, const char *code, const char *client_id,
				       const char *redirect_uri, const char *verifier, const char *addr,
				       time_t now, long refresh_ttl, char **refresh, struct refresh_grant *g)
{
	memset(g, 0, sizeof *g);
	*refresh = NULL;
	struct redeem_op o = {.client_id = client_id,
			      .redirect_uri = redirect_uri,
			      .verifier = verifier,
			      .addr = addr,
			      .now = now,
			      .ttl = refresh_ttl,
			      .g = g};
	if (secret_hash(code, o.hash) < 0)
		return FLOW_NOT_FOUND;
	if (db_txn_run(db, redeem_fn, &o) != DB_OK)
		o.st = FLOW_ERROR;
	else if (o.st == FLOW_USED)
		userdb_touch(db); /* a family may be revoked: caches of live grants must see it */
	if (o.st != FLOW_OK) {
		refresh_token_free(o.token);
		refresh_grant_free(g);
		return o.st;
	}
	*refresh = o.token;
	return FLOW_OK;
}

char *flowstore_grant_scope(struct db *db, const char *sub, const char *client_id)
{
	struct db_rows *q;
	int rc = db_exec(db, &q, "SELECT scope FROM oauth_grants WHERE sub = ? AND client_id = ?", DB_TEXT,
			 sub, DB_TEXT, client_id, DB_END);
	if (rc == DB_DONE)
		return ck_strdup("");
	if (rc != DB_ROW)
		return NULL;
	char *s = db_column_text_dup(q, 0);
	db_rows_free(q);
	return s ? s : ck_strdup("");
}

struct revoke_op {
	const char *sub, *client_id;
	int changed;
};

static enum db_err grant_revoke_fn(struct db *db, void *arg)
{
	struct revoke_op *o = arg;
	o->changed = 0;
	int rc = db_exec(db, NULL, "DELETE FROM oauth_grants WHERE sub = ? AND client_id = ?", DB_TEXT,
			 o->sub, DB_TEXT, o->client_id, DB_END);
	o->changed += db_changes(db);
	if (rc == DB_DONE)
		rc = db_exec(
		    db, NULL,
		    "UPDATE refresh_tokens SET revoked = 1 WHERE sub = ? AND client_id = ? AND revoked = 0",
		    DB_TEXT, o->sub, DB_TEXT, o->client_id, DB_END);
	o->changed += db_changes(db);
	return rc;
}

enum flow_status flowstore_grant_revoke(struct db *db, const char *sub, const char *client_id)
{
	struct revoke_op o = {.sub = sub, .client_id = client_id};
	if (db_txn_run(db, grant_revoke_fn, &o) != DB_OK)
		return FLOW_ERROR;
	userdb_touch(db);
	return o.changed ? FLOW_OK : FLOW_NOT_FOUND;
}

int flowstore_grant_each(struct db *db, const char *sub, void (*fn)(const struct flow_grant *g, void *arg),
			 void *arg)
{
	struct db_rows *q;
	int rc = db_exec(db, &q,
			 "SELECT sub,client_id,scope,created_at,updated_at FROM oauth_grants "
			 "WHERE CAST(?1 AS TEXT) IS NULL OR sub = ?1 ORDER BY sub, client_id",
			 DB_TEXT, sub, DB_END);
	for (; rc == DB_ROW; rc = db_rows_next(q)) {
		struct flow_grant g = {db_column_text(q, 0), db_column_text(q, 1), db_column_text(q, 2),
				       db_column_int(q, 3), db_column_int(q, 4)};
		if (g.sub && g.client_id && g.scope)
			fn(&g, arg);
	}
	db_rows_free(q);
	return rc == DB_DONE ? FLOW_OK : FLOW_ERROR;
}

/* The live-grant cache: a slot per family hash, tagged with the change
 * counter read before the query and the time, as store/usercache.c's row cache. */
#define LIVE_SLOTS 1024
#define LIVE_TTL_MS 1000

static struct live {
	char family[REFRESH_FAMILY_LEN + 1];
	int live;
	unsigned long long gen;
	long long at_ms;
} live_cache[LIVE_SLOTS];

static long long mono_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int flowstore_grant_live(struct db *db, const char *family)
{
	if (!family || strlen(family) != REFRESH_FAMILY_LEN)
		return 0;
	uint32_t h = 2166136261u;
	for (const unsigned char *p = (const unsigned char *)family; *p; p++)
		h = (h ^ *p) * 16777619u;
	struct live *e = &live_cache[h & (LIVE_SLOTS - 1)];
	unsigned long long gen;
	int cached = userdb_generation(db, &gen) == 0;
	long long now = mono_ms();
	if (cached && e->gen == gen && now - e->at_ms < LIVE_TTL_MS && strcmp(e->family, family) == 0)
		return e->live;
	struct db_rows *q;
	int rc = db_exec(db, &q, "SELECT max(revoked) FROM refresh_tokens WHERE family = ?", DB_TEXT, family,
			 DB_END);
	if (rc != DB_ROW)
		return -1;
	/* No row (max of nothing is NULL): the family is gone, and so is the grant. */
	int live = !db_column_null(q, 0) && db_column_int(q, 0) == 0;
	db_rows_free(q);
	if (cached) {
		memcpy(e->family, family, REFRESH_FAMILY_LEN + 1);
		e->live = live;
		e->gen = gen;
		e->at_ms = now;
	}
	return live;
}

const char *flowstore_strerror(enum flow_status st)
{
	switch (st) {
	case FLOW_OK:
		return "ok";
	case FLOW_NOT_FOUND:
		return "not found";
	case FLOW_EXPIRED:
		return "code expired";
	case FLOW_USED:
		return "code used before";
	case FLOW_MISMATCH:
		return "code of another client or redirect URI";
	case FLOW_PKCE:
		return "code_verifier does not match";
	case FLOW_ERROR:
		break;
	}
	return "the flow store failed";
}
