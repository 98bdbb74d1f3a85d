/* Unit tests of what the operator's tool relies on in lib/: key rotation
 * (issuer_rotate) with a fixed clock, and the user store's writes that
 * only the tool uses (no demo users, passwords, deletion), and the user
 * row cache of the request path against writes of other processes. */
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
#include "userdb.h"
#include "util.h"

static char tmpdir[64];
static char *state_dir, *jwks_path;

static void setup(void)
{
	snprintf(tmpdir, sizeof tmpdir, "/tmp/mcpauth-unit-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(tmpdir));
	state_dir = ck_asprintf("%s/state", tmpdir);
	jwks_path = ck_asprintf("%s/jwks.json", state_dir);
}

static void teardown(void)
{
	char *cmd = ck_asprintf("rm -rf '%s'", tmpdir);
	ck_assert_int_eq(system(cmd), 0);
	free(cmd);
	free(state_dir);
	free(jwks_path);
}

/* The kids of jwks.json, in order, space-separated; and the retirement
 * time of one (0 when it has none). */
static char *kids(void)
{
	json_object *doc = json_object_from_file(jwks_path), *keys;
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
	json_object *doc = json_object_from_file(jwks_path), *keys, *v;
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
	ck_assert_msg(issuer_load(&is, state_dir, err, sizeof err) == 0, "%s", err);
	char *kid = ck_strdup(is.kid);
	issuer_free(&is);
	return kid;
}

static char *rotate(time_t now, long keep)
{
	char err[256] = "", *kid = NULL;
	ck_assert_msg(issuer_rotate(state_dir, jwks_path, now, keep, &kid, err, sizeof err) == 0, "%s", err);
	ck_assert_ptr_nonnull(kid);
	return kid;
}

static char *sign_now(time_t now)
{
	char err[256] = "";
	struct issuer is;
	ck_assert_msg(issuer_load(&is, state_dir, err, sizeof err) == 0, "%s", err);
	struct user u = {.sub = "auth0|x", .email = "x@example.com", .name = "X", .permissions = "read:profile",
			 .scope = "openid"};
	json_object *claims = issuer_access_claims("https://iss.test/", "https://aud.test", &u, now, 600);
	char *tok = issuer_sign(&is, claims);
	json_object_put(claims);
	issuer_free(&is);
	ck_assert_ptr_nonnull(tok);
	return tok;
}

static enum token_status verify_now(const char *tok, time_t now, const char **reason)
{
	char err[256] = "";
	struct jwks set;
	ck_assert_msg(jwks_load_file(&set, jwks_path, err, sizeof err) == 0, "%s", err);
	struct token_verifier v = {
	    .keys = &set, .issuer = "https://iss.test/", .audience = "https://aud.test"};
	struct principal p;
	enum token_status st = token_verify(&v, tok, strlen(tok), now, &p, reason);
	if (st == TOKEN_OK)
		principal_free(&p);
	jwks_free(&set);
	return st;
}

START_TEST(test_issuer_rotate_new_key_signs_old_key_stays_published)
{
	char err[256] = "";
	time_t now = time(NULL);
	ck_assert_msg(issuer_ensure_keys(state_dir, jwks_path, err, sizeof err) == 0, "%s", err);
	char *old = current_kid(), *old_tok = sign_now(now);
	char *new = rotate(now, 100);
	ck_assert_str_ne(new, old);
	char *cur = current_kid();
	ck_assert_str_eq(cur, new);
	char *want = ck_asprintf("%s %s", new, old), *got = kids();
	ck_assert_str_eq(got, want);
	ck_assert_int_eq(retire_at(old), (long long)now + 100);
	ck_assert_int_eq(retire_at(new), 0);
	const char *reason = NULL;
	ck_assert_msg(verify_now(old_tok, now, &reason) == TOKEN_OK, "old token refused: %s", reason);
	char *new_tok = sign_now(now);
	ck_assert_msg(verify_now(new_tok, now, &reason) == TOKEN_OK, "new token refused: %s", reason);
	struct stat st;
	ck_assert_int_eq(stat(state_dir, &st), 0);
	char *key_path = ck_asprintf("%s/signing-key.pem", state_dir);
	ck_assert_int_eq(stat(key_path, &st), 0);
	ck_assert_int_eq(st.st_mode & 0777, 0600);
	free(key_path);
	free(old), free(old_tok), free(new), free(cur), free(want), free(got), free(new_tok);
}
END_TEST

START_TEST(test_issuer_rotate_drops_key_whose_time_has_passed)
{
	char err[256] = "";
	ck_assert_msg(issuer_ensure_keys(state_dir, jwks_path, err, sizeof err) == 0, "%s", err);
	char *first = current_kid(), *first_tok = sign_now(1000);
	char *second = rotate(1000, 100);
	char *third = rotate(1100, 100); /* first's time (1100) has come: dropped */
	char *want = ck_asprintf("%s %s", third, second), *got = kids();
	ck_assert_str_eq(got, want);
	ck_assert_int_eq(retire_at(second), 1200);
	const char *reason = NULL;
	ck_assert_int_eq(verify_now(first_tok, 1000, &reason), TOKEN_INVALID);
	ck_assert_str_eq(reason, "unknown kid");
	free(first), free(first_tok), free(second), free(third), free(want), free(got);
}
END_TEST

START_TEST(test_issuer_rotate_keeps_key_within_its_time)
{
	char err[256] = "";
	ck_assert_msg(issuer_ensure_keys(state_dir, jwks_path, err, sizeof err) == 0, "%s", err);
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
	ck_assert_msg(issuer_ensure_keys(state_dir, jwks_path, err, sizeof err) == 0, "%s", err);
	char *leaked = current_kid(), *leaked_tok = sign_now(1000);
	char *second = rotate(1000, 0);
	char *got = kids();
	ck_assert_str_eq(got, second);
	const char *reason = NULL;
	ck_assert_int_eq(verify_now(leaked_tok, 1000, &reason), TOKEN_INVALID);
	ck_assert_str_eq(reason, "unknown kid");
	free(leaked), free(leaked_tok), free(second), free(got);
}
END_TEST

/* A retire time is honoured from memory: the set parsed once refuses the
 * key's tokens from that second on, without being read again. */
START_TEST(test_token_verify_refuses_key_from_its_retire_time)
{
	char err[256] = "";
	ck_assert_msg(issuer_ensure_keys(state_dir, jwks_path, err, sizeof err) == 0, "%s", err);
	char *first = current_kid(), *first_tok = sign_now(1000);
	char *second = rotate(1000, 100), *second_tok = sign_now(1000);
	struct jwks set;
	ck_assert_msg(jwks_load_file(&set, jwks_path, err, sizeof err) == 0, "%s", err);
	ck_assert_uint_eq(set.nkeys, 2);
	struct token_verifier v = {
	    .keys = &set, .issuer = "https://iss.test/", .audience = "https://aud.test"};
	struct principal p;
	const char *reason = NULL;
	ck_assert_msg(token_verify(&v, first_tok, strlen(first_tok), 1099, &p, &reason) == TOKEN_OK, "%s",
		      reason);
	ck_assert(p.retire_at == 1100);
	principal_free(&p);
	ck_assert_int_eq(token_verify(&v, first_tok, strlen(first_tok), 1100, &p, &reason), TOKEN_INVALID);
	ck_assert_str_eq(reason, "key retired");
	ck_assert_msg(token_verify(&v, second_tok, strlen(second_tok), 1100, &p, &reason) == TOKEN_OK, "%s",
		      reason);
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
	ck_assert_msg(issuer_ensure_keys(state_dir, jwks_path, err, sizeof err) == 0, "%s", err);
	char *first_tok = sign_now(1000), *second = rotate(1000, 100);
	struct jwks set;
	ck_assert_msg(jwks_load_file(&set, jwks_path, err, sizeof err) == 0, "%s", err);
	struct token_verifier v = {
	    .keys = &set, .issuer = "https://iss.test/", .audience = "https://aud.test"};
	tokencache_init(16);
	unsigned char hash[32];
	struct principal p;
	const char *reason = NULL;
	ck_assert_int_eq(tokencache_get(first_tok, strlen(first_tok), 1050, &v, hash, &p), 0);
	ck_assert_msg(token_verify(&v, first_tok, strlen(first_tok), 1050, &p, &reason) == TOKEN_OK, "%s",
		      reason);
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
	ck_assert_msg(issuer_ensure_keys(state_dir, jwks_path, err, sizeof err) == 0, "%s", err);
	char *first = current_kid(), *second = rotate(1000, 100);
	struct jwks set;
	ck_assert_msg(jwks_load_file(&set, jwks_path, err, sizeof err) == 0, "%s", err);
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
	ck_assert_int_eq(mkdir(state_dir, 0700), 0);
	ck_assert_int_eq(issuer_rotate(state_dir, jwks_path, 1000, 100, &kid, err, sizeof err), -1);
	ck_assert_ptr_null(kid);
	ck_assert_ptr_nonnull(strstr(err, "signing key"));
	ck_assert_int_eq(access(jwks_path, F_OK), -1);
}
END_TEST

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
	ck_assert_int_eq(mkdir(state_dir, 0700), 0);
	char *victim = ck_asprintf("%s/victim", tmpdir), *target = ck_asprintf("%s/jwks.json", state_dir);
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
	ck_assert_int_eq(mkdir(state_dir, 0700), 0);
	char *victim = ck_asprintf("%s/victim", tmpdir), *lock = ck_asprintf("%s/.lock", state_dir);
	ck_assert_int_eq(symlink(victim, lock), 0);
	errno = 0;
	ck_assert_int_eq(file_lock(lock, 1), -1);
	ck_assert_int_eq(errno, ELOOP);
	ck_assert_int_eq(access(victim, F_OK), -1);
	char err[256] = "";
	ck_assert_int_eq(issuer_ensure_keys(state_dir, jwks_path, err, sizeof err), -1);
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
	ck_assert_int_eq(mkdir(state_dir, 0755), 0);
	ck_assert_int_eq(chmod(state_dir, 0755), 0);
	char *db = ck_asprintf("%s/mcpauth.db", state_dir),
	     *wal = ck_asprintf("%s/mcpauth.db-wal", state_dir);
	char *outside = ck_asprintf("%s/outside", tmpdir), *link = ck_asprintf("%s/link", state_dir);
	char *sub = ck_asprintf("%s/sub", state_dir);
	write_text(db, "x", 0644);
	write_text(wal, "x", 0666);
	write_text(jwks_path, "{}", 0640);
	write_text(outside, "x", 0644);
	ck_assert_int_eq(symlink(outside, link), 0);
	ck_assert_int_eq(mkdir(sub, 0755), 0);
	ck_assert_int_eq(chmod(sub, 0755), 0);
	char err[256] = "";
	ck_assert_msg(file_secure_dir(state_dir, err, sizeof err) == 0, "%s", err);
	ck_assert_int_eq(mode_of(state_dir), 0700);
	ck_assert_int_eq(mode_of(db), 0600);
	ck_assert_int_eq(mode_of(wal), 0600);
	ck_assert_int_eq(mode_of(jwks_path), 0600);
	ck_assert_int_eq(mode_of(outside), 0644); /* the link was not followed */
	ck_assert_int_eq(mode_of(sub), 0755);	  /* not a file */
	/* Already right: nothing to do, and no error. */
	ck_assert_msg(file_secure_dir(state_dir, err, sizeof err) == 0, "%s", err);
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
	ck_assert_msg(issuer_ensure_keys(state_dir, jwks_path, err, sizeof err) == 0, "%s", err);
	char *path = ck_asprintf("%s/mcpauth.db", state_dir);
	sqlite3 *db;
	ck_assert_msg(userdb_open_ex(&db, path, state_dir, 0, err, sizeof err) == 0, "%s", err);
	userdb_close(db);
	umask(old);
	ck_assert_int_eq(mode_of(state_dir), 0700);
	ck_assert_int_eq(mode_of(path), 0600);
	ck_assert_int_eq(mode_of(jwks_path), 0600);
	char *key = ck_asprintf("%s/signing-key.pem", state_dir), *lock = ck_asprintf("%s/.lock", state_dir);
	ck_assert_int_eq(mode_of(key), 0600);
	ck_assert_int_eq(mode_of(lock), 0600);
	free(path), free(key), free(lock);
}
END_TEST

static void count_user(const struct user *u, void *arg)
{
	(*(int *)arg)++;
}

static int nusers(sqlite3 *db)
{
	int n = 0;
	ck_assert_int_eq(userdb_each(db, count_user, &n), USERDB_OK);
	return n;
}

START_TEST(test_userdb_creates_no_demo_users_unless_asked)
{
	char err[256] = "";
	ck_assert_int_eq(mkdir(state_dir, 0700), 0);
	char *path = ck_asprintf("%s/mcpauth.db", state_dir);
	sqlite3 *db;
	/* A program's open of a new database: no user at all. */
	ck_assert_msg(userdb_open(&db, path, state_dir, err, sizeof err) == 0, "%s", err);
	ck_assert_int_eq(nusers(db), 0);
	char demo[128];
	ck_assert_uint_eq(userdb_demo_logins(db, password_verify, demo, sizeof demo), 0);
	ck_assert_str_eq(demo, "");
	userdb_close(db);
	free(path);
}
END_TEST

START_TEST(test_userdb_demo_logins_found_until_changed)
{
	char err[256] = "";
	ck_assert_int_eq(mkdir(state_dir, 0700), 0);
	char *path = ck_asprintf("%s/mcpauth.db", state_dir);
	sqlite3 *db;
	ck_assert_msg(userdb_open_ex(&db, path, state_dir, USERDB_DEMO, err, sizeof err) == 0, "%s", err);
	ck_assert_int_eq(nusers(db), 3);
	char demo[128];
	ck_assert_uint_eq(userdb_demo_logins(db, password_verify, demo, sizeof demo), 3);
	ck_assert_str_eq(demo, "user@example.com admin@example.com viewer@example.com");
	/* The seeded hashes are real hashes of the published passwords. */
	struct user u;
	ck_assert_int_eq(userdb_find_by_email(db, "admin@example.com", &u), USERDB_OK);
	ck_assert_int_eq(password_verify("admin", u.password_hash), 1);
	user_free(&u);
	/* A changed password is no demo login; a hash made anew for the demo
	 * password (a database seeded by an older version) still is. */
	char *hash = password_hash("a-real-secret");
	ck_assert_int_eq(userdb_set_password(db, "auth0|admin456", hash), USERDB_OK);
	free(hash);
	hash = password_hash("readonly");
	ck_assert_int_eq(userdb_set_password(db, "auth0|readonly789", hash), USERDB_OK);
	free(hash);
	ck_assert_uint_eq(userdb_demo_logins(db, password_verify, demo, sizeof demo), 2);
	ck_assert_str_eq(demo, "user@example.com viewer@example.com");
	ck_assert_int_eq(userdb_delete(db, "auth0|user123"), USERDB_OK);
	ck_assert_int_eq(userdb_set_password(db, "auth0|readonly789", NULL), USERDB_OK);
	ck_assert_uint_eq(userdb_demo_logins(db, password_verify, demo, sizeof demo), 0);
	userdb_close(db);
	free(path);
}
END_TEST

/* A refresh token of sub, taken at now; the caller frees it. */
static char *refresh_of(sqlite3 *db, const char *sub, time_t now)
{
	char *tok = NULL;
	struct refresh_grant g;
	ck_assert_int_eq(refresh_issue(db, sub, "openid offline_access", now, 3600, &tok, &g), REFRESH_OK);
	refresh_grant_free(&g);
	return tok;
}

/* REFRESH_OK (the next token replaces *tok) or the refusal. */
static enum refresh_status refresh_next(sqlite3 *db, char **tok, time_t now)
{
	char *next = NULL;
	struct refresh_grant g;
	enum refresh_status st = refresh_rotate(db, *tok, now, &next, &g);
	refresh_grant_free(&g);
	if (st == REFRESH_OK) {
		refresh_token_free(*tok);
		*tok = next;
	}
	return st;
}

START_TEST(test_userdb_password_and_deletion_revoke_refresh_tokens)
{
	char err[256] = "";
	time_t now = 1800000000;
	ck_assert_int_eq(mkdir(state_dir, 0700), 0);
	char *path = ck_asprintf("%s/mcpauth.db", state_dir);
	sqlite3 *db;
	ck_assert_msg(userdb_open_ex(&db, path, state_dir, USERDB_DEMO, err, sizeof err) == 0, "%s", err);
	/* Two logins of user123 (one rotated already), one of the viewer. */
	char *a = refresh_of(db, "auth0|user123", now), *b = refresh_of(db, "auth0|user123", now);
	char *v = refresh_of(db, "auth0|readonly789", now);
	ck_assert_int_eq(refresh_next(db, &a, now), REFRESH_OK);
	/* A permission change is no credential change: the tokens live on. */
	ck_assert_int_eq(userdb_set_permissions(db, "auth0|user123", "read:profile"), USERDB_OK);
	ck_assert_int_eq(refresh_next(db, &b, now), REFRESH_OK);
	char *hash = password_hash("new-password");
	ck_assert_int_eq(userdb_set_password(db, "auth0|user123", hash), USERDB_OK);
	ck_assert_int_eq(refresh_next(db, &a, now), REFRESH_REVOKED);
	ck_assert_int_eq(refresh_next(db, &b, now), REFRESH_REVOKED);
	ck_assert_int_eq(refresh_next(db, &v, now), REFRESH_OK);
	/* A login after the change works; "no password" revokes too. */
	char *c = refresh_of(db, "auth0|user123", now);
	ck_assert_int_eq(userdb_set_password(db, "auth0|user123", NULL), USERDB_OK);
	ck_assert_int_eq(refresh_next(db, &c, now), REFRESH_REVOKED);
	/* Deletion: the viewer's tokens go with the viewer. */
	ck_assert_int_eq(userdb_delete(db, "auth0|readonly789"), USERDB_OK);
	ck_assert_int_eq(refresh_next(db, &v, now), REFRESH_REVOKED);
	refresh_token_free(a);
	refresh_token_free(b);
	refresh_token_free(c);
	refresh_token_free(v);
	free(hash);
	userdb_close(db);
	free(path);
}
END_TEST

START_TEST(test_userdb_swap_permissions_only_from_what_was_read)
{
	char err[256] = "";
	ck_assert_int_eq(mkdir(state_dir, 0700), 0);
	char *path = ck_asprintf("%s/mcpauth.db", state_dir);
	sqlite3 *db;
	ck_assert_msg(userdb_open_ex(&db, path, state_dir, USERDB_DEMO, err, sizeof err) == 0, "%s", err);
	const char *had = "read:profile write:profile";
	ck_assert_int_eq(userdb_swap_permissions(db, "auth0|user123", "read:profile", "admin:all"),
			 USERDB_NOT_FOUND);
	ck_assert_int_eq(userdb_swap_permissions(db, "auth0|nobody", had, "admin:all"), USERDB_NOT_FOUND);
	ck_assert_int_eq(userdb_swap_permissions(db, "auth0|user123", had, "read:profile"), USERDB_OK);
	struct user u;
	ck_assert_int_eq(userdb_find_by_sub(db, "auth0|user123", &u), USERDB_OK);
	ck_assert_str_eq(u.permissions, "read:profile");
	user_free(&u);
	userdb_close(db);
	free(path);
}
END_TEST

START_TEST(test_userdb_set_password_and_delete)
{
	char err[256] = "";
	ck_assert_int_eq(mkdir(state_dir, 0700), 0);
	char *path = ck_asprintf("%s/mcpauth.db", state_dir);
	sqlite3 *db;
	ck_assert_msg(userdb_open_ex(&db, path, state_dir, USERDB_DEMO, err, sizeof err) == 0, "%s", err);
	ck_assert_int_eq(nusers(db), 3);
	char *hash = password_hash("new-password");
	ck_assert_int_eq(userdb_set_password(db, "auth0|user123", hash), USERDB_OK);
	struct user u;
	ck_assert_int_eq(userdb_find_by_sub(db, "auth0|user123", &u), USERDB_OK);
	ck_assert_int_eq(password_verify("new-password", u.password_hash), 1);
	ck_assert_int_eq(password_verify("password", u.password_hash), 0);
	user_free(&u);
	ck_assert_int_eq(userdb_set_password(db, "auth0|user123", NULL), USERDB_OK);
	ck_assert_int_eq(userdb_find_by_sub(db, "auth0|user123", &u), USERDB_OK);
	ck_assert_ptr_null(u.password_hash);
	user_free(&u);
	ck_assert_int_eq(userdb_set_password(db, "auth0|nobody", hash), USERDB_NOT_FOUND);
	ck_assert_int_eq(userdb_delete(db, "auth0|user123"), USERDB_OK);
	ck_assert_int_eq(userdb_delete(db, "auth0|user123"), USERDB_NOT_FOUND);
	ck_assert_int_eq(userdb_find_by_sub(db, "auth0|user123", &u), USERDB_NOT_FOUND);
	ck_assert_int_eq(nusers(db), 2);
	free(hash);
	userdb_close(db);
	free(path);
}
END_TEST

/* Runs fn in a child process with its own connection to path, as another
 * program's process would be. */
static void in_other_process(const char *path, void (*fn)(sqlite3 *db))
{
	pid_t pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		sqlite3 *db;
		char err[256];
		if (userdb_open(&db, path, state_dir, err, sizeof err) < 0)
			_exit(2);
		fn(db);
		userdb_close(db);
		_exit(0);
	}
	int status;
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0, "the other process failed");
}

static void rename_user(sqlite3 *db)
{
	if (userdb_update_profile(db, "auth0|user123", "Renamed Elsewhere", NULL) != USERDB_OK)
		_exit(3);
}

static void create_newbie(sqlite3 *db)
{
	struct user u = {.sub = "auth0|newbie", .email = "newbie@example.com", .name = "Newbie",
			 .permissions = "read:profile", .created_at = "2026-11-26T00:00:00.000Z"};
	if (userdb_create(db, &u) != USERDB_OK)
		_exit(3);
}

/* A writer that does not go through the library (the sqlite3 shell). */
static void raw_rename(sqlite3 *db)
{
	if (sqlite3_exec(db, "UPDATE users SET name = 'Renamed Raw' WHERE sub = 'auth0|user123'", NULL, NULL,
			 NULL) != SQLITE_OK)
		_exit(3);
}

START_TEST(test_userdb_peek_sees_writes_of_other_processes)
{
	char err[256] = "";
	ck_assert_int_eq(mkdir(state_dir, 0700), 0);
	char *path = ck_asprintf("%s/mcpauth.db", state_dir);
	sqlite3 *db;
	ck_assert_msg(userdb_open_ex(&db, path, state_dir, USERDB_DEMO, err, sizeof err) == 0, "%s", err);
	const struct user *u;
	ck_assert_int_eq(userdb_peek_by_sub(db, "auth0|user123", &u), USERDB_OK);
	ck_assert_str_eq(u->name, "John Doe");
	ck_assert_ptr_null(u->password_hash); /* no secret is kept in the cache */
	ck_assert_int_eq(userdb_peek_by_sub(db, "auth0|newbie", &u), USERDB_NOT_FOUND);
	ck_assert_ptr_null(u);

	/* Writes of another process are seen by the very next lookup. */
	in_other_process(path, rename_user);
	ck_assert_int_eq(userdb_peek_by_sub(db, "auth0|user123", &u), USERDB_OK);
	ck_assert_str_eq(u->name, "Renamed Elsewhere");
	in_other_process(path, create_newbie);
	ck_assert_int_eq(userdb_peek_by_sub(db, "auth0|newbie", &u), USERDB_OK);
	ck_assert_str_eq(u->email, "newbie@example.com");
	/* And this process's own writes. */
	ck_assert_int_eq(userdb_update_profile(db, "auth0|newbie", "Newbie Two", NULL), USERDB_OK);
	ck_assert_int_eq(userdb_peek_by_sub(db, "auth0|newbie", &u), USERDB_OK);
	ck_assert_str_eq(u->name, "Newbie Two");
	ck_assert_int_eq(userdb_delete(db, "auth0|newbie"), USERDB_OK);
	ck_assert_int_eq(userdb_peek_by_sub(db, "auth0|newbie", &u), USERDB_NOT_FOUND);

	/* A write that bypasses the library is seen within the age bound (1 s). */
	ck_assert_int_eq(userdb_peek_by_sub(db, "auth0|user123", &u), USERDB_OK);
	sqlite3 *raw;
	ck_assert_int_eq(sqlite3_open(path, &raw), SQLITE_OK);
	raw_rename(raw);
	sqlite3_close(raw);
	struct timespec wait = {1, 100 * 1000 * 1000};
	nanosleep(&wait, NULL);
	ck_assert_int_eq(userdb_peek_by_sub(db, "auth0|user123", &u), USERDB_OK);
	ck_assert_str_eq(u->name, "Renamed Raw");
	userdb_close(db);
	free(path);
}
END_TEST

static Suite *deploy_suite(void)
{
	Suite *s = suite_create("deploy");
	TCase *tc = tcase_create("rotate");
	tcase_set_timeout(tc, 60);
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_issuer_rotate_new_key_signs_old_key_stays_published);
	tcase_add_test(tc, test_issuer_rotate_drops_key_whose_time_has_passed);
	tcase_add_test(tc, test_issuer_rotate_keeps_key_within_its_time);
	tcase_add_test(tc, test_issuer_rotate_refuses_missing_key);
	tcase_add_test(tc, test_issuer_rotate_keep_zero_drops_old_key_at_once);
	tcase_add_test(tc, test_token_verify_refuses_key_from_its_retire_time);
	tcase_add_test(tc, test_tokencache_stops_at_key_retire_time);
	tcase_add_test(tc, test_jwks_drop_retired_at_load);
	suite_add_tcase(s, tc);
	tc = tcase_create("state files");
	tcase_set_timeout(tc, 60);
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_file_write_atomic_does_not_follow_planted_tmp_link);
	tcase_add_test(tc, test_file_lock_refuses_planted_link);
	tcase_add_test(tc, test_file_secure_dir_makes_0700_and_0600_without_following_links);
	tcase_add_test(tc, test_state_files_created_0600_under_umask_022);
	suite_add_tcase(s, tc);
	tc = tcase_create("userdb");
	tcase_set_timeout(tc, 60);
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_userdb_creates_no_demo_users_unless_asked);
	tcase_add_test(tc, test_userdb_demo_logins_found_until_changed);
	tcase_add_test(tc, test_userdb_set_password_and_delete);
	tcase_add_test(tc, test_userdb_password_and_deletion_revoke_refresh_tokens);
	tcase_add_test(tc, test_userdb_swap_permissions_only_from_what_was_read);
	tcase_add_test(tc, test_userdb_peek_sees_writes_of_other_processes);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(deploy_suite());
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
