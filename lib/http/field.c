#include "field.h"
#include "util.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PERMISSION_MAX_LEN 64

static int bad(char *msg, size_t n, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static int bad(char *msg, size_t n, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, n, fmt, ap);
	va_end(ap);
	/* Names may come from the caller: a cut must not split a character. */
	utf8_trim(msg);
	return 0;
}

static int email_ok(const char *s)
{
	const char *at = strchr(s, '@');
	return at && at != s && at[1] && !strchr(at + 1, '@') && !strpbrk(s, " \t\r\n");
}

static int scope_ok(const char *s)
{
	for (const unsigned char *p = (const unsigned char *)s; *p; p++)
		if (*p != ' ' && (*p < 0x21 || *p > 0x7e || *p == '"' || *p == '\\'))
			return 0;
	return 1;
}

static int permission_ok(const char *s, size_t n)
{
	if (n == 0 || n > PERMISSION_MAX_LEN)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') || s[i] == ':' || s[i] == '_' || s[i] == '-'))
			return 0;
	return 1;
}

static const char permission_rule[] = "a string of a-z, ':', '_' or '-' (1 to 64 bytes)";

static int check_string(const struct field *f, json_object *v, char *msg, size_t n)
{
	if (!json_object_is_type(v, json_type_string))
		return bad(msg, n, "Field '%s' must be a string", f->name);
	const char *s = json_object_get_string(v);
	size_t len = (size_t)json_object_get_string_len(v);
	if (len < (size_t)f->min)
		return f->min == 1 ? bad(msg, n, "Field '%s' must not be empty", f->name)
				   : bad(msg, n, "Field '%s' is shorter than %ld bytes", f->name, f->min);
	if (f->max && len > (size_t)f->max)
		return bad(msg, n, "Field '%s' is longer than %ld bytes", f->name, f->max);
	if (memchr(s, '\0', len))
		return bad(msg, n, "Field '%s' must not contain NUL", f->name);
	switch (f->format) {
	case FORMAT_EMAIL:
		if (!email_ok(s))
			return bad(msg, n, "Field '%s' must be an email address", f->name);
		break;
	case FORMAT_SCOPE:
		if (!scope_ok(s))
			return bad(msg, n, "Field '%s' holds a character no scope has", f->name);
		break;
	case FORMAT_PERMISSION:
		if (!permission_ok(s, len))
			return bad(msg, n, "Field '%s' must be %s", f->name, permission_rule);
		break;
	case FORMAT_NONE:
		break;
	}
	return 1;
}

static int check_array(const struct field *f, json_object *v, char *msg, size_t n)
{
	if (!json_object_is_type(v, json_type_array))
		return bad(msg, n, "Field '%s' must be an array of %s", f->name,
			   f->sub ? "objects" : "strings");
	size_t len = json_object_array_length(v);
	if (f->max && len > (size_t)f->max)
		return bad(msg, n, "Field '%s' has more than %ld entries", f->name, f->max);
	if (len < (size_t)f->min)
		return bad(msg, n, "Field '%s' has fewer than %ld entries", f->name, f->min);
	for (size_t i = 0; i < len; i++) {
		json_object *e = json_object_array_get_idx(v, i);
		if (f->sub) {
			if (!json_object_is_type(e, json_type_object))
				return bad(msg, n, "Each of '%s' must be a JSON object", f->name);
			if (!field_check_object(f->sub, e, msg, n))
				return 0;
			continue;
		}
		int ok = json_object_is_type(e, json_type_string);
		if (ok && f->format == FORMAT_PERMISSION)
			ok = permission_ok(json_object_get_string(e), (size_t)json_object_get_string_len(e));
		if (!ok)
			return bad(msg, n, "Each of '%s' must be %s", f->name,
				   f->format == FORMAT_PERMISSION ? permission_rule : "a string");
	}
	return 1;
}

int field_check(const struct field *f, json_object *v, char *msg, size_t n)
{
	if (!v && (f->flags & FIELD_NULLABLE))
		return 1;
	switch (f->type) {
	case FIELD_STRING:
		return check_string(f, v, msg, n);
	case FIELD_INTEGER:
		if (!json_object_is_type(v, json_type_int))
			return bad(msg, n, "Field '%s' must be an integer", f->name);
		if ((f->min || f->max) && json_object_get_int64(v) < f->min)
			return bad(msg, n, "Field '%s' must be at least %ld", f->name, f->min);
		if (f->max && json_object_get_int64(v) > f->max)
			return bad(msg, n, "Field '%s' must be at most %ld", f->name, f->max);
		return 1;
	case FIELD_BOOLEAN:
		if (!json_object_is_type(v, json_type_boolean))
			return bad(msg, n, "Field '%s' must be a boolean", f->name);
		return 1;
	case FIELD_ARRAY:
		return check_array(f, v, msg, n);
	case FIELD_OBJECT:
		if (!json_object_is_type(v, json_type_object))
			return bad(msg, n, "Field '%s' must be a JSON object", f->name);
		return !f->sub || field_check_object(f->sub, v, msg, n);
	}
	return bad(msg, n, "Field '%s' has no known type", f->name);
}

const struct field *field_find(const struct field_list *l, const char *name, size_t len)
{
	for (size_t i = 0; i < l->n; i++)
		if (strlen(l->fields[i].name) == len && memcmp(l->fields[i].name, name, len) == 0)
			return &l->fields[i];
	return NULL;
}

int field_check_object(const struct field_list *l, json_object *o, char *msg, size_t n)
{
	json_object_object_foreach(o, key, val)
	{
		(void)val;
		if (!field_find(l, key, strlen(key)))
			return bad(msg, n, "Unknown field '%s'", key);
	}
	return field_check_known(l, o, msg, n);
}

int field_check_known(const struct field_list *l, json_object *o, char *msg, size_t n)
{
	for (size_t i = 0; i < l->n; i++) {
		const struct field *f = &l->fields[i];
		json_object *v;
		if (!json_object_object_get_ex(o, f->name, &v)) {
			if (f->flags & FIELD_REQUIRED)
				return bad(msg, n, "Field '%s' is required", f->name);
			continue;
		}
		if (!field_check(f, v, msg, n))
			return 0;
	}
	return 1;
}

/* A query value as the JSON value its field's type reads it as; text that
 * is not of that type stays a string, which the check then refuses. */
static json_object *query_value(const struct field *f, const char *text)
{
	if (f->type == FIELD_INTEGER && *text && (*text == '-' || (*text >= '0' && *text <= '9'))) {
		char *end;
		errno = 0;
		long long x = strtoll(text, &end, 10);
		if (!*end && errno == 0)
			return json_object_new_int64(x);
	}
	if (f->type == FIELD_BOOLEAN && (strcmp(text, "true") == 0 || strcmp(text, "false") == 0))
		return json_object_new_boolean(*text == 't');
	return json_object_new_string(text);
}

enum http_flow field_check_request(const struct route_fields *rf, int in_query, struct request *req,
				   struct response *resp)
{
	char msg[FIELD_MSG_MAX];
	if (!rf)
		return HTTP_GO_ON;
	if (in_query) {
		if (!rf->in.n)
			return HTTP_GO_ON;
		json_object *o = json_object_new_object();
		req->fields = o;
		for (size_t i = 0; i < rf->in.n; i++) {
			const struct field *f = &rf->in.fields[i];
			char *text = request_query(req, f->name);
			if (!text && (f->flags & FIELD_REQUIRED)) {
				bad(msg, sizeof msg, "Field '%s' is required", f->name);
				goto refuse;
			}
			if (!text)
				continue;
			json_object *v = query_value(f, text);
			free(text);
			json_object_object_add(o, f->name, v);
			if (!field_check(f, v, msg, sizeof msg))
				goto refuse;
		}
		return HTTP_GO_ON;
	}
	if (!req->body && !rf->in.n)
		return HTTP_GO_ON;
	if (!req->body || !json_object_is_type(req->body, json_type_object)) {
		snprintf(msg, sizeof msg, "The request body must be a JSON object");
		goto refuse;
	}
	if (!((rf->flags & FIELDS_OPEN) ? field_check_known : field_check_object)(&rf->in, req->body, msg,
										  sizeof msg))
		goto refuse;
	req->fields = json_object_get(req->body);
	return HTTP_GO_ON;
refuse:
	response_error(resp, 400, "Invalid request", msg);
	return HTTP_ANSWERED;
}

json_object *field_get(const struct request *req, const char *name)
{
	json_object *v;
	if (!req->fields || !json_object_object_get_ex(req->fields, name, &v))
		return NULL;
	return v;
}

const char *field_str(const struct request *req, const char *name)
{
	json_object *v = field_get(req, name);
	return v && json_object_is_type(v, json_type_string) ? json_object_get_string(v) : NULL;
}

char *field_join(json_object *array)
{
	if (!array || !json_object_is_type(array, json_type_array))
		return NULL;
	struct sbuf b = {0};
	sbuf_add(&b, "", 0);
	for (size_t i = 0; i < json_object_array_length(array); i++) {
		json_object *e = json_object_array_get_idx(array, i);
		if (!json_object_is_type(e, json_type_string))
			continue;
		if (b.len)
			sbuf_add(&b, " ", 1);
		sbuf_adds(&b, json_object_get_string(e));
	}
	return sbuf_take(&b);
}

char *field_words(const struct request *req, const char *name)
{
	return field_join(field_get(req, name));
}

/* --- JSON Schema ------------------------------------------------------------ */

static json_object *type_of(const char *type, unsigned flags)
{
	if (!(flags & FIELD_NULLABLE))
		return json_object_new_string(type);
	json_object *a = json_object_new_array();
	json_object_array_add(a, json_object_new_string(type));
	json_object_array_add(a, json_object_new_string("null"));
	return a;
}

/* The format as a JSON Schema pattern: clients check what the server does. */
static const char *format_pattern(enum field_format fmt)
{
	switch (fmt) {
	case FORMAT_EMAIL:
		return "^[^@ \t\r\n]+@[^@ \t\r\n]+$";
	case FORMAT_SCOPE:
		return "^[\\x21\\x23-\\x5B\\x5D-\\x7E ]*$";
	case FORMAT_PERMISSION:
		return "^[a-z:_-]{1,64}$";
	case FORMAT_NONE:
		break;
	}
	return NULL;
}

static void add_string_rules(json_object *s, const struct field *f)
{
	if (f->min)
		json_object_object_add(s, "minLength", json_object_new_int64(f->min));
	if (f->max)
		json_object_object_add(s, "maxLength", json_object_new_int64(f->max));
	const char *pattern = format_pattern(f->format);
	if (pattern)
		json_object_object_add(s, "pattern", json_object_new_string(pattern));
}

json_object *field_schema(const struct field *f)
{
	json_object *s = json_object_new_object();
	switch (f->type) {
	case FIELD_STRING:
		json_object_object_add(s, "type", type_of("string", f->flags));
		add_string_rules(s, f);
		break;
	case FIELD_INTEGER:
		json_object_object_add(s, "type", type_of("integer", f->flags));
		if (f->min || f->max)
			json_object_object_add(s, "minimum", json_object_new_int64(f->min));
		if (f->max)
			json_object_object_add(s, "maximum", json_object_new_int64(f->max));
		break;
	case FIELD_BOOLEAN:
		json_object_object_add(s, "type", type_of("boolean", f->flags));
		break;
	case FIELD_ARRAY: {
		json_object_object_add(s, "type", type_of("array", f->flags));
		json_object *items;
		if (f->sub) {
			items = field_object_schema(f->sub);
		} else {
			items = json_object_new_object();
			json_object_object_add(items, "type", json_object_new_string("string"));
			if (f->format == FORMAT_PERMISSION)
				json_object_object_add(items, "pattern",
						       json_object_new_string(format_pattern(f->format)));
		}
		json_object_object_add(s, "items", items);
		if (f->min)
			json_object_object_add(s, "minItems", json_object_new_int64(f->min));
		if (f->max)
			json_object_object_add(s, "maxItems", json_object_new_int64(f->max));
		break;
	}
	case FIELD_OBJECT:
		if (f->sub) {
			json_object_put(s);
			s = field_object_schema(f->sub);
			if (f->flags & FIELD_NULLABLE)
				json_object_object_add(s, "type", type_of("object", f->flags));
		} else {
			json_object_object_add(s, "type", type_of("object", f->flags));
		}
		break;
	}
	if (f->description)
		json_object_object_add(s, "description", json_object_new_string(f->description));
	return s;
}

void field_schema_add(const struct field_list *l, json_object *properties, json_object *required)
{
	for (size_t i = 0; i < l->n; i++) {
		const struct field *f = &l->fields[i];
		if (json_object_object_get_ex(properties, f->name, NULL))
			continue;
		json_object_object_add(properties, f->name, field_schema(f));
		if (f->flags & FIELD_REQUIRED)
			json_object_array_add(required, json_object_new_string(f->name));
	}
}

json_object *field_object_schema(const struct field_list *l)
{
	json_object *s = json_object_new_object(), *props = json_object_new_object();
	json_object *req = json_object_new_array();
	field_schema_add(l, props, req);
	json_object_object_add(s, "type", json_object_new_string("object"));
	json_object_object_add(s, "properties", props);
	/* JSON Schema draft 4 wants at least one name in "required". */
	if (json_object_array_length(req))
		json_object_object_add(s, "required", req);
	else
		json_object_put(req);
	json_object_object_add(s, "additionalProperties", json_object_new_boolean(0));
	return s;
}
