/* Fuzz target: the FastCGI adapter's side of a connection, on libfcgi.
 * The input is the byte stream a web server would send (records of any
 * type, id, length and padding; parameters; bodies; FCGI_KEEP_CONN;
 * management records), written into a socket pair by one thread while
 * another reads the answers; fcgi_serve looks at the input, hands it to
 * libfcgi (FCGX_Accept_r, FCGX_GetStr) and answers through the profile
 * group with a real SQLite store. Invariants on what comes back: well-formed records
 * of version 1, FCGI_END_REQUEST of 8 bytes, and every answer a CGI head
 * with a Status line followed by a strict JSON body when it has one. */
#define _XOPEN_SOURCE 700 /* nftw */
#include "fuzz.h"
#include "fuzz_state.h"
#include "app.h"
#include "fcgi.h"
#include "jsonscan.h"
#include "routes.h"
#include "util.h"

#include <pthread.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

/* What app_main hands the adapter: the profile group, through app_handle. */
static void serve_profile(void *ctx, struct request *req, struct response *resp)
{
	(void)ctx;
	const struct route_group *g = &profile_group;
	app_handle(&g, 1, req, resp);
}
static const struct http_handler profile_handler = {serve_profile, NULL};

static void cleanup(void)
{
	fcgi_buffers_free();
	app_free();
	fuzz_state_remove();
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	fuzz_state_make("fuzz_fcgi");
	char err[512];
	if (app_init("profile", route_groups, route_ngroups, 0, err, sizeof err) < 0) {
		fprintf(stderr, "fuzz_fcgi: %s\n", err);
		exit(1);
	}
	if (fcgi_init() < 0) {
		fprintf(stderr, "fuzz_fcgi: FCGX_Init failed\n");
		exit(1);
	}
	/* Every input arrives with its end, so nothing should wait; over
	 * libFuzzer's -timeout (20 s in run.sh), a wait is a finding rather
	 * than a connection quietly dropped. */
	fcgi_timeout_ms = 60000;
	fcgi_buffers();
	atexit(cleanup);
	return 0;
}

/* One answer's CGI output: a Status line, a head ended by an empty line,
 * then, when the head says JSON, one strict JSON value and a newline. */
static void check_answer(const char *out, size_t len)
{
	FUZZ_CHECK(len > 8 && memcmp(out, "Status: ", 8) == 0, "an answer without a Status line");
	const char *end = NULL;
	for (size_t i = 0; i + 4 <= len; i++)
		if (memcmp(out + i, "\r\n\r\n", 4) == 0) {
			end = out + i + 4;
			break;
		}
	FUZZ_CHECK(end != NULL, "an answer whose head does not end");
	size_t blen = len - (size_t)(end - out);
	if (blen == 0)
		return;
	FUZZ_CHECK(end[blen - 1] == '\n', "a body without its final newline");
	FUZZ_CHECK(jsonscan_check(end, blen - 1, 64) == JSONSCAN_OK, "a body that is not strict JSON");
}

struct drain {
	int fd;
	struct sbuf got;
};

/* The server's side reads the answers while the adapter writes them. */
static void *drain(void *arg)
{
	struct drain *d = arg;
	char chunk[65536];
	ssize_t k;
	while ((k = read(d->fd, chunk, sizeof chunk)) > 0)
		sbuf_add(&d->got, chunk, (size_t)k);
	return NULL;
}

struct feed {
	int fd;
	const uint8_t *data;
	size_t size;
};

/* The server's side writes the input, then ends its side. A write that
 * fails (the adapter closed the connection) ends it early. */
static void *feed(void *arg)
{
	struct feed *f = arg;
	size_t off = 0;
	while (off < f->size) {
		ssize_t k = write(f->fd, f->data + off, f->size - off);
		if (k <= 0)
			break;
		off += (size_t)k;
	}
	shutdown(f->fd, SHUT_WR);
	return NULL;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	int sv[2];
	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) < 0)
		return 0;
	struct feed f = {sv[0], data, size};
	struct drain d = {sv[0], {0}};
	pthread_t tf, td;
	if (pthread_create(&tf, NULL, feed, &f) != 0 || pthread_create(&td, NULL, drain, &d) != 0)
		abort();
	fcgi_serve(sv[1], &profile_handler); /* closes sv[1] */
	pthread_join(tf, NULL);
	pthread_join(td, NULL);
	close(sv[0]);
	struct sbuf got = d.got;

	/* The records that came back, and each request's answer. */
	const unsigned char *p = (const unsigned char *)got.p;
	size_t n = got.len, at = 0;
	struct sbuf answer = {0};
	unsigned answer_id = 0;
	while (at < n) {
		FUZZ_CHECK(n - at >= 8, "a record header cut short");
		const unsigned char *h = p + at;
		size_t clen = ((size_t)h[4] << 8) | h[5];
		FUZZ_CHECK(h[0] == 1, "a record of another version");
		FUZZ_CHECK(n - at >= 8 + clen + h[6], "a record cut short");
		unsigned id = ((unsigned)h[2] << 8) | h[3];
		if (h[1] == 6 && clen > 0) { /* FCGI_STDOUT */
			FUZZ_CHECK(answer.len == 0 || id == answer_id, "two answers interleaved");
			answer_id = id;
			sbuf_add(&answer, (const char *)h + 8, clen);
		} else if (h[1] == 3) { /* FCGI_END_REQUEST */
			FUZZ_CHECK(clen == 8, "an FCGI_END_REQUEST that is not 8 bytes");
			FUZZ_CHECK(id != 0, "an FCGI_END_REQUEST for id 0");
			if (answer.len) {
				FUZZ_CHECK(id == answer_id, "an answer ended under another id");
				check_answer(answer.p, answer.len);
				answer.len = 0;
			}
		} else {
			FUZZ_CHECK(h[1] == 6 || h[1] == 10 || h[1] == 11,
				   "a record type a responder does not send");
		}
		at += 8 + clen + h[6];
	}
	FUZZ_CHECK(answer.len == 0, "an answer without FCGI_END_REQUEST");
	sbuf_free(&answer);
	sbuf_free(&got);
	return 0;
}
