/* oauthclient: the OAuth clients the local authorization server knows:
 * those registered by Dynamic Client Registration (RFC 7591, stored in
 * SQLite) and those named by a Client ID Metadata Document (client_id is
 * an https URL whose JSON document describes the client, fetched with the
 * suite's HTTPS client behind an SSRF guard, cached within bounds). */
#ifndef MCPAUTH_OAUTHCLIENT_H
#define MCPAUTH_OAUTHCLIENT_H

#include <sqlite3.h>
#include <stddef.h>
#include <time.h>

#include "fetch.h"

enum oauthclient_status {
	OAUTHCLIENT_OK = 0,
	OAUTHCLIENT_NOT_FOUND,   /* no such registered client */
	OAUTHCLIENT_INVALID,     /* the client's document is unusable (err says why) */
	OAUTHCLIENT_UNAVAILABLE, /* the document could not be fetched now (err says why) */
	OAUTHCLIENT_ERROR,       /* the store failed */
};

/* Token endpoint authentication methods (RFC 7591 section 2). */
enum oauthclient_auth {
	OAUTHCLIENT_AUTH_NONE = 0,      /* public client: PKCE is its protection */
	OAUTHCLIENT_AUTH_SECRET_BASIC,  /* client_secret_basic */
	OAUTHCLIENT_AUTH_SECRET_POST,   /* client_secret_post */
};

struct oauth_client {
	char *client_id;       /* owned */
	char *client_name;     /* owned; never NULL (client_id when the client gave none) */
	char *client_uri;      /* owned, may be NULL */
	char **redirect_uris;  /* owned, nredirect_uris of them */
	size_t nredirect_uris;
	enum oauthclient_auth auth;
	int from_document;     /* 1: a Client ID Metadata Document; 0: registered */
};

/* Finds the client named client_id: an https URL is a metadata document
 * (fetched with opts, or from the cache), anything else a registered
 * client in db. On OAUTHCLIENT_OK fills *out (free with
 * oauthclient_free); otherwise err holds one line for the user. */
enum oauthclient_status oauthclient_find(sqlite3 *db, const struct fetch_opts *opts, const char *client_id,
					 time_t now, struct oauth_client *out, char *err, size_t errlen);

/* 1 when redirect_uri is one of the client's: exactly, except that a
 * loopback http URI (127.0.0.1, [::1], localhost) matches on any port
 * (RFC 8252 section 7.3). */
int oauthclient_redirect_ok(const struct oauth_client *c, const char *redirect_uri);

/* 1 when secret is the confidential client's secret (compared in
 * constant time over its stored hash); 0 otherwise, and always 0 for a
 * public client. */
int oauthclient_secret_ok(sqlite3 *db, const struct oauth_client *c, const char *secret);

void oauthclient_free(struct oauth_client *c);

#endif
