/* Unit tests of lib/fetch.c: the HTTP client's URL policy and Retry-After parsing. */

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

Suite *unit_suite(void)
{
	Suite *s = suite_create("fetch");
	TCase *tc;

	tc = tcase_create("fetch");
	tcase_add_test(tc, test_url_allowed_https_only);
	tcase_add_test(tc, test_url_allowed_insecure_only_for_127_0_0_1);
	tcase_add_test(tc, test_url_allowed_insecure_parses_the_url);
	tcase_add_test(tc, test_url_allowed_https_refuses_userinfo_and_bad_hosts);
	tcase_add_test(tc, test_retry_after_seconds_and_dates);
	suite_add_tcase(s, tc);

	return s;
}
