/* Unit tests of lib/store/mfastore.c on a real SQLite database with fixed
 * clocks: enrolment and confirmation, one use per time step, the window,
 * recovery codes once each, login tickets (life, tries, single use),
 * marks and their lifetimes. */

#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "mfastore.h"
#include "totp.h"
#include "unit.h"
#include "util.h"

#define SUB "auth0|user123"
#define T0 1800000000 /* a step boundary: 1800000000 / 30 */

static void code_at(const unsigned char *key, time_t t, char out[TOTP_DIGITS + 1])
{
	totp_code(key, TOTP_SECRET_LEN, totp_step(t), TOTP_DIGITS, out);
}

/* SUB with TOTP on (confirmed at T0); its key in key, its codes in codes. */
static void enrolled(unsigned char key[TOTP_SECRET_LEN], char *codes[MFA_RECOVERY_CODES])
{
	char c[TOTP_DIGITS + 1];
	ck_assert_int_eq(mfastore_enroll(unit_db, SUB, T0, key), MFA_OK);
	code_at(key, T0, c);
	ck_assert_int_eq(mfastore_confirm(unit_db, SUB, c, T0, codes), MFA_OK);
}

START_TEST(test_mfastore_strerror_names_every_status)
{
	const char *t[] = {mfastore_strerror(MFA_OK),	  mfastore_strerror(MFA_OFF),
			   mfastore_strerror(MFA_ON),	  mfastore_strerror(MFA_WRONG_CODE),
			   mfastore_strerror(MFA_REUSED), mfastore_strerror(MFA_NO_TICKET),
			   mfastore_strerror(MFA_ERROR)};
	unit_distinct_texts(t, 7);
}
END_TEST

START_TEST(test_mfastore_enroll_is_pending_until_a_right_code)
{
	unsigned char key[TOTP_SECRET_LEN];
	char *codes[MFA_RECOVERY_CODES], c[TOTP_DIGITS + 1];
	enum mfa_state st;
	ck_assert_int_eq(mfastore_confirm(unit_db, SUB, "123456", T0, codes), MFA_OFF);
	ck_assert_int_eq(mfastore_enroll(unit_db, SUB, T0, key), MFA_OK);
	ck_assert_int_eq(mfastore_state(unit_db, SUB, &st, NULL), MFA_OK);
	ck_assert_int_eq(st, MFA_STATE_PENDING);
	code_at(key, T0 - 60, c); /* two steps back: outside the window */
	ck_assert_int_eq(mfastore_confirm(unit_db, SUB, c, T0, codes), MFA_WRONG_CODE);
	ck_assert_ptr_null(codes[0]);
	code_at(key, T0, c);
	ck_assert_int_eq(mfastore_confirm(unit_db, SUB, c, T0, codes), MFA_OK);
	for (int i = 0; i < MFA_RECOVERY_CODES; i++)
		ck_assert_uint_eq(strlen(codes[i]), MFA_RECOVERY_LEN);
	ck_assert_str_ne(codes[0], codes[1]);
	mfastore_codes_free(codes);
	int left;
	ck_assert_int_eq(mfastore_state(unit_db, SUB, &st, &left), MFA_OK);
	ck_assert_int_eq(st, MFA_STATE_ON);
	ck_assert_int_eq(left, MFA_RECOVERY_CODES);
	/* On: no second enrolment, no second confirmation. */
	ck_assert_int_eq(mfastore_enroll(unit_db, SUB, T0, key), MFA_ON);
	ck_assert_int_eq(mfastore_confirm(unit_db, SUB, c, T0, codes), MFA_ON);
}
END_TEST

START_TEST(test_mfastore_verify_one_use_per_step)
{
	unsigned char key[TOTP_SECRET_LEN];
	char *codes[MFA_RECOVERY_CODES], c[TOTP_DIGITS + 1];
	int rec;
	enrolled(key, codes);
	mfastore_codes_free(codes);
	code_at(key, T0, c);
	/* The confirmation used step T0: its code, and any older, never again. */
	ck_assert_int_eq(mfastore_verify(unit_db, SUB, c, T0, &rec), MFA_REUSED);
	code_at(key, T0 - 30, c);
	ck_assert_int_eq(mfastore_verify(unit_db, SUB, c, T0, &rec), MFA_REUSED);
	code_at(key, T0 + 30, c);
	ck_assert_int_eq(mfastore_verify(unit_db, SUB, c, T0, &rec), MFA_OK);
	ck_assert_int_eq(rec, 0);
	ck_assert_int_eq(mfastore_verify(unit_db, SUB, c, T0 + 30, &rec), MFA_REUSED);
	code_at(key, T0 + 120, c);
	ck_assert_int_eq(mfastore_verify(unit_db, SUB, c, T0 + 30, &rec), MFA_WRONG_CODE);
	ck_assert_int_eq(mfastore_verify(unit_db, SUB, c, T0 + 100, &rec), MFA_OK);
	ck_assert_int_eq(mfastore_verify(unit_db, "auth0|nobody", c, T0 + 100, &rec), MFA_OFF);
}
END_TEST

START_TEST(test_mfastore_recovery_code_works_once)
{
	unsigned char key[TOTP_SECRET_LEN];
	char *codes[MFA_RECOVERY_CODES];
	int rec, left;
	enum mfa_state st;
	enrolled(key, codes);
	ck_assert_int_eq(mfastore_verify(unit_db, SUB, codes[3], T0, &rec), MFA_OK);
	ck_assert_int_eq(rec, 1);
	ck_assert_int_eq(mfastore_verify(unit_db, SUB, codes[3], T0, &rec), MFA_WRONG_CODE);
	ck_assert_int_eq(mfastore_state(unit_db, SUB, &st, &left), MFA_OK);
	ck_assert_int_eq(left, MFA_RECOVERY_CODES - 1);
	/* Typed without the dash and in capitals: the same code. */
	char typed[MFA_RECOVERY_LEN + 1];
	size_t n = 0;
	for (const char *p = codes[4]; *p; p++)
		if (*p != '-')
			typed[n++] = (char)(*p >= 'a' && *p <= 'z' ? *p - 32 : *p);
	typed[n] = '\0';
	ck_assert_int_eq(mfastore_verify(unit_db, SUB, typed, T0, &rec), MFA_OK);
	ck_assert_int_eq(mfastore_verify(unit_db, SUB, "zzzzz-zzzzz", T0, &rec), MFA_WRONG_CODE);
	ck_assert_int_eq(mfastore_verify(unit_db, SUB, "<script>", T0, &rec), MFA_WRONG_CODE);
	mfastore_codes_free(codes);
	ck_assert_int_eq(unit_query_int(unit_db, "SELECT count(*) FROM mfa_recovery WHERE length(hash)=32"),
			 MFA_RECOVERY_CODES);
}
END_TEST

START_TEST(test_mfastore_reset_turns_it_off)
{
	unsigned char key[TOTP_SECRET_LEN];
	char *codes[MFA_RECOVERY_CODES], *t;
	int rec;
	enum mfa_state st;
	enrolled(key, codes);
	ck_assert_int_eq(mfastore_ticket_new(unit_db, SUB, NULL, T0, &t), MFA_OK);
	ck_assert_int_eq(mfastore_reset(unit_db, SUB), MFA_OK);
	ck_assert_int_eq(mfastore_state(unit_db, SUB, &st, NULL), MFA_OK);
	ck_assert_int_eq(st, MFA_STATE_OFF);
	ck_assert_int_eq(mfastore_verify(unit_db, SUB, codes[0], T0, &rec), MFA_OFF);
	char *sub, *scope;
	ck_assert_int_eq(mfastore_ticket_get(unit_db, t, T0, &sub, &scope), MFA_NO_TICKET);
	ck_assert_int_eq(mfastore_reset(unit_db, SUB), MFA_OFF);
	mfastore_codes_free(codes);
	free(t);
}
END_TEST

START_TEST(test_mfastore_ticket_life_tries_and_single_use)
{
	char *t, *sub, *scope;
	ck_assert_int_eq(mfastore_ticket_new(unit_db, SUB, "openid offline_access", T0, &t), MFA_OK);
	ck_assert_uint_eq(strlen(t), 43);
	ck_assert_int_eq(mfastore_ticket_get(unit_db, t, T0 + MFA_TICKET_TTL, &sub, &scope), MFA_OK);
	ck_assert_str_eq(sub, SUB);
	ck_assert_str_eq(scope, "openid offline_access");
	free(sub);
	free(scope);
	ck_assert_int_eq(mfastore_ticket_get(unit_db, t, T0 + MFA_TICKET_TTL + 1, &sub, &scope),
			 MFA_NO_TICKET);
	for (int i = 0; i < MFA_TICKET_TRIES - 1; i++)
		ck_assert_int_eq(mfastore_ticket_fail(unit_db, t), MFA_OK);
	ck_assert_int_eq(mfastore_ticket_get(unit_db, t, T0, &sub, &scope), MFA_OK);
	free(sub);
	free(scope);
	ck_assert_int_eq(mfastore_ticket_fail(unit_db, t), MFA_OK);
	ck_assert_int_eq(mfastore_ticket_get(unit_db, t, T0, &sub, &scope), MFA_NO_TICKET);
	free(t);
	ck_assert_int_eq(mfastore_ticket_new(unit_db, SUB, NULL, T0, &t), MFA_OK);
	ck_assert_int_eq(mfastore_ticket_del(unit_db, t), MFA_OK);
	ck_assert_int_eq(mfastore_ticket_del(unit_db, t), MFA_NO_TICKET);
	ck_assert_int_eq(mfastore_ticket_get(unit_db, t, T0, &sub, &scope), MFA_NO_TICKET);
	ck_assert_int_eq(mfastore_ticket_get(unit_db, "short", T0, &sub, &scope), MFA_NO_TICKET);
	/* Only the hash is stored. */
	ck_assert_int_eq(unit_query_int(unit_db, "SELECT count(*) FROM mfa_tickets WHERE length(hash)!=32"),
			 0);
	free(t);
}
END_TEST

START_TEST(test_mfastore_marks_by_kind_and_time)
{
	ck_assert_int_eq(mfastore_marked(unit_db, MFA_MARK_FAMILY, "fam", T0), 0);
	ck_assert_int_eq(mfastore_mark(unit_db, MFA_MARK_FAMILY, "fam", T0, 100), MFA_OK);
	ck_assert_int_eq(mfastore_marked(unit_db, MFA_MARK_FAMILY, "fam", T0 + 100), 1);
	ck_assert_int_eq(mfastore_marked(unit_db, MFA_MARK_FAMILY, "fam", T0 + 101), 0);
	/* A session's value is not a family's. */
	ck_assert_int_eq(mfastore_marked(unit_db, MFA_MARK_SESSION, "fam", T0), 0);
	ck_assert_int_eq(mfastore_marked(unit_db, MFA_MARK_CODE, NULL, T0), 0);
	/* A new mark prunes those past their time. */
	ck_assert_int_eq(mfastore_mark(unit_db, MFA_MARK_CODE, "c", T0 + 200, 60), MFA_OK);
	ck_assert_int_eq(unit_query_int(unit_db, "SELECT count(*) FROM mfa_marks"), 1);
}
END_TEST

Suite *unit_suite(void)
{
	Suite *s = suite_create("mfastore");
	TCase *tc = tcase_create("mfastore");
	tcase_set_timeout(tc, 60);
	tcase_add_checked_fixture(tc, unit_db_setup, unit_db_teardown);
	tcase_add_test(tc, test_mfastore_strerror_names_every_status);
	tcase_add_test(tc, test_mfastore_enroll_is_pending_until_a_right_code);
	tcase_add_test(tc, test_mfastore_verify_one_use_per_step);
	tcase_add_test(tc, test_mfastore_recovery_code_works_once);
	tcase_add_test(tc, test_mfastore_reset_turns_it_off);
	tcase_add_test(tc, test_mfastore_ticket_life_tries_and_single_use);
	tcase_add_test(tc, test_mfastore_marks_by_kind_and_time);
	suite_add_tcase(s, tc);
	return s;
}
