#include "http.h"
#include "jsonscan.h"
#include "util.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define BODY_MAX_DEPTH 32

json_object *http_body_parse(const char *text, size_t len)
{
	return len > HTTP_MAX_BODY ? NULL : jsonscan_parse(text, len, BODY_MAX_DEPTH, NULL);
}

void request_free(struct request *req)
{
	free(req->path);
	free(req->query);
	for (size_t i = 0; i < req->nparams; i++)
		free(req->params[i].value);
	json_object_put(req->body);
	json_object_put(req->fields);
	memset(req, 0, sizeof *req);
}

const char *request_param(const struct request *req, const char *name)
{
	size_t n = strlen(name);
	for (size_t i = 0; i < req->nparams; i++)
		if (req->params[i].name_len == n && memcmp(req->params[i].name, name, n) == 0)
			return req->params[i].value;
	return NULL;
}

char *request_query(const struct request *req, const char *name)
{
	size_t n = strlen(name);
	for (const char *s = req->query; s && *s;) {
		const char *amp = strchr(s, '&');
		size_t len = amp ? (size_t)(amp - s) : strlen(s);
		if (len > n && s[n] == '=' && strncmp(s, name, n) == 0)
			return url_decode(s + n + 1, len - n - 1);
		s = amp ? amp + 1 : s + len;
	}
	return NULL;
}

void response_init(struct response *resp)
{
	memset(resp, 0, sizeof *resp);
	resp->status = 200;
}

void response_free(struct response *resp)
{
	for (size_t i = 0; i < resp->nheaders; i++) {
		free(resp->headers[i].name);
		free(resp->headers[i].value);
	}
	json_object_put(resp->body);
	free(resp->text);
	memset(resp, 0, sizeof *resp);
}

void response_header(struct response *resp, const char *name, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	char *value = ck_malloc((size_t)n + 1);
	va_start(ap, fmt);
	vsnprintf(value, (size_t)n + 1, fmt, ap);
	va_end(ap);
	response_header_take(resp, name, value);
}

void response_header_take(struct response *resp, const char *name, char *value)
{
	if (strpbrk(value, "\r\n")) {
		log_msg("refused a response header with CR or LF: %s", name);
		free(value);
		return;
	}
	for (size_t i = 0; i < resp->nheaders; i++) {
		if (strcasecmp(resp->headers[i].name, name) == 0) {
			free(resp->headers[i].value);
			resp->headers[i].value = value;
			return;
		}
	}
	if (resp->nheaders == HTTP_MAX_HEADERS) {
		log_msg("too many response headers, dropped %s", name);
		free(value);
		return;
	}
	resp->headers[resp->nheaders].name = ck_strdup(name);
	resp->headers[resp->nheaders++].value = value;
}

const char *response_get_header(const struct response *resp, const char *name)
{
	for (size_t i = 0; i < resp->nheaders; i++)
		if (strcasecmp(resp->headers[i].name, name) == 0)
			return resp->headers[i].value;
	return NULL;
}

void response_json(struct response *resp, int status, json_object *body)
{
	json_object_put(resp->body);
	free(resp->text);
	resp->text = NULL;
	resp->status = status;
	resp->body = body;
}

void response_text(struct response *resp, int status, const char *type, char *text)
{
	response_json(resp, status, NULL);
	resp->text = text;
	resp->text_type = type;
}

json_object *response_error(struct response *resp, int status, const char *error, const char *message)
{
	json_object *o = json_object_new_object();
	json_object_object_add(o, "error", json_object_new_string(error));
	if (message)
		json_object_object_add(o, "message", json_object_new_string(message));
	response_json(resp, status, o);
	return o;
}

const char *http_reason(int status)
{
	switch (status) {
	case 200:
		return "OK";
	case 201:
		return "Created";
	case 202:
		return "Accepted";
	case 204:
		return "No Content";
	case 302:
		return "Found";
	case 400:
		return "Bad Request";
	case 401:
		return "Unauthorized";
	case 403:
		return "Forbidden";
	case 404:
		return "Not Found";
	case 405:
		return "Method Not Allowed";
	case 406:
		return "Not Acceptable";
	case 408:
		return "Request Timeout";
	case 409:
		return "Conflict";
	case 413:
		return "Payload Too Large";
	case 415:
		return "Unsupported Media Type";
	case 421:
		return "Misdirected Request";
	case 429:
		return "Too Many Requests";
	case 431:
		return "Request Header Fields Too Large";
	case 500:
		return "Internal Server Error";
	case 502:
		return "Bad Gateway";
	case 503:
		return "Service Unavailable";
	default:
		return "Unknown";
	}
}

const char *json_get_string(json_object *o, const char *key)
{
	json_object *v;
	if (!o || !json_object_object_get_ex(o, key, &v) || !json_object_is_type(v, json_type_string))
		return NULL;
	return json_object_get_string(v);
}

json_object *json_string_or_null(const char *s)
{
	return s ? json_object_new_string(s) : NULL;
}

const char *json_text(json_object *o)
{
	return json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);
}

json_object *json_word_array(const char *words)
{
	json_object *a = json_object_new_array();
	const char *s;
	size_t n;
	for (const char *c = words; list_next(&c, " ", &s, &n);)
		json_object_array_add(a, json_object_new_string_len(s, (int)n));
	return a;
}

int http_content_type_is_json(const char *ct)
{
	return ct && media_type_is(ct, strlen(ct), "application/json");
}

/* The q parameter of one Accept item, 1 when it has none. */
static double accept_q(const char *s, size_t len)
{
	for (const char *p = memchr(s, ';', len); p; p = memchr(p + 1, ';', len - (size_t)(p + 1 - s))) {
		const char *v = p + 1;
		while (v < s + len && (*v == ' ' || *v == '\t'))
			v++;
		if (v + 2 <= s + len && (v[0] == 'q' || v[0] == 'Q') && v[1] == '=')
			return strtod(v + 2, NULL);
	}
	return 1;
}

int http_accepts_json(const char *accept)
{
	if (!accept || !*accept)
		return 1;
	for (const char *s = accept; *s;) {
		size_t len = strcspn(s, ",");
		if ((media_type_is(s, len, "application/json") || media_type_is(s, len, "application/*") ||
		     media_type_is(s, len, "*/*")) &&
		    accept_q(s, len) > 0)
			return 1;
		s += len;
		if (*s == ',')
			s++;
	}
	return 0;
}

void response_jsonrpc(struct response *resp, int status, json_object *id, const char *key, json_object *value)
{
	json_object *o = json_object_new_object();
	json_object_object_add(o, "jsonrpc", json_object_new_string("2.0"));
	if (id)
		json_object_object_add(o, "id", json_object_get(id));
	json_object_object_add(o, key, value);
	response_json(resp, status, o);
	response_header(resp, "Cache-Control", "no-store");
}

void response_jsonrpc_error(struct response *resp, int status, json_object *id, int code, const char *message,
			    json_object *data)
{
	json_object *e = json_object_new_object();
	json_object_object_add(e, "code", json_object_new_int(code));
	json_object_object_add(e, "message", json_object_new_string(message));
	if (data)
		json_object_object_add(e, "data", data);
	response_jsonrpc(resp, status, id, "error", e);
}
