/* cgi: one request as plain CGI (RFC 3875), for a program the web server
 * starts per request (Apache mod_cgid, lighttpd mod_cgi). app_main (app.h)
 * runs it when standard input is not a listening socket. */
#ifndef MCPAUTH_CGI_H
#define MCPAUTH_CGI_H

#include "route.h"

/* Answers the one request in the environment and on fd in through group,
 * writing the CGI output to fd out. 0 once answered; 1 (with a line on
 * stderr) when no web server started the program. */
int cgi_serve(const char *program, const struct route_group *group, int in, int out);

#endif
