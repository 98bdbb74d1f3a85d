#include "fetch.h"
#include "util.h"

#include <arpa/inet.h>
#include <curl/curl.h>
#include <netinet/in.h>
#include <ctype.h>
#include <dlfcn.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* A connection that cannot be made in this time will not be made in the
 * rest of the budget either. */
#define CONNECT_TIMEOUT_MAX_MS 3000L
#define RETRY_AFTER_MAX 3600L

/* libcurl is loaded when it is first needed (Auth0 mode), not linked: a
 * program of the local issuer never maps it nor the libraries it pulls in
 * (TLS, Kerberos, LDAP, SSH...), whose memory every process would carry
 * (bench/RESULTS.md, "Measurements behind design choices"), and none of
 * their start-up code runs. */
#ifndef MCPAUTH_LIBCURL
#define MCPAUTH_LIBCURL "libcurl.so.4"
#endif

static struct {
	CURLcode (*global_init)(long);
	void (*global_cleanup)(void);
	CURL *(*easy_init)(void);
	void (*easy_cleanup)(CURL *);
	void (*easy_reset)(CURL *);
	CURLcode (*easy_setopt)(CURL *, CURLoption, ...);
	CURLcode (*easy_perform)(CURL *);
	CURLcode (*easy_getinfo)(CURL *, CURLINFO, ...);
	const char *(*easy_strerror)(CURLcode);
	struct curl_slist *(*slist_append)(struct curl_slist *, const char *);
	void (*slist_free_all)(struct curl_slist *);
	time_t (*getdate)(const char *, const time_t *);
} cu;
static void *libcurl;
static char load_error[200];

/* 0 when libcurl's functions are at hand. */
static int load(void)
{
	if (libcurl)
		return 0;
	void *h = dlopen(MCPAUTH_LIBCURL, RTLD_NOW | RTLD_LOCAL);
	if (!h) {
		snprintf(load_error, sizeof load_error, "%s", dlerror());
		return -1;
	}
	struct {
		const char *name;
		void **fn;
	} syms[] = {
	    {"curl_global_init", (void **)&cu.global_init},
	    {"curl_global_cleanup", (void **)&cu.global_cleanup},
	    {"curl_easy_init", (void **)&cu.easy_init},
	    {"curl_easy_cleanup", (void **)&cu.easy_cleanup},
	    {"curl_easy_reset", (void **)&cu.easy_reset},
	    {"curl_easy_setopt", (void **)&cu.easy_setopt},
	    {"curl_easy_perform", (void **)&cu.easy_perform},
	    {"curl_easy_getinfo", (void **)&cu.easy_getinfo},
	    {"curl_easy_strerror", (void **)&cu.easy_strerror},
	    {"curl_slist_append", (void **)&cu.slist_append},
	    {"curl_slist_free_all", (void **)&cu.slist_free_all},
	    {"curl_getdate", (void **)&cu.getdate},
	};
	for (size_t i = 0; i < sizeof syms / sizeof syms[0]; i++)
		if (!(*syms[i].fn = dlsym(h, syms[i].name))) {
			snprintf(load_error, sizeof load_error, "%s has no %s", MCPAUTH_LIBCURL,
				 syms[i].name);
			dlclose(h);
			memset(&cu, 0, sizeof cu);
			return -1;
		}
	libcurl = h;
	return 0;
}

static CURL *handle;
static int initialized;

int fetch_init(void)
{
	if (initialized)
		return 0;
	if (load() < 0)
		return -1;
	if (cu.global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
		snprintf(load_error, sizeof load_error, "curl_global_init failed");
		return -1;
	}
	initialized = 1;
	return 0;
}

const char *fetch_init_error(void)
{
	return load_error;
}

void fetch_cleanup(void)
{
	if (handle)
		cu.easy_cleanup(handle);
	handle = NULL;
	if (initialized)
		cu.global_cleanup();
	initialized = 0;
}

/* A host name or IPv4 address: letters, digits, '-' and '.', at most 253. */
static int host_name_ok(const char *h, size_t n)
{
	if (n == 0 || n > 253)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (!isalnum((unsigned char)h[i]) && h[i] != '-' && h[i] != '.')
			return 0;
	return 1;
}

/* An IPv6 literal in brackets: hex digits, ':' and '.' (a zone id is refused). */
static int host_ipv6_ok(const char *h, size_t n)
{
	if (n < 4 || h[0] != '[' || h[n - 1] != ']')
		return 0;
	for (size_t i = 1; i < n - 1; i++)
		if (!isxdigit((unsigned char)h[i]) && h[i] != ':' && h[i] != '.')
			return 0;
	return 1;
}

int fetch_url_parse(const char *url, struct fetch_url *u)
{
	memset(u, 0, sizeof *u);
	for (const char *p = url; *p; p++)
		/* Controls, spaces and backslashes (which some parsers read as '/'). */
		if ((unsigned char)*p <= ' ' || *p == 0x7f || *p == '\\')
			return -1;
	const char *rest;
	if (strncmp(url, "https://", 8) == 0) {
		u->https = 1;
		rest = url + 8;
	} else if (strncmp(url, "http://", 7) == 0) {
		rest = url + 7;
	} else {
		return -1;
	}
	size_t alen = strcspn(rest, "/?#");
	if (rest[alen] == '#')
		return -1;
	/* userinfo: "http://127.0.0.1:80@evil.example/" is evil.example. */
	if (memchr(rest, '@', alen))
		return -1;
	const char *host = rest, *end = rest + alen, *colon;
	if (*host == '[') {
		const char *close = memchr(host, ']', alen);
		if (!close)
			return -1;
		colon = close + 1 < end ? close + 1 : NULL;
		if (colon && *colon != ':')
			return -1;
	} else {
		colon = memchr(host, ':', alen);
	}
	size_t hlen = (size_t)((colon ? colon : end) - host);
	if (!(host[0] == '[' ? host_ipv6_ok(host, hlen) : host_name_ok(host, hlen)))
		return -1;
	if (colon) {
		long port = 0;
		const char *d = colon + 1;
		if (d == end || end - d > 5)
			return -1;
		for (; d < end; d++) {
			if (!isdigit((unsigned char)*d))
				return -1;
			port = port * 10 + (*d - '0');
		}
		if (port < 1 || port > 65535)
			return -1;
		u->port = port;
	}
	snprintf(u->host, sizeof u->host, "%.*s", (int)hlen, host);
	return 0;
}

int fetch_url_allowed(const char *url, int allow_insecure_localhost)
{
	struct fetch_url u;
	if (fetch_url_parse(url, &u) < 0)
		return 0;
	if (u.https)
		return 1;
	/* Plain http: a loopback literal only, never a name a resolver could re-point. */
	return allow_insecure_localhost && (strcmp(u.host, "127.0.0.1") == 0 || strcmp(u.host, "[::1]") == 0);
}

long fetch_parse_retry_after(const char *value, time_t now)
{
	if (!value)
		return -1;
	while (*value == ' ' || *value == '\t')
		value++;
	if (isdigit((unsigned char)*value)) {
		char *end;
		errno = 0;
		long n = strtol(value, &end, 10);
		while (*end == ' ' || *end == '\t')
			end++;
		if (errno || *end)
			return -1;
		return n > RETRY_AFTER_MAX ? RETRY_AFTER_MAX : n;
	}
	if (load() < 0)
		return -1;
	time_t t = cu.getdate(value, NULL);
	if (t < 0)
		return -1;
	if (t <= now)
		return 0;
	return t - now > RETRY_AFTER_MAX ? RETRY_AFTER_MAX : (long)(t - now);
}

/* IPv4 in host order: 1 when public. */
static int ipv4_public(uint32_t a)
{
	static const struct {
		uint32_t net, mask;
	} refused[] = {
	    {0x00000000, 0xff000000}, /* 0/8: this network, unspecified */
	    {0x0a000000, 0xff000000}, /* 10/8 */
	    {0x64400000, 0xffc00000}, /* 100.64/10: CGNAT */
	    {0x7f000000, 0xff000000}, /* 127/8 */
	    {0xa9fe0000, 0xffff0000}, /* 169.254/16: link-local, cloud metadata */
	    {0xac100000, 0xfff00000}, /* 172.16/12 */
	    {0xc0000000, 0xffffff00}, /* 192.0.0/24: IETF protocol assignments */
	    {0xc0a80000, 0xffff0000}, /* 192.168/16 */
	    {0xc6120000, 0xfffe0000}, /* 198.18/15: benchmarking */
	    {0xe0000000, 0xf0000000}, /* 224/4: multicast */
	    {0xf0000000, 0xf0000000}, /* 240/4: reserved, broadcast */
	};
	for (size_t i = 0; i < sizeof refused / sizeof refused[0]; i++)
		if ((a & refused[i].mask) == refused[i].net)
			return 0;
	return 1;
}

static uint32_t ipv4_at(const unsigned char *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static int ipv6_public(const unsigned char *a)
{
	static const unsigned char mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
	static const unsigned char nat64[12] = {0, 0x64, 0xff, 0x9b, 0, 0, 0, 0, 0, 0, 0, 0};
	static const unsigned char zero[12] = {0};
	if (memcmp(a, mapped, 12) == 0 || memcmp(a, nat64, 12) == 0)
		return ipv4_public(ipv4_at(a + 12));
	if (memcmp(a, zero, 12) == 0) /* ::, ::1 and the IPv4-compatible ::a.b.c.d */
		return 0;
	if (a[0] == 0x20 && a[1] == 0x02) /* 6to4: 2002:a.b.c.d::/48 */
		return ipv4_public(ipv4_at(a + 2));
	if ((a[0] & 0xfe) == 0xfc) /* fc00::/7: unique local */
		return 0;
	if (a[0] == 0xfe && (a[1] & 0xc0) == 0x80) /* fe80::/10: link-local */
		return 0;
	if (a[0] == 0xfe && (a[1] & 0xc0) == 0xc0) /* fec0::/10: site-local */
		return 0;
	return a[0] != 0xff; /* ff00::/8: multicast */
}

int fetch_addr_public(const struct sockaddr *sa)
{
	if (sa->sa_family == AF_INET) {
		const struct sockaddr_in *in = (const struct sockaddr_in *)sa;
		return ipv4_public(ntohl(in->sin_addr.s_addr));
	}
	if (sa->sa_family == AF_INET6)
		return ipv6_public(((const struct sockaddr_in6 *)sa)->sin6_addr.s6_addr);
	return 0;
}

/* The cloud metadata addresses, refused even when private ones are allowed. */
static int addr_is_metadata(const struct sockaddr *sa)
{
	/* fd00:ec2::254 */
	static const unsigned char aws6[16] = {0xfd, 0, 0x0e, 0xc2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x02, 0x54};
	if (sa->sa_family == AF_INET)
		return ntohl(((const struct sockaddr_in *)sa)->sin_addr.s_addr) == 0xa9fea9fe;
	if (sa->sa_family == AF_INET6)
		return memcmp(((const struct sockaddr_in6 *)sa)->sin6_addr.s6_addr, aws6, 16) == 0;
	return 0;
}

struct guard {
	int public_only;
	int refused;
	char addr[INET6_ADDRSTRLEN];
};

/* libcurl's open-socket callback: the address it is about to connect to. */
static curl_socket_t open_socket(void *arg, curlsocktype purpose, struct curl_sockaddr *a)
{
	struct guard *g = arg;
	const struct sockaddr *sa = &a->addr;
	if (purpose == CURLSOCKTYPE_IPCXN &&
	    (addr_is_metadata(sa) || (g->public_only && !fetch_addr_public(sa)))) {
		const void *bytes = sa->sa_family == AF_INET6
					? (const void *)&((const struct sockaddr_in6 *)sa)->sin6_addr
					: (const void *)&((const struct sockaddr_in *)sa)->sin_addr;
		if (!inet_ntop(sa->sa_family, bytes, g->addr, sizeof g->addr))
			snprintf(g->addr, sizeof g->addr, "?");
		g->refused = 1;
		return CURL_SOCKET_BAD;
	}
	return socket(a->family, a->socktype, a->protocol);
}

struct sink {
	struct fetch_result *r;
	size_t max;
	int over;
};

static size_t on_body(char *data, size_t size, size_t n, void *arg)
{
	struct sink *s = arg;
	size_t len = size * n;
	if (s->r->len + len > s->max) {
		s->over = 1;
		return 0; /* makes curl stop with CURLE_WRITE_ERROR */
	}
	s->r->body = ck_realloc(s->r->body, s->r->len + len + 1);
	memcpy(s->r->body + s->r->len, data, len);
	s->r->len += len;
	s->r->body[s->r->len] = '\0';
	return len;
}

/* Header line "Name: value\r\n": returns the value (trimmed) if name matches. */
static char *header_value(const char *line, size_t len, const char *name)
{
	size_t nlen = strlen(name);
	if (len <= nlen + 1 || strncasecmp(line, name, nlen) != 0 || line[nlen] != ':')
		return NULL;
	const char *v = line + nlen + 1, *end = line + len;
	while (v < end && (*v == ' ' || *v == '\t'))
		v++;
	while (end > v && (end[-1] == '\r' || end[-1] == '\n' || end[-1] == ' '))
		end--;
	return ck_strndup(v, (size_t)(end - v));
}

/* max-age of a Cache-Control value: 0 with no-store or no-cache, -1 without. */
static long cache_max_age(const char *v)
{
	long age = -1;
	const char *p;
	size_t n;
	for (const char *c = v; list_next(&c, ",", &p, &n);) {
		if ((n >= 8 && strncasecmp(p, "no-store", 8) == 0) ||
		    (n >= 8 && strncasecmp(p, "no-cache", 8) == 0))
			return 0;
		if (n > 8 && strncasecmp(p, "max-age=", 8) == 0 && isdigit((unsigned char)p[8])) {
			errno = 0;
			long a = strtol(p + 8, NULL, 10);
			age = errno ? 86400L * 365 : a;
		}
	}
	return age;
}

struct head {
	struct fetch_result *r;
	long reset; /* X-RateLimit-Reset: epoch seconds, when no Retry-After */
};

static size_t on_header(char *line, size_t size, size_t n, void *arg)
{
	struct head *h = arg;
	size_t len = size * n;
	char *v;
	if ((v = header_value(line, len, "Retry-After"))) {
		h->r->retry_after = fetch_parse_retry_after(v, time(NULL));
		free(v);
	} else if ((v = header_value(line, len, "Content-Type"))) {
		snprintf(h->r->content_type, sizeof h->r->content_type, "%s", v);
		free(v);
	} else if ((v = header_value(line, len, "Cache-Control"))) {
		h->r->max_age = cache_max_age(v);
		free(v);
	} else if ((v = header_value(line, len, "X-RateLimit-Reset"))) {
		char *end;
		long t = strtol(v, &end, 10);
		if (*v && !*end)
			h->reset = t;
		free(v);
	}
	return len;
}

static int perform(const struct fetch_opts *o, const char *url, const char *bearer, const char *form,
		   size_t max, struct fetch_result *r)
{
	memset(r, 0, sizeof *r);
	r->retry_after = -1;
	r->max_age = -1;
	if (!fetch_url_allowed(url, o->allow_insecure_localhost)) {
		snprintf(r->error, sizeof r->error,
			 "URL refused: only https (or http://127.0.0.1 or http://[::1] when allowed), no "
			 "userinfo");
		return -1;
	}
	if (!initialized) {
		snprintf(r->error, sizeof r->error, "fetch_init was not called");
		return -1;
	}
	if (!handle && !(handle = cu.easy_init())) {
		snprintf(r->error, sizeof r->error, "curl_easy_init failed");
		return -1;
	}
	cu.easy_reset(handle); /* options go, open connections stay */
	struct sink sink = {r, max, 0};
	struct head head = {r, -1};
	struct guard guard = {o->public_only, 0, ""};
	char errbuf[CURL_ERROR_SIZE] = "";
	struct curl_slist *hdrs = NULL;
	char *auth = NULL;
	long timeout_ms = o->timeout * 1000;
	CURL *c = handle;
	cu.easy_setopt(c, CURLOPT_URL, url);
	cu.easy_setopt(c, CURLOPT_PROTOCOLS_STR, o->allow_insecure_localhost ? "https,http" : "https");
	cu.easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);
	cu.easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 1L);
	cu.easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 2L);
	if (o->ca_file)
		cu.easy_setopt(c, CURLOPT_CAINFO, o->ca_file);
	cu.easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	cu.easy_setopt(c, CURLOPT_TIMEOUT_MS, timeout_ms);
	cu.easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS,
		       timeout_ms < CONNECT_TIMEOUT_MAX_MS ? timeout_ms : CONNECT_TIMEOUT_MAX_MS);
	cu.easy_setopt(c, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)max);
	cu.easy_setopt(c, CURLOPT_USERAGENT, "mcpauth/" PACKAGE_VERSION);
	cu.easy_setopt(c, CURLOPT_ERRORBUFFER, errbuf);
	cu.easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
	cu.easy_setopt(c, CURLOPT_WRITEDATA, &sink);
	cu.easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
	cu.easy_setopt(c, CURLOPT_HEADERDATA, &head);
	hdrs = cu.slist_append(hdrs, "Accept: application/json");
	if (bearer) {
		auth = ck_asprintf("Authorization: Bearer %s", bearer);
		hdrs = cu.slist_append(hdrs, auth);
	}
	if (form) {
		cu.easy_setopt(c, CURLOPT_POSTFIELDS, form);
		hdrs = cu.slist_append(hdrs, "Content-Type: application/x-www-form-urlencoded");
	}
	cu.easy_setopt(c, CURLOPT_OPENSOCKETFUNCTION, open_socket);
	cu.easy_setopt(c, CURLOPT_OPENSOCKETDATA, &guard);
	if (o->public_only) {
		/* A proxy would be the address checked; a kept connection was
		 * checked for another fetch. */
		cu.easy_setopt(c, CURLOPT_PROXY, "");
		cu.easy_setopt(c, CURLOPT_FRESH_CONNECT, 1L);
		cu.easy_setopt(c, CURLOPT_FORBID_REUSE, 1L);
	}
	cu.easy_setopt(c, CURLOPT_HTTPHEADER, hdrs);
	CURLcode rc = cu.easy_perform(c);
	cu.easy_setopt(c, CURLOPT_HTTPHEADER, NULL);
	cu.easy_setopt(c, CURLOPT_POSTFIELDS, NULL);
	cu.easy_setopt(c, CURLOPT_ERRORBUFFER, NULL);
	cu.slist_free_all(hdrs);
	if (auth)
		secure_free(auth, strlen(auth));
	if (rc != CURLE_OK) {
		if (sink.over || rc == CURLE_FILESIZE_EXCEEDED) {
			snprintf(r->error, sizeof r->error, "answer larger than %zu bytes", max);
			r->too_large = 1;
		} else if (guard.refused) {
			snprintf(r->error, sizeof r->error, "address %s is not public", guard.addr);
			r->refused_addr = 1;
		} else {
			snprintf(r->error, sizeof r->error, "%s", errbuf[0] ? errbuf : cu.easy_strerror(rc));
		}
		if (r->body)
			secure_free(r->body, r->len);
		r->body = NULL;
		r->len = 0;
		return -1;
	}
	r->reached = 1;
	cu.easy_getinfo(c, CURLINFO_RESPONSE_CODE, &r->status);
	if (!r->body)
		r->body = ck_strdup("");
	if (r->retry_after < 0 && head.reset > 0) {
		time_t now = time(NULL);
		long wait = head.reset > now ? (long)(head.reset - now) : 0;
		r->retry_after = wait > RETRY_AFTER_MAX ? RETRY_AFTER_MAX : wait;
	}
	return 0;
}

int fetch_get(const struct fetch_opts *o, const char *url, const char *bearer, size_t max,
	      struct fetch_result *r)
{
	return perform(o, url, bearer, NULL, max, r);
}

int fetch_post_form(const struct fetch_opts *o, const char *url, const char *form, size_t max,
		    struct fetch_result *r)
{
	return perform(o, url, NULL, form, max, r);
}

void fetch_result_free(struct fetch_result *r)
{
	if (r->body)
		secure_free(r->body, r->len);
	memset(r, 0, sizeof *r);
}
