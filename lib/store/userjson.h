/* userjson: a user row as JSON, the one shape of the profile, admin and
 * CLI answers, the login answer's user and the issued tokens' claims. */
#ifndef MCPAUTH_USERJSON_H
#define MCPAUTH_USERJSON_H

#include <json-c/json.h>

#include "userdb.h"

enum {
	USER_JSON_SUB = 1 << 0,		/* the id as "sub" (claims), not "id" */
	USER_JSON_USER_ID = 1 << 1,	/* the id as "user_id" (the Auth0 form) */
	USER_JSON_PERMISSIONS = 1 << 2, /* "permissions": an array of words */
	USER_JSON_SCOPE = 1 << 3,	/* "scope": the space-separated string */
	USER_JSON_VERIFIED = 1 << 4,	/* "email_verified" */
	USER_JSON_CREATED = 1 << 5,	/* "created_at" */
};

/* A new object: the id ("id" unless fields say otherwise), "email" and
 * "name" (null when NULL), then what fields ask for, in that order. */
json_object *user_json(const struct user *u, unsigned fields);

#endif
