"""The resident touchscreen under Xvfb: real taps, the real database, the virtual ticket printer."""
from __future__ import annotations

from ztc.db import outbox
from ztc.domain.alerts import CrewAlerts


def events(engine, type_):
    with engine.db.read() as conn:
        return [e for e in outbox.pending(conn, 0, 10000) if e.type == type_]


def test_take_a_number_prints_and_shows_it_large(kiosk, engine, virtual_printer):
    engine.arrive("nanma-xincun")
    k = kiosk("resident")
    k.settle()
    k.screenshot("resident-home")
    assert "南麻街道新村社区" in k.texts()

    k.tap_id("take_button")
    assert k.app.sm.current == "service"
    k.screenshot("resident-services")
    k.tap_text("市场主体登记")                   # A: three items → the item screen
    assert k.app.sm.current == "item"
    k.tap_text("公司登记")                       # A02
    assert k.app.sm.current == "confirm"
    assert "前面还有 0 人" in k.texts()
    k.screenshot("resident-confirm")
    k.tap_id("take_button")
    k.pump(until=lambda: k.app.sm.current == "ticket")
    k.pump(until=lambda: "请取走号票" in k.screen.ids.status.text, timeout=30)

    ticket = engine.ticket("A001")
    assert ticket.item == "A02" and ticket.state == "waiting" and ticket.printed == 1
    assert k.screen.ids.number.text == "A001"
    assert k.screen.ids.number.font_size >= 150          # shown large
    printed = virtual_printer.wait_for_tickets(1)
    assert "A001" in printed[0].text() and "公司登记" in printed[0].text()
    k.screenshot("resident-ticket")
    assert [e.data["number"] for e in events(engine, "ticket.issued")] == ["A001"]


def test_failed_print_keeps_number_on_screen_and_alerts_crew(kiosk, engine, settings):
    def broken_printer(ticket, copy):
        raise OSError("打印机缺纸 / printer out of paper")

    engine.arrive("nanma-xincun")
    k = kiosk("resident", printer=broken_printer)
    k.tap_id("take_button")
    k.tap_text("医保社保")
    if k.app.sm.current == "item":
        k.tap_text("不确定")
    k.tap_id("take_button")
    # Under load the confirm screen may still be showing: wait for the ticket screen first.
    k.pump(until=lambda: k.app.sm.current == "ticket" and "打印失败" in k.screen.ids.status.text, timeout=30)
    number = k.screen.ids.number.text
    assert number.startswith("D") and number in k.screen.ids.status.text
    k.screenshot("resident-print-failed")
    assert engine.ticket(number).printed == 0                     # the ticket exists, unprinted
    alerts = CrewAlerts(engine.db).open_alerts()
    assert alerts[-1]["number"] == number and "缺纸" in alerts[-1]["detail"]
    refused = events(engine, "request.refused")                      # unmet demand for headquarters
    assert [(e.data["reason"], e.data["service"]) for e in refused] == [("print_failed", "D")]


def test_cutoff_says_so_and_shows_later_visits(kiosk, engine, clock):
    engine.arrive("nanma-xincun")
    clock.advance(2 * 3600 + 10 * 60)          # 11:15, the bus leaves at 11:30 (10 min margin)
    k = kiosk("resident")
    k.tap_id("take_button")
    k.tap_text("经营许可")
    if k.app.sm.current == "item":
        k.tap_text("食品经营许可")
    k.tap_id("take_button")
    k.pump(until=lambda: k.app.sm.current == "message")
    k.settle()
    assert k.screen.ids.code.text == "cutoff"
    text = k.texts()
    assert "截止取号" in text and "历山街道工业园" in text            # the afternoon visit offers B
    k.screenshot("resident-cutoff")
    assert events(engine, "ticket.issued") == []


def test_language_and_large_text_switch(kiosk, engine):
    engine.arrive("nanma-xincun")
    k = kiosk("resident")
    take = k.screen.ids.take_button
    assert take.text == "取号"
    k.settle()
    # Next visits carry their day: tomorrow's morning stop must not read like one later today.
    assert "今天 13:30–16:30  历山街道工业园" in k.texts() and "明天 09:00–11:30  南麻街道新村社区" in k.texts()
    size_before = take.font_size
    k.tap(k.app.root.children[1].ids.lang_button)        # the top bar
    k.pump(0.1)
    assert take.text == "Take a number" and "Now at" in k.texts()
    assert "tomorrow 09:00–11:30  Nanma Xincun Community" in k.texts()
    k.tap(k.app.root.children[1].ids.large_button)
    k.pump(0.1)
    assert take.font_size > size_before * 1.3
    k.screenshot("resident-home-en-large")
    k.app.idle_timeout_s = 0.5                            # a resident walks away
    k.tap_id("guide_button")
    assert k.app.sm.current == "guide"
    k.pump(until=lambda: k.app.sm.current == "home", timeout=5)
    assert take.text == "取号" and take.font_size == size_before   # the next resident starts afresh


def test_no_exit(kiosk, engine):
    from kivy.core.window import Window

    k = kiosk("resident")
    assert Window.dispatch("on_request_close") is True        # the window manager's close is refused
    assert Window.dispatch("on_key_down", 27, 0, None, "", []) is True  # Escape is swallowed
    k.pump(0.1)
    assert k.app.root.get_root_window() is not None


def test_appointment_check_in_by_code(kiosk, engine, clock, virtual_printer):
    engine.arrive("nanma-xincun")
    engine.replace_appointments([{"id": "ap-1", "code": "482913", "service": "D", "stop": "nanma-xincun",
                                  "slot_start": clock() + 600, "slot_end": clock() + 1800,
                                  "name_masked": "张*", "phone_last4": "1234"}])
    k = kiosk("resident")
    k.tap_id("checkin_button")
    for digit in "482913":
        k.tap(next(b for b in k.screen.ids.keypad.children if b.text == digit))
    assert k.screen.ids.entered.text == "482913"
    k.screenshot("resident-checkin")
    k.tap_id("submit_button")
    k.pump(until=lambda: k.app.sm.current == "ticket")
    k.pump(until=lambda: "请取走号票" in k.screen.ids.status.text, timeout=30)
    number = k.screen.ids.number.text
    assert engine.ticket(number).appointment_id == "ap-1"
    assert [e.data["appointment_id"] for e in events(engine, "appointment.checked_in")] == ["ap-1"]


def test_rating_at_the_kiosk_by_ticket_number(kiosk, engine):
    engine.arrive("nanma-xincun")
    engine.open_window(1, "7", ["B"])
    t = engine.issue("B", "B01")
    engine.call_next(1)
    engine.complete(1, "B01", "completed")
    k = kiosk("resident")
    k.tap_id("rate_button")
    k.tap_text("B")
    for d in t.number[1:]:
        k.tap(next(b for b in k.screen.ids.keypad.children if b.text == d))
    assert k.screen.ids.number_display.text == t.number
    k.screenshot("resident-rate-number")
    k.tap_id("number_ok")
    k.settle()
    k.screenshot("resident-rate-faces")
    k.tap_text("非常满意")                              # a top level needs no reason: saved at once
    k.pump(until=lambda: "感谢" in k.screen.ids.thanks.text)
    with engine.db.read() as conn:
        rated = [e.data for e in outbox.pending(conn, 0, 1000) if e.type == "rating"]
    assert rated[0]["number"] == t.number and rated[0]["level"] == 5 and rated[0]["reasons"] == []
    k.pump(until=lambda: k.app.sm.current == "home", timeout=10)


def test_bad_rating_with_a_callback_number_after_the_consent_text(kiosk, engine):
    """好差评 on the spot: the standard's bad-rating options, then the consent text and the keypad;
    the number leaves in its own rating.callback event, and the ticket's token rides in ticket.issued."""
    engine.arrive("nanma-xincun")
    engine.open_window(1, "7", ["B"])
    t = engine.issue("B", "B01")
    engine.call_next(1)
    engine.complete(1, "B01", "completed")
    k = kiosk("resident")
    k.tap_id("rate_button")
    k.tap_text("B")
    for d in t.number[1:]:
        k.tap(next(b for b in k.screen.ids.keypad.children if b.text == d))
    k.tap_id("number_ok")
    k.settle()
    k.tap_text("非常不满意")
    k.settle()
    k.tap_text("服务态度不好")
    k.tap_id("submit_button")
    k.pump(until=lambda: k.screen.asking_callback)
    assert "只用于本次差评的回访" in k.screen.ids.consent_text.text
    for d in "13912345678":
        k.tap(next(b for b in k.screen.ids.phone_keypad.children if b.text == d))
    k.settle()
    k.screenshot("resident-rate-callback")
    k.tap_id("callback_ok")
    k.pump(until=lambda: "回访" in k.screen.ids.thanks.text)
    with engine.db.read() as conn:
        pending = outbox.pending(conn, 0, 1000)
    rated = [e.data for e in pending if e.type == "rating"]
    callback = [e.data for e in pending if e.type == "rating.callback"]
    issued = [e.data for e in pending if e.type == "ticket.issued"]
    assert rated[0]["level"] == 1 and rated[0]["reasons"] == ["attitude"]
    assert callback == [{"ticket_id": t.id, "number": t.number, "phone": "13912345678", "consent": "cb-1"}]
    assert len(issued[0]["rate_token"]) >= 20 and issued[0]["rate_token"] not in t.id
    k.pump(until=lambda: k.app.sm.current == "home", timeout=10)


def test_check_in_by_phone_digits_and_service(kiosk, engine, clock):
    engine.arrive("nanma-xincun")
    engine.replace_appointments([{"id": "ap-2", "code": "111222", "service": "E", "stop": None,
                                  "slot_start": clock() + 300, "slot_end": clock() + 900,
                                  "name_masked": "李*", "phone_last4": "5678"}])
    k = kiosk("resident", printer=lambda ticket, copy: None)
    k.tap_id("checkin_button")
    k.tap_id("switch_button")
    assert k.screen.ids.keypad.max_len == 4
    for d in "56789":                                   # the fifth digit is ignored
        k.tap(next(b for b in k.screen.ids.keypad.children if b.text == d))
    assert k.screen.ids.entered.text == "5678"
    k.tap_text("民生服务")
    k.tap_id("submit_button")
    k.pump(until=lambda: k.app.sm.current == "ticket")
    assert engine.ticket(k.screen.ids.number.text).appointment_id == "ap-2"


def test_unknown_appointment_code_is_explained(kiosk, engine):
    engine.arrive("nanma-xincun")
    k = kiosk("resident")
    k.tap_id("checkin_button")
    assert k.app.sm.current == "checkin", k.nav
    for d in "000000":
        k.tap(next(b for b in k.screen.ids.keypad.children if b.text == d))
    k.tap_id("submit_button")
    k.pump(until=lambda: k.app.sm.current == "message")
    k.settle()
    assert k.screen.ids.code.text == "no_appointment" and "没有找到预约" in k.texts()


def test_guide_lists_services_and_what_this_stop_offers(kiosk, engine):
    engine.arrive("nanma-xincun")                        # the morning visit offers A B D E F G, not C
    k = kiosk("resident")
    k.tap_id("guide_button")
    k.settle()
    text = k.texts()
    assert "工程建设项目审批" in text and "本站不办" in text and "个体工商户登记" in text
    k.screenshot("resident-guide")


def test_unplugged_printer_through_the_real_driver(kiosk, engine, virtual_printer, settings):
    engine.arrive("nanma-xincun")
    virtual_printer.stop()                               # the printer is gone (cable pulled)
    k = kiosk("resident")
    k.tap_id("take_button")
    k.tap_text("政策咨询")
    if k.app.sm.current == "item":
        k.tap_text("不确定")
    k.tap_id("take_button")
    k.pump(until=lambda: k.app.sm.current == "ticket" and "打印失败" in k.screen.ids.status.text, timeout=45)
    number = k.screen.ids.number.text
    assert engine.ticket(number).state == "waiting" and engine.ticket(number).printed == 0
    assert [a["number"] for a in CrewAlerts(engine.db).open_alerts()].count(number) == 1


def test_full_disk_is_a_message_not_a_crash(kiosk, engine):
    from ztc.db import StorageFull

    engine.arrive("nanma-xincun")
    k = kiosk("resident")

    def full(*_args, **_kwargs):
        raise StorageFull("存储空间已满，操作未保存 / storage full, nothing was saved: bus.db")

    k.app.engine.issue = full
    k.tap_id("take_button")
    k.tap_text("政策咨询")
    if k.app.sm.current == "item":
        k.tap_text("不确定")
    k.tap_id("take_button")
    k.pump(until=lambda: k.app.sm.current == "message")
    k.settle()
    assert "存储空间已满" in k.texts() and "请联系工作人员" in k.texts()
    k.tap_id("home_button")
    assert k.app.sm.current == "home"


def test_suggestion_topics_are_sent_from_large_buttons(kiosk, engine):
    """意见建议: pick topics (any number), send; nothing chosen is refused with a message."""
    engine.arrive("nanma-xincun")
    k = kiosk("resident")
    k.tap_id("suggest_button")
    assert k.app.sm.current == "suggest"
    k.tap_id("send_button")
    assert "请至少选择一项" in k.screen.ids.message.text and events(engine, "suggestion") == []
    k.tap_text("周末和节假日服务")
    k.tap_text("增加停靠点")
    k.tap_text("增加服务次数")
    k.tap_text("增加服务次数")                     # tapped again: not chosen any more
    k.screenshot("resident-suggest")
    k.tap_id("send_button")
    k.pump(until=lambda: "谢谢" in k.screen.ids.message.text, timeout=10)
    sent = events(engine, "suggestion")
    assert [e.data["topics"] for e in sent] == [["more_stops", "weekend"]]
    assert sent[0].data["visit_id"] == engine.current_visit().id
    assert min(b.height for b in k.buttons() if "停靠点" in b.text) >= 60   # large buttons


def test_guide_shows_the_materials_of_an_item_headquarters_added(kiosk, engine, settings):
    """A catalog from headquarters' editor (on the bus's own topic, as a pilot) through the real
    downlink: the 办事指南 lists the new item with what to bring and its note, in both languages."""
    from contract import protocol
    from telemetry.downlink import Downlink, downlink_kind

    services = [c.model_dump(mode="json") for c in settings.services]
    next(c for c in services if c["code"] == "E")["items"].append(
        {"code": "E04", "name_zh": "残疾人证办理", "name_en": "Disability certificate", "minutes": 15,
         "materials": ["身份证原件", "户口簿", "近期一寸免冠照片两张"],
         "note_zh": "本人到场；行动不便者可预约上门服务。", "note_en": "In person; home visits on request."})
    topic = protocol.bus_topic(settings.bus.id, protocol.CATALOG)
    assert downlink_kind(topic, settings.bus.id) == "catalog"
    raw = protocol.encode({"version": 5, "services": services})
    assert Downlink(engine.db, settings, reply=lambda _r: True).apply_document("catalog", raw) == "applied"
    engine.arrive("nanma-xincun")
    k = kiosk("resident")
    k.tap_id("guide_button")
    k.settle()
    text = k.texts()
    assert "残疾人证办理" in text and "请携带：身份证原件、户口簿、近期一寸免冠照片两张" in text
    assert "说明：本人到场；行动不便者可预约上门服务。" in text
    rows = k.screen.ids.rows
    rows.parent.scroll_to(next(w for w in rows.children if "说明：本人" in w.text), animate=False)
    k.settle()
    k.screenshot("resident-guide-materials")
