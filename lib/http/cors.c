#include "cors.h"

#include <string.h>
#include <strings.h>

/* /mcp and everything under it: the MCP endpoints, whose own Origin check
 * (DNS rebinding) also admits MCPAUTH_ALLOWED_ORIGINS and the defaults
 * below. */
static int mcp_path(const char *path)
{
	return path && strncmp(path, "/mcp", 4) == 0 && (path[4] == '\0' || path[4] == '/');
}

/* "host[:port]" (host a name, an IPv4 address or "[v6]") cut in two; the
 * port is def when absent. -1 for anything else. */
static int host_port(const char *s, size_t n, const char **host, size_t *hlen, unsigned long *port,
		     unsigned long def)
{
	size_t h = n;
	if (n > 0 && s[0] == '[') {
		const char *close = memchr(s, ']', n);
		if (!close)
			return -1;
		h = (size_t)(close - s) + 1;
	} else {
		const char *colon = memchr(s, ':', n);
		if (colon)
			h = (size_t)(colon - s);
	}
	if (h == 0)
		return -1;
	*host = s;
	*hlen = h;
	*port = def;
	if (h == n)
		return 0;
	if (s[h] != ':' || n - h < 2 || n - h > 6)
		return -1;
	unsigned long p = 0;
	for (size_t i = h + 1; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		p = p * 10 + (unsigned long)(s[i] - '0');
	}
	*port = p;
	return p > 0 && p < 65536 ? 0 : -1;
}

static int is_loopback_name(const char *h, size_t n)
{
	return (n == 9 && strncasecmp(h, "localhost", 9) == 0) ||
	       (n == 9 && memcmp(h, "127.0.0.1", 9) == 0) || (n == 5 && memcmp(h, "[::1]", 5) == 0);
}

static int is_loopback_addr(const char *a)
{
	if (!a)
		return 0;
	if (strncasecmp(a, "::ffff:", 7) == 0)
		a += 7;
	return strncmp(a, "127.", 4) == 0 || strcmp(a, "::1") == 0;
}

/* The MCP endpoints' defaults, beside the configured lists: the server's
 * own origin (the request's scheme, and its Host, which passed the Host
 * allow-list before any route ran), and, unless MCPAUTH_ALLOWED_ORIGINS
 * says otherwise, any loopback origin of a request that arrived on a
 * loopback address: a DNS-rebinding page has neither. */
static int origin_is_default(const struct config *c, const struct request *req)
{
	const char *o = req->origin, *oh, *hh;
	size_t ohl, hhl;
	unsigned long op, hp;
	int https = strncmp(o, "https://", 8) == 0;
	if (!https && strncmp(o, "http://", 7) != 0)
		return 0;
	o += https ? 8 : 7;
	unsigned long def = https ? 443 : 80;
	if (host_port(o, strlen(o), &oh, &ohl, &op, def) < 0)
		return 0;
	if (!c->allowed_origins && is_loopback_addr(req->server_addr) && is_loopback_name(oh, ohl))
		return 1;
	if (!req->host || https != (req->https != 0) ||
	    host_port(req->host, strlen(req->host), &hh, &hhl, &hp, def) < 0)
		return 0;
	return ohl == hhl && strncasecmp(oh, hh, ohl) == 0 && op == hp;
}

int cors_origin_allowed(const struct config *c, const struct request *req)
{
	if (!req->origin)
		return 0;
	if (mcp_path(req->path))
		return config_origin_allowed(c, req->origin) || origin_is_default(c, req);
	return config_cors_origin_allowed(c, req->origin);
}

static int any_origin_configured(const struct config *c)
{
	return c->cors_origins != NULL || c->allowed_origins != NULL;
}

void cors_preflight(const struct config *c, const struct route_group *const *groups, size_t ngroups,
		    const struct request *req, struct response *resp)
{
	char methods[128];
	if (!route_path_methods(groups, ngroups, req->path, methods, sizeof methods)) {
		response_error(resp, 404, "Not found", "No route matches this path");
		cors_decorate(c, req, resp);
		return;
	}
	if (any_origin_configured(c))
		response_header(resp, "Vary", "Origin");
	if (!req->origin) {
		/* Not a browser's preflight: say what the path takes. */
		response_header(resp, "Allow", "%s, OPTIONS", methods);
		response_json(resp, 204, NULL);
		return;
	}
	if (!cors_origin_allowed(c, req)) {
		response_error(resp, 403, "Origin not allowed",
			       "This Origin may not call this API from a browser");
		return;
	}
	response_header(resp, "Access-Control-Allow-Origin", "%s", req->origin);
	response_header(resp, "Access-Control-Allow-Methods", "%s", methods);
	response_header(resp, "Access-Control-Allow-Headers", CORS_ALLOW_HEADERS);
	response_header(resp, "Access-Control-Max-Age", "%d", CORS_MAX_AGE);
	response_header(resp, "Vary", "Origin");
	response_json(resp, 204, NULL);
}

void cors_decorate(const struct config *c, const struct request *req, struct response *resp)
{
	if (any_origin_configured(c))
		response_header(resp, "Vary", "Origin");
	if (!cors_origin_allowed(c, req))
		return;
	response_header(resp, "Access-Control-Allow-Origin", "%s", req->origin);
	response_header(resp, "Access-Control-Expose-Headers", CORS_EXPOSE_HEADERS);
	response_header(resp, "Vary", "Origin");
}
