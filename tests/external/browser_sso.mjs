// A real browser signs in through enterprise SSO: headless Debian Chromium (playwright-core)
// opens our sign-in page, types an email of a domain a SAML connection serves and no
// password, is handed to the pysaml2 IdP, whose page posts the signed response back to
// our ACS, and lands on the client's redirect URI with a code.
// usage: node browser_sso.mjs AUTHORIZE_URL REDIRECT_PREFIX EMAIL
import { chromium } from "playwright-core";

const [authorizeUrl, redirectPrefix, email] = process.argv.slice(2);

const browser = await chromium.launch({
  executablePath: "/usr/bin/chromium",
  args: [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
  ],
});

try {
  const page = await (await browser.newContext()).newPage();
  await page.goto(authorizeUrl);
  await page.getByLabel("Email").fill(email);
  const landed = page.waitForRequest((req) => req.url().startsWith(redirectPrefix), { timeout: 20000 });
  await page.getByRole("button", { name: "Sign in", exact: true }).click();
  console.log(JSON.stringify({ landed: (await landed).url() }));
} finally {
  await browser.close();
}
