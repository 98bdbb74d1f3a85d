/* Unit tests of RS256 token verification (lib/auth/token.c). */
#include <check.h>
#include <dirent.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jwks.h"
#include "testkeys.h"
#include "token.h"
#include "util.h"
#include "unit.h"

#define NOW ((time_t)1700000000)
#define ISSUER "https://issuer.test/"
#define AUDIENCE "https://api.test"
#define LEEWAY 30

#define STD_HEADER "{\"alg\":\"RS256\",\"typ\":\"JWT\",\"kid\":\"" TESTKEYS_KID1 "\"}"

static EVP_PKEY *key1, *key2;
static struct jwks keys;
static struct token_verifier verifier;
static enum token_failure last_why;

static void setup(void)
{
	key1 = testkeys_load_pem("key1.pem");
	key2 = testkeys_load_pem("key2.pem");
	ck_assert_msg(key1 && key2, "cannot load the fixture keys from %s", testkeys_fixtures_dir());
	ck_assert_int_eq(testkeys_load_jwks(&keys), 0);
	ck_assert_uint_eq(keys.nkeys, 1);
	verifier.keys = &keys;
	verifier.issuer = ISSUER;
	verifier.audience = AUDIENCE;
	verifier.leeway = LEEWAY;
}

static void teardown(void)
{
	jwks_free(&keys);
	EVP_PKEY_free(key1);
	EVP_PKEY_free(key2);
	key1 = key2 = NULL;
}

/* The claims of a good token; callers change them. */
static json_object *std_claims(void)
{
	json_object *c = json_object_new_object();
	json_object_object_add(c, "iss", json_object_new_string(ISSUER));
	json_object_object_add(c, "sub", json_object_new_string("auth0|user123"));
	json_object_object_add(c, "aud", json_object_new_string(AUDIENCE));
	json_object_object_add(c, "iat", json_object_new_int64((int64_t)NOW - 60));
	json_object_object_add(c, "exp", json_object_new_int64((int64_t)NOW + 3600));
	json_object_object_add(c, "email", json_object_new_string("user@example.com"));
	json_object_object_add(c, "name", json_object_new_string("Test User"));
	json_object *perms = json_object_new_array();
	json_object_array_add(perms, json_object_new_string("read:users"));
	json_object_array_add(perms, json_object_new_string("write:users"));
	json_object_object_add(c, "permissions", perms);
	json_object_object_add(c, "scope", json_object_new_string("openid profile email"));
	return c;
}

static const char *claims_text(json_object *c)
{
	return json_object_to_json_string_ext(c, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);
}

/* Signs claims (taken) with key under header. */
static char *sign_with(EVP_PKEY *key, const char *header, json_object *claims)
{
	char *t = testkeys_rs256(key, header, claims_text(claims));
	json_object_put(claims);
	ck_assert_ptr_nonnull(t);
	return t;
}

static char *sign_claims(json_object *claims)
{
	return sign_with(key1, STD_HEADER, claims);
}

/* A good token with one claim replaced (val taken) or removed (val NULL). */
static char *token_with(const char *name, json_object *val)
{
	json_object *c = std_claims();
	json_object_object_del(c, name);
	if (val)
		json_object_object_add(c, name, val);
	return sign_claims(c);
}

/* A good token with one claim replaced by raw JSON text. */
static char *token_with_raw(const char *name, const char *json)
{
	json_object *c = std_claims();
	json_object_object_del(c, name);
	char *base = ck_strdup(claims_text(c));
	json_object_put(c);
	/* base ends in '}': splice the raw member in before it. */
	base[strlen(base) - 1] = '\0';
	char *payload = ck_asprintf("%s,\"%s\":%s}", base, name, json);
	char *t = testkeys_rs256(key1, STD_HEADER, payload);
	free(base);
	free(payload);
	ck_assert_ptr_nonnull(t);
	return t;
}

/* Verifies tok (taken) at NOW, frees any principal and returns the status. */
static enum token_status verify_owned(char *tok)
{
	struct principal p;
	enum token_status st = token_verify(&verifier, tok, strlen(tok), NOW, &p, &last_why);
	if (st == TOKEN_OK)
		principal_free(&p);
	if (getenv("TEST_REASONS"))
		fprintf(stderr, "token_verify: %d %s\n", (int)st,
			last_why ? token_strerror(last_why) : "accepted");
	free(tok);
	return st;
}

#define ck_refused(tok) ck_assert_int_eq(verify_owned(tok), TOKEN_INVALID)
#define ck_accepted(tok)                                                                                     \
	do {                                                                                                 \
		enum token_status st_ = verify_owned(tok);                                                   \
		ck_assert_msg(st_ == TOKEN_OK, "refused (%d): %s", (int)st_, token_strerror(last_why));      \
	} while (0)

/* --- accepted ---------------------------------------------------------- */

START_TEST(test_verify_accepts_valid_token_and_fills_principal)
{
	char *tok = sign_claims(std_claims());
	struct principal p;
	enum token_status st = token_verify(&verifier, tok, strlen(tok), NOW, &p, &last_why);
	ck_assert_msg(st == TOKEN_OK, "refused: %s", token_strerror(last_why));
	ck_assert_str_eq(p.sub, "auth0|user123");
	ck_assert_str_eq(p.email, "user@example.com");
	ck_assert_str_eq(p.name, "Test User");
	ck_assert_ptr_nonnull(p.permissions);
	ck_assert(json_object_is_type(p.permissions, json_type_array));
	ck_assert_uint_eq(json_object_array_length(p.permissions), 2);
	ck_assert_str_eq(json_object_get_string(json_object_array_get_idx(p.permissions, 0)), "read:users");
	ck_assert_str_eq(json_object_get_string(json_object_array_get_idx(p.permissions, 1)), "write:users");
	ck_assert_str_eq(p.scope, "openid profile email");
	ck_assert(p.exp == (double)(NOW + 3600));
	principal_free(&p);
	ck_assert_ptr_null(p.claims);
	free(tok);
}
END_TEST

START_TEST(test_verify_accepts_token_without_optional_claims)
{
	json_object *c = std_claims();
	json_object_object_del(c, "email");
	json_object_object_del(c, "name");
	json_object_object_del(c, "permissions");
	json_object_object_del(c, "scope");
	char *tok = sign_claims(c);
	struct principal p;
	ck_assert_int_eq(token_verify(&verifier, tok, strlen(tok), NOW, &p, &last_why), TOKEN_OK);
	ck_assert_str_eq(p.sub, "auth0|user123");
	ck_assert_ptr_null(p.email);
	ck_assert_ptr_null(p.name);
	ck_assert_ptr_null(p.permissions);
	ck_assert_ptr_null(p.scope);
	principal_free(&p);
	free(tok);
}
END_TEST

START_TEST(test_verify_accepts_reason_null)
{
	char *tok = sign_claims(std_claims());
	struct principal p;
	ck_assert_int_eq(token_verify(&verifier, tok, strlen(tok), NOW, &p, NULL), TOKEN_OK);
	principal_free(&p);
	free(tok);
}
END_TEST

/* --- aud and iss -------------------------------------------------------- */

START_TEST(test_verify_accepts_aud_array_containing_ours)
{
	json_object *aud = json_object_new_array();
	json_object_array_add(aud, json_object_new_string("https://other.test"));
	json_object_array_add(aud, json_object_new_string(AUDIENCE));
	ck_accepted(token_with("aud", aud));
}
END_TEST

START_TEST(test_verify_refuses_aud_array_without_ours)
{
	json_object *aud = json_object_new_array();
	json_object_array_add(aud, json_object_new_string("https://other.test"));
	json_object_array_add(aud, json_object_new_string("https://api.test/"));
	ck_refused(token_with("aud", aud));
}
END_TEST

START_TEST(test_verify_refuses_wrong_aud)
{
	ck_refused(token_with("aud", json_object_new_string("https://evil.test")));
}
END_TEST

START_TEST(test_verify_refuses_aud_missing)
{
	ck_refused(token_with("aud", NULL));
}
END_TEST

START_TEST(test_verify_refuses_wrong_iss)
{
	ck_refused(token_with("iss", json_object_new_string("https://evil.test/")));
}
END_TEST

START_TEST(test_verify_refuses_iss_missing)
{
	ck_refused(token_with("iss", NULL));
}
END_TEST

START_TEST(test_verify_refuses_sub_missing)
{
	ck_refused(token_with("sub", NULL));
}
END_TEST

/* --- time -------------------------------------------------------------- */

START_TEST(test_verify_refuses_expired_beyond_leeway)
{
	ck_assert_int_eq(verify_owned(token_with("exp", json_object_new_int64((int64_t)NOW - 31))),
			 TOKEN_EXPIRED);
}
END_TEST

START_TEST(test_verify_accepts_expired_within_leeway)
{
	ck_accepted(token_with("exp", json_object_new_int64((int64_t)NOW - 10)));
}
END_TEST

START_TEST(test_verify_refuses_exp_missing)
{
	ck_refused(token_with("exp", NULL));
}
END_TEST

START_TEST(test_verify_refuses_exp_string)
{
	ck_refused(token_with("exp", json_object_new_string("1700003600")));
}
END_TEST

START_TEST(test_verify_refuses_exp_huge)
{
	ck_refused(token_with_raw("exp", "1e300"));
}
END_TEST

START_TEST(test_verify_refuses_nbf_beyond_leeway)
{
	ck_refused(token_with("nbf", json_object_new_int64((int64_t)NOW + 31)));
}
END_TEST

START_TEST(test_verify_accepts_nbf_within_leeway)
{
	ck_accepted(token_with("nbf", json_object_new_int64((int64_t)NOW + 10)));
}
END_TEST

START_TEST(test_verify_refuses_iat_far_in_future)
{
	ck_refused(token_with("iat", json_object_new_int64((int64_t)NOW + 3600)));
}
END_TEST

/* --- alg --------------------------------------------------------------- */

START_TEST(test_verify_refuses_alg_none)
{
	json_object *c = std_claims();
	char *h = testkeys_b64("{\"alg\":\"none\",\"typ\":\"JWT\",\"kid\":\"" TESTKEYS_KID1 "\"}");
	char *p = testkeys_b64(claims_text(c));
	json_object_put(c);
	const char *segs[] = {h, p, ""};
	char *tok = testkeys_join(segs, 3);
	free(h);
	free(p);
	ck_refused(tok);
}
END_TEST

/* A good claim set under a header naming alg, really RS256-signed by key1:
 * only the alg pin can refuse it. */
static char *token_alg(const char *alg)
{
	char *header = ck_asprintf("{\"alg\":\"%s\",\"typ\":\"JWT\",\"kid\":\"%s\"}", alg, TESTKEYS_KID1);
	char *t = sign_with(key1, header, std_claims());
	free(header);
	return t;
}

START_TEST(test_verify_refuses_alg_none_signed)
{
	ck_refused(token_alg("none"));
}
END_TEST

START_TEST(test_verify_refuses_alg_None)
{
	ck_refused(token_alg("None"));
}
END_TEST

START_TEST(test_verify_refuses_alg_NONE)
{
	ck_refused(token_alg("NONE"));
}
END_TEST

START_TEST(test_verify_refuses_alg_lowercase_rs256)
{
	ck_refused(token_alg("rs256"));
}
END_TEST

START_TEST(test_verify_refuses_alg_RS512)
{
	ck_refused(token_alg("RS512"));
}
END_TEST

START_TEST(test_verify_refuses_alg_missing)
{
	ck_refused(sign_with(key1, "{\"typ\":\"JWT\",\"kid\":\"" TESTKEYS_KID1 "\"}", std_claims()));
}
END_TEST

START_TEST(test_verify_refuses_hs256_signed_with_public_key_pem)
{
	char *pem = testkeys_public_pem(key1);
	ck_assert_ptr_nonnull(pem);
	json_object *c = std_claims();
	char *tok = testkeys_hs256(pem, strlen(pem),
				   "{\"alg\":\"HS256\",\"typ\":\"JWT\",\"kid\":\"" TESTKEYS_KID1 "\"}",
				   claims_text(c));
	json_object_put(c);
	free(pem);
	ck_assert_ptr_nonnull(tok);
	ck_refused(tok);
}
END_TEST

/* --- keys -------------------------------------------------------------- */

START_TEST(test_verify_refuses_wrong_key)
{
	ck_refused(sign_with(key2, STD_HEADER, std_claims()));
}
END_TEST

START_TEST(test_verify_refuses_unknown_kid)
{
	ck_refused(
	    sign_with(key1, "{\"alg\":\"RS256\",\"typ\":\"JWT\",\"kid\":\"test-key-2\"}", std_claims()));
}
END_TEST

START_TEST(test_verify_refuses_kid_missing)
{
	ck_refused(sign_with(key1, "{\"alg\":\"RS256\",\"typ\":\"JWT\"}", std_claims()));
}
END_TEST

START_TEST(test_verify_refuses_kid_not_string)
{
	ck_refused(sign_with(key1, "{\"alg\":\"RS256\",\"typ\":\"JWT\",\"kid\":1}", std_claims()));
}
END_TEST

START_TEST(test_verify_refuses_kid_200_chars)
{
	char kid[201];
	memset(kid, 'k', 200);
	kid[200] = '\0';
	char *header = ck_asprintf("{\"alg\":\"RS256\",\"typ\":\"JWT\",\"kid\":\"%s\"}", kid);
	char *tok = sign_with(key1, header, std_claims());
	free(header);
	ck_refused(tok);
}
END_TEST

START_TEST(test_verify_refuses_jwk_jku_x5u_injection)
{
	char *jwk = jwks_public_jwk(key2, TESTKEYS_KID1);
	ck_assert_ptr_nonnull(jwk);
	char *header = ck_asprintf("{\"alg\":\"RS256\",\"typ\":\"JWT\",\"kid\":\"%s\","
				   "\"jku\":\"https://evil.test/jwks.json\","
				   "\"x5u\":\"https://evil.test/cert.pem\",\"jwk\":%s}",
				   TESTKEYS_KID1, jwk);
	char *tok = sign_with(key2, header, std_claims());
	free(header);
	free(jwk);
	ck_refused(tok);
}
END_TEST

START_TEST(test_verify_refuses_crit_header)
{
	ck_refused(sign_with(key1,
			     "{\"alg\":\"RS256\",\"typ\":\"JWT\",\"kid\":\"" TESTKEYS_KID1
			     "\",\"crit\":[\"exp\"],\"exp\":1700003600}",
			     std_claims()));
}
END_TEST

/* --- structure --------------------------------------------------------- */

START_TEST(test_verify_refuses_tampered_payload)
{
	char *good = sign_claims(std_claims());
	char *h = testkeys_segment(good, 0), *s = testkeys_segment(good, 2);
	json_object *c = std_claims();
	json_object_array_add(json_object_object_get(c, "permissions"), json_object_new_string("admin"));
	char *p = testkeys_b64(claims_text(c));
	json_object_put(c);
	const char *segs[] = {h, p, s};
	char *tok = testkeys_join(segs, 3);
	free(good);
	free(h);
	free(p);
	free(s);
	ck_refused(tok);
}
END_TEST

START_TEST(test_verify_refuses_signature_stripped_trailing_dot)
{
	char *good = sign_claims(std_claims());
	*(strrchr(good, '.') + 1) = '\0';
	ck_refused(good);
}
END_TEST

START_TEST(test_verify_refuses_two_segments)
{
	char *good = sign_claims(std_claims());
	*strrchr(good, '.') = '\0';
	ck_refused(good);
}
END_TEST

START_TEST(test_verify_refuses_four_segments)
{
	char *good = sign_claims(std_claims());
	char *sig = testkeys_segment(good, 2);
	char *tok = ck_asprintf("%s.%s", good, sig);
	free(good);
	free(sig);
	ck_refused(tok);
}
END_TEST

START_TEST(test_verify_refuses_five_segments)
{
	char *good = sign_claims(std_claims());
	char *h = testkeys_segment(good, 0), *p = testkeys_segment(good, 1), *s = testkeys_segment(good, 2);
	const char *segs[] = {h, p, h, p, s};
	char *tok = testkeys_join(segs, 5);
	free(good);
	free(h);
	free(p);
	free(s);
	ck_refused(tok);
}
END_TEST

START_TEST(test_verify_refuses_empty_token)
{
	struct principal p;
	ck_assert_int_eq(token_verify(&verifier, "", 0, NOW, &p, &last_why), TOKEN_MISSING);
}
END_TEST

/* A well-signed token of exactly len bytes: the payload gets a filler claim
 * of the right size, and the header a filler member when base64url cannot
 * reach the length (a length of 1 mod 4 is impossible). */
static char *token_of_length(size_t len)
{
	json_object *c = std_claims();
	char *base = ck_strdup(claims_text(c));
	json_object_put(c);
	base[strlen(base) - 1] = '\0'; /* drop the closing brace */
	size_t siglen = ((size_t)EVP_PKEY_get_size(key1) * 4 + 2) / 3;
	for (size_t hpad = 0; hpad < 4; hpad++) {
		char hfill[4] = "";
		memset(hfill, 'h', hpad);
		char *hj = ck_asprintf("{\"alg\":\"RS256\",\"typ\":\"JWT\",\"kid\":\"%s\",\"x\":\"%s\"}",
				       TESTKEYS_KID1, hfill);
		char *h = testkeys_b64(hj);
		free(hj);
		size_t hlen = strlen(h);
		size_t plen = len - hlen - 2 - siglen; /* wanted base64url length of the payload */
		size_t raw = plen * 3 / 4, fixed = strlen(base) + strlen(",\"filler\":\"\"}");
		if (plen % 4 == 1 || raw < fixed) {
			free(h);
			continue;
		}
		size_t pad = raw - fixed;
		char *fill = ck_malloc(pad + 1);
		memset(fill, 'p', pad);
		fill[pad] = '\0';
		char *payload = ck_asprintf("%s,\"filler\":\"%s\"}", base, fill);
		char *p = testkeys_b64(payload);
		char *t = testkeys_rs256_segments(key1, h, p);
		free(fill);
		free(payload);
		free(p);
		free(h);
		if (t && strlen(t) == len) {
			free(base);
			return t;
		}
		free(t);
	}
	free(base);
	ck_abort_msg("cannot make a token of %zu bytes", len);
	return NULL;
}

START_TEST(test_verify_refuses_token_of_8193_bytes)
{
	char *tok = token_of_length(TOKEN_MAX_LEN + 1);
	ck_assert_uint_eq(strlen(tok), 8193);
	ck_refused(tok);
}
END_TEST

START_TEST(test_verify_accepts_token_of_8192_bytes)
{
	char *tok = token_of_length(TOKEN_MAX_LEN);
	ck_assert_uint_eq(strlen(tok), 8192);
	ck_accepted(tok);
}
END_TEST

/* --- base64url ---------------------------------------------------------- */

START_TEST(test_verify_refuses_base64_padding)
{
	/* A header whose base64url length is not 0 mod 4, with the '=' padding
	 * standard base64 would add; the signature covers the padded text. */
	char *hpad = NULL;
	for (size_t pad = 0; !hpad; pad++) {
		char fill[4] = "";
		memset(fill, 'x', pad);
		char *hj = ck_asprintf("{\"alg\":\"RS256\",\"typ\":\"JWT\",\"kid\":\"%s\",\"x\":\"%s\"}",
				       TESTKEYS_KID1, fill);
		char *h = testkeys_b64(hj);
		size_t hl = strlen(h);
		if (hl % 4 == 2)
			hpad = ck_asprintf("%s==", h);
		free(hj);
		free(h);
	}
	json_object *c = std_claims();
	char *p = testkeys_b64(claims_text(c));
	json_object_put(c);
	char *tok = testkeys_rs256_segments(key1, hpad, p);
	free(hpad);
	free(p);
	ck_refused(tok);
}
END_TEST

START_TEST(test_verify_refuses_base64_padding_in_payload)
{
	char *h = testkeys_b64(STD_HEADER);
	char *p = NULL;
	/* Grow a filler until the payload needs padding. */
	for (size_t pad = 0; !p; pad++) {
		json_object *c = std_claims();
		char fill[4] = "";
		memset(fill, 'p', pad);
		json_object_object_add(c, "f", json_object_new_string(fill));
		char *b = testkeys_b64(claims_text(c));
		json_object_put(c);
		if (strlen(b) % 4 == 3)
			p = ck_asprintf("%s=", b);
		free(b);
	}
	char *tok = testkeys_rs256_segments(key1, h, p);
	free(h);
	free(p);
	ck_refused(tok);
}
END_TEST

START_TEST(test_verify_refuses_base64_standard_alphabet)
{
	json_object *c = std_claims();
	/* Question marks encode to "Pz8_" and ">>>" to "Pj4-": '_' and '-' appear. */
	json_object_object_add(c, "x",
			       json_object_new_string("?"
						      "?"
						      "?"
						      "?"
						      "?"
						      "?"
						      ">>>>>>"));
	char *p = testkeys_b64(claims_text(c));
	json_object_put(c);
	ck_assert_ptr_nonnull(strchr(p, '_'));
	ck_assert_ptr_nonnull(strchr(p, '-'));
	for (char *q = p; *q; q++)
		if (*q == '_')
			*q = '/';
		else if (*q == '-')
			*q = '+';
	char *h = testkeys_b64(STD_HEADER);
	char *tok = testkeys_rs256_segments(key1, h, p);
	free(h);
	free(p);
	ck_refused(tok);
}
END_TEST

START_TEST(test_verify_refuses_base64_embedded_space)
{
	json_object *c = std_claims();
	char *p = testkeys_b64(claims_text(c));
	json_object_put(c);
	size_t n = strlen(p);
	char *sp = ck_asprintf("%.*s %s", (int)(n / 2), p, p + n / 2);
	char *h = testkeys_b64(STD_HEADER);
	char *tok = testkeys_rs256_segments(key1, h, sp);
	free(h);
	free(p);
	free(sp);
	ck_refused(tok);
}
END_TEST

START_TEST(test_verify_refuses_signature_with_padding)
{
	char *good = sign_claims(std_claims());
	/* A 256-byte signature encodes to 342 chars (2 mod 4): standard base64 adds "==". */
	char *tok = ck_asprintf("%s==", good);
	free(good);
	ck_refused(tok);
}
END_TEST

/* --- JSON -------------------------------------------------------------- */

START_TEST(test_verify_refuses_header_not_json)
{
	json_object *c = std_claims();
	char *tok = sign_with(key1, "alg=RS256;kid=" TESTKEYS_KID1, c);
	ck_refused(tok);
}
END_TEST

START_TEST(test_verify_refuses_header_json_array)
{
	ck_refused(sign_with(key1, "[{\"alg\":\"RS256\",\"typ\":\"JWT\",\"kid\":\"" TESTKEYS_KID1 "\"}]",
			     std_claims()));
}
END_TEST

START_TEST(test_verify_refuses_header_trailing_data)
{
	ck_refused(sign_with(key1, STD_HEADER "{}", std_claims()));
}
END_TEST

START_TEST(test_verify_refuses_payload_not_json)
{
	ck_refused(testkeys_rs256(key1, STD_HEADER, "sub=auth0|user123"));
}
END_TEST

START_TEST(test_verify_refuses_payload_nested_100_levels)
{
	json_object *c = std_claims();
	char *base = ck_strdup(claims_text(c));
	json_object_put(c);
	base[strlen(base) - 1] = '\0';
	struct sbuf b = {0};
	sbuf_adds(&b, base);
	sbuf_adds(&b, ",\"deep\":");
	for (int i = 0; i < 100; i++)
		sbuf_adds(&b, "{\"a\":");
	sbuf_adds(&b, "1");
	for (int i = 0; i < 100; i++)
		sbuf_adds(&b, "}");
	sbuf_adds(&b, "}");
	char *tok = testkeys_rs256(key1, STD_HEADER, b.p);
	sbuf_free(&b);
	free(base);
	ck_refused(tok);
}
END_TEST

START_TEST(test_verify_refuses_payload_invalid_utf8)
{
	json_object *c = std_claims();
	json_object_object_del(c, "name");
	char *base = ck_strdup(claims_text(c));
	json_object_put(c);
	base[strlen(base) - 1] = '\0';
	char *payload = ck_asprintf("%s,\"name\":\"Test \xff\xfe User\"}", base);
	char *tok = testkeys_rs256(key1, STD_HEADER, payload);
	free(base);
	free(payload);
	ck_refused(tok);
}
END_TEST

START_TEST(test_verify_refuses_payload_embedded_nul)
{
	json_object *c = std_claims();
	const char *text = claims_text(c);
	size_t n = strlen(text);
	char *raw = ck_malloc(n + 2);
	memcpy(raw, text, n);
	raw[n] = '\0';
	raw[n + 1] = ' ';
	char *tok = testkeys_rs256_raw(key1, STD_HEADER, raw, n + 2);
	json_object_put(c);
	free(raw);
	ck_refused(tok);
}
END_TEST

/* --- claim types ------------------------------------------------------- */

START_TEST(test_verify_refuses_permissions_not_array)
{
	ck_refused(token_with("permissions", json_object_new_string("read:users")));
}
END_TEST

START_TEST(test_verify_refuses_permissions_array_with_number)
{
	json_object *a = json_object_new_array();
	json_object_array_add(a, json_object_new_string("read:users"));
	json_object_array_add(a, json_object_new_int(5));
	ck_refused(token_with("permissions", a));
}
END_TEST

START_TEST(test_verify_refuses_scope_number)
{
	ck_refused(token_with("scope", json_object_new_int(42)));
}
END_TEST

/* --- token_from_header ------------------------------------------------- */

static void header_ok(const char *value)
{
	const char *tok = NULL;
	size_t len = 0;
	ck_assert_msg(token_from_header(value, &tok, &len) == TOKEN_OK, "refused \"%s\"", value);
	ck_assert_uint_eq(len, 1);
	ck_assert_int_eq(tok[0], 'x');
}

static void header_missing(const char *value)
{
	const char *tok = NULL;
	size_t len = 0;
	ck_assert_msg(token_from_header(value, &tok, &len) == TOKEN_MISSING, "accepted \"%s\"",
		      value ? value : "(null)");
}

START_TEST(test_from_header_accepts_bearer)
{
	header_ok("Bearer x");
}
END_TEST

START_TEST(test_from_header_accepts_lowercase_bearer)
{
	header_ok("bearer x");
}
END_TEST

START_TEST(test_from_header_accepts_uppercase_bearer_many_spaces)
{
	header_ok("BEARER   x");
}
END_TEST

START_TEST(test_from_header_refuses_null)
{
	header_missing(NULL);
}
END_TEST

START_TEST(test_from_header_refuses_empty)
{
	header_missing("");
}
END_TEST

START_TEST(test_from_header_refuses_basic)
{
	header_missing("Basic x");
}
END_TEST

START_TEST(test_from_header_refuses_bare_bearer)
{
	header_missing("Bearer");
}
END_TEST

START_TEST(test_from_header_refuses_bearer_space_only)
{
	header_missing("Bearer ");
}
END_TEST

START_TEST(test_from_header_refuses_bearer_without_space)
{
	header_missing("Bearerx");
}
END_TEST

/* --- has_scope / has_permission ---------------------------------------- */

static struct principal good_principal(void)
{
	char *tok = sign_claims(std_claims());
	struct principal p;
	ck_assert_int_eq(token_verify(&verifier, tok, strlen(tok), NOW, &p, &last_why), TOKEN_OK);
	free(tok);
	return p;
}

START_TEST(test_has_scope_matches_whole_words)
{
	struct principal p = good_principal();
	ck_assert_int_eq(principal_has_scope(&p, "openid"), 1);
	ck_assert_int_eq(principal_has_scope(&p, "profile"), 1);
	ck_assert_int_eq(principal_has_scope(&p, "email"), 1);
	ck_assert_int_eq(principal_has_scope(&p, "mail"), 0);
	ck_assert_int_eq(principal_has_scope(&p, "emai"), 0);
	ck_assert_int_eq(principal_has_scope(&p, "open"), 0);
	ck_assert_int_eq(principal_has_scope(&p, "profile email"), 0);
	ck_assert_int_eq(principal_has_scope(&p, "read:users"), 0);
	principal_free(&p);
}
END_TEST

START_TEST(test_has_scope_without_scope_claim)
{
	char *tok = token_with("scope", NULL);
	struct principal p;
	ck_assert_int_eq(token_verify(&verifier, tok, strlen(tok), NOW, &p, &last_why), TOKEN_OK);
	free(tok);
	ck_assert_int_eq(principal_has_scope(&p, "email"), 0);
	ck_assert_int_eq(principal_has_permission(&p, "read:users"), 1);
	principal_free(&p);
}
END_TEST

START_TEST(test_has_permission_matches_whole_entries)
{
	struct principal p = good_principal();
	ck_assert_int_eq(principal_has_permission(&p, "read:users"), 1);
	ck_assert_int_eq(principal_has_permission(&p, "write:users"), 1);
	ck_assert_int_eq(principal_has_permission(&p, "read"), 0);
	ck_assert_int_eq(principal_has_permission(&p, "read:user"), 0);
	ck_assert_int_eq(principal_has_permission(&p, "users"), 0);
	ck_assert_int_eq(principal_has_permission(&p, "admin"), 0);
	ck_assert_int_eq(principal_has_permission(&p, "email"), 0);
	principal_free(&p);
}
END_TEST

START_TEST(test_has_permission_without_permissions_claim)
{
	char *tok = token_with("permissions", NULL);
	struct principal p;
	ck_assert_int_eq(token_verify(&verifier, tok, strlen(tok), NOW, &p, &last_why), TOKEN_OK);
	free(tok);
	ck_assert_int_eq(principal_has_permission(&p, "read:users"), 0);
	principal_free(&p);
}
END_TEST

/* The reasons are a public contract (audit log, `mcpauth verify`, the
 * attack cases): each keeps its text, and no two share one. */
START_TEST(test_failure_reasons_keep_their_text)
{
	static const struct {
		enum token_failure why;
		const char *text;
	} want[] = {
	    {TOKEN_FAIL_NONE, "ok"},
	    {TOKEN_FAIL_NO_BEARER, "no bearer token"},
	    {TOKEN_FAIL_EMPTY, "empty token"},
	    {TOKEN_FAIL_TOO_LONG, "token longer than the cap"},
	    {TOKEN_FAIL_SEGMENTS, "not three segments"},
	    {TOKEN_FAIL_NO_SIGNATURE, "signature missing"},
	    {TOKEN_FAIL_HEADER_BASE64, "header is not base64url"},
	    {TOKEN_FAIL_HEADER_JSON, "header is not JSON"},
	    {TOKEN_FAIL_HEADER_OBJECT, "header is not a JSON object"},
	    {TOKEN_FAIL_HEADER_DEEP, "header nested too deep"},
	    {TOKEN_FAIL_HEADER_UTF8, "header is not UTF-8"},
	    {TOKEN_FAIL_HEADER_DUPLICATE, "header has a duplicate member name"},
	    {TOKEN_FAIL_HEADER_NUL, "header holds \\u0000"},
	    {TOKEN_FAIL_ALG, "alg not RS256"},
	    {TOKEN_FAIL_CRIT, "crit header not supported"},
	    {TOKEN_FAIL_KID, "kid missing or too long"},
	    {TOKEN_FAIL_NO_KEY_YET, "no verification key known yet"},
	    {TOKEN_FAIL_UNKNOWN_KID, "unknown kid"},
	    {TOKEN_FAIL_KEY_RETIRED, "key retired"},
	    {TOKEN_FAIL_SIGNATURE, "bad signature"},
	    {TOKEN_FAIL_PAYLOAD_BASE64, "payload is not base64url"},
	    {TOKEN_FAIL_PAYLOAD_JSON, "payload is not JSON"},
	    {TOKEN_FAIL_PAYLOAD_OBJECT, "payload is not a JSON object"},
	    {TOKEN_FAIL_PAYLOAD_DEEP, "payload nested too deep"},
	    {TOKEN_FAIL_PAYLOAD_UTF8, "payload is not UTF-8"},
	    {TOKEN_FAIL_PAYLOAD_DUPLICATE, "payload has a duplicate member name"},
	    {TOKEN_FAIL_PAYLOAD_NUL, "payload holds \\u0000"},
	    {TOKEN_FAIL_ISS, "wrong iss"},
	    {TOKEN_FAIL_AUD, "wrong aud"},
	    {TOKEN_FAIL_EXP, "exp missing or not a number"},
	    {TOKEN_FAIL_EXP_FAR, "exp too far in the future"},
	    {TOKEN_FAIL_NBF, "nbf in the future"},
	    {TOKEN_FAIL_IAT, "iat in the future"},
	    {TOKEN_FAIL_SUB, "sub missing"},
	    {TOKEN_FAIL_PERMISSIONS, "permissions not an array of strings"},
	    {TOKEN_FAIL_SCOPE, "scope not a string"},
	    {TOKEN_FAIL_EXPIRED, "expired"},
	    {TOKEN_FAIL_GRANT_REVOKED, "grant revoked"},
	};
	ck_assert_int_eq(sizeof want / sizeof want[0], TOKEN_FAIL_COUNT);
	for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
		ck_assert_str_eq(token_strerror(want[i].why), want[i].text);
		for (size_t j = 0; j < i; j++)
			ck_assert_str_ne(token_strerror(want[j].why), want[i].text);
	}
	ck_assert_str_eq(token_strerror(TOKEN_FAIL_COUNT), "invalid");
}
END_TEST

/* Every reason an attack case expects is one the table can give. */
START_TEST(test_failure_reasons_cover_attack_cases)
{
	char *dir = ck_asprintf("%s/../attack/cases", testkeys_fixtures_dir());
	DIR *d = opendir(dir);
	ck_assert_msg(d != NULL, "cannot open %s", dir);
	int checked = 0;
	struct dirent *e;
	while ((e = readdir(d))) {
		if (!strstr(e->d_name, ".case"))
			continue;
		char *path = ck_asprintf("%s/%s", dir, e->d_name);
		FILE *f = fopen(path, "r");
		ck_assert_msg(f != NULL, "cannot read %s", path);
		char line[4096];
		while (fgets(line, sizeof line, f)) {
			if (strncmp(line, "reason=", 7) != 0)
				continue;
			line[strcspn(line, "\n")] = '\0';
			int found = 0;
			for (int w = 0; w < TOKEN_FAIL_COUNT && !found; w++)
				found = strcmp(token_strerror((enum token_failure)w), line + 7) == 0;
			ck_assert_msg(found, "%s: reason '%s' is not in the table", e->d_name, line + 7);
			checked++;
		}
		fclose(f);
		free(path);
	}
	closedir(d);
	free(dir);
	ck_assert_int_gt(checked, 100);
}
END_TEST

Suite *unit_suite(void)
{
	Suite *s = suite_create("token");
	TCase *tc;

	tc = tcase_create("accept");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_verify_accepts_valid_token_and_fills_principal);
	tcase_add_test(tc, test_verify_accepts_token_without_optional_claims);
	tcase_add_test(tc, test_verify_accepts_reason_null);
	suite_add_tcase(s, tc);

	tc = tcase_create("claims");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_verify_accepts_aud_array_containing_ours);
	tcase_add_test(tc, test_verify_refuses_aud_array_without_ours);
	tcase_add_test(tc, test_verify_refuses_wrong_aud);
	tcase_add_test(tc, test_verify_refuses_aud_missing);
	tcase_add_test(tc, test_verify_refuses_wrong_iss);
	tcase_add_test(tc, test_verify_refuses_iss_missing);
	tcase_add_test(tc, test_verify_refuses_sub_missing);
	tcase_add_test(tc, test_verify_refuses_permissions_not_array);
	tcase_add_test(tc, test_verify_refuses_permissions_array_with_number);
	tcase_add_test(tc, test_verify_refuses_scope_number);
	suite_add_tcase(s, tc);

	tc = tcase_create("time");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_verify_refuses_expired_beyond_leeway);
	tcase_add_test(tc, test_verify_accepts_expired_within_leeway);
	tcase_add_test(tc, test_verify_refuses_exp_missing);
	tcase_add_test(tc, test_verify_refuses_exp_string);
	tcase_add_test(tc, test_verify_refuses_exp_huge);
	tcase_add_test(tc, test_verify_refuses_nbf_beyond_leeway);
	tcase_add_test(tc, test_verify_accepts_nbf_within_leeway);
	tcase_add_test(tc, test_verify_refuses_iat_far_in_future);
	suite_add_tcase(s, tc);

	tc = tcase_create("alg");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_verify_refuses_alg_none);
	tcase_add_test(tc, test_verify_refuses_alg_none_signed);
	tcase_add_test(tc, test_verify_refuses_alg_None);
	tcase_add_test(tc, test_verify_refuses_alg_NONE);
	tcase_add_test(tc, test_verify_refuses_alg_lowercase_rs256);
	tcase_add_test(tc, test_verify_refuses_alg_RS512);
	tcase_add_test(tc, test_verify_refuses_alg_missing);
	tcase_add_test(tc, test_verify_refuses_hs256_signed_with_public_key_pem);
	suite_add_tcase(s, tc);

	tc = tcase_create("keys");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_verify_refuses_wrong_key);
	tcase_add_test(tc, test_verify_refuses_unknown_kid);
	tcase_add_test(tc, test_verify_refuses_kid_missing);
	tcase_add_test(tc, test_verify_refuses_kid_not_string);
	tcase_add_test(tc, test_verify_refuses_kid_200_chars);
	tcase_add_test(tc, test_verify_refuses_jwk_jku_x5u_injection);
	tcase_add_test(tc, test_verify_refuses_crit_header);
	suite_add_tcase(s, tc);

	tc = tcase_create("structure");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_verify_refuses_tampered_payload);
	tcase_add_test(tc, test_verify_refuses_signature_stripped_trailing_dot);
	tcase_add_test(tc, test_verify_refuses_two_segments);
	tcase_add_test(tc, test_verify_refuses_four_segments);
	tcase_add_test(tc, test_verify_refuses_five_segments);
	tcase_add_test(tc, test_verify_refuses_empty_token);
	tcase_add_test(tc, test_verify_refuses_token_of_8193_bytes);
	tcase_add_test(tc, test_verify_accepts_token_of_8192_bytes);
	suite_add_tcase(s, tc);

	tc = tcase_create("base64url");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_verify_refuses_base64_padding);
	tcase_add_test(tc, test_verify_refuses_base64_padding_in_payload);
	tcase_add_test(tc, test_verify_refuses_base64_standard_alphabet);
	tcase_add_test(tc, test_verify_refuses_base64_embedded_space);
	tcase_add_test(tc, test_verify_refuses_signature_with_padding);
	suite_add_tcase(s, tc);

	tc = tcase_create("json");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_verify_refuses_header_not_json);
	tcase_add_test(tc, test_verify_refuses_header_json_array);
	tcase_add_test(tc, test_verify_refuses_header_trailing_data);
	tcase_add_test(tc, test_verify_refuses_payload_not_json);
	tcase_add_test(tc, test_verify_refuses_payload_nested_100_levels);
	tcase_add_test(tc, test_verify_refuses_payload_invalid_utf8);
	tcase_add_test(tc, test_verify_refuses_payload_embedded_nul);
	suite_add_tcase(s, tc);

	tc = tcase_create("from_header");
	tcase_add_test(tc, test_from_header_accepts_bearer);
	tcase_add_test(tc, test_from_header_accepts_lowercase_bearer);
	tcase_add_test(tc, test_from_header_accepts_uppercase_bearer_many_spaces);
	tcase_add_test(tc, test_from_header_refuses_null);
	tcase_add_test(tc, test_from_header_refuses_empty);
	tcase_add_test(tc, test_from_header_refuses_basic);
	tcase_add_test(tc, test_from_header_refuses_bare_bearer);
	tcase_add_test(tc, test_from_header_refuses_bearer_space_only);
	tcase_add_test(tc, test_from_header_refuses_bearer_without_space);
	suite_add_tcase(s, tc);

	tc = tcase_create("failure_reasons");
	tcase_add_test(tc, test_failure_reasons_keep_their_text);
	tcase_add_test(tc, test_failure_reasons_cover_attack_cases);
	suite_add_tcase(s, tc);

	tc = tcase_create("principal");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_has_scope_matches_whole_words);
	tcase_add_test(tc, test_has_scope_without_scope_claim);
	tcase_add_test(tc, test_has_permission_matches_whole_entries);
	tcase_add_test(tc, test_has_permission_without_permissions_claim);
	suite_add_tcase(s, tc);

	return s;
}
