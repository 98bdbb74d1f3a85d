/* Unit tests of lib/config.c: the settings, among them the MCP ones (allowed origins, the
 * canonical resource URL) and the hosts the programs answer for. */

#include <check.h>
#include <dirent.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <openssl/evp.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "db.h"
#include "guard.h"
#include "app.h"
#include "audit.h"
#include "config.h"
#include "cors.h"
#include "grant.h"
#include "http.h"
#include "ratelimit.h"
#include "refresh.h"
#include "route.h"
#include "routes.h"
#include "tool.h"
#include "unit.h"
#include "userdb.h"
#include "util.h"

/* The settings tests load into the global app's config. */
static void app_reset(void)
{
	memset(&app, 0, sizeof app);
}

/* --- config: origins, resource URL ----------------------------------------- */

static int load_with(const char *resource, const char *origins, struct config *c, char *err, size_t n)
{
	setenv("MCPAUTH_STATE_DIR", "/tmp/mcpauth-unit", 1);
	if (resource)
		setenv("MCPAUTH_RESOURCE_URL", resource, 1);
	else
		unsetenv("MCPAUTH_RESOURCE_URL");
	if (origins)
		setenv("MCPAUTH_ALLOWED_ORIGINS", origins, 1);
	else
		unsetenv("MCPAUTH_ALLOWED_ORIGINS");
	return config_load(c, err, n);
}

START_TEST(test_config_allows_listed_origins_only)
{
	struct config c;
	char err[256];
	ck_assert_int_eq(
	    load_with(NULL, " https://app.example.com , http://localhost:5173", &c, err, sizeof err), 0);
	ck_assert(config_origin_allowed(&c, "https://app.example.com"));
	ck_assert(config_origin_allowed(&c, "HTTPS://APP.example.com"));
	ck_assert(config_origin_allowed(&c, "http://localhost:5173"));
	ck_assert(!config_origin_allowed(&c, "http://localhost:5174"));
	ck_assert(!config_origin_allowed(&c, "https://app.example.com.evil.com"));
	ck_assert(!config_origin_allowed(&c, "https://app.example"));
	ck_assert(!config_origin_allowed(&c, "null"));
	ck_assert(!config_origin_allowed(&c, NULL));
	config_free(&c);
	ck_assert_int_eq(load_with(NULL, NULL, &c, err, sizeof err), 0);
	ck_assert(!config_origin_allowed(&c, "https://app.example.com"));
	config_free(&c);
}
END_TEST

START_TEST(test_config_refuses_origins_that_are_not_origins)
{
	static const char *const bad[] = {"*",
					  "app.example.com",
					  "https://app.example.com/",
					  "ftp://x.example.com",
					  "https://a.example.com,https://b.example.com/path",
					  ","};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		struct config c;
		char err[256] = "";
		ck_assert_msg(load_with(NULL, bad[i], &c, err, sizeof err) == -1, "accepted %s", bad[i]);
		ck_assert_ptr_nonnull(strstr(err, "MCPAUTH_ALLOWED_ORIGINS"));
		config_free(&c);
	}
}
END_TEST

START_TEST(test_config_resource_url_loses_its_trailing_slash)
{
	char err[256];
	ck_assert_int_eq(load_with("https://api.example.com/mcp/", NULL, &app.config, err, sizeof err), 0);
	ck_assert_str_eq(app.config.resource_url, "https://api.example.com/mcp");
	struct request req = {.app = &app, .host = "other.example.com"};
	char *res = guard_resource_url(&req), *meta = guard_resource_metadata_url(&req);
	ck_assert_str_eq(res, "https://api.example.com/mcp");
	ck_assert_str_eq(meta, "https://api.example.com/.well-known/oauth-protected-resource/mcp");
	free(res);
	free(meta);
	/* A route off the MCP endpoint belongs to the resource at the root. */
	struct request api = {.app = &app, .host = "other.example.com", .path = "/api/profile"};
	res = guard_resource_url(&api);
	meta = guard_resource_metadata_url(&api);
	ck_assert_str_eq(res, "https://api.example.com/");
	ck_assert_str_eq(meta, "https://api.example.com/.well-known/oauth-protected-resource");
	free(res);
	free(meta);
	/* The tokens accepted for either; no other URL of that origin. */
	ck_assert(guard_own_resource(&api, "https://api.example.com/mcp"));
	ck_assert(guard_own_resource(&api, "https://api.example.com/"));
	ck_assert(!guard_own_resource(&api, "https://api.example.com/mcp/"));
	ck_assert(!guard_own_resource(&api, "https://api.example.com"));
	ck_assert(!guard_own_resource(&api, "https://other.example.com/mcp"));
	config_free(&app.config);
	unsetenv("MCPAUTH_RESOURCE_URL");
}
END_TEST

/* RFC 9728 section 3.1 for each shape of resource URL, and the challenge
 * built around it. */
START_TEST(test_resource_metadata_url_shapes)
{
	static const char *const cases[][2] = {
	    {"https://api.example.com", "https://api.example.com/.well-known/oauth-protected-resource"},
	    {"https://api.example.com/", "https://api.example.com/.well-known/oauth-protected-resource"},
	    {"https://api.example.com/a/b",
	     "https://api.example.com/.well-known/oauth-protected-resource/a/b"},
	    {"https://api.example.com:8443/mcp",
	     "https://api.example.com:8443/.well-known/oauth-protected-resource/mcp"},
	};
	char err[256];
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		ck_assert_int_eq(load_with(cases[i][0], NULL, &app.config, err, sizeof err), 0);
		struct request req = {.app = &app, .host = "ignored.example.com"};
		char *meta = guard_resource_metadata_url(&req);
		ck_assert_str_eq(meta, cases[i][1]);
		free(meta);
		config_free(&app.config);
	}
	unsetenv("MCPAUTH_RESOURCE_URL");
	/* Without a configured URL: the request's scheme and host, when that
	 * host is allowed; never one that is not (DNS rebinding). */
	ck_assert_int_eq(load_with(NULL, NULL, &app.config, err, sizeof err), 0);
	struct request refused = {.app = &app, .host = "h.example.com:3009", .https = 1};
	char *meta = guard_resource_metadata_url(&refused);
	ck_assert_str_eq(meta, "https://localhost/.well-known/oauth-protected-resource/mcp");
	free(meta);
	config_free(&app.config);
	setenv("MCPAUTH_ALLOWED_HOSTS", "h.example.com", 1);
	ck_assert_int_eq(load_with(NULL, NULL, &app.config, err, sizeof err), 0);
	unsetenv("MCPAUTH_ALLOWED_HOSTS");
	struct request req = {.app = &app, .host = "h.example.com:3009", .https = 1};
	/* A token's aud may be the resource URL built from the request: its
	 * scheme and allowed Host, /mcp or the root; never another host's. */
	ck_assert(guard_own_resource(&req, "https://h.example.com:3009/mcp"));
	ck_assert(guard_own_resource(&req, "https://H.example.com:3009/"));
	ck_assert(!guard_own_resource(&req, "http://h.example.com:3009/mcp"));
	ck_assert(!guard_own_resource(&req, "https://h.example.com:3010/mcp"));
	ck_assert(!guard_own_resource(&req, "https://h.example.com:3009/mcpx"));
	struct request rebound = {.app = &app, .host = "evil.example.com:3009", .https = 1};
	ck_assert(!guard_own_resource(&rebound, "https://evil.example.com:3009/mcp"));
	meta = guard_resource_metadata_url(&req);
	ck_assert_str_eq(meta, "https://h.example.com:3009/.well-known/oauth-protected-resource/mcp");
	free(meta);
	struct response resp;
	response_init(&resp);
	guard_challenge(&req, &resp, "invalid_token", "The token expired");
	ck_assert_str_eq(
	    response_get_header(&resp, "WWW-Authenticate"),
	    "Bearer realm=\"mcpauth\", error=\"invalid_token\", error_description=\"The token expired\", "
	    "scope=\"openid profile email offline_access\", "
	    "resource_metadata=\"https://h.example.com:3009/.well-known/oauth-protected-resource/mcp\"");
	guard_challenge(&req, &resp, NULL, NULL);
	ck_assert_str_eq(response_get_header(&resp, "WWW-Authenticate"),
			 "Bearer realm=\"mcpauth\", scope=\"openid profile email offline_access\", "
			 "resource_metadata=\"https://"
			 "h.example.com:3009/.well-known/oauth-protected-resource/mcp\"");
	response_free(&resp);
	config_free(&app.config);
}
END_TEST

START_TEST(test_config_security_defaults)
{
	struct config c;
	char err[256] = "";
	ck_assert_msg(config_load(&c, err, sizeof err) == 0, "%s", err);
	ck_assert_str_eq(c.audit_log, "stderr");
	ck_assert_ptr_null(c.cors_origins);
	ck_assert_int_eq(c.refresh_ttl, 30L * 86400);
	ck_assert_int_eq(c.login_email_limit, 5);
	ck_assert_int_eq(c.login_addr_limit, 20);
	ck_assert_int_eq(c.login_window, 900);
	ck_assert_int_eq(c.request_timeout, 10);
	ck_assert(!config_cors_origin_allowed(&c, "https://app.example.com"));
	config_free(&c);
}
END_TEST

START_TEST(test_config_security_refuses_bad_values)
{
	static const char *const bad[][2] = {
	    {"MCPAUTH_CORS_ORIGINS", "*"},	{"MCPAUTH_CORS_ORIGINS", "https://app.example.com/path"},
	    {"MCPAUTH_CORS_ORIGINS", "null"},	{"MCPAUTH_AUDIT_LOG", "audit.log"},
	    {"MCPAUTH_REFRESH_TTL", "0"},	{"MCPAUTH_REFRESH_TTL", "40000000"},
	    {"MCPAUTH_LOGIN_EMAIL_LIMIT", "0"}, {"MCPAUTH_LOGIN_ADDR_LIMIT", "many"},
	    {"MCPAUTH_LOGIN_WINDOW", "-5"},	{"MCPAUTH_REQUEST_TIMEOUT", "0"},
	    {"MCPAUTH_REQUEST_TIMEOUT", "301"},
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		struct config c;
		char err[256] = "";
		unit_env_reset();
		setenv(bad[i][0], bad[i][1], 1);
		ck_assert_msg(config_load(&c, err, sizeof err) == -1, "accepted %s=%s", bad[i][0], bad[i][1]);
		ck_assert_msg(strstr(err, bad[i][0]) != NULL, "error does not name %s: %s", bad[i][0], err);
		config_free(&c);
	}
	unit_env_reset();
}
END_TEST

/* Sign-up and the mail command: a bad value stops the program, naming it;
 * sign-up without a way to mail the link is refused. */
START_TEST(test_config_accounts_refuse_bad_values)
{
	static const char *const bad[][4] = {
	    {"MCPAUTH_MAIL_COMMAND", "sendmail -i", NULL, NULL},
	    {"MCPAUTH_MAIL_COMMAND", "/usr/sbin/sendmail\t-i", NULL, NULL},
	    {"MCPAUTH_SIGNUP", "yes", "MCPAUTH_MAIL_COMMAND", "/bin/true"},
	    {"MCPAUTH_SIGNUP", "example.com/x", "MCPAUTH_MAIL_COMMAND", "/bin/true"},
	    {"MCPAUTH_SIGNUP", "example.com:25", "MCPAUTH_MAIL_COMMAND", "/bin/true"},
	    {"MCPAUTH_SIGNUP", "1", NULL, NULL},
	    {"MCPAUTH_SIGNUP_PERMISSIONS", "read:profile Admin", NULL, NULL},
	    {"MCPAUTH_MAIL_TIMEOUT", "0", NULL, NULL},
	    {"MCPAUTH_RESET_TTL", "86401", NULL, NULL},
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		struct config c;
		char err[256] = "";
		unit_env_reset();
		setenv(bad[i][0], bad[i][1], 1);
		if (bad[i][2])
			setenv(bad[i][2], bad[i][3], 1);
		ck_assert_msg(config_load(&c, err, sizeof err) == -1, "accepted %s=%s", bad[i][0], bad[i][1]);
		ck_assert_msg(strstr(err, bad[i][0]) != NULL, "error does not name %s: %s", bad[i][0], err);
		config_free(&c);
		if (bad[i][2])
			unsetenv(bad[i][2]);
	}
	/* Auth0 mode: users sign up at the tenant. */
	struct config c;
	char err[256] = "";
	unit_env_reset();
	setenv("MCPAUTH_SIGNUP", "1", 1);
	setenv("MCPAUTH_MAIL_COMMAND", "/bin/true", 1);
	setenv("AUTH0_DOMAIN", "tenant.example.com", 1);
	ck_assert_int_eq(config_load(&c, err, sizeof err), -1);
	ck_assert_msg(strstr(err, "AUTH0_DOMAIN") != NULL, "%s", err);
	config_free(&c);
	unsetenv("AUTH0_DOMAIN");
	unit_env_reset();
}
END_TEST

START_TEST(test_config_signup_domains)
{
	struct config c;
	char err[256] = "";
	int off;
	unit_env_reset();
	ck_assert_int_eq(config_load(&c, err, sizeof err), 0);
	ck_assert_int_eq(config_signup_allows(&c, "a@example.com", &off), 0);
	ck_assert_int_eq(off, 1);
	ck_assert_str_eq(c.signup_permissions, "read:profile write:profile");
	config_free(&c);
	setenv("MCPAUTH_MAIL_COMMAND", "/usr/sbin/sendmail -i", 1);
	setenv("MCPAUTH_SIGNUP", "example.org, Example.NET", 1);
	ck_assert_msg(config_load(&c, err, sizeof err) == 0, "%s", err);
	ck_assert_int_eq(config_signup_allows(&c, "a@example.net", &off), 1);
	ck_assert_int_eq(config_signup_allows(&c, "a@EXAMPLE.org", &off), 1);
	ck_assert_int_eq(config_signup_allows(&c, "a@example.com", &off), 0);
	ck_assert_int_eq(off, 0);
	ck_assert_int_eq(config_signup_allows(&c, "a@sub.example.org", &off), 0);
	ck_assert_int_eq(config_signup_allows(&c, "example.org@evil.com", &off), 0);
	config_free(&c);
	setenv("MCPAUTH_SIGNUP", "1", 1);
	ck_assert_msg(config_load(&c, err, sizeof err) == 0, "%s", err);
	ck_assert_int_eq(config_signup_allows(&c, "a@anything.example", &off), 1);
	config_free(&c);
	unit_env_reset();
}
END_TEST

/* Clients fetch the issuer's metadata and compare it byte for byte: only
 * an http(s) URL without query or fragment starts a program. */
START_TEST(test_config_issuer_must_be_an_http_url)
{
	static const char *const bad[] = {
	    "mcpauth.local",	    "ftp://mcpauth.local/",   "https://",
	    "https:///path",	    "https://a.example/?x=1", "https://a.example/#f",
	    "https://u@a.example/", "https://a.example/ x",   "HTTPS//a.example"};
	static const char *const good[] = {"https://api.example.com", "https://api.example.com/",
					   "http://127.0.0.1:3009", "https://a.example/tenant/"};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		struct config c;
		char err[256] = "";
		unit_env_reset();
		setenv("MCPAUTH_ISSUER", bad[i], 1);
		ck_assert_msg(config_load(&c, err, sizeof err) == -1, "accepted %s", bad[i]);
		ck_assert_msg(strstr(err, "MCPAUTH_ISSUER") != NULL, "%s", err);
		config_free(&c);
	}
	for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
		struct config c;
		char err[256] = "";
		unit_env_reset();
		setenv("MCPAUTH_ISSUER", good[i], 1);
		ck_assert_msg(config_load(&c, err, sizeof err) == 0, "%s: %s", good[i], err);
		/* Kept verbatim, trailing slash and all: tokens carry this string. */
		ck_assert_str_eq(c.issuer, good[i]);
		config_free(&c);
	}
	unsetenv("MCPAUTH_ISSUER");
	unit_env_reset();
}
END_TEST

START_TEST(test_config_cors_origins_are_also_mcp_origins)
{
	struct config c;
	char err[256] = "";
	setenv("MCPAUTH_CORS_ORIGINS", "https://app.example.com, http://localhost:5173", 1);
	setenv("MCPAUTH_ALLOWED_ORIGINS", "https://agent.example.com", 1);
	setenv("MCPAUTH_LOGIN_WINDOW", "3", 1);
	ck_assert_msg(config_load(&c, err, sizeof err) == 0, "%s", err);
	ck_assert_int_eq(c.login_window, 3);
	ck_assert(config_cors_origin_allowed(&c, "https://app.example.com"));
	ck_assert(config_cors_origin_allowed(&c, "http://localhost:5173"));
	ck_assert(!config_cors_origin_allowed(&c, "https://agent.example.com"));
	ck_assert(!config_cors_origin_allowed(&c, "https://app.example.com.evil.com"));
	ck_assert(config_origin_allowed(&c, "https://agent.example.com"));
	ck_assert(config_origin_allowed(&c, "https://app.example.com"));
	ck_assert(!config_origin_allowed(&c, "https://evil.example.com"));
	config_free(&c);
	unit_env_reset();
}
END_TEST

/* --- Host check (DNS rebinding) ------------------------------------------ */

START_TEST(test_hosts_default_serves_loopback_names_on_any_port)
{
	struct config c;
	char err[256] = "";
	ck_assert_msg(config_load(&c, err, sizeof err) == 0, "%s", err);
	static const char *const good[] = {"localhost", "localhost:3009", "127.0.0.1", "127.0.0.1:80",
					   "[::1]",	"[::1]:8080",	  "LOCALHOST", "localhost.:1"};
	static const char *const bad[] = {"evil.example",
					  "evil.example:3009",
					  "localhost.evil.example",
					  "127.0.0.1.nip.io",
					  "127.0.0.2",
					  "[::2]",
					  "::1",
					  "localhost:",
					  "localhost:abc",
					  "localhost:123456",
					  "local host",
					  "localhost/x",
					  "user@localhost",
					  "[::1",
					  "[]",
					  ".localhost",
					  "localhost:80:80"};
	for (size_t i = 0; i < sizeof good / sizeof good[0]; i++)
		ck_assert_msg(config_host_allowed(&c, good[i], "127.0.0.1"), "refused %s", good[i]);
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
		ck_assert_msg(!config_host_allowed(&c, bad[i], "127.0.0.1"), "allowed %s", bad[i]);
	/* No Host (HTTP/1.0): no browser sends that; absolute URLs fall back. */
	ck_assert(config_host_allowed(&c, NULL, "127.0.0.1"));
	ck_assert(config_host_allowed(&c, "", NULL));
	config_free(&c);
}
END_TEST

START_TEST(test_hosts_default_adds_the_server_address_never_a_name)
{
	struct config c;
	char err[256] = "";
	ck_assert_msg(config_load(&c, err, sizeof err) == 0, "%s", err);
	/* Bound elsewhere: the address itself (no DNS, no rebinding) and the
	 * loopback names, but no name until MCPAUTH_ALLOWED_HOSTS lists it. */
	ck_assert(config_host_allowed(&c, "192.0.2.10", "192.0.2.10"));
	ck_assert(config_host_allowed(&c, "192.0.2.10:8080", "192.0.2.10"));
	ck_assert(config_host_allowed(&c, "192.0.2.10", "::ffff:192.0.2.10"));
	ck_assert(config_host_allowed(&c, "[2001:DB8::1]:443", "2001:db8::1"));
	ck_assert(config_host_allowed(&c, "localhost", "192.0.2.10"));
	ck_assert(!config_host_allowed(&c, "api.example.com", "192.0.2.10"));
	ck_assert(!config_host_allowed(&c, "192.0.2.11", "192.0.2.10"));
	ck_assert(!config_host_allowed(&c, "2001:db8::1", "2001:db8::1"));
	ck_assert(!config_host_allowed(&c, "192.0.2.10", NULL));
	config_free(&c);
}
END_TEST

START_TEST(test_hosts_setting_is_exactly_the_list)
{
	struct config c;
	char err[256] = "";
	setenv("MCPAUTH_ALLOWED_HOSTS", " api.example.com , localhost:3009,[::1]", 1);
	ck_assert_msg(config_load(&c, err, sizeof err) == 0, "%s", err);
	ck_assert(config_host_allowed(&c, "api.example.com", "192.0.2.10"));
	ck_assert(config_host_allowed(&c, "API.example.com:8443", "192.0.2.10"));
	ck_assert(config_host_allowed(&c, "api.example.com.", "192.0.2.10"));
	ck_assert(config_host_allowed(&c, "localhost:3009", "127.0.0.1"));
	ck_assert(config_host_allowed(&c, "[::1]:1", "::1"));
	ck_assert(!config_host_allowed(&c, "localhost", "127.0.0.1"));
	ck_assert(!config_host_allowed(&c, "localhost:30090", "127.0.0.1"));
	ck_assert(!config_host_allowed(&c, "localhost:300", "127.0.0.1"));
	ck_assert(!config_host_allowed(&c, "127.0.0.1", "127.0.0.1"));
	ck_assert(!config_host_allowed(&c, "192.0.2.10", "192.0.2.10"));
	ck_assert(!config_host_allowed(&c, "example.com", "192.0.2.10"));
	ck_assert(!config_host_allowed(&c, "xapi.example.com", "192.0.2.10"));
	ck_assert(!config_host_allowed(&c, "api.example.co", "192.0.2.10"));
	config_free(&c);
}
END_TEST

START_TEST(test_hosts_setting_refuses_what_is_not_a_host_list)
{
	static const char *const bad[] = {
	    "https://api.example.com", "api.example.com/",	 "*",	 ",",	" , ",
	    "api.example.com:",	       "api.example.com:99999x", "[::1", "a b", "user@host"};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		struct config c;
		char err[256] = "";
		setenv("MCPAUTH_ALLOWED_HOSTS", bad[i], 1);
		ck_assert_msg(config_load(&c, err, sizeof err) == -1, "accepted %s", bad[i]);
		ck_assert_msg(strstr(err, "MCPAUTH_ALLOWED_HOSTS") != NULL, "%s", err);
		config_free(&c);
	}
}
END_TEST

START_TEST(test_config_reads_every_number_of_the_table)
{
	size_t n;
	const struct setting *t = config_settings(&n);
	ck_assert_uint_ge(n, 30);
	for (size_t i = 0; i < n; i++) {
		if (t[i].type == SETTING_TEXT)
			continue;
		struct config c;
		char err[256] = "", v[32];
		unit_env_reset();
		unsetenv(t[i].name);
		ck_assert_msg(config_load(&c, err, sizeof err) == 0, "%s", err);
		const char *field = (const char *)&c + t[i].offset;
		long got = t[i].type == SETTING_FLAG ? *(const int *)(const void *)field
						     : *(const long *)(const void *)field;
		ck_assert_msg(got == t[i].def, "%s: %ld, not its default %ld", t[i].name, got, t[i].def);
		config_free(&c);
		for (long edge = 0; edge < 4; edge++) {
			long value = edge == 0	 ? t[i].min
				     : edge == 1 ? t[i].max
				     : edge == 2 ? t[i].min - 1
						 : t[i].max + 1;
			snprintf(v, sizeof v, "%ld", value);
			setenv(t[i].name, v, 1);
			int rc = config_load(&c, err, sizeof err);
			if (edge < 2) {
				ck_assert_msg(rc == 0, "%s=%s refused: %s", t[i].name, v, err);
			} else {
				ck_assert_msg(rc == -1, "%s=%s accepted", t[i].name, v);
				ck_assert_msg(strstr(err, t[i].name) != NULL, "%s", err);
			}
			config_free(&c);
		}
		unsetenv(t[i].name);
	}
	unit_env_reset();
}
END_TEST

Suite *unit_suite(void)
{
	Suite *s = suite_create("config");
	TCase *tc;

	tc = tcase_create("config");
	tcase_add_checked_fixture(tc, app_reset, app_reset);
	tcase_add_test(tc, test_config_allows_listed_origins_only);
	tcase_add_test(tc, test_config_refuses_origins_that_are_not_origins);
	tcase_add_test(tc, test_config_resource_url_loses_its_trailing_slash);
	tcase_add_test(tc, test_resource_metadata_url_shapes);
	suite_add_tcase(s, tc);

	tc = tcase_create("config");
	tcase_add_checked_fixture(tc, unit_env_reset, unit_env_reset);
	tcase_add_test(tc, test_config_security_defaults);
	tcase_add_test(tc, test_config_security_refuses_bad_values);
	tcase_add_test(tc, test_config_accounts_refuse_bad_values);
	tcase_add_test(tc, test_config_signup_domains);
	tcase_add_test(tc, test_config_cors_origins_are_also_mcp_origins);
	tcase_add_test(tc, test_config_issuer_must_be_an_http_url);
	suite_add_tcase(s, tc);

	tc = tcase_create("hosts");
	tcase_add_checked_fixture(tc, unit_env_reset, unit_env_reset);
	tcase_add_test(tc, test_hosts_default_serves_loopback_names_on_any_port);
	tcase_add_test(tc, test_hosts_default_adds_the_server_address_never_a_name);
	tcase_add_test(tc, test_hosts_setting_is_exactly_the_list);
	tcase_add_test(tc, test_hosts_setting_refuses_what_is_not_a_host_list);
	suite_add_tcase(s, tc);

	tc = tcase_create("settings table");
	tcase_add_test(tc, test_config_reads_every_number_of_the_table);
	suite_add_tcase(s, tc);

	return s;
}
