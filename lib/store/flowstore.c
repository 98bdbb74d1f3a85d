#include "flowstore.h"
#include "txn.h"
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

static int session_insert(sqlite3 *db, struct session_op *o, unsigned char hash[HASH_LEN])
{
	if (random_id(o->cookie) < 0 || random_id(o->s->csrf) < 0 || secret_hash(o->cookie, hash) < 0)
		return SQLITE_ERROR;
	int rc = txn_exec(db, NULL, "DELETE FROM oauth_sessions WHERE expires_at <= ?", TXN_INT,
			  (long long)o->now, TXN_END);
	if (rc == SQLITE_DONE)
		rc = txn_exec(db, NULL, "DELETE FROM oauth_requests WHERE expires_at <= ?", TXN_INT,
			      (long long)o->now, TXN_END);
	if (rc == SQLITE_DONE)
		rc =
		    txn_exec(db, NULL, "INSERT INTO oauth_sessions(hash,sub,csrf,expires_at) VALUES(?,?,?,?)",
			     TXN_BLOB, hash, (size_t)HASH_LEN, TXN_TEXT, o->sub, TXN_TEXT, o->s->csrf,
			     TXN_INT, (long long)(o->now + FLOW_SESSION_TTL), TXN_END);
	return rc;
}

static int session_new_fn(sqlite3 *db, void *arg)
{
	unsigned char hash[HASH_LEN];
	return session_insert(db, arg, hash);
}

static int session_login_fn(sqlite3 *db, void *arg)
{
	struct session_op *o = arg;
	unsigned char hash[HASH_LEN], old[HASH_LEN];
	int rc = session_insert(db, o, hash);
	if (rc == SQLITE_DONE && o->old && secret_hash(o->old, old) == 0) {
		rc = txn_exec(db, NULL, "UPDATE oauth_requests SET session = ? WHERE session = ?", TXN_BLOB,
			      hash, (size_t)HASH_LEN, TXN_BLOB, old, (size_t)HASH_LEN, TXN_END);
		if (rc == SQLITE_DONE)
			rc = txn_exec(db, NULL, "DELETE FROM oauth_sessions WHERE hash = ?", TXN_BLOB, old,
				      (size_t)HASH_LEN, TXN_END);
	}
	return rc;
}

static int session_run(sqlite3 *db, int (*fn)(sqlite3 *, void *), struct session_op *o, char **cookie)
{
	*cookie = NULL;
	if (txn_run(db, fn, o) != SQLITE_OK) {
		flow_session_free(o->s);
		return FLOW_ERROR;
	}
	o->s->sub = o->sub ? ck_strdup(o->sub) : NULL;
	*cookie = ck_strdup(o->cookie);
	OPENSSL_cleanse(o->cookie, sizeof o->cookie);
	return FLOW_OK;
}

enum flow_status flowstore_session_new(sqlite3 *db, const char *sub, time_t now, char **cookie,
				       struct flow_session *s)
{
	memset(s, 0, sizeof *s);
	struct session_op o = {.sub = sub, .now = now, .s = s};
	return session_run(db, session_new_fn, &o, cookie);
}

enum flow_status flowstore_session_login(sqlite3 *db, const char *old, const char *sub, time_t now,
					 char **cookie, struct flow_session *s)
{
	memset(s, 0, sizeof *s);
	struct session_op o = {.old = old, .sub = sub, .now = now, .s = s};
	return session_run(db, session_login_fn, &o, cookie);
}

enum flow_status flowstore_session_get(sqlite3 *db, const char *cookie, time_t now, struct flow_session *s)
{
	unsigned char hash[HASH_LEN];
	memset(s, 0, sizeof *s);
	if (secret_hash(cookie, hash) < 0)
		return FLOW_NOT_FOUND;
	sqlite3_stmt *q;
	int rc = txn_exec(db, &q, "SELECT sub, csrf FROM oauth_sessions WHERE hash = ? AND expires_at > ?",
			  TXN_BLOB, hash, (size_t)HASH_LEN, TXN_INT, (long long)now, TXN_END);
	if (rc == SQLITE_DONE)
		return FLOW_NOT_FOUND;
	if (rc != SQLITE_ROW)
		return FLOW_ERROR;
	const char *csrf = (const char *)sqlite3_column_text(q, 1);
	int st = FLOW_NOT_FOUND;
	if (csrf && strlen(csrf) == FLOW_ID_LEN) {
		s->sub = txn_column_dup(q, 0);
		memcpy(s->csrf, csrf, FLOW_ID_LEN + 1);
		st = FLOW_OK;
	}
	sqlite3_finalize(q);
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

enum flow_status flowstore_request_new(sqlite3 *db, const char *cookie, struct flow_request *r, time_t now)
{
	unsigned char hash[HASH_LEN];
	if (secret_hash(cookie, hash) < 0 || random_id(r->id) < 0)
		return FLOW_ERROR;
	int rc = txn_exec(
	    db, NULL,
	    "INSERT INTO oauth_requests(id,session,client_id,client_name,redirect_uri,state,challenge,"
	    "scope,resource,expires_at) VALUES(?,?,?,?,?,?,?,?,?,?)",
	    TXN_TEXT, r->id, TXN_BLOB, hash, (size_t)HASH_LEN, TXN_TEXT, r->client_id, TXN_TEXT,
	    r->client_name, TXN_TEXT, r->redirect_uri, TXN_TEXT, r->state, TXN_TEXT, r->challenge, TXN_TEXT,
	    r->scope, TXN_TEXT, r->resource, TXN_INT, (long long)(now + FLOW_REQUEST_TTL), TXN_END);
	return rc == SQLITE_DONE ? FLOW_OK : FLOW_ERROR;
}

enum flow_status flowstore_request_get(sqlite3 *db, const char *cookie, const char *id, time_t now,
				       struct flow_request *r)
{
	unsigned char hash[HASH_LEN];
	memset(r, 0, sizeof *r);
	if (secret_hash(cookie, hash) < 0 || !id || strlen(id) != FLOW_ID_LEN)
		return FLOW_NOT_FOUND;
	sqlite3_stmt *q;
	int rc = txn_exec(db, &q,
			  "SELECT client_id,client_name,redirect_uri,state,challenge,scope,resource FROM "
			  "oauth_requests WHERE id = ? AND session = ? AND expires_at > ?",
			  TXN_TEXT, id, TXN_BLOB, hash, (size_t)HASH_LEN, TXN_INT, (long long)now, TXN_END);
	if (rc == SQLITE_DONE)
		return FLOW_NOT_FOUND;
	if (rc != SQLITE_ROW)
		return FLOW_ERROR;
	memcpy(r->id, id, FLOW_ID_LEN + 1);
	r->client_id = txn_column_dup(q, 0);
	r->client_name = txn_column_dup(q, 1);
	r->redirect_uri = txn_column_dup(q, 2);
	r->state = txn_column_dup(q, 3);
	r->challenge = txn_column_dup(q, 4);
	r->scope = txn_column_dup(q, 5);
	r->resource = txn_column_dup(q, 6);
	sqlite3_finalize(q);
	if (!r->client_id || !r->client_name || !r->redirect_uri || !r->challenge || !r->scope) {
		flow_request_free(r);
		return FLOW_NOT_FOUND;
	}
	return FLOW_OK;
}

enum flow_status flowstore_request_del(sqlite3 *db, const char *id)
{
	return txn_exec(db, NULL, "DELETE FROM oauth_requests WHERE id = ?", TXN_TEXT, id, TXN_END) ==
		       SQLITE_DONE
		   ? FLOW_OK
		   : FLOW_ERROR;
}

/* The grant of sub to client widened by scope: every word once. */
static int grant_widen(sqlite3 *db, const char *sub, const char *client, const char *scope, time_t now)
{
	sqlite3_stmt *q;
	struct sbuf b = {0};
	sbuf_adds(&b, "");
	int rc = txn_exec(db, &q, "SELECT scope FROM oauth_grants WHERE sub = ? AND client_id = ?", TXN_TEXT,
			  sub, TXN_TEXT, client, TXN_END);
	if (rc == SQLITE_ROW) {
		const char *old = (const char *)sqlite3_column_text(q, 0);
		sbuf_adds(&b, old ? old : "");
		sqlite3_finalize(q);
	} else if (rc != SQLITE_DONE) {
		sbuf_free(&b);
		return rc;
	}
	const char *s;
	size_t n;
	for (const char *c = scope; list_next(&c, " ", &s, &n);)
		words_add(&b, s, n);
	rc = txn_exec(db, NULL,
		      "INSERT INTO oauth_grants(sub,client_id,scope,created_at,updated_at) VALUES(?,?,?,?,?) "
		      "ON CONFLICT(sub,client_id) DO UPDATE SET scope = excluded.scope, updated_at = "
		      "excluded.updated_at",
		      TXN_TEXT, sub, TXN_TEXT, client, TXN_TEXT, b.p, TXN_INT, (long long)now, TXN_INT,
		      (long long)now, TXN_END);
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

static int code_issue_fn(sqlite3 *db, void *arg)
{
	struct code_op *o = arg;
	unsigned char hash[HASH_LEN];
	if (random_id(o->code) < 0 || secret_hash(o->code, hash) < 0)
		return SQLITE_ERROR;
	int rc = txn_exec(db, NULL, "DELETE FROM oauth_codes WHERE expires_at <= ?", TXN_INT,
			  (long long)(o->now - FLOW_PRUNE_AFTER), TXN_END);
	if (rc == SQLITE_DONE)
		rc = txn_exec(db, NULL, "DELETE FROM oauth_requests WHERE id = ?", TXN_TEXT, o->r->id,
			      TXN_END);
	if (rc == SQLITE_DONE && o->remember)
		rc = grant_widen(db, o->sub, o->r->client_id, o->scope, o->now);
	if (rc == SQLITE_DONE)
		rc = txn_exec(
		    db, NULL,
		    "INSERT INTO oauth_codes(hash,client_id,redirect_uri,challenge,scope,resource,sub,"
		    "expires_at) VALUES(?,?,?,?,?,?,?,?)",
		    TXN_BLOB, hash, (size_t)HASH_LEN, TXN_TEXT, o->r->client_id, TXN_TEXT, o->r->redirect_uri,
		    TXN_TEXT, o->r->challenge, TXN_TEXT, o->scope, TXN_TEXT, o->r->resource, TXN_TEXT, o->sub,
		    TXN_INT, (long long)(o->now + FLOW_CODE_TTL), TXN_END);
	return rc;
}

enum flow_status flowstore_code_issue(sqlite3 *db, const struct flow_request *r, const char *sub,
				      const char *scope, int remember, time_t now, char **code)
{
	struct code_op o = {.r = r, .sub = sub, .scope = scope, .remember = remember, .now = now};
	*code = NULL;
	if (txn_run(db, code_issue_fn, &o) != SQLITE_OK)
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

static int redeem_fn(sqlite3 *db, void *arg)
{
	struct redeem_op *o = arg;
	sqlite3_stmt *q;
	o->st = FLOW_ERROR;
	int rc = txn_exec(db, &q,
			  "SELECT client_id,redirect_uri,challenge,scope,resource,sub,expires_at,used,family "
			  "FROM oauth_codes WHERE hash = ?",
			  TXN_BLOB, o->hash, (size_t)HASH_LEN, TXN_END);
	if (rc == SQLITE_DONE) {
		o->st = FLOW_NOT_FOUND;
		return SQLITE_OK;
	}
	if (rc != SQLITE_ROW)
		return rc;
	char *client = txn_column_dup(q, 0), *redirect = txn_column_dup(q, 1),
	     *challenge = txn_column_dup(q, 2);
	char *scope = txn_column_dup(q, 3), *resource = txn_column_dup(q, 4), *sub = txn_column_dup(q, 5),
	     *family = txn_column_dup(q, 8);
	long long expires = sqlite3_column_int64(q, 6);
	int used = sqlite3_column_int(q, 7);
	sqlite3_finalize(q);
	rc = SQLITE_OK;
	if (!client || !redirect || !challenge || !scope || !sub) {
		o->st = FLOW_NOT_FOUND;
	} else if (used) {
		/* A replayed code: whoever holds it, the tokens it gave are no
		 * one's now (RFC 6749 section 4.1.2). */
		if (family)
			rc = txn_exec(db, NULL, "UPDATE refresh_tokens SET revoked = 1 WHERE family = ?",
				      TXN_TEXT, family, TXN_END);
		if (rc == SQLITE_OK || rc == SQLITE_DONE)
			o->st = FLOW_USED;
	} else if (expires <= o->now) {
		o->st = FLOW_EXPIRED;
	} else if (strcmp(client, o->client_id) != 0 || strcmp(redirect, o->redirect_uri) != 0) {
		o->st = FLOW_MISMATCH;
	} else if (!pkce_ok(o->verifier, challenge)) {
		o->st = FLOW_PKCE;
	} else {
		rc = txn_exec(db, NULL, "UPDATE oauth_codes SET used = 1 WHERE hash = ?", TXN_BLOB, o->hash,
			      (size_t)HASH_LEN, TXN_END);
		if (rc == SQLITE_DONE)
			rc = refresh_issue_in(db, sub, scope, client, resource, o->addr, o->now, o->ttl,
					      &o->token, o->g);
		if (rc == SQLITE_DONE)
			rc = txn_exec(db, NULL, "UPDATE oauth_codes SET family = ? WHERE hash = ?", TXN_TEXT,
				      o->g->family, TXN_BLOB, o->hash, (size_t)HASH_LEN, TXN_END);
		if (rc == SQLITE_DONE)
			o->st = FLOW_OK;
	}
	free(client), free(redirect), free(challenge), free(scope), free(resource), free(sub), free(family);
	return rc;
}

enum flow_status flowstore_code_redeem(sqlite3 *db, const char *code, const char *client_id,
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
	if (txn_run(db, redeem_fn, &o) != SQLITE_OK)
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

char *flowstore_grant_scope(sqlite3 *db, const char *sub, const char *client_id)
{
	sqlite3_stmt *q;
	int rc = txn_exec(db, &q, "SELECT scope FROM oauth_grants WHERE sub = ? AND client_id = ?", TXN_TEXT,
			  sub, TXN_TEXT, client_id, TXN_END);
	if (rc == SQLITE_DONE)
		return ck_strdup("");
	if (rc != SQLITE_ROW)
		return NULL;
	char *s = txn_column_dup(q, 0);
	sqlite3_finalize(q);
	return s ? s : ck_strdup("");
}

struct revoke_op {
	const char *sub, *client_id;
	int changed;
};

static int grant_revoke_fn(sqlite3 *db, void *arg)
{
	struct revoke_op *o = arg;
	o->changed = 0;
	int rc = txn_exec(db, NULL, "DELETE FROM oauth_grants WHERE sub = ? AND client_id = ?", TXN_TEXT,
			  o->sub, TXN_TEXT, o->client_id, TXN_END);
	o->changed += sqlite3_changes(db);
	if (rc == SQLITE_DONE)
		rc = txn_exec(
		    db, NULL,
		    "UPDATE refresh_tokens SET revoked = 1 WHERE sub = ? AND client_id = ? AND revoked = 0",
		    TXN_TEXT, o->sub, TXN_TEXT, o->client_id, TXN_END);
	o->changed += sqlite3_changes(db);
	return rc;
}

enum flow_status flowstore_grant_revoke(sqlite3 *db, const char *sub, const char *client_id)
{
	struct revoke_op o = {.sub = sub, .client_id = client_id};
	if (txn_run(db, grant_revoke_fn, &o) != SQLITE_OK)
		return FLOW_ERROR;
	userdb_touch(db);
	return o.changed ? FLOW_OK : FLOW_NOT_FOUND;
}

int flowstore_grant_each(sqlite3 *db, const char *sub, void (*fn)(const struct flow_grant *g, void *arg),
			 void *arg)
{
	sqlite3_stmt *q;
	if (sqlite3_prepare_v2(db,
			       "SELECT sub,client_id,scope,created_at,updated_at FROM oauth_grants "
			       "WHERE ?1 IS NULL OR sub = ?1 ORDER BY sub, client_id",
			       -1, &q, NULL) != SQLITE_OK)
		return FLOW_ERROR;
	sqlite3_bind_text(q, 1, sub, -1, SQLITE_STATIC);
	int rc;
	while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
		struct flow_grant g = {(const char *)sqlite3_column_text(q, 0),
				       (const char *)sqlite3_column_text(q, 1),
				       (const char *)sqlite3_column_text(q, 2), sqlite3_column_int64(q, 3),
				       sqlite3_column_int64(q, 4)};
		if (g.sub && g.client_id && g.scope)
			fn(&g, arg);
	}
	sqlite3_finalize(q);
	return rc == SQLITE_DONE ? FLOW_OK : FLOW_ERROR;
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

int flowstore_grant_live(sqlite3 *db, const char *family)
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
	sqlite3_stmt *q;
	int rc = txn_exec(db, &q, "SELECT max(revoked) FROM refresh_tokens WHERE family = ?", TXN_TEXT,
			  family, TXN_END);
	if (rc != SQLITE_ROW)
		return -1;
	/* No row (max of nothing is NULL): the family is gone, and so is the grant. */
	int live = sqlite3_column_type(q, 0) != SQLITE_NULL && sqlite3_column_int(q, 0) == 0;
	sqlite3_finalize(q);
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
