/* The browser sign-in the pages share (/authorize's login form, /account's):
 * the session cookie, a form post's CSRF check, and one function that
 * checks an email and password (rate limits, audit) and marks the browser's
 * session signed in. Served by the auth program. */
#ifndef MCPAUTH_SIGNIN_H
#define MCPAUTH_SIGNIN_H

#include "flowstore.h"
#include "form.h"
#include "http.h"

#define SIGNIN_COOKIE "mcpauth_session"
#define SIGNIN_EMAIL_MAX 256

/* Sets the browser's session cookie (HttpOnly, SameSite=Lax, Secure over
 * https) to value for FLOW_SESSION_TTL. */
void signin_set_cookie(const struct request *req, struct response *resp, const char *value);

/* A page's form post: parses it (application/x-www-form-urlencoded), finds
 * the browser's session and checks the form's csrf_token against it.
 * HTTP_GO_ON with *f, *cookie (secure_free it) and *s filled; otherwise
 * HTTP_ANSWERED with the error page (400, 403, 503) in resp. Whatever the
 * outcome, free f, cookie and s. */
enum http_flow signin_form_session(struct request *req, struct response *resp, struct form *f, char **cookie,
				   struct flow_session *s);

/* What signin_password decided when it did not sign the browser in. */
struct signin_result {
	int status;	   /* 0: signed in; else the status of the form shown again (400, 401, 429, 503) */
	const char *alert; /* its sentence, shown with role="alert" */
	long retry_after;  /* 429: seconds, for Retry-After */
	char buf[96];
	/* The password was right and the user has a second factor: status 0,
	 * not signed in; the code form carries this login ticket (43 base64url
	 * characters, MFA_TICKET_TTL seconds) to signin_code. "" otherwise. */
	char mfa_token[48];
};

/* Checks a sign-in form's email and password: the login rate limits
 * (MCPAUTH_LOGIN_*), an unknown email paying for a hash like a known one,
 * the audit events login_success, login_failure and login_rate_limited
 * (with client_id when the sign-in is for a client, NULL on the account
 * page). Right: the browser's session (cookie, may be NULL) is replaced by
 * a new one of the user (a session fixed before sign-in is worth nothing
 * after), its cookie set on resp, *in filled (flow_session_free it), and
 * res->status is 0. Otherwise res says what to show. */
void signin_password(struct request *req, struct response *resp, const char *cookie, const char *email,
		     const char *password, const char *client_id, struct flow_session *in,
		     struct signin_result *res);

/* The code form's post: the login ticket signin_password gave and a TOTP
 * or recovery code, under the same rate limits. Right: signed in as by
 * signin_password (res->status 0). A wrong code keeps res->mfa_token for the
 * form again (401); a ticket unknown, expired or out of tries clears it
 * (401: sign in again). */
void signin_code(struct request *req, struct response *resp, const char *cookie, const char *mfa_token,
		 const char *code, const char *client_id, struct flow_session *in, struct signin_result *res);

#endif
