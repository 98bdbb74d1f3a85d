/* jwks: a set of RSA verification keys parsed once from a JWKS document
 * and looked up by kid. */
#ifndef MCPAUTH_JWKS_H
#define MCPAUTH_JWKS_H

#include <openssl/evp.h>
#include <stddef.h>

#define JWKS_MAX_BYTES (256 * 1024)
#define JWKS_MAX_KID 128
#define JWKS_MIN_RSA_BITS 2048
/* OpenSSL verifies no larger modulus (OPENSSL_RSA_MAX_MODULUS_BITS) and no
 * public exponent over 64 bits with a modulus over 3072. */
#define JWKS_MAX_RSA_BITS 16384
#define JWKS_MAX_E_BITS 64

struct jwks_key {
	char kid[JWKS_MAX_KID + 1];
	EVP_PKEY *pkey;
};

struct jwks {
	struct jwks_key *keys;
	size_t nkeys;
};

/* Parses a JWKS document. Keys that are not RSA signing keys for RS256 of
 * at least 2048 bits are skipped and logged. Returns 0, or -1 with the
 * reason in err when the document itself is unusable. */
int jwks_parse(struct jwks *set, const char *json, size_t len, char *err, size_t errlen);
int jwks_load_file(struct jwks *set, const char *path, char *err, size_t errlen);
EVP_PKEY *jwks_find(const struct jwks *set, const char *kid);
void jwks_free(struct jwks *set);

/* RFC 7638 thumbprint (SHA-256, base64url) of an RSA public key. */
char *jwks_thumbprint(const EVP_PKEY *pkey);
/* The public JWK of an RSA key: {"kty","use","alg","kid","n","e"}, as JSON text. */
char *jwks_public_jwk(const EVP_PKEY *pkey, const char *kid);
/* The set as a JWKS document of public JWKs, one line ending in '\n';
 * parsing it gives the same keys. */
char *jwks_to_json(const struct jwks *set);

#endif
