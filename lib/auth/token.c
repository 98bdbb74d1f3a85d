#include "token.h"
#include "http.h"
#include "jsonscan.h"
#include "util.h"

#include <openssl/rsa.h>
#include <math.h>
#include <string.h>
#include <strings.h>

#define JSON_MAX_DEPTH 16
/* No issuer we accept hands out tokens valid for over a year; a larger exp is forged or broken. */
#define TOKEN_MAX_LIFETIME (366.0 * 24 * 3600)

enum token_status token_from_header(const char *authorization, const char **token, size_t *len)
{
	if (!authorization || strncasecmp(authorization, "Bearer", 6) != 0 ||
	    (authorization[6] != ' ' && authorization[6] != '\t'))
		return TOKEN_MISSING;
	const char *t = authorization + 6;
	while (*t == ' ' || *t == '\t')
		t++;
	size_t n = strlen(t);
	while (n > 0 && (t[n - 1] == ' ' || t[n - 1] == '\t'))
		n--;
	if (n == 0)
		return TOKEN_MISSING;
	*token = t;
	*len = n;
	return TOKEN_OK;
}

/* Why a header or payload was refused, for the log. */
enum part_error {
	PART_OK,
	PART_BASE64,	/* not strict base64url */
	PART_JSON,	/* not one JSON text (or a NUL byte in it) */
	PART_OBJECT,	/* JSON, but not an object */
	PART_DEEP,	/* nested deeper than JSON_MAX_DEPTH */
	PART_UTF8,	/* ill-formed UTF-8 */
	PART_DUPLICATE, /* two members of one name */
	PART_NUL,	/* a string holding \u0000 */
};

/* The digest of the signed input, fetched and allocated once. */
static EVP_MD *sha256;
static EVP_MD_CTX *mdctx;

static json_object *parse_object(const char *text, size_t len, enum part_error *err)
{
	static const enum part_error part_of[] = {
	    [-JSONSCAN_OK] = PART_OK,	      [-JSONSCAN_INVALID] = PART_JSON,
	    [-JSONSCAN_TOO_DEEP] = PART_DEEP, [-JSONSCAN_DUPLICATE] = PART_DUPLICATE,
	    [-JSONSCAN_NUL] = PART_NUL,	      [-JSONSCAN_BAD_UTF8] = PART_UTF8,
	};
	enum jsonscan_result why;
	json_object *o = jsonscan_parse(text, len, JSON_MAX_DEPTH, &why);
	*err = part_of[-why];
	if (o && !json_object_is_type(o, json_type_object)) {
		*err = PART_OBJECT;
		json_object_put(o);
		o = NULL;
	}
	return o;
}

json_object *token_json_parse(const char *text, size_t len)
{
	enum part_error err;
	return parse_object(text, len, &err);
}

/* A part or a signature of a token within the cap, decoded. */
static unsigned char part_buf[b64url_decoded_max(TOKEN_MAX_LEN)];

static json_object *decode_part(const char *s, size_t n, enum part_error *err)
{
	size_t rawlen;
	*err = PART_BASE64;
	if (n == 0 || b64url_decode_into(s, n, part_buf, sizeof part_buf, &rawlen) < 0)
		return NULL;
	/* An embedded NUL would make the JSON text mean less than it says. */
	if (memchr(part_buf, '\0', rawlen)) {
		*err = PART_JSON;
		return NULL;
	}
	return parse_object((char *)part_buf, rawlen, err);
}

/* The header's reason for err; the payload's is as far again on. */
static enum token_failure part_failure(int payload, enum part_error err)
{
	static const enum token_failure header[] = {
	    [PART_OK] = TOKEN_FAIL_NONE,
	    [PART_BASE64] = TOKEN_FAIL_HEADER_BASE64,
	    [PART_JSON] = TOKEN_FAIL_HEADER_JSON,
	    [PART_OBJECT] = TOKEN_FAIL_HEADER_OBJECT,
	    [PART_DEEP] = TOKEN_FAIL_HEADER_DEEP,
	    [PART_UTF8] = TOKEN_FAIL_HEADER_UTF8,
	    [PART_DUPLICATE] = TOKEN_FAIL_HEADER_DUPLICATE,
	    [PART_NUL] = TOKEN_FAIL_HEADER_NUL,
	};
	if (err == PART_OK)
		return TOKEN_FAIL_NONE;
	return payload ? header[err] + (TOKEN_FAIL_PAYLOAD_BASE64 - TOKEN_FAIL_HEADER_BASE64) : header[err];
}

static const char *const token_failures[TOKEN_FAIL_COUNT] = {
    [TOKEN_FAIL_NONE] = "ok",
    [TOKEN_FAIL_NO_BEARER] = "no bearer token",
    [TOKEN_FAIL_EMPTY] = "empty token",
    [TOKEN_FAIL_TOO_LONG] = "token longer than the cap",
    [TOKEN_FAIL_SEGMENTS] = "not three segments",
    [TOKEN_FAIL_NO_SIGNATURE] = "signature missing",
    [TOKEN_FAIL_HEADER_BASE64] = "header is not base64url",
    [TOKEN_FAIL_HEADER_JSON] = "header is not JSON",
    [TOKEN_FAIL_HEADER_OBJECT] = "header is not a JSON object",
    [TOKEN_FAIL_HEADER_DEEP] = "header nested too deep",
    [TOKEN_FAIL_HEADER_UTF8] = "header is not UTF-8",
    [TOKEN_FAIL_HEADER_DUPLICATE] = "header has a duplicate member name",
    [TOKEN_FAIL_HEADER_NUL] = "header holds \\u0000",
    [TOKEN_FAIL_ALG] = "alg not RS256",
    [TOKEN_FAIL_CRIT] = "crit header not supported",
    [TOKEN_FAIL_KID] = "kid missing or too long",
    [TOKEN_FAIL_NO_KEY_YET] = "no verification key known yet",
    [TOKEN_FAIL_UNKNOWN_KID] = "unknown kid",
    [TOKEN_FAIL_KEY_RETIRED] = "key retired",
    [TOKEN_FAIL_SIGNATURE] = "bad signature",
    [TOKEN_FAIL_PAYLOAD_BASE64] = "payload is not base64url",
    [TOKEN_FAIL_PAYLOAD_JSON] = "payload is not JSON",
    [TOKEN_FAIL_PAYLOAD_OBJECT] = "payload is not a JSON object",
    [TOKEN_FAIL_PAYLOAD_DEEP] = "payload nested too deep",
    [TOKEN_FAIL_PAYLOAD_UTF8] = "payload is not UTF-8",
    [TOKEN_FAIL_PAYLOAD_DUPLICATE] = "payload has a duplicate member name",
    [TOKEN_FAIL_PAYLOAD_NUL] = "payload holds \\u0000",
    [TOKEN_FAIL_ISS] = "wrong iss",
    [TOKEN_FAIL_AUD] = "wrong aud",
    [TOKEN_FAIL_EXP] = "exp missing or not a number",
    [TOKEN_FAIL_EXP_FAR] = "exp too far in the future",
    [TOKEN_FAIL_NBF] = "nbf in the future",
    [TOKEN_FAIL_IAT] = "iat in the future",
    [TOKEN_FAIL_SUB] = "sub missing",
    [TOKEN_FAIL_PERMISSIONS] = "permissions not an array of strings",
    [TOKEN_FAIL_SCOPE] = "scope not a string",
    [TOKEN_FAIL_EXPIRED] = "expired",
    [TOKEN_FAIL_GRANT_REVOKED] = "grant revoked",
};

const char *token_strerror(enum token_failure why)
{
	if ((unsigned)why >= TOKEN_FAIL_COUNT || !token_failures[why])
		return "invalid";
	return token_failures[why];
}

static const char *get_string(json_object *o, const char *key, int *present)
{
	json_object *v;
	*present = json_object_object_get_ex(o, key, &v);
	if (!*present || !json_object_is_type(v, json_type_string))
		return NULL;
	return json_object_get_string(v);
}

/* A JSON number as a double; -1 if present and not a finite number, 0 if absent. */
static int get_number(json_object *o, const char *key, double *out)
{
	json_object *v;
	if (!json_object_object_get_ex(o, key, &v))
		return 0;
	if (!json_object_is_type(v, json_type_int) && !json_object_is_type(v, json_type_double))
		return -1;
	double d = json_object_get_double(v);
	if (!isfinite(d))
		return -1;
	*out = d;
	return 1;
}

/* Verification contexts, one per key, set up once (padding and digest):
 * OpenSSL's per-call set-up costs more than hashing the token. Each holds a
 * reference to its key, so a key's address is never reused while cached. */
#define VCTX_MAX 16
static struct {
	EVP_PKEY *key;
	EVP_PKEY_CTX *ctx;
} vctx[VCTX_MAX];
static size_t vctx_next;

static EVP_PKEY_CTX *verify_ctx(EVP_PKEY *key)
{
	for (size_t i = 0; i < VCTX_MAX; i++)
		if (vctx[i].key == key)
			return vctx[i].ctx;
	EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_pkey(NULL, key, NULL);
	if (!ctx || EVP_PKEY_verify_init(ctx) <= 0 ||
	    EVP_PKEY_CTX_set_rsa_padding(ctx, RSA_PKCS1_PADDING) <= 0 ||
	    EVP_PKEY_CTX_set_signature_md(ctx, EVP_sha256()) <= 0) {
		EVP_PKEY_CTX_free(ctx);
		return NULL;
	}
	size_t i = vctx_next++ % VCTX_MAX;
	EVP_PKEY_CTX_free(vctx[i].ctx);
	EVP_PKEY_free(vctx[i].key);
	EVP_PKEY_up_ref(key);
	vctx[i].key = key;
	vctx[i].ctx = ctx;
	return ctx;
}

void token_release_keys(void)
{
	EVP_MD_CTX_free(mdctx);
	mdctx = NULL;
	EVP_MD_free(sha256);
	sha256 = NULL;
	jsonscan_release();
	for (size_t i = 0; i < VCTX_MAX; i++) {
		EVP_PKEY_CTX_free(vctx[i].ctx);
		EVP_PKEY_free(vctx[i].key);
		vctx[i].ctx = NULL;
		vctx[i].key = NULL;
	}
}

static int verify_signature(EVP_PKEY *key, const char *input, size_t inlen, const char *sig64,
			    size_t siglen64)
{
	unsigned char md[32];
	size_t siglen;
	unsigned int mdlen = 0;
	if (!sha256)
		sha256 = EVP_MD_fetch(NULL, "SHA256", NULL);
	if (!mdctx)
		mdctx = EVP_MD_CTX_new();
	if (b64url_decode_into(sig64, siglen64, part_buf, sizeof part_buf, &siglen) < 0)
		return 0;
	EVP_PKEY_CTX *ctx = verify_ctx(key);
	/* RS256 = RSASSA-PKCS1-v1_5 over the SHA-256 of "header.payload". */
	return ctx && sha256 && mdctx && siglen == (size_t)EVP_PKEY_get_size(key) &&
	       EVP_DigestInit_ex(mdctx, sha256, NULL) == 1 && EVP_DigestUpdate(mdctx, input, inlen) == 1 &&
	       EVP_DigestFinal_ex(mdctx, md, &mdlen) == 1 &&
	       EVP_PKEY_verify(ctx, part_buf, siglen, md, mdlen) == 1;
}

static int audience_matches(json_object *claims, const char *audience)
{
	json_object *aud;
	if (!json_object_object_get_ex(claims, "aud", &aud))
		return 0;
	if (json_object_is_type(aud, json_type_string))
		return strcmp(json_object_get_string(aud), audience) == 0;
	if (!json_object_is_type(aud, json_type_array))
		return 0;
	size_t n = json_object_array_length(aud);
	for (size_t i = 0; i < n; i++) {
		json_object *a = json_object_array_get_idx(aud, i);
		if (json_object_is_type(a, json_type_string) &&
		    strcmp(json_object_get_string(a), audience) == 0)
			return 1;
	}
	return 0;
}

/* The first value of aud the verifier's resource_ok accepts, or NULL. */
static const char *resource_matches(json_object *claims, const struct token_verifier *v)
{
	json_object *aud;
	if (!v->resource_ok || !json_object_object_get_ex(claims, "aud", &aud))
		return NULL;
	if (json_object_is_type(aud, json_type_string))
		return v->resource_ok(v->resource_arg, json_object_get_string(aud))
			   ? json_object_get_string(aud)
			   : NULL;
	if (!json_object_is_type(aud, json_type_array))
		return NULL;
	size_t n = json_object_array_length(aud);
	for (size_t i = 0; i < n; i++) {
		json_object *a = json_object_array_get_idx(aud, i);
		if (json_object_is_type(a, json_type_string) &&
		    v->resource_ok(v->resource_arg, json_object_get_string(a)))
			return json_object_get_string(a);
	}
	return NULL;
}

static int string_array(json_object *a)
{
	if (!json_object_is_type(a, json_type_array))
		return 0;
	size_t n = json_object_array_length(a);
	for (size_t i = 0; i < n; i++)
		if (!json_object_is_type(json_object_array_get_idx(a, i), json_type_string))
			return 0;
	return 1;
}

/* claims[name], else claims[<ns>name] (Auth0 Actions must namespace the
 * claims they add to access tokens); NULL when neither is a string. */
static const char *claim_or_namespaced(json_object *claims, const char *ns, const char *name)
{
	int present;
	const char *v = get_string(claims, name, &present);
	if (v || !ns)
		return v;
	char *key = ck_asprintf("%s%s", ns, name);
	v = get_string(claims, key, &present);
	free(key);
	return v;
}

#define FAIL(status, reason)                                                                                 \
	do {                                                                                                 \
		rc = (status);                                                                               \
		*why = (reason);                                                                             \
		goto done;                                                                                   \
	} while (0)

enum token_status token_verify(const struct token_verifier *v, const char *token, size_t len, time_t now,
			       struct principal *p, enum token_failure *why)
{
	enum token_status rc = TOKEN_INVALID;
	json_object *header = NULL, *claims = NULL;
	enum token_failure why_unused;
	if (!why)
		why = &why_unused;
	*why = TOKEN_FAIL_NONE;
	memset(p, 0, sizeof *p);

	/* Cap the size before anything is decoded. */
	if (len == 0)
		FAIL(TOKEN_MISSING, TOKEN_FAIL_EMPTY);
	if (len > TOKEN_MAX_LEN)
		FAIL(TOKEN_INVALID, TOKEN_FAIL_TOO_LONG);
	const char *dot1 = memchr(token, '.', len);
	const char *dot2 = dot1 ? memchr(dot1 + 1, '.', len - (size_t)(dot1 + 1 - token)) : NULL;
	if (!dot1 || !dot2 || memchr(dot2 + 1, '.', len - (size_t)(dot2 + 1 - token)))
		FAIL(TOKEN_INVALID, TOKEN_FAIL_SEGMENTS);
	size_t hlen = (size_t)(dot1 - token), plen = (size_t)(dot2 - dot1 - 1);
	size_t slen = len - (size_t)(dot2 + 1 - token);
	if (slen == 0)
		FAIL(TOKEN_INVALID, TOKEN_FAIL_NO_SIGNATURE);

	enum part_error perr;
	header = decode_part(token, hlen, &perr);
	if (!header)
		FAIL(TOKEN_INVALID, part_failure(0, perr));
	int present;
	const char *alg = get_string(header, "alg", &present);
	/* Pinned: exact, case-sensitive, before any key is looked at. */
	if (!alg || strcmp(alg, "RS256") != 0)
		FAIL(TOKEN_INVALID, TOKEN_FAIL_ALG);
	json_object *crit;
	if (json_object_object_get_ex(header, "crit", &crit))
		FAIL(TOKEN_INVALID, TOKEN_FAIL_CRIT);
	const char *kid = get_string(header, "kid", &present);
	if (!kid || strlen(kid) > JWKS_MAX_KID)
		FAIL(TOKEN_INVALID, TOKEN_FAIL_KID);
	const struct jwks_key *key = jwks_key_find(v->keys, kid);
	if (!key && v->unknown_kid && v->unknown_kid(v->unknown_kid_arg, kid, now))
		key = jwks_key_find(v->keys, kid);
	if (!key && v->keys->nkeys == 0)
		FAIL(TOKEN_UNAVAILABLE, TOKEN_FAIL_NO_KEY_YET);
	if (!key)
		FAIL(TOKEN_INVALID, TOKEN_FAIL_UNKNOWN_KID);
	/* From memory, per request: a retire time that passes while the process runs counts at once. */
	if (jwks_key_retired(key, now))
		FAIL(TOKEN_INVALID, TOKEN_FAIL_KEY_RETIRED);
	if (!verify_signature(key->pkey, token, (size_t)(dot2 - token), dot2 + 1, slen))
		FAIL(TOKEN_INVALID, TOKEN_FAIL_SIGNATURE);

	claims = decode_part(dot1 + 1, plen, &perr);
	if (!claims)
		FAIL(TOKEN_INVALID, part_failure(1, perr));
	const char *iss = get_string(claims, "iss", &present);
	if (!iss || strcmp(iss, v->issuer) != 0)
		FAIL(TOKEN_INVALID, TOKEN_FAIL_ISS);
	const char *resource = NULL;
	if (!audience_matches(claims, v->audience) && !(resource = resource_matches(claims, v)))
		FAIL(TOKEN_INVALID, TOKEN_FAIL_AUD);
	double exp, nbf, iat, t = (double)now;
	int has = get_number(claims, "exp", &exp);
	if (has != 1)
		FAIL(TOKEN_INVALID, TOKEN_FAIL_EXP);
	if (exp > t + TOKEN_MAX_LIFETIME)
		FAIL(TOKEN_INVALID, TOKEN_FAIL_EXP_FAR);
	has = get_number(claims, "nbf", &nbf);
	if (has < 0 || (has == 1 && nbf > t + (double)v->leeway))
		FAIL(TOKEN_INVALID, TOKEN_FAIL_NBF);
	has = get_number(claims, "iat", &iat);
	if (has < 0 || (has == 1 && iat > t + (double)v->leeway))
		FAIL(TOKEN_INVALID, TOKEN_FAIL_IAT);
	const char *sub = get_string(claims, "sub", &present);
	if (!sub || !*sub)
		FAIL(TOKEN_INVALID, TOKEN_FAIL_SUB);
	json_object *perms = NULL;
	if (json_object_object_get_ex(claims, "permissions", &perms) && !string_array(perms))
		FAIL(TOKEN_INVALID, TOKEN_FAIL_PERMISSIONS);
	const char *scope = get_string(claims, "scope", &present);
	if (present && !scope)
		FAIL(TOKEN_INVALID, TOKEN_FAIL_SCOPE);
	if (t >= exp + (double)v->leeway)
		FAIL(TOKEN_EXPIRED, TOKEN_FAIL_EXPIRED);

	token_principal(v, claims, exp, p);
	p->resource = resource;
	p->retire_at = (double)key->retire_at;
	claims = NULL;
	rc = TOKEN_OK;
done:
	json_object_put(header);
	json_object_put(claims);
	return rc;
}

void token_principal(const struct token_verifier *v, json_object *claims, double exp, struct principal *p)
{
	json_object *perms = NULL;
	memset(p, 0, sizeof *p);
	p->claims = claims;
	p->sub = json_get_string(claims, "sub");
	p->email = claim_or_namespaced(claims, v->claim_namespace, "email");
	p->name = claim_or_namespaced(claims, v->claim_namespace, "name");
	if (json_object_object_get_ex(claims, "permissions", &perms))
		p->permissions = perms;
	p->scope = json_get_string(claims, "scope");
	p->grant_id = json_get_string(claims, "grant_id");
	p->client_id = json_get_string(claims, "client_id");
	json_object *amr;
	if (json_object_object_get_ex(claims, "amr", &amr) && json_object_is_type(amr, json_type_array))
		for (size_t i = 0, n = json_object_array_length(amr); i < n && !p->second_factor; i++) {
			const char *s = json_object_get_string(json_object_array_get_idx(amr, i));
			p->second_factor = s && strcmp(s, "otp") == 0;
		}
	p->exp = exp;
}

int principal_has_permission(const struct principal *p, const char *perm)
{
	if (!p->permissions)
		return 0;
	size_t n = json_object_array_length(p->permissions);
	for (size_t i = 0; i < n; i++)
		if (strcmp(json_object_get_string(json_object_array_get_idx(p->permissions, i)), perm) == 0)
			return 1;
	return 0;
}

int principal_has_scope(const struct principal *p, const char *scope)
{
	return p->scope && words_has(p->scope, scope, strlen(scope));
}

void principal_free(struct principal *p)
{
	json_object_put(p->claims);
	json_object_put(p->fill);
	memset(p, 0, sizeof *p);
}
