/* A FastCGI program with two deliberate bugs, built only in sanitizer
 * builds: tests/integration/sanitizer.sh serves it in place of the profile
 * program to prove that a sanitizer report in a FastCGI program reaches
 * the server's log and fails the suite. It is served the way the real
 * programs are (lib/http/fcgi.c); GET /api/profile/ubsan overflows a signed
 * int, any other GET /api/profile... reads past a heap block. */
#include "app.h"
#include "http.h"
#include "route.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>

static void crash(struct request *req, struct response *resp)
{
	size_t n = strlen(req->path);
	int value;
	if (strstr(req->path, "ubsan")) {
		/* The length is only known at run time, so nothing is folded away. */
		volatile int big = INT_MAX - 1;
		value = big + (int)n;
	} else {
		char *block = malloc(8);
		memset(block, 'x', 8);
		value = block[8 + n % 2];
		free(block);
	}
	json_object *o = json_object_new_object();
	json_object_object_add(o, "value", json_object_new_int(value));
	response_json(resp, 200, o);
}

static const struct route crash_routes[] = {
    {"GET", "/api/profile", ROUTE_PUBLIC, NULL, "reads past a heap block", NULL, crash, 0},
    {"GET", "/api/profile/ubsan", ROUTE_PUBLIC, NULL, "overflows a signed int", NULL, crash, 0},
    {"GET", "/api/email", ROUTE_PUBLIC, NULL, "reads past a heap block", NULL, crash, 0},
};
static const struct route_group crash_group = {"profile", ROUTE_TABLE(crash_routes), 0};

int main(void)
{
	const struct route_group *const groups[] = {&crash_group};
	return app_main("profile", groups, 1);
}
