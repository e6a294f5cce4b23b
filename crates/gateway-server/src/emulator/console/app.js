// Gateway console: a thin client of the admin API. The admin token lives in sessionStorage
// (this tab only) and is sent as `Authorization: Bearer`; nothing is rendered as HTML from data.
"use strict";

const TOKEN_KEY = "gatewayAdminToken";
const $ = (sel) => document.querySelector(sel);
const state = { surfaces: [], lastJournalId: 0, journalTimer: null, faultsTimer: null, selectedUser: null };

function token() { return sessionStorage.getItem(TOKEN_KEY) || ""; }

// Calls the admin API. `options.raw` sends `body` as it is (with `options.type`) and returns the
// answer's text; otherwise JSON both ways. A refused call throws an Error with the admin API's
// `issues` ([{field, message}]) and `status`.
async function api(method, path, body, options) {
  const opts = options || {};
  const headers = { "Authorization": "Bearer " + token(), "Accept": opts.raw ? "*/*" : "application/json" };
  const init = { method, headers };
  if (body !== undefined) {
    headers["Content-Type"] = opts.raw ? (opts.type || "text/plain") : "application/json";
    init.body = opts.raw ? body : JSON.stringify(body);
  }
  const res = await fetch(path, init);
  if (res.status === 401) { logout("The admin token was refused."); throw new Error("unauthorized"); }
  const text = await res.text();
  let data = null;
  try { data = text ? JSON.parse(text) : null; } catch (_) { data = text; }
  if (!res.ok) {
    const message = data && data.error && data.error.message ? data.error.message : res.status + " " + res.statusText;
    const err = new Error(message);
    err.status = res.status;
    err.issues = data && data.error && Array.isArray(data.error.issues) ? data.error.issues : [];
    throw err;
  }
  return opts.raw ? text : data;
}

// Shows a refused call on `form`: each issue next to its field (`[data-error=FIELD]`), the rest
// (and the message) in the form's general `[data-error=""]`.
function showErrors(form, err) {
  clearErrors(form);
  const general = [];
  for (const issue of (err && err.issues) || []) {
    const slot = form.querySelector(`[data-error="${CSS.escape(issue.field)}"]`);
    if (slot) {
      slot.textContent = issue.message;
      const input = form.querySelector(`[name="${CSS.escape(issue.field)}"]`);
      if (input) input.setAttribute("aria-invalid", "true");
    } else {
      general.push(issue.field + ": " + issue.message);
    }
  }
  const slot = form.querySelector('[data-error=""]');
  if (slot) slot.textContent = general.length ? general.join("; ") : (err.issues && err.issues.length ? "" : err.message);
  const first = form.querySelector('[aria-invalid="true"]');
  if (first) first.focus();
}

function clearErrors(form) {
  form.querySelectorAll("[data-error]").forEach((e) => { e.textContent = ""; });
  form.querySelectorAll("[aria-invalid]").forEach((e) => e.removeAttribute("aria-invalid"));
}

function el(tag, attrs, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === undefined || v === null) continue;
    if (k === "class") node.className = v;
    else if (k.startsWith("data-") || k.startsWith("aria-") || k === "role" || k === "href" || k === "target" || k === "type" || k === "title" || k === "rel") node.setAttribute(k, v);
    else node[k] = v;
  }
  for (const c of children) node.append(c instanceof Node ? c : document.createTextNode(c === undefined || c === null ? "" : String(c)));
  return node;
}

function statusClass(status) { return status && status < 400 ? "status-ok" : "status-bad"; }

// --- session -------------------------------------------------------------------------------

async function login(value) {
  sessionStorage.setItem(TOKEN_KEY, value);
  try {
    state.surfaces = await api("GET", "/admin/surfaces");
  } catch (e) {
    sessionStorage.removeItem(TOKEN_KEY);
    $("#login-error").textContent = e.message === "unauthorized" ? "The admin token was refused." : e.message;
    return;
  }
  $("#login-error").textContent = "";
  $("#login-view").hidden = true;
  $("#app-view").hidden = false;
  $("#logout").hidden = false;
  fillSurfaceSelects();
  renderDocs();
  loadUsers();
  startJournal();
  loadFaults();
  clearInterval(state.faultsTimer);
  state.faultsTimer = setInterval(() => { if (!$("#tab-faults").hidden) loadFaults(); }, 2000);
}

function logout(message) {
  sessionStorage.removeItem(TOKEN_KEY);
  clearInterval(state.journalTimer);
  clearInterval(state.faultsTimer);
  $("#app-view").hidden = true;
  $("#logout").hidden = true;
  $("#login-view").hidden = false;
  $("#login-error").textContent = message || "";
}

function showTab(name) {
  document.querySelectorAll("nav button").forEach((b) => b.classList.toggle("active", b.dataset.tab === name));
  document.querySelectorAll(".tab").forEach((t) => { t.hidden = t.id !== "tab-" + name; });
  if (name === "faults") loadFaults();
  if (name === "users") loadUsers();
  if (name === "outbox") loadOutbox();
  if (name === "devices") loadDevices();
}

function fillSurfaceSelects() {
  for (const sel of [$("#journal-surface"), $("#fault-form select[name=surface]")]) {
    while (sel.options.length > 1) sel.remove(1);
    for (const s of state.surfaces) sel.append(el("option", { value: s.surface }, s.surface));
  }
}

// --- users ---------------------------------------------------------------------------------

async function loadUsers() {
  const users = await api("GET", "/admin/users?limit=200");
  const body = $("#users-table tbody");
  body.replaceChildren(...users.map((u) => {
    const row = el("tr", { "data-testid": "user-row", "data-username": u.username, "data-id": u.id, tabIndex: 0 },
      el("td", {}, u.username), el("td", {}, u.email || ""), el("td", {}, u.status), el("td", {}, u.kind));
    if (state.selectedUser === u.id) row.classList.add("selected");
    row.addEventListener("click", () => selectUser(u));
    row.addEventListener("keydown", (e) => { if (e.key === "Enter" || e.key === " ") { e.preventDefault(); selectUser(u); } });
    return row;
  }));
  return users;
}

async function createUser(form) {
  const f = new FormData(form);
  const body = { username: (f.get("username") || "").trim() };
  const email = (f.get("email") || "").trim();
  if (email) body.email = email;
  const password = f.get("password") || "";
  if (password) body.password = password;
  let user;
  try { user = await api("POST", "/admin/users", body); } catch (e) { showErrors(form, e); return; }
  clearErrors(form);
  form.reset();
  await loadUsers();
  selectUser(user);
}

const EDITABLE = [
  ["username", "Username", "text"], ["email", "Email", "email"], ["display_name", "Display name", "text"],
  ["first_name", "First name", "text"], ["last_name", "Last name", "text"],
];
const STATUSES = ["pending", "active", "invited", "banned"];

async function selectUser(user) {
  state.selectedUser = user.id;
  document.querySelectorAll("#users-table tr").forEach((r) => r.classList.toggle("selected", r.dataset.id === user.id));
  const detail = $("#user-detail");
  detail.replaceChildren(el("p", { class: "hint" }, "Loading " + user.username + "…"));
  let current, views, creds;
  try {
    [current, views, creds] = await Promise.all([
      api("GET", "/admin/users/" + encodeURIComponent(user.id)),
      api("GET", "/admin/users/" + encodeURIComponent(user.id) + "/views"),
      api("GET", "/admin/users/" + encodeURIComponent(user.id) + "/credentials"),
    ]);
  } catch (e) { detail.replaceChildren(el("p", { class: "error", role: "alert" }, e.message)); return; }
  if (state.selectedUser !== user.id) return;
  const remove = el("button", { type: "button", class: "danger small", "data-testid": "user-delete" }, "Delete user");
  remove.addEventListener("click", () => deleteUser(current));
  const cards = views.views.map((v) => el("div", { class: "view", "data-testid": "surface-view", "data-surface": v.surface },
    el("h3", {}, el("span", {}, v.surface + "  " + v.method + " " + v.path),
      el("span", { class: statusClass(v.status) }, v.status === null ? "no answer" : String(v.status))),
    v.note ? el("p", { class: "hint" }, v.note) : el("pre", {}, typeof v.body === "string" ? v.body : JSON.stringify(v.body, null, 2))));
  detail.replaceChildren(
    el("h2", {}, current.username + " (" + current.id + ")", remove),
    editForm(current), credentialsCard(current, creds), ...cards);
}

function editForm(user) {
  const form = el("form", { class: "card", id: "edit-form", autocomplete: "off", noValidate: true });
  const fields = el("div", { class: "fields" });
  for (const [name, label, type] of EDITABLE) {
    const id = "edit-" + name;
    fields.append(el("label", {}, label + " ", el("input", { name, type, value: user[name] || "", id, "aria-describedby": id + "-error" })),
      el("span", { class: "error field-error", id: id + "-error", "data-error": name }));
  }
  const status = el("select", { name: "status", id: "edit-status" }, ...STATUSES.map((s) => el("option", { value: s, selected: s === user.status }, s)));
  fields.append(el("label", {}, "Status ", status), el("span", { class: "error field-error", "data-error": "status" }));
  fields.append(el("label", {}, "New password ", el("input", { name: "password", type: "password", autocomplete: "new-password", placeholder: "unchanged", "aria-describedby": "edit-password-error" })),
    el("span", { class: "error field-error", id: "edit-password-error", "data-error": "password" }));
  form.append(el("h3", {}, "Profile (version " + user.version + ")"), fields,
    el("button", { type: "submit" }, "Save"), el("p", { class: "error", role: "alert", "data-error": "" }));
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    const f = new FormData(form);
    const patch = { expected_version: user.version };
    for (const [name] of EDITABLE) {
      const value = (f.get(name) || "").trim();
      const before = user[name] || "";
      if (value === before) continue;
      // An emptied optional field is cleared; the username cannot be.
      patch[name] = value === "" && name !== "username" ? null : value;
    }
    if (f.get("status") !== user.status) patch.status = f.get("status");
    if (f.get("password")) patch.password = f.get("password");
    let updated;
    try { updated = await api("PATCH", "/admin/users/" + encodeURIComponent(user.id), patch); } catch (err) { showErrors(form, err); return; }
    await loadUsers();
    await selectUser(updated);
    const saved = $("#edit-form [data-error='']");
    if (saved) { saved.classList.remove("error"); saved.textContent = "Saved."; }
  });
  return form;
}

function credentialsCard(user, creds) {
  const card = el("div", { class: "card", id: "credentials" }, el("h3", {}, "Credentials"));
  const surface = el("select", { id: "issue-surface", "aria-label": "Surface" }, ...state.surfaces.map((s) => el("option", { value: s.surface }, s.surface)));
  const issue = el("button", { type: "button", id: "issue-button" }, "Issue token and key");
  const secret = el("div", { id: "issued" });
  issue.addEventListener("click", async () => {
    let out;
    try { out = await api("POST", "/admin/users/" + encodeURIComponent(user.id) + "/tokens", { surface: surface.value, with_keys: true }); }
    catch (e) { secret.replaceChildren(el("p", { class: "error", role: "alert" }, e.message)); return; }
    const text = JSON.stringify(out.credentials[0], null, 2);
    const pre = el("pre", { class: "secret", "data-testid": "issued-secret" }, text);
    const copy = el("button", { type: "button", class: "small", "data-testid": "copy-secret" }, "Copy");
    copy.addEventListener("click", async () => {
      try { await navigator.clipboard.writeText(text); copy.textContent = "Copied"; }
      catch (_) { window.getSelection().selectAllChildren(pre); copy.textContent = "Selected: press Ctrl+C"; }
    });
    secret.replaceChildren(el("p", { class: "hint" }, "Shown once: the gateway keeps only hashes."), copy, pre);
    refreshCredentials(user, card);
  });
  card.append(el("div", { class: "row" }, surface, issue), secret, el("div", { id: "credential-lists" }));
  fillCredentials(user, card, creds);
  return card;
}

async function refreshCredentials(user, card) {
  let creds;
  try { creds = await api("GET", "/admin/users/" + encodeURIComponent(user.id) + "/credentials"); } catch (_) { return; }
  fillCredentials(user, card, creds);
}

function fillCredentials(user, card, creds) {
  const act = (label, testid, fn) => {
    const b = el("button", { type: "button", class: "link", "data-testid": testid }, label);
    b.addEventListener("click", async (e) => { e.stopPropagation(); try { await fn(); } catch (err) { alert(err.message); } refreshCredentials(user, card); });
    return b;
  };
  const sessions = creds.sessions.map((s) => el("tr", { "data-testid": "session-row", "data-id": s.id },
    el("td", {}, s.surface), el("td", {}, s.id.slice(0, 8)), el("td", {}, s.created_at.slice(0, 19).replace("T", " ")),
    el("td", {}, s.expires_at.slice(0, 19).replace("T", " ")),
    el("td", {}, act("revoke", "session-revoke", () => api("DELETE", "/admin/sessions/" + s.id)))));
  const keys = creds.keys.map((k) => el("tr", { "data-testid": "key-row", "data-id": k.id, "data-revoked": k.revoked_at ? "true" : "false" },
    el("td", {}, k.surface), el("td", {}, k.label || ""), el("td", {}, k.hint || k.id.slice(0, 8)),
    el("td", {}, k.revoked_at ? "revoked " + k.revoked_at.slice(0, 19).replace("T", " ") : "active"),
    el("td", {}, k.revoked_at ? "" : act("revoke", "key-revoke", () => api("DELETE", "/admin/keys/" + encodeURIComponent(k.id))))));
  const revokeAll = el("button", { type: "button", class: "small danger", "data-testid": "sessions-revoke-all", disabled: !sessions.length }, "Revoke all sessions");
  revokeAll.addEventListener("click", async () => { await api("DELETE", "/admin/users/" + encodeURIComponent(user.id) + "/sessions"); refreshCredentials(user, card); });
  card.querySelector("#credential-lists").replaceChildren(
    el("h4", {}, "Sessions (" + sessions.length + ") ", revokeAll),
    el("table", { id: "sessions-table" }, el("thead", {}, el("tr", {}, ...["Surface", "Id", "Created", "Expires", ""].map((h) => el("th", {}, h)))), el("tbody", {}, ...sessions)),
    el("h4", {}, "API keys (" + keys.length + ")"),
    el("table", { id: "keys-table" }, el("thead", {}, el("tr", {}, ...["Surface", "Label", "Hint", "State", ""].map((h) => el("th", {}, h)))), el("tbody", {}, ...keys)));
}

async function deleteUser(user) {
  if (!confirm("Delete " + user.username + " with every credential?")) return;
  try { await api("DELETE", "/admin/users/" + encodeURIComponent(user.id)); } catch (e) { alert(e.message); return; }
  state.selectedUser = null;
  $("#user-detail").replaceChildren(el("p", { class: "hint" }, "Deleted " + user.username + "."));
  loadUsers();
}

// --- outbox --------------------------------------------------------------------------------

async function loadOutbox() {
  let mails;
  try { mails = await api("GET", "/admin/outbox?limit=200"); } catch (_) { return; }
  const detail = $("#outbox-detail");
  $("#outbox-table tbody").replaceChildren(...mails.map((m) => {
    const row = el("tr", { "data-testid": "mail-row", "data-to": m.to, "data-kind": m.kind, tabIndex: 0 },
      el("td", {}, m.id), el("td", {}, m.sent_at.slice(0, 19).replace("T", " ")), el("td", {}, m.to),
      el("td", {}, m.subject), el("td", {}, m.kind));
    const open = () => { detail.hidden = false; detail.textContent = "From: " + m.from + "\nTo: " + m.to + "\nSubject: " + m.subject + "\n\n" + m.text; };
    row.addEventListener("click", open);
    row.addEventListener("keydown", (e) => { if (e.key === "Enter") open(); });
    return row;
  }));
  if (!mails.length) detail.hidden = true;
}

// --- device logins -------------------------------------------------------------------------

async function loadDevices() {
  let pending, users;
  try {
    pending = (await api("GET", "/admin/device-authorizations?status=pending")).items;
    users = await api("GET", "/admin/users?limit=200");
  } catch (_) { return; }
  $("#devices-error").textContent = "";
  $("#devices-table tbody").replaceChildren(...pending.map((d) => {
    const who = el("select", { "aria-label": "Approve " + d.user_code + " as" },
      ...users.map((u) => el("option", { value: u.id }, u.username)));
    const decide = async (verb) => {
      try {
        await api("POST", "/admin/device-authorizations/" + encodeURIComponent(d.id) + "/" + verb,
          verb === "approve" ? { user_id: who.value } : undefined);
      } catch (e) { $("#devices-error").textContent = d.user_code + ": " + e.message; }
      loadDevices();
    };
    const approve = el("button", { type: "button", class: "small", "data-testid": "device-approve" }, "Approve");
    const deny = el("button", { type: "button", class: "small", "data-testid": "device-deny" }, "Deny");
    approve.addEventListener("click", () => decide("approve"));
    deny.addEventListener("click", () => decide("deny"));
    return el("tr", { "data-testid": "device-row", "data-code": d.user_code },
      el("td", {}, d.user_code), el("td", {}, d.surface), el("td", {}, d.client_details || ""),
      el("td", {}, d.expires_at.slice(0, 19).replace("T", " ")), el("td", {}, who), el("td", {}, approve, " ", deny));
  }));
}

// --- state ---------------------------------------------------------------------------------

async function exportState() {
  const format = $("#export-format").value;
  let text;
  try { text = await api("GET", "/admin/fixtures/export?format=" + format, undefined, { raw: true }); }
  catch (e) { $("#state-error").textContent = e.message; return; }
  $("#state-error").textContent = "";
  $("#state-text").value = text;
  const link = $("#export-download");
  if (link.href) URL.revokeObjectURL(link.href);
  link.href = URL.createObjectURL(new Blob([text], { type: format === "json" ? "application/json" : "application/yaml" }));
  link.download = "gateway-fixtures." + format;
  link.hidden = false;
  $("#state-message").textContent = "Exported " + text.length + " bytes; edit below and Load, or download.";
}

async function loadState() {
  const text = $("#state-text").value;
  const type = text.trim().startsWith("{") ? "application/json" : "application/yaml";
  try { await api("POST", "/admin/fixtures?name=console", text, { raw: true, type }); }
  catch (e) { $("#state-message").textContent = ""; $("#state-error").textContent = e.message; return; }
  $("#state-error").textContent = "";
  $("#state-message").textContent = "Loaded.";
  state.selectedUser = null;
  loadUsers();
}

async function resetState() {
  if (!confirm("Reset to the fixtures loaded last?")) return;
  try { await api("POST", "/admin/reset"); } catch (e) { $("#state-error").textContent = e.message; return; }
  $("#state-error").textContent = "";
  $("#state-message").textContent = "Reset.";
  state.selectedUser = null;
  loadUsers();
}

// --- journal -------------------------------------------------------------------------------

function startJournal() {
  state.lastJournalId = 0;
  $("#journal-table tbody").replaceChildren();
  pollJournal();
  clearInterval(state.journalTimer);
  state.journalTimer = setInterval(() => { if ($("#journal-live").checked) pollJournal(); }, 1000);
}

async function pollJournal() {
  const surface = $("#journal-surface").value;
  const q = new URLSearchParams({ limit: "200", since: String(state.lastJournalId) });
  if (surface) q.set("surface", surface);
  let entries;
  try { entries = await api("GET", "/admin/journal?" + q); } catch (_) { return; }
  if (!entries.length) return;
  state.lastJournalId = Math.max(state.lastJournalId, ...entries.map((e) => e.id));
  const body = $("#journal-table tbody");
  for (const e of entries.slice().reverse()) {
    const status = e.response.dropped ? "dropped" : String(e.response.status);
    const fault = e.fault ? e.fault.effect + (e.fault.status ? " " + e.fault.status : "") + " (" + e.fault.rule.slice(0, 8) + ")" : "";
    const row = el("tr", { "data-testid": "journal-row", "data-surface": e.surface, "data-status": status, "data-fault": e.fault ? e.fault.rule : "" },
      el("td", {}, e.id), el("td", {}, e.started_at.slice(11, 23)), el("td", {}, e.surface), el("td", {}, e.request.method),
      el("td", {}, e.request.path + (e.request.query ? "?" + e.request.query : "")),
      el("td", { class: statusClass(e.response.status) }, status), el("td", {}, e.duration_ms.toFixed(1)), el("td", {}, fault));
    row.addEventListener("click", () => { const d = $("#journal-detail"); d.hidden = false; d.textContent = JSON.stringify(e, null, 2); });
    body.prepend(row);
  }
  while (body.rows.length > 500) body.deleteRow(body.rows.length - 1);
}

// --- faults --------------------------------------------------------------------------------

async function loadFaults() {
  let rules;
  try { rules = await api("GET", "/admin/faults"); } catch (_) { return; }
  $("#faults-table tbody").replaceChildren(...rules.map((r) => {
    const effect = r.drop_connection ? "drop connection" : r.status ? "status " + r.status : "latency";
    const remove = el("button", { type: "button", class: "link", "data-testid": "fault-remove" }, "remove");
    remove.addEventListener("click", async (ev) => { ev.stopPropagation(); await api("DELETE", "/admin/faults/" + r.id); loadFaults(); });
    return el("tr", { "data-testid": "fault-row", "data-id": r.id },
      el("td", {}, r.surface || "any"), el("td", {}, r.method || "any"), el("td", {}, r.path || "any"), el("td", {}, r.user || "any"),
      el("td", {}, effect + (r.latency_ms ? " +" + r.latency_ms + " ms" : "")),
      el("td", {}, r.remaining === null ? "∞" : r.remaining), el("td", {}, r.fired), el("td", {}, remove));
  }));
}

async function addFault(form) {
  const f = new FormData(form);
  const rule = {};
  for (const key of ["surface", "method", "path", "user", "message"]) { const v = (f.get(key) || "").trim(); if (v) rule[key] = v; }
  for (const key of ["status", "retry_after", "latency_ms", "count"]) { const v = (f.get(key) || "").trim(); if (v) rule[key] = parseInt(v, 10); }
  const p = (f.get("probability") || "").trim(); if (p) rule.probability = parseFloat(p);
  if (f.get("drop_connection")) rule.drop_connection = true;
  try {
    await api("POST", "/admin/faults", rule);
    $("#fault-error").textContent = "";
    form.reset();
  } catch (e) { $("#fault-error").textContent = e.message; }
  loadFaults();
}

// --- docs ----------------------------------------------------------------------------------

function renderDocs() {
  $("#docs-list").replaceChildren(...state.surfaces.map((s) => el("li", { "data-testid": "docs-link", "data-surface": s.surface },
    s.surface + ": ",
    s.docs ? el("a", { href: s.docs, target: "_blank", rel: "noopener" }, "Swagger UI") : "no document yet",
    s.openapi ? " · " : "", s.openapi ? el("a", { href: s.openapi, target: "_blank", rel: "noopener" }, "OpenAPI JSON") : "")));
}

// --- wiring --------------------------------------------------------------------------------

document.addEventListener("DOMContentLoaded", () => {
  $("#login-form").addEventListener("submit", (e) => { e.preventDefault(); login($("#token").value.trim()); });
  $("#logout").addEventListener("click", () => logout(""));
  document.querySelectorAll("nav button").forEach((b) => b.addEventListener("click", () => showTab(b.dataset.tab)));
  $("#users-refresh").addEventListener("click", loadUsers);
  $("#journal-surface").addEventListener("change", startJournal);
  $("#journal-clear").addEventListener("click", async () => { await api("DELETE", "/admin/journal"); startJournal(); });
  $("#fault-form").addEventListener("submit", (e) => { e.preventDefault(); addFault(e.target); });
  $("#user-form").addEventListener("submit", (e) => { e.preventDefault(); createUser(e.target); });
  $("#outbox-refresh").addEventListener("click", loadOutbox);
  $("#devices-refresh").addEventListener("click", loadDevices);
  $("#outbox-clear").addEventListener("click", async () => { await api("DELETE", "/admin/outbox"); loadOutbox(); });
  $("#export-button").addEventListener("click", exportState);
  $("#load-button").addEventListener("click", loadState);
  $("#reset-button").addEventListener("click", resetState);
  if (token()) login(token());
});
