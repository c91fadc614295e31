// Posts JSON (which a cross-site form cannot), then goes to the dashboard; errors come bilingual from the server.
document.getElementById("login").addEventListener("submit", async (ev) => {
  ev.preventDefault();
  const err = document.getElementById("error");
  err.textContent = "";
  try {
    const r = await fetch("/api/v1/login", {method: "POST", headers: {"Content-Type": "application/json"},
      body: JSON.stringify({name: document.getElementById("name").value, password: document.getElementById("password").value})});
    if (r.ok) { location.href = "/"; return; }
    const body = await r.json().catch(() => ({}));
    err.textContent = typeof body.detail === "string" ? body.detail : "登录失败 / log-in failed";
  } catch (e) {
    err.textContent = "无法连接总部 / cannot reach headquarters";
  }
});
