#include "keyring.h"
#include "tokencache.h"
#include "util.h"

#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* One line when the store starts failing and one when it is back, however
 * many requests find it down: the keys in memory go on serving meanwhile. */
static void note_failure(struct keyring *kr, enum keystore_status st)
{
	if (kr->failing)
		return;
	kr->failing = 1;
	log_msg("keys: %s (%s); keeping the %zu keys in memory", keystore_strerror(st), db_errmsg(kr->db),
		kr->keys->nkeys);
}

static void note_success(struct keyring *kr)
{
	if (kr->failing)
		log_msg("keys: the key store answers again");
	kr->failing = 0;
}

/* The signer for now, from memory: replaced only when another key's time
 * has come. */
static void pick_signer(struct keyring *kr, time_t now)
{
	kr->next_signer = keystore_next_signer_change(&kr->held, now);
	if (!kr->signs)
		return;
	const struct keystore_key *k = keystore_signer(&kr->held, now);
	if (!k || !k->pem || (kr->issuer->kid && strcmp(kr->issuer->kid, k->kid) == 0))
		return;
	issuer_free(kr->issuer);
	kr->issuer->pem = ck_strdup(k->pem);
	kr->issuer->pem_len = k->pem_len;
	kr->issuer->kid = ck_strdup(k->kid);
}

/* The rows as a JWKS document with their retire times, parsed by the same
 * code as the files: a key the parser refuses is refused here too. */
static int rows_to_jwks(const struct keystore *rows, struct jwks *set, char *err, size_t errlen)
{
	json_object *keys = json_object_new_array();
	for (size_t i = 0; i < rows->nkeys; i++) {
		json_object *k = json_tokener_parse(rows->keys[i].jwk);
		if (!json_object_is_type(k, json_type_object)) {
			json_object_put(k);
			continue;
		}
		if (rows->keys[i].retire_at)
			json_object_object_add(k, JWKS_RETIRE_MEMBER,
					       json_object_new_int64(rows->keys[i].retire_at));
		json_object_array_add(keys, k);
	}
	json_object *doc = json_object_new_object();
	json_object_object_add(doc, "keys", keys);
	const char *text = json_object_to_json_string_ext(doc, JSON_C_TO_STRING_PLAIN);
	int rc = jwks_parse(set, text, strlen(text), err, errlen);
	json_object_put(doc);
	return rc;
}

static int reload(struct keyring *kr, time_t now, char *err, size_t errlen)
{
	struct keystore rows;
	struct jwks set;
	enum keystore_status st = keystore_load(kr->db, now, kr->signs, &rows);
	if (st != KEYSTORE_OK) {
		snprintf(err, errlen, "%s", keystore_strerror(st));
		note_failure(kr, st);
		return -1;
	}
	if (rows_to_jwks(&rows, &set, err, errlen) < 0) {
		log_msg("keys: the key store's keys cannot be used: %s", err);
		keystore_free(&rows);
		return -1;
	}
	note_success(kr);
	jwks_free(kr->keys);
	*kr->keys = set;
	keystore_free(&kr->held);
	kr->held = rows;
	/* A token verified with a key that is gone must not stay good. */
	tokencache_clear();
	pick_signer(kr, now);
	return 0;
}

int keyring_start(struct keyring *kr, struct db *db, int signs, struct jwks *keys, struct issuer *issuer,
		  time_t now, char *err, size_t errlen)
{
	memset(kr, 0, sizeof *kr);
	kr->db = db;
	kr->signs = signs;
	kr->keys = keys;
	kr->issuer = issuer;
	int made = 0;
	enum keystore_status st = keystore_ensure(db, now, issuer_new_key, &made);
	if (st != KEYSTORE_OK) {
		snprintf(err, errlen, "%s: %s", keystore_strerror(st), db_errmsg(db));
		return -1;
	}
	if (made)
		log_msg("generated a new RS256 signing key in the database");
	if (reload(kr, now, err, errlen) < 0)
		return -1;
	if (keys->nkeys == 0 || (signs && !issuer->kid)) {
		snprintf(err, errlen, "the key store holds no usable signing key");
		return -1;
	}
	kr->next_check = now + 1;
	kr->remote = db_remote_generation_of(db, DB_NOTE_KEYS);
	return 0;
}

void keyring_tick(struct keyring *kr, time_t now)
{
	int due = 0;
	/* A rotation's notification (or a reconnect: anything may have
	 * changed unheard) makes the version read due at once. */
	unsigned long long heard = db_remote_generation_of(kr->db, DB_NOTE_KEYS);
	if (heard != kr->remote) {
		kr->remote = heard;
		kr->next_check = now;
	}
	if (now >= kr->next_check) {
		long long version;
		kr->next_check = now + 1;
		enum keystore_status st = keystore_version(kr->db, &version);
		if (st != KEYSTORE_OK)
			note_failure(kr, st);
		else
			due = version != kr->held.version;
	}
	char err[256];
	if (!due || reload(kr, now, err, sizeof err) < 0) {
		if (kr->next_signer && now >= kr->next_signer)
			pick_signer(kr, now);
	}
}

int keyring_unknown_kid(struct keyring *kr, const char *kid, time_t now)
{
	if (now < kr->next_forced)
		return 0;
	kr->next_forced = now + 1;
	kr->next_check = now + 1;
	char err[256];
	if (reload(kr, now, err, sizeof err) < 0)
		return 0;
	return jwks_key_find(kr->keys, kid) != NULL;
}

void keyring_free(struct keyring *kr)
{
	keystore_free(&kr->held);
	memset(kr, 0, sizeof *kr);
}

int keyring_read(struct db *db, time_t now, struct jwks *set, struct issuer *signer, char *err, size_t errlen)
{
	struct keyring kr = {.db = db, .signs = signer != NULL, .keys = set, .issuer = signer};
	memset(set, 0, sizeof *set);
	if (signer)
		memset(signer, 0, sizeof *signer);
	int rc = reload(&kr, now, err, errlen);
	if (rc == 0 && signer && !signer->kid) {
		snprintf(err, errlen, "the key store holds no key that signs now");
		rc = -1;
	}
	keyring_free(&kr);
	return rc;
}

enum keystore_status keyring_rotate(struct db *db, time_t (*clock)(void), long keep, char **new_kid)
{
	struct keystore_key fresh;
	if (issuer_new_key(&fresh) < 0)
		return KEYSTORE_NO_KEY;
	enum keystore_status st = keystore_rotate(db, &fresh, clock(), keep);
	if (st == KEYSTORE_OK && new_kid)
		*new_kid = ck_strdup(fresh.kid);
	keystore_key_free(&fresh);
	return st;
}
