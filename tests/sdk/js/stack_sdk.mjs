#!/usr/bin/env node
// SDK compatibility driver: runs the published npm SDK @stackframe/js 2.8.108, unmodified, against a
// gateway that emulates the Stack Auth users API (shared/specs/tiered.md).
//
//   node tests/sdk/js/stack_sdk.mjs <scenario>
//
// Scenarios (numbers from tiered.md, "Scenarios a compatible server must pass"):
//   client               34  StackClientApp with {accessToken, refreshToken}: getUser, update displayName +
//                            clientMetadata, the token refresh that follows, primaryEmail of another user ->
//                            KnownError USER_EMAIL_ALREADY_EXISTS; with DELETE=1 also user.delete().
//   server               35  StackServerApp: getUser by token (server fields), serverUser.update of
//                            serverMetadata/clientReadOnlyMetadata/primaryEmailVerified, getUser(id),
//                            getUser(unknown id) -> null, client view without serverMetadata.
//   expired              36  expired access token + valid refresh token -> user, through both refresh paths
//                            (up front from `exp`, and after the server rejects a token the SDK still trusts).
//   expired-bad-refresh  37  expired access token + unknown refresh token -> null, and {or: "throw"} throws.
//   users                    StackServerApp users collection (issue #16): createUser (201 server user), a taken
//                            email -> KnownError USER_EMAIL_ALREADY_EXISTS, listUsers with limit/cursor/nextCursor,
//                            orderBy "lastActiveAt" + desc, and query.
//   password                 Password auth (issue #16): getProject (password sign-up on), signUpWithCredential (sdk.password@example.com), the user it
//                            signs in, signOut, signInWithCredential with a wrong password -> EMAIL_PASSWORD_MISMATCH,
//                            then the right one; getUser({or: "anonymous"}) then signUpWithCredential (the same id);
//                            updatePassword (a wrong old one, then sdk-password-2); a second sign-up with the email -> USER_EMAIL_ALREADY_EXISTS.
//   sessions                 Sessions (issue #16): serverUser.createSession, user.getActiveSessions (current flag),
//                            user.revokeSession of another session, serverUser.getActiveSessions / revokeSession
//                            (no user_id on the wire), user.signOut, and the signed-out refresh token refused.
//   teams                    Teams (issue #16): user.createTeam (selected after), listTeams, hasPermission through
//                            team_admin, team.update, serverTeam.addUser, user.leaveTeam, serverTeam.delete.
//   api-keys                 User API keys (issue #16): user.createApiKey (the secret once), listApiKeys (last four),
//                            serverApp.getUser({apiKey}), apiKey.revoke, and the revoked key refused.
//   channels                 Contact channels (issue #16): signUpWithCredential, user.createContactChannel (a
//                            second sign-in address), listContactChannels, channel.update({isPrimary}) (the primary
//                            email swaps), signInWithCredential with either address, channel.update({usedForAuth,
//                            value}), channel.delete(), serverUser.createContactChannel({isVerified}).
//   mail                     Mailed codes (issue #16), read from the gateway's outbox (ADMIN_TOKEN): signUpWithCredential,
//                            sendForgotPasswordEmail, verifyPasswordResetCode, resetPassword, signInWithCredential with
//                            the new password; listContactChannels, contactChannel.sendVerificationEmail,
//                            user.sendVerificationEmail, verifyEmail; sendMagicLinkEmail (a new address),
//                            signInWithMagicLink(OTP + nonce), the new user signed in; the used code refused;
//                            user.setPassword (a short one refused) and signInWithCredential with it.
//
// Configured only through environment variables (README.md lists them). Prints one JSON line per step on
// stdout: {"step", "ok", ...details, "wire": [requests the step made]}. SDK logging goes to stderr.
// Exits 0 only if every step passed; stops at the first failed step. Requests to any origin other than
// GATEWAY_URL are blocked and fail the step.
import { StackClientApp, StackServerApp } from "@stackframe/js";
import { isDeepStrictEqual } from "node:util";

// ---- plumbing -------------------------------------------------------------------------------------------
const emit = (o) => process.stdout.write(JSON.stringify(o) + "\n");
for (const k of ["log", "info", "debug"]) console[k] = (...a) => console.error(...a); // keep stdout JSON-only
process.on("unhandledRejection", (e) => { emit({ step: "unhandled-rejection", ok: false, error: String(e?.stack ?? e) }); process.exit(1); });

const SCENARIO = process.argv[2];
if (!["client", "server", "expired", "expired-bad-refresh", "users", "sessions", "password", "teams", "api-keys", "channels", "mail"].includes(SCENARIO)) {
  console.error("usage: node stack_sdk.mjs <client|server|expired|expired-bad-refresh|users|sessions|password|teams|api-keys|channels|mail>   (configuration: see README.md)");
  process.exit(2);
}
const env = (name, fallback) => process.env[name] || fallback;
function need(name) {
  const v = process.env[name];
  if (!v) { emit({ step: "config", ok: false, error: `environment variable ${name} is required` }); process.exit(2); }
  return v;
}
const STEP_TIMEOUT_MS = Number(env("STEP_TIMEOUT_MS", "30000"));
const GATEWAY_URL = need("GATEWAY_URL");
const GATEWAY = new URL(GATEWAY_URL);
const API = GATEWAY.pathname.replace(/\/$/, "") + "/api/v1"; // the SDK joins baseUrl + "/api/v1" + path
const PROJECT_ID = need("PROJECT_ID");
const PCK = env("PUBLISHABLE_CLIENT_KEY"); // optional: without it the SDK uses the keyless sentinel
const nonce = Date.now().toString(36);

// Record every request the SDK makes (it calls the global fetch) so steps can assert on the wire.
const wire = [];
const realFetch = globalThis.fetch;
globalThis.fetch = async (input, init = {}) => {
  const url = new URL(input instanceof Request ? input.url : String(input));
  const h = new Headers(init.headers ?? (input instanceof Request ? input.headers : undefined));
  const pick = (n) => h.get(`x-hexclave-${n}`) ?? h.get(`x-stack-${n}`) ?? undefined;
  const e = { method: (init.method ?? "GET").toUpperCase(), path: url.pathname, accessType: pick("access-type"), accessToken: pick("access-token") };
  wire.push(e);
  if (url.origin !== GATEWAY.origin) { e.blocked = url.href; throw new TypeError(`driver blocked a request outside GATEWAY_URL: ${url.href}`); }
  const res = await realFetch(input, init);
  e.status = Number(res.headers.get("x-hexclave-actual-status") ?? res.headers.get("x-stack-actual-status") ?? res.status);
  e.knownError = res.headers.get("x-hexclave-known-error") ?? res.headers.get("x-stack-known-error") ?? undefined;
  return res;
};
const fmt = (e) => e.blocked ? `${e.method} ${e.blocked} -> BLOCKED`
  : `${e.method} ${e.path}${e.accessType ? ` [${e.accessType}${e.accessToken ? "+token" : ""}]` : ""} -> ${e.status ?? "no answer"}${e.knownError ? ` ${e.knownError}` : ""}`;

// Runs one step; `fn` gets a function returning the requests made so far in this step.
async function step(name, fn) {
  const from = wire.length, t0 = Date.now();
  const mine = () => wire.slice(from);
  let timer;
  try {
    const timeout = new Promise((_, reject) => { timer = setTimeout(() => reject(new Error(`timed out after ${STEP_TIMEOUT_MS} ms`)), STEP_TIMEOUT_MS); });
    const details = await Promise.race([fn(mine), timeout]);
    const blocked = mine().filter((e) => e.blocked);
    check(blocked.length === 0, `requests outside GATEWAY_URL: ${blocked.map((e) => e.blocked).join(", ")}`);
    emit({ step: name, ok: true, ...details, ms: Date.now() - t0, wire: mine().map(fmt) });
  } catch (err) {
    emit({ step: name, ok: false, error: String(err?.stack ?? err).slice(0, 4000), ms: Date.now() - t0, wire: mine().map(fmt) });
    process.exit(1);
  } finally { clearTimeout(timer); }
}

function check(cond, msg) { if (!cond) throw new Error(msg); }
function eq(actual, expected, what) {
  if (!isDeepStrictEqual(actual, expected)) throw new Error(`${what}: expected ${JSON.stringify(expected)}, got ${JSON.stringify(actual)}`);
}
// Asserts that the step made `method API+path` answered with (actual) `status` and, if given, that known error.
function sawRequest(entries, method, path, status, knownError) {
  const hit = entries.find((e) => e.method === method && e.path === API + path && e.status === status && e.knownError === knownError);
  check(hit, `expected ${method} ${API + path} -> ${status}${knownError ? ` ${knownError}` : ""} on the wire, saw: ${JSON.stringify(entries.map(fmt))}`);
  return hit;
}
const lastTo = (entries, method, path) => entries.filter((e) => e.method === method && e.path === API + path).at(-1);
const claims = (jwt) => JSON.parse(Buffer.from(jwt.split(".")[1], "base64url").toString("utf8"));
const rejects = (promise) => promise.then(() => null, (e) => e ?? new Error("rejected with nothing"));

const common = { projectId: PROJECT_ID, baseUrl: GATEWAY_URL, ...(PCK ? { publishableClientKey: PCK } : {}) };
const clientApp = (tokenStore) => new StackClientApp({ ...common, tokenStore });
const tokensFromEnv = () => ({ accessToken: need("ACCESS_TOKEN"), refreshToken: need("REFRESH_TOKEN") });

// ---- scenarios --------------------------------------------------------------------------------------------
async function client() {
  const tokens = tokensFromEnv();
  const userId = need("EXPECT_USER_ID"), email = need("EXPECT_EMAIL"), taken = need("TAKEN_EMAIL");
  const app = clientApp(tokens);
  let user;
  await step("client-get-user", async (w) => {
    user = await app.getUser({ or: "throw" });
    eq(user.id, userId, "id");
    eq(user.primaryEmail, email, "primaryEmail");
    check(!("server_metadata" in user.toClientJson()), "client read object contains server_metadata");
    sawRequest(w(), "GET", "/users/me", 200);
    return { id: user.id, primaryEmail: user.primaryEmail };
  });

  const displayName = `SDK client ${nonce}`, clientMetadata = { sdk: "js", nonce, nested: { list: [1, "two", null] } };
  await step("client-update-display-name-and-client-metadata", async (w) => {
    await user.update({ displayName, clientMetadata });
    sawRequest(w(), "PATCH", "/users/me", 200);
  });

  // update() marks the session's access token stale; the next use of that session refreshes it.
  await step("client-token-refresh-after-update", async (w) => {
    const token = await user.getAccessToken();
    sawRequest(w(), "POST", "/auth/oauth/token", 200);
    check(token && token !== tokens.accessToken, "access token was not replaced by the refresh");
    const c = claims(token);
    eq(c.sub, userId, "refreshed token sub");
    eq(c.project_id, PROJECT_ID, "refreshed token project_id");
    eq(c.name, displayName, "refreshed token name claim (minted from the updated user)");
    return { claims: Object.keys(c).sort() };
  });

  await step("client-get-user-after-update", async () => {
    const u = await app.getUser({ or: "throw" });
    eq(u.id, userId, "id");
    eq(u.displayName, displayName, "displayName");
    eq(u.clientMetadata, clientMetadata, "clientMetadata");
  });

  await step("client-update-primary-email-taken", async (w) => {
    const err = await rejects(user.update({ primaryEmail: taken }));
    check(err, "update({primaryEmail: TAKEN_EMAIL}) resolved; expected KnownError<USER_EMAIL_ALREADY_EXISTS>");
    eq(err.errorCode, "USER_EMAIL_ALREADY_EXISTS", `errorCode (error was ${err})`);
    eq(err.name, "KnownError<USER_EMAIL_ALREADY_EXISTS>", "error name");
    eq(err.statusCode, 409, "statusCode");
    eq(String(err.details?.email).toLowerCase(), taken.toLowerCase(), "details.email");
    sawRequest(w(), "PATCH", "/users/me", 409, "USER_EMAIL_ALREADY_EXISTS");
    return { errorCode: err.errorCode, details: err.details };
  });

  await step("client-primary-email-unchanged", async () => {
    const u = await app.getUser({ or: "throw" });
    eq(u.primaryEmail, email, "primaryEmail after the refused update");
  });

  if (env("DELETE") === "1") {
    await step("client-delete-user", async (w) => {
      await user.delete();
      sawRequest(w(), "DELETE", "/users/me", 200);
    });
    await step("client-get-user-after-delete", async (w) => {
      eq(await app.getUser(), null, "getUser() after delete");
      const last = lastTo(w(), "GET", "/users/me");
      check(last?.status === 400 && last.knownError === "CANNOT_GET_OWN_USER_WITHOUT_USER",
        `expected GET /users/me -> 400 CANNOT_GET_OWN_USER_WITHOUT_USER, saw: ${JSON.stringify(w().map(fmt))}`);
    });
    await step("client-refresh-token-revoked-after-delete", async (w) => {
      eq(await clientApp({ accessToken: null, refreshToken: tokens.refreshToken }).getUser(), null, "getUser() with only the refresh token");
      sawRequest(w(), "POST", "/auth/oauth/token", 401, "REFRESH_TOKEN_NOT_FOUND_OR_EXPIRED");
    });
  }
}

async function server() {
  const tokens = tokensFromEnv();
  const userId = need("EXPECT_USER_ID"), email = need("EXPECT_EMAIL"), unknownId = need("UNKNOWN_USER_ID");
  const app = new StackServerApp({ ...common, secretServerKey: need("SECRET_SERVER_KEY"), tokenStore: "memory" });
  let serverUser;
  await step("server-get-user-by-token", async (w) => {
    serverUser = await app.getUser({ tokenStore: tokens });
    check(serverUser, "getUser({tokenStore}) returned null");
    eq(serverUser.id, userId, "id");
    eq(serverUser.primaryEmail, email, "primaryEmail");
    check("server_metadata" in serverUser.toClientJson(), "server read object lacks server_metadata");
    check(serverUser.lastActiveAt instanceof Date && !Number.isNaN(serverUser.lastActiveAt.getTime()), `lastActiveAt is not a valid date: ${serverUser.lastActiveAt}`);
    const hit = sawRequest(w(), "GET", "/users/me", 200);
    eq(hit.accessType, "server", "access type of GET /users/me");
    return { serverMetadata: serverUser.serverMetadata ?? null, lastActiveAt: serverUser.lastActiveAt.toISOString() };
  });

  const serverMetadata = { tier: "server", nonce }, clientReadOnlyMetadata = { tier: "client-read-only", nonce, plan: ["pro"] };
  await step("server-update-user", async (w) => {
    await serverUser.update({ serverMetadata, clientReadOnlyMetadata, primaryEmailVerified: true });
    const hit = sawRequest(w(), "PATCH", `/users/${userId}`, 200);
    check(hit.accessType === "server" && !hit.accessToken, `PATCH /users/{id} should be server access without a user token: ${fmt(hit)}`);
  });

  await step("server-get-user-by-id", async (w) => {
    const u = await app.getUser(userId);
    check(u, "getUser(EXPECT_USER_ID) returned null");
    eq(u.id, userId, "id");
    eq(u.serverMetadata, serverMetadata, "serverMetadata");
    eq(u.clientReadOnlyMetadata, clientReadOnlyMetadata, "clientReadOnlyMetadata");
    eq(u.primaryEmailVerified, true, "primaryEmailVerified");
    sawRequest(w(), "GET", `/users/${userId}`, 200);
  });

  await step("server-get-unknown-user", async (w) => {
    eq(await app.getUser(unknownId), null, "getUser(UNKNOWN_USER_ID)");
    sawRequest(w(), "GET", `/users/${unknownId}`, 404, "USER_NOT_FOUND");
  });

  await step("client-sees-client-read-only-metadata", async (w) => {
    const u = await clientApp(tokens).getUser({ or: "throw" });
    eq(u.id, userId, "id");
    eq(u.clientReadOnlyMetadata, clientReadOnlyMetadata, "clientReadOnlyMetadata");
    eq(u.primaryEmailVerified, true, "primaryEmailVerified");
    check(!("serverMetadata" in u), "client user has serverMetadata");
    check(!("server_metadata" in u.toClientJson()), "client read object contains server_metadata");
    eq(sawRequest(w(), "GET", "/users/me", 200).accessType, "client", "access type");
  });
}

async function expired() {
  const tokens = tokensFromEnv(), userId = need("EXPECT_USER_ID");
  const original = claims(tokens.accessToken);
  await step("expired-token-refreshed-up-front", async (w) => {
    check(typeof original.exp === "number" && original.exp * 1000 < Date.now(), `ACCESS_TOKEN is not expired (exp ${original.exp})`);
    const u = await clientApp(tokens).getUser();
    check(u, "getUser() returned null");
    eq(u.id, userId, "id");
    sawRequest(w(), "POST", "/auth/oauth/token", 200);
    const last = lastTo(w(), "GET", "/users/me");
    check(last?.status === 200 && last.accessToken && last.accessToken !== tokens.accessToken, "final GET /users/me did not use a refreshed token");
  });

  // Same payload with a future `exp` and the original signature: the SDK trusts it (it only decodes), the
  // gateway must reject it (401 invalid-access-token family); the SDK then refreshes and retries.
  await step("tampered-token-rejected-then-refreshed", async (w) => {
    const [head, , sig] = tokens.accessToken.split(".");
    const body = Buffer.from(JSON.stringify({ ...original, exp: Math.floor(Date.now() / 1000) + 600 })).toString("base64url");
    const tampered = `${head}.${body}.${sig}`;
    const u = await clientApp({ ...tokens, accessToken: tampered }).getUser();
    check(u, "getUser() returned null");
    eq(u.id, userId, "id");
    const first = w().find((e) => e.path === API + "/users/me");
    check(first?.accessToken === tampered && first.status === 401 &&
      ["UNPARSABLE_ACCESS_TOKEN", "ACCESS_TOKEN_EXPIRED", "INVALID_PROJECT_FOR_ACCESS_TOKEN"].includes(first.knownError),
      `gateway should answer the tampered token with 401 UNPARSABLE_ACCESS_TOKEN, saw: ${JSON.stringify(w().map(fmt))}`);
    sawRequest(w(), "POST", "/auth/oauth/token", 200);
    eq(lastTo(w(), "GET", "/users/me")?.status, 200, "status of the retried GET /users/me");
  });
}

async function expiredBadRefresh() {
  const app = clientApp(tokensFromEnv());
  await step("bad-refresh-get-user-returns-null", async (w) => {
    eq(await app.getUser(), null, "getUser()");
    sawRequest(w(), "POST", "/auth/oauth/token", 401, "REFRESH_TOKEN_NOT_FOUND_OR_EXPIRED");
  });
  await step("bad-refresh-get-user-or-throw-throws", async (w) => {
    const err = await rejects(app.getUser({ or: "throw" }));
    check(err, "getUser({or: 'throw'}) resolved");
    check(/not signed in/.test(err.message), `unexpected error: ${err}`);
    sawRequest(w(), "POST", "/auth/oauth/token", 401, "REFRESH_TOKEN_NOT_FOUND_OR_EXPIRED");
    return { error: err.message };
  });
}

// The users collection: EXPECT_USER_ID must be the only user, so the listing is exactly it and the two created here.
async function users() {
  const oldest = need("EXPECT_USER_ID");
  const app = new StackServerApp({ ...common, secretServerKey: need("SECRET_SERVER_KEY"), tokenStore: "memory" });
  const email = `sdk-created-${nonce}@example.com`;
  let first, second;
  await step("users-create", async (w) => {
    const u = await app.createUser({ primaryEmail: email, password: "sdk-password-1", displayName: "SDK Created", primaryEmailAuthEnabled: true, serverMetadata: { nonce } });
    eq(u.primaryEmail, email, "primaryEmail");
    eq(u.displayName, "SDK Created", "displayName");
    eq(u.serverMetadata, { nonce }, "serverMetadata");
    eq(u.hasPassword, true, "hasPassword");
    eq(u.isAnonymous, false, "isAnonymous");
    const hit = sawRequest(w(), "POST", "/users", 201);
    check(hit.accessType === "server" && !hit.accessToken, `POST /users should be server access without a user token: ${fmt(hit)}`);
    first = u.id;
    return { id: u.id };
  });
  await step("users-create-second", async (w) => {
    second = (await app.createUser({ displayName: "SDK Second" })).id;
    sawRequest(w(), "POST", "/users", 201);
  });
  await step("users-create-taken-email", async (w) => {
    const err = await rejects(app.createUser({ primaryEmail: email }));
    check(err, "createUser with a taken email resolved");
    eq(err.errorCode, "USER_EMAIL_ALREADY_EXISTS", `errorCode (error was ${err})`);
    eq(err.statusCode, 409, "statusCode");
    sawRequest(w(), "POST", "/users", 409, "USER_EMAIL_ALREADY_EXISTS");
  });
  let cursor;
  await step("users-list-first-page", async (w) => {
    const page = await app.listUsers({ limit: 2 });
    eq(page.map((u) => u.id), [oldest, first], "ids");
    eq(page.nextCursor, second, "nextCursor");
    cursor = page.nextCursor;
    sawRequest(w(), "GET", "/users", 200);
  });
  await step("users-list-next-page", async (w) => {
    const page = await app.listUsers({ limit: 2, cursor });
    eq(page.map((u) => u.id), [second], "ids");
    eq(page.nextCursor, null, "nextCursor");
    sawRequest(w(), "GET", "/users", 200);
  });
  await step("users-list-last-active-desc", async (w) => {
    const page = await app.listUsers({ orderBy: "lastActiveAt", desc: true });
    eq(page.map((u) => u.id), [second, first, oldest], "ids");
    sawRequest(w(), "GET", "/users", 200);
  });
  await step("users-list-query", async (w) => {
    const page = await app.listUsers({ query: "sdk created" });
    eq(page.map((u) => u.id), [first], "ids");
    eq(page[0].serverMetadata, { nonce }, "serverMetadata of a listed user");
    sawRequest(w(), "GET", "/users", 200);
  });
}

async function sessions() {
  const userId = need("EXPECT_USER_ID"), fixtureSession = need("SESSION_ID");
  const server = new StackServerApp({ ...common, secretServerKey: need("SECRET_SERVER_KEY"), tokenStore: "memory" });
  const serverUser = await server.getUser(userId);
  check(serverUser, "serverApp.getUser(id) found no user");
  let tokens, mine;
  await step("sessions-server-create", async (w) => {
    tokens = await (await serverUser.createSession({ expiresInMillis: 3_600_000 })).getTokens();
    check(typeof tokens.accessToken === "string" && typeof tokens.refreshToken === "string", `tokens: ${JSON.stringify(Object.keys(tokens))}`);
    mine = claims(tokens.accessToken).refresh_token_id;
    eq(claims(tokens.accessToken).sub, userId, "sub");
    sawRequest(w(), "POST", "/auth/sessions", 200);
    return { session: mine };
  });
  const app = new StackClientApp({ ...common, tokenStore: { ...tokens }, redirectMethod: "none" });
  const user = await app.getUser({ or: "throw" });
  await step("sessions-list", async (w) => {
    const list = await user.getActiveSessions();
    eq(list.map((s) => [s.id, s.isCurrentSession]).sort(), [[fixtureSession, false], [mine, true]].sort(), "sessions");
    check(list.every((s) => s.userId === userId && s.createdAt instanceof Date && !s.isImpersonation), "session fields");
    sawRequest(w(), "GET", "/auth/sessions", 200);
  });
  await step("sessions-revoke-other", async (w) => {
    await user.revokeSession(fixtureSession);
    sawRequest(w(), "DELETE", `/auth/sessions/${fixtureSession}`, 200);
    eq((await user.getActiveSessions()).map((s) => s.id), [mine], "sessions left");
  });
  await step("sessions-server-list-and-revoke", async (w) => {
    const extra = claims((await (await serverUser.createSession({})).getTokens()).accessToken).refresh_token_id;
    const listed = (await serverUser.getActiveSessions()).map((s) => s.id);
    eq(listed, [extra, mine], "server list, newest first");
    await serverUser.revokeSession(extra);
    const del = sawRequest(w(), "DELETE", `/auth/sessions/${extra}`, 200);
    check(del.accessType === "server", `revokeSession should be a server call: ${fmt(del)}`);
    eq((await serverUser.getActiveSessions()).map((s) => s.id), [mine], "after the server revoked one");
  });
  await step("sessions-sign-out", async (w) => {
    await user.signOut();
    sawRequest(w(), "DELETE", "/auth/sessions/current", 200);
    const res = await realFetch(new URL(API + "/auth/sessions/current/refresh", GATEWAY), {
      method: "POST",
      headers: { "x-stack-access-type": "client", "x-stack-project-id": PROJECT_ID, ...(PCK ? { "x-stack-publishable-client-key": PCK } : {}), "x-stack-refresh-token": tokens.refreshToken },
    });
    eq([res.status, res.headers.get("x-stack-known-error")], [401, "REFRESH_TOKEN_NOT_FOUND_OR_EXPIRED"], "refresh after sign-out");
    eq((await serverUser.getActiveSessions()).length, 0, "sessions after sign-out");
  });
}

async function password() {
  const email = "sdk.password@example.com", pw = "sdk-password-1";
  const app = new StackClientApp({ ...common, tokenStore: "memory", redirectMethod: "none" });
  let id;
  await step("password-project", async (w) => {
    const project = await app.getProject();
    eq([project.id, project.config.credentialEnabled, project.config.signUpEnabled], [PROJECT_ID, true, true], "project");
    sawRequest(w(), "GET", "/projects/current", 200);
  });
  await step("password-sign-up", async (w) => {
    const res = await app.signUpWithCredential({ email, password: pw, noVerificationCallback: true, noRedirect: true });
    eq(res.status, "ok", `sign-up result ${JSON.stringify(res)}`);
    const user = await app.getUser({ or: "throw" });
    eq([user.primaryEmail, user.primaryEmailVerified, user.hasPassword], [email, false, true], "user");
    id = user.id;
    sawRequest(w(), "POST", "/auth/password/sign-up", 200);
    return { id };
  });
  await step("password-sign-out", async (w) => {
    const user = await app.getUser({ or: "throw" });
    await user.signOut();
    eq(await app.getUser(), null, "signed out");
    sawRequest(w(), "DELETE", "/auth/sessions/current", 200);
  });
  await step("password-sign-in-wrong", async (w) => {
    const res = await app.signInWithCredential({ email, password: "not-the-password", noRedirect: true });
    eq(res.status, "error", "status");
    eq(res.error.errorCode, "EMAIL_PASSWORD_MISMATCH", "errorCode");
    sawRequest(w(), "POST", "/auth/password/sign-in", 400, "EMAIL_PASSWORD_MISMATCH");
  });
  await step("password-sign-in", async (w) => {
    const res = await app.signInWithCredential({ email, password: pw, noRedirect: true });
    eq(res.status, "ok", `sign-in result ${JSON.stringify(res)}`);
    eq((await app.getUser({ or: "throw" })).id, id, "the same user");
    sawRequest(w(), "POST", "/auth/password/sign-in", 200);
  });
  await step("password-update", async (w) => {
    const user = await app.getUser({ or: "throw" });
    const wrong = await user.updatePassword({ oldPassword: "not-the-password", newPassword: "sdk-password-2" });
    eq(wrong?.errorCode, "PASSWORD_CONFIRMATION_MISMATCH", `wrong old password: ${wrong}`);
    const ok = await user.updatePassword({ oldPassword: pw, newPassword: "sdk-password-2" });
    eq(ok, undefined, "update result");
    sawRequest(w(), "POST", "/auth/password/update", 200);
    eq((await app.getUser({ or: "throw" })).id, id, "still signed in");
  });
  await step("password-anonymous-upgrade", async (w) => {
    const anonApp = new StackClientApp({ ...common, tokenStore: "memory", redirectMethod: "none" });
    const anon = await anonApp.getUser({ or: "anonymous" });
    eq(anon.isAnonymous, true, "isAnonymous");
    sawRequest(w(), "POST", "/auth/anonymous/sign-up", 200);
    const res = await anonApp.signUpWithCredential({ email: "sdk.anon@example.com", password: pw, noVerificationCallback: true, noRedirect: true });
    eq(res.status, "ok", `upgrade result ${JSON.stringify(res)}`);
    const upgraded = await anonApp.getUser({ or: "throw" });
    eq([upgraded.id, upgraded.isAnonymous, upgraded.primaryEmail], [anon.id, false, "sdk.anon@example.com"], "upgraded user");
  });
  await step("password-sign-up-taken", async (w) => {
    const other = new StackClientApp({ ...common, tokenStore: "memory", redirectMethod: "none" });
    const res = await other.signUpWithCredential({ email, password: pw, noVerificationCallback: true, noRedirect: true });
    eq(res.status, "error", "status");
    eq(res.error.errorCode, "USER_EMAIL_ALREADY_EXISTS", "errorCode");
    sawRequest(w(), "POST", "/auth/password/sign-up", 409, "USER_EMAIL_ALREADY_EXISTS");
  });
}

async function teams() {
  const userId = need("EXPECT_USER_ID"), other = need("OTHER_USER_ID");
  const app = new StackClientApp({ ...common, tokenStore: tokensFromEnv(), redirectMethod: "none" });
  const server = new StackServerApp({ ...common, secretServerKey: need("SECRET_SERVER_KEY"), tokenStore: "memory" });
  const user = await app.getUser({ or: "throw" });
  let team;
  await step("teams-create", async (w) => {
    team = await user.createTeam({ displayName: "SDK Team" });
    eq(team.displayName, "SDK Team", "displayName");
    sawRequest(w(), "POST", "/teams", 201);
    sawRequest(w(), "PATCH", "/users/me", 200);
    eq((await app.getUser({ or: "throw" })).selectedTeam?.id, team.id, "the new team is selected");
    return { team: team.id };
  });
  await step("teams-list-and-permission", async (w) => {
    eq((await user.listTeams()).map((t) => [t.id, t.displayName]), [[team.id, "SDK Team"]], "teams");
    eq(await user.hasPermission(team, "$update_team"), true, "the creator holds $update_team through team_admin");
    eq(await user.hasPermission(team, "no_such_permission"), false, "an unknown permission");
    sawRequest(w(), "GET", "/team-permissions", 200);
  });
  await step("teams-update", async (w) => {
    await team.update({ displayName: "SDK Team 2", clientMetadata: { plan: "free" } });
    sawRequest(w(), "PATCH", `/teams/${team.id}`, 200);
    const fresh = (await user.listTeams()).find((t) => t.id === team.id);
    eq([fresh?.displayName, fresh?.clientMetadata], ["SDK Team 2", { plan: "free" }], "updated team");
  });
  await step("teams-server-add-user", async (w) => {
    const serverTeam = await server.getTeam(team.id);
    check(serverTeam, "serverApp.getTeam found no team");
    await serverTeam.addUser(other);
    sawRequest(w(), "POST", `/team-memberships/${team.id}/${other}`, 201);
    eq((await (await server.getUser(other)).listTeams()).map((t) => t.id), [team.id], "the other user's teams");
  });
  await step("teams-leave", async (w) => {
    await user.leaveTeam(team);
    sawRequest(w(), "DELETE", `/team-memberships/${team.id}/me`, 200);
    const serverUser = await server.getUser(userId);
    eq((await serverUser.listTeams()).length, 0, "teams after leaving");
    eq(serverUser.selectedTeam, null, "no selected team after leaving it");
  });
  await step("teams-server-delete", async (w) => {
    const serverTeam = await server.getTeam(team.id);
    await serverTeam.delete();
    sawRequest(w(), "DELETE", `/teams/${team.id}`, 200);
    eq((await (await server.getUser(other)).listTeams()).length, 0, "the member's teams after the delete");
  });
}

async function apiKeys() {
  const userId = need("EXPECT_USER_ID");
  const app = new StackClientApp({ ...common, tokenStore: tokensFromEnv(), redirectMethod: "none" });
  const serverApp = () => new StackServerApp({ ...common, secretServerKey: need("SECRET_SERVER_KEY"), tokenStore: "memory" });
  const user = await app.getUser({ or: "throw" });
  let key;
  await step("keys-create", async (w) => {
    key = await user.createApiKey({ description: "SDK key", expiresAt: new Date(Date.now() + 3_600_000) });
    check(typeof key.value === "string" && /^sk_[0-9a-z]{45}[0-9a-f]{32}user1574ck4u7h[0-9a-f]{8}$/.test(key.value), `key text: ${key.value}`);
    eq([key.description, key.isValid()], ["SDK key", true], "key");
    sawRequest(w(), "POST", "/user-api-keys", 200);
    return { key: key.id };
  });
  await step("keys-list", async (w) => {
    const list = await user.listApiKeys();
    eq(list.map((k) => [k.id, k.description, k.value.lastFour, k.isValid()]), [[key.id, "SDK key", key.value.slice(-4), true]], "keys");
    sawRequest(w(), "GET", "/user-api-keys", 200);
  });
  await step("keys-server-check", async (w) => {
    const owner = await serverApp().getUser({ apiKey: key.value });
    eq(owner?.id, userId, "the key's user");
    sawRequest(w(), "POST", "/user-api-keys/check", 200);
  });
  await step("keys-revoke", async (w) => {
    const [listed] = await user.listApiKeys();
    await listed.revoke();
    sawRequest(w(), "PATCH", `/user-api-keys/${key.id}`, 200);
    const [after] = await user.listApiKeys();
    eq([after.id, after.isValid(), after.whyInvalid()], [key.id, false, "manually-revoked"], "revoked key");
    eq(await serverApp().getUser({ apiKey: key.value }), null, "a revoked key names no user");
    sawRequest(w(), "POST", "/user-api-keys/check", 401, "API_KEY_REVOKED");
  });
}

async function channels() {
  const first = "sdk.channels@example.com", second = "sdk.channels.work@example.com", pw = "sdk-channels-1";
  const app = new StackClientApp({ ...common, tokenStore: "memory", redirectMethod: "none" });
  const serverApp = new StackServerApp({ ...common, secretServerKey: need("SECRET_SERVER_KEY"), tokenStore: "memory" });
  const listed = async () => (await (await app.getUser({ or: "throw" })).listContactChannels())
    .map((c) => [c.value, c.isPrimary, c.isVerified, c.usedForAuth]);
  let userId;
  await step("channels-create", async (w) => {
    const res = await app.signUpWithCredential({ email: first, password: pw, noVerificationCallback: true, noRedirect: true });
    eq(res.status, "ok", `sign-up result ${JSON.stringify(res)}`);
    const user = await app.getUser({ or: "throw" });
    userId = user.id;
    const created = await user.createContactChannel({ type: "email", value: second, usedForAuth: true, isPrimary: false });
    eq([created.value, created.isPrimary, created.isVerified, created.usedForAuth], [second, false, false, true], "created channel");
    sawRequest(w(), "POST", "/contact-channels", 201);
    eq(await listed(), [[first, true, false, true], [second, false, false, true]], "channels");
  });
  await step("channels-swap-primary", async (w) => {
    const channels = await (await app.getUser({ or: "throw" })).listContactChannels();
    await channels.find((c) => c.value === second).update({ isPrimary: true });
    sawRequest(w(), "PATCH", `/contact-channels/me/${channels[1].id}`, 200);
    eq((await app.getUser({ or: "throw" })).primaryEmail, second, "the new primary email");
    eq(await listed(), [[second, true, false, true], [first, false, false, true]], "channels after the swap");
  });
  await step("channels-sign-in-with-either", async (w) => {
    for (const email of [first, second]) {
      await app.signOut({ redirectUrl: "http://localhost:3000/" });
      const r = await app.signInWithCredential({ email, password: pw, noRedirect: true });
      eq(r.status, "ok", `sign-in with ${email}: ${JSON.stringify(r.error ?? null)}`);
      eq((await app.getUser({ or: "throw" })).id, userId, `the user of ${email}`);
    }
    sawRequest(w(), "POST", "/auth/password/sign-in", 200);
  });
  await step("channels-update-and-delete", async (w) => {
    const user = await app.getUser({ or: "throw" });
    const old = (await user.listContactChannels()).find((c) => c.value === first);
    await old.update({ usedForAuth: false, value: "sdk.channels.home@example.com" });
    sawRequest(w(), "PATCH", `/contact-channels/me/${old.id}`, 200);
    eq(await listed(), [[second, true, false, true], ["sdk.channels.home@example.com", false, false, false]], "updated");
    const bad = await app.signInWithCredential({ email: first, password: pw, noRedirect: true });
    eq([bad.status, bad.error?.errorCode], ["error", "EMAIL_PASSWORD_MISMATCH"], "the old address signs nobody in");
    const home = (await user.listContactChannels()).find((c) => !c.isPrimary);
    await home.delete();
    sawRequest(w(), "DELETE", `/contact-channels/me/${home.id}`, 200);
    eq(await listed(), [[second, true, false, true]], "after delete");
  });
  await step("channels-server-create", async (w) => {
    const serverUser = await serverApp.getUser(userId);
    const created = await serverUser.createContactChannel({ type: "email", value: "sdk.channels.verified@example.com", usedForAuth: false, isVerified: true });
    eq([created.isVerified, created.isPrimary], [true, false], "server-created channel");
    sawRequest(w(), "POST", "/contact-channels", 201);
    const all = await serverUser.listContactChannels();
    eq(all.map((c) => c.value), [second, "sdk.channels.verified@example.com"], "server list");
  });
}

// The newest mail of `kind` to `to` in the gateway's outbox (admin API; not an SDK request).
async function mailTo(to, kind) {
  const url = `${GATEWAY_URL}/admin/outbox?to=${encodeURIComponent(to)}&kind=${kind}&limit=1`;
  const res = await realFetch(url, { headers: { Authorization: `Bearer ${need("ADMIN_TOKEN")}` } });
  check(res.status === 200, `GET /admin/outbox: ${res.status}`);
  const [mail] = await res.json();
  check(mail, `no ${kind} mail to ${to}`);
  return mail;
}

async function mail() {
  const CALLBACK = "http://localhost:3000/handler";
  const email = `sdk.mail.${nonce}@example.com`;
  const app = new StackClientApp({ ...common, tokenStore: "memory", redirectMethod: "none" });
  await step("mail-sign-up", async (w) => {
    const r = await app.signUpWithCredential({ email, password: "first-password", noVerificationCallback: true, noRedirect: true });
    eq(r.status, "ok", `sign-up: ${JSON.stringify(r.error ?? null)}`);
    await app.signOut({ redirectUrl: CALLBACK });
    sawRequest(w(), "POST", "/auth/password/sign-up", 200);
  });
  let code;
  await step("mail-forgot-password", async (w) => {
    const r = await app.sendForgotPasswordEmail(email, { callbackUrl: `${CALLBACK}/password-reset` });
    eq(r.status, "ok", `sendForgotPasswordEmail: ${JSON.stringify(r.error ?? null)}`);
    sawRequest(w(), "POST", "/auth/password/send-reset-code", 200);
    const m = await mailTo(email, "password_reset");
    const link = m.text.match(/http:\/\/localhost:3000\/handler\/password-reset\?code=[0-9a-z]+/);
    check(link, `a reset link in: ${m.text}`);
    code = new URL(link[0]).searchParams.get("code");
    return { subject: m.subject };
  });
  await step("mail-reset-password", async (w) => {
    const checked = await app.verifyPasswordResetCode(code);
    eq(checked.status, "ok", `verifyPasswordResetCode: ${JSON.stringify(checked.error ?? null)}`);
    const r = await app.resetPassword({ code, password: "second-password" });
    eq(r.status, "ok", `resetPassword: ${JSON.stringify(r.error ?? null)}`);
    sawRequest(w(), "POST", "/auth/password/reset/check-code", 200);
    sawRequest(w(), "POST", "/auth/password/reset", 200);
    const again = await app.resetPassword({ code, password: "third-password" });
    eq([again.status, again.error?.errorCode], ["error", "VERIFICATION_CODE_ALREADY_USED"], "a used code");
  });
  await step("mail-sign-in-new-password", async (w) => {
    const bad = await app.signInWithCredential({ email, password: "first-password", noRedirect: true });
    eq([bad.status, bad.error?.errorCode], ["error", "EMAIL_PASSWORD_MISMATCH"], "the old password");
    const r = await app.signInWithCredential({ email, password: "second-password", noRedirect: true });
    eq(r.status, "ok", `sign-in: ${JSON.stringify(r.error ?? null)}`);
    eq((await app.getUser({ or: "throw" })).primaryEmail, email, "signed-in user");
    sawRequest(w(), "POST", "/auth/password/sign-in", 200);
  });
  await step("mail-verify-email", async (w) => {
    const user = await app.getUser({ or: "throw" });
    const channels = await user.listContactChannels();
    eq(channels.map((c) => [c.value, c.type, c.isPrimary, c.isVerified, c.usedForAuth]), [[email, "email", true, false, true]], "channels");
    sawRequest(w(), "GET", "/contact-channels", 200);
    await channels[0].sendVerificationEmail({ callbackUrl: `${CALLBACK}/email-verification` });
    sawRequest(w(), "POST", `/contact-channels/me/${channels[0].id}/send-verification-code`, 200);
    await user.sendVerificationEmail({ callbackUrl: `${CALLBACK}/email-verification` });
    sawRequest(w(), "POST", "/contact-channels/send-verification-code", 200);
    const m = await mailTo(email, "email_verification");
    const code = m.text.match(/\?code=([0-9a-z]+)/)?.[1];
    check(code, `a verification link in: ${m.text}`);
    const r = await app.verifyEmail(code);
    eq(r.status, "ok", `verifyEmail: ${JSON.stringify(r.error ?? null)}`);
    sawRequest(w(), "POST", "/contact-channels/verify", 200);
    const [after] = await (await app.getUser({ or: "throw" })).listContactChannels();
    eq(after.isVerified, true, "verified channel");
    await app.signOut({ redirectUrl: CALLBACK });
  });
  const otpEmail = `sdk.otp.${nonce}@example.com`;
  await step("mail-magic-link", async (w) => {
    const sent = await app.sendMagicLinkEmail(otpEmail, { callbackUrl: `${CALLBACK}/magic-link-callback` });
    eq(sent.status, "ok", `sendMagicLinkEmail: ${JSON.stringify(sent.error ?? null)}`);
    check(/^[0-9a-z]{39}$/.test(sent.data.nonce), `nonce: ${sent.data.nonce}`);
    sawRequest(w(), "POST", "/auth/otp/send-sign-in-code", 200);
    const m = await mailTo(otpEmail, "sign_in");
    const otp = m.subject.match(/Your code is ([A-Z0-9]{6})$/)?.[1];
    check(otp, `an OTP in the subject: ${m.subject}`);
    const r = await app.signInWithMagicLink(otp + sent.data.nonce, { noRedirect: true });
    eq(r.status, "ok", `signInWithMagicLink: ${JSON.stringify(r.error ?? null)}`);
    sawRequest(w(), "POST", "/auth/otp/sign-in", 200);
    const user = await app.getUser({ or: "throw" });
    eq([user.primaryEmail, user.primaryEmailVerified], [otpEmail, true], "the new user");
    const reused = await app.signInWithMagicLink(otp + sent.data.nonce, { noRedirect: true });
    eq([reused.status, reused.error?.errorCode], ["error", "VERIFICATION_CODE_ALREADY_USED"], "a used code");
  });
  await step("mail-set-password", async (w) => {
    const user = await app.getUser({ or: "throw" });
    eq(user.hasPassword, false, "a magic-link user has no password");
    const short = await user.setPassword({ password: "short" });
    eq(short?.errorCode, "PASSWORD_TOO_SHORT", "a short password");
    const set = await user.setPassword({ password: "sdk-set-password-1" });
    eq(set, undefined, `setPassword: ${JSON.stringify(set ?? null)}`);
    sawRequest(w(), "POST", "/auth/password/set", 200);
    await app.signOut({ redirectUrl: CALLBACK });
    const r = await app.signInWithCredential({ email: otpEmail, password: "sdk-set-password-1", noRedirect: true });
    eq(r.status, "ok", `sign-in with the set password: ${JSON.stringify(r.error ?? null)}`);
    eq((await app.getUser({ or: "throw" })).hasPassword, true, "has a password");
  });
}

await { client, server, expired, "expired-bad-refresh": expiredBadRefresh, users, sessions, password, teams, "api-keys": apiKeys, channels, mail }[SCENARIO]();
emit({ step: "done", ok: true, scenario: SCENARIO, requests: wire.length });
process.exit(0); // the SDK leaves timers behind (cache invalidation after 5 s); do not wait for them
