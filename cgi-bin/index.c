/* The other groups' rows without their schemas and handlers: what the
 * auth program's API index (GET /) lists of the groups it does not serve.
 * Data only, so the auth program links no other group's code. */
#include "routes.h"

#define ROUTE ROUTE_ROW_NO_HANDLER

static const struct route profile_index_rows[] = {
#include "profile_routes.h"
};
static const struct route admin_index_rows[] = {
#include "admin_routes.h"
};
static const struct route mcp_index_rows[] = {
#include "mcp_routes.h"
};

const struct route_group profile_rows = {"profile", ROUTE_TABLE(profile_index_rows), PROFILE_GROUP_FLAGS};
const struct route_group admin_rows = {"admin", ROUTE_TABLE(admin_index_rows), ADMIN_GROUP_FLAGS};
const struct route_group mcp_rows = {"mcp", ROUTE_TABLE(mcp_index_rows), MCP_GROUP_FLAGS};

const struct route_group *const route_index[] = {
    &auth_group,
    &profile_rows,
    &admin_rows,
    &mcp_rows,
};
const size_t route_nindex = sizeof route_index / sizeof route_index[0];
