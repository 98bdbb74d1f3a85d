/* Unit tests of lib/ratelimit.c: failed-login limits on a real SQLite database, with fixed clocks. */

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

/* --- rate limits ------------------------------------------------------- */

static const struct ratelimit rl3 = {3, 5, 100};

static int check(const char *email, const char *addr, time_t now, long *retry, const char **which)
{
	return ratelimit_check(unit_db, &rl3, email, addr, now, retry, which);
}

START_TEST(test_ratelimit_blocks_the_email_after_its_limit)
{
	long retry;
	const char *which;
	ck_assert_int_eq(check("a@example.com", "10.0.0.1", 1000, &retry, &which), RATELIMIT_OK);
	ck_assert_int_eq(ratelimit_fail(unit_db, &rl3, "a@example.com", "10.0.0.1", 1000), RATELIMIT_OK);
	ck_assert_int_eq(ratelimit_fail(unit_db, &rl3, "a@example.com", "10.0.0.1", 1010), RATELIMIT_OK);
	ck_assert_int_eq(check("a@example.com", "10.0.0.1", 1020, &retry, &which), RATELIMIT_OK);
	ck_assert_int_eq(ratelimit_fail(unit_db, &rl3, "A@Example.COM", "10.0.0.1", 1020), RATELIMIT_OK);
	/* Three failures at 1000, 1010, 1020: free again when 1000 leaves, at 1100. */
	ck_assert_int_eq(check("a@example.com", "10.0.0.2", 1050, &retry, &which), RATELIMIT_BLOCKED);
	ck_assert_int_eq(retry, 50);
	ck_assert_str_eq(which, "email");
	ck_assert_int_eq(check("A@EXAMPLE.com", NULL, 1099, &retry, &which), RATELIMIT_BLOCKED);
	ck_assert_int_eq(retry, 1);
	ck_assert_int_eq(check("a@example.com", "10.0.0.1", 1100, &retry, &which), RATELIMIT_OK);
	ck_assert_int_eq(retry, 0);
	/* Another email from the same address is not blocked. */
	ck_assert_int_eq(check("b@example.com", "10.0.0.1", 1050, &retry, &which), RATELIMIT_OK);
}
END_TEST

START_TEST(test_ratelimit_blocks_the_address_across_emails)
{
	long retry;
	const char *which;
	for (int i = 0; i < 5; i++) {
		char email[32];
		snprintf(email, sizeof email, "u%d@example.com", i);
		ck_assert_int_eq(ratelimit_fail(unit_db, &rl3, email, "10.0.0.9", 2000 + i), RATELIMIT_OK);
	}
	ck_assert_int_eq(check("fresh@example.com", "10.0.0.9", 2010, &retry, &which), RATELIMIT_BLOCKED);
	ck_assert_str_eq(which, "address");
	ck_assert_int_eq(retry, 90);
	ck_assert_int_eq(check("fresh@example.com", "10.0.0.8", 2010, &retry, &which), RATELIMIT_OK);
	/* Both full: the later of the two. */
	for (int i = 0; i < 3; i++)
		ck_assert_int_eq(ratelimit_fail(unit_db, &rl3, "u0@example.com", "10.0.0.7", 2050),
				 RATELIMIT_OK);
	ck_assert_int_eq(check("u0@example.com", "10.0.0.9", 2060, &retry, &which), RATELIMIT_BLOCKED);
	ck_assert_int_eq(retry, 90);
	ck_assert_str_eq(which, "email");
}
END_TEST

START_TEST(test_ratelimit_success_forgets_the_email_not_the_address)
{
	long retry;
	const char *which;
	for (int i = 0; i < 3; i++)
		ck_assert_int_eq(ratelimit_fail(unit_db, &rl3, "a@example.com", "10.0.0.1", 1000),
				 RATELIMIT_OK);
	ck_assert_int_eq(check("a@example.com", NULL, 1001, &retry, &which), RATELIMIT_BLOCKED);
	ck_assert_int_eq(ratelimit_success(unit_db, "A@example.com"), RATELIMIT_OK);
	ck_assert_int_eq(check("a@example.com", NULL, 1001, &retry, &which), RATELIMIT_OK);
	ck_assert_int_eq(
	    unit_query_int(unit_db, "SELECT count(*) FROM login_failures WHERE key = 'addr:10.0.0.1'"), 3);
	/* Nothing to forget: no write needed, still OK. */
	ck_assert_int_eq(ratelimit_success(unit_db, "nobody@example.com"), RATELIMIT_OK);
}
END_TEST

START_TEST(test_ratelimit_prunes_failures_out_of_every_window)
{
	ck_assert_int_eq(ratelimit_fail(unit_db, &rl3, "a@example.com", "10.0.0.1", 1000), RATELIMIT_OK);
	ck_assert_int_eq(ratelimit_fail(unit_db, &rl3, "b@example.com", NULL, 1050), RATELIMIT_OK);
	ck_assert_int_eq(unit_query_int(unit_db, "SELECT count(*) FROM login_failures"), 3);
	ck_assert_int_eq(ratelimit_fail(unit_db, &rl3, "c@example.com", NULL, 1100), RATELIMIT_OK);
	ck_assert_int_eq(unit_query_int(unit_db, "SELECT count(*) FROM login_failures"), 2);
}
END_TEST

/* The result enum's _strerror names every value apart, for logs. */
START_TEST(test_ratelimit_strerror_names_every_status)
{
	const char *t[] = {ratelimit_strerror(RATELIMIT_ERROR), ratelimit_strerror(RATELIMIT_OK),
			   ratelimit_strerror(RATELIMIT_BLOCKED)};
	unit_distinct_texts(t, 3);
}
END_TEST

Suite *unit_suite(void)
{
	Suite *s = suite_create("ratelimit");
	TCase *tc;

	tc = tcase_create("ratelimit");
	tcase_set_timeout(tc, 60);
	tcase_add_checked_fixture(tc, unit_db_setup, unit_db_teardown);
	tcase_add_test(tc, test_ratelimit_strerror_names_every_status);
	tcase_add_test(tc, test_ratelimit_blocks_the_email_after_its_limit);
	tcase_add_test(tc, test_ratelimit_blocks_the_address_across_emails);
	tcase_add_test(tc, test_ratelimit_success_forgets_the_email_not_the_address);
	tcase_add_test(tc, test_ratelimit_prunes_failures_out_of_every_window);
	suite_add_tcase(s, tc);

	return s;
}
