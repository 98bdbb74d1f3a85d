/* fetch: the suite's HTTP client (libcurl) for talking to an Auth0
 * tenant: HTTPS only with certificate verification, no redirects, bounded
 * time and size. One handle per process, reused so connections stay open. */
#ifndef MCPAUTH_FETCH_H
#define MCPAUTH_FETCH_H

#include <stddef.h>
#include <time.h>

struct fetch_opts {
	const char *ca_file;	      /* CA bundle used instead of the system's, or NULL */
	long timeout;		      /* seconds for the whole exchange */
	int allow_insecure_localhost; /* plain http to 127.0.0.1 is allowed */
};

struct fetch_result {
	int reached; /* 0: no HTTP answer (DNS, connect, TLS, timeout, size cap) */
	long status; /* HTTP status when reached */
	char *body;  /* NUL-terminated; may hold a token: wiped on free */
	size_t len;
	long retry_after; /* seconds from Retry-After or X-RateLimit-Reset, or -1 */
	char error[256];  /* why it failed, for logs; never holds a secret */
};

/* Once per process, before any fetch: loads libcurl (dlopen) and
 * initializes it. On -1, fetch_init_error says why. */
int fetch_init(void);
const char *fetch_init_error(void);
void fetch_cleanup(void);

/* An absolute http(s) URL taken apart the strict way: lowercase scheme,
 * no userinfo, a host name, IPv4 or [IPv6] literal, an optional port
 * (1-65535), then nothing or '/' or '?'; no control, space or backslash
 * anywhere. Returns 0, or -1 for anything else. */
struct fetch_url {
	int https;
	char host[256]; /* as written; IPv6 with its brackets */
	long port;	/* 0: none given */
};
int fetch_url_parse(const char *url, struct fetch_url *u);

/* 1 when url may be fetched: https://, or http:// to the loopback literal
 * 127.0.0.1 or [::1] (any port) with allow_insecure_localhost. */
int fetch_url_allowed(const char *url, int allow_insecure_localhost);

/* GET url; bearer (may be NULL) goes into Authorization. Answers longer
 * than max bytes are cut off and reported unreached. Returns 0 when an
 * HTTP answer came (any status), -1 otherwise; r is filled either way and
 * must be freed. */
int fetch_get(const struct fetch_opts *o, const char *url, const char *bearer, size_t max,
	      struct fetch_result *r);
/* POST an application/x-www-form-urlencoded body. */
int fetch_post_form(const struct fetch_opts *o, const char *url, const char *form, size_t max,
		    struct fetch_result *r);
void fetch_result_free(struct fetch_result *r);

/* Seconds to wait from a Retry-After value (delta seconds or an HTTP
 * date) at time now; -1 when unusable. */
long fetch_parse_retry_after(const char *value, time_t now);

#endif
