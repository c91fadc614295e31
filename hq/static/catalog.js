// Service list editor: categories and items as forms, the draft's diff, publishing to all or chosen buses,
// rollback. Data is only written with textContent / value (never innerHTML).
"use strict";
const cat = { csrf: "", draft: [], savedAt: null, buses: [], ready: false, zone: "Asia/Shanghai" };
window.cat = cat;
useCsrf(() => cat.csrf);
// Times in the county's zone (hq.timezone, from /api/public/clock), never the browser's.
const when = (ts) => (ts ? new Date(ts * 1000).toLocaleString("zh-CN", { hour12: false, timeZone: cat.zone }) : "");

// --- the editor -----------------------------------------------------------------------------------
function field(label, cls, value, attrs) {
  const input = (attrs && attrs.rows) ? el("textarea", { class: cls, ...attrs }) : el("input", { class: cls, ...(attrs || {}) });
  input.value = value == null ? "" : value;
  return el("label", {}, label, input);
}
function itemRow(it) {
  const remove = el("button", { class: "remove-item" }, "删除 / remove");
  const row = el("div", { class: "item", "data-item": it.code || "" },
    field("编码 code", "f-code", it.code, { maxlength: "3", size: "4" }),
    field("名称 name (zh)", "f-name_zh", it.name_zh, { maxlength: "60" }),
    field("英文名称 name (en)", "f-name_en", it.name_en, { maxlength: "80" }),
    field("分钟 minutes", "f-minutes", it.minutes, { type: "number", min: "1", max: "480", step: "1" }),
    remove,
    el("div", { class: "wide" },
      field("申请材料（每行一项）materials, one a line", "f-materials", (it.materials || []).join("\n"), { rows: "2" }),
      field("政策说明 policy note (zh)", "f-note_zh", it.note_zh, { rows: "2", maxlength: "300" }),
      field("英文说明 policy note (en)", "f-note_en", it.note_en, { rows: "2", maxlength: "300" })));
  remove.onclick = () => row.remove();
  row.querySelector(".f-code").oninput = (e) => row.setAttribute("data-item", e.target.value.trim().toUpperCase());
  return row;
}
function nextCode(box) {
  const letter = box.querySelector(".c-code").value.trim().toUpperCase() || "X";
  const used = [...box.querySelectorAll(".f-code")].map((i) => parseInt(i.value.slice(1), 10) || 0);
  return letter + String(Math.max(0, ...used) + 1).padStart(2, "0");
}
function catBox(c) {
  const items = el("div", { class: "items" }, ...(c.items || []).map(itemRow));
  const add = el("button", { class: "add-item" }, "+ 添加事项 / add an item");
  const remove = el("button", { class: "remove-cat" }, "删除类别 / remove the category");
  const codeInput = el("input", { class: "c-code", maxlength: "1" });
  codeInput.value = c.code || "";
  const zh = el("input", { class: "c-name_zh", maxlength: "60" }); zh.value = c.name_zh || "";
  const en = el("input", { class: "c-name_en", maxlength: "80" }); en.value = c.name_en || "";
  const box = el("section", { class: "cat", "data-cat": c.code || "" },
    el("div", { class: "cat-head" }, el("label", {}, "字母 letter", codeInput), el("label", {}, "类别名称 name (zh)", zh),
      el("label", {}, "英文名称 name (en)", en), add, remove), items);
  codeInput.oninput = () => box.setAttribute("data-cat", codeInput.value.trim().toUpperCase());
  add.onclick = () => { const row = itemRow({ code: nextCode(box), minutes: 10 }); items.append(row); row.querySelector(".f-name_zh").focus(); };
  remove.onclick = () => box.remove();
  return box;
}
function render(services) { $("editor").replaceChildren(...services.map(catBox)); }
function collect() {  // the forms → the list the API takes
  return [...document.querySelectorAll("#editor .cat")].map((box) => ({
    code: box.querySelector(".c-code").value.trim().toUpperCase(),
    name_zh: box.querySelector(".c-name_zh").value.trim(),
    name_en: box.querySelector(".c-name_en").value.trim(),
    items: [...box.querySelectorAll(".item")].map((row) => {
      const v = (c) => row.querySelector(c).value.trim();
      return { code: v(".f-code").toUpperCase(), name_zh: v(".f-name_zh"), name_en: v(".f-name_en"),
        minutes: Number(v(".f-minutes")) || 0,
        materials: v(".f-materials").split("\n").map((s) => s.trim()).filter(Boolean),
        note_zh: v(".f-note_zh"), note_en: v(".f-note_en") };
    }),
  }));
}

// --- diff, buses, versions -------------------------------------------------------------------------
const CHANGE = { added: "新增 / added", removed: "删除 / removed", changed: "修改 / changed" };
const LEVEL = { category: "类别 / category", item: "事项 / item" };
const show = (v) => (Array.isArray(v) ? (v.length ? v.join("、") : "（无 / none）") : (v === "" || v == null ? "（空 / empty）" : String(v)));
async function loadDiff() {
  const d = await api("/api/v1/catalog/diff");
  const rows = d.changes.map((c) => el("div", { class: `chg ${c.change}`, "data-code": c.code },
    el("b", {}, `${CHANGE[c.change]} · ${LEVEL[c.level]} ${c.code} ${c.name_zh}`),
    ...c.fields.map((f) => el("span", { class: "f" }, `${f.label_zh} / ${f.label_en}: `,
      c.change === "added" ? "" : el("del", {}, show(f.before)), c.change === "added" ? "" : " → ", el("ins", {}, show(f.after))))));
  $("diff").replaceChildren(el("p", { class: "msg" }, `对照已发布版本 ${d.published_version || "（出厂清单 / shipped list）"} / against version ${d.published_version}`),
    ...(rows.length ? rows : [el("p", { class: "msg", id: "no-changes" }, "草稿与已发布版本相同 / the draft equals the published list")]));
}
async function loadBuses() {
  cat.buses = await api("/api/v1/catalog/buses");
  const keep = new Set(chosen());
  $("bus-choice").replaceChildren(...cat.buses.map((b) => el("label", {}, (() => {
    const box = el("input", { type: "checkbox", value: b.bus, "data-bus": b.bus }); box.checked = keep.has(b.bus);
    box.onchange = () => { $("target-some").checked = true; }; return box; })(), ` ${b.bus}`)));
  $("bus-versions").replaceChildren(cat.buses.length ? el("table", { class: "small" },
    el("tr", {}, el("th", {}, "车辆 / bus"), el("th", {}, "已下发 / sent"), el("th", {}, "车上报告 / reported")),
    ...cat.buses.map((b) => el("tr", { "data-bus": b.bus }, el("td", {}, b.bus),
      el("td", { class: b.pilot ? "pilot" : "" }, `v${b.version}${b.pilot ? " 试点 / pilot" : ""}`),
      el("td", {}, b.reported == null ? "-" : `v${b.reported}`)))) : el("p", { class: "msg" }, "尚无车辆 / no bus yet"));
}
function chosen() { return [...document.querySelectorAll("#bus-choice input:checked")].map((i) => i.value); }
function targets() { return $("target-some").checked ? chosen() : null; }
async function loadVersions() {
  const vs = await api("/api/v1/catalog/versions");
  $("versions").replaceChildren(vs.length ? el("table", { class: "small" },
    el("tr", {}, el("th", {}, "版本"), el("th", {}, "发往 / to"), el("th", {}, "事项 / items"), el("th", {}, "时间 / when"), el("th", {})),
    ...vs.map((v) => {
      const back = el("button", { "data-rollback": String(v.version) }, "回退 / roll back");
      back.onclick = () => rollback(v.version);
      return el("tr", { "data-version": String(v.version) }, el("td", {}, `v${v.version}`),
        el("td", {}, [v.fleet ? "全部 / all" : "", ...v.buses].filter(Boolean).join(", ")), el("td", {}, v.items),
        el("td", {}, `${when(v.published_at)} ${v.published_by}`), el("td", {}, back));
    })) : el("p", { class: "msg" }, "尚未发布 / nothing published yet"));
}
async function refresh() { await Promise.all([loadDiff(), loadBuses(), loadVersions()]); }
cat.refresh = refresh;

// --- actions ----------------------------------------------------------------------------------------
async function loadDraft() {
  const d = await api("/api/v1/catalog/draft");
  cat.draft = d.services;
  cat.savedAt = d.saved_at;  // sent back on save: someone else's newer save is not overwritten
  render(d.services);
  say("draft-info", d.saved_at ? `草稿：${d.saved_by} 保存于 ${when(d.saved_at)}，基于版本 ${d.based_on} / draft saved by ${d.saved_by}`
    : `尚无草稿，从已发布版本 ${d.published_version} 开始 / no draft yet: starting from the published list`);
}
async function save() {
  try {
    await api("/api/v1/catalog/draft", { method: "PUT", body: JSON.stringify({ services: collect(), saved_at: cat.savedAt }) });
    say("save-msg", "草稿已保存 / draft saved");
    await loadDraft(); await loadDiff();
  } catch (e) { say("save-msg", `未保存 / not saved: ${e.message}`, true); }
}
async function publish() {
  const to = targets();
  if (to && !to.length) { say("publish-msg", "请选择车辆 / choose at least one bus", true); return; }
  try {
    const recs = await api("/api/v1/catalog/publish", { method: "POST", body: JSON.stringify({ buses: to }) });
    say("publish-msg", `已发布 / published: ${recs.map((r) => `v${r.version} → ${r.bus || "全部车辆 / all buses"}`).join("; ")}`);
    await refresh();
  } catch (e) { say("publish-msg", `未发布 / not published: ${e.message}`, true); }
}
async function rollback(version) {
  const to = targets();
  try {
    const recs = await api("/api/v1/catalog/rollback", { method: "POST", body: JSON.stringify({ version, buses: to }) });
    say("rollback-msg", `已回退到版本 ${version} 的内容，发布为 / rolled back as ${recs.map((r) => `v${r.version} → ${r.bus || "全部车辆 / all buses"}`).join("; ")}`);
    await refresh();
  } catch (e) { say("rollback-msg", `未回退 / not rolled back: ${e.message}`, true); }
}

async function start() {
  const me = await api("/api/v1/me");
  cat.csrf = me.csrf;
  const cfg = await api("/api/public/clock").catch(() => ({}));
  if (cfg.timezone) cat.zone = cfg.timezone;
  $("user").textContent = `${me.name} (${me.role})`;
  $("add-cat").onclick = () => $("editor").append(catBox({ code: "", items: [] }));
  $("save").onclick = save;
  $("reload").onclick = () => loadDraft().then(loadDiff);
  $("publish").onclick = publish;
  await loadDraft();
  await refresh();
  cat.ready = true;
}
start().catch((e) => say("draft-info", e.message, true));
