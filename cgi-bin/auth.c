/* auth: the public index, login at the local issuer, refresh tokens and
 * logout. The well-known documents its table also routes are wellknown.c's. */
#include "guard.h"
#include "accountmail.h"
#include "audit.h"
#include "auth0.h"
#include "account.h"
#include "mfa.h"
#include "mfastore.h"
#include "oauth.h"
#include "password.h"
#include "ratelimit.h"
#include "refresh.h"
#include "register.h"
#include "routes.h"
#include "userdb.h"
#include "userjson.h"
#include "util.h"
#include "wellknown.h"

#include <openssl/rand.h>
#include <stdlib.h>
#include <string.h>

static void index_get(struct request *req, struct response *resp)
{
	const struct app *app = req->app;
	json_object *pub = json_object_new_array(), *prot = json_object_new_array();
	for (size_t g = 0; g < app->ngroups; g++) {
		for (size_t i = 0; i < app->groups[g]->nroutes; i++) {
			const struct route *r = &app->groups[g]->routes[i];
			json_object *e = json_object_new_object();
			json_object_object_add(e, "method", json_object_new_string(r->method));
			json_object_object_add(e, "path", json_object_new_string(r->pattern));
			json_object_object_add(e, "summary", json_object_new_string(r->summary));
			if (r->req != ROUTE_PUBLIC) {
				char buf[128];
				json_object_object_add(e, "requires",
						       json_object_new_string(route_requirement_text(
							   r, ROUTE_TEXT_SHORT, buf, sizeof buf)));
			}
			json_object_array_add(r->req == ROUTE_PUBLIC ? pub : prot, e);
		}
	}
	json_object *endpoints = json_object_new_object();
	json_object_object_add(endpoints, "public", pub);
	json_object_object_add(endpoints, "protected", prot);
	json_object *auth0 = json_object_new_object();
	json_object_object_add(auth0, "domain", json_string_or_null(app->config.auth0_domain));
	json_object_object_add(auth0, "audience", json_object_new_string(app->config.audience));
	json_object_object_add(auth0, "clientId", json_string_or_null(app->config.client_id));
	json_object *body = json_object_new_object();
	json_object_object_add(body, "message", json_object_new_string("Auth0 Integration Example"));
	json_object_object_add(body, "endpoints", endpoints);
	json_object_object_add(body, "auth0", auth0);
	response_json(resp, 200, body);
}

#define SCOPE_MAX_LEN 1024
#define OFFLINE_ACCESS "offline_access"

/* The scope a token request gets: of the words asked for, those the user
 * holds, and offline_access (a refresh token); each once, in the order
 * asked. Caller frees. */
static char *granted_scope(const char *asked, const char *user_scope)
{
	struct sbuf b = {0};
	sbuf_adds(&b, "");
	const char *s;
	size_t n;
	for (const char *c = asked; list_next(&c, " ", &s, &n);)
		if (words_has(user_scope, s, n) ||
		    (n == strlen(OFFLINE_ACCESS) && memcmp(s, OFFLINE_ACCESS, n) == 0))
			words_add(&b, s, n);
	return b.p;
}

/* Token answers are never cached (RFC 6749 section 5.1), errors included. */
static void no_store(struct response *resp)
{
	response_header(resp, "Cache-Control", "no-store");
	response_header(resp, "Pragma", "no-cache");
}

/* 200 with a signed access token for u (with scope when not NULL, the
 * user's own otherwise) and the refresh token when there is one; amr
 * (RFC 8176) says how the user logged in: "pwd", and "otp" when otp. */
static void token_answer(const struct app *app, struct response *resp, const struct user *u,
			 const char *scope, const char *refresh_token, int otp)
{
	/* The key that signs at iat: a rotation in the shared store switches it. */
	time_t now = app->now();
	app->source->keys_tick(app, now);
	json_object *claims =
	    issuer_access_claims(app->config.issuer, app->config.audience, u, now, app->config.token_ttl);
	json_object *amr = json_object_new_array();
	json_object_array_add(amr, json_object_new_string("pwd"));
	if (otp)
		json_object_array_add(amr, json_object_new_string("otp"));
	json_object_object_add(claims, "amr", amr);
	if (scope)
		json_object_object_add(claims, "scope", json_object_new_string(scope));
	char *token = issuer_sign(&app->issuer, claims);
	json_object_put(claims);
	if (!token) {
		log_msg("signing a token failed");
		response_error(resp, 500, "Internal error", "The token could not be signed");
		return;
	}
	json_object *user = user_json(u, USER_JSON_SUB);
	json_object *body = json_object_new_object();
	json_object_object_add(body, "access_token", json_object_new_string(token));
	json_object_object_add(body, "token_type", json_object_new_string("Bearer"));
	json_object_object_add(body, "expires_in", json_object_new_int64(app->config.token_ttl));
	if (refresh_token)
		json_object_object_add(body, "refresh_token", json_object_new_string(refresh_token));
	if (scope)
		json_object_object_add(body, "scope", json_object_new_string(scope));
	json_object_object_add(body, "user", user);
	response_json(resp, 200, body);
	secure_free(token, strlen(token));
}

static struct ratelimit login_limits(const struct app *app)
{
	const struct config *c = &app->config;
	return (struct ratelimit){c->login_email_limit, c->login_addr_limit, c->login_window};
}

/* 429 while the email or the address has too many recent failures. */
static enum http_flow rate_limited(const struct request *req, struct response *resp, const char *email)
{
	const struct app *app = req->app;
	struct ratelimit rl = login_limits(app);
	long wait;
	const char *which;
	int rc = ratelimit_check(app->db, &rl, email, req->remote_addr, app->now(), &wait, &which);
	if (rc == RATELIMIT_ERROR)
		log_msg("cannot read the failed logins; this login is not rate limited");
	if (rc != RATELIMIT_BLOCKED)
		return HTTP_GO_ON;
	char secs[24];
	snprintf(secs, sizeof secs, "%ld", wait);
	audit_event(req, "login_rate_limited", "email", email, "limit", which, "retry_after", secs, NULL);
	char *msg = ck_asprintf("Too many failed logins; try again in %ld seconds", wait);
	response_error(resp, 429, "Too many attempts", msg);
	response_header(resp, "Retry-After", "%ld", wait);
	free(msg);
	return HTTP_ANSWERED;
}

/* Auth0 mode: the tenant's password-realm grant, when AUTH0_LOGIN_REALM is
 * set, under the same local limits as a local login: the tenant's own
 * limits are per tenant, and a guessing client would spend them for all. */
static void login_at_tenant(const struct request *req, const char *email, const char *password,
			    struct response *resp)
{
	const struct app *app = req->app;
	if (rate_limited(req, resp, email) == HTTP_ANSWERED)
		return;
	struct auth0_result r;
	auth0_password_grant(&app->config, &app->fetch, email, password, &r);
	if (r.status == AUTH0_OK) {
		if (ratelimit_success(app->db, email) != RATELIMIT_OK)
			log_msg("cannot reset the failed logins of a user who logged in");
		response_json(resp, 200, json_object_get(r.body));
	} else {
		struct ratelimit rl = login_limits(app);
		if (r.status == AUTH0_DENIED &&
		    ratelimit_fail(app->db, &rl, email, req->remote_addr, app->now()) != RATELIMIT_OK)
			log_msg("cannot record a failed login");
		auth0_error_response(&r, resp);
	}
	auth0_result_free(&r);
}

/* Auth0 mode: tokens (and refresh tokens) come from the tenant.
 * HTTP_ANSWERED with a 404 in resp when this route is the local issuer's only. */
static enum http_flow tenant_only(const struct app *app, struct response *resp, int proxied)
{
	if (app->source->issues_tokens || (proxied && app->config.login_realm))
		return HTTP_GO_ON;
	char *msg = ck_asprintf("Tokens come from the Auth0 tenant https://%s/ (this suite verifies them)",
				app->config.auth0_domain);
	response_error(resp, 404, "Not found", msg);
	free(msg);
	return HTTP_ANSWERED;
}

static void login_tokens(struct request *req, struct response *resp, const struct user *u, const char *asked,
			 int otp);
static void mfa_required(struct request *req, struct response *resp, const struct user *u, const char *asked);

static void login(struct request *req, struct response *resp)
{
	const struct app *app = req->app;
	no_store(resp);
	if (tenant_only(app, resp, 1) == HTTP_ANSWERED)
		return;
	const char *email = field_str(req, "email"), *password = field_str(req, "password");
	const char *asked = field_str(req, "scope");
	if (!app->source->issues_tokens) {
		login_at_tenant(req, email, password, resp);
		return;
	}
	if (rate_limited(req, resp, email) == HTTP_ANSWERED)
		return;
	struct user u;
	int rc = userdb_find_by_email(app->db, email, &u);
	if (rc == USERDB_ERROR) {
		response_error(resp, 503, "Service unavailable", "The user store cannot be read");
		return;
	}
	/* Unknown users pay for a hash and a recorded failure too, so timing
	 * tells nothing. */
	int ok = password_verify(password, rc == USERDB_OK ? u.password_hash : NULL);
	if (!ok) {
		struct ratelimit rl = login_limits(app);
		if (ratelimit_fail(app->db, &rl, email, req->remote_addr, app->now()) != RATELIMIT_OK)
			log_msg("cannot record a failed login");
		audit_event(req, "login_failure", "sub", rc == USERDB_OK ? u.sub : NULL, "email", email,
			    "reason", rc == USERDB_OK ? "wrong password" : "unknown email", NULL);
		if (rc == USERDB_OK)
			user_free(&u);
		guard_challenge(req, resp, NULL, NULL);
		response_error(resp, 401, "Invalid credentials", "Authentication failed");
		return;
	}
	if (ratelimit_success(app->db, email) != RATELIMIT_OK)
		log_msg("cannot reset the failed logins of a user who logged in");
	enum mfa_state mfa;
	if (mfastore_state(app->db, u.sub, &mfa, NULL) != MFA_OK)
		response_error(resp, 503, "Service unavailable", "The second factor cannot be read");
	else if (mfa == MFA_STATE_ON)
		mfa_required(req, resp, &u, asked);
	else
		login_tokens(req, resp, &u, asked, 0);
	user_free(&u);
}

/* The tokens of a login that passed (its second factor too when otp):
 * the access token, and a refresh token when scope asks offline_access;
 * a refresh family of a second-factor login is marked so. */
static void login_tokens(struct request *req, struct response *resp, const struct user *u, const char *asked,
			 int otp)
{
	const struct app *app = req->app;
	char *scope = asked ? granted_scope(asked, u->scope) : NULL;
	char *refresh = NULL;
	struct refresh_grant g = {0};
	if (scope && words_has(scope, OFFLINE_ACCESS, strlen(OFFLINE_ACCESS)) &&
	    (refresh_issue(app->db, u->sub, scope, req->remote_addr, app->now(), app->config.refresh_ttl,
			   &refresh, &g) != REFRESH_OK ||
	     (otp && mfastore_mark(app->db, MFA_MARK_FAMILY, g.family, app->now(), app->config.refresh_ttl) !=
			 MFA_OK))) {
		response_error(resp, 503, "Service unavailable",
			       "The refresh token could not be stored; try again");
	} else {
		token_answer(app, resp, u, scope, refresh, otp);
		if (resp->status == 200)
			audit_event(req, "login_success", "sub", u->sub, "email", u->email, "scope", scope,
				    "family", refresh ? g.family : NULL, "amr", otp ? "pwd otp" : "pwd",
				    NULL);
	}
	refresh_grant_free(&g);
	refresh_token_free(refresh);
	free(scope);
}

/* The password was right and the user has a second factor: as Auth0's
 * token endpoint, 403 mfa_required with a short-lived mfa_token that
 * POST /auth/login/mfa takes with a code. */
static void mfa_required(struct request *req, struct response *resp, const struct user *u, const char *asked)
{
	const struct app *app = req->app;
	char *ticket;
	if (mfastore_ticket_new(app->db, u->sub, asked, app->now(), &ticket) != MFA_OK) {
		response_error(resp, 503, "Service unavailable", "The login could not be stored; try again");
		return;
	}
	audit_event(req, "mfa_required", "sub", u->sub, "email", u->email, NULL);
	json_object *body = response_error(resp, 403, "mfa_required",
					   "Multifactor authentication required: POST /auth/login/mfa with "
					   "mfa_token and otp (or recovery_code)");
	json_object_object_add(body, "mfa_token", json_object_new_string(ticket));
	json_object_object_add(body, "expires_in", json_object_new_int(MFA_TICKET_TTL));
	secure_free(ticket, strlen(ticket));
}

static void login_mfa(struct request *req, struct response *resp)
{
	const struct app *app = req->app;
	no_store(resp);
	if (tenant_only(app, resp, 0) == HTTP_ANSWERED)
		return;
	const char *ticket = field_str(req, "mfa_token"), *code = field_str(req, "otp");
	if (!code)
		code = field_str(req, "recovery_code");
	if (!code) {
		response_error(resp, 400, "Invalid request", "Give otp (the current code) or recovery_code");
		return;
	}
	char *sub, *scope;
	enum mfa_status st = mfastore_ticket_get(app->db, ticket, app->now(), &sub, &scope);
	struct user u;
	int rc = st == MFA_OK ? userdb_find_by_sub(app->db, sub, &u) : USERDB_NOT_FOUND;
	if (st == MFA_ERROR || rc == USERDB_ERROR) {
		response_error(resp, 503, "Service unavailable", "The login cannot be read; try again");
	} else if (st != MFA_OK || rc != USERDB_OK) {
		audit_event(req, "mfa_failure", "sub", sub, "reason", mfastore_strerror(MFA_NO_TICKET), NULL);
		response_error(resp, 401, "Invalid mfa_token",
			       "The mfa_token is unknown, used or expired; log in again");
	} else {
		int recovery;
		if (mfa_code_check(req, resp, &u, code, &recovery) == HTTP_GO_ON) {
			enum mfa_status del = mfastore_ticket_del(app->db, ticket);
			if (del == MFA_NO_TICKET)
				response_error(resp, 401, "Invalid mfa_token",
					       "The mfa_token is unknown, used or expired; log in again");
			else if (del != MFA_OK)
				response_error(resp, 503, "Service unavailable",
					       "The login could not be stored");
			else
				login_tokens(req, resp, &u, scope, 1);
		} else if (resp->status == 401 && mfastore_ticket_fail(app->db, ticket) != MFA_OK) {
			log_msg("cannot count a wrong code on a login ticket");
		}
		user_free(&u);
	}
	free(sub);
	free(scope);
}

static void refresh_refused(const struct request *req, struct response *resp, enum refresh_status st,
			    const struct refresh_grant *g)
{
	static const char *const why[] = {
	    [REFRESH_UNKNOWN] = "The refresh token is not valid",
	    [REFRESH_EXPIRED] = "The refresh token expired; log in again",
	    [REFRESH_REVOKED] = "The refresh token was revoked; log in again",
	    [REFRESH_REUSED] = "The refresh token was already used; every token of its login is now revoked",
	    [REFRESH_WRONG_CLIENT] =
		"The refresh token belongs to an OAuth client: refresh it at /oauth/token",
	};
	audit_event(req, st == REFRESH_REUSED ? "refresh_reuse_detected" : "refresh_failure", "sub", g->sub,
		    "family", g->sub ? g->family : NULL, "reason", refresh_strerror(st), NULL);
	guard_challenge(req, resp, NULL, NULL);
	response_error(resp, 401, "Invalid refresh token", why[st]);
}

static void refresh_post(struct request *req, struct response *resp)
{
	const struct app *app = req->app;
	const char *old = field_str(req, "refresh_token");
	no_store(resp);
	if (tenant_only(app, resp, 0) == HTTP_ANSWERED)
		return;
	struct refresh_grant g;
	char *next = NULL;
	enum refresh_status st =
	    refresh_rotate_client(app->db, old, NULL, req->remote_addr, app->now(), &next, &g);
	struct user u;
	int rc = USERDB_ERROR;
	if (st == REFRESH_OK && (rc = userdb_find_by_sub(app->db, g.sub, &u)) == USERDB_NOT_FOUND) {
		/* The user is gone: so is every token of theirs. */
		refresh_revoke_family(app->db, g.family);
		st = REFRESH_REVOKED;
	}
	if (st == REFRESH_ERROR || (st == REFRESH_OK && rc != USERDB_OK)) {
		response_error(resp, 503, "Service unavailable", "The token store cannot be used; try again");
	} else if (st != REFRESH_OK) {
		refresh_refused(req, resp, st, &g);
	} else {
		/* The user's permissions and scope as they are now. */
		char *scope = granted_scope(g.scope, u.scope);
		/* A login with a second factor stays one through its refreshes. */
		int otp = mfastore_marked(app->db, MFA_MARK_FAMILY, g.family, app->now()) == 1;
		token_answer(app, resp, &u, scope, next, otp);
		if (resp->status == 200)
			audit_event(req, "refresh", "sub", u.sub, "email", u.email, "family", g.family, NULL);
		free(scope);
		user_free(&u);
	}
	refresh_token_free(next);
	refresh_grant_free(&g);
}

static void logout_post(struct request *req, struct response *resp)
{
	const struct app *app = req->app;
	const char *token = field_str(req, "refresh_token");
	no_store(resp);
	struct refresh_grant g;
	enum refresh_status st = refresh_revoke(app->db, token, &g);
	if (st == REFRESH_ERROR) {
		response_error(resp, 503, "Service unavailable", "The token store cannot be used; try again");
	} else {
		/* As RFC 7009: an unknown token is no error; there is nothing to end. */
		audit_event(req, "logout", "sub", g.sub, "family", st == REFRESH_OK ? g.family : NULL,
			    "reason", st == REFRESH_OK ? NULL : refresh_strerror(st), NULL);
		json_object *body = json_object_new_object();
		json_object_object_add(body, "message", json_object_new_string("Logged out"));
		response_json(resp, 200, body);
	}
	refresh_grant_free(&g);
}

static const struct field index_route[] = {
    {.name = "method", .type = FIELD_STRING, .flags = FIELD_REQUIRED},
    {.name = "path", .type = FIELD_STRING, .flags = FIELD_REQUIRED},
    {.name = "summary", .type = FIELD_STRING, .flags = FIELD_REQUIRED},
    {.name = "requires", .type = FIELD_STRING, .description = "What a caller needs (protected routes)"},
};
static const struct field_list index_route_list = FIELD_LIST(index_route);
static const struct field index_endpoints[] = {
    {.name = "public", .type = FIELD_ARRAY, .flags = FIELD_REQUIRED, .sub = &index_route_list},
    {.name = "protected", .type = FIELD_ARRAY, .flags = FIELD_REQUIRED, .sub = &index_route_list},
};
static const struct field_list index_endpoints_list = FIELD_LIST(index_endpoints);
static const struct field index_auth0[] = {
    {.name = "domain", .type = FIELD_STRING, .flags = FIELD_REQUIRED | FIELD_NULLABLE},
    {.name = "audience", .type = FIELD_STRING, .flags = FIELD_REQUIRED},
    {.name = "clientId", .type = FIELD_STRING, .flags = FIELD_REQUIRED | FIELD_NULLABLE},
};
static const struct field_list index_auth0_list = FIELD_LIST(index_auth0);
static const struct field index_out[] = {
    {.name = "message", .type = FIELD_STRING, .flags = FIELD_REQUIRED},
    {.name = "endpoints", .type = FIELD_OBJECT, .flags = FIELD_REQUIRED, .sub = &index_endpoints_list},
    {.name = "auth0", .type = FIELD_OBJECT, .flags = FIELD_REQUIRED, .sub = &index_auth0_list},
};
static const struct route_fields index_fields = {.out = FIELD_LIST(index_out)};

static const struct field login_in[] = {
    {.name = "email",
     .type = FIELD_STRING,
     .flags = FIELD_REQUIRED,
     .min = 1,
     .max = FIELD_MAX_LEN,
     .description = "The user's email"},
    {.name = "password",
     .type = FIELD_STRING,
     .flags = FIELD_REQUIRED,
     .min = 1,
     .max = PASSWORD_MAX_LEN,
     .description = "The user's password"},
    {.name = "scope",
     .type = FIELD_STRING,
     .max = SCOPE_MAX_LEN,
     .format = FORMAT_SCOPE,
     .description = "Optional: space-separated scopes; offline_access adds a refresh token"},
};
/* The token answer (token_answer): the local issuer's, which the tenant's
 * (Auth0 mode, AUTH0_LOGIN_REALM) shares but for user and its own extras. */
static const struct field token_user[] = {
    {.name = "sub", .type = FIELD_STRING, .flags = FIELD_REQUIRED, .description = "The user's id"},
    {.name = "email", .type = FIELD_STRING, .flags = FIELD_REQUIRED | FIELD_NULLABLE},
    {.name = "name", .type = FIELD_STRING, .flags = FIELD_REQUIRED | FIELD_NULLABLE},
};
static const struct field_list token_user_list = FIELD_LIST(token_user);
static const struct field token_out[] = {
    {.name = "access_token",
     .type = FIELD_STRING,
     .flags = FIELD_REQUIRED,
     .description = "The access token (a JWT): Authorization: Bearer <access_token>"},
    {.name = "token_type", .type = FIELD_STRING, .flags = FIELD_REQUIRED, .description = "Bearer"},
    {.name = "expires_in",
     .type = FIELD_INTEGER,
     .flags = FIELD_REQUIRED,
     .description = "Seconds the access token is valid for"},
    {.name = "refresh_token",
     .type = FIELD_STRING,
     .description = "With the scope offline_access: single use, for POST /auth/refresh"},
    {.name = "scope", .type = FIELD_STRING, .description = "The scope granted, when one was asked for"},
    {.name = "user",
     .type = FIELD_OBJECT,
     .sub = &token_user_list,
     .description = "The user the token is for (local issuer)"},
};
static const struct route_fields login_fields = {
    .in = FIELD_LIST(login_in), .out = FIELD_LIST(token_out), .flags = FIELDS_OUT_OPEN};

static const struct field login_mfa_in[] = {
    {.name = "mfa_token",
     .type = FIELD_STRING,
     .flags = FIELD_REQUIRED,
     .min = 1,
     .max = 64,
     .description = "The mfa_token of the login's 403 mfa_required answer"},
    {.name = "otp", .type = FIELD_STRING, .min = 1, .max = MFA_CODE_MAX, .description = "The current code"},
    {.name = "recovery_code",
     .type = FIELD_STRING,
     .min = 1,
     .max = MFA_CODE_MAX,
     .description = "Or an unused recovery code"},
};
/* The local issuer's token answer: a tenant never answers this step. */
static const struct route_fields login_mfa_fields = {.in = FIELD_LIST(login_mfa_in),
						     .out = FIELD_LIST(token_out)};

static const struct field refresh_in[] = {
    {.name = "refresh_token",
     .type = FIELD_STRING,
     .flags = FIELD_REQUIRED,
     .min = 1,
     .max = FIELD_MAX_LEN,
     .description = "The refresh token of a login with offline_access"},
};
static const struct route_fields refresh_fields = {.in = FIELD_LIST(refresh_in),
						   .out = FIELD_LIST(token_out)};

static const struct field logout_out[] = {
    {.name = "message", .type = FIELD_STRING, .flags = FIELD_REQUIRED},
};
static const struct route_fields logout_fields = {.in = FIELD_LIST(refresh_in),
						  .out = FIELD_LIST(logout_out)};

#define ROUTE ROUTE_ROW
static const struct route auth_routes[] = {
#include "auth_routes.h"
};
#undef ROUTE

const struct route_group auth_group = {"auth", ROUTE_TABLE(auth_routes), AUTH_GROUP_FLAGS};
