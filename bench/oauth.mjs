// The OAuth figures (run by bench/oauth.sh, from the build tree's
// tests/mcp/node, where the SDK and tests/mcp/oauth-lib.mjs are):
//  1. the whole flow's time: the official SDK client with no token, from
//     connect to its first tool call's answer (initialize, 401, discovery,
//     authorization URL, login form, consent form, code exchange with
//     PKCE, tools/call), median of ROUNDS; once with a new user agent
//     each round and the grant revoked before it (login and consent), once
//     with a browser that stays signed in (no login; the grant remembered).
//  2. the token endpoint's refresh_token grants per second: CONC workers,
//     each on its own refresh token chain (rotation: every answer's token
//     is the next request's), BENCH_SECONDS long, median of 3 runs. The chains
//     are made before the clock starts, so no password hash is timed.
// Prints one JSON object.
//   BASE=... MCPAUTH_CLI=... [ROUNDS=21 CONC=16 BENCH_SECONDS=10] node oauth.mjs
import { execFileSync } from 'node:child_process';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { HttpBrowser, authorize, authorizationRequest, postForm, discover, TestProvider, thrown } from './oauth-lib.mjs';

const base = process.env.BASE;
const mcpUrl = new URL('/mcp', base);
const ROUNDS = Number(process.env.ROUNDS ?? 21);
const CONC = Number(process.env.CONC ?? 16);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);
const { meta } = await discover(base);

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? s[Math.floor((s.length - 1) / 2)] : NaN;
};
const pct = (xs, p) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? s[Math.min(s.length - 1, Math.floor(p * s.length))] : NaN;
};

// One client, registered once: the rounds time sign-ins, not registration.
const redirectUri = 'http://127.0.0.1:9/callback';
const reg = await fetch(meta.registration_endpoint, {
  method: 'POST',
  headers: { 'Content-Type': 'application/json' },
  body: JSON.stringify({ client_name: 'mcpauth bench', redirect_uris: [redirectUri], token_endpoint_auth_method: 'none',
    grant_types: ['authorization_code', 'refresh_token'], response_types: ['code'] }),
});
const registered = await reg.json();
if (reg.status !== 201) throw new Error(`registration: ${reg.status} ${JSON.stringify(registered)}`);
const clientId = registered.client_id;

// One sign-in as a new MCP client would do it, the user's part done by
// browser; answers the times (ms).
async function flowOnce(browser) {
  const t0 = performance.now();
  const provider = new TestProvider('bench', redirectUri);
  provider.client = { ...registered };
  const transport = new StreamableHTTPClientTransport(mcpUrl, { authProvider: provider });
  const client = new Client({ name: 'mcpauth-bench', version: '1.0.0' });
  await client.connect(transport);
  const e = await thrown(client.callTool({ name: 'get_api_profile', arguments: {} }));
  if (!provider.redirects.length) throw new Error(`no authorization started: ${e?.message}`);
  const r = await authorize(browser, provider.redirects.at(-1).href, redirectUri);
  await transport.finishAuth(r.params.code);
  const res = await client.callTool({ name: 'get_api_profile', arguments: {} });
  const total = performance.now() - t0;
  if (res.isError || res.structuredContent?.profile?.email !== 'user@example.com') throw new Error('the tool call failed');
  await client.close();
  return { total, pages: r.pages.join(','), login: r.timings.login ?? NaN };
}

// A first sign-in: a new user agent, and the user's grant to the client
// revoked before each round (untimed), so login then consent. Then a
// browser that stays signed in, the grant remembered: no page at all.
const revokeGrant = () =>
  execFileSync(process.env.MCPAUTH_CLI, ['grant', 'revoke', 'user@example.com', clientId], { stdio: 'ignore' });
const flows = {};
const signedIn = new HttpBrowser();
for (const [name, browser, before] of [['new', () => new HttpBrowser(), revokeGrant],
  ['signed_in', () => signedIn, () => {}]]) {
  const times = [];
  const logins = [];
  let pages;
  await flowOnce(browser()); // warm-up (and, for signed_in, the session and the grant)
  for (let i = 0; i < ROUNDS; i++) {
    before();
    const f = await flowOnce(browser());
    times.push(f.total);
    logins.push(f.login);
    pages = f.pages;
  }
  flows[name] = { pages, median_ms: median(times), p90_ms: pct(times, 0.9), login_post_median_ms: median(logins) };
}

// --- refresh_token grants per second --------------------------------------------
// CONC refresh token chains from one login (the grant is remembered, the
// session cookie kept: each further authorization is one redirect).
const browser = new HttpBrowser();
async function newChain() {
  const a = authorizationRequest(meta, { clientId, redirectUri, scope: 'openid profile read:profile offline_access',
    resource: mcpUrl.href });
  const r = await authorize(browser, a.url, redirectUri);
  const t = await postForm(meta.token_endpoint, { grant_type: 'authorization_code', code: r.params.code,
    redirect_uri: redirectUri, client_id: clientId, code_verifier: a.verifier, resource: mcpUrl.href });
  if (t.status !== 200 || !t.body.refresh_token) throw new Error(`code exchange: ${t.status} ${JSON.stringify(t.body)}`);
  return t.body.refresh_token;
}

async function refreshRun() {
  const chains = [];
  for (let i = 0; i < CONC; i++) chains.push(await newChain());
  const lat = [];
  let ok = 0;
  let bad = 0;
  const end = performance.now() + SECONDS * 1000;
  const t0 = performance.now();
  await Promise.all(chains.map(async (rt) => {
    while (performance.now() < end) {
      const s = performance.now();
      const r = await postForm(meta.token_endpoint, { grant_type: 'refresh_token', refresh_token: rt, client_id: clientId });
      lat.push(performance.now() - s);
      if (r.status === 200 && r.body.refresh_token) {
        ok++;
        rt = r.body.refresh_token;
      } else {
        bad++;
        rt = await newChain();
      }
    }
  }));
  const secs = (performance.now() - t0) / 1000;
  return { rps: ok / secs, p50_ms: pct(lat, 0.5), p99_ms: pct(lat, 0.99), errors: bad };
}

await refreshRun(); // warm-up
const runs = [];
for (let i = 0; i < 3; i++) runs.push(await refreshRun());
const byRps = [...runs].sort((a, b) => a.rps - b.rps);

// One chain, one request at a time: /oauth/token against the JSON route
// POST /auth/refresh (the same rotation, the chain from one /auth/login).
async function sequential(next, rt) {
  const lat = [];
  const end = performance.now() + SECONDS * 1000;
  while (performance.now() < end) {
    const s = performance.now();
    rt = await next(rt);
    lat.push(performance.now() - s);
  }
  return { rps: lat.length / (lat.reduce((a, b) => a + b, 0) / 1000), p50_ms: pct(lat, 0.5), p99_ms: pct(lat, 0.99) };
}
const oauthNext = async (rt) => {
  const r = await postForm(meta.token_endpoint, { grant_type: 'refresh_token', refresh_token: rt, client_id: clientId });
  if (r.status !== 200) throw new Error(`/oauth/token: ${r.status} ${JSON.stringify(r.body)}`);
  return r.body.refresh_token;
};
const jsonPost = async (path, body) => {
  const res = await fetch(new URL(path, base), { method: 'POST', headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify(body) });
  const out = await res.json();
  if (res.status !== 200) throw new Error(`${path}: ${res.status} ${JSON.stringify(out)}`);
  return out.refresh_token;
};
const one = {
  oauth_token: await sequential(oauthNext, await newChain()),
  auth_refresh: await sequential((rt) => jsonPost('/auth/refresh', { refresh_token: rt }),
    await jsonPost('/auth/login', { email: 'user@example.com', password: 'password', scope: 'openid offline_access' })),
};
console.log(JSON.stringify({ rounds: ROUNDS, conc: CONC, seconds: SECONDS, flows, refresh: byRps[1], refresh_runs: runs, one }));
