/* config: the suite's settings, read once from the environment at start-up. */
#ifndef MCPAUTH_CONFIG_H
#define MCPAUTH_CONFIG_H

#include <stddef.h>

struct config {
	const char *auth0_domain;     /* AUTH0_DOMAIN, NULL in local mode */
	const char *audience;	      /* AUTH0_AUDIENCE */
	const char *client_id;	      /* AUTH0_CLIENT_ID, may be NULL */
	const char *client_secret;    /* AUTH0_CLIENT_SECRET, may be NULL; never logged */
	const char *login_realm;      /* AUTH0_LOGIN_REALM: proxy /auth/login to the tenant, may be NULL */
	char *tenant_url;	      /* https://<AUTH0_DOMAIN>, NULL in local mode */
	char *jwks_url;		      /* MCPAUTH_JWKS_URL, or <tenant_url>/.well-known/jwks.json */
	const char *ca_file;	      /* MCPAUTH_CA_FILE: CA bundle for the tenant, may be NULL */
	int allow_insecure_localhost; /* MCPAUTH_ALLOW_INSECURE_LOCALHOST=1: http://127.0.0.1 JWKS URL */
	long jwks_refresh;	      /* MCPAUTH_JWKS_REFRESH, seconds, default 3600 */
	long jwks_min_interval;	      /* MCPAUTH_JWKS_MIN_INTERVAL, seconds, default 60 */
	long http_timeout;	      /* MCPAUTH_HTTP_TIMEOUT, seconds, default 5 */
	const char *claim_namespace;  /* MCPAUTH_CLAIM_NAMESPACE, e.g. https://example.com/, may be NULL */
	char *issuer;		      /* MCPAUTH_ISSUER, or https://<AUTH0_DOMAIN>/ */
	const char *state_dir;	      /* MCPAUTH_STATE_DIR */
	char *jwks_file;	      /* MCPAUTH_JWKS_FILE, default <state>/jwks.json, or
				       * <state>/auth0-jwks.json (the fetched keys) in Auth0 mode */
	char *db_file;		      /* <state>/mcpauth.db */
	const char *database_url;     /* MCPAUTH_DATABASE_URL: postgresql://..., or NULL (SQLite) */
	const char *store;	      /* what the store opens: database_url, or else db_file */
	long leeway;		      /* MCPAUTH_LEEWAY, seconds, default 30 */
	long token_ttl;		      /* MCPAUTH_TOKEN_TTL, seconds, default 3600 */
	char *resource_url;	      /* MCPAUTH_RESOURCE_URL: canonical MCP URL without a trailing
					 slash, may be NULL */
	const char *allowed_origins;  /* MCPAUTH_ALLOWED_ORIGINS: comma-separated origins allowed to
					 call /mcp from a browser; NULL allows none */
	const char *allowed_hosts;    /* MCPAUTH_ALLOWED_HOSTS: comma-separated host[:port] a request's Host
					 may name; NULL: CONFIG_LOOPBACK_HOSTS and the server's own address */
	int demo_tokens;	      /* MCPAUTH_DEMO_TOKENS=1 */
	long token_cache;	      /* MCPAUTH_TOKEN_CACHE: verified-token cache slots, 0 = off */
	const char *cors_origins;     /* MCPAUTH_CORS_ORIGINS: comma-separated origins whose browser pages
					 may call the API (CORS); NULL allows none */
	const char *audit_log;	      /* MCPAUTH_AUDIT_LOG: "stderr" (default) or an absolute file path */
	long refresh_ttl;	      /* MCPAUTH_REFRESH_TTL: absolute lifetime of a refresh token family,
					 seconds, default 30 days */
	long login_email_limit;	      /* MCPAUTH_LOGIN_EMAIL_LIMIT: failed logins per email per window (5) */
	long login_addr_limit; /* MCPAUTH_LOGIN_ADDR_LIMIT: failed logins per address per window (20) */
	long login_window;     /* MCPAUTH_LOGIN_WINDOW: the rate-limit window, seconds (900) */
	long request_timeout;  /* MCPAUTH_REQUEST_TIMEOUT: seconds a request's input may take to
				  arrive, an answer's write may block, a kept connection may idle (10) */
	long register_limit;   /* MCPAUTH_REGISTER_LIMIT: client registrations per address per hour (20) */
	long client_limit;     /* MCPAUTH_CLIENT_LIMIT: registered clients stored in all (10000) */
	long password_min;     /* MCPAUTH_PASSWORD_MIN: characters a new password needs (10) */
	const char *password_list;	   /* MCPAUTH_PASSWORD_LIST: the common passwords refused */
	int client_document_allow_private; /* MCPAUTH_CLIENT_DOCUMENT_ALLOW_PRIVATE=1: client metadata
					      documents on loopback or private addresses (tests only) */
	/* Accounts by mail (issue 17): */
	const char *signup; /* MCPAUTH_SIGNUP: NULL or "0" off, "1" on, or allowed email domains */
	const char *signup_permissions; /* MCPAUTH_SIGNUP_PERMISSIONS: a new user's permissions */
	const char *mail_command;	/* MCPAUTH_MAIL_COMMAND: absolute path and arguments, no shell */
	long mail_timeout;		/* MCPAUTH_MAIL_TIMEOUT: seconds the command may run (10) */
	long verify_ttl;		/* MCPAUTH_VERIFY_TTL: a verification link's life, seconds (86400) */
	long reset_ttl;			/* MCPAUTH_RESET_TTL: a reset link's life, seconds (1800) */
};

#define CONFIG_DEFAULT_AUDIENCE "https://your-api.example.com"
#define CONFIG_DEFAULT_ISSUER "https://mcpauth.local/"
#ifndef MCPAUTH_PASSWORD_LIST_DEFAULT
#define MCPAUTH_PASSWORD_LIST_DEFAULT "/usr/local/share/mcpauth/common-passwords.txt"
#endif

/* The settings table: every variable the suite reads, its type, default
 * and bounds. It drives config_load; tests/unit/settings.sh holds the
 * operations manual's table and the web server configurations' lists of
 * variables to it. */
enum setting_type {
	SETTING_TEXT, /* a string; empty is unset */
	SETTING_INT,  /* a whole number from min to max (a long field) */
	SETTING_FLAG, /* 0 or 1 (an int field) */
};
enum {
	SETTING_TESTS_ONLY = 1 << 0,	/* for tests and demos: production configurations do not pass it */
	SETTING_BUILD_DEFAULT = 1 << 1, /* the default comes from ./configure (the state directory) */
};
struct setting {
	const char *name;
	enum setting_type type;
	size_t offset;	      /* of its field in struct config, or SETTING_DERIVED */
	long def, min, max;   /* SETTING_INT and SETTING_FLAG */
	const char *def_text; /* SETTING_TEXT: the default, NULL for unset */
	unsigned flags;
	const char *help; /* one line */
};
/* config_load reads these itself: the field is made from the value. */
#define SETTING_DERIVED ((size_t)-1)

/* The table, *n rows. */
const struct setting *config_settings(size_t *n);

/* Reads the environment into *c. On a bad setting writes the reason
 * into err and returns -1. */
int config_load(struct config *c, char *err, size_t errlen);
void config_free(struct config *c);

/* The hosts served when MCPAUTH_ALLOWED_HOSTS is unset, on any port. */
#define CONFIG_LOOPBACK_HOSTS "localhost,127.0.0.1,[::1]"

/* The Host header may be answered (DNS rebinding): one of
 * MCPAUTH_ALLOWED_HOSTS when set, else one of CONFIG_LOOPBACK_HOSTS or the
 * address the request arrived on (server_addr, SERVER_ADDR, may be NULL).
 * Names compare case-insensitively; an entry without a port matches any
 * port. A missing or empty Host is allowed, a malformed one never. */
int config_host_allowed(const struct config *c, const char *host, const char *server_addr);

/* aud is one of the suite's own resource URLs for a request to host (its
 * Host header, server_addr as above) over https or not: MCPAUTH_RESOURCE_URL
 * or its origin + "/" when set; otherwise scheme://host/mcp or
 * scheme://host/ for an allowed host. */
int config_resource_ok(const struct config *c, const char *aud, const char *host, const char *server_addr,
		       int https);

/* The Origin header value is one of MCPAUTH_ALLOWED_ORIGINS or of
 * MCPAUTH_CORS_ORIGINS, exactly (scheme and host compared
 * case-insensitively): the origins the MCP endpoints accept. */
int config_origin_allowed(const struct config *c, const char *origin);
/* The Origin header value is one of MCPAUTH_CORS_ORIGINS. */
int config_cors_origin_allowed(const struct config *c, const char *origin);

/* Sign-up is open to email (MCPAUTH_SIGNUP): 1, or 0 when it is off (*off
 * set) or the address's domain is not one of the list (*off clear). */
int config_signup_allows(const struct config *c, const char *email, int *off);

static inline int config_local_issuer(const struct config *c)
{
	return c->auth0_domain == 0;
}

#endif
