/* Unit tests of lib/auth/keyring.c: a process's keys kept from the shared
 * store, on a real SQLite file and, when MCPAUTH_TEST_DATABASE_URL names
 * one (tests/integration/db-pg.sh), on a real PostgreSQL; another
 * connection plays the other node. Fixed clocks. */

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "db.h"
#include "issuer.h"
#include "jwks.h"
#include "keyring.h"
#include "keystore.h"
#include "unit.h"
#include "util.h"

static const char *pg_url;
static struct db *db, *other;
static struct keyring kr;
static struct jwks keys;
static struct issuer is;

static void kr_setup(void)
{
	unit_dir_setup();
	db = unit_both_open(pg_url);
	unit_keystore_table(db, pg_url);
	other = unit_both_open(pg_url);
	memset(&keys, 0, sizeof keys);
	memset(&is, 0, sizeof is);
}

static void kr_teardown(void)
{
	keyring_free(&kr);
	jwks_free(&keys);
	issuer_free(&is);
	db_close(other);
	db_close(db);
	db = other = NULL;
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

static void start(int signs, time_t now)
{
	char err[256] = "";
	ck_assert_msg(keyring_start(&kr, db, signs, &keys, &is, now, err, sizeof err) == 0, "%s", err);
}

static time_t fixed_now;
static time_t fixed_clock(void)
{
	return fixed_now;
}

/* The other node rotates; returns the new kid (caller frees). */
static char *rotate_elsewhere(time_t now, long keep)
{
	char *kid = NULL;
	fixed_now = now;
	ck_assert_int_eq(keyring_rotate(other, fixed_clock, keep, &kid), KEYSTORE_OK);
	return kid;
}

START_TEST(test_keyring_start_makes_the_first_key_and_signs_with_it)
{
	start(1, 1000);
	ck_assert_uint_eq(keys.nkeys, 1);
	ck_assert_ptr_nonnull(is.kid);
	ck_assert_ptr_nonnull(is.pem);
	ck_assert_str_eq(is.kid, keys.keys[0].kid);
	/* A second process finds the same key and makes none. */
	struct keyring kr2;
	struct jwks keys2 = {0};
	struct issuer is2 = {0};
	char err[256] = "";
	ck_assert_msg(keyring_start(&kr2, other, 1, &keys2, &is2, 1001, err, sizeof err) == 0, "%s", err);
	ck_assert_str_eq(is2.kid, is.kid);
	keyring_free(&kr2);
	jwks_free(&keys2);
	issuer_free(&is2);
	ck_assert_int_eq(rows_in_table(), 1);
}
END_TEST

START_TEST(test_keyring_verifier_holds_no_private_key)
{
	start(0, 1000);
	ck_assert_uint_eq(keys.nkeys, 1);
	ck_assert_ptr_null(is.pem);
	ck_assert_ptr_null(kr.held.keys[0].pem);
}
END_TEST

START_TEST(test_keyring_notices_a_rotation_within_a_second_and_signs_after_the_delay)
{
	start(1, 1000);
	char *old = ck_strdup(is.kid);
	keyring_tick(&kr, 1000);
	char *fresh = rotate_elsewhere(1000, 600);
	/* Read at most once a second: not yet within this one (on SQLite; on
	 * PostgreSQL the rotation's notification may already have made the
	 * read due, the next test's case). */
	keyring_tick(&kr, 1000);
	if (!pg_url)
		ck_assert_uint_eq(keys.nkeys, 1);
	keyring_tick(&kr, 1001);
	/* Published now, beside the old key; the old one still signs. */
	ck_assert_uint_eq(keys.nkeys, 2);
	ck_assert_ptr_nonnull(jwks_key_find(&keys, fresh));
	ck_assert_str_eq(is.kid, old);
	const struct jwks_key *o = jwks_key_find(&keys, old);
	ck_assert_ptr_nonnull(o);
	ck_assert_int_eq(o->retire_at, 1000 + KEYSTORE_PUBLISH_DELAY + 600);
	/* Its time comes: switched from memory. */
	keyring_tick(&kr, 1000 + KEYSTORE_PUBLISH_DELAY);
	ck_assert_str_eq(is.kid, fresh);
	free(old);
	free(fresh);
}
END_TEST

START_TEST(test_keyring_hears_a_rotation_at_once_on_postgresql)
{
	start(0, 1000);
	keyring_tick(&kr, 1000);
	char *fresh = rotate_elsewhere(1000, 600);
	/* Within the same second of the fixed clock: only a notification
	 * makes the read due. It reaches the socket soon after the commit. */
	for (int i = 0; i < 200 && keys.nkeys == 1; i++) {
		keyring_tick(&kr, 1000);
		if (keys.nkeys == 1)
			usleep(10000);
	}
	if (pg_url) {
		ck_assert_uint_eq(keys.nkeys, 2);
		ck_assert_ptr_nonnull(jwks_key_find(&keys, fresh));
	} else {
		ck_assert_uint_eq(keys.nkeys, 1); /* SQLite: no notification, the once-a-second read */
	}
	free(fresh);
}
END_TEST

START_TEST(test_keyring_unknown_kid_reloads_at_most_once_a_second)
{
	start(0, 1000);
	keyring_tick(&kr, 1000);
	char *fresh = rotate_elsewhere(1000, 0);
	/* keep 0: the new key signs at once, so a token of it may come
	 * before the version read: its kid makes the reload. */
	ck_assert_int_eq(keyring_unknown_kid(&kr, fresh, 1000), 1);
	ck_assert_uint_eq(keys.nkeys, 1);
	ck_assert_str_eq(keys.keys[0].kid, fresh);
	char *third = rotate_elsewhere(1000, 0);
	ck_assert_int_eq(keyring_unknown_kid(&kr, third, 1000), 0);
	ck_assert_int_eq(keyring_unknown_kid(&kr, third, 1001), 1);
	free(fresh);
	free(third);
}
END_TEST

START_TEST(test_keyring_keeps_its_keys_while_the_store_fails)
{
	start(1, 1000);
	char *kid = ck_strdup(is.kid);
	/* The table gone stands for a store that answers errors. */
	ck_assert_int_eq(db_exec_script(other, "DROP TABLE signing_keys"), DB_OK);
	keyring_tick(&kr, 1001);
	ck_assert_uint_eq(keys.nkeys, 1);
	ck_assert_str_eq(is.kid, kid);
	ck_assert_int_eq(kr.failing, 1);
	free(kid);
}
END_TEST

START_TEST(test_keyring_read_makes_no_key_and_names_the_signer)
{
	struct jwks set;
	struct issuer signer;
	char err[256] = "";
	/* An empty store: nothing signs, and reading made no key. */
	ck_assert_int_eq(keyring_read(other, 1000, &set, &signer, err, sizeof err), -1);
	ck_assert_ptr_nonnull(strstr(err, "no key"));
	ck_assert_int_eq(rows_in_table(), 0);
	ck_assert_int_eq(keyring_read(other, 1000, &set, NULL, err, sizeof err), 0);
	ck_assert_uint_eq(set.nkeys, 0);
	jwks_free(&set);

	start(0, 1000);
	char *fresh = rotate_elsewhere(1000, 600);
	ck_assert_msg(keyring_read(other, 1000, &set, &signer, err, sizeof err) == 0, "%s", err);
	ck_assert_uint_eq(set.nkeys, 2);
	ck_assert_str_eq(signer.kid, keys.keys[0].kid);
	ck_assert_ptr_nonnull(signer.pem);
	issuer_free(&signer);
	jwks_free(&set);
	ck_assert_msg(keyring_read(other, 1000 + KEYSTORE_PUBLISH_DELAY, &set, &signer, err, sizeof err) == 0,
		      "%s", err);
	ck_assert_str_eq(signer.kid, fresh);
	issuer_free(&signer);
	jwks_free(&set);
	free(fresh);
}
END_TEST

Suite *unit_suite(void)
{
	pg_url = unit_pg_url();
	Suite *s = suite_create(pg_url ? "keyring (PostgreSQL)" : "keyring (SQLite)");
	TCase *tc = tcase_create("keyring");
	tcase_add_checked_fixture(tc, kr_setup, kr_teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_keyring_start_makes_the_first_key_and_signs_with_it);
	tcase_add_test(tc, test_keyring_verifier_holds_no_private_key);
	tcase_add_test(tc, test_keyring_notices_a_rotation_within_a_second_and_signs_after_the_delay);
	tcase_add_test(tc, test_keyring_hears_a_rotation_at_once_on_postgresql);
	tcase_add_test(tc, test_keyring_unknown_kid_reloads_at_most_once_a_second);
	tcase_add_test(tc, test_keyring_keeps_its_keys_while_the_store_fails);
	tcase_add_test(tc, test_keyring_read_makes_no_key_and_names_the_signer);
	suite_add_tcase(s, tc);
	return s;
}
