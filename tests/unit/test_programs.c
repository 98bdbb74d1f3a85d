/* Unit tests of how the programs are cut (cgi-bin/main.c, docs/hacking.md
 * "Which program holds what"): the auth program's index rows are the groups' own rows, a row
 * without its handler is never run nor offered to a preflight, and only a
 * program that signs reads the private key. tests/unit/programs.sh checks
 * with nm what each program links. */
#include <check.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app.h"
#include "cors.h"
#include "http.h"
#include "issuer.h"
#include "routes.h"
#include "util.h"
#include "unit.h"

static int same(const char *a, const char *b)
{
	return (!a && !b) || (a && b && strcmp(a, b) == 0);
}

START_TEST(test_index_rows_are_each_groups_rows_without_code)
{
	ck_assert_uint_eq(route_nindex, route_ngroups);
	ck_assert_ptr_eq(route_index[0], &auth_group);
	size_t total = 0;
	for (size_t g = 0; g < route_ngroups; g++) {
		const struct route_group *full = route_groups[g], *rows = route_index[g];
		ck_assert_str_eq(rows->name, full->name);
		ck_assert_uint_eq(rows->flags, full->flags);
		ck_assert_uint_eq(rows->nroutes, full->nroutes);
		for (size_t i = 0; i < full->nroutes; i++) {
			const struct route *a = &rows->routes[i], *b = &full->routes[i];
			ck_assert_str_eq(a->method, b->method);
			ck_assert_str_eq(a->pattern, b->pattern);
			ck_assert_int_eq(a->req, b->req);
			ck_assert(same(a->need, b->need));
			ck_assert_str_eq(a->summary, b->summary);
			ck_assert_uint_eq(a->flags, b->flags);
			ck_assert_ptr_nonnull(b->handler);
			if (g > 0) {
				ck_assert_ptr_null(a->handler);
				ck_assert_ptr_null(a->fields);
			}
		}
		total += full->nroutes;
	}
	ck_assert_uint_eq(total, 50);
}
END_TEST

START_TEST(test_dispatch_skips_rows_without_handler)
{
	struct request req = {.method = "GET", .path = ck_strdup("/api/profile"), .query = ck_strdup("")};
	struct response resp;
	response_init(&resp);
	app_route(route_index, route_nindex, &req, &resp);
	ck_assert_int_eq(resp.status, 404);
	ck_assert_ptr_null(req.route);
	response_free(&resp);
	request_free(&req);
	/* Nor does a preflight announce its methods. */
	char methods[128];
	ck_assert_uint_eq(
	    route_path_methods(route_index, route_nindex, "/api/profile", methods, sizeof methods), 0);
	ck_assert_uint_eq(
	    route_path_methods(route_groups, route_ngroups, "/api/profile", methods, sizeof methods), 2);
	ck_assert_str_eq(methods, "GET, PUT");
}
END_TEST

/* --- start-up: what a program loads ------------------------------------ */

static char tmpdir[64];
static char *state_dir, *key_path, *jwks_path;

static void setup(void)
{
	snprintf(tmpdir, sizeof tmpdir, "/tmp/mcpauth-unit-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(tmpdir));
	state_dir = ck_asprintf("%s/state", tmpdir);
	key_path = ck_asprintf("%s/signing-key.pem", state_dir);
	jwks_path = ck_asprintf("%s/jwks.json", state_dir);
	setenv("MCPAUTH_STATE_DIR", state_dir, 1);
	unsetenv("MCPAUTH_JWKS_FILE");
	unsetenv("AUTH0_DOMAIN");
}

static void teardown(void)
{
	char *cmd = ck_asprintf("rm -rf '%s'", tmpdir);
	ck_assert_int_eq(system(cmd), 0);
	free(cmd);
	free(state_dir);
	free(key_path);
	free(jwks_path);
}

static const struct route_group *const profile_only[] = {&profile_group};

/* The keys made, then the private key replaced by text no key reader
 * takes: a program that reads it cannot start. */
static void spoil_private_key(void)
{
	char err[256] = "";
	ck_assert_msg(issuer_ensure_keys(state_dir, jwks_path, err, sizeof err) == 0, "%s", err);
	FILE *f = fopen(key_path, "w");
	ck_assert_ptr_nonnull(f);
	fputs("not a key\n", f);
	fclose(f);
}

START_TEST(test_non_signing_program_never_reads_private_key)
{
	char err[512] = "";
	spoil_private_key();
	ck_assert_msg(app_init("profile", profile_only, 1, profile_group.flags, err, sizeof err) == 0, "%s",
		      err);
	ck_assert(!app.has_issuer);
	ck_assert_ptr_null(app.issuer.pem);
	ck_assert_uint_gt(app.keys.nkeys, 0);
	app_free();
}
END_TEST

START_TEST(test_signing_programs_read_private_key)
{
	static const char *const signers[] = {"auth", "mcp"};
	char err[512] = "";
	spoil_private_key();
	for (size_t i = 0; i < 2; i++) {
		const struct route_group *g = i == 0 ? &auth_group : &mcp_group;
		ck_assert_str_eq(g->name, signers[i]);
		ck_assert(g->flags & GROUP_SIGNS);
		err[0] = '\0';
		ck_assert_int_eq(app_init(signers[i], route_groups, route_ngroups, g->flags, err, sizeof err),
				 -1);
		ck_assert_msg(strstr(err, "signing-key.pem") != NULL, "%s", err);
		app_free();
	}
	ck_assert(!(profile_group.flags & GROUP_SIGNS));
	ck_assert(!(admin_group.flags & GROUP_SIGNS));
}
END_TEST

/* The first start: whichever program starts first makes the keys. */
START_TEST(test_non_signing_program_makes_keys_on_first_start)
{
	char err[512] = "";
	ck_assert_msg(app_init("profile", profile_only, 1, 0, err, sizeof err) == 0, "%s", err);
	ck_assert(!app.has_issuer);
	app_free();
	struct issuer is;
	ck_assert_msg(issuer_load(&is, state_dir, err, sizeof err) == 0, "%s", err);
	issuer_free(&is);
	ck_assert_msg(app_init("auth", route_index, route_nindex, GROUP_SIGNS, err, sizeof err) == 0, "%s",
		      err);
	ck_assert(app.has_issuer);
	app_free();
}
END_TEST

/* GET / in the auth program (its own group, the others' rows) answers what
 * it answers with every group linked. */
static char *index_text(const struct route_group *const *groups, size_t ngroups)
{
	app.groups = groups;
	app.ngroups = ngroups;
	struct request req = {.method = "GET", .path = ck_strdup("/"), .query = ck_strdup("")};
	struct response resp;
	response_init(&resp);
	const struct route_group *const own[] = {&auth_group};
	app_handle(own, 1, &req, &resp);
	ck_assert_int_eq(resp.status, 200);
	char *text = ck_strdup(json_object_to_json_string_ext(resp.body, JSON_C_TO_STRING_PLAIN));
	response_free(&resp);
	request_free(&req);
	return text;
}

START_TEST(test_auth_index_lists_every_group)
{
	char err[512] = "";
	ck_assert_msg(app_init("auth", route_index, route_nindex, GROUP_SIGNS, err, sizeof err) == 0, "%s",
		      err);
	char *rows = index_text(route_index, route_nindex), *full = index_text(route_groups, route_ngroups);
	ck_assert_str_eq(rows, full);
	ck_assert_ptr_nonnull(strstr(rows, "\"path\":\"\\/api\\/profile\""));
	ck_assert_ptr_nonnull(strstr(rows, "\"path\":\"\\/api\\/admin\\/permissions\""));
	ck_assert_ptr_nonnull(strstr(rows, "\"path\":\"\\/mcp\\/invoke\""));
	free(rows);
	free(full);
	app_free();
}
END_TEST

/* The token source is chosen once at start, from the settings; callers
 * ask the table. Auth0's is chosen in tests/integration/auth0.sh. */
START_TEST(test_token_source_chosen_at_start)
{
	char err[512] = "";
	ck_assert_msg(app_init("profile", profile_only, 1, 0, err, sizeof err) == 0, "%s", err);
	ck_assert_str_eq(app.source->name, "local");
	ck_assert(app.source->issues_tokens);
	ck_assert(!app.source->demo_tokens);
	app_free();
	ck_assert_ptr_null(app.source);
	setenv("MCPAUTH_DEMO_TOKENS", "1", 1);
	ck_assert_msg(app_init("profile", profile_only, 1, 0, err, sizeof err) == 0, "%s", err);
	unsetenv("MCPAUTH_DEMO_TOKENS");
	ck_assert_str_eq(app.source->name, "demo");
	ck_assert(app.source->issues_tokens);
	ck_assert(app.source->demo_tokens);
	app_free();
}
END_TEST

Suite *unit_suite(void)
{
	Suite *s = suite_create("programs");
	TCase *tc = tcase_create("tables");
	tcase_add_test(tc, test_index_rows_are_each_groups_rows_without_code);
	tcase_add_test(tc, test_dispatch_skips_rows_without_handler);
	suite_add_tcase(s, tc);
	tc = tcase_create("startup");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_non_signing_program_never_reads_private_key);
	tcase_add_test(tc, test_signing_programs_read_private_key);
	tcase_add_test(tc, test_non_signing_program_makes_keys_on_first_start);
	tcase_add_test(tc, test_auth_index_lists_every_group);
	tcase_add_test(tc, test_token_source_chosen_at_start);
	suite_add_tcase(s, tc);
	return s;
}
