// Hotline booking desk: the duty operator books a caller at a stop visit's slot or at home, reads out
// the code, changes and cancels; the day's list per bus. Data is only written with textContent.
"use strict";
const desk = { csrf: "", bus: "", day: "", services: [], slots: null, chosen: null, editing: null, pin: null, map: null, cfg: null, ready: false };
window.desk = desk;
useCsrf(() => desk.csrf);
const kind = () => ($("kind-home").checked ? "home" : "stop");

// --- services --------------------------------------------------------------------------------------
async function loadServices() {
  const docs = await api("/api/v1/documents");
  const cat = docs.find((d) => d.kind === "catalog");
  desk.services = cat ? cat.document.services : [];
  $("b-service").replaceChildren(...desk.services.map((s) => el("option", { value: s.code }, `${s.code} ${s.name_zh} / ${s.name_en}`)));
  fillItems();
}
function fillItems() {
  const s = desk.services.find((x) => x.code === $("b-service").value);
  $("b-item").replaceChildren(el("option", { value: "" }, "（不指定 / any）"),
    ...(s ? s.items : []).map((i) => el("option", { value: i.code }, `${i.code} ${i.name_zh}`)));
  drawSlots();
}

// --- the bus's published visits and their slots ----------------------------------------------------
async function loadSlots() {
  desk.slots = await api(`/api/v1/appointments/slots?bus=${enc(desk.bus)}&date=${desk.day}`);
  const d = desk.slots.day;
  $("day-kind").textContent = `${d.date} · ${d.kind_zh}${d.name_zh ? " · " + d.name_zh : ""}` +
    (desk.slots.published ? "" : " · 该车尚未发布行程 / this bus has no published schedule yet");
  $("home-taken").textContent = desk.slots.home_visits.length ? "当天已有上门 / home visits that day: " +
    desk.slots.home_visits.map((h) => `${h.start}–${h.end} ${h.place}`).join("；") : "";
  drawSlots();
}
function drawSlots() {
  if (!desk.slots) return;
  const service = $("b-service").value;
  const boxes = desk.slots.visits.map((v) => {
    const offered = v.services.includes(service);
    const head = el("div", {}, el("b", {}, `${v.start}–${v.end} ${v.name}`), v.theme ? ` · ${v.theme}` : "",
      el("span", { class: "en" }, ` 办理 / offers ${v.services.join(" ")}`));
    const slots = v.slots.map((s) => {
      const id = `slot-${v.stop}-${s.start}`;
      const input = el("input", { type: "radio", name: "slot", id, value: String(s.start), "data-stop": v.stop });
      input.disabled = !offered || s.free === 0 || s.past;
      if (desk.chosen && desk.chosen.stop === v.stop && desk.chosen.start === s.start) input.checked = true;
      input.onchange = () => { desk.chosen = { stop: v.stop, start: s.start }; };
      return el("label", { class: `slot${s.free === 0 ? " full" : ""}` }, input, ` ${s.label} 余 ${s.free}`);
    });
    return el("div", { class: "visit-slots" }, head, ...(offered ? slots : [el("span", { class: "msg err" }, "此行程不办理该服务 / this visit does not offer the service")]));
  });
  $("slots").replaceChildren(...(boxes.length ? boxes : [el("p", { class: "msg" }, "当天没有已发布的行程 / no published visit that day")]));
}

// --- the day's list ----------------------------------------------------------------------------------
async function loadList() {
  $("print").href = `/booking/day?bus=${enc(desk.bus)}&date=${desk.day}`;
  $("list-title").textContent = `${desk.bus} · ${desk.day}`;
  try {
    const out = await api(`/api/v1/appointments?bus=${enc(desk.bus)}&date=${desk.day}`);
    desk.items = out.items;
    const rows = out.items.map((b) => {
      const phone = el("button", { class: "phone", title: "查看完整电话（记录在审计日志）/ show the full number (audited)" }, b.phone_masked);
      phone.onclick = async () => { phone.textContent = (await api(`/api/v1/appointments/${b.id}/phone`)).phone; };
      const acts = el("td", {});
      if (b.status === "booked") {
        const edit = el("button", { class: "edit" }, "修改 / change");
        edit.onclick = () => startEdit(b);
        const cancel = el("button", { class: "cancel" }, "取消 / cancel");
        cancel.onclick = () => cancelBooking(b);
        acts.append(edit, " ", cancel);
      } else acts.append(el("span", { class: "msg" }, `已取消 ${b.cancel_reason}`));
      return el("tr", { "data-booking": b.id, "data-code": b.code, class: `${b.kind} ${b.status}` },
        el("td", {}, `${b.start}–${b.end}`), el("td", {}, b.kind_zh, el("div", { class: "en" }, b.place)),
        el("td", {}, b.name, el("div", {}, phone)), el("td", {}, `${b.service} ${b.service_zh}`, el("div", { class: "en" }, b.item_zh)),
        el("td", {}, b.need_zh, b.note ? el("div", { class: "en" }, b.note) : ""), el("td", {}, el("b", {}, b.code)), acts);
    });
    $("list").replaceChildren(rows.length ? el("table", {}, el("tr", {}, el("th", {}, "时间 / when"), el("th", {}, "地点 / where"),
      el("th", {}, "来电人 / who"), el("th", {}, "事项 / what"), el("th", {}, "需求 / needs"), el("th", {}, "预约码 / code"), el("th", {})), ...rows)
      : el("p", { class: "msg" }, "当天没有预约 / no bookings that day"));
    say("list-msg", "");
  } catch (e) { say("list-msg", e.message, true); }
}
async function refresh() { await Promise.all([loadSlots().catch((e) => say("book-msg", e.message, true)), loadList()]); }

// --- booking, changing, cancelling -------------------------------------------------------------------
function formBody() {
  const body = { kind: kind(), service: $("b-service").value, item: $("b-item").value, name: $("b-name").value.trim() };
  if ($("b-phone").value.trim() || !desk.editing) body.phone = $("b-phone").value.trim();
  if (body.kind === "stop") {
    const r = document.querySelector("input[name=slot]:checked");
    if (r) { body.stop = r.dataset.stop; body.slot_start = Number(r.value); }
  } else {
    Object.assign(body, { day: desk.day, start: $("h-start").value, end: $("h-end").value, address: $("h-address").value.trim(),
      need: $("h-need").value, note: $("h-note").value.trim() });
    if (desk.pin) { body.lat = desk.pin[0]; body.lon = desk.pin[1]; }
  }
  return body;
}
async function book() {
  const body = formBody();
  if (!body.name || (!desk.editing && !body.phone)) { say("book-msg", "请填写来电人姓名和电话 / fill in the caller's name and phone", true); return; }
  if (body.kind === "stop" && !body.stop) { say("book-msg", "请选择一个时段 / choose a slot", true); return; }
  try {
    const out = desk.editing
      ? await api(`/api/v1/appointments/${desk.editing}`, { method: "PATCH", body: JSON.stringify(body) })
      : await api("/api/v1/appointments", { method: "POST", body: JSON.stringify({ bus: desk.bus, ...body }) });
    showResult(out);
    say("book-msg", desk.editing ? "已修改，车辆已更新 / changed; the bus is told" : "已预约 / booked");
    stopEdit(); clearForm();
    await refresh();
  } catch (e) { say("book-msg", e.message, true); }
}
function showResult(out) {
  $("result-box").hidden = false;
  $("result-code").textContent = out.booking.code;
  $("result-text").textContent = out.confirmation;
  $("result-sms").textContent = out.sms.text_zh;
  const p = out.published;
  $("result-bus").textContent = `下发车辆 / to the bus: 预约 appointments v${p.appointments.version}${p.schedule ? `，行程 schedule v${p.schedule.version}` : ""}` +
    (p.appointments.sent ? "（已交给消息服务器 / handed to the broker）" : "（待连接后发送 / goes when the broker is reachable）");
}
async function cancelBooking(b) {
  const reason = prompt(`取消 ${b.start} ${b.name} 的预约？原因 / cancel this booking? reason:`, "来电取消");
  if (reason === null) return;
  try {
    const out = await api(`/api/v1/appointments/${b.id}?reason=${enc(reason)}`, { method: "DELETE" });
    showResult(out); say("book-msg", "已取消，车辆已更新 / cancelled; the bus is told");
    await refresh();
  } catch (e) { say("book-msg", e.message, true); }
}
function startEdit(b) {
  desk.editing = b.id;
  $("form-title").textContent = `修改预约 ${b.code} / change booking`;
  $("book").textContent = "保存修改 / save the change"; $("edit-cancel").hidden = false;
  $("b-name").value = b.name; $("b-phone").value = ""; $("b-phone").placeholder = `${b.phone_masked}（不改则留空 / leave empty to keep）`;
  $("b-service").value = b.service; fillItems(); $("b-item").value = b.item;
  $(b.kind === "home" ? "kind-home" : "kind-stop").checked = true; showKind();
  if (b.kind === "home") {
    $("h-start").value = b.start; $("h-end").value = b.end; $("h-address").value = b.address; $("h-need").value = b.need; $("h-note").value = b.note;
    setPin(b.lat, b.lon);
  } else { desk.chosen = { stop: b.stop, start: b.slot_start }; drawSlots(); }
}
function stopEdit() {
  desk.editing = null; $("form-title").textContent = "新预约 / new booking"; $("book").textContent = "预约 / book";
  $("edit-cancel").hidden = true; $("b-phone").placeholder = "";
}
function clearForm() {
  for (const id of ["b-name", "b-phone", "h-address", "h-note"]) $(id).value = "";
  $("h-need").value = ""; desk.chosen = null; desk.pin = null; $("h-pin").value = "";
  if (desk.marker) { desk.marker.remove(); desk.marker = null; }
}
function showKind() {
  $("stop-part").hidden = kind() !== "stop"; $("home-part").hidden = kind() !== "home";
  if (kind() === "home" && desk.map) setTimeout(() => desk.map.invalidateSize(), 0);
}

// --- the map pin of a home visit (stored WGS-84; shown GCJ-02 when the tiles need it) -------------------
function gcjToWgs(lat, lon) {
  let p = [lat, lon];
  for (let i = 0; i < 4; i++) { const g = ZtcGcj.wgs2gcj(p[0], p[1]); p = [p[0] - (g[0] - lat), p[1] - (g[1] - lon)]; }
  return p;
}
function setPin(lat, lon) {
  if (lat == null || lon == null) return;
  desk.pin = [Number(lat.toFixed(6)), Number(lon.toFixed(6))];
  $("h-pin").value = `${desk.pin[0]}, ${desk.pin[1]}`;
  if (!desk.map) return;
  const ll = desk.cfg.crs === "gcj02" ? ZtcGcj.wgs2gcj(lat, lon) : [lat, lon];
  if (desk.marker) desk.marker.setLatLng(ll); else desk.marker = L.marker(ll).addTo(desk.map);
}

async function init() {
  const me = await api("/api/v1/me");
  desk.csrf = me.csrf; $("user").textContent = `${me.name} (${me.role})`;
  const params = new URLSearchParams(location.search);
  const buses = await api("/api/v1/route/buses");
  $("bus").replaceChildren(...buses.map((b) => el("option", { value: b }, b)));
  desk.bus = params.get("bus") || buses[0] || ""; $("bus").value = desk.bus;
  // "Today" is the county's (hq.timezone), as the server says it, never the browser's.
  desk.day = params.get("date") || (await api(`/api/v1/appointments?bus=${enc(desk.bus || "bus")}`)).date;
  $("day").value = desk.day;
  desk.cfg = await api("/api/v1/map-config");
  if (window.L) {
    const c = desk.cfg.crs === "gcj02" ? ZtcGcj.wgs2gcj(desk.cfg.center[0], desk.cfg.center[1]) : desk.cfg.center;
    desk.map = L.map("home-map").setView(c, desk.cfg.zoom);
    if (desk.cfg.tile_url) L.tileLayer(desk.cfg.tile_url, { subdomains: desk.cfg.subdomains, attribution: desk.cfg.attribution, maxZoom: 18 }).addTo(desk.map);
    if (desk.cfg.label_url) L.tileLayer(desk.cfg.label_url, { subdomains: desk.cfg.subdomains, maxZoom: 18, zIndex: 2 }).addTo(desk.map);
    desk.map.on("click", (ev) => {
      const p = desk.cfg.crs === "gcj02" ? gcjToWgs(ev.latlng.lat, ev.latlng.lng) : [ev.latlng.lat, ev.latlng.lng];
      setPin(p[0], p[1]);
    });
  }
  await loadServices();
  $("b-service").onchange = fillItems;
  $("bus").onchange = () => { desk.bus = $("bus").value; desk.chosen = null; refresh(); };
  $("day").onchange = () => { desk.day = $("day").value; desk.chosen = null; refresh(); };
  for (const r of document.querySelectorAll("input[name=kind]")) r.onchange = showKind;
  $("book").onclick = book;
  $("edit-cancel").onclick = () => { stopEdit(); clearForm(); drawSlots(); };
  await refresh();
  desk.ready = true;
}
init().catch((e) => say("book-msg", e.message, true));
