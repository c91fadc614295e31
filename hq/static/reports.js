// 定期报告: the kept weekly and monthly reports (PDF, CSV), and making one on demand.
"use strict";
const page = { ready: false };
const KIND = { week: "周报 / weekly", month: "月报 / monthly" };
async function load() {
  const list = await api("/api/v1/reports");
  document.querySelector("#reports tbody").replaceChildren(...(list.length ? list.map((r) => el("tr", { "data-report": r.id },
    el("td", {}, `${KIND[r.kind] || r.kind} ${r.label}`), el("td", {}, `${r.first} – ${r.last}`),
    el("td", {}, `${when(r.created_at)} ${r.created_by}`),
    el("td", {}, el("a", { href: r.pdf }, "PDF"), " · ", el("a", { href: r.csv }, "CSV")))) :
    [el("tr", {}, el("td", { colspan: "4" }, "还没有报告 / no reports yet"))]));
  page.ready = true;
}
document.getElementById("make").addEventListener("click", async () => {
  const msg = document.getElementById("msg");
  const day = document.getElementById("day").value;
  msg.textContent = "生成中… / making…";
  try {
    const r = await api("/api/v1/reports", { method: "POST", body: JSON.stringify({ kind: document.getElementById("kind").value, ...(day ? { day } : {}) }) });
    msg.textContent = `已生成 / made: ${r.id}`;
  } catch (e) { msg.textContent = e.message; }
  await load();
});
session().then(load).catch((e) => { document.getElementById("msg").textContent = e.message; });
