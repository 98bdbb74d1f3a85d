// A real browser through the authorization flow: Debian's chromium,
// headless, driven by playwright-core. It opens the authorization URL,
// fills the login form, clicks Allow; the loopback redirect receiver here
// gets the code, which the token endpoint exchanges. A second run with a
// wrong password must show the error on the page. Prints "ok - ..." lines
// and "# done"; tests/mcp/oauth.sh counts them.
//   BASE=http://127.0.0.1:PORT [CHROMIUM=/usr/bin/chromium] node oauth-browser.mjs
import { check, authorizationRequest, redirectReceiver, postForm, discover, launchChromium, signIn } from './oauth-lib.mjs';

// The time budget: a browser that hangs fails the suite, it does not stall it.
const BUDGET_MS = Number(process.env.BROWSER_BUDGET_MS ?? 90000);
const budget = setTimeout(() => {
  console.log(`not ok - the browser runs finished within ${BUDGET_MS} ms`);
  process.exit(1);
}, BUDGET_MS);

const base = process.env.BASE;
const mcpUrl = new URL('/mcp', base);
const { meta } = await discover(base);
const receiver = await redirectReceiver();

// The client: registered dynamically, with the receiver as its redirect URI.
const reg = await fetch(meta.registration_endpoint, {
  method: 'POST',
  headers: { 'Content-Type': 'application/json' },
  body: JSON.stringify({
    client_name: 'mcpauth browser test',
    redirect_uris: [receiver.url],
    grant_types: ['authorization_code', 'refresh_token'],
    response_types: ['code'],
    token_endpoint_auth_method: 'none',
  }),
});
const client = await reg.json();
check(reg.status === 201 && typeof client.client_id === 'string', 'the browser test\'s client is registered',
  `${reg.status} ${JSON.stringify(client)}`);

const authorizationUrl = () => authorizationRequest(meta, { clientId: client.client_id, redirectUri: receiver.url,
  scope: 'openid profile read:profile offline_access', resource: mcpUrl.href });

const browser = await launchChromium();
check(/\d+\./.test(browser.version()), 'chromium started headless', browser.version());
try {
  // --- run 1: login, Allow, code, token; JavaScript off, as the pages must work without it.
  {
    const a = authorizationUrl();
    const ctx = await browser.newContext({ javaScriptEnabled: false });
    const page = await ctx.newPage();
    page.setDefaultTimeout(15000);
    const loginPage = page.waitForResponse((r) => r.url().startsWith(meta.authorization_endpoint));
    const pending = receiver.next(30000);
    const t0 = Date.now();
    const pages = await signIn(page, a.url, receiver.url);
    const first = await loginPage;
    check(first.status() === 200 && /frame-ancestors 'none'/.test(first.headers()['content-security-policy'] ?? ''),
      'the login page: 200 with frame-ancestors \'none\'');
    check(pages.join(',') === 'login,consent', 'the browser saw the login page, then the consent page', pages.join(','));
    const consent = pages.texts.consent ?? '';
    check(consent.includes('mcpauth browser test') && consent.includes(mcpUrl.href),
      'the consent page names the client and the resource', consent.replace(/\s+/g, ' ').slice(0, 300));
    const params = await pending;
    check(params.state === a.state && params.iss === meta.issuer && typeof params.code === 'string',
      'the receiver got code, state and iss', JSON.stringify({ ...params, code: params.code ? '(code)' : undefined }));
    check(/You can close this window/.test(await page.content()), 'the browser ended on the receiver\'s page');
    const tok = await postForm(meta.token_endpoint, {
      grant_type: 'authorization_code',
      code: params.code,
      redirect_uri: receiver.url,
      client_id: client.client_id,
      code_verifier: a.verifier,
      resource: mcpUrl.href,
    });
    check(tok.status === 200 && typeof tok.body?.access_token === 'string' && /^bearer$/i.test(tok.body?.token_type ?? ''),
      'the token endpoint exchanged the browser\'s code', `${tok.status} ${JSON.stringify(tok.body?.error ?? tok.body)}`);
    const call = await fetch(mcpUrl, {
      method: 'POST',
      headers: { Authorization: `Bearer ${tok.body?.access_token}`, 'Content-Type': 'application/json',
        Accept: 'application/json, text/event-stream', 'MCP-Protocol-Version': '2025-11-25' },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 'get_api_profile', arguments: {} } }),
    });
    const out = await call.json().catch(() => ({}));
    check(call.status === 200 && out.result?.structuredContent?.profile?.email === 'user@example.com',
      'the exchanged token calls get_api_profile on /mcp', `${call.status} ${JSON.stringify(out).slice(0, 200)}`);
    console.log(`# browser flow: ${Date.now() - t0} ms from the authorization URL to the receiver`);
    await ctx.close();
  }

  // --- run 2: a wrong password: the login page again, 401, the error in [role=alert].
  {
    const a = authorizationUrl();
    const ctx = await browser.newContext();
    const page = await ctx.newPage();
    page.setDefaultTimeout(15000);
    await page.goto(a.url, { waitUntil: 'domcontentloaded' });
    const unlabeled = await page.locator('input:not([type=hidden])').evaluateAll(
      (els) => els.filter((e) => !e.labels || e.labels.length === 0).map((e) => e.name));
    check(unlabeled.length === 0, 'every visible input of the login page has a label', unlabeled.join(','));
    await page.getByLabel(/e-?mail/i).fill('user@example.com');
    await page.locator('input[name="password"]').fill('not-the-password');
    const [resp] = await Promise.all([
      page.waitForResponse((r) => r.request().method() === 'POST' && new URL(r.url()).pathname.endsWith('/authorize')),
      page.locator('form[action$="/authorize"] button[type="submit"]').click(),
    ]);
    check(resp.status() === 401, 'a wrong password: HTTP 401', resp.status());
    const alert = page.locator('[role=alert]');
    await alert.first().waitFor({ state: 'visible' });
    const text = (await alert.first().textContent())?.trim() ?? '';
    check(text.length > 0, 'the error is shown in [role=alert]', text);
    check(await page.locator('form[action$="/authorize"] input[name="password"]').count() === 1,
      'the login form is shown again');
    check(!(await page.content()).includes('not-the-password'), 'the page does not echo the password');
    check(await receiver.next(500).then(() => false, () => true), 'no redirect reached the receiver');
    await ctx.close();
  }
} finally {
  await browser.close();
  await receiver.close();
}
clearTimeout(budget);
console.log('# done');
