// Shared by the follow-up staff pages: the session's CSRF token, JSON calls, DOM building (textContent only).
"use strict";
const fu = { csrf: "", tz: "Asia/Shanghai" };
function el(tag, attrs, ...kids) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (k === "class") e.className = v; else if (k.startsWith("on")) e.addEventListener(k.slice(2), v); else e.setAttribute(k, v);
  }
  for (const k of kids) e.append(k instanceof Node ? k : document.createTextNode(k == null ? "" : String(k)));
  return e;
}
async function api(path, o = {}) {
  const r = await fetch(path, { ...o, headers: { "Content-Type": "application/json", "X-CSRF-Token": fu.csrf, ...(o.headers || {}) } });
  const body = r.headers.get("content-type")?.includes("json") ? await r.json() : await r.text();
  if (!r.ok) throw new Error((body && body.detail) ? (typeof body.detail === "string" ? body.detail : JSON.stringify(body.detail)) : `HTTP ${r.status}`);
  return body;
}
// Times in the county's zone (the API's), never the browser's.
const when = (ts) => ts == null ? "" : new Date(ts * 1000).toLocaleString("zh-CN", { timeZone: fu.tz, hour12: false });
async function session() {
  const me = await api("/api/v1/me");
  fu.csrf = me.csrf;
  document.getElementById("user").textContent = `${me.name} (${me.role})`;
  try { fu.tz = (await api("/api/public/results?month=2000-01")).timezone || fu.tz; } catch (e) { /* keep the default */ }
}
