#include "issuer.h"
#include "file.h"
#include "http.h"
#include "jwks.h"
#include "token.h"
#include "userdb.h"
#include "userjson.h"
#include "util.h"

#include <jwt.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/rsa.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#define KEY_FILE "signing-key.pem"

static EVP_PKEY *pem_to_key(const char *pem, size_t len)
{
	BIO *bio = BIO_new_mem_buf(pem, (int)len);
	EVP_PKEY *k = bio ? PEM_read_bio_PrivateKey(bio, NULL, NULL, NULL) : NULL;
	BIO_free(bio);
	return k;
}

static int write_jwks(const char *jwks_path, EVP_PKEY *key)
{
	char *kid = jwks_thumbprint(key);
	char *jwk = kid ? jwks_public_jwk(key, kid) : NULL;
	int rc = -1;
	if (jwk) {
		char *doc = ck_asprintf("{\"keys\":[%s]}\n", jwk);
		rc = file_write_atomic(jwks_path, doc, strlen(doc), 0600);
		free(doc);
	}
	free(kid);
	free(jwk);
	return rc;
}

static EVP_PKEY *generate_key(char **pem, size_t *pem_len)
{
	EVP_PKEY *key = EVP_RSA_gen(2048);
	BIO *bio = BIO_new(BIO_s_mem());
	char *data;
	if (!key || !bio || !PEM_write_bio_PrivateKey(bio, key, NULL, NULL, 0, NULL, NULL)) {
		BIO_free(bio);
		EVP_PKEY_free(key);
		return NULL;
	}
	long n = BIO_get_mem_data(bio, &data);
	*pem = ck_malloc((size_t)n + 1);
	memcpy(*pem, data, (size_t)n);
	(*pem)[n] = '\0';
	*pem_len = (size_t)n;
	OPENSSL_cleanse(data, (size_t)n);
	BIO_free(bio);
	return key;
}

int issuer_new_key(struct keystore_key *out)
{
	memset(out, 0, sizeof *out);
	EVP_PKEY *key = generate_key(&out->pem, &out->pem_len);
	out->kid = key ? jwks_thumbprint(key) : NULL;
	out->jwk = out->kid ? jwks_public_jwk(key, out->kid) : NULL;
	EVP_PKEY_free(key);
	if (out->jwk)
		return 0;
	keystore_key_free(out);
	return -1;
}

struct ensure_args {
	const char *state_dir, *jwks_path;
	char *err;
	size_t errlen;
};

static int ensure_locked(void *arg)
{
	struct ensure_args *a = arg;
	char *path = ck_asprintf("%s/" KEY_FILE, a->state_dir);
	EVP_PKEY *key = NULL;
	int rc = -1;
	size_t len;
	char *pem = file_read(path, 16384, &len);
	if (pem) {
		key = pem_to_key(pem, len);
		secure_free(pem, len);
		if (!key) {
			snprintf(a->err, a->errlen, "%s is not a PEM private key", path);
			goto done;
		}
	} else {
		key = generate_key(&pem, &len);
		if (!key) {
			snprintf(a->err, a->errlen, "cannot generate the signing key");
			goto done;
		}
		int w = file_write_atomic(path, pem, len, 0600);
		secure_free(pem, len);
		if (w < 0) {
			snprintf(a->err, a->errlen, "cannot write %s: %s", path, strerror(errno));
			goto done;
		}
		log_msg("generated a new RS256 signing key in %s", path);
	}
	struct stat st;
	if (stat(a->jwks_path, &st) < 0 && write_jwks(a->jwks_path, key) < 0) {
		snprintf(a->err, a->errlen, "cannot write %s: %s", a->jwks_path, strerror(errno));
		goto done;
	}
	rc = 0;
done:
	EVP_PKEY_free(key);
	free(path);
	return rc;
}

int issuer_ensure_keys(const char *state_dir, const char *jwks_path, char *err, size_t errlen)
{
	/* Both there, as at every start but the first: nothing to lock or
	 * parse (a program that signs parses the key in issuer_load). */
	struct stat st;
	char *key_path = ck_asprintf("%s/" KEY_FILE, state_dir);
	int both = stat(key_path, &st) == 0 && stat(jwks_path, &st) == 0;
	free(key_path);
	if (both)
		return 0;
	if (mkdir(state_dir, 0700) < 0 && errno != EEXIST) {
		snprintf(err, errlen, "cannot create state directory %s: %s", state_dir, strerror(errno));
		return -1;
	}
	struct ensure_args a = {state_dir, jwks_path, err, errlen};
	snprintf(err, errlen, "cannot lock %s/.lock", state_dir);
	return file_dir_locked(state_dir, ensure_locked, &a);
}

int issuer_load(struct issuer *is, const char *state_dir, char *err, size_t errlen)
{
	memset(is, 0, sizeof *is);
	char *path = ck_asprintf("%s/" KEY_FILE, state_dir);
	is->pem = file_read(path, 16384, &is->pem_len);
	EVP_PKEY *key = is->pem ? pem_to_key(is->pem, is->pem_len) : NULL;
	if (!key) {
		snprintf(err, errlen, "cannot read the signing key %s", path);
		free(path);
		issuer_free(is);
		return -1;
	}
	free(path);
	is->kid = jwks_thumbprint(key);
	EVP_PKEY_free(key);
	return is->kid ? 0 : -1;
}

struct rotate_args {
	const char *state_dir, *jwks_path;
	time_t now;
	long keep;
	char *new_kid;
	char *err;
	size_t errlen;
};

/* The retired keys worth keeping, then the new key first: a new JWKS text. */
static char *rotated_jwks(const char *old_doc, size_t old_len, const char *old_kid, const char *new_jwk,
			  time_t now, long keep)
{
	json_object *doc = old_doc ? token_json_parse(old_doc, old_len) : NULL, *keys = NULL;
	json_object *out = json_object_new_array();
	json_object_array_add(out, json_tokener_parse(new_jwk));
	if (doc && json_object_object_get_ex(doc, "keys", &keys) &&
	    json_object_is_type(keys, json_type_array)) {
		size_t n = json_object_array_length(keys);
		for (size_t i = 0; i < n; i++) {
			json_object *k = json_object_array_get_idx(keys, i), *kid, *retire;
			if (!json_object_is_type(k, json_type_object))
				continue;
			int current = json_object_object_get_ex(k, "kid", &kid) &&
				      strcmp(json_object_get_string(kid), old_kid) == 0;
			if (current && keep == 0)
				continue; /* retired at once: a leaked key is dropped, not kept */
			if (current)
				json_object_object_add(k, ISSUER_RETIRE_MEMBER,
						       json_object_new_int64(now + keep));
			else if (json_object_object_get_ex(k, ISSUER_RETIRE_MEMBER, &retire) &&
				 json_object_get_int64(retire) <= now)
				continue; /* every token it signed has expired */
			json_object_array_add(out, json_object_get(k));
		}
	}
	json_object *root = json_object_new_object();
	json_object_object_add(root, "keys", out);
	char *text = ck_asprintf("%s\n", json_object_to_json_string_ext(
					     root, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(root);
	json_object_put(doc);
	return text;
}

static int rotate_locked(void *arg)
{
	struct rotate_args *a = arg;
	char *key_path = ck_asprintf("%s/" KEY_FILE, a->state_dir);
	char *old_pem = NULL, *new_pem = NULL, *old_kid = NULL, *jwk = NULL, *doc = NULL, *old_doc = NULL;
	size_t old_len = 0, new_len = 0, doc_len = 0;
	EVP_PKEY *old_key = NULL, *new_key = NULL;
	int rc = -1;
	old_pem = file_read(key_path, 16384, &old_len);
	old_key = old_pem ? pem_to_key(old_pem, old_len) : NULL;
	if (!old_key) {
		snprintf(a->err, a->errlen, "cannot read the signing key %s", key_path);
		goto done;
	}
	old_kid = jwks_thumbprint(old_key);
	new_key = generate_key(&new_pem, &new_len);
	a->new_kid = new_key ? jwks_thumbprint(new_key) : NULL;
	jwk = a->new_kid ? jwks_public_jwk(new_key, a->new_kid) : NULL;
	if (!old_kid || !jwk) {
		snprintf(a->err, a->errlen, "cannot generate the new signing key");
		goto done;
	}
	old_doc = file_read(a->jwks_path, JWKS_MAX_BYTES, &doc_len);
	doc = rotated_jwks(old_doc, doc_len, old_kid, jwk, a->now, a->keep);
	/* Published first: a crash in between leaves the old key signing. */
	if (file_write_atomic(a->jwks_path, doc, strlen(doc), 0600) < 0) {
		snprintf(a->err, a->errlen, "cannot write %s: %s", a->jwks_path, strerror(errno));
		goto done;
	}
	if (file_write_atomic(key_path, new_pem, new_len, 0600) < 0) {
		snprintf(a->err, a->errlen, "cannot write %s: %s", key_path, strerror(errno));
		goto done;
	}
	rc = 0;
done:
	if (old_pem)
		secure_free(old_pem, old_len);
	if (new_pem)
		secure_free(new_pem, new_len);
	EVP_PKEY_free(old_key);
	EVP_PKEY_free(new_key);
	free(old_kid);
	free(jwk);
	free(doc);
	free(old_doc);
	free(key_path);
	return rc;
}

int issuer_rotate(const char *state_dir, const char *jwks_path, time_t now, long keep, char **new_kid,
		  char *err, size_t errlen)
{
	struct rotate_args a = {state_dir, jwks_path, now, keep, NULL, err, errlen};
	snprintf(err, errlen, "cannot lock %s/.lock", state_dir);
	int rc = file_dir_locked(state_dir, rotate_locked, &a);
	if (rc == 0 && new_kid)
		*new_kid = a.new_kid;
	else
		free(a.new_kid);
	return rc;
}

json_object *issuer_access_claims(const char *iss, const char *aud, const struct user *u, time_t now,
				  long ttl)
{
	unsigned char rnd[16];
	RAND_bytes(rnd, sizeof rnd);
	char *jti = b64url_encode(rnd, sizeof rnd);
	json_object *c = user_json(u, USER_JSON_SUB | USER_JSON_PERMISSIONS | USER_JSON_SCOPE);
	json_object_object_add(c, "iss", json_object_new_string(iss));
	json_object_object_add(c, "aud", json_object_new_string(aud));
	json_object_object_add(c, "iat", json_object_new_int64(now));
	json_object_object_add(c, "nbf", json_object_new_int64(now));
	json_object_object_add(c, "exp", json_object_new_int64(now + ttl));
	json_object_object_add(c, "jti", json_object_new_string(jti));
	free(jti);
	return c;
}

char *issuer_sign(const struct issuer *is, json_object *claims)
{
	jwt_t *jwt = NULL;
	char *out = NULL, *token = NULL;
	if (jwt_new(&jwt) != 0)
		return NULL;
	if (jwt_set_alg(jwt, JWT_ALG_RS256, (const unsigned char *)is->pem, (int)is->pem_len) != 0 ||
	    jwt_add_header(jwt, "kid", is->kid) != 0 ||
	    jwt_add_grants_json(jwt, json_object_to_json_string_ext(claims, JSON_C_TO_STRING_PLAIN)) != 0)
		goto done;
	token = jwt_encode_str(jwt);
	if (token) {
		out = ck_strdup(token);
		free(token);
	}
done:
	jwt_free(jwt);
	return out;
}

void issuer_free(struct issuer *is)
{
	if (is->pem)
		secure_free(is->pem, is->pem_len);
	free(is->kid);
	memset(is, 0, sizeof *is);
}
