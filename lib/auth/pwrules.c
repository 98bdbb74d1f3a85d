#include "pwrules.h"
#include "config.h"
#include "file.h"
#include "password.h"
#include "util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define PWRULES_DEFAULT_MIN 10
/* The shipped list is ~30 KiB; a list of a million is ~10 MiB. */
#define PWRULES_LIST_MAX (64u * 1024 * 1024)

static long min_chars = PWRULES_DEFAULT_MIN;
static const char *list_path = MCPAUTH_PASSWORD_LIST_DEFAULT;

/* The list: one buffer, its lines lowercased, sorted for bsearch. */
static char *list_buf;
static char **list;
static size_t list_n;
static int list_failed;

void pwrules_configure(const struct config *c)
{
	min_chars = c->password_min;
	if (c->password_list)
		list_path = c->password_list;
	pwrules_reset();
}

void pwrules_reset(void)
{
	free(list);
	free(list_buf);
	list = NULL;
	list_buf = NULL;
	list_n = 0;
	list_failed = 0;
}

static int cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void lower(char *s)
{
	for (; *s; s++)
		if (*s >= 'A' && *s <= 'Z')
			*s = (char)(*s - 'A' + 'a');
}

/* 0 when the list is in memory. Lines starting with '#' are comments. */
static int list_load(void)
{
	if (list)
		return 0;
	if (list_failed)
		return -1;
	size_t len;
	list_buf = file_read(list_path, PWRULES_LIST_MAX, &len);
	if (!list_buf) {
		log_msg("pwrules: cannot read the common-password list %s: every new password is refused",
			list_path);
		list_failed = 1;
		return -1;
	}
	size_t cap = 1;
	for (size_t i = 0; i < len; i++)
		cap += list_buf[i] == '\n';
	list = ck_malloc(cap * sizeof *list);
	for (char *line = list_buf, *next; line && *line; line = next) {
		next = strchr(line, '\n');
		if (next)
			*next++ = '\0';
		size_t l = strlen(line);
		if (l && line[l - 1] == '\r')
			line[--l] = '\0';
		if (l == 0 || line[0] == '#')
			continue;
		lower(line);
		list[list_n++] = line;
	}
	qsort(list, list_n, sizeof *list, cmp);
	return 0;
}

/* UTF-8 characters, counted as the bytes that do not continue one. */
static size_t chars(const char *s)
{
	size_t n = 0;
	for (; *s; s++)
		n += ((unsigned char)*s & 0xC0) != 0x80;
	return n;
}

static int listed(const char *password)
{
	char *key = ck_strdup(password);
	lower(key);
	int found = bsearch(&key, list, list_n, sizeof *list, cmp) != NULL;
	secure_free(key, strlen(key) + 1);
	return found;
}

/* The password is the email or its local part, whatever the case. */
static int is_email(const char *password, const char *email)
{
	if (!email || !*email)
		return 0;
	const char *at = strchr(email, '@');
	size_t local = at ? (size_t)(at - email) : strlen(email);
	return strcasecmp(password, email) == 0 ||
	       (local && strlen(password) == local && strncasecmp(password, email, local) == 0);
}

const char *password_rule_violation(const char *password, const char *email)
{
	static char too_short[64];
	if (!password || chars(password) < (size_t)min_chars) {
		snprintf(too_short, sizeof too_short, "Password must be at least %ld characters", min_chars);
		return too_short;
	}
	if (strlen(password) > PASSWORD_MAX_LEN)
		return "Password must be at most 1024 bytes";
	_Static_assert(PASSWORD_MAX_LEN == 1024, "the message above names PASSWORD_MAX_LEN");
	if (is_email(password, email))
		return "Password must not be the email address";
	if (list_load() < 0)
		return "Passwords cannot be checked now; try again later";
	if (listed(password))
		return "Password is one of the most common passwords";
	return NULL;
}
