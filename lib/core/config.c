#include "config.h"
#include "util.h"

#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "fetch.h"
#include "mail.h"

#ifndef MCPAUTH_STATE_DIR_DEFAULT
#define MCPAUTH_STATE_DIR_DEFAULT "/var/lib/mcpauth"
#endif

#define FIELD(f) offsetof(struct config, f)
#define TEXT(name, field, def, flags, help)                                                                  \
	{                                                                                                    \
		name, SETTING_TEXT, field, 0, 0, 0, def, flags, help                                         \
	}
#define INT(name, field, def, min, max, help)                                                                \
	{                                                                                                    \
		name, SETTING_INT, FIELD(field), def, min, max, NULL, 0, help                                \
	}
#define FLAG(name, field, flags, help)                                                                       \
	{                                                                                                    \
		name, SETTING_FLAG, FIELD(field), 0, 0, 1, NULL, flags, help                                 \
	}

static const struct setting settings[] = {
    TEXT("AUTH0_DOMAIN", FIELD(auth0_domain), NULL, 0, "Auth0 tenant (host[:port]); unset: the local issuer"),
    TEXT("AUTH0_AUDIENCE", FIELD(audience), CONFIG_DEFAULT_AUDIENCE, 0, "the aud tokens must carry"),
    TEXT("AUTH0_CLIENT_ID", FIELD(client_id), NULL, 0,
	 "the application for the Management API and login proxy"),
    TEXT("AUTH0_CLIENT_SECRET", FIELD(client_secret), NULL, 0, "its secret; never logged"),
    TEXT("AUTH0_LOGIN_REALM", FIELD(login_realm), NULL, 0,
	 "Auth0 mode: proxy /auth/login to this connection"),
    TEXT("MCPAUTH_CLAIM_NAMESPACE", FIELD(claim_namespace), NULL, 0, "prefix of an Auth0 Action's claims"),
    TEXT("MCPAUTH_CA_FILE", FIELD(ca_file), NULL, 0, "CA bundle trusted for the tenant"),
    TEXT("MCPAUTH_JWKS_URL", SETTING_DERIVED, NULL, 0, "where the tenant's keys are fetched (https://)"),
    FLAG("MCPAUTH_ALLOW_INSECURE_LOCALHOST", allow_insecure_localhost, SETTING_TESTS_ONLY,
	 "1: MCPAUTH_JWKS_URL may be http:// to 127.0.0.1 or [::1]"),
    INT("MCPAUTH_JWKS_REFRESH", jwks_refresh, 3600, 1, 7 * 86400,
	"fetch the tenant's keys again after, seconds"),
    INT("MCPAUTH_JWKS_MIN_INTERVAL", jwks_min_interval, 60, 1, 3600,
	"at most one fetch for unknown kids per, seconds"),
    INT("MCPAUTH_HTTP_TIMEOUT", http_timeout, 5, 1, 60, "seconds a call to the tenant may take"),
    TEXT("MCPAUTH_ISSUER", SETTING_DERIVED, CONFIG_DEFAULT_ISSUER, 0, "the local issuer: the site's URL"),
    INT("MCPAUTH_REGISTER_LIMIT", register_limit, 20, 1, 1000000,
	"client registrations per address per hour"),
    INT("MCPAUTH_CLIENT_LIMIT", client_limit, 10000, 1, 100000000, "registered clients stored in all"),
    FLAG("MCPAUTH_CLIENT_DOCUMENT_ALLOW_PRIVATE", client_document_allow_private, SETTING_TESTS_ONLY,
	 "1: client metadata documents on private addresses"),
    TEXT("MCPAUTH_STATE_DIR", FIELD(state_dir), MCPAUTH_STATE_DIR_DEFAULT, SETTING_BUILD_DEFAULT,
	 "keys, JWKS, database, sockets (an absolute path)"),
    TEXT("MCPAUTH_JWKS_FILE", SETTING_DERIVED, NULL, 0, "the keys tokens are verified with"),
    TEXT("MCPAUTH_DATABASE_URL", FIELD(database_url), NULL, 0,
	 "postgresql://...: the store shared by every node; unset: SQLite in the state directory"),
    INT("MCPAUTH_LEEWAY", leeway, 30, 0, 300, "seconds of clock skew allowed"),
    INT("MCPAUTH_TOKEN_TTL", token_ttl, 3600, 60, 86400, "lifetime of issued tokens, seconds"),
    INT("MCPAUTH_TOKEN_CACHE", token_cache, 4096, 0, 1 << 20, "verified tokens cached per process (0: off)"),
    FLAG("MCPAUTH_DEMO_TOKENS", demo_tokens, SETTING_TESTS_ONLY,
	 "1: the demo tokens stand for the demo users"),
    TEXT("MCPAUTH_RESOURCE_URL", SETTING_DERIVED, NULL, 0, "the canonical MCP URL"),
    TEXT("MCPAUTH_ALLOWED_ORIGINS", FIELD(allowed_origins), NULL, 0, "origins whose pages may call /mcp"),
    TEXT("MCPAUTH_ALLOWED_HOSTS", FIELD(allowed_hosts), NULL, 0, "host names a request's Host may give"),
    TEXT("MCPAUTH_CORS_ORIGINS", FIELD(cors_origins), NULL, 0, "origins whose pages may call the API (CORS)"),
    INT("MCPAUTH_REFRESH_TTL", refresh_ttl, 30L * 86400, 1, 365L * 86400,
	"lifetime of a login's refresh tokens"),
    INT("MCPAUTH_LOGIN_EMAIL_LIMIT", login_email_limit, 5, 1, 1000000, "failed logins per email per window"),
    INT("MCPAUTH_LOGIN_ADDR_LIMIT", login_addr_limit, 20, 1, 1000000, "failed logins per address per window"),
    INT("MCPAUTH_LOGIN_WINDOW", login_window, 900, 1, 86400, "the rate-limit window, seconds"),
    INT("MCPAUTH_REQUEST_TIMEOUT", request_timeout, 10, 1, 300, "seconds a request may take to arrive"),
    INT("MCPAUTH_PASSWORD_MIN", password_min, 10, 8, 1024, "characters a new password needs at least"),
    TEXT("MCPAUTH_PASSWORD_LIST", FIELD(password_list), MCPAUTH_PASSWORD_LIST_DEFAULT, SETTING_BUILD_DEFAULT,
	 "common passwords refused, one a line"),
    TEXT("MCPAUTH_AUDIT_LOG", FIELD(audit_log), "stderr", 0, "stderr or an absolute file path"),
    TEXT("MCPAUTH_SIGNUP", FIELD(signup), NULL, 0, "1: anyone may sign up; or the email domains that may"),
    TEXT("MCPAUTH_SIGNUP_PERMISSIONS", FIELD(signup_permissions), "read:profile write:profile", 0,
	 "the permissions a new user gets"),
    TEXT("MCPAUTH_MAIL_COMMAND", FIELD(mail_command), NULL, 0,
	 "the command that mails links: absolute path and arguments, no shell"),
    INT("MCPAUTH_MAIL_TIMEOUT", mail_timeout, 10, 1, 300, "seconds the mail command may run"),
    INT("MCPAUTH_VERIFY_TTL", verify_ttl, 86400, 1, 30L * 86400, "lifetime of a verification link, seconds"),
    INT("MCPAUTH_RESET_TTL", reset_ttl, 1800, 1, 86400, "lifetime of a password reset link, seconds"),
};

const struct setting *config_settings(size_t *n)
{
	*n = sizeof settings / sizeof settings[0];
	return settings;
}

static const struct setting *setting_named(const char *name)
{
	for (size_t i = 0; i < sizeof settings / sizeof settings[0]; i++)
		if (strcmp(settings[i].name, name) == 0)
			return &settings[i];
	/* Every variable read is in the table: the docs and the web server
	 * lists are checked against it. */
	log_msg("setting %s is not in the settings table", name);
	abort();
}

/* The value of a setting of the table; NULL when unset or empty. */
static const char *env(const char *name)
{
	const char *v = getenv(setting_named(name)->name);
	return v && *v ? v : NULL;
}

/* Reads every setting with a field of its own into c. */
static int load_table(struct config *c, char *err, size_t errlen)
{
	for (size_t i = 0; i < sizeof settings / sizeof settings[0]; i++) {
		const struct setting *s = &settings[i];
		if (s->offset == SETTING_DERIVED)
			continue;
		char *field = (char *)c + s->offset;
		const char *v = env(s->name);
		if (s->type == SETTING_TEXT) {
			*(const char **)(void *)field = v ? v : s->def_text;
			continue;
		}
		long n = s->def;
		if (v) {
			char *end;
			errno = 0;
			n = strtol(v, &end, 10);
			if (errno || *end || n < s->min || n > s->max) {
				snprintf(err, errlen, "%s must be an integer from %ld to %ld", s->name,
					 s->min, s->max);
				return -1;
			}
		}
		if (s->type == SETTING_FLAG)
			*(int *)(void *)field = (int)n;
		else
			*(long *)(void *)field = n;
	}
	return 0;
}

static int valid_domain(const char *d)
{
	/* host[:port], no scheme, no path: it is pasted into https://<d>/ */
	if (strlen(d) > 253)
		return 0;
	for (const char *p = d; *p; p++) {
		char ch = *p;
		if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
		      ch == '.' || ch == '-' || ch == ':'))
			return 0;
	}
	return 1;
}

/* scheme://host[:port], nothing after it. */
static int valid_origin(const char *o, size_t n)
{
	size_t skip;
	if (n > 7 && strncasecmp(o, "http://", 7) == 0)
		skip = 7;
	else if (n > 8 && strncasecmp(o, "https://", 8) == 0)
		skip = 8;
	else
		return 0;
	for (size_t i = skip; i < n; i++) {
		char ch = o[i];
		if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
		      ch == '.' || ch == '-' || ch == ':' || ch == '[' || ch == ']'))
			return 0;
	}
	return 1;
}

static int valid_origins(const char *list)
{
	const char *item;
	size_t len;
	int any = 0;
	while (list_next(&list, ",", &item, &len)) {
		if (!valid_origin(item, len))
			return 0;
		any = 1;
	}
	return any;
}

static int origin_in(const char *list, const char *origin)
{
	const char *item;
	size_t len;
	if (!origin || !list)
		return 0;
	while (list_next(&list, ",", &item, &len))
		if (strlen(origin) == len && strncasecmp(origin, item, len) == 0)
			return 1;
	return 0;
}

/* A host as a Host header or MCPAUTH_ALLOWED_HOSTS writes it: a name (DNS
 * name, IPv4 address, or IPv6 address in brackets) and an optional port. */
struct host_part {
	const char *name, *port;
	size_t nlen, plen;
};

static int is_name_char(char ch)
{
	return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
	       ch == '.' || ch == '-';
}

/* Splits s (n bytes) into name and port; -1 when it is not host[:port]. */
static int host_split(const char *s, size_t n, struct host_part *h)
{
	size_t i = 0;
	if (n == 0 || n > 261)
		return -1;
	if (s[0] == '[') {
		for (i = 1; i < n && s[i] != ']'; i++)
			if (!strchr("0123456789abcdefABCDEF:.", s[i]))
				return -1;
		if (i == n || i == 1)
			return -1;
		i++;
	} else {
		while (i < n && is_name_char(s[i]))
			i++;
	}
	h->name = s;
	h->nlen = i;
	/* "api.example.com." is the same name as "api.example.com". */
	if (s[0] != '[' && h->nlen > 1 && s[h->nlen - 1] == '.')
		h->nlen--;
	if (h->nlen == 0 || h->name[0] == '.')
		return -1;
	h->port = NULL;
	h->plen = 0;
	if (i == n)
		return 0;
	if (s[i] != ':' || n - i - 1 < 1 || n - i - 1 > 5)
		return -1;
	h->port = s + i + 1;
	h->plen = n - i - 1;
	for (size_t k = 0; k < h->plen; k++)
		if (h->port[k] < '0' || h->port[k] > '9')
			return -1;
	return 0;
}

static int valid_hosts(const char *list)
{
	const char *item;
	size_t len;
	int any = 0;
	struct host_part h;
	while (list_next(&list, ",", &item, &len)) {
		if (host_split(item, len, &h) < 0)
			return 0;
		any = 1;
	}
	return any;
}

/* h is one of the list's hosts: the same name, and the same port when the
 * entry names one. */
static int host_in(const char *list, const struct host_part *h)
{
	const char *item;
	size_t len;
	struct host_part e;
	while (list_next(&list, ",", &item, &len)) {
		if (host_split(item, len, &e) < 0 || e.nlen != h->nlen ||
		    strncasecmp(e.name, h->name, e.nlen) != 0)
			continue;
		if (!e.port || (e.plen == h->plen && memcmp(e.port, h->port, e.plen) == 0))
			return 1;
	}
	return 0;
}

/* h names the address the request arrived on (SERVER_ADDR): no DNS name is
 * involved, so no rebinding either. */
static int host_is_addr(const struct host_part *h, const char *addr)
{
	if (!addr || !*addr)
		return 0;
	const char *name = h->name;
	size_t n = h->nlen;
	if (name[0] == '[') {
		name++;
		n -= 2;
	} else if (strncasecmp(addr, "::ffff:", 7) == 0 && strchr(addr, '.')) {
		addr += 7; /* an IPv4 client on a dual-stack socket */
	}
	return strlen(addr) == n && strncasecmp(addr, name, n) == 0;
}

int config_host_allowed(const struct config *c, const char *host, const char *server_addr)
{
	/* No Host at all is HTTP/1.0 without one: no browser sends that, so
	 * it is no rebinding; absolute URLs then fall back to localhost. */
	if (!host || !*host)
		return 1;
	struct host_part h;
	if (host_split(host, strlen(host), &h) < 0)
		return 0;
	if (c->allowed_hosts)
		return host_in(c->allowed_hosts, &h);
	return host_in(CONFIG_LOOPBACK_HOSTS, &h) || host_is_addr(&h, server_addr);
}

/* MCPAUTH_ISSUER: an absolute http(s) URL with a host, no userinfo, query
 * or fragment, and nothing a header or a JSON string would need to escape:
 * clients fetch its discovery documents and compare it byte for byte. */
static int valid_issuer(const char *s)
{
	size_t skip;
	if (strncmp(s, "https://", 8) == 0)
		skip = 8;
	else if (strncmp(s, "http://", 7) == 0)
		skip = 7;
	else
		return 0;
	size_t host = strcspn(s + skip, "/");
	if (host == 0 || strlen(s) > 512)
		return 0;
	for (const unsigned char *p = (const unsigned char *)s; *p; p++)
		if (*p <= 0x20 || *p >= 0x7f || strchr("?#@\"\\<>{}|^`", *p))
			return 0;
	return 1;
}

int config_resource_ok(const struct config *c, const char *aud, const char *host, const char *server_addr,
		       int https)
{
	if (c->resource_url) {
		const char *r = c->resource_url, *scheme_end = strstr(r, "://");
		size_t o =
		    scheme_end ? strcspn(scheme_end + 3, "/") + (size_t)(scheme_end + 3 - r) : strlen(r);
		return strcmp(aud, r) == 0 || (strncmp(aud, r, o) == 0 && strcmp(aud + o, "/") == 0);
	}
	/* Never a host a request could not have been answered for (DNS rebinding). */
	if (!host || !*host || !config_host_allowed(c, host, server_addr))
		return 0;
	const char *scheme = https ? "https://" : "http://";
	size_t sn = strlen(scheme), hn = strlen(host);
	if (strncmp(aud, scheme, sn) != 0 || strncasecmp(aud + sn, host, hn) != 0)
		return 0;
	aud += sn + hn;
	return strcmp(aud, "/mcp") == 0 || strcmp(aud, "/") == 0;
}

/* The settings of Auth0 mode: where the keys come from, how often, and
 * the tenant APIs the suite calls. */
static int config_load_auth0(struct config *c, char *err, size_t errlen)
{
	const char *jwks_url = env("MCPAUTH_JWKS_URL");
	if (c->client_secret && !c->client_id) {
		snprintf(err, errlen, "AUTH0_CLIENT_SECRET is set but AUTH0_CLIENT_ID is not");
		return -1;
	}
	if (c->ca_file && access(c->ca_file, R_OK) < 0) {
		snprintf(err, errlen, "MCPAUTH_CA_FILE %s cannot be read: %s", c->ca_file, strerror(errno));
		return -1;
	}
	if (c->claim_namespace && strlen(c->claim_namespace) > 200) {
		snprintf(err, errlen, "MCPAUTH_CLAIM_NAMESPACE must be at most 200 characters");
		return -1;
	}
	if (!c->auth0_domain) {
		if (c->login_realm || jwks_url) {
			snprintf(err, errlen, "%s needs AUTH0_DOMAIN",
				 c->login_realm ? "AUTH0_LOGIN_REALM" : "MCPAUTH_JWKS_URL");
			return -1;
		}
		return 0;
	}
	if (c->login_realm && !c->client_id) {
		snprintf(err, errlen,
			 "AUTH0_LOGIN_REALM needs AUTH0_CLIENT_ID (the application the password grant is "
			 "made for)");
		return -1;
	}
	c->tenant_url = ck_asprintf("https://%s", c->auth0_domain);
	c->jwks_url = jwks_url ? ck_strdup(jwks_url) : ck_asprintf("%s/.well-known/jwks.json", c->tenant_url);
	if (!fetch_url_allowed(c->jwks_url, c->allow_insecure_localhost)) {
		snprintf(err, errlen,
			 "MCPAUTH_JWKS_URL must be an https:// URL without userinfo (http://127.0.0.1 "
			 "or http://[::1] only with MCPAUTH_ALLOW_INSECURE_LOCALHOST=1, for tests)");
		return -1;
	}
	return 0;
}

int config_origin_allowed(const struct config *c, const char *origin)
{
	/* A page trusted with the API (CORS) is trusted with its MCP form too. */
	return origin_in(c->allowed_origins, origin) || origin_in(c->cors_origins, origin);
}

int config_cors_origin_allowed(const struct config *c, const char *origin)
{
	return origin_in(c->cors_origins, origin);
}

/* A permission name, as FORMAT_PERMISSION has it: [a-z:_-], 1 to 64 bytes. */
static int valid_permissions(const char *list)
{
	const char *w;
	size_t n;
	for (const char *c = list; list_next(&c, " ", &w, &n);) {
		if (n > 64)
			return 0;
		for (size_t i = 0; i < n; i++)
			if (!strchr("abcdefghijklmnopqrstuvwxyz:_-", w[i]))
				return 0;
	}
	return 1;
}

int config_signup_allows(const struct config *c, const char *email, int *off)
{
	*off = !c->signup || strcmp(c->signup, "0") == 0;
	if (*off)
		return 0;
	if (strcmp(c->signup, "1") == 0)
		return 1;
	const char *at = email ? strrchr(email, '@') : NULL;
	if (!at)
		return 0;
	const char *d;
	size_t n;
	for (const char *l = c->signup; list_next(&l, ",", &d, &n);)
		if (strlen(at + 1) == n && strncasecmp(at + 1, d, n) == 0)
			return 1;
	return 0;
}

/* Sign-up and the mail command. */
static int config_load_accounts(struct config *c, char *err, size_t errlen)
{
	if (c->mail_command && !mail_command_ok(c->mail_command)) {
		snprintf(err, errlen,
			 "MCPAUTH_MAIL_COMMAND must be an absolute path, then arguments separated by spaces "
			 "(at most %d words; it is run without a shell)",
			 MAIL_MAX_ARGS - 2);
		return -1;
	}
	if (c->signup && strcmp(c->signup, "0") != 0 && strcmp(c->signup, "1") != 0) {
		const char *d;
		size_t n;
		for (const char *l = c->signup; list_next(&l, ",", &d, &n);) {
			struct host_part h;
			/* A dot, so that "yes" or "true" is no domain but a mistake. */
			if (host_split(d, n, &h) < 0 || h.port || d[0] == '[' || !memchr(d, '.', n)) {
				snprintf(err, errlen,
					 "MCPAUTH_SIGNUP must be 0, 1 or a comma-separated list of email "
					 "domains, each with a dot (example.com,example.org)");
				return -1;
			}
		}
	}
	int off;
	config_signup_allows(c, NULL, &off);
	if (!off && c->auth0_domain) {
		snprintf(
		    err, errlen,
		    "MCPAUTH_SIGNUP is for the local issuer: with AUTH0_DOMAIN set, users sign up at the "
		    "tenant");
		return -1;
	}
	if (!off && !c->mail_command) {
		snprintf(err, errlen,
			 "MCPAUTH_SIGNUP needs MCPAUTH_MAIL_COMMAND (new users verify their email)");
		return -1;
	}
	if (!valid_permissions(c->signup_permissions)) {
		snprintf(
		    err, errlen,
		    "MCPAUTH_SIGNUP_PERMISSIONS must be permission names separated by spaces ([a-z:_-])");
		return -1;
	}
	return 0;
}

/* CORS, the audit log, refresh tokens and login rate limits. */
static int config_load_security(struct config *c, char *err, size_t errlen)
{
	if (c->cors_origins && !valid_origins(c->cors_origins)) {
		snprintf(err, errlen,
			 "MCPAUTH_CORS_ORIGINS must be a comma-separated list of origins such as "
			 "https://app.example.com (scheme, host and port only; never *)");
		return -1;
	}
	if (strcmp(c->audit_log, "stderr") != 0 && c->audit_log[0] != '/') {
		snprintf(err, errlen, "MCPAUTH_AUDIT_LOG must be stderr or an absolute file path");
		return -1;
	}
	return 0;
}

int config_load(struct config *c, char *err, size_t errlen)
{
	memset(c, 0, sizeof *c);
	if (load_table(c, err, errlen) < 0)
		return -1;
	const char *resource = env("MCPAUTH_RESOURCE_URL");
	if (resource) {
		/* The canonical URI has no trailing slash (RFC 8707, MCP). */
		size_t n = strlen(resource);
		while (n > 0 && resource[n - 1] == '/')
			n--;
		c->resource_url = ck_strndup(resource, n);
	}

	if (c->auth0_domain && !valid_domain(c->auth0_domain)) {
		snprintf(err, errlen,
			 "AUTH0_DOMAIN must be a host name such as tenant.auth0.com (no scheme, no path)");
		return -1;
	}
	const char *iss = env("MCPAUTH_ISSUER");
	if (c->auth0_domain) {
		if (iss) {
			snprintf(err, errlen, "MCPAUTH_ISSUER cannot be set together with AUTH0_DOMAIN");
			return -1;
		}
		c->issuer = ck_asprintf("https://%s/", c->auth0_domain);
	} else {
		if (iss && !valid_issuer(iss)) {
			snprintf(
			    err, errlen,
			    "MCPAUTH_ISSUER must be an http(s) URL without query or fragment, such as "
			    "https://api.example.com (the site's own address: clients fetch its metadata)");
			return -1;
		}
		c->issuer = ck_strdup(iss ? iss : setting_named("MCPAUTH_ISSUER")->def_text);
	}
	if (c->demo_tokens && c->auth0_domain) {
		snprintf(err, errlen,
			 "MCPAUTH_DEMO_TOKENS=1 is refused with AUTH0_DOMAIN set: demo tokens exist only for "
			 "the local issuer");
		return -1;
	}
	if (c->state_dir[0] != '/') {
		snprintf(err, errlen, "MCPAUTH_STATE_DIR must be an absolute path");
		return -1;
	}
	const char *jwks = env("MCPAUTH_JWKS_FILE");
	c->jwks_file =
	    jwks ? ck_strdup(jwks)
		 : ck_asprintf(c->auth0_domain ? "%s/auth0-jwks.json" : "%s/jwks.json", c->state_dir);
	c->db_file = ck_asprintf("%s/mcpauth.db", c->state_dir);
	if (c->database_url && strncmp(c->database_url, "postgresql://", 13) != 0 &&
	    strncmp(c->database_url, "postgres://", 11) != 0) {
		snprintf(err, errlen,
			 "MCPAUTH_DATABASE_URL must be a postgresql:// URL (unset: SQLite in %s)",
			 c->state_dir);
		return -1;
	}
	c->store = c->database_url ? c->database_url : c->db_file;
	if (c->resource_url && strncmp(c->resource_url, "http://", 7) != 0 &&
	    strncmp(c->resource_url, "https://", 8) != 0) {
		snprintf(err, errlen, "MCPAUTH_RESOURCE_URL must be an absolute http(s) URL");
		return -1;
	}
	if (c->allowed_origins && !valid_origins(c->allowed_origins)) {
		snprintf(err, errlen,
			 "MCPAUTH_ALLOWED_ORIGINS must be a comma-separated list of origins such as "
			 "https://app.example.com (scheme, host and port only)");
		return -1;
	}
	if (c->allowed_hosts && !valid_hosts(c->allowed_hosts)) {
		snprintf(err, errlen,
			 "MCPAUTH_ALLOWED_HOSTS must be a comma-separated list of host names, each "
			 "with an optional port (api.example.com,localhost:3009,[::1])");
		return -1;
	}
	if (config_load_security(c, err, errlen) < 0 || config_load_accounts(c, err, errlen) < 0)
		return -1;
	return config_load_auth0(c, err, errlen);
}

void config_free(struct config *c)
{
	free(c->resource_url);
	free(c->issuer);
	free(c->jwks_file);
	free(c->db_file);
	free(c->tenant_url);
	free(c->jwks_url);
	memset(c, 0, sizeof *c);
}
