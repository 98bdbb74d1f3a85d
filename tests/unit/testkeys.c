#include "testkeys.h"
#include "util.h"

#include <openssl/hmac.h>
#include <openssl/pem.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *testkeys_fixtures_dir(void)
{
	const char *d = getenv("FIXTURES");
	return d && *d ? d : "tests/fixtures";
}

char *testkeys_fixture_path(const char *name)
{
	return ck_asprintf("%s/%s", testkeys_fixtures_dir(), name);
}

EVP_PKEY *testkeys_load_pem(const char *name)
{
	char *path = testkeys_fixture_path(name);
	FILE *f = fopen(path, "r");
	free(path);
	if (!f)
		return NULL;
	EVP_PKEY *k = PEM_read_PrivateKey(f, NULL, NULL, NULL);
	fclose(f);
	return k;
}

char *testkeys_public_pem(const EVP_PKEY *key)
{
	BIO *bio = BIO_new(BIO_s_mem());
	char *data, *out = NULL;
	if (bio && PEM_write_bio_PUBKEY(bio, (EVP_PKEY *)key)) {
		long n = BIO_get_mem_data(bio, &data);
		if (n > 0)
			out = ck_strndup(data, (size_t)n);
	}
	BIO_free(bio);
	return out;
}

int testkeys_load_jwks(struct jwks *set)
{
	char err[256];
	char *path = testkeys_fixture_path("key1.jwks.json");
	int rc = jwks_load_file(set, path, err, sizeof err);
	if (rc < 0)
		fprintf(stderr, "testkeys: %s\n", err);
	free(path);
	return rc;
}

char *testkeys_b64(const char *text)
{
	return b64url_encode((const unsigned char *)text, strlen(text));
}

char *testkeys_b64n(const char *data, size_t len)
{
	return b64url_encode((const unsigned char *)data, len);
}

char *testkeys_join(const char *const *segs, size_t n)
{
	struct sbuf b = {0};
	sbuf_adds(&b, "");
	for (size_t i = 0; i < n; i++) {
		if (i)
			sbuf_adds(&b, ".");
		sbuf_adds(&b, segs[i]);
	}
	return b.p;
}

char *testkeys_rs256_sig(EVP_PKEY *key, const char *h64, const char *p64)
{
	const char *segs[] = {h64, p64};
	char *input = testkeys_join(segs, 2);
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	unsigned char *sig = NULL;
	size_t siglen = 0;
	char *out = NULL;
	if (ctx && EVP_DigestSignInit(ctx, NULL, EVP_sha256(), NULL, key) == 1 &&
	    EVP_DigestSign(ctx, NULL, &siglen, (const unsigned char *)input, strlen(input)) == 1) {
		sig = ck_malloc(siglen);
		if (EVP_DigestSign(ctx, sig, &siglen, (const unsigned char *)input, strlen(input)) == 1)
			out = b64url_encode(sig, siglen);
	}
	free(sig);
	EVP_MD_CTX_free(ctx);
	free(input);
	return out;
}

char *testkeys_rs256_segments(EVP_PKEY *key, const char *h64, const char *p64)
{
	char *sig = testkeys_rs256_sig(key, h64, p64);
	if (!sig)
		return NULL;
	const char *segs[] = {h64, p64, sig};
	char *out = testkeys_join(segs, 3);
	free(sig);
	return out;
}

char *testkeys_rs256_raw(EVP_PKEY *key, const char *header_json, const char *payload, size_t payload_len)
{
	char *h = testkeys_b64(header_json), *p = testkeys_b64n(payload, payload_len);
	char *out = testkeys_rs256_segments(key, h, p);
	free(h);
	free(p);
	return out;
}

char *testkeys_rs256(EVP_PKEY *key, const char *header_json, const char *payload_json)
{
	return testkeys_rs256_raw(key, header_json, payload_json, strlen(payload_json));
}

char *testkeys_hs256(const void *hmac_key, size_t keylen, const char *header_json, const char *payload_json)
{
	char *h = testkeys_b64(header_json), *p = testkeys_b64(payload_json);
	const char *in_segs[] = {h, p};
	char *input = testkeys_join(in_segs, 2);
	unsigned char mac[EVP_MAX_MD_SIZE];
	unsigned int maclen = 0;
	char *out = NULL;
	if (HMAC(EVP_sha256(), hmac_key, (int)keylen, (const unsigned char *)input, strlen(input), mac,
		 &maclen)) {
		char *sig = b64url_encode(mac, maclen);
		const char *segs[] = {h, p, sig};
		out = testkeys_join(segs, 3);
		free(sig);
	}
	free(input);
	free(h);
	free(p);
	return out;
}

char *testkeys_segment(const char *token, int i)
{
	const char *s = token;
	for (; i > 0; i--) {
		s = strchr(s, '.');
		if (!s)
			return NULL;
		s++;
	}
	const char *e = strchr(s, '.');
	return ck_strndup(s, e ? (size_t)(e - s) : strlen(s));
}
