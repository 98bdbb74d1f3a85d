/* fcgi: the one FastCGI adapter. Speaks the FastCGI protocol (responder
 * role) on the listening socket the web server hands over as fd 0, turns
 * each request's parameters and body into a struct request, and writes the
 * response back as CGI output in FastCGI records.
 *
 * Written here rather than taken from libfcgi: libfcgi allocates three
 * streams and copies every parameter per request (about thirty mallocs,
 * two of them 8 KiB), polls after accept, and closes each connection by
 * shutting down its side and waiting up to 2 s for the server to close
 * first. Here the buffers are allocated once per process, the whole input
 * of a request is read before it is answered, so the connection can close
 * at once, and only a request refused before its input ended (over a cap)
 * gets the careful close. */
#include "fcgi.h"

#include "app.h"
#include "cgi.h"
#include "gateway.h"
#include "util.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

/* The protocol's constants (FastCGI specification 1.0). */
enum { FCGI_VERSION_1 = 1, FCGI_HEADER_LEN = 8 };
enum {
	FCGI_BEGIN_REQUEST = 1, FCGI_ABORT_REQUEST = 2, FCGI_END_REQUEST = 3, FCGI_PARAMS = 4,
	FCGI_STDIN = 5, FCGI_STDOUT = 6, FCGI_GET_VALUES = 9, FCGI_GET_VALUES_RESULT = 10,
	FCGI_UNKNOWN_TYPE = 11,
};
enum { FCGI_RESPONDER = 1, FCGI_KEEP_CONN = 1 };
enum { FCGI_REQUEST_COMPLETE = 0, FCGI_CANT_MPX_CONN = 1, FCGI_UNKNOWN_ROLE = 3 };

/* Caps, checked before anything is copied: the parameters (the CGI
 * environment: request line and headers) and their count. */
#define PARAMS_CAP (64 * 1024)
#define PARAMS_MAX 512
/* A whole record (header, up to 65535 bytes of content, 255 of padding)
 * always fits the read buffer. */
#define RBUF_SIZE (FCGI_HEADER_LEN + 65535 + 255 + 1024)
/* How long the careful close waits for the server to close its side. */
#define LINGER_MS 2000
/* How long a read may wait: for the first bytes of a new connection (as
 * libfcgi, a server that connects and sends nothing is let go), and in the
 * middle of a request. Between requests of a kept connection, no limit. */
#define FIRST_WAIT_MS 2000
#define REQUEST_WAIT_MS 60000

struct conn {
	int fd;
	unsigned char *rbuf;
	size_t rlen, rpos;
	int started;            /* some bytes have arrived */
	unsigned id;            /* the request being received; 0 = none */
	int keep;               /* the server asked to keep the connection */
	int params_done;
	size_t plen;            /* parameter bytes so far */
	int params_bad;         /* malformed: answered 400 once the input ends */
	long expect;            /* CONTENT_LENGTH, or -1 */
	size_t blen;            /* body bytes so far */
};

/* Per process, allocated once. */
static unsigned char *rbuf;
static char *pbuf;              /* the parameters as received */
static char *ebuf;              /* the values read, as C strings */
static char *body;              /* HTTP_MAX_BODY + 1 */
static struct sbuf out, cgi; /* the records sent; the CGI output of an answer */

static int write_all(int fd, const void *p, size_t n)
{
	const char *s = p;
	while (n > 0) {
		ssize_t k = write(fd, s, n);
		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0)
			return -1;
		s += k;
		n -= (size_t)k;
	}
	return 0;
}

static void record_header(struct sbuf *b, int type, unsigned id, size_t len)
{
	char h[FCGI_HEADER_LEN] = {FCGI_VERSION_1, (char)type, (char)(id >> 8), (char)(id & 0xff),
				   (char)(len >> 8), (char)(len & 0xff), 0, 0};
	sbuf_add(b, h, sizeof h);
}

static void end_request(struct sbuf *b, unsigned id, int protocol_status)
{
	record_header(b, FCGI_END_REQUEST, id, 8);
	char e[8] = {0, 0, 0, 0, (char)protocol_status, 0, 0, 0};
	sbuf_add(b, e, sizeof e);
}

/* A request ended with no answer (refused role, no multiplexing, abort). */
static int send_end(int fd, unsigned id, int protocol_status)
{
	out.len = 0;
	end_request(&out, id, protocol_status);
	return write_all(fd, out.p, out.len);
}

/* data as FCGI_STDOUT records of at most 65535 bytes each. */
static void stdout_records(struct sbuf *b, unsigned id, const char *data, size_t n)
{
	while (n > 0) {
		size_t k = n > 65535 ? 65535 : n;
		record_header(b, FCGI_STDOUT, id, k);
		sbuf_add(b, data, k);
		data += k;
		n -= k;
	}
}

/* The response as CGI output, closed by an empty FCGI_STDOUT and
 * FCGI_END_REQUEST; one write. */
static int send_response(int fd, unsigned id, const struct response *resp)
{
	cgi.len = 0;
	gateway_response_text(&cgi, resp);
	out.len = 0;
	stdout_records(&out, id, cgi.p, cgi.len);
	record_header(&out, FCGI_STDOUT, id, 0);
	end_request(&out, id, FCGI_REQUEST_COMPLETE);
	return write_all(fd, out.p, out.len);
}

/* The parameters a request reads (gateway.h), picked out while the
 * name-value pairs are decoded; every other parameter is skipped. */
static const char *param[GW_COUNT];

/* One name-value length: one byte below 128, else four with the top bit. */
static int pair_len(const unsigned char **p, const unsigned char *end, size_t *len)
{
	if (*p >= end)
		return -1;
	if (!(**p & 0x80)) {
		*len = *(*p)++;
		return 0;
	}
	if (end - *p < 4)
		return -1;
	*len = ((size_t)((*p)[0] & 0x7f) << 24) | ((size_t)(*p)[1] << 16) | ((size_t)(*p)[2] << 8) | (*p)[3];
	*p += 4;
	return 0;
}

/* Decodes the received name-value pairs, copying the values of the
 * parameters a request reads into ebuf as C strings (the first of a name
 * wins; ebuf, as large as pbuf, always has room). A pair cut short, too
 * many pairs or a NUL in a value read: -1. */
static int decode_params(size_t plen)
{
	const unsigned char *p = (const unsigned char *)pbuf, *end = p + plen;
	char *e = ebuf;
	size_t n = 0;
	for (int i = 0; i < GW_COUNT; i++)
		param[i] = NULL;
	while (p < end) {
		size_t nl, vl;
		if (pair_len(&p, end, &nl) < 0 || pair_len(&p, end, &vl) < 0)
			return -1;
		if (nl > (size_t)(end - p) || vl > (size_t)(end - p) - nl || ++n > PARAMS_MAX)
			return -1;
		for (int i = 0; i < GW_COUNT; i++) {
			if (gateway_names[i].len != nl || memcmp(gateway_names[i].name, p, nl) != 0)
				continue;
			if (!param[i]) {
				if (memchr(p + nl, '\0', vl))
					return -1;
				param[i] = e;
				memcpy(e, p + nl, vl);
				e += vl;
				*e++ = '\0';
			}
			break;
		}
		p += nl + vl;
	}
	return 0;
}

/* Answers a request with an error alone (a cap exceeded, parameters
 * malformed), without building a request. */
static int refuse(struct conn *c, int status, const char *error, const char *message)
{
	struct response resp;
	response_init(&resp);
	response_error(&resp, status, error, message);
	int rc = send_response(c->fd, c->id, &resp);
	response_free(&resp);
	return rc;
}

/* Builds the request from the parameters and body and answers it. */
static int answer(struct conn *c)
{
	struct request req = {0};
	struct response resp;
	response_init(&resp);
	/* The body is what CONTENT_LENGTH says of what arrived; none without it. */
	size_t n = c->expect < 0 ? 0 : (size_t)c->expect < c->blen ? (size_t)c->expect : c->blen;
	body[n] = '\0';
	gateway_request(&req, param, body, n);
	app_handle(&fcgi_group, 1, &req, &resp);
	int rc = send_response(c->fd, c->id, &resp);
	response_free(&resp);
	request_free(&req);
	return rc;
}

/* The careful close, for a connection that may hold unread input: shut
 * down our side, read until the server closes (or LINGER_MS), then close,
 * so that the unread input cannot turn into a reset that loses the answer. */
static void linger_close(int fd)
{
	struct timespec t0, t;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	if (shutdown(fd, SHUT_WR) == 0) {
		for (;;) {
			clock_gettime(CLOCK_MONOTONIC, &t);
			long ms = LINGER_MS - ((t.tv_sec - t0.tv_sec) * 1000 + (t.tv_nsec - t0.tv_nsec) / 1000000);
			struct pollfd p = {fd, POLLIN, 0};
			if (ms <= 0 || poll(&p, 1, (int)ms) <= 0)
				break;
			char trash[4096];
			ssize_t k = read(fd, trash, sizeof trash);
			if (k == 0 || (k < 0 && errno != EINTR))
				break;
		}
	}
	close(fd);
}

/* Makes one whole record available at rbuf + rpos; 0 at the end of the
 * connection, on an error, or when the server keeps it waiting too long.
 * The read does not block: the bytes are usually there already, and only
 * when they are not does poll wait, with its time limit. */
static int next_record(struct conn *c, size_t *clen)
{
	for (;;) {
		size_t have = c->rlen - c->rpos;
		if (have >= FCGI_HEADER_LEN) {
			const unsigned char *h = c->rbuf + c->rpos;
			*clen = ((size_t)h[4] << 8) | h[5];
			if (have >= FCGI_HEADER_LEN + *clen + h[6])
				return 1;
		}
		if (c->rpos > 0) {
			memmove(c->rbuf, c->rbuf + c->rpos, have);
			c->rlen = have;
			c->rpos = 0;
		}
		ssize_t k = recv(c->fd, c->rbuf + c->rlen, RBUF_SIZE - c->rlen, MSG_DONTWAIT);
		if (k < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			int ms = !c->started ? FIRST_WAIT_MS : c->id || have > 0 ? REQUEST_WAIT_MS : -1;
			struct pollfd p = {c->fd, POLLIN, 0};
			int r = poll(&p, 1, ms);
			if (r > 0 || (r < 0 && errno == EINTR))
				continue;
			return 0;
		}
		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0)
			return 0;
		c->started = 1;
		c->rlen += (size_t)k;
	}
}

/* A management record (request id 0): FCGI_GET_VALUES is answered with the
 * values this program knows, anything else with FCGI_UNKNOWN_TYPE. */
static int management(struct conn *c, int type, const unsigned char *content, size_t clen)
{
	out.len = 0;
	if (type != FCGI_GET_VALUES) {
		record_header(&out, FCGI_UNKNOWN_TYPE, 0, 8);
		char u[8] = {(char)type};
		sbuf_add(&out, u, sizeof u);
		return write_all(c->fd, out.p, out.len);
	}
	static const char *const known[][2] = {
		{"FCGI_MAX_CONNS", "1"}, {"FCGI_MAX_REQS", "1"}, {"FCGI_MPXS_CONNS", "0"}};
	struct sbuf v = {0};
	const unsigned char *p = content, *end = content + clen;
	while (p < end) {
		size_t nl, vl;
		if (pair_len(&p, end, &nl) < 0 || pair_len(&p, end, &vl) < 0 || nl > (size_t)(end - p) ||
		    vl > (size_t)(end - p) - nl)
			break;
		for (size_t i = 0; i < sizeof known / sizeof known[0]; i++)
			if (strlen(known[i][0]) == nl && memcmp(known[i][0], p, nl) == 0) {
				char l[2] = {(char)nl, (char)strlen(known[i][1])};
				sbuf_add(&v, l, 2);
				sbuf_add(&v, known[i][0], nl);
				sbuf_adds(&v, known[i][1]);
			}
		p += nl + vl;
	}
	record_header(&out, FCGI_GET_VALUES_RESULT, 0, v.len);
	if (v.len)
		sbuf_add(&out, v.p, v.len);
	sbuf_free(&v);
	return write_all(c->fd, out.p, out.len);
}

/* Serves one connection until the server closes it, or, without
 * FCGI_KEEP_CONN, until its one request is answered; closes it. */
void fcgi_serve(int fd)
{
	struct conn c = {.fd = fd, .rbuf = rbuf, .expect = -1};
	size_t clen;
	while (next_record(&c, &clen)) {
		const unsigned char *h = c.rbuf + c.rpos, *content = h + FCGI_HEADER_LEN;
		int type = h[1];
		unsigned id = ((unsigned)h[2] << 8) | h[3];
		c.rpos += FCGI_HEADER_LEN + clen + h[6];
		if (h[0] != FCGI_VERSION_1)
			break;
		if (id == 0) {
			if (management(&c, type, content, clen) < 0)
				break;
			continue;
		}
		if (type == FCGI_BEGIN_REQUEST) {
			if (clen < 8)
				break;
			int role = (content[0] << 8) | content[1], keep = content[2] & FCGI_KEEP_CONN;
			if (c.id && id != c.id) {
				if (send_end(fd, id, FCGI_CANT_MPX_CONN) < 0)
					break;
				continue;
			}
			if (role != FCGI_RESPONDER) {
				if (send_end(fd, id, FCGI_UNKNOWN_ROLE) < 0 || !keep)
					break;
				continue;
			}
			c.id = id;
			c.keep = keep;
			c.params_done = c.params_bad = 0;
			c.plen = c.blen = 0;
			c.expect = -1;
			continue;
		}
		if (id != c.id)
			continue; /* not the request being received: ignored */
		if (type == FCGI_ABORT_REQUEST) {
			c.id = 0;
			if (send_end(fd, id, FCGI_REQUEST_COMPLETE) < 0 || !c.keep)
				break;
			continue;
		}
		if (type == FCGI_PARAMS && !c.params_done) {
			if (clen > 0) {
				if (c.plen + clen > PARAMS_CAP) {
					/* Refused at once, before the rest arrives. */
					refuse(&c, 431, "Request header fields too large",
					       "The request's headers are over 64 KiB");
					linger_close(fd);
					return;
				}
				memcpy(pbuf + c.plen, content, clen);
				c.plen += clen;
				continue;
			}
			c.params_done = 1;
			if (decode_params(c.plen) < 0) {
				c.params_bad = 1;
				continue;
			}
			c.expect = gateway_content_length(param[GW_CONTENT_LENGTH]);
			if (c.expect > HTTP_MAX_BODY) {
				refuse(&c, 413, "Payload too large", "The request body is over 64 KiB");
				linger_close(fd);
				return;
			}
			continue;
		}
		if (type == FCGI_STDIN && c.params_done) {
			if (clen > 0) {
				if (c.blen + clen > HTTP_MAX_BODY) {
					refuse(&c, 413, "Payload too large", "The request body is over 64 KiB");
					linger_close(fd);
					return;
				}
				memcpy(body + c.blen, content, clen);
				c.blen += clen;
				continue;
			}
			/* The whole input is read: nothing is left unread. */
			int rc = c.params_bad ? refuse(&c, 400, "Bad request",
						       "The request's FastCGI parameters are malformed")
					      : answer(&c);
			c.id = 0;
			if (rc < 0 || !c.keep)
				break;
		}
	}
	close(fd);
}

const struct route_group *fcgi_group;

void fcgi_buffers(void)
{
	if (rbuf)
		return;
	rbuf = ck_malloc(RBUF_SIZE);
	pbuf = ck_malloc(PARAMS_CAP);
	ebuf = ck_malloc(PARAMS_CAP);
	body = ck_malloc(HTTP_MAX_BODY + 1);
}

void fcgi_buffers_free(void)
{
	free(rbuf);
	free(pbuf);
	free(ebuf);
	free(body);
	rbuf = NULL;
	pbuf = ebuf = body = NULL;
	sbuf_free(&out);
	sbuf_free(&cgi);
}

/* FCGI_WEB_SERVER_ADDRS, as libfcgi reads it: when set, a connection over
 * TCP is served only from one of these comma-separated addresses. */
static int peer_allowed(int fd, const char *allowed)
{
	if (!allowed || !*allowed)
		return 1;
	struct sockaddr_storage sa;
	socklen_t len = sizeof sa;
	if (getpeername(fd, (struct sockaddr *)&sa, &len) < 0)
		return 0;
	char addr[INET6_ADDRSTRLEN];
	if (sa.ss_family == AF_INET)
		inet_ntop(AF_INET, &((struct sockaddr_in *)&sa)->sin_addr, addr, sizeof addr);
	else if (sa.ss_family == AF_INET6)
		inet_ntop(AF_INET6, &((struct sockaddr_in6 *)&sa)->sin6_addr, addr, sizeof addr);
	else
		return 1; /* a Unix socket: its file mode guards it */
	size_t n = strlen(addr);
	for (const char *s = allowed; *s;) {
		while (*s == ',' || *s == ' ')
			s++;
		const char *e = s;
		while (*e && *e != ',' && *e != ' ')
			e++;
		if ((size_t)(e - s) == n && memcmp(s, addr, n) == 0)
			return 1;
		s = e;
	}
	return 0;
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
	/* The settings first: a bad one is reported however the program runs. */
	if (app_init(program, groups, ngroups, serve->flags, err, sizeof err) < 0) {
		fprintf(stderr, "mcpauth-%s: %s\n", program, err);
		return 1;
	}
	int listening = 0;
	socklen_t optlen = sizeof listening;
	if (getsockopt(0, SOL_SOCKET, SO_ACCEPTCONN, &listening, &optlen) < 0 || !listening) {
		/* No listening socket: a CGI server started us for one request. */
		signal(SIGPIPE, SIG_IGN);
		app.cgi = 1;
		int rc = cgi_serve(program, serve, 0, 1);
		app_free();
		return rc;
	}
	/* A client that goes away must not kill the process. */
	signal(SIGPIPE, SIG_IGN);
	fcgi_group = serve;
	fcgi_buffers();
	const char *allowed = getenv("FCGI_WEB_SERVER_ADDRS");
	for (;;) {
		int fd = accept(0, NULL, NULL);
		if (fd < 0) {
			if (errno == EINTR || errno == ECONNABORTED)
				continue;
			if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM) {
				usleep(10000);
				continue;
			}
			fprintf(stderr, "mcpauth-%s: accept: %s\n", program, strerror(errno));
			break;
		}
		if (!peer_allowed(fd, allowed)) {
			close(fd);
			continue;
		}
		fcgi_serve(fd);
	}
	fcgi_buffers_free();
	app_free();
	return 0;
}
