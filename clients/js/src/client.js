// `Gateway`: typed helpers over the gateway's admin API for test suites: fixtures and reset, users
// with credentials for every surface (a tiered project and session included), fault rules, and the
// request journal with its verification API (`count`, `find`, `assertRequested`).

import { randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import { basename } from "node:path";
import { buildPattern, explain } from "./verify.js";

/** The surfaces whose credentials come from `POST /admin/users/{id}/tokens`; the tiered `users`
 * surface signs its own project-bound tokens (`createSession`). */
export const TOKEN_SURFACES = ["platform", "users-me", "account-profile", "me"];

/** An admin call answered with an unexpected status; `body` is its parsed JSON (or text). */
export class GatewayError extends Error {
  name = "GatewayError";
  constructor(method, path, status, body) {
    super(`${method} ${path} -> ${status}: ${typeof body === "string" ? body : JSON.stringify(body)}`);
    Object.assign(this, { status, body });
  }
}

/**
 * @typedef {{id: string, username: string, email: string | null, raw: object}} User
 * @typedef {{surface: string, accessToken: string, expiresAt: string, apiKey?: string}} SurfaceCredentials
 * @typedef {{id: string, surface: string, userId: string, key: string}} ApiKey
 * @typedef {{id: string, displayName: string, publishableClientKey: string, secretServerKey: string, raw: object}} Project
 * @typedef {{projectId: string, userId: string, refreshTokenId: string, accessToken: string, refreshToken: string, accessTokenExpiresAt: string}} TieredSession
 * @typedef {{user: User, surfaces: Record<string, SurfaceCredentials>, project: Project, session: TieredSession}} Credentials
 * @typedef {{id: string, remaining: number | null, fired: number} & Record<string, unknown>} Fault
 */

const idOf = (thing) => (typeof thing === "string" ? thing : thing.id);
const defined = (o) => Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined));
const user = (raw) => ({ id: raw.id, username: raw.username, email: raw.email ?? null, raw });
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

export class Gateway {
  /**
   * @param {{url: string, adminToken: string}} server
   * @param {{settleMs?: number}} options `settleMs`: how long `assertRequested` keeps asking before it
   *   fails (a request is journaled when its response body has been sent).
   */
  constructor(server, { settleMs = 1000 } = {}) {
    this.url = server.url;
    this.adminToken = server.adminToken;
    this.settleMs = settleMs;
    /** @type {Project | undefined} */
    this._defaultProject = undefined;
  }

  /** `method /admin{path}`; the parsed JSON answer (undefined when empty). */
  async call(method, path, { json, body, contentType, query, expect = [200, 201, 204] } = {}) {
    const qs = query ? `?${new URLSearchParams(defined(query))}` : "";
    const headers = { authorization: `Bearer ${this.adminToken}` };
    if (json !== undefined) headers["content-type"] = "application/json";
    else if (contentType) headers["content-type"] = contentType;
    const res = await fetch(`${this.url}/admin${path}${qs}`, {
      method, headers, body: json !== undefined ? JSON.stringify(json) : body,
    });
    const text = await res.text();
    let parsed = text || undefined;
    try {
      parsed = text ? JSON.parse(text) : undefined;
    } catch {}
    if (!expect.includes(res.status)) throw new GatewayError(method, `/admin${path}`, res.status, parsed);
    return parsed;
  }

  // -- state -------------------------------------------------------------------------------------

  /** Back to the loaded fixtures (or empty): users, keys, tokens, fault rules; clears the journal.
   * Projects outlive a reset. */
  async reset() {
    await this.call("POST", "/reset");
  }

  /** Loads a fixture file (YAML or JSON path) or an object, replacing the state; `reset` comes back
   * to it. Returns what the fixtures wrote. */
  async loadFixtures(source) {
    if (typeof source === "object") return this.call("POST", "/fixtures", { json: source });
    return this.call("POST", "/fixtures", { body: readFileSync(source), query: { name: basename(source) } });
  }

  // -- users and credentials ---------------------------------------------------------------------

  /** A user (`active` like fixture users; a random username; `<username>@example.com` unless
   * `email` is given, `null` for none). Other fields as `POST /admin/users` takes them
   * (`password`, `display_name`, `first_name`, ...). @returns {Promise<User>} */
  async createUser({ username = `user-${randomBytes(4).toString("hex")}`, email, status = "active", ...fields } = {}) {
    const body = { username, email: email === undefined ? `${username}@example.com` : email, status, ...fields };
    return user(await this.call("POST", "/users", { json: defined({ ...body, email: body.email ?? undefined }) }));
  }

  /** @returns {Promise<User>} */
  async user(u) {
    return user(await this.call("GET", `/users/${idOf(u)}`));
  }

  async users() {
    return (await this.call("GET", "/users")).map(user);
  }

  async deleteUser(u) {
    await this.call("DELETE", `/users/${idOf(u)}`);
  }

  /** An access token and an API key for each of `TOKEN_SURFACES`.
   * @returns {Promise<Record<string, SurfaceCredentials>>} */
  async issueCredentials(u, { ttlSecs } = {}) {
    const { credentials } = await this.call("POST", `/users/${idOf(u)}/tokens`, { json: defined({ ttl_secs: ttlSecs }) });
    return Object.fromEntries(credentials.filter((c) => TOKEN_SURFACES.includes(c.surface)).map((c) => [
      c.surface, defined({ surface: c.surface, accessToken: c.access_token, expiresAt: c.expires_at, apiKey: c.api_key }),
    ]));
  }

  /** @returns {Promise<ApiKey>} */
  async createApiKey(u, surface, label) {
    const k = await this.call("POST", `/users/${idOf(u)}/keys`, { json: defined({ surface, label }) });
    return { id: k.id, surface: k.surface, userId: k.user_id, key: k.key };
  }

  async revokeApiKey(key) {
    await this.call("DELETE", `/keys/${idOf(key)}`);
  }

  /** A tiered-surface (Stack Auth) project; its keys are shown only in this answer.
   * @returns {Promise<Project>} */
  async createProject({ displayName = "testkit", requirePublishableClientKey = false, allowClientUserDeletion = false } = {}) {
    const p = await this.call("POST", "/projects", { json: {
      display_name: displayName, require_publishable_client_key: requirePublishableClientKey,
      allow_client_user_deletion: allowClientUserDeletion,
    } });
    return { id: p.id, displayName: p.display_name, publishableClientKey: p.publishable_client_key, secretServerKey: p.secret_server_key, raw: p };
  }

  /** One project made on first use and kept (projects outlive resets). @returns {Promise<Project>} */
  async defaultProject() {
    this._defaultProject ??= this.createProject({ displayName: "gateway-testkit" }).catch((e) => {
      this._defaultProject = undefined;
      throw e;
    });
    return this._defaultProject;
  }

  /** A tiered refresh session and access token (a negative access TTL: already expired).
   * @returns {Promise<TieredSession>} */
  async createSession(project, u, { accessTokenTtlSecs, refreshTokenTtlSecs } = {}) {
    const s = await this.call("POST", `/projects/${idOf(project)}/users/${idOf(u)}/sessions`, {
      json: defined({ access_token_ttl_secs: accessTokenTtlSecs, refresh_token_ttl_secs: refreshTokenTtlSecs }),
    });
    return { projectId: s.project_id, userId: s.user_id, refreshTokenId: s.refresh_token_id, accessToken: s.access_token,
      refreshToken: s.refresh_token, accessTokenExpiresAt: s.access_token_expires_at };
  }

  /** `createUser`, then credentials for every surface: token and API key of each token surface,
   * and a session in `project` (default: `defaultProject()`) for the tiered one.
   * @returns {Promise<Credentials>} */
  async createUserWithCredentials({ project, ...fields } = {}) {
    const u = await this.createUser(fields);
    project ??= await this.defaultProject();
    return { user: u, surfaces: await this.issueCredentials(u), project, session: await this.createSession(project, u) };
  }

  // -- faults ------------------------------------------------------------------------------------

  /** A fault rule: `surface`, `method`, `path`, `user`, `status`, `retry_after`, `message`,
   * `latency_ms`, `drop_connection`, `count`, `probability` (see `POST /admin/faults`).
   * @returns {Promise<Fault>} */
  async injectFault(rule) {
    return this.call("POST", "/faults", { json: defined(rule) });
  }

  /** @returns {Promise<Fault[]>} */
  async faults() {
    return this.call("GET", "/faults");
  }

  async removeFault(fault) {
    await this.call("DELETE", `/faults/${idOf(fault)}`);
  }

  async clearFaults() {
    await this.call("DELETE", "/faults");
  }

  // -- outbox ------------------------------------------------------------------------------------

  /** Mail the gateway sent, newest first: `{id, sent_at, from, to, subject, text, kind}`. */
  async outbox({ to, kind, limit = 50 } = {}) {
    return this.call("GET", "/outbox", { query: { to, kind, limit } });
  }

  async clearOutbox() {
    await this.call("DELETE", "/outbox");
  }

  /** The newest mail to `to` (of `kind`), waiting up to `timeoutMs` (default: `settleMs`) for
   * one; throws listing what the outbox holds. */
  async waitForMail(to, { kind, timeoutMs } = {}) {
    const deadline = Date.now() + (timeoutMs ?? this.settleMs);
    for (;;) {
      const [mail] = await this.outbox({ to, kind, limit: 1 });
      if (mail) return mail;
      if (Date.now() >= deadline) {
        const held = (await this.outbox({ limit: 10 })).map((m) => `  #${m.id} to ${m.to}: ${m.subject} [${m.kind}]`);
        throw new GatewayAssertionError(`no mail to ${to}${kind ? ` of kind ${kind}` : ""}; the outbox holds:\n${held.join("\n") || "  nothing"}`);
      }
      await sleep(50);
    }
  }

  // -- device logins -----------------------------------------------------------------------------

  /** Device logins (`dreadnode login`, `zenml login --pro`), newest first; only pending ones
   * unless `pending` is false; only the one with `userCode` when given. */
  async deviceLogins({ pending = true, userCode } = {}) {
    const query = { status: pending ? "pending" : undefined, user_code: userCode };
    return (await this.call("GET", "/device-authorizations", { query })).items;
  }

  /** The pending device login with `userCode` (any pending one when omitted), waiting up to
   * `timeoutMs` (default: `settleMs`) for the CLI to start it. */
  async waitForDeviceLogin(userCode, { timeoutMs } = {}) {
    const deadline = Date.now() + (timeoutMs ?? this.settleMs);
    for (;;) {
      const [login] = await this.deviceLogins({ userCode });
      if (login) return login;
      if (Date.now() >= deadline) {
        throw new GatewayAssertionError(`no pending device login${userCode ? ` with code ${userCode}` : ""}`);
      }
      await sleep(50);
    }
  }

  /** Approves the pending device login with `userCode` for `user` (a user or its id), as a
   * person on `/login/device` would. */
  async approveDeviceLogin(user, userCode, { timeoutMs } = {}) {
    const login = await this.waitForDeviceLogin(userCode, { timeoutMs });
    return this.call("POST", `/device-authorizations/${login.id}/approve`, { json: { user_id: idOf(user) } });
  }

  /** Denies the pending device login with `userCode`. */
  async denyDeviceLogin(userCode, { timeoutMs } = {}) {
    const login = await this.waitForDeviceLogin(userCode, { timeoutMs });
    return this.call("POST", `/device-authorizations/${login.id}/deny`);
  }

  /** The one link in `mail`'s text that starts with `startsWith` (a callback URL). */
  static mailLink(mail, startsWith) {
    const links = (mail.text.match(/https?:\/\/\S+/g) ?? []).filter((l) => l.startsWith(startsWith));
    if (links.length !== 1) throw new GatewayAssertionError(`expected one link starting with ${startsWith} in ${JSON.stringify(mail.subject)}, found ${JSON.stringify(links)}`);
    return links[0];
  }

  // -- journal and verification ------------------------------------------------------------------

  /** Journaled requests with their responses, newest first. */
  async journal({ surface, limit = 50, since } = {}) {
    return this.call("GET", "/journal", { query: { surface, limit, since } });
  }

  async clearJournal({ surface } = {}) {
    await this.call("DELETE", "/journal", { query: surface ? { surface } : undefined });
  }

  /** The newest journal id (0 when empty): pass it as `since` to look only at later requests. */
  async journalMark() {
    const [newest] = await this.journal({ limit: 1 });
    return newest?.id ?? 0;
  }

  /** How many journaled requests match (see `buildPattern`). */
  async count(pattern = {}) {
    return (await this.call("POST", "/journal/count", { json: buildPattern(pattern) })).count;
  }

  /** The journaled requests that match, newest first, at most `limit`. */
  async find({ limit = 50, ...pattern } = {}) {
    return (await this._find(buildPattern(pattern), limit)).requests;
  }

  _find(pattern, limit) {
    return this.call("POST", "/journal/find", { json: pattern, query: { limit } });
  }

  /** Throws unless exactly `count` (default: at least one) journaled requests match; the message
   * lists the matches or the near misses. Returns the matching requests. */
  async assertRequested({ count, ...pattern } = {}) {
    const built = buildPattern(pattern);
    const ok = (n) => (count === undefined ? n >= 1 : n === count);
    const deadline = Date.now() + this.settleMs;
    let found;
    for (;;) {
      found = await this._find(built, 100);
      if (ok(found.count) || Date.now() >= deadline) break;
      await sleep(50);
    }
    if (ok(found.count)) return found.requests;
    const expectation = count === undefined ? "at least 1 request" : `exactly ${count} request${count === 1 ? "" : "s"}`;
    throw new GatewayAssertionError(await explain((p, l) => this._find(p, l), built, expectation, found.count));
  }

  /** Throws when any journaled request matches; the message lists them. */
  async assertNotRequested(pattern = {}) {
    const built = buildPattern(pattern);
    const { count } = await this._find(built, 1);
    if (count) throw new GatewayAssertionError(await explain((p, l) => this._find(p, l), built, "no request", count));
  }
}

/** A journal assertion that did not hold. */
export class GatewayAssertionError extends Error {
  name = "AssertionError";
}
