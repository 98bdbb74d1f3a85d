/* One FastCGI program: serves the route group named PROGRAM. */
#include "app.h"
#include "routes.h"

int main(void)
{
	return app_main(PROGRAM, route_groups, route_ngroups);
}
