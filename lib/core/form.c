#include "form.h"
#include "util.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* One name or value: '+' is a space, then percent-escapes. */
static char *decode(const char *s, size_t n)
{
	char *plus = ck_strndup(s, n);
	for (char *p = plus; *p; p++)
		if (*p == '+')
			*p = ' ';
	char *out = url_decode(plus, n);
	free(plus);
	return out;
}

void form_free(struct form *f)
{
	for (size_t i = 0; i < f->n; i++) {
		free(f->name[i]);
		/* Values are passwords and codes: wiped. */
		secure_free(f->value[i], strlen(f->value[i]));
	}
	memset(f, 0, sizeof *f);
}

enum form_status form_parse(struct form *f, const char *text, size_t len)
{
	memset(f, 0, sizeof *f);
	if (len > FORM_MAX_LEN)
		return FORM_TOO_LONG;
	enum form_status st = FORM_OK;
	for (size_t at = 0; at < len && st == FORM_OK;) {
		const char *s = text + at;
		const char *amp = memchr(s, '&', len - at);
		size_t n = amp ? (size_t)(amp - s) : len - at;
		at += n + 1;
		if (n == 0)
			continue; /* "a=1&&b=2" */
		const char *eq = memchr(s, '=', n);
		size_t nl = eq ? (size_t)(eq - s) : n;
		if (f->n == FORM_MAX_FIELDS) {
			st = FORM_TOO_MANY;
			break;
		}
		char *name = nl ? decode(s, nl) : NULL;
		char *value = eq ? decode(eq + 1, n - nl - 1) : ck_strdup("");
		if (!name || !value) {
			free(name);
			if (value)
				secure_free(value, strlen(value));
			st = FORM_MALFORMED;
			break;
		}
		for (size_t i = 0; i < f->n; i++)
			if (strcmp(f->name[i], name) == 0)
				st = FORM_DUPLICATE;
		f->name[f->n] = name;
		f->value[f->n++] = value;
	}
	if (st != FORM_OK)
		form_free(f);
	return st;
}

const char *form_get(const struct form *f, const char *name)
{
	for (size_t i = 0; i < f->n; i++)
		if (strcmp(f->name[i], name) == 0)
			return *f->value[i] ? f->value[i] : NULL;
	return NULL;
}

const char *form_strerror(enum form_status st)
{
	switch (st) {
	case FORM_OK:
		return "ok";
	case FORM_MALFORMED:
		return "a parameter is not valid percent-encoding";
	case FORM_TOO_MANY:
		return "too many parameters";
	case FORM_DUPLICATE:
		return "a parameter is given more than once";
	default:
		return "the parameters are too long";
	}
}

int form_content_type_ok(const char *ct)
{
	return ct && media_type_is(ct, strlen(ct), "application/x-www-form-urlencoded");
}

char *form_cookie(const char *header, const char *name)
{
	size_t nl = strlen(name);
	const char *s;
	size_t n;
	for (const char *c = header; list_next(&c, ";", &s, &n);)
		if (n > nl && s[nl] == '=' && strncmp(s, name, nl) == 0)
			return ck_strndup(s + nl + 1, n - nl - 1);
	return NULL;
}
