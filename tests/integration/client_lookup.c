/* client_lookup: oauthclient_find over real HTTPS, in one process, for
 * tests/integration/oauth-clients.sh. The settings come from the
 * environment as the programs read them (MCPAUTH_CA_FILE,
 * MCPAUTH_HTTP_TIMEOUT, MCPAUTH_CLIENT_DOCUMENT_ALLOW_PRIVATE). Each
 * argument is a client_id to look up (one JSON line out), or +N to move
 * the clock N seconds on, so the cache's lifetimes can be seen. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "config.h"
#include "http.h"
#include "oauthclient.h"
#include "util.h"

static const char *status_name(enum oauthclient_status st)
{
	switch (st) {
	case OAUTHCLIENT_OK:
		return "ok";
	case OAUTHCLIENT_NOT_FOUND:
		return "not_found";
	case OAUTHCLIENT_INVALID:
		return "invalid";
	case OAUTHCLIENT_UNAVAILABLE:
		return "unavailable";
	default:
		return "error";
	}
}

int main(int argc, char **argv)
{
	struct config c;
	char err[512];
	log_set_program("client_lookup");
	if (config_load(&c, err, sizeof err) < 0) {
		fprintf(stderr, "%s\n", err);
		return 1;
	}
	struct fetch_opts o = {.ca_file = c.ca_file,
			       .timeout = c.http_timeout,
			       .allow_private = c.client_document_allow_private};
	time_t now = time(NULL);
	for (int i = 1; i < argc; i++) {
		if (argv[i][0] == '+') {
			now += atol(argv[i] + 1);
			continue;
		}
		struct oauth_client cl;
		err[0] = '\0';
		enum oauthclient_status st = oauthclient_find(NULL, &o, argv[i], now, &cl, err, sizeof err);
		json_object *j = json_object_new_object();
		json_object_object_add(j, "status", json_object_new_string(status_name(st)));
		if (st == OAUTHCLIENT_OK) {
			json_object_object_add(j, "client_id", json_object_new_string(cl.client_id));
			json_object_object_add(j, "client_name", json_object_new_string(cl.client_name));
			json_object_object_add(j, "auth",
					       json_object_new_string(oauthclient_auth_name(cl.auth)));
			json_object *u = json_object_new_array();
			for (size_t k = 0; k < cl.nredirect_uris; k++)
				json_object_array_add(u, json_object_new_string(cl.redirect_uris[k]));
			json_object_object_add(j, "redirect_uris", u);
			oauthclient_free(&cl);
		} else {
			json_object_object_add(j, "err", json_object_new_string(err));
		}
		printf("%s\n", json_text(j));
		fflush(stdout);
		json_object_put(j);
	}
	oauthclient_cache_clear();
	fetch_cleanup();
	config_free(&c);
	return 0;
}
