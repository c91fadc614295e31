// The public results page: the county's monthly indicators (no log-in; whitelisted fields only).
"use strict";
const page = { ready: false };
function el(tag, attrs, ...kids) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) { if (k === "class") e.className = v; else e.setAttribute(k, v); }
  for (const k of kids) e.append(k instanceof Node ? k : document.createTextNode(k == null ? "" : String(k)));
  return e;
}
const pct = (v) => v == null ? "—" : `${(v * 100).toFixed(1)}%`;
async function load() {
  const d = await (await fetch("/api/public/results")).json();
  document.querySelector("#results tbody").replaceChildren(...d.months.map((m) => el("tr", { "data-month": m.month },
    el("td", {}, m.month), el("td", { class: "num" }, m.sessions_held), el("td", { class: "num" }, m.served),
    el("td", { class: "num" }, m.outcomes.completed), el("td", { class: "num" }, m.outcomes.accepted),
    el("td", { class: "num" }, m.accepted_done), el("td", { class: "num" }, m.ratings), el("td", { class: "num" }, pct(m.rating_rate)),
    el("td", { class: "num" }, pct(m.good_rate)), el("td", { class: "num" }, m.ratings_bad), el("td", { class: "num" }, pct(m.callback_rate)),
    el("td", { class: "num" }, pct(m.rectify_rate)), el("td", { class: "num" }, m.suggestions_kiosk + m.suggestions_phone))));
  page.ready = true;
}
load().catch(() => { document.querySelector("#results tbody").textContent = "暂时无法获取 / unavailable right now"; });
