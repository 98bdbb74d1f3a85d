/* The admin group's routes, one ROUTE row each (cgi-bin/routes.h says what
 * a row holds and who includes it). No include guard: included once per
 * table, with ROUTE defined. */
#define ADMIN_GROUP_FLAGS 0

ROUTE("GET", "/api/users", ROUTE_PERMISSION, "read:users", "List users", &users_get_fields, users_get, 0)
ROUTE("POST", "/api/users", ROUTE_PERMISSION, "write:users", "Create a user", &users_post_fields, users_post,
      0)
ROUTE("GET", "/api/admin/users", ROUTE_PERMISSION, "admin:all", "List users with their permissions",
      &admin_users_get_fields, admin_users_get, 0)
ROUTE("POST", "/api/admin/permissions", ROUTE_PERMISSION, "admin:all", "Replace a user's permissions",
      &permissions_post_fields, permissions_post, ROUTE_DESTRUCTIVE | ROUTE_IDEMPOTENT)
ROUTE("GET", "/api/auth0/user/:id", ROUTE_PERMISSION, "read:users",
      "Read one user by id (from the Auth0 Management API in Auth0 mode)", &auth0_user_fields, auth0_user, 0)
ROUTE("GET", "/api/user/:id", ROUTE_PERMISSION, "read:users", "Read one user by id", &user_get_fields,
      user_get, 0)
