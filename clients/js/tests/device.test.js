// The device-login helpers: a CLI's device login (the platform surface's, as `dreadnode login`
// starts it) approved for a user with `approveDeviceLogin`, another denied with `denyDeviceLogin`.
import { expect, test } from "vitest";
import { useGateway } from "gateway-testkit/vitest";

const gateway = useGateway({ reset: "each" });

test("a device login is approved for a user, another denied", async () => {
  const user = await gateway.createUser({ username: "device-js" });
  const start = async () => (await fetch(`${gateway.url}/api/v1/auth/device/code`, { method: "POST" })).json();
  const poll = (code) => fetch(`${gateway.url}/api/v1/auth/device/code/${code}`);

  const cli = await start();
  expect((await gateway.deviceLogins()).map((d) => d.user_code)).toContain(cli.user_code);
  const approved = await gateway.approveDeviceLogin(user, cli.user_code);
  expect(approved.state).toBe("approved");
  const res = await poll(cli.device_code);
  expect(res.status).toBe(200);
  expect((await res.json()).user_id).toBe(user.id);

  const other = await start();
  await gateway.denyDeviceLogin(other.user_code);
  expect((await poll(other.device_code)).status).toBe(403);
  await expect(gateway.waitForDeviceLogin("BCDF-GHJK", { timeoutMs: 100 })).rejects.toThrow(/no pending device login with code BCDF-GHJK/);
});
