// A newcomer's walk in headless Debian Chromium (playwright-core): the landing page, the
// demo app's sign-in and claims page, then every admin console screen, each checked with
// axe-core (WCAG 2.1 A/AA and best practices) and at 360 px width. Then the walk:
// the admin sets up their own TOTP, turns the MFA rule on with the keyboard only (and
// steps up with a code), creates a SAML connection from the test IdP's metadata URL and
// tests it, provisions a person with the SCIM token made on Directory sync, finds them
// and the audit entries, and exports the audit log as CSV. Screenshots go to ARTIFACTS.
// usage: node browser_console.mjs BASE_URL EMAIL PASSWORD ARTIFACTS SAML_IDP_BASE
// Prints one JSON line: {pages: {name: {serious: [...], overflow}}, keyboard: [...],
// saved, totp, sso_test, scim_user, csv}.
import { chromium } from "playwright-core";
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { totp } from "./totp.mjs";

const [base, email, password, artifacts, idp] = process.argv.slice(2);

const axeSource = readFileSync(createRequire(import.meta.url).resolve("axe-core/axe.min.js"), "utf8");

const browser = await chromium.launch({
  executablePath: "/usr/bin/chromium",
  args: [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
  ],
});

const pages = {};

// axe through the DevTools protocol (page.evaluate), so the pages' CSP stays as it is.
async function check(page, name) {
  await page.evaluate(axeSource);
  const result = await page.evaluate(() =>
    axe.run(document, { runOnly: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"] }));
  const serious = result.violations
    .filter((v) => v.impact === "serious" || v.impact === "critical")
    .map((v) => `${v.id}: ${v.nodes.map((n) => n.target.join(" ")).join(", ")}`);
  await page.screenshot({ path: `${artifacts}/${name}.png`, fullPage: true });
  // The same page at 360 px: nothing wider than the screen.
  const wide = page.viewportSize();
  await page.setViewportSize({ width: 360, height: 740 });
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  await page.screenshot({ path: `${artifacts}/${name}-360.png`, fullPage: true });
  await page.setViewportSize(wide);
  pages[name] = { serious, overflow, title: await page.title() };
}

try {
  const page = await (await browser.newContext({ viewport: { width: 1200, height: 900 } })).newPage();
  await page.goto(base);
  await check(page, "landing");

  await page.getByRole("link", { name: "Sign in to the demo app" }).click();
  await page.getByRole("heading", { name: "Demo CRM app" }).waitFor();
  await check(page, "demo-home");
  await page.getByRole("link", { name: "Sign in to the demo app" }).click();
  await page.getByLabel("Email").waitFor();
  await check(page, "sign-in");
  await page.getByLabel("Email").fill(email);
  await page.getByLabel("Password").fill(password);
  await page.getByRole("button", { name: "Sign in", exact: true }).click();
  await page.getByRole("heading", { name: "Signed in" }).waitFor();
  await check(page, "demo-signed-in");

  // The console: the sign-in session answers, no second sign-in.
  await page.goto(`${base}/console`);
  await page.getByRole("heading", { name: "Your workspace" }).waitFor();
  await check(page, "console-home");
  await page.getByRole("link", { name: "Users" }).first().click();
  await page.getByRole("heading", { name: "Users" }).waitFor();
  await check(page, "console-users");
  await page.getByRole("link", { name: email }).click();
  await page.getByRole("heading", { name: "Person" }).waitFor();
  await check(page, "console-person");
  await page.getByRole("link", { name: "Roles" }).first().click();
  await page.getByRole("heading", { name: "Roles", level: 1 }).waitFor();
  await page.getByLabel("A person in these groups (one a line)").fill("Engineering");
  await page.getByRole("button", { name: "What would they get?" }).click();
  await page.getByText("No role: no rule matches.").waitFor();
  await check(page, "console-roles");
  await page.getByRole("link", { name: "Audit log" }).first().click();
  await page.getByRole("heading", { name: "Audit log" }).waitFor();
  await check(page, "console-audit");
  await page.getByRole("link", { name: "Directory sync" }).first().click();
  await page.getByRole("heading", { name: "Directory sync" }).waitFor();
  await page.getByRole("button", { name: "Create a token" }).click();
  await page.locator("#new-token").waitFor();
  const scimToken = (await page.locator("#new-token").textContent()).trim();
  await page.getByRole("group").filter({ hasText: "Okta" }).first().evaluate((d) => { d.open = true; });
  await check(page, "console-directory");
  await page.getByRole("link", { name: "API keys" }).first().click();
  await page.getByRole("heading", { name: "API keys" }).waitFor();
  await page.getByLabel("Name").fill("reporting");
  await page.getByRole("button", { name: "Make a key" }).click();
  await page.locator("#new-key").waitFor();
  await check(page, "console-api-keys");
  await page.getByRole("link", { name: "Applications" }).first().click();
  await page.getByRole("heading", { name: "Applications", level: 1 }).waitFor();
  await check(page, "console-applications");
  await page.getByRole("link", { name: "Single sign-on" }).first().click();
  await page.getByRole("heading", { name: "Single sign-on" }).waitFor();
  await check(page, "console-sso");

  // The admin's own TOTP first (the sign-in is recent: no password asked again).
  await page.getByRole("link", { name: "Security" }).first().click();
  await page.getByRole("heading", { name: "Security" }).waitFor();
  await page.getByRole("link", { name: "your two-step verification" }).click();
  await page.getByRole("button", { name: "Set up an authenticator app" }).click();
  await page.getByRole("heading", { name: "Set up two-step verification" }).waitFor();
  const secret = (await page.locator("#secret").textContent()).trim();
  const step = Math.floor(Date.now() / 30000);
  await page.getByLabel("6-digit code").fill(totp(secret, step));
  await page.getByRole("button", { name: "Turn on" }).click();
  await page.getByRole("heading", { name: "Your recovery codes" }).waitFor();
  const totpOn = true;
  await page.goto(`${base}/console/security`);
  await page.getByRole("heading", { name: "Security" }).waitFor();
  await check(page, "console-security");

  // Keyboard only: Tab from the top to the rule, tick it with Space, submit with Enter.
  const keyboard = [];
  await page.evaluate(() => document.activeElement && document.activeElement.blur());
  for (let i = 0; i < 16; i++) {
    await page.keyboard.press("Tab");
    const focused = await page.evaluate(() => {
      const el = document.activeElement;
      const label = el.labels && el.labels[0] ? el.labels[0].textContent : el.textContent;
      const style = getComputedStyle(el);
      return { tag: el.tagName.toLowerCase(), name: (label || "").trim(), id: el.id,
        outline: style.outlineStyle !== "none" || style.boxShadow !== "none" };
    });
    keyboard.push(focused);
    if (focused.id === "required") break;
  }
  await page.keyboard.press("Space");
  await page.keyboard.press("Tab");
  await page.keyboard.press("Tab");
  await page.keyboard.press("Enter");
  // The rule now applies to the admin too: the console asks for the second factor once.
  const code = page.getByLabel("Authentication code or recovery code");
  await code.or(page.getByText("Saved.")).waitFor();
  if (await code.isVisible()) {
    await code.fill(totp(secret, step + 1));
    await page.getByRole("button", { name: "Verify" }).click();
  }
  await page.getByText("Saved.").waitFor();
  const saved = await page.locator("#required").isChecked();
  await page.screenshot({ path: `${artifacts}/console-security-saved.png`, fullPage: true });

  // Single sign-on from the test IdP: a draft gives the values to copy; the IT admin enters
  // them at the IdP (here: its SP-metadata upload), pastes back the metadata URL, tests.
  await page.getByRole("link", { name: "Single sign-on" }).first().click();
  await page.locator("#saml-name").fill("Test IdP");
  await page.locator("#saml-domains").fill("acme.test");
  await page.getByRole("button", { name: "Create and show what to copy" }).click();
  await page.getByRole("heading", { name: "Test IdP" }).waitFor();
  const spMetadata = await (await fetch((await page.locator("#sp-metadata").textContent()).trim())).text();
  const registered = await fetch(`${idp}/sp`, { method: "POST", body: spMetadata });
  if (registered.status !== 204) throw new Error(`the IdP refused our SP metadata: ${registered.status}`);
  await page.getByLabel("Provider metadata URL").fill(`${idp}/metadata`);
  await page.getByRole("button", { name: "Save" }).click();
  await page.getByText("Saved.").waitFor();
  await check(page, "console-sso-connection");
  await page.getByRole("button", { name: "Test connection" }).click();
  // The one-time link's own page: opening it spends nothing; the button starts the test.
  await page.getByRole("button", { name: "Start the test" }).waitFor();
  await check(page, "sso-test-start");
  await page.getByRole("button", { name: "Start the test" }).click();
  await page.getByText("The connection works").waitFor();
  await check(page, "console-sso-test");
  const ssoTest = await page.locator("main").textContent();

  // Directory sync: the token made above provisions a person, as Okta would.
  const scimUser = "river.scim@alpha.example";
  const provisioned = await fetch(`${base}/scim/v2/Users`, {
    method: "POST",
    headers: { authorization: `Bearer ${scimToken}`, "content-type": "application/scim+json" },
    body: JSON.stringify({ schemas: ["urn:ietf:params:scim:schemas:core:2.0:User"],
      userName: scimUser, name: { givenName: "River", familyName: "Scim" }, active: true }),
  });
  if (provisioned.status !== 201) throw new Error(`SCIM create answered ${provisioned.status}`);
  await page.getByRole("link", { name: "Users" }).first().click();
  await page.getByLabel("Search").fill(scimUser.toUpperCase());
  await page.keyboard.press("Enter");
  await page.getByRole("link", { name: scimUser }).waitFor();
  const scimUserSeen = true;
  await page.getByRole("link", { name: "Audit log" }).first().click();
  await page.getByLabel(/Kind of action/).fill("scim.");
  await page.getByRole("button", { name: "Show" }).click();
  await page.getByRole("cell", { name: "scim.user.created" }).first().waitFor();
  await page.screenshot({ path: `${artifacts}/console-audit-scim.png`, fullPage: true });
  const [download] = await Promise.all([
    page.waitForEvent("download"),
    page.getByRole("button", { name: "Export CSV" }).click(),
  ]);
  const csv = readFileSync(await download.path(), "utf8");
  console.log(JSON.stringify({ pages, keyboard, saved, totp: totpOn, sso_test: ssoTest,
    scim_user: scimUserSeen, csv }));
} finally {
  await browser.close();
}
