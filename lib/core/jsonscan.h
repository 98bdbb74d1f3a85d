/* jsonscan: a strict second look at a JSON text that json-c has accepted.
 * json-c keeps the last of two members with the same name, truncates names
 * and values at an escaped U+0000 when they are read as C strings, and its
 * UTF-8 check lets overlong forms ("\xC0\xAF" for '/') and surrogates
 * through; another parser may keep the first member, the whole string, or
 * refuse the bytes. A token or a request that two parsers read differently
 * is refused instead. */
#ifndef MCPAUTH_JSONSCAN_H
#define MCPAUTH_JSONSCAN_H

#include <json-c/json.h>
#include <stddef.h>

enum jsonscan_result {
	JSONSCAN_OK = 0,
	JSONSCAN_INVALID = -1,	 /* not one RFC 8259 JSON text */
	JSONSCAN_TOO_DEEP = -2,	 /* arrays and objects nested deeper than max_depth */
	JSONSCAN_DUPLICATE = -3, /* an object with two members of the same name */
	JSONSCAN_NUL = -4,	 /* a string or a name holding \u0000 */
	JSONSCAN_BAD_UTF8 = -5,	 /* ill-formed UTF-8: overlong, a surrogate, over U+10FFFF,
				    a stray or missing continuation byte */
};

/* Scans one JSON value with optional whitespace around it. Member names
 * are compared after unescaping, as json-c stores them ("\u0061" is "a";
 * a lone surrogate is U+FFFD). Nothing is built; memory is bounded by the
 * names of the open objects. */
enum jsonscan_result jsonscan_check(const char *text, size_t len, int max_depth);

/* The one strict JSON parser: json-c (strict mode, UTF-8 checked) and
 * jsonscan_check on the same text, which must be one value with nothing but
 * whitespace after it. Returns the value (caller puts it), or NULL with the
 * reason in *why when why is given. max_depth is at most 64. */
json_object *jsonscan_parse(const char *text, size_t len, int max_depth, enum jsonscan_result *why);

/* Frees the parsers jsonscan_parse keeps between calls (at exit, for leak
 * checkers). */
void jsonscan_release(void);

/* A short English reason for a result, for logs. */
const char *jsonscan_strerror(enum jsonscan_result r);

#endif
