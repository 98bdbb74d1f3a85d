/* mcpauth: the operator's command-line tool. It works on the same state
 * directory as the programs (MCPAUTH_STATE_DIR and the other settings are
 * read from the environment the same way), through libauth: users,
 * passwords, permissions, the signing key, and tokens. This file holds
 * main, the options and the command table; each room of commands has its
 * own file (mcpauth.h lists them). */
#include "config.h"
#include "mcpauth.h"
#include "pwrules.h"
#include "util.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

struct config cfg;

void fail(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fprintf(stderr, "%s: ", TOOL_NAME);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
}

int parse_opts(int argc, char **argv, struct opt *opts, size_t nopts)
{
	int npos = 0;
	for (int i = 0; i < argc; i++) {
		const char *a = argv[i];
		if (strncmp(a, "--", 2) != 0 || strcmp(a, "--") == 0 || a[2] == '\0') {
			argv[npos++] = argv[i];
			continue;
		}
		const char *eq = strchr(a, '=');
		size_t len = eq ? (size_t)(eq - a) : strlen(a);
		size_t k;
		for (k = 0; k < nopts; k++)
			if (strlen(opts[k].name) == len && strncmp(opts[k].name, a, len) == 0)
				break;
		if (k == nopts) {
			fail("unknown option %.*s", (int)len, a);
			return -1;
		}
		if (!opts[k].takes_value) {
			if (eq) {
				fail("%s takes no value", opts[k].name);
				return -1;
			}
			opts[k].value = "";
		} else if (eq) {
			opts[k].value = eq + 1;
		} else if (i + 1 < argc) {
			opts[k].value = argv[++i];
		} else {
			fail("%s needs a value", opts[k].name);
			return -1;
		}
	}
	return npos;
}

int parse_seconds(const char *s, long min, long max, long *out)
{
	char *end;
	errno = 0;
	long n = strtol(s, &end, 10);
	if (errno || *end || end == s || n < min || n > max)
		return -1;
	*out = n;
	return 0;
}

/* ---- dispatch ----------------------------------------------------------------- */

struct command {
	const char *name;
	int (*run)(int argc, char **argv);
	const char *synopsis;
	const char *help;
};

static const struct command commands[] = {
    {"init", cmd_init, "init [--user USER] [--demo-users]",
     "Creates the state directory (mode 0700), the signing key and its JWKS, and the\n"
     "database, if absent. --user (as root) gives the directory to the user the\n"
     "programs run as (www-data). --demo-users adds the demo users with their\n"
     "published passwords to a new database (the quick start); the programs never\n"
     "create users, and warn at every start while a demo password still works.\n"},
    {"user add", cmd_user_add,
     "user add EMAIL [--name NAME] [--permissions 'P ...'] [--scope 'S ...'] [--no-password]",
     "Adds a user and prints its id (auth0|<12 hex>). The password is read from the\n"
     "terminal (twice, echo off) or from the first line of stdin; --no-password makes\n"
     "a user who cannot log in. The name defaults to the part of EMAIL before '@', the\n"
     "scope to 'openid profile email'. Exit 4 if the email is taken.\n"},
    {"user del", cmd_user_del, "user del EMAIL",
     "Removes a user. Exit 3 if there is none with that email.\n"},
    {"user mfa", cmd_user_mfa, "user mfa reset EMAIL",
     "Turns the user's two-factor login (TOTP) off, for a user who lost both the\n"
     "authenticator and the recovery codes: the secret, the recovery codes and any\n"
     "pending login ticket are removed; the next login asks for the password only,\n"
     "and the user can enrol again. Exit 3 if there is no such user.\n"},
    {"users", cmd_users, "users [--json]",
     "Lists the users: id, email, name and permissions, tab-separated, or as JSON.\n"},
    {"client list", cmd_client_list, "client list",
     "Lists the OAuth clients registered at /oauth/register: client_id, token endpoint\n"
     "auth method, registration time (unix), name and redirect URIs, tab-separated.\n"
     "Clients named by a metadata document URL are not stored, so not listed.\n"},
    {"client delete", cmd_client_delete, "client delete CLIENT_ID",
     "Removes a registered client: it can no longer sign anyone in, and its secret\n"
     "stops working. Exit 3 if there is no such client.\n"},
    {"passwd", cmd_passwd, "passwd EMAIL [--none]",
     "Sets a user's password, read from the terminal (twice, echo off) or from the\n"
     "first line of stdin; never from the command line. --none removes it (the user\n"
     "can no longer log in). Every refresh token of the user is revoked; access\n"
     "tokens already issued stay valid until they expire.\n"},
    {"grant list", cmd_grant_list, "grant list [EMAIL]",
     "Lists what users allowed OAuth clients (the consent page's remembered grants):\n"
     "email, client_id, scopes and when last widened, tab-separated; one user's with\n"
     "EMAIL.\n"},
    {"grant revoke", cmd_grant_revoke, "grant revoke EMAIL CLIENT_ID",
     "Forgets the user's grant to the client and revokes every refresh token the\n"
     "client holds for the user, and with them the access tokens issued under them;\n"
     "the client's next sign-in asks for consent again. Exit 3 if there is no such\n"
     "user, 7 if the user has no grant or token of that client.\n"},
    {"grant", cmd_grant, "grant EMAIL PERMISSION...",
     "Adds permissions (a-z, ':', '_', '-') and prints the user's new set. The next\n"
     "token the user gets carries them.\n"},
    {"revoke", cmd_revoke, "revoke EMAIL PERMISSION...",
     "Removes permissions and prints the user's new set. Tokens already issued keep\n"
     "the old set until they expire.\n"},
    {"rotate-key", cmd_rotate_key, "rotate-key [--keep SECONDS]",
     "Makes a new signing key and prints its kid. The old key stays published in\n"
     "jwks.json for SECONDS (default 86700: the longest token lifetime plus the\n"
     "largest leeway), so the tokens it signed keep verifying; from then on the\n"
     "programs neither trust nor publish it, without a restart. --keep 0 drops it at\n"
     "once (a leaked key); keys retired longer ago are dropped. The programs load\n"
     "keys at start: restart them gracefully right after (apachectl graceful;\n"
     "systemctl reload lighttpd; systemctl restart 'mcpauth@*.service').\n"
     "With MCPAUTH_DATABASE_URL the keys are in the database, for every node: the\n"
     "new key is published at once, signs 2 s later, and the running programs\n"
     "follow within a second; nothing to restart.\n"},
    {"keys", cmd_keys, "keys",
     "Lists the keys of jwks.json: the signing one, retired ones with the unix time\n"
     "until which they stay published and trusted, and those past it. With\n"
     "MCPAUTH_DATABASE_URL, the database's keys (a new one with its signing time).\n"},
    {"mint", cmd_mint, "mint EMAIL [--ttl SECONDS]",
     "Prints an access token for the user, signed with the current key, with the\n"
     "claims /auth/login would give (for scripts and tests). --ttl: 1 to 86400,\n"
     "default MCPAUTH_TOKEN_TTL.\n"},
    {"verify", cmd_verify, "verify [TOKEN | -]",
     "Decodes a token (from stdin when TOKEN is absent or '-'), shows its header and\n"
     "claims, and checks it as the programs do, against jwks.json, the issuer, the\n"
     "audience and the clock; the last line says valid, expired or invalid and why.\n"
     "Exit 0 valid, 5 invalid, 6 expired.\n"},
};
#define NCOMMANDS (sizeof commands / sizeof commands[0])

static void usage(FILE *f)
{
	fprintf(f, "usage: mcpauth [--state-dir DIR] COMMAND [ARGS]\n\ncommands:\n");
	for (size_t i = 0; i < NCOMMANDS; i++)
		fprintf(f, "  %s\n", commands[i].synopsis);
	fprintf(f, "\n'mcpauth COMMAND --help' explains one. Settings come from the environment,\n"
		   "as for the programs: MCPAUTH_STATE_DIR (default " MCPAUTH_STATE_DIR_DEFAULT "),\n"
		   "MCPAUTH_ISSUER, AUTH0_AUDIENCE, MCPAUTH_TOKEN_TTL, MCPAUTH_LEEWAY...\n"
		   "Run as root on a state directory owned by another user, it acts as that user.\n\n"
		   "exit codes: 0 done, 1 error, 2 bad usage, 3 no such user (or client), 4 email taken,\n"
		   "5 token invalid, 6 token expired, 7 no such grant\n");
}

static const struct command *find_command(int *argc, char ***argv)
{
	for (size_t i = 0; i < NCOMMANDS; i++) {
		const char *name = commands[i].name, *sp = strchr(name, ' ');
		if (!sp && strcmp((*argv)[0], name) == 0) {
			(*argc)--, (*argv)++;
			return &commands[i];
		}
		if (sp && *argc >= 2 && strncmp((*argv)[0], name, (size_t)(sp - name)) == 0 &&
		    (*argv)[0][sp - name] == '\0' && strcmp((*argv)[1], sp + 1) == 0) {
			*argc -= 2, *argv += 2;
			return &commands[i];
		}
	}
	/* "user list" is another name for "users". */
	if (*argc >= 2 && strcmp((*argv)[0], "user") == 0 && strcmp((*argv)[1], "list") == 0) {
		*argc -= 2, *argv += 2;
		for (size_t i = 0; i < NCOMMANDS; i++)
			if (strcmp(commands[i].name, "users") == 0)
				return &commands[i];
	}
	return NULL;
}

int main(int argc, char **argv)
{
	argc--, argv++;
	if (argc >= 2 && strcmp(argv[0], "--state-dir") == 0) {
		setenv("MCPAUTH_STATE_DIR", argv[1], 1);
		argc -= 2, argv += 2;
	} else if (argc >= 1 && strncmp(argv[0], "--state-dir=", 12) == 0) {
		setenv("MCPAUTH_STATE_DIR", argv[0] + 12, 1);
		argc--, argv++;
	}
	if (argc == 0) {
		usage(stderr);
		return EX_USAGE;
	}
	if (strcmp(argv[0], "--help") == 0 || strcmp(argv[0], "-h") == 0) {
		usage(stdout);
		return EX_OK;
	}
	int help = strcmp(argv[0], "help") == 0;
	if (help) {
		argc--, argv++;
		if (argc == 0) {
			usage(stdout);
			return EX_OK;
		}
	}
	const struct command *c = find_command(&argc, &argv);
	if (!c) {
		fail("unknown command '%s'", argv[0]);
		usage(stderr);
		return EX_USAGE;
	}
	for (int i = 0; i < argc && !help; i++)
		if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0)
			help = 1;
	if (help) {
		printf("usage: mcpauth %s\n\n%s", c->synopsis, c->help);
		return EX_OK;
	}
	char err[512];
	log_set_program("tool"); /* lib/ logs as mcpauth-tool */
	umask(077);		 /* what it creates in the state directory is the programs' user's alone */
	if (config_load(&cfg, err, sizeof err) < 0) {
		fail("%s", err);
		return EX_ERROR;
	}
	pwrules_configure(&cfg);
	int rc = c->run(argc, argv);
	config_free(&cfg);
	return rc;
}
