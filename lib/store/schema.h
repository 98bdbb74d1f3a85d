/* schema: the database file every program shares: opened in WAL mode
 * with a busy timeout, its schema created and migrated under the state
 * lock, for every table of the store (users, refresh tokens, failed
 * logins, OAuth clients, the authorization server's flows). */
#ifndef MCPAUTH_SCHEMA_H
#define MCPAUTH_SCHEMA_H

#include <stddef.h>
#include "db.h"

/* Opens (creating if needed) the store: store is a SQLite file's path or a
 * postgresql:// URL (config's store); sets WAL and the busy timeout on
 * SQLite; creates or migrates the schema. No user is created: the programs never add any.
 * Closed with userdb_close. */
int userdb_open(struct db **db, const char *store, const char *state_dir, char *err, size_t errlen);
/* The same, with USERDB_DEMO: a new database gets the demo users with their
 * published passwords (mcpauth init --demo-users, for the quick start and
 * the tests); an existing one is left as it is. */
enum { USERDB_DEMO = 1 << 0 };
int userdb_open_ex(struct db **db, const char *store, const char *state_dir, unsigned flags, char *err,
		   size_t errlen);

/* How many demo users still log in with their published password; their
 * emails, space-separated, in emails. verify is password_verify (lib/auth),
 * handed in: the store sits below it. */
size_t userdb_demo_logins(struct db *db, int (*verify)(const char *password, const char *stored),
			  char *emails, size_t len);

#endif
