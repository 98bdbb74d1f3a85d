/* mcpauth mint and verify: tokens signed with the issuer's key, and a
 * token checked offline as the programs check it. */
#include "config.h"
#include "issuer.h"
#include "jwks.h"
#include "mcpauth.h"
#include "token.h"
#include "userdb.h"
#include "util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

int cmd_mint(int argc, char **argv)
{
	struct opt o[] = {{"--ttl", 1, NULL}};
	long ttl = cfg.token_ttl;
	if (parse_opts(argc, argv, o, 1) != 1 ||
	    (o[0].value && parse_seconds(o[0].value, 1, 86400, &ttl) < 0)) {
		fail("usage: mcpauth mint EMAIL [--ttl SECONDS]   (1 to 86400)");
		return EX_USAGE;
	}
	if (need_local_issuer() < 0)
		return EX_USAGE;
	struct db *db;
	if (act_as_owner() < 0 || open_db(&db, 0) < 0)
		return EX_ERROR;
	struct user u;
	int rc = find_user(db, argv[0], &u);
	userdb_close(db);
	if (rc != EX_OK)
		return rc;
	char err[512];
	struct issuer is;
	struct jwks set = {0};
	if (keys_in_store()) {
		rc = store_keys(&set, &is);
		jwks_free(&set);
		if (rc < 0) {
			user_free(&u);
			return EX_ERROR;
		}
	} else if (issuer_load(&is, cfg.state_dir, err, sizeof err) < 0) {
		fail("%s", err);
		user_free(&u);
		return EX_ERROR;
	}
	json_object *claims = issuer_access_claims(cfg.issuer, cfg.audience, &u, time(NULL), ttl);
	char *token = issuer_sign(&is, claims);
	json_object_put(claims);
	issuer_free(&is);
	user_free(&u);
	if (!token) {
		fail("cannot sign the token");
		return EX_ERROR;
	}
	printf("%s\n", token);
	secure_free(token, strlen(token));
	return EX_OK;
}

/* A part of a compact JWS, decoded for display only: nothing is trusted. */
static json_object *decode_segment(const char *s, size_t n)
{
	unsigned char *raw;
	size_t len;
	if (n == 0 || b64url_decode(s, n, &raw, &len) < 0)
		return NULL;
	json_object *o = token_json_parse((const char *)raw, len);
	free(raw);
	return o;
}

/* The server accepts aud = one of its resource URLs for the Host a request
 * names; offline, any host it answers for (MCPAUTH_ALLOWED_HOSTS, or the
 * loopback names) stands for that request. */
static int resource_for_its_host(const void *arg, const char *aud)
{
	int https = strncmp(aud, "https://", 8) == 0;
	if (!https && strncmp(aud, "http://", 7) != 0)
		return 0;
	const char *host = aud + (https ? 8 : 7);
	char *h = ck_strndup(host, strcspn(host, "/"));
	int ok = config_resource_ok(arg, aud, h, NULL, https);
	free(h);
	return ok;
}

int cmd_verify(int argc, char **argv)
{
	int n = parse_opts(argc, argv, NULL, 0);
	if (n > 1) {
		fail("usage: mcpauth verify [TOKEN | -]   (without TOKEN, or with -, it is read from stdin)");
		return EX_USAGE;
	}
	char *buf = NULL;
	const char *token;
	if (n == 1 && strcmp(argv[0], "-") != 0) {
		token = argv[0];
	} else {
		buf = ck_malloc(TOKEN_MAX_LEN * 4);
		long len = read_line(STDIN_FILENO, buf, TOKEN_MAX_LEN * 4);
		if (len <= 0) {
			fail("no token on stdin");
			free(buf);
			return EX_USAGE;
		}
		token = buf;
	}
	/* "Bearer <token>" as copied from a header is fine too. */
	const char *t;
	size_t tlen;
	if (token_from_header(token, &t, &tlen) != TOKEN_OK) {
		t = token;
		tlen = strlen(token);
	}
	const char *dot1 = memchr(t, '.', tlen),
		   *dot2 = dot1 ? memchr(dot1 + 1, '.', tlen - (size_t)(dot1 + 1 - t)) : NULL;
	json_object *header = dot1 ? decode_segment(t, (size_t)(dot1 - t)) : NULL;
	json_object *claims = dot2 ? decode_segment(dot1 + 1, (size_t)(dot2 - dot1 - 1)) : NULL;
	int flags = JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_NOSLASHESCAPE;
	printf("header: %s\n", header ? json_object_to_json_string_ext(header, flags) : "(not decodable)");
	printf("claims: %s\n", claims ? json_object_to_json_string_ext(claims, flags) : "(not decodable)");
	json_object_put(header);
	json_object_put(claims);

	char err[512];
	struct jwks keys;
	if (keys_in_store() ? store_keys(&keys, NULL) < 0
			    : jwks_load_file(&keys, cfg.jwks_file, err, sizeof err) < 0) {
		if (!keys_in_store())
			fail("%s", err);
		if (buf)
			secure_free(buf, TOKEN_MAX_LEN * 4);
		return EX_ERROR;
	}
	struct token_verifier v = {.keys = &keys,
				   .issuer = cfg.issuer,
				   .audience = cfg.audience,
				   .leeway = cfg.leeway,
				   .resource_ok = resource_for_its_host,
				   .resource_arg = &cfg};
	struct principal p;
	enum token_failure why = TOKEN_FAIL_NONE;
	time_t now = time(NULL);
	enum token_status st = token_verify(&v, t, tlen, now, &p, &why);
	int rc;
	if (st == TOKEN_OK) {
		printf("valid: sub %s, expires in %.0f s\n", p.sub, p.exp - (double)now);
		principal_free(&p);
		rc = EX_OK;
	} else if (st == TOKEN_EXPIRED) {
		printf("expired: %s (the leeway is %ld s)\n", token_strerror(why), cfg.leeway);
		rc = EX_EXPIRED;
	} else {
		printf("invalid: %s\n", why ? token_strerror(why) : "not a token");
		rc = EX_REJECTED;
	}
	jwks_free(&keys);
	if (buf)
		secure_free(buf, TOKEN_MAX_LEN * 4);
	return rc;
}
