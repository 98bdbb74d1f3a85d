#include "route.h"
#include "util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int route_match(const struct route *r, const char *path, struct request *req)
{
	const char *p = r->pattern, *s = path;
	size_t nparams = 0;
	char *values[HTTP_MAX_PARAMS];
	const char *names[HTTP_MAX_PARAMS];
	size_t name_lens[HTTP_MAX_PARAMS];
	int rc = 1;
	while (*p && *s) {
		if (*p != '/' || *s != '/')
			return 0;
		p++;
		s++;
		const char *pe = strchr(p, '/'), *se = strchr(s, '/');
		size_t plen = pe ? (size_t)(pe - p) : strlen(p);
		size_t slen = se ? (size_t)(se - s) : strlen(s);
		if (*p == ':') {
			if (slen == 0 || nparams == HTTP_MAX_PARAMS)
				goto nomatch;
			names[nparams] = p + 1;
			name_lens[nparams] = plen - 1;
			values[nparams] = req ? url_decode(s, slen) : NULL;
			if (req && !values[nparams])
				rc = -1;
			nparams++;
		} else if (plen != slen || strncmp(p, s, plen) != 0) {
			goto nomatch;
		}
		p += plen;
		s += slen;
	}
	if (*p || *s)
		goto nomatch;
	if (req) {
		for (size_t i = 0; i < nparams; i++) {
			req->params[req->nparams].name = names[i];
			req->params[req->nparams].name_len = name_lens[i];
			req->params[req->nparams++].value = values[i];
		}
	}
	return rc;
nomatch:
	for (size_t i = 0; i < nparams; i++)
		free(values[i]);
	return 0;
}

int route_in_query(const struct route *r)
{
	return strcmp(r->method, "GET") == 0 || strcmp(r->method, "DELETE") == 0 ||
	       strcmp(r->method, "HEAD") == 0;
}

size_t route_path_methods(const struct route_group *const *groups, size_t ngroups, const char *path,
			  char *buf, size_t n)
{
	size_t count = 0, len = 0;
	buf[0] = '\0';
	for (size_t g = 0; g < ngroups; g++) {
		for (size_t i = 0; i < groups[g]->nroutes; i++) {
			const struct route *r = &groups[g]->routes[i];
			/* A row without its handler (the index's view of a group
			 * this program does not link) is not served here. */
			if (!r->handler || route_match(r, path, NULL) != 1)
				continue;
			size_t m = strlen(r->method);
			/* The same method twice (two groups) is listed once. */
			if (list_has(buf, ",", r->method, m) || len + m + 3 > n)
				continue;
			if (len) {
				memcpy(buf + len, ", ", 2);
				len += 2;
			}
			memcpy(buf + len, r->method, m + 1);
			len += m;
			count++;
		}
	}
	return count;
}

enum http_flow route_find(const struct route_group *const *groups, size_t ngroups, struct request *req,
			  struct response *resp)
{
	const struct route *found = NULL;
	for (size_t g = 0; g < ngroups && !found; g++) {
		for (size_t i = 0; i < groups[g]->nroutes && !found; i++) {
			const struct route *r = &groups[g]->routes[i];
			if (r->handler && strcmp(r->method, req->method) == 0 &&
			    route_match(r, req->path, NULL))
				found = r;
		}
	}
	char allow[128];
	if (!found && route_path_methods(groups, ngroups, req->path, allow, sizeof allow)) {
		response_header(resp, "Allow", "%s", allow);
		response_error(resp, 405, "Method not allowed", "This route does not accept that method");
		return HTTP_ANSWERED;
	}
	if (!found) {
		response_error(resp, 404, "Not found", "No route matches this path");
		return HTTP_ANSWERED;
	}
	req->route = found;
	if (route_match(found, req->path, req) < 0) {
		response_error(resp, 400, "Bad request", "A path parameter is not valid percent-encoding");
		return HTTP_ANSWERED;
	}
	return HTTP_GO_ON;
}

const char *route_requirement_text(const struct route *r, enum route_text how, char *buf, size_t n)
{
	/* Before and after the need; public and token routes name none. */
	static const char *const text[][2][2] = {
	    [ROUTE_PUBLIC] = {{"none", ""}, {"Public: no access token needed.", ""}},
	    [ROUTE_TOKEN] = {{"valid token", ""}, {"Requires a valid access token.", ""}},
	    [ROUTE_PERMISSION] = {{"permission ", ""},
				  {"Requires an access token with the permission '", "'."}},
	    [ROUTE_SCOPE] = {{"scope ", ""}, {"Requires an access token with the scope '", "'."}},
	};
	int named = r->req == ROUTE_PERMISSION || r->req == ROUTE_SCOPE;
	static const char *const second[2] = {", second factor",
					      " The token must come from a login with a second factor."};
	snprintf(buf, n, "%s%s%s%s", text[r->req][how][0], named && r->need ? r->need : "",
		 text[r->req][how][1], (r->flags & ROUTE_SECOND_FACTOR) ? second[how] : "");
	return buf;
}

char *route_scopes(const struct route_group *const *groups, size_t ngroups)
{
	struct sbuf b = {0};
	sbuf_adds(&b, "openid profile email offline_access");
	for (size_t g = 0; g < ngroups; g++) {
		for (size_t i = 0; i < groups[g]->nroutes; i++) {
			const char *need = groups[g]->routes[i].need;
			if (need && *need && !words_has(b.p, need, strlen(need))) {
				sbuf_adds(&b, " ");
				sbuf_adds(&b, need);
			}
		}
	}
	return sbuf_take(&b);
}
