// Gateway console: a thin client of the admin API. The admin token lives in sessionStorage
// (this tab only) and is sent as `Authorization: Bearer`; nothing is rendered as HTML from data.
"use strict";

const TOKEN_KEY = "gatewayAdminToken";
const $ = (sel) => document.querySelector(sel);
const state = { surfaces: [], lastJournalId: 0, journalTimer: null, faultsTimer: null, selectedUser: null };

function token() { return sessionStorage.getItem(TOKEN_KEY) || ""; }

async function api(method, path, body) {
  const headers = { "Authorization": "Bearer " + token(), "Accept": "application/json" };
  const init = { method, headers };
  if (body !== undefined) { headers["Content-Type"] = "application/json"; init.body = JSON.stringify(body); }
  const res = await fetch(path, init);
  if (res.status === 401) { logout("The admin token was refused."); throw new Error("unauthorized"); }
  const text = await res.text();
  let data = null;
  try { data = text ? JSON.parse(text) : null; } catch (_) { data = text; }
  if (!res.ok) {
    const message = data && data.error && data.error.message ? data.error.message : res.status + " " + res.statusText;
    throw new Error(message);
  }
  return data;
}

function el(tag, attrs, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === undefined || v === null) continue;
    if (k === "class") node.className = v;
    else if (k.startsWith("data-") || k === "href" || k === "target" || k === "type" || k === "title" || k === "rel") node.setAttribute(k, v);
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
    const row = el("tr", { "data-testid": "user-row", "data-username": u.username, "data-id": u.id },
      el("td", {}, u.username), el("td", {}, u.email || ""), el("td", {}, u.status), el("td", {}, u.kind));
    if (state.selectedUser === u.id) row.classList.add("selected");
    row.addEventListener("click", () => selectUser(u));
    return row;
  }));
}

async function selectUser(user) {
  state.selectedUser = user.id;
  document.querySelectorAll("#users-table tr").forEach((r) => r.classList.toggle("selected", r.dataset.id === user.id));
  const detail = $("#user-detail");
  detail.replaceChildren(el("p", { class: "hint" }, "Loading " + user.username + "…"));
  let data;
  try { data = await api("GET", "/admin/users/" + encodeURIComponent(user.id) + "/views"); }
  catch (e) { detail.replaceChildren(el("p", { class: "error" }, e.message)); return; }
  const cards = data.views.map((v) => el("div", { class: "view", "data-testid": "surface-view", "data-surface": v.surface },
    el("h3", {}, el("span", {}, v.surface + "  " + v.method + " " + v.path),
      el("span", { class: statusClass(v.status) }, v.status === null ? "no answer" : String(v.status))),
    v.note ? el("p", { class: "hint" }, v.note) : el("pre", {}, typeof v.body === "string" ? v.body : JSON.stringify(v.body, null, 2))));
  detail.replaceChildren(el("h2", {}, user.username + " (" + user.id + ")"), ...cards);
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
  if (token()) login(token());
});
