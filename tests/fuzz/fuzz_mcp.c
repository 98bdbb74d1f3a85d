/* Fuzz target: a POST to the mcp program, as the FastCGI adapter hands it
 * over, without FastCGI: the body through http_body_parse, then
 * app_handle over the mcp group, so /mcp (JSON-RPC: initialize,
 * tools/list, tools/call with arguments) and /mcp/invoke run every route
 * in process, with a real SQLite store and real tokens. The first byte of
 * an input picks the endpoint, the caller's token and the transport
 * headers; the rest is the body. */
#define _XOPEN_SOURCE 700 /* nftw */
#include "fuzz.h"
#include "fuzz_state.h"
#include "app.h"
#include "http.h"
#include "jsonscan.h"
#include "routes.h"
#include "util.h"

#include <json-c/json.h>
#include <string.h>
#include <unistd.h>

static char *tokens[4]; /* none, user, admin, an expired one */
static const struct route_group *const serve[] = {&mcp_group};

static void cleanup(void)
{
	app_free();
	fuzz_state_remove();
	for (int i = 0; i < 4; i++)
		free(tokens[i]);
}

static char *sign_for(const char *sub, const char *perms, long exp_in)
{
	json_object *c = json_object_new_object();
	time_t now = time(NULL);
	json_object_object_add(c, "iss", json_object_new_string(app.config.issuer));
	json_object_object_add(c, "sub", json_object_new_string(sub));
	json_object_object_add(c, "aud", json_object_new_string(app.config.audience));
	json_object_object_add(c, "iat", json_object_new_int64(now - 60));
	json_object_object_add(c, "exp", json_object_new_int64(now + exp_in));
	json_object_object_add(c, "permissions", json_word_array(perms));
	json_object_object_add(c, "scope", json_object_new_string("openid profile email"));
	char *t = issuer_sign(&app.issuer, c);
	json_object_put(c);
	if (!t) {
		fprintf(stderr, "fuzz_mcp: cannot sign a token\n");
		exit(1);
	}
	return t;
}

/* Strict JSON, as http_body_parse checks a body, but without the 64 KiB
 * cap of a request body: an answer may be longer (a user list grows with
 * every user the fuzzer creates). */
static int strict_json(const char *text)
{
	size_t len = strlen(text);
	if (jsonscan_check(text, len, 64) != JSONSCAN_OK)
		return 0;
	json_tokener *tok = json_tokener_new_ex(64);
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT | JSON_TOKENER_VALIDATE_UTF8);
	json_object *o = json_tokener_parse_ex(tok, text, (int)len);
	int ok = o && json_tokener_get_error(tok) == json_tokener_success &&
		 json_tokener_get_parse_end(tok) == len;
	json_object_put(o);
	json_tokener_free(tok);
	return ok;
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	fuzz_state_make("fuzz_mcp");
	setenv("MCPAUTH_ALLOWED_ORIGINS", "https://app.example.com", 1);
	char err[512];
	if (app_init("mcp", route_groups, route_ngroups, GROUP_SIGNS, err, sizeof err) < 0) {
		fprintf(stderr, "fuzz_mcp: %s\n", err);
		exit(1);
	}
	atexit(cleanup);
	tokens[1] = sign_for("auth0|user123", "read:profile write:profile", 86400);
	tokens[2] =
	    sign_for("auth0|admin456", "read:profile write:profile read:users write:users admin:all", 86400);
	tokens[3] = sign_for("auth0|user123", "read:profile", -3600);
	for (int i = 1; i < 4; i++) {
		char *h = ck_asprintf("Bearer %s", tokens[i]);
		free(tokens[i]);
		tokens[i] = h;
	}
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size == 0)
		return 0;
	unsigned sel = data[0];
	data++;
	size--;
	if (size > HTTP_MAX_BODY)
		return 0;
	struct request req = {0};
	struct response resp;
	response_init(&resp);
	static const char *const paths[] = {"/mcp", "/mcp/invoke", "/mcp", "/mcp/tools"};
	req.method = (sel & 3) == 3 ? "GET" : "POST";
	req.path = ck_strdup(paths[sel & 3]);
	req.query = ck_strdup("");
	req.authorization = tokens[(sel >> 2) & 3];
	req.content_type = (sel & 16) ? "text/plain" : "application/json";
	req.accept = (sel & 32) ? "text/event-stream;q=0" : "application/json, text/event-stream";
	req.origin = (sel & 64) ? "https://evil.example.com" : NULL;
	/* Both eras: the size's low bits pick 2026-07-28 and its mirrored headers. */
	req.protocol_version = (sel & 128) ? ((size & 1) ? "2026-07-28" : "2025-06-18") : NULL;
	req.mcp_method = (size & 2) ? "tools/call" : NULL;
	req.mcp_name = (size & 4) ? "=?base64?Z2V0X3Jvb3Q=?=" : NULL;
	req.host = "127.0.0.1:3009";
	req.remote_addr = "127.0.0.1";
	/* An exact-size, NUL-terminated copy, as the adapter's buffer is. */
	char *buf = ck_malloc(size + 1);
	memcpy(buf, data, size);
	buf[size] = '\0';
	if (size > 0) {
		req.body_raw = buf;
		req.body_len = size;
		req.body = http_body_parse(buf, size);
		req.body_invalid = req.body == NULL;
	}
	app_handle(serve, 1, &req, &resp);

	FUZZ_CHECK(resp.status >= 200 && resp.status <= 599, "status out of range");
	FUZZ_CHECK(resp.status != 500, "500 Internal error");
	if (resp.status == 401)
		FUZZ_CHECK(response_get_header(&resp, "WWW-Authenticate") != NULL, "401 without a challenge");
	if (resp.body) {
		const char *text = json_text(resp.body);
		FUZZ_CHECK(text != NULL, "an answer that does not serialize");
		FUZZ_CHECK(strict_json(text), "an answer that is not strict JSON");
		/* No token of the caller's ever goes back to them. */
		for (int i = 1; i < 4; i++)
			FUZZ_CHECK(!strstr(text, tokens[i] + 7), "a token in the answer");
	}
	response_free(&resp);
	request_free(&req);
	free(buf);
	return 0;
}
