// Drives the gateway's device approval page (/login/device) in Debian's headless Chromium through
// playwright-core, with the keyboard and by the fields' labels, as a person approving a CLI's
// login would: open the link the CLI opened, check the code is filled in, sign in, check the
// device's code and details are shown, then Approve (or Deny). No script of the page's own may
// fail and no content-security violation may be reported. Prints one line per step; exits
// non-zero at the first failure.
//
// usage: node device.mjs VERIFICATION_URL LOGIN PASSWORD approve|deny DEVICE_DETAILS [SCREENSHOT.png]
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { chromium } from "playwright-core";

const [url, login, password, decision, details, screenshot] = process.argv.slice(2);
if (!url || !login || !password || !["approve", "deny"].includes(decision) || !details) {
  console.error("usage: node device.mjs VERIFICATION_URL LOGIN PASSWORD approve|deny DEVICE_DETAILS [SCREENSHOT.png]");
  process.exit(2);
}
const FLAGS = [
  "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
  "--disable-background-networking", "--disable-component-update", "--disable-sync",
];
function step(name) { console.log("step: " + name); }

const userDataDir = await mkdtemp(join(tmpdir(), "gateway-device-"));
const context = await chromium.launchPersistentContext(userDataDir, {
  executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
  headless: true,
  args: FLAGS,
  timeout: 60000,
});
const problems = [];
try {
  const page = context.pages()[0] || (await context.newPage());
  page.setDefaultTimeout(15000);
  page.on("pageerror", (e) => problems.push(String(e)));
  page.on("console", (m) => { if (m.type() === "error") problems.push("console: " + m.text()); });
  const shot = async (name) => { if (screenshot) await page.screenshot({ path: screenshot.replace(/\.png$/, `-${name}.png`), fullPage: true }); };

  step("open the link the CLI opened");
  const code = new URL(url).searchParams.get("code");
  await page.goto(url);
  const codeField = page.getByLabel("Code shown by the device");
  if ((await codeField.inputValue()) !== code) throw new Error("the code is not filled in: " + (await codeField.inputValue()));
  await shot("sign-in");

  step("sign in with the keyboard");
  await page.getByLabel("Username or email").focus();
  await page.keyboard.type(login);
  await page.keyboard.press("Tab");
  await page.keyboard.type(password);
  await page.keyboard.press("Enter");
  await page.getByRole("heading", { name: "Approve this device?" }).waitFor();

  step("see which device asks");
  const shownCode = (await page.locator("#user-code").innerText()).trim();
  if (shownCode !== code) throw new Error(`the page shows code ${shownCode}, the CLI ${code}`);
  const shownDetails = await page.locator("#client-details").innerText();
  if (!shownDetails.includes(details)) throw new Error(`the device details ${shownDetails} do not name ${details}`);
  await shot("approve");

  step(decision);
  const button = page.getByRole("button", { name: decision === "approve" ? "Approve" : "Deny" });
  await button.focus();
  await page.keyboard.press("Enter");
  await page.getByRole("heading", { name: decision === "approve" ? "Device approved" : "Device denied" }).waitFor();
  await shot(decision === "approve" ? "approved" : "denied");

  if (problems.length) throw new Error("the page reported: " + problems.join("; "));
  console.log("device page test passed");
} finally {
  await context.close();
  await rm(userDataDir, { recursive: true, force: true });
}
