/* admin: users and their permissions. */
#include "context.h"
#include "auth0.h"
#include "audit.h"
#include "grant.h"
#include "password.h"
#include "routes.h"
#include "userdb.h"
#include "userjson.h"
#include "util.h"

#include <openssl/rand.h>
#include <stdlib.h>
#include <string.h>

static void add_user_row(const struct user *u, void *arg)
{
	json_object_array_add(arg, user_json(u, 0));
}

static void add_admin_row(const struct user *u, void *arg)
{
	json_object_array_add(arg, user_json(u, USER_JSON_PERMISSIONS));
}

static void list(const struct app *app, struct response *resp, void (*row)(const struct user *, void *),
		 int with_total)
{
	json_object *users = json_object_new_array();
	if (userdb_each(app->db, row, users) != USERDB_OK) {
		json_object_put(users);
		response_error(resp, 503, "Service unavailable", "The user store cannot be read");
		return;
	}
	json_object *body = json_object_new_object();
	json_object_object_add(body, "users", users);
	if (with_total)
		json_object_object_add(body, "total",
				       json_object_new_int64((int64_t)json_object_array_length(users)));
	response_json(resp, 200, body);
}

static void users_get(struct request *req, struct response *resp)
{
	const struct app *app = req->app;
	list(app, resp, add_user_row, 0);
}

static void admin_users_get(struct request *req, struct response *resp)
{
	const struct app *app = req->app;
	list(app, resp, add_admin_row, 1);
}

static void users_post(struct request *req, struct response *resp)
{
	const struct app *app = req->app;
	const char *name = field_str(req, "name"), *email = field_str(req, "email");
	const char *password = field_str(req, "password");
	char *perms = field_words(req, "permissions");
	if (grant_check(req, resp, "", perms, NULL, email) == HTTP_ANSWERED) {
		free(perms);
		return;
	}
	unsigned char rnd[6];
	RAND_bytes(rnd, sizeof rnd);
	char sub[32], created[32];
	snprintf(sub, sizeof sub, "auth0|%02x%02x%02x%02x%02x%02x", rnd[0], rnd[1], rnd[2], rnd[3], rnd[4],
		 rnd[5]);
	now_iso8601(created);
	struct user u = {.sub = sub,
			 .email = (char *)email,
			 .name = (char *)name,
			 .permissions = perms ? perms : (char *)"",
			 .created_at = created};
	u.password_hash = password ? password_hash(password) : NULL;
	int rc = password && !u.password_hash ? USERDB_ERROR : userdb_create(app->db, &u);
	free(u.password_hash);
	if (rc == USERDB_OK)
		audit_event(req, "user_created", "sub", req->principal->sub, "target", sub, "target_email",
			    email, "permissions", perms ? perms : "", NULL);
	free(perms);
	if (rc == USERDB_CONFLICT) {
		response_error(resp, 409, "Email already in use", "Another user has this email");
		return;
	}
	if (rc != USERDB_OK) {
		response_error(resp, 503, "Service unavailable", "The user could not be stored; try again");
		return;
	}
	struct user made = {.sub = sub, .email = (char *)email, .name = (char *)name};
	json_object *body = user_json(&made, 0);
	json_object_object_add(body, "created", json_object_new_string(created));
	response_json(resp, 201, body);
}

enum { GRANT_REFUSED = 100, STORE_RETRIES = 3, STORE_STALE = -2 };

/* Replaces the permissions of user_id with perms when the caller may grant
 * what that adds; the check holds for what is stored, so the write is made
 * only if the permissions did not change since they were read. A userdb
 * result, or GRANT_REFUSED with the 403 in resp. */
static int replace_permissions(const struct request *req, struct response *resp, const char *user_id,
			       const char *perms)
{
	const struct app *app = req->app;
	for (int i = 0; i < STORE_RETRIES; i++) {
		struct user u;
		int rc = userdb_find_by_sub(app->db, user_id, &u);
		if (rc != USERDB_OK)
			return rc;
		if (grant_check(req, resp, u.permissions, perms, user_id, u.email) == HTTP_ANSWERED)
			rc = GRANT_REFUSED;
		else if ((rc = userdb_swap_permissions(app->db, user_id, u.permissions, perms)) ==
			 USERDB_NOT_FOUND)
			rc = STORE_STALE; /* changed (or gone) meanwhile: read again */
		user_free(&u);
		if (rc != STORE_STALE)
			return rc;
	}
	return USERDB_ERROR;
}

static void permissions_post(struct request *req, struct response *resp)
{
	const char *user_id = field_str(req, "userId");
	char *perms = field_words(req, "permissions");
	int rc = replace_permissions(req, resp, user_id, perms);
	if (rc == GRANT_REFUSED) {
		/* resp holds the 403 */
	} else if (rc == USERDB_NOT_FOUND) {
		response_error(resp, 404, "User not found", "No user has this id");
	} else if (rc != USERDB_OK) {
		response_error(resp, 503, "Service unavailable",
			       "The permissions could not be stored; try again");
	} else {
		audit_event(req, "permissions_changed", "sub", req->principal->sub, "target", user_id,
			    "permissions", perms, NULL);
		json_object *body = json_object_new_object();
		json_object_object_add(body, "message", json_object_new_string("Permissions updated"));
		json_object_object_add(body, "userId", json_object_new_string(user_id));
		json_object_object_add(body, "permissions", json_word_array(perms));
		response_json(resp, 200, body);
	}
	free(perms);
}

/* Auth0 mode: the user as the tenant's Management API v2 gives it. */
static void auth0_user_get_handler(struct request *req, struct response *resp)
{
	const struct app *app = req->app;
	struct auth0_result r;
	auth0_user_get(&app->config, &app->fetch, request_param(req, "id"), app->now(), &r);
	if (r.status == AUTH0_OK)
		response_json(resp, 200, json_object_get(r.body));
	else
		auth0_error_response(&r, resp);
	auth0_result_free(&r);
}

static void user_get(struct request *req, struct response *resp)
{
	const struct app *app = req->app;
	struct user u;
	int rc = userdb_find_by_sub(app->db, request_param(req, "id"), &u);
	if (rc == USERDB_NOT_FOUND) {
		response_error(resp, 404, "User not found", "No user has this id");
		return;
	}
	if (rc != USERDB_OK) {
		response_error(resp, 503, "Service unavailable", "The user store cannot be read");
		return;
	}
	response_json(resp, 200,
		      user_json(&u, USER_JSON_USER_ID | USER_JSON_PERMISSIONS | USER_JSON_CREATED));
	user_free(&u);
}

static void auth0_user(struct request *req, struct response *resp)
{
	const struct app *app = req->app;
	if (app->source->issues_tokens)
		user_get(req, resp);
	else
		auth0_user_get_handler(req, resp);
}

static const struct field user_row[] = {
    {.name = "id", .type = FIELD_STRING, .flags = FIELD_REQUIRED},
    {.name = "name", .type = FIELD_STRING, .flags = FIELD_REQUIRED},
    {.name = "email", .type = FIELD_STRING, .flags = FIELD_REQUIRED},
};
static const struct field_list user_row_list = FIELD_LIST(user_row);
static const struct field users_get_out[] = {
    {.name = "users", .type = FIELD_ARRAY, .flags = FIELD_REQUIRED, .sub = &user_row_list},
};
static const struct route_fields users_get_fields = {.out = FIELD_LIST(users_get_out)};

static const struct field users_post_in[] = {
    {.name = "name",
     .type = FIELD_STRING,
     .flags = FIELD_REQUIRED,
     .min = 1,
     .max = FIELD_MAX_LEN,
     .description = "Display name"},
    {.name = "email",
     .type = FIELD_STRING,
     .flags = FIELD_REQUIRED,
     .min = 1,
     .max = FIELD_MAX_LEN,
     .format = FORMAT_EMAIL,
     .description = "Email address, unique among users"},
    {.name = "password",
     .type = FIELD_STRING,
     .min = 1,
     .max = PASSWORD_MAX_LEN,
     .description = "Optional: lets the user log in"},
    FIELD_PERMISSIONS(0, "Optional: the user's permissions (at most the caller's own)"),
};
static const struct field users_post_out[] = {
    {.name = "id", .type = FIELD_STRING, .flags = FIELD_REQUIRED},
    {.name = "name", .type = FIELD_STRING, .flags = FIELD_REQUIRED},
    {.name = "email", .type = FIELD_STRING, .flags = FIELD_REQUIRED},
    {.name = "created", .type = FIELD_STRING, .flags = FIELD_REQUIRED, .description = "ISO 8601 time"},
};
static const struct route_fields users_post_fields = {.in = FIELD_LIST(users_post_in),
						      .out = FIELD_LIST(users_post_out)};

static const struct field admin_row[] = {
    {.name = "id", .type = FIELD_STRING, .flags = FIELD_REQUIRED},
    {.name = "email", .type = FIELD_STRING, .flags = FIELD_REQUIRED},
    {.name = "name", .type = FIELD_STRING, .flags = FIELD_REQUIRED},
    {.name = "permissions", .type = FIELD_ARRAY, .flags = FIELD_REQUIRED},
};
static const struct field_list admin_row_list = FIELD_LIST(admin_row);
static const struct field admin_users_get_out[] = {
    {.name = "users", .type = FIELD_ARRAY, .flags = FIELD_REQUIRED, .sub = &admin_row_list},
    {.name = "total", .type = FIELD_INTEGER, .flags = FIELD_REQUIRED},
};
static const struct route_fields admin_users_get_fields = {.out = FIELD_LIST(admin_users_get_out)};

static const struct field permissions_post_in[] = {
    {.name = "userId",
     .type = FIELD_STRING,
     .flags = FIELD_REQUIRED,
     .min = 1,
     .max = FIELD_MAX_LEN,
     .description = "The user's id, e.g. auth0|user123"},
    FIELD_PERMISSIONS(FIELD_REQUIRED, "The user's permissions from now on (replaces them)"),
};
static const struct field permissions_post_out[] = {
    {.name = "message", .type = FIELD_STRING, .flags = FIELD_REQUIRED},
    {.name = "userId", .type = FIELD_STRING, .flags = FIELD_REQUIRED},
    {.name = "permissions", .type = FIELD_ARRAY, .flags = FIELD_REQUIRED},
};
static const struct route_fields permissions_post_fields = {.in = FIELD_LIST(permissions_post_in),
							    .out = FIELD_LIST(permissions_post_out)};

static const struct field user_get_out[] = {
    {.name = "user_id", .type = FIELD_STRING, .flags = FIELD_REQUIRED},
    {.name = "email", .type = FIELD_STRING, .flags = FIELD_REQUIRED},
    {.name = "name", .type = FIELD_STRING, .flags = FIELD_REQUIRED},
    {.name = "permissions", .type = FIELD_ARRAY, .flags = FIELD_REQUIRED},
    {.name = "created_at", .type = FIELD_STRING, .flags = FIELD_REQUIRED, .description = "ISO 8601 time"},
};
static const struct route_fields user_get_fields = {.out = FIELD_LIST(user_get_out)};

/* Local issuer: user_get's answer; Auth0 mode: the tenant's user (its
 * Management API's object, with more members and no permissions). */
static const struct field auth0_user_out[] = {
    {.name = "user_id", .type = FIELD_STRING, .flags = FIELD_REQUIRED},
    {.name = "email", .type = FIELD_STRING, .flags = FIELD_NULLABLE},
    {.name = "name", .type = FIELD_STRING, .flags = FIELD_NULLABLE},
    {.name = "permissions", .type = FIELD_ARRAY, .description = "Local issuer only"},
    {.name = "created_at", .type = FIELD_STRING, .description = "ISO 8601 time"},
};
static const struct route_fields auth0_user_fields = {.out = FIELD_LIST(auth0_user_out),
						      .flags = FIELDS_OUT_OPEN};

#define ROUTE ROUTE_ROW
static const struct route admin_routes[] = {
#include "admin_routes.h"
};
#undef ROUTE

const struct route_group admin_group = {"admin", ROUTE_TABLE(admin_routes), ADMIN_GROUP_FLAGS};
