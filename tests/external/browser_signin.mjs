// A real browser signs in: headless Debian Chromium driven by playwright-core opens the
// authorization URL, fills in the sign-in form, and is sent to the client's redirect URI
// with a code (the request is recorded; the machine has no network to load it). A
// screenshot of the sign-in page is kept as a test artifact.
// usage: node browser_signin.mjs AUTHORIZE_URL REDIRECT_PREFIX EMAIL PASSWORD SCREENSHOT_PATH
import { chromium } from "playwright-core";

const [authorizeUrl, redirectPrefix, email, password, screenshot] = process.argv.slice(2);
const browser = await chromium.launch({
  executablePath: "/usr/bin/chromium",
  args: [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
  ],
});
try {
  const context = await browser.newContext();
  const page = await context.newPage();
  await page.goto(authorizeUrl);
  await page.getByLabel("Email").fill(email);
  await page.getByLabel("Password").fill(password);
  await page.screenshot({ path: screenshot, fullPage: true });
  const redirected = page.waitForRequest((req) => req.url().startsWith(redirectPrefix));
  await page.getByRole("button", { name: "Sign in", exact: true }).click();
  const landed = (await redirected).url();
  const cookies = await context.cookies();
  const session = cookies.find((c) => c.name === "__Host-identity-session");
  console.log(JSON.stringify({
    landed,
    session: session ? { httpOnly: session.httpOnly, secure: session.secure, sameSite: session.sameSite, path: session.path } : null,
  }));
} finally {
  await browser.close();
}
