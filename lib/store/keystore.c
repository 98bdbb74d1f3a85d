#include "keystore.h"
#include "util.h"

#include <stdlib.h>
#include <string.h>

const char *keystore_strerror(enum keystore_status st)
{
	switch (st) {
	case KEYSTORE_OK:
		return "ok";
	case KEYSTORE_UNAVAILABLE:
		return "the key store's database cannot be reached";
	case KEYSTORE_NO_KEY:
		return "a new signing key could not be made";
	case KEYSTORE_ERROR:
		break;
	}
	return "the key store failed";
}

static enum keystore_status status_of(enum db_err e)
{
	if (e == DB_OK || e == DB_ROW || e == DB_DONE)
		return KEYSTORE_OK;
	return e == DB_UNAVAILABLE ? KEYSTORE_UNAVAILABLE : KEYSTORE_ERROR;
}

static enum db_err read_version(struct db *db, long long *version)
{
	struct db_rows *r;
	enum db_err e = db_exec(db, &r, "SELECT COALESCE(max(id), 0) FROM signing_keys", DB_END);
	if (e == DB_ROW) {
		*version = db_column_int(r, 0);
		db_rows_free(r);
	}
	return e;
}

enum keystore_status keystore_version(struct db *db, long long *version)
{
	*version = 0;
	return status_of(read_version(db, version));
}

struct ensure_args {
	const struct keystore_key *fresh;
	time_t now;
	int made;
};

static enum db_err insert_key(struct db *db, const struct keystore_key *k, long long now, long long sign_from)
{
	return db_exec(
	    db, NULL,
	    "INSERT INTO signing_keys (kid, private_pem, public_jwk, created, sign_from, retire_at)"
	    " VALUES (?1, ?2, ?3, ?4, ?5, NULL)",
	    DB_TEXT, k->kid, DB_TEXT, k->pem, DB_TEXT, k->jwk, DB_INT, now, DB_INT, sign_from, DB_END);
}

/* Reads, then writes only into an empty table: the transaction makes the
 * read and the write one step, so racing first starts add one key. */
static enum db_err ensure_txn(struct db *db, void *arg)
{
	struct ensure_args *a = arg;
	long long version;
	a->made = 0;
	enum db_err e = read_version(db, &version);
	if (e != DB_ROW || version != 0)
		return e;
	e = insert_key(db, a->fresh, (long long)a->now, (long long)a->now);
	a->made = e == DB_DONE;
	return e;
}

enum keystore_status keystore_ensure(struct db *db, time_t now, keystore_keygen keygen, int *made)
{
	long long version;
	if (made)
		*made = 0;
	/* Every start but the first: one read, no key made, no write. */
	enum db_err e = read_version(db, &version);
	if (e != DB_ROW)
		return status_of(e);
	if (version != 0)
		return KEYSTORE_OK;
	struct keystore_key fresh = {0};
	if (keygen(&fresh) < 0) {
		keystore_key_free(&fresh);
		return KEYSTORE_NO_KEY;
	}
	struct ensure_args a = {&fresh, now, 0};
	e = db_txn_run(db, ensure_txn, &a);
	keystore_key_free(&fresh);
	if (e == DB_OK && made)
		*made = a.made;
	return status_of(e);
}

enum keystore_status keystore_load(struct db *db, time_t now, int with_private, struct keystore *out)
{
	memset(out, 0, sizeof *out);
	struct db_rows *r;
	/* The newest key is never retiring, so the newest id loaded is the
	 * table's: the version keystore_version reads. */
	enum db_err e = db_exec(db, &r,
				"SELECT id, kid, public_jwk, created, sign_from, COALESCE(retire_at, 0),"
				" CASE WHEN ?2 = 1 THEN private_pem ELSE NULL END"
				" FROM signing_keys WHERE retire_at IS NULL OR retire_at > ?1"
				" ORDER BY sign_from DESC, id DESC",
				DB_INT, (long long)now, DB_INT, (long long)(with_private != 0), DB_END);
	size_t cap = 0;
	for (; e == DB_ROW; e = db_rows_next(r)) {
		if (out->nkeys == cap) {
			cap = cap ? cap * 2 : 4;
			out->keys = ck_realloc(out->keys, cap * sizeof *out->keys);
		}
		struct keystore_key *k = &out->keys[out->nkeys++];
		memset(k, 0, sizeof *k);
		k->id = db_column_int(r, 0);
		k->kid = db_column_text_dup(r, 1);
		k->jwk = db_column_text_dup(r, 2);
		k->created = db_column_int(r, 3);
		k->sign_from = db_column_int(r, 4);
		k->retire_at = db_column_int(r, 5);
		k->pem = db_column_text_dup(r, 6);
		k->pem_len = k->pem ? strlen(k->pem) : 0;
		if (k->id > out->version)
			out->version = k->id;
	}
	db_rows_free(r);
	if (e == DB_DONE)
		return KEYSTORE_OK;
	keystore_free(out);
	return status_of(e);
}

struct rotate_args {
	const struct keystore_key *fresh;
	long long now, keep;
};

static enum db_err rotate_txn(struct db *db, void *arg)
{
	const struct rotate_args *a = arg;
	/* With keep 0 the old key goes now, and no key is left to sign
	 * during the delay: the new one signs at once. */
	long long sign_from = a->keep == 0 ? a->now : a->now + KEYSTORE_PUBLISH_DELAY;
	enum db_err e =
	    db_exec(db, NULL, "DELETE FROM signing_keys WHERE retire_at IS NOT NULL AND retire_at <= ?1",
		    DB_INT, a->now, DB_END);
	if (e != DB_DONE)
		return e;
	if (a->keep == 0)
		e = db_exec(db, NULL, "DELETE FROM signing_keys WHERE retire_at IS NULL", DB_END);
	else
		e = db_exec(db, NULL, "UPDATE signing_keys SET retire_at = ?1 WHERE retire_at IS NULL",
			    DB_INT, sign_from + a->keep, DB_END);
	if (e != DB_DONE)
		return e;
	e = insert_key(db, a->fresh, a->now, sign_from);
	/* Every process of every node hears of it at the commit (PostgreSQL). */
	return e == DB_DONE ? db_notify(db, DB_NOTE_KEYS) : e;
}

enum keystore_status keystore_rotate(struct db *db, const struct keystore_key *fresh, time_t now, long keep)
{
	struct rotate_args a = {fresh, (long long)now, keep};
	return status_of(db_txn_run(db, rotate_txn, &a));
}

const struct keystore_key *keystore_signer(const struct keystore *ks, time_t now)
{
	/* Newest first: the first whose time has come. */
	for (size_t i = 0; i < ks->nkeys; i++) {
		const struct keystore_key *k = &ks->keys[i];
		if (k->sign_from <= (long long)now && (k->retire_at == 0 || k->retire_at > (long long)now))
			return k;
	}
	return NULL;
}

long long keystore_next_signer_change(const struct keystore *ks, time_t now)
{
	long long next = 0;
	for (size_t i = 0; i < ks->nkeys; i++) {
		long long t = ks->keys[i].sign_from;
		if (t > (long long)now && (next == 0 || t < next))
			next = t;
	}
	return next;
}

void keystore_key_free(struct keystore_key *k)
{
	if (k->pem)
		secure_free(k->pem, k->pem_len);
	free(k->kid);
	free(k->jwk);
	memset(k, 0, sizeof *k);
}

void keystore_free(struct keystore *ks)
{
	for (size_t i = 0; i < ks->nkeys; i++)
		keystore_key_free(&ks->keys[i]);
	free(ks->keys);
	memset(ks, 0, sizeof *ks);
}
