/* Unit tests of lib/issuer.c: the local issuer's keys, tokens, and key rotation with a fixed clock. */

#include <check.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <openssl/rsa.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "field.h"
#include "file.h"
#include "http.h"
#include "issuer.h"
#include "jwks.h"
#include "password.h"
#include "refresh.h"
#include "route.h"
#include "testkeys.h"
#include "token.h"
#include "tokencache.h"
#include "unit.h"
#include "userdb.h"
#include "util.h"

/* --- issuer ------------------------------------------------------------ */

/* The kids of jwks.json, in order, space-separated; and the retirement
 * time of one (0 when it has none). */
static char *kids(void)
{
	json_object *doc = json_object_from_file(unit_jwks_path), *keys;
	ck_assert_ptr_nonnull(doc);
	ck_assert(json_object_object_get_ex(doc, "keys", &keys));
	struct sbuf b = {0};
	sbuf_adds(&b, "");
	for (size_t i = 0; i < json_object_array_length(keys); i++) {
		if (i)
			sbuf_adds(&b, " ");
		sbuf_adds(&b, json_get_string(json_object_array_get_idx(keys, i), "kid"));
	}
	json_object_put(doc);
	return b.p;
}

static long long retire_at(const char *kid)
{
	json_object *doc = json_object_from_file(unit_jwks_path), *keys, *v;
	long long t = 0;
	ck_assert(json_object_object_get_ex(doc, "keys", &keys));
	for (size_t i = 0; i < json_object_array_length(keys); i++) {
		json_object *k = json_object_array_get_idx(keys, i);
		if (strcmp(json_get_string(k, "kid"), kid) == 0 &&
		    json_object_object_get_ex(k, ISSUER_RETIRE_MEMBER, &v))
			t = json_object_get_int64(v);
	}
	json_object_put(doc);
	return t;
}

static char *current_kid(void)
{
	char err[256] = "";
	struct issuer is;
	ck_assert_msg(issuer_load(&is, unit_state_dir, err, sizeof err) == 0, "%s", err);
	char *kid = ck_strdup(is.kid);
	issuer_free(&is);
	return kid;
}

static char *rotate(time_t now, long keep)
{
	char err[256] = "", *kid = NULL;
	ck_assert_msg(issuer_rotate(unit_state_dir, unit_jwks_path, now, keep, &kid, err, sizeof err) == 0,
		      "%s", err);
	ck_assert_ptr_nonnull(kid);
	return kid;
}

static char *sign_now(time_t now)
{
	char err[256] = "";
	struct issuer is;
	ck_assert_msg(issuer_load(&is, unit_state_dir, err, sizeof err) == 0, "%s", err);
	struct user u = {.sub = "auth0|x",
			 .email = "x@example.com",
			 .name = "X",
			 .permissions = "read:profile",
			 .scope = "openid"};
	json_object *claims = issuer_access_claims("https://iss.test/", "https://aud.test", &u, now, 600);
	char *tok = issuer_sign(&is, claims);
	json_object_put(claims);
	issuer_free(&is);
	ck_assert_ptr_nonnull(tok);
	return tok;
}

static enum token_status verify_now(const char *tok, time_t now, enum token_failure *why)
{
	char err[256] = "";
	struct jwks set;
	ck_assert_msg(jwks_load_file(&set, unit_jwks_path, err, sizeof err) == 0, "%s", err);
	struct token_verifier v = {
	    .keys = &set, .issuer = "https://iss.test/", .audience = "https://aud.test"};
	struct principal p;
	enum token_status st = token_verify(&v, tok, strlen(tok), now, &p, why);
	if (st == TOKEN_OK)
		principal_free(&p);
	jwks_free(&set);
	return st;
}

START_TEST(test_issuer_ensure_keys_creates_key_0600_and_jwks)
{
	char err[256] = "";
	ck_assert_msg(issuer_ensure_keys(unit_state_dir, unit_jwks_path, err, sizeof err) == 0, "%s", err);
	struct stat st;
	ck_assert_int_eq(stat(unit_state_dir, &st), 0);
	ck_assert(S_ISDIR(st.st_mode));
	ck_assert_int_eq(st.st_mode & 0077, 0);
	ck_assert_int_eq(stat(unit_key_path, &st), 0);
	ck_assert(S_ISREG(st.st_mode));
	ck_assert_int_eq(st.st_mode & 0777, 0600);
	ck_assert_int_eq(stat(unit_jwks_path, &st), 0);
	ck_assert(S_ISREG(st.st_mode));
	struct jwks set;
	ck_assert_msg(jwks_load_file(&set, unit_jwks_path, err, sizeof err) == 0, "%s", err);
	ck_assert_uint_eq(set.nkeys, 1);
	jwks_free(&set);
}
END_TEST

START_TEST(test_issuer_ensure_keys_keeps_existing_key)
{
	char err[256] = "";
	ck_assert_msg(issuer_ensure_keys(unit_state_dir, unit_jwks_path, err, sizeof err) == 0, "%s", err);
	char *pem1 = unit_slurp(unit_key_path), *jwks1 = unit_slurp(unit_jwks_path);
	ck_assert_ptr_nonnull(pem1);
	ck_assert_ptr_nonnull(jwks1);
	ck_assert_msg(issuer_ensure_keys(unit_state_dir, unit_jwks_path, err, sizeof err) == 0, "%s", err);
	char *pem2 = unit_slurp(unit_key_path), *jwks2 = unit_slurp(unit_jwks_path);
	ck_assert_ptr_nonnull(pem2);
	ck_assert_ptr_nonnull(jwks2);
	ck_assert_str_eq(pem1, pem2);
	ck_assert_str_eq(jwks1, jwks2);
	free(pem1);
	free(pem2);
	free(jwks1);
	free(jwks2);
}
END_TEST

START_TEST(test_issuer_load_refuses_missing_key)
{
	struct issuer is;
	char err[256] = "";
	ck_assert_int_eq(issuer_load(&is, unit_state_dir, err, sizeof err), -1);
	ck_assert(*err);
	ck_assert_ptr_null(is.pem);
	ck_assert_ptr_null(is.kid);
}
END_TEST

START_TEST(test_issuer_sign_gives_token_verify_accepts)
{
	char err[256] = "";
	ck_assert_msg(issuer_ensure_keys(unit_state_dir, unit_jwks_path, err, sizeof err) == 0, "%s", err);
	struct issuer is;
	ck_assert_msg(issuer_load(&is, unit_state_dir, err, sizeof err) == 0, "%s", err);
	ck_assert_ptr_nonnull(is.kid);

	time_t now = time(NULL);
	json_object *claims = json_object_new_object();
	json_object_object_add(claims, "iss", json_object_new_string("https://issuer.test/"));
	json_object_object_add(claims, "sub", json_object_new_string("local|alice"));
	json_object_object_add(claims, "aud", json_object_new_string("https://api.test"));
	json_object_object_add(claims, "iat", json_object_new_int64((int64_t)now));
	json_object_object_add(claims, "exp", json_object_new_int64((int64_t)now + 3600));
	json_object_object_add(claims, "scope", json_object_new_string("openid email"));
	json_object *perms = json_object_new_array();
	json_object_array_add(perms, json_object_new_string("read:profile"));
	json_object_object_add(claims, "permissions", perms);
	char *tok = issuer_sign(&is, claims);
	json_object_put(claims);
	ck_assert_ptr_nonnull(tok);

	struct jwks set;
	ck_assert_msg(jwks_load_file(&set, unit_jwks_path, err, sizeof err) == 0, "%s", err);
	ck_assert_uint_eq(set.nkeys, 1);
	struct token_verifier v = {
	    .keys = &set, .issuer = "https://issuer.test/", .audience = "https://api.test", .leeway = 30};
	struct principal p;
	enum token_failure why = TOKEN_FAIL_NONE;
	enum token_status st = token_verify(&v, tok, strlen(tok), now, &p, &why);
	ck_assert_msg(st == TOKEN_OK, "refused (%d): %s", (int)st, token_strerror(why));
	ck_assert_str_eq(p.sub, "local|alice");
	ck_assert_int_eq(principal_has_permission(&p, "read:profile"), 1);
	ck_assert_int_eq(principal_has_scope(&p, "email"), 1);
	principal_free(&p);

	/* The header's kid is the key's RFC 7638 thumbprint, as published. */
	char *h64 = testkeys_segment(tok, 0);
	unsigned char *hraw;
	size_t hlen;
	ck_assert_int_eq(b64url_decode(h64, strlen(h64), &hraw, &hlen), 0);
	json_object *header = json_tokener_parse((const char *)hraw);
	ck_assert_ptr_nonnull(header);
	ck_assert_str_eq(json_get_string(header, "alg"), "RS256");
	ck_assert_str_eq(json_get_string(header, "kid"), is.kid);
	char *tp = jwks_thumbprint(set.keys[0].pkey);
	ck_assert_str_eq(is.kid, tp);
	ck_assert_str_eq(set.keys[0].kid, tp);
	free(tp);
	json_object_put(header);
	free(hraw);
	free(h64);

	jwks_free(&set);
	free(tok);
	issuer_free(&is);
	ck_assert_ptr_null(is.pem);
}
END_TEST

START_TEST(test_issuer_rotate_new_key_signs_old_key_stays_published)
{
	char err[256] = "";
	time_t now = time(NULL);
	ck_assert_msg(issuer_ensure_keys(unit_state_dir, unit_jwks_path, err, sizeof err) == 0, "%s", err);
	char *old = current_kid(), *old_tok = sign_now(now);
	char *new = rotate(now, 100);
	ck_assert_str_ne(new, old);
	char *cur = current_kid();
	ck_assert_str_eq(cur, new);
	char *want = ck_asprintf("%s %s", new, old), *got = kids();
	ck_assert_str_eq(got, want);
	ck_assert_int_eq(retire_at(old), (long long)now + 100);
	ck_assert_int_eq(retire_at(new), 0);
	enum token_failure why = TOKEN_FAIL_NONE;
	ck_assert_msg(verify_now(old_tok, now, &why) == TOKEN_OK, "old token refused: %s",
		      token_strerror(why));
	char *new_tok = sign_now(now);
	ck_assert_msg(verify_now(new_tok, now, &why) == TOKEN_OK, "new token refused: %s",
		      token_strerror(why));
	struct stat st;
	ck_assert_int_eq(stat(unit_state_dir, &st), 0);
	ck_assert_int_eq(stat(unit_key_path, &st), 0); /* unit_dir_setup's <state>/signing-key.pem */
	ck_assert_int_eq(st.st_mode & 0777, 0600);
	free(old), free(old_tok), free(new), free(cur), free(want), free(got), free(new_tok);
}
END_TEST

START_TEST(test_issuer_rotate_drops_key_whose_time_has_passed)
{
	char err[256] = "";
	ck_assert_msg(issuer_ensure_keys(unit_state_dir, unit_jwks_path, err, sizeof err) == 0, "%s", err);
	char *first = current_kid(), *first_tok = sign_now(1000);
	char *second = rotate(1000, 100);
	char *third = rotate(1100, 100); /* first's time (1100) has come: dropped */
	char *want = ck_asprintf("%s %s", third, second), *got = kids();
	ck_assert_str_eq(got, want);
	ck_assert_int_eq(retire_at(second), 1200);
	enum token_failure why = TOKEN_FAIL_NONE;
	ck_assert_int_eq(verify_now(first_tok, 1000, &why), TOKEN_INVALID);
	ck_assert_str_eq(token_strerror(why), "unknown kid");
	free(first), free(first_tok), free(second), free(third), free(want), free(got);
}
END_TEST

START_TEST(test_issuer_rotate_keeps_key_within_its_time)
{
	char err[256] = "";
	ck_assert_msg(issuer_ensure_keys(unit_state_dir, unit_jwks_path, err, sizeof err) == 0, "%s", err);
	char *first = current_kid();
	char *second = rotate(1000, 100);
	char *third = rotate(1099, 100);
	char *want = ck_asprintf("%s %s %s", third, second, first), *got = kids();
	ck_assert_str_eq(got, want);
	ck_assert_int_eq(retire_at(first), 1100);
	ck_assert_int_eq(retire_at(second), 1199);
	free(first), free(second), free(third), free(want), free(got);
}
END_TEST

START_TEST(test_issuer_rotate_keep_zero_drops_old_key_at_once)
{
	char err[256] = "";
	ck_assert_msg(issuer_ensure_keys(unit_state_dir, unit_jwks_path, err, sizeof err) == 0, "%s", err);
	char *leaked = current_kid(), *leaked_tok = sign_now(1000);
	char *second = rotate(1000, 0);
	char *got = kids();
	ck_assert_str_eq(got, second);
	enum token_failure why = TOKEN_FAIL_NONE;
	ck_assert_int_eq(verify_now(leaked_tok, 1000, &why), TOKEN_INVALID);
	ck_assert_str_eq(token_strerror(why), "unknown kid");
	free(leaked), free(leaked_tok), free(second), free(got);
}
END_TEST

/* A retire time is honoured from memory: the set parsed once refuses the
 * key's tokens from that second on, without being read again. */
START_TEST(test_token_verify_refuses_key_from_its_retire_time)
{
	char err[256] = "";
	ck_assert_msg(issuer_ensure_keys(unit_state_dir, unit_jwks_path, err, sizeof err) == 0, "%s", err);
	char *first = current_kid(), *first_tok = sign_now(1000);
	char *second = rotate(1000, 100), *second_tok = sign_now(1000);
	struct jwks set;
	ck_assert_msg(jwks_load_file(&set, unit_jwks_path, err, sizeof err) == 0, "%s", err);
	ck_assert_uint_eq(set.nkeys, 2);
	struct token_verifier v = {
	    .keys = &set, .issuer = "https://iss.test/", .audience = "https://aud.test"};
	struct principal p;
	enum token_failure why = TOKEN_FAIL_NONE;
	ck_assert_msg(token_verify(&v, first_tok, strlen(first_tok), 1099, &p, &why) == TOKEN_OK, "%s",
		      token_strerror(why));
	ck_assert(p.retire_at == 1100);
	principal_free(&p);
	ck_assert_int_eq(token_verify(&v, first_tok, strlen(first_tok), 1100, &p, &why), TOKEN_INVALID);
	ck_assert_str_eq(token_strerror(why), "key retired");
	ck_assert_msg(token_verify(&v, second_tok, strlen(second_tok), 1100, &p, &why) == TOKEN_OK, "%s",
		      token_strerror(why));
	ck_assert(p.retire_at == 0);
	principal_free(&p);
	jwks_free(&set);
	free(first), free(first_tok), free(second), free(second_tok);
}
END_TEST

/* The per-process cache of verified tokens stops at the key's retire time too. */
START_TEST(test_tokencache_stops_at_key_retire_time)
{
	char err[256] = "";
	ck_assert_msg(issuer_ensure_keys(unit_state_dir, unit_jwks_path, err, sizeof err) == 0, "%s", err);
	char *first_tok = sign_now(1000), *second = rotate(1000, 100);
	struct jwks set;
	ck_assert_msg(jwks_load_file(&set, unit_jwks_path, err, sizeof err) == 0, "%s", err);
	struct token_verifier v = {
	    .keys = &set, .issuer = "https://iss.test/", .audience = "https://aud.test"};
	tokencache_init(16);
	unsigned char hash[32];
	struct principal p;
	enum token_failure why = TOKEN_FAIL_NONE;
	ck_assert_int_eq(tokencache_get(first_tok, strlen(first_tok), 1050, &v, hash, &p), 0);
	ck_assert_msg(token_verify(&v, first_tok, strlen(first_tok), 1050, &p, &why) == TOKEN_OK, "%s",
		      token_strerror(why));
	tokencache_put(hash, &p);
	principal_free(&p);
	ck_assert_int_eq(tokencache_get(first_tok, strlen(first_tok), 1099, &v, hash, &p), 1);
	principal_free(&p);
	ck_assert_int_eq(tokencache_get(first_tok, strlen(first_tok), 1100, &v, hash, &p), 0);
	tokencache_free();
	jwks_free(&set);
	free(first_tok), free(second);
}
END_TEST

START_TEST(test_jwks_drop_retired_at_load)
{
	char err[256] = "";
	ck_assert_msg(issuer_ensure_keys(unit_state_dir, unit_jwks_path, err, sizeof err) == 0, "%s", err);
	char *first = current_kid(), *second = rotate(1000, 100);
	struct jwks set;
	ck_assert_msg(jwks_load_file(&set, unit_jwks_path, err, sizeof err) == 0, "%s", err);
	ck_assert_uint_eq(jwks_drop_retired(&set, 1099), 0);
	ck_assert_uint_eq(set.nkeys, 2);
	ck_assert_uint_eq(jwks_drop_retired(&set, 1100), 1);
	ck_assert_uint_eq(set.nkeys, 1);
	ck_assert_ptr_null(jwks_find(&set, first));
	ck_assert_ptr_nonnull(jwks_find(&set, second));
	jwks_free(&set);
	free(first), free(second);
}
END_TEST

START_TEST(test_issuer_rotate_refuses_missing_key)
{
	char err[256] = "", *kid = NULL;
	ck_assert_int_eq(mkdir(unit_state_dir, 0700), 0);
	ck_assert_int_eq(issuer_rotate(unit_state_dir, unit_jwks_path, 1000, 100, &kid, err, sizeof err), -1);
	ck_assert_ptr_null(kid);
	ck_assert_ptr_nonnull(strstr(err, "signing key"));
	ck_assert_int_eq(access(unit_jwks_path, F_OK), -1);
}
END_TEST

Suite *unit_suite(void)
{
	Suite *s = suite_create("issuer");
	TCase *tc;

	tc = tcase_create("issuer");
	tcase_set_timeout(tc, 120);
	tcase_add_checked_fixture(tc, unit_dir_setup, unit_dir_teardown);
	tcase_add_test(tc, test_issuer_ensure_keys_creates_key_0600_and_jwks);
	tcase_add_test(tc, test_issuer_ensure_keys_keeps_existing_key);
	tcase_add_test(tc, test_issuer_load_refuses_missing_key);
	tcase_add_test(tc, test_issuer_sign_gives_token_verify_accepts);
	suite_add_tcase(s, tc);

	tc = tcase_create("rotate");
	tcase_set_timeout(tc, 60);
	tcase_add_checked_fixture(tc, unit_dir_setup, unit_dir_teardown);
	tcase_add_test(tc, test_issuer_rotate_new_key_signs_old_key_stays_published);
	tcase_add_test(tc, test_issuer_rotate_drops_key_whose_time_has_passed);
	tcase_add_test(tc, test_issuer_rotate_keeps_key_within_its_time);
	tcase_add_test(tc, test_issuer_rotate_refuses_missing_key);
	tcase_add_test(tc, test_issuer_rotate_keep_zero_drops_old_key_at_once);
	tcase_add_test(tc, test_token_verify_refuses_key_from_its_retire_time);
	tcase_add_test(tc, test_tokencache_stops_at_key_retire_time);
	tcase_add_test(tc, test_jwks_drop_retired_at_load);
	suite_add_tcase(s, tc);

	return s;
}
