#include "password.h"
#include "util.h"

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/kdf.h>
#include <openssl/params.h>
#include <openssl/rand.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SCRYPT_LOGN 15
#define SCRYPT_R 8
#define SCRYPT_P 1
#define SALT_LEN 16
#define HASH_LEN 32

static int scrypt(const char *pw, const unsigned char *salt, size_t saltlen, unsigned logn, unsigned r,
		  unsigned p, unsigned char *out, size_t outlen)
{
	EVP_KDF *kdf = EVP_KDF_fetch(NULL, "SCRYPT", NULL);
	EVP_KDF_CTX *ctx = kdf ? EVP_KDF_CTX_new(kdf) : NULL;
	uint64_t n = (uint64_t)1 << logn;
	uint32_t rr = r, pp = p;
	uint64_t maxmem = 256ull * 1024 * 1024;
	OSSL_PARAM params[] = {
	    OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_PASSWORD, (void *)pw, strlen(pw)),
	    OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SALT, (void *)salt, saltlen),
	    OSSL_PARAM_construct_uint64(OSSL_KDF_PARAM_SCRYPT_N, &n),
	    OSSL_PARAM_construct_uint32(OSSL_KDF_PARAM_SCRYPT_R, &rr),
	    OSSL_PARAM_construct_uint32(OSSL_KDF_PARAM_SCRYPT_P, &pp),
	    OSSL_PARAM_construct_uint64(OSSL_KDF_PARAM_SCRYPT_MAXMEM, &maxmem),
	    OSSL_PARAM_construct_end(),
	};
	int ok = ctx && EVP_KDF_derive(ctx, out, outlen, params) == 1;
	EVP_KDF_CTX_free(ctx);
	EVP_KDF_free(kdf);
	return ok ? 0 : -1;
}

char *password_hash(const char *password)
{
	unsigned char salt[SALT_LEN], hash[HASH_LEN];
	if (strlen(password) > PASSWORD_MAX_LEN || RAND_bytes(salt, sizeof salt) != 1 ||
	    scrypt(password, salt, sizeof salt, SCRYPT_LOGN, SCRYPT_R, SCRYPT_P, hash, sizeof hash) < 0)
		return NULL;
	char *s = b64url_encode(salt, sizeof salt), *h = b64url_encode(hash, sizeof hash);
	char *out = ck_asprintf("scrypt$%d$%d$%d$%s$%s", SCRYPT_LOGN, SCRYPT_R, SCRYPT_P, s, h);
	free(s);
	free(h);
	OPENSSL_cleanse(hash, sizeof hash);
	return out;
}

/* A well-formed hash of nothing anyone knows, for unknown users. */
static const char dummy_hash[] =
    "scrypt$15$8$1$AAAAAAAAAAAAAAAAAAAAAA$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA";

int password_verify(const char *password, const char *stored)
{
	int known = stored != NULL;
	if (!stored)
		stored = dummy_hash;
	unsigned logn, r, p;
	char salt64[64], hash64[128];
	if (sscanf(stored, "scrypt$%u$%u$%u$%63[A-Za-z0-9_-]$%127[A-Za-z0-9_-]", &logn, &r, &p, salt64,
		   hash64) != 5 ||
	    logn < 10 || logn > 20 || r < 1 || r > 32 || p < 1 || p > 16)
		return 0;
	unsigned char *salt = NULL, *want = NULL, got[HASH_LEN];
	size_t saltlen, wantlen;
	int match = 0;
	if (b64url_decode(salt64, strlen(salt64), &salt, &saltlen) < 0 ||
	    b64url_decode(hash64, strlen(hash64), &want, &wantlen) < 0 || wantlen != HASH_LEN)
		goto done;
	if (strlen(password) > PASSWORD_MAX_LEN)
		password = "";
	if (scrypt(password, salt, saltlen, logn, r, p, got, sizeof got) < 0)
		goto done;
	match = CRYPTO_memcmp(got, want, HASH_LEN) == 0 && known;
done:
	OPENSSL_cleanse(got, sizeof got);
	free(salt);
	free(want);
	return match;
}
