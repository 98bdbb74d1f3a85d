#include "tool.h"
#include "guard.h"
#include "util.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char well_known[] = "/.well-known/";
/* The authorization server's endpoints are for OAuth clients, not models:
 * a tool call would bring a client secret or a code into a model's context. */
static const char oauth_prefix[] = "/oauth/";
/* Nor the authorization endpoint's pages: a browser's, with a password. */
static const char authorize_prefix[] = "/authorize";

void tool_base_name(const struct route *r, char out[TOOL_NAME_MAX + 1])
{
	size_t n = 0;
	int sep = 0, any = 0;
	for (const char *m = r->method; *m && n < TOOL_NAME_MAX; m++)
		out[n++] = (char)tolower((unsigned char)*m);
	/* Runs of anything but letters and digits ('/', ':', '.', '-') become
	 * one '_'; none is left at the end. */
	for (const char *p = r->pattern; *p && n < TOOL_NAME_MAX; p++) {
		unsigned char c = (unsigned char)*p;
		if (!isalnum(c)) {
			sep = 1;
			continue;
		}
		if (sep && n < TOOL_NAME_MAX - 1)
			out[n++] = '_';
		sep = 0;
		out[n++] = (char)tolower(c);
		any = 1;
	}
	if (!any)
		for (const char *s = "_root"; *s && n < TOOL_NAME_MAX; s++)
			out[n++] = *s;
	out[n] = '\0';
}

static int name_taken(const struct toolset *ts, const char *name)
{
	for (size_t i = 0; i < ts->ntools; i++)
		if (strcmp(ts->tools[i].name, name) == 0)
			return 1;
	return 0;
}

static int is_tool(const struct route_group *g, const struct route *r)
{
	return !(g->flags & GROUP_NO_TOOLS) && strncmp(r->pattern, well_known, sizeof well_known - 1) != 0 &&
	       strncmp(r->pattern, oauth_prefix, sizeof oauth_prefix - 1) != 0 &&
	       strncmp(r->pattern, authorize_prefix, sizeof authorize_prefix - 1) != 0;
}

void toolset_init(struct toolset *ts, const struct route_group *const *groups, size_t ngroups)
{
	size_t n = 0;
	for (size_t g = 0; g < ngroups; g++)
		n += groups[g]->nroutes;
	ts->tools = ck_calloc(n ? n : 1, sizeof *ts->tools);
	ts->ntools = 0;
	for (size_t g = 0; g < ngroups; g++) {
		for (size_t i = 0; i < groups[g]->nroutes; i++) {
			const struct route *r = &groups[g]->routes[i];
			if (!is_tool(groups[g], r))
				continue;
			struct tool *t = &ts->tools[ts->ntools];
			t->route = r;
			char base[TOOL_NAME_MAX + 1];
			tool_base_name(r, base);
			memcpy(t->name, base, sizeof base);
			for (int k = 2; name_taken(ts, t->name); k++) {
				char suffix[16];
				int slen = snprintf(suffix, sizeof suffix, "_%d", k);
				size_t keep = strlen(base);
				if (keep > TOOL_NAME_MAX - (size_t)slen)
					keep = TOOL_NAME_MAX - (size_t)slen;
				snprintf(t->name, sizeof t->name, "%.*s%s", (int)keep, base, suffix);
			}
			t->express_name = ck_asprintf("%s_%s", r->method, r->pattern);
			t->title = ck_asprintf("%s %s", r->method, r->pattern);
			ts->ntools++;
		}
	}
}

void toolset_free(struct toolset *ts)
{
	for (size_t i = 0; i < ts->ntools; i++) {
		free(ts->tools[i].express_name);
		free(ts->tools[i].title);
	}
	free(ts->tools);
	memset(ts, 0, sizeof *ts);
}

const struct tool *toolset_find(const struct toolset *ts, const char *name, unsigned forms)
{
	if (!name)
		return NULL;
	for (size_t i = 0; i < ts->ntools; i++) {
		const struct tool *t = &ts->tools[i];
		if (((forms & TOOL_NAME_MCP) && strcmp(t->name, name) == 0) ||
		    ((forms & TOOL_NAME_EXPRESS) && strcmp(t->express_name, name) == 0) ||
		    ((forms & TOOL_NAME_TITLE) && strcmp(t->title, name) == 0))
			return t;
	}
	return NULL;
}

int tool_visible(const struct tool *t, const struct principal *p)
{
	return !p || guard_allows(t->route, p);
}

/* The path parameters of a pattern, one at a time: *pos starts at 0. */
static int next_param(const char *pattern, size_t *pos, const char **name, size_t *len)
{
	const char *p = strstr(pattern + *pos, "/:");
	if (!p)
		return 0;
	*name = p + 2;
	*len = strcspn(*name, "/");
	*pos = (size_t)(*name - pattern) + *len;
	return 1;
}

static int is_path_param(const char *pattern, const char *key)
{
	size_t pos = 0, len;
	const char *name;
	while (next_param(pattern, &pos, &name, &len))
		if (strlen(key) == len && strncmp(name, key, len) == 0)
			return 1;
	return 0;
}

/* Other arguments are ignored rather than refused (FIELDS_OPEN). */
static int open_fields(const struct route *r)
{
	return r->fields && (r->fields->flags & FIELDS_OPEN);
}

/* The route's input fields: none when it has no table. */
static const struct field_list *input_fields(const struct route *r)
{
	static const struct field_list none = FIELD_LIST_NONE;
	return r->fields ? &r->fields->in : &none;
}

/* A new schema object naming its dialect first. */
static json_object *schema_new(void)
{
	json_object *s = json_object_new_object();
	json_object_object_add(s, "$schema", json_object_new_string(TOOL_SCHEMA_DIALECT));
	return s;
}

json_object *tool_output_schema(const struct tool *t)
{
	const struct route_fields *rf = t->route->fields;
	json_object *s = schema_new();
	if (!rf || !rf->out.n) {
		json_object_object_add(s, "type", json_object_new_string("object"));
		return s;
	}
	json_object *table = field_object_schema(&rf->out);
	json_object_object_foreach(table, key, val)
	{
		json_object_object_add(s, key, json_object_get(val));
	}
	json_object_put(table);
	if (rf->flags & FIELDS_OUT_OPEN)
		json_object_object_add(s, "additionalProperties", json_object_new_boolean(1));
	return s;
}

json_object *tool_input_schema(const struct tool *t)
{
	json_object *props = json_object_new_object(), *required = json_object_new_array();
	size_t pos = 0, len;
	const char *name;
	while (next_param(t->route->pattern, &pos, &name, &len)) {
		char *key = ck_strndup(name, len);
		char *desc = ck_asprintf("Path parameter :%s (sent URL-encoded)", key);
		json_object *p = json_object_new_object();
		json_object_object_add(p, "type", json_object_new_string("string"));
		json_object_object_add(p, "minLength", json_object_new_int(1));
		json_object_object_add(p, "description", json_object_new_string(desc));
		json_object_object_add(props, key, p);
		json_object_array_add(required, json_object_new_string(key));
		free(desc);
		free(key);
	}
	field_schema_add(input_fields(t->route), props, required);
	json_object *s = schema_new();
	json_object_object_add(s, "type", json_object_new_string("object"));
	json_object_object_add(s, "properties", props);
	/* JSON Schema draft 4 wants at least one name in "required". */
	if (json_object_array_length(required))
		json_object_object_add(s, "required", required);
	else
		json_object_put(required);
	json_object_object_add(s, "additionalProperties", json_object_new_boolean(open_fields(t->route)));
	return s;
}

char *tool_description(const struct tool *t)
{
	const struct route *r = t->route;
	char need[160];
	route_requirement_text(r, ROUTE_TEXT_SENTENCE, need, sizeof need);
	return ck_asprintf("%s (%s %s). %s", r->summary, r->method, r->pattern, need);
}

json_object *tool_annotations(const struct tool *t)
{
	const struct route *r = t->route;
	int read = strcmp(r->method, "GET") == 0 || strcmp(r->method, "HEAD") == 0;
	int replaces = strcmp(r->method, "PUT") == 0 || strcmp(r->method, "DELETE") == 0;
	json_object *a = json_object_new_object();
	json_object_object_add(a, "title", json_object_new_string(t->title));
	json_object_object_add(a, "readOnlyHint", json_object_new_boolean(read));
	/* Every hint is given: a client assumes the worst of one left out. */
	json_object_object_add(
	    a, "destructiveHint",
	    json_object_new_boolean(!read && (replaces || (r->flags & ROUTE_DESTRUCTIVE))));
	json_object_object_add(a, "idempotentHint",
			       json_object_new_boolean(read || replaces || (r->flags & ROUTE_IDEMPOTENT)));
	/* A tool acts on this API only. */
	json_object_object_add(a, "openWorldHint", json_object_new_boolean(0));
	return a;
}

static int build_path(const struct route *r, json_object *args, struct sbuf *path, char *err, size_t errlen)
{
	for (const char *p = r->pattern; *p;) {
		size_t len = strcspn(p + 1, "/") + 1; /* one "/segment" */
		if (p[1] != ':') {
			sbuf_add(path, p, len);
			p += len;
			continue;
		}
		char *key = ck_strndup(p + 2, len - 2);
		/* A path parameter is a required, non-empty string field. */
		const struct field param = {
		    .name = key, .type = FIELD_STRING, .flags = FIELD_REQUIRED, .min = 1};
		const struct field_list one = {&param, 1};
		json_object *v = NULL, *only = json_object_new_object();
		if (args && json_object_object_get_ex(args, key, &v))
			json_object_object_add(only, key, json_object_get(v));
		int ok = field_check_object(&one, only, err, errlen);
		json_object_put(only);
		if (ok) {
			char *enc = url_encode(json_object_get_string(v));
			sbuf_add(path, "/", 1);
			sbuf_adds(path, enc);
			free(enc);
		}
		free(key);
		if (!ok)
			return -1;
		p += len;
	}
	if (!path->len)
		sbuf_add(path, "/", 1);
	return 0;
}

/* The query string of fields, checked, in the table's order, so the same
 * arguments give the same URL. */
static void build_query(const struct field_list *l, json_object *fields, struct sbuf *query)
{
	sbuf_add(query, "", 0);
	for (size_t i = 0; i < l->n; i++) {
		json_object *v;
		if (!json_object_object_get_ex(fields, l->fields[i].name, &v))
			continue;
		const char *text =
		    json_object_is_type(v, json_type_string) ? json_object_get_string(v) : json_text(v);
		char *k = url_encode(l->fields[i].name), *val = url_encode(text);
		if (query->len)
			sbuf_add(query, "&", 1);
		sbuf_adds(query, k);
		sbuf_add(query, "=", 1);
		sbuf_adds(query, val);
		free(k);
		free(val);
	}
}

int tool_request(const struct tool *t, json_object *args, const struct request *caller, struct request *out,
		 char *err, size_t errlen)
{
	const struct route *r = t->route;
	struct sbuf path = {0}, query = {0};
	memset(out, 0, sizeof *out);
	if (args && !json_object_is_type(args, json_type_object)) {
		snprintf(err, errlen, "The arguments must be a JSON object");
		return 400;
	}
	if (build_path(r, args, &path, err, errlen) < 0) {
		sbuf_free(&path);
		return 400;
	}
	/* The arguments that are not path parameters: the route's fields. */
	json_object *fields = json_object_new_object();
	if (args) {
		json_object_object_foreach(args, akey, aval)
		{
			if (!is_path_param(r->pattern, akey))
				json_object_object_add(fields, akey, json_object_get(aval));
		}
	}
	if (route_in_query(r)) {
		/* A query string does not carry JSON types, so the dispatcher
		 * could not tell 5 from "5": the arguments are checked here,
		 * against the same table, with the same messages. */
		if (!(open_fields(r) ? field_check_known : field_check_object)(input_fields(r), fields, err,
									       errlen)) {
			json_object_put(fields);
			sbuf_free(&path);
			return 400;
		}
		build_query(input_fields(r), fields, &query);
		json_object_put(fields);
		fields = NULL;
	}
	out->method = r->method;
	out->path = path.p;
	out->query = query.p ? query.p : ck_strdup("");
	if (fields) {
		out->body = fields;
		out->body_raw = json_text(fields);
		out->body_len = strlen(out->body_raw);
		out->content_type = "application/json";
		if (out->body_len > HTTP_MAX_BODY) {
			request_free(out);
			snprintf(err, errlen, "The request body is over 64 KiB");
			return 413;
		}
	}
	out->authorization = caller->authorization;
	out->remote_addr = caller->remote_addr;
	out->host = caller->host;
	out->server_addr = caller->server_addr;
	out->https = caller->https;
	out->via_mcp = 1;
	/* The MCP endpoints checked the caller's token first: the route's
	 * guard takes that principal rather than verifying the same token again. */
	out->principal = caller->principal; /* borrowed: the caller outlives the call */
	out->accept = "application/json";
	return 0;
}

void tool_call(const struct tool *t, json_object *args, const struct request *caller,
	       const struct http_handler *dispatch, struct response *resp)
{
	struct request req;
	char err[FIELD_MSG_MAX];
	int status = tool_request(t, args, caller, &req, err, sizeof err);
	/* Refused arguments get the answer the same input gets over HTTP. */
	if (status == 413) {
		response_error(resp, 413, "Payload too large", err);
		return;
	}
	if (status) {
		response_error(resp, 400, "Invalid request", err);
		return;
	}
	/* The outer request's Host was checked; this one carries it. */
	dispatch->serve(dispatch->ctx, &req, resp);
	request_free(&req);
}
