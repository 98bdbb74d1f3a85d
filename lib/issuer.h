/* issuer: the local token issuer's signing key (generated on first start)
 * and RS256 token signing with libjwt. */
#ifndef MCPAUTH_ISSUER_H
#define MCPAUTH_ISSUER_H

#include <json-c/json.h>
#include <openssl/evp.h>
#include <stddef.h>

struct issuer {
	char *pem;       /* private key, PEM; wiped on free */
	size_t pem_len;
	char *kid;       /* RFC 7638 thumbprint */
};

/* Creates <state_dir> (0700), signing-key.pem (0600) and jwks.json if
 * absent. Safe when many processes start at once (flock on .lock). */
int issuer_ensure_keys(const char *state_dir, const char *jwks_path, char *err, size_t errlen);
int issuer_load(struct issuer *is, const char *state_dir, char *err, size_t errlen);
/* Signs claims (a JSON object) as an RS256 JWT with header kid. */
char *issuer_sign(const struct issuer *is, json_object *claims);
void issuer_free(struct issuer *is);

/* Runs fn under an exclusive flock of <state_dir>/.lock. */
int state_locked(const char *state_dir, int (*fn)(void *), void *arg);

#endif
