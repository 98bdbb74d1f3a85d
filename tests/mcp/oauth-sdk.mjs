// The official TypeScript SDK's own OAuth flow against mcpauth: its auth()
// with an OAuthClientProvider, driven by StreamableHTTPClientTransport's
// authProvider. Run twice: with a Client ID Metadata Document served by the
// suite over HTTPS on loopback (CLIENT_DOC), and with dynamic registration.
// The user's part (login and consent forms) is done over HTTP here; no
// token is ever handed to the client. Prints "ok - ..." / "not ok - ..."
// lines and "# done"; tests/mcp/oauth.sh counts them.
//   BASE=http://127.0.0.1:PORT CLIENT_DOC=https://127.0.0.1:PORT2/clients/sdk.json
//   MCPAUTH_CLI=build/tools/mcpauth node oauth-sdk.mjs
import { execFileSync } from 'node:child_process';
import { appendFileSync } from 'node:fs';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { auth, UnauthorizedError } from '@modelcontextprotocol/sdk/client/auth.js';
import { check, thrown, HttpBrowser, authorize, authorizationRequest, postForm, discover, TestProvider } from './oauth-lib.mjs';

const base = process.env.BASE;
const mcpUrl = new URL('/mcp', base);
const { meta } = await discover(base);

const claims = (jwt) => JSON.parse(Buffer.from(jwt.split('.')[1], 'base64url').toString());
// A token the server must refuse: the same claims, the signature's last
// bytes changed (as an expired or forged one would be refused).
const spoil = (jwt) => jwt.slice(0, -6) + (jwt.endsWith('AAAAAA') ? 'BBBBBB' : 'AAAAAA');

const profileOf = async (token) =>
  (await fetch(new URL('/api/profile', base), { headers: { Authorization: `Bearer ${token}` } })).json();

const secrets = (...xs) => {
  if (process.env.SECRETS_OUT) appendFileSync(process.env.SECRETS_OUT, xs.filter(Boolean).map((x) => `${x}\n`).join(''));
};

// The mcpauth tool, on the suite's state directory (MCPAUTH_STATE_DIR).
function cli(...args) {
  try {
    return { rc: 0, out: execFileSync(process.env.MCPAUTH_CLI, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }) };
  } catch (e) {
    return { rc: e.status ?? 1, out: `${e.stdout ?? ''}${e.stderr ?? ''}` };
  }
}

async function run(label, clientDoc) {
  const t = (s) => `${label}: ${s}`;
  // The SDK's redirect URL: a loopback one, on a port nobody listens on;
  // the test reads the code from the redirect instead.
  const redirectUrl = `http://127.0.0.1:${20000 + Math.floor(Math.random() * 40000)}/callback`;
  const provider = new TestProvider(label, redirectUrl, clientDoc);
  // Every token the SDK got, for the suite to look for in the server's logs.
  const save = provider.saveTokens.bind(provider);
  provider.saveTokens = (tk) => {
    secrets(tk.access_token, tk.refresh_token);
    save(tk);
  };
  const transport = new StreamableHTTPClientTransport(mcpUrl, { authProvider: provider });
  const client = new Client({ name: `mcpauth-oauth-${label}`, version: '1.0.0' });
  await client.connect(transport);
  check(provider._tokens === undefined, t('connected without a token (initialize is public)'));

  // 1. A protected tool: 401 -> the transport runs auth(): discovery,
  // registration (or the document's URL as client_id), PKCE, redirect.
  const e = await thrown(client.callTool({ name: 'get_api_profile', arguments: {} }));
  check(e instanceof UnauthorizedError, t('a protected tool without a token: the SDK starts authorization'),
    `${e?.name} ${e?.message}`);
  const url = provider.redirects.at(-1);
  if (!check(url !== undefined, t('the SDK asked to open the authorization URL'))) return;
  check(url.href.startsWith(meta.authorization_endpoint), t('the URL is the advertised authorization_endpoint'), url.href);
  const q = url.searchParams;
  check(q.get('response_type') === 'code' && q.get('code_challenge_method') === 'S256' && q.get('code_challenge')?.length === 43,
    t('response_type=code with an S256 code_challenge'), url.search);
  check(q.get('resource') === mcpUrl.href, t('resource is the MCP endpoint'), q.get('resource'));
  check(q.get('redirect_uri') === redirectUrl, t('redirect_uri is the client\'s'), q.get('redirect_uri'));
  if (clientDoc) {
    check(provider.client?.client_id === clientDoc && q.get('client_id') === clientDoc,
      t('client_id is the metadata document\'s URL (no registration)'), JSON.stringify(provider.client));
  } else {
    check(typeof provider.client?.client_id === 'string' && !/^https?:/.test(provider.client.client_id) &&
      q.get('client_id') === provider.client.client_id,
    t('dynamic registration gave a client_id'), JSON.stringify(provider.client));
  }
  const clientId = q.get('client_id');

  // 2. The user: login form, consent form, redirect with code, state, iss.
  const browser = new HttpBrowser();
  const r = await authorize(browser, url.href, redirectUrl);
  secrets(r.params.code);
  check(r.pages.join(',') === 'login,consent', t('the user saw the login page, then the consent page'), r.pages.join(','));
  const login = r.responses[0];
  check(/frame-ancestors 'none'/.test(login.headers.get('content-security-policy') ?? '') &&
    /no-store/.test(login.headers.get('cache-control') ?? ''),
  t('the login page: frame-ancestors \'none\', no-store'));
  check(r.params.state === provider.lastState, t('the redirect echoes state'), r.params.state);
  check(r.params.iss === meta.issuer, t('the redirect carries iss (RFC 9207)'), r.params.iss);
  check(typeof r.params.code === 'string' && r.params.code.length >= 16, t('the redirect carries a code'));

  // 3. The SDK exchanges the code (PKCE verifier) for tokens.
  await transport.finishAuth(r.params.code);
  const first = provider._tokens;
  check(typeof first?.access_token === 'string' && typeof first?.refresh_token === 'string',
    t('finishAuth: an access token and a refresh token'), JSON.stringify(Object.keys(first ?? {})));
  const c = claims(first.access_token);
  check(c.iss === meta.issuer, t('the token\'s iss is the issuer'), c.iss);
  check([c.aud].flat().includes(mcpUrl.href), t('the token\'s aud is the resource'), JSON.stringify(c.aud));
  check(c.client_id === clientId, t('the token names its client_id (RFC 9068)'), c.client_id);
  check(c.sub === 'auth0|user123', t('the token is the user\'s'), c.sub);
  check(Array.isArray(c.permissions) && c.permissions.includes('read:profile') &&
    c.permissions.every((p) => ['read:profile', 'write:profile'].includes(p)),
  t('its permissions are the user\'s that were granted'), JSON.stringify(c.permissions));

  // 4. Tools with the SDK's own token.
  const { tools } = await client.listTools();
  check(tools.some((x) => x.name === 'get_api_profile'), t('tools/list with the token'), tools.map((x) => x.name).join(','));
  const res = await client.callTool({ name: 'get_api_profile', arguments: {} });
  const direct = await profileOf(first.access_token);
  check(!res.isError && res.structuredContent?.profile?.email === 'user@example.com' &&
    JSON.stringify(res.structuredContent) === JSON.stringify(direct),
  t('tools/call get_api_profile answers the user\'s profile'), JSON.stringify(res).slice(0, 200));

  // 5. Refresh, the SDK's own way: an access token the server refuses ->
  // 401 -> auth() uses the refresh token -> the call is retried.
  provider._tokens = { ...first, access_token: spoil(first.access_token) };
  const saves = provider.tokenSaves;
  const res2 = await client.callTool({ name: 'get_api_profile', arguments: {} });
  const second = provider._tokens;
  check(!res2.isError && res2.structuredContent?.profile?.email === 'user@example.com',
    t('a refused access token: the transport refreshes and the call succeeds'), JSON.stringify(res2).slice(0, 200));
  check(provider.tokenSaves === saves + 1 && second.access_token !== first.access_token,
    t('the refresh saved a new access token'));
  check(second.refresh_token && second.refresh_token !== first.refresh_token, t('the refresh token was rotated'));
  // And auth() called directly with a refresh token in store: AUTHORIZED, rotated again.
  const again = await auth(provider, { serverUrl: mcpUrl });
  const third = provider._tokens;
  check(again === 'AUTHORIZED' && third.refresh_token !== second.refresh_token,
    t('auth() with a refresh token: AUTHORIZED, rotated again'), again);

  // 6. Revocation (RFC 7009) of the refresh token: the next refresh fails,
  // and the SDK falls back to a new authorization.
  const rv = await postForm(meta.revocation_endpoint ?? new URL('/oauth/revoke', base).href,
    { token: third.refresh_token, token_type_hint: 'refresh_token', client_id: clientId });
  check(rv.status === 200, t('POST /oauth/revoke of the refresh token: 200'), `${rv.status} ${JSON.stringify(rv.body)}`);
  const direct2 = await postForm(meta.token_endpoint,
    { grant_type: 'refresh_token', refresh_token: third.refresh_token, client_id: clientId });
  check(direct2.status === 400 && direct2.body?.error === 'invalid_grant',
    t('the revoked refresh token: 400 invalid_grant'), `${direct2.status} ${JSON.stringify(direct2.body)}`);
  provider._tokens = third;
  const before = provider.redirects.length;
  const after = await auth(provider, { serverUrl: mcpUrl });
  check(after === 'REDIRECT' && provider.invalidated.includes('tokens') && provider.redirects.length === before + 1,
    t('auth() after revocation: the refresh is refused, a new authorization starts'),
    `${after} ${provider.invalidated.join(',')}`);

  // 7. Same browser, already signed in: no login page (consent or not is
  // the remembered grant's business: the SDK asks prompt=consent with
  // offline_access, which the flow leaves to the grant). A request without
  // prompt whose scopes the grant covers is answered at once with a code.
  const url2 = provider.redirects.at(-1);
  check(url2.searchParams.get('prompt') === 'consent', t('the SDK asks prompt=consent with offline_access'), url2.search);
  const r2 = await authorize(browser, url2.href, redirectUrl);
  check(!r2.pages.includes('login') && r2.params.code, t('signed in already: no login page, a code'),
    r2.pages.join(','));
  await transport.finishAuth(r2.params.code);
  const res3 = await client.callTool({ name: 'get_api_profile', arguments: {} });
  check(!res3.isError && res3.structuredContent?.profile?.email === 'user@example.com', t('tools/call with the new tokens'));
  const quiet = () => authorizationRequest(meta, { clientId, redirectUri: redirectUrl, scope: q.get('scope'),
    resource: mcpUrl.href }).url;
  const r2b = await authorize(browser, quiet(), redirectUrl);
  check(r2b.pages.length === 0 && r2b.params.code, t('the grant is remembered: without prompt, straight back with a code'),
    r2b.pages.join(','));

  // 8. `mcpauth grant revoke`: the user's grant to this client is gone, so
  // its tokens are refused and the consent page is shown again.
  const list = cli('grant', 'list', 'user@example.com');
  check(list.rc === 0 && list.out.includes(clientId), t('mcpauth grant list names the client'), list.out.slice(0, 300));
  const rk = cli('grant', 'revoke', 'user@example.com', clientId);
  check(rk.rc === 0, t('mcpauth grant revoke exits 0'), rk.out.slice(0, 300));
  const refused = await postForm(meta.token_endpoint,
    { grant_type: 'refresh_token', refresh_token: provider._tokens.refresh_token, client_id: clientId });
  check(refused.status === 400 && refused.body?.error === 'invalid_grant',
    t('after grant revoke the refresh token is refused'), `${refused.status} ${JSON.stringify(refused.body)}`);
  const denied = await fetch(new URL('/api/profile', base), {
    headers: { Authorization: `Bearer ${provider._tokens.access_token}` } });
  check(denied.status === 401, t('after grant revoke the access token is refused too'), denied.status);
  const n = provider.redirects.length;
  const e3 = await thrown(client.callTool({ name: 'get_api_profile', arguments: {} }));
  check(e3 instanceof UnauthorizedError && provider.redirects.length === n + 1,
    t('the SDK\'s next call: 401, the refresh refused, a new authorization starts'), `${e3?.name} ${e3?.message}`);
  const r3 = await authorize(browser, quiet(), redirectUrl);
  check(r3.pages.join(',') === 'consent', t('after grant revoke the consent page is shown again (no login)'),
    r3.pages.join(','));

  await client.close();
}

await run('client metadata document', process.env.CLIENT_DOC);
await run('dynamic registration');
console.log('# done');
