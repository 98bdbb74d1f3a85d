/* unit: what every unit test program shares. Each tests/unit/test_<module>.c
 * tests one module of lib/ (or the programs' tables) and defines
 * unit_suite(); main.c runs it. Scaffolding used by several modules' tests
 * lives in unit.c. */
#ifndef MCPAUTH_UNIT_H
#define MCPAUTH_UNIT_H

#include <check.h>

#include "db.h"
#include "http.h"
#include "route.h"

/* The module's suite, one test case per area. */
Suite *unit_suite(void);

/* Removes path and, when it is a directory, everything below it. */
void unit_rm_rf(const char *path);
/* A file's whole text, NUL-terminated; the test fails when it cannot be
 * read. Caller frees. */
char *unit_slurp(const char *path);

/* Checked fixture: a new temporary directory unit_dir for each test, in
 * which unit_state_dir (<dir>/state, not created), unit_jwks_path and
 * unit_key_path (in the state directory) and unit_db_path
 * (<dir>/mcpauth.db) are named; the teardown removes all it holds. */
extern char unit_dir[64];
extern char *unit_state_dir, *unit_jwks_path, *unit_key_path, *unit_db_path;
void unit_dir_setup(void);
void unit_dir_teardown(void);

/* The same, with unit_db open on unit_db_path with the demo users. */
extern struct db *unit_db;
void unit_db_setup(void);
void unit_db_teardown(void);

/* The one integer sql answers on db; the test fails otherwise. */
long long unit_query_int(struct db *db, const char *sql);

/* A result enum's _strerror texts t[0..n): each set, not empty, none the
 * same as another (logs tell the values apart). */
void unit_distinct_texts(const char *const *t, size_t n);

/* The settings the unit tests change, unset again (MCPAUTH_STATE_DIR set
 * to a path that need not exist); a fixture for config_load tests. */
void unit_env_reset(void);

/* The app over a small route table of its own (GET and PUT /api/thing,
 * DELETE /api/thing/:id, POST /mcp, each answering 200 {}), with
 * MCPAUTH_CORS_ORIGINS https://app.example.com and MCPAUTH_ALLOWED_ORIGINS
 * https://agent.example.com loaded into app.config (checked fixture). */
extern const struct route_group *const unit_thing_groups[];
void unit_app_setup(void);
void unit_app_teardown(void);
/* Runs method path through app_handle into *resp, with origin (or NULL)
 * and, when host is not NULL, that Host on a server at 127.0.0.1. */
void unit_serve(const char *method, const char *path, const char *host, const char *origin,
		struct response *resp);

/* MCPAUTH_TEST_DATABASE_URL (tests/integration/db-pg.sh), or NULL: the
 * tests that run on both back ends run on PostgreSQL when it is set; a
 * build without libpq skips them (exit 77). */
const char *unit_pg_url(void);

/* For the tests on both back ends: the database they open, pg_url (from
 * unit_pg_url) or else a new SQLite file, unit_db_path; opening it (or
 * failing the test); a fresh signing_keys table in it (lib/store/keystore.h). */
const char *unit_both_url(const char *pg_url);
struct db *unit_both_open(const char *pg_url);
void unit_keystore_table(struct db *db, const char *pg_url);

#endif
