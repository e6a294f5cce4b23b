// Drives the gateway's web console in Debian's headless Chromium through playwright-core:
// load the page, log in with the admin token, see a user (and its rendering by a surface), add a
// fault rule in the form, make a request the rule matches, and watch the fault fire in the live
// journal. Prints one line per step; exits non-zero at the first failure.
//
// usage: node console.mjs BASE_URL ADMIN_TOKEN USERNAME FIXED_TOKEN [SCREENSHOT.png]
//   FIXED_TOKEN is an access token of USERNAME for the account-profile surface.
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { chromium } from "playwright-core";

const [base, adminToken, username, fixedToken, screenshot] = process.argv.slice(2);
if (!base || !adminToken || !username || !fixedToken) {
  console.error("usage: node console.mjs BASE_URL ADMIN_TOKEN USERNAME FIXED_TOKEN [SCREENSHOT.png]");
  process.exit(2);
}

const FLAGS = [
  "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
  "--disable-background-networking", "--disable-component-update", "--disable-sync",
];
const TIMEOUT = 15000;

function step(name) { console.log("step: " + name); }

const userDataDir = await mkdtemp(join(tmpdir(), "gateway-console-"));
const context = await chromium.launchPersistentContext(userDataDir, {
  executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
  headless: true,
  args: FLAGS,
  timeout: 60000,
});
const errors = [];
try {
  const page = context.pages()[0] || (await context.newPage());
  page.setDefaultTimeout(TIMEOUT);
  page.on("pageerror", (e) => errors.push(String(e)));
  // Uncaught exceptions only: failed loads (the refused token's 401, the injected 503, the
  // favicon's 404) are expected and show up as console messages.

  step("load the page");
  await page.goto(base + "/console");
  await page.locator("#login-form").waitFor({ state: "visible" });
  if (!(await page.locator("#app-view").isHidden())) throw new Error("the app is visible before logging in");

  step("a wrong token is refused");
  await page.fill("#token", "not-the-admin-token");
  await page.click("#login-form button[type=submit]");
  await page.locator("#login-error", { hasText: "refused" }).waitFor();

  step("log in");
  await page.fill("#token", adminToken);
  await page.click("#login-form button[type=submit]");
  await page.locator("#app-view").waitFor({ state: "visible" });
  const stored = await page.evaluate(() => sessionStorage.getItem("gatewayAdminToken"));
  if (stored !== adminToken) throw new Error("the token is not kept in sessionStorage");

  step("see the user");
  const row = page.locator(`tr[data-testid=user-row][data-username="${username}"]`);
  await row.waitFor();
  await row.click();
  const view = page.locator('[data-testid=surface-view][data-surface="account-profile"]');
  await view.waitFor();
  const viewText = await view.innerText();
  if (!viewText.includes(username) || !viewText.includes("200")) {
    throw new Error("the account-profile view does not show the user: " + viewText);
  }
  if (screenshot) await page.screenshot({ path: screenshot.replace(/\.png$/, "-users.png"), fullPage: true });

  step("add a fault rule");
  await page.click("nav button[data-tab=faults]");
  await page.selectOption("#fault-form select[name=surface]", "account-profile");
  await page.fill("#fault-form input[name=status]", "503");
  await page.fill("#fault-form input[name=count]", "1");
  await page.fill("#fault-form input[name=message]", "injected from the console");
  await page.click("#fault-form button[type=submit]");
  const ruleRow = page.locator("tr[data-testid=fault-row]", { hasText: "account-profile" });
  await ruleRow.waitFor();
  const ruleId = await ruleRow.getAttribute("data-id");

  step("the rule fires");
  const status = await page.evaluate(async ([url, token]) => {
    const res = await fetch(url, { headers: { Authorization: "Bearer " + token } });
    return res.status;
  }, [base + "/api/workspace/account/profile", fixedToken]);
  if (status !== 503) throw new Error("expected the injected 503, got " + status);

  step("watch it in the journal");
  await page.click("nav button[data-tab=journal]");
  const fired = page.locator(`tr[data-testid=journal-row][data-status="503"][data-fault="${ruleId}"]`);
  await fired.waitFor();
  await fired.click();
  const detail = await page.locator("#journal-detail").innerText();
  if (!detail.includes('"authorization": "[redacted]"')) throw new Error("the journal shows an unredacted credential");

  step("the rule is used up");
  await page.click("nav button[data-tab=faults]");
  await page.locator(`tr[data-testid=fault-row][data-id="${ruleId}"] td:nth-child(6)`, { hasText: /^0$/ }).waitFor();
  await page.locator(`tr[data-testid=fault-row][data-id="${ruleId}"] td:nth-child(7)`, { hasText: /^1$/ }).waitFor();

  if (screenshot) await page.screenshot({ path: screenshot, fullPage: true });
  if (errors.length) throw new Error("page errors: " + errors.join(" | "));
  console.log("console test passed");
} catch (e) {
  // Diagnostics: what the page showed when the step failed.
  const page = context.pages()[0];
  if (page) {
    console.log("page errors: " + JSON.stringify(errors));
    console.log("journal rows: " + (await page.locator("#journal-table tbody").innerHTML().catch(() => "?")).slice(0, 4000));
    console.log("fault rows: " + (await page.locator("#faults-table tbody").innerHTML().catch(() => "?")).slice(0, 2000));
    if (screenshot) await page.screenshot({ path: screenshot, fullPage: true }).catch(() => {});
  }
  throw e;
} finally {
  await context.close();
  await rm(userDataDir, { recursive: true, force: true });
}
