/* mcpauth: the operator's command-line tool. It works on the same state
 * directory as the programs (MCPAUTH_STATE_DIR and the other settings are
 * read from the environment the same way), through libauth: users,
 * passwords, permissions, the signing key, and tokens.
 * Passwords are read from the terminal with echo off, or from stdin; never
 * from the command line, where every user of the machine could see them. */
#include "config.h"
#include "field.h"
#include "mcpauth.h"
#include "file.h"
#include "http.h"
#include "issuer.h"
#include "jwks.h"
#include "oauthclient.h"
#include "password.h"
#include "token.h"
#include "userdb.h"
#include "userjson.h"
#include "util.h"

#include <openssl/crypto.h>
#include <openssl/rand.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <termios.h>
#include <unistd.h>

#define DEFAULT_KEEP (86400 + 300) /* the longest token lifetime plus the largest leeway */

struct config cfg;
static const char *prog = "mcpauth";

void fail(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fprintf(stderr, "%s: ", prog);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
}

/* ---- options ------------------------------------------------------------ */

struct opt {
	const char *name;  /* "--name" */
	int takes_value;
	const char *value; /* set when given; "" for a flag */
};

/* Splits argv into options (known ones only) and positional arguments,
 * which are moved to the front. Returns their count, or -1. */
static int parse_opts(int argc, char **argv, struct opt *opts, size_t nopts)
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

static int parse_seconds(const char *s, long min, long max, long *out)
{
	char *end;
	errno = 0;
	long n = strtol(s, &end, 10);
	if (errno || *end || end == s || n < min || n > max)
		return -1;
	*out = n;
	return 0;
}

/* ---- privileges, state ----------------------------------------------------- */

static int become(uid_t uid, gid_t gid)
{
	if (setgroups(0, NULL) < 0 || setgid(gid) < 0 || setuid(uid) < 0) {
		fail("cannot switch to uid %ld: %s", (long)uid, strerror(errno));
		return -1;
	}
	return 0;
}

/* The state directory 0700 and its files 0600, as the programs keep it, or a refusal. */
static int secure_state(void)
{
	char err[512];
	if (file_secure_dir(cfg.state_dir, err, sizeof err) < 0) {
		fail("%s", err);
		return -1;
	}
	return 0;
}

/* Run as root on a state directory that belongs to the web server's user,
 * the tool acts as that user, so that every file it creates stays readable
 * by the programs. */
int act_as_owner(void)
{
	struct stat st;
	if (stat(cfg.state_dir, &st) < 0)
		return 0; /* each command says what is missing */
	if (geteuid() == 0 && st.st_uid != 0 && become(st.st_uid, st.st_gid) < 0)
		return -1;
	return secure_state();
}

int open_db(sqlite3 **db, unsigned flags)
{
	char err[512];
	struct stat st;
	if (stat(cfg.state_dir, &st) < 0) {
		fail("no state directory %s: run 'mcpauth init' first", cfg.state_dir);
		return -1;
	}
	if (userdb_open_ex(db, cfg.db_file, cfg.state_dir, flags, err, sizeof err) < 0) {
		fail("%s", err);
		return -1;
	}
	return 0;
}

int find_user(sqlite3 *db, const char *email, struct user *u)
{
	int rc = userdb_find_by_email(db, email, u);
	if (rc == USERDB_NOT_FOUND) {
		fail("no user with email %s", email);
		return EX_NOUSER;
	}
	if (rc != USERDB_OK) {
		fail("cannot read the users: %s", sqlite3_errmsg(db));
		return EX_ERROR;
	}
	return EX_OK;
}

static int write_status(sqlite3 *db, int rc, const char *email)
{
	if (rc == USERDB_OK)
		return EX_OK;
	if (rc == USERDB_NOT_FOUND) {
		fail("no user with email %s", email);
		return EX_NOUSER;
	}
	if (rc == USERDB_CONFLICT) {
		fail("the email %s is already in use", email);
		return EX_EXISTS;
	}
	fail("cannot write the users: %s", sqlite3_errmsg(db));
	return EX_ERROR;
}

/* ---- passwords ------------------------------------------------------------- */

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
static long read_line(int fd, char *buf, size_t size)
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

static char *new_password_hash(void)
{
	char *pw = read_password();
	if (!pw)
		return NULL;
	char *hash = password_hash(pw);
	secure_free(pw, PASSWORD_MAX_LEN + 2);
	if (!hash)
		fail("cannot hash the password");
	return hash;
}

/* ---- permissions ----------------------------------------------------------- */

/* Checks names with the API's own rule, joined by spaces into *out. */
static int check_permissions(json_object *arr, char **out)
{
	static const struct field rule = FIELD_PERMISSIONS(FIELD_REQUIRED, NULL);
	char msg[FIELD_MSG_MAX];
	*out = NULL;
	if (!field_check(&rule, arr, msg, sizeof msg)) {
		fail("%s", msg);
		return 0;
	}
	*out = field_join(arr);
	return 1;
}

static int has_word(json_object *arr, const char *w)
{
	size_t n = json_object_array_length(arr);
	for (size_t i = 0; i < n; i++)
		if (strcmp(json_object_get_string(json_object_array_get_idx(arr, i)), w) == 0)
			return 1;
	return 0;
}

/* ---- commands ---------------------------------------------------------------- */

static int cmd_init(int argc, char **argv)
{
	struct opt o[] = {{"--user", 1, NULL}, {"--demo-users", 0, NULL}};
	if (parse_opts(argc, argv, o, 2) != 0) {
		fail("usage: mcpauth init [--user USER] [--demo-users]");
		return EX_USAGE;
	}
	struct passwd *pw = NULL;
	if (o[0].value) {
		if (geteuid() != 0) {
			fail("--user needs root (the state directory is given to that user)");
			return EX_USAGE;
		}
		pw = getpwnam(o[0].value);
		if (!pw) {
			fail("no such user: %s", o[0].value);
			return EX_USAGE;
		}
	}
	if (mkdir(cfg.state_dir, 0700) < 0 && errno != EEXIST) {
		fail("cannot create %s: %s", cfg.state_dir, strerror(errno));
		return EX_ERROR;
	}
	if (pw) {
		if (chown(cfg.state_dir, pw->pw_uid, pw->pw_gid) < 0 || chmod(cfg.state_dir, 0700) < 0) {
			fail("cannot give %s to %s: %s", cfg.state_dir, o[0].value, strerror(errno));
			return EX_ERROR;
		}
		if (become(pw->pw_uid, pw->pw_gid) < 0 || secure_state() < 0)
			return EX_ERROR;
	} else if (act_as_owner() < 0) {
		return EX_ERROR;
	}
	char err[512];
	if (config_local_issuer(&cfg) && issuer_ensure_keys(cfg.state_dir, cfg.jwks_file, err, sizeof err) < 0) {
		fail("%s", err);
		return EX_ERROR;
	}
	sqlite3 *db;
	if (open_db(&db, o[1].value ? USERDB_DEMO : 0) < 0)
		return EX_ERROR;
	struct user u;
	int demo = userdb_find_by_email(db, "admin@example.com", &u) == USERDB_OK;
	if (demo)
		user_free(&u);
	userdb_close(db);
	printf("state directory %s is ready\n", cfg.state_dir);
	if (config_local_issuer(&cfg)) {
		struct issuer is;
		if (issuer_load(&is, cfg.state_dir, err, sizeof err) == 0) {
			printf("signing key kid %s\n", is.kid);
			issuer_free(&is);
		}
	}
	if (demo && !o[1].value)
		fprintf(stderr, "%s: warning: the demo users (admin@example.com...) exist with their known "
				"passwords; remove them with 'mcpauth user del EMAIL'\n", prog);
	return EX_OK;
}

static int cmd_user_add(int argc, char **argv)
{
	struct opt o[] = {{"--name", 1, NULL}, {"--permissions", 1, NULL}, {"--scope", 1, NULL},
			  {"--no-password", 0, NULL}};
	if (parse_opts(argc, argv, o, 4) != 1) {
		fail("usage: mcpauth user add EMAIL [--name NAME] [--permissions 'P ...'] [--scope 'S ...'] [--no-password]");
		return EX_USAGE;
	}
	const char *email = argv[0];
	const char *name = o[0].value;
	if (!strchr(email, '@') || strlen(email) > FIELD_MAX_LEN) {
		fail("'%s' is not an email address of at most %d bytes", email, FIELD_MAX_LEN);
		return EX_USAGE;
	}
	char *local = ck_strndup(email, (size_t)(strchr(email, '@') - email));
	if (!name || !*name)
		name = local;
	if (strlen(name) > FIELD_MAX_LEN || (o[2].value && strlen(o[2].value) > FIELD_MAX_LEN)) {
		fail("name and scope are at most %d bytes", FIELD_MAX_LEN);
		free(local);
		return EX_USAGE;
	}
	char *perms = NULL;
	json_object *arr = json_word_array(o[1].value ? o[1].value : "");
	int ok = check_permissions(arr, &perms);
	json_object_put(arr);
	if (!ok) {
		free(local);
		return EX_USAGE;
	}
	sqlite3 *db = NULL;
	char *hash = NULL;
	int rc = EX_ERROR;
	if (act_as_owner() < 0 || open_db(&db, 0) < 0)
		goto done;
	struct user existing;
	if (userdb_find_by_email(db, email, &existing) == USERDB_OK) {
		user_free(&existing);
		rc = write_status(db, USERDB_CONFLICT, email);
		goto done;
	}
	if (!o[3].value && !(hash = new_password_hash()))
		goto done;
	unsigned char rnd[6];
	RAND_bytes(rnd, sizeof rnd);
	char sub[32], created[32];
	snprintf(sub, sizeof sub, "auth0|%02x%02x%02x%02x%02x%02x", rnd[0], rnd[1], rnd[2], rnd[3], rnd[4],
		 rnd[5]);
	now_iso8601(created);
	struct user u = {.sub = sub, .email = (char *)email, .name = (char *)name, .password_hash = hash,
			 .permissions = perms, .scope = (char *)o[2].value, .created_at = created};
	rc = write_status(db, userdb_create(db, &u), email);
	if (rc == EX_OK)
		printf("%s\n", sub);
done:
	if (hash)
		secure_free(hash, strlen(hash));
	free(perms);
	free(local);
	userdb_close(db);
	return rc;
}

static int cmd_user_del(int argc, char **argv)
{
	if (parse_opts(argc, argv, NULL, 0) != 1) {
		fail("usage: mcpauth user del EMAIL");
		return EX_USAGE;
	}
	sqlite3 *db;
	if (act_as_owner() < 0 || open_db(&db, 0) < 0)
		return EX_ERROR;
	struct user u;
	int rc = find_user(db, argv[0], &u);
	if (rc == EX_OK) {
		rc = write_status(db, userdb_delete(db, u.sub), argv[0]);
		user_free(&u);
	}
	userdb_close(db);
	return rc;
}

static void print_user(const struct user *u, void *arg)
{
	if (arg) {
		json_object_array_add(arg, user_json(u, USER_JSON_PERMISSIONS | USER_JSON_SCOPE |
							    USER_JSON_VERIFIED | USER_JSON_CREATED));
		return;
	}
	printf("%s\t%s\t%s\t%s\n", u->sub, u->email, u->name, u->permissions);
}

static int cmd_users(int argc, char **argv)
{
	struct opt o[] = {{"--json", 0, NULL}};
	if (parse_opts(argc, argv, o, 1) != 0) {
		fail("usage: mcpauth users [--json]");
		return EX_USAGE;
	}
	sqlite3 *db;
	if (act_as_owner() < 0 || open_db(&db, 0) < 0)
		return EX_ERROR;
	json_object *arr = o[0].value ? json_object_new_array() : NULL;
	int rc = userdb_each(db, print_user, arr);
	if (rc != USERDB_OK)
		fail("cannot read the users: %s", sqlite3_errmsg(db));
	else if (arr)
		printf("%s\n", json_object_to_json_string_ext(arr, JSON_C_TO_STRING_PRETTY |
								   JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(arr);
	userdb_close(db);
	return rc == USERDB_OK ? EX_OK : EX_ERROR;
}

static void print_client(const struct oauth_client *c, void *arg)
{
	(void)arg;
	struct sbuf uris = {0};
	sbuf_adds(&uris, "");
	for (size_t i = 0; i < c->nredirect_uris; i++) {
		if (i)
			sbuf_adds(&uris, " ");
		sbuf_adds(&uris, c->redirect_uris[i]);
	}
	printf("%s\t%s\t%lld\t%s\t%s\n", c->client_id, oauthclient_auth_name(c->auth),
	       (long long)c->issued_at, c->client_name, uris.p);
	sbuf_free(&uris);
}

static int cmd_client_list(int argc, char **argv)
{
	if (parse_opts(argc, argv, NULL, 0) != 0) {
		fail("usage: mcpauth client list");
		return EX_USAGE;
	}
	sqlite3 *db;
	if (act_as_owner() < 0 || open_db(&db, 0) < 0)
		return EX_ERROR;
	int rc = oauthclient_each(db, print_client, NULL);
	if (rc < 0)
		fail("cannot read the clients: %s", sqlite3_errmsg(db));
	userdb_close(db);
	return rc < 0 ? EX_ERROR : EX_OK;
}

static int cmd_client_delete(int argc, char **argv)
{
	if (parse_opts(argc, argv, NULL, 0) != 1) {
		fail("usage: mcpauth client delete CLIENT_ID");
		return EX_USAGE;
	}
	sqlite3 *db;
	if (act_as_owner() < 0 || open_db(&db, 0) < 0)
		return EX_ERROR;
	enum oauthclient_status st = oauthclient_delete(db, argv[0]);
	if (st == OAUTHCLIENT_NOT_FOUND)
		fail("no registered client %s", argv[0]);
	else if (st != OAUTHCLIENT_OK)
		fail("cannot delete the client: %s", sqlite3_errmsg(db));
	userdb_close(db);
	return st == OAUTHCLIENT_OK ? EX_OK : st == OAUTHCLIENT_NOT_FOUND ? EX_NOUSER : EX_ERROR;
}

static int cmd_passwd(int argc, char **argv)
{
	struct opt o[] = {{"--none", 0, NULL}};
	if (parse_opts(argc, argv, o, 1) != 1) {
		fail("usage: mcpauth passwd EMAIL [--none]   (the password is read from the terminal or stdin)");
		return EX_USAGE;
	}
	sqlite3 *db;
	if (act_as_owner() < 0 || open_db(&db, 0) < 0)
		return EX_ERROR;
	struct user u;
	int rc = find_user(db, argv[0], &u);
	if (rc == EX_OK) {
		char *hash = o[0].value ? NULL : new_password_hash();
		if (hash || o[0].value)
			rc = write_status(db, userdb_set_password(db, u.sub, hash), argv[0]);
		else
			rc = EX_ERROR;
		if (hash)
			secure_free(hash, strlen(hash));
		user_free(&u);
	}
	userdb_close(db);
	return rc;
}

static int change_permissions(int argc, char **argv, int grant)
{
	const char *usage = grant ? "usage: mcpauth grant EMAIL PERMISSION..."
				  : "usage: mcpauth revoke EMAIL PERMISSION...";
	int n = parse_opts(argc, argv, NULL, 0);
	if (n < 2) {
		fail("%s", usage);
		return EX_USAGE;
	}
	json_object *named = json_object_new_array();
	for (int i = 1; i < n; i++)
		json_object_array_add(named, json_object_new_string(argv[i]));
	char *checked = NULL;
	int ok = check_permissions(named, &checked);
	free(checked);
	if (!ok) {
		json_object_put(named);
		return EX_USAGE;
	}
	sqlite3 *db = NULL;
	int rc = EX_ERROR;
	if (act_as_owner() < 0 || open_db(&db, 0) < 0)
		goto done;
	struct user u;
	rc = find_user(db, argv[0], &u);
	if (rc != EX_OK)
		goto done;
	json_object *have = json_word_array(u.permissions), *next = json_object_new_array();
	size_t nh = json_object_array_length(have);
	for (size_t i = 0; i < nh; i++) {
		const char *p = json_object_get_string(json_object_array_get_idx(have, i));
		if (grant || !has_word(named, p))
			json_object_array_add(next, json_object_new_string(p));
	}
	for (int i = 1; grant && i < n; i++)
		if (!has_word(next, argv[i]))
			json_object_array_add(next, json_object_new_string(argv[i]));
	char *joined = NULL;
	if (check_permissions(next, &joined)) {
		rc = write_status(db, userdb_set_permissions(db, u.sub, joined), argv[0]);
		if (rc == EX_OK)
			printf("%s\n", joined);
	} else {
		rc = EX_USAGE; /* over the API's limit on the number of permissions */
	}
	free(joined);
	json_object_put(have);
	json_object_put(next);
	user_free(&u);
done:
	json_object_put(named);
	userdb_close(db);
	return rc;
}

static int cmd_grant(int argc, char **argv)
{
	return change_permissions(argc, argv, 1);
}

static int cmd_revoke(int argc, char **argv)
{
	return change_permissions(argc, argv, 0);
}

static int need_local_issuer(void)
{
	if (config_local_issuer(&cfg))
		return 0;
	fail("AUTH0_DOMAIN is set: the keys are the Auth0 tenant's, not ours");
	return -1;
}

static int cmd_rotate_key(int argc, char **argv)
{
	struct opt o[] = {{"--keep", 1, NULL}};
	long keep = DEFAULT_KEEP;
	if (parse_opts(argc, argv, o, 1) != 0 || (o[0].value && parse_seconds(o[0].value, 0, 366L * 86400, &keep) < 0)) {
		fail("usage: mcpauth rotate-key [--keep SECONDS]");
		return EX_USAGE;
	}
	if (need_local_issuer() < 0)
		return EX_USAGE;
	struct stat st;
	char err[512], *kid = NULL;
	if (act_as_owner() < 0)
		return EX_ERROR;
	if (stat(cfg.state_dir, &st) < 0) {
		fail("no state directory %s: run 'mcpauth init' first", cfg.state_dir);
		return EX_ERROR;
	}
	if (issuer_rotate(cfg.state_dir, cfg.jwks_file, time(NULL), keep, &kid, err, sizeof err) < 0) {
		fail("%s", err);
		return EX_ERROR;
	}
	printf("%s\n", kid);
	if (keep == 0)
		fprintf(stderr, "%s: new signing key %s; the old one is dropped: its tokens are refused.\n",
			prog, kid);
	else
		fprintf(stderr, "%s: new signing key %s; the old one stays published for %ld s.\n", prog, kid,
			keep);
	fprintf(stderr, "Restart the programs now (apachectl graceful, systemctl reload lighttpd, or\n"
			"systemctl restart 'mcpauth@*.service'): running ones keep the keys they loaded.\n");
	free(kid);
	return EX_OK;
}

static int cmd_keys(int argc, char **argv)
{
	if (parse_opts(argc, argv, NULL, 0) != 0) {
		fail("usage: mcpauth keys");
		return EX_USAGE;
	}
	if (act_as_owner() < 0)
		return EX_ERROR;
	char err[512];
	struct jwks set;
	if (jwks_load_file(&set, cfg.jwks_file, err, sizeof err) < 0) {
		fail("%s", err);
		return EX_ERROR;
	}
	struct issuer is = {0};
	int signing = config_local_issuer(&cfg) && issuer_load(&is, cfg.state_dir, err, sizeof err) == 0;
	time_t now = time(NULL);
	for (size_t i = 0; i < set.nkeys; i++) {
		const struct jwks_key *k = &set.keys[i];
		if (signing && strcmp(k->kid, is.kid) == 0)
			printf("%s\tsigning\n", k->kid);
		else if (jwks_key_retired(k, now))
			printf("%s\tretired at %lld, neither trusted nor published\n", k->kid, k->retire_at);
		else if (k->retire_at)
			printf("%s\tretired, published until %lld\n", k->kid, k->retire_at);
		else
			printf("%s\tpublished\n", k->kid);
	}
	issuer_free(&is);
	jwks_free(&set);
	return EX_OK;
}

static int cmd_mint(int argc, char **argv)
{
	struct opt o[] = {{"--ttl", 1, NULL}};
	long ttl = cfg.token_ttl;
	if (parse_opts(argc, argv, o, 1) != 1 || (o[0].value && parse_seconds(o[0].value, 1, 86400, &ttl) < 0)) {
		fail("usage: mcpauth mint EMAIL [--ttl SECONDS]   (1 to 86400)");
		return EX_USAGE;
	}
	if (need_local_issuer() < 0)
		return EX_USAGE;
	sqlite3 *db;
	if (act_as_owner() < 0 || open_db(&db, 0) < 0)
		return EX_ERROR;
	struct user u;
	int rc = find_user(db, argv[0], &u);
	userdb_close(db);
	if (rc != EX_OK)
		return rc;
	char err[512];
	struct issuer is;
	if (issuer_load(&is, cfg.state_dir, err, sizeof err) < 0) {
		fail("%s", err);
		user_free(&u);
		return EX_ERROR;
	}
	json_object *claims = issuer_access_claims(cfg.issuer, cfg.audience, &u, time(NULL), ttl);
	char *token = issuer_sign(&is, claims);
	json_object_put(claims);
	issuer_free(&is);
	user_free(&u);
	if (!token) {
		fail("cannot sign the token");
		return EX_ERROR;
	}
	printf("%s\n", token);
	secure_free(token, strlen(token));
	return EX_OK;
}

/* A part of a compact JWS, decoded for display only: nothing is trusted. */
static json_object *decode_segment(const char *s, size_t n)
{
	unsigned char *raw;
	size_t len;
	if (n == 0 || b64url_decode(s, n, &raw, &len) < 0)
		return NULL;
	json_object *o = token_json_parse((const char *)raw, len);
	free(raw);
	return o;
}

/* The server accepts aud = one of its resource URLs for the Host a request
 * names; offline, any host it answers for (MCPAUTH_ALLOWED_HOSTS, or the
 * loopback names) stands for that request. */
static int resource_for_its_host(const void *arg, const char *aud)
{
	int https = strncmp(aud, "https://", 8) == 0;
	if (!https && strncmp(aud, "http://", 7) != 0)
		return 0;
	const char *host = aud + (https ? 8 : 7);
	char *h = ck_strndup(host, strcspn(host, "/"));
	int ok = config_resource_ok(arg, aud, h, NULL, https);
	free(h);
	return ok;
}

static int cmd_verify(int argc, char **argv)
{
	int n = parse_opts(argc, argv, NULL, 0);
	if (n > 1) {
		fail("usage: mcpauth verify [TOKEN | -]   (without TOKEN, or with -, it is read from stdin)");
		return EX_USAGE;
	}
	char *buf = NULL;
	const char *token;
	if (n == 1 && strcmp(argv[0], "-") != 0) {
		token = argv[0];
	} else {
		buf = ck_malloc(TOKEN_MAX_LEN * 4);
		long len = read_line(STDIN_FILENO, buf, TOKEN_MAX_LEN * 4);
		if (len <= 0) {
			fail("no token on stdin");
			free(buf);
			return EX_USAGE;
		}
		token = buf;
	}
	/* "Bearer <token>" as copied from a header is fine too. */
	const char *t;
	size_t tlen;
	if (token_from_header(token, &t, &tlen) != TOKEN_OK) {
		t = token;
		tlen = strlen(token);
	}
	const char *dot1 = memchr(t, '.', tlen), *dot2 = dot1 ? memchr(dot1 + 1, '.', tlen - (size_t)(dot1 + 1 - t)) : NULL;
	json_object *header = dot1 ? decode_segment(t, (size_t)(dot1 - t)) : NULL;
	json_object *claims = dot2 ? decode_segment(dot1 + 1, (size_t)(dot2 - dot1 - 1)) : NULL;
	int flags = JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_NOSLASHESCAPE;
	printf("header: %s\n", header ? json_object_to_json_string_ext(header, flags) : "(not decodable)");
	printf("claims: %s\n", claims ? json_object_to_json_string_ext(claims, flags) : "(not decodable)");
	json_object_put(header);
	json_object_put(claims);

	char err[512];
	struct jwks keys;
	if (jwks_load_file(&keys, cfg.jwks_file, err, sizeof err) < 0) {
		fail("%s", err);
		if (buf)
			secure_free(buf, TOKEN_MAX_LEN * 4);
		return EX_ERROR;
	}
	struct token_verifier v = {.keys = &keys,
				   .issuer = cfg.issuer,
				   .audience = cfg.audience,
				   .leeway = cfg.leeway,
				   .resource_ok = resource_for_its_host,
				   .resource_arg = &cfg};
	struct principal p;
	const char *reason = NULL;
	time_t now = time(NULL);
	enum token_status st = token_verify(&v, t, tlen, now, &p, &reason);
	int rc;
	if (st == TOKEN_OK) {
		printf("valid: sub %s, expires in %.0f s\n", p.sub, p.exp - (double)now);
		principal_free(&p);
		rc = EX_OK;
	} else if (st == TOKEN_EXPIRED) {
		printf("expired: %s (the leeway is %ld s)\n", reason, cfg.leeway);
		rc = EX_EXPIRED;
	} else {
		printf("invalid: %s\n", reason ? reason : "not a token");
		rc = EX_REJECTED;
	}
	jwks_free(&keys);
	if (buf)
		secure_free(buf, TOKEN_MAX_LEN * 4);
	return rc;
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
	{"user add", cmd_user_add, "user add EMAIL [--name NAME] [--permissions 'P ...'] [--scope 'S ...'] [--no-password]",
	 "Adds a user and prints its id (auth0|<12 hex>). The password is read from the\n"
	 "terminal (twice, echo off) or from the first line of stdin; --no-password makes\n"
	 "a user who cannot log in. The name defaults to the part of EMAIL before '@', the\n"
	 "scope to 'openid profile email'. Exit 4 if the email is taken.\n"},
	{"user del", cmd_user_del, "user del EMAIL", "Removes a user. Exit 3 if there is none with that email.\n"},
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
	 "systemctl reload lighttpd; systemctl restart 'mcpauth@*.service').\n"},
	{"keys", cmd_keys, "keys",
	 "Lists the keys of jwks.json: the signing one, retired ones with the unix time\n"
	 "until which they stay published and trusted, and those past it.\n"},
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
	int rc = c->run(argc, argv);
	config_free(&cfg);
	return rc;
}
