// Route calendar page: stops, the weekly template, the month with holidays and 调休, exceptions, publishing.
// Everything is a form; data is only written with textContent (never innerHTML).
"use strict";
const cal = { csrf: "", bus: "", month: "", today: "", days: [], stops: [], services: {}, selected: null, map: null, pin: null, ready: false };
window.cal = cal;
const $ = (id) => document.getElementById(id);
function el(tag, attrs, ...kids) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) { if (k === "class") e.className = v; else e.setAttribute(k, v); }
  for (const k of kids) e.append(k instanceof Node ? k : document.createTextNode(k == null ? "" : String(k)));
  return e;
}
async function api(path, opts) {
  const o = opts || {};
  const r = await fetch(path, { ...o, headers: { "Content-Type": "application/json", "X-CSRF-Token": cal.csrf, ...(o.headers || {}) } });
  if (r.status === 401) { location.href = "/login"; throw new Error("login"); }
  const body = await r.json().catch(() => ({}));
  if (!r.ok) throw new Error(typeof body.detail === "string" ? body.detail : (body.detail || []).map((d) => `${(d.loc || []).slice(1).join(".")}: ${d.msg}`).join("; "));
  return body;
}
function say(id, text, err) { const m = $(id); m.textContent = text; m.className = err ? "msg err" : "msg"; }
const post = (path, body) => api(path, { method: "POST", body: JSON.stringify(body) });
const enc = encodeURIComponent;
const WEEK = ["周一", "周二", "周三", "周四", "周五", "周六", "周日"];

// --- services and stops ---------------------------------------------------------------------------
function serviceBoxes(id) {
  $(id).replaceChildren(...Object.entries(cal.services).map(([code, name]) =>
    el("label", {}, el("input", { type: "checkbox", value: code, "data-service": code }), ` ${name}`)));
}
const checked = (id) => [...$(id).querySelectorAll("input:checked")].map((i) => i.value);

async function loadStops() {
  cal.stops = await api("/api/v1/stops");
  for (const sel of document.querySelectorAll(".stop-select")) {
    const keep = sel.value;
    sel.replaceChildren(...cal.stops.map((s) => el("option", { value: s.id }, `${s.village ? s.village + " · " : ""}${s.name_zh}`)));
    if (keep) sel.value = keep;
  }
  const rows = cal.stops.map((s) => {
    const edit = el("button", {}, "编辑 / edit");
    edit.onclick = () => fillStop(s);
    const phone = el("button", { title: "查看完整电话（记录在案）/ show the full number (logged)" }, s.liaison_phone_masked || "-");
    phone.onclick = async () => { phone.textContent = (await api(`/api/v1/stops/${enc(s.id)}/liaison-phone`)).phone; };
    const remove = el("button", { title: "仅限未安排行程的停靠点 / only a stop no visit uses" }, "删除 / remove");
    remove.onclick = async () => {
      try { await api(`/api/v1/stops/${enc(s.id)}`, { method: "DELETE" }); say("stop-msg", `已删除 ${s.name_zh} / removed`); await loadStops(); }
      catch (e) { say("stop-msg", e.message, true); }
    };
    const pdf = el("a", { class: "notice", target: "_blank", title: "给联络员张贴的公告（已发布的行程）/ the notice for the liaison to post" }, "公告 PDF");
    pdf.onclick = () => { const f = $("pub-start").value || cal.today; pdf.href = noticeUrl(s.id, f); };
    pdf.href = noticeUrl(s.id, $("pub-start").value || cal.today);
    return el("tr", { "data-stop": s.id }, el("td", {}, s.village), el("td", {}, s.name_zh), el("td", {}, `${s.radius_m} m`),
      el("td", {}, s.liaison_name, " ", phone), el("td", {}, edit, " ", pdf, " ", remove));
  });
  $("stops-table").replaceChildren(rows.length ? el("table", {}, el("tr", {}, el("th", {}, "乡镇/村"), el("th", {}, "名称 / name"),
    el("th", {}, "半径"), el("th", {}, "联络员 / liaison"), el("th", {})), ...rows) : el("p", { class: "msg" }, "尚无停靠点 / no stops yet"));
}
function noticeUrl(stop, from) {  // the published sessions of the 4 weeks from the publish form's day
  if (!from) return `/api/v1/stops/${enc(stop)}/notice.pdf`;
  const to = new Date(Date.parse(from + "T00:00:00Z") + 27 * 86400000).toISOString().slice(0, 10);
  return `/api/v1/stops/${enc(stop)}/notice.pdf?from=${from}&to=${to}`;
}
function fillStop(s) {
  for (const [id, k] of [["stop-id", "id"], ["stop-name-zh", "name_zh"], ["stop-name-en", "name_en"], ["stop-village", "village"],
    ["stop-lat", "lat"], ["stop-lon", "lon"], ["stop-radius", "radius_m"], ["stop-liaison", "liaison_name"]]) $(id).value = s[k] ?? "";
  $("stop-phone").value = ""; $("stop-phone").placeholder = s.liaison_phone_masked ? `${s.liaison_phone_masked}（重新输入 / type again）` : "";
  setPin(Number(s.lat), Number(s.lon));
}
async function saveStop() {
  const id = $("stop-id").value.trim();
  const body = { name_zh: $("stop-name-zh").value.trim(), name_en: $("stop-name-en").value.trim(), village: $("stop-village").value.trim(),
    lat: Number($("stop-lat").value), lon: Number($("stop-lon").value), radius_m: Number($("stop-radius").value || 80),
    liaison_name: $("stop-liaison").value.trim(), liaison_phone: $("stop-phone").value.trim() };
  if (!id || !body.name_zh || !$("stop-lat").value || !$("stop-lon").value) { say("stop-msg", "请填写编号、名称和位置 / fill in id, name and position", true); return; }
  try {
    await api(`/api/v1/stops/${enc(id)}`, { method: "PUT", body: JSON.stringify(body) });
    say("stop-msg", `已保存 ${body.name_zh} / saved`);
    await loadStops();
  } catch (e) { say("stop-msg", e.message, true); }
}
// The map shows GCJ-02 when the provider needs it; stops are stored WGS-84: invert by iterating the shift.
function gcjToWgs(lat, lon) {
  let p = [lat, lon];
  for (let i = 0; i < 4; i++) { const g = ZtcGcj.wgs2gcj(p[0], p[1]); p = [p[0] - (g[0] - lat), p[1] - (g[1] - lon)]; }
  return p;
}
function setPin(lat, lon) {
  if (!cal.map || !isFinite(lat) || !isFinite(lon)) return;
  const ll = cal.cfg.crs === "gcj02" ? ZtcGcj.wgs2gcj(lat, lon) : [lat, lon];
  if (cal.pin) cal.pin.setLatLng(ll); else cal.pin = L.marker(ll).addTo(cal.map);
  cal.map.setView(ll, Math.max(cal.map.getZoom(), 14));
}

// --- weekly template ------------------------------------------------------------------------------
async function loadTemplates() {
  if (!cal.bus) { $("tpl-list").replaceChildren(); return; }
  const list = await api(`/api/v1/route/${enc(cal.bus)}/templates`);
  $("tpl-list").replaceChildren(list.length ? el("table", {}, ...list.map((t) => {
    const del = el("button", {}, "删除 / remove");
    del.onclick = async () => { await api(`/api/v1/route/${enc(cal.bus)}/templates/${t.id}`, { method: "DELETE" }); await refresh(); };
    return el("tr", { "data-template": t.id }, el("td", {}, t.weekday_zh), el("td", {}, `${t.arrive}–${t.depart}`), el("td", {}, t.name),
      el("td", {}, t.services.join(" ")), el("td", {}, t.theme), el("td", {}, del));
  })) : el("p", { class: "msg" }, "模板为空 / the template is empty"));
}
async function addTemplate() {
  try {
    await post(`/api/v1/route/${enc(cal.bus)}/templates`, { weekday: Number($("tpl-weekday").value), stop: $("tpl-stop").value,
      arrive: $("tpl-arrive").value, depart: $("tpl-depart").value, services: checked("tpl-services"), theme: $("tpl-theme").value.trim() });
    say("tpl-msg", "已加入模板 / added");
    await refresh();
  } catch (e) { say("tpl-msg", e.message, true); }
}

// --- the month --------------------------------------------------------------------------------------
function visitLine(v) {
  const text = `${v.arrive} ${v.name}${v.theme ? " · " + v.theme : ""}`;
  return el("span", { class: `visit ${v.kind}${v.cancelled ? " cancelled" : ""}`, title: `${v.kind_zh} / ${v.kind_en}` }, text);
}
function drawGrid() {
  const heads = WEEK.map((w) => el("div", { class: "head" }, w));
  const first = cal.days.length ? cal.days[0].weekday : 0;
  const blanks = Array.from({ length: first }, () => el("div"));
  const cells = cal.days.map((d) => {
    const mark = d.kind === "holiday" ? `${d.name_zh || "假日"}${d.estimated ? "（预计）" : ""}` : d.kind === "swap_workday" ? `调休上班${d.works_as ? "（按" + WEEK[new Date(d.works_as + "T12:00").getDay() === 0 ? 6 : new Date(d.works_as + "T12:00").getDay() - 1] + "）" : ""}` : "";
    const cls = ["cell", d.kind, d.cancelled_day ? "off" : "", d.date < cal.today ? "past" : "", cal.selected === d.date ? "selected" : ""].join(" ");
    const c = el("div", { class: cls, "data-date": d.date }, el("span", { class: "num" }, Number(d.date.slice(8))), el("span", { class: "mark" }, mark),
      d.cancelled_day ? el("div", { class: "mark" }, `停运：${d.cancelled_day.reason}`) : "", ...d.visits.map(visitLine));
    c.onclick = () => selectDay(d.date);
    return c;
  });
  $("grid").replaceChildren(...heads, ...blanks, ...cells);
}
async function loadMonth() {
  if (!cal.bus) { $("grid").replaceChildren(el("p", { class: "msg" }, "请先选择或添加车辆 / choose or add a bus first")); return; }
  try {
    const m = await api(`/api/v1/route/${enc(cal.bus)}/month?month=${cal.month}`);
    cal.days = m.days; cal.today = m.today;
    if (!$("pub-start").value) $("pub-start").value = m.today;
    $("pub-list").replaceChildren(...m.publications.slice(0, 5).map((p) => el("p", { class: "en" },
      `v${p.version}: ${p.start_day} – ${p.end_day} · ${p.published_by} · ${new Date(p.published_at * 1000).toLocaleString("zh-CN", { hour12: false })}`)));
    say("grid-msg", "");
    drawGrid();
    if (cal.selected) drawDay();
  } catch (e) { say("grid-msg", e.message, true); }
}
function selectDay(iso) {
  cal.selected = iso; $("ses-day").value = iso;
  drawGrid(); drawDay();
}
function drawDay() {
  const d = cal.days.find((x) => x.date === cal.selected);
  if (!d) return;
  $("day-title").textContent = `${d.date} ${d.weekday_zh} · ${d.kind_zh}${d.name_zh ? " · " + d.name_zh : ""}`;
  const rows = d.visits.map((v) => {
    let btn;
    if (v.cancelled) {
      btn = el("button", {}, "恢复 / restore");
      btn.onclick = () => undo(v.exception_id);
    } else if (v.template_id) {
      btn = el("button", {}, "取消此行程 / cancel");
      btn.onclick = () => cancel(v.template_id);
    } else {
      btn = el("button", {}, "删除 / remove");
      btn.onclick = () => undo(v.exception_id);
    }
    return el("tr", { "data-visit": v.template_id || v.exception_id }, el("td", {}, `${v.arrive}–${v.depart}`), el("td", {}, v.name),
      el("td", {}, `${v.kind_zh}${v.theme ? "：" + v.theme : ""}`, v.description ? el("div", { class: "en" }, v.description) : "",
        v.cancelled ? el("div", { class: "msg err" }, `已取消：${v.reason}`) : ""), el("td", {}, btn));
  });
  const off = d.cancelled_day ? (() => { const b = el("button", {}, "恢复当天 / restore the day"); b.onclick = () => undo(d.cancelled_day.id);
    return el("p", { class: "msg err" }, `全天停运：${d.cancelled_day.reason} `, b); })() : "";
  $("day-panel").replaceChildren(off, rows.length ? el("table", {}, ...rows) : el("p", { class: "msg" }, "当天无行程 / nothing planned"));
}
async function cancel(templateId) {
  const reason = $("cancel-reason").value.trim();
  if (!reason) { say("day-msg", "请填写取消原因 / give the reason", true); return; }
  try {
    await post(`/api/v1/route/${enc(cal.bus)}/cancellations`, { day: cal.selected, template_id: templateId || null, reason });
    say("day-msg", "已取消 / cancelled"); await loadMonth();
  } catch (e) { say("day-msg", e.message, true); }
}
async function undo(id) {
  try { await api(`/api/v1/route/${enc(cal.bus)}/exceptions/${id}`, { method: "DELETE" }); say("day-msg", "已撤销 / undone"); await loadMonth(); }
  catch (e) { say("day-msg", e.message, true); }
}
async function addSession() {
  try {
    const body = { day: $("ses-day").value, kind: $("ses-kind").value, stop: $("ses-stop").value, arrive: $("ses-arrive").value,
      depart: $("ses-depart").value, services: checked("ses-services"), theme: $("ses-theme").value.trim(), description: $("ses-desc").value.trim() };
    await post(`/api/v1/route/${enc(cal.bus)}/sessions`, body);
    say("ses-msg", `已加开 ${body.day} / added`);
    if (body.day.slice(0, 7) !== cal.month) { cal.month = body.day.slice(0, 7); $("month").value = cal.month; }
    cal.selected = body.day;
    await loadMonth();
  } catch (e) { say("ses-msg", e.message, true); }
}
async function publish() {
  try {
    const r = await post(`/api/v1/route/${enc(cal.bus)}/publish`, { start: $("pub-start").value || null, weeks: Number($("pub-weeks").value) });
    await loadStops();
    say("pub-msg", `已发布第 ${r.version} 版：${r.from} 至 ${r.to}，共 ${r.visits} 次服务${r.sent ? "，已送达车辆消息服务器" : "，待连接后发送"} / published v${r.version}, ${r.visits} visits`);
    await loadMonth();
  } catch (e) { say("pub-msg", e.message, true); }
}

// --- buses and start ------------------------------------------------------------------------------
async function loadBuses(choose) {
  const list = await api("/api/v1/route/buses");
  if (choose && !list.includes(choose)) list.push(choose);
  $("bus").replaceChildren(...list.map((b) => el("option", { value: b }, b)));
  cal.bus = choose || cal.bus || list[0] || "";
  $("bus").value = cal.bus;
}
async function refresh() { await Promise.all([loadTemplates(), loadMonth()]); }
function shiftMonth(n) {
  const [y, m] = cal.month.split("-").map(Number);
  const d = new Date(Date.UTC(y, m - 1 + n, 1));
  cal.month = d.toISOString().slice(0, 7); $("month").value = cal.month; loadMonth();
}
async function start() {
  const me = await api("/api/v1/me");
  cal.csrf = me.csrf; $("user").textContent = `${me.name} (${me.role})`;
  cal.services = await (await fetch("/api/public/services")).json();
  serviceBoxes("tpl-services"); serviceBoxes("ses-services");
  cal.cfg = await api("/api/v1/map-config");
  if (typeof L !== "undefined") {
    const c = cal.cfg.crs === "gcj02" ? ZtcGcj.wgs2gcj(cal.cfg.center[0], cal.cfg.center[1]) : cal.cfg.center;
    cal.map = L.map("stop-map").setView(c, cal.cfg.zoom);
    if (cal.cfg.tile_url) L.tileLayer(cal.cfg.tile_url, { subdomains: cal.cfg.subdomains, attribution: cal.cfg.attribution, maxZoom: 18 }).addTo(cal.map);
    if (cal.cfg.label_url) L.tileLayer(cal.cfg.label_url, { subdomains: cal.cfg.subdomains, maxZoom: 18, zIndex: 2 }).addTo(cal.map);
    cal.map.on("click", (ev) => {
      const p = cal.cfg.crs === "gcj02" ? gcjToWgs(ev.latlng.lat, ev.latlng.lng) : [ev.latlng.lat, ev.latlng.lng];
      $("stop-lat").value = p[0].toFixed(6); $("stop-lon").value = p[1].toFixed(6); setPin(p[0], p[1]);
    });
  }
  await loadStops();
  await loadBuses();
  const m = cal.bus ? await api(`/api/v1/route/${enc(cal.bus)}/month`) : null;
  cal.month = (m ? m.today : new Date().toISOString()).slice(0, 7); $("month").value = cal.month;
  $("bus").onchange = () => { cal.bus = $("bus").value; refresh(); };
  $("add-bus").onclick = async () => { const b = $("new-bus").value.trim(); if (b) { await loadBuses(b); $("new-bus").value = ""; refresh(); } };
  $("month").onchange = () => { cal.month = $("month").value; loadMonth(); };
  $("prev").onclick = () => shiftMonth(-1); $("next").onclick = () => shiftMonth(1);
  $("stop-save").onclick = saveStop; $("tpl-add").onclick = addTemplate; $("ses-add").onclick = addSession;
  $("cancel-day").onclick = () => cancel(null); $("pub-go").onclick = publish;
  $("ses-kind").onchange = () => { $("ses-theme").required = $("ses-kind").value === "themed"; };
  await refresh();
  cal.ready = true;
}
start().catch((e) => { if (e.message !== "login") say("grid-msg", `错误 / error: ${e.message}`, true); });
