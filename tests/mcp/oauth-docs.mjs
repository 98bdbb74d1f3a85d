// Client ID Metadata Documents over HTTPS on loopback, for the suite: every
// DOCS_DIR/<name>.json is served at https://127.0.0.1:PORT/clients/<name>.json
// with the test CA's certificate (the suite trusts it with MCPAUTH_CA_FILE).
// Prints "port N" once it listens; logs each request to stderr.
//   DOCS_DIR=dir TLS_CERT=cert.pem TLS_KEY=key.pem node oauth-docs.mjs
import { readFileSync } from 'node:fs';
import { createServer } from 'node:https';
import { join } from 'node:path';

const dir = process.env.DOCS_DIR;
const server = createServer({ cert: readFileSync(process.env.TLS_CERT), key: readFileSync(process.env.TLS_KEY) },
  (req, res) => {
    const m = /^\/clients\/([a-z0-9-]+\.json)$/.exec(req.url);
    let body;
    try {
      body = m && readFileSync(join(dir, m[1]));
    } catch {
      body = undefined;
    }
    console.error(`${req.method} ${req.url} ${body ? 200 : 404}`);
    if (!body) {
      res.writeHead(404, { 'Content-Type': 'application/json' }).end('{"error":"not_found"}');
      return;
    }
    res.writeHead(200, { 'Content-Type': 'application/json', 'Cache-Control': 'max-age=300' }).end(body);
  });
server.listen(Number(process.env.DOCS_PORT ?? 0), '127.0.0.1', () => console.log(`port ${server.address().port}`));
