/* field: a route's input and answer as data. Each field is written once
 * (name, type, required, limits, description); the dispatcher checks a
 * request's fields with it before the handler runs, for HTTP and MCP tool
 * calls alike, and the MCP inputSchema and outputSchema are generated from
 * it. As kcgi's struct kvalid: handlers read fields already checked. */
#ifndef MCPAUTH_FIELD_H
#define MCPAUTH_FIELD_H

#include <json-c/json.h>
#include <stddef.h>

#include "http.h"

enum field_type {
	FIELD_STRING,
	FIELD_INTEGER,
	FIELD_BOOLEAN,
	FIELD_ARRAY,  /* of strings (format applies to each), or of objects when sub is set */
	FIELD_OBJECT, /* with the members in sub, or any object when sub is NULL */
};

enum {
	FIELD_REQUIRED = 1 << 0,
	FIELD_NULLABLE = 1 << 1, /* answers: the value may be null */
};

/* A rule on a string's characters beyond its length. */
enum field_format {
	FORMAT_NONE,
	FORMAT_EMAIL,	   /* one '@' with something on each side, no blank */
	FORMAT_SCOPE,	   /* RFC 6749 scope tokens and spaces */
	FORMAT_PERMISSION, /* [a-z:_-], 1 to 64 bytes */
};

struct field_list;

struct field {
	const char *name;
	enum field_type type;
	unsigned flags;
	long min, max; /* string: bytes; integer: value; array: items (min >= 0). max 0: none */
	enum field_format format;
	const char *description;
	const struct field_list *sub; /* FIELD_OBJECT members, or FIELD_ARRAY items' members */
};

struct field_list {
	const struct field *fields;
	size_t n;
};

enum {
	/* Body members the input table does not name are ignored, not refused:
	 * for protocols that require it (RFC 7591 client metadata). */
	FIELDS_OPEN = 1 << 0,
	/* The answer may hold members its table does not name: a tenant's
	 * answer passed on (Auth0 mode), which the suite does not shape. */
	FIELDS_OUT_OPEN = 1 << 1,
};

/* A route's field tables: its input (the JSON body, or the query string
 * of GET, HEAD and DELETE) and its answer (a JSON object). */
struct route_fields {
	struct field_list in, out;
	unsigned flags;
};

#define FIELD_LIST(a)                                                                                        \
	{                                                                                                    \
		(a), sizeof(a) / sizeof((a)[0])                                                              \
	}
#define FIELD_LIST_NONE                                                                                      \
	{                                                                                                    \
		NULL, 0                                                                                      \
	}

#define FIELD_MAX_LEN 256
#define FIELD_PERMISSIONS_MAX 64
/* A list of permission names, the one rule for it (the API and the CLI). */
#define FIELD_PERMISSIONS(fl, desc)                                                                          \
	{                                                                                                    \
		.name = "permissions", .type = FIELD_ARRAY, .flags = (fl), .max = FIELD_PERMISSIONS_MAX,     \
		.format = FORMAT_PERMISSION, .description = (desc)                                           \
	}

/* The longest message a check writes. */
#define FIELD_MSG_MAX 256

/* 1 when v satisfies f, or 0 with the reason in msg ("Field 'x' must be a
 * string"). */
int field_check(const struct field *f, json_object *v, char *msg, size_t n);
/* 1 when the object o holds every required field of l, each valid, and no
 * other member; 0 with the reason in msg. The first unknown member is
 * named before any missing one: a misspelt field is then named as such. */
int field_check_object(const struct field_list *l, json_object *o, char *msg, size_t n);
/* The same, other members ignored (FIELDS_OPEN). */
int field_check_known(const struct field_list *l, json_object *o, char *msg, size_t n);
/* The field named name in l, or NULL (name need not be NUL-terminated). */
const struct field *field_find(const struct field_list *l, const char *name, size_t len);

/* The dispatcher's step: checks req against route's input table. Body
 * routes: the body must be a JSON object of the table's fields (others
 * ignored when the table is FIELDS_OPEN); query
 * routes: each field of the table found in the query string (other
 * parameters are ignored: URLs carry what the API does not own). Fills
 * req->fields and returns HTTP_GO_ON, or answers 400 "Invalid request" in
 * resp and returns HTTP_ANSWERED. A route without a table passes at the cost of one test. */
enum http_flow field_check_request(const struct route_fields *rf, int in_query, struct request *req,
				   struct response *resp);

/* Checked fields, for handlers: NULL when absent. */
json_object *field_get(const struct request *req, const char *name);
const char *field_str(const struct request *req, const char *name);
/* An array of strings joined by spaces (caller frees), or NULL. */
char *field_words(const struct request *req, const char *name);
char *field_join(json_object *array);

/* JSON Schema of a list: {"type":"object","properties",...,"required",
 * "additionalProperties":false} (field_check_object refuses other members
 * too); of one field: its "type", limits and description. */
json_object *field_schema(const struct field *f);
void field_schema_add(const struct field_list *l, json_object *properties, json_object *required);
json_object *field_object_schema(const struct field_list *l);

#endif
