/* totp: time-based one-time passwords (RFC 6238 over RFC 4226's HOTP):
 * HMAC-SHA1, 30-second steps, 6 digits, as authenticator apps expect;
 * base32 secrets (RFC 4648 section 6) and the otpauth:// URI apps scan. */
#ifndef MCPAUTH_TOTP_H
#define MCPAUTH_TOTP_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#define TOTP_STEP 30	   /* seconds per time step */
#define TOTP_DIGITS 6	   /* digits per code */
#define TOTP_SECRET_LEN 20 /* bytes of a new secret: SHA-1's block of output, RFC 4226's advice */
#define TOTP_WINDOW 1	   /* steps accepted either side of now (clock drift, a slow typist) */

/* The time step of unix time t: floor(t / TOTP_STEP). */
uint64_t totp_step(time_t t);

/* The HOTP value of key (len bytes) at counter, as digits decimal digits
 * (6 to 8): RFC 4226 section 5.3's dynamic truncation mod 10^digits. */
uint32_t totp_hotp(const unsigned char *key, size_t len, uint64_t counter, int digits);

/* The code of key at step, zero-padded, into out (digits + 1 bytes). */
void totp_code(const unsigned char *key, size_t len, uint64_t step, int digits, char *out);

/* The step within TOTP_WINDOW of now whose code is code (TOTP_DIGITS
 * digits), into *matched: 1, or 0 when none is. Every candidate is
 * computed and compared in constant time, so timing tells nothing of which
 * step (or whether any) matched. */
int totp_match(const unsigned char *key, size_t len, time_t now, const char *code, uint64_t *matched);

/* RFC 4648 base32 without padding, upper case: what apps take. Caller frees. */
char *totp_base32(const unsigned char *in, size_t len);

/* The otpauth://totp/ISSUER:ACCOUNT?secret=...&issuer=...&algorithm=SHA1&
 * digits=6&period=30 URI of Google Authenticator's key URI format, every
 * label and value percent-encoded. Caller frees. */
char *totp_uri(const char *issuer, const char *account, const unsigned char *key, size_t len);

#endif
