/* Unit tests of lib/store/oauthclient.c: metadata checks, redirect URI
 * matching, registration in a real SQLite database (limits, stored
 * hashes), secrets compared over their hash. */
#include <check.h>
#include <dirent.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <unistd.h>

#include "db.h"
#include "fetch.h"
#include "oauthclient.h"
#include "userdb.h"
#include "util.h"
#include "unit.h"

#define KNOWN "openid profile email offline_access read:profile write:profile"
#define T0 1800000000

static char tmpdir[64];
static struct db *db;

static void db_setup(void)
{
	char err[256] = "";
	snprintf(tmpdir, sizeof tmpdir, "/tmp/mcpauth-oauthclient-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(tmpdir));
	char *path = ck_asprintf("%s/mcpauth.db", tmpdir);
	ck_assert_msg(userdb_open(&db, path, tmpdir, err, sizeof err) == 0, "%s", err);
	free(path);
}

static void db_teardown(void)
{
	userdb_close(db);
	db = NULL;
	unit_rm_rf(tmpdir);
}

/* Parses text as registration metadata: the RFC 7591 error, or NULL. */
static const char *parse_reg(const char *text, struct oauth_client *c)
{
	json_object *j = json_tokener_parse(text);
	const char *error;
	char desc[256];
	int rc = oauthclient_parse(j, 0, NULL, KNOWN, c, &error, desc, sizeof desc);
	json_object_put(j);
	if (rc == 0)
		return NULL;
	ck_assert_ptr_nonnull(error);
	ck_assert_msg(desc[0], "a refusal says why");
	return error;
}

/* A client with the given redirect URIs (NULL-terminated). */
static struct oauth_client client_with(const char *const *uris)
{
	struct oauth_client c = {0};
	size_t n = 0;
	while (uris[n])
		n++;
	c.redirect_uris = ck_calloc(n, sizeof *c.redirect_uris);
	for (size_t i = 0; i < n; i++)
		c.redirect_uris[c.nredirect_uris++] = ck_strdup(uris[i]);
	c.client_id = ck_strdup("test");
	c.client_name = ck_strdup("test");
	return c;
}

START_TEST(test_redirect_exact)
{
	const char *uris[] = {"https://app.example/cb?x=1", "com.example.app:/cb", NULL};
	struct oauth_client c = client_with(uris);
	ck_assert_int_eq(oauthclient_redirect_ok(&c, "https://app.example/cb?x=1"), 1);
	ck_assert_int_eq(oauthclient_redirect_ok(&c, "com.example.app:/cb"), 1);
	/* Anything but the very string: path, query, port, case, suffixes. */
	ck_assert_int_eq(oauthclient_redirect_ok(&c, "https://app.example/cb"), 0);
	ck_assert_int_eq(oauthclient_redirect_ok(&c, "https://app.example/cb?x=1&y=2"), 0);
	ck_assert_int_eq(oauthclient_redirect_ok(&c, "https://app.example:443/cb?x=1"), 0);
	ck_assert_int_eq(oauthclient_redirect_ok(&c, "https://APP.example/cb?x=1"), 0);
	ck_assert_int_eq(oauthclient_redirect_ok(&c, "https://app.example/cb?x=1#f"), 0);
	ck_assert_int_eq(oauthclient_redirect_ok(&c, "https://app.example.evil/cb?x=1"), 0);
	ck_assert_int_eq(oauthclient_redirect_ok(&c, "https://app.example/cb/../cb?x=1"), 0);
	ck_assert_int_eq(oauthclient_redirect_ok(&c, "com.example.app:/cb2"), 0);
	ck_assert_int_eq(oauthclient_redirect_ok(&c, ""), 0);
	oauthclient_free(&c);
}
END_TEST

START_TEST(test_redirect_loopback_any_port)
{
	const char *uris[] = {"http://127.0.0.1/callback", "http://[::1]:8080/cb?a=b",
			      "http://localhost:3000/x", NULL};
	struct oauth_client c = client_with(uris);
	/* RFC 8252 section 7.3: any port, the rest exactly. */
	ck_assert_int_eq(oauthclient_redirect_ok(&c, "http://127.0.0.1:53124/callback"), 1);
	ck_assert_int_eq(oauthclient_redirect_ok(&c, "http://127.0.0.1/callback"), 1);
	ck_assert_int_eq(oauthclient_redirect_ok(&c, "http://[::1]/cb?a=b"), 1);
	ck_assert_int_eq(oauthclient_redirect_ok(&c, "http://[::1]:1/cb?a=b"), 1);
	ck_assert_int_eq(oauthclient_redirect_ok(&c, "http://localhost:9/x"), 1);
	ck_assert_int_eq(oauthclient_redirect_ok(&c, "http://127.0.0.1:53124/callback2"), 0);
	ck_assert_int_eq(oauthclient_redirect_ok(&c, "http://127.0.0.1:53124/callback?x"), 0);
	ck_assert_int_eq(oauthclient_redirect_ok(&c, "http://[::1]:1/cb?a=c"), 0);
	/* The host must be the one registered, and loopback at all. */
	ck_assert_int_eq(oauthclient_redirect_ok(&c, "http://localhost:53124/callback"), 0);
	ck_assert_int_eq(oauthclient_redirect_ok(&c, "http://127.0.0.2:53124/callback"), 0);
	ck_assert_int_eq(oauthclient_redirect_ok(&c, "http://evil.example:53124/callback"), 0);
	ck_assert_int_eq(oauthclient_redirect_ok(&c, "http://127.0.0.1@evil.example/callback"), 0);
	ck_assert_int_eq(oauthclient_redirect_ok(&c, "https://127.0.0.1:53124/callback"), 0);
	ck_assert_int_eq(oauthclient_redirect_ok(&c, "http://127.0.0.1:99999/callback"), 0);
	ck_assert_int_eq(oauthclient_redirect_ok(&c, "http://127.0.0.1:53124/callback#x"), 0);
	oauthclient_free(&c);

	/* Only loopback http gets the port rule: https ports match exactly. */
	const char *https[] = {"https://app.example:8443/cb", NULL};
	c = client_with(https);
	ck_assert_int_eq(oauthclient_redirect_ok(&c, "https://app.example:8444/cb"), 0);
	ck_assert_int_eq(oauthclient_redirect_ok(&c, "https://app.example/cb"), 0);
	oauthclient_free(&c);
}
END_TEST

START_TEST(test_redirect_uri_valid)
{
	char d[256];
	const char *good[] = {"https://a.example/cb", "http://127.0.0.1:1/cb", "http://[::1]/",
			      "http://localhost/",    "com.example.app:/cb",   "com.example.app://x/y?z=1",
			      "https://a.example"};
	const char *bad[] = {"",
			     "http://a.example/cb",
			     "http://10.0.0.1/cb",
			     "https://a.example/cb#",
			     "/cb",
			     "cb",
			     "javascript:alert(1)",
			     "data:text/html,x",
			     "file:///etc/passwd",
			     "myapp:/cb",
			     "com.example.app:",
			     "https://u:p@a.example/",
			     "https://a.example/\\evil",
			     "https://a.example/\xc3\xa9",
			     "https://a.example/a\tb",
			     "HTTPS://A.EXAMPLE/",
			     "https:///cb"};
	for (size_t i = 0; i < sizeof good / sizeof good[0]; i++)
		ck_assert_msg(oauthclient_redirect_uri_valid(good[i], d, sizeof d) == 0, "%s: %s", good[i],
			      d);
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
		ck_assert_msg(oauthclient_redirect_uri_valid(bad[i], d, sizeof d) < 0, "accepted %s", bad[i]);
	char *longer = ck_asprintf("https://a.example/%01100d", 0);
	ck_assert_int_lt(oauthclient_redirect_uri_valid(longer, d, sizeof d), 0);
	free(longer);
}
END_TEST

START_TEST(test_parse_defaults_and_refusals)
{
	struct oauth_client c;
	ck_assert_ptr_null(
	    parse_reg("{\"redirect_uris\":[\"https://a.example/cb\"],\"scope\":\"openid x:y read:profile "
		      "openid\"}",
		      &c));
	ck_assert_int_eq(c.auth, OAUTHCLIENT_AUTH_SECRET_BASIC);
	ck_assert_str_eq(c.grant_types, "authorization_code");
	ck_assert_str_eq(c.response_types, "code");
	ck_assert_str_eq(c.scope, "openid read:profile");
	ck_assert_ptr_null(c.client_name);
	ck_assert_ptr_null(c.client_id);
	ck_assert_int_eq(c.from_document, 0);
	oauthclient_free(&c);

	ck_assert_str_eq(parse_reg("{}", &c), "invalid_redirect_uri");
	ck_assert_str_eq(parse_reg("[1]", &c), "invalid_client_metadata");
	ck_assert_str_eq(parse_reg("{\"redirect_uris\":[\"https://a.example/cb\",5]}", &c),
			 "invalid_redirect_uri");
	ck_assert_str_eq(
	    parse_reg("{\"redirect_uris\":[\"https://a.example/cb\"],\"token_endpoint_auth_method\":"
		      "\"private_key_jwt\"}",
		      &c),
	    "invalid_client_metadata");
	ck_assert_str_eq(
	    parse_reg("{\"redirect_uris\":[\"https://a.example/cb\"],\"grant_types\":[\"refresh_token\"]}",
		      &c),
	    "invalid_client_metadata");
	ck_assert_str_eq(
	    parse_reg("{\"redirect_uris\":[\"https://a.example/cb\"],\"client_name\":\"a\\u0007b\"}", &c),
	    "invalid_client_metadata");
	/* A document: client_id must be its URL, no secret methods. */
	const char *url = "https://c.example/client.json";
	const char *error;
	char desc[256];
	json_object *j =
	    json_tokener_parse("{\"client_id\":\"https://c.example/client.json\",\"redirect_uris\":"
			       "[\"http://127.0.0.1/cb\"],\"client_name\":\"Doc\"}");
	ck_assert_int_eq(oauthclient_parse(j, 1, url, KNOWN, &c, &error, desc, sizeof desc), 0);
	ck_assert_str_eq(c.client_id, url);
	ck_assert_int_eq(c.auth, OAUTHCLIENT_AUTH_NONE);
	ck_assert_int_eq(c.from_document, 1);
	oauthclient_free(&c);
	ck_assert_int_lt(
	    oauthclient_parse(j, 1, "https://c.example/client.json?", KNOWN, &c, &error, desc, sizeof desc),
	    0);
	ck_assert_ptr_nonnull(strstr(desc, "client_id"));
	json_object_put(j);
	j = json_tokener_parse(
	    "{\"client_id\":\"https://c.example/client.json\",\"redirect_uris\":"
	    "[\"http://127.0.0.1/cb\"],\"token_endpoint_auth_method\":\"client_secret_basic\"}");
	ck_assert_int_lt(oauthclient_parse(j, 1, url, KNOWN, &c, &error, desc, sizeof desc), 0);
	json_object_put(j);
}
END_TEST

static struct oauth_client parsed(const char *text)
{
	struct oauth_client c;
	ck_assert_ptr_null(parse_reg(text, &c));
	return c;
}

START_TEST(test_register_find_secret)
{
	struct oauthclient_limits lim = {5, 3600, 100};
	struct oauth_client c =
	    parsed("{\"redirect_uris\":[\"https://a.example/cb\"],\"client_name\":\"App\"}");
	char *secret;
	long wait;
	ck_assert_int_eq(oauthclient_register(db, &lim, &c, "192.0.2.1", T0, &secret, &wait), OAUTHCLIENT_OK);
	ck_assert_ptr_nonnull(secret);
	ck_assert_int_eq(strlen(secret), 43);
	ck_assert_int_eq(strlen(c.client_id), 22);

	struct oauth_client f;
	char err[128];
	ck_assert_int_eq(oauthclient_find(db, NULL, c.client_id, T0, &f, err, sizeof err), OAUTHCLIENT_OK);
	ck_assert_str_eq(f.client_name, "App");
	ck_assert_int_eq(f.nredirect_uris, 1);
	ck_assert_str_eq(f.redirect_uris[0], "https://a.example/cb");
	ck_assert_int_eq(f.auth, OAUTHCLIENT_AUTH_SECRET_BASIC);
	ck_assert_int_eq(f.issued_at, T0);
	ck_assert_int_eq(oauthclient_secret_ok(db, &f, secret), 1);
	char *wrong = ck_strdup(secret);
	wrong[42] = wrong[42] == 'A' ? 'B' : 'A';
	ck_assert_int_eq(oauthclient_secret_ok(db, &f, wrong), 0);
	wrong[42] = '\0';
	ck_assert_int_eq(oauthclient_secret_ok(db, &f, wrong), 0);
	ck_assert_int_eq(oauthclient_secret_ok(db, &f, ""), 0);
	ck_assert_int_eq(oauthclient_secret_ok(db, &f, NULL), 0);
	free(wrong);

	/* The secret's hash in another client's row is no use to it. */
	struct oauth_client p =
	    parsed("{\"redirect_uris\":[\"http://127.0.0.1/cb\"],\"token_endpoint_auth_method\":"
		   "\"none\"}");
	char *none;
	ck_assert_int_eq(oauthclient_register(db, &lim, &p, "192.0.2.1", T0, &none, &wait), OAUTHCLIENT_OK);
	ck_assert_ptr_null(none);
	struct oauth_client pf;
	ck_assert_int_eq(oauthclient_find(db, NULL, p.client_id, T0, &pf, err, sizeof err), OAUTHCLIENT_OK);
	ck_assert_str_eq(pf.client_name, pf.client_id); /* no name: the id */
	ck_assert_int_eq(oauthclient_secret_ok(db, &pf, secret), 0);
	ck_assert_int_eq(oauthclient_secret_ok(db, &pf, ""), 0);

	struct oauth_client nf;
	ck_assert_int_eq(oauthclient_find(db, NULL, "no-such-client", T0, &nf, err, sizeof err),
			 OAUTHCLIENT_NOT_FOUND);

	/* Deleted: found no more. */
	ck_assert_int_eq(oauthclient_delete(db, c.client_id), OAUTHCLIENT_OK);
	ck_assert_int_eq(oauthclient_delete(db, c.client_id), OAUTHCLIENT_NOT_FOUND);
	ck_assert_int_eq(oauthclient_find(db, NULL, c.client_id, T0, &nf, err, sizeof err),
			 OAUTHCLIENT_NOT_FOUND);
	ck_assert_int_eq(oauthclient_secret_ok(db, &f, secret), 0);

	secure_free(secret, strlen(secret));
	oauthclient_free(&f);
	oauthclient_free(&pf);
	oauthclient_free(&p);
	oauthclient_free(&c);
}
END_TEST

START_TEST(test_register_limits)
{
	struct oauthclient_limits lim = {2, 3600, 6};
	char *secret;
	long wait;
	const char *meta =
	    "{\"redirect_uris\":[\"http://127.0.0.1/cb\"],\"token_endpoint_auth_method\":\"none\"}";
	struct oauth_client c;
	for (int i = 0; i < 2; i++) {
		c = parsed(meta);
		ck_assert_int_eq(
		    oauthclient_register(db, &lim, &c, "2001:db8:1:2::1", T0 + i * 60, &secret, &wait),
		    OAUTHCLIENT_OK);
		oauthclient_free(&c);
	}
	/* The same /64 is the same address; the window ends an hour after
	 * the oldest of the two. */
	c = parsed(meta);
	ck_assert_int_eq(oauthclient_register(db, &lim, &c, "2001:db8:1:2:ffff::9", T0 + 600, &secret, &wait),
			 OAUTHCLIENT_LIMITED);
	ck_assert_int_eq(wait, 3000);
	ck_assert_int_eq(oauthclient_register(db, &lim, &c, "2001:db8:1:3::1", T0 + 600, &secret, &wait),
			 OAUTHCLIENT_OK);
	oauthclient_free(&c);
	c = parsed(meta);
	ck_assert_int_eq(oauthclient_register(db, &lim, &c, "2001:db8:1:2::1", T0 + 3600, &secret, &wait),
			 OAUTHCLIENT_OK);
	oauthclient_free(&c);
	/* An IPv4-mapped address counts as the IPv4 one. */
	c = parsed(meta);
	ck_assert_int_eq(oauthclient_register(db, &lim, &c, "192.0.2.7", T0, &secret, &wait), OAUTHCLIENT_OK);
	oauthclient_free(&c);
	/* 6 stored: the store is full for everyone. */
	c = parsed(meta);
	ck_assert_int_eq(oauthclient_register(db, &lim, &c, "::ffff:192.0.2.7", T0, &secret, &wait),
			 OAUTHCLIENT_OK);
	oauthclient_free(&c);
	c = parsed(meta);
	ck_assert_int_eq(oauthclient_register(db, &lim, &c, "198.51.100.1", T0, &secret, &wait),
			 OAUTHCLIENT_FULL);
	oauthclient_free(&c);
	struct db_rows *q;
	ck_assert_int_eq(
	    db_exec(db, &q, "SELECT count(*) FROM oauth_clients WHERE created_addr = '192.0.2.7'", DB_END),
	    DB_ROW);
	ck_assert_int_eq(db_column_int(q, 0), 2);
	db_rows_free(q);
}
END_TEST

/* fetch_addr_public of a textual address. */
static int public_addr(const char *text)
{
	struct sockaddr_in in = {.sin_family = AF_INET};
	struct sockaddr_in6 in6 = {.sin6_family = AF_INET6};
	if (inet_pton(AF_INET, text, &in.sin_addr) == 1)
		return fetch_addr_public((struct sockaddr *)&in);
	ck_assert_msg(inet_pton(AF_INET6, text, &in6.sin6_addr) == 1, "bad test address %s", text);
	return fetch_addr_public((struct sockaddr *)&in6);
}

START_TEST(test_ssrf_guard_addresses)
{
	const char *refused[] = {"127.0.0.1",
				 "127.255.255.254",
				 "10.0.0.1",
				 "10.255.255.255",
				 "172.16.0.1",
				 "172.31.255.255",
				 "192.168.0.1",
				 "169.254.169.254",
				 "169.254.0.1",
				 "100.64.0.1",
				 "100.127.255.254",
				 "0.0.0.0",
				 "0.1.2.3",
				 "224.0.0.1",
				 "239.255.255.250",
				 "240.0.0.1",
				 "255.255.255.255",
				 "198.18.0.1",
				 "192.0.0.8",
				 "::",
				 "::1",
				 "::ffff:127.0.0.1",
				 "::ffff:10.1.2.3",
				 "::ffff:169.254.169.254",
				 "::127.0.0.1",
				 "64:ff9b::a9fe:a9fe",
				 "2002:7f00:1::",
				 "2002:c0a8:101::1",
				 "fc00::1",
				 "fd00:ec2::254",
				 "fe80::1",
				 "febf::1",
				 "fec0::1",
				 "ff02::1",
				 "ff0e::1"};
	const char *allowed[] = {
	    "1.1.1.1",	      "8.8.8.8",	 "93.184.216.34",	 "172.15.255.255", "172.32.0.1",
	    "100.63.255.255", "100.128.0.1",	 "169.253.1.1",		 "192.0.2.1",	   "223.255.255.255",
	    "198.20.0.1",     "2606:4700::1111", "2001:4860:4860::8888", "::ffff:8.8.8.8", "64:ff9b::808:808",
	    "2002:808:808::1"};
	for (size_t i = 0; i < sizeof refused / sizeof refused[0]; i++)
		ck_assert_msg(public_addr(refused[i]) == 0, "%s taken for public", refused[i]);
	for (size_t i = 0; i < sizeof allowed / sizeof allowed[0]; i++)
		ck_assert_msg(public_addr(allowed[i]) == 1, "%s refused", allowed[i]);
	struct sockaddr unix_sa = {.sa_family = AF_UNIX};
	ck_assert_int_eq(fetch_addr_public(&unix_sa), 0);
}
END_TEST

START_TEST(test_document_url_refused_before_fetch)
{
	/* Refused on their form alone: no fetch (opts NULL, no server). */
	const char *bad[] = {
	    "http://c.example/doc.json", "https://c.example",	    "https://c.example/",
	    "https://c.example/?x",	 "https://u@c.example/doc", "https://c.example/a/../doc",
	    "https://c.example/./doc",	 "https://c.example/doc#f", "https://c.example/%2e%2e/doc",
	    "ftp://c.example/doc",	 "HTTPS://c.example/doc",   "https://c.example:0/doc"};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		struct oauth_client c;
		char err[256] = "";
		ck_assert_msg(oauthclient_find(NULL, NULL, bad[i], T0, &c, err, sizeof err) ==
				  OAUTHCLIENT_INVALID,
			      "%s not refused", bad[i]);
		ck_assert_msg(err[0], "%s: no reason", bad[i]);
	}
}
END_TEST

/* The result enum's _strerror names every value apart, for logs. */
START_TEST(test_oauthclient_strerror_names_every_status)
{
	const char *t[OAUTHCLIENT_FULL + 1];
	for (int i = OAUTHCLIENT_OK; i <= OAUTHCLIENT_FULL; i++)
		t[i] = oauthclient_strerror((enum oauthclient_status)i);
	unit_distinct_texts(t, OAUTHCLIENT_FULL + 1);
}
END_TEST

Suite *unit_suite(void)
{
	Suite *s = suite_create("oauthclient");
	TCase *t = tcase_create("redirect");
	tcase_add_test(t, test_oauthclient_strerror_names_every_status);
	tcase_add_test(t, test_redirect_exact);
	tcase_add_test(t, test_redirect_loopback_any_port);
	tcase_add_test(t, test_redirect_uri_valid);
	tcase_add_test(t, test_parse_defaults_and_refusals);
	tcase_add_test(t, test_ssrf_guard_addresses);
	tcase_add_test(t, test_document_url_refused_before_fetch);
	suite_add_tcase(s, t);
	t = tcase_create("registered");
	tcase_add_checked_fixture(t, db_setup, db_teardown);
	tcase_add_test(t, test_register_find_secret);
	tcase_add_test(t, test_register_limits);
	suite_add_tcase(s, t);
	return s;
}
