/* jwks: a set of RSA verification keys parsed once from a JWKS document
 * and looked up by kid. */
#ifndef MCPAUTH_JWKS_H
#define MCPAUTH_JWKS_H

#include <openssl/evp.h>
#include <stddef.h>
#include <time.h>

#define JWKS_MAX_BYTES (256 * 1024)
#define JWKS_MAX_KID 128
#define JWKS_MIN_RSA_BITS 2048
/* OpenSSL verifies no larger modulus (OPENSSL_RSA_MAX_MODULUS_BITS) and no
 * public exponent over 64 bits with a modulus over 3072. */
#define JWKS_MAX_RSA_BITS 16384
#define JWKS_MAX_E_BITS 64
/* A key's retire time (unix seconds), beside it in the JWKS the suite
 * writes (mcpauth rotate-key): from then on it is neither trusted nor
 * published. Never part of a published JWK. */
#define JWKS_RETIRE_MEMBER "mcpauth_retire_at"

struct jwks_key {
	char kid[JWKS_MAX_KID + 1];
	EVP_PKEY *pkey;
	long long retire_at; /* 0: not retiring */
};

struct jwks {
	struct jwks_key *keys;
	size_t nkeys;
};

/* Parses a JWKS document. Keys that are not RSA signing keys for RS256 of
 * at least 2048 bits, or whose retire time is not a positive integer, are
 * skipped and logged. Returns 0, or -1 with the reason in err when the
 * document itself is unusable. */
int jwks_parse(struct jwks *set, const char *json, size_t len, char *err, size_t errlen);
int jwks_load_file(struct jwks *set, const char *path, char *err, size_t errlen);
/* The key with this kid, retired or not. */
EVP_PKEY *jwks_find(const struct jwks *set, const char *kid);
const struct jwks_key *jwks_key_find(const struct jwks *set, const char *kid);
/* 1 when the key's retire time has come at now. */
int jwks_key_retired(const struct jwks_key *k, time_t now);
/* Removes the keys retired at now, one log line each; returns how many. */
size_t jwks_drop_retired(struct jwks *set, time_t now);
void jwks_free(struct jwks *set);

/* RFC 7638 thumbprint (SHA-256, base64url) of an RSA public key. */
char *jwks_thumbprint(const EVP_PKEY *pkey);
/* The public JWK of an RSA key: {"kty","use","alg","kid","n","e"}, as JSON text. */
char *jwks_public_jwk(const EVP_PKEY *pkey, const char *kid);
/* The set as a JWKS document of public JWKs (with their retire times),
 * one line ending in '\n'; parsing it gives the same keys. */
char *jwks_to_json(const struct jwks *set);

#endif
