/* mcpauth rotate-key and keys: the issuer's signing keys, in
 * signing-key.pem and jwks.json, or with PostgreSQL in the database every
 * node shares. */
#include "config.h"
#include "issuer.h"
#include "jwks.h"
#include "keyring.h"
#include "keystore.h"
#include "mcpauth.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#define DEFAULT_KEEP (86400 + 300) /* the longest token lifetime plus the largest leeway */

int need_local_issuer(void)
{
	if (config_local_issuer(&cfg))
		return 0;
	fail("AUTH0_DOMAIN is set: the keys are the Auth0 tenant's, not ours");
	return -1;
}

int keys_in_store(void)
{
	return cfg.database_url != NULL;
}

int store_keys(struct jwks *set, struct issuer *signer)
{
	struct db *db;
	char err[512];
	if (open_db(&db, 0) < 0)
		return -1;
	int rc = keyring_read(db, time(NULL), set, signer, err, sizeof err);
	if (rc < 0)
		fail("cannot read the keys from the database: %s", err);
	userdb_close(db);
	return rc;
}

static time_t wall_clock(void)
{
	return time(NULL);
}

/* With PostgreSQL: the new key in the database, for every node; the
 * running programs follow by themselves. */
static int rotate_in_store(long keep)
{
	struct db *db;
	char *kid = NULL;
	if (open_db(&db, 0) < 0)
		return EX_ERROR;
	enum keystore_status st = keyring_rotate(db, wall_clock, keep, &kid);
	if (st != KEYSTORE_OK)
		fail("cannot rotate the key in the database: %s (%s)", keystore_strerror(st), db_errmsg(db));
	userdb_close(db);
	if (st != KEYSTORE_OK)
		return EX_ERROR;
	printf("%s\n", kid);
	if (keep == 0)
		fprintf(
		    stderr,
		    "%s: new signing key %s, signing now on every node; the old one is dropped: every node "
		    "refuses its tokens within a second.\n",
		    TOOL_NAME, kid);
	else
		fprintf(
		    stderr,
		    "%s: new signing key %s, published now on every node and signing in %d s; the old one "
		    "stays published for %ld s more.\n",
		    TOOL_NAME, kid, KEYSTORE_PUBLISH_DELAY, keep);
	fprintf(stderr, "The keys are in the database: the running programs follow, nothing to restart.\n");
	free(kid);
	return EX_OK;
}

int cmd_rotate_key(int argc, char **argv)
{
	struct opt o[] = {{"--keep", 1, NULL}};
	long keep = DEFAULT_KEEP;
	if (parse_opts(argc, argv, o, 1) != 0 ||
	    (o[0].value && parse_seconds(o[0].value, 0, 366L * 86400, &keep) < 0)) {
		fail("usage: mcpauth rotate-key [--keep SECONDS]");
		return EX_USAGE;
	}
	if (need_local_issuer() < 0)
		return EX_USAGE;
	struct stat st;
	char err[512], *kid = NULL;
	if (act_as_owner() < 0)
		return EX_ERROR;
	if (stat(cfg.state_dir, &st) < 0) {
		fail("no state directory %s: run 'mcpauth init' first", cfg.state_dir);
		return EX_ERROR;
	}
	if (keys_in_store())
		return rotate_in_store(keep);
	if (issuer_rotate(cfg.state_dir, cfg.jwks_file, time(NULL), keep, &kid, err, sizeof err) < 0) {
		fail("%s", err);
		return EX_ERROR;
	}
	printf("%s\n", kid);
	if (keep == 0)
		fprintf(stderr, "%s: new signing key %s; the old one is dropped: its tokens are refused.\n",
			TOOL_NAME, kid);
	else
		fprintf(stderr, "%s: new signing key %s; the old one stays published for %ld s.\n", TOOL_NAME,
			kid, keep);
	fprintf(stderr, "Restart the programs now (apachectl graceful, systemctl reload lighttpd, or\n"
			"systemctl restart 'mcpauth@*.service'): running ones keep the keys they loaded.\n");
	free(kid);
	return EX_OK;
}

/* The database's keys: those that a rotation has not deleted and whose
 * retire time has not come. */
static int keys_list_store(void)
{
	struct db *db;
	struct keystore ks;
	if (open_db(&db, 0) < 0)
		return EX_ERROR;
	time_t now = time(NULL);
	enum keystore_status st = keystore_load(db, now, 0, &ks);
	if (st != KEYSTORE_OK)
		fail("cannot read the keys from the database: %s (%s)", keystore_strerror(st), db_errmsg(db));
	userdb_close(db);
	if (st != KEYSTORE_OK)
		return EX_ERROR;
	const struct keystore_key *signer = keystore_signer(&ks, now);
	for (size_t i = 0; i < ks.nkeys; i++) {
		const struct keystore_key *k = &ks.keys[i];
		if (k == signer)
			printf("%s\tsigning\n", k->kid);
		else if (k->sign_from > (long long)now)
			printf("%s\tpublished, signing from %lld\n", k->kid, k->sign_from);
		else if (k->retire_at)
			printf("%s\tretired, published until %lld\n", k->kid, k->retire_at);
		else
			printf("%s\tpublished\n", k->kid);
	}
	keystore_free(&ks);
	return EX_OK;
}

int cmd_keys(int argc, char **argv)
{
	if (parse_opts(argc, argv, NULL, 0) != 0) {
		fail("usage: mcpauth keys");
		return EX_USAGE;
	}
	if (act_as_owner() < 0)
		return EX_ERROR;
	if (keys_in_store())
		return keys_list_store();
	char err[512];
	struct jwks set;
	if (jwks_load_file(&set, cfg.jwks_file, err, sizeof err) < 0) {
		fail("%s", err);
		return EX_ERROR;
	}
	struct issuer is = {0};
	int signing = config_local_issuer(&cfg) && issuer_load(&is, cfg.state_dir, err, sizeof err) == 0;
	time_t now = time(NULL);
	for (size_t i = 0; i < set.nkeys; i++) {
		const struct jwks_key *k = &set.keys[i];
		if (signing && strcmp(k->kid, is.kid) == 0)
			printf("%s\tsigning\n", k->kid);
		else if (jwks_key_retired(k, now))
			printf("%s\tretired at %lld, neither trusted nor published\n", k->kid, k->retire_at);
		else if (k->retire_at)
			printf("%s\tretired, published until %lld\n", k->kid, k->retire_at);
		else
			printf("%s\tpublished\n", k->kid);
	}
	issuer_free(&is);
	jwks_free(&set);
	return EX_OK;
}
