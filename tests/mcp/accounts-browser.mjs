// The account pages in a real browser: Debian's chromium, headless, with
// JavaScript off (the pages must work without it), driven by
// playwright-core. Signs up on /account/signup, opens the mailed
// verification link, asks for a reset link on /account/reset, is refused a
// weak password there, sets a good one, and finds the link dead after.
// Mail is read from MAILDIR, where the suite's mail command files it.
// Screenshots of the sign-up and reset pages go to SHOT_DIR (docs/img).
// Prints "ok - ..." lines and "# done"; tests/mcp/accounts-browser.sh
// counts them.
//   BASE=http://127.0.0.1:PORT MAILDIR=... SHOT_DIR=... node accounts-browser.mjs
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { check, launchChromium } from './oauth-lib.mjs';

const BUDGET_MS = Number(process.env.BROWSER_BUDGET_MS ?? 90000);
const budget = setTimeout(() => {
  console.log(`not ok - the browser runs finished within ${BUDGET_MS} ms`);
  process.exit(1);
}, BUDGET_MS);

const base = process.env.BASE;
const maildir = process.env.MAILDIR;
const shots = process.env.SHOT_DIR;
const email = 'grace@example.com';

// The newest mail to address holding a link to path: its token (10 s at most).
async function mailedToken(address, path, after = 0) {
  for (let i = 0; i < 100; i++) {
    const files = readdirSync(maildir).filter((f) => f.startsWith(`${address}.`) && !f.endsWith('.tmp')).sort();
    if (files.length > after) {
      const text = readFileSync(join(maildir, files[files.length - 1]), 'utf8');
      const m = text.match(new RegExp(`${path.replace(/[/?]/g, '\\$&')}\\?token=([A-Za-z0-9_-]+)`));
      if (m) return { token: m[1], count: files.length };
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return { token: undefined, count: after };
}

async function submit(page, selector) {
  const [resp] = await Promise.all([page.waitForNavigation({ waitUntil: 'domcontentloaded' }), page.locator(selector).click()]);
  return resp;
}

const browser = await launchChromium();
check(/\d+\./.test(browser.version()), 'chromium started headless', browser.version());
try {
  const ctx = await browser.newContext({ javaScriptEnabled: false, viewport: { width: 800, height: 640 } });
  const page = await ctx.newPage();
  page.setDefaultTimeout(15000);

  // --- sign-up
  const form = await page.goto(`${base}/account/signup`, { waitUntil: 'domcontentloaded' });
  check(form.status() === 200 && /frame-ancestors 'none'/.test(form.headers()['content-security-policy'] ?? ''),
    'the sign-up page: 200 with frame-ancestors \'none\'');
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Name').fill('Grace Hopper');
  await page.getByLabel('Password').fill('cobol compiler 1959');
  await page.screenshot({ path: join(shots, 'signup.png') });
  let resp = await submit(page, 'button[type="submit"]');
  check(resp.status() === 200 && /Check your email/.test(await page.locator('h1').innerText()),
    'the sign-up form answers "Check your email"', `${resp.status()} ${await page.locator('body').innerText()}`);
  const verify = await mailedToken(email, '/auth/verify');
  check(typeof verify.token === 'string', 'the verification link was mailed');
  resp = await page.goto(`${base}/auth/verify?token=${verify.token}`, { waitUntil: 'domcontentloaded' });
  check(resp.status() === 200 && /is verified/.test(await page.locator('body').innerText()),
    'the browser opening the link sees the address verified', `${resp.status()}`);

  // --- a form without the page's CSRF token is refused
  const forged = await fetch(`${base}/account/signup`, {
    method: 'POST', headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
    body: 'email=x%40example.com&name=X&password=a+long+forged+password',
  });
  check(forged.status === 403, 'a sign-up form posted without the page\'s CSRF token is refused', `${forged.status}`);

  // --- reset: ask for a link, a weak password, a good one
  await page.goto(`${base}/account/reset`, { waitUntil: 'domcontentloaded' });
  await page.getByLabel('Email').fill(email);
  resp = await submit(page, 'button[type="submit"]');
  check(resp.status() === 200 && /Check your email/.test(await page.locator('h1').innerText()),
    'the reset request form answers "Check your email"');
  const reset = await mailedToken(email, '/account/reset', verify.count);
  check(typeof reset.token === 'string', 'the reset link was mailed');
  resp = await page.goto(`${base}/account/reset?token=${reset.token}`, { waitUntil: 'domcontentloaded' });
  check(resp.status() === 200 && await page.getByLabel('New password').count() === 1,
    'the reset link opens the new password form');
  await page.getByLabel('New password').fill('short');
  resp = await submit(page, 'button[type="submit"]');
  const alert = await page.locator('[role="alert"]').innerText().catch(() => '');
  check(resp.status() === 400 && /at least/.test(alert), 'a weak password is refused on the page, with the rule', `${resp.status()} ${alert}`);
  await page.getByLabel('New password').fill('a debugged new password');
  await page.screenshot({ path: join(shots, 'reset.png') });
  resp = await submit(page, 'button[type="submit"]');
  check(resp.status() === 200 && /Password changed/.test(await page.locator('h1').innerText()),
    'the good password is set', `${resp.status()} ${await page.locator('body').innerText()}`);
  const login = await fetch(`${base}/auth/login`, {
    method: 'POST', headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ email, password: 'a debugged new password' }),
  });
  check(login.status === 200, 'the new password logs in', `${login.status}`);
  resp = await page.goto(`${base}/account/reset?token=${reset.token}`, { waitUntil: 'domcontentloaded' });
  check(resp.status() === 400 && /already used/.test(await page.locator('body').innerText()),
    'the used reset link opens no form again', `${resp.status()}`);
  await ctx.close();
} finally {
  await browser.close();
  clearTimeout(budget);
}
console.log('# done');
