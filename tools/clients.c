/* mcpauth client list/delete: the OAuth clients registered at
 * /oauth/register. */
#include "mcpauth.h"
#include "oauthclient.h"
#include "userdb.h"
#include "util.h"

#include <stdio.h>

static void print_client(const struct oauth_client *c, void *arg)
{
	(void)arg;
	struct sbuf uris = {0};
	sbuf_adds(&uris, "");
	for (size_t i = 0; i < c->nredirect_uris; i++) {
		if (i)
			sbuf_adds(&uris, " ");
		sbuf_adds(&uris, c->redirect_uris[i]);
	}
	printf("%s\t%s\t%lld\t%s\t%s\n", c->client_id, oauthclient_auth_name(c->auth),
	       (long long)c->issued_at, c->client_name, uris.p);
	sbuf_free(&uris);
}

int cmd_client_list(int argc, char **argv)
{
	if (parse_opts(argc, argv, NULL, 0) != 0) {
		fail("usage: mcpauth client list");
		return EX_USAGE;
	}
	struct db *db;
	if (act_as_owner() < 0 || open_db(&db, 0) < 0)
		return EX_ERROR;
	int rc = oauthclient_each(db, print_client, NULL);
	if (rc < 0)
		fail("cannot read the clients: %s", db_errmsg(db));
	userdb_close(db);
	return rc < 0 ? EX_ERROR : EX_OK;
}

int cmd_client_delete(int argc, char **argv)
{
	if (parse_opts(argc, argv, NULL, 0) != 1) {
		fail("usage: mcpauth client delete CLIENT_ID");
		return EX_USAGE;
	}
	struct db *db;
	if (act_as_owner() < 0 || open_db(&db, 0) < 0)
		return EX_ERROR;
	enum oauthclient_status st = oauthclient_delete(db, argv[0]);
	if (st == OAUTHCLIENT_NOT_FOUND)
		fail("no registered client %s", argv[0]);
	else if (st != OAUTHCLIENT_OK)
		fail("cannot delete the client: %s", db_errmsg(db));
	userdb_close(db);
	return st == OAUTHCLIENT_OK ? EX_OK : st == OAUTHCLIENT_NOT_FOUND ? EX_NOUSER : EX_ERROR;
}
