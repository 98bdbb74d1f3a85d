/* Unit tests of lib/tokencache.c: the verified-token cache: hits skip verification, but
 * never outlive exp, never hold a refusal, and forget everything when cleared. */

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testkeys.h"
#include "token.h"
#include "tokencache.h"
#include "unit.h"

#define NOW 1700000000
#define LEEWAY 30

static struct jwks keys;
static EVP_PKEY *key1;
static struct token_verifier verifier = {
    .keys = &keys, .issuer = "https://issuer.test/", .audience = "https://api.test", .leeway = LEEWAY};

static char *make_token(const char *sub, long exp)
{
	char payload[512];
	snprintf(payload, sizeof payload,
		 "{\"iss\":\"https://issuer.test/\",\"aud\":\"https://api.test\",\"sub\":\"%s\","
		 "\"iat\":%d,\"exp\":%ld,\"permissions\":[\"read:profile\"],\"scope\":\"openid email\"}",
		 sub, NOW, exp);
	return testkeys_rs256(key1, "{\"alg\":\"RS256\",\"kid\":\"" TESTKEYS_KID1 "\"}", payload);
}

/* Verifies tok at now through the cache, the way the guard does. */
static enum token_status check(const char *tok, time_t now, struct principal *p, int *hit)
{
	unsigned char hash[32];
	*hit = tokencache_get(tok, strlen(tok), now, &verifier, hash, p);
	if (*hit)
		return TOKEN_OK;
	enum token_status st = token_verify(&verifier, tok, strlen(tok), now, p, NULL);
	if (st == TOKEN_OK)
		tokencache_put(hash, p);
	return st;
}

static void setup(void)
{
	ck_assert_int_eq(testkeys_load_jwks(&keys), 0);
	key1 = testkeys_load_pem("key1.pem");
	ck_assert_ptr_nonnull(key1);
	tokencache_init(64);
}

static void teardown(void)
{
	tokencache_free();
	EVP_PKEY_free(key1);
	jwks_free(&keys);
}

START_TEST(test_cache_second_use_is_a_hit_with_the_same_principal)
{
	char *tok = make_token("auth0|a", NOW + 600);
	struct principal p;
	int hit;
	ck_assert_int_eq(check(tok, NOW, &p, &hit), TOKEN_OK);
	ck_assert_int_eq(hit, 0);
	principal_free(&p);
	ck_assert_int_eq(check(tok, NOW + 1, &p, &hit), TOKEN_OK);
	ck_assert_int_eq(hit, 1);
	ck_assert_str_eq(p.sub, "auth0|a");
	ck_assert_str_eq(p.scope, "openid email");
	ck_assert(principal_has_permission(&p, "read:profile"));
	principal_free(&p);
	free(tok);
}
END_TEST

/* A hit gives the same principal as the verification did, email and name
 * from a namespaced claim included, though the cache keeps only those. */
START_TEST(test_cache_hit_keeps_namespaced_email_and_name)
{
	char payload[512];
	snprintf(payload, sizeof payload,
		 "{\"iss\":\"https://issuer.test/\",\"aud\":\"https://api.test\",\"sub\":\"auth0|ns\","
		 "\"iat\":%d,\"exp\":%d,\"https://ns.test/email\":\"ns@example.com\",\"name\":7,"
		 "\"https://ns.test/name\":\"Ns Name\",\"permissions\":[\"read:profile\",\"read:users\"]}",
		 NOW, NOW + 600);
	char *tok = testkeys_rs256(key1, "{\"alg\":\"RS256\",\"kid\":\"" TESTKEYS_KID1 "\"}", payload);
	verifier.claim_namespace = "https://ns.test/";
	struct principal p;
	int hit;
	for (int round = 0; round < 2; round++) {
		ck_assert_int_eq(check(tok, NOW + round, &p, &hit), TOKEN_OK);
		ck_assert_int_eq(hit, round);
		ck_assert_str_eq(p.sub, "auth0|ns");
		ck_assert_str_eq(p.email, "ns@example.com");
		ck_assert_str_eq(p.name, "Ns Name");
		ck_assert_ptr_null(p.scope);
		ck_assert(principal_has_permission(&p, "read:users"));
		ck_assert(!principal_has_permission(&p, "admin:all"));
		/* The same array, in order: the profile answer shows it. */
		ck_assert_int_eq((int)json_object_array_length(p.permissions), 2);
		ck_assert_str_eq(json_object_get_string(json_object_array_get_idx(p.permissions, 0)),
				 "read:profile");
		ck_assert_int_eq(p.exp, NOW + 600);
		principal_free(&p);
	}
	verifier.claim_namespace = NULL;
	free(tok);
}
END_TEST

/* amr otp (a login with a second factor) is kept: a ROUTE_SECOND_FACTOR
 * route lets the same token through on its second request too. */
START_TEST(test_cache_hit_keeps_the_second_factor)
{
	static const char *const amrs[] = {"[\"pwd\",\"otp\"]", "[\"pwd\"]", "\"otp\""};
	for (size_t k = 0; k < sizeof amrs / sizeof amrs[0]; k++) {
		char payload[512];
		snprintf(
		    payload, sizeof payload,
		    "{\"iss\":\"https://issuer.test/\",\"aud\":\"https://api.test\",\"sub\":\"auth0|mfa%zu\","
		    "\"iat\":%d,\"exp\":%d,\"amr\":%s}",
		    k, NOW, NOW + 600, amrs[k]);
		char *tok =
		    testkeys_rs256(key1, "{\"alg\":\"RS256\",\"kid\":\"" TESTKEYS_KID1 "\"}", payload);
		struct principal p;
		int hit;
		for (int round = 0; round < 2; round++) {
			ck_assert_int_eq(check(tok, NOW + round, &p, &hit), TOKEN_OK);
			ck_assert_int_eq(hit, round);
			/* Only an array holding "otp" counts. */
			ck_assert_msg(p.second_factor == (k == 0), "amr %s round %d: %d", amrs[k], round,
				      p.second_factor);
			principal_free(&p);
		}
		free(tok);
	}
}
END_TEST

/* What the token lacks, a hit lacks too. */
START_TEST(test_cache_hit_keeps_absent_claims_absent)
{
	char payload[256];
	snprintf(payload, sizeof payload,
		 "{\"iss\":\"https://issuer.test/\",\"aud\":\"https://api.test\",\"sub\":\"auth0|bare\","
		 "\"iat\":%d,\"exp\":%d}",
		 NOW, NOW + 600);
	char *tok = testkeys_rs256(key1, "{\"alg\":\"RS256\",\"kid\":\"" TESTKEYS_KID1 "\"}", payload);
	struct principal p;
	int hit;
	for (int round = 0; round < 2; round++) {
		ck_assert_int_eq(check(tok, NOW + round, &p, &hit), TOKEN_OK);
		ck_assert_int_eq(hit, round);
		ck_assert_str_eq(p.sub, "auth0|bare");
		ck_assert_ptr_null(p.email);
		ck_assert_ptr_null(p.name);
		ck_assert_ptr_null(p.permissions);
		ck_assert_ptr_null(p.scope);
		ck_assert(!principal_has_permission(&p, "read:profile"));
		principal_free(&p);
	}
	free(tok);
}
END_TEST

START_TEST(test_cache_never_serves_past_exp)
{
	char *tok = make_token("auth0|b", NOW + 60);
	struct principal p;
	int hit;
	ck_assert_int_eq(check(tok, NOW, &p, &hit), TOKEN_OK);
	principal_free(&p);
	/* Within the leeway the token is still good, cached or not. */
	ck_assert_int_eq(check(tok, NOW + 60 + LEEWAY - 1, &p, &hit), TOKEN_OK);
	ck_assert_int_eq(hit, 1);
	principal_free(&p);
	ck_assert_int_eq(check(tok, NOW + 60 + LEEWAY, &p, &hit), TOKEN_EXPIRED);
	ck_assert_int_eq(hit, 0);
	free(tok);
}
END_TEST

START_TEST(test_cache_keeps_no_refusal)
{
	char *tok = make_token("auth0|c", NOW + 600);
	/* Tamper with the last signature character: refused, and not cached. */
	char *bad = strdup(tok);
	size_t n = strlen(bad);
	bad[n - 2] = bad[n - 2] == 'A' ? 'B' : 'A';
	struct principal p;
	int hit;
	ck_assert_int_eq(check(bad, NOW, &p, &hit), TOKEN_INVALID);
	ck_assert_int_eq(check(bad, NOW, &p, &hit), TOKEN_INVALID);
	ck_assert_int_eq(hit, 0);
	/* The refusal did not poison the good token's way. */
	ck_assert_int_eq(check(tok, NOW, &p, &hit), TOKEN_OK);
	principal_free(&p);
	free(bad);
	free(tok);
}
END_TEST

START_TEST(test_cache_distinguishes_tokens)
{
	char *a = make_token("auth0|d1", NOW + 600), *b = make_token("auth0|d2", NOW + 600);
	struct principal p;
	int hit;
	ck_assert_int_eq(check(a, NOW, &p, &hit), TOKEN_OK);
	principal_free(&p);
	ck_assert_int_eq(check(b, NOW, &p, &hit), TOKEN_OK);
	ck_assert_str_eq(p.sub, "auth0|d2");
	principal_free(&p);
	ck_assert_int_eq(check(a, NOW, &p, &hit), TOKEN_OK);
	ck_assert_str_eq(p.sub, "auth0|d1");
	principal_free(&p);
	free(a);
	free(b);
}
END_TEST

START_TEST(test_cache_clear_forgets)
{
	char *tok = make_token("auth0|e", NOW + 600);
	struct principal p;
	int hit;
	ck_assert_int_eq(check(tok, NOW, &p, &hit), TOKEN_OK);
	principal_free(&p);
	tokencache_clear();
	ck_assert_int_eq(check(tok, NOW, &p, &hit), TOKEN_OK);
	ck_assert_int_eq(hit, 0);
	principal_free(&p);
	free(tok);
}
END_TEST

START_TEST(test_cache_disabled_never_hits)
{
	tokencache_init(0);
	char *tok = make_token("auth0|f", NOW + 600);
	struct principal p;
	int hit;
	ck_assert_int_eq(check(tok, NOW, &p, &hit), TOKEN_OK);
	principal_free(&p);
	ck_assert_int_eq(check(tok, NOW, &p, &hit), TOKEN_OK);
	ck_assert_int_eq(hit, 0);
	principal_free(&p);
	free(tok);
}
END_TEST

START_TEST(test_cache_is_bounded)
{
	/* 64 slots: 1000 tokens leave at most 64 cached, and all still verify. */
	struct principal p;
	int hit, hits = 0;
	char *toks[1000];
	for (int i = 0; i < 1000; i++) {
		char sub[32];
		snprintf(sub, sizeof sub, "auth0|n%d", i);
		toks[i] = make_token(sub, NOW + 600);
		ck_assert_int_eq(check(toks[i], NOW, &p, &hit), TOKEN_OK);
		principal_free(&p);
	}
	for (int i = 0; i < 1000; i++) {
		ck_assert_int_eq(check(toks[i], NOW, &p, &hit), TOKEN_OK);
		hits += hit;
		principal_free(&p);
		free(toks[i]);
	}
	ck_assert_int_le(hits, 64);
}
END_TEST

Suite *unit_suite(void)
{
	Suite *s = suite_create("tokencache");
	TCase *tc;

	tc = tcase_create("cache");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_cache_second_use_is_a_hit_with_the_same_principal);
	tcase_add_test(tc, test_cache_hit_keeps_namespaced_email_and_name);
	tcase_add_test(tc, test_cache_hit_keeps_absent_claims_absent);
	tcase_add_test(tc, test_cache_hit_keeps_the_second_factor);
	tcase_add_test(tc, test_cache_never_serves_past_exp);
	tcase_add_test(tc, test_cache_keeps_no_refusal);
	tcase_add_test(tc, test_cache_distinguishes_tokens);
	tcase_add_test(tc, test_cache_clear_forgets);
	tcase_add_test(tc, test_cache_disabled_never_hits);
	tcase_add_test(tc, test_cache_is_bounded);
	suite_add_tcase(s, tc);

	return s;
}
