#include "jsonscan.h"
#include "util.h"

#include <stdlib.h>
#include <string.h>

/* Recursion is bounded by max_depth, and this is the most any caller gets. */
#define JSONSCAN_DEPTH_CAP 64

struct name {
	size_t off, len; /* in the arena, while the object is open */
	const char *p;	 /* set when the object closes, for sorting */
};

struct scan {
	const unsigned char *s;
	size_t n, i;
	int depth, max_depth;
	struct sbuf arena; /* decoded names of the open objects */
	struct name *names;
	size_t nnames, cap;
};

static void skip_ws(struct scan *sc)
{
	while (sc->i < sc->n &&
	       (sc->s[sc->i] == ' ' || sc->s[sc->i] == '\t' || sc->s[sc->i] == '\n' || sc->s[sc->i] == '\r'))
		sc->i++;
}

static int hex4(struct scan *sc, unsigned *out)
{
	if (sc->n - sc->i < 4)
		return 0;
	unsigned v = 0;
	for (int k = 0; k < 4; k++) {
		unsigned char c = sc->s[sc->i + (size_t)k];
		v <<= 4;
		if (c >= '0' && c <= '9')
			v |= (unsigned)(c - '0');
		else if (c >= 'a' && c <= 'f')
			v |= (unsigned)(c - 'a' + 10);
		else if (c >= 'A' && c <= 'F')
			v |= (unsigned)(c - 'A' + 10);
		else
			return 0;
	}
	sc->i += 4;
	*out = v;
	return 1;
}

static void add_utf8(struct sbuf *b, unsigned cp)
{
	char u[4];
	size_t n;
	if (cp < 0x80) {
		u[0] = (char)cp;
		n = 1;
	} else if (cp < 0x800) {
		u[0] = (char)(0xC0 | (cp >> 6));
		u[1] = (char)(0x80 | (cp & 0x3F));
		n = 2;
	} else if (cp < 0x10000) {
		u[0] = (char)(0xE0 | (cp >> 12));
		u[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
		u[2] = (char)(0x80 | (cp & 0x3F));
		n = 3;
	} else {
		u[0] = (char)(0xF0 | (cp >> 18));
		u[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
		u[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
		u[3] = (char)(0x80 | (cp & 0x3F));
		n = 4;
	}
	sbuf_add(b, u, n);
}

/* A string at sc->i (the opening quote). With keep, its decoded bytes are
 * appended to the arena. */
static enum jsonscan_result string(struct scan *sc, int keep)
{
	sc->i++;
	size_t run = sc->i; /* start of the bytes not yet copied */
	while (sc->i < sc->n) {
		unsigned char c = sc->s[sc->i];
		if (c == '"') {
			if (keep)
				sbuf_add(&sc->arena, (const char *)sc->s + run, sc->i - run);
			sc->i++;
			return JSONSCAN_OK;
		}
		if (c < 0x20)
			return JSONSCAN_INVALID;
		if (c >= 0x80) {
			size_t k = utf8_seq_len(sc->s + sc->i, sc->n - sc->i);
			if (k == 0)
				return JSONSCAN_BAD_UTF8;
			sc->i += k;
			continue;
		}
		if (c != '\\') {
			sc->i++;
			continue;
		}
		if (keep)
			sbuf_add(&sc->arena, (const char *)sc->s + run, sc->i - run);
		if (++sc->i == sc->n)
			return JSONSCAN_INVALID;
		c = sc->s[sc->i++];
		unsigned cp;
		switch (c) {
		case '"':
		case '\\':
		case '/':
			cp = c;
			break;
		case 'b':
			cp = '\b';
			break;
		case 'f':
			cp = '\f';
			break;
		case 'n':
			cp = '\n';
			break;
		case 'r':
			cp = '\r';
			break;
		case 't':
			cp = '\t';
			break;
		case 'u':
			if (!hex4(sc, &cp))
				return JSONSCAN_INVALID;
			if (cp >= 0xD800 && cp <= 0xDBFF) {
				/* A pair makes one code point; json-c turns a lone half into U+FFFD. */
				unsigned lo;
				size_t save = sc->i;
				if (sc->n - sc->i >= 2 && sc->s[sc->i] == '\\' && sc->s[sc->i + 1] == 'u') {
					sc->i += 2;
					if (hex4(sc, &lo) && lo >= 0xDC00 && lo <= 0xDFFF)
						cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
					else {
						sc->i = save;
						cp = 0xFFFD;
					}
				} else {
					cp = 0xFFFD;
				}
			} else if (cp >= 0xDC00 && cp <= 0xDFFF) {
				cp = 0xFFFD;
			}
			if (cp == 0)
				return JSONSCAN_NUL;
			break;
		default:
			return JSONSCAN_INVALID;
		}
		if (keep)
			add_utf8(&sc->arena, cp);
		run = sc->i;
	}
	return JSONSCAN_INVALID;
}

static int digits(struct scan *sc)
{
	size_t start = sc->i;
	while (sc->i < sc->n && sc->s[sc->i] >= '0' && sc->s[sc->i] <= '9')
		sc->i++;
	return sc->i > start;
}

static enum jsonscan_result number(struct scan *sc)
{
	if (sc->s[sc->i] == '-')
		sc->i++;
	if (sc->i < sc->n && sc->s[sc->i] == '0')
		sc->i++;
	else if (!digits(sc))
		return JSONSCAN_INVALID;
	if (sc->i < sc->n && sc->s[sc->i] == '.') {
		sc->i++;
		if (!digits(sc))
			return JSONSCAN_INVALID;
	}
	if (sc->i < sc->n && (sc->s[sc->i] == 'e' || sc->s[sc->i] == 'E')) {
		sc->i++;
		if (sc->i < sc->n && (sc->s[sc->i] == '+' || sc->s[sc->i] == '-'))
			sc->i++;
		if (!digits(sc))
			return JSONSCAN_INVALID;
	}
	return JSONSCAN_OK;
}

static enum jsonscan_result literal(struct scan *sc, const char *word)
{
	size_t n = strlen(word);
	if (sc->n - sc->i < n || memcmp(sc->s + sc->i, word, n) != 0)
		return JSONSCAN_INVALID;
	sc->i += n;
	return JSONSCAN_OK;
}

static int name_cmp(const void *a, const void *b)
{
	const struct name *x = a, *y = b;
	if (x->len != y->len)
		return x->len < y->len ? -1 : 1;
	return memcmp(x->p, y->p, x->len);
}

/* The names of the object whose first name is names[first]: any two equal? */
static int has_duplicate(struct scan *sc, size_t first)
{
	size_t k = sc->nnames - first;
	struct name *v = sc->names + first;
	for (size_t j = 0; j < k; j++)
		v[j].p = sc->arena.p + v[j].off;
	qsort(v, k, sizeof *v, name_cmp);
	for (size_t j = 1; j < k; j++)
		if (name_cmp(&v[j - 1], &v[j]) == 0)
			return 1;
	return 0;
}

static enum jsonscan_result value(struct scan *sc);

static enum jsonscan_result object(struct scan *sc)
{
	size_t first = sc->nnames, arena_start = sc->arena.len;
	enum jsonscan_result r;
	sc->i++;
	skip_ws(sc);
	if (sc->i < sc->n && sc->s[sc->i] == '}') {
		sc->i++;
		return JSONSCAN_OK;
	}
	for (;;) {
		if (sc->i == sc->n || sc->s[sc->i] != '"')
			return JSONSCAN_INVALID;
		if (sc->nnames == sc->cap) {
			sc->cap = sc->cap ? sc->cap * 2 : 16;
			sc->names = ck_realloc(sc->names, sc->cap * sizeof *sc->names);
		}
		size_t k = sc->nnames++;
		sc->names[k].off = sc->arena.len;
		if ((r = string(sc, 1)) != JSONSCAN_OK)
			return r;
		sc->names[k].len = sc->arena.len - sc->names[k].off;
		skip_ws(sc);
		if (sc->i == sc->n || sc->s[sc->i] != ':')
			return JSONSCAN_INVALID;
		sc->i++;
		if ((r = value(sc)) != JSONSCAN_OK)
			return r;
		skip_ws(sc);
		if (sc->i == sc->n)
			return JSONSCAN_INVALID;
		if (sc->s[sc->i] == '}')
			break;
		if (sc->s[sc->i] != ',')
			return JSONSCAN_INVALID;
		sc->i++;
		skip_ws(sc);
	}
	sc->i++;
	if (has_duplicate(sc, first))
		return JSONSCAN_DUPLICATE;
	/* The names are done with: the next object reuses the space. */
	sc->nnames = first;
	sc->arena.len = arena_start;
	return JSONSCAN_OK;
}

static enum jsonscan_result array(struct scan *sc)
{
	enum jsonscan_result r;
	sc->i++;
	skip_ws(sc);
	if (sc->i < sc->n && sc->s[sc->i] == ']') {
		sc->i++;
		return JSONSCAN_OK;
	}
	for (;;) {
		if ((r = value(sc)) != JSONSCAN_OK)
			return r;
		skip_ws(sc);
		if (sc->i == sc->n)
			return JSONSCAN_INVALID;
		if (sc->s[sc->i] == ']')
			break;
		if (sc->s[sc->i] != ',')
			return JSONSCAN_INVALID;
		sc->i++;
	}
	sc->i++;
	return JSONSCAN_OK;
}

static enum jsonscan_result value(struct scan *sc)
{
	enum jsonscan_result r;
	skip_ws(sc);
	if (sc->i == sc->n)
		return JSONSCAN_INVALID;
	switch (sc->s[sc->i]) {
	case '{':
	case '[':
		if (++sc->depth > sc->max_depth)
			return JSONSCAN_TOO_DEEP;
		r = sc->s[sc->i] == '{' ? object(sc) : array(sc);
		sc->depth--;
		return r;
	case '"':
		return string(sc, 0);
	case 't':
		return literal(sc, "true");
	case 'f':
		return literal(sc, "false");
	case 'n':
		return literal(sc, "null");
	default:
		if (sc->s[sc->i] == '-' || (sc->s[sc->i] >= '0' && sc->s[sc->i] <= '9'))
			return number(sc);
		return JSONSCAN_INVALID;
	}
}

enum jsonscan_result jsonscan_check(const char *text, size_t len, int max_depth)
{
	struct scan sc = {(const unsigned char *)text, len, 0, 0, max_depth, {0}, NULL, 0, 0};
	if (!text)
		return JSONSCAN_INVALID;
	if (sc.max_depth > JSONSCAN_DEPTH_CAP || sc.max_depth < 0)
		sc.max_depth = JSONSCAN_DEPTH_CAP;
	enum jsonscan_result r = value(&sc);
	if (r == JSONSCAN_OK) {
		skip_ws(&sc);
		if (sc.i != sc.n)
			r = JSONSCAN_INVALID;
	}
	sbuf_free(&sc.arena);
	free(sc.names);
	return r;
}

/* One parser per depth, reset for each text: a token's parts are parsed
 * without allocating a parser each time. */
static struct {
	int depth;
	json_tokener *tok;
} parsers[4];

static json_tokener *parser(int depth)
{
	size_t i;
	for (i = 0; i < sizeof parsers / sizeof parsers[0] && parsers[i].tok; i++)
		if (parsers[i].depth == depth)
			return parsers[i].tok;
	if (i == sizeof parsers / sizeof parsers[0])
		return NULL;
	parsers[i].tok = json_tokener_new_ex(depth);
	parsers[i].depth = depth;
	return parsers[i].tok;
}

json_object *jsonscan_parse(const char *text, size_t len, int max_depth, enum jsonscan_result *why)
{
	enum jsonscan_result r = JSONSCAN_INVALID;
	json_object *o = NULL;
	json_tokener *tok = len <= (size_t)1 << 30 ? parser(max_depth) : NULL;
	if (tok) {
		json_tokener_reset(tok);
		json_tokener_set_flags(tok, JSON_TOKENER_STRICT | JSON_TOKENER_VALIDATE_UTF8);
		o = json_tokener_parse_ex(tok, text, (int)len);
		enum json_tokener_error jerr = json_tokener_get_error(tok);
		/* json-c eats the whitespace after the value; anything else stays. */
		if (jerr == json_tokener_error_depth)
			r = JSONSCAN_TOO_DEEP;
		else if (jerr == json_tokener_error_parse_utf8_string)
			r = JSONSCAN_BAD_UTF8;
		else if (jerr == json_tokener_success && o && json_tokener_get_parse_end(tok) == len)
			/* json-c keeps the last of two equal names, cuts strings at
			 * \u0000 and lets overlong UTF-8 through; another reader may
			 * not. A text two parsers read differently is refused. */
			r = jsonscan_check(text, len, max_depth);
		json_tokener_reset(tok);
	}
	if (r != JSONSCAN_OK) {
		json_object_put(o);
		o = NULL;
	}
	if (why)
		*why = r;
	return o;
}

void jsonscan_release(void)
{
	for (size_t i = 0; i < sizeof parsers / sizeof parsers[0]; i++) {
		if (parsers[i].tok) /* json_tokener_free does not take NULL */
			json_tokener_free(parsers[i].tok);
		parsers[i].tok = NULL;
	}
}

const char *jsonscan_strerror(enum jsonscan_result r)
{
	switch (r) {
	case JSONSCAN_OK:
		return "ok";
	case JSONSCAN_INVALID:
		return "not JSON";
	case JSONSCAN_TOO_DEEP:
		return "nested too deep";
	case JSONSCAN_DUPLICATE:
		return "duplicate member name";
	case JSONSCAN_NUL:
		return "string holding \\u0000";
	case JSONSCAN_BAD_UTF8:
		return "ill-formed UTF-8";
	}
	return "?";
}
