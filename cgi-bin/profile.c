/* profile: the caller's own profile and email. */
#include "context.h"
#include "audit.h"
#include "routes.h"
#include "sessions.h"
#include "userdb.h"
#include "userjson.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

static json_object *profile_object(const char *id, const char *name, const char *email)
{
	const struct user u = {.sub = (char *)id, .email = (char *)email, .name = (char *)name};
	return user_json(&u, 0);
}

static void profile_get(struct request *req, struct response *resp)
{
	const struct app *app = req->app;
	const struct principal *p = req->principal;
	const struct user *u;
	/* The store is the truth for the profile; the token may predate an update. */
	userdb_peek_by_sub(app->db, p->sub, &u);
	json_object *body = json_object_new_object();
	json_object_object_add(body, "profile",
			       profile_object(p->sub, u ? u->name : p->name, u ? u->email : p->email));
	json_object_object_add(body, "permissions",
			       p->permissions ? json_object_get(p->permissions) : json_object_new_array());
	json_object_object_add(body, "scope", json_string_or_null(p->scope));
	response_json(resp, 200, body);
}

static void profile_put(struct request *req, struct response *resp)
{
	const struct app *app = req->app;
	const char *name = field_str(req, "name"), *email = field_str(req, "email");
	if (!name && !email) {
		response_error(resp, 400, "Invalid request", "Give at least one of 'name' and 'email'");
		return;
	}
	switch (userdb_update_profile(app->db, req->principal->sub, name, email)) {
	case USERDB_OK:
		break;
	case USERDB_NOT_FOUND:
		response_error(resp, 404, "User not found", "The token's subject has no stored profile");
		return;
	case USERDB_CONFLICT:
		response_error(resp, 409, "Email already in use", "Another user has this email");
		return;
	default:
		response_error(resp, 503, "Service unavailable",
			       "The profile could not be stored; try again");
		return;
	}
	audit_event(req, "profile_updated", "sub", req->principal->sub, "new_name", name, "new_email", email,
		    NULL);
	struct user u;
	if (userdb_find_by_sub(app->db, req->principal->sub, &u) != USERDB_OK) {
		response_error(resp, 503, "Service unavailable", "The profile could not be read back");
		return;
	}
	json_object *body = json_object_new_object();
	json_object_object_add(body, "message", json_object_new_string("Profile updated"));
	json_object_object_add(body, "profile", profile_object(u.sub, u.name, u.email));
	response_json(resp, 200, body);
	user_free(&u);
}

static void email_get(struct request *req, struct response *resp)
{
	const struct app *app = req->app;
	const struct principal *p = req->principal;
	const struct user *u;
	userdb_peek_by_sub(app->db, p->sub, &u);
	json_object *body = json_object_new_object();
	json_object_object_add(body, "email", json_string_or_null(u ? u->email : p->email));
	json_object_object_add(body, "verified", json_object_new_boolean(u && u->email_verified));
	response_json(resp, 200, body);
}

static json_object *iso_time(long long t)
{
	char buf[32];
	time_t tt = (time_t)t;
	struct tm tm;
	gmtime_r(&tt, &tm);
	strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
	return json_object_new_string(buf);
}

struct sessions_out {
	json_object *arr;
	const char *current; /* the caller's token's family (grant_id), or NULL */
};

static void session_add(const struct account_session *s, void *arg)
{
	struct sessions_out *o = arg;
	json_object *j = json_object_new_object();
	json_object_object_add(j, "id", json_object_new_string(s->id));
	json_object_object_add(
	    j, "type", json_object_new_string(s->kind == SESSION_GRANT ? "oauth_grant" : "refresh_token"));
	json_object_object_add(j, "client_id", json_string_or_null(s->client_id));
	json_object_object_add(j, "scope", json_string_or_null(s->scope));
	json_object_object_add(j, "created_at", iso_time(s->created_at));
	json_object_object_add(j, "last_used_at", iso_time(s->last_used_at));
	json_object_object_add(j, "expires_at", s->expires_at ? iso_time(s->expires_at) : NULL);
	json_object_object_add(j, "created_address", json_string_or_null(s->created_addr));
	json_object_object_add(j, "last_address", json_string_or_null(s->last_addr));
	json_object_object_add(j, "current",
			       json_object_new_boolean(s->kind == SESSION_REFRESH && o->current &&
						       strcmp(s->id + 3, o->current) == 0));
	json_object_array_add(o->arr, j);
}

static void sessions_get(struct request *req, struct response *resp)
{
	const struct app *app = req->app;
	struct sessions_out o = {json_object_new_array(), req->principal->grant_id};
	if (sessions_each(app->db, req->principal->sub, app->now(), session_add, &o) != SESSIONS_OK) {
		json_object_put(o.arr);
		response_error(resp, 503, "Service unavailable", "The sessions cannot be read; try again");
		return;
	}
	json_object *body = json_object_new_object();
	json_object_object_add(body, "sessions", o.arr);
	response_json(resp, 200, body);
}

static void session_delete(struct request *req, struct response *resp)
{
	const struct app *app = req->app;
	const char *id = request_param(req, "id");
	enum session_kind kind;
	char *client = NULL;
	/* Another user's session is not found, as an unknown one: ids tell nothing. */
	switch (sessions_end(app->db, req->principal->sub, id, &kind, &client)) {
	case SESSIONS_OK:
		break;
	case SESSIONS_NOT_FOUND:
		response_error(resp, 404, "Session not found", "You have no live session with this id");
		return;
	default:
		response_error(resp, 503, "Service unavailable", "The session could not be ended; try again");
		return;
	}
	audit_event(req, "session_ended", "sub", req->principal->sub, "session", id, "type",
		    kind == SESSION_GRANT ? "oauth_grant" : "refresh_token", "client_id", client, NULL);
	json_object *body = json_object_new_object();
	json_object_object_add(
	    body, "message",
	    json_object_new_string(kind == SESSION_GRANT
				       ? "Session ended: the grant is forgotten and its client's "
					 "tokens revoked"
				       : "Session ended: its refresh token is revoked"));
	json_object_object_add(body, "id", json_object_new_string(id));
	response_json(resp, 200, body);
	free(client);
}

/* The profile as every answer gives it: the store's, or the token's. */
static const struct field profile_out[] = {
    {.name = "id", .type = FIELD_STRING, .flags = FIELD_REQUIRED, .description = "The user's id (sub)"},
    {.name = "email", .type = FIELD_STRING, .flags = FIELD_REQUIRED | FIELD_NULLABLE},
    {.name = "name", .type = FIELD_STRING, .flags = FIELD_REQUIRED | FIELD_NULLABLE},
};
static const struct field_list profile_list = FIELD_LIST(profile_out);

static const struct field profile_get_out[] = {
    {.name = "profile", .type = FIELD_OBJECT, .flags = FIELD_REQUIRED, .sub = &profile_list},
    {.name = "permissions",
     .type = FIELD_ARRAY,
     .flags = FIELD_REQUIRED,
     .description = "The token's permissions"},
    {.name = "scope",
     .type = FIELD_STRING,
     .flags = FIELD_REQUIRED | FIELD_NULLABLE,
     .description = "The token's scope"},
};
static const struct route_fields profile_get_fields = {.out = FIELD_LIST(profile_get_out)};

static const struct field profile_put_in[] = {
    {.name = "name", .type = FIELD_STRING, .min = 1, .max = FIELD_MAX_LEN, .description = "New display name"},
    {.name = "email",
     .type = FIELD_STRING,
     .min = 1,
     .max = FIELD_MAX_LEN,
     .format = FORMAT_EMAIL,
     .description = "New email address"},
};
static const struct field profile_put_out[] = {
    {.name = "message", .type = FIELD_STRING, .flags = FIELD_REQUIRED},
    {.name = "profile", .type = FIELD_OBJECT, .flags = FIELD_REQUIRED, .sub = &profile_list},
};
static const struct route_fields profile_put_fields = {.in = FIELD_LIST(profile_put_in),
						       .out = FIELD_LIST(profile_put_out)};

static const struct field email_get_out[] = {
    {.name = "email", .type = FIELD_STRING, .flags = FIELD_REQUIRED | FIELD_NULLABLE},
    {.name = "verified", .type = FIELD_BOOLEAN, .flags = FIELD_REQUIRED},
};
static const struct route_fields email_get_fields = {.out = FIELD_LIST(email_get_out)};

static const struct field session_out[] = {
    {.name = "id",
     .type = FIELD_STRING,
     .flags = FIELD_REQUIRED,
     .description = "What DELETE /api/sessions/:id takes"},
    {.name = "type",
     .type = FIELD_STRING,
     .flags = FIELD_REQUIRED,
     .description = "refresh_token (a login's refresh-token family) or oauth_grant (a client you allowed)"},
    {.name = "client_id",
     .type = FIELD_STRING,
     .flags = FIELD_REQUIRED | FIELD_NULLABLE,
     .description = "The OAuth client; null for a login of /auth/login"},
    {.name = "scope", .type = FIELD_STRING, .flags = FIELD_REQUIRED | FIELD_NULLABLE},
    {.name = "created_at", .type = FIELD_STRING, .flags = FIELD_REQUIRED, .description = "ISO 8601 time"},
    {.name = "last_used_at", .type = FIELD_STRING, .flags = FIELD_REQUIRED, .description = "ISO 8601 time"},
    {.name = "expires_at",
     .type = FIELD_STRING,
     .flags = FIELD_REQUIRED | FIELD_NULLABLE,
     .description = "ISO 8601 time; null for a grant"},
    {.name = "created_address", .type = FIELD_STRING, .flags = FIELD_REQUIRED | FIELD_NULLABLE},
    {.name = "last_address", .type = FIELD_STRING, .flags = FIELD_REQUIRED | FIELD_NULLABLE},
    {.name = "current",
     .type = FIELD_BOOLEAN,
     .flags = FIELD_REQUIRED,
     .description = "The calling token belongs to this session"},
};
static const struct field_list session_list = FIELD_LIST(session_out);
static const struct field sessions_get_out[] = {
    {.name = "sessions", .type = FIELD_ARRAY, .flags = FIELD_REQUIRED, .sub = &session_list},
};
static const struct route_fields sessions_get_fields = {.out = FIELD_LIST(sessions_get_out)};
static const struct field session_delete_out[] = {
    {.name = "message", .type = FIELD_STRING, .flags = FIELD_REQUIRED},
    {.name = "id", .type = FIELD_STRING, .flags = FIELD_REQUIRED},
};
static const struct route_fields session_delete_fields = {.out = FIELD_LIST(session_delete_out)};

#define ROUTE ROUTE_ROW
static const struct route profile_routes[] = {
#include "profile_routes.h"
};
#undef ROUTE

const struct route_group profile_group = {"profile", ROUTE_TABLE(profile_routes), PROFILE_GROUP_FLAGS};
