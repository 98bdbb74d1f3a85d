#include "jwks_cache.h"
#include "tokencache.h"
#include "file.h"
#include "util.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define STAMPS_MAX 256

void jwks_cache_init(struct jwks_cache *c, const char *url, const char *path, long refresh, long min_interval,
		     const struct fetch_opts *fetch, struct jwks *keys)
{
	memset(c, 0, sizeof *c);
	c->url = url;
	c->path = ck_strdup(path);
	c->state_path = ck_asprintf("%s.state", path);
	c->lock_path = ck_asprintf("%s.lock", path);
	c->refresh = refresh;
	c->min_interval = min_interval;
	c->fetch = fetch;
	c->keys = keys;
}

void jwks_cache_free(struct jwks_cache *c)
{
	free(c->path);
	free(c->state_path);
	free(c->lock_path);
	memset(c, 0, sizeof *c);
}

int jwks_cache_stamps_parse(const char *text, struct jwks_cache_stamps *st)
{
	long long v[4];
	const char *p = text;
	for (int i = 0; i < 4; i++) {
		char *end;
		if (*p < '0' || *p > '9')
			return -1;
		errno = 0;
		v[i] = strtoll(p, &end, 10);
		if (errno || v[i] < 0)
			return -1;
		p = end;
		if (*p != (i < 3 ? ' ' : '\n'))
			return -1;
		p++;
	}
	if (*p)
		return -1;
	st->success = v[0];
	st->attempt = v[1];
	st->forced = v[2];
	st->logged = v[3];
	return 0;
}

static void read_stamps(struct jwks_cache *c)
{
	size_t len;
	char *text = file_read(c->state_path, STAMPS_MAX, &len);
	struct jwks_cache_stamps st = {0};
	/* Missing or damaged: as if never fetched, which only makes a fetch due. */
	if (text && jwks_cache_stamps_parse(text, &st) < 0)
		memset(&st, 0, sizeof st);
	free(text);
	c->st = st;
}

static void write_stamps(struct jwks_cache *c)
{
	char buf[STAMPS_MAX];
	int n = snprintf(buf, sizeof buf, "%lld %lld %lld %lld\n", c->st.success, c->st.attempt, c->st.forced,
			 c->st.logged);
	if (file_write_atomic(c->state_path, buf, (size_t)n, 0600) < 0)
		log_msg("jwks: cannot write %s: %s", c->state_path, strerror(errno));
}

/* Reloads the set when the file is not the one it was read from. */
static void load_file(struct jwks_cache *c, time_t now)
{
	struct stat sb;
	if (stat(c->path, &sb) < 0)
		return;
	if (c->have_file && sb.st_dev == c->dev && sb.st_ino == c->ino && sb.st_size == c->size &&
	    sb.st_mtim.tv_sec == c->mtime.tv_sec && sb.st_mtim.tv_nsec == c->mtime.tv_nsec)
		return;
	c->have_file = 1;
	c->dev = sb.st_dev;
	c->ino = sb.st_ino;
	c->size = sb.st_size;
	c->mtime = sb.st_mtim;
	struct jwks set;
	char err[256];
	if (jwks_load_file(&set, c->path, err, sizeof err) < 0) {
		log_msg("jwks: %s: %s; keeping the %zu keys in memory", c->path, err, c->keys->nkeys);
		return;
	}
	jwks_drop_retired(&set, now);
	jwks_free(c->keys);
	*c->keys = set;
	/* A token verified with a key that is gone must not stay good. */
	tokencache_clear();
}

/* At most one line per min_interval across all processes, however many
 * requests find the tenant down. */
static void log_failure(struct jwks_cache *c, time_t now, const char *why)
{
	if (now - c->st.logged < c->min_interval)
		return;
	c->st.logged = now;
	log_msg("jwks: fetching %s failed: %s; keeping the %zu keys we have (next try in %ld s or later)",
		c->url, why, c->keys->nkeys, c->min_interval);
}

/* One fetch; on success the file holds the new set. */
static int fetch_once(struct jwks_cache *c, time_t now)
{
	struct fetch_result r;
	struct jwks set = {0};
	char err[256];
	int rc = -1;
	if (fetch_get(c->fetch, c->url, NULL, JWKS_MAX_BYTES, &r) < 0) {
		log_failure(c, now, r.error);
		goto done;
	}
	if (r.status != 200) {
		snprintf(err, sizeof err, "HTTP status %ld", r.status);
		log_failure(c, now, err);
		goto done;
	}
	if (jwks_parse(&set, r.body, r.len, err, sizeof err) < 0) {
		log_failure(c, now, err);
		goto done;
	}
	if (set.nkeys == 0) {
		log_failure(c, now, "the JWKS holds no usable RS256 key");
		goto done;
	}
	char *doc = jwks_to_json(&set);
	size_t oldlen;
	char *old = file_read(c->path, JWKS_MAX_BYTES, &oldlen);
	/* Same keys: leave the file alone, so no process re-reads it. */
	if (old && oldlen == strlen(doc) && memcmp(old, doc, oldlen) == 0) {
		rc = 0;
	} else if (file_write_atomic(c->path, doc, strlen(doc), 0600) < 0) {
		log_msg("jwks: cannot write %s: %s", c->path, strerror(errno));
	} else {
		log_msg("jwks: %zu keys from %s (had %zu)", set.nkeys, c->url, c->keys->nkeys);
		rc = 0;
	}
	free(old);
	free(doc);
done:
	jwks_free(&set);
	fetch_result_free(&r);
	return rc;
}

/* Under the lock: decide from the shared stamps, maybe fetch. kid set
 * means an unknown kid forces it. wait: block for the lock (bounded by the
 * holder's fetch timeout) rather than give up. The stamps are read only
 * here: outside the lock they may announce a fetch that has not finished. */
static void refresh(struct jwks_cache *c, time_t now, int wait, const char *kid)
{
	int fd = file_lock(c->lock_path, wait);
	if (fd < 0)
		return;
	load_file(c, now);
	read_stamps(c);
	int go;
	if (kid)
		go = !jwks_find(c->keys, kid) && now - c->st.forced >= c->min_interval;
	else
		go = now - c->st.success >= c->refresh && now - c->st.attempt >= c->min_interval;
	if (go) {
		c->just_tried = 1;
		c->st.attempt = now;
		if (kid)
			c->st.forced = now;
		/* Recorded before the fetch: a slow or failing tenant is not retried by the next process. */
		write_stamps(c);
		if (fetch_once(c, now) == 0)
			c->st.success = now;
		write_stamps(c);
		load_file(c, now);
	}
	file_unlock(fd);
}

static int due(const struct jwks_cache *c, time_t now)
{
	return now - c->st.success >= c->refresh && now - c->st.attempt >= c->min_interval;
}

void jwks_cache_start(struct jwks_cache *c, time_t now)
{
	/* Fetches when due; otherwise just reads the file and the stamps, under the lock. */
	refresh(c, now, 1, NULL);
	c->next_stat = now + 1;
}

void jwks_cache_tick(struct jwks_cache *c, time_t now)
{
	c->just_tried = 0;
	if (now < c->next_stat)
		return;
	c->next_stat = now + 1;
	load_file(c, now);
	if (due(c, now))
		refresh(c, now, 0, NULL);
}

int jwks_cache_unknown_kid(struct jwks_cache *c, const char *kid, time_t now)
{
	/* Cheap first: another process may have fetched it already. */
	c->next_stat = now + 1;
	load_file(c, now);
	if (jwks_find(c->keys, kid))
		return 1;
	/* This request's refresh just asked the tenant: asking again cannot help. */
	if (c->just_tried || now - c->st.forced < c->min_interval)
		return 0;
	refresh(c, now, 1, kid);
	return jwks_find(c->keys, kid) != NULL;
}
