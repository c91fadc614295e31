"use strict";
// The day's list per bus, for printing (A4 landscape); phones and names masked. textContent only.
document.getElementById("print").onclick = () => window.print();
(async () => {
  const q = new URLSearchParams(location.search);
  const bus = q.get("bus") || "", day = q.get("date") || "";
  const r = await fetch(`/api/v1/appointments?bus=${encodeURIComponent(bus)}&date=${encodeURIComponent(day)}`);
  if (r.status === 401) { location.href = "/login"; return; }
  const out = await r.json();
  const el = (tag, attrs, ...kids) => { const e = document.createElement(tag); for (const [k, v] of Object.entries(attrs || {})) e.setAttribute(k, v);
    for (const k of kids) e.append(k instanceof Node ? k : document.createTextNode(k == null ? "" : String(k))); return e; };
  document.getElementById("title").textContent = `${out.bus} · ${out.date}`;
  document.getElementById("back").href = `/booking?bus=${encodeURIComponent(out.bus)}&date=${out.date}`;
  const items = (out.items || []).filter((b) => b.status === "booked");
  const homes = items.filter((b) => b.kind === "home").length;
  document.getElementById("summary").textContent = `共 ${items.length} 个预约，其中上门服务 ${homes} 个 / ${items.length} bookings, ${homes} home visits`;
  const head = el("tr", {}, ...["时间 / when", "类型 / kind", "地点 / where", "来电人 / who", "电话 / phone", "事项 / what", "需求 / needs", "预约码 / code", "办理结果 / outcome"].map((t) => el("th", {}, t)));
  const rows = items.map((b) => el("tr", { class: b.kind, "data-booking": b.id },
    el("td", {}, `${b.start}–${b.end}`), el("td", {}, b.kind_zh), el("td", {}, b.place), el("td", {}, b.name_masked),
    el("td", {}, b.phone_masked), el("td", {}, `${b.service} ${b.service_zh}`, b.item_zh ? el("div", {}, b.item_zh) : ""),
    el("td", {}, [b.need_zh, b.note].filter(Boolean).join("：")), el("td", { class: "code" }, b.code), el("td", {}, "")));
  document.getElementById("table").replaceChildren(items.length ? el("table", {}, head, ...rows) : el("p", {}, "当天没有预约 / no bookings that day"));
  document.body.dataset.ready = "1";
})();
