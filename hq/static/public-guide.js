// Public page, 办事指南: per service its items, typical minutes, what to bring (申请材料) and the policy
// note; items tried on some buses first are marked with those buses. Reads only /api/public/guide.
"use strict";
(function () {
  const box = document.getElementById("pguide");
  if (!box) return;
  function el(tag, attrs, ...kids) {
    const e = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) { if (k === "class") e.className = v; else e.setAttribute(k, v); }
    for (const k of kids) e.append(k instanceof Node ? k : document.createTextNode(k == null ? "" : String(k)));
    return e;
  }
  function item(i) {
    return el("li", { "data-item": i.code },
      el("b", {}, `${i.name_zh}`), el("span", { class: "en" }, ` ${i.name_en}`), ` · 约 ${Math.round(i.minutes)} 分钟 / about ${Math.round(i.minutes)} min`,
      i.buses ? el("span", { class: "pilot" }, ` 试点车辆 / pilot on: ${i.buses.join(", ")}`) : "",
      (i.materials || []).length ? el("div", { class: "materials" }, "请携带 / bring: ", el("ul", {}, ...i.materials.map((m) => el("li", {}, m)))) : "",
      i.note_zh ? el("div", { class: "note" }, `说明：${i.note_zh}`, i.note_en ? el("span", { class: "en" }, ` / ${i.note_en}`) : "") : "");
  }
  async function load() {
    const g = await (await fetch("/api/public/guide")).json();
    box.replaceChildren(el("h2", {}, "办事指南 ", el("span", { class: "en" }, "/ what to bring")),
      ...g.services.map((s) => el("details", { "data-service": s.code },
        el("summary", {}, `${s.code} ${s.name_zh} `, el("span", { class: "en" }, s.name_en)), el("ul", { class: "items" }, ...s.items.map(item)))));
    window.ztcGuideReady = true;
  }
  load().catch((e) => { box.textContent = `办事指南加载失败 / the guide could not load: ${e.message}`; });
})();
