// Two-factor login (issue 17) in Debian's chromium, headless, JavaScript
// off: a signed-in browser sets TOTP up on /account/mfa (the QR code, the
// key, the first code, the recovery codes), then a new browser signs in at
// /authorize and gets the second form, refuses a wrong code and takes the
// right one. Codes come from RFC 6238 computed here with node's crypto, not
// from the suite. Screenshots go to SCREENSHOT_DIR. Prints "ok - ..." lines
// and "# done"; tests/mcp/accounts-mfa.sh counts them.
//   BASE=... EMAIL=... PASSWORD=... SCREENSHOT_DIR=... node mfa-browser.mjs
import { createHmac } from 'node:crypto';
import { check, authorizationRequest, redirectReceiver, discover, launchChromium, signIn } from './oauth-lib.mjs';

const BUDGET_MS = Number(process.env.BROWSER_BUDGET_MS ?? 90000);
const budget = setTimeout(() => {
  console.log(`not ok - the browser runs finished within ${BUDGET_MS} ms`);
  process.exit(1);
}, BUDGET_MS);

const { BASE: base, EMAIL: email, PASSWORD: password, SCREENSHOT_DIR: shots } = process.env;

function base32(s) {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  let bits = 0, value = 0;
  const out = [];
  for (const c of s) {
    value = (value << 5) | alphabet.indexOf(c);
    bits += 5;
    if (bits >= 8) {
      out.push((value >>> (bits - 8)) & 255);
      bits -= 8;
    }
  }
  return Buffer.from(out);
}
// RFC 6238 with SHA-1, 30 s, 6 digits, at unix time t.
function totp(secret, t) {
  const msg = Buffer.alloc(8);
  msg.writeBigUInt64BE(BigInt(Math.floor(t / 30)));
  const mac = createHmac('sha1', base32(secret)).update(msg).digest();
  const off = mac[mac.length - 1] & 15;
  return String((mac.readUInt32BE(off) & 0x7fffffff) % 1000000).padStart(6, '0');
}

const { meta } = await discover(base);
const receiver = await redirectReceiver();
const reg = await fetch(meta.registration_endpoint, {
  method: 'POST',
  headers: { 'Content-Type': 'application/json' },
  body: JSON.stringify({ client_name: 'mcpauth TOTP browser test', redirect_uris: [receiver.url],
    token_endpoint_auth_method: 'none' }),
});
const client = await reg.json();
check(reg.status === 201, 'the browser test\'s client is registered', reg.status);
const authorizationUrl = () => authorizationRequest(meta, { clientId: client.client_id, redirectUri: receiver.url,
  scope: 'openid profile', resource: new URL('/mcp', base).href }).url;

const browser = await launchChromium();
const t0 = Date.now() / 1000;
try {
  // --- 1. a signed-in browser turns TOTP on at /account/mfa
  {
    const ctx = await browser.newContext({ javaScriptEnabled: false, viewport: { width: 640, height: 900 } });
    const page = await ctx.newPage();
    page.setDefaultTimeout(15000);
    const pending = receiver.next(30000);
    const pages = await signIn(page, authorizationUrl(), receiver.url, { email, password });
    await pending;
    check(pages.join(',') === 'login,consent', 'without TOTP: the password alone signs in', pages.join(','));
    await page.goto(new URL('/account/mfa', base).href, { waitUntil: 'domcontentloaded' });
    check((await page.locator('main').innerText()).includes('Two-factor login is off'), '/account/mfa: off');
    await Promise.all([page.waitForNavigation({ waitUntil: 'domcontentloaded' }),
      page.getByRole('button', { name: /set up/i }).click()]);
    const qr = page.locator('svg[role="img"]');
    check(await qr.count() === 1 && (await qr.boundingBox())?.width >= 200, 'the page shows the QR code (inline SVG)');
    const secret = (await page.locator('#secret').textContent())?.trim() ?? '';
    check(/^[A-Z2-7]{32}$/.test(secret), 'and the key to type in', secret.length);
    const unlabeled = await page.locator('input:not([type=hidden])').evaluateAll(
      (els) => els.filter((e) => !e.labels || e.labels.length === 0).map((e) => e.name));
    check(unlabeled.length === 0, 'the code field has a label', unlabeled.join(','));
    if (shots) await page.screenshot({ path: `${shots}/mfa-setup.png`, fullPage: true });
    await page.locator('input[name="otp"]').fill(totp(secret, t0));
    await Promise.all([page.waitForNavigation({ waitUntil: 'domcontentloaded' }),
      page.getByRole('button', { name: /turn on/i }).click()]);
    check((await page.locator('[role=status]').textContent())?.includes('on'), 'the first code turns it on');
    check(await page.locator('#recovery-codes li').count() === 10, 'the page shows ten recovery codes once');
    await page.reload({ waitUntil: 'domcontentloaded' });
    check(await page.locator('#recovery-codes').count() === 0, 'and not again on reload');
    await ctx.close();

    // --- 2. a new browser signs in: password, then the second form
    const ctx2 = await browser.newContext({ javaScriptEnabled: false, viewport: { width: 640, height: 700 } });
    const p2 = await ctx2.newPage();
    p2.setDefaultTimeout(15000);
    await p2.goto(authorizationUrl(), { waitUntil: 'domcontentloaded' });
    await p2.getByLabel(/e-?mail/i).fill(email);
    await p2.locator('input[name="password"]').fill(password);
    await Promise.all([p2.waitForNavigation({ waitUntil: 'domcontentloaded' }),
      p2.locator('form[action$="/authorize"] button[type="submit"]').click()]);
    const code = p2.locator('input[name="otp"]');
    check(await code.count() === 1 && await p2.locator('input[name="password"]').count() === 0,
      'the right password shows the second form, not the session');
    check(await code.getAttribute('autocomplete') === 'one-time-code', 'its field asks for a one-time code');
    if (shots) await p2.screenshot({ path: `${shots}/mfa-code.png`, fullPage: true });
    await code.fill(totp(secret, t0) === '000000' ? '111111' : '000000');
    const [bad] = await Promise.all([
      p2.waitForResponse((r) => r.request().method() === 'POST' && new URL(r.url()).pathname === '/authorize'),
      p2.locator('form[action$="/authorize"] button[type="submit"]').click(),
    ]);
    check(bad.status() === 401, 'a wrong code: 401', bad.status());
    await p2.locator('[role=alert]').first().waitFor({ state: 'visible' });
    check(await p2.locator('input[name="otp"]').count() === 1, 'the second form again, with the alert');
    const pending2 = receiver.next(30000);
    await p2.locator('input[name="otp"]').fill(totp(secret, t0 + 30));
    await p2.locator('form[action$="/authorize"] button[type="submit"]').click();
    const params = await pending2;
    check(typeof params.code === 'string', 'the next step\'s code signs in: the client gets its code');
    await ctx2.close();
  }
} finally {
  await browser.close();
  await receiver.close();
}
clearTimeout(budget);
console.log('# done');
