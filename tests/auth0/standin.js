#!/usr/bin/env node
// A stand-in for an Auth0 tenant, for the integration tests: it speaks the
// protocols the suite uses, over real HTTPS with a certificate from a CA the
// test made, and signs its tokens (RS256) with its own keys.
//
//   node standin.js DIR
//
// DIR/config.json: {"port", "httpPort" (optional, plain-HTTP JWKS only),
//   "cert", "key" (TLS, PEM files), "keysDir" (<kid>.pem RSA private keys),
//   "publish" (kids in the JWKS), "sign" (kid that signs), "audience",
//   "clientId", "clientSecret", "realm", "namespace", "users"}
// Once listening it writes DIR/port (and DIR/httpport).
//
// Served as Auth0 serves them:
//   GET  /.well-known/jwks.json
//   POST /oauth/token   client_credentials and password-realm grants
//   GET  /api/v2/users/{id}   with a token from the client_credentials grant
// Test controls (not counted):
//   GET  /_control/counts          requests per path
//   POST /_control/config          {"publish","sign","jwksMode","jwksExtra","mgmt429"}
//   POST /_control/sign            {"claims","kid","key"}: a token, as text
//   POST /_control/revoke          management tokens issued so far stop working
'use strict';

const crypto = require('crypto');
const fs = require('fs');
const http = require('http');
const https = require('https');
const path = require('path');

const dir = process.argv[2];
const cfg = JSON.parse(fs.readFileSync(path.join(dir, 'config.json'), 'utf8'));

const state = {
	publish: cfg.publish,
	sign: cfg.sign,
	jwksMode: 'normal', // normal | hang | garbage | huge | error
	jwksExtra: false,   // also publish keys the suite must skip (EC, RSA "enc", RSA 1024)
	mgmt429: null,      // {count, retryAfter}: the next count user lookups answer 429
	counts: {},
	mgmtTokens: new Set(),
	revoked: new Set(),
};
let issuer = null; // https://127.0.0.1:<port>/, once listening

function key(kid) {
	const pem = fs.readFileSync(path.join(cfg.keysDir, kid + '.pem'), 'utf8');
	return crypto.createPrivateKey(pem);
}

function publicJwk(kid) {
	const jwk = crypto.createPublicKey(key(kid)).export({ format: 'jwk' });
	return { kty: jwk.kty, use: 'sig', alg: 'RS256', kid, n: jwk.n, e: jwk.e };
}

const b64url = (buf) => Buffer.from(buf).toString('base64url');

function signToken(claims, kid, signer) {
	const header = { alg: 'RS256', typ: 'JWT', kid: kid || state.sign };
	// RS256 signatures are deterministic: a jti keeps two tokens of one second apart.
	if (!('jti' in claims)) claims = { ...claims, jti: crypto.randomBytes(12).toString('base64url') };
	const input = b64url(JSON.stringify(header)) + '.' + b64url(JSON.stringify(claims));
	const sig = crypto.sign('sha256', Buffer.from(input), key(signer || state.sign));
	return input + '.' + b64url(sig);
}

function userClaims(user, now) {
	const c = {
		iss: issuer,
		sub: user.sub,
		aud: [cfg.audience, issuer + 'userinfo'],
		iat: now,
		exp: now + 86400,
		azp: cfg.clientId,
		scope: 'openid profile email',
		permissions: user.permissions,
	};
	if (cfg.namespace) {
		c[cfg.namespace + 'email'] = user.email;
		c[cfg.namespace + 'name'] = user.name;
	}
	return c;
}

let extraKeys = null;
function extraJwks() {
	if (!extraKeys) {
		const ec = crypto.generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey.export({ format: 'jwk' });
		const small = crypto.generateKeyPairSync('rsa', { modulusLength: 1024 }).publicKey.export({ format: 'jwk' });
		const enc = publicJwk(state.publish[0]);
		extraKeys = [
			{ ...ec, kid: 'ec-key', use: 'sig', alg: 'ES256' },
			{ ...small, kid: 'small-key', use: 'sig', alg: 'RS256' },
			{ ...enc, kid: 'enc-key', use: 'enc' },
		];
	}
	return extraKeys;
}

function send(res, status, body, headers) {
	const text = typeof body === 'string' ? body : JSON.stringify(body);
	res.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(text), ...headers });
	res.end(text);
}

function readBody(req) {
	return new Promise((resolve) => {
		const parts = [];
		req.on('data', (d) => parts.push(d));
		req.on('end', () => resolve(Buffer.concat(parts).toString('utf8')));
	});
}

function parseBody(req, text) {
	const type = (req.headers['content-type'] || '').split(';')[0].trim();
	if (type === 'application/json') {
		try { return JSON.parse(text); } catch (e) { return null; }
	}
	return Object.fromEntries(new URLSearchParams(text));
}

function jwks(res) {
	switch (state.jwksMode) {
	case 'hang': return; // never answers: the suite's timeout must end it
	case 'garbage': return send(res, 200, 'this is not JSON');
	case 'error': return send(res, 500, { error: 'internal' });
	case 'huge': return send(res, 200, { keys: [], pad: 'x'.repeat(300 * 1024) });
	}
	const keys = state.publish.map(publicJwk);
	send(res, 200, { keys: state.jwksExtra ? extraJwks().concat(keys) : keys });
}

function token(req, res, body) {
	const now = Math.floor(Date.now() / 1000);
	if (!body) return send(res, 400, { error: 'invalid_request', error_description: 'bad body' });
	if (body.client_id !== cfg.clientId || (body.client_secret !== undefined && body.client_secret !== cfg.clientSecret))
		return send(res, 401, { error: 'access_denied', error_description: 'Unauthorized' });
	if (body.grant_type === 'client_credentials') {
		if (body.client_secret !== cfg.clientSecret)
			return send(res, 401, { error: 'access_denied', error_description: 'Unauthorized' });
		if (body.audience !== issuer + 'api/v2/')
			return send(res, 403, { error: 'access_denied', error_description: 'Service not enabled within domain: ' + body.audience });
		const t = signToken({ iss: issuer, sub: cfg.clientId + '@clients', aud: issuer + 'api/v2/', iat: now,
			exp: now + 86400, scope: 'read:users', gty: 'client-credentials', azp: cfg.clientId });
		state.mgmtTokens.add(t);
		return send(res, 200, { access_token: t, expires_in: 86400, scope: 'read:users', token_type: 'Bearer' },
			{ 'Cache-Control': 'no-store' });
	}
	if (body.grant_type === 'http://auth0.com/oauth/grant-type/password-realm') {
		if (body.realm !== cfg.realm)
			return send(res, 400, { error: 'invalid_request', error_description: 'unknown realm' });
		const user = Object.values(cfg.users).find((u) => u.email === body.username);
		if (!user || user.password !== body.password)
			return send(res, 403, { error: 'invalid_grant', error_description: 'Wrong email or password.' });
		if (body.audience !== cfg.audience)
			return send(res, 403, { error: 'access_denied', error_description: 'Service not found: ' + body.audience });
		return send(res, 200, { access_token: signToken(userClaims(user, now)), scope: 'openid profile email',
			expires_in: 86400, token_type: 'Bearer' }, { 'Cache-Control': 'no-store' });
	}
	send(res, 403, { error: 'unsupported_grant_type', error_description: 'Unsupported grant type: ' + body.grant_type });
}

function user(req, res, id) {
	const auth = req.headers.authorization || '';
	const t = auth.startsWith('Bearer ') ? auth.slice(7) : '';
	if (!state.mgmtTokens.has(t) || state.revoked.has(t))
		return send(res, 401, { statusCode: 401, error: 'Unauthorized', message: 'Invalid token', attributes: { error: 'Invalid token' } });
	if (state.mgmt429 && state.mgmt429.count > 0) {
		state.mgmt429.count--;
		const reset = Math.floor(Date.now() / 1000) + 7;
		const headers = { 'X-RateLimit-Limit': '10', 'X-RateLimit-Remaining': '0', 'X-RateLimit-Reset': String(reset) };
		if (state.mgmt429.retryAfter) headers['Retry-After'] = String(state.mgmt429.retryAfter);
		return send(res, 429, { statusCode: 429, error: 'Too Many Requests', message: 'Global limit has been reached', errorCode: 'too_many_requests' }, headers);
	}
	const u = cfg.users[id];
	if (!u)
		return send(res, 404, { statusCode: 404, error: 'Not Found', message: 'The user does not exist.', errorCode: 'inexistent_user' });
	send(res, 200, { user_id: u.sub, email: u.email, email_verified: true, name: u.name, nickname: u.email.split('@')[0],
		created_at: '2024-01-02T03:04:05.678Z', identities: [{ provider: 'auth0', user_id: u.sub.split('|')[1], connection: cfg.realm, isSocial: false }] });
}

async function control(req, res, p) {
	if (p === '/_control/counts') return send(res, 200, state.counts);
	const body = parseBody(req, await readBody(req)) || {};
	if (p === '/_control/config') {
		for (const k of ['publish', 'sign', 'jwksMode', 'jwksExtra', 'mgmt429'])
			if (k in body) state[k] = body[k];
		return send(res, 200, { ok: true });
	}
	if (p === '/_control/sign') {
		const now = Math.floor(Date.now() / 1000);
		const claims = { ...userClaims(Object.values(cfg.users)[0], now), ...(body.claims || {}) };
		for (const k of Object.keys(claims)) if (claims[k] === null) delete claims[k];
		return send(res, 200, signToken(claims, body.kid, body.key));
	}
	if (p === '/_control/revoke') {
		for (const t of state.mgmtTokens) state.revoked.add(t);
		return send(res, 200, { ok: true });
	}
	send(res, 404, { error: 'no such control' });
}

async function handle(req, res, plain) {
	const p = new URL(req.url, 'https://x').pathname;
	if (p.startsWith('/_control/')) return control(req, res, p);
	const bucket = p.startsWith('/api/v2/users/') ? '/api/v2/users' : p;
	state.counts[bucket] = (state.counts[bucket] || 0) + 1;
	if (req.method === 'GET' && p === '/.well-known/jwks.json') return jwks(res);
	if (plain) return send(res, 404, { error: 'not found' });
	if (req.method === 'POST' && p === '/oauth/token') return token(req, res, parseBody(req, await readBody(req)));
	if (req.method === 'GET' && bucket === '/api/v2/users')
		return user(req, res, decodeURIComponent(p.slice('/api/v2/users/'.length)));
	send(res, 404, { statusCode: 404, error: 'Not Found', message: 'Not Found' });
}

function writeAtomic(name, text) {
	fs.writeFileSync(path.join(dir, name + '.tmp'), text);
	fs.renameSync(path.join(dir, name + '.tmp'), path.join(dir, name));
}

const server = https.createServer({ cert: fs.readFileSync(cfg.cert), key: fs.readFileSync(cfg.key) },
	(req, res) => handle(req, res, false));
server.listen(cfg.port || 0, '127.0.0.1', () => {
	issuer = 'https://127.0.0.1:' + server.address().port + '/';
	if (cfg.httpPort === undefined) return writeAtomic('port', String(server.address().port));
	const plain = http.createServer((req, res) => handle(req, res, true));
	plain.listen(cfg.httpPort || 0, '127.0.0.1', () => {
		writeAtomic('httpport', String(plain.address().port));
		writeAtomic('port', String(server.address().port));
	});
});
process.on('SIGTERM', () => process.exit(0));
