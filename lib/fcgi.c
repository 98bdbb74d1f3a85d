/* fcgi: the one FastCGI adapter. Reads a request from the CGI
 * environment and stdin, writes the response as CGI output. */
#include "app.h"
#include "util.h"

#include <fcgiapp.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static void write_response(FCGX_Stream *out, const struct response *resp)
{
	/* libfcgi's own printf knows few formats: build the head with ours. */
	const char *body = resp->body ? json_text(resp->body) : NULL;
	size_t blen = body ? strlen(body) : 0;
	struct sbuf head = {0};
	/* Appended, not printed: printf would cost more than the rest. */
	sbuf_adds(&head, "Status: ");
	sbuf_addu(&head, (unsigned long)resp->status);
	sbuf_adds(&head, " ");
	sbuf_adds(&head, http_reason(resp->status));
	sbuf_adds(&head, "\r\n");
	if (body)
		sbuf_adds(&head, "Content-Type: application/json\r\n");
	sbuf_adds(&head, "Content-Length: ");
	sbuf_addu(&head, body ? blen + 1 : 0);
	sbuf_adds(&head, "\r\nX-Content-Type-Options: nosniff\r\n");
	for (size_t i = 0; i < resp->nheaders; i++) {
		sbuf_adds(&head, resp->headers[i].name);
		sbuf_adds(&head, ": ");
		sbuf_adds(&head, resp->headers[i].value);
		sbuf_adds(&head, "\r\n");
	}
	sbuf_adds(&head, "\r\n");
	FCGX_PutStr(head.p, (int)head.len, out);
	sbuf_free(&head);
	if (body) {
		FCGX_PutStr(body, (int)blen, out);
		FCGX_PutChar('\n', out);
	}
}

/* Reads the body into buf; returns its length, or -1 when it is over the cap. */
static long read_body(FCGX_Request *r, const char *cl, char *buf)
{
	if (!cl || !*cl)
		return 0;
	char *end;
	errno = 0;
	long n = strtol(cl, &end, 10);
	if (errno || *end || n < 0)
		return 0;
	if (n > HTTP_MAX_BODY)
		return -1;
	long got = 0;
	while (got < n) {
		int k = FCGX_GetStr(buf + got, (int)(n - got), r->in);
		if (k <= 0)
			break;
		got += k;
	}
	buf[got] = '\0';
	return got;
}

/* The parameters a request reads, found in one pass over the environment
 * (FCGX_GetParam walks all of it once per name). */
enum { P_METHOD, P_URI, P_AUTHORIZATION, P_REMOTE_ADDR, P_HOST, P_HTTPS, P_CONTENT_TYPE, P_ACCEPT,
       P_ORIGIN, P_PROTOCOL_VERSION, P_CONTENT_LENGTH, P_COUNT };

static void read_params(char **env, const char *out[P_COUNT])
{
#define NAME(s) {s, sizeof s - 1}
	static const struct {
		const char *name;
		size_t len;
	} names[P_COUNT] = {
		NAME("REQUEST_METHOD"), NAME("REQUEST_URI"),	 NAME("HTTP_AUTHORIZATION"),
		NAME("REMOTE_ADDR"),	NAME("HTTP_HOST"),	 NAME("HTTPS"),
		NAME("CONTENT_TYPE"),	NAME("HTTP_ACCEPT"),	 NAME("HTTP_ORIGIN"),
		NAME("HTTP_MCP_PROTOCOL_VERSION"), NAME("CONTENT_LENGTH"),
	};
#undef NAME
	for (int i = 0; i < P_COUNT; i++)
		out[i] = NULL;
	for (; env && *env; env++) {
		const char *eq = strchr(*env, '=');
		if (!eq)
			continue;
		size_t len = (size_t)(eq - *env);
		for (int i = 0; i < P_COUNT; i++)
			if (names[i].len == len && !out[i] && memcmp(names[i].name, *env, len) == 0) {
				out[i] = eq + 1;
				break;
			}
	}
}

/* Whether the request's input has been read to its end (the empty
 * FCGI_STDIN record), so that nothing is left unread on the connection. */
static int input_consumed(FCGX_Stream *in)
{
	return FCGX_GetChar(in) == EOF && FCGX_GetError(in) == 0;
}

/* Answers one request; returns whether its input was read to the end. */
static int handle(FCGX_Request *r, const struct route_group *const *serve, char *buf)
{
	struct request req = {0};
	struct response resp;
	response_init(&resp);
	const char *param[P_COUNT];
	read_params(r->envp, param);
	req.method = param[P_METHOD];
	const char *uri = param[P_URI];
	if (!req.method)
		req.method = "GET";
	if (!uri || uri[0] != '/')
		uri = "/";
	const char *q = strchr(uri, '?');
	req.path = q ? ck_strndup(uri, (size_t)(q - uri)) : ck_strdup(uri);
	req.query = ck_strdup(q ? q + 1 : "");
	req.authorization = param[P_AUTHORIZATION];
	req.remote_addr = param[P_REMOTE_ADDR];
	req.host = param[P_HOST];
	req.https = param[P_HTTPS] && strcasecmp(param[P_HTTPS], "on") == 0;
	req.content_type = param[P_CONTENT_TYPE];
	req.accept = param[P_ACCEPT];
	req.origin = param[P_ORIGIN];
	req.protocol_version = param[P_PROTOCOL_VERSION];

	long n = read_body(r, param[P_CONTENT_LENGTH], buf);
	int consumed = n >= 0 && input_consumed(r->in);
	if (n < 0) {
		response_error(&resp, 413, "Payload too large", "The request body is over 64 KiB");
	} else {
		if (n > 0) {
			req.body_raw = buf;
			req.body_len = (size_t)n;
			req.body = http_body_parse(buf, (size_t)n);
			req.body_invalid = req.body == NULL;
		}
		app_handle(serve, 1, &req, &resp);
	}
	write_response(r->out, &resp);
	response_free(&resp);
	request_free(&req);
	return consumed;
}

int app_main(const char *program, const struct route_group *const *groups, size_t ngroups)
{
	const struct route_group *serve = NULL;
	for (size_t i = 0; i < ngroups; i++)
		if (strcmp(groups[i]->name, program) == 0)
			serve = groups[i];
	char err[512];
	if (!serve) {
		fprintf(stderr, "mcpauth-%s: no route group of that name\n", program);
		return 1;
	}
	if (app_init(program, groups, ngroups, serve->flags, err, sizeof err) < 0) {
		fprintf(stderr, "mcpauth-%s: %s\n", program, err);
		return 1;
	}
	/* A client that goes away must not kill the process. */
	signal(SIGPIPE, SIG_IGN);
	if (FCGX_Init() != 0) {
		fprintf(stderr, "mcpauth-%s: FCGX_Init failed\n", program);
		return 1;
	}
	FCGX_Request r;
	FCGX_InitRequest(&r, 0, 0);
	char *buf = ck_malloc(HTTP_MAX_BODY + 1);
	const struct route_group *one[] = {serve};
	while (FCGX_Accept_r(&r) >= 0) {
		/* libfcgi closes a connection by shutting down its side and
		 * reading until the server closes (up to 2 s), so that unread
		 * input cannot turn into a TCP reset that loses the answer.
		 * When the whole input was read there is none: close at once,
		 * and the process is free for the next request without waiting
		 * for the server (bench/: the ceiling program goes from 25 k to
		 * 45 k req/s). A body refused unread still gets the careful close. */
		if (handle(&r, one, buf) && !r.keepConnection)
			FCGX_Detach(&r);
		FCGX_Finish_r(&r);
	}
	free(buf);
	app_free();
	return 0;
}
