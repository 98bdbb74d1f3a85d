/* auth0: the tenant APIs the suite calls in Auth0 mode: a user from the
 * Management API v2, with a client-credentials token shared by every
 * process through a 0600 file of the state directory, and the optional
 * password-realm grant behind /auth/login. */
#ifndef MCPAUTH_AUTH0_H
#define MCPAUTH_AUTH0_H

#include <json-c/json.h>
#include <time.h>

#include "config.h"
#include "fetch.h"
#include "http.h"

#define AUTH0_MGMT_TOKEN_FILE "auth0-mgmt-token.json"

enum auth0_status {
	AUTH0_OK = 0,	      /* body holds the tenant's JSON object */
	AUTH0_NOT_FOUND,      /* the tenant has no such user */
	AUTH0_DENIED,	      /* wrong email or password */
	AUTH0_RATE_LIMITED,   /* the tenant answered 429; see retry_after */
	AUTH0_UNREACHABLE,    /* no answer: DNS, connect, TLS, timeout */
	AUTH0_BAD_ANSWER,     /* an answer that cannot be used (logged) */
	AUTH0_NOT_CONFIGURED, /* AUTH0_CLIENT_ID or AUTH0_CLIENT_SECRET missing */
};

struct auth0_result {
	enum auth0_status status;
	json_object *body; /* owned, AUTH0_OK only */
	long retry_after;  /* seconds, or -1 */
};

/* GET /api/v2/users/{id}. */
void auth0_user_get(const struct config *c, const struct fetch_opts *o, const char *user_id, time_t now,
		    struct auth0_result *out);
/* POST /oauth/token, grant http://auth0.com/oauth/grant-type/password-realm. */
void auth0_password_grant(const struct config *c, const struct fetch_opts *o, const char *username,
			  const char *password, struct auth0_result *out);
void auth0_result_free(struct auth0_result *r);

/* The JSON error answer for a result other than AUTH0_OK. */
void auth0_error_response(const struct auth0_result *r, struct response *resp);

/* Seconds before a token's expiry at which it is no longer used. */
long auth0_token_margin(long expires_in);

#endif
