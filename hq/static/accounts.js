// Accounts page (admins): add, change role, disable/enable, reset password. Data is written with
// textContent only (never innerHTML); every change sends the session's CSRF token.
"use strict";
const acc = { csrf: "", me: "" };
useCsrf(() => acc.csrf);
const ROLE = { admin: "管理员 / admin", operator: "调度员 / operator" };

async function change(name, body, done) {
  try {
    await post(`/api/v1/users/${encodeURIComponent(name)}`, body);
    say("list-msg", `${name}：${done}`);
    await load();
  } catch (e) { say("list-msg", `${name}：${e.message}`, true); }
}

function row(u) {
  const role = el("select", { "data-user": u.name, class: "role" },
    ...Object.entries(ROLE).map(([v, t]) => { const o = el("option", { value: v }, t); if (v === u.role) o.selected = true; return o; }));
  role.onchange = () => change(u.name, { role: role.value }, `角色已改为 ${ROLE[role.value]} / role changed`);
  const toggle = el("button", { class: "toggle", "data-user": u.name }, u.disabled ? "启用 / enable" : "停用 / disable");
  toggle.onclick = () => change(u.name, { disabled: !u.disabled }, u.disabled ? "已启用 / enabled" : "已停用，会话已结束 / disabled, sessions ended");
  const pw = el("input", { type: "password", class: "reset-password", placeholder: "新密码 / new password", autocomplete: "new-password" });
  const reset = el("button", { class: "reset" }, "重置密码 / reset password");
  reset.onclick = () => change(u.name, { password: pw.value }, "密码已重置 / password reset");
  const tr = el("tr", { "data-user": u.name, class: u.disabled ? "disabled" : "" },
    el("td", {}, u.name + (u.name === acc.me ? "（我 / me）" : "")), el("td", {}, role),
    el("td", { class: "state" }, u.disabled ? "已停用 / disabled" : "正常 / active"),
    el("td", {}, toggle, " ", pw, reset));
  return tr;
}

async function load() {
  const users = await api("/api/v1/users");
  $("users").tBodies[0].replaceChildren(...users.map(row));
}

$("add").onclick = async () => {
  const name = $("new-name").value.trim();
  try {
    const u = await post("/api/v1/users", { name, role: $("new-role").value, password: $("new-password").value });
    say("add-msg", `已创建 / created: ${u.name} (${ROLE[u.role]})`);
    $("new-name").value = ""; $("new-password").value = "";
    await load();
  } catch (e) { say("add-msg", e.message, true); }
};

(async () => {
  const me = await api("/api/v1/me");
  acc.csrf = me.csrf; acc.me = me.name; $("user").textContent = `${me.name} (${me.role})`;
  await load();
  document.body.dataset.ready = "1";
})();
