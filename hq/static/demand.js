// 群众需求: refused requests per stop and service, suggestion topics, the phone's free texts.
"use strict";
const page = { ready: false };
const empty = (cols) => el("tr", {}, el("td", { colspan: String(cols) }, "本期没有记录 / none in this period"));
async function load() {
  const q = new URLSearchParams();
  for (const k of ["from", "to"]) { const v = document.getElementById(k).value; if (v) q.set(k, v); }
  const d = await api(`/api/v1/demand?${q}`);
  const reason = (k) => (d.reasons[k] || k).split(" / ")[0];
  document.querySelector("#demand tbody").replaceChildren(...(d.refused.length ? d.refused.map((r) => el("tr", {},
    el("td", {}, r.name), el("td", {}, r.service), el("td", { class: "num" }, r.total),
    el("td", {}, Object.entries(r.by_reason).map(([k, n]) => `${reason(k)} ${n}`).join("，")))) : [empty(4)]));
  document.getElementById("sugg-count").textContent = `（车上 kiosk ${d.suggestions.kiosk}，手机 phone ${d.suggestions.phone}）`;
  document.querySelector("#topics tbody").replaceChildren(...(d.suggestions.topics.length ? d.suggestions.topics.map((t) =>
    el("tr", {}, el("td", {}, t.text), el("td", { class: "num" }, t.count))) : [empty(2)]));
  document.querySelector("#phone tbody").replaceChildren(...(d.phone.length ? d.phone.map((p) =>
    el("tr", {}, el("td", {}, when(p.ts)), el("td", {}, p.bus || ""), el("td", {}, p.stop || ""), el("td", {}, p.text))) : [empty(4)]));
  page.ready = true;
}
document.getElementById("show").addEventListener("click", () => load().catch((e) => { document.getElementById("msg").textContent = e.message; }));
session().then(load).catch((e) => { document.getElementById("msg").textContent = e.message; });
