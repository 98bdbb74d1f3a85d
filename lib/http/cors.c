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
