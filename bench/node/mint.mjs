// Mints N distinct RS256 access tokens with the suite's own signing key,
// one per line, for the benchmark's many-tokens scenario.
//   node mint.mjs <signing-key.pem> <kid> <issuer> <audience> <n>
import { createPrivateKey, sign, randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";

const [keyFile, kid, iss, aud, n] = process.argv.slice(2);
const key = createPrivateKey(readFileSync(keyFile));
const b64 = (o) => Buffer.from(JSON.stringify(o)).toString("base64url");
const now = Math.floor(Date.now() / 1000);
const header = b64({ alg: "RS256", typ: "JWT", kid });
const out = [];
for (let i = 0; i < Number(n); i++) {
  const payload = b64({
    iss, aud, sub: `auth0|bench${i}`, iat: now, nbf: now, exp: now + 3600,
    jti: randomBytes(12).toString("base64url"), email: `bench${i}@example.com`, name: `Bench ${i}`,
    permissions: ["read:profile"], scope: "openid profile email",
  });
  const input = `${header}.${payload}`;
  out.push(`${input}.${sign("sha256", Buffer.from(input), key).toString("base64url")}`);
}
process.stdout.write(out.join("\n") + "\n");
