/* Unit tests of lib/store/keystore.c: the same cases on a real SQLite file
 * and, when MCPAUTH_TEST_DATABASE_URL names one (tests/integration/db-pg.sh),
 * on a real PostgreSQL, with real RSA keys (issuer_new_key) and fixed
 * clocks. */

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "db.h"
#include "issuer.h"
#include "jwks.h"
#include "keystore.h"
#include "token.h"
#include "unit.h"
#include "util.h"

static const char *pg_url;
static struct db *db;

static void ks_setup(void)
{
	unit_dir_setup();
	db = unit_both_open(pg_url);
	unit_keystore_table(db, pg_url);
}

static void ks_teardown(void)
{
	db_close(db);
	db = NULL;
	unit_dir_teardown();
}

static long long rows_in_table(void)
{
	struct db_rows *r;
	ck_assert_int_eq(db_exec(db, &r, "SELECT count(*) FROM signing_keys", DB_END), DB_ROW);
	long long n = db_column_int(r, 0);
	db_rows_free(r);
	return n;
}

static void load(time_t now, int with_private, struct keystore *ks)
{
	enum keystore_status st = keystore_load(db, now, with_private, ks);
	ck_assert_msg(st == KEYSTORE_OK, "%s: %s", keystore_strerror(st), db_errmsg(db));
}

static void rotate(time_t now, long keep, char **kid)
{
	struct keystore_key fresh;
	ck_assert_int_eq(issuer_new_key(&fresh), 0);
	enum keystore_status st = keystore_rotate(db, &fresh, now, keep);
	ck_assert_msg(st == KEYSTORE_OK, "%s: %s", keystore_strerror(st), db_errmsg(db));
	*kid = ck_strdup(fresh.kid);
	keystore_key_free(&fresh);
}

static const char *signer_kid(const struct keystore *ks, time_t now)
{
	const struct keystore_key *k = keystore_signer(ks, now);
	return k ? k->kid : "(none)";
}

static const struct keystore_key *key_of(const struct keystore *ks, const char *kid)
{
	for (size_t i = 0; i < ks->nkeys; i++)
		if (strcmp(ks->keys[i].kid, kid) == 0)
			return &ks->keys[i];
	return NULL;
}

START_TEST(test_keystore_empty_store_has_no_key_and_version_0)
{
	struct keystore ks;
	load(1000, 1, &ks);
	ck_assert_uint_eq(ks.nkeys, 0);
	ck_assert_int_eq(ks.version, 0);
	ck_assert_ptr_null(keystore_signer(&ks, 1000));
	long long v = -1;
	ck_assert_int_eq(keystore_version(db, &v), KEYSTORE_OK);
	ck_assert_int_eq(v, 0);
	keystore_free(&ks);
}
END_TEST

static int keygen_calls;
static int counting_keygen(struct keystore_key *out)
{
	keygen_calls++;
	return issuer_new_key(out);
}

START_TEST(test_keystore_first_start_makes_one_key_that_signs_at_once)
{
	int made = -1;
	keygen_calls = 0;
	ck_assert_int_eq(keystore_ensure(db, 1000, counting_keygen, &made), KEYSTORE_OK);
	ck_assert_int_eq(made, 1);
	ck_assert_int_eq(keygen_calls, 1);
	/* A second start finds it: no key made, none generated. */
	ck_assert_int_eq(keystore_ensure(db, 1001, counting_keygen, &made), KEYSTORE_OK);
	ck_assert_int_eq(made, 0);
	ck_assert_int_eq(keygen_calls, 1);
	ck_assert_int_eq(rows_in_table(), 1);

	struct keystore ks;
	load(1000, 1, &ks);
	ck_assert_uint_eq(ks.nkeys, 1);
	ck_assert_str_eq(signer_kid(&ks, 1000), ks.keys[0].kid);
	ck_assert_int_eq(ks.keys[0].retire_at, 0);
	ck_assert_int_gt(ks.version, 0);
	long long v;
	ck_assert_int_eq(keystore_version(db, &v), KEYSTORE_OK);
	ck_assert_int_eq(v, ks.version);
	keystore_free(&ks);
}
END_TEST

static int failing_keygen(struct keystore_key *out)
{
	memset(out, 0, sizeof *out);
	return -1;
}

START_TEST(test_keystore_first_start_without_a_key_writes_nothing)
{
	int made = -1;
	ck_assert_int_eq(keystore_ensure(db, 1000, failing_keygen, &made), KEYSTORE_NO_KEY);
	ck_assert_int_eq(made, 0);
	ck_assert_int_eq(rows_in_table(), 0);
}
END_TEST

START_TEST(test_keystore_stores_a_usable_key_pair)
{
	ck_assert_int_eq(keystore_ensure(db, 1000, issuer_new_key, NULL), KEYSTORE_OK);
	struct keystore ks;
	load(1000, 1, &ks);
	ck_assert_uint_eq(ks.nkeys, 1);
	const struct keystore_key *k = &ks.keys[0];
	ck_assert_ptr_nonnull(k->pem);
	ck_assert_uint_eq(k->pem_len, strlen(k->pem));
	ck_assert_ptr_nonnull(strstr(k->pem, "PRIVATE KEY"));
	/* The public JWK parses as a verification key under the same kid. */
	char *doc = ck_asprintf("{\"keys\":[%s]}", k->jwk);
	struct jwks set;
	char err[256];
	ck_assert_msg(jwks_parse(&set, doc, strlen(doc), err, sizeof err) == 0, "%s", err);
	ck_assert_uint_eq(set.nkeys, 1);
	ck_assert_str_eq(set.keys[0].kid, k->kid);
	/* A token the private key signs verifies with it. */
	struct issuer is = {ck_strdup(k->pem), k->pem_len, ck_strdup(k->kid)};
	json_object *claims = json_object_new_object();
	time_t now = time(NULL);
	json_object_object_add(claims, "iss", json_object_new_string("https://issuer.test/"));
	json_object_object_add(claims, "sub", json_object_new_string("local|alice"));
	json_object_object_add(claims, "aud", json_object_new_string("https://api.test"));
	json_object_object_add(claims, "exp", json_object_new_int64((int64_t)now + 60));
	char *tok = issuer_sign(&is, claims);
	json_object_put(claims);
	ck_assert_ptr_nonnull(tok);
	struct token_verifier v = {
	    .keys = &set, .issuer = "https://issuer.test/", .audience = "https://api.test", .leeway = 30};
	struct principal p;
	enum token_failure why = TOKEN_FAIL_NONE;
	ck_assert_msg(token_verify(&v, tok, strlen(tok), now, &p, &why) == TOKEN_OK, "%s",
		      token_strerror(why));
	principal_free(&p);
	free(tok);
	issuer_free(&is);
	jwks_free(&set);
	free(doc);
	/* A program that only verifies never receives the private key. */
	keystore_free(&ks);
	load(1000, 0, &ks);
	ck_assert_uint_eq(ks.nkeys, 1);
	ck_assert_ptr_null(ks.keys[0].pem);
	ck_assert_ptr_nonnull(ks.keys[0].jwk);
	keystore_free(&ks);
}
END_TEST

/* Two processes that both found the store empty: each waits in its key
 * generation until the other is there too, so both write. */
static int race_tell = -1, race_wait = -1;
static int barrier_keygen(struct keystore_key *out)
{
	char c;
	if (write(race_tell, "x", 1) != 1 || read(race_wait, &c, 1) != 1)
		return -1;
	return issuer_new_key(out);
}

START_TEST(test_keystore_racing_first_starts_add_one_key)
{
	int to_child[2], to_parent[2];
	ck_assert_int_eq(pipe(to_child), 0);
	ck_assert_int_eq(pipe(to_parent), 0);
	pid_t pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		struct db *other;
		char err[256];
		if (db_open(unit_both_url(pg_url), &other, err, sizeof err) != DB_OK)
			_exit(2);
		race_tell = to_parent[1];
		race_wait = to_child[0];
		int made = -1;
		enum keystore_status st = keystore_ensure(other, 1000, barrier_keygen, &made);
		db_close(other);
		_exit(st != KEYSTORE_OK ? 3 : made == 1 ? 10 : 11);
	}
	race_tell = to_child[1];
	race_wait = to_parent[0];
	int made = -1;
	enum keystore_status st = keystore_ensure(db, 1000, barrier_keygen, &made);
	ck_assert_msg(st == KEYSTORE_OK, "%s: %s", keystore_strerror(st), db_errmsg(db));
	int status;
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert(WIFEXITED(status));
	int child_made = WEXITSTATUS(status) == 10, child_found = WEXITSTATUS(status) == 11;
	ck_assert_msg(child_made || child_found, "the child's start failed: exit %d", WEXITSTATUS(status));
	/* Both generated a key; exactly one was stored, and each knows which. */
	ck_assert_int_eq(made + child_made, 1);
	ck_assert_int_eq(rows_in_table(), 1);
	for (int i = 0; i < 2; i++) {
		close(to_child[i]);
		close(to_parent[i]);
	}
}
END_TEST

START_TEST(test_keystore_rotated_key_is_published_before_it_signs)
{
	ck_assert_int_eq(keystore_ensure(db, 1000, issuer_new_key, NULL), KEYSTORE_OK);
	struct keystore ks;
	load(1000, 1, &ks);
	char *old = ck_strdup(ks.keys[0].kid);
	long long v1 = ks.version;
	keystore_free(&ks);

	char *new_kid;
	rotate(2000, 600, &new_kid);
	load(2000, 1, &ks);
	/* Both published at once, the new key first; the version moved. */
	ck_assert_uint_eq(ks.nkeys, 2);
	ck_assert_str_eq(ks.keys[0].kid, new_kid);
	ck_assert_int_gt(ks.version, v1);
	long long v;
	ck_assert_int_eq(keystore_version(db, &v), KEYSTORE_OK);
	ck_assert_int_eq(v, ks.version);
	const struct keystore_key *n = key_of(&ks, new_kid), *o = key_of(&ks, old);
	ck_assert_int_eq(n->sign_from, 2000 + KEYSTORE_PUBLISH_DELAY);
	ck_assert_int_eq(n->retire_at, 0);
	/* The old key signs until the new one's time, and its tokens then
	 * live keep seconds more. */
	ck_assert_int_eq(o->retire_at, 2000 + KEYSTORE_PUBLISH_DELAY + 600);
	for (time_t t = 2000; t < 2000 + KEYSTORE_PUBLISH_DELAY; t++)
		ck_assert_str_eq(signer_kid(&ks, t), old);
	ck_assert_str_eq(signer_kid(&ks, 2000 + KEYSTORE_PUBLISH_DELAY), new_kid);
	ck_assert_int_eq(keystore_next_signer_change(&ks, 2000), 2000 + KEYSTORE_PUBLISH_DELAY);
	ck_assert_int_eq(keystore_next_signer_change(&ks, 2000 + KEYSTORE_PUBLISH_DELAY), 0);
	keystore_free(&ks);

	/* From its retire time on, the old key is neither loaded nor signs. */
	load(2000 + KEYSTORE_PUBLISH_DELAY + 599, 0, &ks);
	ck_assert_uint_eq(ks.nkeys, 2);
	keystore_free(&ks);
	load(2000 + KEYSTORE_PUBLISH_DELAY + 600, 0, &ks);
	ck_assert_uint_eq(ks.nkeys, 1);
	ck_assert_str_eq(ks.keys[0].kid, new_kid);
	keystore_free(&ks);
	free(old);
	free(new_kid);
}
END_TEST

START_TEST(test_keystore_rotation_drops_keys_past_their_retire_time)
{
	ck_assert_int_eq(keystore_ensure(db, 1000, issuer_new_key, NULL), KEYSTORE_OK);
	char *second, *third;
	rotate(2000, 600, &second);
	ck_assert_int_eq(rows_in_table(), 2);
	/* The first key retired at 2602: this rotation deletes its row; the
	 * second retires in its turn. */
	rotate(3000, 600, &third);
	ck_assert_int_eq(rows_in_table(), 2);
	struct keystore ks;
	load(3000, 0, &ks);
	ck_assert_uint_eq(ks.nkeys, 2);
	ck_assert_str_eq(ks.keys[0].kid, third);
	ck_assert_str_eq(ks.keys[1].kid, second);
	ck_assert_int_eq(ks.keys[1].retire_at, 3000 + KEYSTORE_PUBLISH_DELAY + 600);
	keystore_free(&ks);
	free(second);
	free(third);
}
END_TEST

START_TEST(test_keystore_rotation_with_keep_0_drops_the_old_key_at_once)
{
	ck_assert_int_eq(keystore_ensure(db, 1000, issuer_new_key, NULL), KEYSTORE_OK);
	char *kept, *fresh;
	rotate(2000, 600, &kept);
	rotate(2001, 0, &fresh);
	struct keystore ks;
	load(2001, 0, &ks);
	/* The key that was signing is gone; the one already retiring keeps
	 * its time; the new key signs at once: nothing else could. */
	ck_assert_uint_eq(ks.nkeys, 2);
	ck_assert_str_eq(ks.keys[0].kid, fresh);
	ck_assert_int_eq(ks.keys[0].sign_from, 2001);
	ck_assert_str_eq(signer_kid(&ks, 2001), fresh);
	ck_assert_ptr_null(key_of(&ks, kept));
	ck_assert_int_eq(ks.keys[1].retire_at, 2000 + KEYSTORE_PUBLISH_DELAY + 600);
	keystore_free(&ks);
	free(kept);
	free(fresh);
}
END_TEST

START_TEST(test_keystore_rotating_twice_within_the_delay_keeps_a_signer)
{
	ck_assert_int_eq(keystore_ensure(db, 1000, issuer_new_key, NULL), KEYSTORE_OK);
	struct keystore ks;
	load(1000, 0, &ks);
	char *first = ck_strdup(ks.keys[0].kid);
	keystore_free(&ks);
	char *second, *third;
	rotate(2000, 600, &second);
	rotate(2001, 600, &third);
	load(2001, 0, &ks);
	ck_assert_uint_eq(ks.nkeys, 3);
	/* Each signs in its turn: the first until the second's time, the
	 * second until the third's. */
	ck_assert_str_eq(signer_kid(&ks, 2001), first);
	ck_assert_str_eq(signer_kid(&ks, 2002), second);
	ck_assert_str_eq(signer_kid(&ks, 2003), third);
	keystore_free(&ks);
	free(first);
	free(second);
	free(third);
}
END_TEST

START_TEST(test_keystore_strerror_texts_are_distinct)
{
	const char *t[KEYSTORE_ERROR + 1];
	for (int i = 0; i <= KEYSTORE_ERROR; i++)
		t[i] = keystore_strerror((enum keystore_status)i);
	unit_distinct_texts(t, KEYSTORE_ERROR + 1);
}
END_TEST

Suite *unit_suite(void)
{
	pg_url = unit_pg_url();
	Suite *s = suite_create(pg_url ? "keystore (PostgreSQL)" : "keystore (SQLite)");
	TCase *tc = tcase_create("keystore");
	tcase_add_checked_fixture(tc, ks_setup, ks_teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_keystore_empty_store_has_no_key_and_version_0);
	tcase_add_test(tc, test_keystore_first_start_makes_one_key_that_signs_at_once);
	tcase_add_test(tc, test_keystore_first_start_without_a_key_writes_nothing);
	tcase_add_test(tc, test_keystore_stores_a_usable_key_pair);
	tcase_add_test(tc, test_keystore_racing_first_starts_add_one_key);
	tcase_add_test(tc, test_keystore_rotated_key_is_published_before_it_signs);
	tcase_add_test(tc, test_keystore_rotation_drops_keys_past_their_retire_time);
	tcase_add_test(tc, test_keystore_rotation_with_keep_0_drops_the_old_key_at_once);
	tcase_add_test(tc, test_keystore_rotating_twice_within_the_delay_keeps_a_signer);
	tcase_add_test(tc, test_keystore_strerror_texts_are_distinct);
	suite_add_tcase(s, tc);
	return s;
}
