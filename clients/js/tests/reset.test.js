// `useGateway({reset: "each"})` and `({fixtures})`: state before each test, a fixture file for a
// block of tests (hooks of a `describe` block when called inside one), and the state after it.
import { describe, expect, test } from "vitest";
import { useGateway } from "gateway-testkit/vitest";

const names = async (gateway) => (await gateway.users()).map((u) => u.username).sort();

describe("with a fixture file, reset before each test", () => {
  const gateway = useGateway({ reset: "each", fixtures: new URL("./fixtures/alice.yaml", import.meta.url) });

  test("the fixture user is there and a new one is added", async () => {
    expect(await names(gateway)).toEqual(["alice"]);
    await gateway.createUser({ username: "bob" });
    await gateway.injectFault({ surface: "me", status: 503 });
    expect(await names(gateway)).toEqual(["alice", "bob"]);
  });

  test("the reset went back to the fixtures, without fault rules or journal", async () => {
    expect(await names(gateway)).toEqual(["alice"]);
    expect(await gateway.faults()).toEqual([]);
    expect(await gateway.journal()).toEqual([]);
  });

  test("the fixture's API key works on its surface", async () => {
    const res = await fetch(`${gateway.url}/api/v1/user`, { headers: { "x-api-key": "dn_0123456789abcdef_alice-platform-secret" } });
    expect(res.status).toBe(200);
    expect((await res.json()).username).toBe("alice");
    await gateway.assertRequested({ count: 1, surface: "platform", path: "/api/v1/user", status: 200 });
  });
});

describe("after that block", () => {
  const gateway = useGateway({ reset: "file" });

  test("its fixtures were replaced by the session's state (none here)", async () => {
    expect(await names(gateway)).toEqual([]);
  });
});
