#include "tokencache.h"
#include "http.h"
#include "util.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

struct entry {
	unsigned char hash[32];
	json_object *claims; /* NULL: empty slot */
	double exp;
	double retire_at; /* of the key that verified it; 0: none */
};

static struct entry *slots;
static size_t nslots; /* a power of two, or 0 */
static EVP_MD_CTX *md;
static EVP_MD *sha256; /* fetched once: an implicit fetch per digest costs more than the digest */

void tokencache_init(size_t n)
{
	tokencache_free();
	if (n == 0)
		return;
	nslots = 1;
	while (nslots < n)
		nslots <<= 1;
	slots = ck_calloc(nslots, sizeof *slots);
	md = EVP_MD_CTX_new();
	sha256 = EVP_MD_fetch(NULL, "SHA256", NULL);
}

void tokencache_clear(void)
{
	for (size_t i = 0; i < nslots; i++) {
		json_object_put(slots[i].claims);
		slots[i].claims = NULL;
	}
}

void tokencache_free(void)
{
	tokencache_clear();
	free(slots);
	slots = NULL;
	nslots = 0;
	EVP_MD_CTX_free(md);
	md = NULL;
	EVP_MD_free(sha256);
	sha256 = NULL;
}

static struct entry *slot_for(const unsigned char hash[32])
{
	uint64_t h;
	memcpy(&h, hash, sizeof h);
	return &slots[h & (nslots - 1)];
}

/* What a hit needs of the claims, and nothing else, in as few blocks as
 * json-c allows: [text, permissions]. text is one string holding a flags
 * byte, then sub, and email, name, scope and grant_id when the token had
 * them (email and name already taken from the namespaced claims when it
 * had them there), each ended by a NUL; permissions is an array sized to its
 * strings, which it shares with the verified claims, or null. The claims'
 * own permissions array reserves 32 slots, and five separate strings take
 * a block each, paid for every entry of every process (the figures:
 * bench/RESULTS.md, "Measurements behind design choices"). */
enum {
	T_EMAIL = 1,
	T_NAME = 2,
	T_SCOPE = 4,
	T_CLIENT = 8,
	T_RESOURCE = 16,
	T_GRANT = 32,
	T_SET = 0x40,
	T_OTP = 0x80, /* second_factor: the guard's ROUTE_SECOND_FACTOR rule needs it on a hit too */
};

static json_object *compact(const struct principal *p)
{
	struct sbuf t = {0};
	char flags =
	    (char)(T_SET | (p->email ? T_EMAIL : 0) | (p->name ? T_NAME : 0) | (p->scope ? T_SCOPE : 0) |
		   (p->client_id ? T_CLIENT : 0) | (p->resource ? T_RESOURCE : 0) |
		   (p->grant_id ? T_GRANT : 0) | (p->second_factor ? T_OTP : 0));
	sbuf_add(&t, &flags, 1);
	const char *parts[] = {p->sub, p->email, p->name, p->scope, p->client_id, p->resource, p->grant_id};
	for (size_t i = 0; i < sizeof parts / sizeof parts[0]; i++)
		if (parts[i])
			sbuf_add(&t, parts[i], strlen(parts[i]) + 1);
	json_object *c = json_object_new_array_ext(2);
	json_object_array_add(c, json_object_new_string_len(t.p, (int)t.len));
	sbuf_free(&t);
	json_object *perms = NULL;
	if (p->permissions && json_object_is_type(p->permissions, json_type_array)) {
		size_t n = json_object_array_length(p->permissions);
		perms = json_object_new_array_ext(n ? (int)n : 1);
		for (size_t i = 0; i < n; i++)
			json_object_array_add(perms,
					      json_object_get(json_object_array_get_idx(p->permissions, i)));
	} else if (p->permissions) {
		perms = json_object_get(p->permissions);
	}
	json_object_array_add(c, perms);
	return c;
}

/* The next string of an entry's text. */
static const char *next_part(const char **t)
{
	const char *s = *t;
	*t += strlen(s) + 1;
	return s;
}

/* The principal of a hit: what token_principal gave when it was verified. */
static void principal_from(json_object *c, double exp, struct principal *p)
{
	memset(p, 0, sizeof *p);
	p->claims = json_object_get(c);
	const char *t = json_object_get_string(json_object_array_get_idx(c, 0));
	int flags = (unsigned char)*t++;
	p->sub = next_part(&t);
	p->email = flags & T_EMAIL ? next_part(&t) : NULL;
	p->name = flags & T_NAME ? next_part(&t) : NULL;
	p->scope = flags & T_SCOPE ? next_part(&t) : NULL;
	p->client_id = flags & T_CLIENT ? next_part(&t) : NULL;
	p->resource = flags & T_RESOURCE ? next_part(&t) : NULL;
	p->grant_id = flags & T_GRANT ? next_part(&t) : NULL;
	p->second_factor = !!(flags & T_OTP);
	p->permissions = json_object_array_get_idx(c, 1);
	p->exp = exp;
}

int tokencache_get(const char *token, size_t len, time_t now, const struct token_verifier *v,
		   unsigned char hash[32], struct principal *p)
{
	if (!nslots)
		return 0;
	unsigned int hlen = 0;
	if (!sha256 || EVP_DigestInit_ex(md, sha256, NULL) != 1 || EVP_DigestUpdate(md, token, len) != 1 ||
	    EVP_DigestFinal_ex(md, hash, &hlen) != 1) {
		memset(hash, 0, 32);
		return 0;
	}
	struct entry *e = slot_for(hash);
	if (!e->claims || CRYPTO_memcmp(e->hash, hash, 32) != 0)
		return 0;
	/* The same rules as token_verify: past exp + leeway it is expired,
	 * and from its key's retire time on it is refused. */
	if ((double)now >= e->exp + (double)v->leeway || (e->retire_at > 0 && (double)now >= e->retire_at)) {
		json_object_put(e->claims);
		e->claims = NULL;
		return 0;
	}
	principal_from(e->claims, e->exp, p);
	/* Accepted for one of the suite's resource URLs, which depend on the
	 * request (its Host): it must be one for this request too, or the
	 * token is verified anew. */
	if (p->resource && (!v->resource_ok || !v->resource_ok(v->resource_arg, p->resource))) {
		principal_free(p);
		return 0;
	}
	p->retire_at = e->retire_at;
	return 1;
}

void tokencache_put(const unsigned char hash[32], const struct principal *p)
{
	static const unsigned char zero[32];
	if (!nslots || !p->claims || !p->sub || memcmp(hash, zero, 32) == 0)
		return;
	struct entry *e = slot_for(hash);
	json_object_put(e->claims);
	memcpy(e->hash, hash, 32);
	e->claims = compact(p);
	e->exp = p->exp;
	e->retire_at = p->retire_at;
}
