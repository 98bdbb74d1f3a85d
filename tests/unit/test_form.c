/* Unit tests of lib/form.c: the form decoder. */

#include <check.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "db.h"
#include "flowstore.h"
#include "form.h"
#include "gateway.h"
#include "page.h"
#include "refresh.h"
#include "unit.h"
#include "userdb.h"
#include "util.h"

/* ---- form ---------------------------------------------------------------- */

START_TEST(test_form_decodes_plus_and_escapes)
{
	struct form f;
	const char *t = "a=1+2&b=%C3%A9%26x&c=&d";
	ck_assert_int_eq(form_parse(&f, t, strlen(t)), FORM_OK);
	ck_assert_str_eq(form_get(&f, "a"), "1 2");
	ck_assert_str_eq(form_get(&f, "b"), "\xc3\xa9&x");
	ck_assert_ptr_null(form_get(&f, "c")); /* empty: as if omitted */
	ck_assert_ptr_null(form_get(&f, "d"));
	ck_assert_ptr_null(form_get(&f, "e"));
	form_free(&f);
}
END_TEST

START_TEST(test_form_refuses_duplicate)
{
	struct form f;
	const char *t = "client_id=a&x=1&client_id=b";
	ck_assert_int_eq(form_parse(&f, t, strlen(t)), FORM_DUPLICATE);
	ck_assert_uint_eq(f.n, 0);
	form_free(&f);
}
END_TEST

START_TEST(test_form_refuses_bad_escape_and_nul)
{
	struct form f;
	ck_assert_int_eq(form_parse(&f, "a=%zz", 5), FORM_MALFORMED);
	ck_assert_int_eq(form_parse(&f, "a=%00", 5), FORM_MALFORMED);
	ck_assert_int_eq(form_parse(&f, "=x", 2), FORM_MALFORMED);
}
END_TEST

START_TEST(test_form_caps_fields_and_length)
{
	struct sbuf b = {0};
	for (int i = 0; i <= FORM_MAX_FIELDS; i++) {
		char one[16];
		snprintf(one, sizeof one, "f%d=1&", i);
		sbuf_adds(&b, one);
	}
	struct form f;
	ck_assert_int_eq(form_parse(&f, b.p, b.len), FORM_TOO_MANY);
	sbuf_free(&b);
	ck_assert_int_eq(form_parse(&f, "a=1", FORM_MAX_LEN + 1), FORM_TOO_LONG);
}
END_TEST

START_TEST(test_form_content_type_and_cookie)
{
	ck_assert(form_content_type_ok("application/x-www-form-urlencoded; charset=UTF-8"));
	ck_assert(!form_content_type_ok("application/json"));
	ck_assert(!form_content_type_ok(NULL));
	char *v = form_cookie("a=1; mcpauth_session=abc; b=2", "mcpauth_session");
	ck_assert_str_eq(v, "abc");
	free(v);
	ck_assert_ptr_null(form_cookie("xmcpauth_session=abc", "mcpauth_session"));
	ck_assert_ptr_null(form_cookie(NULL, "mcpauth_session"));
}
END_TEST

START_TEST(test_scope_helpers)
{
	char *s = flow_scope_intersect("openid admin:all read:profile openid", "read:profile openid email");
	ck_assert_str_eq(s, "openid read:profile");
	free(s);
	ck_assert(flow_scope_covers("a b c", "c a"));
	ck_assert(!flow_scope_covers("a b", "a d"));
	ck_assert(flow_scope_covers("", ""));
}
END_TEST

Suite *unit_suite(void)
{
	Suite *s = suite_create("form");
	TCase *tc;

	tc = tcase_create("form");
	tcase_add_test(tc, test_form_decodes_plus_and_escapes);
	tcase_add_test(tc, test_form_refuses_duplicate);
	tcase_add_test(tc, test_form_refuses_bad_escape_and_nul);
	tcase_add_test(tc, test_form_caps_fields_and_length);
	tcase_add_test(tc, test_form_content_type_and_cookie);
	tcase_add_test(tc, test_scope_helpers);
	suite_add_tcase(s, tc);

	return s;
}
