"""Voice announcements without the screen: espeak-ng's Mandarin voice, the chime, quiet hours, clips."""
from __future__ import annotations

import datetime as dt
import wave

from kiosk.voice import RATE, Announcer, call_text, chime, in_quiet_hours, read_pcm, rms, spoken_text


def test_texts():
    assert call_text("A007", 1) == "请 A007 号到 1 号窗口"
    assert spoken_text("A007", 1) == "请 A零零七 号，到 一 号窗口"


def test_espeak_mandarin_wav_is_speech(tmp_path):
    a = Announcer(out_dir=tmp_path, play=False)
    path = a.announce("B012", 3)
    assert path is not None and a.warnings == []
    pcm = read_pcm(path)
    speech = pcm[len(chime()):]
    assert len(speech) > RATE * 2 * 1.0          # more than a second of speech after the chime
    assert rms(speech) > 500
    louder = Announcer(out_dir=tmp_path / "loud", play=False, volume=1.8).announce("B012", 3)
    assert rms(read_pcm(louder)[len(chime()):]) > rms(speech) * 1.3   # the volume setting works


def test_quiet_hours_wrap_midnight(tmp_path):
    quiet = (dt.time(22, 0), dt.time(7, 0))
    assert in_quiet_hours(dt.time(23, 30), quiet) and in_quiet_hours(dt.time(6, 59), quiet)
    assert not in_quiet_hours(dt.time(7, 0), quiet) and not in_quiet_hours(dt.time(12, 0), None)
    a = Announcer(out_dir=tmp_path, play=False, quiet_hours=quiet, local_time=lambda: dt.time(23, 0))
    assert a.announce("A001", 1) is None and list(tmp_path.iterdir()) == []


def test_recorded_clips_replace_espeak(tmp_path):
    clips = tmp_path / "clips"
    clips.mkdir()
    for name in ["请", "A", "0", "1", "号到", "号窗口"]:
        with wave.open(str(clips / f"{name}.wav"), "wb") as w:
            w.setnchannels(1)
            w.setsampwidth(2)
            w.setframerate(RATE)
            w.writeframes(chime(0.2))
    a = Announcer(clips_dir=clips, out_dir=tmp_path / "out", play=False)
    path = a.announce("A001", 1)
    # chime + 8 clips (请 A 0 0 1 号到 1 号窗口) of 0.2 s each
    assert len(read_pcm(path)) == len(chime()) + 8 * len(chime(0.2))


def test_missing_player_is_a_warning(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path))  # neither espeak-ng nor any player can be found
    a = Announcer(out_dir=tmp_path / "out", play=True)
    assert a.announce("A001", 1) is None
    assert "espeak-ng is not installed" in a.warnings[0]
