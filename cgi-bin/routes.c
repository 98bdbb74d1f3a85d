/* The shared table of every group, handlers included: linking it links
 * every group (the mcp program, the tests). */
#include "routes.h"

const struct route_group *const route_groups[] = {
    &auth_group,
    &profile_group,
    &admin_group,
    &mcp_group,
};
const size_t route_ngroups = sizeof route_groups / sizeof route_groups[0];
