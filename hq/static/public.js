// Public page: where each bus is, how many wait per service, upcoming stops. Reads only /api/public/*.
"use strict";
const $ = (id) => document.getElementById(id);
function el(tag, attrs, ...kids) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) { if (k === "class") e.className = v; else e.setAttribute(k, v); }
  for (const k of kids) e.append(k instanceof Node ? k : document.createTextNode(k == null ? "" : String(k)));
  return e;
}
const hm = (ts) => new Date(ts * 1000).toLocaleString("zh-CN", { month: "numeric", day: "numeric", hour: "2-digit", minute: "2-digit", hour12: false });
let cfg = null, map = null, services = {};
const markers = {};
const display = (lat, lon) => cfg.crs === "gcj02" ? ZtcGcj.wgs2gcj(lat, lon) : [lat, lon];

function card(b) {
  const q = b.queue, p = b.position;
  const where = !b.online ? "暂时离线 / offline for now" : p && p.stop ? "正在停靠服务 / serving at a stop" : p && p.moving ? "行驶中 / on the way" : "停车 / parked";
  const kids = [el("h2", {}, `${b.id}`), el("p", { class: b.online ? "status-online" : "status-offline" }, where)];
  if (q && b.online) {
    kids.push(el("p", {}, "正在等候 / waiting: ", el("span", { class: "big" }, q.waiting ?? "-"), q.accepting === false ? " · 今日已停止取号 / no more tickets today" : ""));
    kids.push(el("table", {}, el("tr", {}, el("th", {}, "业务 / service"), el("th", {}, "等候 / waiting")),
      ...Object.entries(q.by_service).map(([k, v]) => el("tr", {}, el("td", {}, services[k] || k), el("td", {}, v)))));
  }
  kids.push(el("h3", {}, "接下来 / next stops"));
  kids.push(b.upcoming.length ? el("table", {}, el("tr", {}, el("th", {}, "地点 / place"), el("th", {}, "时间 / time"), el("th", {}, "业务 / services")),
    ...b.upcoming.map((v) => el("tr", {}, el("td", {}, v.name, v.theme ? ` · ${v.theme}` : ""), el("td", {}, `${hm(v.arrive)}–${hm(v.depart).slice(-5)}`), el("td", {}, v.services.join(" ")))))
    : el("p", { class: "en" }, "暂无安排 / nothing scheduled"));
  return el("div", { class: "card", "data-bus": b.id }, ...kids);
}
async function load() {
  const r = await fetch("/api/public/buses");
  const list = await r.json();
  $("buses").replaceChildren(...(list.length ? list.map(card) : [el("p", {}, "暂无车辆信息 / no bus information yet")]));
  if (!map) return;
  for (const b of list) {
    if (!b.position) continue;
    const ll = display(b.position.lat, b.position.lon);
    if (markers[b.id]) markers[b.id].setLatLng(ll);
    else markers[b.id] = L.marker(ll, { title: b.id }).addTo(map);
  }
  const pts = list.filter((b) => b.position).map((b) => display(b.position.lat, b.position.lon));
  if (pts.length) map.fitBounds(L.latLngBounds(pts).pad(0.3), { maxZoom: 15 });
}
async function start() {
  cfg = await (await fetch("/api/v1/map-config")).json();
  services = await (await fetch("/api/public/services")).json();
  if (typeof L !== "undefined") {
    map = L.map("pmap").setView(display(cfg.center[0], cfg.center[1]), cfg.zoom);
    if (cfg.tile_url) L.tileLayer(cfg.tile_url, { subdomains: cfg.subdomains, attribution: cfg.attribution, maxZoom: 18 }).addTo(map);
    if (cfg.label_url) L.tileLayer(cfg.label_url, { subdomains: cfg.subdomains, maxZoom: 18, zIndex: 2 }).addTo(map); // place names (cva_w) over vec_w
  } else { $("pmap").style.display = "none"; }
  await load();
  window.ztcPublicReady = true;
  setInterval(load, 30000);
}
start().catch(() => { $("buses").textContent = "暂时无法获取信息 / information unavailable right now"; });
