#include "mail.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

int mail_command_ok(const char *command)
{
	if (!command || command[0] != '/')
		return 0;
	size_t words = 0;
	const char *w;
	size_t n;
	for (const unsigned char *p = (const unsigned char *)command; *p; p++)
		if (*p < 0x20 || *p == 0x7f)
			return 0;
	for (const char *c = command; list_next(&c, " ", &w, &n);)
		words++;
	return words >= 1 && words <= MAIL_MAX_ARGS - 2;
}

int mail_address_ok(const char *to)
{
	if (!to || !*to || to[0] == '-' || strlen(to) > 320)
		return 0;
	for (const unsigned char *p = (const unsigned char *)to; *p; p++)
		if (*p <= 0x20 || *p == 0x7f)
			return 0;
	return strchr(to, '@') != NULL;
}

/* Every descriptor but 0, 1 and 2 closed: the command must not hold the
 * web server's connection (a CGI answer ends at its EOF), the database or
 * the audit log. */
static void close_others(void)
{
	long max = sysconf(_SC_OPEN_MAX);
	if (max < 0 || max > 65536)
		max = 65536;
	for (int fd = 3; fd < max; fd++)
		close(fd);
}

/* In the command's process: the pipe as stdin, /dev/null as stdout, the
 * program's stderr kept (the web server's error log), then exec. */
static void run_command(char *const argv[], int in)
{
	int null = open("/dev/null", O_WRONLY);
	if (dup2(in, 0) < 0 || null < 0 || dup2(null, 1) < 0)
		_exit(127);
	close_others();
	/* Its own process group: a timeout kills whatever it started too. */
	setpgid(0, 0);
	execv(argv[0], argv);
	_exit(127);
}

/* Writes all of s to fd; a command that does not read it all is its own
 * business (its exit status says whether it worked). */
static void write_all(int fd, const char *s, size_t n)
{
	while (n > 0) {
		ssize_t w = write(fd, s, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return;
		s += w;
		n -= (size_t)w;
	}
}

/* The watcher: feeds the command, waits at most timeout seconds, logs how
 * it ended. Runs in the detached process; never returns. */
static void watch(char *const argv[], const char *message, long timeout, const char *what)
{
	int fds[2];
	if (pipe(fds) < 0) {
		log_msg("%s could not be sent: no pipe for the mail command", what);
		_exit(1);
	}
	pid_t pid = fork();
	if (pid < 0) {
		log_msg("%s could not be sent: the mail command could not be started", what);
		_exit(1);
	}
	if (pid == 0) {
		close(fds[1]);
		run_command(argv, fds[0]);
	}
	close(fds[0]);
	write_all(fds[1], message, strlen(message));
	close(fds[1]);
	struct timespec tick = {0, 20 * 1000 * 1000};
	int status = 0;
	pid_t got = 0;
	for (long waited = 0; (got = waitpid(pid, &status, WNOHANG)) == 0 && waited < timeout * 50; waited++)
		nanosleep(&tick, NULL);
	if (got == 0) {
		kill(-pid, SIGKILL);
		kill(pid, SIGKILL);
		waitpid(pid, &status, 0);
		log_msg("%s was not sent: the mail command %s took over %ld seconds and was stopped", what,
			argv[0], timeout);
		_exit(1);
	}
	if (got < 0 || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		if (got > 0 && WIFEXITED(status))
			log_msg("%s was not sent: the mail command %s exited with status %d", what, argv[0],
				WEXITSTATUS(status));
		else
			log_msg("%s was not sent: the mail command %s was ended by signal %d", what, argv[0],
				got > 0 && WIFSIGNALED(status) ? WTERMSIG(status) : 0);
		_exit(1);
	}
	_exit(0);
}

/* Forks the detached process: 1 in it, 0 in the caller once it is on its
 * own, -1 when no process could be made. Twice forked: it is nobody's
 * child to wait for, and the request goes on at once. */
static int detach(void)
{
	pid_t pid = fork();
	if (pid < 0)
		return -1;
	if (pid == 0) {
		if (fork() != 0)
			_exit(0);
		setsid();
		int null = open("/dev/null", O_RDWR);
		if (null >= 0) {
			dup2(null, 0);
			dup2(null, 1);
		}
		/* stderr stays: the watcher's log lines go where the program's do. */
		close_others();
		signal(SIGPIPE, SIG_IGN);
		return 1;
	}
	int status;
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	return 0;
}

int mail_send(const char *command, const char *to, const char *message, long timeout, const char *what)
{
	if (!mail_command_ok(command)) {
		log_msg("%s was not sent: MCPAUTH_MAIL_COMMAND is not set", what);
		return -1;
	}
	if (!mail_address_ok(to)) {
		log_msg("%s was not sent: the address is not one a mail command can be given", what);
		return -1;
	}
	char *line = ck_strdup(command);
	char *argv[MAIL_MAX_ARGS];
	size_t argc = 0;
	for (char *save = NULL, *w = strtok_r(line, " ", &save); w && argc < MAIL_MAX_ARGS - 2;
	     w = strtok_r(NULL, " ", &save))
		argv[argc++] = w;
	argv[argc++] = (char *)to;
	argv[argc] = NULL;
	int rc = detach();
	if (rc == 1)
		watch(argv, message, timeout, what);
	free(line);
	if (rc < 0)
		log_msg("%s could not be sent: fork failed", what);
	return rc;
}

void mail_send_none(void)
{
	if (detach() == 1)
		_exit(0);
}
