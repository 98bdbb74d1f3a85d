/* Accounts by mail: sign-up (MCPAUTH_SIGNUP), email verification and
 * password reset. Links go out through the mail command (lib/core/mail.h)
 * and are single-use and expiring (lib/store/linkstore.h). Nothing an
 * answer says depends on whether an address has an account: a sign-up
 * with a taken address answers as a new one, does the same hashing, and
 * mails the owner instead. */
#include "accountmail.h"
#include "audit.h"
#include "context.h"
#include "flowstore.h"
#include "form.h"
#include "linkstore.h"
#include "mail.h"
#include "page.h"
#include "password.h"
#include "pwrules.h"
#include "signin.h"
#include "ratelimit.h"
#include "userdb.h"
#include "util.h"

#include <openssl/rand.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NAME_MAX_LEN 128

static const struct field signup_in[] = {
    {.name = "email",
     .type = FIELD_STRING,
     .flags = FIELD_REQUIRED,
     .min = 3,
     .max = FIELD_MAX_LEN,
     .format = FORMAT_EMAIL,
     .description = "The new user's email; a link to verify it is mailed there"},
    {.name = "password",
     .type = FIELD_STRING,
     .flags = FIELD_REQUIRED,
     .min = 1,
     .max = PASSWORD_MAX_LEN,
     .description = "The new user's password"},
    {.name = "name",
     .type = FIELD_STRING,
     .flags = FIELD_REQUIRED,
     .min = 1,
     .max = NAME_MAX_LEN,
     .description = "The new user's name"},
};
/* Every answer of these routes is one message (answer_message): the same
 * for an address with an account and one without. */
static const struct field message_out[] = {
    {.name = "message", .type = FIELD_STRING, .flags = FIELD_REQUIRED},
};
const struct route_fields signup_fields = {.in = FIELD_LIST(signup_in), .out = FIELD_LIST(message_out)};
static const struct field email_in[] = {
    {.name = "email",
     .type = FIELD_STRING,
     .flags = FIELD_REQUIRED,
     .min = 3,
     .max = FIELD_MAX_LEN,
     .format = FORMAT_EMAIL,
     .description = "The account's email"},
};
const struct route_fields account_email_fields = {.in = FIELD_LIST(email_in), .out = FIELD_LIST(message_out)};
static const struct field confirm_in[] = {
    {.name = "token",
     .type = FIELD_STRING,
     .flags = FIELD_REQUIRED,
     .min = 1,
     .max = 64,
     .description = "The token of the reset link"},
    {.name = "password",
     .type = FIELD_STRING,
     .flags = FIELD_REQUIRED,
     .min = 1,
     .max = PASSWORD_MAX_LEN,
     .description = "The new password"},
};
const struct route_fields reset_confirm_fields = {.in = FIELD_LIST(confirm_in),
						  .out = FIELD_LIST(message_out)};

/* The answers that must not tell whether an address has an account. */
#define SIGNUP_SENT "Check your email: we sent a link to finish signing up"
#define VERIFY_SENT "If this address has an account waiting for verification, a new link is on its way"
#define RESET_SENT "If this address has an account, a link to reset its password is on its way"

/* The site's address for links: the issuer without its trailing slash. */
static char *site_url(const struct app *app, const char *path_and_query)
{
	const char *iss = app->config.issuer;
	size_t n = strlen(iss);
	while (n > 0 && iss[n - 1] == '/')
		n--;
	return ck_asprintf("%.*s%s", (int)n, iss, path_and_query);
}

/* Mails to (never logged with its link): a subject and a body. No name a
 * user typed goes into a mail: a sign-up with someone else's address
 * would put the stranger's words in front of its owner. */
static void mail(const struct app *app, const char *to, const char *subject, const char *body,
		 const char *what)
{
	char *msg = ck_asprintf("To: %s\nSubject: %s\nContent-Type: text/plain; charset=utf-8\n\n%s", to,
				subject, body);
	mail_send(app->config.mail_command, to, msg, app->config.mail_timeout, what);
	secure_free(msg, strlen(msg));
}

/* A new link of purpose for u, mailed to its address. 0, or -1 when it
 * could not be stored. */
static int mail_link(const struct request *req, const struct user *u, enum link_purpose purpose)
{
	const struct app *app = req->app;
	const struct config *c = &app->config;
	char *token;
	long ttl = purpose == LINK_VERIFY ? c->verify_ttl : c->reset_ttl;
	if (linkstore_issue(app->db, purpose, u->sub, u->email, app->now(), ttl, &token) != LINK_OK) {
		log_msg("cannot store a %s link", purpose == LINK_VERIFY ? "verification" : "reset");
		return -1;
	}
	char *path =
	    ck_asprintf(purpose == LINK_VERIFY ? "/auth/verify?token=%s" : "/account/reset?token=%s", token);
	char *url = site_url(app, path);
	char *site = site_url(app, "/");
	char *body;
	if (purpose == LINK_VERIFY)
		body = ck_asprintf(
		    "Hello,\n\nopen this link to verify your email address at %s:\n\n%s\n\n"
		    "It works once, within %ld hours. If you did not sign up, ignore this mail.\n",
		    site, url, (ttl + 3599) / 3600);
	else
		body =
		    ck_asprintf("Hello,\n\nopen this link to choose a new password at %s:\n\n%s\n\n"
				"It works once, within %ld minutes. If you did not ask for it, ignore this "
				"mail: your password stays as it is.\n",
				site, url, (ttl + 59) / 60);
	mail(app, u->email, purpose == LINK_VERIFY ? "Verify your email address" : "Reset your password",
	     body, purpose == LINK_VERIFY ? "the verification mail" : "the password reset mail");
	secure_free(body, strlen(body));
	secure_free(url, strlen(url));
	secure_free(path, strlen(path));
	secure_free(token, strlen(token));
	free(site);
	return 0;
}

/* What mail_link costs, for no one: a link stored that no mail carries
 * (for no user; each one replaces the last) and a mail process that mails
 * nothing. A request about an address without an account takes as long as
 * one that mails, so its time tells nothing either. */
static void mail_link_none(const struct request *req, enum link_purpose purpose, const char *email)
{
	const struct app *app = req->app;
	char *token;
	if (linkstore_issue(app->db, purpose, "", email, app->now(), 1, &token) == LINK_OK)
		secure_free(token, strlen(token));
	mail_send_none();
}

/* Requests that mail someone share the login limits, on counters of their
 * own (a mail request is no failed login): each is counted. The seconds to
 * wait, 0 when the request may go on. */
static long mail_wait(const struct request *req, const char *email, const char *event)
{
	const struct app *app = req->app;
	const struct config *c = &app->config;
	struct ratelimit rl = {c->login_email_limit, c->login_addr_limit, c->login_window};
	char *key = ck_asprintf("mail:%s", email);
	char *addr = req->remote_addr ? ck_asprintf("mail:%s", req->remote_addr) : NULL;
	long wait = 0;
	const char *which;
	int rc = ratelimit_check(app->db, &rl, key, addr, app->now(), &wait, &which);
	if (rc == RATELIMIT_BLOCKED) {
		char secs[24];
		snprintf(secs, sizeof secs, "%ld", wait);
		audit_event(req, event, "email", email, "limit", which, "retry_after", secs, NULL);
	} else {
		if (rc == RATELIMIT_ERROR)
			log_msg("cannot read the mail requests; this one is not rate limited");
		wait = 0;
		if (ratelimit_fail(app->db, &rl, key, addr, app->now()) != RATELIMIT_OK)
			log_msg("cannot record a mail request");
	}
	free(key);
	free(addr);
	return wait;
}

static void answer_limited(struct response *resp, long wait)
{
	char *msg = ck_asprintf("Too many requests for this address; try again in %ld seconds", wait);
	response_error(resp, 429, "Too many attempts", msg);
	response_header(resp, "Retry-After", "%ld", wait);
	free(msg);
}

static void answer_message(struct response *resp, int status, const char *message)
{
	json_object *body = json_object_new_object();
	json_object_object_add(body, "message", json_object_new_string(message));
	response_json(resp, status, body);
}

/* Links are mailed here: the local issuer with a mail command. */
static int mail_on(const struct app *app)
{
	return app->source->issues_tokens && app->config.mail_command;
}

/* Local issuer only; HTTP_ANSWERED with a 404 otherwise, or when mail is
 * off (nothing here works without it). */
static enum http_flow mail_offered(const struct app *app, struct response *resp)
{
	if (!app->source->issues_tokens) {
		response_error(resp, 404, "Not found",
			       "Accounts are the Auth0 tenant's (this suite verifies its tokens)");
		return HTTP_ANSWERED;
	}
	if (!app->config.mail_command) {
		response_error(resp, 404, "Not found",
			       "This server mails no links (MCPAUTH_MAIL_COMMAND is not set)");
		return HTTP_ANSWERED;
	}
	return HTTP_GO_ON;
}

enum signup_result { SIGNUP_DONE, SIGNUP_OFF, SIGNUP_DOMAIN, SIGNUP_WEAK, SIGNUP_LIMITED, SIGNUP_ERROR };

/* A new account for email, or a mail to the owner of the one it has: the
 * same work and the same result either way. *why: the weak password's
 * sentence; *wait: the seconds of SIGNUP_LIMITED. */
static enum signup_result signup_run(const struct request *req, const char *email, const char *password,
				     const char *name, const char **why, long *wait)
{
	const struct app *app = req->app;
	int off;
	if (!config_signup_allows(&app->config, email, &off)) {
		if (!off)
			audit_event(req, "signup_refused", "email", email, "reason", "domain not allowed",
				    NULL);
		return off ? SIGNUP_OFF : SIGNUP_DOMAIN;
	}
	if ((*why = password_rule_violation(password, email)))
		return SIGNUP_WEAK;
	if ((*wait = mail_wait(req, email, "signup_rate_limited")))
		return SIGNUP_LIMITED;
	/* Hashed before the lookup, whatever it finds: a taken address takes
	 * as long as a new one. */
	char *hash = password_hash(password);
	struct user u = {0};
	int rc = hash ? userdb_find_by_email(app->db, email, &u) : USERDB_ERROR;
	if (rc == USERDB_NOT_FOUND) {
		unsigned char rnd[8];
		char sub[40], created[32];
		if (RAND_bytes(rnd, sizeof rnd) != 1) {
			secure_free(hash, strlen(hash));
			return SIGNUP_ERROR;
		}
		snprintf(sub, sizeof sub, "auth0|%02x%02x%02x%02x%02x%02x%02x%02x", rnd[0], rnd[1], rnd[2],
			 rnd[3], rnd[4], rnd[5], rnd[6], rnd[7]);
		now_iso8601(created);
		struct user nu = {.sub = sub,
				  .email = (char *)email,
				  .name = (char *)name,
				  .password_hash = hash,
				  .permissions = (char *)app->config.signup_permissions,
				  .created_at = created};
		rc = userdb_create(app->db, &nu);
		if (rc == USERDB_OK) {
			audit_event(req, "signup", "sub", sub, "email", email, NULL);
			mail_link(req, &nu, LINK_VERIFY);
		} else if (rc == USERDB_CONFLICT) {
			/* Taken meanwhile: the owner's case below. */
			rc = userdb_find_by_email(app->db, email, &u);
		}
	}
	if (hash)
		secure_free(hash, strlen(hash));
	if (rc == USERDB_ERROR)
		return SIGNUP_ERROR;
	if (rc == USERDB_OK && u.sub) {
		audit_event(req, "signup_email_taken", "sub", u.sub, "email", email, NULL);
		char *site = site_url(app, "/"), *reset = site_url(app, "/account/reset");
		char *body = ck_asprintf(
		    "Hello,\n\nsomeone, maybe you, tried to sign up at %s with this email address, which "
		    "already has an account. Nothing was changed.\n\nIf it was you: sign in with your "
		    "password, or ask for a new one at %s\n",
		    site, reset);
		mail(app, u.email, "Someone tried to sign up with your address", body, "the sign-up notice");
		/* The new account's verification link, for no one: one of its two commits. */
		char *none;
		if (linkstore_issue(app->db, LINK_VERIFY, "", email, app->now(), 1, &none) == LINK_OK)
			secure_free(none, strlen(none));
		free(body);
		free(reset);
		free(site);
		user_free(&u);
	}
	return SIGNUP_DONE;
}

void signup_post(struct request *req, struct response *resp)
{
	const struct app *app = req->app;
	/* MCPAUTH_SIGNUP needs the mail command: without it sign-up is off. */
	if (!mail_on(app)) {
		response_error(resp, 404, "Not found", "Sign-up is off on this server (MCPAUTH_SIGNUP)");
		return;
	}
	const char *why = NULL;
	long wait = 0;
	switch (signup_run(req, field_str(req, "email"), field_str(req, "password"), field_str(req, "name"),
			   &why, &wait)) {
	case SIGNUP_DONE:
		answer_message(resp, 202, SIGNUP_SENT);
		break;
	case SIGNUP_OFF:
		response_error(resp, 404, "Not found", "Sign-up is off on this server (MCPAUTH_SIGNUP)");
		break;
	case SIGNUP_DOMAIN:
		response_error(resp, 403, "Forbidden", "Sign-up is not open to this email domain");
		break;
	case SIGNUP_WEAK:
		response_error(resp, 400, "Weak password", why);
		break;
	case SIGNUP_LIMITED:
		answer_limited(resp, wait);
		break;
	case SIGNUP_ERROR:
		response_error(resp, 503, "Service unavailable",
			       "The account could not be stored; try again");
		break;
	}
}

/* A browser opening a mailed link gets a page; a client that asks for
 * JSON (and not for HTML) gets JSON. */
static int wants_json(const struct request *req)
{
	return req->accept && strstr(req->accept, "application/json") && !strstr(req->accept, "text/html");
}

static const char *link_refusal(enum link_status st)
{
	switch (st) {
	case LINK_USED:
		return "This link was already used";
	case LINK_EXPIRED:
		return "This link expired; ask for a new one";
	default:
		return "This link is not valid";
	}
}

void verify_get(struct request *req, struct response *resp)
{
	const struct app *app = req->app;
	int json = wants_json(req);
	char *token = request_query(req, "token");
	char *sub = NULL, *email = NULL;
	enum link_status st =
	    token ? linkstore_use(app->db, LINK_VERIFY, token, app->now(), &sub, &email) : LINK_NOT_FOUND;
	if (st == LINK_OK) {
		audit_event(req, "email_verified", "sub", sub, "email", email, NULL);
		if (json) {
			json_object *body = json_object_new_object();
			json_object_object_add(body, "message", json_object_new_string("Email verified"));
			json_object_object_add(body, "email", json_object_new_string(email));
			response_json(resp, 200, body);
		} else {
			char *msg =
			    ck_asprintf("Your email address %s is verified. You can close this page.", email);
			page_message(resp, 200, "Email verified", msg);
			free(msg);
		}
	} else {
		if (st != LINK_ERROR)
			audit_event(req, "verify_refused", "reason", linkstore_strerror(st), NULL);
		int status = st == LINK_ERROR ? 503 : 400;
		const char *why =
		    st == LINK_ERROR ? "The link cannot be checked now; try again" : link_refusal(st);
		if (json)
			response_error(resp, status,
				       st == LINK_ERROR ? "Service unavailable" : "Invalid link", why);
		else
			page_error(resp, status, "Cannot verify", why);
	}
	if (token)
		secure_free(token, strlen(token));
	free(sub);
	free(email);
}

void verify_resend_post(struct request *req, struct response *resp)
{
	const struct app *app = req->app;
	if (mail_offered(app, resp) == HTTP_ANSWERED)
		return;
	const char *email = field_str(req, "email");
	long wait = mail_wait(req, email, "verify_rate_limited");
	if (wait) {
		answer_limited(resp, wait);
		return;
	}
	struct user u;
	int rc = userdb_find_by_email(app->db, email, &u);
	if (rc == USERDB_ERROR) {
		response_error(resp, 503, "Service unavailable", "The user store cannot be read");
		return;
	}
	if (rc == USERDB_OK && !u.email_verified && mail_link(req, &u, LINK_VERIFY) == 0)
		audit_event(req, "verify_resent", "sub", u.sub, "email", u.email, NULL);
	else
		mail_link_none(req, LINK_VERIFY, email);
	if (rc == USERDB_OK)
		user_free(&u);
	answer_message(resp, 202, VERIFY_SENT);
}

/* A reset link for the account of email, when it has one that can sign
 * in (an account an operator closed with no password stays closed). */
static void reset_request(const struct request *req, const char *email)
{
	const struct app *app = req->app;
	struct user u;
	int rc = userdb_find_by_email(app->db, email, &u);
	if (rc == USERDB_OK && u.password_hash && mail_link(req, &u, LINK_RESET) == 0)
		audit_event(req, "password_reset_requested", "sub", u.sub, "email", u.email, NULL);
	else
		mail_link_none(req, LINK_RESET, email);
	if (rc == USERDB_OK)
		user_free(&u);
}

void reset_request_post(struct request *req, struct response *resp)
{
	const struct app *app = req->app;
	if (mail_offered(app, resp) == HTTP_ANSWERED)
		return;
	const char *email = field_str(req, "email");
	long wait = mail_wait(req, email, "reset_rate_limited");
	if (wait) {
		answer_limited(resp, wait);
		return;
	}
	reset_request(req, email);
	answer_message(resp, 202, RESET_SENT);
}

enum reset_result { RESET_DONE, RESET_WEAK, RESET_LINK, RESET_ERROR };

/* Sets password for the user of a reset link: the link is used, the
 * user's other reset links go, and userdb_set_password revokes every
 * refresh token and grant of theirs. A weak password leaves the link
 * usable. *why says what was refused. */
static enum reset_result reset_run(const struct request *req, const char *token, const char *password,
				   const char **why)
{
	const struct app *app = req->app;
	char *sub = NULL, *email = NULL;
	enum link_status st = linkstore_check(app->db, LINK_RESET, token, app->now(), &sub, &email);
	enum reset_result r = RESET_ERROR;
	*why = "The password cannot be stored now; try again";
	if (st == LINK_OK && (*why = password_rule_violation(password, email))) {
		r = RESET_WEAK;
	} else if (st == LINK_OK) {
		char *hash = password_hash(password);
		free(sub);
		free(email);
		sub = email = NULL;
		st = hash ? linkstore_use(app->db, LINK_RESET, token, app->now(), &sub, &email) : LINK_ERROR;
		int rc = st == LINK_OK ? userdb_set_password(app->db, sub, hash) : USERDB_ERROR;
		if (rc == USERDB_OK) {
			r = RESET_DONE;
			if (ratelimit_success(app->db, email) != RATELIMIT_OK)
				log_msg("cannot reset the failed logins of a user who reset their password");
			audit_event(req, "password_reset", "sub", sub, "email", email, NULL);
		} else if (rc == USERDB_NOT_FOUND) {
			st = LINK_NOT_FOUND;
		}
		if (hash)
			secure_free(hash, strlen(hash));
	}
	if (st != LINK_OK && st != LINK_ERROR) {
		audit_event(req, "password_reset_refused", "reason", linkstore_strerror(st), NULL);
		r = RESET_LINK;
		*why = link_refusal(st);
	}
	free(sub);
	free(email);
	return r;
}

void reset_confirm_post(struct request *req, struct response *resp)
{
	const struct app *app = req->app;
	if (mail_offered(app, resp) == HTTP_ANSWERED)
		return;
	const char *why;
	switch (reset_run(req, field_str(req, "token"), field_str(req, "password"), &why)) {
	case RESET_DONE:
		answer_message(resp, 200, "Password changed; every session of the account is signed out");
		break;
	case RESET_WEAK:
		response_error(resp, 400, "Weak password", why);
		break;
	case RESET_LINK:
		response_error(resp, 400, "Invalid link", why);
		break;
	case RESET_ERROR:
		response_error(resp, 503, "Service unavailable", why);
		break;
	}
}

/* --- the pages ---------------------------------------------------------- */

/* The browser's session (a new one, its cookie set, when it has none):
 * its CSRF token in s. HTTP_ANSWERED with an error page when the store fails. */
static enum http_flow page_session(const struct request *req, struct response *resp, struct flow_session *s)
{
	const struct app *app = req->app;
	char *cookie = form_cookie(req->cookie, SIGNIN_COOKIE);
	int st = cookie ? flowstore_session_get(app->db, cookie, app->now(), s) : FLOW_NOT_FOUND;
	if (st == FLOW_NOT_FOUND) {
		if (cookie)
			secure_free(cookie, strlen(cookie));
		cookie = NULL;
		st = flowstore_session_new(app->db, NULL, app->now(), &cookie, s);
		if (st == FLOW_OK)
			signin_set_cookie(req, resp, cookie);
	}
	if (cookie)
		secure_free(cookie, strlen(cookie));
	if (st != FLOW_OK) {
		page_error(resp, 503, "Service unavailable",
			   "The page's session cannot be stored; try again");
		return HTTP_ANSWERED;
	}
	return HTTP_GO_ON;
}

/* A posted form of an account page: signin_form_session's checks (the
 * form's type, the browser's session, its CSRF token). */
static enum http_flow page_form(struct request *req, struct response *resp, struct form *f,
				struct flow_session *s)
{
	char *cookie = NULL;
	enum http_flow flow = signin_form_session(req, resp, f, &cookie, s);
	if (cookie)
		secure_free(cookie, strlen(cookie));
	return flow;
}

/* A form value under the JSON route's rule for it: NULL and the reason in msg when it breaks it. */
static const char *form_field(const struct form *f, const struct field *rule, char *msg, size_t n)
{
	const char *v = form_get(f, rule->name);
	json_object *o = v ? json_object_new_string(v) : NULL;
	int good = o && field_check(rule, o, msg, n);
	json_object_put(o);
	if (!v)
		snprintf(msg, n, "Fill in every field");
	return good ? v : NULL;
}

void signup_page_get(struct request *req, struct response *resp)
{
	const struct app *app = req->app;
	int off;
	config_signup_allows(&app->config, NULL, &off);
	if (off || !mail_on(app)) {
		page_error(resp, 404, "Not found", "Sign-up is off on this server");
		return;
	}
	struct flow_session s = {0};
	if (page_session(req, resp, &s) == HTTP_GO_ON)
		page_signup(resp, 200, s.csrf, NULL, NULL, NULL);
	flow_session_free(&s);
}

void signup_page_post(struct request *req, struct response *resp)
{
	const struct app *app = req->app;
	int off;
	config_signup_allows(&app->config, NULL, &off);
	if (off || !mail_on(app)) {
		page_error(resp, 404, "Not found", "Sign-up is off on this server");
		return;
	}
	struct form f;
	struct flow_session s;
	if (page_form(req, resp, &f, &s) == HTTP_ANSWERED)
		goto done;
	char msg[FIELD_MSG_MAX];
	const char *email = form_field(&f, &signup_in[0], msg, sizeof msg);
	const char *name = email ? form_field(&f, &signup_in[2], msg, sizeof msg) : NULL;
	const char *password = name ? form_field(&f, &signup_in[1], msg, sizeof msg) : NULL;
	const char *shown_email = email ? email : NULL, *shown_name = form_get(&f, "name");
	if (shown_name && strlen(shown_name) > NAME_MAX_LEN)
		shown_name = NULL;
	if (!password) {
		page_signup(resp, 400, s.csrf, shown_email, shown_name, msg);
		goto done;
	}
	const char *why = NULL;
	long wait = 0;
	char *alert = NULL;
	switch (signup_run(req, email, password, name, &why, &wait)) {
	case SIGNUP_DONE:
		page_message(resp, 200, "Check your email",
			     "We sent a link to your address. Open it to finish signing up.");
		break;
	case SIGNUP_OFF:
		page_error(resp, 404, "Not found", "Sign-up is off on this server");
		break;
	case SIGNUP_DOMAIN:
		page_signup(resp, 403, s.csrf, email, name, "Sign-up is not open to this email domain");
		break;
	case SIGNUP_WEAK:
		page_signup(resp, 400, s.csrf, email, name, why);
		break;
	case SIGNUP_LIMITED:
		alert = ck_asprintf("Too many requests for this address; try again in %ld seconds", wait);
		page_signup(resp, 429, s.csrf, email, name, alert);
		response_header(resp, "Retry-After", "%ld", wait);
		free(alert);
		break;
	case SIGNUP_ERROR:
		page_error(resp, 503, "Service unavailable", "The account could not be stored; try again");
		break;
	}
done:
	flow_session_free(&s);
	form_free(&f);
}

void reset_page_get(struct request *req, struct response *resp)
{
	const struct app *app = req->app;
	if (!mail_on(app)) {
		page_error(resp, 404, "Not found", "This server mails no reset links");
		return;
	}
	/* With a link's token: the new password's form; without: the form
	 * that asks for a link. */
	char *token = request_query(req, "token");
	struct flow_session s = {0};
	enum link_status st =
	    token ? linkstore_check(app->db, LINK_RESET, token, app->now(), NULL, NULL) : LINK_OK;
	if (st != LINK_OK)
		page_error(resp, st == LINK_ERROR ? 503 : 400, "Cannot reset the password",
			   st == LINK_ERROR ? "The link cannot be checked now; try again" : link_refusal(st));
	else if (page_session(req, resp, &s) == HTTP_GO_ON && token)
		page_reset(resp, 200, s.csrf, token, NULL);
	else if (!resp->text)
		page_reset_request(resp, 200, s.csrf, NULL, NULL);
	if (token)
		secure_free(token, strlen(token));
	flow_session_free(&s);
}

void reset_page_post(struct request *req, struct response *resp)
{
	const struct app *app = req->app;
	if (!mail_on(app)) {
		page_error(resp, 404, "Not found", "This server mails no reset links");
		return;
	}
	struct form f;
	struct flow_session s;
	if (page_form(req, resp, &f, &s) == HTTP_ANSWERED)
		goto done;
	const char *token = form_get(&f, "token");
	char msg[FIELD_MSG_MAX];
	if (!token) {
		/* The request form: an address to mail a link to. */
		const char *email = form_field(&f, &email_in[0], msg, sizeof msg);
		long wait = email ? mail_wait(req, email, "reset_rate_limited") : 0;
		if (!email) {
			page_reset_request(resp, 400, s.csrf, NULL, msg);
		} else if (wait) {
			char *alert =
			    ck_asprintf("Too many requests for this address; try again in %ld seconds", wait);
			page_reset_request(resp, 429, s.csrf, email, alert);
			response_header(resp, "Retry-After", "%ld", wait);
			free(alert);
		} else {
			reset_request(req, email);
			page_message(resp, 200, "Check your email", RESET_SENT);
		}
		goto done;
	}
	const char *password = form_field(&f, &confirm_in[1], msg, sizeof msg);
	const char *why = msg;
	enum reset_result r = password ? reset_run(req, token, password, &why) : RESET_WEAK;
	if (r == RESET_DONE)
		page_message(
		    resp, 200, "Password changed",
		    "Your new password is set, and every session of your account is signed out. Sign in "
		    "again with the new password.");
	else if (r == RESET_WEAK)
		page_reset(resp, 400, s.csrf, token, why);
	else
		page_error(resp, r == RESET_LINK ? 400 : 503, "Cannot reset the password", why);
done:
	flow_session_free(&s);
	form_free(&f);
}
