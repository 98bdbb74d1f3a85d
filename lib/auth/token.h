/* token: RS256 access-token verification with OpenSSL, and the verified
 * principal it yields. The algorithm is pinned before a key is chosen. */
#ifndef MCPAUTH_TOKEN_H
#define MCPAUTH_TOKEN_H

#include <json-c/json.h>
#include <stddef.h>
#include <time.h>

#include "jwks.h"

#define TOKEN_MAX_LEN 8192

enum token_status {
	TOKEN_OK = 0,
	TOKEN_MISSING,	   /* no Authorization header, or not a Bearer token */
	TOKEN_INVALID,	   /* any failed check */
	TOKEN_EXPIRED,	   /* well signed, exp passed */
	TOKEN_UNAVAILABLE, /* well formed, but no key is known yet to check it with */
};

/* Why token_verify (or the guard around it) refused a token. The strings
 * are a public contract: the audit log's token_rejected reason, the last
 * line of `mcpauth verify` and tests/attack/cases read them. Append new
 * reasons; never reword one. */
enum token_failure {
	TOKEN_FAIL_NONE = 0,
	TOKEN_FAIL_NO_BEARER,
	TOKEN_FAIL_EMPTY,
	TOKEN_FAIL_TOO_LONG,
	TOKEN_FAIL_SEGMENTS,
	TOKEN_FAIL_NO_SIGNATURE,
	TOKEN_FAIL_HEADER_BASE64,
	TOKEN_FAIL_HEADER_JSON,
	TOKEN_FAIL_HEADER_OBJECT,
	TOKEN_FAIL_HEADER_DEEP,
	TOKEN_FAIL_HEADER_UTF8,
	TOKEN_FAIL_HEADER_DUPLICATE,
	TOKEN_FAIL_HEADER_NUL,
	TOKEN_FAIL_ALG,
	TOKEN_FAIL_CRIT,
	TOKEN_FAIL_KID,
	TOKEN_FAIL_NO_KEY_YET,
	TOKEN_FAIL_UNKNOWN_KID,
	TOKEN_FAIL_KEY_RETIRED,
	TOKEN_FAIL_SIGNATURE,
	TOKEN_FAIL_PAYLOAD_BASE64,
	TOKEN_FAIL_PAYLOAD_JSON,
	TOKEN_FAIL_PAYLOAD_OBJECT,
	TOKEN_FAIL_PAYLOAD_DEEP,
	TOKEN_FAIL_PAYLOAD_UTF8,
	TOKEN_FAIL_PAYLOAD_DUPLICATE,
	TOKEN_FAIL_PAYLOAD_NUL,
	TOKEN_FAIL_ISS,
	TOKEN_FAIL_AUD,
	TOKEN_FAIL_EXP,
	TOKEN_FAIL_EXP_FAR,
	TOKEN_FAIL_NBF,
	TOKEN_FAIL_IAT,
	TOKEN_FAIL_SUB,
	TOKEN_FAIL_PERMISSIONS,
	TOKEN_FAIL_SCOPE,
	TOKEN_FAIL_EXPIRED,
	TOKEN_FAIL_GRANT_REVOKED,
	TOKEN_FAIL_COUNT
};

/* The reason's fixed text ("wrong aud"); "ok" for TOKEN_FAIL_NONE. */
const char *token_strerror(enum token_failure why);

struct token_verifier {
	const struct jwks *keys;
	const char *issuer;
	const char *audience;
	long leeway;
	const char *claim_namespace; /* email and name may come as <ns>email, <ns>name; may be NULL */
	/* Called once for a kid that keys does not hold; returns 1 when it
	 * does now. May be NULL (a fixed key set). */
	int (*unknown_kid)(void *arg, const char *kid, time_t now);
	void *unknown_kid_arg;
	/* aud may hold, instead of audience, a value this accepts (the suite's
	 * own resource URLs, which depend on the request resource_arg points
	 * to). May be NULL: audience only. */
	int (*resource_ok)(const void *arg, const char *aud);
	const void *resource_arg;
};

struct principal {
	json_object *claims; /* owned; the strings below point into it */
	const char *sub;
	const char *email; /* NULL when the token has none */
	const char *name;
	json_object *fill;	  /* owned: email/name found elsewhere (the user store), or NULL */
	json_object *permissions; /* array of strings, or NULL when absent */
	const char *scope;	  /* NULL when the token has no scope claim */
	const char *grant_id;	  /* the local authorization server's grant (claim grant_id), or NULL */
	const char *client_id;	  /* RFC 9068 client_id: a token of the authorization flow; or NULL */
	const char *resource;	  /* the aud value resource_ok accepted; NULL when audience matched */
	int second_factor;	  /* 1 when the amr claim (RFC 8176) holds "otp" */
	double exp;
	double retire_at; /* the verifying key's retire time, 0 when none */
};

/* Extracts the token from an Authorization header value: scheme "Bearer"
 * matched case-insensitively, one or more spaces, then the token. */
enum token_status token_from_header(const char *authorization, const char **token, size_t *len);

/* Verifies a compact JWS at time now. On TOKEN_OK fills *p (free it with
 * principal_free). *why (may be NULL) says which check failed. */
enum token_status token_verify(const struct token_verifier *v, const char *token, size_t len, time_t now,
			       struct principal *p, enum token_failure *why);

/* Parses a JSON object strictly (UTF-8 checked, depth limited, no trailing
 * data, no duplicate member names, no \u0000). Returns NULL on anything else. */
json_object *token_json_parse(const char *text, size_t len);

/* Fills *p from claims token_verify accepted (p takes the reference). */
void token_principal(const struct token_verifier *v, json_object *claims, double exp, struct principal *p);

/* Frees the per-key verification contexts (at exit, or when keys change). */
void token_release_keys(void);

int principal_has_permission(const struct principal *p, const char *perm);
int principal_has_scope(const struct principal *p, const char *scope);
void principal_free(struct principal *p);

#endif
