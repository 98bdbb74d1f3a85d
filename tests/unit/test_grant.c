/* Unit tests of lib/grant.c: who may grant which permissions. */

#include <check.h>
#include <dirent.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "app.h"
#include "audit.h"
#include "config.h"
#include "cors.h"
#include "db.h"
#include "grant.h"
#include "ratelimit.h"
#include "refresh.h"
#include "route.h"
#include "unit.h"
#include "userdb.h"
#include "token.h"
#include "util.h"

/* --- grants: nobody grants a permission it does not hold ---------------- */

/* A request whose token carries perms (space-separated; NULL: no token). */
static void grant_request(struct request *req, const char *perms)
{
	memset(req, 0, sizeof *req);
	req->method = "POST";
	req->remote_addr = "127.0.0.1";
	if (perms) {
		struct principal *p = ck_calloc(1, sizeof *p);
		p->claims = json_object_new_object();
		json_object_object_add(p->claims, "sub", json_object_new_string("auth0|ops"));
		json_object_object_add(p->claims, "permissions", json_word_array(perms));
		p->sub = json_get_string(p->claims, "sub");
		json_object_object_get_ex(p->claims, "permissions", &p->permissions);
		req->principal = p;
	}
}

START_TEST(test_grant_check_refuses_a_permission_the_caller_lacks)
{
	struct request req;
	struct response resp;
	grant_request(&req, "read:users write:users");
	response_init(&resp);
	ck_assert_int_eq(grant_check(&req, &resp, "", "read:users admin:all", NULL, "evil@example.com"),
			 HTTP_ANSWERED);
	ck_assert_int_eq(resp.status, 403);
	ck_assert_str_eq(json_get_string(resp.body, "error"), "Permission not held");
	ck_assert_str_eq(json_get_string(resp.body, "permission"), "admin:all");
	ck_assert_str_eq(json_get_string(resp.body, "message"),
			 "Cannot grant 'admin:all': the caller does not hold it");
	const char *line = audit_last_line();
	ck_assert_ptr_nonnull(strstr(line, "\"event\":\"grant_refused\""));
	ck_assert_ptr_nonnull(strstr(line, "\"sub\":\"auth0|ops\""));
	ck_assert_ptr_nonnull(strstr(line, "\"permission\":\"admin:all\""));
	ck_assert_ptr_nonnull(strstr(line, "\"target_email\":\"evil@example.com\""));
	response_free(&resp);
	/* A name that is only a prefix of one held is not held. */
	response_init(&resp);
	ck_assert_int_eq(grant_check(&req, &resp, "", "write", NULL, NULL), HTTP_ANSWERED);
	ck_assert_str_eq(json_get_string(resp.body, "permission"), "write");
	response_free(&resp);
	principal_free(req.principal);
	free(req.principal);
	/* No token: nothing can be granted. */
	grant_request(&req, NULL);
	response_init(&resp);
	ck_assert_int_eq(grant_check(&req, &resp, "", "read:profile", "auth0|x", NULL), HTTP_ANSWERED);
	ck_assert_int_eq(resp.status, 403);
	response_free(&resp);
}
END_TEST

START_TEST(test_grant_check_allows_held_kept_and_removed)
{
	struct request req;
	struct response resp;
	grant_request(&req, "admin:all read:users");
	response_init(&resp);
	ck_assert_int_eq(grant_check(&req, &resp, "", NULL, NULL, NULL), HTTP_GO_ON);
	ck_assert_int_eq(grant_check(&req, &resp, "", "", NULL, NULL), HTTP_GO_ON);
	ck_assert_int_eq(grant_check(&req, &resp, "", " read:users  admin:all ", NULL, NULL), HTTP_GO_ON);
	/* What the target holds already is kept, not granted; removing is no grant. */
	ck_assert_int_eq(grant_check(&req, &resp, "write:users read:profile",
				     "read:profile write:users admin:all", "auth0|x", NULL),
			 HTTP_GO_ON);
	ck_assert_int_eq(grant_check(&req, &resp, "write:users read:profile", "", "auth0|x", NULL),
			 HTTP_GO_ON);
	ck_assert_int_eq(resp.status, 200); /* untouched */
	ck_assert_ptr_null(resp.body);
	/* Giving back what was removed is a grant again. */
	ck_assert_int_eq(
	    grant_check(&req, &resp, "read:profile", "read:profile write:users", "auth0|x", NULL),
	    HTTP_ANSWERED);
	ck_assert_str_eq(json_get_string(resp.body, "permission"), "write:users");
	response_free(&resp);
	principal_free(req.principal);
	free(req.principal);
}
END_TEST

Suite *unit_suite(void)
{
	Suite *s = suite_create("grant");
	TCase *tc;

	tc = tcase_create("grant");
	tcase_add_test(tc, test_grant_check_refuses_a_permission_the_caller_lacks);
	tcase_add_test(tc, test_grant_check_allows_held_kept_and_removed);
	suite_add_tcase(s, tc);

	return s;
}
