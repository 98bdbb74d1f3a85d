/* Unit tests of the strict JSON scan (lib/core/jsonscan.c) and of what it
 * refuses in tokens and request bodies: duplicate member names, \u0000 and
 * ill-formed UTF-8, which json-c reads differently from other parsers. */
#include <check.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "http.h"
#include "jsonscan.h"
#include "jwks.h"
#include "testkeys.h"
#include "token.h"
#include "util.h"
#include "unit.h"

#define NOW ((time_t)1700000000)
#define ISSUER "https://issuer.test/"
#define AUDIENCE "https://api.test"
#define HEADER "{\"alg\":\"RS256\",\"typ\":\"JWT\",\"kid\":\"" TESTKEYS_KID1 "\"}"
/* The claims of a good token, without the closing brace, so that tests
 * can append members as raw JSON text. */
#define CLAIMS_OPEN                                                                                          \
	"{\"iss\":\"" ISSUER "\",\"aud\":\"" AUDIENCE "\",\"iat\":1699999940,\"exp\":1700003600,"            \
	"\"scope\":\"openid\""

static int scan(const char *text)
{
	return jsonscan_check(text, strlen(text), 16);
}

/* --- the scan itself ----------------------------------------------------- */

START_TEST(test_scan_accepts_json_without_duplicates)
{
	static const char *const ok[] = {
	    "{}",
	    "[]",
	    "\"x\"",
	    "0",
	    "-0.5e+3",
	    "1E9",
	    "true",
	    "false",
	    "null",
	    " {\"a\" : [1, 2] } \n",
	    "{\"a\":{\"a\":1},\"b\":{\"a\":2}}",
	    "[{\"a\":1},{\"a\":2}]",
	    "{\"a\":1,\"A\":2,\"a \":3}",
	    "{\"\":1,\" \":2}",
	    "{\"\\u00e9\":1,\"e\":2}",
	    "{\"x\":\"\\ud800\"}",
	    "{\"a\":{\"b\":{\"c\":{}}},\"b\":{\"b\":{\"b\":[]}}}",
	};
	for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++)
		ck_assert_msg(scan(ok[i]) == JSONSCAN_OK, "%s: %s", ok[i], jsonscan_strerror(scan(ok[i])));
}
END_TEST

START_TEST(test_scan_refuses_duplicate_names)
{
	static const char *const dup[] = {
	    "{\"a\":1,\"a\":2}",
	    "{\"a\":1,\"b\":2,\"a\":3}",
	    "{\"alg\":\"none\",\"alg\":\"RS256\"}",
	    "{\"\\u0061\":1,\"a\":2}",			     /* escaped and plain */
	    "{\"\\/\":1,\"/\":2}",			     /* \/ is / */
	    "{\"\\ud83d\\ude00\":1,\"\xf0\x9f\x98\x80\":2}", /* a surrogate pair and its UTF-8 */
	    "{\"\\ud800\":1,\"\\ufffd\":2}",		     /* json-c: a lone half is U+FFFD */
	    "{\"\\udc00x\":1,\"\\ufffdx\":2}",
	    "{\"x\":{\"a\":1,\"a\":1}}", /* nested */
	    "[1,{\"k\":1,\"k\":2}]",	 /* inside an array */
	    "{\"a\":{\"b\":1},\"c\":[{\"d\":1}],\"a\":2}",
	    "{\"\":1,\"\":2}",
	};
	for (size_t i = 0; i < sizeof dup / sizeof dup[0]; i++)
		ck_assert_msg(scan(dup[i]) == JSONSCAN_DUPLICATE, "%s: %s", dup[i],
			      jsonscan_strerror(scan(dup[i])));
}
END_TEST

START_TEST(test_scan_refuses_duplicate_among_many_names)
{
	struct sbuf b = {0};
	sbuf_adds(&b, "{");
	for (int i = 0; i < 500; i++) {
		char m[32];
		snprintf(m, sizeof m, "\"k%d\":%d,", i, i);
		sbuf_adds(&b, m);
	}
	sbuf_adds(&b, "\"last\":0}");
	ck_assert_int_eq(jsonscan_check(b.p, b.len, 16), JSONSCAN_OK);
	b.len -= strlen("\"last\":0}");
	sbuf_adds(&b, "\"k250\":0}");
	ck_assert_int_eq(jsonscan_check(b.p, b.len, 16), JSONSCAN_DUPLICATE);
	sbuf_free(&b);
}
END_TEST

START_TEST(test_scan_refuses_nul_in_names_and_strings)
{
	ck_assert_int_eq(scan("{\"a\\u0000b\":1}"), JSONSCAN_NUL);
	ck_assert_int_eq(scan("{\"iss\":\"https://issuer.test/\\u0000x\"}"), JSONSCAN_NUL);
	ck_assert_int_eq(scan("[\"\\u0000\"]"), JSONSCAN_NUL);
	ck_assert_int_eq(scan("{\"x\":\"\\u0001\"}"), JSONSCAN_OK);
}
END_TEST

START_TEST(test_scan_checks_utf8_strictly)
{
	static const char *const good[] = {
	    "\"\xc3\xa9\"",	    /* U+00E9 */
	    "\"\xe0\xa0\x80\"",	    /* U+0800, the first 3-byte one */
	    "\"\xed\x9f\xbf\"",	    /* U+D7FF, just below the surrogates */
	    "\"\xef\xbf\xbd\"",	    /* U+FFFD */
	    "\"\xf0\x90\x80\x80\"", /* U+10000 */
	    "\"\xf4\x8f\xbf\xbf\"", /* U+10FFFF */
	    "{\"\xe2\x82\xac\":1}", /* in a name */
	};
	static const char *const bad[] = {
	    "\"\xc0\xaf\"",	    /* overlong '/' */
	    "\"\xc1\xbf\"",	    /* overlong */
	    "\"\xe0\x80\xaf\"",	    /* overlong, 3 bytes */
	    "\"\xf0\x80\x80\xaf\"", /* overlong, 4 bytes */
	    "\"\xed\xa0\x80\"",	    /* U+D800, a surrogate */
	    "\"\xed\xbf\xbf\"",	    /* U+DFFF */
	    "\"\xf4\x90\x80\x80\"", /* U+110000 */
	    "\"\xf5\x80\x80\x80\"", /* no such lead byte */
	    "\"\xff\"",
	    "\"\x80\"",
	    "\"\xe9\"",		/* stray bytes, Latin-1 */
	    "\"\xe2\x82\"",	/* truncated */
	    "\"\xe2\x82x\"",	/* a continuation missing */
	    "{\"\xc0\xaf\":1}", /* in a name */
	};
	for (size_t i = 0; i < sizeof good / sizeof good[0]; i++)
		ck_assert_msg(scan(good[i]) == JSONSCAN_OK, "good %zu: %s", i,
			      jsonscan_strerror(scan(good[i])));
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
		ck_assert_msg(scan(bad[i]) == JSONSCAN_BAD_UTF8, "bad %zu: %s", i,
			      jsonscan_strerror(scan(bad[i])));
}
END_TEST

START_TEST(test_scan_refuses_invalid_json)
{
	static const char *const bad[] = {
	    "",		  " ",		 "{",	      "}",	  "{\"a\"}", "{\"a\":}",
	    "{\"a\":1,}", "[1,]",	 "[1 2]",     "01",	  "1.",	     "-",
	    "1e",	  ".5",		 "+1",	      "tru",	  "nul",     "\"\x01\"",
	    "\"\\q\"",	  "\"\\u12g4\"", "\"\\u12\"", "\"abc",	  "{} x",    "{\"a\":1}{}",
	    "'a'",	  "NaN",	 "{a:1}",     "[\"a\",]", "\"\\",
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
		ck_assert_msg(scan(bad[i]) == JSONSCAN_INVALID, "'%s': %s", bad[i],
			      jsonscan_strerror(scan(bad[i])));
	/* A NUL byte is not whitespace. */
	ck_assert_int_eq(jsonscan_check("{}\0", 3, 16), JSONSCAN_INVALID);
	ck_assert_int_eq(jsonscan_check(NULL, 0, 16), JSONSCAN_INVALID);
}
END_TEST

START_TEST(test_scan_limits_depth)
{
	char deep[80];
	for (int d = 1; d <= 20; d++) {
		memset(deep, '[', (size_t)d);
		memset(deep + d, ']', (size_t)d);
		deep[2 * d] = '\0';
		ck_assert_int_eq(jsonscan_check(deep, (size_t)(2 * d), 16),
				 d <= 16 ? JSONSCAN_OK : JSONSCAN_TOO_DEEP);
	}
	/* 10 000 levels: refused without using the stack for them. */
	size_t n = 10000;
	char *huge = ck_malloc(2 * n);
	memset(huge, '[', n);
	memset(huge + n, ']', n);
	ck_assert_int_eq(jsonscan_check(huge, 2 * n, 16), JSONSCAN_TOO_DEEP);
	ck_assert_int_eq(jsonscan_check(huge, 2 * n, 1 << 20), JSONSCAN_TOO_DEEP);
	free(huge);
}
END_TEST

/* Sum of the member counts json-c keeps over every object of o. */
static size_t members(json_object *o)
{
	size_t n = 0;
	if (json_object_is_type(o, json_type_object)) {
		json_object_object_foreach(o, k, v)
		{
			(void)k;
			n += 1 + members(v);
		}
	} else if (json_object_is_type(o, json_type_array)) {
		for (size_t i = 0; i < json_object_array_length(o); i++)
			n += members(json_object_array_get_idx(o, i));
	}
	return n;
}

/* The scan and json-c agree: where json-c dropped a member, the scan
 * found a duplicate, and nowhere else. */
START_TEST(test_scan_agrees_with_json_c_on_what_it_drops)
{
	static const struct {
		const char *text;
		size_t written; /* members as written */
	} cases[] = {
	    {"{\"a\":1,\"b\":2}", 2},
	    {"{\"a\":1,\"a\":2}", 2},
	    {"{\"\\u0061\":1,\"a\":2}", 2},
	    {"{\"\\ud800\":1,\"\\ufffd\":2}", 2},
	    {"{\"\\ud83d\\ude00\":1,\"\xf0\x9f\x98\x80\":2}", 2},
	    {"{\"\\ud800\\u0041\":1,\"\xef\xbf\xbd"
	     "A\":2}",
	     2},
	    {"{\"\\ud800\\ud800\":1,\"\\ufffd\\ufffd\":2}", 2},
	    {"{\"x\":{\"a\":1},\"y\":{\"a\":1,\"b\":2}}", 5},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		const char *t = cases[i].text;
		json_object *o = json_tokener_parse(t);
		ck_assert_ptr_nonnull(o);
		int dropped = members(o) != cases[i].written;
		ck_assert_msg((scan(t) == JSONSCAN_DUPLICATE) == dropped,
			      "%s: json-c dropped %d, scan says %s", t, dropped, jsonscan_strerror(scan(t)));
		json_object_put(o);
	}
}
END_TEST

/* --- tokens -------------------------------------------------------------- */

static EVP_PKEY *key1;
static struct jwks keys;
static struct token_verifier verifier;

static void setup(void)
{
	key1 = testkeys_load_pem("key1.pem");
	ck_assert_ptr_nonnull(key1);
	ck_assert_int_eq(testkeys_load_jwks(&keys), 0);
	verifier.keys = &keys;
	verifier.issuer = ISSUER;
	verifier.audience = AUDIENCE;
	verifier.leeway = 30;
}

static void teardown(void)
{
	jwks_free(&keys);
	EVP_PKEY_free(key1);
	key1 = NULL;
}

/* Verifies a token of these header and payload texts signed with the
 * fixture key; returns the status, and the sub when accepted. */
static enum token_status verify(const char *header, const char *payload, char *sub, size_t sublen)
{
	char *tok = testkeys_rs256(key1, header, payload);
	ck_assert_ptr_nonnull(tok);
	struct principal p;
	enum token_failure why = TOKEN_FAIL_NONE;
	enum token_status st = token_verify(&verifier, tok, strlen(tok), NOW, &p, &why);
	if (st == TOKEN_OK) {
		if (sub)
			snprintf(sub, sublen, "%s", p.sub);
		principal_free(&p);
	}
	free(tok);
	return st;
}

START_TEST(test_token_control_is_accepted)
{
	char sub[64];
	ck_assert_int_eq(verify(HEADER, CLAIMS_OPEN ",\"sub\":\"auth0|user123\"}", sub, sizeof sub),
			 TOKEN_OK);
	ck_assert_str_eq(sub, "auth0|user123");
}
END_TEST

START_TEST(test_token_refuses_duplicate_alg)
{
	/* json-c keeps the last alg: without the scan this is an RS256 token. */
	ck_assert_int_eq(verify("{\"alg\":\"none\",\"kid\":\"" TESTKEYS_KID1 "\",\"alg\":\"RS256\"}",
				CLAIMS_OPEN ",\"sub\":\"auth0|user123\"}", NULL, 0),
			 TOKEN_INVALID);
	ck_assert_int_eq(verify("{\"alg\":\"RS256\",\"kid\":\"" TESTKEYS_KID1 "\",\"alg\":\"RS256\"}",
				CLAIMS_OPEN ",\"sub\":\"auth0|user123\"}", NULL, 0),
			 TOKEN_INVALID);
}
END_TEST

START_TEST(test_token_refuses_duplicate_kid)
{
	ck_assert_int_eq(verify("{\"alg\":\"RS256\",\"kid\":\"other\",\"kid\":\"" TESTKEYS_KID1 "\"}",
				CLAIMS_OPEN ",\"sub\":\"auth0|user123\"}", NULL, 0),
			 TOKEN_INVALID);
}
END_TEST

START_TEST(test_token_refuses_duplicate_sub)
{
	ck_assert_int_eq(
	    verify(HEADER, CLAIMS_OPEN ",\"sub\":\"auth0|user123\",\"sub\":\"auth0|admin456\"}", NULL, 0),
	    TOKEN_INVALID);
	/* The same name written with an escape. */
	ck_assert_int_eq(verify(HEADER,
				CLAIMS_OPEN ",\"sub\":\"auth0|user123\",\"s\\u0075b\":\"auth0|admin456\"}",
				NULL, 0),
			 TOKEN_INVALID);
}
END_TEST

START_TEST(test_token_refuses_duplicate_permissions)
{
	ck_assert_int_eq(verify(HEADER,
				CLAIMS_OPEN ",\"sub\":\"auth0|user123\",\"permissions\":[\"read:profile\"],"
					    "\"permissions\":[\"admin:all\"]}",
				NULL, 0),
			 TOKEN_INVALID);
}
END_TEST

START_TEST(test_token_refuses_duplicate_in_nested_claim)
{
	ck_assert_int_eq(verify(HEADER,
				CLAIMS_OPEN
				",\"sub\":\"auth0|user123\",\"ext\":{\"role\":\"user\",\"role\":\"admin\"}}",
				NULL, 0),
			 TOKEN_INVALID);
}
END_TEST

START_TEST(test_token_refuses_nul_in_claims)
{
	/* strcmp would stop at the NUL: the iss and the sub would pass as ours. */
	ck_assert_int_eq(verify(HEADER,
				"{\"iss\":\"" ISSUER "\\u0000.evil\",\"aud\":\"" AUDIENCE
				"\",\"exp\":1700003600,\"sub\":\"auth0|user123\"}",
				NULL, 0),
			 TOKEN_INVALID);
	ck_assert_int_eq(verify(HEADER, CLAIMS_OPEN ",\"sub\":\"auth0|admin456\\u0000x\"}", NULL, 0),
			 TOKEN_INVALID);
	ck_assert_int_eq(
	    verify(HEADER, CLAIMS_OPEN ",\"sub\":\"u\",\"permissions\":[\"admin:all\\u0000-not\"]}", NULL, 0),
	    TOKEN_INVALID);
}
END_TEST

START_TEST(test_token_refuses_ill_formed_utf8)
{
	/* json-c's own check lets these through. */
	ck_assert_int_eq(
	    verify(HEADER, CLAIMS_OPEN ",\"sub\":\"auth0|user123\",\"name\":\"\xc0\xaf\"}", NULL, 0),
	    TOKEN_INVALID);
	ck_assert_int_eq(
	    verify(HEADER, CLAIMS_OPEN ",\"sub\":\"auth0|user123\",\"name\":\"\xed\xa0\x80\"}", NULL, 0),
	    TOKEN_INVALID);
	ck_assert_int_eq(
	    verify(HEADER, CLAIMS_OPEN ",\"sub\":\"auth0|user123\",\"name\":\"\xf4\x90\x80\x80\"}", NULL, 0),
	    TOKEN_INVALID);
	char sub[64];
	ck_assert_int_eq(verify(HEADER, CLAIMS_OPEN ",\"sub\":\"auth0|\xc3\xa9\"}", sub, sizeof sub),
			 TOKEN_OK);
	ck_assert_str_eq(sub, "auth0|\xc3\xa9");
}
END_TEST

START_TEST(test_token_json_parse_refuses_duplicates)
{
	const char *t = "{\"a\":1,\"a\":1}";
	ck_assert_ptr_null(token_json_parse(t, strlen(t)));
	t = "{\"a\":1,\"b\":1}";
	json_object *o = token_json_parse(t, strlen(t));
	ck_assert_ptr_nonnull(o);
	json_object_put(o);
}
END_TEST

/* The one strict parser, behind tokens, bodies and key sets alike. */
START_TEST(test_parse_says_why)
{
	const struct {
		const char *text;
		int depth;
		enum jsonscan_result want;
	} cases[] = {
	    {"{\"a\":[1]}\n", 16, JSONSCAN_OK}, {"{\"a\":1,\"a\":2}", 16, JSONSCAN_DUPLICATE},
	    {"\"a\\u0000\"", 16, JSONSCAN_NUL}, {"\"\xed\xa0\x80\"", 16, JSONSCAN_BAD_UTF8},
	    {"[[[1]]]", 2, JSONSCAN_TOO_DEEP},	{"{} {}", 16, JSONSCAN_INVALID},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		enum jsonscan_result why;
		json_object *o = jsonscan_parse(cases[i].text, strlen(cases[i].text), cases[i].depth, &why);
		ck_assert_msg(why == cases[i].want, "%s: %s", cases[i].text, jsonscan_strerror(why));
		ck_assert(cases[i].want == JSONSCAN_OK ? o != NULL : o == NULL);
		json_object_put(o);
	}
	/* Two names for the key list: a JWKS is read by the same parser. */
	struct jwks set;
	char err[128];
	const char *t = "{\"keys\":[],\"keys\":[]}";
	ck_assert_int_eq(jwks_parse(&set, t, strlen(t), err, sizeof err), -1);
	jsonscan_release();
}
END_TEST

/* --- request bodies ----------------------------------------------------- */

static int body_ok(const char *text, size_t len)
{
	json_object *o = http_body_parse(text, len);
	json_object_put(o);
	return o != NULL;
}

START_TEST(test_body_parse)
{
	const char *t = "{\"email\":\"user@example.com\",\"password\":\"x\"}\r\n";
	ck_assert(body_ok(t, strlen(t)));
	t = "[1,2]";
	ck_assert(body_ok(t, strlen(t)));
	t = "{\"email\":\"user@example.com\",\"email\":\"admin@example.com\"}";
	ck_assert(!body_ok(t, strlen(t)));
	t = "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"tools/"
	    "call\",\"params\":{\"name\":\"a\",\"name\":\"b\"}}";
	ck_assert(!body_ok(t, strlen(t)));
	t = "{\"name\":\"a\\u0000b\"}";
	ck_assert(!body_ok(t, strlen(t)));
	t = "{\"name\":\"..\xc0\xaf..\"}";
	ck_assert(!body_ok(t, strlen(t)));
	/* Trailing NUL bytes are not whitespace. */
	ck_assert(!body_ok("{}\0\0", 4));
	ck_assert(!body_ok("{} x", 4));
	ck_assert(!body_ok("", 0));
	char deep[70];
	memset(deep, '[', 33);
	memset(deep + 33, ']', 33);
	ck_assert(!body_ok(deep, 66));
	ck_assert(body_ok(deep + 2, 62));
}
END_TEST

Suite *unit_suite(void)
{
	Suite *s = suite_create("jsonscan");
	TCase *tc = tcase_create("scan");
	tcase_add_test(tc, test_scan_accepts_json_without_duplicates);
	tcase_add_test(tc, test_scan_refuses_duplicate_names);
	tcase_add_test(tc, test_scan_refuses_duplicate_among_many_names);
	tcase_add_test(tc, test_scan_refuses_nul_in_names_and_strings);
	tcase_add_test(tc, test_scan_checks_utf8_strictly);
	tcase_add_test(tc, test_scan_refuses_invalid_json);
	tcase_add_test(tc, test_scan_limits_depth);
	tcase_add_test(tc, test_scan_agrees_with_json_c_on_what_it_drops);
	suite_add_tcase(s, tc);

	tc = tcase_create("tokens");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_token_control_is_accepted);
	tcase_add_test(tc, test_token_refuses_duplicate_alg);
	tcase_add_test(tc, test_token_refuses_duplicate_kid);
	tcase_add_test(tc, test_token_refuses_duplicate_sub);
	tcase_add_test(tc, test_token_refuses_duplicate_permissions);
	tcase_add_test(tc, test_token_refuses_duplicate_in_nested_claim);
	tcase_add_test(tc, test_token_refuses_nul_in_claims);
	tcase_add_test(tc, test_token_refuses_ill_formed_utf8);
	tcase_add_test(tc, test_token_json_parse_refuses_duplicates);
	suite_add_tcase(s, tc);

	tc = tcase_create("bodies");
	tcase_add_test(tc, test_body_parse);
	tcase_add_test(tc, test_parse_says_why);
	suite_add_tcase(s, tc);
	return s;
}
