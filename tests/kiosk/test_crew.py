"""The crew console under Xvfb: log-in with lockout, calling and serving, the record, the rating,
the stop visit — every effect checked in the bus database and its outbox."""
from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

from ztc.db import open_database, outbox
from ztc.domain.alerts import CrewAlerts
from ztc.domain.crew import CrewAccounts
from ztc.domain.errors import QueueError

CREW, PIN = "7", "2468"


def events(engine, type_):
    with engine.db.read() as conn:
        return [e.data for e in outbox.pending(conn, 0, 10000) if e.type == type_]


def type_digits(k, pad, digits):
    for d in digits:
        k.tap(next(b for b in pad.children if b.text == d))


def log_in(k, crew=CREW, pin=PIN):
    s = k.screen
    assert k.app.sm.current == "login"
    k.tap(s.ids.crew_button)
    k.tap(next(b for b in s.ids.pad.children if b.text == "清除"))   # the crew number is kept between tries
    type_digits(k, s.ids.pad, crew)
    k.tap(s.ids.login_button)                 # OK: on to the PIN
    type_digits(k, s.ids.pad, pin)
    assert s.ids.entered.text == "●" * len(pin)  # the PIN is never shown
    k.tap(s.ids.login_button)
    k.settle()


def open_console(k, service="政策咨询"):
    """Log in, open a window for ``service`` and land on the queue console."""
    log_in(k)
    k.tap_text(service)
    k.tap_id("open_button")
    k.pump(until=lambda: k.app.sm.current == "console")


def open_devices(k, shown, timeout=30):
    """Open the console, then the devices tab, until ``shown`` is among its texts."""
    open_console(k)
    k.tap_text("设备")
    k.pump(until=lambda: shown in k.texts(), timeout=timeout)


def test_pin_lockout(kiosk, settings):
    CrewAccounts(open_database(settings.db_path)).set_pin(CREW, PIN)
    k = kiosk("crew")
    for n in range(1, settings.kiosk.login_failures):
        log_in(k, pin="1111")
        assert k.app.sm.current == "login"
        assert f"还可尝试 {settings.kiosk.login_failures - n} 次" in k.screen.ids.message.text
    log_in(k, pin="1111")
    assert "登录失败次数过多" in k.screen.ids.message.text
    k.screenshot("crew-login-locked")
    log_in(k)                                           # the right PIN no longer helps
    assert k.app.sm.current == "login" and "登录失败次数过多" in k.screen.ids.message.text


def test_call_serve_record_and_rate(kiosk, engine, settings):
    CrewAccounts(open_database(settings.db_path)).set_pin(CREW, PIN)
    engine.arrive("nanma-xincun")
    first = engine.issue("D", "D01")
    k = kiosk("crew")
    k.screenshot("crew-login")
    log_in(k)
    assert k.app.sm.current == "window"
    k.tap_text("2 号窗口")
    k.tap_text("医保社保")
    k.screenshot("crew-window")
    k.tap_id("open_button")
    k.pump(until=lambda: k.app.sm.current == "console")
    assert engine.windows()[0].number == 2 and engine.windows()[0].skills == ("D",)

    k.tap_id("call_button")
    k.settle()
    assert first.number in k.screen.ids.current.text
    assert engine.ticket(first.number).state == "called"
    k.tap_id("recall_button")
    k.settle()
    assert engine.ticket(first.number).calls == 2
    k.tap_id("start_button")
    k.settle()
    assert engine.ticket(first.number).state == "serving"
    k.screenshot("crew-console")
    k.tap_id("complete_button")
    assert k.app.sm.current == "record"
    k.tap_text("受理")
    type_digits(k, k.screen.ids.ems, "1234567890123")   # 受理: the keypad types the 办件编号
    assert "办件编号" in k.texts()
    assert k.screen.ids.save_button.disabled              # department and promised date still missing
    k.tap_text("县人社局")
    k.screen.ids.case_choices.parent.parent.scroll_y = 0   # the crew scrolls down to the promised date
    k.settle()
    k.tap_text("15")
    k.screenshot("crew-record")
    assert not k.screen.ids.save_button.disabled
    k.tap_id("save_button")
    k.pump(until=lambda: k.app.sm.current == "rating")
    k.settle()
    k.tap_text("不满意")                                   # level 2: reasons are required
    k.settle()
    k.screenshot("crew-rating-reasons")
    k.tap_text("服务效率低（等候久、办理慢）")
    k.tap_text("提交评价")
    k.pump(until=lambda: k.screen.asking_callback)        # a callback is offered after a bad rating
    k.tap_id("callback_no")
    k.pump(until=lambda: k.app.sm.current == "console", timeout=10)

    served = events(engine, "ticket.served")
    assert served[0]["number"] == first.number and served[0]["outcome"] == "accepted"
    assert served[0]["item"] == "D01" and served[0]["crew"] == CREW
    today = datetime.fromtimestamp(k.app.clock(), settings.tz).date()
    assert (served[0]["case_no"], served[0]["department"], served[0]["promised_date"], served[0]["ems_no"]) == \
        ("1234567890123", "县人社局", (today + timedelta(days=15)).isoformat(), None)
    rating = events(engine, "rating")
    assert rating == [{**rating[0], "number": first.number, "level": 2, "reasons": ["efficiency"]}]
    assert [e["call_count"] for e in events(engine, "ticket.called")] == [1, 2]


def test_no_show_transfer_pause_and_depart(kiosk, engine, settings):
    CrewAccounts(open_database(settings.db_path)).set_pin(CREW, PIN)
    engine.arrive("nanma-xincun")
    a = engine.issue("A", None)
    b = engine.issue("A", None)
    k = kiosk("crew")
    open_console(k, "市场主体登记")
    k.tap_id("call_button")
    k.settle()
    k.tap_id("no_show_button")
    k.settle()
    assert engine.ticket(a.number).state == "no_show"
    k.tap_id("call_button")
    k.settle()
    k.tap_id("transfer_button")
    assert k.app.sm.current == "transfer"
    k.tap_text("医保社保")
    k.pump(until=lambda: k.app.sm.current == "console")
    k.settle()
    assert engine.ticket(b.number).state == "transferred"
    moved = events(engine, "ticket.transferred")[0]
    assert moved["to_service"] == "D"
    k.tap_id("pause_button")
    k.settle()
    assert engine.windows()[0].paused is True and k.screen.ids.call_button.disabled

    k.tap_text("到站")
    assert k.app.sm.current == "visit"
    k.tap_text("离站")
    k.settle()
    assert moved["new_number"] in k.screen.ids.message.text          # still waiting: decide
    k.screenshot("crew-visit-pending")
    k.tap_text("改约到后续行程")
    k.settle()
    assert engine.current_visit() is None
    assert [e["number"] for e in events(engine, "ticket.rebooked")] == [moved["new_number"]]
    k.tap_text("汇总")
    k.settle()
    assert "今日取号 2" in k.texts() and "未到 1" in k.texts()
    k.screenshot("crew-summary")


def test_devices_tab_and_reprint_after_failed_print(kiosk, engine, settings, virtual_printer, resident_owner):
    CrewAccounts(open_database(settings.db_path)).set_pin(CREW, PIN)
    engine.arrive("nanma-xincun")
    lost = engine.issue("F", None)
    engine.mark_printed(lost.id)
    t = engine.issue("F", None)
    CrewAlerts(engine.db).raise_alert("print_failed", t.number, t.id, "paper out")
    k = kiosk("crew")
    open_console(k)
    k.settle()
    assert t.number in k.screen.ids.alert.text                         # the crew sees the failed print
    k.tap_text("设备")
    k.pump(until=lambda: "号票打印机" in k.texts(), timeout=30)
    k.screenshot("crew-devices")
    k.tap_id("reprint_button")
    assert k.app.sm.current == "reprint"
    k.pump(until=lambda: f"{t.number}  打印失败" in k.texts() and f"{lost.number}" in k.texts(), timeout=30)
    assert k.texts().index(t.number) < k.texts().index(lost.number)   # the failed print comes first
    k.settle()
    k.screenshot("crew-reprint")
    k.tap_text(f"{t.number}  打印失败")
    k.pump(until=lambda: "✓" in k.screen.ids.message.text, timeout=30)
    printed = virtual_printer.wait_for_tickets(1)
    assert t.number in printed[0].text() and "副本" in printed[0].text()   # marked as a copy
    assert engine.ticket(t.number).printed == 1
    assert CrewAlerts(engine.db).open_alerts() == []
    k.pump(until=lambda: "打印失败" not in k.texts(), timeout=30)              # the list no longer marks it
    k.settle()
    k.tap_text(lost.number)                   # a resident lost the slip: any open ticket can be reprinted
    k.pump(until=lambda: f"{lost.number} 已补打" in k.screen.ids.message.text, timeout=30)
    printed = virtual_printer.wait_for_tickets(2)
    assert lost.number in printed[1].text() and "副本" in printed[1].text()
    assert engine.ticket(lost.number).printed == 2   # the original print and the copy


def serving_at_the_camera(start_crew, engine, settings):
    """A resident's A ticket called and started at a window, the crew on the 高拍仪 tab. The kiosk
    (``start_crew()``) starts after the database is set up, so no state refresh rebuilds a button
    between finding it and tapping it."""
    CrewAccounts(open_database(settings.db_path)).set_pin(CREW, PIN)
    engine.arrive("nanma-xincun")
    t = engine.issue("A", "A01")
    k = start_crew()
    open_console(k, "市场主体登记")
    k.tap_id("call_button")
    k.settle()
    k.tap_id("start_button")
    k.settle()
    k.tap_text("高拍仪")
    assert k.app.sm.current == "camera"
    return k, t


def test_camera_preview_and_capture_counts_pages(kiosk, engine, settings):
    k, t = serving_at_the_camera(lambda: kiosk("crew"), engine, settings)
    k.pump(until=lambda: k.screen.frames_drawn >= 3, timeout=30)      # live frames from the simulated camera
    assert k.screen.ids.preview.texture.size[0] == settings.devices.camera.preview_width
    k.screenshot("crew-camera")
    k.tap_id("capture_button")
    k.pump(until=lambda: engine.ticket(t.number).pages_scanned == 1, timeout=30)
    k.settle()
    assert "已拍 1 页" in k.screen.ids.status.text
    k.tap_text("队列")
    k.tap_id("complete_button")
    k.settle()
    assert "扫描 1 页" in k.screen.ids.title.text                    # the record is filled in from the device


def test_camera_copy_flow_stores_pdf_and_prints_through_cups(kiosk, engine, settings, cups):
    from drivers.a4_printer import A4Printer
    from tests.kiosk.conftest import A4_QUEUE
    from ztc.documents.storage import ScanStore

    a4 = A4Printer(A4_QUEUE, cups.server, job_timeout_s=60)
    k, t = serving_at_the_camera(lambda: kiosk("crew", a4_printer=a4), engine, settings)
    k.pump(until=lambda: k.screen.frames_drawn >= 1, timeout=30)
    assert k.screen.ids.pdf_button.disabled                              # nothing captured yet
    for n in (1, 2):
        k.tap_id("capture_button")
        k.pump(until=lambda n=n: engine.ticket(t.number).pages_scanned == n, timeout=30)
        k.settle()
    assert "已拍 2 页" in k.screen.ids.status.text and "第2页" in k.screen.ids.page_list.text
    k.tap_id("pdf_button")
    k.settle()
    assert "PDF 已保存（2 页）" in k.screen.ids.message.text
    scans = ScanStore(engine.db, settings.data_dir, 30).for_ticket(t.id)
    assert len(scans) == 1 and scans[0]["pages"] == 2
    assert Path(scans[0]["path"]).read_bytes()[:5] == b"%PDF-"
    assert engine.ticket(t.number).pages_scanned == 2              # storing the PDF does not count twice

    k.tap_id("print_button")
    k.settle()
    k.pump(until=lambda: "✓ 已打印 2 页" in k.screen.ids.message.text, timeout=60)   # CUPS finished the job
    k.tap_id("more_button")
    k.tap_id("more_button")
    assert "复印 3 份" in k.screen.ids.copy_button.text
    cups.stop_queue(A4_QUEUE, "out of paper")             # the A4 printer stops before the copies
    try:
        k.tap_id("copy_button")
        k.settle()
        k.pump(until=lambda: "打印机已停止" in k.screen.ids.message.text, timeout=60)
        assert "保留在队列中，恢复后自动打印" in k.screen.ids.message.text   # said plainly: nothing is lost
        k.screenshot("crew-camera-a4-stopped")
    finally:
        cups.start_queue(A4_QUEUE)                         # paper refilled
    k.pump(until=lambda: "✓ 已打印 6 页" in k.screen.ids.message.text, timeout=60)
    k.screenshot("crew-camera-copy")
    assert engine.ticket(t.number).pages_printed == 2 + 6
    assert len(ScanStore(engine.db, settings.data_dir, 30).for_ticket(t.id)) == 1   # printed from the one scan
    k.pump(until=lambda: len(list(cups.out_dir.glob("*.pdf"))) >= 2, timeout=60)   # cups-pdf wrote both jobs


def test_devices_tab_shows_uplink_backlog(kiosk, engine, settings, clock):
    CrewAccounts(open_database(settings.db_path)).set_pin(CREW, PIN)
    engine.arrive("nanma-xincun")
    engine.issue("F", None)
    with engine.db.read() as conn:
        pending = len(outbox.pending(conn, 0, 10000))
    assert pending >= 2                                           # the arrival and the ticket
    clock.advance(25 * 60)                                        # HQ has not acknowledged for 25 min
    k = kiosk("crew")
    open_devices(k, "上传中心")
    k.settle()
    with engine.db.read() as conn:
        pending = len(outbox.pending(conn, 0, 10000))
    assert f"上传中心：{pending} 条待上传" in k.texts()
    assert "最早一条已等 25 分钟" in k.texts()
    k.screenshot("crew-devices-uplink")
    with engine.db.write() as conn:                               # the agent deletes what HQ acknowledged
        conn.execute("DELETE FROM outbox")
    k.tap_id("probe_button")
    k.pump(until=lambda: "全部已上传" in k.texts(), timeout=30)


def test_automatic_log_out_after_inactivity(kiosk, engine, settings):
    CrewAccounts(open_database(settings.db_path)).set_pin(CREW, PIN)
    k = kiosk("crew")
    log_in(k)
    assert k.app.sm.current == "window" and k.app.flow["crew"] == CREW
    k.app.idle_timeout_s = 0.5
    k.pump(until=lambda: k.app.sm.current == "login", timeout=5)
    assert "crew" not in k.app.flow


def test_cutoff_override_issues_and_prints(kiosk, engine, settings, clock, virtual_printer, resident_owner):
    CrewAccounts(open_database(settings.db_path)).set_pin(CREW, PIN)
    engine.arrive("nanma-xincun")
    clock.advance(2 * 3600 + 10 * 60)          # 11:15, the bus leaves at 11:30: the cut-off refuses B
    try:
        engine.issue("B", None)
        raise AssertionError("the cut-off should refuse this number")
    except QueueError as e:
        assert e.code == "cutoff"
    k = kiosk("crew")
    open_console(k, "经营许可")
    k.tap_text("到站")
    k.settle()
    k.tap_text("截止后补发号")
    assert k.app.sm.current == "override"
    k.tap_text("B ")
    assert "确认为 B" in k.screen.ids.title.text
    k.screenshot("crew-cutoff-override-confirm")
    k.tap_text("补发（绿色通道）")                # an elderly resident: the green channel
    k.settle()
    k.pump(until=lambda: "已打印" in k.screen.ids.message.text, timeout=30)
    k.screenshot("crew-cutoff-override")
    issued = events(engine, "ticket.issued")
    assert len(issued) == 1 and issued[0]["cutoff_override"] is True and issued[0]["priority"] is True
    number = issued[0]["number"]
    assert number.startswith("B") and number in k.screen.ids.title.text
    printed = virtual_printer.wait_for_tickets(1)
    assert number in printed[0].text()
    assert engine.ticket(number).printed == 1


def test_devices_tab_shows_a4_printer_state_and_recent_jobs(kiosk, engine, settings, cups, tmp_path):
    from PIL import Image

    from drivers.a4_printer import A4Printer
    from tests.kiosk.conftest import A4_QUEUE

    CrewAccounts(open_database(settings.db_path)).set_pin(CREW, PIN)
    a4 = A4Printer(A4_QUEUE, cups.server, job_timeout_s=60)
    page = tmp_path / "form.pdf"
    Image.new("RGB", (200, 280), "white").save(page)
    first = a4.submit(page)
    assert a4.wait(first).ok
    k = kiosk("crew", a4_printer=a4)
    open_devices(k, "A4 打印机")
    k.settle()
    assert "A4 打印机：" in k.texts() and "空闲" in k.texts()          # the queue state from CUPS
    assert f"{first} 已完成" in k.texts()                               # the job id and its state
    k.screenshot("crew-devices-a4")
    second = a4.submit(page)                                            # a new job: 刷新 reads CUPS again
    assert a4.wait(second).ok
    k.tap_id("probe_button")
    k.pump(until=lambda: f"{second} 已完成" in k.texts(), timeout=30)
    assert f"{first} 已完成" in k.texts()


def test_devices_tab_test_print_sends_a_copy_marked_sample(kiosk, engine, settings, virtual_printer,
                                                           resident_owner):
    from drivers.ticket_printer.content import TicketContent

    CrewAccounts(open_database(settings.db_path)).set_pin(CREW, PIN)
    engine.arrive("nanma-xincun")
    k = kiosk("crew")
    open_devices(k, "号票打印机")
    k.tap_id("test_print_button")
    k.pump(until=lambda: "✓" in k.screen.ids.message.text, timeout=30)
    assert "样票已打印" in k.screen.ids.message.text
    printed = virtual_printer.wait_for_tickets(1)
    sample = TicketContent.sample(settings)
    assert sample.number in printed[0].text() and "副本" in printed[0].text()   # the sample, marked as a copy
    with engine.db.read() as conn:
        assert conn.execute("SELECT count(*) FROM tickets").fetchone()[0] == 0   # no real number was issued

    virtual_printer.stop()                      # the cable is pulled: the failure is said in the kiosk language
    k.tap_id("test_print_button")
    printed_ok = "✓ " + k.screen.t("test_printed")
    passing = ("", k.screen.t("working"), k.screen.t("print_waiting"), k.screen.t("print_printing"), printed_ok)
    k.pump(until=lambda: k.screen.ids.message.text not in passing, timeout=60)
    failed = k.screen.ids.message.text
    assert "打印机" in failed and " / " not in failed, failed          # Chinese only, not "中文 / English"
    assert failed.startswith("打印失败：")                              # the resident kiosk's reason, as it said it


def test_devices_tab_shows_gps_and_uplink_as_the_agent_sees_them(kiosk, engine, settings, clock):
    """The agent (real code, its link not started: the broker is unreachable) writes its state file;
    the devices tab reads it: fix, where stop detection puts the bus, link down, nothing acknowledged;
    GPS arrives at the stop, the crew override it with 到站/离站; a silent agent is called out."""
    from drivers.gps.fix import Fix
    from telemetry.agent import Agent, build_link

    CrewAccounts(open_database(settings.db_path)).set_pin(CREW, PIN)
    stop = settings.stop("nanma-xincun")
    receiver = {"state": "ok", "detail": "3D 定位正常 / 3D fix, 9 颗卫星 / sats", "fix_age_s": 0.5}
    agent = Agent(settings, engine.db, build_link(settings, "test", "boot"), engine, clock=clock,
                  gps_status=lambda: receiver)
    agent.stops.update(Fix(clock(), stop.lat - 0.02, stop.lon, 12.0, 0.0, 3, sats=9))   # 2 km before the stop
    agent.share_state(clock(), connected=False)
    k = kiosk("crew")
    open_devices(k, "GPS：3D 定位，9 颗卫星，36.17420, 118.18870（09:05:00）")
    texts = k.texts()
    assert "GPS 判断：行驶中，下一站 南麻街道新村社区（计划 09:00 到）" in texts
    assert "上传中心：未连接（09:05:00 断开）" in texts and "中心尚未确认任何数据" in texts
    k.screenshot("crew-devices-gps")

    for _ in range(6):                          # 30 s parked inside the stop's circle: GPS arrival
        clock.advance(5)
        agent.stops.update(Fix(clock(), stop.lat, stop.lon, 0.0, None, 3, sats=9))
    assert engine.current_visit().stop_id == "nanma-xincun"
    agent.share_state(clock(), connected=False)
    k.tap_id("probe_button")
    k.pump(until=lambda: "GPS 判断：已到 南麻街道新村社区" in k.texts(), timeout=30)
    k.settle()                                  # the console's own view of the visit caught up too

    k.tap_id("gps_override_button")             # the crew leave early: their decision beats GPS
    assert k.app.sm.current == "visit"
    k.settle()
    k.tap_text("离站")
    k.pump(until=lambda: engine.current_visit() is None, timeout=30)
    assert [e["source"] for e in events(engine, "stop.departed")] == ["crew"]

    clock.advance(60)                           # the agent stopped writing a minute ago
    k.tap_text("设备")
    k.pump(until=lambda: "上传中心：上传程序 60 秒无响应" in k.texts(), timeout=30)
    assert "GPS：状态未知（上传程序未运行）" in k.texts()
