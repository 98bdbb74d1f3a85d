#include "signin.h"
#include "audit.h"
#include "guard.h"
#include "mfa.h"
#include "mfastore.h"
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

/* The browser's session replaced by a new one of u, its cookie set. */
static void session_login(struct request *req, struct response *resp, const char *cookie,
			  const struct user *u, const char *client_id, int otp, struct flow_session *in,
			  struct signin_result *res)
{
	const struct app *app = req->app;
	char *fresh;
	if (flowstore_session_login(app->db, cookie, u->sub, app->now(), &fresh, in) != FLOW_OK ||
	    (otp &&
	     mfastore_mark(app->db, MFA_MARK_SESSION, fresh, app->now(), FLOW_SESSION_TTL) != MFA_OK)) {
		result(res, 503, "The sign-in could not be stored; try again");
		return;
	}
	audit_event(req, "login_success", "sub", u->sub, "email", u->email, "client_id", client_id, NULL);
	signin_set_cookie(req, resp, fresh);
	secure_free(fresh, strlen(fresh));
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
	enum mfa_state mfa;
	char *ticket;
	if (mfastore_state(app->db, u.sub, &mfa, NULL) != MFA_OK) {
		result(res, 503, "The second factor cannot be read; try again");
	} else if (mfa != MFA_STATE_ON) {
		session_login(req, resp, cookie, &u, client_id, 0, in, res);
	} else if (mfastore_ticket_new(app->db, u.sub, NULL, app->now(), &ticket) != MFA_OK) {
		result(res, 503, "The sign-in could not be stored; try again");
	} else {
		audit_event(req, "mfa_required", "sub", u.sub, "email", u.email, "client_id", client_id,
			    NULL);
		snprintf(res->mfa_token, sizeof res->mfa_token, "%s", ticket);
		secure_free(ticket, strlen(ticket));
	}
	user_free(&u);
}

void signin_code(struct request *req, struct response *resp, const char *cookie, const char *mfa_token,
		 const char *code, const char *client_id, struct flow_session *in, struct signin_result *res)
{
	const struct app *app = req->app;
	memset(in, 0, sizeof *in);
	memset(res, 0, sizeof *res);
	char *sub, *scope;
	struct user u;
	enum mfa_status st = mfastore_ticket_get(app->db, mfa_token, app->now(), &sub, &scope);
	int rc = st == MFA_OK ? userdb_find_by_sub(app->db, sub, &u) : USERDB_NOT_FOUND;
	free(sub);
	free(scope);
	if (st == MFA_ERROR || rc == USERDB_ERROR) {
		result(res, 503, "The sign-in cannot be read; try again");
		return;
	}
	if (st != MFA_OK || rc != USERDB_OK) {
		result(res, 401, "This sign-in expired or had too many wrong codes; sign in again");
		return;
	}
	int recovery;
	struct mfa_refusal why;
	if (!code || !*code) {
		result(res, 400, "Enter the code from your authenticator app");
		snprintf(res->mfa_token, sizeof res->mfa_token, "%s", mfa_token);
	} else if (mfa_code_verify(req, &u, code, &recovery, &why) == HTTP_ANSWERED) {
		snprintf(res->buf, sizeof res->buf, "%s", why.message);
		result(res, why.status, res->buf);
		res->retry_after = why.retry_after;
		if (why.status == 401 && mfastore_ticket_fail(app->db, mfa_token) != MFA_OK)
			log_msg("cannot count a wrong code on a login ticket");
		snprintf(res->mfa_token, sizeof res->mfa_token, "%s", mfa_token);
	} else if ((st = mfastore_ticket_del(app->db, mfa_token)) != MFA_OK) {
		result(res, st == MFA_NO_TICKET ? 401 : 503,
		       st == MFA_NO_TICKET ? "This sign-in was already used; sign in again"
					   : "The sign-in could not be stored; try again");
	} else {
		session_login(req, resp, cookie, &u, client_id, 1, in, res);
	}
	user_free(&u);
}
