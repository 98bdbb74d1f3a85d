/* mcpauth init and what every command needs first: the state directory,
 * acting as its owner, the database, a user by email. */
#include "config.h"
#include "file.h"
#include "issuer.h"
#include "jwks.h"
#include "keystore.h"
#include "mcpauth.h"
#include "userdb.h"

#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static int become(uid_t uid, gid_t gid)
{
	if (setgroups(0, NULL) < 0 || setgid(gid) < 0 || setuid(uid) < 0) {
		fail("cannot switch to uid %ld: %s", (long)uid, strerror(errno));
		return -1;
	}
	return 0;
}

/* The state directory 0700 and its files 0600, as the programs keep it, or a refusal. */
static int secure_state(void)
{
	char err[512];
	if (file_secure_dir(cfg.state_dir, err, sizeof err) < 0) {
		fail("%s", err);
		return -1;
	}
	return 0;
}

/* Run as root on a state directory that belongs to the web server's user,
 * the tool acts as that user, so that every file it creates stays readable
 * by the programs. */
int act_as_owner(void)
{
	struct stat st;
	if (stat(cfg.state_dir, &st) < 0)
		return 0; /* each command says what is missing */
	if (geteuid() == 0 && st.st_uid != 0 && become(st.st_uid, st.st_gid) < 0)
		return -1;
	return secure_state();
}

int open_db(struct db **db, unsigned flags)
{
	char err[512];
	struct stat st;
	if (stat(cfg.state_dir, &st) < 0) {
		fail("no state directory %s: run 'mcpauth init' first", cfg.state_dir);
		return -1;
	}
	if (userdb_open_ex(db, cfg.store, cfg.state_dir, flags, err, sizeof err) < 0) {
		fail("%s", err);
		return -1;
	}
	return 0;
}

int find_user(struct db *db, const char *email, struct user *u)
{
	int rc = userdb_find_by_email(db, email, u);
	if (rc == USERDB_NOT_FOUND) {
		fail("no user with email %s", email);
		return EX_NOUSER;
	}
	if (rc != USERDB_OK) {
		fail("cannot read the users: %s", db_errmsg(db));
		return EX_ERROR;
	}
	return EX_OK;
}

int write_status(struct db *db, int rc, const char *email)
{
	if (rc == USERDB_OK)
		return EX_OK;
	if (rc == USERDB_NOT_FOUND) {
		fail("no user with email %s", email);
		return EX_NOUSER;
	}
	if (rc == USERDB_CONFLICT) {
		fail("the email %s is already in use", email);
		return EX_EXISTS;
	}
	fail("cannot write the users: %s", db_errmsg(db));
	return EX_ERROR;
}

int cmd_init(int argc, char **argv)
{
	struct opt o[] = {{"--user", 1, NULL}, {"--demo-users", 0, NULL}};
	if (parse_opts(argc, argv, o, 2) != 0) {
		fail("usage: mcpauth init [--user USER] [--demo-users]");
		return EX_USAGE;
	}
	struct passwd *pw = NULL;
	if (o[0].value) {
		if (geteuid() != 0) {
			fail("--user needs root (the state directory is given to that user)");
			return EX_USAGE;
		}
		pw = getpwnam(o[0].value);
		if (!pw) {
			fail("no such user: %s", o[0].value);
			return EX_USAGE;
		}
	}
	if (mkdir(cfg.state_dir, 0700) < 0 && errno != EEXIST) {
		fail("cannot create %s: %s", cfg.state_dir, strerror(errno));
		return EX_ERROR;
	}
	if (pw) {
		if (chown(cfg.state_dir, pw->pw_uid, pw->pw_gid) < 0 || chmod(cfg.state_dir, 0700) < 0) {
			fail("cannot give %s to %s: %s", cfg.state_dir, o[0].value, strerror(errno));
			return EX_ERROR;
		}
		if (become(pw->pw_uid, pw->pw_gid) < 0 || secure_state() < 0)
			return EX_ERROR;
	} else if (act_as_owner() < 0) {
		return EX_ERROR;
	}
	char err[512];
	/* With PostgreSQL the first key is made in the database, below. */
	if (config_local_issuer(&cfg) && !keys_in_store() &&
	    issuer_ensure_keys(cfg.state_dir, cfg.jwks_file, err, sizeof err) < 0) {
		fail("%s", err);
		return EX_ERROR;
	}
	struct db *db;
	if (open_db(&db, o[1].value ? USERDB_DEMO : 0) < 0)
		return EX_ERROR;
	if (config_local_issuer(&cfg) && keys_in_store()) {
		enum keystore_status st = keystore_ensure(db, time(NULL), issuer_new_key, NULL);
		if (st != KEYSTORE_OK) {
			fail("cannot make the signing key in the database: %s (%s)", keystore_strerror(st),
			     db_errmsg(db));
			userdb_close(db);
			return EX_ERROR;
		}
	}
	struct user u;
	int demo = userdb_find_by_email(db, "admin@example.com", &u) == USERDB_OK;
	if (demo)
		user_free(&u);
	userdb_close(db);
	printf("state directory %s is ready\n", cfg.state_dir);
	if (config_local_issuer(&cfg)) {
		struct issuer is;
		struct jwks set = {0};
		if (keys_in_store() ? store_keys(&set, &is) == 0
				    : issuer_load(&is, cfg.state_dir, err, sizeof err) == 0) {
			printf("signing key kid %s\n", is.kid);
			issuer_free(&is);
		}
		if (keys_in_store())
			jwks_free(&set);
	}
	if (demo && !o[1].value)
		fprintf(stderr,
			"%s: warning: the demo users (admin@example.com...) exist with their known "
			"passwords; remove them with 'mcpauth user del EMAIL'\n",
			TOOL_NAME);
	return EX_OK;
}
