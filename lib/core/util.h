/* util: allocation that aborts on out-of-memory, strings, base64url, logging. */
#ifndef MCPAUTH_UTIL_H
#define MCPAUTH_UTIL_H

#include <stddef.h>
#include <stdarg.h>

void *ck_malloc(size_t n);
void *ck_calloc(size_t n, size_t size);
void *ck_realloc(void *p, size_t n);
char *ck_strdup(const char *s);
char *ck_strndup(const char *s, size_t n);
char *ck_asprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Growable string buffer. */
struct sbuf {
	char *p;
	size_t len, cap;
};
void sbuf_add(struct sbuf *b, const char *s, size_t n);
void sbuf_adds(struct sbuf *b, const char *s);
/* A decimal number: what snprintf("%lu") gives, at a fraction of its cost. */
void sbuf_addu(struct sbuf *b, unsigned long n);
char *sbuf_take(struct sbuf *b);
void sbuf_free(struct sbuf *b);

/* Strict RFC 4648 section 5 without padding: returns 0, or -1 on any
 * character outside the alphabet (padding, '+', '/', whitespace) or an
 * impossible length. *out is NUL-terminated for convenience. */
int b64url_decode(const char *in, size_t len, unsigned char **out, size_t *outlen);
/* The same into out (cap bytes, at least b64url_decoded_max(len)), with no
 * allocation. */
#define b64url_decoded_max(len) ((len) / 4 * 3 + 3)
int b64url_decode_into(const char *in, size_t len, unsigned char *out, size_t cap, size_t *outlen);
char *b64url_encode(const unsigned char *in, size_t len);

/* Percent-decoding of one path segment or query value; refuses bad
 * escapes and %00. Returns a new string or NULL. */
char *url_decode(const char *in, size_t len);
/* Percent-encoding of everything but RFC 3986 unreserved characters. */
char *url_encode(const char *in);

/* Cuts s before a UTF-8 sequence that a truncating snprintf left
 * incomplete at its end, so the text stays valid UTF-8. */
void utf8_trim(char *s);
/* The length of the well-formed UTF-8 sequence at p (n > 0 bytes there):
 * 1 for ASCII, 0 for an overlong form, a surrogate, a code point above
 * U+10FFFF, or a stray or missing continuation byte. */
size_t utf8_seq_len(const void *p, size_t n);

int str_casecmp_prefix(const char *s, const char *prefix);

/* Log one line to stderr (the web server's error log), prefixed with the
 * program name. Never pass a token, password or key. */
void log_set_program(const char *name);
void log_msg(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Wipe and free. */
void secure_free(void *p, size_t n);

/* Now in ISO 8601 UTC with milliseconds, e.g. 2026-11-26T05:00:00.000Z. */
void now_iso8601(char buf[32]);

/* 1 if word (n bytes) is one of the space-separated words of list (NULL:
 * none). */
int words_has(const char *list, const char *word, size_t n);
/* Appends word (n bytes) to b's space-separated words unless b holds it. */
void words_add(struct sbuf *b, const char *word, size_t n);
/* The next item of a list (list may be NULL): items are separated by any
 * byte of sep (" " for scopes, "," for settings and headers, ";" for
 * cookies); separators and spaces before an item and spaces after it are
 * skipped, so empty items never come out. 1 with *item and *len set and
 * *cursor past it, 0 at the end:
 *   for (const char *c = list, *w; list_next(&c, " ", &w, &n);) ... */
int list_next(const char **cursor, const char *sep, const char **item, size_t *len);
/* The media type of a Content-Type or of one Accept item (len bytes), its
 * parameters and blanks around it left out, is want (case-insensitive). */
int media_type_is(const char *s, size_t len, const char *want);
/* item (n bytes) is one of the items of list, as list_next walks it. */
int list_has(const char *list, const char *sep, const char *item, size_t n);

#endif
