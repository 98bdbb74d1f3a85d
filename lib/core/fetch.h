/* fetch: the suite's HTTP client (libcurl) for talking to an Auth0
 * tenant: HTTPS only with certificate verification, no redirects, bounded
 * time and size. One handle per process, reused so connections stay open. */
#ifndef MCPAUTH_FETCH_H
#define MCPAUTH_FETCH_H

#include <stddef.h>
#include <sys/socket.h>
#include <time.h>

struct fetch_opts {
	const char *ca_file;	      /* CA bundle used instead of the system's, or NULL */
	long timeout;		      /* seconds for the whole exchange */
	int allow_insecure_localhost; /* plain http to 127.0.0.1 is allowed */
	int public_only;	      /* the SSRF guard: connect only to public addresses (below) */
	int allow_private;	      /* MCPAUTH_CLIENT_DOCUMENT_ALLOW_PRIVATE: client documents may be on
					 private addresses (tests); read by oauthclient, not here */
};

struct fetch_result {
	int reached; /* 0: no HTTP answer (DNS, connect, TLS, timeout, size cap) */
	long status; /* HTTP status when reached */
	char *body;  /* NUL-terminated; may hold a token: wiped on free */
	size_t len;
	long retry_after;	/* seconds from Retry-After or X-RateLimit-Reset, or -1 */
	char error[256];	/* why it failed, for logs; never holds a secret */
	int too_large;		/* unreached because the answer was over max */
	int refused_addr;	/* unreached because the guard refused every address */
	char content_type[128]; /* the answer's Content-Type, or "" */
	long max_age;		/* Cache-Control max-age, seconds: 0 for no-store or no-cache, -1 none */
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

/* 1 when a connection to sa may be made under public_only: not loopback,
 * private (RFC 1918, fc00::/7), link-local (169.254/16, fe80::/10),
 * unspecified, "this network" (0/8), CGNAT (100.64/10), multicast,
 * reserved (240/4), benchmarking (198.18/15), IETF (192.0.0/24), nor an
 * IPv4-mapped, IPv4-compatible, NAT64 or 6to4 form of one. */
int fetch_addr_public(const struct sockaddr *sa);

/* GET url; bearer (may be NULL) goes into Authorization. With
 * o->public_only the name is resolved once by libcurl and every address
 * it is about to connect to is checked with fetch_addr_public in its
 * open-socket callback: the address checked is the address connected to
 * (no DNS rebinding between check and connect); no proxy, no reused
 * connection. The cloud metadata addresses (169.254.169.254,
 * fd00:ec2::254) are refused always. Answers longer than max bytes are
 * cut off and reported unreached. Returns 0 when an
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
