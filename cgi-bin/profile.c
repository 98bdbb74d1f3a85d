/* profile: the caller's own profile and email. */
#include "context.h"
#include "audit.h"
#include "routes.h"
#include "userdb.h"
#include "userjson.h"

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

#define ROUTE ROUTE_ROW
static const struct route profile_routes[] = {
#include "profile_routes.h"
};
#undef ROUTE

const struct route_group profile_group = {"profile", ROUTE_TABLE(profile_routes), PROFILE_GROUP_FLAGS};
