"""A themed session (专场) planned at headquarters shows its theme on the resident home and on the
calling display while the bus serves it (Xvfb, the real database, the schedule as the agent stores it)."""
from __future__ import annotations

import json

THEME = "垃圾分类专场"


def test_the_current_sessions_theme_is_on_the_home_and_the_display(kiosk, engine, clock):
    visit = {"stop": "lishan-park", "name": "历山街道工业园", "lat": 36.2075, "lon": 118.1538, "radius_m": 80,
             "arrive": clock() - 600, "depart": clock() + 3 * 3600, "services": ["A", "F"], "theme": THEME}
    with engine.db.write() as conn:  # headquarters' schedule document, as the agent applies it
        conn.execute("INSERT OR REPLACE INTO documents(kind, version, body, applied_at) VALUES (?,?,?,?)",
                     ("schedule", 1, json.dumps({"version": 1, "visits": [visit]}), clock()))
    engine.arrive("lishan-park")
    home = kiosk("resident")
    home.settle()
    assert f"本场：{THEME}" in home.texts()
    home.screenshot("resident-home-theme")
    display = kiosk("display")
    display.settle()
    display.pump(until=lambda: THEME in display.screen.ids.where.text)
    assert "历山街道工业园" in display.screen.ids.where.text
    display.screenshot("display-theme")
