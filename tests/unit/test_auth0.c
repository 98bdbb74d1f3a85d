/* Unit tests of lib/auth0.c (the management token's margin) and of
 * token_verify in Auth0 mode: namespaced claims and the unknown-kid hook. */

#include <check.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "auth0.h"
#include "fetch.h"
#include "file.h"
#include "jwks.h"
#include "jwks_cache.h"
#include "testkeys.h"
#include "token.h"
#include "unit.h"
#include "util.h"

#define NOW ((time_t)1700000000)
#define ISSUER "https://tenant.test/"
#define AUDIENCE "https://api.test"
#define NS "https://example.com/"
#define STD_HEADER "{\"alg\":\"RS256\",\"typ\":\"JWT\",\"kid\":\"" TESTKEYS_KID1 "\"}"

/* --- token_verify in Auth0 mode ------------------------------------------------ */

static EVP_PKEY *key1;
static struct jwks keys;
static struct token_verifier verifier;
static int hook_calls;

static void verify_setup(void)
{
	key1 = testkeys_load_pem("key1.pem");
	ck_assert_ptr_nonnull(key1);
	memset(&keys, 0, sizeof keys);
	memset(&verifier, 0, sizeof verifier);
	verifier.keys = &keys;
	verifier.issuer = ISSUER;
	verifier.audience = AUDIENCE;
	verifier.leeway = 30;
	verifier.claim_namespace = NS;
	hook_calls = 0;
}

static void verify_teardown(void)
{
	jwks_free(&keys);
	EVP_PKEY_free(key1);
}

static char *tenant_token(const char *extra)
{
	char *payload = ck_asprintf("{\"iss\":\"" ISSUER "\",\"sub\":\"auth0|abc\",\"aud\":[\"" AUDIENCE
				    "\",\"" ISSUER "userinfo\"],\"iat\":%ld,\"exp\":%ld%s}",
				    (long)NOW, (long)NOW + 3600, extra);
	char *t = testkeys_rs256(key1, STD_HEADER, payload);
	free(payload);
	return t;
}

/* The hook fetches: here it loads the fixture set. */
static int load_on_unknown(void *arg, const char *kid, time_t now)
{
	hook_calls++;
	jwks_free(&keys);
	ck_assert_int_eq(testkeys_load_jwks(&keys), 0);
	return jwks_find(&keys, kid) != NULL;
}

static int fail_on_unknown(void *arg, const char *kid, time_t now)
{
	hook_calls++;
	return 0;
}

START_TEST(test_verify_no_keys_yet_is_unavailable)
{
	verifier.unknown_kid = fail_on_unknown;
	char *t = tenant_token("");
	struct principal p;
	enum token_failure why;
	ck_assert_int_eq(token_verify(&verifier, t, strlen(t), NOW, &p, &why), TOKEN_UNAVAILABLE);
	ck_assert_int_eq(hook_calls, 1);
	free(t);
}
END_TEST

START_TEST(test_verify_unknown_kid_hook_brings_the_key)
{
	verifier.unknown_kid = load_on_unknown;
	char *t = tenant_token("");
	struct principal p;
	enum token_failure why;
	ck_assert_int_eq(token_verify(&verifier, t, strlen(t), NOW, &p, &why), TOKEN_OK);
	principal_free(&p);
	ck_assert_int_eq(token_verify(&verifier, t, strlen(t), NOW, &p, &why), TOKEN_OK);
	principal_free(&p);
	ck_assert_int_eq(hook_calls, 1); /* known the second time */
	free(t);
}
END_TEST

START_TEST(test_verify_unknown_kid_with_keys_is_invalid)
{
	ck_assert_int_eq(testkeys_load_jwks(&keys), 0);
	verifier.unknown_kid = fail_on_unknown;
	char *t = testkeys_rs256(key1, "{\"alg\":\"RS256\",\"kid\":\"rotated\"}", "{}");
	struct principal p;
	enum token_failure why;
	ck_assert_int_eq(token_verify(&verifier, t, strlen(t), NOW, &p, &why), TOKEN_INVALID);
	ck_assert_str_eq(token_strerror(why), "unknown kid");
	ck_assert_int_eq(hook_calls, 1);
	free(t);
}
END_TEST

START_TEST(test_verify_email_and_name_from_namespace)
{
	ck_assert_int_eq(testkeys_load_jwks(&keys), 0);
	char *t = tenant_token(",\"" NS "email\":\"a@b.test\",\"" NS "name\":\"A B\"");
	struct principal p;
	enum token_failure why;
	ck_assert_int_eq(token_verify(&verifier, t, strlen(t), NOW, &p, &why), TOKEN_OK);
	ck_assert_str_eq(p.email, "a@b.test");
	ck_assert_str_eq(p.name, "A B");
	principal_free(&p);
	free(t);
}
END_TEST

START_TEST(test_verify_plain_email_claim_wins_over_namespace)
{
	ck_assert_int_eq(testkeys_load_jwks(&keys), 0);
	char *t = tenant_token(",\"email\":\"plain@b.test\",\"" NS "email\":\"ns@b.test\"");
	struct principal p;
	enum token_failure why;
	ck_assert_int_eq(token_verify(&verifier, t, strlen(t), NOW, &p, &why), TOKEN_OK);
	ck_assert_str_eq(p.email, "plain@b.test");
	ck_assert_ptr_null(p.name);
	principal_free(&p);
	free(t);
}
END_TEST

START_TEST(test_verify_namespaced_claim_ignored_without_namespace)
{
	ck_assert_int_eq(testkeys_load_jwks(&keys), 0);
	verifier.claim_namespace = NULL;
	char *t = tenant_token(",\"" NS "email\":\"ns@b.test\"");
	struct principal p;
	enum token_failure why;
	ck_assert_int_eq(token_verify(&verifier, t, strlen(t), NOW, &p, &why), TOKEN_OK);
	ck_assert_ptr_null(p.email);
	principal_free(&p);
	free(t);
}
END_TEST

START_TEST(test_verify_namespaced_email_of_wrong_type_is_null)
{
	ck_assert_int_eq(testkeys_load_jwks(&keys), 0);
	char *t = tenant_token(",\"" NS "email\":42");
	struct principal p;
	enum token_failure why;
	ck_assert_int_eq(token_verify(&verifier, t, strlen(t), NOW, &p, &why), TOKEN_OK);
	ck_assert_ptr_null(p.email);
	principal_free(&p);
	free(t);
}
END_TEST

START_TEST(test_management_token_used_until_shortly_before_expiry)
{
	ck_assert_int_eq(auth0_token_margin(86400), 60);
	ck_assert_int_eq(auth0_token_margin(120), 60);
	ck_assert_int_eq(auth0_token_margin(100), 50);
	ck_assert_int_eq(auth0_token_margin(1), 0);
}
END_TEST

Suite *unit_suite(void)
{
	Suite *s = suite_create("auth0");
	TCase *tc;

	tc = tcase_create("verify");
	tcase_add_checked_fixture(tc, verify_setup, verify_teardown);
	tcase_add_test(tc, test_verify_no_keys_yet_is_unavailable);
	tcase_add_test(tc, test_verify_unknown_kid_hook_brings_the_key);
	tcase_add_test(tc, test_verify_unknown_kid_with_keys_is_invalid);
	tcase_add_test(tc, test_verify_email_and_name_from_namespace);
	tcase_add_test(tc, test_verify_plain_email_claim_wins_over_namespace);
	tcase_add_test(tc, test_verify_namespaced_claim_ignored_without_namespace);
	tcase_add_test(tc, test_verify_namespaced_email_of_wrong_type_is_null);
	suite_add_tcase(s, tc);

	tc = tcase_create("management");
	tcase_add_test(tc, test_management_token_used_until_shortly_before_expiry);
	suite_add_tcase(s, tc);

	return s;
}
