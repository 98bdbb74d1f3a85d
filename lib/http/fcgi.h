/* fcgi: the FastCGI adapter (responder role) on libfcgi, on the listening
 * socket the web server hands over as fd 0. It serves requests with the
 * handler it is given and knows nothing of who gives it (lib/app.c). */
#ifndef MCPAUTH_FCGI_H
#define MCPAUTH_FCGI_H

#include "http.h"

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
 * FCGI_KEEP_CONN) with h, then closes it. */
void fcgi_serve(int fd, const struct http_handler *h);

/* Whether fd 0 is a listening socket: the web server, mod_fcgid,
 * spawn-fcgi or systemd started this program as FastCGI. */
int fcgi_started(void);

/* The program's loop: starts libfcgi, then accepts on fd 0 and serves
 * each connection (from FCGI_WEB_SERVER_ADDRS when set) with h, until
 * accept fails. timeout_ms becomes fcgi_timeout_ms. 0 at the end; 1 with
 * a line on stderr when libfcgi cannot start. */
int fcgi_run(const char *program, const struct http_handler *h, long timeout_ms);

#endif
