#include "jwks.h"
#include "jsonscan.h"
#include "util.h"

#include <json-c/json.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/param_build.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *jstr(json_object *o, const char *key)
{
	json_object *v;
	if (!json_object_object_get_ex(o, key, &v) || !json_object_is_type(v, json_type_string))
		return NULL;
	return json_object_get_string(v);
}

static BIGNUM *b64url_bn(const char *s)
{
	unsigned char *raw;
	size_t n;
	if (!s || b64url_decode(s, strlen(s), &raw, &n) < 0)
		return NULL;
	/* An empty value decodes to an empty (but allocated) buffer. */
	BIGNUM *bn = n > 0 ? BN_bin2bn(raw, (int)n, NULL) : NULL;
	free(raw);
	return bn;
}

static EVP_PKEY *rsa_from_ne(BIGNUM *n, BIGNUM *e)
{
	EVP_PKEY *pkey = NULL;
	OSSL_PARAM_BLD *bld = OSSL_PARAM_BLD_new();
	OSSL_PARAM *params = NULL;
	EVP_PKEY_CTX *ctx = NULL;
	if (!bld || !OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_N, n) ||
	    !OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_E, e))
		goto done;
	params = OSSL_PARAM_BLD_to_param(bld);
	ctx = EVP_PKEY_CTX_new_from_name(NULL, "RSA", NULL);
	if (!params || !ctx || EVP_PKEY_fromdata_init(ctx) <= 0 ||
	    EVP_PKEY_fromdata(ctx, &pkey, EVP_PKEY_PUBLIC_KEY, params) <= 0)
		pkey = NULL;
done:
	EVP_PKEY_CTX_free(ctx);
	OSSL_PARAM_free(params);
	OSSL_PARAM_BLD_free(bld);
	return pkey;
}

/* Returns 1 if added, 0 if skipped. */
static int jwks_add(struct jwks *set, json_object *k, size_t index)
{
	const char *kty = jstr(k, "kty"), *use = jstr(k, "use"), *alg = jstr(k, "alg");
	const char *kid = jstr(k, "kid");
	json_object *v;
	if (!kty || strcmp(kty, "RSA") != 0) {
		log_msg("jwks: key %zu skipped: kty is not RSA", index);
		return 0;
	}
	if ((json_object_object_get_ex(k, "use", &v) && (!use || strcmp(use, "sig") != 0)) ||
	    (json_object_object_get_ex(k, "alg", &v) && (!alg || strcmp(alg, "RS256") != 0))) {
		log_msg("jwks: key %zu skipped: not an RS256 signing key", index);
		return 0;
	}
	if (!kid || !*kid || strlen(kid) > JWKS_MAX_KID) {
		log_msg("jwks: key %zu skipped: kid missing or longer than %d", index, JWKS_MAX_KID);
		return 0;
	}
	if (jwks_find(set, kid)) {
		log_msg("jwks: key %zu skipped: duplicate kid", index);
		return 0;
	}
	long long retire_at = 0;
	if (json_object_object_get_ex(k, JWKS_RETIRE_MEMBER, &v)) {
		/* A retire time we cannot read must not make the key last forever. */
		retire_at = json_object_is_type(v, json_type_int) ? json_object_get_int64(v) : 0;
		if (retire_at <= 0) {
			log_msg("jwks: key %zu skipped: %s is not a positive integer", index,
				JWKS_RETIRE_MEMBER);
			return 0;
		}
	}
	BIGNUM *n = b64url_bn(jstr(k, "n")), *e = b64url_bn(jstr(k, "e"));
	EVP_PKEY *pkey = NULL;
	if (!n || !e)
		log_msg("jwks: key %zu skipped: bad n or e", index);
	else if (BN_num_bits(n) < JWKS_MIN_RSA_BITS || BN_num_bits(n) > JWKS_MAX_RSA_BITS)
		log_msg("jwks: key %zu skipped: modulus of %d bits, %d to %d required", index, BN_num_bits(n),
			JWKS_MIN_RSA_BITS, JWKS_MAX_RSA_BITS);
	else if (!BN_is_odd(n))
		log_msg("jwks: key %zu skipped: even modulus", index);
	else if (!BN_is_odd(e) || BN_is_one(e) || BN_num_bits(e) > JWKS_MAX_E_BITS)
		/* 0, 1, even or huge exponents: no RSA key has one, and 0 would
		 * not even be published back (it has no bytes). */
		log_msg("jwks: key %zu skipped: public exponent not odd, over 1 and at most %d bits", index,
			JWKS_MAX_E_BITS);
	else
		pkey = rsa_from_ne(n, e);
	BN_free(n);
	BN_free(e);
	if (!pkey)
		return 0;
	set->keys = ck_realloc(set->keys, (set->nkeys + 1) * sizeof *set->keys);
	struct jwks_key *slot = &set->keys[set->nkeys++];
	snprintf(slot->kid, sizeof slot->kid, "%s", kid);
	slot->pkey = pkey;
	slot->retire_at = retire_at;
	return 1;
}

int jwks_parse(struct jwks *set, const char *json, size_t len, char *err, size_t errlen)
{
	memset(set, 0, sizeof *set);
	if (len > JWKS_MAX_BYTES) {
		snprintf(err, errlen, "JWKS larger than %d bytes", JWKS_MAX_BYTES);
		return -1;
	}
	json_object *doc = jsonscan_parse(json, len, 16, NULL);
	json_object *keys;
	if (!doc || !json_object_object_get_ex(doc, "keys", &keys) ||
	    !json_object_is_type(keys, json_type_array)) {
		json_object_put(doc);
		snprintf(err, errlen, "JWKS is not a JSON object with a keys array");
		return -1;
	}
	size_t n = json_object_array_length(keys);
	for (size_t i = 0; i < n; i++) {
		json_object *k = json_object_array_get_idx(keys, i);
		if (json_object_is_type(k, json_type_object))
			jwks_add(set, k, i);
	}
	json_object_put(doc);
	return 0;
}

int jwks_load_file(struct jwks *set, const char *path, char *err, size_t errlen)
{
	FILE *f = fopen(path, "rb");
	if (!f) {
		snprintf(err, errlen, "cannot open %s: %s", path, strerror(errno));
		return -1;
	}
	char *buf = ck_malloc(JWKS_MAX_BYTES + 1);
	size_t n = fread(buf, 1, JWKS_MAX_BYTES + 1, f);
	fclose(f);
	int rc = jwks_parse(set, buf, n, err, errlen);
	free(buf);
	return rc;
}

const struct jwks_key *jwks_key_find(const struct jwks *set, const char *kid)
{
	for (size_t i = 0; i < set->nkeys; i++)
		if (strcmp(set->keys[i].kid, kid) == 0)
			return &set->keys[i];
	return NULL;
}

EVP_PKEY *jwks_find(const struct jwks *set, const char *kid)
{
	const struct jwks_key *k = jwks_key_find(set, kid);
	return k ? k->pkey : NULL;
}

int jwks_key_retired(const struct jwks_key *k, time_t now)
{
	return k->retire_at > 0 && (long long)now >= k->retire_at;
}

size_t jwks_drop_retired(struct jwks *set, time_t now)
{
	size_t kept = 0, n = set->nkeys;
	for (size_t i = 0; i < n; i++) {
		if (jwks_key_retired(&set->keys[i], now)) {
			log_msg("jwks: key %s retired at %lld: neither trusted nor published",
				set->keys[i].kid, set->keys[i].retire_at);
			EVP_PKEY_free(set->keys[i].pkey);
		} else {
			set->keys[kept++] = set->keys[i];
		}
	}
	set->nkeys = kept;
	return n - kept;
}

void jwks_free(struct jwks *set)
{
	for (size_t i = 0; i < set->nkeys; i++)
		EVP_PKEY_free(set->keys[i].pkey);
	free(set->keys);
	memset(set, 0, sizeof *set);
}

static char *bn_param_b64(const EVP_PKEY *pkey, const char *name)
{
	BIGNUM *bn = NULL;
	if (!EVP_PKEY_get_bn_param(pkey, name, &bn))
		return NULL;
	int len = BN_num_bytes(bn);
	unsigned char *raw = ck_malloc((size_t)len);
	BN_bn2bin(bn, raw);
	char *out = b64url_encode(raw, (size_t)len);
	free(raw);
	BN_free(bn);
	return out;
}

char *jwks_thumbprint(const EVP_PKEY *pkey)
{
	char *n = bn_param_b64(pkey, OSSL_PKEY_PARAM_RSA_N);
	char *e = bn_param_b64(pkey, OSSL_PKEY_PARAM_RSA_E);
	if (!n || !e) {
		free(n);
		free(e);
		return NULL;
	}
	/* RFC 7638: required members only, lexicographic order, no whitespace. */
	char *canon = ck_asprintf("{\"e\":\"%s\",\"kty\":\"RSA\",\"n\":\"%s\"}", e, n);
	unsigned char md[32];
	unsigned int mdlen = 0;
	char *out = NULL;
	if (EVP_Digest(canon, strlen(canon), md, &mdlen, EVP_sha256(), NULL))
		out = b64url_encode(md, mdlen);
	free(canon);
	free(n);
	free(e);
	return out;
}

static json_object *public_jwk_object(const EVP_PKEY *pkey, const char *kid)
{
	char *n = bn_param_b64(pkey, OSSL_PKEY_PARAM_RSA_N);
	char *e = bn_param_b64(pkey, OSSL_PKEY_PARAM_RSA_E);
	json_object *o = NULL;
	if (n && e) {
		/* Built with json-c, not printf: a tenant's kid may hold any character. */
		o = json_object_new_object();
		json_object_object_add(o, "kty", json_object_new_string("RSA"));
		json_object_object_add(o, "use", json_object_new_string("sig"));
		json_object_object_add(o, "alg", json_object_new_string("RS256"));
		json_object_object_add(o, "kid", json_object_new_string(kid));
		json_object_object_add(o, "n", json_object_new_string(n));
		json_object_object_add(o, "e", json_object_new_string(e));
	}
	free(n);
	free(e);
	return o;
}

#define JWKS_JSON_FLAGS (JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE)

char *jwks_public_jwk(const EVP_PKEY *pkey, const char *kid)
{
	json_object *o = public_jwk_object(pkey, kid);
	char *out = o ? ck_strdup(json_object_to_json_string_ext(o, JWKS_JSON_FLAGS)) : NULL;
	json_object_put(o);
	return out;
}

char *jwks_to_json(const struct jwks *set)
{
	json_object *keys = json_object_new_array();
	for (size_t i = 0; i < set->nkeys; i++) {
		json_object *k = public_jwk_object(set->keys[i].pkey, set->keys[i].kid);
		if (!k)
			continue;
		if (set->keys[i].retire_at)
			json_object_object_add(k, JWKS_RETIRE_MEMBER,
					       json_object_new_int64(set->keys[i].retire_at));
		json_object_array_add(keys, k);
	}
	json_object *doc = json_object_new_object();
	json_object_object_add(doc, "keys", keys);
	char *out = ck_asprintf("%s\n", json_object_to_json_string_ext(doc, JWKS_JSON_FLAGS));
	json_object_put(doc);
	return out;
}
