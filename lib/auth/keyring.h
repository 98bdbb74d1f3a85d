/* keyring: the local issuer's keys when they live in the shared store
 * (PostgreSQL, lib/store/keystore.c) rather than in files. Each process
 * holds them parsed in memory (the verification set, and the signing key
 * in a program that signs) and reads them again only when they changed:
 * it reads the store's version at most once a second, at once when the
 * database tells of a change (db_remote_generation_of, DB_NOTE_KEYS), and
 * when a token names a kid it does not hold (at most once a second). The signer is the newest key whose
 * sign_from has come, switched from memory when that time comes. */
#ifndef MCPAUTH_KEYRING_H
#define MCPAUTH_KEYRING_H

#include <stddef.h>
#include <time.h>

#include "db.h"
#include "issuer.h"
#include "jwks.h"
#include "keystore.h"

struct keyring {
	struct db *db;
	int signs;		   /* holds the private keys and fills *issuer */
	struct jwks *keys;	   /* the set verification reads; replaced in place */
	struct issuer *issuer;	   /* the key that signs now (when signs) */
	struct keystore held;	   /* the rows last loaded */
	time_t next_check;	   /* the next version read */
	long long next_signer;	   /* a pending key's sign_from: the signer changes then */
	time_t next_forced;	   /* the next re-read an unknown kid may cause */
	unsigned long long remote; /* the keys' notifications heard, as last seen */
	int failing;		   /* the store failed and that was logged */
};

/* At start: makes the first key when the store has none (one winner among
 * processes that start at once), then loads. 0, or -1 with err. */
int keyring_start(struct keyring *kr, struct db *db, int signs, struct jwks *keys, struct issuer *issuer,
		  time_t now, char *err, size_t errlen);
/* Before the keys are used at now (each request that verifies or signs):
 * at most one version read a second, a reload when it changed. */
void keyring_tick(struct keyring *kr, time_t now);
/* A token names kid, which the set lacks: reload (at most once a second);
 * 1 when the set now holds it. */
int keyring_unknown_kid(struct keyring *kr, const char *kid, time_t now);
void keyring_free(struct keyring *kr);

/* For the tool (mcpauth keys, mint, verify): the store's keys at now, read
 * once, no key made: the verification set into *set and, when signer is
 * not NULL, the key that signs now into *signer. 0, or -1 with err. */
int keyring_read(struct db *db, time_t now, struct jwks *set, struct issuer *signer, char *err,
		 size_t errlen);

/* mcpauth rotate-key with the keys in the store: a new key, published at
 * once and signing KEYSTORE_PUBLISH_DELAY seconds later everywhere
 * (keystore_rotate). The clock is read once the key is made (which takes
 * a while), so that the delay counts from the commit. *new_kid (when
 * given) is its kid, for the caller to free. */
enum keystore_status keyring_rotate(struct db *db, time_t (*clock)(void), long keep, char **new_kid);

#endif
