#include "auth0.h"
#include "file.h"
#include "token.h"
#include "util.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ANSWER_MAX (1024 * 1024)
#define TOKEN_FILE_MAX 16384
#define RETRY_AFTER_DEFAULT 10L

/* The management token this process holds; use_until is before its expiry. */
static struct {
	char *token;
	long long use_until;
} held;

long auth0_token_margin(long expires_in)
{
	/* A minute early, or halfway for tokens shorter than two minutes. */
	return expires_in >= 120 ? 60 : expires_in / 2;
}

void auth0_result_free(struct auth0_result *r)
{
	json_object_put(r->body);
	memset(r, 0, sizeof *r);
}

static void set_result(struct auth0_result *out, enum auth0_status st, long retry_after)
{
	out->status = st;
	out->retry_after = retry_after;
}

/* Adds "&name=value" (URL-encoded) to a form body. */
static void form_add(struct sbuf *b, const char *name, const char *value)
{
	char *v = url_encode(value);
	if (b->len)
		sbuf_adds(b, "&");
	sbuf_adds(b, name);
	sbuf_adds(b, "=");
	sbuf_adds(b, v);
	secure_free(v, strlen(v));
}

static void form_free(struct sbuf *b)
{
	if (b->p)
		secure_free(b->p, b->cap);
	memset(b, 0, sizeof *b);
}

static void held_set(const char *token, long long use_until)
{
	if (held.token)
		secure_free(held.token, strlen(held.token));
	held.token = token ? ck_strdup(token) : NULL;
	held.use_until = use_until;
}

/* Reads the shared token file; 1 when it holds a token usable at now other than reject. */
static int token_file_read(const char *path, time_t now, const char *reject)
{
	size_t len;
	char *text = file_read(path, TOKEN_FILE_MAX, &len);
	if (!text)
		return 0;
	json_object *o = token_json_parse(text, len);
	secure_free(text, len + 1);
	const char *tok = o ? json_get_string(o, "access_token") : NULL;
	json_object *u;
	int ok = 0;
	if (tok && *tok && json_object_object_get_ex(o, "use_until", &u) &&
	    json_object_is_type(u, json_type_int) && now < json_object_get_int64(u) &&
	    !(reject && strcmp(reject, tok) == 0)) {
		held_set(tok, json_object_get_int64(u));
		ok = 1;
	}
	json_object_put(o);
	return ok;
}

/* The client-credentials grant; on success held and the file have the token. */
static void token_request(const struct config *c, const struct fetch_opts *o, const char *path, time_t now,
			  struct auth0_result *out)
{
	struct sbuf form = {0};
	char *url = ck_asprintf("%s/oauth/token", c->tenant_url);
	char *audience = ck_asprintf("%s/api/v2/", c->tenant_url);
	form_add(&form, "grant_type", "client_credentials");
	form_add(&form, "client_id", c->client_id);
	form_add(&form, "client_secret", c->client_secret);
	form_add(&form, "audience", audience);
	struct fetch_result r;
	int rc = fetch_post_form(o, url, form.p, ANSWER_MAX, &r);
	form_free(&form);
	json_object *body = NULL;
	if (rc < 0) {
		log_msg("auth0: %s: %s", url, r.error);
		set_result(out, AUTH0_UNREACHABLE, -1);
		goto done;
	}
	if (r.status == 429) {
		set_result(out, AUTH0_RATE_LIMITED, r.retry_after);
		goto done;
	}
	body = token_json_parse(r.body, r.len);
	const char *tok = body ? json_get_string(body, "access_token") : NULL;
	json_object *exp;
	if (r.status != 200 || !tok || !*tok || !json_object_object_get_ex(body, "expires_in", &exp) ||
	    !json_object_is_type(exp, json_type_int) || json_object_get_int64(exp) <= 0) {
		const char *why = body ? json_get_string(body, "error") : NULL;
		/* The tenant's error code only: the request held the secret, the answer may hold a token. */
		log_msg("auth0: the client-credentials grant for AUTH0_CLIENT_ID %s failed: HTTP %ld%s%s",
			c->client_id, r.status, why ? ", " : "",
			why ? why : (r.status == 200 ? ", no usable token" : ""));
		set_result(out, AUTH0_BAD_ANSWER, -1);
		goto done;
	}
	long expires_in = (long)json_object_get_int64(exp);
	long long use_until = (long long)now + expires_in - auth0_token_margin(expires_in);
	json_object *saved = json_object_new_object();
	json_object_object_add(saved, "access_token", json_object_new_string(tok));
	json_object_object_add(saved, "use_until", json_object_new_int64(use_until));
	const char *text = json_object_to_json_string_ext(saved, JSON_C_TO_STRING_PLAIN);
	if (file_write_atomic(path, text, strlen(text), 0600) < 0)
		log_msg("auth0: cannot write %s: %s", path, strerror(errno));
	json_object_put(saved);
	held_set(tok, use_until);
	set_result(out, AUTH0_OK, -1);
done:
	json_object_put(body);
	fetch_result_free(&r);
	free(url);
	free(audience);
}

/* A management token: the one held, else the shared file's, else a new
 * one. reject: a token the API just refused, not to be used again. One
 * process at a time asks the tenant; the others then read its file. */
static const char *mgmt_token(const struct config *c, const struct fetch_opts *o, time_t now,
			      const char *reject, struct auth0_result *out)
{
	if (held.token && now < held.use_until && !reject)
		return held.token;
	char *path = ck_asprintf("%s/" AUTH0_MGMT_TOKEN_FILE, c->state_dir);
	char *lock = ck_asprintf("%s.lock", path);
	char *rej = reject ? ck_strdup(reject) : NULL;
	const char *tok = NULL;
	int fd = file_lock(lock, 1);
	if (fd < 0) {
		log_msg("auth0: cannot lock %s: %s", lock, strerror(errno));
		set_result(out, AUTH0_BAD_ANSWER, -1);
	} else if (token_file_read(path, now, rej)) {
		tok = held.token;
	} else {
		token_request(c, o, path, now, out);
		if (out->status == AUTH0_OK)
			tok = held.token;
	}
	file_unlock(fd);
	if (rej)
		secure_free(rej, strlen(rej));
	free(path);
	free(lock);
	return tok;
}

void auth0_user_get(const struct config *c, const struct fetch_opts *o, const char *user_id, time_t now,
		    struct auth0_result *out)
{
	memset(out, 0, sizeof *out);
	out->retry_after = -1;
	if (!c->client_id || !c->client_secret) {
		set_result(out, AUTH0_NOT_CONFIGURED, -1);
		return;
	}
	char *id = url_encode(user_id);
	char *url = ck_asprintf("%s/api/v2/users/%s", c->tenant_url, id);
	free(id);
	struct fetch_result r = {0};
	const char *tok = mgmt_token(c, o, now, NULL, out);
	for (int attempt = 0; tok; attempt++) {
		if (fetch_get(o, url, tok, ANSWER_MAX, &r) < 0) {
			log_msg("auth0: %s: %s", url, r.error);
			set_result(out, AUTH0_UNREACHABLE, -1);
			break;
		}
		/* Revoked or expired early: one new token, one more try. */
		if (r.status == 401 && attempt == 0) {
			fetch_result_free(&r);
			tok = mgmt_token(c, o, now, tok, out);
			continue;
		}
		if (r.status == 200 && (out->body = token_json_parse(r.body, r.len))) {
			set_result(out, AUTH0_OK, -1);
		} else if (r.status == 404 || r.status == 400) {
			/* 400: the id is not in a form the tenant knows; no user has it either way. */
			set_result(out, AUTH0_NOT_FOUND, -1);
		} else if (r.status == 429) {
			set_result(out, AUTH0_RATE_LIMITED, r.retry_after);
		} else {
			log_msg("auth0: %s answered HTTP %ld%s", url, r.status,
				r.status == 200 ? " with no JSON object" : "");
			set_result(out, AUTH0_BAD_ANSWER, -1);
		}
		break;
	}
	fetch_result_free(&r);
	free(url);
}

void auth0_password_grant(const struct config *c, const struct fetch_opts *o, const char *username,
			  const char *password, struct auth0_result *out)
{
	memset(out, 0, sizeof *out);
	out->retry_after = -1;
	struct sbuf form = {0};
	form_add(&form, "grant_type", "http://auth0.com/oauth/grant-type/password-realm");
	form_add(&form, "username", username);
	form_add(&form, "password", password);
	form_add(&form, "realm", c->login_realm);
	form_add(&form, "client_id", c->client_id);
	if (c->client_secret)
		form_add(&form, "client_secret", c->client_secret);
	form_add(&form, "audience", c->audience);
	form_add(&form, "scope", "openid profile email");
	char *url = ck_asprintf("%s/oauth/token", c->tenant_url);
	struct fetch_result r;
	int rc = fetch_post_form(o, url, form.p, ANSWER_MAX, &r);
	form_free(&form);
	json_object *body = rc == 0 ? token_json_parse(r.body, r.len) : NULL;
	const char *error = body ? json_get_string(body, "error") : NULL;
	if (rc < 0) {
		log_msg("auth0: %s: %s", url, r.error);
		set_result(out, AUTH0_UNREACHABLE, -1);
	} else if (r.status == 200 && body && json_get_string(body, "access_token")) {
		out->body = body;
		body = NULL;
		set_result(out, AUTH0_OK, -1);
	} else if (r.status == 403 || (error && strcmp(error, "invalid_grant") == 0)) {
		set_result(out, AUTH0_DENIED, -1);
	} else if (r.status == 429) {
		set_result(out, AUTH0_RATE_LIMITED, r.retry_after);
	} else {
		log_msg("auth0: the password-realm grant failed: HTTP %ld%s%s", r.status, error ? ", " : "",
			error ? error : "");
		set_result(out, AUTH0_BAD_ANSWER, -1);
	}
	json_object_put(body);
	fetch_result_free(&r);
	free(url);
}

void auth0_error_response(const struct auth0_result *r, struct response *resp)
{
	switch (r->status) {
	case AUTH0_NOT_FOUND:
		response_error(resp, 404, "User not found", "No user has this id");
		break;
	case AUTH0_DENIED:
		response_error(resp, 401, "Invalid credentials", "Authentication failed");
		break;
	case AUTH0_RATE_LIMITED:
		response_error(resp, 503, "Service unavailable",
			       "The Auth0 tenant is rate limiting requests; try again later");
		response_header(resp, "Retry-After", "%ld",
				r->retry_after > 0    ? r->retry_after
				: r->retry_after == 0 ? 1
						      : RETRY_AFTER_DEFAULT);
		break;
	case AUTH0_UNREACHABLE:
		response_error(resp, 502, "Bad gateway", "The Auth0 tenant cannot be reached");
		break;
	case AUTH0_NOT_CONFIGURED:
		response_error(resp, 503, "Service unavailable",
			       "AUTH0_CLIENT_ID and AUTH0_CLIENT_SECRET must be set to read users from the "
			       "Auth0 tenant");
		break;
	case AUTH0_BAD_ANSWER:
	default:
		response_error(resp, 502, "Bad gateway",
			       "The Auth0 tenant gave an answer that cannot be used");
		break;
	}
}
