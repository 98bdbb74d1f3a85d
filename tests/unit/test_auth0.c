/* Unit tests of the Auth0-mode pieces of libauth: the JWKS cache stamps and
 * its file handling, the URL policy and Retry-After parsing of the HTTP
 * client, namespaced claims and the unknown-kid hook of token_verify. */
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
#include "util.h"

#define NOW ((time_t)1700000000)
#define ISSUER "https://tenant.test/"
#define AUDIENCE "https://api.test"
#define NS "https://example.com/"
#define STD_HEADER "{\"alg\":\"RS256\",\"typ\":\"JWT\",\"kid\":\"" TESTKEYS_KID1 "\"}"

/* --- stamps ------------------------------------------------------------- */

START_TEST(test_stamps_parse_reads_four_numbers)
{
	struct jwks_cache_stamps st;
	ck_assert_int_eq(jwks_cache_stamps_parse("1 2 3 4\n", &st), 0);
	ck_assert(st.success == 1 && st.attempt == 2 && st.forced == 3 && st.logged == 4);
}
END_TEST

START_TEST(test_stamps_parse_refuses_malformed)
{
	static const char *const bad[] = {"",          "1 2 3 4",     "1 2 3\n",    "1 2 3 4 5\n",
					  "1 2 3 4\nx", "-1 2 3 4\n", "1  2 3 4\n", "a b c d\n",
					  "1 2 3 99999999999999999999\n"};
	struct jwks_cache_stamps st = {7, 7, 7, 7};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
		ck_assert_msg(jwks_cache_stamps_parse(bad[i], &st) < 0, "accepted '%s'", bad[i]);
	ck_assert(st.success == 7);
}
END_TEST

/* --- the cache on files ----------------------------------------------------- */

static char dir[64];
static char *jwks_path;

static void dir_setup(void)
{
	snprintf(dir, sizeof dir, "/tmp/mcpauth-unit.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(dir));
	jwks_path = ck_asprintf("%s/auth0-jwks.json", dir);
	fetch_init();
}

static void dir_teardown(void)
{
	char *cmd = ck_asprintf("rm -rf '%s'", dir);
	ck_assert_int_eq(system(cmd), 0);
	free(cmd);
	free(jwks_path);
	fetch_cleanup();
}

static void write_text(const char *path, const char *text)
{
	ck_assert_int_eq(file_write_atomic(path, text, strlen(text), 0644), 0);
}

static void write_stamps(long long s, long long a, long long f)
{
	char *path = ck_asprintf("%s.state", jwks_path);
	char *text = ck_asprintf("%lld %lld %lld 0\n", s, a, f);
	write_text(path, text);
	free(text);
	free(path);
}

static void read_stamps(struct jwks_cache_stamps *st)
{
	char *path = ck_asprintf("%s.state", jwks_path);
	size_t len;
	char *text = file_read(path, 256, &len);
	ck_assert_ptr_nonnull(text);
	ck_assert_int_eq(jwks_cache_stamps_parse(text, st), 0);
	free(text);
	free(path);
}

static void fixture_jwks_to_cache(void)
{
	struct jwks set;
	ck_assert_int_eq(testkeys_load_jwks(&set), 0);
	char *doc = jwks_to_json(&set);
	write_text(jwks_path, doc);
	free(doc);
	jwks_free(&set);
}

/* Nothing listens on port 1: a fetch fails at once. */
static const struct fetch_opts down = {NULL, 2, 0};
#define DOWN_URL "https://127.0.0.1:1/.well-known/jwks.json"

START_TEST(test_cache_start_uses_fresh_file_without_fetching)
{
	fixture_jwks_to_cache();
	write_stamps(NOW - 10, NOW - 10, 0);
	struct jwks keys = {0};
	struct jwks_cache c;
	jwks_cache_init(&c, DOWN_URL, jwks_path, 3600, 60, &down, &keys);
	jwks_cache_start(&c, NOW);
	ck_assert_uint_eq(keys.nkeys, 1);
	ck_assert_ptr_nonnull(jwks_find(&keys, TESTKEYS_KID1));
	struct jwks_cache_stamps st;
	read_stamps(&st);
	ck_assert_int_eq(st.attempt, NOW - 10); /* no fetch was tried */
	jwks_cache_free(&c);
	jwks_free(&keys);
}
END_TEST

START_TEST(test_cache_stale_and_tenant_down_keeps_last_good_set)
{
	fixture_jwks_to_cache();
	write_stamps(NOW - 7200, NOW - 7200, 0);
	struct jwks keys = {0};
	struct jwks_cache c;
	jwks_cache_init(&c, DOWN_URL, jwks_path, 3600, 60, &down, &keys);
	jwks_cache_start(&c, NOW);
	ck_assert_uint_eq(keys.nkeys, 1);
	struct jwks_cache_stamps st;
	read_stamps(&st);
	ck_assert_int_eq(st.attempt, NOW);        /* tried */
	ck_assert_int_eq(st.success, NOW - 7200); /* and failed */
	ck_assert_int_eq(st.logged, NOW);
	/* Within the minute nobody tries again, whatever the requests. */
	jwks_cache_tick(&c, NOW + 30);
	read_stamps(&st);
	ck_assert_int_eq(st.attempt, NOW);
	jwks_cache_tick(&c, NOW + 61);
	read_stamps(&st);
	ck_assert_int_eq(st.attempt, NOW + 61);
	ck_assert_uint_eq(keys.nkeys, 1);
	jwks_cache_free(&c);
	jwks_free(&keys);
}
END_TEST

START_TEST(test_cache_unknown_kid_fetches_once_per_interval)
{
	fixture_jwks_to_cache();
	write_stamps(NOW - 10, NOW - 10, 0);
	struct jwks keys = {0};
	struct jwks_cache c;
	jwks_cache_init(&c, DOWN_URL, jwks_path, 3600, 60, &down, &keys);
	jwks_cache_start(&c, NOW);
	jwks_cache_tick(&c, NOW + 1);
	ck_assert_int_eq(jwks_cache_unknown_kid(&c, "other", NOW + 1), 0);
	struct jwks_cache_stamps st;
	read_stamps(&st);
	ck_assert_int_eq(st.forced, NOW + 1);
	jwks_cache_tick(&c, NOW + 20);
	ck_assert_int_eq(jwks_cache_unknown_kid(&c, "another", NOW + 20), 0);
	read_stamps(&st);
	ck_assert_int_eq(st.forced, NOW + 1); /* rate limited */
	ck_assert_int_eq(jwks_cache_unknown_kid(&c, TESTKEYS_KID1, NOW + 20), 1);
	jwks_cache_free(&c);
	jwks_free(&keys);
}
END_TEST

START_TEST(test_cache_sees_a_file_another_process_replaced)
{
	write_stamps(NOW - 10, NOW - 10, 0);
	write_text(jwks_path, "{\"keys\":[]}\n");
	struct jwks keys = {0};
	struct jwks_cache c;
	jwks_cache_init(&c, DOWN_URL, jwks_path, 3600, 60, &down, &keys);
	jwks_cache_start(&c, NOW);
	ck_assert_uint_eq(keys.nkeys, 0);
	fixture_jwks_to_cache(); /* as a fetch by another process would */
	jwks_cache_tick(&c, NOW); /* same second: no stat yet */
	ck_assert_uint_eq(keys.nkeys, 0);
	jwks_cache_tick(&c, NOW + 1);
	ck_assert_uint_eq(keys.nkeys, 1);
	jwks_cache_free(&c);
	jwks_free(&keys);
}
END_TEST

START_TEST(test_file_write_atomic_sets_exact_mode)
{
	char *path = ck_asprintf("%s/secret", dir);
	mode_t old = umask(0);
	ck_assert_int_eq(file_write_atomic(path, "x", 1, 0600), 0);
	umask(old);
	struct stat sb;
	ck_assert_int_eq(stat(path, &sb), 0);
	ck_assert_int_eq(sb.st_mode & 0777, 0600);
	size_t len;
	ck_assert_ptr_null(file_read(path, 0, &len)); /* over the cap */
	char *text = file_read(path, 1, &len);
	ck_assert_str_eq(text, "x");
	free(text);
	free(path);
}
END_TEST

/* --- jwks_to_json ------------------------------------------------------------ */

START_TEST(test_jwks_to_json_escapes_kid_and_round_trips)
{
	EVP_PKEY *k = testkeys_load_pem("key1.pem");
	ck_assert_ptr_nonnull(k);
	struct jwks set = {0};
	set.keys = ck_calloc(1, sizeof *set.keys);
	set.nkeys = 1;
	snprintf(set.keys[0].kid, sizeof set.keys[0].kid, "a\"b\\c/d");
	set.keys[0].pkey = k;
	char *doc = jwks_to_json(&set);
	struct jwks back;
	char err[256];
	ck_assert_int_eq(jwks_parse(&back, doc, strlen(doc), err, sizeof err), 0);
	ck_assert_uint_eq(back.nkeys, 1);
	ck_assert_str_eq(back.keys[0].kid, "a\"b\\c/d");
	ck_assert_int_eq(EVP_PKEY_eq(back.keys[0].pkey, k), 1);
	free(doc);
	jwks_free(&back);
	jwks_free(&set);
}
END_TEST

/* --- fetch ------------------------------------------------------------------- */

START_TEST(test_url_allowed_https_only)
{
	ck_assert(fetch_url_allowed("https://tenant.auth0.com/.well-known/jwks.json", 0));
	ck_assert(!fetch_url_allowed("http://tenant.auth0.com/.well-known/jwks.json", 0));
	ck_assert(!fetch_url_allowed("http://127.0.0.1:8080/jwks.json", 0));
	ck_assert(!fetch_url_allowed("ftp://tenant.auth0.com/x", 1));
	ck_assert(!fetch_url_allowed("https:///x", 0));
	ck_assert(!fetch_url_allowed("https://tenant.auth0.com/a b", 0));
	ck_assert(!fetch_url_allowed("HTTPS://tenant.auth0.com/", 0));
}
END_TEST

START_TEST(test_url_allowed_insecure_only_for_127_0_0_1)
{
	ck_assert(fetch_url_allowed("http://127.0.0.1:8080/jwks.json", 1));
	ck_assert(fetch_url_allowed("http://127.0.0.1/jwks.json", 1));
	ck_assert(!fetch_url_allowed("http://127.0.0.10/jwks.json", 1));
	ck_assert(!fetch_url_allowed("http://127.0.0.1.evil.test/jwks.json", 1));
	ck_assert(!fetch_url_allowed("http://127.0.0.1@evil.test/jwks.json", 1));
	ck_assert(!fetch_url_allowed("http://localhost/jwks.json", 1));
}
END_TEST

/* The insecure-localhost exception parses the URL: what curl would connect
 * to must be the loopback literal, whatever the text starts with. */
START_TEST(test_url_allowed_insecure_parses_the_url)
{
	static const char *const allowed[] = {
	    "http://127.0.0.1",
	    "http://127.0.0.1/",
	    "http://127.0.0.1:80/x",
	    "http://127.0.0.1:65535/jwks.json",
	    "http://127.0.0.1?x=1",
	    "http://[::1]/jwks.json",
	    "http://[::1]:8080/jwks.json",
	    "http://[::1]",
	};
	static const char *const refused[] = {
	    "http://127.0.0.1:80@evil.example/", /* userinfo: the host is evil.example */
	    "http://127.0.0.1@evil.example/",
	    "http://user:pw@127.0.0.1/",
	    "http://@127.0.0.1/",
	    "http://127.0.0.1.evil.example/jwks.json", /* a name that starts like the address */
	    "http://localhost/jwks.json",
	    "http://localhost.evil/jwks.json",
	    "http://LOCALHOST/",
	    "HTTP://127.0.0.1/",
	    "Http://127.0.0.1/", /* the scheme is matched exactly */
	    "http://127.0.0.1\\@evil.example/",
	    "http://127.0.0.1\\evil.example/",
	    "http:\\\\127.0.0.1/",
	    "http://127.0.0.1:/",
	    "http://127.0.0.1:0/",
	    "http://127.0.0.1:65536/",
	    "http://127.0.0.1:080808/",
	    "http://127.0.0.1:80x/",
	    "http://127.0.0.1:-1/",
	    "http://127.0.0.1#@evil.example/",
	    "http://127.0.0.1%2f@evil.example/",
	    "http://127.0.0.1%00.evil.example/",
	    "http://[::1]evil/",
	    "http://[::1/",
	    "http://[::1%25lo]/",
	    "http://[::2]/",
	    "http://[0:0:0:0:0:0:0:1]/",
	    "http://127.1/",
	    "http://2130706433/",
	    "http://0x7f000001/",
	    "http:///127.0.0.1/",
	    "http://127.0.0.1 /",
	    "http://",
	    "http:127.0.0.1/",
	    "//127.0.0.1/",
	};
	for (size_t i = 0; i < sizeof refused / sizeof refused[0]; i++)
		ck_assert_msg(!fetch_url_allowed(refused[i], 1), "allowed %s", refused[i]);
	for (size_t i = 0; i < sizeof allowed / sizeof allowed[0]; i++)
		ck_assert_msg(fetch_url_allowed(allowed[i], 1), "refused %s", allowed[i]);
	for (size_t i = 0; i < sizeof allowed / sizeof allowed[0]; i++)
		ck_assert_msg(!fetch_url_allowed(allowed[i], 0), "allowed %s without the setting",
			      allowed[i]);
}
END_TEST

START_TEST(test_url_allowed_https_refuses_userinfo_and_bad_hosts)
{
	ck_assert(fetch_url_allowed("https://Tenant.EU.auth0.com/.well-known/jwks.json", 0));
	ck_assert(fetch_url_allowed("https://tenant.auth0.com:8443/.well-known/jwks.json", 0));
	ck_assert(fetch_url_allowed("https://[2001:db8::1]/jwks.json", 0));
	ck_assert(!fetch_url_allowed("https://tenant.auth0.com@evil.example/", 0));
	ck_assert(!fetch_url_allowed("https://tenant.auth0.com:443@evil.example/", 0));
	ck_assert(!fetch_url_allowed("https://tenant.auth0.com\\@evil.example/", 0));
	ck_assert(!fetch_url_allowed("https://tenant_auth0.com/", 0));
	ck_assert(!fetch_url_allowed("https://tenant.auth0.com:99999/", 0));
	struct fetch_url u;
	ck_assert_int_eq(fetch_url_parse("http://[::1]:8080/x", &u), 0);
	ck_assert_str_eq(u.host, "[::1]");
	ck_assert_int_eq(u.port, 8080);
	ck_assert_int_eq(u.https, 0);
	ck_assert_int_eq(fetch_url_parse("https://a.example", &u), 0);
	ck_assert_str_eq(u.host, "a.example");
	ck_assert_int_eq(u.port, 0);
	ck_assert_int_eq(u.https, 1);
}
END_TEST

START_TEST(test_retry_after_seconds_and_dates)
{
	ck_assert_int_eq(fetch_parse_retry_after("5", NOW), 5);
	ck_assert_int_eq(fetch_parse_retry_after(" 7 ", NOW), 7);
	ck_assert_int_eq(fetch_parse_retry_after("999999", NOW), 3600);
	ck_assert_int_eq(fetch_parse_retry_after("soon", NOW), -1);
	ck_assert_int_eq(fetch_parse_retry_after("5s", NOW), -1);
	ck_assert_int_eq(fetch_parse_retry_after(NULL, NOW), -1);
	/* 1700000000 is Tue, 14 Nov 2023 22:13:20 GMT */
	ck_assert_int_eq(fetch_parse_retry_after("Tue, 14 Nov 2023 22:13:50 GMT", NOW), 30);
	ck_assert_int_eq(fetch_parse_retry_after("Tue, 14 Nov 2023 22:00:00 GMT", NOW), 0);
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
	const char *why;
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
	const char *why;
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
	const char *why;
	ck_assert_int_eq(token_verify(&verifier, t, strlen(t), NOW, &p, &why), TOKEN_INVALID);
	ck_assert_str_eq(why, "unknown kid");
	ck_assert_int_eq(hook_calls, 1);
	free(t);
}
END_TEST

START_TEST(test_verify_email_and_name_from_namespace)
{
	ck_assert_int_eq(testkeys_load_jwks(&keys), 0);
	char *t = tenant_token(",\"" NS "email\":\"a@b.test\",\"" NS "name\":\"A B\"");
	struct principal p;
	const char *why;
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
	const char *why;
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
	const char *why;
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
	const char *why;
	ck_assert_int_eq(token_verify(&verifier, t, strlen(t), NOW, &p, &why), TOKEN_OK);
	ck_assert_ptr_null(p.email);
	principal_free(&p);
	free(t);
}
END_TEST

static Suite *auth0_suite(void)
{
	Suite *s = suite_create("auth0");
	TCase *tc = tcase_create("stamps");
	tcase_add_test(tc, test_stamps_parse_reads_four_numbers);
	tcase_add_test(tc, test_stamps_parse_refuses_malformed);
	suite_add_tcase(s, tc);

	tc = tcase_create("cache");
	tcase_add_checked_fixture(tc, dir_setup, dir_teardown);
	tcase_add_test(tc, test_cache_start_uses_fresh_file_without_fetching);
	tcase_add_test(tc, test_cache_stale_and_tenant_down_keeps_last_good_set);
	tcase_add_test(tc, test_cache_unknown_kid_fetches_once_per_interval);
	tcase_add_test(tc, test_cache_sees_a_file_another_process_replaced);
	tcase_add_test(tc, test_file_write_atomic_sets_exact_mode);
	suite_add_tcase(s, tc);

	tc = tcase_create("jwks");
	tcase_add_test(tc, test_jwks_to_json_escapes_kid_and_round_trips);
	suite_add_tcase(s, tc);

	tc = tcase_create("fetch");
	tcase_add_test(tc, test_url_allowed_https_only);
	tcase_add_test(tc, test_url_allowed_insecure_only_for_127_0_0_1);
	tcase_add_test(tc, test_url_allowed_insecure_parses_the_url);
	tcase_add_test(tc, test_url_allowed_https_refuses_userinfo_and_bad_hosts);
	tcase_add_test(tc, test_retry_after_seconds_and_dates);
	tcase_add_test(tc, test_management_token_used_until_shortly_before_expiry);
	suite_add_tcase(s, tc);

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
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(auth0_suite());
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
