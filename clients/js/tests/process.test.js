// Starting and stopping the binary, and the errors that name what went wrong.
import { existsSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect, test } from "vitest";
import { attach, findBinary, GatewayStartError, startGateway } from "gateway-testkit";
import { gatewayServer } from "gateway-testkit/vitest";

const attached = Boolean(process.env.GATEWAY_URL);

test.skipIf(attached)("a second gateway starts on its own port and stops", async () => {
  const server = await startGateway();
  expect(server.url).not.toBe(gatewayServer().url);
  expect((await fetch(`${server.url}/readyz`)).status).toBe(200);
  await server.stop();
  await expect(attach(server.url, server.adminToken)).rejects.toThrow(/is not ready/);
});

test.skipIf(attached)("a bad setting fails the start with the log", async () => {
  const err = await startGateway({ settings: { "server.no_such_key": 1 } }).then(() => null, (e) => e);
  expect(err).toBeInstanceOf(GatewayStartError);
  expect(err.message).toMatch(/serve exited \(1\):[\s\S]*no_such_key/);
});

test("a wrong binary path is named", () => {
  const nope = join(tmpdir(), "no-such-gateway-binary");
  expect(existsSync(nope)).toBe(false);
  expect(() => findBinary(nope)).toThrow(/GATEWAY_BIN=.*no-such-gateway-binary is not an executable/);
});

test("attaching needs the admin token", async () => {
  await expect(attach(gatewayServer().url, "")).rejects.toThrow(/GATEWAY_ADMIN_TOKEN is not/);
});
