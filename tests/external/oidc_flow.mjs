// The whole browser flow driven by openid-client (discovery, PKCE, state, nonce,
// authorizationCodeGrant, fetchUserInfo, refreshTokenGrant), with a cookie-keeping fetch
// loop that fills in the sign-in form as a browser would, reading the CSRF field from the
// HTML. openid-client's own checks decide; this script prints what it got as JSON.
// usage: node oidc_flow.mjs ISSUER CLIENT_ID CLIENT_SECRET REDIRECT_URI WORKSPACE EMAIL PASSWORD
import * as client from "openid-client";

const [issuer, clientId, clientSecret, redirectUri, workspace, email, password] = process.argv.slice(2);
const insecure = { execute: [client.allowInsecureRequests] };
const config = await client.discovery(
  new URL(issuer),
  clientId,
  { client_secret: clientSecret, id_token_signed_response_alg: "EdDSA" },
  client.ClientSecretPost(clientSecret),
  insecure,
);

const verifier = client.randomPKCECodeVerifier();
const challenge = await client.calculatePKCECodeChallenge(verifier);
const state = client.randomState();
const nonce = client.randomNonce();
const authUrl = client.buildAuthorizationUrl(config, {
  redirect_uri: redirectUri,
  scope: "openid email offline_access",
  code_challenge: challenge,
  code_challenge_method: "S256",
  state,
  nonce,
  tenant: workspace,
});

// A tiny browser: keeps cookies by name, follows the form.
const jar = new Map();
const keep = (res) => {
  for (const line of res.headers.getSetCookie()) {
    const [pair] = line.split(";");
    const i = pair.indexOf("=");
    jar.set(pair.slice(0, i), pair.slice(i + 1));
  }
};
const cookieHeader = () => [...jar].map(([k, v]) => `${k}=${v}`).join("; ");

let res = await fetch(authUrl, { redirect: "manual" });
keep(res);
if (res.status !== 200) throw new Error(`authorize answered ${res.status}`);
const html = await res.text();
const form = new URLSearchParams();
for (const m of html.matchAll(/<input type="hidden" name="([^"]+)" value="([^"]*)">/g)) {
  form.append(m[1], m[2].replaceAll("&amp;", "&").replaceAll("&quot;", '"').replaceAll("&#x27;", "'"));
}
if (!form.has("csrf")) throw new Error("no CSRF field in the sign-in form");
if (!form.has("workspace")) form.append("workspace", workspace);
form.append("email", email);
form.append("password", password);
res = await fetch(new URL("/signin", issuer), {
  method: "POST",
  redirect: "manual",
  headers: { cookie: cookieHeader(), "content-type": "application/x-www-form-urlencoded" },
  body: form,
});
keep(res);
if (res.status !== 303) throw new Error(`sign-in answered ${res.status}`);
const callback = new URL(res.headers.get("location"));

const tokens = await client.authorizationCodeGrant(config, callback, {
  pkceCodeVerifier: verifier,
  expectedState: state,
  expectedNonce: nonce,
  idTokenExpected: true,
});
const claims = tokens.claims();
const userinfo = await client.fetchUserInfo(config, tokens.access_token, claims.sub);
const refreshed = await client.refreshTokenGrant(config, tokens.refresh_token);
console.log(JSON.stringify({
  sub: claims.sub,
  nonce: claims.nonce,
  sid: claims.sid,
  email: userinfo.email,
  refreshed: Boolean(refreshed.access_token) && refreshed.refresh_token !== tokens.refresh_token,
  sessionCookie: jar.has("__Host-identity-session"),
}));
