// On the ticket's page, beside its status: the 受理 case's progress (办结, EMS) and a free-text
// suggestion box (the phone has an input method; the kiosk has none). Public data only.
"use strict";
(function () {
  const tid = decodeURIComponent(location.pathname.split("/").pop());
  const box = document.getElementById("followup");
  function node(tag, attrs, ...kids) {
    const e = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) { if (k === "class") e.className = v; else e.setAttribute(k, v); }
    for (const k of kids) e.append(k instanceof Node ? k : document.createTextNode(k == null ? "" : String(k)));
    return e;
  }
  const caseBox = node("div", { class: "case-box", id: "case", hidden: "" });
  const text = node("textarea", { id: "suggest-text", maxlength: "500", placeholder: "请写下您的意见或建议 / your suggestion" });
  const send = node("button", { id: "suggest-send" }, "提交建议 / send");
  const said = node("p", { id: "suggest-msg", class: "msg" });
  box.append(caseBox, node("div", { class: "case-box suggest-box" },
    node("p", {}, "意见建议 / suggestions"), text, send, said));
  async function loadCase() {
    const r = await fetch(`/api/public/tickets/${encodeURIComponent(tid)}/case`);
    if (!r.ok) return;
    const c = await r.json();
    const kids = [node("p", {}, "受理件进度 / accepted case"),
      node("p", { id: "case-status", class: c.status === "done" ? "done" : "" }, c.status_text),
      node("p", {}, `办件编号 / case no.: ${c.case_no || "—"}`),
      node("p", {}, `承办部门 / department: ${c.department || "—"}`),
      node("p", {}, `承诺办结日期 / promised by: ${c.promised_date || "—"}`)];
    if (c.ems_no) kids.push(node("p", { id: "case-ems" }, `EMS 邮寄单号 / EMS number: ${c.ems_no}`));
    caseBox.replaceChildren(...kids);
    caseBox.hidden = false;
  }
  send.addEventListener("click", async () => {
    const r = await fetch(`/api/public/tickets/${encodeURIComponent(tid)}/suggestion`, {
      method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify({ text: text.value }) });
    const body = await r.json().catch(() => ({}));
    said.textContent = r.ok ? "谢谢，已收到 / thank you, received" : (typeof body.detail === "string" ? body.detail : "提交失败 / not sent");
    if (r.ok) text.value = "";
  });
  loadCase().catch(() => {});
  setInterval(() => loadCase().catch(() => {}), 20000);
})();
