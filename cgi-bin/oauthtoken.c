/* The token endpoint (RFC 6749 section 3.2, OAuth 2.1) and the revocation
 * endpoint (RFC 7009): form-encoded requests, clients authenticated by
 * client_secret_basic or client_secret_post (public clients by nothing:
 * PKCE and the code's binding protect them), errors as RFC 6749 section
 * 5.2 JSON. */
#include "context.h"
#include "audit.h"
#include "flowstore.h"
#include "form.h"
#include "mfastore.h"
#include "oauth.h"
#include "oauthclient.h"
#include "refresh.h"
#include "userdb.h"
#include "util.h"

#include <openssl/evp.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define SCOPE_MAX 1024

/* RFC 6749 section 5.2, with the suite's "message" (the same sentence). */
static void oauth_error(struct response *resp, int status, const char *error, const char *description)
{
	json_object *o = json_object_new_object();
	json_object_object_add(o, "error", json_object_new_string(error));
	json_object_object_add(o, "error_description", json_object_new_string(description));
	json_object_object_add(o, "message", json_object_new_string(description));
	response_json(resp, status, o);
}

static void no_store(struct response *resp)
{
	response_header(resp, "Cache-Control", "no-store");
	response_header(resp, "Pragma", "no-cache");
}

/* Standard base64 (RFC 4648 section 4, padded), as Basic credentials are. */
static char *b64_decode(const char *in)
{
	size_t n = strlen(in);
	if (n == 0 || n % 4 || n > 4096)
		return NULL;
	unsigned char *out = ck_malloc(n / 4 * 3 + 1);
	int len = EVP_DecodeBlock(out, (const unsigned char *)in, (int)n);
	if (len < 0) {
		free(out);
		return NULL;
	}
	len -= (in[n - 1] == '=') + (in[n - 2] == '=');
	out[len] = '\0';
	if (memchr(out, '\0', (size_t)len)) {
		free(out);
		return NULL;
	}
	return (char *)out;
}

/* One form-urlencoded part of Basic credentials (RFC 6749 section 2.3.1). */
static char *basic_part(const char *s, size_t n)
{
	struct form f;
	char *pair = ck_asprintf("v=%.*s", (int)n, s);
	char *out = NULL;
	if (form_parse(&f, pair, strlen(pair)) == FORM_OK && f.n == 1)
		out = ck_strdup(f.value[0]);
	form_free(&f);
	secure_free(pair, strlen(pair));
	return out;
}

/* The client of the request, authenticated: HTTP_GO_ON with c filled, or
 * HTTP_ANSWERED with the error in resp. */
static enum http_flow client_auth(const struct request *req, struct response *resp, const struct form *f,
				  struct oauth_client *c)
{
	const struct app *app = req->app;
	const char *id = form_get(f, "client_id"), *secret = form_get(f, "client_secret");
	char *bid = NULL, *bsecret = NULL;
	int basic = req->authorization && strncasecmp(req->authorization, "Basic ", 6) == 0;
	enum http_flow flow = HTTP_ANSWERED;
	memset(c, 0, sizeof *c);
	if (basic) {
		char *raw = b64_decode(req->authorization + 6);
		char *colon = raw ? strchr(raw, ':') : NULL;
		if (colon) {
			bid = basic_part(raw, (size_t)(colon - raw));
			bsecret = basic_part(colon + 1, strlen(colon + 1));
		}
		if (raw)
			secure_free(raw, strlen(raw));
		if (!bid || !*bid || !bsecret) {
			oauth_error(resp, 401, "invalid_client", "The Basic credentials are malformed");
			goto done;
		}
		if (secret || (id && strcmp(id, bid) != 0)) {
			oauth_error(resp, 400, "invalid_request",
				    "Use one client authentication method, for one client_id");
			goto done;
		}
		id = bid;
		secret = bsecret;
	}
	if (!id) {
		oauth_error(resp, 401, "invalid_client", "The request names no client_id");
		goto done;
	}
	char err[256] = "";
	enum oauthclient_status st =
	    oauthclient_find(app->db, &app->fetch, id, app->now(), c, err, sizeof err);
	if (st == OAUTHCLIENT_ERROR) {
		oauth_error(resp, 503, "temporarily_unavailable",
			    "The client store cannot be read; try again");
		goto done;
	}
	/* A secret presented must be right, even a public client's (it has none). */
	if (st != OAUTHCLIENT_OK || ((c->auth != OAUTHCLIENT_AUTH_NONE || secret) &&
				     (!secret || !oauthclient_secret_ok(app->db, c, secret)))) {
		audit_event(req, "client_auth_failure", "client_id", id, "reason",
			    st != OAUTHCLIENT_OK ? "unknown client"
			    : secret		 ? "wrong secret"
						 : "no secret",
			    NULL);
		oauthclient_free(c);
		oauth_error(resp, 401, "invalid_client", "Client authentication failed");
		goto done;
	}
	flow = HTTP_GO_ON;
done:
	if (flow == HTTP_ANSWERED && basic && resp->status == 401)
		response_header(resp, "WWW-Authenticate", "Basic realm=\"mcpauth\"");
	free(bid);
	if (bsecret)
		secure_free(bsecret, strlen(bsecret));
	return flow;
}

/* 200 with an access token for u: scope is what the grant holds, cut to
 * what u holds now; permissions are u's that were granted; aud is the
 * resource or the audience. */
static void token_answer(const struct app *app, struct response *resp, const struct user *u,
			 const char *scope, const char *client_id, const char *resource, const char *grant_id,
			 const char *refresh)
{
	/* RFC 8176: how the user signed in; "otp" when the grant began with a second factor. */
	int otp = mfastore_marked(app->db, MFA_MARK_FAMILY, grant_id, app->now()) == 1;
	char *held = flow_user_scopes(u->permissions, u->scope);
	char *granted = flow_scope_intersect(scope, held);
	char *perms = flow_scope_intersect(granted, u->permissions);
	/* The key that signs at iat: a rotation in the shared store switches it. */
	time_t now = app->now();
	app->source->keys_tick(app, now);
	json_object *claims = issuer_access_claims(
	    app->config.issuer, resource ? resource : app->config.audience, u, now, app->config.token_ttl);
	json_object_object_add(claims, "permissions", json_word_array(perms));
	json_object_object_add(claims, "scope", json_object_new_string(granted));
	json_object_object_add(claims, "client_id", json_object_new_string(client_id));
	/* The grant (refresh family) it comes from: revoking it ends this token too. */
	json_object_object_add(claims, "grant_id", json_object_new_string(grant_id));
	json_object *amr = json_object_new_array();
	json_object_array_add(amr, json_object_new_string("pwd"));
	if (otp)
		json_object_array_add(amr, json_object_new_string("otp"));
	json_object_object_add(claims, "amr", amr);
	char *token = issuer_sign(&app->issuer, claims);
	json_object_put(claims);
	if (!token) {
		log_msg("signing a token failed");
		oauth_error(resp, 500, "server_error", "The token could not be signed");
	} else {
		json_object *body = json_object_new_object();
		json_object_object_add(body, "access_token", json_object_new_string(token));
		json_object_object_add(body, "token_type", json_object_new_string("Bearer"));
		json_object_object_add(body, "expires_in", json_object_new_int64(app->config.token_ttl));
		json_object_object_add(body, "scope", json_object_new_string(granted));
		json_object_object_add(body, "refresh_token", json_object_new_string(refresh));
		response_json(resp, 200, body);
		secure_free(token, strlen(token));
	}
	free(perms);
	free(granted);
	free(held);
}

/* The user of a grant, or HTTP_ANSWERED with the error (the family revoked when the
 * user is gone). */
static enum http_flow grant_user(const struct app *app, struct response *resp, const struct refresh_grant *g,
				 struct user *u)
{
	int rc = userdb_find_by_sub(app->db, g->sub, u);
	if (rc == USERDB_OK)
		return HTTP_GO_ON;
	if (rc == USERDB_NOT_FOUND) {
		refresh_revoke_family(app->db, g->family);
		oauth_error(resp, 400, "invalid_grant", "The user of this grant no longer exists");
	} else {
		oauth_error(resp, 503, "temporarily_unavailable", "The user store cannot be read; try again");
	}
	return HTTP_ANSWERED;
}

static int verifier_ok(const char *v)
{
	size_t n = v ? strlen(v) : 0;
	return n >= 43 && n <= 128 &&
	       strspn(v, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~") == n;
}

static void code_grant(struct request *req, struct response *resp, const struct form *f,
		       const struct oauth_client *c)
{
	const struct app *app = req->app;
	const char *code = form_get(f, "code"), *redirect = form_get(f, "redirect_uri");
	const char *verifier = form_get(f, "code_verifier"), *resource = form_get(f, "resource");
	if (!code || !redirect || !verifier) {
		oauth_error(resp, 400, "invalid_request",
			    "code, redirect_uri and code_verifier are required");
		return;
	}
	if (!verifier_ok(verifier)) {
		oauth_error(resp, 400, "invalid_request",
			    "code_verifier must be 43 to 128 unreserved characters");
		return;
	}
	static const char *const why[] = {
	    [FLOW_NOT_FOUND] = "The code is not valid",
	    [FLOW_EXPIRED] = "The code expired",
	    [FLOW_USED] = "The code was already used; every token issued from it is now revoked",
	    [FLOW_MISMATCH] = "The code was issued to another client or redirect_uri",
	    [FLOW_PKCE] = "The code_verifier does not match the code_challenge",
	};
	char *refresh;
	struct refresh_grant g;
	int otp = mfastore_marked(app->db, MFA_MARK_CODE, code, app->now()) == 1;
	int st = flowstore_code_redeem(app->db, code, c->client_id, redirect, verifier, req->remote_addr,
				       app->now(), app->config.refresh_ttl, &refresh, &g);
	if (st == FLOW_OK && otp &&
	    mfastore_mark(app->db, MFA_MARK_FAMILY, g.family, app->now(), app->config.refresh_ttl) != MFA_OK)
		log_msg("cannot mark the grant of a second-factor sign-in: its tokens carry amr pwd only");
	if (st == FLOW_ERROR) {
		oauth_error(resp, 503, "temporarily_unavailable",
			    "The token store cannot be used; try again");
		return;
	}
	if (st != FLOW_OK) {
		audit_event(req, st == FLOW_USED ? "code_reuse_detected" : "code_refused", "client_id",
			    c->client_id, "reason", why[st], NULL);
		oauth_error(resp, 400, "invalid_grant", why[st]);
		return;
	}
	struct user u;
	if (resource && (!g.resource || strcmp(resource, g.resource) != 0)) {
		/* The code is spent: so is what it gave. */
		refresh_revoke_family(app->db, g.family);
		oauth_error(resp, 400, "invalid_target", "resource is not the one the code was issued for");
	} else if (grant_user(app, resp, &g, &u) == HTTP_GO_ON) {
		token_answer(app, resp, &u, g.scope, c->client_id, g.resource, g.family, refresh);
		if (resp->status == 200)
			audit_event(req, "token_issued", "sub", u.sub, "email", u.email, "client_id",
				    c->client_id, "grant_type", "authorization_code", "scope", g.scope,
				    "family", g.family, NULL);
		user_free(&u);
	}
	refresh_token_free(refresh);
	refresh_grant_free(&g);
}

static void refresh_grant(struct request *req, struct response *resp, const struct form *f,
			  const struct oauth_client *c)
{
	const struct app *app = req->app;
	const char *old = form_get(f, "refresh_token"), *scope = form_get(f, "scope");
	const char *resource = form_get(f, "resource");
	if (!old) {
		oauth_error(resp, 400, "invalid_request", "refresh_token is required");
		return;
	}
	if (scope && (strlen(scope) > SCOPE_MAX || strpbrk(scope, "\"\\"))) {
		oauth_error(resp, 400, "invalid_scope",
			    "scope is too long or holds a character no scope has");
		return;
	}
	char *next = NULL;
	struct refresh_grant g;
	enum refresh_status st =
	    refresh_rotate_client(app->db, old, c->client_id, req->remote_addr, app->now(), &next, &g);
	if (st == REFRESH_ERROR) {
		oauth_error(resp, 503, "temporarily_unavailable",
			    "The token store cannot be used; try again");
	} else if (st != REFRESH_OK) {
		audit_event(req, st == REFRESH_REUSED ? "refresh_reuse_detected" : "refresh_failure", "sub",
			    g.sub, "client_id", c->client_id, "reason", refresh_strerror(st), NULL);
		oauth_error(resp, 400, "invalid_grant",
			    st == REFRESH_REUSED
				? "The refresh token was already used; every token of its grant is "
				  "now revoked"
				: "The refresh token is not valid for this client");
	} else if (resource && (!g.resource || strcmp(resource, g.resource) != 0)) {
		oauth_error(resp, 400, "invalid_target",
			    "resource is not the one the refresh token was issued for");
	} else {
		struct user u;
		/* A narrower scope may be asked; words never granted are dropped. */
		char *narrow = scope ? flow_scope_intersect(scope, g.scope) : ck_strdup(g.scope);
		if (grant_user(app, resp, &g, &u) == HTTP_GO_ON) {
			token_answer(app, resp, &u, narrow, c->client_id, g.resource, g.family, next);
			if (resp->status == 200)
				audit_event(req, "refresh", "sub", u.sub, "email", u.email, "client_id",
					    c->client_id, "family", g.family, NULL);
			user_free(&u);
		}
		free(narrow);
	}
	refresh_token_free(next);
	refresh_grant_free(&g);
}

/* The request's form, checked, and its client, or HTTP_ANSWERED with the error. */
static enum http_flow token_request(struct request *req, struct response *resp, struct form *f,
				    struct oauth_client *c)
{
	const struct app *app = req->app;
	memset(f, 0, sizeof *f);
	memset(c, 0, sizeof *c);
	no_store(resp);
	if (oauth_tenant_only(app, resp) == HTTP_ANSWERED)
		return HTTP_ANSWERED;
	if (!form_content_type_ok(req->content_type)) {
		oauth_error(resp, 400, "invalid_request",
			    "Content-Type must be application/x-www-form-urlencoded");
		return HTTP_ANSWERED;
	}
	enum form_status fs = form_parse(f, req->body_raw ? req->body_raw : "", req->body_len);
	if (fs != FORM_OK) {
		char *msg = ck_asprintf("The form is malformed: %s", form_strerror(fs));
		oauth_error(resp, 400, "invalid_request", msg);
		free(msg);
		return HTTP_ANSWERED;
	}
	return client_auth(req, resp, f, c);
}

void oauth_token_post(struct request *req, struct response *resp)
{
	struct form f;
	struct oauth_client c;
	if (token_request(req, resp, &f, &c) == HTTP_GO_ON) {
		const char *type = form_get(&f, "grant_type");
		if (!type)
			oauth_error(resp, 400, "invalid_request", "grant_type is required");
		else if (strcmp(type, "authorization_code") == 0)
			code_grant(req, resp, &f, &c);
		else if (strcmp(type, "refresh_token") == 0)
			refresh_grant(req, resp, &f, &c);
		else
			oauth_error(resp, 400, "unsupported_grant_type",
				    "grant_type must be authorization_code or refresh_token");
		oauthclient_free(&c);
	}
	form_free(&f);
}

void oauth_revoke_post(struct request *req, struct response *resp)
{
	const struct app *app = req->app;
	struct form f;
	struct oauth_client c;
	if (token_request(req, resp, &f, &c) == HTTP_GO_ON) {
		const char *token = form_get(&f, "token");
		struct refresh_grant g;
		enum refresh_status st;
		if (!token) {
			oauth_error(resp, 400, "invalid_request", "token is required");
		} else if ((st = refresh_revoke_client(app->db, token, c.client_id, &g)) == REFRESH_ERROR) {
			oauth_error(resp, 503, "temporarily_unavailable",
				    "The token store cannot be used; try again");
		} else {
			/* RFC 7009 section 2.2: unknown tokens, access tokens (they
			 * expire) and other clients' tokens all answer 200. */
			audit_event(req, "token_revoked", "sub", g.sub, "client_id", c.client_id, "family",
				    st == REFRESH_OK ? g.family : NULL, "reason",
				    st == REFRESH_OK ? NULL : refresh_strerror(st), NULL);
			response_json(resp, 200, json_object_new_object());
		}
		if (token)
			refresh_grant_free(&g);
		oauthclient_free(&c);
	}
	form_free(&f);
}
