// A vitest `globalSetup`: starts the gateway binary once for the whole run (or attaches to the one
// at `$GATEWAY_URL` with `$GATEWAY_ADMIN_TOKEN`), loads the session's fixture file
// (`$GATEWAY_FIXTURES`), hands `{url, adminToken}` to the test files (`inject`, see ./vitest.js)
// and stops the binary at the end.
//
//   // vitest.config.js
//   export default defineConfig({ test: { globalSetup: ["gateway-testkit/global-setup"] } });
//
// With options, from your own globalSetup file:
//   export default gatewayGlobalSetup({ fixtures: "tests/fixtures.yaml", settings: {...} });

import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { Gateway } from "./client.js";
import { attach, findBinary, startGateway } from "./server.js";

/** The key under which the setup provides `{url, adminToken, fixtures}`. */
export const PROVIDE_KEY = "gatewayTestkit";

/**
 * @param {{url?: string, adminToken?: string, binary?: string, settings?: Record<string, unknown>,
 *   fixtures?: string}} options `fixtures`: relative to the vitest root.
 */
export function gatewayGlobalSetup(options = {}) {
  return async function setup(project) {
    const {
      url = process.env.GATEWAY_URL, adminToken = process.env.GATEWAY_ADMIN_TOKEN,
      binary, settings, fixtures = process.env.GATEWAY_FIXTURES,
    } = options;
    const root = project?.config?.root ?? process.cwd();
    const server = url
      ? await attach(url, adminToken)
      : await startGateway({ binary: binary ?? findBinary(undefined, [root, dirname(fileURLToPath(import.meta.url))]), settings });
    const fixturesPath = fixtures ? resolve(root, fixtures) : null;
    try {
      if (fixturesPath) await new Gateway(server).loadFixtures(fixturesPath);
    } catch (e) {
      await server.stop?.();
      throw e;
    }
    project?.provide(PROVIDE_KEY, { url: server.url, adminToken: server.adminToken, fixtures: fixturesPath });
    return async () => server.stop?.();
  };
}

export default gatewayGlobalSetup();
