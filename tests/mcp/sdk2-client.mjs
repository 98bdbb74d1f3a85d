// The official TypeScript SDK 2.x client (@modelcontextprotocol/client)
// against mcpauth's /mcp under a real lighttpd, in one of its version
// negotiation modes: 'legacy' (the 2025 initialize handshake, its default),
// 'auto' (probes with server/discover, falls back to initialize) or pinned
// to 2026-07-28 (server/discover must offer it; no fallback). Prints one
// "ok - ..." or "not ok - ..." line per check and "# done" at the end;
// tests/mcp/eras.sh counts them.
//   MODE=legacy|auto|2026-07-28 ERA=<the revision the mode must reach>
//   BASE=http://127.0.0.1:PORT USER_TOKEN=... ADMIN_TOKEN=... VIEWER_TOKEN=... node sdk2-client.mjs
import { Client, StreamableHTTPClientTransport, SdkHttpError } from '@modelcontextprotocol/client';
import Ajv2020 from 'ajv/dist/2020.js';
import { isDeepStrictEqual } from 'node:util';

const base = process.env.BASE;
const mode = process.env.MODE;
const era = process.env.ERA;
const mcpUrl = new URL('/mcp', base);
const tokens = { user: process.env.USER_TOKEN, viewer: process.env.VIEWER_TOKEN, admin: process.env.ADMIN_TOKEN };
const versionNegotiation = mode === 'legacy' ? { mode: 'legacy' } : mode === 'auto' ? { mode: 'auto' } : { mode: { pin: mode } };

// The tools each demo user's token can call (permissions, and the scope
// "email" for get_api_email); the admin holds every permission.
const ALL = ['get_root', 'get_auth_mfa', 'get_api_profile', 'put_api_profile', 'get_api_email', 'get_api_sessions',
  'delete_api_sessions_id', 'get_api_users', 'post_api_users', 'get_api_admin_users', 'post_api_admin_permissions',
  'get_api_auth0_user_id', 'get_api_user_id'];
const LISTS = {
  user: ['get_root', 'get_auth_mfa', 'get_api_profile', 'put_api_profile', 'get_api_email', 'get_api_sessions',
    'delete_api_sessions_id'],
  viewer: ['get_root', 'get_auth_mfa', 'get_api_profile', 'get_api_email', 'get_api_sessions', 'get_api_users',
    'get_api_auth0_user_id', 'get_api_user_id'],
  admin: ALL,
};
// A new refresh-token login of the demo user; its session id, which
// delete_api_sessions_id ends (a caller ends only its own sessions).
const LOGINS = { user: ['user@example.com', 'password'], admin: ['admin@example.com', 'admin'] };
async function newSession(who) {
  const ids = async () => (await (await fetch(new URL('/api/sessions', base),
    { headers: { Authorization: `Bearer ${tokens[who]}` } })).json()).sessions.map((s) => s.id);
  const before = await ids();
  const [email, password] = LOGINS[who];
  await fetch(new URL('/auth/login', base), { method: 'POST', headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ email, password, scope: 'openid offline_access' }) });
  return (await ids()).find((id) => !before.includes(id));
}
// Arguments that leave the demo data as it was (or add a user of one's own).
const ARGS = {
  put_api_profile: (who) => ({ name: { user: 'John Doe', viewer: 'View Only', admin: 'Jane Admin' }[who] }),
  post_api_users: (who) => ({ name: 'Era Check', email: `era-${mode}-${who}@example.com` }),
  post_api_admin_permissions: () => ({ userId: 'auth0|readonly789', permissions: ['read:profile', 'read:users'] }),
  get_api_auth0_user_id: () => ({ id: 'auth0|user123' }),
  get_api_user_id: () => ({ id: 'auth0|user123' }),
  // The viewer may not: refused before the id is looked at.
  delete_api_sessions_id: async (who) => ({ id: who === 'viewer' ? 'rt_none' : await newSession(who) }),
};

const tag = `[${mode}]`;
function check(cond, desc, detail) {
  console.log(cond ? `ok - ${tag} ${desc}` : `not ok - ${tag} ${desc}${detail === undefined ? '' : `: ${detail}`}`);
}
async function thrown(promise) {
  try {
    await promise;
    return undefined;
  } catch (e) {
    return e;
  }
}
async function connect(token) {
  const client = new Client({ name: 'mcpauth-sdk2-test', version: '1.0.0' }, { versionNegotiation });
  const headers = token ? { Authorization: `Bearer ${token}` } : {};
  await client.connect(new StreamableHTTPClientTransport(mcpUrl, { requestInit: { headers } }));
  return client;
}
const ajv = new Ajv2020({ strict: false, allErrors: true });
// 2026-07-28 lists carry caching hints: public without a token, private
// with one (the list is then the caller's); the handshake era has none.
function checkCaching(list, who, scope) {
  const want = era === '2026-07-28' ? scope : undefined;
  check(list.cacheScope === want && (want === undefined ? list.ttlMs === undefined : Number.isInteger(list.ttlMs) && list.ttlMs >= 0),
    `${who}: tools/list cacheScope ${want ?? 'absent'}`, JSON.stringify({ cacheScope: list.cacheScope, ttlMs: list.ttlMs }));
}

// --- no token: the era, the whole list, a public tool, a 401 -------------------------------
{
  const client = await connect();
  check(client.getNegotiatedProtocolVersion() === era, `negotiates ${era}`, client.getNegotiatedProtocolVersion());
  check(client.getServerVersion()?.name === 'mcpauth', 'serverInfo.name is mcpauth', JSON.stringify(client.getServerVersion()));
  check(client.getServerCapabilities()?.tools !== undefined, 'the server declares tools');
  const list = await client.listTools();
  const { tools } = list;
  checkCaching(list, 'no token', 'public');
  check(isDeepStrictEqual(tools.map((t) => t.name).sort(), [...ALL].sort()), 'without a token, tools/list lists every tool',
    tools.map((t) => t.name).join(','));
  check(tools.every((t) => t.name === 'get_root' || /Requires (an|a valid) access token/.test(t.description ?? '')),
    "each protected tool's description says what it requires");
  check(tools.every((t) => t.outputSchema?.type === 'object' && t.annotations?.openWorldHint === false),
    'every tool has an object outputSchema and openWorldHint false');
  const root = await client.callTool({ name: 'get_root', arguments: {} });
  check(root.isError !== true && root.structuredContent?.message === 'Auth0 Integration Example',
    'a public tool answers without a token', JSON.stringify(root).slice(0, 200));
  const e = await thrown(client.callTool({ name: 'get_api_profile', arguments: {} }));
  check(e instanceof SdkHttpError && e.status === 401, 'a protected tool without a token: HTTP 401',
    `${e?.name} ${e?.status} ${e?.message}`);
  await client.close();
}

// --- a bad token: refused from the first request on ----------------------------------------
{
  const e = await thrown(connect('not.a.token'));
  check(e !== undefined && (e.status === 401 || /401/.test(e.message)), 'a bad token: HTTP 401 at connect',
    `${e?.name} ${e?.status} ${e?.message}`);
}

// --- each role: its own list; every listed tool callable, its answer valid
// against its outputSchema; every other tool answers the route's 403 -----------------------
for (const [who, token] of Object.entries(tokens)) {
  const client = await connect(token);
  check(client.getNegotiatedProtocolVersion() === era, `${who}: negotiates ${era} with a token`);
  const list = await client.listTools();
  const { tools } = list;
  checkCaching(list, who, 'private');
  const names = tools.map((t) => t.name);
  check(isDeepStrictEqual(names, LISTS[who]), `${who}: tools/list lists the tools the token can call`, names.join(','));
  for (const tool of tools) {
    const args = (await ARGS[tool.name]?.(who)) ?? {};
    const res = await thrown(client.callTool({ name: tool.name, arguments: args }).then((r) => { tool.result = r; }));
    const r = tool.result;
    check(res === undefined && r?.isError !== true, `${who}: ${tool.name} is callable`,
      res?.message ?? JSON.stringify(r).slice(0, 300));
    const validate = ajv.compile(tool.outputSchema ?? {});
    check(r?.structuredContent !== undefined && validate(r.structuredContent),
      `${who}: ${tool.name} structuredContent is valid against its outputSchema`,
      JSON.stringify(validate.errors ?? r?.structuredContent)?.slice(0, 300));
    check(isDeepStrictEqual(JSON.parse(r?.content?.[0]?.text ?? 'null'), r?.structuredContent),
      `${who}: ${tool.name} text content equals structuredContent`);
  }
  for (const name of ALL.filter((n) => !names.includes(n))) {
    const r = await client.callTool({ name, arguments: (await ARGS[name]?.(who)) ?? {} });
    const body = JSON.parse(r.content?.[0]?.text ?? 'null');
    check(r.isError === true && body?.error === 'Insufficient permissions', `${who}: ${name}, not listed, answers 403`,
      JSON.stringify(r).slice(0, 200));
  }
  await client.close();
}

console.log('# done');
