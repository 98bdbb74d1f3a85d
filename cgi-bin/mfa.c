/* The second factor's own routes: GET /auth/mfa (where the user stands),
 * POST /auth/mfa/enroll (a new pending secret: its otpauth:// URI),
 * POST /auth/mfa/confirm (the first code turns it on and answers the
 * recovery codes, once) and POST /auth/mfa/disable. */
#include "mfa.h"
#include "context.h"
#include "audit.h"
#include "mfastore.h"
#include "form.h"
#include "oauth.h"
#include "page.h"
#include "signin.h"
#include "ratelimit.h"
#include "util.h"

#include <openssl/crypto.h>
#include <stdlib.h>
#include <string.h>

char *mfa_uri(const struct app *app, const struct user *u, const unsigned char *key)
{
	/* The site as apps list it: the issuer URL's host (and port). */
	const char *iss = app->config.issuer, *host = strstr(iss, "://");
	host = host ? host + 3 : iss;
	char *site = ck_strndup(host, strcspn(host, "/"));
	char *uri = totp_uri(site, u->email, key, TOTP_SECRET_LEN);
	free(site);
	return uri;
}

enum http_flow mfa_code_verify(struct request *req, const struct user *u, const char *code, int *recovery,
			       struct mfa_refusal *why)
{
	const struct app *app = req->app;
	const struct config *c = &app->config;
	struct ratelimit rl = {c->login_email_limit, c->login_addr_limit, c->login_window};
	long wait;
	const char *which;
	memset(why, 0, sizeof *why);
	*recovery = 0;
	if (ratelimit_check(app->db, &rl, u->email, req->remote_addr, app->now(), &wait, &which) ==
	    RATELIMIT_BLOCKED) {
		char secs[24];
		snprintf(secs, sizeof secs, "%ld", wait);
		audit_event(req, "login_rate_limited", "email", u->email, "limit", which, "retry_after", secs,
			    NULL);
		snprintf(why->buf, sizeof why->buf, "Too many failed logins; try again in %ld seconds", wait);
		why->status = 429;
		why->message = why->buf;
		why->retry_after = wait;
		return HTTP_ANSWERED;
	}
	enum mfa_status st = mfastore_verify(app->db, u->sub, code ? code : "", app->now(), recovery);
	if (st == MFA_OK) {
		if (ratelimit_success(app->db, u->email) != RATELIMIT_OK)
			log_msg("cannot reset the failed logins of a user who logged in");
		return HTTP_GO_ON;
	}
	if (st == MFA_ERROR) {
		why->status = 503;
		why->message = "The second factor cannot be checked; try again";
		return HTTP_ANSWERED;
	}
	if (ratelimit_fail(app->db, &rl, u->email, req->remote_addr, app->now()) != RATELIMIT_OK)
		log_msg("cannot record a failed login");
	audit_event(req, "mfa_failure", "sub", u->sub, "email", u->email, "reason", mfastore_strerror(st),
		    NULL);
	why->status = 401;
	why->message = st == MFA_REUSED ? "This code was already used; wait for the next one"
		       : st == MFA_OFF	? "Two-factor login is not on for this account"
					: "The code is wrong or expired";
	return HTTP_ANSWERED;
}

enum http_flow mfa_code_check(struct request *req, struct response *resp, const struct user *u,
			      const char *code, int *recovery)
{
	struct mfa_refusal why;
	if (mfa_code_verify(req, u, code, recovery, &why) == HTTP_GO_ON)
		return HTTP_GO_ON;
	response_error(resp, why.status,
		       why.status == 429   ? "Too many attempts"
		       : why.status == 503 ? "Service unavailable"
					   : "Invalid code",
		       why.message);
	if (why.retry_after)
		response_header(resp, "Retry-After", "%ld", why.retry_after);
	return HTTP_ANSWERED;
}

/* The caller's user row: HTTP_GO_ON, or HTTP_ANSWERED with 404 (Auth0
 * mode, or a user gone) or 503. */
static enum http_flow caller(const struct request *req, struct response *resp, struct user *u)
{
	const struct app *app = req->app;
	if (oauth_tenant_only(app, resp) == HTTP_ANSWERED)
		return HTTP_ANSWERED;
	int rc = userdb_find_by_sub(app->db, req->principal->sub, u);
	if (rc == USERDB_OK)
		return HTTP_GO_ON;
	if (rc == USERDB_ERROR)
		response_error(resp, 503, "Service unavailable", "The user store cannot be read");
	else
		response_error(resp, 404, "User not found", "The token's user is not in the user store");
	return HTTP_ANSWERED;
}

static void no_store(struct response *resp)
{
	response_header(resp, "Cache-Control", "no-store");
}

void mfa_get(struct request *req, struct response *resp)
{
	struct user u;
	if (caller(req, resp, &u) == HTTP_ANSWERED)
		return;
	enum mfa_state state;
	int left = 0;
	if (mfastore_state(req->app->db, u.sub, &state, &left) != MFA_OK) {
		response_error(resp, 503, "Service unavailable", "The second factor cannot be read");
	} else {
		static const char *const names[] = {"off", "pending", "on"};
		json_object *body = json_object_new_object();
		json_object_object_add(body, "enabled", json_object_new_boolean(state == MFA_STATE_ON));
		json_object_object_add(body, "state", json_object_new_string(names[state]));
		json_object_object_add(body, "recovery_codes_left", json_object_new_int(left));
		response_json(resp, 200, body);
	}
	user_free(&u);
}

void mfa_enroll_post(struct request *req, struct response *resp)
{
	const struct app *app = req->app;
	struct user u;
	no_store(resp);
	if (caller(req, resp, &u) == HTTP_ANSWERED)
		return;
	unsigned char key[TOTP_SECRET_LEN];
	enum mfa_status st = mfastore_enroll(app->db, u.sub, app->now(), key);
	if (st == MFA_ON) {
		response_error(resp, 409, "MFA already enabled",
			       "Two-factor login is on; disable it first to enrol another authenticator");
	} else if (st != MFA_OK) {
		response_error(resp, 503, "Service unavailable", "The secret could not be stored; try again");
	} else {
		char *uri = mfa_uri(app, &u, key), *secret = totp_base32(key, sizeof key);
		json_object *body = json_object_new_object();
		json_object_object_add(body, "authenticator_type", json_object_new_string("otp"));
		json_object_object_add(body, "secret", json_object_new_string(secret));
		json_object_object_add(body, "barcode_uri", json_object_new_string(uri));
		response_json(resp, 200, body);
		audit_event(req, "mfa_enroll", "sub", u.sub, NULL);
		secure_free(uri, strlen(uri));
		secure_free(secret, strlen(secret));
	}
	OPENSSL_cleanse(key, sizeof key);
	user_free(&u);
}

void mfa_confirm_post(struct request *req, struct response *resp)
{
	const struct app *app = req->app;
	struct user u;
	no_store(resp);
	if (caller(req, resp, &u) == HTTP_ANSWERED)
		return;
	char *codes[MFA_RECOVERY_CODES];
	enum mfa_status st = mfastore_confirm(app->db, u.sub, field_str(req, "otp"), app->now(), codes);
	if (st == MFA_OK) {
		json_object *arr = json_object_new_array();
		for (int i = 0; i < MFA_RECOVERY_CODES; i++)
			json_object_array_add(arr, json_object_new_string(codes[i]));
		json_object *body = json_object_new_object();
		json_object_object_add(body, "enabled", json_object_new_boolean(1));
		json_object_object_add(body, "recovery_codes", arr);
		json_object_object_add(
		    body, "message",
		    json_object_new_string(
			"Two-factor login is on; keep the recovery codes: they are shown once"));
		response_json(resp, 200, body);
		audit_event(req, "mfa_enabled", "sub", u.sub, NULL);
		mfastore_codes_free(codes);
	} else if (st == MFA_OFF) {
		response_error(resp, 409, "No enrolment", "Enrol first: POST /auth/mfa/enroll");
	} else if (st == MFA_ON) {
		response_error(resp, 409, "MFA already enabled", "Two-factor login is on already");
	} else if (st == MFA_ERROR) {
		response_error(resp, 503, "Service unavailable", "The second factor could not be stored");
	} else {
		audit_event(req, "mfa_failure", "sub", u.sub, "reason", mfastore_strerror(st), NULL);
		response_error(resp, 400, "Invalid code",
			       "The code is not the authenticator's current one; check the device's clock");
	}
	user_free(&u);
}

void mfa_disable_post(struct request *req, struct response *resp)
{
	const struct app *app = req->app;
	struct user u;
	no_store(resp);
	if (caller(req, resp, &u) == HTTP_ANSWERED)
		return;
	const char *code = field_str(req, "otp");
	if (!code)
		code = field_str(req, "recovery_code");
	int recovery;
	if (!code) {
		response_error(resp, 400, "Invalid request", "Give otp (the current code) or recovery_code");
	} else if (mfa_code_check(req, resp, &u, code, &recovery) == HTTP_GO_ON) {
		if (mfastore_reset(app->db, u.sub) == MFA_ERROR) {
			response_error(resp, 503, "Service unavailable",
				       "The second factor could not be removed");
		} else {
			audit_event(req, "mfa_disabled", "sub", u.sub, NULL);
			json_object *body = json_object_new_object();
			json_object_object_add(body, "enabled", json_object_new_boolean(0));
			json_object_object_add(body, "message",
					       json_object_new_string("Two-factor login is off"));
			response_json(resp, 200, body);
		}
	}
	user_free(&u);
}

/* --- the page: /account/mfa ------------------------------------------------ */

/* The page for u (NULL: not signed in) as it stands, with the recovery
 * codes just made (codes, may be NULL), an alert or a notice. */
static void mfa_page(const struct request *req, struct response *resp, int status, const struct user *u,
		     const char *csrf, char *const *codes, const char *alert, const char *notice)
{
	const struct app *app = req->app;
	struct page_mfa m = {.csrf = csrf, .state = "off", .alert = alert, .notice = notice};
	static const char *const names[] = {"off", "pending", "on"};
	char *svg = NULL, *secret = NULL;
	unsigned char key[TOTP_SECRET_LEN];
	enum mfa_state state;
	if (u && mfastore_state(app->db, u->sub, &state, &m.recovery_left) != MFA_OK) {
		page_error(resp, 503, "Service unavailable", "The second factor cannot be read; try again");
		return;
	}
	if (u) {
		m.email = u->email;
		m.state = names[state];
	}
	if (u && state == MFA_STATE_PENDING && mfastore_secret(app->db, u->sub, key, &state) == MFA_OK) {
		char *uri = mfa_uri(app, u, key);
		svg = page_qr_svg(uri);
		secret = totp_base32(key, sizeof key);
		secure_free(uri, strlen(uri));
		OPENSSL_cleanse(key, sizeof key);
		m.qr_svg = svg;
		m.secret = secret;
	}
	if (codes) {
		m.codes = (const char *const *)codes;
		m.ncodes = MFA_RECOVERY_CODES;
	}
	page_mfa(resp, status, &m);
	free(svg);
	if (secret)
		secure_free(secret, strlen(secret));
}

void account_mfa_get(struct request *req, struct response *resp)
{
	const struct app *app = req->app;
	if (oauth_tenant_only(app, resp) == HTTP_ANSWERED)
		return;
	char *cookie = form_cookie(req->cookie, SIGNIN_COOKIE);
	struct flow_session s = {0};
	struct user u;
	int st = cookie ? flowstore_session_get(app->db, cookie, app->now(), &s) : FLOW_NOT_FOUND;
	int rc = st == FLOW_OK && s.sub ? userdb_find_by_sub(app->db, s.sub, &u) : USERDB_NOT_FOUND;
	if (st == FLOW_ERROR || rc == USERDB_ERROR)
		page_error(resp, 503, "Service unavailable", "The sign-in cannot be read; try again");
	else
		mfa_page(req, resp, 200, rc == USERDB_OK ? &u : NULL, s.csrf, NULL, NULL, NULL);
	if (rc == USERDB_OK)
		user_free(&u);
	flow_session_free(&s);
	if (cookie)
		secure_free(cookie, strlen(cookie));
}

/* The page's forms: action enroll, confirm (otp) or disable (otp). */
static void account_mfa_act(struct request *req, struct response *resp, const struct form *f,
			    const struct flow_session *s, const struct user *u)
{
	const struct app *app = req->app;
	const char *action = form_get(f, "action"), *code = form_get(f, "otp");
	if (action && strcmp(action, "enroll") == 0) {
		unsigned char key[TOTP_SECRET_LEN];
		enum mfa_status st = mfastore_enroll(app->db, u->sub, app->now(), key);
		OPENSSL_cleanse(key, sizeof key);
		if (st == MFA_OK)
			audit_event(req, "mfa_enroll", "sub", u->sub, NULL);
		mfa_page(req, resp,
			 st == MFA_ERROR ? 503
			 : st == MFA_ON	 ? 409
					 : 200,
			 u, s->csrf, NULL,
			 st == MFA_ERROR ? "The secret could not be stored; try again"
			 : st == MFA_ON	 ? "Two-factor login is on already"
					 : NULL,
			 NULL);
	} else if (action && strcmp(action, "confirm") == 0) {
		char *codes[MFA_RECOVERY_CODES];
		enum mfa_status st = mfastore_confirm(app->db, u->sub, code ? code : "", app->now(), codes);
		if (st == MFA_OK) {
			audit_event(req, "mfa_enabled", "sub", u->sub, NULL);
			mfa_page(req, resp, 200, u, s->csrf, codes, NULL, "Two-factor login is on");
			mfastore_codes_free(codes);
		} else {
			mfa_page(req, resp, st == MFA_ERROR ? 503 : 400, u, s->csrf, NULL,
				 st == MFA_ERROR
				     ? "The second factor could not be stored; try again"
				     : "That code is not the current one; check the device's clock "
				       "and try again",
				 NULL);
		}
	} else if (action && strcmp(action, "disable") == 0) {
		int recovery;
		struct mfa_refusal why;
		if (mfa_code_verify(req, u, code, &recovery, &why) == HTTP_ANSWERED) {
			mfa_page(req, resp, why.status, u, s->csrf, NULL, why.message, NULL);
			if (why.retry_after)
				response_header(resp, "Retry-After", "%ld", why.retry_after);
		} else if (mfastore_reset(app->db, u->sub) == MFA_ERROR) {
			mfa_page(req, resp, 503, u, s->csrf, NULL, "The second factor could not be removed",
				 NULL);
		} else {
			audit_event(req, "mfa_disabled", "sub", u->sub, NULL);
			mfa_page(req, resp, 200, u, s->csrf, NULL, NULL, "Two-factor login is off");
		}
	} else {
		page_error(resp, 400, "Bad request", "The form's action must be enroll, confirm or disable");
	}
}

void account_mfa_post(struct request *req, struct response *resp)
{
	const struct app *app = req->app;
	if (oauth_tenant_only(app, resp) == HTTP_ANSWERED)
		return;
	struct form f;
	char *cookie;
	struct flow_session s;
	struct user u;
	if (signin_form_session(req, resp, &f, &cookie, &s) == HTTP_GO_ON) {
		int rc = s.sub ? userdb_find_by_sub(app->db, s.sub, &u) : USERDB_NOT_FOUND;
		if (rc == USERDB_ERROR) {
			page_error(resp, 503, "Service unavailable",
				   "The user store cannot be read; try again");
		} else if (rc != USERDB_OK) {
			page_error(resp, 403, "Forbidden", "Sign in first, at /account");
		} else {
			account_mfa_act(req, resp, &f, &s, &u);
			user_free(&u);
		}
	}
	if (cookie)
		secure_free(cookie, strlen(cookie));
	flow_session_free(&s);
	form_free(&f);
}

static const struct field status_out[] = {
    {.name = "enabled", .type = FIELD_BOOLEAN, .flags = FIELD_REQUIRED},
    {.name = "state", .type = FIELD_STRING, .flags = FIELD_REQUIRED, .description = "off, pending or on"},
    {.name = "recovery_codes_left", .type = FIELD_INTEGER, .flags = FIELD_REQUIRED},
};
const struct route_fields mfa_get_fields = {.out = FIELD_LIST(status_out)};

static const struct field enroll_out[] = {
    {.name = "authenticator_type", .type = FIELD_STRING, .flags = FIELD_REQUIRED},
    {.name = "secret", .type = FIELD_STRING, .flags = FIELD_REQUIRED, .description = "base32"},
    {.name = "barcode_uri",
     .type = FIELD_STRING,
     .flags = FIELD_REQUIRED,
     .description = "otpauth://totp/..."},
};
const struct route_fields mfa_enroll_fields = {.out = FIELD_LIST(enroll_out)};

static const struct field confirm_in[] = {
    {.name = "otp",
     .type = FIELD_STRING,
     .flags = FIELD_REQUIRED,
     .min = 1,
     .max = MFA_CODE_MAX,
     .description = "The authenticator's current 6-digit code"},
};
static const struct field confirm_out[] = {
    {.name = "enabled", .type = FIELD_BOOLEAN, .flags = FIELD_REQUIRED},
    {.name = "recovery_codes",
     .type = FIELD_ARRAY,
     .flags = FIELD_REQUIRED,
     .description = "Single-use codes for a login without the authenticator; shown once"},
    {.name = "message", .type = FIELD_STRING, .flags = FIELD_REQUIRED},
};
const struct route_fields mfa_confirm_fields = {.in = FIELD_LIST(confirm_in), .out = FIELD_LIST(confirm_out)};

static const struct field disable_in[] = {
    {.name = "otp", .type = FIELD_STRING, .min = 1, .max = MFA_CODE_MAX, .description = "The current code"},
    {.name = "recovery_code",
     .type = FIELD_STRING,
     .min = 1,
     .max = MFA_CODE_MAX,
     .description = "Or an unused recovery code"},
};
static const struct field disable_out[] = {
    {.name = "enabled", .type = FIELD_BOOLEAN, .flags = FIELD_REQUIRED},
    {.name = "message", .type = FIELD_STRING, .flags = FIELD_REQUIRED},
};
const struct route_fields mfa_disable_fields = {.in = FIELD_LIST(disable_in), .out = FIELD_LIST(disable_out)};
