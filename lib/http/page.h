/* page: the authorization server's HTML pages (login, consent, error):
 * server-rendered, working without JavaScript, every value HTML-escaped,
 * with the headers that keep them out of frames, caches and Referers. */
#ifndef MCPAUTH_PAGE_H
#define MCPAUTH_PAGE_H

#include <stddef.h>

#include "http.h"
#include "util.h"

/* What a login or consent page shows and carries. */
struct page_flow {
	const char *client_name, *client_id; /* the client, as its metadata names it */
	const char *resource;		     /* the resource the tokens are for */
	const char *redirect_uri;	     /* where an answer goes: allowed as a form target */
	const char *csrf, *request_id;	     /* the hidden fields */
};

/* The headers every page carries: Content-Security-Policy (no script, no
 * framing, forms only to this site and to the origin of redirect_uri, which
 * may be NULL), X-Frame-Options, Cache-Control, Referrer-Policy. */
void page_headers(struct response *resp, const char *redirect_uri);

/* The login form (POST /authorize: email, password, csrf_token,
 * request_id); alert (may be NULL) is shown with role="alert". */
void page_login(struct response *resp, int status, const struct page_flow *f, const char *email,
		const char *alert);

/* The consent form (POST /authorize/consent, decision allow or deny): the
 * client, the user, the resource and one line per scope (n words with
 * their sentences). */
void page_consent(struct response *resp, const struct page_flow *f, const char *email,
		  const char *const *scopes, const char *const *texts, size_t n);

/* The login's second step (POST /authorize: mfa_token, otp, csrf_token,
 * request_id): the authenticator's code, or a recovery code. */
void page_code(struct response *resp, int status, const struct page_flow *f, const char *mfa_token,
	       const char *alert);

/* What the two-factor page (/account/mfa) shows. */
struct page_mfa {
	const char *email;	  /* the signed-in user; NULL: not signed in (a sign-in link) */
	const char *csrf;	  /* the browser session's CSRF token */
	const char *state;	  /* "off", "pending" or "on" */
	const char *qr_svg;	  /* pending: the otpauth:// URI's QR code, an inline SVG */
	const char *secret;	  /* pending: the base32 secret, for typing in */
	const char *const *codes; /* just confirmed: the recovery codes (ncodes), shown once */
	size_t ncodes;
	int recovery_left; /* on: unused recovery codes */
	const char *alert;
	const char *notice; /* a success sentence (role="status") */
};
void page_mfa(struct response *resp, int status, const struct page_mfa *m);

/* An error that cannot go back to the client (unknown client, a redirect
 * URI not its own, a bad form): status, a title and a sentence. */
void page_error(struct response *resp, int status, const char *title, const char *message);

/* The account pages (sign-up, password reset): each form carries csrf, the
 * browser session's token; alert (may be NULL) is shown with role="alert". */
/* POST /account/signup: email, name, password. */
void page_signup(struct response *resp, int status, const char *csrf, const char *email, const char *name,
		 const char *alert);
/* POST /account/reset with token and password: a new password. */
void page_reset(struct response *resp, int status, const char *csrf, const char *token, const char *alert);
/* POST /account/reset with email: asks for a reset link. */
void page_reset_request(struct response *resp, int status, const char *csrf, const char *email,
			const char *alert);
/* A page that only says something: a title and a sentence (no alert). */
void page_message(struct response *resp, int status, const char *title, const char *message);
/* Any other page: page_begin writes the head, the style and the title as
 * <h1>; the caller adds the body; page_end closes it and sets resp with
 * the headers above (redirect_uri as there, may be NULL). */
void page_begin(struct sbuf *b, const char *title);
void page_end(struct response *resp, int status, struct sbuf *b, const char *redirect_uri);
/* text as a QR code (error correction M, 8-bit mode): an inline SVG element
 * that needs neither script nor image source. NULL when text is too long. */
char *page_qr_svg(const char *text);

/* Pieces of a page, for pages written outside this file: a paragraph with
 * role (alert, status) holding text escaped (nothing when text is NULL),
 * and the hidden csrf_token field of a form. */
void page_alert(struct sbuf *b, const char *role, const char *text);
void page_csrf_field(struct sbuf *b, const char *csrf);

/* s HTML-escaped onto b. */
void page_escape(struct sbuf *b, const char *s);

#endif
