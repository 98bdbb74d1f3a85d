/* cgi: plain CGI. The parameters a request reads (gateway.h) come from the
 * environment, the body from standard input, and the answer goes to
 * standard output in one write; the caps and answers are the FastCGI
 * adapter's, through the same gateway functions. */
#include "cgi.h"

#include "gateway.h"
#include "util.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static int write_all(int fd, const char *s, size_t n)
{
	while (n > 0) {
		ssize_t k = write(fd, s, n);
		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0)
			return -1;
		s += (size_t)k;
		n -= (size_t)k;
	}
	return 0;
}

static long ms_since(const struct timespec *t0)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (t.tv_sec - t0->tv_sec) * 1000 + (t.tv_nsec - t0->tv_nsec) / 1000000;
}

/* Reads up to want bytes into buf; *got is what arrived before the end of
 * the input. -1 when it has not all arrived within wait_ms (the request
 * deadline, as for FastCGI: a client that trickles does not hold the
 * process). */
static int read_body(int fd, char *buf, size_t want, size_t *got, long wait_ms)
{
	struct timespec t0;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	*got = 0;
	while (*got < want) {
		long left = wait_ms - ms_since(&t0);
		struct pollfd p = {fd, POLLIN, 0};
		int r = left > 0 ? poll(&p, 1, (int)left) : 0;
		if (r < 0 && errno == EINTR)
			continue;
		if (r == 0)
			return -1;
		if (r < 0)
			return 0;
		ssize_t k = read(fd, buf + *got, want - *got);
		if (k < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (k <= 0)
			return 0; /* a short body: what arrived is the body */
		*got += (size_t)k;
	}
	return 0;
}

/* Reads and drops up to n bytes of fd, for at most wait_ms. */
#define DRAIN_MAX (1024 * 1024)
static void drain(int fd, size_t n, long wait_ms)
{
	struct timespec t0;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	char trash[4096];
	while (n > 0) {
		long left = wait_ms - ms_since(&t0);
		struct pollfd p = {fd, POLLIN, 0};
		int r = left > 0 ? poll(&p, 1, (int)left) : 0;
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return;
		ssize_t k = read(fd, trash, n < sizeof trash ? n : sizeof trash);
		if (k < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (k <= 0)
			return;
		n -= (size_t)k;
	}
}

static int send_response(int out, const struct response *resp)
{
	struct sbuf text = {0};
	gateway_response_text(&text, resp);
	int rc = write_all(out, text.p, text.len);
	sbuf_free(&text);
	return rc;
}

/* An error alone, without building a request (a cap, a malformed length). */
static int refuse(int out, int status, const char *error, const char *message)
{
	struct response resp;
	response_init(&resp);
	response_error(&resp, status, error, message);
	int rc = send_response(out, &resp);
	response_free(&resp);
	return rc;
}

int cgi_serve(const char *program, const struct http_handler *h, long timeout_ms, int in, int out)
{
	const char *param[GW_COUNT];
	for (int i = 0; i < GW_COUNT; i++)
		param[i] = getenv(gateway_names[i].name);
	/* Every CGI server sets both (RFC 3875); neither means a start by hand. */
	if (!param[GW_METHOD] && !getenv("GATEWAY_INTERFACE")) {
		fprintf(stderr,
			"mcpauth-%s: standard input is not a listening socket and no CGI request is in the "
			"environment: the web server (lighttpd, Apache), spawn-fcgi or systemd starts this "
			"program\n",
			program);
		return 1;
	}
	const char *cl = param[GW_CONTENT_LENGTH];
	long expect = gateway_content_length(cl);
	/* No CONTENT_LENGTH (or an empty one): no body, as RFC 3875 has it. */
	if (cl && *cl && expect < 0) {
		refuse(out, 400, "Bad request", "The request's CONTENT_LENGTH is not a number");
		return 0;
	}
	if (expect > HTTP_MAX_BODY) {
		/* Refused before a byte of the body is parsed. The body is then
		 * read and dropped (up to DRAIN_MAX, within the deadline): a
		 * program that exits with its input unread can make the server
		 * drop the connection, answer included. */
		refuse(out, 413, "Payload too large", "The request body is over 64 KiB");
		drain(in, expect < DRAIN_MAX ? (size_t)expect : DRAIN_MAX, timeout_ms);
		return 0;
	}
	char *body = NULL;
	size_t n = 0;
	if (expect > 0) {
		body = ck_malloc((size_t)expect + 1);
		if (read_body(in, body, (size_t)expect, &n, timeout_ms) < 0) {
			refuse(out, 408, "Request timeout", "The request body did not arrive in time");
			free(body);
			return 0;
		}
		body[n] = '\0';
	}
	struct request req = {0};
	struct response resp;
	response_init(&resp);
	gateway_request(&req, param, body, n);
	h->serve(h->ctx, &req, &resp);
	send_response(out, &resp);
	response_free(&resp);
	request_free(&req);
	free(body);
	return 0;
}
