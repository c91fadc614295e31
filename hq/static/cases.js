// 差评整改 page: the figures, the cases, and each step of a case as a form (take, callback, verify,
// action with evidence, re-check by another person). Everything is written with textContent.
"use strict";
const cs = { csrf: "", me: "", role: "", tz: "Asia/Shanghai", vocab: null, current: null, ready: false };
window.cs = cs;
useCsrf(() => cs.csrf);
// Times in the county's zone as the API names it (hq.timezone), never the browser's.
const when = (ts) => ts == null ? "" : new Date(ts * 1000).toLocaleString("zh-CN", { timeZone: cs.tz, hour12: false });
const pct = (v) => v == null ? "—" : `${(v * 100).toFixed(1)}%`;
function sayStep(text, err) { $("d-msg").textContent = text; $("d-msg").className = err ? "msg err" : "msg"; }

async function loadFigures() {
  const f = await api("/api/v1/cases/figures");
  const fig = (id, zh, en, v) => el("div", { class: "fig", id }, zh, " ", el("span", { class: "en" }, en), el("b", {}, v));
  $("figures").replaceChildren(fig("f-good", "好评率", "good rate", pct(f.good_rate)), fig("f-bad", "差评数", "bad ratings", f.bad),
    fig("f-callback", "回访率", "callback rate", pct(f.callback_rate)), fig("f-fix", "整改率", "fix rate", pct(f.fix_rate)),
    fig("f-days", "平均办结天数", "avg days to close", f.avg_days_to_close == null ? "—" : f.avg_days_to_close),
    fig("f-overdue", "超期", "overdue", f.overdue));
}
async function loadList() {
  const status = $("filter").value;
  const list = await api(`/api/v1/cases${status ? `?status=${enc(status)}` : ""}`);
  $("list").tBodies[0].replaceChildren(...list.map((c) => {
    const tr = el("tr", { "data-case": c.id, class: c.overdue ? "overdue" : "" }, el("td", {}, c.number || c.id), el("td", {}, c.bus),
      el("td", {}, c.level_text), el("td", {}, c.status_text + (c.escalated_at ? " · 已上报 / escalated" : "")), el("td", {}, c.handler || "—"), el("td", {}, when(c.due)));
    tr.onclick = () => open(c.id);
    return tr;
  }));
  $("list-msg").textContent = list.length ? "" : "没有整改单 / no cases";
}
function show(id, on) { $(id).hidden = !on; }
async function open(id) {
  const c = await api(`/api/v1/cases/${enc(id)}`);
  cs.current = c; $("detail").hidden = false; sayStep("");
  $("d-title").textContent = `${c.number || ""} · ${c.status_text}`;
  $("d-info").replaceChildren(
    el("p", {}, `车辆 / bus ${c.bus} · 窗口 / window ${c.window ?? "—"} · 业务 / service ${c.service ?? "—"}`),
    ...c.ratings.map((r) => el("p", { class: "rating" }, `${r.role === "rating" ? "评价" : "补充评价"} ${when(r.ts)} (${r.source}) ${r.level_text || ""} ${(r.reason_texts || []).join("；")} ${r.text || ""}`)),
    el("p", {}, `回访 / callback: ${c.callback_wanted ? `要求回访 ${c.phone_masked || "（号码已删除）"}` : "未留电话 / no number"} · 期限 / due ${when(c.due)}`),
    c.reason_class_text ? el("p", {}, `核实结论 / finding: ${c.reason_class_text}`) : "",
    c.resolution ? el("p", {}, `整改结果 / resolution: ${c.resolution}`) : "");
  const mine = c.handler === cs.me, openCase = c.status !== "closed";
  show("s-assign", openCase && (!c.handler || cs.role === "admin")); $("take").hidden = !!c.handler; $("admin-assign").hidden = cs.role !== "admin";
  show("s-phone", mine && c.callback_wanted && !!c.phone_masked); $("phone").textContent = "";
  show("s-callback", mine && c.status === "callback"); show("s-verify", mine && c.status === "verify");
  show("s-action", mine && c.status === "action"); show("s-recheck", c.status === "recheck" && c.acted_by !== cs.me);
  $("evidence").replaceChildren(...c.evidence.map((e) => el("li", {}, el("a", { href: `/api/v1/cases/${enc(c.id)}/evidence/${enc(e.id)}`, target: "_blank" }, e.name), ` ${Math.round(e.size / 1024)} KB · ${e.actor} · ${when(e.at)}`)));
  $("steps").tBodies[0].replaceChildren(...c.steps.map((s) => el("tr", { "data-step": s.step }, el("td", {}, when(s.at)), el("td", {}, s.step), el("td", {}, s.actor), el("td", {}, s.note))));
}
async function act(body) {
  try { await post(`/api/v1/cases/${enc(cs.current.id)}/steps`, body); await Promise.all([open(cs.current.id), loadList(), loadFigures()]); sayStep("已保存 / saved"); }
  catch (e) { sayStep(e.message, true); }
}
$("take").onclick = async () => { try { await post(`/api/v1/cases/${enc(cs.current.id)}/assign`, { handler: cs.me }); await open(cs.current.id); await loadList(); } catch (e) { sayStep(e.message, true); } };
$("assign").onclick = async () => { try { await post(`/api/v1/cases/${enc(cs.current.id)}/assign`, { handler: $("assign-to").value }); await open(cs.current.id); await loadList(); } catch (e) { sayStep(e.message, true); } };
$("show-phone").onclick = async () => { try { $("phone").textContent = (await post(`/api/v1/cases/${enc(cs.current.id)}/phone`, {})).phone; } catch (e) { sayStep(e.message, true); } };
$("do-callback").onclick = () => act({ step: "callback", note: $("callback-note").value });
$("do-verify").onclick = () => act({ step: "verify", note: $("verify-note").value, reason_class: $("verify-class").value });
$("do-action").onclick = () => act({ step: "action", note: $("action-note").value });
$("recheck-ok").onclick = () => act({ step: "recheck", note: $("recheck-note").value, ok: true });
$("recheck-back").onclick = () => act({ step: "recheck", note: $("recheck-note").value, ok: false });
$("upload").onclick = async () => {
  const f = $("evidence-file").files[0];
  if (!f) { sayStep("请选择照片或 PDF / choose a photo or PDF", true); return; }
  try { await api(`/api/v1/cases/${enc(cs.current.id)}/evidence?name=${enc(f.name)}`, { method: "POST", body: f, headers: { "Content-Type": f.type } }); await open(cs.current.id); sayStep("已上传 / attached"); }
  catch (e) { sayStep(e.message, true); }
};
$("filter").onchange = loadList;
async function start() {
  const v = await api("/api/v1/cases/vocabulary");
  cs.vocab = v; cs.me = v.me; cs.role = v.role; cs.tz = v.tz; $("user").textContent = `${v.me} (${v.role})`;
  cs.csrf = (await api("/api/v1/me")).csrf;
  $("verify-class").replaceChildren(el("option", { value: "" }, "—— 核实结论 / finding ——"),
    ...Object.entries(v.classes).map(([k, c]) => el("option", { value: k }, `${c.justified ? "属实" : "不属实"}：${c.text}`)));
  await Promise.all([loadFigures(), loadList()]);
  cs.ready = true;
}
start().catch((e) => { $("list-msg").textContent = e.message; });
