/* The mcp group's routes, one ROUTE row each (cgi-bin/routes.h says what a
 * row holds and who includes it). No include guard: included once per
 * table, with ROUTE defined. It runs every group's routes, login included
 * (POST /mcp/invoke with POST_/auth/login): it signs, so it loads the
 * private key. Its own routes are not tools. */
#define MCP_GROUP_FLAGS (GROUP_SIGNS | GROUP_NO_TOOLS)

ROUTE("GET", "/mcp/tools", ROUTE_PUBLIC, NULL, "Every route as an MCP tool (Express-MCP style)", NULL,
      tools_get, 0)
ROUTE("POST", "/mcp/invoke", ROUTE_PUBLIC, NULL,
      "Run a tool with the caller's own token; answers the route's status and body", &invoke_fields,
      invoke_post, ROUTE_CHECKS_TOKEN | ROUTE_ORIGIN_CHECKED)
/* GET and DELETE /mcp get the dispatcher's 405 with Allow: POST: no SSE
 * stream, no session to end. */
ROUTE("POST", "/mcp", ROUTE_PUBLIC, NULL, "MCP Streamable HTTP endpoint (JSON-RPC 2.0)", NULL, mcp_post,
      ROUTE_RAW_BODY | ROUTE_CHECKS_TOKEN | ROUTE_ORIGIN_CHECKED | ROUTE_JSON_ONLY | ROUTE_ACCEPT_JSON |
	  ROUTE_JSONRPC)
