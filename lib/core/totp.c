#include "totp.h"
#include "util.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <string.h>

uint64_t totp_step(time_t t)
{
	return t < 0 ? 0 : (uint64_t)t / TOTP_STEP;
}

uint32_t totp_hotp(const unsigned char *key, size_t len, uint64_t counter, int digits)
{
	unsigned char msg[8], mac[EVP_MAX_MD_SIZE];
	unsigned int maclen = 0;
	for (int i = 7; i >= 0; i--, counter >>= 8)
		msg[i] = (unsigned char)(counter & 0xff);
	if (!HMAC(EVP_sha1(), key, (int)len, msg, sizeof msg, mac, &maclen) || maclen < 20)
		return UINT32_MAX; /* never a code: it has more than 8 digits */
	unsigned off = mac[maclen - 1] & 0x0f;
	uint32_t bin = ((uint32_t)(mac[off] & 0x7f) << 24) | ((uint32_t)mac[off + 1] << 16) |
		       ((uint32_t)mac[off + 2] << 8) | mac[off + 3];
	uint32_t mod = 1;
	for (int i = 0; i < digits; i++)
		mod *= 10;
	OPENSSL_cleanse(mac, sizeof mac);
	return bin % mod;
}

void totp_code(const unsigned char *key, size_t len, uint64_t step, int digits, char *out)
{
	uint32_t v = totp_hotp(key, len, step, digits);
	for (int i = digits - 1; i >= 0; i--, v /= 10)
		out[i] = (char)('0' + v % 10);
	out[digits] = '\0';
}

int totp_match(const unsigned char *key, size_t len, time_t now, const char *code, uint64_t *matched)
{
	if (!code || strlen(code) != TOTP_DIGITS)
		return 0;
	uint64_t step = totp_step(now), found = 0;
	int hit = 0;
	for (int d = -TOTP_WINDOW; d <= TOTP_WINDOW; d++) {
		if (d < 0 && step < (uint64_t)-d)
			continue;
		char want[TOTP_DIGITS + 1];
		totp_code(key, len, step + (uint64_t)(int64_t)d, TOTP_DIGITS, want);
		/* No early exit: the same work whichever step matches. */
		int eq = CRYPTO_memcmp(want, code, TOTP_DIGITS) == 0;
		uint64_t mask = (uint64_t)0 - (uint64_t)(eq & !hit);
		found |= (step + (uint64_t)(int64_t)d) & mask;
		hit |= eq;
		OPENSSL_cleanse(want, sizeof want);
	}
	*matched = found;
	return hit;
}

char *totp_base32(const unsigned char *in, size_t len)
{
	static const char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
	char *out = ck_malloc(len * 8 / 5 + 2);
	size_t o = 0;
	unsigned buf = 0;
	int bits = 0;
	for (size_t i = 0; i < len; i++) {
		buf = (buf << 8) | in[i];
		bits += 8;
		while (bits >= 5) {
			out[o++] = alphabet[(buf >> (bits - 5)) & 31];
			bits -= 5;
		}
	}
	if (bits > 0)
		out[o++] = alphabet[(buf << (5 - bits)) & 31];
	out[o] = '\0';
	return out;
}

char *totp_uri(const char *issuer, const char *account, const unsigned char *key, size_t len)
{
	char *secret = totp_base32(key, len);
	char *iss = url_encode(issuer), *acct = url_encode(account);
	char *uri = ck_asprintf("otpauth://totp/%s:%s?secret=%s&issuer=%s&algorithm=SHA1&digits=%d&period=%d",
				iss, acct, secret, iss, TOTP_DIGITS, TOTP_STEP);
	secure_free(secret, strlen(secret));
	free(iss);
	free(acct);
	return uri;
}
