/* Terminal input: passwords read from the terminal with echo off, or from
 * stdin; never from the command line, where every user of the machine
 * could see them. */
#include "mcpauth.h"
#include "password.h"
#include "pwrules.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

static struct termios saved_tty;
static int tty_fd = -1;

static void restore_tty(int sig)
{
	if (tty_fd >= 0)
		tcsetattr(tty_fd, TCSAFLUSH, &saved_tty);
	if (sig) {
		signal(sig, SIG_DFL);
		raise(sig);
	}
}

/* One line from fd into buf (NUL-terminated, newline stripped). Returns its
 * length, or -1 when it does not fit or nothing could be read. */
long read_line(int fd, char *buf, size_t size)
{
	size_t n = 0;
	for (;;) {
		char c;
		ssize_t r = read(fd, &c, 1);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0) {
			if (n == 0)
				return -1;
			break;
		}
		if (c == '\n')
			break;
		if (n + 1 >= size)
			return -1;
		buf[n++] = c;
	}
	if (n > 0 && buf[n - 1] == '\r')
		n--;
	buf[n] = '\0';
	return (long)n;
}

static long prompt(const char *text, char *buf, size_t size)
{
	if (write(tty_fd, text, strlen(text)) < 0)
		return -1;
	long n = read_line(tty_fd, buf, size);
	if (write(tty_fd, "\n", 1) < 0)
		return -1;
	return n;
}

/* The new password: typed twice at the terminal with echo off when stdin
 * is one, else the first line of stdin. NULL after saying why. */
static char *read_password(void)
{
	size_t size = PASSWORD_MAX_LEN + 2;
	char *pw = ck_malloc(size), *again = NULL;
	long n;
	if (isatty(STDIN_FILENO)) {
		tty_fd = open("/dev/tty", O_RDWR | O_CLOEXEC);
		if (tty_fd < 0 || tcgetattr(tty_fd, &saved_tty) < 0) {
			fail("cannot open the terminal: %s", strerror(errno));
			goto bad;
		}
		struct termios quiet = saved_tty;
		quiet.c_lflag &= ~(tcflag_t)(ECHO | ECHOE | ECHOK);
		signal(SIGINT, restore_tty);
		signal(SIGTERM, restore_tty);
		signal(SIGHUP, restore_tty);
		/* Echo goes off before the prompt shows, so nothing typed is seen. */
		if (tcsetattr(tty_fd, TCSAFLUSH, &quiet) < 0) {
			fail("cannot turn echo off: %s", strerror(errno));
			goto bad;
		}
		again = ck_malloc(size);
		n = prompt("New password: ", pw, size);
		long m = n >= 0 ? prompt("Again: ", again, size) : -1;
		restore_tty(0);
		if (n >= 0 && (m != n || strcmp(pw, again) != 0)) {
			fail("the passwords differ");
			goto bad;
		}
	} else {
		n = read_line(STDIN_FILENO, pw, size);
	}
	if (n < 0) {
		fail("no password read, or longer than %d bytes", PASSWORD_MAX_LEN);
		goto bad;
	}
	if (n == 0) {
		fail("the password is empty");
		goto bad;
	}
	if (again)
		secure_free(again, size);
	if (tty_fd >= 0)
		close(tty_fd);
	tty_fd = -1;
	return pw;
bad:
	if (again)
		secure_free(again, size);
	secure_free(pw, size);
	if (tty_fd >= 0)
		close(tty_fd);
	tty_fd = -1;
	return NULL;
}

char *new_password_hash(const char *email)
{
	char *pw = read_password();
	if (!pw)
		return NULL;
	/* The operator gets the rules the users get: no way around them. */
	const char *weak = password_rule_violation(pw, email);
	if (weak) {
		fail("%s", weak);
		secure_free(pw, PASSWORD_MAX_LEN + 2);
		return NULL;
	}
	char *hash = password_hash(pw);
	secure_free(pw, PASSWORD_MAX_LEN + 2);
	if (!hash)
		fail("cannot hash the password");
	return hash;
}
