#include "app.h"
#include "userdb.h"
#include "util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct app app;

static time_t wall_clock(void)
{
	return time(NULL);
}

int app_init(const char *program, const struct route_group *const *groups, size_t ngroups,
	     unsigned flags, char *err, size_t errlen)
{
	memset(&app, 0, sizeof app);
	app.program = program;
	app.groups = groups;
	app.ngroups = ngroups;
	app.now = wall_clock;
	log_set_program(program);
	if (config_load(&app.config, err, errlen) < 0)
		return -1;
	const struct config *c = &app.config;
	if (c->demo_tokens)
		log_msg("WARNING: MCPAUTH_DEMO_TOKENS=1: the literal tokens mock-jwt-user, mock-jwt-admin and "
			"mock-jwt-readonly are accepted; never enable this in production");
	if (config_local_issuer(c)) {
		if (issuer_ensure_keys(c->state_dir, c->jwks_file, err, errlen) < 0)
			return -1;
		if ((flags & GROUP_SIGNS) && issuer_load(&app.issuer, c->state_dir, err, errlen) < 0)
			return -1;
		app.has_issuer = (flags & GROUP_SIGNS) != 0;
	}
	if (jwks_load_file(&app.keys, c->jwks_file, err, errlen) < 0)
		return -1;
	if (app.keys.nkeys == 0) {
		snprintf(err, errlen, "%s holds no usable RS256 key", c->jwks_file);
		return -1;
	}
	app.verifier.keys = &app.keys;
	app.verifier.issuer = c->issuer;
	app.verifier.audience = c->audience;
	app.verifier.leeway = c->leeway;
	if (userdb_open(&app.db, c->db_file, c->state_dir, err, errlen) < 0)
		return -1;
	if (sqlite3_db_readonly(app.db, "main") == 1)
		log_msg("WARNING: %s is read-only: reads are served, every write answers 503", c->db_file);
	return 0;
}

void app_free(void)
{
	jwks_free(&app.keys);
	issuer_free(&app.issuer);
	sqlite3_close(app.db);
	config_free(&app.config);
	memset(&app, 0, sizeof app);
}

void app_handle(const struct route_group *const *groups, size_t ngroups, struct request *req,
		struct response *resp)
{
	route_dispatch(groups, ngroups, req, resp);
	if (resp->status >= 500)
		log_msg("%s %s answered %d", req->method, req->path, resp->status);
}
