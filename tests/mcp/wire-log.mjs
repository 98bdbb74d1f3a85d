// A recording pass-through in front of the server, so that a test can see
// which era a client really spoke on the wire (the Inspector and mcp-remote
// do not say): every request is forwarded unchanged to UPSTREAM, and one
// JSON line per request goes to LOG: {method, version, mcpMethod, status}
// (the JSON-RPC method from the body, the MCP-Protocol-Version and
// Mcp-Method headers, the answer's status). No header value other than
// those two is recorded: the Authorization header passes, unlogged.
// With TOKEN set, a request without an Authorization header gets
// "Bearer TOKEN": a client that cannot send headers (the conformance
// suite) then calls as that user.
// Listens on a free loopback port and prints "port N".
//   UPSTREAM=http://127.0.0.1:PORT LOG=file [TOKEN=...] node wire-log.mjs
import http from 'node:http';
import { appendFileSync } from 'node:fs';

const upstream = new URL(process.env.UPSTREAM);
const log = process.env.LOG;
const token = process.env.TOKEN;

const server = http.createServer((req, res) => {
  const chunks = [];
  req.on('data', (c) => chunks.push(c));
  req.on('end', () => {
    const body = Buffer.concat(chunks);
    let method = null;
    try {
      method = JSON.parse(body.toString('utf8'))?.method ?? null;
    } catch {
      // not JSON: recorded with no method
    }
    const headers = { ...req.headers };
    if (token && !headers.authorization) headers.authorization = `Bearer ${token}`;
    const up = http.request(
      { host: upstream.hostname, port: upstream.port, method: req.method, path: req.url, headers },
      (ur) => {
        appendFileSync(log, `${JSON.stringify({
          path: req.url.split('?')[0],
          method,
          version: req.headers['mcp-protocol-version'] ?? null,
          mcpMethod: req.headers['mcp-method'] ?? null,
          status: ur.statusCode,
        })}\n`);
        res.writeHead(ur.statusCode, ur.headers);
        ur.pipe(res);
      },
    );
    up.on('error', () => {
      res.writeHead(502);
      res.end();
    });
    up.end(body);
  });
});
server.listen(0, '127.0.0.1', () => console.log(`port ${server.address().port}`));
