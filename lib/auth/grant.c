#include "grant.h"
#include "audit.h"
#include "token.h"
#include "util.h"

#include <stdlib.h>
#include <string.h>

enum http_flow grant_check(const struct request *req, struct response *resp, const char *held,
			   const char *wanted, const char *target, const char *target_email)
{
	const char *s;
	size_t n;
	for (const char *c = wanted; list_next(&c, " ", &s, &n);) {
		if (!words_has(held, s, n)) {
			char *perm = ck_strndup(s, n);
			if (!req->principal || !principal_has_permission(req->principal, perm)) {
				audit_event(req, "grant_refused", "sub",
					    req->principal ? req->principal->sub : NULL, "permission", perm,
					    "target", target, "target_email", target_email, NULL);
				char *msg =
				    ck_asprintf("Cannot grant '%s': the caller does not hold it", perm);
				json_object *body = response_error(resp, 403, "Permission not held", msg);
				json_object_object_add(body, "permission", json_object_new_string(perm));
				free(msg);
				free(perm);
				return HTTP_ANSWERED;
			}
			free(perm);
		}
	}
	return HTTP_GO_ON;
}
