// A newcomer's walk in headless Debian Chromium (playwright-core): the landing page, the
// demo app's sign-in and claims page, then the admin console (users, security, audit log),
// each page checked with axe-core (WCAG 2.1 A/AA and best practices) and at 360 px width;
// the MFA rule is then changed with the keyboard only. Screenshots go to ARTIFACTS.
// usage: node browser_console.mjs BASE_URL EMAIL PASSWORD ARTIFACTS
// Prints one JSON line: {pages: {name: {serious: [...], overflow}}, keyboard: [...], saved}.
import { chromium } from "playwright-core";
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";

const [base, email, password, artifacts] = process.argv.slice(2);
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
  await page.getByRole("link", { name: "Security" }).first().click();
  await page.getByRole("heading", { name: "Security" }).waitFor();
  await check(page, "console-security");

  // Keyboard only: Tab from the top to the rule, tick it with Space, submit with Enter.
  const keyboard = [];
  await page.evaluate(() => document.activeElement && document.activeElement.blur());
  for (let i = 0; i < 12; i++) {
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
  await page.getByText("Saved.").waitFor();
  const saved = await page.locator("#required").isChecked();
  await page.screenshot({ path: `${artifacts}/console-security-saved.png`, fullPage: true });
  console.log(JSON.stringify({ pages, keyboard, saved }));
} finally {
  await browser.close();
}
