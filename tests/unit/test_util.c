/* Unit tests of lib/util.c: base64url and URL coding. */

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

/* --- base64url --------------------------------------------------------- */

static void b64_roundtrip(const unsigned char *data, size_t len)
{
	char *enc = b64url_encode(data, len);
	ck_assert_ptr_nonnull(enc);
	ck_assert_ptr_null(strpbrk(enc, "=+/ \n"));
	unsigned char *dec = NULL;
	size_t declen = 0;
	ck_assert_int_eq(b64url_decode(enc, strlen(enc), &dec, &declen), 0);
	ck_assert_uint_eq(declen, len);
	ck_assert_int_eq(memcmp(dec, data, len), 0);
	ck_assert_int_eq(dec[declen], '\0');
	free(dec);
	free(enc);
}

static void b64_refused(const char *in)
{
	unsigned char *out = NULL;
	size_t outlen = 0;
	ck_assert_msg(b64url_decode(in, strlen(in), &out, &outlen) == -1, "accepted \"%s\"", in);
}

static void b64_is(const char *in, const char *want)
{
	char *enc = b64url_encode((const unsigned char *)in, strlen(in));
	ck_assert_str_eq(enc, want);
	free(enc);
}

/* --- URL coding -------------------------------------------------------- */

static void url_decodes(const char *in, const char *want)
{
	char *out = url_decode(in, strlen(in));
	ck_assert_msg(out != NULL, "refused \"%s\"", in);
	ck_assert_str_eq(out, want);
	free(out);
}

static void url_refused(const char *in)
{
	char *out = url_decode(in, strlen(in));
	ck_assert_msg(out == NULL, "accepted \"%s\" as \"%s\"", in, out ? out : "");
	free(out);
}

START_TEST(test_b64url_encodes_rfc4648_vectors)
{
	b64_is("", "");
	b64_is("f", "Zg");
	b64_is("fo", "Zm8");
	b64_is("foo", "Zm9v");
	b64_is("foob", "Zm9vYg");
	b64_is("fooba", "Zm9vYmE");
	b64_is("foobar", "Zm9vYmFy");
}
END_TEST

START_TEST(test_b64url_uses_url_alphabet)
{
	const unsigned char in[] = {0xfb, 0xff};
	char *enc = b64url_encode(in, sizeof in);
	ck_assert_str_eq(enc, "-_8");
	free(enc);
}
END_TEST

START_TEST(test_b64url_round_trips_all_lengths)
{
	unsigned char data[64];
	for (size_t i = 0; i < sizeof data; i++)
		data[i] = (unsigned char)(i * 37 + 0xf0);
	for (size_t len = 0; len <= sizeof data; len++)
		b64_roundtrip(data, len);
	const unsigned char zeros[5] = {0}, ones[5] = {0xff, 0xff, 0xff, 0xff, 0xff};
	b64_roundtrip(zeros, sizeof zeros);
	b64_roundtrip(ones, sizeof ones);
}
END_TEST

START_TEST(test_b64url_decodes_empty)
{
	unsigned char *out = NULL;
	size_t outlen = 99;
	ck_assert_int_eq(b64url_decode("", 0, &out, &outlen), 0);
	ck_assert_uint_eq(outlen, 0);
	free(out);
}
END_TEST

START_TEST(test_b64url_refuses_padding)
{
	b64_refused("Zg==");
	b64_refused("Zm8=");
	b64_refused("Zm9v====");
}
END_TEST

START_TEST(test_b64url_refuses_standard_alphabet)
{
	b64_refused("+_8");
	b64_refused("-/8");
	b64_refused("ab+c");
	b64_refused("ab/c");
}
END_TEST

START_TEST(test_b64url_refuses_whitespace)
{
	b64_refused("Zm9 v");
	b64_refused("Zm9v\n");
	b64_refused(" Zm9v");
	b64_refused("Zm\t9v");
}
END_TEST

START_TEST(test_b64url_refuses_length_1_mod_4)
{
	b64_refused("Z");
	b64_refused("Zm9vY");
}
END_TEST

START_TEST(test_b64url_refuses_nonzero_trailing_bits)
{
	b64_refused("Zh");  /* "Zg" is "f"; 'h' leaves a 1 in the unused bits */
	b64_refused("Zm9"); /* "Zm8" is "fo" */
}
END_TEST

START_TEST(test_b64url_refuses_embedded_nul)
{
	unsigned char *out = NULL;
	size_t outlen = 0;
	ck_assert_int_eq(b64url_decode("Zm\0v", 4, &out, &outlen), -1);
}
END_TEST

START_TEST(test_url_decode_decodes_escapes)
{
	url_decodes("auth0%7Cuser123", "auth0|user123");
	url_decodes("auth0%7cuser123", "auth0|user123");
	url_decodes("plain", "plain");
	url_decodes("", "");
	url_decodes("%41%42", "AB");
	url_decodes("caf%C3%A9", "caf\xc3\xa9");
}
END_TEST

START_TEST(test_url_decode_refuses_bad_escape)
{
	url_refused("%zz");
	url_refused("%4");
	url_refused("%");
	url_refused("a%g1");
	url_refused("abc%4");
}
END_TEST

START_TEST(test_url_decode_refuses_nul)
{
	url_refused("%00");
	url_refused("a%00b");
}
END_TEST

START_TEST(test_url_encode_escapes_reserved)
{
	char *e = url_encode("auth0|user 1/a?b&c=d");
	ck_assert_str_eq(e, "auth0%7Cuser%201%2Fa%3Fb%26c%3Dd");
	free(e);
	e = url_encode("AZaz09-._~");
	ck_assert_str_eq(e, "AZaz09-._~");
	free(e);
	e = url_encode("caf\xc3\xa9");
	ck_assert_str_eq(e, "caf%C3%A9");
	free(e);
	e = url_encode("");
	ck_assert_str_eq(e, "");
	free(e);
}
END_TEST

START_TEST(test_url_encode_round_trips)
{
	const char *in = "a b+c%d|e/f:g@h\xc3\xa9~";
	char *e = url_encode(in);
	char *d = url_decode(e, strlen(e));
	ck_assert_ptr_nonnull(d);
	ck_assert_str_eq(d, in);
	free(e);
	free(d);
}
END_TEST

START_TEST(test_utf8_seq_len_refuses_what_rfc3629_refuses)
{
	ck_assert_uint_eq(utf8_seq_len("a", 1), 1);
	ck_assert_uint_eq(utf8_seq_len("\xc3\xa9", 2), 2);
	ck_assert_uint_eq(utf8_seq_len("\xe2\x82\xac", 3), 3);
	ck_assert_uint_eq(utf8_seq_len("\xf0\x9f\x98\x80", 4), 4);
	ck_assert_uint_eq(utf8_seq_len("\xc0\xaf", 2), 0);	   /* overlong '/' */
	ck_assert_uint_eq(utf8_seq_len("\xe0\x80\xaf", 3), 0);	   /* overlong '/' */
	ck_assert_uint_eq(utf8_seq_len("\xed\xa0\x80", 3), 0);	   /* surrogate */
	ck_assert_uint_eq(utf8_seq_len("\xf4\x90\x80\x80", 4), 0); /* over U+10FFFF */
	ck_assert_uint_eq(utf8_seq_len("\xc3", 1), 0);		   /* cut short */
	ck_assert_uint_eq(utf8_seq_len("\xc3"
				       "a",
				       2),
			  0);			       /* no continuation */
	ck_assert_uint_eq(utf8_seq_len("\x80", 1), 0); /* stray continuation */
}
END_TEST

static char *walk(const char *list, const char *sep)
{
	struct sbuf b = {0};
	const char *w;
	size_t n;
	sbuf_adds(&b, "");
	for (const char *c = list; list_next(&c, sep, &w, &n);) {
		sbuf_adds(&b, "[");
		sbuf_add(&b, w, n);
		sbuf_adds(&b, "]");
	}
	return sbuf_take(&b);
}

START_TEST(test_list_next_walks_words_and_items)
{
	const struct {
		const char *list, *sep, *want;
	} cases[] = {
	    {"openid  profile email ", " ", "[openid][profile][email]"},
	    {"   ", " ", ""},
	    {NULL, " ", ""},
	    {"https://a.example, http://b.example:8080 ,,", ",",
	     "[https://a.example][http://b.example:8080]"},
	    {" a b , c", ",", "[a b][c]"},
	    {"sid=1; csrf=two ;x", ";", "[sid=1][csrf=two][x]"},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		char *got = walk(cases[i].list, cases[i].sep);
		ck_assert_str_eq(got, cases[i].want);
		free(got);
	}
	struct sbuf b = {0};
	sbuf_adds(&b, "");
	words_add(&b, "read", 4);
	words_add(&b, "write", 5);
	words_add(&b, "read", 4);
	ck_assert_str_eq(b.p, "read write");
	ck_assert(words_has(b.p, "write", 5));
	ck_assert(!words_has(b.p, "wri", 3));
	sbuf_free(&b);
}
END_TEST

Suite *unit_suite(void)
{
	Suite *s = suite_create("util");
	TCase *tc;

	tc = tcase_create("b64url");
	tcase_add_test(tc, test_b64url_encodes_rfc4648_vectors);
	tcase_add_test(tc, test_b64url_uses_url_alphabet);
	tcase_add_test(tc, test_b64url_round_trips_all_lengths);
	tcase_add_test(tc, test_b64url_decodes_empty);
	tcase_add_test(tc, test_b64url_refuses_padding);
	tcase_add_test(tc, test_b64url_refuses_standard_alphabet);
	tcase_add_test(tc, test_b64url_refuses_whitespace);
	tcase_add_test(tc, test_b64url_refuses_length_1_mod_4);
	tcase_add_test(tc, test_b64url_refuses_nonzero_trailing_bits);
	tcase_add_test(tc, test_b64url_refuses_embedded_nul);
	suite_add_tcase(s, tc);

	tc = tcase_create("url");
	tcase_add_test(tc, test_url_decode_decodes_escapes);
	tcase_add_test(tc, test_url_decode_refuses_bad_escape);
	tcase_add_test(tc, test_url_decode_refuses_nul);
	tcase_add_test(tc, test_url_encode_escapes_reserved);
	tcase_add_test(tc, test_url_encode_round_trips);
	suite_add_tcase(s, tc);

	tc = tcase_create("one of each");
	tcase_add_test(tc, test_utf8_seq_len_refuses_what_rfc3629_refuses);
	tcase_add_test(tc, test_list_next_walks_words_and_items);
	suite_add_tcase(s, tc);

	return s;
}
