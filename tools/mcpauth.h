/* mcpauth: what the tool's files share. One file per room: cli.c (main,
 * options, the command table), state.c (init, the state directory and the
 * database), term.c (terminal input), users.c, clients.c, grant.c (OAuth
 * grants), keys.c, tokens.c (mint, verify). */
#ifndef MCPAUTH_TOOL_H
#define MCPAUTH_TOOL_H

#include <stddef.h>

#include "config.h"
#include "db.h"
#include "userdb.h"

/* Exit codes; mcpauth help lists them. */
enum {
	EX_OK = 0,
	EX_ERROR = 1,	 /* the work could not be done: files, database, settings */
	EX_USAGE = 2,	 /* bad command line */
	EX_NOUSER = 3,	 /* no user with that email */
	EX_EXISTS = 4,	 /* the email is taken */
	EX_REJECTED = 5, /* verify: the token fails a check */
	EX_EXPIRED = 6,	 /* verify: the token is well signed but expired */
	EX_NOGRANT = 7,	 /* grant revoke: the user has no grant of that client */
};

#define TOOL_NAME "mcpauth" /* the prefix of every message on stderr */

extern struct config cfg;

/* "mcpauth: " and the message on stderr. */
void fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* As root on a state directory owned by another user: become that user. */
int act_as_owner(void);
int open_db(struct db **db, unsigned flags);
/* EX_OK with u filled, or EX_NOUSER / EX_ERROR (said on stderr). */
int find_user(struct db *db, const char *email, struct user *u);

/* Option values found in argv (cli.c). */
struct opt {
	const char *name; /* "--name" */
	int takes_value;
	const char *value; /* set when given; "" for a flag */
};

/* Splits argv into options (known ones only) and positional arguments,
 * which are moved to the front. Returns their count, or -1. */
int parse_opts(int argc, char **argv, struct opt *opts, size_t nopts);
/* 0 with *out set when s is a whole number in [min, max], else -1. */
int parse_seconds(const char *s, long min, long max, long *out);

/* A userdb status as the tool's exit code, said on stderr (state.c). */
int write_status(struct db *db, int rc, const char *email);
/* 0 when the suite issues its own tokens, else -1 after saying so (keys.c). */
int need_local_issuer(void);
/* 1 when the keys are in the database (PostgreSQL), not in files (keys.c). */
int keys_in_store(void);
/* The database's keys now: the verification set into *set and, when signer
 * is not NULL, the key that signs; 0, or -1 after saying why (keys.c). */
struct jwks;
struct issuer;
int store_keys(struct jwks *set, struct issuer *signer);

/* Terminal input (term.c). One line from fd into buf (NUL-terminated,
 * newline stripped): its length, or -1 when it does not fit or nothing was
 * read. */
long read_line(int fd, char *buf, size_t size);
/* A new password for the user with email, typed twice or read from stdin,
 * checked by the password rules (lib/auth/pwrules.h) and hashed; NULL
 * after saying why. */
char *new_password_hash(const char *email);

/* The commands: each takes the arguments after its name and returns an
 * exit code. */
int cmd_init(int argc, char **argv);
int cmd_user_add(int argc, char **argv);
int cmd_user_del(int argc, char **argv);
int cmd_user_mfa(int argc, char **argv);
int cmd_users(int argc, char **argv);
int cmd_passwd(int argc, char **argv);
int cmd_grant(int argc, char **argv);
int cmd_revoke(int argc, char **argv);
int cmd_client_list(int argc, char **argv);
int cmd_client_delete(int argc, char **argv);
int cmd_grant_list(int argc, char **argv);
int cmd_grant_revoke(int argc, char **argv);
int cmd_rotate_key(int argc, char **argv);
int cmd_keys(int argc, char **argv);
int cmd_mint(int argc, char **argv);
int cmd_verify(int argc, char **argv);

#endif
