// The conformance suite's authorization-server scenarios against the local
// issuer, with a person's part played by Debian's headless chromium: the
// suite prints an authorization URL and waits for the redirect on its own
// loopback port; chromium opens the URL, signs in as the demo user and
// clicks Allow (oauth-lib.mjs signIn). Passes the suite's output through
// and exits with its status.
//   node conformance-signin.mjs NODE22 CONFORMANCE_JS BASE CLIENT_ID PORT OUTDIR
import { spawn } from 'node:child_process';
import { launchChromium, signIn } from './oauth-lib.mjs';

const [node22, conformance, base, clientId, port, outDir] = process.argv.slice(2);
const suite = spawn(node22, [conformance, 'authorization', '--url', base, '--client-id', clientId, '--port', port,
  '--resource', new URL('/mcp', base).href, '-o', outDir], { stdio: ['ignore', 'pipe', 'inherit'] });
const exited = new Promise((resolve) => suite.on('exit', (code) => resolve(code ?? 1)));

// The suite prints the URL a person would open on a line of its own.
let seen = '';
const url = await Promise.race([
  new Promise((resolve) => suite.stdout.on('data', (d) => {
    seen += d;
    process.stdout.write(d);
    const m = seen.match(/^(https?:\/\/\S+\?\S*response_type=code\S*)$/m);
    if (m) resolve(m[1]);
  })),
  exited.then(() => null),
]);
if (url) {
  const browser = await launchChromium();
  try {
    const page = await browser.newPage();
    const pages = await signIn(page, url, `http://127.0.0.1:${port}/callback`);
    console.log(`# chromium went through: ${pages.join(', ')}`);
  } catch (e) {
    console.log(`# chromium did not reach the redirect: ${e.message}`);
    suite.kill();
  } finally {
    await browser.close();
  }
} else {
  console.log('# the suite printed no authorization URL');
}
process.exit(await exited);
