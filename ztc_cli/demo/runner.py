"""One demo run: start everything the plan lists, open a stop visit, report, wait, stop.

Kept apart from the command so the order of events reads top to bottom in ``run``.
"""
from __future__ import annotations

import json
import os
import secrets
import shutil
import signal
import subprocess
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ztc_cli.demo import screenshots
from ztc_cli.demo.plan import ROLES, DemoPlan, gps_day
from ztc_cli.demo.supervisor import ChildFailed, Interrupted, Supervisor

# An on-demand visit (预约即开) offers every service and has no planned departure, so numbers can be
# taken whatever the time of day; a scheduled stop would refuse them outside its hours.
DEMO_STOP = "演示站 Demo stop"


@dataclass
class DemoOptions:
    plan: DemoPlan
    headless: bool
    screenshots_dir: Path | None
    seconds: float | None
    size: str = "1280x800"


def missing_tools(headless: bool) -> list[str]:
    needed = ["mosquitto", "gpsfake", "gpsd"] + (["Xvfb"] if headless else [])
    return [t for t in needed if shutil.which(t) is None and not Path("/usr/sbin", t).exists()]


def run(opts: DemoOptions, display: str | None) -> int:
    """Start, report, wait for Ctrl-C/SIGTERM/--seconds or a dead child; always stop everything."""
    stop = threading.Event()
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    plan = opts.plan
    sup = Supervisor(cancel=stop)
    code = 0
    try:
        for spec in plan.server_specs():
            if stop.is_set():
                return 130
            sup.start(spec)
        login = _dashboard_account(plan, sup)
        _open_visit(plan, sup)  # before the agent: its GPS stop detection then leaves the crew's visit alone
        sup.start(plan.agent_spec())
        shots = _start_kiosks(opts, sup, display, stop)
        _write_state(plan, sup, shots)
        _report(opts, sup, shots, login)
        code = _wait(opts, sup, stop)
    except ChildFailed as e:
        sup.say(f"启动失败 / start failed: {e}")
        code = 1
    except Interrupted as e:
        sup.say(str(e))
        code = 130
    finally:
        sup.say("正在停止 / stopping everything …")
        sup.stop_all()
        sup.say("已全部停止 / everything stopped")
    return code


DEMO_USER = "demo"


def _dashboard_account(plan: DemoPlan, sup: Supervisor) -> str | None:
    """An HQ admin account with a fresh random password, so the dashboard can be logged into.

    Random per run rather than a fixed demo password: the HQ port is loopback-only, but a known
    password on a machine that also runs real data is a habit not worth teaching.
    """
    password = secrets.token_urlsafe(9)
    result = subprocess.run(plan.ztc("hq", "user", "add", DEMO_USER, "--role", "admin"), input=password + "\n",
                            env=os.environ | plan.ztc_env(), cwd=str(plan.work), capture_output=True, text=True,
                            timeout=60)
    if result.returncode != 0:
        sup.say(f"看板账号未创建 / dashboard account not created: {(result.stdout + result.stderr).strip()}")
        return None
    return f"{DEMO_USER} / {password}"


def _open_visit(plan: DemoPlan, sup: Supervisor) -> None:
    """Arrive at the first stop so residents can take numbers at once (the crew would press 到站)."""
    env = plan.ztc_env()
    result = subprocess.run(plan.ztc("queue", "arrive", "--adhoc", DEMO_STOP), env=os.environ | env, cwd=str(plan.work),
                            capture_output=True, text=True, timeout=60)
    text = (result.stdout + result.stderr).strip()
    sup.say(text if result.returncode == 0 else f"站点未打开 / stop visit not opened: {text}")


def _start_kiosks(opts: DemoOptions, sup: Supervisor, display: str | None,
                  stop: threading.Event) -> dict[str, Path]:
    """The three roles windowed: on the user's screen, or headless each on its own Xvfb (screenshots)."""
    shots: dict[str, Path] = {}
    displays: dict[str, str] = {}
    for role in ROLES:
        if stop.is_set():
            break
        if opts.headless:
            xvfb = sup.start(opts.plan.xvfb_spec(role, opts.size))
            number = next(line for line in xvfb.lines if line.strip().isdigit()).strip()
            displays[role] = f":{number}"
        else:
            assert display is not None
            displays[role] = display
        sup.start(opts.plan.kiosk_spec(role, opts.size, displays[role]))
    if opts.headless and opts.screenshots_dir is not None:
        for role, disp in displays.items():
            path = opts.screenshots_dir / f"kiosk-{role}.png"
            if screenshots.save_when_drawn(disp, path):
                sup.say(f"截图 / screenshot: {path}")
            else:
                sup.say(f"截图为空 / screenshot blank (the {role} window drew nothing): {path}")
            shots[role] = path
    return shots


def _write_state(plan: DemoPlan, sup: Supervisor, shots: dict[str, Path]) -> None:
    """demo.json in the work folder: what runs where, for scripts and tests (pids are process groups)."""
    state: dict[str, Any] = {
        "hq_url": plan.hq_url, "data_dir": str(plan.bus_dir), "hq_database": str(plan.hq_db),
        "ports": vars(plan.ports), "screenshots": {k: str(v) for k, v in shots.items()},
        "children": [{"name": c.spec.name, "pid": c.pid} for c in sup.children],
    }
    (plan.work / "demo.json").write_text(json.dumps(state, indent=2, ensure_ascii=False))


def _report(opts: DemoOptions, sup: Supervisor, shots: dict[str, Path], login: str | None) -> None:
    plan = opts.plan
    p = plan.ports
    sup.say("=" * 60)
    sup.say(f"总部看板与接口 / HQ dashboard and API: {plan.hq_url}  (events: {plan.hq_url}api/v1/events)")
    if login:
        sup.say(f"看板登录 / dashboard log-in: {login}")
    sup.say(f"消息服务器 / MQTT broker: 127.0.0.1:{p.mqtt} (anonymous, loopback only)")
    sup.say(f"GPS (gpsd, replaying {gps_day().name}): 127.0.0.1:{p.gpsd}")
    sup.say(f"小票打印机(模拟) / virtual ticket printer: 127.0.0.1:{p.printer}, tickets as PNG in "
            f"{plan.work / 'printer'}")
    sup.say(f"车载数据 / bus data: {plan.bus_dir}   总部数据 / HQ data: {plan.hq_db}")
    sup.say(f"取号 / take a number from a shell: ZTC_DATA_DIR={plan.bus_dir} ztc queue issue A")
    sup.say(f"状态文件 / state file: {plan.work / 'demo.json'}")
    sup.say("按 Ctrl-C 全部停止 / press Ctrl-C to stop everything")
    sup.say("=" * 60)


def _wait(opts: DemoOptions, sup: Supervisor, stop: threading.Event) -> int:
    deadline = time.monotonic() + opts.seconds if opts.seconds is not None else None
    while not stop.wait(0.5):
        dead = sup.first_dead()
        if dead is not None:
            sup.say(f"{dead.spec.name} 意外退出 / exited unexpectedly (code {dead.proc.returncode}):\n"
                    f"{dead.tail()}")
            return 1
        if deadline is not None and time.monotonic() > deadline:
            return 0
    return 0
