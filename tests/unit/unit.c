/* Scaffolding shared by the unit test programs (unit.h). */
#include "unit.h"
#include "app.h"
#include "config.h"
#include "keystore.h"
#include "userdb.h"
#include "util.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

void unit_rm_rf(const char *path)
{
	struct stat st;
	if (lstat(path, &st) < 0)
		return;
	if (S_ISDIR(st.st_mode)) {
		DIR *d = opendir(path);
		struct dirent *e;
		while (d && (e = readdir(d))) {
			if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
				continue;
			char *sub = ck_asprintf("%s/%s", path, e->d_name);
			unit_rm_rf(sub);
			free(sub);
		}
		if (d)
			closedir(d);
		rmdir(path);
	} else {
		unlink(path);
	}
}

char *unit_slurp(const char *path)
{
	FILE *f = fopen(path, "rb");
	ck_assert_msg(f != NULL, "cannot read %s", path);
	struct sbuf b = {0};
	char buf[4096];
	size_t n;
	sbuf_adds(&b, "");
	while ((n = fread(buf, 1, sizeof buf, f)) > 0)
		sbuf_add(&b, buf, n);
	fclose(f);
	return b.p;
}

char unit_dir[64];
char *unit_state_dir, *unit_jwks_path, *unit_key_path, *unit_db_path;
struct db *unit_db;

void unit_dir_setup(void)
{
	snprintf(unit_dir, sizeof unit_dir, "/tmp/mcpauth-unit-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(unit_dir));
	unit_state_dir = ck_asprintf("%s/state", unit_dir);
	unit_jwks_path = ck_asprintf("%s/jwks.json", unit_state_dir);
	unit_key_path = ck_asprintf("%s/signing-key.pem", unit_state_dir);
	unit_db_path = ck_asprintf("%s/mcpauth.db", unit_dir);
}

void unit_dir_teardown(void)
{
	unit_rm_rf(unit_dir);
	free(unit_state_dir);
	free(unit_jwks_path);
	free(unit_key_path);
	free(unit_db_path);
	unit_state_dir = unit_jwks_path = unit_key_path = unit_db_path = NULL;
}

void unit_db_setup(void)
{
	char err[256] = "";
	unit_dir_setup();
	ck_assert_msg(userdb_open_ex(&unit_db, unit_db_path, unit_dir, USERDB_DEMO, err, sizeof err) == 0,
		      "%s", err);
}

void unit_db_teardown(void)
{
	userdb_close(unit_db);
	unit_db = NULL;
	unit_dir_teardown();
}

long long unit_query_int(struct db *db, const char *sql)
{
	struct db_rows *q;
	ck_assert_int_eq(db_exec(db, &q, sql, DB_END), DB_ROW);
	long long v = db_column_int(q, 0);
	db_rows_free(q);
	return v;
}

static const char *const changed_env[] = {
    "MCPAUTH_CORS_ORIGINS", "MCPAUTH_ALLOWED_ORIGINS", "MCPAUTH_AUDIT_LOG", "MCPAUTH_REFRESH_TTL",
    "MCPAUTH_LOGIN_EMAIL_LIMIT", "MCPAUTH_LOGIN_ADDR_LIMIT", "MCPAUTH_LOGIN_WINDOW", "MCPAUTH_ALLOWED_HOSTS",
    "MCPAUTH_REQUEST_TIMEOUT",
    /* accounts by mail */
    "MCPAUTH_SIGNUP", "MCPAUTH_SIGNUP_PERMISSIONS", "MCPAUTH_MAIL_COMMAND", "MCPAUTH_MAIL_TIMEOUT",
    "MCPAUTH_RESET_TTL", "MCPAUTH_DATABASE_URL"};

void unit_env_reset(void)
{
	setenv("MCPAUTH_STATE_DIR", "/tmp/mcpauth-unit", 1);
	for (size_t i = 0; i < sizeof changed_env / sizeof changed_env[0]; i++)
		unsetenv(changed_env[i]);
}

static void nop(struct request *req, struct response *resp)
{
	(void)req;
	response_json(resp, 200, json_object_new_object());
}

static const struct route thing_routes[] = {
    {"GET", "/api/thing", ROUTE_PUBLIC, NULL, "", NULL, nop, 0},
    {"PUT", "/api/thing", ROUTE_PUBLIC, NULL, "", NULL, nop, 0},
    {"DELETE", "/api/thing/:id", ROUTE_PUBLIC, NULL, "", NULL, nop, 0},
    {"POST", "/mcp", ROUTE_PUBLIC, NULL, "", NULL, nop, 0},
};
static const struct route_group thing_group = {"cors", ROUTE_TABLE(thing_routes), 0};
const struct route_group *const unit_thing_groups[] = {&thing_group};

void unit_app_setup(void)
{
	char err[256] = "";
	unit_env_reset();
	setenv("MCPAUTH_CORS_ORIGINS", "https://app.example.com", 1);
	setenv("MCPAUTH_ALLOWED_ORIGINS", "https://agent.example.com", 1);
	ck_assert_msg(config_load(&app.config, err, sizeof err) == 0, "%s", err);
}

void unit_app_teardown(void)
{
	config_free(&app.config);
	unit_env_reset();
}

void unit_serve(const char *method, const char *path, const char *host, const char *origin,
		struct response *resp)
{
	struct request req = {0};
	req.method = method;
	req.path = ck_strdup(path);
	req.query = ck_strdup("");
	req.host = host;
	req.server_addr = host ? "127.0.0.1" : NULL;
	req.origin = origin;
	response_init(resp);
	app_handle(unit_thing_groups, 1, &req, resp);
	request_free(&req);
}

void unit_distinct_texts(const char *const *t, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		ck_assert_ptr_nonnull(t[i]);
		ck_assert_int_gt(strlen(t[i]), 0);
		for (size_t j = 0; j < i; j++)
			ck_assert_str_ne(t[i], t[j]);
	}
}

const char *unit_pg_url(void)
{
	const char *url = getenv("MCPAUTH_TEST_DATABASE_URL");
	if (!url || !*url)
		return NULL;
	struct db *probe;
	char err[256];
	if (db_open(url, &probe, err, sizeof err) == DB_UNSUPPORTED) {
		printf("SKIP: %s\n", err);
		exit(77);
	}
	db_close(probe);
	return url;
}

const char *unit_both_url(const char *pg_url)
{
	return pg_url ? pg_url : unit_db_path;
}

struct db *unit_both_open(const char *pg_url)
{
	struct db *db;
	char err[256];
	enum db_err e = db_open(unit_both_url(pg_url), &db, err, sizeof err);
	ck_assert_msg(e == DB_OK, "%s: %s", db_strerror(e), err);
	return db;
}

void unit_keystore_table(struct db *db, const char *pg_url)
{
	enum db_err e = db_exec_script(db, pg_url ? "DROP TABLE IF EXISTS signing_keys;" KEYSTORE_SCHEMA_PG
						  : KEYSTORE_SCHEMA);
	ck_assert_msg(e == DB_OK, "%s: %s", db_strerror(e), db_errmsg(db));
}
