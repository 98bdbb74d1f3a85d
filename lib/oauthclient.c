/* oauthclient: a placeholder until registration and metadata documents
 * land: no client is known, so /authorize refuses every client_id. */
#include "oauthclient.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum oauthclient_status oauthclient_find(sqlite3 *db, const struct fetch_opts *opts, const char *client_id,
					 time_t now, struct oauth_client *out, char *err, size_t errlen)
{
	(void)db, (void)opts, (void)client_id, (void)now;
	memset(out, 0, sizeof *out);
	snprintf(err, errlen, "Unknown client");
	return OAUTHCLIENT_NOT_FOUND;
}

int oauthclient_redirect_ok(const struct oauth_client *c, const char *redirect_uri)
{
	for (size_t i = 0; i < c->nredirect_uris; i++)
		if (strcmp(c->redirect_uris[i], redirect_uri) == 0)
			return 1;
	return 0;
}

int oauthclient_secret_ok(sqlite3 *db, const struct oauth_client *c, const char *secret)
{
	(void)db, (void)c, (void)secret;
	return 0;
}

void oauthclient_free(struct oauth_client *c)
{
	free(c->client_id);
	free(c->client_name);
	free(c->client_uri);
	for (size_t i = 0; i < c->nredirect_uris; i++)
		free(c->redirect_uris[i]);
	free(c->redirect_uris);
	memset(c, 0, sizeof *c);
}
