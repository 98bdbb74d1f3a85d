#include "cors.h"

#include <string.h>

/* /mcp and everything under it: the MCP endpoints, whose own Origin check
 * (DNS rebinding) also admits MCPAUTH_ALLOWED_ORIGINS. */
static int mcp_path(const char *path)
{
	return path && strncmp(path, "/mcp", 4) == 0 && (path[4] == '\0' || path[4] == '/');
}

int cors_origin_allowed(const struct config *c, const struct request *req)
{
	if (!req->origin)
		return 0;
	if (mcp_path(req->path))
		return config_origin_allowed(c, req->origin);
	return config_cors_origin_allowed(c, req->origin);
}

static int any_origin_configured(const struct config *c)
{
	return c->cors_origins != NULL || c->allowed_origins != NULL;
}

size_t cors_path_methods(const struct route_group *const *groups, size_t ngroups, const char *path, char *buf,
			 size_t n)
{
	size_t count = 0, len = 0;
	buf[0] = '\0';
	for (size_t g = 0; g < ngroups; g++) {
		for (size_t i = 0; i < groups[g]->nroutes; i++) {
			const struct route *r = &groups[g]->routes[i];
			/* A row without its handler is not served here. */
			if (!r->handler || route_match(r, path, NULL) != 1)
				continue;
			size_t m = strlen(r->method);
			/* The same method twice (two groups) is listed once. */
			int seen = 0;
			for (const char *p = buf; (p = strstr(p, r->method)); p += m)
				if ((p == buf || p[-1] == ' ') && (p[m] == ',' || p[m] == '\0'))
					seen = 1;
			if (seen || len + m + 3 > n)
				continue;
			if (len) {
				memcpy(buf + len, ", ", 2);
				len += 2;
			}
			memcpy(buf + len, r->method, m + 1);
			len += m;
			count++;
		}
	}
	return count;
}

void cors_preflight(const struct config *c, const struct route_group *const *groups, size_t ngroups,
		    const struct request *req, struct response *resp)
{
	char methods[128];
	if (!cors_path_methods(groups, ngroups, req->path, methods, sizeof methods)) {
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
