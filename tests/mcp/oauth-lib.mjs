// What the OAuth end-to-end programs share: the check lines the suite
// counts, the browser's part of the flow over plain HTTP (a cookie jar and
// the login and consent forms as docs/oauth.md fixes them), a loopback
// redirect receiver, PKCE, and Debian's chromium started for playwright-core.
import { createHash, randomBytes } from 'node:crypto';
import { createServer } from 'node:http';

let failures = 0;
export function check(cond, desc, detail) {
  if (!cond) failures++;
  console.log(cond ? `ok - ${desc}` : `not ok - ${desc}${detail === undefined ? '' : `: ${detail}`}`);
  return cond;
}
export const failed = () => failures;

// The error a promise rejects with, or undefined when it resolves.
export async function thrown(promise) {
  try {
    await promise;
    return undefined;
  } catch (e) {
    return e ?? new Error('rejected without a reason');
  }
}

const b64url = (buf) => buf.toString('base64url');
export function pkce() {
  const verifier = b64url(randomBytes(32));
  return { verifier, challenge: b64url(createHash('sha256').update(verifier).digest()) };
}

const entities = { amp: '&', lt: '<', gt: '>', quot: '"', '#39': "'", apos: "'", '#x27': "'", '#x2F': '/', '#47': '/' };
const unescapeHtml = (s) => s.replace(/&(#?\w+);/g, (m, e) => entities[e] ?? m);

// The attributes of every <tag ...> in html, in order.
export function tags(html, tag) {
  const out = [];
  for (const m of html.matchAll(new RegExp(`<${tag}\\b([^>]*)>`, 'gi'))) {
    const attrs = {};
    for (const a of m[1].matchAll(/([\w:-]+)(?:\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'>]+)))?/g)) {
      attrs[a[1].toLowerCase()] = unescapeHtml(a[2] ?? a[3] ?? a[4] ?? '');
    }
    out.push(attrs);
  }
  return out;
}

// A page's form: its action and its fields (hidden ones with their values).
export function parseForm(html) {
  const form = tags(html, 'form')[0];
  if (!form) return undefined;
  const fields = {};
  for (const i of tags(html, 'input')) if (i.name) fields[i.name] = i.value ?? '';
  const buttons = tags(html, 'button').filter((b) => (b.type ?? 'submit') === 'submit');
  return { action: form.action, method: (form.method ?? 'get').toLowerCase(), fields, buttons };
}

export const isLoginPage = (f) => f?.action?.endsWith('/authorize') && 'password' in f.fields;
export const isConsentPage = (f) => f?.action?.endsWith('/authorize/consent');

// A user agent over fetch: keeps cookies per origin, follows nothing by itself.
export class HttpBrowser {
  constructor() {
    this.jar = new Map(); // origin -> Map(name -> value)
  }

  cookieHeader(url) {
    const c = this.jar.get(new URL(url).origin);
    return c && c.size ? [...c].map(([k, v]) => `${k}=${v}`).join('; ') : undefined;
  }

  async request(url, { method = 'GET', form } = {}) {
    const headers = { Accept: 'text/html' };
    const cookie = this.cookieHeader(url);
    if (cookie) headers.Cookie = cookie;
    let body;
    if (form) {
      body = new URLSearchParams(form).toString();
      headers['Content-Type'] = 'application/x-www-form-urlencoded';
    }
    const t0 = performance.now();
    const res = await fetch(url, { method, headers, body, redirect: 'manual' });
    const origin = new URL(url).origin;
    for (const sc of res.headers.getSetCookie()) {
      const [pair] = sc.split(';');
      const eq = pair.indexOf('=');
      if (eq < 1) continue;
      if (!this.jar.has(origin)) this.jar.set(origin, new Map());
      const name = pair.slice(0, eq).trim();
      const value = pair.slice(eq + 1).trim();
      if (/;\s*max-age=0/i.test(sc) || value === '') this.jar.get(origin).delete(name);
      else this.jar.get(origin).set(name, value);
    }
    const location = res.headers.get('location');
    return {
      url,
      status: res.status,
      headers: res.headers,
      location: location ? new URL(location, url).href : undefined,
      text: await res.text(),
      ms: performance.now() - t0,
    };
  }
}

// authorize(browser, authorizationUrl, redirectUri, { email, password,
// decision }): the user's part, as a browser without JavaScript does it:
// GET the authorization URL, post the login form, post Allow (or Deny),
// stop at the redirect to redirectUri. Answers { params, pages, responses }:
// params the redirect's query, pages the forms shown ('login', 'consent'),
// timings how long each form's post took to answer (ms).
export async function authorize(browser, authorizationUrl, redirectUri, opts = {}) {
  const { email = 'user@example.com', password = 'password', decision = 'allow' } = opts;
  const target = new URL(redirectUri);
  const pages = [];
  const responses = [];
  const timings = {}; // ms of the answer to each form post
  let res = await browser.request(authorizationUrl);
  for (let step = 0; step < 8; step++) {
    responses.push(res);
    if (res.status >= 300 && res.status < 400 && res.location) {
      const loc = new URL(res.location);
      if (loc.origin === target.origin && loc.pathname === target.pathname) {
        return { params: Object.fromEntries(loc.searchParams), location: loc, pages, responses, timings };
      }
      res = await browser.request(loc.href);
      continue;
    }
    const form = parseForm(res.text);
    const action = form ? new URL(form.action, res.url).href : undefined;
    if (res.status === 200 && isLoginPage(form)) {
      pages.push('login');
      res = await browser.request(action, { method: 'POST', form: { ...form.fields, email, password } });
      timings.login = res.ms;
    } else if (res.status === 200 && isConsentPage(form)) {
      pages.push('consent');
      res = await browser.request(action, { method: 'POST', form: { ...form.fields, decision } });
      timings.consent = res.ms;
    } else {
      break;
    }
  }
  const last = responses.at(-1);
  const err = new Error(`the flow stopped at HTTP ${last.status} ${last.url} after ${pages.join(',') || 'no page'}: ` +
    last.text.replace(/\s+/g, ' ').slice(0, 300));
  err.pages = pages;
  err.responses = responses;
  throw err;
}

// authorizationRequest(meta, { clientId, redirectUri, scope, resource }):
// a client's authorization URL with PKCE and state; answers { url, state,
// verifier }.
export function authorizationRequest(meta, { clientId, redirectUri, scope, resource }) {
  const p = pkce();
  const state = randomBytes(12).toString('hex');
  const url = new URL(meta.authorization_endpoint);
  url.search = new URLSearchParams({
    response_type: 'code',
    client_id: clientId,
    redirect_uri: redirectUri,
    code_challenge: p.challenge,
    code_challenge_method: 'S256',
    state,
    scope,
    resource,
  }).toString();
  return { url: url.href, state, verifier: p.verifier };
}

// A loopback redirect receiver: http://127.0.0.1:PORT/callback; next()
// resolves with the query of the next request it gets.
export async function redirectReceiver(path = '/callback') {
  const waiting = [];
  const got = [];
  const server = createServer((req, res) => {
    const url = new URL(req.url, 'http://127.0.0.1');
    if (url.pathname !== path) {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8' }).end('<!doctype html><title>Signed in</title><p>You can close this window.</p>');
    const params = Object.fromEntries(url.searchParams);
    const w = waiting.shift();
    if (w) w(params);
    else got.push(params);
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${server.address().port}${path}`,
    next: (ms = 30000) => {
      if (got.length) return Promise.resolve(got.shift());
      return new Promise((resolve, reject) => {
        const t = setTimeout(() => reject(new Error(`no redirect reached the receiver in ${ms} ms`)), ms);
        waiting.push((p) => {
          clearTimeout(t);
          resolve(p);
        });
      });
    },
    close: () => new Promise((r) => server.close(r)),
  };
}

// postForm(url, fields, headers): an OAuth endpoint's form-encoded POST;
// answers { status, body } with the JSON body (or the text).
export async function postForm(url, fields, headers = {}) {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded', Accept: 'application/json', ...headers },
    body: new URLSearchParams(fields).toString(),
  });
  const text = await res.text();
  let body = text;
  try {
    body = JSON.parse(text);
  } catch {
    /* not JSON: kept as text */
  }
  return { status: res.status, headers: res.headers, body };
}

// What an application keeps for the SDK: client, tokens, verifier,
// discovery, all in memory; it records what the SDK asked of it.
export class TestProvider {
  constructor(name, redirectUrl, clientMetadataUrl) {
    this.name = name;
    this._redirectUrl = redirectUrl;
    if (clientMetadataUrl) this.clientMetadataUrl = clientMetadataUrl;
    this.redirects = [];
    this.invalidated = [];
    this.tokenSaves = 0;
  }

  get redirectUrl() {
    return this._redirectUrl;
  }

  get clientMetadata() {
    return {
      client_name: `mcpauth SDK test (${this.name})`,
      redirect_uris: [this._redirectUrl],
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
      token_endpoint_auth_method: 'none',
    };
  }

  state() {
    this.lastState = randomBytes(16).toString('hex');
    return this.lastState;
  }

  clientInformation() {
    return this.client;
  }

  saveClientInformation(info) {
    this.client = info;
  }

  tokens() {
    return this._tokens;
  }

  saveTokens(tokens) {
    this._tokens = tokens;
    this.tokenSaves++;
  }

  redirectToAuthorization(url) {
    this.redirects.push(new URL(url));
  }

  saveCodeVerifier(v) {
    this.verifier = v;
  }

  codeVerifier() {
    return this.verifier;
  }

  saveDiscoveryState(s) {
    this.discovery = s;
  }

  discoveryState() {
    return this.discovery;
  }

  invalidateCredentials(scope) {
    this.invalidated.push(scope);
    if (scope === 'all' || scope === 'tokens') this._tokens = undefined;
    if (scope === 'all' || scope === 'client') this.client = undefined;
    if (scope === 'all' || scope === 'verifier') this.verifier = undefined;
  }
}

// The authorization server's metadata, found as a client finds it:
// /mcp's protected resource metadata names it.
export async function discover(base) {
  const prm = await (await fetch(new URL('/.well-known/oauth-protected-resource/mcp', base))).json();
  const as = new URL(prm.authorization_servers[0]);
  const path = as.pathname === '/' ? '' : as.pathname;
  const meta = await (await fetch(new URL(`/.well-known/oauth-authorization-server${path}`, as.origin))).json();
  return { prm, meta };
}

// Debian's chromium, headless, through playwright-core (no browser of its
// own is downloaded). As root (CI runs the suite as root) chromium will not
// start its setuid/namespace sandbox, so --no-sandbox is needed there; it
// only ever loads this suite's loopback pages. The background services are
// off: this machine's network is closed, and they would only add noise.
export async function launchChromium() {
  const { chromium } = await import('playwright-core');
  const args = ['--disable-gpu', '--disable-dev-shm-usage', '--disable-background-networking',
    '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic'];
  if (process.getuid?.() === 0) args.push('--no-sandbox');
  return chromium.launch({
    executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
    headless: true,
    args,
    timeout: 30000,
  });
}

// signIn(page, url, redirectUri, opts): the user in a real browser: opens
// the authorization URL, fills the login form, clicks Allow, and waits for
// the browser to reach redirectUri. Answers the pages it saw (.texts.consent:
// the consent page's text).
export async function signIn(page, url, redirectUri, { email = 'user@example.com', password = 'password' } = {}) {
  const pages = [];
  const texts = {}; // what the consent page said
  const target = new URL(redirectUri);
  const reached = () => {
    const u = new URL(page.url());
    return u.origin === target.origin && u.pathname === target.pathname;
  };
  await page.goto(url, { waitUntil: 'domcontentloaded' });
  for (let step = 0; step < 4 && !reached(); step++) {
    if (await page.locator('form[action$="/authorize"] input[name="password"]').count()) {
      pages.push('login');
      await page.getByLabel(/e-?mail/i).fill(email);
      await page.locator('input[name="password"]').fill(password);
      await Promise.all([page.waitForNavigation({ waitUntil: 'domcontentloaded' }),
        page.locator('form[action$="/authorize"] button[type="submit"]').click()]);
    } else if (await page.locator('form[action$="/authorize/consent"]').count()) {
      pages.push('consent');
      texts.consent = await page.locator('body').innerText();
      await Promise.all([page.waitForNavigation({ waitUntil: 'domcontentloaded' }),
        page.locator('button[name="decision"][value="allow"]').click()]);
    } else {
      break;
    }
  }
  if (!reached()) throw new Error(`the browser stopped at ${page.url()} after ${pages.join(',') || 'no page'}`);
  pages.texts = texts;
  return pages;
}
