/* oauthclient: the clients of the local authorization server. Registered
 * ones (RFC 7591) live in the oauth_clients table; metadata documents are
 * fetched behind the SSRF guard and cached in the process. */
#include "oauthclient.h"
#include "http.h"
#include "db.h"
#include "util.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define CLIENT_ID_BYTES 16
#define SECRET_BYTES 32 /* 256 bits: SHA-256 of it needs no salt nor stretching */
#define HASH_LEN 32

static const char *const auth_names[] = {
    [OAUTHCLIENT_AUTH_NONE] = "none",
    [OAUTHCLIENT_AUTH_SECRET_BASIC] = "client_secret_basic",
    [OAUTHCLIENT_AUTH_SECRET_POST] = "client_secret_post",
};

const char *oauthclient_auth_name(enum oauthclient_auth a)
{
	return (unsigned)a < sizeof auth_names / sizeof auth_names[0] ? auth_names[a] : "none";
}

int oauthclient_auth_parse(const char *name)
{
	for (size_t i = 0; i < sizeof auth_names / sizeof auth_names[0]; i++)
		if (strcmp(name, auth_names[i]) == 0)
			return (int)i;
	return -1;
}

void oauthclient_free(struct oauth_client *c)
{
	free(c->client_id);
	free(c->client_name);
	free(c->client_uri);
	for (size_t i = 0; i < c->nredirect_uris; i++)
		free(c->redirect_uris[i]);
	free(c->redirect_uris);
	free(c->grant_types);
	free(c->response_types);
	free(c->scope);
	memset(c, 0, sizeof *c);
}

/* --- redirect URIs ---------------------------------------------------- */

static int loopback_host(const char *host)
{
	return strcmp(host, "127.0.0.1") == 0 || strcmp(host, "[::1]") == 0 ||
	       strcasecmp(host, "localhost") == 0;
}

/* The length of uri's scheme (before ':'), 0 when it has none. */
static size_t scheme_len(const char *uri)
{
	if (!isalpha((unsigned char)uri[0]))
		return 0;
	size_t n = 1;
	while (isalnum((unsigned char)uri[n]) || uri[n] == '+' || uri[n] == '-' || uri[n] == '.')
		n++;
	return uri[n] == ':' ? n : 0;
}

int oauthclient_redirect_uri_valid(const char *uri, char *desc, size_t desclen)
{
	size_t n = strlen(uri);
	if (n == 0 || n > OAUTHCLIENT_MAX_URI_LEN) {
		snprintf(desc, desclen, "A redirect URI must have 1 to %d characters",
			 OAUTHCLIENT_MAX_URI_LEN);
		return -1;
	}
	for (const unsigned char *p = (const unsigned char *)uri; *p; p++) {
		if (*p <= 0x20 || *p >= 0x7f || *p == '\\') {
			snprintf(desc, desclen,
				 "A redirect URI holds a space, a control or a non-ASCII character");
			return -1;
		}
	}
	if (strchr(uri, '#')) {
		snprintf(desc, desclen, "A redirect URI must not have a fragment");
		return -1;
	}
	size_t s = scheme_len(uri);
	struct fetch_url u;
	if (s == 5 && strncmp(uri, "https", 5) == 0) {
		if (fetch_url_parse(uri, &u) == 0 && u.https)
			return 0;
	} else if (s == 4 && strncmp(uri, "http", 4) == 0) {
		if (fetch_url_parse(uri, &u) == 0 && !u.https && loopback_host(u.host))
			return 0;
		if (fetch_url_parse(uri, &u) == 0) {
			snprintf(desc, desclen,
				 "A redirect URI with http must name a loopback host (127.0.0.1, [::1] "
				 "or localhost); use https");
			return -1;
		}
	} else if (s > 0 && memchr(uri, '.', s) && uri[s + 1]) {
		return 0; /* private-use scheme (RFC 8252 section 7.1): reverse domain name */
	}
	snprintf(desc, desclen,
		 "A redirect URI must be an absolute https URI, http on a loopback host, or a private-use "
		 "scheme such as com.example.app:/callback");
	return -1;
}

/* For a loopback http URI: the host (into host) and what follows the
 * authority (path and query); NULL for any other URI. */
static const char *loopback_rest(const char *uri, char host[256])
{
	struct fetch_url u;
	if (strncmp(uri, "http://", 7) != 0 || fetch_url_parse(uri, &u) < 0 || !loopback_host(u.host))
		return NULL;
	snprintf(host, 256, "%s", u.host);
	const char *rest = uri + 7;
	return rest + strcspn(rest, "/?#");
}

int oauthclient_redirect_ok(const struct oauth_client *c, const char *redirect_uri)
{
	char h1[256], h2[256];
	const char *rest = loopback_rest(redirect_uri, h1);
	for (size_t i = 0; i < c->nredirect_uris; i++) {
		if (strcmp(c->redirect_uris[i], redirect_uri) == 0)
			return 1;
		/* RFC 8252 section 7.3: a native app's loopback listener takes
		 * whatever port is free; host, path and query still match. */
		const char *r2 = rest ? loopback_rest(c->redirect_uris[i], h2) : NULL;
		if (r2 && strcasecmp(h1, h2) == 0 && strcmp(rest, r2) == 0)
			return 1;
	}
	return 0;
}

/* --- metadata --------------------------------------------------------- */

struct parse_err {
	const char **error;
	char *desc;
	size_t desclen;
};

static int refuse(const struct parse_err *e, const char *error, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static int refuse(const struct parse_err *e, const char *error, const char *fmt, ...)
{
	va_list ap;
	*e->error = error;
	va_start(ap, fmt);
	vsnprintf(e->desc, e->desclen, fmt, ap);
	va_end(ap);
	return -1;
}

/* An optional string member of at most max bytes without control
 * characters: 0 (*out NULL when absent) or -1. */
static int opt_string(json_object *meta, const char *key, size_t max, const char **out,
		      const struct parse_err *e)
{
	json_object *v;
	*out = NULL;
	if (!json_object_object_get_ex(meta, key, &v) || json_object_is_type(v, json_type_null))
		return 0;
	if (!json_object_is_type(v, json_type_string))
		return refuse(e, "invalid_client_metadata", "%s must be a string", key);
	const char *s = json_object_get_string(v);
	if (strlen(s) == 0 || strlen(s) > max)
		return refuse(e, "invalid_client_metadata", "%s is empty or too long", key);
	for (const unsigned char *p = (const unsigned char *)s; *p; p++)
		if (*p < 0x20 || *p == 0x7f)
			return refuse(e, "invalid_client_metadata", "%s holds a control character", key);
	*out = s;
	return 0;
}

/* An optional array of words, each one of allowed (space-separated), into
 * *out joined with spaces; def when absent. 0 or -1. */
static int opt_words(json_object *meta, const char *key, const char *allowed, const char *def, char **out,
		     const struct parse_err *e)
{
	json_object *v;
	*out = NULL;
	if (!json_object_object_get_ex(meta, key, &v) || json_object_is_type(v, json_type_null)) {
		*out = ck_strdup(def);
		return 0;
	}
	if (!json_object_is_type(v, json_type_array) || json_object_array_length(v) == 0 ||
	    json_object_array_length(v) > 8)
		return refuse(e, "invalid_client_metadata", "%s must be a non-empty array of strings", key);
	struct sbuf b = {0};
	sbuf_adds(&b, "");
	for (size_t i = 0; i < json_object_array_length(v); i++) {
		json_object *w = json_object_array_get_idx(v, i);
		const char *s = json_object_is_type(w, json_type_string) ? json_object_get_string(w) : NULL;
		if (!s || !*s || strchr(s, ' ') || !words_has(allowed, s, strlen(s))) {
			sbuf_free(&b);
			*e->error = "invalid_client_metadata";
			snprintf(e->desc, e->desclen, "%s may hold only: %s", key, allowed);
			return -1;
		}
		if (!words_has(b.p, s, strlen(s))) {
			if (b.len)
				sbuf_adds(&b, " ");
			sbuf_adds(&b, s);
		}
	}
	*out = sbuf_take(&b);
	return 0;
}

static int parse_redirect_uris(json_object *meta, struct oauth_client *out, const struct parse_err *e)
{
	json_object *v;
	if (!json_object_object_get_ex(meta, "redirect_uris", &v) ||
	    !json_object_is_type(v, json_type_array) || json_object_array_length(v) == 0)
		return refuse(e, "invalid_redirect_uri", "%s",
			      "redirect_uris must be a non-empty array of URIs");
	size_t n = json_object_array_length(v);
	if (n > OAUTHCLIENT_MAX_REDIRECT_URIS) {
		*e->error = "invalid_redirect_uri";
		snprintf(e->desc, e->desclen, "At most %d redirect URIs", OAUTHCLIENT_MAX_REDIRECT_URIS);
		return -1;
	}
	out->redirect_uris = ck_calloc(n, sizeof *out->redirect_uris);
	for (size_t i = 0; i < n; i++) {
		json_object *u = json_object_array_get_idx(v, i);
		if (!json_object_is_type(u, json_type_string))
			return refuse(e, "invalid_redirect_uri", "%s", "Each redirect URI must be a string");
		if (oauthclient_redirect_uri_valid(json_object_get_string(u), e->desc, e->desclen) < 0) {
			*e->error = "invalid_redirect_uri";
			return -1;
		}
		out->redirect_uris[out->nredirect_uris++] = ck_strdup(json_object_get_string(u));
	}
	return 0;
}

static int parse_auth_method(json_object *meta, int document, struct oauth_client *out,
			     const struct parse_err *e)
{
	const char *m;
	if (opt_string(meta, "token_endpoint_auth_method", 64, &m, e) < 0)
		return -1;
	/* RFC 7591's default is client_secret_basic; a document's client has
	 * nowhere to keep a secret, so its default is none. */
	if (!m) {
		out->auth = document ? OAUTHCLIENT_AUTH_NONE : OAUTHCLIENT_AUTH_SECRET_BASIC;
		return 0;
	}
	int a = oauthclient_auth_parse(m);
	if (a < 0)
		return refuse(e, "invalid_client_metadata",
			      "token_endpoint_auth_method %s is not supported (none, client_secret_basic, "
			      "client_secret_post)",
			      m);
	if (document && a != OAUTHCLIENT_AUTH_NONE)
		return refuse(e, "invalid_client_metadata",
			      "A client metadata document's token_endpoint_auth_method must be none, not %s",
			      m);
	out->auth = (enum oauthclient_auth)a;
	return 0;
}

/* The words of scope that known holds, each once; NULL when none. */
static char *known_words(const char *scope, const char *known)
{
	struct sbuf b = {0};
	sbuf_adds(&b, "");
	const char *s;
	size_t n;
	for (const char *c = scope; list_next(&c, " ", &s, &n);)
		if (words_has(known, s, n))
			words_add(&b, s, n);
	if (b.len)
		return sbuf_take(&b);
	sbuf_free(&b);
	return NULL;
}

static int parse_names(json_object *meta, const char *known_scopes, struct oauth_client *out,
		       const struct parse_err *e)
{
	const char *name, *uri, *scope;
	struct fetch_url u;
	if (opt_string(meta, "client_name", OAUTHCLIENT_MAX_NAME_LEN, &name, e) < 0 ||
	    opt_string(meta, "client_uri", OAUTHCLIENT_MAX_URI_LEN, &uri, e) < 0 ||
	    opt_string(meta, "scope", OAUTHCLIENT_MAX_SCOPE_LEN, &scope, e) < 0)
		return -1;
	/* The consent page links it: http(s) only, never javascript: or data:. */
	if (uri && (fetch_url_parse(uri, &u) < 0 || strchr(uri, '#')))
		return refuse(e, "invalid_client_metadata", "%s", "client_uri must be an http(s) URL");
	out->client_name = name ? ck_strdup(name) : NULL;
	out->client_uri = uri ? ck_strdup(uri) : NULL;
	out->scope = scope && known_scopes ? known_words(scope, known_scopes) : NULL;
	return 0;
}

int oauthclient_parse(json_object *meta, int document, const char *doc_url, const char *known_scopes,
		      struct oauth_client *out, const char **error, char *desc, size_t desclen)
{
	struct parse_err e = {error, desc, desclen};
	memset(out, 0, sizeof *out);
	*error = NULL;
	*desc = '\0';
	if (!meta || !json_object_is_type(meta, json_type_object))
		return refuse(&e, "invalid_client_metadata", "%s",
			      "The client metadata must be a JSON object");
	if (document) {
		const char *id = json_get_string(meta, "client_id");
		if (!id || strcmp(id, doc_url) != 0)
			return refuse(&e, "invalid_client_metadata", "%s",
				      "The document's client_id must equal the URL it was fetched from");
		if (json_object_object_get_ex(meta, "client_secret", NULL))
			return refuse(&e, "invalid_client_metadata", "%s",
				      "A client metadata document must not hold a client_secret");
	}
	int rc = -1;
	if (parse_redirect_uris(meta, out, &e) < 0 || parse_auth_method(meta, document, out, &e) < 0 ||
	    opt_words(meta, "grant_types", "authorization_code refresh_token", "authorization_code",
		      &out->grant_types, &e) < 0 ||
	    opt_words(meta, "response_types", "code", "code", &out->response_types, &e) < 0 ||
	    parse_names(meta, known_scopes, out, &e) < 0)
		goto done;
	/* RFC 7591 section 2.1: the code grant goes with the code response. */
	if (!words_has(out->grant_types, "authorization_code", strlen("authorization_code"))) {
		refuse(&e, "invalid_client_metadata", "%s", "grant_types must include authorization_code");
		goto done;
	}
	out->from_document = document;
	if (document)
		out->client_id = ck_strdup(doc_url);
	rc = 0;
done:
	if (rc < 0)
		oauthclient_free(out);
	return rc;
}

/* --- registered clients ------------------------------------------------ */

static int sha256(const char *s, unsigned char out[HASH_LEN])
{
	unsigned int n = 0;
	return EVP_Digest(s, strlen(s), out, &n, EVP_sha256(), NULL) == 1 && n == HASH_LEN ? 0 : -1;
}

/* The key an address is counted under: an IPv6 address by its /64 (one
 * host usually holds the whole /64), an IPv4 one (mapped or not) as it is. */
static void addr_key(const char *addr, char out[INET6_ADDRSTRLEN])
{
	unsigned char a[16];
	if (!addr) {
		out[0] = '\0';
		return;
	}
	if (strchr(addr, ':') && inet_pton(AF_INET6, addr, a) == 1) {
		static const unsigned char mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
		if (memcmp(a, mapped, 12) == 0) {
			inet_ntop(AF_INET, a + 12, out, INET6_ADDRSTRLEN);
			return;
		}
		memset(a + 8, 0, 8);
		inet_ntop(AF_INET6, a, out, INET6_ADDRSTRLEN);
		return;
	}
	snprintf(out, INET6_ADDRSTRLEN, "%s", addr);
}

struct reg_args {
	const struct oauthclient_limits *lim;
	const struct oauth_client *c;
	const char *addr;
	time_t now;
	const unsigned char *hash; /* NULL: public client */
	const char *uris;
	enum oauthclient_status status;
	long retry_after;
};

static enum db_err register_fn(struct db *db, void *arg)
{
	struct reg_args *a = arg;
	struct db_rows *q;
	a->status = OAUTHCLIENT_OK;
	/* As the login limit: blocked while the limit-th newest registration
	 * of the address is still in the window. */
	int rc = db_exec(db, &q,
			 "SELECT created_at FROM oauth_clients WHERE created_addr = ? AND created_at > ?"
			 " ORDER BY created_at DESC LIMIT 1 OFFSET ?",
			 DB_TEXT, a->addr, DB_INT, (long long)(a->now - a->lim->window), DB_INT,
			 (long long)(a->lim->addr_limit - 1), DB_END);
	if (rc == DB_ROW) {
		long wait = (long)(db_column_int(q, 0) + a->lim->window - a->now);
		db_rows_free(q);
		a->retry_after = wait > 0 ? wait : 1;
		a->status = OAUTHCLIENT_LIMITED;
		return DB_OK;
	}
	if (rc != DB_DONE)
		return rc;
	if ((rc = db_exec(db, &q, "SELECT count(*) FROM oauth_clients", DB_END)) != DB_ROW)
		return rc;
	long long n = db_column_int(q, 0);
	db_rows_free(q);
	if (n >= a->lim->max) {
		a->status = OAUTHCLIENT_FULL;
		return DB_OK;
	}
	const struct oauth_client *c = a->c;
	return db_exec(
	    db, NULL,
	    "INSERT INTO oauth_clients(client_id, secret_hash, auth_method, client_name, client_uri,"
	    " redirect_uris, grant_types, response_types, scope, created_at, created_addr)"
	    " VALUES(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
	    DB_TEXT, c->client_id, DB_BLOB, a->hash, (size_t)(a->hash ? HASH_LEN : 0), DB_TEXT,
	    oauthclient_auth_name(c->auth), DB_TEXT, c->client_name, DB_TEXT, c->client_uri, DB_TEXT, a->uris,
	    DB_TEXT, c->grant_types, DB_TEXT, c->response_types, DB_TEXT, c->scope, DB_INT, (long long)a->now,
	    DB_TEXT, a->addr, DB_END);
}

static char *random_b64url(size_t n)
{
	unsigned char rnd[SECRET_BYTES];
	if (n > sizeof rnd || RAND_bytes(rnd, (int)n) != 1)
		return NULL;
	char *s = b64url_encode(rnd, n);
	OPENSSL_cleanse(rnd, sizeof rnd);
	return s;
}

static char *uris_json(const struct oauth_client *c)
{
	json_object *arr = json_object_new_array();
	for (size_t i = 0; i < c->nredirect_uris; i++)
		json_object_array_add(arr, json_object_new_string(c->redirect_uris[i]));
	char *s = ck_strdup(
	    json_object_to_json_string_ext(arr, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(arr);
	return s;
}

enum oauthclient_status oauthclient_register(struct db *db, const struct oauthclient_limits *lim,
					     struct oauth_client *c, const char *addr, time_t now,
					     char **secret, long *retry_after)
{
	unsigned char hash[HASH_LEN];
	char key[INET6_ADDRSTRLEN];
	*secret = NULL;
	*retry_after = 0;
	free(c->client_id);
	c->client_id = random_b64url(CLIENT_ID_BYTES);
	if (!c->client_id)
		return OAUTHCLIENT_ERROR;
	if (c->auth != OAUTHCLIENT_AUTH_NONE) {
		if (!(*secret = random_b64url(SECRET_BYTES)) || sha256(*secret, hash) < 0)
			goto fail;
	}
	addr_key(addr, key);
	char *uris = uris_json(c);
	struct reg_args a = {lim, c, key[0] ? key : NULL, now, *secret ? hash : NULL, uris, OAUTHCLIENT_ERROR,
			     0};
	int rc = db_txn_run(db, register_fn, &a);
	free(uris);
	OPENSSL_cleanse(hash, sizeof hash);
	if (rc != DB_OK)
		goto fail;
	if (a.status != OAUTHCLIENT_OK) {
		*retry_after = a.retry_after;
		if (*secret)
			secure_free(*secret, strlen(*secret));
		*secret = NULL;
		return a.status;
	}
	c->issued_at = now;
	return OAUTHCLIENT_OK;
fail:
	if (*secret)
		secure_free(*secret, strlen(*secret));
	*secret = NULL;
	return OAUTHCLIENT_ERROR;
}

#define CLIENT_COLUMNS                                                                                       \
	"client_id, auth_method, client_name, client_uri, redirect_uris, grant_types, response_types, "      \
	"scope,"                                                                                             \
	" created_at"

/* A row of CLIENT_COLUMNS into *c: 0, or -1 when it does not parse. */
static int client_from_row(struct db_rows *q, struct oauth_client *c)
{
	memset(c, 0, sizeof *c);
	c->client_id = db_column_text_dup(q, 0);
	const char *auth = db_column_text(q, 1);
	int a = auth ? oauthclient_auth_parse(auth) : -1;
	c->auth = a < 0 ? OAUTHCLIENT_AUTH_NONE : (enum oauthclient_auth)a;
	c->client_name = db_column_text_dup(q, 2);
	if (!c->client_name)
		c->client_name = ck_strdup(c->client_id);
	c->client_uri = db_column_text_dup(q, 3);
	c->grant_types = db_column_text_dup(q, 5);
	c->response_types = db_column_text_dup(q, 6);
	c->scope = db_column_text_dup(q, 7);
	c->issued_at = (time_t)db_column_int(q, 8);
	const char *uris = db_column_text(q, 4);
	json_object *arr = uris ? json_tokener_parse(uris) : NULL;
	int rc = a < 0 || !json_object_is_type(arr, json_type_array) ? -1 : 0;
	size_t n = rc == 0 ? json_object_array_length(arr) : 0;
	c->redirect_uris = ck_calloc(n ? n : 1, sizeof *c->redirect_uris);
	for (size_t i = 0; i < n; i++) {
		const char *s = json_object_get_string(json_object_array_get_idx(arr, i));
		if (s)
			c->redirect_uris[c->nredirect_uris++] = ck_strdup(s);
	}
	json_object_put(arr);
	if (rc < 0)
		oauthclient_free(c);
	return rc;
}

static enum oauthclient_status find_registered(struct db *db, const char *client_id, struct oauth_client *out,
					       char *err, size_t errlen)
{
	struct db_rows *q;
	int rc = db_exec(db, &q, "SELECT " CLIENT_COLUMNS " FROM oauth_clients WHERE client_id = ?", DB_TEXT,
			 client_id, DB_END);
	if (rc == DB_DONE) {
		snprintf(err, errlen, "Unknown client");
		return OAUTHCLIENT_NOT_FOUND;
	}
	if (rc != DB_ROW) {
		snprintf(err, errlen, "The client store cannot be read");
		return OAUTHCLIENT_ERROR;
	}
	rc = client_from_row(q, out);
	db_rows_free(q);
	if (rc < 0) {
		snprintf(err, errlen, "The client's stored metadata is damaged");
		return OAUTHCLIENT_ERROR;
	}
	return OAUTHCLIENT_OK;
}

int oauthclient_each(struct db *db, void (*fn)(const struct oauth_client *c, void *arg), void *arg)
{
	/* In the order they were registered: SQLite's rowid, PostgreSQL's
	 * identity column. */
	const char *sql = db_backend(db) == DB_POSTGRESQL
			      ? "SELECT " CLIENT_COLUMNS " FROM oauth_clients ORDER BY created_at, seq"
			      : "SELECT " CLIENT_COLUMNS " FROM oauth_clients ORDER BY created_at, rowid";
	struct db_rows *q;
	int rc = db_exec(db, &q, sql, DB_END);
	for (; rc == DB_ROW; rc = db_rows_next(q)) {
		struct oauth_client c;
		if (client_from_row(q, &c) < 0)
			continue;
		fn(&c, arg);
		oauthclient_free(&c);
	}
	db_rows_free(q);
	return rc == DB_DONE ? 0 : -1;
}

static enum db_err delete_fn(struct db *db, void *arg)
{
	int rc = db_exec(db, NULL, "DELETE FROM oauth_clients WHERE client_id = ?", DB_TEXT,
			 (const char *)arg, DB_END);
	return rc == DB_DONE && db_changes(db) == 0 ? DB_ABORT : rc;
}

enum oauthclient_status oauthclient_delete(struct db *db, const char *client_id)
{
	int rc = db_txn_run(db, delete_fn, (void *)client_id);
	return rc == DB_OK ? OAUTHCLIENT_OK : rc == DB_ABORT ? OAUTHCLIENT_NOT_FOUND : OAUTHCLIENT_ERROR;
}

int oauthclient_secret_ok(struct db *db, const struct oauth_client *c, const char *secret)
{
	unsigned char want[HASH_LEN];
	if (!c || !c->client_id || c->from_document || c->auth == OAUTHCLIENT_AUTH_NONE || !secret)
		return 0;
	struct db_rows *q;
	if (db_exec(db, &q, "SELECT secret_hash FROM oauth_clients WHERE client_id = ?", DB_TEXT,
		    c->client_id, DB_END) != DB_ROW)
		return 0;
	int ok = 0;
	size_t n;
	unsigned char *stored = db_column_blob_dup(q, 0, &n);
	if (stored && n == HASH_LEN && sha256(secret, want) == 0)
		ok = CRYPTO_memcmp(stored, want, HASH_LEN) == 0;
	free(stored);
	db_rows_free(q);
	OPENSSL_cleanse(want, sizeof want);
	return ok;
}

/* --- metadata documents ------------------------------------------------ */

#define DOC_MAX_BYTES 5120 /* a document lists a few URIs and names */
#define DOC_TIMEOUT_MAX 5  /* seconds: a user waits on the page */
#define DOC_CACHE_SLOTS 64
#define DOC_TTL_DEFAULT 600 /* without Cache-Control max-age */
#define DOC_TTL_MIN 60	    /* a page load (authorize, login, consent, token) fetches once */
#define DOC_TTL_MAX 86400
#define DOC_TTL_INVALID 60     /* a broken document is not fetched again at once */
#define DOC_TTL_UNAVAILABLE 10 /* nor a server that did not answer, for a while */

struct doc_entry {
	char *url;
	enum oauthclient_status status;
	struct oauth_client client; /* when OAUTHCLIENT_OK */
	char err[384];
	time_t expires, used;
};

static struct doc_entry doc_cache[DOC_CACHE_SLOTS];

static int has_dot_segment(const char *path)
{
	for (const char *p = path; *p;) {
		p++; /* past '/' */
		size_t n = strcspn(p, "/?");
		if ((n == 1 && p[0] == '.') || (n == 2 && p[0] == '.' && p[1] == '.'))
			return 1;
		p += n;
		if (*p != '/')
			break;
	}
	return 0;
}

/* The client_id URL of a document: https, a host, no userinfo, a path
 * other than "/" without dot segments, no fragment. 0, or -1 with err. */
static int doc_url_ok(const char *url, char *err, size_t errlen)
{
	struct fetch_url u;
	if (strncmp(url, "https://", 8) != 0) {
		snprintf(err, errlen, "A client_id URL must be https");
		return -1;
	}
	const char *path = url + 8 + strcspn(url + 8, "/?#");
	if (fetch_url_parse(url, &u) < 0 || strchr(url, '#') || strchr(url, '%')) {
		snprintf(err, errlen,
			 "The client_id URL is malformed (userinfo, fragment, escapes or a bad host)");
		return -1;
	}
	if (path[0] != '/' || path[1] == '\0' || path[1] == '?' || has_dot_segment(path)) {
		snprintf(err, errlen, "A client_id URL must have a path, without . or .. segments");
		return -1;
	}
	return 0;
}

static char **dup_uris(char *const *uris, size_t n)
{
	char **d = ck_calloc(n ? n : 1, sizeof *d);
	for (size_t i = 0; i < n; i++)
		d[i] = ck_strdup(uris[i]);
	return d;
}

static char *dup_or_null(const char *s)
{
	return s ? ck_strdup(s) : NULL;
}

static void client_copy(struct oauth_client *d, const struct oauth_client *s)
{
	*d = *s;
	d->client_id = dup_or_null(s->client_id);
	d->client_name = dup_or_null(s->client_name);
	d->client_uri = dup_or_null(s->client_uri);
	d->redirect_uris = dup_uris(s->redirect_uris, s->nredirect_uris);
	d->grant_types = dup_or_null(s->grant_types);
	d->response_types = dup_or_null(s->response_types);
	d->scope = dup_or_null(s->scope);
}

static void entry_clear(struct doc_entry *e)
{
	free(e->url);
	oauthclient_free(&e->client);
	memset(e, 0, sizeof *e);
}

void oauthclient_cache_clear(void)
{
	for (size_t i = 0; i < DOC_CACHE_SLOTS; i++)
		entry_clear(&doc_cache[i]);
}

static struct doc_entry *cache_find(const char *url, time_t now)
{
	for (size_t i = 0; i < DOC_CACHE_SLOTS; i++) {
		struct doc_entry *e = &doc_cache[i];
		if (e->url && strcmp(e->url, url) == 0) {
			if (now < e->expires) {
				e->used = now;
				return e;
			}
			entry_clear(e);
		}
	}
	return NULL;
}

/* A slot for a new entry: a free or expired one, else the least used. */
static struct doc_entry *cache_slot(time_t now)
{
	struct doc_entry *victim = &doc_cache[0];
	for (size_t i = 0; i < DOC_CACHE_SLOTS; i++) {
		struct doc_entry *e = &doc_cache[i];
		if (!e->url || now >= e->expires) {
			victim = e;
			break;
		}
		if (e->used < victim->used)
			victim = e;
	}
	entry_clear(victim);
	return victim;
}

static enum oauthclient_status doc_answer(const struct doc_entry *e, struct oauth_client *out, char *err,
					  size_t errlen)
{
	if (e->status == OAUTHCLIENT_OK)
		client_copy(out, &e->client);
	else
		snprintf(err, errlen, "%s", e->err);
	return e->status;
}

/* Why a fetch brought no usable answer: the status, err filled. */
static enum oauthclient_status fetch_refusal(const struct fetch_result *r, char *err, size_t errlen)
{
	if (r->refused_addr) {
		snprintf(err, errlen,
			 "The client's document is refused: %s (only public addresses are fetched)",
			 r->error);
		return OAUTHCLIENT_INVALID;
	}
	if (r->too_large) {
		snprintf(err, errlen, "The client's document is larger than %d bytes", DOC_MAX_BYTES);
		return OAUTHCLIENT_INVALID;
	}
	if (!r->reached) {
		snprintf(err, errlen, "The client's document could not be fetched: %s", r->error);
		return OAUTHCLIENT_UNAVAILABLE;
	}
	if (r->status >= 300 && r->status < 400) {
		snprintf(err, errlen,
			 "The client's document URL answered a redirect (HTTP %ld), which is not followed",
			 r->status);
		return OAUTHCLIENT_INVALID;
	}
	if (r->status != 200) {
		snprintf(err, errlen, "The client's document URL answered HTTP %ld", r->status);
		return OAUTHCLIENT_UNAVAILABLE;
	}
	snprintf(err, errlen, "The client's document is not application/json");
	return OAUTHCLIENT_INVALID;
}

/* Fetches and checks the document at url into *out; *ttl: how long the
 * answer (good or bad) may be kept. */
static enum oauthclient_status doc_fetch(const struct fetch_opts *opts, const char *url,
					 struct oauth_client *out, char *err, size_t errlen, long *ttl)
{
	struct fetch_opts o = {.timeout = DOC_TIMEOUT_MAX, .public_only = 1};
	if (opts) {
		o.ca_file = opts->ca_file;
		if (opts->timeout > 0 && opts->timeout < DOC_TIMEOUT_MAX)
			o.timeout = opts->timeout;
		o.public_only = !opts->allow_private;
	}
	*ttl = DOC_TTL_UNAVAILABLE;
	if (fetch_init() < 0) {
		log_msg("libcurl cannot be loaded: %s (apt-get install libcurl4)", fetch_init_error());
		snprintf(err, errlen, "Client metadata documents cannot be fetched on this server");
		return OAUTHCLIENT_UNAVAILABLE;
	}
	struct fetch_result r;
	fetch_get(&o, url, NULL, DOC_MAX_BYTES, &r);
	enum oauthclient_status st;
	if (!r.reached || r.status != 200 || !http_content_type_is_json(r.content_type)) {
		st = fetch_refusal(&r, err, errlen);
	} else {
		json_object *doc = http_body_parse(r.body, r.len);
		const char *error;
		st = oauthclient_parse(doc, 1, url, NULL, out, &error, err, errlen) == 0
			 ? OAUTHCLIENT_OK
			 : OAUTHCLIENT_INVALID;
		json_object_put(doc);
		if (!doc)
			snprintf(err, errlen, "The client's document is not a JSON object");
	}
	if (st == OAUTHCLIENT_OK) {
		*ttl = r.max_age < 0 ? DOC_TTL_DEFAULT : r.max_age;
		*ttl = *ttl < DOC_TTL_MIN ? DOC_TTL_MIN : *ttl > DOC_TTL_MAX ? DOC_TTL_MAX : *ttl;
	} else if (st == OAUTHCLIENT_INVALID) {
		*ttl = DOC_TTL_INVALID;
	}
	if (st != OAUTHCLIENT_OK)
		log_msg("client document %s refused: %s", url, err);
	fetch_result_free(&r);
	return st;
}

static enum oauthclient_status find_document(const struct fetch_opts *opts, const char *url, time_t now,
					     struct oauth_client *out, char *err, size_t errlen)
{
	if (doc_url_ok(url, err, errlen) < 0)
		return OAUTHCLIENT_INVALID;
	struct doc_entry *e = cache_find(url, now);
	if (e)
		return doc_answer(e, out, err, errlen);
	long ttl;
	struct oauth_client c;
	char why[sizeof e->err] = "";
	enum oauthclient_status st = doc_fetch(opts, url, &c, why, sizeof why, &ttl);
	if (st == OAUTHCLIENT_OK) {
		if (!c.client_name)
			c.client_name = ck_strdup(url);
		c.issued_at = now;
	}
	e = cache_slot(now);
	e->url = ck_strdup(url);
	e->status = st;
	e->client = st == OAUTHCLIENT_OK ? c : (struct oauth_client){0};
	snprintf(e->err, sizeof e->err, "%s", why);
	e->expires = now + ttl;
	e->used = now;
	return doc_answer(e, out, err, errlen);
}

/* --- lookup ------------------------------------------------------------ */

enum oauthclient_status oauthclient_find(struct db *db, const struct fetch_opts *opts, const char *client_id,
					 time_t now, struct oauth_client *out, char *err, size_t errlen)
{
	memset(out, 0, sizeof *out);
	if (!client_id || !*client_id || strlen(client_id) > OAUTHCLIENT_MAX_URI_LEN) {
		snprintf(err, errlen, "Unknown client");
		return OAUTHCLIENT_NOT_FOUND;
	}
	/* A URL is a document's; registered ids are base64url, never one. */
	if (scheme_len(client_id) > 0)
		return find_document(opts, client_id, now, out, err, errlen);
	return find_registered(db, client_id, out, err, errlen);
}

const char *oauthclient_strerror(enum oauthclient_status st)
{
	switch (st) {
	case OAUTHCLIENT_OK:
		return "ok";
	case OAUTHCLIENT_NOT_FOUND:
		return "no such client";
	case OAUTHCLIENT_INVALID:
		return "the client's document is unusable";
	case OAUTHCLIENT_UNAVAILABLE:
		return "the client's document cannot be fetched now";
	case OAUTHCLIENT_LIMITED:
		return "too many registrations from this address";
	case OAUTHCLIENT_FULL:
		return "the client store is full";
	case OAUTHCLIENT_ERROR:
		break;
	}
	return "the client store failed";
}
