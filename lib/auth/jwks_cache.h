/* jwks_cache: the Auth0 tenant's keys, fetched over HTTPS and shared by
 * every process of every program through files in the state directory:
 *   <path>        the last good key set (normalized JWKS, replaced atomically)
 *   <path>.state  when keys were last fetched, tried, force-fetched, and a
 *                 failure last logged (epoch seconds)
 *   <path>.lock   flock held while one process decides and fetches
 * Each process keeps the parsed set in memory and re-reads the file only
 * when its identity (inode, size, mtime) changed. */
#ifndef MCPAUTH_JWKS_CACHE_H
#define MCPAUTH_JWKS_CACHE_H

#include <sys/types.h>
#include <time.h>

#include "fetch.h"
#include "jwks.h"

struct jwks_cache_stamps {
	long long success; /* last successful fetch */
	long long attempt; /* last fetch tried, for any reason */
	long long forced;  /* last fetch tried because of an unknown kid */
	long long logged;  /* last failure written to the log */
};

struct jwks_cache {
	const char *url;
	char *path, *state_path, *lock_path;
	long refresh;	   /* fetch when the keys are older than this */
	long min_interval; /* at most one unknown-kid fetch (and one retry) per this */
	const struct fetch_opts *fetch;
	struct jwks *keys;	     /* the set verification reads; replaced in place */
	struct jwks_cache_stamps st; /* as last read or written by this process */
	int have_file;
	dev_t dev;
	ino_t ino;
	off_t size;
	struct timespec mtime;
	time_t next_stat;
	int just_tried; /* a fetch was tried since the last tick */
};

void jwks_cache_init(struct jwks_cache *c, const char *url, const char *path, long refresh, long min_interval,
		     const struct fetch_opts *fetch, struct jwks *keys);
/* At start: loads the cached set and fetches when there is none or it is
 * stale. Never fails: with no keys, tokens get TOKEN_UNAVAILABLE. */
void jwks_cache_start(struct jwks_cache *c, time_t now);
/* Once per request that carries a token, before it is verified: at most
 * one stat a second, a reload when another process replaced the file, a
 * refresh when due. */
void jwks_cache_tick(struct jwks_cache *c, time_t now);
/* For a kid the set does not hold: fetches at once unless an unknown kid
 * was fetched for in the last min_interval (by any process), or this
 * request's tick just tried. Returns 1 when the set now holds kid. */
int jwks_cache_unknown_kid(struct jwks_cache *c, const char *kid, time_t now);
void jwks_cache_free(struct jwks_cache *c);

/* "<success> <attempt> <forced> <logged>\n"; 0, or -1 when malformed. */
int jwks_cache_stamps_parse(const char *text, struct jwks_cache_stamps *st);

#endif
