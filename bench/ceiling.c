/* The architecture's ceiling: a minimal libfcgi program that answers a
 * fixed small JSON under the same lighttpd, with no parsing or checks.
 * Built twice: as is, it closes each connection the way libfcgi does by
 * default (shut down its side, then wait for the server to close); with
 * -DCLOSE_AT_ONCE it closes at once, as the suite's programs do when a
 * request's input was read to its end (lib/http/fcgi.c). */
#include <fcgiapp.h>
#include <stdio.h>
#include <string.h>

int main(void)
{
	static const char head[] = "Status: 200 OK\r\nContent-Type: application/json\r\n"
				   "Content-Length: 16\r\n\r\n";
	static const char body[] = "{\"message\":\"ok\"}";
	FCGX_Request r;
	FCGX_Init();
	FCGX_InitRequest(&r, 0, 0);
	while (FCGX_Accept_r(&r) >= 0) {
		FCGX_PutStr(head, (int)strlen(head), r.out);
		FCGX_PutStr(body, (int)strlen(body), r.out);
#ifdef CLOSE_AT_ONCE
		while (FCGX_GetChar(r.in) != EOF)
			;
		FCGX_Detach(&r);
#endif
		FCGX_Finish_r(&r);
	}
	return 0;
}
