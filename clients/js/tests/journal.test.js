// Journal assertions: the failure messages list the matches or the near misses.
import { beforeEach, expect, test } from "vitest";
import { GatewayError } from "gateway-testkit";
import { useGateway } from "gateway-testkit/vitest";

const gateway = useGateway({ settleMs: 200 });
let creds, mark;

beforeEach(async () => {
  creds = await gateway.createUserWithCredentials();
  mark = await gateway.journalMark();
});

async function me(method = "GET", json) {
  const res = await fetch(`${gateway.url}/me`, {
    method, headers: { authorization: `Bearer ${creds.surfaces.me.accessToken}`, "content-type": "application/json" },
    body: json && JSON.stringify(json),
  });
  expect(res.status).toBe(200);
}

test("a failed assertion lists the near misses", async () => {
  await me();
  const [entry] = await gateway.find({ surface: "me", since: mark });
  const err = await gateway.assertRequested({ count: 1, surface: "me", method: "PATCH", path: "/me", json: { name: "Ada" }, since: mark })
    .then(() => null, (e) => e);
  expect(err?.name).toBe("AssertionError");
  expect(err.message).toMatch(/^expected exactly 1 request matching \{"surface":"me","method":"PATCH","path":"\/me"/);
  expect(err.message).toContain(", found 0\nnear misses (fewest differences first, then newest):\n");
  expect(err.message).toContain(`  #${entry.id} GET /me -> 200 [me]\n`);
  expect(err.message).toContain("      method: wanted PATCH, got GET\n");
  expect(err.message).toContain('      body[0]: wanted {"contains_json":{"name":"Ada"}}, got (none)');
});

test("a wrong count lists the matches", async () => {
  await me();
  await me();
  await expect(gateway.assertRequested({ count: 1, surface: "me", path: "/me", since: mark }))
    .rejects.toThrow(/found 2\nmatching requests \(newest first\):\n  #\d+ GET \/me -> 200 \[me\]\n  #\d+ GET/);
  expect(await gateway.assertRequested({ count: 2, surface: "me", path: "/me", since: mark })).toHaveLength(2);
  await expect(gateway.assertNotRequested({ surface: "me", since: mark })).rejects.toThrow(/^expected no request matching/);
});

test("no part matching shows the newest requests", async () => {
  await me();
  await expect(gateway.assertRequested({ surface: "platform", since: mark }))
    .rejects.toThrow(/no request matches any part of the pattern; the newest of 1:\n  #\d+ GET \/me/);
});

test("a refused pattern names the field; an unknown key is refused before sending", async () => {
  const err = await gateway.count({ headers: { accept: { matches: "(" } } }).then(() => null, (e) => e);
  expect(err).toBeInstanceOf(GatewayError);
  expect(err.status).toBe(422);
  expect(err.body.error.issues[0].field).toBe("headers.accept.matches");
  await expect(gateway.count({ methd: "GET" })).rejects.toThrow(/unknown pattern keys: methd/);
});

test("the journal reads back and clears", async () => {
  await me("PATCH", { name: "Journal" });
  const [newest] = await gateway.journal({ surface: "me", limit: 1 });
  expect(newest.request.method).toBe("PATCH");
  expect(await gateway.count({ surface: "me", json: { name: "Journal" }, since: mark })).toBe(1);
  await gateway.clearJournal({ surface: "me" });
  expect(await gateway.journal({ surface: "me" })).toEqual([]);
});
