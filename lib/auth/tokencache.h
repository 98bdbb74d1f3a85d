/* tokencache: verified tokens, per process, so that a token seen again does
 * not pay for RSA and JSON again. Keyed by the SHA-256 of the whole token;
 * bounded; only successes are stored, and an entry is never served past
 * its exp (plus the leeway), nor from its key's retire time on, nor after
 * the keys changed. */
#ifndef MCPAUTH_TOKENCACHE_H
#define MCPAUTH_TOKENCACHE_H

#include <stddef.h>
#include <time.h>

#include "token.h"

#define TOKENCACHE_DEFAULT_SLOTS 4096

/* slots: rounded up to a power of two; 0 disables the cache. */
void tokencache_init(size_t slots);
void tokencache_free(void);
/* Forget everything, e.g. when the verification keys change. */
void tokencache_clear(void);

/* 1 and a principal (sharing the cached claims) on a hit that is still
 * valid at now; 0 otherwise. hash is filled for a later put. */
int tokencache_get(const char *token, size_t len, time_t now, const struct token_verifier *v,
		   unsigned char hash[32], struct principal *p);
/* Stores a principal token_verify accepted. */
void tokencache_put(const unsigned char hash[32], const struct principal *p);

#endif
