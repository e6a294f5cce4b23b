// The published @stackframe/js SDK (pinned in package-lock.json) driven through the kit: a user
// with a tiered project and session from `createUserWithCredentials`, faults from `injectFault`,
// and the wire checked with `assertRequested`.
import { StackClientApp, StackServerApp } from "@stackframe/js";
import { beforeEach, expect, test } from "vitest";
import { present } from "gateway-testkit";
import { useGateway } from "gateway-testkit/vitest";

const gateway = useGateway();
let creds, mark;

beforeEach(async () => {
  creds = await gateway.createUserWithCredentials({ display_name: "Ada" });
  mark = await gateway.journalMark();
});

const app = ({ accessToken = creds.session.accessToken, refreshToken = creds.session.refreshToken } = {}) =>
  new StackClientApp({
    baseUrl: gateway.url, projectId: creds.project.id, publishableClientKey: creds.project.publishableClientKey,
    tokenStore: { accessToken, refreshToken },
  });

test("the client app reads and updates the user", async () => {
  const user = await app().getUser({ or: "throw" });
  expect([user.id, user.primaryEmail, user.displayName]).toEqual([creds.user.id, creds.user.email, "Ada"]);
  await user.update({ displayName: "Ada Lovelace", clientMetadata: { theme: "dark" } });
  await gateway.assertRequested({
    count: 1, surface: "users", method: "PATCH", path: "/api/v1/users/me", status: 200,
    headers: { "x-hexclave-access-type": "client", "x-hexclave-access-token": present() },
    json: { display_name: "Ada Lovelace", client_metadata: { theme: "dark" } }, since: mark,
  });
  expect((await gateway.user(creds.user)).raw.display_name).toBe("Ada Lovelace");
});

test("the server app updates server metadata with the secret key", async () => {
  const server = new StackServerApp({
    baseUrl: gateway.url, projectId: creds.project.id, publishableClientKey: creds.project.publishableClientKey,
    secretServerKey: creds.project.secretServerKey, tokenStore: "memory",
  });
  const user = await server.getUser(creds.user.id);
  await user.update({ serverMetadata: { plan: "pro" } });
  const [patch] = await gateway.assertRequested({
    count: 1, surface: "users", method: "PATCH", route: "/api/v1/users/{user_id}",
    headers: { "x-hexclave-access-type": "server" }, body: { pointer: "/server_metadata/plan", equal_to: "pro" }, since: mark,
  });
  expect(patch.request.path).toBe(`/api/v1/users/${creds.user.id}`);
  expect((await server.getUser(creds.user.id)).serverMetadata).toEqual({ plan: "pro" });
});

test("an expired access token is refreshed with the refresh token", async () => {
  const expired = await gateway.createSession(creds.project, creds.user, { accessTokenTtlSecs: -60 });
  const user = await app({ accessToken: expired.accessToken, refreshToken: expired.refreshToken }).getUser({ or: "throw" });
  expect(user.id).toBe(creds.user.id);
  const [refresh] = await gateway.assertRequested({
    surface: "users", method: "POST", path: "/api/v1/auth/oauth/token", status: 200,
    body: { contains: "grant_type=refresh_token" }, since: mark,
  });
  const [read] = await gateway.assertRequested({ count: 1, surface: "users", method: "GET", path: "/api/v1/users/me", since: mark });
  expect(read.id).toBeGreaterThan(refresh.id);
});

test("the SDK waits out an injected 429 and retries", async () => {
  const fault = await gateway.injectFault({ surface: "users", method: "GET", user: creds.user.id, status: 429, retry_after: 1, count: 1 });
  const started = Date.now();
  expect((await app().getUser({ or: "throw" })).id).toBe(creds.user.id);
  expect(Date.now() - started).toBeGreaterThanOrEqual(1000);
  const attempts = await gateway.assertRequested({ count: 2, surface: "users", method: "GET", path: "/api/v1/users/me", since: mark });
  // The SDK asks for error statuses in a header (X-Hexclave-Override-Error-Status): both answers
  // are 200 on the wire, the first one says 429 in x-hexclave-actual-status.
  expect(attempts.map((a) => a.response.headers["x-hexclave-actual-status"] ?? null)).toEqual([null, "429"]);
  expect(attempts.map((a) => a.fault?.rule ?? null)).toEqual([null, fault.id]);
  expect((await gateway.faults()).find((f) => f.id === fault.id)).toMatchObject({ fired: 1, remaining: 0 });
  await gateway.removeFault(fault);
  expect((await gateway.faults()).map((f) => f.id)).not.toContain(fault.id);
});
