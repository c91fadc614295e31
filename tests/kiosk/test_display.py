"""The calling display under Xvfb: a call made elsewhere (the crew's engine, another connection)
shows up large, and its announcement is a real, non-silent WAV made by espeak-ng."""
from __future__ import annotations

import json

from kiosk.voice import Announcer, read_pcm, rms


def test_call_is_shown_and_announced(kiosk, engine, tmp_path):
    engine.arrive("nanma-xincun")
    engine.open_window(1, "7", ["D", "F"])
    old = engine.issue("F", None)
    engine.call_next(1)                         # called before the display started: history, not news
    engine.no_show(1)
    ticket = engine.issue("D", None)
    engine.issue("D", None)
    voice = Announcer(out_dir=tmp_path / "voice", play=False)
    k = kiosk("display", announcer=voice)
    k.settle()
    assert voice.count == 0 and old.number not in k.screen.ids.now_zh.text

    engine.call_next(1)                         # the crew console calls: the display notices the commit
    k.pump(until=lambda: ticket.number in k.screen.ids.now_zh.text)
    assert k.screen.ids.now_zh.text == f"请 {ticket.number} 号 到 1 号窗口"
    assert k.screen.ids.now_zh.font_size >= 70
    k.pump(until=lambda: k.screen.ids.now_box.glow > 0.5, timeout=5)      # the new call flashes
    k.pump(until=lambda: voice.count == 1, timeout=30)
    wav = next((tmp_path / "voice").glob("*.wav"))
    assert rms(read_pcm(wav)) > 500             # chime and speech, not silence
    k.pump(0.3)
    assert "今天 13:30–16:30 历山街道工业园" in k.screen.ids.where.text    # where the bus goes next, with the day
    k.screenshot("display-calling")

    engine.recall(1)                            # a recall is announced again
    k.pump(until=lambda: voice.count == 2, timeout=30)
    assert "D" in "".join(w.text for w in k.screen.ids.waiting.children)

    with engine.db.write() as conn:             # headquarters' notice, as the agent stores it
        conn.execute("INSERT OR REPLACE INTO meta(key, value) VALUES ('announcement', ?)",
                     (json.dumps({"text_zh": "下午两点开始办理医保", "text_en": "Insurance from 2 pm",
                                  "until": None}),))
    k.pump(until=lambda: "下午两点" in k.screen.ids.notice.text)
    k.screenshot("display-notice")


def test_broken_voice_is_a_warning_not_a_crash(kiosk, engine, tmp_path):
    engine.arrive("nanma-xincun")
    engine.open_window(1, "7", ["D"])
    t = engine.issue("D", None)
    voice = Announcer(clips_dir=tmp_path / "no-clips", out_dir=tmp_path / "voice", play=False)
    k = kiosk("display", announcer=voice)
    k.settle()
    engine.call_next(1)
    k.pump(until=lambda: t.number in k.screen.ids.now_zh.text)
    k.pump(until=lambda: voice.warnings, timeout=20)
    assert "语音播报失败" in voice.warnings[0] and "missing recorded clip" in voice.warnings[0]
    assert k.app.root.get_root_window() is not None
