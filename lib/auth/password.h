/* password: salted scrypt hashes, parameters stored beside the hash:
 *   scrypt$<log2 N>$<r>$<p>$<salt b64url>$<hash b64url> */
#ifndef MCPAUTH_PASSWORD_H
#define MCPAUTH_PASSWORD_H

#define PASSWORD_MAX_LEN 1024

/* Returns a new hash string, or NULL on failure. */
char *password_hash(const char *password);
/* 1 if password matches stored, 0 if not (or stored is malformed).
 * Constant time in the comparison; a NULL stored hash still costs one
 * full hash so that unknown users take as long as known ones. */
int password_verify(const char *password, const char *stored);

#endif
