#include "page.h"

#include <qrencode.h>
#include <stdlib.h>
#include <string.h>

void page_escape(struct sbuf *b, const char *s)
{
	for (; s && *s; s++) {
		switch (*s) {
		case '&':
			sbuf_adds(b, "&amp;");
			break;
		case '<':
			sbuf_adds(b, "&lt;");
			break;
		case '>':
			sbuf_adds(b, "&gt;");
			break;
		case '"':
			sbuf_adds(b, "&quot;");
			break;
		case '\'':
			sbuf_adds(b, "&#39;");
			break;
		default:
			sbuf_add(b, s, 1);
		}
	}
}

/* The CSP source of redirect_uri: its origin (http, https) or its scheme
 * (an app's own, "cursor:"); "" when it holds anything a policy could not. */
static void csp_source(struct sbuf *b, const char *uri)
{
	const char *colon = uri ? strchr(uri, ':') : NULL;
	if (!colon || colon == uri)
		return;
	size_t n = (size_t)(colon - uri) + 1;
	if ((n == 5 && strncmp(uri, "http:", 5) == 0) || (n == 6 && strncmp(uri, "https:", 6) == 0)) {
		if (strncmp(colon, "://", 3) != 0)
			return;
		n += 2 + strcspn(colon + 3, "/?#");
	}
	for (size_t i = 0; i < n; i++)
		if (!strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789+-.:/[]", uri[i]))
			return;
	sbuf_adds(b, " ");
	sbuf_add(b, uri, n);
}

void page_headers(struct response *resp, const char *redirect_uri)
{
	struct sbuf csp = {0};
	/* Chrome applies form-action to the redirect a form's answer makes, so
	 * the client's redirect target is allowed too. */
	sbuf_adds(&csp, "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'");
	csp_source(&csp, redirect_uri);
	sbuf_adds(&csp, "; frame-ancestors 'none'; base-uri 'none'");
	response_header_take(resp, "Content-Security-Policy", sbuf_take(&csp));
	response_header(resp, "X-Frame-Options", "DENY");
	response_header(resp, "Cache-Control", "no-store");
	response_header(resp, "Referrer-Policy", "no-referrer");
}

void page_begin(struct sbuf *b, const char *title)
{
	sbuf_adds(b, "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
		     "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"><title>");
	page_escape(b, title);
	sbuf_adds(b, " - mcpauth</title>\n<style>body{font-family:system-ui,sans-serif;max-width:32rem;"
		     "margin:3rem auto;padding:0 1rem;color:#222;line-height:1.4}label{display:block;"
		     "margin-top:1rem;font-weight:600}input{width:100%;padding:.5rem;box-sizing:border-box;"
		     "font:inherit}button{margin:1.5rem .5rem 0 0;padding:.6rem 1.4rem;font:inherit}"
		     "[role=alert]{color:#900;border:1px solid #900;padding:.5rem}code{word-break:break-all}"
		     "</style></head>\n<body><main>\n<h1>");
	page_escape(b, title);
	sbuf_adds(b, "</h1>\n");
}

void page_end(struct response *resp, int status, struct sbuf *b, const char *redirect_uri)
{
	sbuf_adds(b, "</main></body></html>\n");
	page_headers(resp, redirect_uri);
	response_text(resp, status, "text/html; charset=utf-8", sbuf_take(b));
}

static void client_line(struct sbuf *b, const struct page_flow *f, const char *what)
{
	sbuf_adds(b, "<p><strong>");
	page_escape(b, f->client_name);
	sbuf_adds(b, "</strong> (<code>");
	page_escape(b, f->client_id);
	sbuf_adds(b, "</code>) ");
	sbuf_adds(b, what);
	sbuf_adds(b, "</p>\n");
}

static void hidden(struct sbuf *b, const struct page_flow *f)
{
	page_csrf_field(b, f->csrf);
	sbuf_adds(b, "<input type=\"hidden\" name=\"request_id\" value=\"");
	page_escape(b, f->request_id);
	sbuf_adds(b, "\">\n");
}

void page_login(struct response *resp, int status, const struct page_flow *f, const char *email,
		const char *alert)
{
	struct sbuf b = {0};
	page_begin(&b, "Sign in");
	client_line(&b, f, "asks to use your account. Sign in to continue.");
	page_alert(&b, "alert", alert);
	sbuf_adds(&b, "<form method=\"post\" action=\"/authorize\">\n");
	hidden(&b, f);
	sbuf_adds(&b, "<label for=\"email\">Email</label>\n<input id=\"email\" name=\"email\" type=\"email\" "
		      "autocomplete=\"username\" required value=\"");
	page_escape(&b, email ? email : "");
	sbuf_adds(&b,
		  "\">\n<label for=\"password\">Password</label>\n<input id=\"password\" name=\"password\" "
		  "type=\"password\" autocomplete=\"current-password\" required>\n"
		  "<button type=\"submit\">Sign in</button>\n</form>\n");
	page_end(resp, status, &b, f->redirect_uri);
}

void page_alert(struct sbuf *b, const char *role, const char *text)
{
	if (!text)
		return;
	sbuf_adds(b, "<p role=\"");
	sbuf_adds(b, role);
	sbuf_adds(b, "\">");
	page_escape(b, text);
	sbuf_adds(b, "</p>\n");
}

/* The code field: digits from an authenticator, or a recovery code. */
static void code_input(struct sbuf *b)
{
	sbuf_adds(b, "<label for=\"otp\">Code from your authenticator app, or a recovery code</label>\n"
		     "<input id=\"otp\" name=\"otp\" type=\"text\" autocomplete=\"one-time-code\" "
		     "maxlength=\"32\" required autofocus>\n");
}

void page_code(struct response *resp, int status, const struct page_flow *f, const char *mfa_token,
	       const char *alert)
{
	struct sbuf b = {0};
	page_begin(&b, "Two-factor sign-in");
	client_line(&b, f, "asks to use your account. Your password was right; enter your code to continue.");
	page_alert(&b, "alert", alert);
	sbuf_adds(&b, "<form method=\"post\" action=\"/authorize\">\n");
	hidden(&b, f);
	sbuf_adds(&b, "<input type=\"hidden\" name=\"mfa_token\" value=\"");
	page_escape(&b, mfa_token);
	sbuf_adds(&b, "\">\n");
	code_input(&b);
	sbuf_adds(&b, "<button type=\"submit\">Verify</button>\n</form>\n");
	page_end(resp, status, &b, f->redirect_uri);
}

static void mfa_form(struct sbuf *b, const char *csrf, const char *action, const char *button, int code)
{
	sbuf_adds(b, "<form method=\"post\" action=\"/account/mfa\">\n");
	page_csrf_field(b, csrf);
	sbuf_adds(b, "<input type=\"hidden\" name=\"action\" value=\"");
	sbuf_adds(b, action);
	sbuf_adds(b, "\">\n");
	if (code)
		code_input(b);
	sbuf_adds(b, "<button type=\"submit\">");
	sbuf_adds(b, button);
	sbuf_adds(b, "</button>\n</form>\n");
}

void page_mfa(struct response *resp, int status, const struct page_mfa *m)
{
	struct sbuf b = {0};
	page_begin(&b, "Two-factor login");
	page_alert(&b, "alert", m->alert);
	page_alert(&b, "status", m->notice);
	if (!m->email) {
		sbuf_adds(&b, "<p>Sign in first: <a href=\"/account\">your account</a>.</p>\n");
		page_end(resp, status, &b, NULL);
		return;
	}
	sbuf_adds(&b, "<p>Signed in as <strong>");
	page_escape(&b, m->email);
	sbuf_adds(&b, "</strong>.</p>\n");
	if (m->ncodes) {
		sbuf_adds(&b, "<h2>Recovery codes</h2>\n<p>Each works once, in place of a code, if you lose "
			      "your authenticator. Keep them somewhere safe: they are shown only now.</p>\n"
			      "<ul id=\"recovery-codes\">\n");
		for (size_t i = 0; i < m->ncodes; i++) {
			sbuf_adds(&b, "<li><code>");
			page_escape(&b, m->codes[i]);
			sbuf_adds(&b, "</code></li>\n");
		}
		sbuf_adds(&b, "</ul>\n");
	}
	if (strcmp(m->state, "on") == 0) {
		sbuf_adds(&b, "<p>Two-factor login is <strong>on</strong>: signing in asks for a code from "
			      "your authenticator app. Recovery codes left: ");
		sbuf_addu(&b, (unsigned long)m->recovery_left);
		sbuf_adds(&b, ".</p>\n<h2>Turn it off</h2>\n");
		mfa_form(&b, m->csrf, "disable", "Turn off two-factor login", 1);
	} else if (strcmp(m->state, "pending") == 0 && m->qr_svg) {
		sbuf_adds(&b, "<p>Scan this code with your authenticator app (or type the key in), then "
			      "enter the code it shows.</p>\n<figure>");
		sbuf_adds(&b, m->qr_svg); /* built by the caller from escaped parts only */
		sbuf_adds(&b, "<figcaption>Key: <code id=\"secret\">");
		page_escape(&b, m->secret);
		sbuf_adds(&b, "</code></figcaption></figure>\n");
		mfa_form(&b, m->csrf, "confirm", "Turn on two-factor login", 1);
	} else {
		sbuf_adds(&b, "<p>Two-factor login is <strong>off</strong>. With it on, signing in asks for "
			      "your password and a code from an authenticator app (TOTP).</p>\n");
		mfa_form(&b, m->csrf, "enroll", "Set up two-factor login", 0);
	}
	page_end(resp, status, &b, NULL);
}

void page_consent(struct response *resp, const struct page_flow *f, const char *email,
		  const char *const *scopes, const char *const *texts, size_t n)
{
	struct sbuf b = {0};
	page_begin(&b, "Allow access?");
	client_line(&b, f, "asks for access to your account");
	sbuf_adds(&b, "<p>Signed in as <strong>");
	page_escape(&b, email);
	sbuf_adds(&b, "</strong>. The access is for <code>");
	page_escape(&b, f->resource);
	sbuf_adds(&b, "</code>.</p>\n");
	if (n) {
		sbuf_adds(&b, "<p>If you allow it, it may:</p>\n<ul>\n");
		for (size_t i = 0; i < n; i++) {
			sbuf_adds(&b, "<li>");
			page_escape(&b, texts[i]);
			sbuf_adds(&b, " (<code>");
			page_escape(&b, scopes[i]);
			sbuf_adds(&b, "</code>)</li>\n");
		}
		sbuf_adds(&b, "</ul>\n");
	} else {
		sbuf_adds(&b, "<p>It asks for nothing beyond knowing that you signed in.</p>\n");
	}
	sbuf_adds(&b, "<p>You can take this back later; an administrator does it with <code>mcpauth grant "
		      "revoke</code>.</p>\n<form method=\"post\" action=\"/authorize/consent\">\n");
	hidden(&b, f);
	sbuf_adds(&b, "<button type=\"submit\" name=\"decision\" value=\"allow\">Allow</button>\n"
		      "<button type=\"submit\" name=\"decision\" value=\"deny\">Deny</button>\n</form>\n");
	page_end(resp, 200, &b, f->redirect_uri);
}

void page_error(struct response *resp, int status, const char *title, const char *message)
{
	struct sbuf b = {0};
	page_begin(&b, title);
	sbuf_adds(&b, "<p role=\"alert\">");
	page_escape(&b, message);
	sbuf_adds(&b, "</p>\n<p>Go back to the application you came from and try again.</p>\n");
	page_end(resp, status, &b, NULL);
}

void page_csrf_field(struct sbuf *b, const char *csrf)
{
	sbuf_adds(b, "<input type=\"hidden\" name=\"csrf_token\" value=\"");
	page_escape(b, csrf);
	sbuf_adds(b, "\">\n");
}

/* A labelled input: id and name are the same. */
static void input(struct sbuf *b, const char *id, const char *label, const char *type,
		  const char *autocomplete, const char *value)
{
	sbuf_adds(b, "<label for=\"");
	sbuf_adds(b, id);
	sbuf_adds(b, "\">");
	sbuf_adds(b, label);
	sbuf_adds(b, "</label>\n<input id=\"");
	sbuf_adds(b, id);
	sbuf_adds(b, "\" name=\"");
	sbuf_adds(b, id);
	sbuf_adds(b, "\" type=\"");
	sbuf_adds(b, type);
	sbuf_adds(b, "\" autocomplete=\"");
	sbuf_adds(b, autocomplete);
	sbuf_adds(b, "\" required");
	if (value) {
		sbuf_adds(b, " value=\"");
		page_escape(b, value);
		sbuf_adds(b, "\"");
	}
	sbuf_adds(b, ">\n");
}

void page_signup(struct response *resp, int status, const char *csrf, const char *email, const char *name,
		 const char *alert)
{
	struct sbuf b = {0};
	page_begin(&b, "Create an account");
	page_alert(&b, "alert", alert);
	sbuf_adds(&b, "<form method=\"post\" action=\"/account/signup\">\n");
	page_csrf_field(&b, csrf);
	input(&b, "email", "Email", "email", "username", email ? email : "");
	input(&b, "name", "Name", "text", "name", name ? name : "");
	input(&b, "password", "Password", "password", "new-password", NULL);
	sbuf_adds(&b, "<button type=\"submit\">Create account</button>\n</form>\n"
		      "<p>We mail you a link to confirm your address.</p>\n");
	page_end(resp, status, &b, NULL);
}

void page_reset(struct response *resp, int status, const char *csrf, const char *token, const char *alert)
{
	struct sbuf b = {0};
	page_begin(&b, "Choose a new password");
	page_alert(&b, "alert", alert);
	sbuf_adds(&b, "<form method=\"post\" action=\"/account/reset\">\n");
	page_csrf_field(&b, csrf);
	sbuf_adds(&b, "<input type=\"hidden\" name=\"token\" value=\"");
	page_escape(&b, token);
	sbuf_adds(&b, "\">\n");
	input(&b, "password", "New password", "password", "new-password", NULL);
	sbuf_adds(&b, "<button type=\"submit\">Set password</button>\n</form>\n"
		      "<p>Every session and application signed in as you is signed out.</p>\n");
	page_end(resp, status, &b, NULL);
}

void page_reset_request(struct response *resp, int status, const char *csrf, const char *email,
			const char *alert)
{
	struct sbuf b = {0};
	page_begin(&b, "Reset your password");
	page_alert(&b, "alert", alert);
	sbuf_adds(&b, "<form method=\"post\" action=\"/account/reset\">\n");
	page_csrf_field(&b, csrf);
	input(&b, "email", "Email", "email", "username", email ? email : "");
	sbuf_adds(&b, "<button type=\"submit\">Mail me a link</button>\n</form>\n");
	page_end(resp, status, &b, NULL);
}

void page_message(struct response *resp, int status, const char *title, const char *message)
{
	struct sbuf b = {0};
	page_begin(&b, title);
	sbuf_adds(&b, "<p>");
	page_escape(&b, message);
	sbuf_adds(&b, "</p>\n");
	page_end(resp, status, &b, NULL);
}

char *page_qr_svg(const char *text)
{
	QRcode *qr = QRcode_encodeString(text, 0, QR_ECLEVEL_M, QR_MODE_8, 1);
	if (!qr)
		return NULL;
	int w = qr->width, q = 4; /* the quiet zone: four modules */
	struct sbuf b = {0};
	sbuf_adds(&b,
		  "<svg xmlns=\"http://www.w3.org/2000/svg\" role=\"img\" aria-label=\"QR code to scan "
		  "with an authenticator app\" width=\"240\" height=\"240\" shape-rendering=\"crispEdges\" "
		  "viewBox=\"0 0 ");
	sbuf_addu(&b, (unsigned long)(w + 2 * q));
	sbuf_adds(&b, " ");
	sbuf_addu(&b, (unsigned long)(w + 2 * q));
	sbuf_adds(&b, "\"><rect width=\"100%\" height=\"100%\" fill=\"#fff\"/><path fill=\"#000\" d=\"");
	for (int y = 0; y < w; y++)
		for (int x = 0; x < w; x++)
			if (qr->data[y * w + x] & 1) {
				sbuf_adds(&b, "M");
				sbuf_addu(&b, (unsigned long)(x + q));
				sbuf_adds(&b, " ");
				sbuf_addu(&b, (unsigned long)(y + q));
				sbuf_adds(&b, "h1v1h-1z");
			}
	sbuf_adds(&b, "\"/></svg>");
	QRcode_free(qr);
	return sbuf_take(&b);
}
