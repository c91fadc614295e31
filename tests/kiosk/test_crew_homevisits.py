"""The crew console's 上门服务 list and the stop chooser under Xvfb: headquarters' schedule and
appointments applied through the real downlink; the crew open a home visit by touch, call, serve and
record it like any ticket; arrive at a stop only headquarters scheduled; open an on-demand stop."""
from __future__ import annotations

from tests.core.test_homevisits import HOME, apply, appointments, schedule
from tests.kiosk.test_crew import CREW, PIN, open_console
from ztc.db import open_database, outbox
from ztc.domain.crew import CrewAccounts


def test_the_crew_serve_a_home_visit_from_the_list(kiosk, engine, settings, clock):
    CrewAccounts(open_database(settings.db_path)).set_pin(CREW, PIN)
    apply(engine, "schedule", schedule())
    apply(engine, "appointments", appointments())
    clock.advance(4 * 3600)  # the departure for the home visit; the morning stop is over
    k = kiosk("crew")
    open_console(k, "市场主体登记")
    k.tap_text("到站")
    k.pump(until=lambda: "上门服务（今日 1 个）" in [b.text for b in k.buttons()])
    k.tap_text("上门服务")
    k.pump(until=lambda: "南麻街道幸福村3组12号" in k.texts())
    texts = k.texts()
    assert "卧床：需要轮椅通道" in texts and "预约码 482913" in texts and "13:05–14:05" in texts
    assert "李*" in texts and "尾号 1111" in texts
    k.screenshot("crew-home-visits")
    k.tap_text("开始上门服务")
    k.pump(until=lambda: "已开始上门服务" in k.screen.ids.message.text)
    assert engine.current_visit().stop_id == HOME
    number = engine.home_visits()[0]["number"]
    assert number and f"号码 {number}" in k.screen.ids.message.text
    k.tap_text("队列")  # the queue tab
    k.pump(until=lambda: k.app.sm.current == "console")
    k.tap_id("call_button")
    k.settle()
    assert number in k.screen.ids.current.text
    k.tap_id("start_button")
    k.settle()
    k.tap_id("complete_button")
    assert k.app.sm.current == "record"
    k.tap(k.screen.ids.item_choices.children[-1])            # the first item of the service
    k.tap(next(b for b in k.buttons() if b.text == "办结"))  # the outcome
    k.tap_id("save_button")
    k.pump(until=lambda: k.app.sm.current in ("rating", "console"))
    assert engine.home_visits()[0]["state"] == "served"
    served = [e for e in engine_events(engine) if e.type == "ticket.served"]
    assert served[0].data["number"] == number and served[0].data["outcome"] == "completed"


def test_the_crew_arrive_at_a_stop_headquarters_scheduled_or_open_one_on_demand(kiosk, engine, settings):
    CrewAccounts(open_database(settings.db_path)).set_pin(CREW, PIN)
    apply(engine, "schedule", schedule())
    k = kiosk("crew")
    open_console(k)
    k.tap_text("到站")
    k.pump(until=lambda: any("东里镇广场" in b.text for b in k.buttons()))
    k.screenshot("crew-visit-stops")
    k.tap_text("到达 东里镇广场")
    k.pump(until=lambda: engine.current_visit() is not None)
    assert engine.current_visit().stop_id == "dongli-square"
    k.settle()
    k.tap_text("离站")
    k.pump(until=lambda: engine.current_visit() is None)
    k.settle()
    k.tap_text("预约即开")
    k.pump(until=lambda: engine.current_visit() is not None)
    visit = engine.current_visit()
    assert visit.adhoc is True and visit.stop_name.startswith("临时服务点 ")


def engine_events(engine):
    with engine.db.read() as conn:
        return outbox.pending(conn, 0, 10000)
