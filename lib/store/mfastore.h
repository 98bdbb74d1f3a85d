/* mfastore: the second factor's state in SQLite: each user's TOTP secret
 * (pending until a first code confirms it) with the last time step a code
 * was used, recovery codes (only their SHA-256; single use), the login
 * tickets between a right password and the code (only their SHA-256;
 * MFA_TICKET_TTL seconds, MFA_TICKET_TRIES wrong codes), and marks on
 * what a second-factor login led to (browser sessions, authorization codes,
 * refresh families, by their SHA-256), so that its tokens carry amr otp.
 *
 * The secrets are stored as they are, like the signing key: the database is
 * 0600 in the 0700 state directory, and a secret must be read to check a
 * code (a hash would not do). */
#ifndef MCPAUTH_MFASTORE_H
#define MCPAUTH_MFASTORE_H

#include <time.h>

#include "db.h"
#include "totp.h"

#define MFA_RECOVERY_CODES 10 /* recovery codes per confirmation */
#define MFA_RECOVERY_LEN 11   /* "xxxxx-xxxxx": 50 random bits */
#define MFA_TICKET_TTL 300    /* a login ticket's life, seconds */
#define MFA_TICKET_TRIES 5    /* wrong codes a ticket takes before it ends */

/* The tables, as store/schema.c's migration adds them. */
#define MFASTORE_SCHEMA                                                                                      \
	"CREATE TABLE mfa_secrets ("                                                                         \
	" sub TEXT PRIMARY KEY,"                                                                             \
	" secret BLOB NOT NULL,"                                                                             \
	" enabled INTEGER NOT NULL DEFAULT 0,"                                                               \
	" last_step INTEGER NOT NULL DEFAULT 0,"                                                             \
	" created_at INTEGER NOT NULL);"                                                                     \
	"CREATE TABLE mfa_recovery ("                                                                        \
	" sub TEXT NOT NULL,"                                                                                \
	" hash BLOB NOT NULL,"                                                                               \
	" used_at INTEGER,"                                                                                  \
	" PRIMARY KEY (sub, hash));"                                                                         \
	"CREATE TABLE mfa_tickets ("                                                                         \
	" hash BLOB PRIMARY KEY,"                                                                            \
	" sub TEXT NOT NULL,"                                                                                \
	" scope TEXT,"                                                                                       \
	" expires_at INTEGER NOT NULL,"                                                                      \
	" tries INTEGER NOT NULL DEFAULT 0);"                                                                \
	"CREATE TABLE mfa_marks (hash BLOB PRIMARY KEY, expires_at INTEGER NOT NULL);"

enum mfa_status {
	MFA_OK = 0,
	MFA_OFF,	/* no second factor (or none pending, for a confirmation) */
	MFA_ON,		/* enrolment asked while it is on already */
	MFA_WRONG_CODE, /* neither the code of the window nor an unused recovery code */
	MFA_REUSED,	/* the code of a time step already used */
	MFA_NO_TICKET,	/* a login ticket unknown, expired, used or out of tries */
	MFA_ERROR,	/* the store failed */
};
const char *mfastore_strerror(enum mfa_status st);

enum mfa_state { MFA_STATE_OFF, MFA_STATE_PENDING, MFA_STATE_ON };

/* Where sub stands, with the recovery codes it has left (may be NULL). */
enum mfa_status mfastore_state(struct db *db, const char *sub, enum mfa_state *state, int *recovery_left);

/* A new secret for sub, pending (it replaces a pending one): MFA_OK with
 * the secret in key, MFA_ON when it is on already. */
enum mfa_status mfastore_enroll(struct db *db, const char *sub, time_t now,
				unsigned char key[TOTP_SECRET_LEN]);

/* The secret of sub, pending or on, into key: MFA_OK or MFA_OFF. */
enum mfa_status mfastore_secret(struct db *db, const char *sub, unsigned char key[TOTP_SECRET_LEN],
				enum mfa_state *state);

/* The first code of a pending secret: in one commit it is on, its step
 * used, and MFA_RECOVERY_CODES new recovery codes stored (hashed) and put
 * in codes (each to free with mfastore_codes_free). */
enum mfa_status mfastore_confirm(struct db *db, const char *sub, const char *code, time_t now,
				 char *codes[MFA_RECOVERY_CODES]);
void mfastore_codes_free(char *codes[MFA_RECOVERY_CODES]);

/* A code of sub's second factor (it must be on): a TOTP code of the window
 * newer than the last step used (then that step is the last used), or an
 * unused recovery code (then used; *recovery set to 1, else 0). */
enum mfa_status mfastore_verify(struct db *db, const char *sub, const char *code, time_t now, int *recovery);

/* Turns sub's second factor off: secret and recovery codes gone. MFA_OFF
 * when there was none. */
enum mfa_status mfastore_reset(struct db *db, const char *sub);

/* A login ticket for sub (scope, may be NULL: what the login asked for):
 * *ticket (to free) is its value, 43 base64url characters. */
enum mfa_status mfastore_ticket_new(struct db *db, const char *sub, const char *scope, time_t now,
				    char **ticket);
/* The ticket's user and scope (each to free; *scope may be NULL):
 * MFA_OK or MFA_NO_TICKET. */
enum mfa_status mfastore_ticket_get(struct db *db, const char *ticket, time_t now, char **sub, char **scope);
/* A wrong code on the ticket: one try fewer. */
enum mfa_status mfastore_ticket_fail(struct db *db, const char *ticket);
/* The ticket is spent (a right code): MFA_OK, or MFA_NO_TICKET when another
 * request spent it first. */
enum mfa_status mfastore_ticket_del(struct db *db, const char *ticket);

/* What a login with a second factor led to: its browser session (the
 * cookie), the authorization code issued in it, the refresh family that
 * code or the login began. Their tokens carry amr ["pwd","otp"]. */
enum mfa_mark { MFA_MARK_SESSION, MFA_MARK_CODE, MFA_MARK_FAMILY };
/* Marks value (of kind) for ttl seconds from now. */
enum mfa_status mfastore_mark(struct db *db, enum mfa_mark kind, const char *value, time_t now, long ttl);
/* 1 when value (of kind) is marked and not past its time, 0 when not (or
 * value is NULL), -1 on a store error. */
int mfastore_marked(struct db *db, enum mfa_mark kind, const char *value, time_t now);

#endif
