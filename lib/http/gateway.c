#include "gateway.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define NAME(s)                                                                                              \
	{                                                                                                    \
		s, sizeof s - 1                                                                              \
	}
const struct gateway_name gateway_names[GW_COUNT] = {
    NAME("REQUEST_METHOD"),	NAME("REQUEST_URI"),
    NAME("HTTP_AUTHORIZATION"), NAME("REMOTE_ADDR"),
    NAME("HTTP_HOST"),		NAME("HTTPS"),
    NAME("CONTENT_TYPE"),	NAME("HTTP_ACCEPT"),
    NAME("HTTP_ORIGIN"),	NAME("HTTP_MCP_PROTOCOL_VERSION"),
    NAME("CONTENT_LENGTH"),	NAME("SERVER_ADDR"),
    NAME("HTTP_COOKIE"),	NAME("HTTP_MCP_METHOD"),
    NAME("HTTP_MCP_NAME"),
};
#undef NAME

long gateway_content_length(const char *cl)
{
	/* Digits only (RFC 3875: 1*digit): strtol alone would take " 5" or "+5". */
	if (!cl || *cl < '0' || *cl > '9')
		return -1;
	char *end;
	errno = 0;
	long n = strtol(cl, &end, 10);
	if (errno || *end || n < 0)
		return -1;
	return n;
}

void gateway_request(struct request *req, const char *const param[GW_COUNT], const char *body, size_t n)
{
	req->method = param[GW_METHOD];
	const char *uri = param[GW_URI];
	if (!req->method)
		req->method = "GET";
	if (!uri || uri[0] != '/')
		uri = "/";
	const char *q = strchr(uri, '?');
	req->path = q ? ck_strndup(uri, (size_t)(q - uri)) : ck_strdup(uri);
	req->query = ck_strdup(q ? q + 1 : "");
	req->authorization = param[GW_AUTHORIZATION];
	req->remote_addr = param[GW_REMOTE_ADDR];
	req->host = param[GW_HOST];
	req->server_addr = param[GW_SERVER_ADDR];
	req->https = param[GW_HTTPS] && strcasecmp(param[GW_HTTPS], "on") == 0;
	req->content_type = param[GW_CONTENT_TYPE];
	req->accept = param[GW_ACCEPT];
	req->origin = param[GW_ORIGIN];
	req->protocol_version = param[GW_PROTOCOL_VERSION];
	req->cookie = param[GW_COOKIE];
	req->mcp_method = param[GW_MCP_METHOD];
	req->mcp_name = param[GW_MCP_NAME];
	if (n > 0) {
		req->body_raw = body;
		req->body_len = n;
		req->body = http_body_parse(body, n);
		req->body_invalid = req->body == NULL;
	}
}

void gateway_response_text(struct sbuf *out, const struct response *resp)
{
	const char *text = resp->body ? json_text(resp->body) : resp->text;
	size_t tlen = text ? strlen(text) : 0;
	/* A JSON body ends with a newline; a text body is sent as it is. */
	size_t nl = resp->body ? 1 : 0;
	sbuf_adds(out, "Status: ");
	sbuf_addu(out, (unsigned long)resp->status);
	sbuf_adds(out, " ");
	sbuf_adds(out, http_reason(resp->status));
	sbuf_adds(out, "\r\n");
	if (text) {
		sbuf_adds(out, "Content-Type: ");
		sbuf_adds(out, resp->body ? "application/json" : resp->text_type);
		sbuf_adds(out, "\r\n");
	}
	sbuf_adds(out, "Content-Length: ");
	sbuf_addu(out, text ? tlen + nl : 0);
	sbuf_adds(out, "\r\nX-Content-Type-Options: nosniff\r\n");
	for (size_t i = 0; i < resp->nheaders; i++) {
		sbuf_adds(out, resp->headers[i].name);
		sbuf_adds(out, ": ");
		sbuf_adds(out, resp->headers[i].value);
		sbuf_adds(out, "\r\n");
	}
	sbuf_adds(out, "\r\n");
	if (text) {
		sbuf_add(out, text, tlen);
		sbuf_add(out, "\n", nl);
	}
}
