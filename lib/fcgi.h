/* fcgi: the FastCGI adapter (responder role). app_main (app.h) runs it on
 * the listening socket the web server hands over as fd 0. */
#ifndef MCPAUTH_FCGI_H
#define MCPAUTH_FCGI_H

#include "route.h"

/* The group this process serves. */
extern const struct route_group *fcgi_group;

/* The per-process buffers: allocated once, before the first connection. */
void fcgi_buffers(void);
void fcgi_buffers_free(void);

/* Serves one accepted connection (one request, or several with
 * FCGI_KEEP_CONN) through fcgi_group, then closes it. */
void fcgi_serve(int fd);

#endif
