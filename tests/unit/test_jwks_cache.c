/* Unit tests of lib/jwks_cache.c: the JWKS cache stamps and its file handling (Auth0 mode). */

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
static const struct fetch_opts down = {.timeout = 2};
#define DOWN_URL "https://127.0.0.1:1/.well-known/jwks.json"

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
	static const char *const bad[] = {"",
					  "1 2 3 4",
					  "1 2 3\n",
					  "1 2 3 4 5\n",
					  "1 2 3 4\nx",
					  "-1 2 3 4\n",
					  "1  2 3 4\n",
					  "a b c d\n",
					  "1 2 3 99999999999999999999\n"};
	struct jwks_cache_stamps st = {7, 7, 7, 7};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
		ck_assert_msg(jwks_cache_stamps_parse(bad[i], &st) < 0, "accepted '%s'", bad[i]);
	ck_assert(st.success == 7);
}
END_TEST

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
	ck_assert_int_eq(st.attempt, NOW);	  /* tried */
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
	fixture_jwks_to_cache();  /* as a fetch by another process would */
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

Suite *unit_suite(void)
{
	Suite *s = suite_create("jwks_cache");
	TCase *tc;

	tc = tcase_create("stamps");
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

	return s;
}
