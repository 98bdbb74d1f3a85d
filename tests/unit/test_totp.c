/* Unit tests of lib/core/totp.c: RFC 6238 TOTP against its Appendix B
 * test vectors (SHA-1), RFC 4226's HOTP values, the window and the URI. */

#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "totp.h"
#include "unit.h"
#include "util.h"

/* RFC 6238 Appendix B's SHA-1 seed: the ASCII digits "1234567890" twice. */
static const unsigned char seed[] = "12345678901234567890";
#define SEED_LEN 20

/* RFC 6238 Appendix B, the SHA-1 rows: time, step (hex), 8-digit TOTP. */
static const struct {
	time_t t;
	uint64_t step;
	const char *code;
} rfc6238[] = {
    {59, 0x1, "94287082"},
    {1111111109, 0x23523EC, "07081804"},
    {1111111111, 0x23523ED, "14050471"},
    {1234567890, 0x273EF07, "89005924"},
    {2000000000, 0x3F940AA, "69279037"},
    {20000000000LL, 0x27BC86AA, "65353130"},
};

START_TEST(test_totp_rfc6238_appendix_b)
{
	for (size_t i = 0; i < sizeof rfc6238 / sizeof rfc6238[0]; i++) {
		char code[9];
		ck_assert_uint_eq(totp_step(rfc6238[i].t), rfc6238[i].step);
		totp_code(seed, SEED_LEN, totp_step(rfc6238[i].t), 8, code);
		ck_assert_str_eq(code, rfc6238[i].code);
	}
}
END_TEST

/* RFC 4226 Appendix D: the 6-digit HOTP values of counters 0 to 9. */
START_TEST(test_totp_rfc4226_appendix_d)
{
	static const uint32_t want[] = {755224, 287082, 359152, 969429, 338314,
					254676, 287922, 162583, 399871, 520489};
	for (uint64_t c = 0; c < 10; c++)
		ck_assert_uint_eq(totp_hotp(seed, SEED_LEN, c, 6), want[c]);
}
END_TEST

/* Six digits are the last six of the eight: the truncation is mod 10^d. */
START_TEST(test_totp_six_digits_zero_padded)
{
	char code[7];
	totp_code(seed, SEED_LEN, totp_step(1111111109), 6, code);
	ck_assert_str_eq(code, "081804");
}
END_TEST

START_TEST(test_totp_match_window_of_one_step)
{
	time_t now = 1234567890;
	uint64_t step = totp_step(now), got = 0;
	char code[7];
	for (int d = -1; d <= 1; d++) {
		totp_code(seed, SEED_LEN, step + (uint64_t)(int64_t)d, 6, code);
		ck_assert_int_eq(totp_match(seed, SEED_LEN, now, code, &got), 1);
		ck_assert_uint_eq(got, step + (uint64_t)(int64_t)d);
	}
}
END_TEST

START_TEST(test_totp_match_refuses_outside_window)
{
	time_t now = 1234567890;
	uint64_t step = totp_step(now), got = 0;
	char code[7];
	totp_code(seed, SEED_LEN, step - 2, 6, code);
	ck_assert_int_eq(totp_match(seed, SEED_LEN, now, code, &got), 0);
	totp_code(seed, SEED_LEN, step + 2, 6, code);
	ck_assert_int_eq(totp_match(seed, SEED_LEN, now, code, &got), 0);
}
END_TEST

START_TEST(test_totp_match_refuses_malformed)
{
	uint64_t got;
	ck_assert_int_eq(totp_match(seed, SEED_LEN, 59, NULL, &got), 0);
	ck_assert_int_eq(totp_match(seed, SEED_LEN, 59, "", &got), 0);
	ck_assert_int_eq(totp_match(seed, SEED_LEN, 59, "28708", &got), 0);
	ck_assert_int_eq(totp_match(seed, SEED_LEN, 59, "2870820", &got), 0);
	/* The right code of step 1 with a trailing byte is not it. */
	ck_assert_int_eq(totp_match(seed, SEED_LEN, 59, "287082 ", &got), 0);
}
END_TEST

START_TEST(test_totp_base32_rfc4648_vectors)
{
	static const char *const want[] = {"", "MY", "MZXQ", "MZXW6", "MZXW6YQ", "MZXW6YTB", "MZXW6YTBOI"};
	for (size_t n = 0; n <= 6; n++) {
		char *b = totp_base32((const unsigned char *)"foobar", n);
		ck_assert_str_eq(b, want[n]);
		free(b);
	}
}
END_TEST

START_TEST(test_totp_uri_encodes_labels)
{
	char *u = totp_uri("mcpauth localhost", "a+b@example.com", seed, SEED_LEN);
	ck_assert_str_eq(u, "otpauth://totp/mcpauth%20localhost:a%2Bb%40example.com?secret="
			    "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ&issuer=mcpauth%20localhost&algorithm=SHA1&"
			    "digits=6&period=30");
	free(u);
}
END_TEST

Suite *unit_suite(void)
{
	Suite *s = suite_create("totp");
	TCase *tc = tcase_create("totp");
	tcase_add_test(tc, test_totp_rfc6238_appendix_b);
	tcase_add_test(tc, test_totp_rfc4226_appendix_d);
	tcase_add_test(tc, test_totp_six_digits_zero_padded);
	tcase_add_test(tc, test_totp_match_window_of_one_step);
	tcase_add_test(tc, test_totp_match_refuses_outside_window);
	tcase_add_test(tc, test_totp_match_refuses_malformed);
	tcase_add_test(tc, test_totp_base32_rfc4648_vectors);
	tcase_add_test(tc, test_totp_uri_encodes_labels);
	suite_add_tcase(s, tc);
	return s;
}
