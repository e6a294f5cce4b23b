// Drives the gateway's web console in Debian's headless Chromium through playwright-core:
// load the page, log in with the admin token, see a user (and its rendering by a surface), add a
// fault rule in the form, make a request the rule matches, and watch the fault fire in the live
// journal; then change state: create a user (a refused field shown at the field), edit it (a taken
// username shown at the field), issue a token and key (shown once), revoke the session (the token
// stops working) and the key, export the state, delete the user, load the export back, read a
// mail in the outbox (the Rust test puts one there), and approve a device login it starts as
// USERNAME in the Device logins tab. With a
// SCREENSHOT path, saves one screenshot per tab next to it (-users, -journal, -faults, -outbox,
// -devices, -state, -docs). Prints one line per step; exits non-zero at the first failure.
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
  // Confirmations (delete, reset) are accepted; an unexpected alert is a failure.
  page.on("dialog", (d) => { if (d.type() !== "confirm") errors.push("dialog: " + d.message()); d.accept(); });
  const shot = async (tab) => { if (screenshot) await page.screenshot({ path: screenshot.replace(/\.png$/, `-${tab}.png`), fullPage: true }); };
  const profileStatus = (token) => page.evaluate(async ([url, t]) => (await fetch(url, { headers: { Authorization: "Bearer " + t } })).status,
    [base + "/api/workspace/account/profile", token]);
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
  await shot("journal");
  const detail = await page.locator("#journal-detail").innerText();
  if (!detail.includes('"authorization": "[redacted]"')) throw new Error("the journal shows an unredacted credential");

  step("the rule is used up");
  await page.click("nav button[data-tab=faults]");
  await page.locator(`tr[data-testid=fault-row][data-id="${ruleId}"] td:nth-child(6)`, { hasText: /^0$/ }).waitFor();
  await page.locator(`tr[data-testid=fault-row][data-id="${ruleId}"] td:nth-child(7)`, { hasText: /^1$/ }).waitFor();
  await shot("faults");

  step("create a user: a refused field is shown at the field");
  await page.click("nav button[data-tab=users]");
  await page.fill("#user-form input[name=username]", "carol");
  await page.fill("#user-form input[name=email]", "not an email");
  await page.click("#user-form button[type=submit]");
  await page.locator('#user-form [data-error="email"]', { hasText: /\S/ }).waitFor();
  if (await page.locator("#user-form input[name=email]").getAttribute("aria-invalid") !== "true") throw new Error("the refused field is not marked invalid");
  if ((await page.locator('#user-form [data-error="username"]').innerText()).trim()) throw new Error("an accepted field shows an error");
  await page.fill("#user-form input[name=email]", "carol@example.com");
  await page.fill("#user-form input[name=password]", "carol-password-1");
  await page.click("#user-form button[type=submit]");
  await page.locator('tr[data-testid=user-row][data-username="carol"]').waitFor();
  await page.locator("#edit-form input[name=username]").waitFor();
  if (await page.locator("#edit-form input[name=email]").inputValue() !== "carol@example.com") throw new Error("the new user is not selected");

  step("edit the user: a taken username is shown at the field, then a change is saved");
  await page.fill("#edit-form input[name=username]", username);
  await page.click("#edit-form button[type=submit]");
  await page.locator('#edit-form [data-error="username"]', { hasText: /\S/ }).waitFor();
  await page.fill("#edit-form input[name=username]", "carol_c");
  await page.fill("#edit-form input[name=display_name]", "Carol Console");
  await page.click("#edit-form button[type=submit]");
  await page.locator('tr[data-testid=user-row][data-username="carol_c"]').waitFor();
  await page.locator("#edit-form", { hasText: "Saved." }).waitFor();
  if (await page.locator("#edit-form input[name=display_name]").inputValue() !== "Carol Console") throw new Error("the saved display name is not shown");

  step("issue a token and key, shown once");
  await page.selectOption("#issue-surface", "account-profile");
  await page.click("#issue-button");
  const issued = JSON.parse(await page.locator("[data-testid=issued-secret]").innerText());
  if (!issued.access_token || !issued.api_key) throw new Error("no token or key shown: " + JSON.stringify(issued));
  await page.locator("tr[data-testid=session-row]").first().waitFor();
  await page.locator('tr[data-testid=key-row][data-revoked="false"]').first().waitFor();
  if (await profileStatus(issued.access_token) !== 200) throw new Error("the issued token does not work");
  await shot("users");

  step("revoke the sessions: the token stops working; revoke the key");
  await page.click("[data-testid=sessions-revoke-all]");
  await page.locator("tr[data-testid=session-row]").first().waitFor({ state: "detached" });
  const after = await profileStatus(issued.access_token);
  if (after !== 401) throw new Error("a token of a revoked session answers " + after);
  await page.click("[data-testid=key-revoke]");
  await page.locator('tr[data-testid=key-row][data-revoked="true"]').first().waitFor();

  step("export the state");
  await page.click("nav button[data-tab=state]");
  await page.click("#export-button");
  await page.locator("#state-message", { hasText: "Exported" }).waitFor();
  const exported = await page.locator("#state-text").inputValue();
  if (!exported.includes("carol_c") || exported.includes("carol-password-1")) throw new Error("the export does not hold the user, or holds its password");
  if (!(await page.locator("#export-download").isVisible())) throw new Error("no download link");
  await shot("state");

  step("delete the user, then load the export back");
  await page.click("nav button[data-tab=users]");
  await page.locator('tr[data-testid=user-row][data-username="carol_c"]').click();
  await page.click("[data-testid=user-delete]");
  await page.locator('tr[data-testid=user-row][data-username="carol_c"]').waitFor({ state: "detached" });
  await page.click("nav button[data-tab=state]");
  await page.click("#load-button");
  await page.locator("#state-message", { hasText: "Loaded." }).waitFor();
  await page.click("nav button[data-tab=users]");
  await page.locator('tr[data-testid=user-row][data-username="carol_c"]').waitFor();

  step("keyboard: a user row opens with Enter");
  await page.locator('tr[data-testid=user-row][data-username="carol_c"]').focus();
  await page.keyboard.press("Enter");
  await page.locator("#user-detail h2", { hasText: "carol_c" }).waitFor();

  step("read a mail in the outbox");
  await page.click("nav button[data-tab=outbox]");
  const mail = page.locator('tr[data-testid=mail-row][data-to="outbox-reader@example.com"]');
  await mail.waitFor();
  await mail.click();
  const text = await page.locator("#outbox-detail").innerText();
  if (!text.includes("Subject: Console outbox check") || !text.includes("http://localhost:3000/reset?code=")) {
    throw new Error("the outbox detail does not show the mail: " + text);
  }
  await shot("outbox");

  step("approve a device login as the user");
  // A CLI starts a device login (platform surface, no credential)...
  const started = await page.evaluate(async (url) => (await fetch(url, { method: "POST" })).json(),
    base + "/api/v1/auth/device/code");
  await page.click("nav button[data-tab=devices]");
  const device = page.locator(`tr[data-testid=device-row][data-code="${started.user_code}"]`);
  await device.waitFor();
  await device.locator("select").selectOption({ label: username });
  await shot("devices");
  await device.locator("[data-testid=device-approve]").click();
  await device.waitFor({ state: "detached" });
  // ...and its next poll finds it approved for the user.
  const polled = await page.evaluate(async (url) => (await fetch(url)).json(),
    base + "/api/v1/auth/device/code/" + started.device_code);
  if (!polled.user_id || polled.completed !== true) throw new Error("the device login is not approved: " + JSON.stringify(polled));

  await page.click("nav button[data-tab=docs]");
  await page.locator("[data-testid=docs-link]").first().waitFor();
  await shot("docs");
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
