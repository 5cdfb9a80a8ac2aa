// Verifies a JWT the way a Node resource server would: jose's createRemoteJWKSet and
// jwtVerify with issuer, audience and algorithm. Prints the payload as JSON.
// usage: node verify_jose.mjs JWKS_URL TOKEN ISSUER AUDIENCE ALG
import { createRemoteJWKSet, jwtVerify } from "jose";

const [jwksUrl, token, issuer, audience, alg] = process.argv.slice(2);
const jwks = createRemoteJWKSet(new URL(jwksUrl));
const { payload, protectedHeader } = await jwtVerify(token, jwks, {
  issuer,
  audience,
  algorithms: [alg],
  typ: "at+jwt",
  requiredClaims: ["exp", "iat", "sub", "jti"],
});
console.log(JSON.stringify({ ...payload, _alg: protectedHeader.alg }));
