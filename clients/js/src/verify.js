// Request patterns for the gateway's verification API (`POST /admin/journal/count` and `/find`)
// and failure messages that list the near misses.
//
// A pattern takes `surface`, `method`, `path` or `pathPattern`, `route`, `status`, `since` as the
// API does; `headers` and `query` as `{name: matcher}` where a plain string means `equalTo`;
// `body` as one body matcher or an array of them; `json` as a shorthand for
// `{contains_json: json}`. Near misses are found with the server's own matching: each part of the
// pattern is looked up on its own (`/find`), and the newest journaled requests are ranked by how
// many parts they miss.

/** @typedef {Record<string, unknown>} Matcher */
/**
 * @typedef {object} PatternInput
 * @property {string} [surface] `platform`, `users-me`, `account-profile`, `me` or `users`
 * @property {string} [method]
 * @property {string} [path] the exact path, without the query
 * @property {string} [pathPattern] a regular expression the whole path matches
 * @property {string} [route] the matched route template, e.g. `/api/v1/users/{user_id}`
 * @property {number} [status]
 * @property {Record<string, string | Matcher>} [headers]
 * @property {Record<string, string | Matcher>} [query]
 * @property {Matcher | Matcher[]} [body]
 * @property {unknown} [json] the JSON body contains this value
 * @property {number} [since] only requests journaled after this entry id
 */

const NEAR_MISSES_SHOWN = 5;
const CANDIDATES = 200;
const PART_LIMIT = 1000;

/** The value is exactly this (under a body `pointer`: equal as JSON). */
export const equalTo = (value) => ({ equal_to: value });
/** The value contains this text. */
export const contains = (text) => ({ contains: text });
/** The whole value matches this regular expression (Rust `regex` syntax, anchored). */
export const matches = (regex) => ({ matches: regex });
/** There is no such header, query parameter or JSON value. */
export const absent = () => ({ absent: true });
/** There is one, whatever its value (a redacted secret reads as `[redacted]`). */
export const present = () => ({ absent: false });
/** The JSON body (or its value at `pointer`) contains this value (a subset match). */
export const jsonContains = (value, pointer) =>
  pointer === undefined ? { contains_json: value } : { contains_json: value, pointer };
/** The JSON body (or its value at `pointer`) equals this value. */
export const jsonEquals = (value, pointer) =>
  pointer === undefined ? { equal_to_json: value } : { equal_to_json: value, pointer };

const matchers = (values) =>
  values === undefined
    ? undefined
    : Object.fromEntries(Object.entries(values).map(([k, v]) => [k, typeof v === "string" ? equalTo(v) : v]));

/**
 * The JSON pattern the verification API takes; parts left undefined are left out.
 * @param {PatternInput} input
 */
export function buildPattern(input = {}) {
  const known = ["surface", "method", "path", "pathPattern", "route", "status", "headers", "query", "body", "json", "since"];
  const unknown = Object.keys(input).filter((k) => !known.includes(k));
  if (unknown.length) throw new TypeError(`unknown pattern keys: ${unknown.join(", ")} (known: ${known.join(", ")})`);
  const body = input.body === undefined ? [] : Array.isArray(input.body) ? [...input.body] : [input.body];
  if (input.json !== undefined) body.push(jsonContains(input.json));
  const pattern = {
    surface: input.surface, method: input.method, path: input.path, path_pattern: input.pathPattern,
    route: input.route, status: input.status, headers: matchers(input.headers), query: matchers(input.query),
    body: body.length ? body : undefined, since: input.since,
  };
  return Object.fromEntries(Object.entries(pattern).filter(([, v]) => v !== undefined));
}

/** `#12 PATCH /me?x=1 -> 200 [me]` */
export function describe(entry) {
  const { request: req, response: res } = entry;
  const query = req.query ? `?${req.query}` : "";
  return `#${entry.id} ${req.method} ${req.path}${query} -> ${res.dropped ? "dropped" : res.status} [${entry.surface}]`;
}

const short = (value, limit = 120) => {
  if (value === undefined || value === null) return "(none)";
  const text = typeof value === "string" ? value : JSON.stringify(value);
  return text.length <= limit ? text : `${text.slice(0, limit)}...`;
};

const header = (entry, name) =>
  Object.entries(entry.request.headers).find(([k]) => k.toLowerCase() === name.toLowerCase())?.[1];

/** [name, one-part pattern, wanted, what the entry has there] for each part of the pattern. */
function parts(pattern) {
  const simple = {
    surface: (e) => e.surface, method: (e) => e.request.method, path: (e) => e.request.path,
    path_pattern: (e) => e.request.path, route: (e) => e.route, status: (e) => e.response.status,
  };
  const out = Object.entries(simple)
    .filter(([k]) => k in pattern)
    .map(([k, got]) => [k, { [k]: pattern[k] }, pattern[k], got]);
  for (const [name, m] of Object.entries(pattern.headers ?? {}))
    out.push([`header ${name}`, { headers: { [name]: m } }, m, (e) => header(e, name)]);
  for (const [name, m] of Object.entries(pattern.query ?? {}))
    out.push([`query ${name}`, { query: { [name]: m } }, m, (e) => e.request.query]);
  (pattern.body ?? []).forEach((m, i) => out.push([`body[${i}]`, { body: [m] }, m, (e) => e.request.body?.text]));
  return out;
}

/**
 * The failure message: what was expected, what was found, and the closest requests.
 * @param {(pattern: object, limit: number) => Promise<{count: number, requests: object[]}>} find
 */
export async function explain(find, pattern, expectation, found) {
  const lines = [`expected ${expectation} matching ${JSON.stringify(pattern)}, found ${found}`];
  if (found) {
    const { requests } = await find(pattern, 10);
    lines.push("matching requests (newest first):", ...requests.map((e) => `  ${describe(e)}`));
    return lines.join("\n");
  }
  const since = "since" in pattern ? { since: pattern.since } : {};
  const { count: total, requests: candidates } = await find(since, CANDIDATES);
  if (!candidates.length) {
    lines.push(`the journal holds no request${"since" in pattern ? " after that id" : ""}`);
    return lines.join("\n");
  }
  const all = parts(pattern);
  const hitIds = await Promise.all(
    all.map(async ([, part]) => new Set((await find({ ...part, ...since }, PART_LIMIT)).requests.map((e) => e.id))));
  const ranked = candidates
    .map((entry) => ({ entry, misses: all.filter((_, i) => !hitIds[i].has(entry.id)) }))
    .filter((r) => r.misses.length < all.length)
    .sort((a, b) => a.misses.length - b.misses.length || b.entry.id - a.entry.id);
  if (!ranked.length) {
    lines.push(`no request matches any part of the pattern; the newest of ${total}:`,
      ...candidates.slice(0, NEAR_MISSES_SHOWN).map((e) => `  ${describe(e)}`));
    return lines.join("\n");
  }
  lines.push("near misses (fewest differences first, then newest):");
  for (const { entry, misses } of ranked.slice(0, NEAR_MISSES_SHOWN)) {
    lines.push(`  ${describe(entry)}`);
    for (const [name, , wanted, got] of misses) lines.push(`      ${name}: wanted ${short(wanted)}, got ${short(got(entry))}`);
  }
  return lines.join("\n");
}
