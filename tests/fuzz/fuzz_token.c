/* Fuzz target: the Authorization header to a verified principal
 * (token_from_header, token_verify). Inputs whose first byte is odd are
 * "header JSON, NUL, payload bytes": the target signs them with the
 * fixture key, so that the claim checks behind the signature are reached
 * too. */
#include "fuzz.h"
#include "jsonscan.h"
#include "testkeys.h"
#include "token.h"
#include "util.h"

#include <json-c/json.h>
#include <string.h>

#define NOW ((time_t)1700000000)
#define LEEWAY 30

static EVP_PKEY *key1;
static struct jwks keys;
static struct token_verifier verifier = {
    .keys = &keys, .issuer = "https://issuer.test/", .audience = "https://api.test", .leeway = LEEWAY};

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	fuzz_fixtures();
	key1 = testkeys_load_pem("key1.pem");
	if (!key1 || testkeys_load_jwks(&keys) < 0 || keys.nkeys != 1) {
		fprintf(stderr, "fuzz_token: cannot load the fixture keys from %s\n",
			testkeys_fixtures_dir());
		exit(1);
	}
	return 0;
}

/* The decoded header of an accepted token, as JSON. */
static json_object *accepted_header(const char *tok)
{
	const char *dot = strchr(tok, '.');
	unsigned char *raw;
	size_t n;
	if (!dot || b64url_decode(tok, (size_t)(dot - tok), &raw, &n) < 0)
		return NULL;
	json_object *h = json_tokener_parse((char *)raw);
	free(raw);
	return h;
}

/* An RS256 signature by the fixture key over the token's first two
 * segments, checked here with OpenSSL directly, apart from token.c. */
static int signed_by_fixture(const char *tok, size_t len)
{
	const char *dot = NULL;
	for (size_t i = len; i > 0; i--)
		if (tok[i - 1] == '.') {
			dot = tok + i - 1;
			break;
		}
	unsigned char *sig;
	size_t siglen;
	if (!dot || b64url_decode(dot + 1, len - (size_t)(dot + 1 - tok), &sig, &siglen) < 0)
		return 0;
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	int ok = ctx && EVP_DigestVerifyInit(ctx, NULL, EVP_sha256(), NULL, key1) == 1 &&
		 EVP_DigestVerify(ctx, sig, siglen, (const unsigned char *)tok, (size_t)(dot - tok)) == 1;
	EVP_MD_CTX_free(ctx);
	free(sig);
	return ok;
}

static void verify(const char *tok, size_t len)
{
	struct principal p;
	enum token_failure why = TOKEN_FAIL_NONE;
	enum token_status st = token_verify(&verifier, tok, len, NOW, &p, &why);
	if (st != TOKEN_OK) {
		FUZZ_CHECK(why != TOKEN_FAIL_NONE, "a refusal without a reason");
		return;
	}
	/* Nothing but a token the key signed can be accepted. */
	FUZZ_CHECK(signed_by_fixture(tok, len), "accepted a token the fixture key did not sign");
	FUZZ_CHECK(len <= TOKEN_MAX_LEN, "accepted a token over the cap");
	FUZZ_CHECK(p.sub && *p.sub, "accepted without sub");
	FUZZ_CHECK(p.exp + LEEWAY > (double)NOW, "accepted an expired token");
	json_object *h = accepted_header(tok);
	json_object *alg;
	FUZZ_CHECK(h && json_object_object_get_ex(h, "alg", &alg) &&
		       strcmp(json_object_get_string(alg), "RS256") == 0,
		   "accepted an alg other than RS256");
	json_object_put(h);
	FUZZ_CHECK(!p.permissions || json_object_is_type(p.permissions, json_type_array),
		   "permissions not an array");
	principal_has_permission(&p, "read:profile");
	principal_has_scope(&p, "email");
	principal_free(&p);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size == 0)
		return 0;
	int mode = data[0] & 1;
	data++;
	size--;
	if (mode == 0) {
		/* The header value as the adapter gets it: a C string. */
		char *value = ck_strndup((const char *)data, size);
		const char *tok;
		size_t len;
		if (token_from_header(value, &tok, &len) == TOKEN_OK) {
			FUZZ_CHECK(len > 0 && len <= strlen(value), "token_from_header out of bounds");
			verify(tok, len);
		}
		free(value);
		/* And the bytes themselves as a token, NULs and all. */
		verify((const char *)data, size);
		return 0;
	}
	const uint8_t *nul = memchr(data, 0, size);
	if (!nul)
		return 0;
	char *header = ck_strndup((const char *)data, (size_t)(nul - data));
	char *tok = testkeys_rs256_raw(key1, header, (const char *)nul + 1, size - (size_t)(nul + 1 - data));
	if (tok) {
		verify(tok, strlen(tok));
		free(tok);
	}
	free(header);
	return 0;
}
