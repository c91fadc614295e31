// Staff dashboard: live map over the WebSocket, bus detail, alerts, figures, follow-up cases, publishing.
// Data is only ever written with textContent (never innerHTML), so nothing a bus sends can run as script.
"use strict";
const ztc = { buses: {}, markers: {}, csrf: "", me: null, cfg: null, map: null, selected: null, stats: null, updates: 0 };
window.ztc = ztc;

const $ = (id) => document.getElementById(id);
function el(tag, attrs, ...kids) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) { if (k === "class") e.className = v; else e.setAttribute(k, v); }
  for (const k of kids) e.append(k instanceof Node ? k : document.createTextNode(k == null ? "" : String(k)));
  return e;
}
const fmtTime = (ts) => ts ? new Date(ts * 1000).toLocaleTimeString("zh-CN", {hour12: false}) : "-";
const fmtMin = (s) => s == null ? "-" : (s / 60).toFixed(1);
async function api(path, opts) {
  const o = opts || {};
  const r = await fetch(path, { ...o, headers: { "Content-Type": "application/json", "X-CSRF-Token": ztc.csrf, ...(o.headers || {}) } });
  if (r.status === 401) { location.href = "/login"; throw new Error("login"); }
  const body = await r.json().catch(() => ({}));
  if (!r.ok) throw new Error(typeof body.detail === "string" ? body.detail : JSON.stringify(body.detail));
  return body;
}
const today = () => { const d = new Date(); return new Date(d - d.getTimezoneOffset() * 60000).toISOString().slice(0, 10); };

// --- map ------------------------------------------------------------------------------------------
function display(lat, lon) { return ztc.cfg.crs === "gcj02" ? ZtcGcj.wgs2gcj(lat, lon) : [lat, lon]; }
function isOnline(b) { return b.online && (Date.now() / 1000 - (b.last_seen || 0)) <= ztc.cfg.offline_after_s; }

const ARROW_SVG = '<svg viewBox="0 0 24 24" width="24" height="24"><circle cx="12" cy="12" r="10.5" fill="currentColor" stroke="#fff" stroke-width="2"/><path d="M12 3.5 L17.5 17.5 L12 14 L6.5 17.5 Z" fill="#fff"/></svg>';
// Heading unknown (track null: parked, or a receiver that gives no course): a plain dot, no arrow —
// an arrow at 0° would claim the bus points north.
const DOT_SVG = '<svg viewBox="0 0 24 24" width="24" height="24"><circle cx="12" cy="12" r="10.5" fill="currentColor" stroke="#fff" stroke-width="2"/><circle cx="12" cy="12" r="3.5" fill="#fff"/></svg>';
function markerHtml(id, b) {
  const p = b.position || {}, q = b.queue || {};
  const cls = ["bus-marker", isOnline(b) ? "online" : "offline", p.stop ? "at-stop" : "moving"].join(" ");
  const box = el("div", { class: cls, "data-bus": id });
  const heading = typeof p.track === "number" && Number.isFinite(p.track);
  const arrow = el("div", { class: heading ? "arrow" : "arrow no-heading", title: heading ? `航向 heading ${Math.round(p.track)}°` : "航向未知 heading unknown" });
  arrow.innerHTML = heading ? ARROW_SVG : DOT_SVG;  // constants: no data goes through innerHTML
  if (heading) arrow.style.transform = `rotate(${Math.round(p.track)}deg)`;
  box.append(arrow, el("span", { class: "badge", title: "等候人数 / waiting" }, q.waiting == null ? "-" : q.waiting),
             el("div", { class: "label" }, id));
  return box;
}
function drawBus(id) {
  const b = ztc.buses[id];
  if (!b || !b.position || !ztc.map) return;
  const ll = display(b.position.lat, b.position.lon);
  const icon = L.divIcon({ className: "bus-icon", html: markerHtml(id, b).outerHTML, iconSize: [36, 36], iconAnchor: [18, 18] });
  let m = ztc.markers[id];
  if (!m) {
    m = ztc.markers[id] = L.marker(ll, { icon, title: id }).addTo(ztc.map);
    m.on("click", () => select(id));
  } else { m.setLatLng(ll); m.setIcon(icon); }
}
function drawFleet() {
  const rows = Object.keys(ztc.buses).sort().map((id) => {
    const b = ztc.buses[id], q = b.queue || {};
    const tr = el("tr", {}, el("td", {}, id), el("td", { class: isOnline(b) ? "state-ok" : "state-offline" }, isOnline(b) ? "在线 online" : "离线 offline"),
      el("td", {}, !b.position ? "无定位 no fix" : b.position.stop ? `停靠 ${b.position.stop}` : "行驶 moving"), el("td", {}, q.waiting == null ? "-" : q.waiting));
    tr.style.cursor = "pointer"; tr.onclick = () => select(id);
    return tr;
  });
  $("fleet").replaceChildren(el("table", {}, el("tr", {}, el("th", {}, "车辆 bus"), el("th", {}, "状态 state"), el("th", {}, "位置 where"), el("th", {}, "等候 waiting")), ...rows));
}

// --- live updates ---------------------------------------------------------------------------------
function applyUpdate(u) {
  ztc.updates += 1;
  if (u.type === "hello") { ztc.buses = {}; for (const b of u.buses) ztc.buses[b.id] = b; Object.keys(ztc.buses).forEach(drawBus); drawFleet(); return; }
  const b = ztc.buses[u.bus] || (ztc.buses[u.bus] = { id: u.bus, online: true, position: null, queue: null, health: null });
  b.last_seen = u.received_at;
  if (u.type === "status") b.online = u.online;
  else if (u.type === "position" || u.type === "queue" || u.type === "health") { b[u.type] = u.data; b.online = true; }
  else if (u.type === "events") { scheduleRefresh(); }
  if (u.type === "health" || u.type === "status") alertsSoon();  // a device error shows at once
  drawBus(u.bus); drawFleetSoon();
  if (ztc.selected === u.bus) drawDetailSoon();
}
let fleetTimer = null, detailTimer = null, refreshTimer = null;
function drawFleetSoon() { if (!fleetTimer) fleetTimer = setTimeout(() => { fleetTimer = null; drawFleet(); }, 500); }
function drawDetailSoon() { if (!detailTimer) detailTimer = setTimeout(() => { detailTimer = null; drawDetail(); }, 500); }
let alertsTimer = null;
function alertsSoon() { if (!alertsTimer) alertsTimer = setTimeout(() => { alertsTimer = null; loadAlerts(); }, 1000); }
function scheduleRefresh() { if (!refreshTimer) refreshTimer = setTimeout(() => { refreshTimer = null; loadAlerts(); loadStats(); }, 2000); }
function connect() {
  const ws = new WebSocket(`${location.protocol === "https:" ? "wss" : "ws"}://${location.host}/ws/live`);
  ws.onopen = () => { $("live-state").textContent = "实时 / live"; };
  ws.onmessage = (ev) => applyUpdate(JSON.parse(ev.data));
  ws.onclose = () => { $("live-state").textContent = "重新连接中 / reconnecting"; setTimeout(connect, 2000); };
}

// --- bus detail -----------------------------------------------------------------------------------
function select(id) { ztc.selected = id; showTab("bus"); drawDetail(); }
function drawDetail() {
  const id = ztc.selected, b = ztc.buses[id];
  if (!b) return;
  const q = b.queue || {}, h = b.health || {}, p = b.position || {};
  const kids = [el("h2", {}, `车辆 ${id}`),
    el("p", {}, `${isOnline(b) ? "在线 / online" : "离线 / offline"} · 最后消息 last seen ${fmtTime(b.last_seen)} · `,
      p.stop ? `停靠 / at stop ${p.stop}` : `行驶 / moving ${((p.speed || 0) * 3.6).toFixed(0)} km/h`),
    el("h3", {}, "排队 / queue"),
    el("p", {}, `等候 waiting ${q.waiting ?? "-"} · 办理中 serving ${q.serving ?? "-"} · 窗口 windows ${q.windows_open ?? "-"} · `,
      q.accepting === false ? "停止取号 / not accepting" : "可取号 / accepting"),
    el("table", {}, el("tr", {}, el("th", {}, "业务 service"), el("th", {}, "等候 waiting")),
      ...Object.entries(q.by_service || {}).map(([k, v]) => el("tr", {}, el("td", {}, k), el("td", {}, v)))),
    el("h3", {}, "设备 / devices"),
    el("table", {}, ...Object.entries(h.devices || {}).map(([name, d]) =>
      el("tr", {}, el("td", {}, name), el("td", { class: `state-${d.state}` }, d.state), el("td", {}, d.detail || "")))),
    el("p", { class: "en" }, `待上传 outbox ${h.outbox ? h.outbox.pending : "-"} · 磁盘 disk ${h.disk_free_mb ?? "-"} MB`)];
  const s = ztc.stats && ztc.stats.buses.find((x) => x.bus === id);
  if (s) {
    const t = s.totals;
    kids.push(el("h3", {}, "今日 / the day"), el("p", {}, `取号 tickets ${t.tickets} · 办结 served ${t.served} · 过号 no-shows ${t.no_shows} · 等候中位 wait median ${fmtMin(t.wait_median_s)} 分 · P90 ${fmtMin(t.wait_p90_s)} 分 · 评价 rating ${t.ratings.mean ?? "-"}`));
    kids.push(el("h3", {}, "到站 / arrivals (晚点 lateness)"), el("table", {}, ...s.arrivals.map((a) =>
      el("tr", {}, el("td", {}, a.name), el("td", {}, fmtTime(a.ts)), el("td", {}, a.late_s == null ? "计划外 unplanned" : `${Math.round(a.late_s / 60)} 分 min`)))));
  }
  const replay = el("button", { id: "replay" }, "回放轨迹 / replay day track");
  replay.onclick = () => replayTrack(id);
  kids.push(el("p", {}, replay), el("div", { id: "replay-ctl" }));
  $("bus-detail").replaceChildren(...kids);
}
let trackLayer = null, replayMarker = null;
async function replayTrack(id) {
  const gj = await api(`/api/v1/buses/${encodeURIComponent(id)}/track?date=${$("day").value}`);
  const pts = gj.features.slice(1);
  if (trackLayer) trackLayer.remove();
  if (replayMarker) replayMarker.remove();
  const ll = pts.map((f) => display(f.geometry.coordinates[1], f.geometry.coordinates[0]));
  trackLayer = L.layerGroup([L.polyline(ll, { color: "#b71c1c", weight: 3 }),
    ...pts.filter((f) => f.properties.source === "track").map((f, i) => L.circleMarker(display(f.geometry.coordinates[1], f.geometry.coordinates[0]), { radius: 3, color: "#555" }))]).addTo(ztc.map);
  const ctl = $("replay-ctl");
  if (!pts.length) { ctl.replaceChildren(el("p", { class: "msg" }, "这天没有轨迹 / no track that day")); return; }
  ztc.map.fitBounds(L.latLngBounds(ll).pad(0.2), { animate: false });
  replayMarker = L.circleMarker(ll[0], { radius: 8, color: "#1565c0", fillOpacity: 0.8 }).addTo(ztc.map);
  const label = el("span", {}, fmtTime(pts[0].properties.ts));
  const slider = el("input", { type: "range", min: "0", max: String(pts.length - 1), value: "0", style: "width:100%" });
  slider.oninput = () => { const i = Number(slider.value); replayMarker.setLatLng(ll[i]); label.textContent = `${fmtTime(pts[i].properties.ts)} ${pts[i].properties.source === "track" ? "(补传 back-filled)" : ""}`; };
  const play = el("button", {}, "播放 / play");
  play.onclick = () => { let i = 0; const t = setInterval(() => { if (i >= pts.length) { clearInterval(t); return; } slider.value = String(i++); slider.oninput(); }, 50); };
  ctl.replaceChildren(el("p", {}, `${pts.length} 个位置 positions（实时 live ${gj.features[0].properties.live}，补传 back-filled ${gj.features[0].properties.recorded}）`), slider, label, play);
}

// --- alerts, figures, cases -----------------------------------------------------------------------
async function loadAlerts() {
  const list = await api("/api/v1/alerts");
  $("alert-count").textContent = String(list.length);
  $("alerts").replaceChildren(...(list.length ? list.map((a) => el("div", { class: `alert ${a.severity}` }, `[${a.bus}] ${a.text}`, el("span", { class: "en" }, ` · ${fmtTime(a.since)}`)))
    : [el("p", { class: "msg" }, "没有告警 / no alerts")]));
}
function bars(svg, labels, series, colors) {
  const W = svg.clientWidth || 400, H = 140, pad = 22;
  const max = Math.max(1, ...series.flat().filter((v) => v != null));
  const n = labels.length || 1, gw = Math.min(60, (W - pad) / n), bw = Math.max(2, (gw - 4) / series.length);
  const ns = "http://www.w3.org/2000/svg";
  const kids = [];
  labels.forEach((lab, i) => {
    series.forEach((s, j) => {
      const v = s[i] || 0, h = (H - 2 * pad) * v / max;
      const r = document.createElementNS(ns, "rect");
      r.setAttribute("x", pad + i * gw + j * bw); r.setAttribute("y", H - pad - h); r.setAttribute("width", bw - 1); r.setAttribute("height", h); r.setAttribute("fill", colors[j]);
      const t = document.createElementNS(ns, "title"); t.textContent = `${lab}: ${v}`; r.append(t); kids.push(r);
    });
    const tx = document.createElementNS(ns, "text");
    tx.setAttribute("x", pad + i * gw + 2); tx.setAttribute("y", H - 6); tx.setAttribute("font-size", "10"); tx.textContent = lab; kids.push(tx);
  });
  const mx = document.createElementNS(ns, "text"); mx.setAttribute("x", 0); mx.setAttribute("y", 12); mx.setAttribute("font-size", "10"); mx.textContent = String(Math.round(max)); kids.push(mx);
  svg.replaceChildren(...kids);
}
function figuresTable(rows, key) {
  return el("table", {}, el("tr", {}, ...["", "取号 tickets", "办结 served", "过号 no-show", "等候中位/P90 分 wait", "办理中位 分 service", "评价 rating"].map((h) => el("th", {}, h))),
    ...rows.map((r) => el("tr", {}, el("td", {}, r[key]), el("td", {}, r.tickets), el("td", {}, r.served), el("td", {}, r.no_shows),
      el("td", {}, `${fmtMin(r.wait_median_s)} / ${fmtMin(r.wait_p90_s)}`), el("td", {}, fmtMin(r.service_median_s)), el("td", {}, r.ratings.mean ?? "-"))));
}
async function loadStats() {
  const day = $("day").value;
  ztc.stats = await api(`/api/v1/stats?date=${day}`);
  $("csv").href = `/api/v1/stats.csv?date=${day}`; $("pdf").href = `/api/v1/report.pdf?date=${day}`;
  const hours = {};
  for (const b of ztc.stats.buses) for (const h of b.by_hour) hours[h.hour] = (hours[h.hour] || 0) + h.tickets;
  const hs = Object.keys(hours).map(Number).sort((a, b) => a - b);
  bars($("chart-hours"), hs.map((h) => String(h)), [hs.map((h) => hours[h])], ["#b71c1c"]);
  const svc = ztc.stats.buses.flatMap((b) => b.by_service.map((s) => ({ ...s, service: `${b.bus}:${s.service}` })));
  bars($("chart-wait"), svc.map((s) => s.service), [svc.map((s) => (s.wait_median_s || 0) / 60), svc.map((s) => (s.wait_p90_s || 0) / 60)], ["#1565c0", "#90caf9"]);
  const lv = ztc.stats.fleet.ratings.by_level;
  bars($("chart-ratings"), ["1", "2", "3", "4", "5"], [["1", "2", "3", "4", "5"].map((k) => lv[k])], ["#2e7d32"]);
  $("by-service").replaceChildren(figuresTable(svc, "service"));
  $("by-stop").replaceChildren(figuresTable(ztc.stats.buses.flatMap((b) => b.by_stop.map((s) => ({ ...s, name: `${b.bus}:${s.name}` }))), "name"));
  if (ztc.selected) drawDetail();
}
async function loadCases() {
  const list = await api(`/api/v1/cases${$("cases-all").checked ? "" : "?status=open"}`);
  $("cases").replaceChildren(...(list.length ? list.map(caseCard) : [el("p", { class: "msg" }, "没有待整改的差评 / no open cases")]));
}
function caseCard(c) {
  const who = el("input", { placeholder: "负责人 / assignee" }); who.value = c.assignee || "";
  const due = el("input", { type: "date" }); due.value = new Date(c.deadline * 1000).toISOString().slice(0, 10);
  const res = el("textarea", { rows: "2", placeholder: "整改结果 / resolution" }); res.value = c.resolution || "";
  const msg = el("p", { class: "msg" });
  const send = async (close) => {
    try { await api(`/api/v1/cases/${encodeURIComponent(c.id)}`, { method: "POST", body: JSON.stringify({ assignee: who.value, deadline: Date.parse(due.value) / 1000, resolution: res.value, close }) });
      msg.textContent = "已保存 / saved"; loadCases(); loadAlerts(); } catch (e) { msg.className = "msg err"; msg.textContent = e.message; }
  };
  const save = el("button", {}, "保存 / save"); save.onclick = () => send(false);
  const close = el("button", { class: "primary" }, "结案 / close"); close.onclick = () => send(true);
  return el("div", { class: "case", "data-case": c.id },
    el("b", {}, `${c.level_text} · ${c.bus} · ${c.number || ""} · 业务 ${c.service || ""} · 窗口 ${c.window || ""} · ${c.crew || ""}`),
    el("p", {}, c.reasons.map((r) => r.text).join("；")), el("p", { class: "en" }, `${fmtTime(c.ts)} · 状态 ${c.status}`), who, due, res, save, close, msg);
}

// --- publishing ------------------------------------------------------------------------------------
function busOptions() {
  for (const sel of [$("ann-bus"), $("doc-bus")]) {
    const cur = sel.value;
    sel.replaceChildren(...Object.keys(ztc.buses).sort().map((id) => el("option", { value: id }, id)));
    if (cur) sel.value = cur;
  }
}
async function loadDocs() {
  const docs = await api("/api/v1/documents");
  $("doc-list").replaceChildren(el("table", {}, el("tr", {}, el("th", {}, "文档 kind"), el("th", {}, "车辆 bus"), el("th", {}, "版本 version"), el("th", {}, "已发送 sent")),
    ...docs.map((d) => el("tr", {}, el("td", {}, d.kind), el("td", {}, d.bus || "全部 fleet"), el("td", {}, d.version), el("td", {}, d.sent ? "是 yes" : "待发 waiting")))));
}
async function loadCurrentDoc() {
  const docs = await api("/api/v1/documents"), kind = $("doc-kind").value, bus = $("doc-bus").value;
  const d = docs.find((x) => x.kind === kind && (kind === "catalog" || x.bus === bus));
  $("doc-body").value = d ? JSON.stringify(d.document, null, 1) : "";
}
async function publishDoc() {
  const kind = $("doc-kind").value, bus = $("doc-bus").value, msg = $("doc-msg");
  try {
    const body = JSON.parse($("doc-body").value);
    const url = kind === "catalog" ? "/api/v1/documents/catalog" : `/api/v1/documents/${kind}/${encodeURIComponent(bus)}`;
    const r = await api(url, { method: "POST", body: JSON.stringify(body) });
    msg.className = "msg"; msg.textContent = `已发布 版本 ${r.version} / published version ${r.version}${r.sent ? "" : "（等待连接 / waiting for the broker）"}`;
    loadDocs();
  } catch (e) { msg.className = "msg err"; msg.textContent = e instanceof SyntaxError ? `JSON 格式错误 / not JSON: ${e.message}` : e.message; }
}
async function announce() {
  const msg = $("ann-msg");
  try {
    await api(`/api/v1/buses/${encodeURIComponent($("ann-bus").value)}/announce`, { method: "POST", body: JSON.stringify({ text_zh: $("ann-zh").value, text_en: $("ann-en").value }) });
    msg.className = "msg"; msg.textContent = "已发送 / sent";
  } catch (e) { msg.className = "msg err"; msg.textContent = e.message; }
}

// --- start ----------------------------------------------------------------------------------------
function showTab(name) {
  document.querySelectorAll("nav.tabs button").forEach((b) => b.classList.toggle("active", b.dataset.tab === name));
  document.querySelectorAll("section.tab").forEach((s) => s.classList.toggle("active", s.id === `tab-${name}`));
  if (name === "cases") loadCases(); if (name === "publish") { busOptions(); loadDocs(); } if (name === "figures") loadStats();
}
async function start() {
  const me = await api("/api/v1/me");
  ztc.me = me; ztc.csrf = me.csrf;
  $("user").textContent = `${me.name} (${me.role})`;
  ztc.cfg = await api("/api/v1/map-config");
  $("day").value = today();
  if (typeof L !== "undefined") {
    ztc.map = L.map("map").setView(display(ztc.cfg.center[0], ztc.cfg.center[1]), ztc.cfg.zoom);
    if (ztc.cfg.tile_url) L.tileLayer(ztc.cfg.tile_url, { subdomains: ztc.cfg.subdomains, attribution: ztc.cfg.attribution, maxZoom: 18 }).addTo(ztc.map);
    if (ztc.cfg.label_url) L.tileLayer(ztc.cfg.label_url, { subdomains: ztc.cfg.subdomains, maxZoom: 18, zIndex: 2 }).addTo(ztc.map); // place names (cva_w) over vec_w
  } else { $("map").textContent = "地图库未安装，请运行 make setup / Leaflet is not installed: run make setup"; }
  document.querySelectorAll("nav.tabs button").forEach((b) => { b.onclick = () => showTab(b.dataset.tab); });
  $("logout").onclick = async () => { await api("/api/v1/logout", { method: "POST" }).catch(() => {}); location.href = "/login"; };
  $("day").onchange = loadStats; $("cases-all").onchange = loadCases;
  $("doc-publish").onclick = publishDoc; $("doc-load").onclick = loadCurrentDoc; $("ann-send").onclick = announce;
  connect();
  loadAlerts(); loadStats();
  setInterval(() => { loadAlerts(); drawFleet(); Object.keys(ztc.buses).forEach(drawBus); }, 30000);
  ztc.ready = true;
}
start().catch((e) => { if (e.message !== "login") $("live-state").textContent = `错误 / error: ${e.message}`; });
