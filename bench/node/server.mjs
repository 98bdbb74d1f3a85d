// The benchmark's comparison anchor: GET /api/profile behind express-jwt +
// jwks-rsa, verifying the same RS256 tokens from the same JWKS as mcpauth
// and answering the same JSON (from the token's claims).
//   PORT=... JWKS_URI=... ISSUER=... AUDIENCE=... node server.mjs
import express from "express";
import { expressjwt } from "express-jwt";
import jwksRsa from "jwks-rsa";

const { PORT, JWKS_URI, ISSUER, AUDIENCE } = process.env;
const app = express();
app.disable("x-powered-by");

const checkJwt = expressjwt({
  secret: jwksRsa.expressJwtSecret({
    cache: true,
    rateLimit: true,
    jwksRequestsPerMinute: 5,
    jwksUri: JWKS_URI,
  }),
  audience: AUDIENCE,
  issuer: ISSUER,
  algorithms: ["RS256"],
});

const checkPermission = (permission) => (req, res, next) => {
  const { permissions } = req.auth;
  if (!permissions?.includes(permission)) {
    return res.status(403).json({ error: "Insufficient permissions", message: `Permission '${permission}' required` });
  }
  next();
};

app.get("/api/profile", checkJwt, checkPermission("read:profile"), (req, res) => {
  const a = req.auth;
  res.json({
    profile: { id: a.sub, email: a.email ?? null, name: a.name ?? null },
    permissions: a.permissions ?? [],
    scope: a.scope ?? null,
  });
});

app.use((err, req, res, next) => {
  res.status(err.status || 401).json({ error: "Invalid token", message: "Token validation failed" });
});

app.listen(Number(PORT), "127.0.0.1", () => console.log(`anchor listening on ${PORT}`));
