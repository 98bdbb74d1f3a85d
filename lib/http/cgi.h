/* cgi: one request as plain CGI (RFC 3875), for a program the web server
 * starts per request (Apache mod_cgid, lighttpd mod_cgi), served with the
 * handler it is given. */
#ifndef MCPAUTH_CGI_H
#define MCPAUTH_CGI_H

#include "http.h"

/* Answers the one request in the environment and on fd in with h,
 * writing the CGI output to fd out; its body must arrive within
 * timeout_ms. 0 once answered; 1 (with a line on stderr) when no web
 * server started the program. */
int cgi_serve(const char *program, const struct http_handler *h, long timeout_ms, int in, int out);

#endif
