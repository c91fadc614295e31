// Dashboard panel "quarantine": messages and events headquarters held because they break the contract
// (GET /api/v1/quarantine). Its own file beside dashboard.js; data only ever goes in with textContent.
"use strict";
(function () {
  const $ = (id) => document.getElementById(id);
  const zone = () => (window.ztc && window.ztc.cfg && window.ztc.cfg.timezone) || "Asia/Shanghai";
  const when = (ts) => ts ? new Date(ts * 1000).toLocaleString("zh-CN", { hour12: false, timeZone: zone() }) : "-";
  function row(...cells) {
    const tr = document.createElement("tr");
    for (const c of cells) { const td = document.createElement("td"); td.textContent = c == null ? "" : String(c); tr.append(td); }
    return tr;
  }
  async function load() {
    const r = await fetch("/api/v1/quarantine", { headers: { Accept: "application/json" } });
    if (!r.ok) return;
    const q = await r.json();
    $("quarantine-count").textContent = String(q.held);
    $("quarantine-summary").textContent =
      `隔离 ${q.held} 条（共收到 ${q.received}，已清理 ${q.pruned}） / held ${q.held} (received ${q.received}, pruned ${q.pruned})`;
    const table = $("quarantine-items");
    const head = row("时间 / time", "车辆 / bus", "类型 / type", "序号 / seq", "原因 / reason", "内容 / raw");
    table.replaceChildren(head, ...q.items.map((i) =>
      row(when(i.received_at), i.bus, i.type || i.topic, i.seq, i.reason, `${i.preview} (${i.raw_bytes} B)`)));
  }
  window.ztcQuarantine = { load };
  document.addEventListener("DOMContentLoaded", () => {
    const tab = document.querySelector('nav.tabs button[data-tab="quarantine"]');
    if (tab) tab.addEventListener("click", () => { load().catch(() => {}); });
    load().catch(() => {});
    setInterval(() => { load().catch(() => {}); }, 60000);
  });
})();
