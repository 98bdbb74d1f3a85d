/* testkeys: helpers for the unit tests: fixture keys, and hand-made
 * compact JWS tokens (well formed or deliberately broken). */
#ifndef MCPAUTH_TESTKEYS_H
#define MCPAUTH_TESTKEYS_H

#include <openssl/evp.h>
#include <stddef.h>

#include "jwks.h"

/* The kid under which key1.pem is published in key1.jwks.json. */
#define TESTKEYS_KID1 "test-key-1"

/* The fixture directory: $FIXTURES, or "tests/fixtures" when unset. */
const char *testkeys_fixtures_dir(void);
/* <fixtures>/<name>; caller frees. */
char *testkeys_fixture_path(const char *name);

/* Loads a PEM private key from the fixture directory, or NULL. */
EVP_PKEY *testkeys_load_pem(const char *name);
/* The PEM text (SubjectPublicKeyInfo) of key's public half; caller frees. */
char *testkeys_public_pem(const EVP_PKEY *key);
/* Loads key1.jwks.json with jwks_load_file; returns its result. */
int testkeys_load_jwks(struct jwks *set);

/* base64url (no padding) of a NUL-terminated text; caller frees. */
char *testkeys_b64(const char *text);
/* base64url of len raw bytes; caller frees. */
char *testkeys_b64n(const char *data, size_t len);

/* Joins n segments with '.'; caller frees. */
char *testkeys_join(const char *const *segs, size_t n);

/* The RS256 signature (PKCS#1 v1.5, SHA-256), base64url, of the text
 * "<h64>.<p64>"; caller frees. NULL on failure. */
char *testkeys_rs256_sig(EVP_PKEY *key, const char *h64, const char *p64);
/* "<h64>.<p64>.<RS256 signature over them>", for segments that are
 * deliberately not canonical base64url. Caller frees. */
char *testkeys_rs256_segments(EVP_PKEY *key, const char *h64, const char *p64);
/* A compact JWS of arbitrary header and payload JSON texts, RS256-signed
 * with key. Caller frees. */
char *testkeys_rs256(EVP_PKEY *key, const char *header_json, const char *payload_json);
/* The same with an arbitrary (len bytes) payload, e.g. invalid UTF-8. */
char *testkeys_rs256_raw(EVP_PKEY *key, const char *header_json, const char *payload, size_t payload_len);
/* A compact JWS HMAC-SHA256-signed with an arbitrary key. Caller frees. */
char *testkeys_hs256(const void *hmac_key, size_t keylen, const char *header_json, const char *payload_json);

/* Segment i (0-based) of a compact token, as a new string, or NULL. */
char *testkeys_segment(const char *token, int i);

#endif
