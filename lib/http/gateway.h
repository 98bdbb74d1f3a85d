/* gateway: the CGI/1.1 side of a request, shared by the FastCGI adapter
 * (lib/http/fcgi.c) and plain CGI: which parameters a request reads, how they
 * and the body become a struct request, and how a response becomes CGI
 * output (Status line, headers, JSON body). */
#ifndef MCPAUTH_GATEWAY_H
#define MCPAUTH_GATEWAY_H

#include <stddef.h>

#include "http.h"
#include "util.h"

/* The parameters a request reads; every other one is skipped. */
enum gateway_param {
	GW_METHOD,
	GW_URI,
	GW_AUTHORIZATION,
	GW_REMOTE_ADDR,
	GW_HOST,
	GW_HTTPS,
	GW_CONTENT_TYPE,
	GW_ACCEPT,
	GW_ORIGIN,
	GW_PROTOCOL_VERSION,
	GW_CONTENT_LENGTH,
	GW_SERVER_ADDR,
	GW_COOKIE,
	GW_MCP_METHOD,
	GW_MCP_NAME,
	GW_COUNT
};

struct gateway_name {
	const char *name;
	size_t len;
};
/* Their CGI names ("REQUEST_METHOD", "HTTP_AUTHORIZATION", ...). */
extern const struct gateway_name gateway_names[GW_COUNT];

/* CONTENT_LENGTH as a number, or -1 when absent or not digits alone. */
long gateway_content_length(const char *cl);

/* Fills req from the parameters (NULL when absent; borrowed, they must
 * outlive req) and the body (n bytes at body, NUL-terminated at body[n],
 * or none when n is 0): path and query split, body parsed as JSON. */
void gateway_request(struct request *req, const char *const param[GW_COUNT], const char *body, size_t n);

/* Appends the response as CGI output to out: Status, Content-Type,
 * Content-Length and the route's headers, a blank line, the JSON body and
 * a newline (or the text body as it is). Appended, not printed: printf would cost more than the rest. */
void gateway_response_text(struct sbuf *out, const struct response *resp);

#endif
