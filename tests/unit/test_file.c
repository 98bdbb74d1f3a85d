/* Unit tests of lib/file.c: the state directory and its files' modes. */

#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "file.h"
#include "http.h"
#include "issuer.h"
#include "jwks.h"
#include "password.h"
#include "refresh.h"
#include "token.h"
#include "tokencache.h"
#include "unit.h"
#include "userdb.h"
#include "util.h"

/* --- state files ------------------------------------------------------------- */

static int mode_of(const char *path)
{
	struct stat st;
	ck_assert_msg(lstat(path, &st) == 0, "%s: %s", path, strerror(errno));
	return (int)(st.st_mode & 07777);
}

static void write_text(const char *path, const char *text, mode_t mode)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, mode);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
	ck_assert_int_eq(chmod(path, mode), 0);
}

static char *read_text(const char *path)
{
	size_t len;
	char *t = file_read(path, 4096, &len);
	return t ? t : ck_strdup("(missing)");
}

/* A symlink planted where the temporary file goes is removed, not written through. */
START_TEST(test_file_write_atomic_does_not_follow_planted_tmp_link)
{
	ck_assert_int_eq(mkdir(unit_state_dir, 0700), 0);
	char *victim = ck_asprintf("%s/victim", unit_dir),
	     *target = ck_asprintf("%s/jwks.json", unit_state_dir);
	char *tmp = ck_asprintf("%s.tmp.%ld", target, (long)getpid());
	write_text(victim, "untouched\n", 0644);
	ck_assert_int_eq(symlink(victim, tmp), 0);
	ck_assert_int_eq(file_write_atomic(target, "new\n", 4, 0600), 0);
	char *v = read_text(victim), *t = read_text(target);
	ck_assert_str_eq(v, "untouched\n");
	ck_assert_str_eq(t, "new\n");
	ck_assert_int_eq(mode_of(target), 0600);
	ck_assert_int_eq(mode_of(victim), 0644);
	ck_assert_int_eq(access(tmp, F_OK), -1);
	free(victim), free(target), free(tmp), free(v), free(t);
}
END_TEST

/* A lock path that is a symlink is refused (ELOOP): nothing is created or opened through it. */
START_TEST(test_file_lock_refuses_planted_link)
{
	ck_assert_int_eq(mkdir(unit_state_dir, 0700), 0);
	char *victim = ck_asprintf("%s/victim", unit_dir), *lock = ck_asprintf("%s/.lock", unit_state_dir);
	ck_assert_int_eq(symlink(victim, lock), 0);
	errno = 0;
	ck_assert_int_eq(file_lock(lock, 1), -1);
	ck_assert_int_eq(errno, ELOOP);
	ck_assert_int_eq(access(victim, F_OK), -1);
	char err[256] = "";
	ck_assert_int_eq(issuer_ensure_keys(unit_state_dir, unit_jwks_path, err, sizeof err), -1);
	ck_assert_int_eq(access(victim, F_OK), -1);
	/* A lock file that is there is opened (not O_EXCL) and stays 0600. */
	ck_assert_int_eq(unlink(lock), 0);
	int fd = file_lock(lock, 1);
	ck_assert_int_ge(fd, 0);
	file_unlock(fd);
	fd = file_lock(lock, 0);
	ck_assert_int_ge(fd, 0);
	file_unlock(fd);
	ck_assert_int_eq(mode_of(lock), 0600);
	free(victim), free(lock);
}
END_TEST

START_TEST(test_file_secure_dir_makes_0700_and_0600_without_following_links)
{
	ck_assert_int_eq(mkdir(unit_state_dir, 0755), 0);
	ck_assert_int_eq(chmod(unit_state_dir, 0755), 0);
	char *db = ck_asprintf("%s/mcpauth.db", unit_state_dir),
	     *wal = ck_asprintf("%s/mcpauth.db-wal", unit_state_dir);
	char *outside = ck_asprintf("%s/outside", unit_dir), *link = ck_asprintf("%s/link", unit_state_dir);
	char *sub = ck_asprintf("%s/sub", unit_state_dir);
	write_text(db, "x", 0644);
	write_text(wal, "x", 0666);
	write_text(unit_jwks_path, "{}", 0640);
	write_text(outside, "x", 0644);
	ck_assert_int_eq(symlink(outside, link), 0);
	ck_assert_int_eq(mkdir(sub, 0755), 0);
	ck_assert_int_eq(chmod(sub, 0755), 0);
	char err[256] = "";
	ck_assert_msg(file_secure_dir(unit_state_dir, err, sizeof err) == 0, "%s", err);
	ck_assert_int_eq(mode_of(unit_state_dir), 0700);
	ck_assert_int_eq(mode_of(db), 0600);
	ck_assert_int_eq(mode_of(wal), 0600);
	ck_assert_int_eq(mode_of(unit_jwks_path), 0600);
	ck_assert_int_eq(mode_of(outside), 0644); /* the link was not followed */
	ck_assert_int_eq(mode_of(sub), 0755);	  /* not a file */
	/* Already right: nothing to do, and no error. */
	ck_assert_msg(file_secure_dir(unit_state_dir, err, sizeof err) == 0, "%s", err);
	ck_assert_int_eq(file_secure_dir("/nonexistent/mcpauth-state", err, sizeof err), -1);
	ck_assert_ptr_nonnull(strstr(err, "/nonexistent/mcpauth-state"));
	free(db), free(wal), free(outside), free(link), free(sub);
}
END_TEST

/* Whatever the umask, the database and jwks.json come out 0600. */
START_TEST(test_state_files_created_0600_under_umask_022)
{
	mode_t old = umask(022);
	char err[256] = "";
	ck_assert_msg(issuer_ensure_keys(unit_state_dir, unit_jwks_path, err, sizeof err) == 0, "%s", err);
	char *path = ck_asprintf("%s/mcpauth.db", unit_state_dir);
	struct db *db;
	ck_assert_msg(userdb_open_ex(&db, path, unit_state_dir, 0, err, sizeof err) == 0, "%s", err);
	userdb_close(db);
	umask(old);
	ck_assert_int_eq(mode_of(unit_state_dir), 0700);
	ck_assert_int_eq(mode_of(path), 0600);
	ck_assert_int_eq(mode_of(unit_jwks_path), 0600);
	char *key = ck_asprintf("%s/signing-key.pem", unit_state_dir),
	     *lock = ck_asprintf("%s/.lock", unit_state_dir);
	ck_assert_int_eq(mode_of(key), 0600);
	ck_assert_int_eq(mode_of(lock), 0600);
	free(path), free(key), free(lock);
}
END_TEST

Suite *unit_suite(void)
{
	Suite *s = suite_create("file");
	TCase *tc;

	tc = tcase_create("state files");
	tcase_set_timeout(tc, 60);
	tcase_add_checked_fixture(tc, unit_dir_setup, unit_dir_teardown);
	tcase_add_test(tc, test_file_write_atomic_does_not_follow_planted_tmp_link);
	tcase_add_test(tc, test_file_lock_refuses_planted_link);
	tcase_add_test(tc, test_file_secure_dir_makes_0700_and_0600_without_following_links);
	tcase_add_test(tc, test_state_files_created_0600_under_umask_022);
	suite_add_tcase(s, tc);

	return s;
}
