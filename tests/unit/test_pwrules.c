/* Unit tests of lib/auth/pwrules.c: what a new password must be. */

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "pwrules.h"
#include "unit.h"

/* The shipped list (the test environment names it, as the programs get it). */
static struct config cfg;

static void use(long min, const char *list)
{
	memset(&cfg, 0, sizeof cfg);
	cfg.password_min = min;
	cfg.password_list = list;
	pwrules_configure(&cfg);
}

static const char *shipped(void)
{
	const char *p = getenv("MCPAUTH_PASSWORD_LIST");
	ck_assert_msg(p && access(p, R_OK) == 0, "MCPAUTH_PASSWORD_LIST names no readable list");
	return p;
}

START_TEST(test_pwrules_accepts_long_uncommon_password)
{
	use(10, shipped());
	ck_assert_ptr_null(password_rule_violation("correct horse battery staple", "ann@example.com"));
	ck_assert_ptr_null(password_rule_violation("Zq8-vLk2-pW0m", NULL));
}
END_TEST

START_TEST(test_pwrules_refuses_short_password)
{
	use(10, shipped());
	const char *m = password_rule_violation("Zq8-vLk2p", "ann@example.com");
	ck_assert_ptr_nonnull(m);
	ck_assert_str_eq(m, "Password must be at least 10 characters");
	use(12, shipped());
	ck_assert_str_eq(password_rule_violation("Zq8-vLk2-pW", NULL),
			 "Password must be at least 12 characters");
	ck_assert_ptr_null(password_rule_violation("Zq8-vLk2-pW0m", NULL));
	ck_assert_ptr_nonnull(password_rule_violation("", NULL));
	ck_assert_ptr_nonnull(password_rule_violation(NULL, NULL));
}
END_TEST

START_TEST(test_pwrules_counts_characters_not_bytes)
{
	use(10, shipped());
	/* Nine characters, eighteen bytes. */
	ck_assert_ptr_nonnull(password_rule_violation("\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9"
						      "\xc3\xa9\xc3\xa9\xc3\xa9",
						      NULL));
	ck_assert_ptr_null(password_rule_violation("\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9"
						   "\xc3\xa9\xc3\xa9\xc3\xa9z",
						   NULL));
}
END_TEST

START_TEST(test_pwrules_refuses_common_password_any_case)
{
	use(10, shipped());
	ck_assert_str_eq(password_rule_violation("1234567890", NULL),
			 "Password is one of the most common passwords");
	ck_assert_ptr_nonnull(password_rule_violation("BasketBall", NULL));
	ck_assert_ptr_nonnull(password_rule_violation("QWERTYUIOP", "ann@example.com"));
	/* Shorter ones still count when the minimum allows them. */
	use(8, shipped());
	ck_assert_ptr_nonnull(password_rule_violation("password", NULL));
	ck_assert_ptr_nonnull(password_rule_violation("iloveyou", NULL));
}
END_TEST

START_TEST(test_pwrules_refuses_email_and_local_part)
{
	use(10, shipped());
	ck_assert_str_eq(password_rule_violation("annabelle.smith", "Annabelle.Smith@example.com"),
			 "Password must not be the email address");
	ck_assert_ptr_nonnull(
	    password_rule_violation("annabelle.smith@EXAMPLE.com", "annabelle.smith@example.com"));
	ck_assert_ptr_null(password_rule_violation("annabelle.smith!", "annabelle.smith@example.com"));
}
END_TEST

START_TEST(test_pwrules_refuses_overlong_password)
{
	use(10, shipped());
	char pw[1100];
	memset(pw, 'k', sizeof pw - 1);
	pw[sizeof pw - 1] = '\0';
	ck_assert_str_eq(password_rule_violation(pw, NULL), "Password must be at most 1024 bytes");
}
END_TEST

START_TEST(test_pwrules_missing_list_refuses_everything)
{
	use(10, "/nonexistent/common-passwords.txt");
	ck_assert_ptr_nonnull(password_rule_violation("correct horse battery staple", NULL));
	/* The length rule still names itself first. */
	ck_assert_str_eq(password_rule_violation("short", NULL), "Password must be at least 10 characters");
}
END_TEST

START_TEST(test_pwrules_reads_own_list)
{
	char path[] = "/tmp/pwrules-XXXXXX";
	int fd = mkstemp(path);
	ck_assert_int_ge(fd, 0);
	const char *text = "# a comment line\nSunflower-Field\r\n\nmeadowlark99\n";
	ck_assert_int_eq(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
	use(10, path);
	ck_assert_ptr_nonnull(password_rule_violation("sunflower-field", NULL));
	ck_assert_ptr_nonnull(password_rule_violation("MEADOWLARK99", NULL));
	ck_assert_ptr_null(password_rule_violation("# a comment line", NULL));
	/* Read once: removing the file changes nothing for this process. */
	unlink(path);
	ck_assert_ptr_nonnull(password_rule_violation("Sunflower-Field", NULL));
	ck_assert_ptr_null(password_rule_violation("1234567890", NULL));
	pwrules_reset();
}
END_TEST

Suite *unit_suite(void)
{
	Suite *s = suite_create("pwrules");
	TCase *tc = tcase_create("pwrules");
	tcase_add_test(tc, test_pwrules_accepts_long_uncommon_password);
	tcase_add_test(tc, test_pwrules_refuses_short_password);
	tcase_add_test(tc, test_pwrules_counts_characters_not_bytes);
	tcase_add_test(tc, test_pwrules_refuses_common_password_any_case);
	tcase_add_test(tc, test_pwrules_refuses_email_and_local_part);
	tcase_add_test(tc, test_pwrules_refuses_overlong_password);
	tcase_add_test(tc, test_pwrules_missing_list_refuses_everything);
	tcase_add_test(tc, test_pwrules_reads_own_list);
	suite_add_tcase(s, tc);
	return s;
}
