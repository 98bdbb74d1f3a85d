/* The route groups, one per program. Each group's rows are written once,
 * in cgi-bin/<group>_routes.h, as ROUTE(method, pattern, requirement,
 * need, summary, fields, handler, flags) lines, fields
 * being a struct route_fields * (lib/http/field.h) or NULL:
 *   - <group>.c includes them with ROUTE_ROW: its route table, handlers
 *     and all (<group>_group);
 *   - index.c includes the other groups' with ROUTE_ROW_NO_HANDLER: rows with
 *     no fields and no handler (<group>_rows), so that the auth program's
 *     API index lists every route without linking another group's code.
 * Which program links what is in main.c. */
#ifndef MCPAUTH_ROUTES_H
#define MCPAUTH_ROUTES_H

#include "route.h"

#define ROUTE_ROW(method, pattern, req, need, summary, fields, handler, flags)                               \
	{method, pattern, req, need, summary, fields, handler, flags},
#define ROUTE_ROW_NO_HANDLER(method, pattern, req, need, summary, fields, handler, flags)                    \
	{method, pattern, req, need, summary, NULL, NULL, flags},

/* Each group with its handlers (cgi-bin/<group>.c). */
extern const struct route_group auth_group;
extern const struct route_group profile_group;
extern const struct route_group admin_group;
extern const struct route_group mcp_group;

/* Every group with its handlers (routes.c): the shared table the mcp
 * program re-invokes in process. */
extern const struct route_group *const route_groups[];
extern const size_t route_ngroups;

/* Each group's rows without handlers (index.c), and the auth program's
 * groups: auth_group, then the other groups' rows, in route_groups' order. */
extern const struct route_group profile_rows, admin_rows, mcp_rows;
extern const struct route_group *const route_index[];
extern const size_t route_nindex;

#endif
