/* Unit tests of lib/jwks.c: JWKS parsing, thumbprints and retired keys. */

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

/* --- jwks -------------------------------------------------------------- */

/* The public JWK of key under kid as a json object; with one member
 * replaced (value taken) when name is given. */
static json_object *jwk_of(const EVP_PKEY *key, const char *kid, const char *name, json_object *value)
{
	char *text = jwks_public_jwk(key, kid);
	ck_assert_ptr_nonnull(text);
	json_object *o = json_tokener_parse(text);
	free(text);
	ck_assert_ptr_nonnull(o);
	if (name)
		json_object_object_add(o, name, value);
	return o;
}

static int parse_doc(struct jwks *set, json_object *doc)
{
	char err[256] = "";
	const char *text = json_object_to_json_string_ext(doc, JSON_C_TO_STRING_PLAIN);
	return jwks_parse(set, text, strlen(text), err, sizeof err);
}

static int parse_text(struct jwks *set, const char *text)
{
	char err[256] = "";
	int rc = jwks_parse(set, text, strlen(text), err, sizeof err);
	if (rc < 0)
		ck_assert_msg(*err, "jwks_parse failed without a reason");
	return rc;
}

/* base64url of a big number of bits bits (top bit set), odd or even. */
static char *b64_number(int bits, int odd)
{
	size_t len = (size_t)(bits + 7) / 8;
	unsigned char *raw = calloc(len, 1);
	ck_assert_ptr_nonnull(raw);
	memset(raw, 0x5a, len);
	raw[0] = (unsigned char)(1u << ((bits - 1) % 8));
	raw[len - 1] = odd ? 0x01 : 0x02;
	char *out = b64url_encode(raw, len);
	free(raw);
	return out;
}

START_TEST(test_jwks_load_file_reads_fixture)
{
	struct jwks set;
	ck_assert_int_eq(testkeys_load_jwks(&set), 0);
	ck_assert_uint_eq(set.nkeys, 1);
	ck_assert_str_eq(set.keys[0].kid, TESTKEYS_KID1);
	ck_assert_ptr_nonnull(jwks_find(&set, TESTKEYS_KID1));
	ck_assert_ptr_null(jwks_find(&set, "test-key-2"));
	jwks_free(&set);
	ck_assert_uint_eq(set.nkeys, 0);
}
END_TEST

START_TEST(test_jwks_load_file_refuses_missing_file)
{
	struct jwks set;
	char err[256] = "";
	ck_assert_int_eq(jwks_load_file(&set, "/nonexistent/mcpauth/jwks.json", err, sizeof err), -1);
	ck_assert(*err);
}
END_TEST

START_TEST(test_jwks_parse_skips_unusable_keys_keeps_good)
{
	EVP_PKEY *key1 = testkeys_load_pem("key1.pem");
	ck_assert_ptr_nonnull(key1);
	EVP_PKEY *small = EVP_RSA_gen(1024);
	ck_assert_ptr_nonnull(small);

	json_object *keys = json_object_new_array();
	json_object *ec = json_object_new_object();
	json_object_object_add(ec, "kty", json_object_new_string("EC"));
	json_object_object_add(ec, "crv", json_object_new_string("P-256"));
	json_object_object_add(ec, "kid", json_object_new_string("ec"));
	json_object_object_add(ec, "x",
			       json_object_new_string("f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU"));
	json_object_object_add(ec, "y",
			       json_object_new_string("x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0"));
	json_object_array_add(keys, ec);
	json_object_array_add(keys, jwk_of(key1, "enc", "use", json_object_new_string("enc")));
	json_object_array_add(keys, jwk_of(key1, "rs512", "alg", json_object_new_string("RS512")));
	json_object_array_add(keys, jwk_of(small, "small", NULL, NULL));
	json_object_array_add(keys, jwk_of(key1, "", NULL, NULL));
	json_object_array_add(keys, json_object_new_string("not a key"));
	json_object_array_add(keys, jwk_of(key1, "good", NULL, NULL));
	json_object_array_add(keys, jwk_of(key1, "good", NULL, NULL)); /* duplicate kid */
	json_object *doc = json_object_new_object();
	json_object_object_add(doc, "keys", keys);

	struct jwks set;
	ck_assert_int_eq(parse_doc(&set, doc), 0);
	ck_assert_uint_eq(set.nkeys, 1);
	ck_assert_ptr_nonnull(jwks_find(&set, "good"));
	ck_assert_ptr_null(jwks_find(&set, "ec"));
	ck_assert_ptr_null(jwks_find(&set, "enc"));
	ck_assert_ptr_null(jwks_find(&set, "rs512"));
	ck_assert_ptr_null(jwks_find(&set, "small"));
	jwks_free(&set);
	json_object_put(doc);
	EVP_PKEY_free(small);
	EVP_PKEY_free(key1);
}
END_TEST

/* Exponents and moduli no RSA key has are skipped when the set is read,
 * so every kept key publishes back as itself (e = 0 has no bytes to publish). */
START_TEST(test_jwks_parse_skips_impossible_numbers)
{
	EVP_PKEY *key1 = testkeys_load_pem("key1.pem");
	ck_assert_ptr_nonnull(key1);
	char *e65 = b64_number(65, 1), *e64 = b64_number(64, 1);
	char *n_even = b64_number(2048, 0), *n_huge = b64_number(JWKS_MAX_RSA_BITS + 1, 1);
	char *n_max = b64_number(JWKS_MAX_RSA_BITS, 1);
	const struct {
		const char *kid, *name, *value;
		int kept;
	} cases[] = {
	    {"e-zero", "e", "AA", 0},	{"e-zeros", "e", "AAAA", 0},	{"e-one", "e", "AQ", 0},
	    {"e-two", "e", "Ag", 0},	{"e-even", "e", "AQAC", 0},	{"e-65-bits", "e", e65, 0},
	    {"n-even", "n", n_even, 0}, {"n-over-max", "n", n_huge, 0}, {"e-three", "e", "Aw", 1},
	    {"e-64-bits", "e", e64, 1}, {"n-max", "n", n_max, 1},	{"e-leading-zero", "e", "AAEAAQ", 1},
	};
	json_object *keys = json_object_new_array();
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
		json_object_array_add(
		    keys, jwk_of(key1, cases[i].kid, cases[i].name, json_object_new_string(cases[i].value)));
	json_object *doc = json_object_new_object();
	json_object_object_add(doc, "keys", keys);
	struct jwks set;
	ck_assert_int_eq(parse_doc(&set, doc), 0);
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		EVP_PKEY *k = jwks_find(&set, cases[i].kid);
		ck_assert_msg((k != NULL) == cases[i].kept, "%s: kept %d", cases[i].kid, k != NULL);
		if (!k)
			continue;
		char *jwk = jwks_public_jwk(k, cases[i].kid);
		ck_assert_ptr_nonnull(jwk);
		struct jwks back;
		char *text = ck_asprintf("{\"keys\":[%s]}", jwk);
		ck_assert_int_eq(parse_text(&back, text), 0);
		ck_assert_msg(back.nkeys == 1, "%s does not read back", cases[i].kid);
		jwks_free(&back);
		free(text);
		free(jwk);
	}
	ck_assert_uint_eq(set.nkeys, 4);
	jwks_free(&set);
	json_object_put(doc);
	free(e65);
	free(e64);
	free(n_even);
	free(n_huge);
	free(n_max);
	EVP_PKEY_free(key1);
}
END_TEST

START_TEST(test_jwks_parse_keeps_key_without_use_and_alg)
{
	EVP_PKEY *key1 = testkeys_load_pem("key1.pem");
	ck_assert_ptr_nonnull(key1);
	json_object *k = jwk_of(key1, "bare", NULL, NULL);
	json_object_object_del(k, "use");
	json_object_object_del(k, "alg");
	json_object *keys = json_object_new_array();
	json_object_array_add(keys, k);
	json_object *doc = json_object_new_object();
	json_object_object_add(doc, "keys", keys);
	struct jwks set;
	ck_assert_int_eq(parse_doc(&set, doc), 0);
	ck_assert_uint_eq(set.nkeys, 1);
	ck_assert_ptr_nonnull(jwks_find(&set, "bare"));
	jwks_free(&set);
	json_object_put(doc);
	EVP_PKEY_free(key1);
}
END_TEST

/* The retire time written beside a key: read as a positive integer, kept
 * through jwks_to_json; anything else skips the key rather than trust it forever. */
START_TEST(test_jwks_parse_reads_retire_time_skips_bad_ones)
{
	EVP_PKEY *key1 = testkeys_load_pem("key1.pem");
	ck_assert_ptr_nonnull(key1);
	struct {
		const char *kid;
		json_object *retire;
	} cases[] = {
	    {"good", json_object_new_int64(1700000000)},
	    {"none", NULL},
	    {"string", json_object_new_string("1700000000")},
	    {"zero", json_object_new_int64(0)},
	    {"negative", json_object_new_int64(-5)},
	    {"double", json_object_new_double(1.7e9)},
	    {"null", json_object_new_null()},
	};
	json_object *keys = json_object_new_array();
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		json_object *k = jwk_of(key1, cases[i].kid, NULL, NULL);
		if (strcmp(cases[i].kid, "none") != 0)
			json_object_object_add(k, JWKS_RETIRE_MEMBER, cases[i].retire);
		json_object_array_add(keys, k);
	}
	json_object *doc = json_object_new_object();
	json_object_object_add(doc, "keys", keys);
	struct jwks set;
	ck_assert_int_eq(parse_doc(&set, doc), 0);
	ck_assert_uint_eq(set.nkeys, 2);
	ck_assert_int_eq(jwks_key_find(&set, "good")->retire_at, 1700000000);
	ck_assert_int_eq(jwks_key_find(&set, "none")->retire_at, 0);
	ck_assert_int_eq(jwks_key_retired(jwks_key_find(&set, "good"), 1699999999), 0);
	ck_assert_int_eq(jwks_key_retired(jwks_key_find(&set, "good"), 1700000000), 1);
	ck_assert_int_eq(jwks_key_retired(jwks_key_find(&set, "none"), 1700000000), 0);
	char *text = jwks_to_json(&set);
	struct jwks back;
	ck_assert_int_eq(parse_text(&back, text), 0);
	ck_assert_uint_eq(back.nkeys, 2);
	ck_assert_int_eq(jwks_key_find(&back, "good")->retire_at, 1700000000);
	ck_assert_int_eq(jwks_key_find(&back, "none")->retire_at, 0);
	jwks_free(&back);
	free(text);
	jwks_free(&set);
	json_object_put(doc);
	EVP_PKEY_free(key1);
}
END_TEST

START_TEST(test_jwks_parse_refuses_non_json)
{
	struct jwks set;
	ck_assert_int_eq(parse_text(&set, "this is not json"), -1);
	ck_assert_int_eq(parse_text(&set, "{\"keys\":["), -1);
	ck_assert_int_eq(parse_text(&set, ""), -1);
}
END_TEST

START_TEST(test_jwks_parse_refuses_no_keys_array)
{
	struct jwks set;
	ck_assert_int_eq(parse_text(&set, "{}"), -1);
	ck_assert_int_eq(parse_text(&set, "{\"keys\":{}}"), -1);
	ck_assert_int_eq(parse_text(&set, "{\"keys\":\"x\"}"), -1);
	ck_assert_int_eq(parse_text(&set, "[]"), -1);
}
END_TEST

START_TEST(test_jwks_parse_accepts_empty_keys_array)
{
	struct jwks set;
	ck_assert_int_eq(parse_text(&set, "{\"keys\":[]}"), 0);
	ck_assert_uint_eq(set.nkeys, 0);
	jwks_free(&set);
}
END_TEST

START_TEST(test_jwks_parse_refuses_over_256k)
{
	/* Valid JSON, only too big: {"keys":[ ...spaces... ]} */
	size_t n = JWKS_MAX_BYTES + 1;
	char *doc = ck_malloc(n + 1);
	memset(doc, ' ', n);
	memcpy(doc, "{\"keys\":[", 9);
	memcpy(doc + n - 2, "]}", 2);
	doc[n] = '\0';
	struct jwks set;
	char err[256] = "";
	ck_assert_int_eq(jwks_parse(&set, doc, n, err, sizeof err), -1);
	ck_assert(*err);
	free(doc);
}
END_TEST

START_TEST(test_jwks_thumbprint_matches_rfc7638_example)
{
	const char *doc =
	    "{\"keys\":[{\"kty\":\"RSA\",\"kid\":\"rfc7638\",\"e\":\"AQAB\",\"n\":\""
	    "0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_"
	    "BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_"
	    "FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-"
	    "bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw"
	    "\"}]}";
	struct jwks set;
	ck_assert_int_eq(parse_text(&set, doc), 0);
	EVP_PKEY *k = jwks_find(&set, "rfc7638");
	ck_assert_ptr_nonnull(k);
	char *tp = jwks_thumbprint(k);
	ck_assert_ptr_nonnull(tp);
	ck_assert_str_eq(tp, "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs");
	free(tp);
	jwks_free(&set);
}
END_TEST

START_TEST(test_jwks_thumbprint_same_for_private_and_published_key)
{
	EVP_PKEY *key1 = testkeys_load_pem("key1.pem");
	ck_assert_ptr_nonnull(key1);
	struct jwks set;
	ck_assert_int_eq(testkeys_load_jwks(&set), 0);
	char *a = jwks_thumbprint(key1), *b = jwks_thumbprint(jwks_find(&set, TESTKEYS_KID1));
	ck_assert_ptr_nonnull(a);
	ck_assert_ptr_nonnull(b);
	ck_assert_str_eq(a, b);
	free(a);
	free(b);
	jwks_free(&set);
	EVP_PKEY_free(key1);
}
END_TEST

START_TEST(test_jwks_public_jwk_round_trips)
{
	EVP_PKEY *key1 = testkeys_load_pem("key1.pem");
	ck_assert_ptr_nonnull(key1);
	char *jwk = jwks_public_jwk(key1, "rt");
	ck_assert_ptr_nonnull(jwk);
	char *doc = ck_asprintf("{\"keys\":[%s]}", jwk);
	struct jwks set, fixture;
	ck_assert_int_eq(parse_text(&set, doc), 0);
	ck_assert_uint_eq(set.nkeys, 1);
	ck_assert_int_eq(testkeys_load_jwks(&fixture), 0);
	ck_assert_int_eq(EVP_PKEY_eq(jwks_find(&set, "rt"), jwks_find(&fixture, TESTKEYS_KID1)), 1);
	jwks_free(&fixture);
	jwks_free(&set);
	free(doc);
	free(jwk);
	EVP_PKEY_free(key1);
}
END_TEST

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

Suite *unit_suite(void)
{
	Suite *s = suite_create("jwks");
	TCase *tc;

	tc = tcase_create("jwks");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_jwks_load_file_reads_fixture);
	tcase_add_test(tc, test_jwks_load_file_refuses_missing_file);
	tcase_add_test(tc, test_jwks_parse_skips_unusable_keys_keeps_good);
	tcase_add_test(tc, test_jwks_parse_keeps_key_without_use_and_alg);
	tcase_add_test(tc, test_jwks_parse_reads_retire_time_skips_bad_ones);
	tcase_add_test(tc, test_jwks_parse_skips_impossible_numbers);
	tcase_add_test(tc, test_jwks_parse_refuses_non_json);
	tcase_add_test(tc, test_jwks_parse_refuses_no_keys_array);
	tcase_add_test(tc, test_jwks_parse_accepts_empty_keys_array);
	tcase_add_test(tc, test_jwks_parse_refuses_over_256k);
	tcase_add_test(tc, test_jwks_thumbprint_matches_rfc7638_example);
	tcase_add_test(tc, test_jwks_thumbprint_same_for_private_and_published_key);
	tcase_add_test(tc, test_jwks_public_jwk_round_trips);
	tcase_add_test(tc, test_jwks_to_json_escapes_kid_and_round_trips);
	suite_add_tcase(s, tc);

	return s;
}
