#include "validate.h"
#include "util.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PERMISSION_MAX_LEN 64
#define PERMISSIONS_MAX 64

static int bad(struct response *resp, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static int bad(struct response *resp, const char *fmt, ...)
{
	char msg[256];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	utf8_trim(msg);
	response_error(resp, 400, "Invalid request", msg);
	return 0;
}

int validate_body_object(const struct request *req, struct response *resp)
{
	if (req->body && json_object_is_type(req->body, json_type_object))
		return 1;
	response_error(resp, 400, "Invalid request", "The request body must be a JSON object");
	return 0;
}

int validate_string(const struct request *req, struct response *resp, const char *key, unsigned flags,
		    const char **out)
{
	json_object *v;
	*out = NULL;
	if (!json_object_object_get_ex(req->body, key, &v)) {
		if (flags & FIELD_REQUIRED)
			return bad(resp, "Field '%s' is required", key);
		return 1;
	}
	if (!json_object_is_type(v, json_type_string))
		return bad(resp, "Field '%s' must be a string", key);
	const char *s = json_object_get_string(v);
	size_t n = (size_t)json_object_get_string_len(v);
	if (n == 0)
		return bad(resp, "Field '%s' must not be empty", key);
	if (n > ((flags & FIELD_LONG) ? 1024 : FIELD_MAX_LEN))
		return bad(resp, "Field '%s' is longer than %d bytes", key, (flags & FIELD_LONG) ? 1024 : FIELD_MAX_LEN);
	if (memchr(s, '\0', n))
		return bad(resp, "Field '%s' must not contain NUL", key);
	if (flags & FIELD_EMAIL) {
		const char *at = strchr(s, '@');
		if (!at || at == s || !at[1] || strchr(at + 1, '@') || strpbrk(s, " \t\r\n"))
			return bad(resp, "Field '%s' must be an email address", key);
	}
	*out = s;
	return 1;
}

static int permission_name_ok(const char *s, size_t n)
{
	if (n == 0 || n > PERMISSION_MAX_LEN)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') || s[i] == ':' || s[i] == '_' || s[i] == '-'))
			return 0;
	return 1;
}

int validate_permissions(json_object *arr, struct response *resp, char **out)
{
	*out = NULL;
	if (!json_object_is_type(arr, json_type_array))
		return bad(resp, "Field '%s' must be an array of strings", "permissions");
	size_t n = json_object_array_length(arr);
	if (n > PERMISSIONS_MAX)
		return bad(resp, "Field '%s' has more than 64 entries", "permissions");
	struct sbuf b = {0};
	sbuf_add(&b, "", 0);
	for (size_t i = 0; i < n; i++) {
		json_object *p = json_object_array_get_idx(arr, i);
		if (!json_object_is_type(p, json_type_string) ||
		    !permission_name_ok(json_object_get_string(p), (size_t)json_object_get_string_len(p))) {
			sbuf_free(&b);
			return bad(resp, "Each of '%s' must be a string of a-z, ':', '_' or '-' (1 to 64 bytes)",
				   "permissions");
		}
		if (b.len)
			sbuf_add(&b, " ", 1);
		sbuf_adds(&b, json_object_get_string(p));
	}
	*out = b.p;
	return 1;
}
