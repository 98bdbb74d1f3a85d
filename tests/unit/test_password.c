/* Unit tests of lib/password.c: scrypt password hashes. */

#include <check.h>
#include <dirent.h>
#include <json-c/json.h>
#include <openssl/rsa.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "field.h"
#include "http.h"
#include "issuer.h"
#include "jwks.h"
#include "password.h"
#include "route.h"
#include "testkeys.h"
#include "token.h"
#include "unit.h"
#include "util.h"

/* --- password ---------------------------------------------------------- */

START_TEST(test_password_verify_accepts_right_password)
{
	char *h = password_hash("correct horse battery staple");
	ck_assert_ptr_nonnull(h);
	ck_assert(strncmp(h, "scrypt$", 7) == 0);
	ck_assert_int_eq(password_verify("correct horse battery staple", h), 1);
	free(h);
}
END_TEST

START_TEST(test_password_verify_refuses_wrong_password)
{
	char *h = password_hash("correct horse battery staple");
	ck_assert_ptr_nonnull(h);
	ck_assert_int_eq(password_verify("correct horse battery stapler", h), 0);
	ck_assert_int_eq(password_verify("", h), 0);
	free(h);
}
END_TEST

START_TEST(test_password_verify_refuses_null_stored)
{
	ck_assert_int_eq(password_verify("anything", NULL), 0);
	ck_assert_int_eq(password_verify("", NULL), 0);
}
END_TEST

START_TEST(test_password_verify_refuses_malformed_stored)
{
	ck_assert_int_eq(password_verify("pw", ""), 0);
	ck_assert_int_eq(password_verify("pw", "garbage"), 0);
	ck_assert_int_eq(password_verify("pw", "scrypt$15$8$1$AAAA"), 0);
	ck_assert_int_eq(
	    password_verify(
		"pw", "bcrypt$15$8$1$AAAAAAAAAAAAAAAAAAAAAA$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"),
	    0);
	/* Parameters out of range. */
	ck_assert_int_eq(
	    password_verify(
		"pw", "scrypt$40$8$1$AAAAAAAAAAAAAAAAAAAAAA$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"),
	    0);
	ck_assert_int_eq(
	    password_verify(
		"pw", "scrypt$15$0$1$AAAAAAAAAAAAAAAAAAAAAA$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"),
	    0);
	/* A hash of the wrong length. */
	ck_assert_int_eq(password_verify("pw", "scrypt$15$8$1$AAAAAAAAAAAAAAAAAAAAAA$AAAA"), 0);
}
END_TEST

START_TEST(test_password_hashes_of_same_password_differ)
{
	char *a = password_hash("same password"), *b = password_hash("same password");
	ck_assert_ptr_nonnull(a);
	ck_assert_ptr_nonnull(b);
	ck_assert_str_ne(a, b);
	ck_assert_int_eq(password_verify("same password", a), 1);
	ck_assert_int_eq(password_verify("same password", b), 1);
	free(a);
	free(b);
}
END_TEST

START_TEST(test_password_hash_refuses_overlong_password)
{
	char *pw = ck_malloc(PASSWORD_MAX_LEN + 2);
	memset(pw, 'a', PASSWORD_MAX_LEN + 1);
	pw[PASSWORD_MAX_LEN + 1] = '\0';
	ck_assert_ptr_null(password_hash(pw));
	free(pw);
}
END_TEST

Suite *unit_suite(void)
{
	Suite *s = suite_create("password");
	TCase *tc;

	tc = tcase_create("password");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_password_verify_accepts_right_password);
	tcase_add_test(tc, test_password_verify_refuses_wrong_password);
	tcase_add_test(tc, test_password_verify_refuses_null_stored);
	tcase_add_test(tc, test_password_verify_refuses_malformed_stored);
	tcase_add_test(tc, test_password_hashes_of_same_password_differ);
	tcase_add_test(tc, test_password_hash_refuses_overlong_password);
	suite_add_tcase(s, tc);

	return s;
}
