/* Unit tests of lib/page.c: the pages' escaping and headers. */

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

/* ---- pages ----------------------------------------------------------------- */

START_TEST(test_page_escapes_and_sets_headers)
{
	struct response resp;
	response_init(&resp);
	struct page_flow f = {"<script>x</script>",	   "id\"'&", "https://h/mcp",
			      "http://127.0.0.1:9/cb?x=1", "C",	     "R"};
	page_login(&resp, 401, &f, "a\"@b", "Wrong <email>");
	ck_assert_int_eq(resp.status, 401);
	ck_assert_ptr_null(strstr(resp.text, "<script>"));
	ck_assert_ptr_nonnull(strstr(resp.text, "&lt;script&gt;x&lt;/script&gt;"));
	ck_assert_ptr_nonnull(strstr(resp.text, "id&quot;&#39;&amp;"));
	ck_assert_ptr_nonnull(strstr(resp.text, "value=\"a&quot;@b\""));
	ck_assert_ptr_nonnull(strstr(resp.text, "role=\"alert\">Wrong &lt;email&gt;<"));
	const char *csp = response_get_header(&resp, "Content-Security-Policy");
	ck_assert_str_eq(csp, "default-src 'none'; style-src 'unsafe-inline'; form-action 'self' "
			      "http://127.0.0.1:9; frame-ancestors 'none'; base-uri 'none'");
	ck_assert_str_eq(response_get_header(&resp, "X-Frame-Options"), "DENY");
	ck_assert_str_eq(response_get_header(&resp, "Cache-Control"), "no-store");
	ck_assert_str_eq(response_get_header(&resp, "Referrer-Policy"), "no-referrer");
	struct sbuf out = {0};
	gateway_response_text(&out, &resp);
	ck_assert_ptr_nonnull(strstr(out.p, "Content-Type: text/html; charset=utf-8\r\n"));
	sbuf_free(&out);
	response_free(&resp);
}
END_TEST

START_TEST(test_page_csp_skips_unsafe_redirect_origin)
{
	struct response resp;
	response_init(&resp);
	page_headers(&resp, "https://a.example;script-src *");
	ck_assert_ptr_null(strstr(response_get_header(&resp, "Content-Security-Policy"), "script-src"));
	page_headers(&resp, "cursor://callback");
	ck_assert_ptr_nonnull(
	    strstr(response_get_header(&resp, "Content-Security-Policy"), "'self' cursor:;"));
	response_free(&resp);
}
END_TEST

Suite *unit_suite(void)
{
	Suite *s = suite_create("page");
	TCase *tc;

	tc = tcase_create("page");
	tcase_add_test(tc, test_page_escapes_and_sets_headers);
	tcase_add_test(tc, test_page_csp_skips_unsafe_redirect_origin);
	suite_add_tcase(s, tc);

	return s;
}
