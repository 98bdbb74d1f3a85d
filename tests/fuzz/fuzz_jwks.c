/* Fuzz target: a JWKS document to a key set (jwks_parse), then what the
 * suite does with each key: find it by kid, its thumbprint, and its public
 * JWK, which must read back as the same key. */
#include "fuzz.h"
#include "jwks.h"
#include "util.h"

#include <openssl/evp.h>
#include <string.h>

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct jwks set;
	char err[256];
	if (jwks_parse(&set, (const char *)data, size, err, sizeof err) < 0) {
		FUZZ_CHECK(err[0] != '\0', "a refused JWKS without a reason");
		return 0;
	}
	for (size_t i = 0; i < set.nkeys; i++) {
		const struct jwks_key *k = &set.keys[i];
		size_t kidlen = strlen(k->kid);
		FUZZ_CHECK(kidlen > 0 && kidlen <= JWKS_MAX_KID, "a kept key with a bad kid");
		FUZZ_CHECK(EVP_PKEY_get_bits(k->pkey) >= JWKS_MIN_RSA_BITS &&
			       EVP_PKEY_get_bits(k->pkey) <= JWKS_MAX_RSA_BITS,
			   "a kept key under 2048 or over 16384 bits");
		FUZZ_CHECK(jwks_find(&set, k->kid) == k->pkey, "two kept keys with one kid");
		FUZZ_CHECK(k->retire_at >= 0, "a kept key with a negative retire time");
		char *tp = jwks_thumbprint(k->pkey);
		FUZZ_CHECK(tp != NULL, "no thumbprint");
		/* The published form of the key reads back as that key. */
		char *jwk = jwks_public_jwk(k->pkey, k->kid);
		FUZZ_CHECK(jwk != NULL, "no public JWK");
		char *doc = ck_asprintf("{\"keys\":[%s]}", jwk);
		struct jwks back;
		FUZZ_CHECK(jwks_parse(&back, doc, strlen(doc), err, sizeof err) == 0 && back.nkeys == 1,
			   "the public JWK does not read back");
		FUZZ_CHECK(strcmp(back.keys[0].kid, k->kid) == 0, "the public JWK changed the kid");
		char *tp2 = jwks_thumbprint(back.keys[0].pkey);
		FUZZ_CHECK(tp2 && strcmp(tp, tp2) == 0, "the public JWK changed the key");
		jwks_free(&back);
		free(tp2);
		free(doc);
		free(jwk);
		free(tp);
	}
	jwks_free(&set);
	return 0;
}
