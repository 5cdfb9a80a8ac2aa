// A real browser sets up two-step verification and signs in with it: headless Debian
// Chromium (playwright-core) signs in with the password, lands on the enrolment page (QR
// code, screenshot kept), reads the key, answers with a TOTP code, sees the recovery codes,
// continues to the client; then a new browser context signs in with password and code.
// usage: node browser_mfa.mjs AUTHORIZE_URL REDIRECT_PREFIX EMAIL PASSWORD SCREENSHOT_PATH
import { chromium } from "playwright-core";
import { totp } from "./totp.mjs";

const [authorizeUrl, redirectPrefix, email, password, screenshot] = process.argv.slice(2);

const browser = await chromium.launch({
  executablePath: "/usr/bin/chromium",
  args: [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
  ],
});

async function passwordStep(page) {
  await page.goto(authorizeUrl);
  await page.getByLabel("Email").fill(email);
  await page.getByLabel("Password").fill(password);
  await page.getByRole("button", { name: "Sign in", exact: true }).click();
}

try {
  const step = Math.floor(Date.now() / 1000 / 30);
  const first = await (await browser.newContext()).newPage();
  await passwordStep(first);
  await first.getByRole("heading", { name: "Set up two-step verification" }).waitFor();
  await first.getByRole("img", { name: "QR code for your authenticator app" }).waitFor();
  await first.screenshot({ path: screenshot, fullPage: true });
  const secret = (await first.locator("#secret").textContent()).trim();
  await first.getByLabel("6-digit code").fill(totp(secret, step));
  await first.getByRole("button", { name: "Turn on" }).click();
  await first.getByRole("heading", { name: "Your recovery codes" }).waitFor();
  const codesShown = await first.locator("ol.codes li").count();
  const enrolled = first.waitForRequest((req) => req.url().startsWith(redirectPrefix));
  await first.getByRole("link", { name: "Continue" }).click();
  const enrolledUrl = (await enrolled).url();

  const second = await (await browser.newContext()).newPage();
  await passwordStep(second);
  await second.getByRole("heading", { name: "Two-step verification" }).waitFor();
  // The next step's code: the current one was used up by the enrolment.
  await second.getByLabel("Authentication code or recovery code").fill(totp(secret, step + 1));
  const signedIn = second.waitForRequest((req) => req.url().startsWith(redirectPrefix));
  await second.getByRole("button", { name: "Verify" }).click();
  console.log(JSON.stringify({ enrolled: enrolledUrl, signed_in: (await signedIn).url(), codes_shown: codesShown }));
} finally {
  await browser.close();
}
