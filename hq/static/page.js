// What every staff page's script shares (booking, calendar, catalog, cases, accounts, audit): building elements
// with textContent only (never innerHTML), and calling the API with the session's CSRF token, a lost
// session sending the page to the log-in and a refusal turned into its readable message.
"use strict";
const $ = (id) => document.getElementById(id);
const enc = encodeURIComponent;
function el(tag, attrs, ...kids) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) { if (k === "class") e.className = v; else e.setAttribute(k, v); }
  for (const k of kids) e.append(k instanceof Node ? k : document.createTextNode(k == null ? "" : String(k)));
  return e;
}
// The page tells where its session's CSRF token is kept (it arrives with /api/v1/me).
let csrfOf = () => "";
function useCsrf(get) { csrfOf = get; }
async function api(path, opts) {
  const o = opts || {};
  const r = await fetch(path, { ...o, headers: { "Content-Type": "application/json", "X-CSRF-Token": csrfOf(), ...(o.headers || {}) } });
  if (r.status === 401) { location.href = "/login"; throw new Error("login"); }
  const body = await r.json().catch(() => ({}));
  if (!r.ok) throw new Error(typeof body.detail === "string" ? body.detail : (body.detail || []).map((d) => `${(d.loc || []).slice(1).join(".")}: ${String(d.msg).replace(/^Value error, /, "")}`).join("; "));
  return body;
}
const post = (path, body) => api(path, { method: "POST", body: JSON.stringify(body) });
function say(id, text, err) { const m = $(id); m.textContent = text; m.className = err ? "msg err" : "msg"; }
