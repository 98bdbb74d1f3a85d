#include "signin.h"
#include "audit.h"
#include "guard.h"
#include "page.h"
#include "password.h"
#include "ratelimit.h"
#include "userdb.h"
#include "util.h"

#include <openssl/crypto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void signin_set_cookie(const struct request *req, struct response *resp, const char *value)
{
	response_header(resp, "Set-Cookie", SIGNIN_COOKIE "=%s; Path=/; Max-Age=%d; HttpOnly; SameSite=Lax%s",
			value, FLOW_SESSION_TTL, req->https ? "; Secure" : "");
}

enum http_flow signin_form_session(struct request *req, struct response *resp, struct form *f, char **cookie,
				   struct flow_session *s)
{
	const struct app *app = req->app;
	*cookie = NULL;
	memset(s, 0, sizeof *s);
	memset(f, 0, sizeof *f);
	if (!form_content_type_ok(req->content_type)) {
		page_error(resp, 400, "Bad request",
			   "The form must be sent as application/x-www-form-urlencoded");
		return HTTP_ANSWERED;
	}
	enum form_status fs = form_parse(f, req->body_raw ? req->body_raw : "", req->body_len);
	if (fs != FORM_OK) {
		char *msg = ck_asprintf("The form is malformed: %s", form_strerror(fs));
		page_error(resp, 400, "Bad request", msg);
		free(msg);
		return HTTP_ANSWERED;
	}
	*cookie = form_cookie(req->cookie, SIGNIN_COOKIE);
	const char *csrf = form_get(f, "csrf_token");
	int st = *cookie ? flowstore_session_get(app->db, *cookie, app->now(), s) : FLOW_NOT_FOUND;
	if (st == FLOW_ERROR) {
		page_error(resp, 503, "Service unavailable", "The sign-in cannot be read; try again");
		return HTTP_ANSWERED;
	}
	/* The token is the session's: a page of another site cannot know it. */
	if (st != FLOW_OK || !csrf || strlen(csrf) != FLOW_ID_LEN ||
	    CRYPTO_memcmp(csrf, s->csrf, FLOW_ID_LEN) != 0) {
		audit_event(req, "csrf_refused", "reason",
			    st != FLOW_OK ? "no session"
			    : csrf	  ? "wrong token"
					  : "no token",
			    NULL);
		page_error(
		    resp, 403, "Forbidden",
		    "This form was not sent by this site's page (its CSRF token is missing or wrong, or "
		    "the sign-in session ended); start again");
		return HTTP_ANSWERED;
	}
	return HTTP_GO_ON;
}

static void result(struct signin_result *res, int status, const char *alert)
{
	res->status = status;
	res->alert = alert;
}

void signin_password(struct request *req, struct response *resp, const char *cookie, const char *email,
		     const char *password, const char *client_id, struct flow_session *in,
		     struct signin_result *res)
{
	const struct app *app = req->app;
	memset(in, 0, sizeof *in);
	memset(res, 0, sizeof *res);
	if (!email || !password || !*email || strlen(email) > SIGNIN_EMAIL_MAX ||
	    strlen(password) > PASSWORD_MAX_LEN) {
		result(res, 400, "Enter your email and password");
		return;
	}
	const struct config *c = &app->config;
	struct ratelimit rl = {c->login_email_limit, c->login_addr_limit, c->login_window};
	long wait;
	const char *which;
	if (ratelimit_check(app->db, &rl, email, req->remote_addr, app->now(), &wait, &which) ==
	    RATELIMIT_BLOCKED) {
		char secs[24];
		snprintf(secs, sizeof secs, "%ld", wait);
		audit_event(req, "login_rate_limited", "email", email, "limit", which, "retry_after", secs,
			    "client_id", client_id, NULL);
		snprintf(res->buf, sizeof res->buf, "Too many failed logins; try again in %ld seconds", wait);
		result(res, 429, res->buf);
		res->retry_after = wait;
		return;
	}
	struct user u;
	int rc = userdb_find_by_email(app->db, email, &u);
	if (rc == USERDB_ERROR) {
		result(res, 503, "The user store cannot be read; try again");
		return;
	}
	/* Unknown users pay for a hash and a recorded failure too. */
	if (!password_verify(password, rc == USERDB_OK ? u.password_hash : NULL)) {
		if (ratelimit_fail(app->db, &rl, email, req->remote_addr, app->now()) != RATELIMIT_OK)
			log_msg("cannot record a failed login");
		audit_event(req, "login_failure", "sub", rc == USERDB_OK ? u.sub : NULL, "email", email,
			    "reason", rc == USERDB_OK ? "wrong password" : "unknown email", "client_id",
			    client_id, NULL);
		if (rc == USERDB_OK)
			user_free(&u);
		result(res, 401, "Wrong email or password");
		return;
	}
	if (ratelimit_success(app->db, email) != RATELIMIT_OK)
		log_msg("cannot reset the failed logins of a user who logged in");
	/* A second factor, when the user has one, is asked here: after the
	 * password is right, before the session is marked signed in. */
	char *fresh;
	if (flowstore_session_login(app->db, cookie, u.sub, app->now(), &fresh, in) != FLOW_OK) {
		result(res, 503, "The sign-in could not be stored; try again");
	} else {
		audit_event(req, "login_success", "sub", u.sub, "email", u.email, "client_id", client_id,
			    NULL);
		signin_set_cookie(req, resp, fresh);
		secure_free(fresh, strlen(fresh));
	}
	user_free(&u);
}
