// The resident's phone: rate the ticket's service, or add to its rating (补充评价), with the ticket's
// secret from the QR code (#k=…, never sent in the address to the server). One rating per ticket;
// every later entry is kept beside it. Text is written with textContent only.
"use strict";
const $ = (id) => document.getElementById(id);
function el(tag, attrs, ...kids) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) { if (k === "class") e.className = v; else e.setAttribute(k, v); }
  for (const k of kids) e.append(k instanceof Node ? k : document.createTextNode(k == null ? "" : String(k)));
  return e;
}
const parts = location.pathname.split("/");
const ticket = decodeURIComponent(parts[2] || "");
const key = new URLSearchParams(location.hash.slice(1)).get("k") || "";
const page = { level: null, reasons: new Set(), view: null, ready: false };
window.page = page;
const when = (ts, tz) => new Date(ts * 1000).toLocaleString("zh-CN", { timeZone: tz || "Asia/Shanghai", hour12: false });
$("back").href = `/t/${encodeURIComponent(ticket)}#k=${encodeURIComponent(key)}`;

async function load() {
  const r = await fetch(`/api/public/tickets/${encodeURIComponent(ticket)}/rating?k=${encodeURIComponent(key)}`);
  const body = await r.json().catch(() => ({}));
  if (!r.ok) { $("state").replaceChildren(el("p", { class: "msg err", id: "refused" }, body.detail || "暂时无法评价 / unavailable")); $("form").hidden = true; page.ready = true; return; }
  page.view = body;
  const kids = [el("p", {}, `办事日期 / day of service: ${body.service_day}，评价截至 / rate until: ${body.last_day}`)];
  for (const e of body.entries) {
    kids.push(el("div", { class: `entry ${e.role}`, "data-role": e.role },
      el("b", {}, e.role === "rating" ? "评价 / rating" : "补充评价 / addition"), ` ${when(e.ts)} · ${e.source === "kiosk" ? "车上 / on the bus" : "手机 / phone"}`,
      e.level_text ? el("div", {}, e.level_text) : "", ...(e.reason_texts || []).map((t) => el("div", {}, `· ${t}`)), e.text ? el("div", {}, e.text) : ""));
  }
  $("state").replaceChildren(...kids);
  const has = body.entries.length > 0;
  $("form-title").replaceChildren(has ? "补充评价（可改选等级或写下意见）" : "您对本次服务满意吗？",
    el("span", { class: "en" }, has ? " / add to your rating" : " / how was the service?"));
  $("form").hidden = !body.open;
  if (!body.open) $("state").append(el("p", { class: "msg" }, "评价期已过 / the rating period has ended"));
  $("consent").textContent = `${body.consent_zh} ${body.consent_en}`;
  $("levels").replaceChildren(...Object.entries(body.levels).sort((a, b) => b[0] - a[0]).map(([lv, text]) => {
    const b = el("button", { type: "button", "data-level": lv }, text);
    b.onclick = () => { page.level = page.level === Number(lv) ? null : Number(lv); draw(); };
    return b;
  }));
  $("reasons").replaceChildren(...Object.entries(body.reasons).map(([code, text]) => {
    const b = el("button", { type: "button", "data-reason": code }, text);
    b.onclick = () => { page.reasons.has(code) ? page.reasons.delete(code) : page.reasons.add(code); draw(); };
    return b;
  }));
  draw(); page.ready = true;
}
function draw() {
  for (const b of $("levels").children) b.classList.toggle("chosen", Number(b.dataset.level) === page.level);
  for (const b of $("reasons").children) b.classList.toggle("chosen", page.reasons.has(b.dataset.reason));
  const bad = page.level !== null && page.level <= 2;
  $("reasons-box").hidden = !bad; $("callback-box").hidden = !bad;
}
$("submit").onclick = async () => {
  const bad = page.level !== null && page.level <= 2;
  const body = { k: key, level: page.level, reasons: bad ? [...page.reasons] : [], text: $("text").value,
                 phone: bad ? $("phone").value : "", consent: bad && $("consent-ok").checked };
  const r = await fetch(`/api/public/tickets/${encodeURIComponent(ticket)}/rating`, { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body) });
  const out = await r.json().catch(() => ({}));
  if (!r.ok) { $("msg").textContent = typeof out.detail === "string" ? out.detail : "请检查填写内容 / please check the form"; $("msg").className = "msg err"; return; }
  $("msg").textContent = "感谢您的评价！/ thank you!"; $("msg").className = "msg";
  page.level = null; page.reasons.clear(); $("text").value = ""; $("phone").value = ""; $("consent-ok").checked = false;
  await load();
};
load().catch(() => { $("state").textContent = "暂时无法获取信息 / information unavailable right now"; page.ready = true; });
