/* POST /auth/password and the /account page. A password change checks
 * the current password under the login rate limits, the new one under
 * the password rules (lib/auth/pwrules.h), and then userdb_set_password
 * ends everything signed in with the old one: refresh tokens, OAuth
 * grants, browser sessions. */
#include "account.h"
#include "audit.h"
#include "guard.h"
#include "oauth.h"
#include "page.h"
#include "password.h"
#include "pwrules.h"
#include "ratelimit.h"
#include "sessions.h"
#include "signin.h"
#include "userdb.h"
#include "util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* --- the change, for the JSON route and the page ------------------------ */

struct change_result {
	int status; /* 200 when changed */
	const char *error, *message;
	long retry_after; /* 429 */
	char buf[96];
};

static void result(struct change_result *r, int status, const char *error, const char *message)
{
	r->status = status;
	r->error = error;
	r->message = message;
}

static void change_password(struct request *req, const char *sub, const char *old, const char *fresh,
			    struct change_result *r)
{
	const struct app *app = req->app;
	memset(r, 0, sizeof *r);
	struct user u;
	int rc = userdb_find_by_sub(app->db, sub, &u);
	if (rc != USERDB_OK) {
		result(r, rc == USERDB_NOT_FOUND ? 404 : 503,
		       rc == USERDB_NOT_FOUND ? "User not found" : "Service unavailable",
		       rc == USERDB_NOT_FOUND ? "The token's subject has no stored account"
					      : "The user store cannot be read; try again");
		return;
	}
	const struct config *c = &app->config;
	struct ratelimit rl = {c->login_email_limit, c->login_addr_limit, c->login_window};
	long wait;
	const char *which;
	if (ratelimit_check(app->db, &rl, u.email, req->remote_addr, app->now(), &wait, &which) ==
	    RATELIMIT_BLOCKED) {
		char secs[24];
		snprintf(secs, sizeof secs, "%ld", wait);
		audit_event(req, "login_rate_limited", "email", u.email, "limit", which, "retry_after", secs,
			    "reason", "password change", NULL);
		r->status = 429;
		r->error = "Too many attempts";
		r->retry_after = wait;
		snprintf(r->buf, sizeof r->buf, "Too many failed attempts; try again in %ld seconds", wait);
		r->message = r->buf;
		goto done;
	}
	if (!old || !password_verify(old, u.password_hash)) {
		if (ratelimit_fail(app->db, &rl, u.email, req->remote_addr, app->now()) != RATELIMIT_OK)
			log_msg("cannot record a failed password check");
		audit_event(req, "password_change_failure", "sub", u.sub, "reason", "wrong password", NULL);
		result(r, 403, "Invalid credentials", "The current password is wrong");
		goto done;
	}
	if (ratelimit_success(app->db, u.email) != RATELIMIT_OK)
		log_msg("cannot reset the failed logins of a user who gave the right password");
	const char *weak = password_rule_violation(fresh, u.email);
	if (weak) {
		audit_event(req, "password_change_failure", "sub", u.sub, "reason", "weak password", NULL);
		result(r, 400, "Weak password", weak);
		goto done;
	}
	char *hash = password_hash(fresh);
	rc = hash ? userdb_set_password(app->db, u.sub, hash) : USERDB_ERROR;
	if (hash)
		secure_free(hash, strlen(hash));
	if (rc != USERDB_OK) {
		result(r, 503, "Service unavailable", "The password could not be stored; try again");
		goto done;
	}
	audit_event(req, "password_changed", "sub", u.sub, "email", u.email, NULL);
	result(r, 200, NULL,
	       "Password changed; every refresh token, OAuth grant and browser session of the "
	       "account was ended: sign in again with the new password");
done:
	user_free(&u);
}

void password_post(struct request *req, struct response *resp)
{
	response_header(resp, "Cache-Control", "no-store");
	if (!req->app->source->issues_tokens) {
		response_error(resp, 404, "Not found", "Passwords are the Auth0 tenant's to change");
		return;
	}
	struct change_result r;
	change_password(req, req->principal->sub, field_str(req, "old_password"),
			field_str(req, "new_password"), &r);
	if (r.status != 200) {
		response_error(resp, r.status, r.error, r.message);
		if (r.retry_after)
			response_header(resp, "Retry-After", "%ld", r.retry_after);
		return;
	}
	json_object *body = json_object_new_object();
	json_object_object_add(body, "message", json_object_new_string(r.message));
	json_object_object_add(body, "revoked", json_object_new_boolean(1));
	response_json(resp, 200, body);
}

static const struct field password_in[] = {
    {.name = "old_password",
     .type = FIELD_STRING,
     .flags = FIELD_REQUIRED,
     .min = 1,
     .max = PASSWORD_MAX_LEN,
     .description = "The current password"},
    {.name = "new_password",
     .type = FIELD_STRING,
     .flags = FIELD_REQUIRED,
     .min = 1,
     .max = PASSWORD_MAX_LEN,
     .description = "The new password (the password rules apply)"},
};
static const struct field password_out[] = {
    {.name = "message", .type = FIELD_STRING, .flags = FIELD_REQUIRED},
    {.name = "revoked",
     .type = FIELD_BOOLEAN,
     .flags = FIELD_REQUIRED,
     .description = "Every refresh token, OAuth grant and browser session of the user was ended"},
};
const struct route_fields password_fields = {.in = FIELD_LIST(password_in), .out = FIELD_LIST(password_out)};

/* --- the page ----------------------------------------------------------- */

static void signin_page(struct response *resp, int status, const char *csrf, const char *email,
			const char *text)
{
	struct sbuf b = {0};
	page_begin(&b, "Your account");
	sbuf_adds(&b, "<p>Sign in to see where you are signed in and to change your password.</p>\n");
	page_alert(&b, "alert", text);
	sbuf_adds(&b, "<form method=\"post\" action=\"/account/login\">\n");
	page_csrf_field(&b, csrf);
	sbuf_adds(&b, "<label for=\"email\">Email</label>\n<input id=\"email\" name=\"email\" type=\"email\" "
		      "autocomplete=\"username\" required value=\"");
	page_escape(&b, email ? email : "");
	sbuf_adds(&b,
		  "\">\n<label for=\"password\">Password</label>\n<input id=\"password\" name=\"password\" "
		  "type=\"password\" autocomplete=\"current-password\" required>\n"
		  "<button type=\"submit\">Sign in</button>\n</form>\n"
		  "<p><a href=\"/account/reset\">Forgot your password?</a> &middot; "
		  "<a href=\"/account/signup\">Create an account</a></p>\n");
	page_end(resp, status, &b, NULL);
}

static void when(struct sbuf *b, long long t)
{
	char buf[32];
	time_t tt = (time_t)t;
	struct tm tm;
	gmtime_r(&tt, &tm);
	strftime(buf, sizeof buf, "%Y-%m-%d %H:%M UTC", &tm);
	sbuf_adds(b, buf);
}

struct rows {
	struct sbuf *b;
	const char *csrf;
	size_t n;
};

static void session_row(const struct account_session *s, void *arg)
{
	struct rows *r = arg;
	struct sbuf *b = r->b;
	r->n++;
	sbuf_adds(b, "<li><strong>");
	if (s->kind == SESSION_GRANT) {
		sbuf_adds(b, "Application allowed: </strong><code>");
		page_escape(b, s->client_id);
		sbuf_adds(b, "</code>");
	} else if (s->client_id) {
		sbuf_adds(b, "Application sign-in: </strong><code>");
		page_escape(b, s->client_id);
		sbuf_adds(b, "</code>");
	} else {
		sbuf_adds(b, "API login (refresh token)</strong>");
	}
	sbuf_adds(b, "<br>Since ");
	when(b, s->created_at);
	sbuf_adds(b, ", last used ");
	when(b, s->last_used_at);
	if (s->last_addr) {
		sbuf_adds(b, " from ");
		page_escape(b, s->last_addr);
	}
	sbuf_adds(b, "\n<form method=\"post\" action=\"/account/sessions/end\">\n");
	page_csrf_field(b, r->csrf);
	sbuf_adds(b, "<input type=\"hidden\" name=\"id\" value=\"");
	page_escape(b, s->id);
	sbuf_adds(b, "\">\n<button type=\"submit\">End this session</button>\n</form></li>\n");
}

/* The signed-in page: notice (role status) or error (role alert) on top. */
static void account_page(struct request *req, struct response *resp, int status, const struct flow_session *s,
			 const char *notice, const char *error)
{
	const struct app *app = req->app;
	struct user u;
	int rc = userdb_find_by_sub(app->db, s->sub, &u);
	if (rc != USERDB_OK) {
		page_error(resp, rc == USERDB_ERROR ? 503 : 403, "Your account",
			   rc == USERDB_ERROR ? "The user store cannot be read; try again"
					      : "This account no longer exists");
		return;
	}
	struct sbuf b = {0};
	page_begin(&b, "Your account");
	sbuf_adds(&b, "<p>Signed in as <strong>");
	page_escape(&b, u.email);
	sbuf_adds(&b, "</strong>.</p>\n");
	page_alert(&b, "status", notice);
	page_alert(&b, "alert", error);
	sbuf_adds(&b, "<h2>Sessions</h2>\n<ul>\n");
	struct rows r = {&b, s->csrf, 0};
	int st = sessions_each(app->db, u.sub, app->now(), session_row, &r);
	sbuf_adds(&b, "</ul>\n");
	if (st != SESSIONS_OK)
		page_alert(&b, "alert", "The sessions cannot be read now; try again");
	else if (!r.n)
		sbuf_adds(&b, "<p>No application or API login holds a token of yours.</p>\n");
	sbuf_adds(&b, "<h2>Change your password</h2>\n<form method=\"post\" action=\"/account/password\">\n");
	page_csrf_field(&b, s->csrf);
	sbuf_adds(&b, "<input type=\"hidden\" name=\"username\" autocomplete=\"username\" value=\"");
	page_escape(&b, u.email);
	sbuf_adds(&b, "\">\n<label for=\"old_password\">Current password</label>\n"
		      "<input id=\"old_password\" name=\"old_password\" type=\"password\" "
		      "autocomplete=\"current-password\" required>\n"
		      "<label for=\"new_password\">New password</label>\n"
		      "<input id=\"new_password\" name=\"new_password\" type=\"password\" "
		      "autocomplete=\"new-password\" required minlength=\"");
	char min[24];
	snprintf(min, sizeof min, "%ld", app->config.password_min);
	sbuf_adds(&b, min);
	sbuf_adds(&b, "\" aria-describedby=\"rules\">\n<p id=\"rules\">At least ");
	sbuf_adds(&b, min);
	sbuf_adds(&b, " characters, not a common password, not your email address. Every session above ends "
		      "with the change.</p>\n<button type=\"submit\">Change password</button>\n</form>\n"
		      "<h2>Two-factor sign-in</h2>\n<p><a href=\"/account/mfa\">Set up or manage two-factor "
		      "sign-in</a></p>\n");
	page_end(resp, status, &b, NULL);
	user_free(&u);
}

void account_get(struct request *req, struct response *resp)
{
	const struct app *app = req->app;
	if (oauth_tenant_only(app, resp) == HTTP_ANSWERED)
		return;
	struct flow_session s = {0};
	char *cookie = form_cookie(req->cookie, SIGNIN_COOKIE);
	int st = cookie ? flowstore_session_get(app->db, cookie, app->now(), &s) : FLOW_NOT_FOUND;
	if (st == FLOW_NOT_FOUND) {
		if (cookie)
			secure_free(cookie, strlen(cookie));
		st = flowstore_session_new(app->db, NULL, app->now(), &cookie, &s);
		if (st == FLOW_OK)
			signin_set_cookie(req, resp, cookie);
	}
	if (st != FLOW_OK)
		page_error(resp, 503, "Service unavailable", "The sign-in could not be stored; try again");
	else if (s.sub)
		account_page(req, resp, 200, &s, NULL, NULL);
	else
		signin_page(resp, 200, s.csrf, NULL, NULL);
	if (cookie)
		secure_free(cookie, strlen(cookie));
	flow_session_free(&s);
}

static void see_account(struct response *resp)
{
	response_json(resp, 303, NULL);
	response_header(resp, "Location", "/account");
	response_header(resp, "Cache-Control", "no-store");
}

void account_login_post(struct request *req, struct response *resp)
{
	struct form f;
	struct flow_session s;
	char *cookie;
	if (oauth_tenant_only(req->app, resp) == HTTP_ANSWERED)
		return;
	if (signin_form_session(req, resp, &f, &cookie, &s) == HTTP_GO_ON) {
		const char *email = form_get(&f, "email");
		struct flow_session in;
		struct signin_result res;
		signin_password(req, resp, cookie, email, form_get(&f, "password"), NULL, &in, &res);
		if (res.status == 0) {
			see_account(resp);
		} else {
			signin_page(resp, res.status, s.csrf,
				    email && strlen(email) <= SIGNIN_EMAIL_MAX ? email : NULL, res.alert);
			if (res.retry_after)
				response_header(resp, "Retry-After", "%ld", res.retry_after);
		}
		flow_session_free(&in);
	}
	if (cookie)
		secure_free(cookie, strlen(cookie));
	flow_session_free(&s);
	form_free(&f);
}

/* A signed-in page's form: HTTP_GO_ON with the session, or the error page. */
static enum http_flow signed_in_form(struct request *req, struct response *resp, struct form *f,
				     char **cookie, struct flow_session *s)
{
	if (oauth_tenant_only(req->app, resp) == HTTP_ANSWERED) {
		memset(f, 0, sizeof *f);
		memset(s, 0, sizeof *s);
		*cookie = NULL;
		return HTTP_ANSWERED;
	}
	if (signin_form_session(req, resp, f, cookie, s) == HTTP_ANSWERED)
		return HTTP_ANSWERED;
	if (!s->sub) {
		page_error(resp, 403, "Forbidden", "Sign in first, at /account");
		return HTTP_ANSWERED;
	}
	return HTTP_GO_ON;
}

void account_password_post(struct request *req, struct response *resp)
{
	const struct app *app = req->app;
	struct form f;
	struct flow_session s;
	char *cookie;
	if (signed_in_form(req, resp, &f, &cookie, &s) == HTTP_GO_ON) {
		struct change_result r;
		change_password(req, s.sub, form_get(&f, "old_password"), form_get(&f, "new_password"), &r);
		if (r.status != 200) {
			account_page(req, resp, r.status, &s, NULL, r.message);
			if (r.retry_after)
				response_header(resp, "Retry-After", "%ld", r.retry_after);
		} else {
			/* The change ended this browser's session too: the one
			 * who just gave both passwords gets a new one. */
			char *fresh;
			struct flow_session in;
			if (flowstore_session_new(app->db, s.sub, app->now(), &fresh, &in) != FLOW_OK) {
				page_error(
				    resp, 503, "Service unavailable",
				    "The password was changed, but the new sign-in could not be stored; "
				    "sign in again");
			} else {
				signin_set_cookie(req, resp, fresh);
				account_page(
				    req, resp, 200, &in,
				    "Password changed. Every other session of your account was ended.", NULL);
				secure_free(fresh, strlen(fresh));
				flow_session_free(&in);
			}
		}
	}
	if (cookie)
		secure_free(cookie, strlen(cookie));
	flow_session_free(&s);
	form_free(&f);
}

void account_session_end_post(struct request *req, struct response *resp)
{
	const struct app *app = req->app;
	struct form f;
	struct flow_session s;
	char *cookie;
	if (signed_in_form(req, resp, &f, &cookie, &s) == HTTP_GO_ON) {
		const char *id = form_get(&f, "id");
		enum session_kind kind;
		char *client = NULL;
		int st = sessions_end(app->db, s.sub, id, &kind, &client);
		if (st == SESSIONS_OK) {
			audit_event(req, "session_ended", "sub", s.sub, "session", id, "type",
				    kind == SESSION_GRANT ? "oauth_grant" : "refresh_token", "client_id",
				    client, NULL);
			account_page(req, resp, 200, &s, "Session ended.", NULL);
		} else {
			account_page(req, resp, st == SESSIONS_NOT_FOUND ? 404 : 503, &s, NULL,
				     st == SESSIONS_NOT_FOUND
					 ? "That session is not one of yours, or it already ended"
					 : "The session could not be ended; try again");
		}
		free(client);
	}
	if (cookie)
		secure_free(cookie, strlen(cookie));
	flow_session_free(&s);
	form_free(&f);
}
