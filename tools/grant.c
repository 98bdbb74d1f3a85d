/* mcpauth grant list / grant revoke: the grants users gave OAuth clients
 * on the consent page (lib/store/flowstore.h). */
#include "flowstore.h"
#include "mcpauth.h"
#include "util.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

static void print_grant(const struct flow_grant *g, void *arg)
{
	struct db *db = arg;
	struct user u;
	int found = userdb_find_by_sub(db, g->sub, &u) == USERDB_OK;
	char when[32];
	time_t t = (time_t)g->updated_at;
	struct tm tm;
	strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%SZ", gmtime_r(&t, &tm));
	printf("%s\t%s\t%s\t%s\n", found ? u.email : g->sub, g->client_id, g->scope, when);
	if (found)
		user_free(&u);
}

int cmd_grant_list(int argc, char **argv)
{
	if (argc > 1 || (argc == 1 && argv[0][0] == '-')) {
		fail("usage: mcpauth grant list [EMAIL]");
		return EX_USAGE;
	}
	struct db *db;
	if (act_as_owner() < 0 || open_db(&db, 0) < 0)
		return EX_ERROR;
	struct user u = {0};
	int rc = argc == 1 ? find_user(db, argv[0], &u) : EX_OK;
	if (rc == EX_OK && flowstore_grant_each(db, u.sub, print_grant, db) != FLOW_OK) {
		fail("cannot read the grants: %s", db_errmsg(db));
		rc = EX_ERROR;
	}
	if (u.sub)
		user_free(&u);
	userdb_close(db);
	return rc;
}

int cmd_grant_revoke(int argc, char **argv)
{
	if (argc != 2 || argv[0][0] == '-') {
		fail("usage: mcpauth grant revoke EMAIL CLIENT_ID");
		return EX_USAGE;
	}
	struct db *db;
	if (act_as_owner() < 0 || open_db(&db, 0) < 0)
		return EX_ERROR;
	struct user u;
	int rc = find_user(db, argv[0], &u);
	if (rc == EX_OK) {
		int st = flowstore_grant_revoke(db, u.sub, argv[1]);
		if (st == FLOW_OK) {
			printf("revoked: %s no longer grants %s anything; its tokens are revoked\n", argv[0],
			       argv[1]);
		} else if (st == FLOW_NOT_FOUND) {
			fail("%s has no grant or token of client %s", argv[0], argv[1]);
			rc = EX_NOGRANT;
		} else {
			fail("cannot revoke the grant: %s", db_errmsg(db));
			rc = EX_ERROR;
		}
		user_free(&u);
	}
	userdb_close(db);
	return rc;
}
