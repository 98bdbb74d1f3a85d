// The /account page in a real browser: Debian's chromium, headless, with
// JavaScript off (the page needs none), driven by playwright-core. It signs
// in, sees the sessions, ends one, is refused a common password with an
// alert, and changes the password; each page's screenshot goes to
// SCREENSHOT_DIR (docs/img/ in the source tree, shown in docs/accounts.md).
// Prints "ok - ..." lines and "# done"; tests/mcp/accounts.sh counts them.
//   BASE=http://127.0.0.1:PORT EMAIL=... PASSWORD=... NEW_PASSWORD=... [SCREENSHOT_DIR=...]
//   [CHROMIUM=/usr/bin/chromium] node account-browser.mjs
import { check, launchChromium } from './oauth-lib.mjs';

const BUDGET_MS = Number(process.env.BROWSER_BUDGET_MS ?? 90000);
const budget = setTimeout(() => {
  console.log(`not ok - the browser run finished within ${BUDGET_MS} ms`);
  process.exit(1);
}, BUDGET_MS);

const { BASE: base, EMAIL: email, PASSWORD: password, NEW_PASSWORD: newPassword } = process.env;
const shots = process.env.SCREENSHOT_DIR;
const shot = async (page, name) => {
  if (shots) await page.screenshot({ path: `${shots}/${name}.png`, fullPage: true });
};
const post = (page, path) => (r) => r.request().method() === 'POST' && new URL(r.url()).pathname === path;

const browser = await launchChromium();
check(/\d+\./.test(browser.version()), 'chromium started headless', browser.version());
try {
  const ctx = await browser.newContext({ javaScriptEnabled: false, viewport: { width: 800, height: 900 } });
  const page = await ctx.newPage();
  page.setDefaultTimeout(15000);

  // Signed out: the sign-in form, every input labelled.
  const first = await page.goto(new URL('/account', base).href, { waitUntil: 'domcontentloaded' });
  check(first.status() === 200 && /frame-ancestors 'none'/.test(first.headers()['content-security-policy'] ?? ''),
    'GET /account: 200 with the pages\' CSP');
  const unlabeled = await page.locator('input:not([type=hidden])').evaluateAll(
    (els) => els.filter((e) => !e.labels || e.labels.length === 0).map((e) => e.name));
  check(unlabeled.length === 0, 'every visible input of the sign-in form has a label', unlabeled.join(','));
  await shot(page, 'account-signin');

  // A wrong password: 401, the alert, the form again.
  await page.getByLabel(/e-?mail/i).fill(email);
  await page.getByLabel(/^password$/i).fill('not-the-password');
  let [resp] = await Promise.all([page.waitForResponse(post(page, '/account/login')),
    page.locator('form[action="/account/login"] button[type="submit"]').click()]);
  check(resp.status() === 401, 'a wrong password: HTTP 401', resp.status());
  check(((await page.locator('[role=alert]').first().textContent()) ?? '').includes('Wrong email or password'),
    'the error is shown in [role=alert]');

  // Signed in: 303 to /account, the sessions.
  await page.getByLabel(/e-?mail/i).fill(email);
  await page.getByLabel(/^password$/i).fill(password);
  [resp] = await Promise.all([page.waitForResponse(post(page, '/account/login')),
    page.locator('form[action="/account/login"] button[type="submit"]').click()]);
  await page.waitForURL((u) => u.pathname === '/account');
  check(resp.status() === 303, 'the sign-in answers 303 to /account', resp.status());
  const body = await page.locator('main').innerText();
  check(body.includes(`Signed in as ${email}`), 'the page names the signed-in user');
  check(await page.locator('a[href="/account/mfa"]').count() === 1, 'the page links to /account/mfa');
  const ends = page.locator('form[action="/account/sessions/end"]');
  const before = await ends.count();
  check(before >= 2, 'the page lists the user\'s sessions, each with an end button', before);
  check(/from 127\.0\.0\.1/.test(body), 'a session shows the address it was last used from');
  await shot(page, 'account');

  // End one session.
  [resp] = await Promise.all([page.waitForResponse(post(page, '/account/sessions/end')),
    ends.first().locator('button').click()]);
  check(resp.status() === 200 && (await page.locator('[role=status]').innerText()).includes('Session ended'),
    'ending a session: 200 and a status line');
  check(await page.locator('form[action="/account/sessions/end"]').count() === before - 1,
    'the ended session is gone from the list');

  // A common password: 400 and the rule in an alert.
  await page.getByLabel(/current password/i).fill(password);
  await page.getByLabel(/new password/i).fill('1234567890');
  [resp] = await Promise.all([page.waitForResponse(post(page, '/account/password')),
    page.locator('form[action="/account/password"] button[type="submit"]').click()]);
  check(resp.status() === 400, 'a common new password: HTTP 400', resp.status());
  check(((await page.locator('[role=alert]').first().textContent()) ?? '').includes('most common'),
    'the rule is shown in [role=alert]');
  await shot(page, 'account-weak-password');

  // The change: the page says so; the browser stays signed in; the other sessions end.
  await page.getByLabel(/current password/i).fill(password);
  await page.getByLabel(/new password/i).fill(newPassword);
  [resp] = await Promise.all([page.waitForResponse(post(page, '/account/password')),
    page.locator('form[action="/account/password"] button[type="submit"]').click()]);
  check(resp.status() === 200 && (await page.locator('[role=status]').innerText()).includes('Password changed'),
    'the change: 200 and a status line');
  check(await page.locator('form[action="/account/sessions/end"]').count() === 0,
    'every other session ended with the change');
  check(!(await page.content()).includes(newPassword), 'the page does not echo the password');
  await shot(page, 'account-password-changed');
  await page.goto(new URL('/account', base).href, { waitUntil: 'domcontentloaded' });
  check((await page.locator('main').innerText()).includes('Signed in as'), 'the browser that changed it stays signed in');
  await ctx.close();
} finally {
  await browser.close();
}
clearTimeout(budget);
console.log('# done');
