/* fcgi: the one FastCGI adapter. libfcgi (Debian's libfcgi-dev) speaks the
 * protocol: FCGX_Accept_r reads a request's parameters, FCGX_GetStr its
 * body, FCGX_PutStr and FCGX_Finish_r write the answer. The adapter keeps
 * what lies above the protocol, and what libfcgi does not do:
 *
 * - It accepts each connection itself (on the listening socket the web
 *   server hands over as fd 0) and gives it to libfcgi as the request's
 *   ipcFd, so that it knows the connection before libfcgi reads from it.
 * - Before libfcgi reads a request, the adapter looks at the request's
 *   whole input in the socket without taking it (MSG_PEEK): it waits for
 *   it under one deadline (MCPAUTH_REQUEST_TIMEOUT, from its first byte;
 *   libfcgi's blocking reads alone would let a peer trickle a byte at a
 *   time forever), applies the caps (parameters 64 KiB, body 64 KiB with
 *   the JSON 413 before the body is read), and refuses what libfcgi
 *   mishandles (libfcgi 2.4.2 as Debian 12 ships it): an FCGI_GET_VALUES
 *   query naming more than three of the values libfcgi knows overflows the
 *   64-byte stack buffer it is answered in (ProcessManagementRecord); any
 *   other management record leaks the 48 bytes libfcgi allocates for it,
 *   and its content is handed to the request's stream as parameters or
 *   body; a pair's two lengths are added in an int and can make a huge
 *   allocation. The look frames the input exactly as libfcgi reads it,
 *   also where that departs from the specification (padding it does not
 *   skip), so that libfcgi then reads input that is all there and was
 *   looked at.
 * - Between requests of a kept connection it waits at most the same time
 *   for the next one; each write of an answer may block at most that long
 *   (SO_SNDTIMEO).
 * - It closes at once when the request's input was read to its end
 *   (FCGX_Detach before FCGX_Finish_r, so libfcgi does not shut down its
 *   side and wait up to 2 s for the server to close first); only a request
 *   refused with input left unread gets libfcgi's careful close. */
#define _GNU_SOURCE /* POLLRDHUP */
#include "fcgi.h"

#include "gateway.h"
#include "util.h"

#include <fcgiapp.h>

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

/* The protocol's constants this file reads (FastCGI specification 1.0). */
enum { FCGI_VERSION_1 = 1, FCGI_HEADER_LEN = 8 };
enum { REC_BEGIN = 1, REC_PARAMS = 4, REC_STDIN = 5, REC_GET_VALUES = 9 };
enum { ROLE_RESPONDER = 1 };

/* Caps: the parameters (the CGI environment: request line and headers),
 * their count, and the input looked at before a request is complete (its
 * records and any others the server interleaves). */
#define PARAMS_CAP (64 * 1024)
#define PARAMS_MAX 512
#define SCAN_CAP (256 * 1024)
/* How long a new connection may wait before its first byte. */
#define FIRST_WAIT_MS 2000

/* Per process, allocated once. */
static unsigned char *sbuf_in; /* the input looked at (SCAN_CAP) */
static char *pbuf;	       /* a request's parameters as received */
static char *body;	       /* HTTP_MAX_BODY + 2 */
static struct sbuf cgi;	       /* the CGI output of an answer */

long fcgi_timeout_ms = 10000;

/* What the look at a request's input found. */
enum scan_end {
	SCAN_READY,   /* all there: libfcgi may read it */
	SCAN_CLOSED,  /* the connection ended, or stayed idle, before a request */
	SCAN_LATE,    /* a request's input did not all arrive before its deadline */
	SCAN_REFUSED, /* input libfcgi must not read: the connection is dropped */
};

struct scan {
	unsigned id;	     /* the request begun; 0 before FCGI_BEGIN_REQUEST */
	int in_body;	     /* its parameters have ended */
	size_t plen;	     /* parameter bytes */
	size_t pdone;	     /* of which whole pairs, their lengths looked at */
	size_t blen;	     /* body bytes */
	long expect;	     /* CONTENT_LENGTH, or -1 */
	int params_bad;	     /* a value read holds a NUL, or too many pairs: 400 */
	const char *refused; /* SCAN_REFUSED: why, for the log */
};

static long now_ms(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec * 1000L + t.tv_nsec / 1000000;
}

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

/* Walks name-value pairs; for each calls fn (which returns < 0 to stop).
 * A pair that runs past the end: -1. */
static int pairs_walk(const unsigned char *p, size_t n,
		      int (*fn)(void *arg, const unsigned char *name, size_t nl, const unsigned char *value,
				size_t vl),
		      void *arg)
{
	const unsigned char *end = p + n;
	while (p < end) {
		size_t nl, vl;
		if (pair_len(&p, end, &nl) < 0 || pair_len(&p, end, &vl) < 0 || nl > (size_t)(end - p) ||
		    vl > (size_t)(end - p) - nl)
			return -1;
		if (fn(arg, p, nl, p + nl, vl) < 0)
			return -1;
		p += nl + vl;
	}
	return 0;
}

/* Which of the parameters a request reads (gateway.h) a name is, or -1:
 * only the names of its length are compared (one to four of them). */
static unsigned gw_by_len[32];

static void gw_index_init(void)
{
	for (int i = 0; i < GW_COUNT; i++)
		gw_by_len[gateway_names[i].len] |= 1u << i;
}

static int gw_index(const char *name, size_t n)
{
	unsigned m = n < 32 ? gw_by_len[n] : 0;
	while (m) {
		int i = __builtin_ctz(m);
		if (memcmp(gateway_names[i].name, name, n) == 0)
			return i;
		m &= m - 1;
	}
	return -1;
}

/* Whether the name-value pairs in p[*done..n) declare lengths libfcgi may
 * be given: it allocates name and value as soon as their lengths are read,
 * adding them in an int (libfcgi 2.4.2 as Debian 12 ships it, whose fix of
 * CVE-2025-23016 left that sum to overflow into a huge allocation), so a
 * pair longer than cap is refused even before its bytes arrive. *done
 * moves past the whole pairs. */
static int pairs_sane(const unsigned char *p, size_t n, size_t *done, size_t cap)
{
	const unsigned char *at = p + *done, *end = p + n;
	while (at < end) {
		const unsigned char *q = at;
		size_t nl, vl;
		if (pair_len(&q, end, &nl) < 0 || pair_len(&q, end, &vl) < 0)
			return 1; /* its lengths are not all there yet */
		if (nl > cap || vl > cap - nl)
			return 0;
		if (nl + vl > (size_t)(end - q))
			return 1; /* not all there yet */
		at = q + nl + vl;
		*done = (size_t)(at - p);
	}
	return 1;
}

/* libfcgi answers FCGI_GET_VALUES with one line per name it knows, in a
 * 64-byte buffer: three fit, a fourth runs past it. It compares each name
 * up to its first '=' or NUL. */
static int count_known(void *arg, const unsigned char *name, size_t nl, const unsigned char *value, size_t vl)
{
	(void)value;
	(void)vl;
	static const char *const known[] = {"FCGI_MAX_CONNS", "FCGI_MAX_REQS", "FCGI_MPXS_CONNS"};
	size_t n = 0;
	while (n < nl && name[n] != '=' && name[n] != '\0')
		n++;
	for (size_t i = 0; i < sizeof known / sizeof known[0]; i++)
		if (strlen(known[i]) == n && memcmp(known[i], name, n) == 0) {
			(*(int *)arg)++;
			break;
		}
	return 0;
}

struct params_seen {
	struct scan *s;
	size_t count;
	const char *cl;
	size_t cl_len;
};

/* The parameters' framing, as libfcgi will read them: the value of
 * CONTENT_LENGTH (the first of its name), a NUL in a value the request
 * reads, the number of pairs. */
static int params_look(void *arg, const unsigned char *name, size_t nl, const unsigned char *value, size_t vl)
{
	struct params_seen *ps = arg;
	if (++ps->count > PARAMS_MAX)
		ps->s->params_bad = 1;
	int i = gw_index((const char *)name, nl);
	if (i < 0)
		return 0;
	if (memchr(value, '\0', vl))
		ps->s->params_bad = 1;
	if (i == GW_CONTENT_LENGTH && !ps->cl) {
		ps->cl = (const char *)value;
		ps->cl_len = vl;
	}
	return 0;
}

static enum scan_end refuse_input(struct scan *s, const char *why)
{
	s->refused = why;
	return SCAN_REFUSED;
}

/* Walks the whole records of in[0..n) from *at, the way libfcgi will read
 * them for one request. SCAN_READY once libfcgi will stop within them
 * (the end of the request's body, a body over the cap, a CONTENT_LENGTH
 * over the cap once the parameters end, or a record libfcgi refuses as a
 * protocol error); SCAN_REFUSED for what it must not read; SCAN_CLOSED
 * (meaning: not yet) when more is needed. */
static enum scan_end scan_records(struct scan *s, const unsigned char *in, size_t n, size_t *at, size_t *need)
{
	for (;;) {
		*need = *at + FCGI_HEADER_LEN;
		if (n < *need)
			return SCAN_CLOSED;
		const unsigned char *h = in + *at;
		if (h[0] != FCGI_VERSION_1)
			return SCAN_READY; /* libfcgi stops at this header */
		size_t clen = ((size_t)h[4] << 8) | h[5];
		int type = h[1];
		unsigned id = ((unsigned)h[2] << 8) | h[3];
		/* libfcgi does not skip the padding of the FCGI_BEGIN_REQUEST it
		 * accepts, nor that of the empty record ending the parameters: it
		 * reads the next header right after their content. */
		int begins = type == REC_BEGIN && id != 0 && clen == 8 && !s->id;
		int params_end = s->id && id == s->id && !s->in_body && type == REC_PARAMS && clen == 0;
		*need = *at + FCGI_HEADER_LEN + clen + (begins || params_end ? 0 : h[6]);
		if (n < *need)
			return SCAN_CLOSED;
		const unsigned char *content = h + FCGI_HEADER_LEN;
		*at = *need;
		if (type == REC_BEGIN) {
			if (id == 0 || clen != 8)
				return SCAN_READY; /* a protocol error to libfcgi */
			if (!s->id)
				s->id = id; /* a later one is refused by libfcgi (FCGI_CANT_MPX_CONN) */
			continue;
		}
		if (id == 0) {
			if (type == REC_GET_VALUES) {
				int known = 0;
				if (pairs_walk(content, clen, count_known, &known) < 0)
					return refuse_input(s, "a malformed FCGI_GET_VALUES query");
				if (known > 3)
					return refuse_input(
					    s, "an FCGI_GET_VALUES query naming more than three values "
					       "(libfcgi would answer it past its buffer)");
			} else {
				return refuse_input(s,
						    "a management record other than FCGI_GET_VALUES (libfcgi "
						    "leaks memory on each, and reads its content as the "
						    "request's input)");
			}
			continue;
		}
		if (!s->id || id != s->id)
			continue; /* skipped by libfcgi */
		if (!s->in_body) {
			if (type != REC_PARAMS)
				return SCAN_READY; /* a protocol error to libfcgi */
			if (clen > 0) {
				if (s->plen + clen > PARAMS_CAP)
					return refuse_input(s, "parameters over 64 KiB");
				memcpy(pbuf + s->plen, content, clen);
				s->plen += clen;
				if (!pairs_sane((const unsigned char *)pbuf, s->plen, &s->pdone, PARAMS_CAP))
					return refuse_input(s, "a parameter over 64 KiB");
				continue;
			}
			s->in_body = 1;
			struct params_seen ps = {s, 0, NULL, 0};
			if (pairs_walk((const unsigned char *)pbuf, s->plen, params_look, &ps) < 0)
				return refuse_input(s, "malformed parameters (a pair runs past their end)");
			if (ps.cl) {
				char v[24];
				if (ps.cl_len < sizeof v) {
					memcpy(v, ps.cl, ps.cl_len);
					v[ps.cl_len] = '\0';
					s->expect = gateway_content_length(v);
				} else {
					s->expect =
					    HTTP_MAX_BODY + 1L; /* longer than any number under the cap */
				}
			}
			if (s->expect > HTTP_MAX_BODY)
				return SCAN_READY; /* refused before the body is read */
			continue;
		}
		if (type != REC_STDIN || clen == 0)
			return SCAN_READY; /* the body's end, or a protocol error to libfcgi */
		s->blen += clen;
		if (s->blen > HTTP_MAX_BODY)
			return SCAN_READY; /* the adapter reads one byte over the cap and refuses */
	}
}

/* A record cut short by the end of the input: libfcgi acts on its header
 * and reads what there is of its content. A management record other than
 * FCGI_GET_VALUES is refused as whole ones are; the pairs of a query or of
 * the request's parameters must declare lengths libfcgi may be given. */
static int tail_sane(struct scan *s, const unsigned char *h, size_t n)
{
	if (h[0] != FCGI_VERSION_1 || h[1] == REC_BEGIN)
		return 1;
	unsigned id = ((unsigned)h[2] << 8) | h[3];
	size_t clen = ((size_t)h[4] << 8) | h[5], have = n - FCGI_HEADER_LEN;
	const unsigned char *content = h + FCGI_HEADER_LEN;
	if (have > clen)
		have = clen;
	if (id == 0 && h[1] != REC_GET_VALUES) {
		refuse_input(s, "a management record other than FCGI_GET_VALUES, cut short");
		return 0;
	}
	if (id == 0) {
		size_t done = 0;
		if (!pairs_sane(content, have, &done, 65535)) {
			refuse_input(s, "an FCGI_GET_VALUES query with a pair over its record, cut short");
			return 0;
		}
		return 1;
	}
	if (id == s->id && !s->in_body && h[1] == REC_PARAMS) {
		if (s->plen + have > PARAMS_CAP) {
			refuse_input(s, "parameters over 64 KiB");
			return 0;
		}
		memcpy(pbuf + s->plen, content, have);
		if (!pairs_sane((const unsigned char *)pbuf, s->plen + have, &s->pdone, PARAMS_CAP)) {
			refuse_input(s, "a parameter over 64 KiB, cut short");
			return 0;
		}
	}
	return 1;
}

/* Waits until the input libfcgi will read for the next request is all in
 * the socket, looking at it without taking it. A new connection's first
 * byte is waited for 2 s (or the deadline, if shorter), a kept
 * connection's next request for the idle bound; from the first byte on,
 * the request's deadline runs.
 * The input is looked at again only when a whole record more has arrived;
 * while a record is incomplete the wait backs off from 0.1 to 5 ms. */
static enum scan_end scan_request(int fd, struct scan *s, int fresh)
{
	memset(s, 0, sizeof *s);
	s->expect = -1;
	size_t at = 0, need = FCGI_HEADER_LEN;
	/* A new connection that sends nothing is let go after 2 s, as
	 * libfcgi's own accept does; a kept one after the idle bound. */
	long deadline =
	    now_ms() + (fresh && fcgi_timeout_ms > FIRST_WAIT_MS ? FIRST_WAIT_MS : fcgi_timeout_ms);
	int started = 0;
	long pause_us = 100;
	int queued = -1; /* not asked yet: the first look peeks at once */
	for (;;) {
		if (queued < 0 || (size_t)queued >= need) {
			ssize_t k = recv(fd, sbuf_in, SCAN_CAP, MSG_PEEK | MSG_DONTWAIT);
			if (k == 0 || (k < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR))
				return SCAN_CLOSED; /* ended (or broke) before a request began */
			if (k > 0) {
				if (!started) {
					started = 1;
					deadline = now_ms() + fcgi_timeout_ms;
				}
				enum scan_end e = scan_records(s, sbuf_in, (size_t)k, &at, &need);
				if (e != SCAN_CLOSED)
					return e;
				if (need > SCAN_CAP)
					return refuse_input(s,
							    "over 256 KiB of input before the request's end");
				pause_us = 100;
			}
		}
		if (ioctl(fd, FIONREAD, &queued) < 0)
			return SCAN_CLOSED;
		if (queued > 0 && !started) {
			started = 1;
			deadline = now_ms() + fcgi_timeout_ms;
		}
		if ((size_t)queued >= need)
			continue;
		long left = deadline - now_ms();
		if (left <= 0)
			return started ? SCAN_LATE : SCAN_CLOSED;
		struct pollfd p = {fd, POLLIN | POLLRDHUP, 0};
		if (queued == 0) {
			/* Nothing there: sleep in poll until something is. */
			int r = poll(&p, 1, (int)left);
			if (r < 0 && errno != EINTR)
				return SCAN_CLOSED;
			if (r > 0 && (p.revents & (POLLRDHUP | POLLHUP | POLLERR)) &&
			    (ioctl(fd, FIONREAD, &queued) < 0 || queued == 0))
				return SCAN_CLOSED;
			continue;
		}
		/* Part of a record: poll would not wait (something is there). */
		if (poll(&p, 1, 0) > 0 && (p.revents & (POLLRDHUP | POLLHUP | POLLERR))) {
			/* The server has sent all it will: what is there is all
			 * libfcgi can read, and every whole record of it has been
			 * looked at. A record cut short ends libfcgi's reading, but
			 * it acts on a management record's header before its
			 * content: that header is looked at too. */
			int more = 0;
			if (ioctl(fd, FIONREAD, &more) < 0 || more != queued)
				continue;
			ssize_t k = recv(fd, sbuf_in, SCAN_CAP, MSG_PEEK | MSG_DONTWAIT);
			if (k >= 0 && (size_t)k >= at + FCGI_HEADER_LEN &&
			    !tail_sane(s, sbuf_in + at, (size_t)k - at))
				return SCAN_REFUSED;
			return SCAN_READY;
		}
		long us = pause_us < left * 1000 ? pause_us : left * 1000;
		struct timespec ts = {us / 1000000, (us % 1000000) * 1000};
		nanosleep(&ts, NULL);
		if (pause_us < 5000)
			pause_us *= 2;
	}
}

/* The parameters a request reads (gateway.h), picked out of the request's
 * environment in one pass (the first of a name wins). */
static void params_pick(char **envp, const char *param[GW_COUNT])
{
	for (int i = 0; i < GW_COUNT; i++)
		param[i] = NULL;
	for (char **e = envp; e && *e; e++) {
		const char *v = *e, *eq = strchr(v, '=');
		int i = eq ? gw_index(v, (size_t)(eq - v)) : -1;
		if (i >= 0 && !param[i])
			param[i] = eq + 1;
	}
}

/* Writes the answer as CGI output and ends the request; 0, or -1 when
 * the server did not take it (gone, or a write blocked past the bound).
 * The error stream, never written, is closed first, so that the answer,
 * the end of FCGI_STDOUT and FCGI_END_REQUEST leave in one write. */
/* The bound on a blocking write (SO_SNDTIMEO), set on a connection only
 * when a write could block: an answer over 4 KiB, or a kept connection
 * (whose server may leave answers unread). A small answer, alone on a
 * connection, always fits the socket's buffer; the system call is saved. */
static int writes_bounded;

static void bound_writes(int fd)
{
	if (writes_bounded)
		return;
	long ms = fcgi_timeout_ms;
	struct timeval tv = {ms / 1000, (ms % 1000) * 1000};
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
	writes_bounded = 1;
}

static int send_response(FCGX_Request *r, const struct response *resp)
{
	cgi.len = 0;
	gateway_response_text(&cgi, resp);
	if (cgi.len > 4096 || r->keepConnection)
		bound_writes(r->ipcFd);
	if (FCGX_PutStr(cgi.p, (int)cgi.len, r->out) != (int)cgi.len)
		return -1; /* and no second try at what did not leave */
	FCGX_FClose(r->err);
	return FCGX_FClose(r->out) == 0 ? 0 : -1;
}

static int refuse(FCGX_Request *r, int status, const char *error, const char *message)
{
	struct response resp;
	response_init(&resp);
	response_error(&resp, status, error, message);
	int rc = send_response(r, &resp);
	response_free(&resp);
	return rc;
}

/* Answers one request libfcgi has accepted. 1 when its input was read to
 * the end, 0 when some is left unread (the careful close), -1 when the
 * connection is to be dropped at once. */
static int serve_request(FCGX_Request *r, const struct scan *s, const struct http_handler *h)
{
	const char *param[GW_COUNT];
	params_pick(r->envp, param);
	long expect = gateway_content_length(param[GW_CONTENT_LENGTH]);
	if (expect > HTTP_MAX_BODY || s->expect > HTTP_MAX_BODY)
		return refuse(r, 413, "Payload too large", "The request body is over 64 KiB") < 0 ? -1 : 0;
	int n = FCGX_GetStr(body, HTTP_MAX_BODY + 1, r->in);
	if (n > HTTP_MAX_BODY)
		return refuse(r, 413, "Payload too large", "The request body is over 64 KiB") < 0 ? -1 : 0;
	if (FCGX_GetError(r->in) != 0 || !FCGX_HasSeenEOF(r->in))
		return -1; /* the input broke off (aborted, cut short, a protocol error) */
	if (s->params_bad)
		return refuse(r, 400, "Bad request", "The request's FastCGI parameters are malformed") < 0
			   ? -1
			   : 1;
	/* The body is what CONTENT_LENGTH says of what arrived; none without it. */
	size_t len = expect < 0 ? 0 : (size_t)expect < (size_t)n ? (size_t)expect : (size_t)n;
	body[len] = '\0';
	struct request req = {0};
	struct response resp;
	response_init(&resp);
	gateway_request(&req, param, body, len);
	h->serve(h->ctx, &req, &resp);
	int rc = send_response(r, &resp);
	response_free(&resp);
	request_free(&req);
	return rc < 0 ? -1 : 1;
}

/* Serves one connection until the server closes it, or, without
 * FCGI_KEEP_CONN, until its one request is answered; closes it. */
void fcgi_serve(int fd, const struct http_handler *h)
{
	writes_bounded = 0;
	int fresh = 1;
	FCGX_Request r;
	/* No listening socket: libfcgi never accepts on its own; when it
	 * gives up on a connection, FCGX_Accept_r returns. */
	FCGX_InitRequest(&r, -1, 0);
	r.ipcFd = fd;
	for (;;) {
		struct scan s;
		enum scan_end e = scan_request(fd, &s, fresh);
		fresh = 0;
		if (e == SCAN_LATE)
			log_msg("a request's input did not arrive within %ld ms: connection dropped",
				fcgi_timeout_ms);
		else if (e == SCAN_REFUSED)
			log_msg("FastCGI input refused: %s; connection dropped", s.refused);
		if (e != SCAN_READY)
			break;
		/* Should libfcgi give up on the connection, it closes it at once;
		 * and it must not close it before reading (FCGX_Accept_r first
		 * finishes the previous request, closing a connection not kept). */
		FCGX_Detach(&r);
		r.keepConnection = 1;
		if (FCGX_Accept_r(&r) < 0)
			return; /* libfcgi closed it: a protocol error, a role it does not know */
		/* libfcgi ends the parameters without complaint at a protocol
		 * error between two pairs, leaving the error on the stream; read
		 * on, it would act on records past the one that failed, which
		 * were not looked at. */
		if (FCGX_GetError(r.in) != 0 || r.role != ROLE_RESPONDER) {
			FCGX_Free(&r, 1);
			return;
		}
		int read_all = serve_request(&r, &s, h);
		if (read_all == 1) {
			FCGX_Detach(&r); /* nothing unread: close at once */
		} else if (read_all == 0) {
			FCGX_Attach(&r); /* input left unread: the careful close */
			r.keepConnection = 0;
		} else {
			if (FCGX_GetError(r.out) == EAGAIN || FCGX_GetError(r.out) == EWOULDBLOCK)
				log_msg("an answer was not taken within %ld ms: connection dropped",
					fcgi_timeout_ms);
			FCGX_Detach(&r);
			FCGX_Free(&r, 1);
			return;
		}
		int keep = r.keepConnection;
		FCGX_Finish_r(&r);
		if (!keep || r.ipcFd < 0)
			return;
	}
	FCGX_Detach(&r);
	FCGX_Free(&r, 1);
}

void fcgi_buffers(void)
{
	if (sbuf_in)
		return;
	gw_index_init();
	sbuf_in = ck_malloc(SCAN_CAP);
	pbuf = ck_malloc(PARAMS_CAP);
	body = ck_malloc(HTTP_MAX_BODY + 2);
}

void fcgi_buffers_free(void)
{
	free(sbuf_in);
	free(pbuf);
	free(body);
	sbuf_in = NULL;
	pbuf = body = NULL;
	sbuf_free(&cgi);
}

int fcgi_init(void)
{
	if (FCGX_Init() != 0)
		return -1;
	/* libfcgi turns SIGTERM and SIGUSR1 into a stop after the current
	 * request, which its own accept loop reads; this one accepts itself,
	 * so they stop the process as before. A client that goes away must
	 * not kill it. */
	signal(SIGTERM, SIG_DFL);
	signal(SIGUSR1, SIG_DFL);
	signal(SIGPIPE, SIG_IGN);
	return 0;
}

/* FCGI_WEB_SERVER_ADDRS, as libfcgi reads it: when set, a connection over
 * TCP is served only from one of these comma-separated addresses (libfcgi
 * checks it in its own accept, which is not used here, and for IPv4
 * only). */
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

/* Whether fd 0 is a listening socket (the web server, mod_fcgid or
 * spawn-fcgi started this program as FastCGI): what app_main asks to
 * choose how the program runs. */
int fcgi_started(void)
{
	int listening = 0;
	socklen_t optlen = sizeof listening;
	return getsockopt(0, SOL_SOCKET, SO_ACCEPTCONN, &listening, &optlen) == 0 && listening;
}

int fcgi_run(const char *program, const struct http_handler *h, long timeout_ms)
{
	if (fcgi_init() < 0) {
		fprintf(stderr, "mcpauth-%s: libfcgi could not start\n", program);
		return 1;
	}
	fcgi_timeout_ms = timeout_ms;
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
		fcgi_serve(fd, h);
	}
	fcgi_buffers_free();
	return 0;
}
