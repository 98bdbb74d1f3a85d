// The official MCP TypeScript SDK client against mcpauth's /mcp under a
// real lighttpd. Prints one "ok - ..." or "not ok - ..." line per check and
// "# done" at the end; tests/mcp/run.sh counts them.
//   BASE=http://127.0.0.1:PORT USER_TOKEN=... ADMIN_TOKEN=... VIEWER_TOKEN=... node sdk-client.mjs
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport, StreamableHTTPError } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { isDeepStrictEqual } from 'node:util';

const base = process.env.BASE;
const mcpUrl = new URL('/mcp', base);
const users = {
  user: process.env.USER_TOKEN,
  admin: process.env.ADMIN_TOKEN,
  viewer: process.env.VIEWER_TOKEN,
};

function check(cond, desc, detail) {
  console.log(cond ? `ok - ${desc}` : `not ok - ${desc}${detail === undefined ? '' : `: ${detail}`}`);
}

// A connected client; the token goes in the transport's requestInit headers.
async function connect(token) {
  const client = new Client({ name: 'mcpauth-sdk-test', version: '1.0.0' });
  const headers = token ? { Authorization: `Bearer ${token}` } : {};
  const transport = new StreamableHTTPClientTransport(mcpUrl, { requestInit: { headers } });
  await client.connect(transport);
  return { client, transport };
}

async function getJson(path, token) {
  const res = await fetch(new URL(path, base), { headers: token ? { Authorization: `Bearer ${token}` } : {} });
  return { status: res.status, body: await res.json() };
}

// The error a call throws, or undefined when it does not throw.
async function thrown(promise) {
  try {
    await promise;
    return undefined;
  } catch (e) {
    return e;
  }
}

const text = (result) => JSON.parse(result.content?.[0]?.text ?? 'null');

// --- no token: the handshake, the tool list and public tools work ---------------
{
  const { client, transport } = await connect();
  check(client.getServerVersion()?.name === 'mcpauth', 'initialize: serverInfo.name is mcpauth',
    JSON.stringify(client.getServerVersion()));
  check(client.getServerCapabilities()?.tools !== undefined, 'initialize: the server declares tools');
  check(transport.protocolVersion === '2025-11-25', 'the SDK and the server agree on 2025-11-25',
    transport.protocolVersion);
  check(transport.sessionId === undefined, 'no session id is issued', transport.sessionId);

  const { tools } = await client.listTools();
  const names = tools.map((t) => t.name);
  check(tools.length === 13, 'tools/list: 13 tools', names.join(','));
  check(!names.some((n) => n.startsWith('post_auth_')), 'no tool takes a password or refresh token',
    names.join(','));
  check(names.every((n) => /^[a-zA-Z0-9_-]{1,64}$/.test(n)), 'every tool name follows the MCP rule');
  check(new Set(names).size === names.length, 'tool names are unique');
  check(['get_api_profile', 'get_api_auth0_user_id', 'get_root', 'post_api_users'].every((n) => names.includes(n)),
    'tools/list names get_api_profile, get_api_auth0_user_id, get_root, post_api_users');
  check(tools.every((t) => t.inputSchema?.type === 'object'), 'every inputSchema.type is object');
  const byId = tools.find((t) => t.name === 'get_api_auth0_user_id');
  check(isDeepStrictEqual(byId?.inputSchema?.required, ['id']), 'get_api_auth0_user_id requires id',
    JSON.stringify(byId?.inputSchema));
  check(tools.find((t) => t.name === 'get_api_profile')?.annotations?.readOnlyHint === true,
    'get_api_profile is readOnlyHint');

  check((await thrown(client.ping())) === undefined, 'ping');

  const root = await client.callTool({ name: 'get_root', arguments: {} });
  check(root.isError === false && root.structuredContent?.message === 'Auth0 Integration Example',
    'a public tool answers without a token', JSON.stringify(root).slice(0, 200));

  const e = await thrown(client.callTool({ name: 'get_api_profile', arguments: {} }));
  check(e instanceof StreamableHTTPError && e.code === 401, 'a protected tool without a token: HTTP 401',
    `${e?.name} ${e?.code} ${e?.message}`);
  check(/No token provided/.test(e?.message ?? ''), 'the 401 says no token was provided', e?.message);

  const unknown = await thrown(client.callTool({ name: 'no_such_tool', arguments: {} }));
  check(unknown?.code === -32602, 'an unknown tool: JSON-RPC -32602', `${unknown?.code} ${unknown?.message}`);
  await client.close();
}

// --- a bad token: 401 from the first request on, the handshake included -----------------
{
  const e = await thrown(connect('not.a.token'));
  check(e instanceof StreamableHTTPError && e.code === 401, 'a bad token: HTTP 401 at initialize',
    `${e?.code} ${e?.message}`);
}

// --- each demo user: the tool answers what GET /api/profile answers -----------------
for (const [who, token] of Object.entries(users)) {
  const { client } = await connect(token);
  const direct = await getJson('/api/profile', token);
  const result = await client.callTool({ name: 'get_api_profile', arguments: {} });
  check(direct.status === 200 && result.isError === false, `${who}: get_api_profile succeeds`,
    JSON.stringify(result).slice(0, 200));
  check(isDeepStrictEqual(result.structuredContent, direct.body),
    `${who}: structuredContent equals GET /api/profile`, JSON.stringify(result.structuredContent));
  check(isDeepStrictEqual(text(result), direct.body), `${who}: the text content equals GET /api/profile`);
  await client.close();
}

// --- permissions: the caller's own, nothing more ------------------------------------------------
// With a token, tools/list holds the tools that token can call.
for (const [who, want] of [['user', 7], ['viewer', 8], ['admin', 13]]) {
  const { client } = await connect(users[who]);
  const { tools } = await client.listTools();
  check(tools.length === want, `${who}: tools/list lists the ${want} tools the token can call`,
    tools.map((t) => t.name).join(','));
  await client.close();
}
{
  const { client } = await connect(users.user);
  const denied = await client.callTool({ name: 'get_api_admin_users', arguments: {} });
  check(denied.isError === true, 'user calls an admin tool: isError', JSON.stringify(denied).slice(0, 200));
  check(text(denied)?.error === 'Insufficient permissions' && text(denied)?.message === "Permission 'admin:all' required",
    "isError text is the route's 403 body", denied.content?.[0]?.text);
  await client.close();
}
{
  const { client } = await connect(users.viewer);
  const one = await client.callTool({ name: 'get_api_auth0_user_id', arguments: { id: 'auth0|user123' } });
  check(one.isError === false && one.structuredContent?.user_id === 'auth0|user123',
    'viewer reads a user by id (path parameter with |)', JSON.stringify(one).slice(0, 200));
  const bad = await client.callTool({ name: 'get_api_auth0_user_id', arguments: { id: 5 } });
  check(bad.isError === true && /must be a string/.test(bad.content?.[0]?.text ?? ''),
    'an argument of the wrong type: isError with a clear message', bad.content?.[0]?.text);
  await client.close();
}
{
  const { client } = await connect(users.admin);
  const all = await client.callTool({ name: 'get_api_admin_users', arguments: {} });
  check(all.isError === false && all.structuredContent?.total === 3, 'admin calls the admin tool',
    JSON.stringify(all).slice(0, 200));
  await client.close();
}

// --- outputSchema: the SDK checks each answer against the schema the route's
// answer table gives (after listTools, callTool throws on a mismatch) ----------------
{
  const { client } = await connect(users.admin);
  const { tools } = await client.listTools();
  const typed = tools.filter((t) => Object.keys(t.outputSchema?.properties ?? {}).length > 0).map((t) => t.name);
  check(tools.length === 13 && typed.length === tools.length, 'every tool declares its answer\'s fields in outputSchema',
    typed.join(','));
  const me = (await client.callTool({ name: 'get_api_profile', arguments: {} })).structuredContent;
  const calls = [
    ['get_root', {}],
    ['get_api_profile', {}],
    ['put_api_profile', { name: me?.profile?.name }],
    ['get_api_email', {}],
    ['get_api_users', {}],
    ['post_api_users', { name: 'Schema Check', email: 'schema-check@example.com' }],
    ['get_api_admin_users', {}],
    ['post_api_admin_permissions', { userId: 'auth0|readonly789', permissions: ['read:profile', 'read:users'] }],
    ['get_api_user_id', { id: 'auth0|user123' }],
    ['get_api_auth0_user_id', { id: 'auth0|user123' }],
  ];
  for (const [name, args] of calls) {
    const e = await thrown(client.callTool({ name, arguments: args }));
    check(e === undefined, `${name}: its answer matches its outputSchema`, e?.message);
  }
  await client.close();
}

console.log('# done');
