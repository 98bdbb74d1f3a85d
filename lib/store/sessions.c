#include "sessions.h"
#include "flowstore.h"
#include "refresh.h"
#include "db.h"
#include "userdb.h"
#include "util.h"

#include <openssl/evp.h>
#include <stdlib.h>
#include <string.h>

#define FAMILY_PREFIX "rt_"
#define GRANT_PREFIX "gr_"
#define PREFIX_LEN 3

/* A grant's id: its client_id hashed, so that any client_id (an https
 * URL, for a client metadata document) gives a path segment. */
static void grant_id(const char *client_id, char out[SESSION_ID_LEN + 1])
{
	unsigned char md[32];
	unsigned int n = 0;
	EVP_Digest(client_id, strlen(client_id), md, &n, EVP_sha256(), NULL);
	char *b = b64url_encode(md, sizeof md);
	memcpy(out, GRANT_PREFIX, PREFIX_LEN);
	memcpy(out + PREFIX_LEN, b, SESSION_ID_LEN - PREFIX_LEN);
	out[SESSION_ID_LEN] = '\0';
	free(b);
}

static const char *text(struct db_rows *q, int i)
{
	return db_column_text(q, i);
}

static int each_family(struct db *db, const char *sub, time_t now,
		       void (*fn)(const struct account_session *s, void *arg), void *arg)
{
	/* The first and the newest token of a family: by time, and within one
	 * second the rotated (used) one first. */
	struct db_rows *q;
	int rc = db_exec(
	    db, &q,
	    "SELECT family, max(client_id), max(scope), min(created_at), max(created_at), max(expires_at),"
	    " (SELECT addr FROM refresh_tokens f WHERE f.family = t.family ORDER BY created_at, used DESC "
	    "LIMIT 1),"
	    " (SELECT addr FROM refresh_tokens l WHERE l.family = t.family"
	    "  ORDER BY created_at DESC, used LIMIT 1)"
	    " FROM refresh_tokens t WHERE sub = ?1 GROUP BY family"
	    " HAVING max(revoked) = 0 AND max(expires_at) > ?2 ORDER BY max(created_at) DESC, family",
	    DB_TEXT, sub, DB_INT, (long long)now, DB_END);
	for (; rc == DB_ROW; rc = db_rows_next(q)) {
		const char *family = text(q, 0);
		if (!family || strlen(family) != REFRESH_FAMILY_LEN)
			continue;
		struct account_session s = {.kind = SESSION_REFRESH,
					    .client_id = text(q, 1),
					    .scope = text(q, 2),
					    .created_at = db_column_int(q, 3),
					    .last_used_at = db_column_int(q, 4),
					    .expires_at = db_column_int(q, 5),
					    .created_addr = text(q, 6),
					    .last_addr = text(q, 7)};
		memcpy(s.id, FAMILY_PREFIX, PREFIX_LEN);
		memcpy(s.id + PREFIX_LEN, family, REFRESH_FAMILY_LEN + 1);
		fn(&s, arg);
	}
	db_rows_free(q);
	return rc == DB_DONE ? SESSIONS_OK : SESSIONS_ERROR;
}

/* A grant was last used when it was last widened or its client's newest
 * refresh token was issued, from that token's address. */
static int each_grant(struct db *db, const char *sub, void (*fn)(const struct account_session *s, void *arg),
		      void *arg)
{
	struct db_rows *q;
	int rc =
	    db_exec(db, &q,
		    "SELECT client_id, scope, created_at,"
		    " CASE WHEN updated_at > newest THEN updated_at ELSE newest END,"
		    " (SELECT addr FROM refresh_tokens t WHERE t.sub = g.sub AND t.client_id = g.client_id"
		    "  ORDER BY created_at, used DESC LIMIT 1),"
		    " (SELECT addr FROM refresh_tokens t WHERE t.sub = g.sub AND t.client_id = g.client_id"
		    "  ORDER BY created_at DESC, used LIMIT 1)"
		    " FROM (SELECT client_id, scope, created_at, updated_at, sub,"
		    "  coalesce((SELECT max(created_at) FROM refresh_tokens t"
		    "   WHERE t.sub = o.sub AND t.client_id = o.client_id), 0) AS newest"
		    "  FROM oauth_grants o WHERE sub = ?1) g ORDER BY 4 DESC, client_id",
		    DB_TEXT, sub, DB_END);
	for (; rc == DB_ROW; rc = db_rows_next(q)) {
		struct account_session s = {.kind = SESSION_GRANT,
					    .client_id = text(q, 0),
					    .scope = text(q, 1),
					    .created_at = db_column_int(q, 2),
					    .last_used_at = db_column_int(q, 3),
					    .created_addr = text(q, 4),
					    .last_addr = text(q, 5)};
		if (!s.client_id)
			continue;
		grant_id(s.client_id, s.id);
		fn(&s, arg);
	}
	db_rows_free(q);
	return rc == DB_DONE ? SESSIONS_OK : SESSIONS_ERROR;
}

enum sessions_status sessions_each(struct db *db, const char *sub, time_t now,
				   void (*fn)(const struct account_session *s, void *arg), void *arg)
{
	int st = each_family(db, sub, now, fn, arg);
	return st == SESSIONS_OK ? each_grant(db, sub, fn, arg) : st;
}

struct end_op {
	const char *sub, *family;
	char *client_id;
	int changed;
};

static enum db_err end_family_fn(struct db *db, void *arg)
{
	struct end_op *o = arg;
	free(o->client_id);
	o->client_id = NULL;
	struct db_rows *q;
	int rc = db_exec(db, &q,
			 "SELECT client_id FROM refresh_tokens WHERE family = ? AND sub = ? AND revoked = 0",
			 DB_TEXT, o->family, DB_TEXT, o->sub, DB_END);
	o->changed = rc == DB_ROW;
	if (rc != DB_ROW)
		return rc;
	o->client_id = db_column_text_dup(q, 0);
	db_rows_free(q);
	return db_exec(db, NULL, "UPDATE refresh_tokens SET revoked = 1 WHERE family = ?", DB_TEXT, o->family,
		       DB_END);
}

/* The client of sub's grant whose id is id, or NULL. */
struct grant_find {
	const char *id;
	char *client_id;
};

static void grant_match(const struct flow_grant *g, void *arg)
{
	struct grant_find *f = arg;
	char id[SESSION_ID_LEN + 1];
	grant_id(g->client_id, id);
	if (!f->client_id && strcmp(id, f->id) == 0)
		f->client_id = ck_strdup(g->client_id);
}

enum sessions_status sessions_end(struct db *db, const char *sub, const char *id, enum session_kind *kind,
				  char **client_id)
{
	if (client_id)
		*client_id = NULL;
	if (!id || strlen(id) != SESSION_ID_LEN)
		return SESSIONS_NOT_FOUND;
	char *client = NULL;
	int st;
	if (strncmp(id, FAMILY_PREFIX, PREFIX_LEN) == 0) {
		struct end_op o = {.sub = sub, .family = id + PREFIX_LEN};
		int rc = db_txn_run(db, end_family_fn, &o);
		st = rc != DB_OK ? SESSIONS_ERROR : o.changed ? SESSIONS_OK : SESSIONS_NOT_FOUND;
		client = o.client_id;
		if (kind)
			*kind = SESSION_REFRESH;
		if (st == SESSIONS_OK)
			userdb_touch(db);
	} else if (strncmp(id, GRANT_PREFIX, PREFIX_LEN) == 0) {
		struct grant_find f = {id, NULL};
		if (flowstore_grant_each(db, sub, grant_match, &f) != FLOW_OK)
			return SESSIONS_ERROR;
		if (kind)
			*kind = SESSION_GRANT;
		client = f.client_id;
		st = !client						     ? SESSIONS_NOT_FOUND
		     : flowstore_grant_revoke(db, sub, client) == FLOW_ERROR ? SESSIONS_ERROR
									     : SESSIONS_OK;
	} else {
		return SESSIONS_NOT_FOUND;
	}
	if (st == SESSIONS_OK && client_id)
		*client_id = client;
	else
		free(client);
	return st;
}

const char *sessions_strerror(enum sessions_status st)
{
	switch (st) {
	case SESSIONS_OK:
		return "ok";
	case SESSIONS_NOT_FOUND:
		return "no such session";
	case SESSIONS_ERROR:
		break;
	}
	return "the session store failed";
}
