#include "fetch.h"
#include "util.h"

#include <curl/curl.h>
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* A connection that cannot be made in this time will not be made in the
 * rest of the budget either. */
#define CONNECT_TIMEOUT_MAX_MS 3000L
#define RETRY_AFTER_MAX 3600L

static CURL *handle;
static int initialized;

int fetch_init(void)
{
	if (initialized)
		return 0;
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
		return -1;
	initialized = 1;
	return 0;
}

void fetch_cleanup(void)
{
	if (handle)
		curl_easy_cleanup(handle);
	handle = NULL;
	if (initialized)
		curl_global_cleanup();
	initialized = 0;
}

int fetch_url_allowed(const char *url, int allow_insecure_localhost)
{
	for (const char *p = url; *p; p++)
		if ((unsigned char)*p <= ' ' || *p == 0x7f)
			return 0;
	if (strncmp(url, "https://", 8) == 0)
		return url[8] != '\0' && url[8] != '/';
	if (allow_insecure_localhost && strncmp(url, "http://127.0.0.1", 16) == 0)
		return url[16] == ':' || url[16] == '/' || url[16] == '\0';
	return 0;
}

long fetch_parse_retry_after(const char *value, time_t now)
{
	if (!value)
		return -1;
	while (*value == ' ' || *value == '\t')
		value++;
	if (isdigit((unsigned char)*value)) {
		char *end;
		errno = 0;
		long n = strtol(value, &end, 10);
		while (*end == ' ' || *end == '\t')
			end++;
		if (errno || *end)
			return -1;
		return n > RETRY_AFTER_MAX ? RETRY_AFTER_MAX : n;
	}
	time_t t = curl_getdate(value, NULL);
	if (t < 0)
		return -1;
	if (t <= now)
		return 0;
	return t - now > RETRY_AFTER_MAX ? RETRY_AFTER_MAX : (long)(t - now);
}

struct sink {
	struct fetch_result *r;
	size_t max;
	int over;
};

static size_t on_body(char *data, size_t size, size_t n, void *arg)
{
	struct sink *s = arg;
	size_t len = size * n;
	if (s->r->len + len > s->max) {
		s->over = 1;
		return 0; /* makes curl stop with CURLE_WRITE_ERROR */
	}
	s->r->body = ck_realloc(s->r->body, s->r->len + len + 1);
	memcpy(s->r->body + s->r->len, data, len);
	s->r->len += len;
	s->r->body[s->r->len] = '\0';
	return len;
}

/* Header line "Name: value\r\n": returns the value (trimmed) if name matches. */
static char *header_value(const char *line, size_t len, const char *name)
{
	size_t nlen = strlen(name);
	if (len <= nlen + 1 || strncasecmp(line, name, nlen) != 0 || line[nlen] != ':')
		return NULL;
	const char *v = line + nlen + 1, *end = line + len;
	while (v < end && (*v == ' ' || *v == '\t'))
		v++;
	while (end > v && (end[-1] == '\r' || end[-1] == '\n' || end[-1] == ' '))
		end--;
	return ck_strndup(v, (size_t)(end - v));
}

struct head {
	struct fetch_result *r;
	long reset; /* X-RateLimit-Reset: epoch seconds, when no Retry-After */
};

static size_t on_header(char *line, size_t size, size_t n, void *arg)
{
	struct head *h = arg;
	size_t len = size * n;
	char *v;
	if ((v = header_value(line, len, "Retry-After"))) {
		h->r->retry_after = fetch_parse_retry_after(v, time(NULL));
		free(v);
	} else if ((v = header_value(line, len, "X-RateLimit-Reset"))) {
		char *end;
		long t = strtol(v, &end, 10);
		if (*v && !*end)
			h->reset = t;
		free(v);
	}
	return len;
}

static int perform(const struct fetch_opts *o, const char *url, const char *bearer, const char *form,
		   size_t max, struct fetch_result *r)
{
	memset(r, 0, sizeof *r);
	r->retry_after = -1;
	if (!fetch_url_allowed(url, o->allow_insecure_localhost)) {
		snprintf(r->error, sizeof r->error,
			 "URL refused: only https (or http://127.0.0.1 when allowed)");
		return -1;
	}
	if (!handle && !(handle = curl_easy_init())) {
		snprintf(r->error, sizeof r->error, "curl_easy_init failed");
		return -1;
	}
	curl_easy_reset(handle); /* options go, open connections stay */
	struct sink sink = {r, max, 0};
	struct head head = {r, -1};
	char errbuf[CURL_ERROR_SIZE] = "";
	struct curl_slist *hdrs = NULL;
	char *auth = NULL;
	long timeout_ms = o->timeout * 1000;
	CURL *c = handle;
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, o->allow_insecure_localhost ? "https,http" : "https");
	curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);
	curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 1L);
	curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 2L);
	if (o->ca_file)
		curl_easy_setopt(c, CURLOPT_CAINFO, o->ca_file);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, timeout_ms);
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS,
			 timeout_ms < CONNECT_TIMEOUT_MAX_MS ? timeout_ms : CONNECT_TIMEOUT_MAX_MS);
	curl_easy_setopt(c, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)max);
	curl_easy_setopt(c, CURLOPT_USERAGENT, "mcpauth/" PACKAGE_VERSION);
	curl_easy_setopt(c, CURLOPT_ERRORBUFFER, errbuf);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, &sink);
	curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(c, CURLOPT_HEADERDATA, &head);
	hdrs = curl_slist_append(hdrs, "Accept: application/json");
	if (bearer) {
		auth = ck_asprintf("Authorization: Bearer %s", bearer);
		hdrs = curl_slist_append(hdrs, auth);
	}
	if (form) {
		curl_easy_setopt(c, CURLOPT_POSTFIELDS, form);
		hdrs = curl_slist_append(hdrs, "Content-Type: application/x-www-form-urlencoded");
	}
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, hdrs);
	CURLcode rc = curl_easy_perform(c);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, NULL);
	curl_easy_setopt(c, CURLOPT_POSTFIELDS, NULL);
	curl_easy_setopt(c, CURLOPT_ERRORBUFFER, NULL);
	curl_slist_free_all(hdrs);
	if (auth)
		secure_free(auth, strlen(auth));
	if (rc != CURLE_OK) {
		if (sink.over || rc == CURLE_FILESIZE_EXCEEDED)
			snprintf(r->error, sizeof r->error, "answer larger than %zu bytes", max);
		else
			snprintf(r->error, sizeof r->error, "%s",
				 errbuf[0] ? errbuf : curl_easy_strerror(rc));
		if (r->body)
			secure_free(r->body, r->len);
		r->body = NULL;
		r->len = 0;
		return -1;
	}
	r->reached = 1;
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &r->status);
	if (!r->body)
		r->body = ck_strdup("");
	if (r->retry_after < 0 && head.reset > 0) {
		time_t now = time(NULL);
		long wait = head.reset > now ? (long)(head.reset - now) : 0;
		r->retry_after = wait > RETRY_AFTER_MAX ? RETRY_AFTER_MAX : wait;
	}
	return 0;
}

int fetch_get(const struct fetch_opts *o, const char *url, const char *bearer, size_t max,
	      struct fetch_result *r)
{
	return perform(o, url, bearer, NULL, max, r);
}

int fetch_post_form(const struct fetch_opts *o, const char *url, const char *form, size_t max,
		    struct fetch_result *r)
{
	return perform(o, url, NULL, form, max, r);
}

void fetch_result_free(struct fetch_result *r)
{
	if (r->body)
		secure_free(r->body, r->len);
	memset(r, 0, sizeof *r);
}
