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
	token_principal(v, json_object_get(e->claims), e->exp, p);
	return 1;
}

void tokencache_put(const unsigned char hash[32], const struct principal *p)
{
	static const unsigned char zero[32];
	if (!nslots || !p->claims || memcmp(hash, zero, 32) == 0)
		return;
	struct entry *e = slot_for(hash);
	json_object_put(e->claims);
	memcpy(e->hash, hash, 32);
	e->claims = json_object_get(p->claims);
	e->exp = p->exp;
}
