#include "userjson.h"
#include "http.h"

json_object *user_json(const struct user *u, unsigned fields)
{
	json_object *o = json_object_new_object();
	const char *id = fields & USER_JSON_SUB ? "sub" : fields & USER_JSON_USER_ID ? "user_id" : "id";
	json_object_object_add(o, id, json_string_or_null(u->sub));
	json_object_object_add(o, "email", json_string_or_null(u->email));
	json_object_object_add(o, "name", json_string_or_null(u->name));
	if (fields & USER_JSON_PERMISSIONS)
		json_object_object_add(o, "permissions", json_word_array(u->permissions));
	if (fields & USER_JSON_SCOPE)
		json_object_object_add(o, "scope", json_string_or_null(u->scope));
	if (fields & USER_JSON_VERIFIED)
		json_object_object_add(o, "email_verified", json_object_new_boolean(u->email_verified));
	if (fields & USER_JSON_CREATED)
		json_object_object_add(o, "created_at", json_string_or_null(u->created_at));
	return o;
}
