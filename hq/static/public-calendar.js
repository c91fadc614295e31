// Public page, the weeks ahead: each village's stops with the published sessions and their themes,
// and the holidays and 调休 working weekends in between. Reads only /api/public/calendar.
"use strict";
(function () {
  const box = document.getElementById("pcal");
  if (!box) return;
  function el(tag, attrs, ...kids) {
    const e = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) { if (k === "class") e.className = v; else e.setAttribute(k, v); }
    for (const k of kids) e.append(k instanceof Node ? k : document.createTextNode(k == null ? "" : String(k)));
    return e;
  }
  const md = (iso) => `${Number(iso.slice(5, 7))}月${Number(iso.slice(8))}日`;
  function marks(days) {  // runs of the same holiday → "10月1日–10月7日 国庆节 放假"
    const out = [];
    for (const d of days) {
      const last = out[out.length - 1];
      if (last && last.kind === d.kind && last.name === d.name_zh && d.kind === "holiday") { last.to = d.date; continue; }
      out.push({ kind: d.kind, name: d.name_zh, from: d.date, to: d.date, estimated: d.estimated });
    }
    return out.map((m) => el("li", { class: m.kind },
      `${md(m.from)}${m.to !== m.from ? "–" + md(m.to) : ""} ${m.name || ""} `,
      m.kind === "holiday" ? "放假 / public holiday" : "调休上班 / working weekend", m.estimated ? "（预计 / estimated）" : ""));
  }
  async function load() {
    const params = new URLSearchParams(location.search);
    const q = new URLSearchParams();
    for (const k of ["from", "to", "bus", "stop"]) if (params.get(k)) q.set(k, params.get(k));
    const r = await fetch(`/api/public/calendar?${q}`);
    const c = await r.json();
    const names = await (await fetch("/api/public/services")).json().catch(() => ({}));
    const svc = (codes) => codes.map((k) => (names[k] || k).split(" / ")[0]).join("、");
    const kids = [el("h2", {}, "服务日历 ", el("span", { class: "en" }, `/ service calendar ${c.from} – ${c.to}`))];
    if (c.days.length) kids.push(el("ul", { class: "holidays" }, ...marks(c.days)));
    const villages = {};
    for (const s of c.stops) (villages[s.village || "其他 / other"] ||= []).push(s);
    for (const [village, stops] of Object.entries(villages)) {
      kids.push(el("h3", { class: "village" }, village));
      for (const s of stops) {
        kids.push(el("div", { class: "card stop", "data-stop": s.stop }, el("h4", {}, s.name, s.name_en ? el("span", { class: "en" }, ` / ${s.name_en}`) : ""),
          el("table", {}, ...s.sessions.map((v) => el("tr", { class: v.kind },
            el("td", {}, `${md(v.date)} ${v.weekday_zh}`), el("td", {}, `${v.arrive}–${v.depart}`),
            el("td", {}, `【${v.kind_zh}】`, v.theme || "", el("div", { class: "en" }, svc(v.services)),
              v.description ? el("div", { class: "en" }, v.description) : ""))))));
      }
    }
    if (!c.stops.length) kids.push(el("p", { class: "en" }, "近期暂无公布的服务 / nothing published for these weeks yet"));
    box.replaceChildren(...kids);
    window.ztcCalendarReady = true;
  }
  load().catch(() => { box.textContent = "暂时无法获取服务日历 / the calendar is unavailable right now"; });
})();
