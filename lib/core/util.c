#include "util.h"

#include <openssl/crypto.h>
#include <ctype.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/time.h>
#include <time.h>

static void oom(void)
{
	fputs("mcpauth: out of memory\n", stderr);
	abort();
}

void *ck_malloc(size_t n)
{
	void *p = malloc(n ? n : 1);
	if (!p)
		oom();
	return p;
}

void *ck_calloc(size_t n, size_t size)
{
	void *p = calloc(n ? n : 1, size ? size : 1);
	if (!p)
		oom();
	return p;
}

void *ck_realloc(void *p, size_t n)
{
	void *q = realloc(p, n ? n : 1);
	if (!q)
		oom();
	return q;
}

char *ck_strdup(const char *s)
{
	return ck_strndup(s, strlen(s));
}

char *ck_strndup(const char *s, size_t n)
{
	char *p = ck_malloc(n + 1);
	memcpy(p, s, n);
	p[n] = '\0';
	return p;
}

char *ck_asprintf(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0)
		oom();
	char *p = ck_malloc((size_t)n + 1);
	va_start(ap, fmt);
	vsnprintf(p, (size_t)n + 1, fmt, ap);
	va_end(ap);
	return p;
}

void sbuf_add(struct sbuf *b, const char *s, size_t n)
{
	if (b->len + n + 1 > b->cap) {
		size_t cap = b->cap ? b->cap : 64;
		while (cap < b->len + n + 1)
			cap *= 2;
		b->p = ck_realloc(b->p, cap);
		b->cap = cap;
	}
	memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = '\0';
}

void sbuf_adds(struct sbuf *b, const char *s)
{
	sbuf_add(b, s, strlen(s));
}

void sbuf_addu(struct sbuf *b, unsigned long n)
{
	char digits[24];
	size_t i = sizeof digits;
	do {
		digits[--i] = (char)('0' + n % 10);
		n /= 10;
	} while (n);
	sbuf_add(b, digits + i, sizeof digits - i);
}

/* The buffer's text, handed over (never NULL); b is left empty. */
char *sbuf_take(struct sbuf *b)
{
	char *p = b->p ? b->p : ck_strdup("");
	b->p = NULL;
	b->len = b->cap = 0;
	return p;
}

void sbuf_free(struct sbuf *b)
{
	free(b->p);
	b->p = NULL;
	b->len = b->cap = 0;
}

/* base64url alphabet value of each byte, -1 for any other. */
static const signed char b64url_table[256] = {
#define X16 -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1
    X16, X16, -1,  -1,	-1,  -1,  -1,  -1,  -1, -1, -1, -1, -1, -1, -1, 62, -1, -1, /* '-' */
    52,	 53,  54,  55,	56,  57,  58,  59,  60, 61, -1, -1, -1, -1, -1, -1,	    /* 0-9 */
    -1,	 0,   1,   2,	3,   4,	  5,   6,   7,	8,  9,	10, 11, 12, 13, 14,	    /* A-O */
    15,	 16,  17,  18,	19,  20,  21,  22,  23, 24, 25, -1, -1, -1, -1, 63,	    /* P-Z, '_' */
    -1,	 26,  27,  28,	29,  30,  31,  32,  33, 34, 35, 36, 37, 38, 39, 40,	    /* a-o */
    41,	 42,  43,  44,	45,  46,  47,  48,  49, 50, 51, -1, -1, -1, -1, -1,	    /* p-z */
    X16, X16, X16, X16, X16, X16, X16, X16,
#undef X16
};

static int b64url_value(unsigned char c)
{
	return b64url_table[c];
}

int b64url_decode_into(const char *in, size_t len, unsigned char *out, size_t cap, size_t *outlen)
{
	if (len % 4 == 1 || cap < b64url_decoded_max(len))
		return -1;
	size_t o = 0;
	uint32_t acc = 0;
	int bits = 0;
	for (size_t i = 0; i < len; i++) {
		int v = b64url_value((unsigned char)in[i]);
		if (v < 0)
			return -1;
		acc = (acc << 6) | (uint32_t)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			out[o++] = (unsigned char)(acc >> bits);
		}
	}
	/* Leftover bits must be zero, so that one text has one meaning. */
	if (bits > 0 && (acc & ((1u << bits) - 1)) != 0)
		return -1;
	out[o] = '\0';
	*outlen = o;
	return 0;
}

int b64url_decode(const char *in, size_t len, unsigned char **out, size_t *outlen)
{
	size_t cap = b64url_decoded_max(len);
	unsigned char *buf = ck_malloc(cap);
	if (b64url_decode_into(in, len, buf, cap, outlen) < 0) {
		free(buf);
		return -1;
	}
	*out = buf;
	return 0;
}

char *b64url_encode(const unsigned char *in, size_t len)
{
	static const char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
	char *out = ck_malloc((len + 2) / 3 * 4 + 1);
	size_t o = 0, i = 0;
	for (; i + 2 < len; i += 3) {
		uint32_t v = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8 | in[i + 2];
		out[o++] = alphabet[v >> 18];
		out[o++] = alphabet[(v >> 12) & 63];
		out[o++] = alphabet[(v >> 6) & 63];
		out[o++] = alphabet[v & 63];
	}
	if (len - i == 1) {
		uint32_t v = (uint32_t)in[i] << 16;
		out[o++] = alphabet[v >> 18];
		out[o++] = alphabet[(v >> 12) & 63];
	} else if (len - i == 2) {
		uint32_t v = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8;
		out[o++] = alphabet[v >> 18];
		out[o++] = alphabet[(v >> 12) & 63];
		out[o++] = alphabet[(v >> 6) & 63];
	}
	out[o] = '\0';
	return out;
}

static int hexval(unsigned char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = (unsigned char)tolower(c);
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

char *url_decode(const char *in, size_t len)
{
	char *out = ck_malloc(len + 1);
	size_t o = 0;
	for (size_t i = 0; i < len; i++) {
		if (in[i] == '%') {
			if (i + 2 >= len) {
				free(out);
				return NULL;
			}
			int hi = hexval((unsigned char)in[i + 1]);
			int lo = hi < 0 ? -1 : hexval((unsigned char)in[i + 2]);
			if (hi < 0 || lo < 0 || (hi == 0 && lo == 0)) {
				free(out);
				return NULL;
			}
			out[o++] = (char)(hi << 4 | lo);
			i += 2;
		} else if (in[i] == '\0') {
			free(out);
			return NULL;
		} else {
			out[o++] = in[i];
		}
	}
	out[o] = '\0';
	return out;
}

char *url_encode(const char *in)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t n = strlen(in);
	char *out = ck_malloc(n * 3 + 1);
	size_t o = 0;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)in[i];
		if (isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~') {
			out[o++] = (char)c;
		} else {
			out[o++] = '%';
			out[o++] = hex[c >> 4];
			out[o++] = hex[c & 15];
		}
	}
	out[o] = '\0';
	return out;
}

size_t utf8_seq_len(const void *p, size_t n)
{
	const unsigned char *s = p;
	unsigned char c = s[0], lo = 0x80, hi = 0xBF;
	size_t len;
	if (c < 0x80)
		return 1;
	if (c >= 0xC2 && c <= 0xDF)
		len = 2;
	else if (c >= 0xE0 && c <= 0xEF)
		len = 3;
	else if (c >= 0xF0 && c <= 0xF4)
		len = 4;
	else
		return 0;
	/* RFC 3629 table 3-7: the second byte's range rules out overlong
	 * forms, surrogates and code points above U+10FFFF. */
	if (c == 0xE0)
		lo = 0xA0;
	else if (c == 0xED)
		hi = 0x9F;
	else if (c == 0xF0)
		lo = 0x90;
	else if (c == 0xF4)
		hi = 0x8F;
	if (n < len || s[1] < lo || s[1] > hi)
		return 0;
	for (size_t k = 2; k < len; k++)
		if (s[k] < 0x80 || s[k] > 0xBF)
			return 0;
	return len;
}

void utf8_trim(char *s)
{
	size_t n = strlen(s), i = n, back = 0;
	/* Walk back over at most 3 continuation bytes to the last lead byte. */
	while (i > 0 && back < 4 && ((unsigned char)s[i - 1] & 0xC0) == 0x80) {
		i--;
		back++;
	}
	if (i == 0 || back == 4)
		return;
	unsigned char lead = (unsigned char)s[i - 1];
	size_t need = lead >= 0xF0 ? 4 : lead >= 0xE0 ? 3 : lead >= 0xC0 ? 2 : 1;
	if (lead >= 0xC0 && back + 1 < need)
		s[i - 1] = '\0';
}

int str_casecmp_prefix(const char *s, const char *prefix)
{
	return strncasecmp(s, prefix, strlen(prefix));
}

static const char *log_program = "mcpauth";

void log_set_program(const char *name)
{
	log_program = name;
}

void log_msg(const char *fmt, ...)
{
	char line[1024];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(line, sizeof line, fmt, ap);
	va_end(ap);
	/* One write per line keeps lines whole when many processes share the log. */
	fprintf(stderr, "mcpauth-%s: %s\n", log_program, line);
	fflush(stderr);
}

void secure_free(void *p, size_t n)
{
	if (!p)
		return;
	OPENSSL_cleanse(p, n);
	free(p);
}

void now_iso8601(char buf[32])
{
	struct timeval tv;
	struct tm tm;
	gettimeofday(&tv, NULL);
	gmtime_r(&tv.tv_sec, &tm);
	size_t n = strftime(buf, 32, "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(buf + n, 32 - n, ".%03ldZ", (long)(tv.tv_usec / 1000));
}

/* word (n bytes) is one of the space-separated words of list. */
int words_has(const char *list, const char *word, size_t n)
{
	return list_has(list, " ", word, n);
}

int media_type_is(const char *s, size_t len, const char *want)
{
	while (len && (*s == ' ' || *s == '\t'))
		s++, len--;
	size_t n = 0;
	while (n < len && s[n] != ';')
		n++;
	while (n && (s[n - 1] == ' ' || s[n - 1] == '\t'))
		n--;
	return n == strlen(want) && strncasecmp(s, want, n) == 0;
}

int list_has(const char *list, const char *sep, const char *item, size_t n)
{
	const char *w;
	size_t len;
	for (const char *c = list; list_next(&c, sep, &w, &len);)
		if (len == n && memcmp(w, item, n) == 0)
			return 1;
	return 0;
}

void words_add(struct sbuf *b, const char *word, size_t n)
{
	if (b->p && words_has(b->p, word, n))
		return;
	if (b->len)
		sbuf_adds(b, " ");
	sbuf_add(b, word, n);
}

int list_next(const char **cursor, const char *sep, const char **item, size_t *len)
{
	const char *s = *cursor ? *cursor : "";
	while (*s == ' ' || (*s && strchr(sep, *s)))
		s++;
	*cursor = s;
	if (!*s)
		return 0;
	const char *e = s + strcspn(s, sep);
	*cursor = e;
	while (e > s && e[-1] == ' ')
		e--;
	*item = s;
	*len = (size_t)(e - s);
	return 1;
}
