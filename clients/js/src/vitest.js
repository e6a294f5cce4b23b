// Test-file helpers for vitest: the gateway that `gateway-testkit/global-setup` started (or
// attached to), with reset and fixture loading wired to vitest's hooks.
//
//   import { useGateway } from "gateway-testkit/vitest";
//   const gateway = useGateway({ reset: "each" });

import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, beforeEach, inject } from "vitest";
import { Gateway } from "./client.js";
import { PROVIDE_KEY } from "./global-setup.js";

/** The provided `{url, adminToken, fixtures}`; fails clearly when the global setup is missing. */
export function gatewayServer() {
  const server = inject(PROVIDE_KEY);
  if (!server) {
    throw new Error('no gateway: add "gateway-testkit/global-setup" to test.globalSetup in vitest.config');
  }
  return server;
}

/**
 * A `Gateway` for this test file.
 * @param {{reset?: "each" | "file" | "never", fixtures?: string | URL, settleMs?: number}} options
 *   `reset: "each"`: `POST /admin/reset` before every test; `"file"`: once before the file's tests.
 *   `fixtures`: load this file before the file's tests (the session's fixtures, or an empty state,
 *   are loaded again after them).
 */
export function useGateway({ reset = "never", fixtures, settleMs } = {}) {
  if (!["each", "file", "never"].includes(reset)) throw new TypeError(`reset: "each", "file" or "never", not ${reset}`);
  const server = gatewayServer();
  const gateway = new Gateway(server, settleMs === undefined ? {} : { settleMs });
  if (fixtures) {
    const path = fixtures instanceof URL ? fileURLToPath(fixtures) : fixtures;
    beforeAll(async () => {
      await gateway.loadFixtures(path);
      await gateway.clearJournal();
    });
    afterAll(() => gateway.loadFixtures(server.fixtures ?? {}));
  }
  if (reset === "file") beforeAll(() => gateway.reset());
  if (reset === "each") beforeEach(() => gateway.reset());
  return gateway;
}
