#!/usr/bin/env node
// The "browser" mcp-remote opens: it runs BROWSER (through the open
// package's xdg-open) with the authorization URL, and this drives Debian's
// headless chromium through the login and consent pages to the client's
// loopback callback, as the user would. One JSON line per run goes to
// OPENER_LOG for tests/mcp/oauth.sh.
//   BROWSER=.../oauth-opener.mjs OPENER_LOG=file [OAUTH_EMAIL=.. OAUTH_PASSWORD=..] mcp-remote URL
import { appendFileSync } from 'node:fs';
import { launchChromium, signIn } from './oauth-lib.mjs';

const url = process.argv[2];
const log = (o) => appendFileSync(process.env.OPENER_LOG ?? '/dev/stderr', `${JSON.stringify(o)}\n`);
const budget = setTimeout(() => {
  log({ url, error: 'time budget exceeded' });
  process.exit(1);
}, 60000);

let browser;
try {
  const redirectUri = new URL(url).searchParams.get('redirect_uri');
  browser = await launchChromium();
  const page = await browser.newPage();
  page.setDefaultTimeout(15000);
  const t0 = Date.now();
  const pages = await signIn(page, url, redirectUri, {
    email: process.env.OAUTH_EMAIL ?? 'user@example.com',
    password: process.env.OAUTH_PASSWORD ?? 'password',
  });
  const landed = new URL(page.url());
  log({ url, pages, ms: Date.now() - t0, callback: landed.origin + landed.pathname,
    code: landed.searchParams.has('code'), state: landed.searchParams.get('state'), iss: landed.searchParams.get('iss') });
} catch (e) {
  log({ url, error: String(e?.message ?? e) });
  process.exitCode = 1;
} finally {
  await browser?.close();
  clearTimeout(budget);
}
