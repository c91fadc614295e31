// Audit log page (admins): search by person, day (the county's days, hq.timezone) and kind. Read only:
// ztc offers no way to change or delete an entry. Data is written with textContent only.
"use strict";
// One "field: value" a line: what an admin reads, not JSON.
const show = (v) => (v == null ? "" : typeof v !== "object" ? String(v)
  : Object.entries(v).map(([k, x]) => `${k}: ${x !== null && typeof x === "object" ? JSON.stringify(x) : x}`).join("\n"));
let kindsFilled = false;

async function search() {
  const q = new URLSearchParams();
  for (const [id, key] of [["actor", "actor"], ["kind", "kind"], ["from", "from"], ["to", "to"]]) {
    const v = $(id).value.trim(); if (v) q.set(key, v);
  }
  try {
    const res = await api(`/api/v1/audit?${q}`);
    if (!kindsFilled) {
      for (const [k, t] of Object.entries(res.kinds)) $("kind").append(el("option", { value: k }, `${t.zh} / ${t.en}`));
      kindsFilled = true;
    }
    $("about").textContent = `时间为 ${res.timezone} 时区；日志保留 ${res.retention_days} 天，不能修改或删除。 / Times in ${res.timezone}; kept ${res.retention_days} days, cannot be changed or deleted.`;
    $("entries").tBodies[0].replaceChildren(...res.entries.map((e) => el("tr", { "data-kind": e.kind, "data-actor": e.actor },
      el("td", {}, e.local), el("td", { class: "actor" }, e.actor), el("td", {}, e.client),
      el("td", { class: "kind" }, `${e.kind_zh} / ${e.kind_en}`), el("td", { class: "target" }, e.target),
      el("td", { class: "change" }, show(e.before)), el("td", { class: "change" }, show(e.after)))));
    $("msg").textContent = res.entries.length ? `${res.entries.length} 条 / entries` : "没有记录 / nothing found";
    $("msg").className = "msg";
  } catch (e) { $("msg").textContent = e.message; $("msg").className = "msg err"; }
  document.body.dataset.searched = String(Number(document.body.dataset.searched || 0) + 1);
}

$("search").onclick = search;
(async () => {
  const me = await api("/api/v1/me");
  $("user").textContent = `${me.name} (${me.role})`;
  const users = await api("/api/v1/users");
  $("people").replaceChildren(...users.map((u) => el("option", { value: u.name })));
  await search();
  document.body.dataset.ready = "1";
})();
