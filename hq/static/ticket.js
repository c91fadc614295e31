// The ticket's page (the QR on the ticket): status once the ticket reached headquarters. Public data only.
"use strict";
function el(tag, attrs, ...kids) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) { if (k === "class") e.className = v; else e.setAttribute(k, v); }
  for (const k of kids) e.append(k instanceof Node ? k : document.createTextNode(k == null ? "" : String(k)));
  return e;
}
// Times in headquarters' zone (clock.js), whatever the phone's zone.
const hm = (ts) => ZtcClock.hm(ts);
const id = decodeURIComponent(location.pathname.split("/").pop());
async function load() {
  const box = document.getElementById("ticket");
  const r = await fetch(`/api/public/tickets/${encodeURIComponent(id)}`);
  if (r.status === 404) { box.replaceChildren(el("p", {}, "总部尚未收到此号，请稍后再看；车上的叫号屏为准。"), el("p", { class: "en" }, "This ticket has not reached headquarters yet; the screen on the bus is always current.")); return; }
  const t = await r.json();
  const kids = [el("p", {}, "号码 / number"), el("p", { class: "big", id: "number" }, t.number || "-"),
    el("p", { id: "status" }, t.status_text || "")];
  if (t.window) kids.push(el("p", {}, `窗口 / window ${t.window}`));
  if (t.waiting_in_service != null) kids.push(el("p", {}, `本业务正在等候 / waiting in this service: ${t.waiting_in_service}`));
  if (t.new_number) kids.push(el("p", {}, `新号码 / new number: ${t.new_number}`));
  kids.push(el("table", {}, ...t.history.map((h) => el("tr", {}, el("td", {}, hm(h.ts)), el("td", {}, h.text)))));
  box.replaceChildren(...kids);
}
ZtcClock.load().then(load).catch(() => { document.getElementById("ticket").textContent = "暂时无法获取信息 / information unavailable right now"; });
setInterval(() => load().catch(() => {}), 20000);
