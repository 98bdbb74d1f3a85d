#!/usr/bin/env node
// Client ID Metadata Documents for tests/integration/oauth-clients.sh, over
// real HTTPS with a certificate from the test's own CA.
//
//   node client-docs.js CERT KEY PORTFILE
//
// Each document's client_id is its own URL (from the Host header), unless
// the document is there to be wrong. GET /_counts answers the requests
// per path so far (not counted itself).
'use strict';

const fs = require('fs');
const https = require('https');

const [cert, key, portFile] = process.argv.slice(2);
const counts = {};

function doc(url, extra) {
	return {
		client_id: url,
		client_name: 'Doc Agent',
		client_uri: 'https://agent.example/',
		redirect_uris: ['http://127.0.0.1/callback', 'https://agent.example/cb'],
		grant_types: ['authorization_code', 'refresh_token'],
		response_types: ['code'],
		token_endpoint_auth_method: 'none',
		...extra,
	};
}

// A document of exactly n bytes (padded in an ignored member).
function sized(url, n) {
	const base = JSON.stringify({ ...doc(url), padding: '' });
	return JSON.stringify({ ...doc(url), padding: 'x'.repeat(n - Buffer.byteLength(base)) });
}

const server = https.createServer({ cert: fs.readFileSync(cert), key: fs.readFileSync(key) }, (req, res) => {
	const path = req.url;
	const url = 'https://' + req.headers.host + path;
	const json = (body, headers) => {
		res.writeHead(200, { 'Content-Type': 'application/json', ...headers });
		res.end(typeof body === 'string' ? body : JSON.stringify(body));
	};
	if (path === '/_counts') return json(counts);
	counts[path] = (counts[path] || 0) + 1;
	const name = path.split('?')[0];
	switch (name) {
	case '/docs/good.json': return json(doc(url));
	case '/docs/good-a.json': return json(doc(url));
	case '/docs/maxage.json': return json(doc(url), { 'Cache-Control': 'public, max-age=120' });
	case '/docs/nostore.json': return json(doc(url), { 'Cache-Control': 'no-store' });
	case '/docs/longlived.json': return json(doc(url), { 'Cache-Control': 'max-age=31536000' });
	case '/docs/charset.json': return json(doc(url), { 'Content-Type': 'application/json; charset=utf-8' });
	case '/docs/noname.json': { const d = doc(url); delete d.client_name; return json(d); }
	case '/docs/mismatch.json': return json(doc(url.replace('mismatch', 'other')));
	case '/docs/mismatch-slash.json': return json(doc(url + '/'));
	case '/docs/secret.json': return json(doc(url, { token_endpoint_auth_method: 'client_secret_basic' }));
	case '/docs/withsecret.json': return json(doc(url, { client_secret: 'shh' }));
	case '/docs/pkjwt.json': return json(doc(url, { token_endpoint_auth_method: 'private_key_jwt' }));
	case '/docs/nouris.json': { const d = doc(url); delete d.redirect_uris; return json(d); }
	case '/docs/baduri.json': return json(doc(url, { redirect_uris: ['http://evil.example/cb'] }));
	case '/docs/fits.json': return json(sized(url, 5120));
	case '/docs/big.json': return json(sized(url, 5121));
	case '/docs/text.json':
		res.writeHead(200, { 'Content-Type': 'text/plain' });
		return res.end(JSON.stringify(doc(url)));
	case '/docs/garbage.json': return json('{"client_id": ');
	case '/docs/array.json': return json([doc(url)]);
	case '/docs/redirect.json':
		res.writeHead(302, { Location: '/docs/good.json' });
		return res.end();
	case '/docs/slow.json':
		return setTimeout(() => json(doc(url)), 8000);
	default:
		res.writeHead(404, { 'Content-Type': 'application/json' });
		return res.end('{"error":"not found"}');
	}
});

server.listen(0, '127.0.0.1', () => {
	fs.writeFileSync(portFile + '.tmp', String(server.address().port));
	fs.renameSync(portFile + '.tmp', portFile);
});
