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
	json_object *claims;  /* NULL: empty slot */
	double exp;
};

static struct entry *slots;
static size_t nslots;     /* a power of two, or 0 */
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

/* What a hit needs of the claims, and nothing else: the principal's own
 * values (email and name already taken from the namespaced claims when the
 * token had them there) in a five-slot array, [sub, email, name,
 * permissions, scope], null where the token had none; the permissions
 * array is shared with the verified claims. A whole claims object (iss,
 * aud, iat, jti... in a 32-bucket table) costs four times as much, times
 * every entry of every process. */
enum { C_SUB, C_EMAIL, C_NAME, C_PERMISSIONS, C_SCOPE, C_COUNT };

static json_object *str_or_null(const char *s)
{
	return s ? json_object_new_string(s) : NULL;
}

static json_object *compact(const struct principal *p)
{
	json_object *c = json_object_new_array_ext(C_COUNT);
	json_object_array_add(c, json_object_new_string(p->sub));
	json_object_array_add(c, str_or_null(p->email));
	json_object_array_add(c, str_or_null(p->name));
	json_object_array_add(c, p->permissions ? json_object_get(p->permissions) : NULL);
	json_object_array_add(c, str_or_null(p->scope));
	return c;
}

static const char *slot_string(json_object *c, int i)
{
	json_object *v = json_object_array_get_idx(c, (size_t)i);
	return v ? json_object_get_string(v) : NULL;
}

/* The principal of a hit: what token_principal gave when it was verified. */
static void principal_from(json_object *c, double exp, struct principal *p)
{
	memset(p, 0, sizeof *p);
	p->claims = json_object_get(c);
	p->sub = slot_string(c, C_SUB);
	p->email = slot_string(c, C_EMAIL);
	p->name = slot_string(c, C_NAME);
	p->permissions = json_object_array_get_idx(c, C_PERMISSIONS);
	p->scope = slot_string(c, C_SCOPE);
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
	/* The same rule as token_verify: past exp + leeway it is expired. */
	if ((double)now >= e->exp + (double)v->leeway) {
		json_object_put(e->claims);
		e->claims = NULL;
		return 0;
	}
	principal_from(e->claims, e->exp, p);
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
}
