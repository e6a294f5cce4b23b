// Starting the gateway binary for a test run, or attaching to one that already runs.
//
// `startGateway` runs `gateway serve` on 127.0.0.1 with a free port, a temporary SQLite file and a
// random admin token, and waits until `GET /readyz` answers 200. `attach` checks a running gateway
// given by URL and admin token. Both give `{url, adminToken}`; a started one also has `stop()`.

import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { accessSync, constants, existsSync, mkdtempSync, openSync, closeSync, readFileSync, rmSync, statSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { delimiter, dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const READY_TIMEOUT_MS = 60_000;
const STOP_TIMEOUT_MS = 10_000;
// Variables of the caller's environment that would change what the child serves.
const DROPPED_ENV = ["GATEWAY_ENV", "GATEWAY_CONFIG", "RUST_LOG"];

/** The gateway binary could not be found, did not start, or did not get ready. */
export class GatewayStartError extends Error {
  name = "GatewayStartError";
}

/** @typedef {{url: string, adminToken: string, stop?: () => Promise<void>, logTail?: () => string}} GatewayServer */

const executable = (p) => {
  try {
    accessSync(p, constants.X_OK);
    return statSync(p).isFile();
  } catch {
    return false;
  }
};

/**
 * The `gateway` binary: `explicit` (or `$GATEWAY_BIN`), else `target/debug/gateway` of the first
 * cargo workspace above one of `searchFrom` (or `$CARGO_TARGET_DIR/debug/gateway`), else
 * `gateway` on `PATH`.
 */
export function findBinary(explicit, searchFrom = [process.cwd(), dirname(fileURLToPath(import.meta.url))]) {
  const given = explicit || process.env.GATEWAY_BIN;
  if (given) {
    if (!executable(given)) throw new GatewayStartError(`GATEWAY_BIN=${given} is not an executable file`);
    return resolve(given);
  }
  const tried = [];
  if (process.env.CARGO_TARGET_DIR) tried.push(join(process.env.CARGO_TARGET_DIR, "debug", "gateway"));
  for (const start of searchFrom) {
    for (let dir = resolve(start); ; dir = dirname(dir)) {
      if (existsSync(join(dir, "Cargo.toml")) && existsSync(join(dir, "target"))) {
        tried.push(join(dir, "target", "debug", "gateway"));
        break;
      }
      if (dirname(dir) === dir) break;
    }
  }
  const onPath = (process.env.PATH ?? "").split(delimiter).filter(Boolean).map((d) => join(d, "gateway"));
  const found = [...tried, ...onPath].find(executable);
  if (found) return found;
  throw new GatewayStartError(
    "cannot find the gateway binary: set GATEWAY_BIN, run `cargo build -p gateway-server --bin gateway`, " +
      "or attach to a running one with GATEWAY_URL and GATEWAY_ADMIN_TOKEN " +
      `(looked at: ${tried.join(", ") || "no cargo workspace found"}; PATH)`);
}

/** A TCP port on 127.0.0.1 that nothing listens on right now. */
export function freePort() {
  return new Promise((ok, fail) => {
    const srv = createServer().once("error", fail);
    srv.listen(0, "127.0.0.1", () => {
      const { port } = srv.address();
      srv.close(() => ok(port));
    });
  });
}

async function ready(url, timeoutMs = 2000) {
  try {
    const res = await fetch(`${url}/readyz`, { signal: AbortSignal.timeout(timeoutMs) });
    return res.status === 200;
  } catch {
    return false;
  }
}

/** A running gateway; fails at once when its `/readyz` does not answer 200. */
export async function attach(url, adminToken) {
  url = url.replace(/\/+$/, "");
  if (!adminToken) throw new GatewayStartError(`GATEWAY_URL=${url} is set but GATEWAY_ADMIN_TOKEN is not`);
  if (!(await ready(url, 10_000))) throw new GatewayStartError(`the gateway at ${url} is not ready (GET /readyz)`);
  return { url, adminToken };
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/**
 * Starts `gateway serve` with its own SQLite file, port and admin token and waits for readiness.
 * `settings` are extra configuration keys (`{"emulator.journal_capacity": 500}` becomes
 * `GATEWAY__EMULATOR__JOURNAL_CAPACITY=500`); `GATEWAY__*` variables of the caller's environment are
 * passed on too. A port taken meanwhile is retried.
 * @returns {Promise<Required<GatewayServer>>}
 */
export async function startGateway({ binary = findBinary(), settings = {}, readyTimeoutMs = READY_TIMEOUT_MS } = {}) {
  const dir = mkdtempSync(join(tmpdir(), "gateway-testkit-"));
  const logPath = join(dir, "gateway.log");
  const adminToken = randomBytes(32).toString("base64url");
  const logTail = (lines = 40) => {
    try {
      return readFileSync(logPath, "utf8").split("\n").slice(-lines - 1).join("\n");
    } catch {
      return "";
    }
  };
  for (let attempt = 0; ; attempt++) {
    const port = await freePort();
    const url = `http://127.0.0.1:${port}`;
    const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !DROPPED_ENV.includes(k)));
    Object.assign(env, {
      GATEWAY__SERVER__HOST: "127.0.0.1", GATEWAY__SERVER__PORT: String(port), GATEWAY__SERVER__WORKERS: "2",
      GATEWAY__DATABASE__URL: `sqlite://${join(dir, "gateway.db")}`, GATEWAY__ADMIN__TOKEN: adminToken,
      GATEWAY__LOG__FILTER: "warn",
    });
    for (const [k, v] of Object.entries(settings)) env[`GATEWAY__${k.toUpperCase().replaceAll(".", "__")}`] = String(v);
    const log = openSync(logPath, "a");
    const child = spawn(binary, ["serve"], { env, cwd: dir, stdio: ["ignore", log, log] });
    closeSync(log);
    let exitCode = null;
    const exited = new Promise((r) => child.once("exit", (code, signal) => r((exitCode = code ?? signal))));
    const killOnExit = () => child.kill("SIGKILL");
    process.once("exit", killOnExit);
    const stop = async () => {
      process.off("exit", killOnExit);
      if (exitCode === null) {
        child.kill("SIGTERM");
        const timer = setTimeout(() => child.kill("SIGKILL"), STOP_TIMEOUT_MS);
        await exited;
        clearTimeout(timer);
      }
    };
    const deadline = Date.now() + readyTimeoutMs;
    while (Date.now() < deadline && exitCode === null) {
      if (await ready(url)) {
        return { url, adminToken, logTail, stop: async () => { await stop(); rmSync(dir, { recursive: true, force: true }); } };
      }
      await sleep(50);
    }
    const why = exitCode === null ? `was not ready within ${readyTimeoutMs / 1000} s` : `serve exited (${exitCode})`;
    const tail = logTail();
    await stop();
    if (exitCode !== null && tail.includes("in use") && attempt < 2) continue;
    rmSync(dir, { recursive: true, force: true });
    throw new GatewayStartError(`${binary} ${why}:\n${tail}`);
  }
}
