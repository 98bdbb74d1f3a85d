/* A FastCGI program with two deliberate bugs, built only in sanitizer
 * builds: tests/integration/sanitizer.sh serves it in place of a real
 * program to prove that a sanitizer report in a FastCGI program reaches
 * the server's log and fails the suite. A request whose path holds
 * "ubsan" overflows a signed int; any other reads past a heap block. */
#include <fcgiapp.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int main(void)
{
	FCGX_Request r;
	if (FCGX_Init() != 0 || FCGX_InitRequest(&r, 0, 0) != 0)
		return 1;
	while (FCGX_Accept_r(&r) >= 0) {
		const char *uri = FCGX_GetParam("REQUEST_URI", r.envp);
		size_t n = uri ? strlen(uri) : 0;
		int value;
		if (uri && strstr(uri, "ubsan")) {
			/* The length is only known at run time, so nothing is folded away. */
			volatile int big = INT_MAX - 1;
			value = big + (int)n;
		} else {
			char *block = malloc(8);
			memset(block, 'x', 8);
			value = block[8 + n % 2];
			free(block);
		}
		FCGX_FPrintF(r.out, "Status: 200 OK\r\nContent-Type: application/json\r\n\r\n{\"value\":%d}\n", value);
		FCGX_Finish_r(&r);
	}
	return 0;
}
