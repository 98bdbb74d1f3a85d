/* The profile group's routes, one ROUTE row each (cgi-bin/routes.h says
 * what a row holds and who includes it). No include guard: included once
 * per table, with ROUTE defined. */
#define PROFILE_GROUP_FLAGS 0

ROUTE("GET", "/api/profile", ROUTE_PERMISSION, "read:profile", "Read the caller's profile",
      &profile_get_fields, profile_get, 0)
ROUTE("PUT", "/api/profile", ROUTE_PERMISSION, "write:profile", "Update the caller's name or email",
      &profile_put_fields, profile_put, 0)
ROUTE("GET", "/api/email", ROUTE_SCOPE, "email", "Read the caller's email and whether it is verified",
      &email_get_fields, email_get, 0)
ROUTE("GET", "/api/sessions", ROUTE_PERMISSION, "read:profile",
      "List the caller's sessions: refresh-token logins and OAuth grants, with client, times and addresses",
      &sessions_get_fields, sessions_get, 0)
ROUTE("DELETE", "/api/sessions/:id", ROUTE_PERMISSION, "write:profile",
      "End one of the caller's sessions (revoke a login's refresh tokens, or forget an OAuth grant)",
      &session_delete_fields, session_delete, 0)
