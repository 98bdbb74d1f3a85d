/* register: Dynamic Client Registration (RFC 7591). The metadata is
 * checked by lib/store/oauthclient.c; this handler answers in RFC 7591's shape,
 * every error with error, error_description and the suite's message. */
#include "register.h"
#include "context.h"
#include "audit.h"
#include "oauthclient.h"
#include "util.h"

#include <stdlib.h>
#include <string.h>

static void oauth_error(struct response *resp, int status, const char *error, const char *desc)
{
	json_object *body = response_error(resp, status, error, desc);
	json_object_object_add(body, "error_description", json_object_new_string(desc));
}

static json_object *string_list(const char *words)
{
	return json_word_array(words ? words : "");
}

/* RFC 7591 section 3.2.1: the metadata as registered, with the secret once. */
static json_object *registered_body(const struct oauth_client *c, const char *secret)
{
	json_object *b = json_object_new_object();
	json_object_object_add(b, "client_id", json_object_new_string(c->client_id));
	json_object_object_add(b, "client_id_issued_at", json_object_new_int64((int64_t)c->issued_at));
	if (secret) {
		json_object_object_add(b, "client_secret", json_object_new_string(secret));
		json_object_object_add(b, "client_secret_expires_at", json_object_new_int64(0));
	}
	json_object *uris = json_object_new_array();
	for (size_t i = 0; i < c->nredirect_uris; i++)
		json_object_array_add(uris, json_object_new_string(c->redirect_uris[i]));
	json_object_object_add(b, "redirect_uris", uris);
	json_object_object_add(b, "token_endpoint_auth_method",
			       json_object_new_string(oauthclient_auth_name(c->auth)));
	json_object_object_add(b, "grant_types", string_list(c->grant_types));
	json_object_object_add(b, "response_types", string_list(c->response_types));
	if (c->client_name)
		json_object_object_add(b, "client_name", json_object_new_string(c->client_name));
	if (c->client_uri)
		json_object_object_add(b, "client_uri", json_object_new_string(c->client_uri));
	if (c->scope)
		json_object_object_add(b, "scope", json_object_new_string(c->scope));
	return b;
}

static void refused_store(const struct request *req, struct response *resp, enum oauthclient_status st,
			  long retry_after)
{
	const struct app *app = req->app;
	if (st == OAUTHCLIENT_LIMITED) {
		char secs[24];
		snprintf(secs, sizeof secs, "%ld", retry_after);
		audit_event(req, "client_registration_limited", "retry_after", secs, NULL);
		char *msg = ck_asprintf(
		    "Too many client registrations from this address; try again in %ld seconds", retry_after);
		oauth_error(resp, 429, "too_many_requests", msg);
		response_header(resp, "Retry-After", "%ld", retry_after);
		free(msg);
	} else if (st == OAUTHCLIENT_FULL) {
		log_msg("client registration refused: %ld clients are stored (MCPAUTH_CLIENT_LIMIT); remove "
			"unused "
			"ones with 'mcpauth client delete ID'",
			app->config.client_limit);
		oauth_error(resp, 503, "temporarily_unavailable", "No more clients can be registered now");
	} else {
		oauth_error(resp, 503, "temporarily_unavailable",
			    "The client store cannot be written; try again");
	}
}

void register_post(struct request *req, struct response *resp)
{
	const struct app *app = req->app;
	/* The answer holds a secret (RFC 7591 section 3.2.1: no-store). */
	response_header(resp, "Cache-Control", "no-store");
	response_header(resp, "Pragma", "no-cache");
	if (!app->source->issues_tokens) {
		oauth_error(resp, 404, "Not found", "Clients register with the Auth0 tenant");
		return;
	}
	if (req->body_invalid || !req->body) {
		oauth_error(resp, 400, "invalid_client_metadata",
			    "The body must be a JSON object of client metadata");
		return;
	}
	struct oauth_client c;
	const char *error;
	char desc[256];
	char *known = route_scopes(app->groups, app->ngroups);
	int rc = oauthclient_parse(req->body, 0, NULL, known, &c, &error, desc, sizeof desc);
	free(known);
	if (rc < 0) {
		oauth_error(resp, 400, error, desc);
		return;
	}
	struct oauthclient_limits lim = {app->config.register_limit, 3600, app->config.client_limit};
	char *secret = NULL;
	long retry_after = 0;
	enum oauthclient_status st =
	    oauthclient_register(app->db, &lim, &c, req->remote_addr, app->now(), &secret, &retry_after);
	if (st != OAUTHCLIENT_OK) {
		refused_store(req, resp, st, retry_after);
	} else {
		response_json(resp, 201, registered_body(&c, secret));
		audit_event(req, "client_registered", "client_id", c.client_id, "client_name", c.client_name,
			    "auth_method", oauthclient_auth_name(c.auth), "redirect_uri", c.redirect_uris[0],
			    NULL);
	}
	if (secret)
		secure_free(secret, strlen(secret));
	oauthclient_free(&c);
}
