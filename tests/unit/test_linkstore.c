/* Unit tests of lib/store/linkstore.c (mailed links: single use, expiry,
 * purpose, only the newest of a user's links, verification bound to the
 * address mailed, only a hash stored) and lib/core/mail.c (the command
 * line's rule, the message on stdin, the address last). */

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "db.h"
#include "linkstore.h"
#include "mail.h"
#include "unit.h"
#include "userdb.h"
#include "util.h"

#define T0 1800000000

static char *issue(enum link_purpose p, const char *sub, const char *email, long ttl)
{
	char *t;
	ck_assert_int_eq(linkstore_issue(unit_db, p, sub, email, T0, ttl, &t), LINK_OK);
	ck_assert_uint_eq(strlen(t), LINK_TOKEN_LEN);
	return t;
}

START_TEST(test_link_works_once_and_only_for_its_purpose)
{
	char *t = issue(LINK_RESET, "auth0|user123", "user@example.com", 1800);
	char *sub, *email;
	ck_assert_int_eq(linkstore_use(unit_db, LINK_VERIFY, t, T0, &sub, &email), LINK_NOT_FOUND);
	ck_assert_int_eq(linkstore_check(unit_db, LINK_RESET, t, T0 + 10, &sub, &email), LINK_OK);
	ck_assert_str_eq(sub, "auth0|user123");
	free(sub);
	free(email);
	ck_assert_int_eq(linkstore_use(unit_db, LINK_RESET, t, T0 + 10, &sub, NULL), LINK_OK);
	free(sub);
	ck_assert_int_eq(linkstore_use(unit_db, LINK_RESET, t, T0 + 11, &sub, NULL), LINK_USED);
	ck_assert_ptr_null(sub);
	/* Only the SHA-256 is stored, never the token. */
	char *sql = ck_asprintf("SELECT count(*) FROM account_links WHERE CAST(hash AS TEXT) = '%s'", t);
	ck_assert_int_eq(unit_query_int(unit_db, sql), 0);
	free(sql);
	free(t);
}
END_TEST

START_TEST(test_link_expires_and_refuses_malformed_tokens)
{
	char *t = issue(LINK_RESET, "auth0|user123", "user@example.com", 1800);
	ck_assert_int_eq(linkstore_use(unit_db, LINK_RESET, t, T0 + 1801, NULL, NULL), LINK_EXPIRED);
	ck_assert_int_eq(linkstore_use(unit_db, LINK_RESET, "short", T0, NULL, NULL), LINK_NOT_FOUND);
	ck_assert_int_eq(linkstore_use(unit_db, LINK_RESET, NULL, T0, NULL, NULL), LINK_NOT_FOUND);
	ck_assert_int_eq(linkstore_use(unit_db, LINK_RESET, "AAAAAAAAAAAAAAAAAAAAA+", T0, NULL, NULL),
			 LINK_NOT_FOUND);
	free(t);
}
END_TEST

START_TEST(test_newest_link_supersedes_and_use_clears_the_rest)
{
	char *a = issue(LINK_RESET, "auth0|user123", "user@example.com", 1800);
	char *b = issue(LINK_RESET, "auth0|user123", "user@example.com", 1800);
	char *v = issue(LINK_VERIFY, "auth0|user123", "user@example.com", 1800);
	ck_assert_int_eq(linkstore_check(unit_db, LINK_RESET, a, T0, NULL, NULL), LINK_NOT_FOUND);
	ck_assert_int_eq(linkstore_use(unit_db, LINK_RESET, b, T0, NULL, NULL), LINK_OK);
	/* Another purpose's link is left alone. */
	ck_assert_int_eq(linkstore_check(unit_db, LINK_VERIFY, v, T0, NULL, NULL), LINK_OK);
	free(a);
	free(b);
	free(v);
}
END_TEST

START_TEST(test_verification_marks_only_the_address_mailed)
{
	ck_assert_int_eq(unit_query_int(unit_db, "SELECT count(*) FROM users WHERE sub = 'auth0|user123'"),
			 1);
	ck_assert_int_eq(db_exec_script(unit_db, "UPDATE users SET email_verified = 0"), DB_OK);
	char *old = issue(LINK_VERIFY, "auth0|user123", "user@example.com", 1800);
	ck_assert_int_eq(userdb_update_profile(unit_db, "auth0|user123", NULL, "moved@example.com"),
			 USERDB_OK);
	/* The link was for the old address: used, but nothing verified. */
	ck_assert_int_eq(linkstore_use(unit_db, LINK_VERIFY, old, T0, NULL, NULL), LINK_OK);
	ck_assert_int_eq(
	    unit_query_int(unit_db, "SELECT email_verified FROM users WHERE sub = 'auth0|user123'"), 0);
	char *now = issue(LINK_VERIFY, "auth0|user123", "moved@example.com", 1800);
	ck_assert_int_eq(linkstore_use(unit_db, LINK_VERIFY, now, T0, NULL, NULL), LINK_OK);
	ck_assert_int_eq(
	    unit_query_int(unit_db, "SELECT email_verified FROM users WHERE sub = 'auth0|user123'"), 1);
	free(old);
	free(now);
}
END_TEST

START_TEST(test_linkstore_strerror_names_every_status)
{
	const char *t[LINK_ERROR + 1];
	for (int i = LINK_OK; i <= LINK_ERROR; i++)
		t[i] = linkstore_strerror((enum link_status)i);
	unit_distinct_texts(t, LINK_ERROR + 1);
}
END_TEST

START_TEST(test_mail_command_rule)
{
	ck_assert_int_eq(mail_command_ok("/usr/sbin/sendmail -i"), 1);
	ck_assert_int_eq(mail_command_ok("sendmail -i"), 0);
	ck_assert_int_eq(mail_command_ok(""), 0);
	ck_assert_int_eq(mail_command_ok(NULL), 0);
	ck_assert_int_eq(mail_command_ok("/bin/mail\n-s x"), 0);
	ck_assert_int_eq(mail_command_ok("/bin/x 1 2 3 4 5 6 7 8 9 10 11 12 13"), 1);
	ck_assert_int_eq(mail_command_ok("/bin/x 1 2 3 4 5 6 7 8 9 10 11 12 13 14"), 0);
}
END_TEST

/* An address a command would read as an option, or one that could add a
 * header, is never handed over. */
START_TEST(test_mail_address_rule)
{
	ck_assert_int_eq(mail_address_ok("user@example.com"), 1);
	ck_assert_int_eq(mail_address_ok("-X/tmp/log@example.com"), 0);
	ck_assert_int_eq(mail_address_ok("a@example.com\nBcc: b@example.com"), 0);
	ck_assert_int_eq(mail_address_ok("a b@example.com"), 0);
	ck_assert_int_eq(mail_address_ok("nobody"), 0);
	ck_assert_int_eq(mail_address_ok(NULL), 0);
	ck_assert_int_eq(mail_send("/bin/true", "-oQ/tmp@example.com", "x", 5, "the test mail"), -1);
}
END_TEST

/* The message on stdin, the address as the last argument, no shell: a
 * ';' in an argument is a character, not a second command. */
START_TEST(test_mail_send_runs_the_command_without_a_shell)
{
	char dir[] = "/tmp/mcpauth-mail-XXXXXX";
	ck_assert_ptr_nonnull(mkdtemp(dir));
	char *script = ck_asprintf("%s/capture", dir);
	FILE *f = fopen(script, "w");
	ck_assert_ptr_nonnull(f);
	fprintf(f, "#!/bin/sh\n{ printf '%%s|' \"$@\"; echo; cat; } >\"$(dirname \"$0\")/out.tmp\"\n"
		   "mv \"$(dirname \"$0\")/out.tmp\" \"$(dirname \"$0\")/out\"\n");
	fclose(f);
	chmod(script, 0755);
	char *cmd = ck_asprintf("%s -x ;touch%s/pwned", script, dir);
	ck_assert_int_eq(mail_send(cmd, "to@example.com", "Subject: hi\n\nbody\n", 5, "the test mail"), 0);
	char *out = ck_asprintf("%s/out", dir);
	for (int i = 0; i < 100 && access(out, F_OK) != 0; i++)
		usleep(50000);
	char buf[256] = "";
	f = fopen(out, "r");
	ck_assert_ptr_nonnull(f);
	size_t n = fread(buf, 1, sizeof buf - 1, f);
	buf[n] = '\0';
	fclose(f);
	char *want = ck_asprintf("-x|;touch%s/pwned|to@example.com|\nSubject: hi\n\nbody\n", dir);
	ck_assert_str_eq(buf, want);
	char *pwned = ck_asprintf("%s/pwned", dir);
	ck_assert_int_ne(access(pwned, F_OK), 0);
	char *rm = ck_asprintf("rm -rf '%s'", dir);
	ck_assert_int_eq(system(rm), 0);
	free(rm);
	free(pwned);
	free(want);
	free(out);
	free(cmd);
	free(script);
}
END_TEST

Suite *unit_suite(void)
{
	Suite *s = suite_create("linkstore");
	TCase *tc = tcase_create("store");
	tcase_set_timeout(tc, 60);
	tcase_add_checked_fixture(tc, unit_db_setup, unit_db_teardown);
	tcase_add_test(tc, test_link_works_once_and_only_for_its_purpose);
	tcase_add_test(tc, test_link_expires_and_refuses_malformed_tokens);
	tcase_add_test(tc, test_newest_link_supersedes_and_use_clears_the_rest);
	tcase_add_test(tc, test_verification_marks_only_the_address_mailed);
	tcase_add_test(tc, test_linkstore_strerror_names_every_status);
	suite_add_tcase(s, tc);
	tc = tcase_create("mail");
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_mail_command_rule);
	tcase_add_test(tc, test_mail_address_rule);
	tcase_add_test(tc, test_mail_send_runs_the_command_without_a_shell);
	suite_add_tcase(s, tc);
	return s;
}
