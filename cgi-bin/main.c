/* One FastCGI program, named by PROGRAM_AUTH, _PROFILE, _ADMIN or _MCP.
 * Each links what its routes need and nothing else (docs/hacking.md, "Which program holds what"):
 * the groups it hands app_main are the only ones the linker pulls in. */
#include "app.h"
#include "routes.h"

int main(void)
{
#if defined(PROGRAM_AUTH)
	/* Its own group; the API index lists the others' rows, not their code. */
	return app_main("auth", route_index, route_nindex);
#elif defined(PROGRAM_PROFILE)
	static const struct route_group *const groups[] = {&profile_group};
	return app_main("profile", groups, 1);
#elif defined(PROGRAM_ADMIN)
	static const struct route_group *const groups[] = {&admin_group};
	return app_main("admin", groups, 1);
#elif defined(PROGRAM_MCP)
	/* Every group: its tools re-invoke their handlers in process. */
	return app_main("mcp", route_groups, route_ngroups);
#else
#error "build with -DPROGRAM_AUTH, -DPROGRAM_PROFILE, -DPROGRAM_ADMIN or -DPROGRAM_MCP"
#endif
}
