/* mail: hands a message to the operator's mail command
 * (MCPAUTH_MAIL_COMMAND), so no mail server is built in. The command line
 * is split on spaces and run without a shell, with the recipient as one
 * more argument and the message on standard input; it runs detached, so
 * an answer never waits for it (and never tells whether it worked), and it
 * is killed after the time allowed. */
#ifndef MCPAUTH_MAIL_H
#define MCPAUTH_MAIL_H

#include <stddef.h>

#define MAIL_MAX_ARGS 16

/* 1 when command is a command line mail_send can run: words separated by
 * spaces, at most MAIL_MAX_ARGS - 2 of them, the first an absolute path,
 * no control character. */
int mail_command_ok(const char *command);

/* 1 when to can be handed to a command as an argument and a header: an
 * '@', no blank or control character (no header can be added), and no
 * leading '-' (sendmail and its kin would read it as an option, such as
 * -X, which writes a log file where it is told). */
int mail_address_ok(const char *to);

/* Starts command with to as its last argument and message on its standard
 * input, in a process of its own that outlives the caller's request; the
 * command gets timeout seconds, then it is killed. A failure (exit status
 * not 0, a signal, the time) is logged with what as its subject ("the
 * verification mail"), never with the message. Returns 0 once started, -1
 * when it could not be, or to is not mail_address_ok (logged too). */
int mail_send(const char *command, const char *to, const char *message, long timeout, const char *what);

/* What mail_send costs the caller (the detached process), mailing no one:
 * for a request about an address with no account, whose answer must take
 * as long as one that mails. */
void mail_send_none(void);

#endif
