/* issuer: the local token issuer's signing key (generated on first start)
 * and RS256 token signing with libjwt. */
#ifndef MCPAUTH_ISSUER_H
#define MCPAUTH_ISSUER_H

#include "jwks.h"
#include "keystore.h"

#include <json-c/json.h>
#include <openssl/evp.h>
#include <stddef.h>
#include <time.h>

struct issuer {
	char *pem; /* private key, PEM; wiped on free */
	size_t pem_len;
	char *kid; /* RFC 7638 thumbprint */
};

/* Creates <state_dir> (0700), signing-key.pem (0600) and jwks.json if
 * absent. Safe when many processes start at once (flock on .lock). */
int issuer_ensure_keys(const char *state_dir, const char *jwks_path, char *err, size_t errlen);
int issuer_load(struct issuer *is, const char *state_dir, char *err, size_t errlen);
/* Signs claims (a JSON object) as an RS256 JWT with header kid. */
char *issuer_sign(const struct issuer *is, json_object *claims);
void issuer_free(struct issuer *is);

/* Key rotation: a new signing key signs from now on. The old key's public
 * half stays in the JWKS, marked with ISSUER_RETIRE_MEMBER (unix time), so
 * that the tokens it signed keep verifying until they have expired (keep
 * 0: it is dropped at once); retired keys whose time has passed are
 * dropped. jwks.json is written before signing-key.pem, so that a key never
 * signs before it is published. Programs load the keys once at start:
 * running ones must be restarted (gracefully) to verify with, and sign
 * with, the new key, and to forget a key dropped with keep 0; a retire
 * time they loaded is honoured without a restart. On success
 * *new_kid (when not NULL) is the new key's kid; the caller frees it. */
#define ISSUER_RETIRE_MEMBER JWKS_RETIRE_MEMBER
int issuer_rotate(const char *state_dir, const char *jwks_path, time_t now, long keep, char **new_kid,
		  char *err, size_t errlen);

/* A new RS256 key for the shared store: its kid, private PEM and public
 * JWK (a keystore_keygen). 0, or -1 when OpenSSL could not make one. */
int issuer_new_key(struct keystore_key *out);

/* The claims of an access token for user u, as POST /auth/login issues
 * them: iss, sub, aud, iat, nbf, exp, jti, email, name, permissions, scope. */
struct user;
json_object *issuer_access_claims(const char *iss, const char *aud, const struct user *u, time_t now,
				  long ttl);

#endif
