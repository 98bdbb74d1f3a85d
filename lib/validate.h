/* validate: checks of request fields, each answering the one 400 shape. */
#ifndef MCPAUTH_VALIDATE_H
#define MCPAUTH_VALIDATE_H

#include "http.h"

#define FIELD_MAX_LEN 256

enum {
	FIELD_REQUIRED = 1 << 0,
	FIELD_EMAIL = 1 << 1,   /* must contain '@' */
	FIELD_LONG = 1 << 2,    /* up to 1024 bytes (passwords) */
};

/* The body must be a JSON object: 0 with a 400 in resp otherwise. */
int validate_body_object(const struct request *req, struct response *resp);
/* *out is the field's string (NULL when absent and optional). Returns 1,
 * or 0 with a 400 in resp: wrong type, empty, too long, not an email. */
int validate_string(const struct request *req, struct response *resp, const char *key, unsigned flags,
		    const char **out);
/* A JSON array of permission names ([a-z:_-], 1..64 bytes, at most 64 of
 * them) joined with spaces into *out (caller frees). 1, or 0 with a 400. */
int validate_permissions(json_object *arr, struct response *resp, char **out);

#endif
