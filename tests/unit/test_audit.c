/* Unit tests of lib/audit.c: the audit log's lines. */

#include <check.h>
#include <dirent.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "app.h"
#include "audit.h"
#include "config.h"
#include "cors.h"
#include "db.h"
#include "grant.h"
#include "ratelimit.h"
#include "refresh.h"
#include "route.h"
#include "unit.h"
#include "userdb.h"
#include "util.h"

/* --- audit ------------------------------------------------------------- */

static char *audit_path;

static void audit_setup(void)
{
	unit_dir_setup();
	audit_path = ck_asprintf("%s/audit.log", unit_dir);
}

static void audit_teardown(void)
{
	audit_close();
	free(audit_path);
	unit_dir_teardown();
}

/* The n-th line (from 0) of text, parsed. */
static json_object *line_json(const char *text, int n)
{
	const char *s = text;
	for (int i = 0; i < n; i++) {
		s = strchr(s, '\n');
		ck_assert_ptr_nonnull(s);
		s++;
	}
	const char *e = strchr(s, '\n');
	ck_assert_ptr_nonnull(e);
	char *line = ck_strndup(s, (size_t)(e - s));
	json_object *o = json_tokener_parse(line);
	ck_assert_msg(o != NULL, "not JSON: %s", line);
	free(line);
	return o;
}

START_TEST(test_audit_writes_one_json_line_per_event)
{
	char err[256] = "";
	ck_assert_msg(audit_open(audit_path, err, sizeof err) == 0, "%s", err);
	struct route r = {"POST", "/auth/login", ROUTE_PUBLIC, NULL, "", NULL, NULL, 0};
	struct request req = {
	    .method = "POST", .path = "/auth/login", .remote_addr = "192.0.2.7", .route = &r};
	audit_event(&req, "login_failure", "email", "a@example.com", "sub", NULL, "reason", "wrong password",
		    NULL);
	audit_event(NULL, "plain", NULL);
	char *text = unit_slurp(audit_path);
	json_object *o = line_json(text, 0);
	ck_assert_str_eq(json_get_string(o, "event"), "login_failure");
	ck_assert_str_eq(json_get_string(o, "email"), "a@example.com");
	ck_assert_str_eq(json_get_string(o, "reason"), "wrong password");
	ck_assert_str_eq(json_get_string(o, "addr"), "192.0.2.7");
	ck_assert_str_eq(json_get_string(o, "method"), "POST");
	ck_assert_str_eq(json_get_string(o, "route"), "/auth/login");
	ck_assert(!json_object_object_get_ex(o, "sub", NULL)); /* NULL values are left out */
	const char *t = json_get_string(o, "time");
	ck_assert_ptr_nonnull(t);
	ck_assert_uint_eq(strlen(t), 24); /* 2026-11-26T05:00:00.000Z */
	ck_assert(t[4] == '-' && t[10] == 'T' && t[19] == '.' && t[23] == 'Z');
	json_object_put(o);
	o = line_json(text, 1);
	ck_assert_str_eq(json_get_string(o, "event"), "plain");
	ck_assert(!json_object_object_get_ex(o, "addr", NULL));
	json_object_put(o);
	ck_assert_ptr_null(strchr(strchr(strchr(text, '\n') + 1, '\n') + 1, '\n')); /* two lines */
	free(text);
}
END_TEST

START_TEST(test_audit_appends_and_never_truncates)
{
	char err[256] = "";
	int fd = open(audit_path, O_WRONLY | O_CREAT, 0600);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, "earlier\n", 8), 8);
	close(fd);
	ck_assert_int_eq(audit_open(audit_path, err, sizeof err), 0);
	audit_event(NULL, "one", NULL);
	/* A second process's line lands at the end too (O_APPEND). */
	fd = open(audit_path, O_WRONLY | O_APPEND);
	ck_assert_int_eq(write(fd, "other\n", 6), 6);
	close(fd);
	audit_event(NULL, "two", NULL);
	char *text = unit_slurp(audit_path);
	ck_assert(strncmp(text, "earlier\n{", 9) == 0);
	ck_assert_ptr_nonnull(strstr(text, "\"event\":\"one\"}\nother\n{"));
	ck_assert_ptr_nonnull(strstr(text, "\"event\":\"two\"}\n"));
	free(text);
	struct stat st;
	ck_assert_int_eq(stat(audit_path, &st), 0);
	ck_assert_int_eq(st.st_mode & 0777, 0600);
}
END_TEST

START_TEST(test_audit_cuts_long_values_and_cleans_bytes)
{
	char err[256] = "";
	ck_assert_int_eq(audit_open(audit_path, err, sizeof err), 0);
	char longv[1000];
	memset(longv, 'x', sizeof longv - 1);
	longv[sizeof longv - 1] = '\0';
	/* A two-byte character straddling the cut is dropped whole. */
	longv[AUDIT_MAX_VALUE - 1] = '\xc3';
	longv[AUDIT_MAX_VALUE] = '\xa9';
	audit_event(NULL, "long", "email", longv, "route", "/a\x01\xff\xfe\"b\n", NULL);
	char *text = unit_slurp(audit_path);
	json_object *o = line_json(text, 0);
	const char *e = json_get_string(o, "email");
	ck_assert_uint_eq(strlen(e), AUDIT_MAX_VALUE - 1);
	ck_assert_str_eq(json_get_string(o, "route"), "/a???\"b?");
	json_object_put(o);
	ck_assert_ptr_null(strchr(strchr(text, '\n') + 1, '\n'));
	free(text);
	ck_assert_ptr_nonnull(strstr(audit_last_line(), "\"event\":\"long\""));
}
END_TEST

START_TEST(test_audit_open_refuses_unwritable_path)
{
	char err[256] = "";
	char *bad = ck_asprintf("%s/no/such/dir/audit.log", unit_dir);
	ck_assert_int_eq(audit_open(bad, err, sizeof err), -1);
	ck_assert_ptr_nonnull(strstr(err, "cannot open the audit log"));
	free(bad);
	ck_assert_int_eq(audit_open("stderr", err, sizeof err), 0);
}
END_TEST

Suite *unit_suite(void)
{
	Suite *s = suite_create("audit");
	TCase *tc;

	tc = tcase_create("audit");
	tcase_add_checked_fixture(tc, audit_setup, audit_teardown);
	tcase_add_test(tc, test_audit_writes_one_json_line_per_event);
	tcase_add_test(tc, test_audit_appends_and_never_truncates);
	tcase_add_test(tc, test_audit_cuts_long_values_and_cleans_bytes);
	tcase_add_test(tc, test_audit_open_refuses_unwritable_path);
	suite_add_tcase(s, tc);

	return s;
}
