/* The architecture's ceiling: a minimal libfcgi program that answers a
 * fixed small JSON under the same lighttpd, with no parsing or checks. */
#include <fcgiapp.h>
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
		FCGX_Finish_r(&r);
	}
	return 0;
}
