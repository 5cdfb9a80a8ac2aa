// Passkeys in a real browser: headless Debian Chromium (playwright-core) with a CDP virtual
// authenticator (internal transport, resident keys, user verification). It signs in with
// the password, adds a passkey on the account page, then signs in passwordless and with
// the passkey as the second factor. Refused, as they must be: an answer made on another
// origin, a replayed answer, a copied authenticator whose counter went backwards, and a
// passkey after it was removed.
// usage: node browser_passkeys.mjs BASE AUTHORIZE_PATH REDIRECT_PREFIX EMAIL PASSWORD SHOT_DIR
import { chromium } from "playwright-core";

const [base, authorizePath, redirectPrefix, email, password, shots] = process.argv.slice(2);
const authorizeUrl = base + authorizePath;
const evilOrigin = base.replace(/:(\d+)$/, (_, p) => ":" + (Number(p) === 65535 ? 65534 : Number(p) + 1));
const result = {};

const logs = [];
const browser = await chromium.launch({
  executablePath: "/usr/bin/chromium",
  args: [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
  ],
});

// A page with a virtual platform authenticator that verifies its user.
async function withAuthenticator(context) {
  const page = await context.newPage();
  page.on("console", (m) => logs.push(m.text()));
  const cdp = await context.newCDPSession(page);
  await cdp.send("WebAuthn.enable");
  const { authenticatorId } = await cdp.send("WebAuthn.addVirtualAuthenticator", {
    options: {
      protocol: "ctap2", transport: "internal", hasResidentKey: true,
      hasUserVerification: true, isUserVerified: true, automaticPresenceSimulation: true,
    },
  });
  return { page, cdp, authenticatorId };
}

// Waits until the browser has landed on the client's callback page.
const atClient = (page) => page.waitForURL((u) => u.href.startsWith(redirectPrefix));

// Goes to the authorization URL and waits for the sign-in page.
async function signInPage(page) {
  await page.goto(authorizeUrl);
  await page.getByRole("heading", { name: "Sign in" }).waitFor();
}

async function passwordStep(page) {
  await signInPage(page);
  await page.getByLabel("Email").fill(email);
  await page.getByLabel("Password").fill(password);
  await page.getByRole("button", { name: "Sign in", exact: true }).click();
}

// Signs in with a passkey from the sign-in page, by the email field's autofill
// (conditional UI: the authenticator answers the pending request at once) or by the
// button.
// Answers the URL the browser was sent to (the client, with a code) or the page it got.
async function passkeyStep(auth, via) {
  const page = auth.page;
  const posted = page.waitForResponse((r) => r.url() === base + "/signin/passkey", { timeout: 15000 });
  const landed = page.waitForRequest((r) => r.url().startsWith(redirectPrefix), { timeout: 15000 })
    .then((r) => r.url());
  landed.catch(() => {});
  if (via === "autofill") {
    // The page signs in by itself as soon as its script runs.
    await page.goto(authorizeUrl, { waitUntil: "commit" });
  } else {
    await signInPage(page);
    await page.getByRole("button", { name: "Sign in with a passkey" }).click();
  }
  const response = await posted;
  const body = response.request().postData();
  if (response.status() === 303) {
    const url = await landed;
    await atClient(page);
    return { url, body };
  }
  return { status: response.status(), text: await response.text(), body };
}

// From a page of the service: a ceremony for this browser, then `body` posted as its answer.
async function postAnswer(page, form) {
  return page.evaluate(async (fields) => {
    const csrf = document.querySelector("#passkey-signin input[name=csrf]").value;
    const o = await fetch("/signin/passkey/options", { method: "POST", headers: { "X-CSRF-Token": csrf } });
    if (!o.ok) return { status: -o.status };
    fields.csrf = csrf;
    const r = await fetch("/signin/passkey", {
      method: "POST", redirect: "manual",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams(fields).toString(),
    });
    return { status: r.status, text: await r.text() };
  }, form);
}

try {
  const a = await browser.newContext();
  const auth = await withAuthenticator(a);
  const { page, cdp, authenticatorId } = auth;

  // 1. Password, then a passkey added on the account page.
  const first = page.waitForRequest((r) => r.url().startsWith(redirectPrefix));
  await passwordStep(page);
  result.password = (await first).url();
  await atClient(page);
  await page.goto(base + "/account/passkeys");
  await page.getByLabel("Name").fill("Work laptop");
  await page.getByRole("button", { name: "Add a passkey" }).click();
  await page.getByText("Passkey added.").waitFor();
  result.listed = await page.getByRole("cell", { name: "Work laptop", exact: true }).count();
  await page.screenshot({ path: shots + "/passkeys-account-page.png", fullPage: true });
  const { credentials } = await cdp.send("WebAuthn.getCredentials", { authenticatorId });
  result.resident = credentials.length === 1 && credentials[0].isResidentCredential;

  // 2. Passwordless, from the email field's autofill and from the button.
  await a.clearCookies();
  const autofill = await passkeyStep(auth, "autofill");
  result.autofill = autofill.url || autofill;
  // From here on the browser offers no autofill (as one without conditional UI), so a
  // pending autofill request cannot answer before the button or the password does.
  await page.addInitScript(() => {
    PublicKeyCredential.isConditionalMediationAvailable = async () => false;
  });
  await a.clearCookies();
  const passwordless = await passkeyStep(auth, "button");
  result.passwordless = passwordless.url || passwordless;

  // 3. The same answer again, from another browser with a ceremony of its own: refused.
  const c = await browser.newContext();
  const other = await c.newPage();
  await signInPage(other);
  const replayed = Object.fromEntries(new URLSearchParams(passwordless.body));
  result.replayed = await postAnswer(other, replayed);

  // 4. An answer made on another origin (same relying party id, another port): refused.
  const optionsThere = await other.evaluate(async () => {
    const csrf = document.querySelector("#passkey-signin input[name=csrf]").value;
    return (await fetch("/signin/passkey/options", { method: "POST", headers: { "X-CSRF-Token": csrf } })).json();
  });
  await page.route(evilOrigin + "/**", (route) =>
    route.fulfill({ contentType: "text/html", body: "<!doctype html><title>Look-alike</title><p>Sign in</p>" }));
  await page.goto(evilOrigin + "/signin");
  const evilAnswer = await page.evaluate(async (o) => {
    const b = (s) => Uint8Array.from(atob(s.replace(/-/g, "+").replace(/_/g, "/") + "===".slice((s.length + 3) % 4)), (ch) => ch.charCodeAt(0));
    const e = (buf) => btoa(String.fromCharCode(...new Uint8Array(buf))).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
    const pk = { ...o.publicKey, challenge: b(o.publicKey.challenge), allowCredentials: [] };
    const cred = await navigator.credentials.get({ publicKey: pk });
    return JSON.stringify({
      id: cred.id, rawId: e(cred.rawId), type: cred.type, extensions: {},
      response: {
        authenticatorData: e(cred.response.authenticatorData), clientDataJSON: e(cred.response.clientDataJSON),
        signature: e(cred.response.signature), userHandle: e(cred.response.userHandle),
      },
    });
  }, optionsThere);
  const evilForm = { ...replayed, credential: evilAnswer };
  result.wrong_origin = await other.evaluate(async (fields) => {
    fields.csrf = document.querySelector("#passkey-signin input[name=csrf]").value;
    const r = await fetch("/signin/passkey", {
      method: "POST", redirect: "manual",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams(fields).toString(),
    });
    return { status: r.status, text: await r.text() };
  }, evilForm);

  // 5. The password, then the passkey as the second factor.
  await a.clearCookies();
  await passwordStep(page);
  await page.getByRole("heading", { name: "Two-step verification" }).waitFor();
  await page.screenshot({ path: shots + "/passkeys-second-factor.png", fullPage: true });
  const second = page.waitForRequest((r) => r.url().startsWith(redirectPrefix));
  await page.getByRole("button", { name: "Use a passkey" }).click();
  result.second_factor = (await second).url();
  await atClient(page);

  // 6. A copy of the authenticator, its signature counter behind the one the service
  // saw last: refused (and audited as a possible clone).
  const { credentials: [original] } = await cdp.send("WebAuthn.getCredentials", { authenticatorId });
  result.counter_before_copy = original.signCount;
  await cdp.send("WebAuthn.removeCredential", { authenticatorId, credentialId: original.credentialId });
  await cdp.send("WebAuthn.addCredential", { authenticatorId, credential: { ...original, signCount: 1 } });
  await a.clearCookies();
  const cloned = await passkeyStep(auth, "button");
  result.cloned = { status: cloned.status, text: cloned.text };

  // 7. Removed on the account page (after signing in with the password and the original
  // counter again), then refused.
  await cdp.send("WebAuthn.removeCredential", { authenticatorId, credentialId: original.credentialId });
  await cdp.send("WebAuthn.addCredential", { authenticatorId, credential: { ...original, signCount: original.signCount + 10 } });
  await a.clearCookies();
  const again = page.waitForRequest((r) => r.url().startsWith(redirectPrefix));
  await passwordStep(page);
  await page.getByRole("button", { name: "Use a passkey" }).click();
  await again;
  await atClient(page);
  await page.goto(base + "/account/passkeys");
  await page.getByRole("button", { name: "Remove Work laptop" }).click();
  await page.getByText("Passkey removed.").waitFor();
  await a.clearCookies();
  const removed = await passkeyStep(auth, "button");
  result.removed = { status: removed.status, text: removed.text };
  console.log(JSON.stringify(result));
} catch (e) {
  console.error("so far: " + JSON.stringify(result));
  console.error("console: " + logs.join(" | "));
  for (const c of browser.contexts()) for (const p of c.pages()) {
    console.error("page at " + p.url());
    console.error("status: " + (await p.locator("#passkey-status").textContent({ timeout: 1000 }).catch(() => "-")));
  }
  throw e;
} finally {
  await browser.close();
}
