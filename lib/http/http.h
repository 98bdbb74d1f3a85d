/* http: the request and response that handlers see. Nothing here knows
 * FastCGI; lib/http/fcgi.c converts both ways, and the mcp program builds
 * requests from tool calls. */
#ifndef MCPAUTH_HTTP_H
#define MCPAUTH_HTTP_H

#include <json-c/json.h>
#include <stddef.h>

#define HTTP_MAX_BODY (64 * 1024)
#define HTTP_MAX_PARAMS 4
#define HTTP_MAX_HEADERS 12

struct route;
struct principal; /* lib/auth/token.h */
struct app;	  /* lib/auth/context.h */

struct http_param {
	const char *name; /* points into the route pattern */
	size_t name_len;
	char *value; /* URL-decoded, owned */
};

struct request {
	const char *method;
	char *path;  /* raw path, no query; owned */
	char *query; /* raw query string without '?', or ""; owned */
	struct http_param params[HTTP_MAX_PARAMS];
	size_t nparams;
	const char *body_raw; /* the body as received, may be NULL */
	size_t body_len;
	json_object *body;   /* parsed JSON body, or NULL; owned */
	int body_invalid;    /* a body was sent and is not JSON */
	json_object *fields; /* the route's fields, checked (lib/http/field.h); owned */
	const char *authorization;
	const char *remote_addr;
	const char *host;	 /* Host header, for absolute URLs */
	const char *server_addr; /* SERVER_ADDR: the address the request arrived on */
	int https;
	int via_mcp; /* built by a tool call (lib/mcp/tool.c): the MCP endpoint's */
	const char *content_type, *accept, *origin, *protocol_version;
	const char *mcp_method, *mcp_name; /* Mcp-Method, Mcp-Name (MCP 2026-07-28) */
	const char *cookie;		   /* Cookie header, may be NULL (the authorization pages' session) */
	const struct route *route;
	/* The program's context, set by the orchestrator (lib/app.c) before
	 * any step runs: what handlers and the guard read, not a global. */
	const struct app *app;
	/* The guard's, once a token passed (lib/auth/guard.h); NULL until
	 * then. A tool call's request borrows its caller's. The orchestrator
	 * frees the one its guard set. */
	struct principal *principal;
};

/* What a helper that may answer the request returns (as lighttpd's
 * handler_t): HTTP_ANSWERED when it filled the response and the caller
 * stops, HTTP_GO_ON otherwise. Never an int of either polarity. */
enum http_flow {
	HTTP_GO_ON = 0,
	HTTP_ANSWERED,
};

struct http_header {
	char *name, *value;
};

struct response {
	int status;
	struct http_header headers[HTTP_MAX_HEADERS];
	size_t nheaders;
	json_object *body;     /* owned; NULL means no body */
	char *text;	       /* owned: a body that is not JSON (the HTML pages), or NULL */
	const char *text_type; /* its Content-Type */
};

/* Serves one request: fills resp. What an adapter (lib/http/fcgi.c,
 * cgi.c) is handed to serve with, and a tool call (lib/mcp/tool.c) runs
 * its request through: both sit below the orchestrator that provides it. */
struct http_handler {
	void (*serve)(void *ctx, struct request *req, struct response *resp);
	void *ctx;
};

/* Parses a request body: one JSON value, trailing whitespace allowed, UTF-8
 * checked, depth limited, no duplicate member names, no \u0000. NULL when
 * it is anything else. */
json_object *http_body_parse(const char *text, size_t len);

void request_free(struct request *req);
const char *request_param(const struct request *req, const char *name);
/* A query parameter, URL-decoded, or NULL. Caller frees. */
char *request_query(const struct request *req, const char *name);

void response_init(struct response *resp);
void response_free(struct response *resp);
/* Sets a header, replacing one of the same name. CR and LF are refused. */
void response_header(struct response *resp, const char *name, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* The same with a value already made (malloc'd; taken over, freed on refusal). */
void response_header_take(struct response *resp, const char *name, char *value);
const char *response_get_header(const struct response *resp, const char *name);
/* Takes ownership of body. */
void response_json(struct response *resp, int status, json_object *body);
/* A body that is not JSON (text, owned from now on) of the given type. */
void response_text(struct response *resp, int status, const char *type, char *text);
/* {"error":error,"message":message}; returns the body for extra fields. */
json_object *response_error(struct response *resp, int status, const char *error, const char *message);

const char *http_reason(int status);
/* 1 when a Content-Type value names application/json (parameters such as
 * charset allowed), 0 for any other type or none. */
int http_content_type_is_json(const char *content_type);
/* 1 when an Accept value is absent or allows application/json (that type,
 * application/ * or * / * with a q above 0). */
int http_accepts_json(const char *accept);

/* JSON-RPC 2.0's error code for a request the transport refuses (Origin,
 * media types): the MCP endpoint's refusals. */
#define HTTP_RPC_REFUSED (-32000)
/* A JSON-RPC 2.0 answer, {"jsonrpc":"2.0","id":id,key:value}, with
 * Cache-Control: no-store. id is not taken; NULL leaves "id" out (MCP: an
 * error to a request whose id could not be read has none); value is taken. */
void response_jsonrpc(struct response *resp, int status, json_object *id, const char *key,
		      json_object *value);
/* Its error form: {"code":code,"message":message,"data":data}. Takes data (may be NULL). */
void response_jsonrpc_error(struct response *resp, int status, json_object *id, int code, const char *message,
			    json_object *data);

/* json-c helpers used everywhere. */
const char *json_get_string(json_object *o, const char *key);
json_object *json_string_or_null(const char *s);
/* A JSON array of the words of a space-separated list. */
json_object *json_word_array(const char *words);
/* Serializes plainly, without escaping '/'. */
const char *json_text(json_object *o);

#endif
