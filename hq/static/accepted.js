// 受理件跟踪: list the accepted cases, mark one 办结, add the EMS number of the mailed certificate.
"use strict";
const page = { ready: false };
async function change(id, body) {
  const msg = document.getElementById("msg");
  try { await api(`/api/v1/accepted/${encodeURIComponent(id)}`, { method: "POST", body: JSON.stringify(body) }); msg.textContent = "已保存 / saved"; }
  catch (e) { msg.textContent = e.message; }
  await load();
}
function row(c) {
  const ems = el("input", { class: "ems", placeholder: "EMS 单号 / number", "data-case": c.id });
  ems.value = c.ems_no || "";
  const actions = [];
  if (c.status !== "done") actions.push(el("button", { class: "done-btn", "data-case": c.id, onclick: () => change(c.id, { done: true }) }, "标记办结 / mark completed"));
  actions.push(ems, el("button", { class: "ems-btn", "data-case": c.id, onclick: () => change(c.id, { ems_no: ems.value }) }, "保存单号 / save EMS"));
  return el("tr", { class: c.overdue ? "overdue" : "", "data-case": c.id },
    el("td", {}, when(c.ts)), el("td", {}, c.bus), el("td", {}, c.number || ""), el("td", {}, c.case_no || "—"),
    el("td", {}, c.department || "—"), el("td", {}, (c.promised_date || "—") + (c.overdue ? " 已超期 / overdue" : "")),
    el("td", { class: "status" }, c.status_text + (c.done_at ? ` · ${when(c.done_at)} ${c.done_by || ""}` : "")),
    el("td", { class: "ems-no" }, c.ems_no || ""), el("td", {}, ...actions));
}
async function load() {
  const status = document.getElementById("status").value;
  const cases = await api("/api/v1/accepted" + (status ? `?status=${status}` : ""));
  const body = document.querySelector("#cases tbody");
  body.replaceChildren(...(cases.length ? cases.map(row) : [el("tr", {}, el("td", { colspan: "9" }, "没有受理件 / no accepted cases"))]));
  page.ready = true;
}
document.getElementById("status").addEventListener("change", load);
session().then(load).catch((e) => { document.getElementById("msg").textContent = e.message; });
