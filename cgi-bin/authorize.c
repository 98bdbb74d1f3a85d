/* The authorization endpoint (RFC 6749 section 4.1, OAuth 2.1): GET
 * /authorize checks the client and its redirect URI (errors before they
 * are trusted are a page, never a redirect), then PKCE, scope and resource
 * (errors go back to the client), and shows the login or consent page;
 * POST /authorize is the login form, POST /authorize/consent the consent
 * form. A browser that logged in within FLOW_SESSION_TTL is not asked
 * again; a client whose remembered grant covers what it asks for gets its
 * code without the consent page. */
#include "guard.h"
#include "audit.h"
#include "flowstore.h"
#include "form.h"
#include "mfastore.h"
#include "oauth.h"
#include "oauthclient.h"
#include "page.h"
#include "signin.h"
#include "userdb.h"
#include "util.h"

#include <openssl/crypto.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define STATE_MAX 512
#define SCOPE_MAX 1024

enum http_flow oauth_tenant_only(const struct app *app, struct response *resp)
{
	if (app->source->issues_tokens)
		return HTTP_GO_ON;
	char *msg =
	    ck_asprintf("The authorization server is the Auth0 tenant https://%s/ (this suite verifies "
			"its tokens)",
			app->config.auth0_domain);
	response_error(resp, 404, "Not found", msg);
	free(msg);
	return HTTP_ANSWERED;
}

/* Printable ASCII only (RFC 6749 VSCHAR/NQCHAR), space allowed when sp. */
static int printable(const char *s, int sp, int quote_ok)
{
	for (const unsigned char *p = (const unsigned char *)s; *p; p++)
		if (*p < 0x20 || *p > 0x7e || (*p == ' ' && !sp) || (!quote_ok && (*p == '"' || *p == '\\')))
			return 0;
	return 1;
}

/* RFC 7636 section 4.2: S256 gives 43 base64url characters. */
static int challenge_ok(const char *c)
{
	if (!c || strlen(c) != 43)
		return 0;
	for (const char *p = c; *p; p++)
		if (!strchr("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_", *p))
			return 0;
	return 1;
}

/* An absolute URI without fragment or userinfo: what may be a redirect
 * target at all (the client's list decides the rest). */
static int redirect_syntax_ok(const char *u)
{
	size_t scheme = strspn(u, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789+-.");
	if (scheme == 0 || u[scheme] != ':' || strlen(u) > 2048 || !printable(u, 0, 0) || strpbrk(u, "#<>"))
		return 0;
	if (strncmp(u + scheme, "://", 3) == 0) {
		const char *auth = u + scheme + 3;
		size_t n = strcspn(auth, "/?");
		if (n == 0 || memchr(auth, '@', n))
			return 0;
	}
	return 1;
}

/* The resource URLs this server answers for (RFC 8707): its own (the MCP
 * endpoint and the site's root, as the verifier accepts them) and the
 * configured audience. */
static int resource_ok(const struct request *req, const char *resource)
{
	const struct app *app = req->app;
	return strcmp(resource, app->config.audience) == 0 || guard_own_resource(req, resource);
}

/* 302 to uri with the pairs (name, value; NULL values left out; NULL
 * name ends) added to its query. */
static void redirect_with(struct response *resp, const char *uri, ...)
{
	struct sbuf b = {0};
	sbuf_adds(&b, uri);
	char sep = strchr(uri, '?') ? '&' : '?';
	va_list ap;
	va_start(ap, uri);
	for (const char *name; (name = va_arg(ap, const char *));) {
		const char *value = va_arg(ap, const char *);
		if (!value)
			continue;
		char *enc = url_encode(value);
		sbuf_add(&b, &sep, 1);
		sbuf_adds(&b, name);
		sbuf_adds(&b, "=");
		sbuf_adds(&b, enc);
		free(enc);
		sep = '&';
	}
	va_end(ap);
	response_json(resp, 302, NULL);
	response_header_take(resp, "Location", sbuf_take(&b));
	response_header(resp, "Cache-Control", "no-store");
	response_header(resp, "Referrer-Policy", "no-referrer");
}

/* RFC 6749 section 4.1.2.1 with RFC 9207's iss. */
static void redirect_error(const struct app *app, struct response *resp, const char *uri, const char *state,
			   const char *error, const char *description)
{
	redirect_with(resp, uri, "error", error, "error_description", description, "state", state, "iss",
		      app->config.issuer, NULL);
}

/* A sentence per scope for the consent page: the standard ones, the
 * suite's permissions, and for any other the summaries of its routes. */
static const char *scope_text(const struct app *app, const char *scope, struct sbuf *own)
{
	static const struct {
		const char *scope, *text;
	} known[] = {
	    {"openid", "Know who you are (your user id)"},
	    {"profile", "See your name"},
	    {"email", "See your email address"},
	    {"offline_access", "Stay signed in while you are away (a refresh token)"},
	    {"read:profile", "Read your profile"},
	    {"write:profile", "Change your name and email address"},
	    {"read:users", "Read every user's account"},
	    {"write:users", "Create, change and delete users and their permissions"},
	    {"admin:all", "Administer the whole service"},
	};
	for (size_t i = 0; i < sizeof known / sizeof known[0]; i++)
		if (strcmp(known[i].scope, scope) == 0)
			return known[i].text;
	own->len = 0;
	sbuf_adds(own, "Use the API: ");
	size_t found = 0;
	for (size_t g = 0; g < app->ngroups; g++)
		for (size_t i = 0; i < app->groups[g]->nroutes; i++) {
			const struct route *r = &app->groups[g]->routes[i];
			if (r->need && strcmp(r->need, scope) == 0 && found++ < 3) {
				if (found > 1)
					sbuf_adds(own, "; ");
				sbuf_adds(own, r->summary);
			}
		}
	if (!found)
		sbuf_adds(own, scope);
	return own->p;
}

static void flow_page(const struct request *req, const struct flow_request *r, const struct flow_session *s,
		      struct page_flow *f, char **resource)
{
	*resource = r->resource ? ck_strdup(r->resource) : guard_resource_url_of(req, 1);
	*f = (struct page_flow){r->client_name, r->client_id, *resource, r->redirect_uri, s->csrf, r->id};
}

static void consent_page(const struct request *req, struct response *resp, const struct flow_request *r,
			 const struct flow_session *s, const struct user *u, const char *granted)
{
	const struct app *app = req->app;
	const char *words[64], *texts[64];
	struct sbuf own[64];
	size_t n = 0;
	memset(own, 0, sizeof own);
	const char *p;
	size_t len;
	for (const char *c = granted; n < 64 && list_next(&c, " ", &p, &len); n++) {
		words[n] = ck_strndup(p, len);
		texts[n] = scope_text(app, words[n], &own[n]);
	}
	struct page_flow f;
	char *resource;
	flow_page(req, r, s, &f, &resource);
	page_consent(resp, &f, u->email, words, texts, n);
	for (size_t i = 0; i < n; i++) {
		free((char *)words[i]);
		sbuf_free(&own[i]);
	}
	free(resource);
}

/* The code for r and u: 302 to the client with code, state and iss. */
static void send_code(struct request *req, struct response *resp, const struct flow_request *r,
		      const char *sub, const char *granted, int remember, int otp)
{
	const struct app *app = req->app;
	char *code;
	if (flowstore_code_issue(app->db, r, sub, granted, remember, app->now(), &code) != FLOW_OK) {
		page_error(resp, 503, "Service unavailable",
			   "The authorization could not be stored; try again");
		return;
	}
	audit_event(req, "authorization_code", "sub", sub, "client_id", r->client_id, "scope", granted,
		    "consent", remember ? "given" : "remembered", NULL);
	/* A browser signed in with a second factor: the code's tokens say so (amr). */
	if (otp && mfastore_mark(app->db, MFA_MARK_CODE, code, app->now(), FLOW_CODE_TTL) != MFA_OK)
		log_msg("cannot mark a code of a second-factor sign-in: its tokens carry amr pwd only");
	redirect_with(resp, r->redirect_uri, "code", code, "state", r->state, "iss", app->config.issuer,
		      NULL);
	secure_free(code, strlen(code));
}

/* A logged-in browser: the code at once when the user's grant to this
 * client covers what it asks for (of what the user holds), else consent. */
static void after_login(struct request *req, struct response *resp, const struct flow_request *r,
			const struct flow_session *s, int otp)
{
	const struct app *app = req->app;
	struct user u;
	int rc = userdb_find_by_sub(app->db, s->sub, &u);
	if (rc != USERDB_OK) {
		page_error(resp, rc == USERDB_ERROR ? 503 : 403, "Cannot sign in",
			   rc == USERDB_ERROR ? "The user store cannot be read; try again"
					      : "This account no longer exists");
		return;
	}
	char *held = flow_user_scopes(u.permissions, u.scope);
	char *granted = flow_scope_intersect(r->scope, held);
	char *have = flowstore_grant_scope(app->db, u.sub, r->client_id);
	if (!have)
		page_error(resp, 503, "Service unavailable", "The grants cannot be read; try again");
	else if (*have && flow_scope_covers(have, granted))
		send_code(req, resp, r, u.sub, granted, 0, otp);
	else
		consent_page(req, resp, r, s, &u, granted);
	free(have);
	free(granted);
	free(held);
	user_free(&u);
}

/* The client and its redirect URI, or HTTP_ANSWERED with the error page in resp. */
static enum http_flow trusted_client(const struct app *app, struct response *resp, const struct form *q,
				     struct oauth_client *c)
{
	const char *id = form_get(q, "client_id"), *redirect = form_get(q, "redirect_uri");
	char err[256] = "";
	memset(c, 0, sizeof *c);
	if (!id || strlen(id) > 2048 || !printable(id, 0, 0)) {
		page_error(resp, 400, "Unknown application", "The request names no valid client (client_id)");
		return HTTP_ANSWERED;
	}
	enum oauthclient_status st =
	    oauthclient_find(app->db, &app->fetch, id, app->now(), c, err, sizeof err);
	if (st != OAUTHCLIENT_OK) {
		char *msg = ck_asprintf("The application cannot be used: %s", *err ? err : "unknown client");
		page_error(resp, st == OAUTHCLIENT_ERROR ? 503 : 400, "Unknown application", msg);
		free(msg);
		return HTTP_ANSWERED;
	}
	const char *why = NULL;
	if (!redirect)
		why = "The request names no redirect_uri";
	else if (!redirect_syntax_ok(redirect))
		why = "The redirect_uri is not an absolute URI without fragment and user name";
	else if (!oauthclient_redirect_ok(c, redirect))
		why = "The redirect_uri is not one this application registered";
	if (why) {
		page_error(resp, 400, "Invalid redirect", why);
		oauthclient_free(c);
		return HTTP_ANSWERED;
	}
	return HTTP_GO_ON;
}

/* The checks after the client is trusted: HTTP_GO_ON with r filled, or
 * HTTP_ANSWERED with the error redirect in resp. */
static enum http_flow request_ok(const struct request *req, struct response *resp, const struct form *q,
				 const struct oauth_client *c, struct flow_request *r)
{
	const struct app *app = req->app;
	const char *redirect = form_get(q, "redirect_uri"), *state = form_get(q, "state");
	const char *type = form_get(q, "response_type"), *challenge = form_get(q, "code_challenge");
	const char *method = form_get(q, "code_challenge_method"), *scope = form_get(q, "scope");
	const char *resource = form_get(q, "resource");
	if (state && (strlen(state) > STATE_MAX || !printable(state, 1, 1))) {
		redirect_error(app, resp, redirect, NULL, "invalid_request",
			       "state is over 512 characters or not printable");
		return HTTP_ANSWERED;
	}
	const char *error = NULL, *why = NULL;
	char *all = route_scopes(app->groups, app->ngroups);
	if (!type || strcmp(type, "code") != 0) {
		error = "unsupported_response_type", why = "Only response_type=code is supported";
	} else if (!challenge || !method || strcmp(method, "S256") != 0) {
		error = "invalid_request",
		why = "PKCE is required: code_challenge with code_challenge_method=S256";
	} else if (!challenge_ok(challenge)) {
		error = "invalid_request",
		why = "code_challenge is not an S256 challenge (43 base64url characters)";
	} else if (scope && (strlen(scope) > SCOPE_MAX || !printable(scope, 1, 0))) {
		error = "invalid_scope", why = "scope is too long or holds a character no scope has";
	} else if (scope && !flow_scope_covers(all, scope)) {
		error = "invalid_scope", why = "scope names a scope this server does not know";
	} else if (resource && !resource_ok(req, resource)) {
		error = "invalid_target", why = "resource is not a resource of this server";
	}
	if (error) {
		redirect_error(app, resp, redirect, state, error, why);
		free(all);
		return HTTP_ANSWERED;
	}
	r->client_id = ck_strdup(c->client_id);
	r->client_name = ck_strdup(c->client_name ? c->client_name : c->client_id);
	r->redirect_uri = ck_strdup(redirect);
	r->state = state ? ck_strdup(state) : NULL;
	r->challenge = ck_strdup(challenge);
	/* No scope: what the resource offers (its scopes_supported), as MCP
	 * clients without a challenge's scope would ask. */
	r->scope = scope ? flow_scope_intersect(scope, all) : ck_strdup(all);
	r->resource = resource ? ck_strdup(resource) : NULL;
	free(all);
	return HTTP_GO_ON;
}

void authorize_get(struct request *req, struct response *resp)
{
	const struct app *app = req->app;
	if (oauth_tenant_only(app, resp) == HTTP_ANSWERED)
		return;
	struct form q;
	enum form_status fs = form_parse(&q, req->query, strlen(req->query));
	if (fs != FORM_OK) {
		char *msg = ck_asprintf("The authorization request is malformed: %s", form_strerror(fs));
		page_error(resp, 400, "Bad request", msg);
		free(msg);
		return;
	}
	struct oauth_client c;
	struct flow_request r = {0};
	struct flow_session s = {0};
	char *cookie = NULL;
	if (trusted_client(app, resp, &q, &c) == HTTP_ANSWERED)
		goto done;
	if (request_ok(req, resp, &q, &c, &r) == HTTP_ANSWERED)
		goto client;
	cookie = form_cookie(req->cookie, SIGNIN_COOKIE);
	int st = cookie ? flowstore_session_get(app->db, cookie, app->now(), &s) : FLOW_NOT_FOUND;
	if (st == FLOW_NOT_FOUND) {
		free(cookie);
		st = flowstore_session_new(app->db, NULL, app->now(), &cookie, &s);
		if (st == FLOW_OK)
			signin_set_cookie(req, resp, cookie);
	}
	if (st != FLOW_OK || flowstore_request_new(app->db, cookie, &r, app->now()) != FLOW_OK) {
		page_error(resp, 503, "Service unavailable", "The sign-in could not be stored; try again");
	} else if (s.sub) {
		after_login(req, resp, &r, &s,
			    mfastore_marked(app->db, MFA_MARK_SESSION, cookie, app->now()) == 1);
	} else {
		struct page_flow f;
		char *resource;
		flow_page(req, &r, &s, &f, &resource);
		page_login(resp, 200, &f, NULL, NULL);
		free(resource);
	}
client:
	oauthclient_free(&c);
done:
	if (cookie)
		secure_free(cookie, strlen(cookie));
	flow_session_free(&s);
	flow_request_free(&r);
	form_free(&q);
}

/* A page's form: its fields, the browser's session, its CSRF token and its
 * request: HTTP_GO_ON, or HTTP_ANSWERED with the error page in resp. */
static enum http_flow form_checked(struct request *req, struct response *resp, struct form *f, char **cookie,
				   struct flow_session *s, struct flow_request *r)
{
	const struct app *app = req->app;
	memset(r, 0, sizeof *r);
	if (signin_form_session(req, resp, f, cookie, s) == HTTP_ANSWERED)
		return HTTP_ANSWERED;
	int st = flowstore_request_get(app->db, *cookie, form_get(f, "request_id"), app->now(), r);
	if (st != FLOW_OK) {
		page_error(resp, st == FLOW_ERROR ? 503 : 400, "Sign-in expired",
			   "This sign-in request is unknown or expired; start again from the application");
		return HTTP_ANSWERED;
	}
	return HTTP_GO_ON;
}

/* The login page again with an alert: status, and Retry-After when wait. */
static void login_again(const struct request *req, struct response *resp, const struct flow_request *r,
			const struct flow_session *s, int status, const char *email, const char *alert)
{
	struct page_flow f;
	char *resource;
	flow_page(req, r, s, &f, &resource);
	page_login(resp, status, &f, email, alert);
	free(resource);
}

/* The second form (the code) again: status, and an alert when there is one. */
static void code_again(const struct request *req, struct response *resp, const struct flow_request *r,
		       const struct flow_session *s, int status, const char *mfa_token, const char *alert)
{
	struct page_flow f;
	char *resource;
	flow_page(req, r, s, &f, &resource);
	page_code(resp, status, &f, mfa_token, alert);
	free(resource);
}

void authorize_post(struct request *req, struct response *resp)
{
	const struct app *app = req->app;
	if (oauth_tenant_only(app, resp) == HTTP_ANSWERED)
		return;
	struct form f;
	struct flow_session s;
	struct flow_request r;
	char *cookie;
	if (form_checked(req, resp, &f, &cookie, &s, &r) == HTTP_ANSWERED)
		goto done;
	const char *email = form_get(&f, "email"), *password = form_get(&f, "password");
	const char *mfa_token = form_get(&f, "mfa_token");
	struct flow_session in;
	struct signin_result res;
	/* The second form (a user with a second factor) carries the login ticket. */
	if (mfa_token)
		signin_code(req, resp, cookie, mfa_token, form_get(&f, "otp"), r.client_id, &in, &res);
	else
		signin_password(req, resp, cookie, email, password, r.client_id, &in, &res);
	if (res.status == 0 && *res.mfa_token) {
		code_again(req, resp, &r, &s, 200, res.mfa_token, NULL);
	} else if (res.status == 0) {
		after_login(req, resp, &r, &in, mfa_token != NULL);
	} else if (*res.mfa_token) {
		code_again(req, resp, &r, &s, res.status, res.mfa_token, res.alert);
		if (res.retry_after)
			response_header(resp, "Retry-After", "%ld", res.retry_after);
	} else if (res.status == 503) {
		page_error(resp, 503, "Service unavailable", res.alert);
	} else {
		login_again(req, resp, &r, &s, res.status,
			    email && strlen(email) <= SIGNIN_EMAIL_MAX ? email : NULL, res.alert);
		if (res.retry_after)
			response_header(resp, "Retry-After", "%ld", res.retry_after);
	}
	flow_session_free(&in);
done:
	if (cookie)
		secure_free(cookie, strlen(cookie));
	flow_session_free(&s);
	flow_request_free(&r);
	form_free(&f);
}

void authorize_consent_post(struct request *req, struct response *resp)
{
	const struct app *app = req->app;
	if (oauth_tenant_only(app, resp) == HTTP_ANSWERED)
		return;
	struct form f;
	struct flow_session s;
	struct flow_request r;
	char *cookie;
	if (form_checked(req, resp, &f, &cookie, &s, &r) == HTTP_ANSWERED)
		goto done;
	const char *decision = form_get(&f, "decision");
	if (!s.sub) {
		page_error(resp, 403, "Forbidden", "Sign in first; start again from the application");
	} else if (decision && strcmp(decision, "deny") == 0) {
		if (flowstore_request_del(app->db, r.id) != FLOW_OK)
			log_msg("cannot remove a denied authorization request");
		audit_event(req, "consent_denied", "sub", s.sub, "client_id", r.client_id, NULL);
		redirect_error(app, resp, r.redirect_uri, r.state, "access_denied",
			       "The user denied the request");
	} else if (decision && strcmp(decision, "allow") == 0) {
		struct user u;
		int rc = userdb_find_by_sub(app->db, s.sub, &u);
		if (rc != USERDB_OK) {
			page_error(resp, rc == USERDB_ERROR ? 503 : 403, "Cannot sign in",
				   rc == USERDB_ERROR ? "The user store cannot be read; try again"
						      : "This account no longer exists");
			goto done;
		}
		char *held = flow_user_scopes(u.permissions, u.scope);
		char *granted = flow_scope_intersect(r.scope, held);
		send_code(req, resp, &r, u.sub, granted, 1,
			  mfastore_marked(app->db, MFA_MARK_SESSION, cookie, app->now()) == 1);
		free(granted);
		free(held);
		user_free(&u);
	} else {
		page_error(resp, 400, "Bad request", "The form's decision must be allow or deny");
	}
done:
	if (cookie)
		secure_free(cookie, strlen(cookie));
	flow_session_free(&s);
	flow_request_free(&r);
	form_free(&f);
}
