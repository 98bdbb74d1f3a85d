/* fcgi: the FastCGI adapter (responder role) on libfcgi. app_main (app.h)
 * runs it on the listening socket the web server hands over as fd 0. */
#ifndef MCPAUTH_FCGI_H
#define MCPAUTH_FCGI_H

#include "route.h"

/* The group this process serves. */
extern const struct route_group *fcgi_group;

/* How long a request's input may take to arrive (from its first byte), a
 * kept connection may stay idle, and one write of an answer may block:
 * MCPAUTH_REQUEST_TIMEOUT, in milliseconds. */
extern long fcgi_timeout_ms;

/* Starts libfcgi (FCGX_Init) and sets the signals the adapter expects. */
int fcgi_init(void);

/* The per-process buffers: allocated once, before the first connection. */
void fcgi_buffers(void);
void fcgi_buffers_free(void);

/* Serves one accepted connection (one request, or several with
 * FCGI_KEEP_CONN) through fcgi_group, then closes it. */
void fcgi_serve(int fd);

#endif
