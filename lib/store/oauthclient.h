/* oauthclient: the OAuth clients the local authorization server knows:
 * those registered by Dynamic Client Registration (RFC 7591, stored in
 * SQLite) and those named by a Client ID Metadata Document (client_id is
 * an https URL whose JSON document describes the client, fetched with the
 * suite's HTTPS client behind an SSRF guard, cached within bounds). */
#ifndef MCPAUTH_OAUTHCLIENT_H
#define MCPAUTH_OAUTHCLIENT_H

#include <json-c/json.h>
#include <stddef.h>
#include <time.h>

#include "db.h"
#include "fetch.h"

/* The registered clients' table, created by store/schema.c's migrations (the
 * schema version that adds it). redirect_uris is a JSON array; grant_types
 * and response_types are space-separated; secret_hash is the SHA-256 of
 * the secret, NULL for a public client; created_addr is the address (an
 * IPv6 one cut to its /64) that registered it, for the per-address limit. */
#define OAUTHCLIENT_SCHEMA                                                                                   \
	"CREATE TABLE oauth_clients ("                                                                       \
	" client_id TEXT PRIMARY KEY,"                                                                       \
	" secret_hash BLOB,"                                                                                 \
	" auth_method TEXT NOT NULL,"                                                                        \
	" client_name TEXT,"                                                                                 \
	" client_uri TEXT,"                                                                                  \
	" redirect_uris TEXT NOT NULL,"                                                                      \
	" grant_types TEXT NOT NULL,"                                                                        \
	" response_types TEXT NOT NULL,"                                                                     \
	" scope TEXT,"                                                                                       \
	" created_at INTEGER NOT NULL,"                                                                      \
	" created_addr TEXT);"                                                                               \
	"CREATE INDEX oauth_clients_addr ON oauth_clients(created_addr, created_at);"

enum oauthclient_status {
	OAUTHCLIENT_OK = 0,
	OAUTHCLIENT_NOT_FOUND,	 /* no such registered client */
	OAUTHCLIENT_INVALID,	 /* the client's document is unusable (err says why) */
	OAUTHCLIENT_UNAVAILABLE, /* the document could not be fetched now (err says why) */
	OAUTHCLIENT_ERROR,	 /* the store failed */
	OAUTHCLIENT_LIMITED,	 /* registration: this address registered too many lately */
	OAUTHCLIENT_FULL,	 /* registration: the store holds its maximum of clients */
};

const char *oauthclient_strerror(enum oauthclient_status st);

/* Token endpoint authentication methods (RFC 7591 section 2). */
enum oauthclient_auth {
	OAUTHCLIENT_AUTH_NONE = 0,     /* public client: PKCE is its protection */
	OAUTHCLIENT_AUTH_SECRET_BASIC, /* client_secret_basic */
	OAUTHCLIENT_AUTH_SECRET_POST,  /* client_secret_post */
};

struct oauth_client {
	char *client_id;      /* owned */
	char *client_name;    /* owned; never NULL (client_id when the client gave none) */
	char *client_uri;     /* owned, may be NULL */
	char **redirect_uris; /* owned, nredirect_uris of them */
	size_t nredirect_uris;
	enum oauthclient_auth auth;
	int from_document;    /* 1: a Client ID Metadata Document; 0: registered */
	char *grant_types;    /* owned, space-separated: authorization_code, refresh_token */
	char *response_types; /* owned, space-separated: code */
	char *scope;	      /* owned, space-separated scopes the client registered; NULL: none named */
	time_t issued_at;     /* registered: client_id_issued_at; document: when it was fetched */
};

/* Finds the client named client_id: an https URL is a metadata document
 * (fetched with opts, or from the cache), anything else a registered
 * client in db. Documents: https only, with a path; fetched with no
 * redirect, within min(opts->timeout, 5 s), at most 5120 bytes, JSON only,
 * behind the SSRF guard unless opts->allow_private (opts may be NULL:
 * system CAs, 5 s, guarded); kept in a per-process cache of 64 entries
 * for the answer's max-age within [60 s, 1 day] (600 s without one),
 * refusals for 60 s (10 s when the server did not answer). On OAUTHCLIENT_OK fills *out (free with
 * oauthclient_free); otherwise err holds one line for the user. */
enum oauthclient_status oauthclient_find(struct db *db, const struct fetch_opts *opts, const char *client_id,
					 time_t now, struct oauth_client *out, char *err, size_t errlen);

/* Forgets every cached metadata document (tests, and a program's end). */
void oauthclient_cache_clear(void);

/* 1 when redirect_uri is one of the client's: exactly, except that a
 * loopback http URI (127.0.0.1, [::1], localhost) matches on any port
 * (RFC 8252 section 7.3). */
int oauthclient_redirect_ok(const struct oauth_client *c, const char *redirect_uri);

/* 1 when secret is the confidential client's secret (compared in
 * constant time over its stored hash); 0 otherwise, and always 0 for a
 * public client. */
int oauthclient_secret_ok(struct db *db, const struct oauth_client *c, const char *secret);

void oauthclient_free(struct oauth_client *c);

/* Limits of the metadata a client may give (registration and documents). */
#define OAUTHCLIENT_MAX_REDIRECT_URIS 10
#define OAUTHCLIENT_MAX_URI_LEN 1024
#define OAUTHCLIENT_MAX_NAME_LEN 200
#define OAUTHCLIENT_MAX_SCOPE_LEN 1024

/* The metadata of a registration request (RFC 7591 section 2) or of a
 * Client ID Metadata Document (document = 1: no secret methods, and a
 * client_id member that must equal doc_url), checked into *out (client_id
 * left NULL for a registration). known_scopes (space-separated) keeps the
 * scope words the suite knows; others are dropped, as RFC 7591 allows.
 * Unknown members are ignored. Returns 0, or -1 with *error the RFC 7591
 * error code (invalid_redirect_uri, invalid_client_metadata) and desc one
 * line saying why. */
int oauthclient_parse(json_object *meta, int document, const char *doc_url, const char *known_scopes,
		      struct oauth_client *out, const char **error, char *desc, size_t desclen);

/* 0 when uri may be a redirect URI: absolute, no fragment, at most
 * OAUTHCLIENT_MAX_URI_LEN bytes, and https, or http on a loopback host
 * (127.0.0.1, [::1], localhost), or a private-use scheme with a dot (RFC
 * 8252 section 7.1: com.example.app:/cb). -1 with desc otherwise. */
int oauthclient_redirect_uri_valid(const char *uri, char *desc, size_t desclen);

/* Registration limits: per address within a window, and in all. */
struct oauthclient_limits {
	long addr_limit; /* registrations per address (IPv6: per /64) per window */
	long window;	 /* seconds */
	long max;	 /* clients stored in all */
};

/* Stores c (from oauthclient_parse) as a new registered client: fills
 * c->client_id and c->issued_at, and *secret (caller frees with
 * secure_free) for a confidential client, NULL for a public one. Refuses
 * with OAUTHCLIENT_LIMITED (*retry_after: seconds) or OAUTHCLIENT_FULL. */
enum oauthclient_status oauthclient_register(struct db *db, const struct oauthclient_limits *lim,
					     struct oauth_client *c, const char *addr, time_t now,
					     char **secret, long *retry_after);

/* The RFC 7591 name of an authentication method, and back (-1: unknown). */
const char *oauthclient_auth_name(enum oauthclient_auth a);
int oauthclient_auth_parse(const char *name);

/* The registered clients, oldest first (the CLI's list); 0 or -1. */
int oauthclient_each(struct db *db, void (*fn)(const struct oauth_client *c, void *arg), void *arg);
/* Deletes a registered client: OAUTHCLIENT_OK, _NOT_FOUND or _ERROR. */
enum oauthclient_status oauthclient_delete(struct db *db, const char *client_id);

#endif
