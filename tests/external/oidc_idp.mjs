// Test OpenID Provider for RP integration tests (oidc-provider 8.8 by panva; runs on Node 18+).
//
//   node oidc_idp.mjs --client-id ID --client-secret SECRET --redirect-uri URI [--redirect-uri URI2 ...]
//
// Prints exactly one stdout line `READY http://127.0.0.1:PORT` once listening; all logs go to stderr.
// No login/consent UI: every /auth request is auto-logged-in as the "current account" and all
// requested scopes/claims are granted, using only 303 redirects (a cookie-jar HTTP client suffices).
//
// Control API (not OIDC):  POST /_control/next  {sub,email,email_verified,name,given_name,
//   family_name,groups,amr,acr,mode}  -> 204. Missing fields fall back to DEFAULTS below.
//   mode: ok | wrong_nonce | wrong_issuer | wrong_audience | expired  (applies to every later
//   token response until changed): the id_token in the token response is re-signed with the
//   real key/kid but with the named claim broken, so only claim validation can catch it.
import http from 'node:http';
import crypto from 'node:crypto';
import { parseArgs } from 'node:util';
import Provider from 'oidc-provider';
import * as jose from 'jose';

const log = (...a) => console.error('[oidc-idp]', ...a);

// ---------- CLI ----------
const { values: args } = parseArgs({
  options: {
    'client-id': { type: 'string' },
    'client-secret': { type: 'string' },
    'redirect-uri': { type: 'string', multiple: true },
  },
});
if (!args['client-id'] || !args['client-secret'] || !args['redirect-uri']?.length) {
  console.error('usage: node oidc_idp.mjs --client-id ID --client-secret SECRET --redirect-uri URI [--redirect-uri URI ...]');
  process.exit(2);
}

// ---------- account state (mutable via the control API) ----------
const DEFAULTS = {
  sub: 'oidc-user-1',
  email: 'oidc.user@globex.test',
  email_verified: true,
  name: 'Oidc User',
  given_name: 'Oidc',
  family_name: 'User',
  groups: ['crm-admins'],
  amr: ['pwd'],
  acr: undefined, // optional; when set it ends up as the `acr` claim of the ID token
  mode: 'ok',
};
const MODES = new Set(['ok', 'wrong_nonce', 'wrong_issuer', 'wrong_audience', 'expired']);
let current = { ...DEFAULTS };
// Every account ever configured, by sub: the token/userinfo endpoints look the account up by
// the sub bound to the code, which must still resolve after /_control/next switched users.
const accounts = new Map([[current.sub, current]]);

// ---------- signing key: generated per run, private JWK kept in memory ----------
const { privateKey } = await jose.generateKeyPair('RS256', { extractable: true });
const privateJwk = { ...(await jose.exportJWK(privateKey)), kid: crypto.randomUUID(), alg: 'RS256', use: 'sig' };

// ---------- HTTP server first: we need the OS-chosen port to build the issuer ----------
let provider; // assigned after listen()
const server = http.createServer((req, res) => {
  const started = Date.now();
  res.on('finish', () => log(`${req.method} ${req.url} -> ${res.statusCode} (${Date.now() - started}ms)`));
  route(req, res).catch((err) => {
    log('handler error:', err);
    if (!res.headersSent) { res.statusCode = 500; res.end(String(err?.message ?? err)); }
  });
});
await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
const issuer = `http://127.0.0.1:${server.address().port}`;

provider = new Provider(issuer, {
  clients: [{
    client_id: args['client-id'],
    client_secret: args['client-secret'],
    redirect_uris: args['redirect-uri'],
    grant_types: ['authorization_code'],
    response_types: ['code'],
    token_endpoint_auth_method: 'client_secret_basic',
    id_token_signed_response_alg: 'RS256',
  }],
  // oidc-provider treats client_secret_basic and client_secret_post as interchangeable for a
  // client registered with either, as long as both are enabled globally here.
  clientAuthMethods: ['client_secret_basic', 'client_secret_post'],
  jwks: { keys: [privateJwk] },
  enabledJWA: { idTokenSigningAlgValues: ['RS256'] }, // discovery advertises only RS256
  // scope -> claims. Keys that are not standard scopes (groups) become scopes automatically.
  claims: {
    // acr/amr/auth_time come from the login result, but are only emitted if listed here.
    openid: ['sub', 'acr', 'amr', 'auth_time'],
    email: ['email', 'email_verified'],
    profile: ['name', 'given_name', 'family_name'],
    groups: ['groups'],
  },
  // Default (true) puts scope-derived claims only in userinfo when an access token is issued
  // (response_type=code always issues one). false = also put them in the ID token, which is
  // what the RP under test reads. Simplest option: no `claims` request parameter needed.
  conformIdTokenClaims: false,
  pkce: { required: () => true }, // default only requires PKCE for public clients; S256 is the only method in v9
  findAccount: async (_ctx, sub) => {
    const acc = accounts.get(sub);
    if (!acc) return undefined;
    return {
      accountId: acc.sub,
      // Return everything; oidc-provider filters by granted scopes/claims.
      claims: async () => ({
        sub: acc.sub, email: acc.email, email_verified: acc.email_verified, name: acc.name,
        given_name: acc.given_name, family_name: acc.family_name, groups: acc.groups,
      }),
    };
  },
  interactions: { url: (_ctx, interaction) => `/interaction/${interaction.uid}` },
  features: {
    devInteractions: { enabled: false }, // we provide our own (headless) interaction endpoint
    userinfo: { enabled: true },
  },
  // Plain http on 127.0.0.1: never mark cookies Secure; Lax works for top-level redirects.
  cookies: {
    keys: [crypto.randomBytes(32).toString('hex')],
    long: { secure: false, httpOnly: true, sameSite: 'lax' },
    short: { secure: false, httpOnly: true, sameSite: 'lax' },
  },
  ttl: { AccessToken: 3600, AuthorizationCode: 600, IdToken: 3600, Interaction: 600, Session: 3600, Grant: 3600 },
  renderError: async (ctx, out, err) => { // plain text instead of the HTML page: easier test logs
    log('renderError:', out, err?.message);
    ctx.type = 'text/plain';
    ctx.body = `${out.error}: ${out.error_description ?? ''}\n`;
  },
});
provider.on('server_error', (_ctx, err) => log('server_error:', err));
provider.on('grant.error', (_ctx, err) => log('grant.error:', err.message, err.error_description ?? ''));
provider.on('authorization.error', (_ctx, err) => log('authorization.error:', err.message, err.error_description ?? ''));

// ---------- attack modes: rewrite the id_token of the token response ----------
const signingKey = await jose.importJWK(privateJwk, 'RS256');
const tokenPath = new URL(provider.urlFor('token')).pathname; // "/token"
provider.use(async (ctx, next) => {
  await next();
  const mode = current.mode;
  if (ctx.method !== 'POST' || ctx.path !== tokenPath || mode === 'ok') return;
  if (ctx.status !== 200 || typeof ctx.body?.id_token !== 'string') return;
  const claims = jose.decodeJwt(ctx.body.id_token); // keeps at_hash, auth_time, amr, ... as issued
  const now = Math.floor(Date.now() / 1000);
  if (mode === 'wrong_nonce') claims.nonce = 'not-the-nonce';
  if (mode === 'wrong_issuer') claims.iss = 'http://evil.example';
  if (mode === 'wrong_audience') claims.aud = 'some-other-client';
  if (mode === 'expired') { claims.exp = now - 600; claims.iat = now - 1200; }
  ctx.body = {
    ...ctx.body,
    id_token: await new jose.SignJWT(claims)
      .setProtectedHeader({ alg: 'RS256', kid: privateJwk.kid, typ: 'JWT' })
      .sign(signingKey),
  };
  log(`mode=${mode}: id_token re-signed with`, JSON.stringify({ iss: claims.iss, aud: claims.aud, nonce: claims.nonce, exp: claims.exp }));
});

// ---------- routing: control API, headless interaction, everything else -> oidc-provider ----------
const oidcCallback = provider.callback();

async function route(req, res) {
  const { pathname } = new URL(req.url, issuer);
  // Drop the IdP session cookie on every request: each /auth then has no session, so the
  // (automatic) login interaction always runs with the account currently configured via
  // /_control/next. Otherwise a cookie jar reused across tests would silently keep the previous
  // user, and switching user on a live session makes oidc-provider show a JS logout form.
  // Side effects: prompt=none always yields login_required; end_session has no session to end.
  if (req.headers.cookie) {
    req.headers.cookie = req.headers.cookie.split(/;\s*/).filter((c) => !c.startsWith('_session')).join('; ');
  }
  if (pathname === '/_control/next' && req.method === 'POST') return control(req, res);
  if (pathname.startsWith('/interaction/')) return interaction(req, res);
  return oidcCallback(req, res);
}

async function control(req, res) {
  let body;
  try {
    const chunks = [];
    for await (const c of req) chunks.push(c);
    body = JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}');
  } catch (e) {
    res.statusCode = 400; return res.end(`bad JSON: ${e.message}`);
  }
  const next = { ...DEFAULTS, ...body };
  if (!MODES.has(next.mode)) { res.statusCode = 400; return res.end(`unknown mode ${next.mode}`); }
  current = next;
  accounts.set(next.sub, next);
  log('control: account now', JSON.stringify(next));
  res.statusCode = 204;
  res.end();
}

// Any interaction (login or consent): log in the current account and grant everything requested.
async function interaction(req, res) {
  const details = await provider.interactionDetails(req, res);
  const { params, uid, prompt } = details;
  const acc = current;
  log(`interaction ${uid} prompt=${prompt.name} reasons=${prompt.reasons} -> auto login as ${acc.sub}`);

  // Always a fresh grant: a grant left in a reused session may belong to a previous account.
  const grant = new provider.Grant({ accountId: acc.sub, clientId: params.client_id });
  if (params.scope) grant.addOIDCScope(params.scope);
  // Claims requested via the `claims` parameter (if the RP uses it) must be granted explicitly.
  if (params.claims) {
    const c = JSON.parse(params.claims);
    grant.addOIDCClaims([...Object.keys(c.id_token ?? {}), ...Object.keys(c.userinfo ?? {})]);
  }
  const grantId = await grant.save();

  const login = { accountId: acc.sub, amr: acc.amr, remember: true };
  if (acc.acr) login.acr = acc.acr;
  // 303 to /auth/:uid (resume), which then 303s to the redirect_uri with ?code&state.
  await provider.interactionFinished(req, res, { login, consent: { grantId } }, { mergeWithLastSubmission: false });
}

process.stdout.write(`READY ${issuer}\n`);
log(`issuer ${issuer}, client ${args['client-id']}, redirect_uris ${args['redirect-uri'].join(' ')}, kid ${privateJwk.kid}`);
for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => process.exit(0));
