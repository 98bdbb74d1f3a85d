/* The route groups, one per program. The mcp program and the index see
 * them all through route_groups. */
#ifndef MCPAUTH_ROUTES_H
#define MCPAUTH_ROUTES_H

#include "route.h"

extern const struct route_group auth_group;
extern const struct route_group profile_group;
extern const struct route_group admin_group;
extern const struct route_group mcp_group;

extern const struct route_group *const route_groups[];
extern const size_t route_ngroups;

#endif
