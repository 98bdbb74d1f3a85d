/* The architecture's ceiling: a minimal libfcgi program that answers a
 * fixed small JSON under the same lighttpd, with no parsing or checks.
 * Built three times: as is, it closes each connection the way libfcgi does
 * by default (shut down its side, then wait for the server to close); with
 * -DCLOSE_AT_ONCE it closes at once, as the suite's programs do when a
 * request's input was read to its end (lib/http/fcgi.c); with
 * -DSAME_ANSWER as well, it answers, instead of its small JSON, the bytes
 * in the file named by its own path plus ".answer", read once at start:
 * bench/run.sh puts there what the profile program answers to scenario b,
 * headers and body, so that the web server and wrk handle the same bytes. */
#include <fcgiapp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifdef SAME_ANSWER
static char *read_answer(const char *self, size_t *len)
{
	char path[4096];
	snprintf(path, sizeof path, "%s.answer", self);
	FILE *f = fopen(path, "rb");
	static char buf[65536];
	if (!f || (*len = fread(buf, 1, sizeof buf, f)) == 0) {
		fprintf(stderr, "ceiling: cannot read %s\n", path);
		exit(1);
	}
	fclose(f);
	return buf;
}
#endif

int main(int argc, char **argv)
{
	static const char small[] = "Status: 200 OK\r\nContent-Type: application/json\r\n"
				    "Content-Length: 16\r\n\r\n{\"message\":\"ok\"}";
	const char *answer = small;
	size_t len = strlen(small);
	FCGX_Request r;
	(void)argc;
#ifdef SAME_ANSWER
	answer = read_answer(argv[0], &len);
#else
	(void)argv;
#endif
	FCGX_Init();
	FCGX_InitRequest(&r, 0, 0);
	while (FCGX_Accept_r(&r) >= 0) {
		FCGX_PutStr(answer, (int)len, r.out);
#ifdef CLOSE_AT_ONCE
		while (FCGX_GetChar(r.in) != EOF)
			;
		FCGX_Detach(&r);
#endif
		FCGX_Finish_r(&r);
	}
	return 0;
}
