/* mcpauth user add/del, users, passwd, grant, revoke: the users and
 * their permissions. */
#include "field.h"
#include "http.h"
#include "mcpauth.h"
#include "mfastore.h"
#include "password.h"
#include "userdb.h"
#include "userjson.h"
#include "util.h"

#include <openssl/rand.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

int cmd_user_add(int argc, char **argv)
{
	struct opt o[] = {{"--name", 1, NULL},
			  {"--permissions", 1, NULL},
			  {"--scope", 1, NULL},
			  {"--no-password", 0, NULL}};
	if (parse_opts(argc, argv, o, 4) != 1) {
		fail("usage: mcpauth user add EMAIL [--name NAME] [--permissions 'P ...'] [--scope 'S ...'] "
		     "[--no-password]");
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
	struct db *db = NULL;
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
	if (!o[3].value && !(hash = new_password_hash(email)))
		goto done;
	unsigned char rnd[6];
	RAND_bytes(rnd, sizeof rnd);
	char sub[32], created[32];
	snprintf(sub, sizeof sub, "auth0|%02x%02x%02x%02x%02x%02x", rnd[0], rnd[1], rnd[2], rnd[3], rnd[4],
		 rnd[5]);
	now_iso8601(created);
	struct user u = {.sub = sub,
			 .email = (char *)email,
			 .name = (char *)name,
			 .password_hash = hash,
			 .permissions = perms,
			 .scope = (char *)o[2].value,
			 .created_at = created};
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

int cmd_user_del(int argc, char **argv)
{
	if (parse_opts(argc, argv, NULL, 0) != 1) {
		fail("usage: mcpauth user del EMAIL");
		return EX_USAGE;
	}
	struct db *db;
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

int cmd_user_mfa(int argc, char **argv)
{
	if (parse_opts(argc, argv, NULL, 0) != 2 || strcmp(argv[0], "reset") != 0) {
		fail("usage: mcpauth user mfa reset EMAIL");
		return EX_USAGE;
	}
	struct db *db;
	if (act_as_owner() < 0 || open_db(&db, 0) < 0)
		return EX_ERROR;
	struct user u;
	int rc = find_user(db, argv[1], &u);
	if (rc == EX_OK) {
		enum mfa_status st = mfastore_reset(db, u.sub);
		if (st == MFA_ERROR) {
			fail("cannot reset the second factor: %s", db_errmsg(db));
			rc = EX_ERROR;
		} else {
			printf("%s: %s\n", u.email,
			       st == MFA_OK
				   ? "two-factor login is off; the next login asks for the password only"
				   : "had no two-factor login");
		}
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

int cmd_users(int argc, char **argv)
{
	struct opt o[] = {{"--json", 0, NULL}};
	if (parse_opts(argc, argv, o, 1) != 0) {
		fail("usage: mcpauth users [--json]");
		return EX_USAGE;
	}
	struct db *db;
	if (act_as_owner() < 0 || open_db(&db, 0) < 0)
		return EX_ERROR;
	json_object *arr = o[0].value ? json_object_new_array() : NULL;
	int rc = userdb_each(db, print_user, arr);
	if (rc != USERDB_OK)
		fail("cannot read the users: %s", db_errmsg(db));
	else if (arr)
		printf("%s\n", json_object_to_json_string_ext(arr, JSON_C_TO_STRING_PRETTY |
								       JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(arr);
	userdb_close(db);
	return rc == USERDB_OK ? EX_OK : EX_ERROR;
}

int cmd_passwd(int argc, char **argv)
{
	struct opt o[] = {{"--none", 0, NULL}};
	if (parse_opts(argc, argv, o, 1) != 1) {
		fail("usage: mcpauth passwd EMAIL [--none]   (the password is read from the terminal or "
		     "stdin)");
		return EX_USAGE;
	}
	struct db *db;
	if (act_as_owner() < 0 || open_db(&db, 0) < 0)
		return EX_ERROR;
	struct user u;
	int rc = find_user(db, argv[0], &u);
	if (rc == EX_OK) {
		char *hash = o[0].value ? NULL : new_password_hash(u.email);
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
	const char *usage =
	    grant ? "usage: mcpauth grant EMAIL PERMISSION..." : "usage: mcpauth revoke EMAIL PERMISSION...";
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
	struct db *db = NULL;
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

int cmd_grant(int argc, char **argv)
{
	return change_permissions(argc, argv, 1);
}

int cmd_revoke(int argc, char **argv)
{
	return change_permissions(argc, argv, 0);
}
