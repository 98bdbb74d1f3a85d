/* fuzz_state: a fresh state directory for the targets that run the
 * programs' own start-up (app_init): made at start, removed at exit. The
 * including file defines _XOPEN_SOURCE 700 first (nftw). */
#ifndef MCPAUTH_FUZZ_STATE_H
#define MCPAUTH_FUZZ_STATE_H

#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "userdb.h"

static char fuzz_state_dir[64];

static int fuzz_state_rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	return remove(path);
}

static inline void fuzz_state_remove(void)
{
	nftw(fuzz_state_dir, fuzz_state_rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

/* Makes the directory (on tmpfs when there is one: the store fsyncs every
 * write), points MCPAUTH_STATE_DIR at it and sets a local issuer with no
 * demo tokens. */
static inline void fuzz_state_make(const char *target)
{
	const char *base = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp";
	snprintf(fuzz_state_dir, sizeof fuzz_state_dir, "%s/mcpauth-fuzz.XXXXXX", base);
	if (!mkdtemp(fuzz_state_dir)) {
		fprintf(stderr, "%s: cannot make a state directory under %s\n", target, base);
		exit(1);
	}
	setenv("MCPAUTH_STATE_DIR", fuzz_state_dir, 1);
	unsetenv("AUTH0_DOMAIN");
	unsetenv("MCPAUTH_JWKS_FILE");
	unsetenv("MCPAUTH_DEMO_TOKENS");
	/* The demo users the corpora log in as, asked for as every test does:
	 * the programs never create them. */
	char path[96], err[256];
	struct db *db;
	snprintf(path, sizeof path, "%s/mcpauth.db", fuzz_state_dir);
	if (userdb_open_ex(&db, path, fuzz_state_dir, USERDB_DEMO, err, sizeof err) < 0) {
		fprintf(stderr, "%s: %s\n", target, err);
		exit(1);
	}
	userdb_close(db);
}

#endif
