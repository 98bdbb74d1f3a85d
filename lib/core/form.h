/* form: application/x-www-form-urlencoded, as HTML forms post it and
 * OAuth requests carry it (bodies and query strings alike): the one
 * decoder, capped in size and fields, refusing a name given twice
 * (RFC 6749 section 3.1). */
#ifndef MCPAUTH_FORM_H
#define MCPAUTH_FORM_H

#include <stddef.h>

#define FORM_MAX_FIELDS 32
#define FORM_MAX_LEN (64 * 1024)

enum form_status {
	FORM_OK = 0,
	FORM_MALFORMED, /* a bad percent-escape, %00, an empty name */
	FORM_TOO_MANY,	/* over FORM_MAX_FIELDS fields */
	FORM_DUPLICATE, /* a name given twice */
	FORM_TOO_LONG,	/* over FORM_MAX_LEN bytes */
};

struct form {
	size_t n;
	char *name[FORM_MAX_FIELDS];
	char *value[FORM_MAX_FIELDS];
};

/* Decodes len bytes of text ('+' is a space, then percent-decoding) into
 * f. On anything but FORM_OK, f is empty (and still safe to free). */
enum form_status form_parse(struct form *f, const char *text, size_t len);
/* The value of name, or NULL when absent or empty (RFC 6749 section 3.1:
 * a parameter without a value is treated as omitted). */
const char *form_get(const struct form *f, const char *name);
void form_free(struct form *f);
const char *form_strerror(enum form_status st);

/* 1 when a Content-Type value names application/x-www-form-urlencoded
 * (parameters such as charset allowed). */
int form_content_type_ok(const char *content_type);

/* The value of the cookie name in a Cookie header (NULL: none), as sent;
 * caller frees. */
char *form_cookie(const char *header, const char *name);

#endif
