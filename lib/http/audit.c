#include "audit.h"
#include "http.h"
#include "route.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static int audit_fd = STDERR_FILENO;
static int audit_owned;
static char last_line[4096];

int audit_open(const char *target, char *err, size_t errlen)
{
	audit_close();
	if (!target || strcmp(target, "stderr") == 0)
		return 0;
	int fd = open(target, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
	if (fd < 0) {
		snprintf(err, errlen, "cannot open the audit log %s: %s", target, strerror(errno));
		return -1;
	}
	audit_fd = fd;
	audit_owned = 1;
	return 0;
}

void audit_close(void)
{
	if (audit_owned)
		close(audit_fd);
	audit_fd = STDERR_FILENO;
	audit_owned = 0;
	last_line[0] = '\0';
}

/* The value cut to AUDIT_MAX_VALUE bytes, control characters and bytes
 * that are not UTF-8 (a raw path may hold any) as '?'. */
static json_object *clean_string(const char *s)
{
	char buf[AUDIT_MAX_VALUE + 1];
	const unsigned char *u = (const unsigned char *)s;
	size_t n = strlen(s), o = 0;
	for (size_t i = 0; i < n;) {
		size_t len = utf8_seq_len(u + i, n - i);
		if (o + (len ? len : 1) > AUDIT_MAX_VALUE)
			break;
		if (len == 0 || (len == 1 && (u[i] < 0x20 || u[i] == 0x7f))) {
			buf[o++] = '?';
			i++;
			continue;
		}
		memcpy(buf + o, s + i, len);
		o += len;
		i += len;
	}
	buf[o] = '\0';
	return json_object_new_string_len(buf, (int)o);
}

static void add(json_object *o, const char *key, const char *value)
{
	if (value)
		json_object_object_add(o, key, clean_string(value));
}

void audit_event(const struct request *req, const char *event, ...)
{
	char when[32];
	now_iso8601(when);
	json_object *o = json_object_new_object();
	json_object_object_add(o, "time", json_object_new_string(when));
	json_object_object_add(o, "event", json_object_new_string(event));
	va_list ap;
	va_start(ap, event);
	for (const char *key; (key = va_arg(ap, const char *));)
		add(o, key, va_arg(ap, const char *));
	va_end(ap);
	if (req) {
		add(o, "addr", req->remote_addr);
		add(o, "method", req->method);
		add(o, "route", req->route ? req->route->pattern : req->path);
	}
	const char *text = json_text(o);
	size_t len = strlen(text);
	if (len + 1 >= sizeof last_line) {
		/* Cannot happen with values cut to AUDIT_MAX_VALUE; keep lines whole anyway. */
		log_msg("audit line for %s too long, dropped", event);
		json_object_put(o);
		return;
	}
	memcpy(last_line, text, len);
	last_line[len] = '\n';
	last_line[len + 1] = '\0';
	json_object_put(o);
	ssize_t w;
	do
		w = write(audit_fd, last_line, len + 1);
	while (w < 0 && errno == EINTR);
	if (w != (ssize_t)(len + 1))
		log_msg("cannot write the audit log: %s", w < 0 ? strerror(errno) : "short write");
	last_line[len] = '\0';
}

const char *audit_last_line(void)
{
	return last_line;
}
