"""Voice calling on the waiting-area display: a chime, then "请 A007 号到 1 号窗口" in Mandarin.

Why this shape: speech is synthesised offline by espeak-ng's Mandarin voice (``-v cmn``) into a WAV,
a two-tone chime is put in front, and a player process plays it. ``announce`` blocks, so callers run
it on a worker thread. Recorded clips (a folder of WAVs named after what they say) replace espeak
when configured. A missing or broken espeak/player is a warning: the screen still shows the call.
"""
from __future__ import annotations

import datetime as dt
import logging
import math
import shutil
import subprocess
import tempfile
import wave
from array import array
from collections.abc import Callable
from pathlib import Path
from typing import Any

from ztc.text import Text

log = logging.getLogger(__name__)

RATE = 22050  # espeak-ng's output rate: chime and speech share one format, no resampling
DIGITS_ZH = "零一二三四五六七八九"
PLAYERS = (["aplay", "-q"], ["paplay"], ["pw-play"])


class VoiceError(Exception):
    """Speech could not be produced; the message says why (espeak missing, bad clip…)."""


def call_text(number: str, window: int) -> str:
    """What the screen shows: 请 A007 号到 1 号窗口."""
    return f"请 {number} 号到 {window} 号窗口"


def spoken_text(number: str, window: int) -> str:
    """What is said: digits one by one in Chinese (A 零零七), as a caller reads a ticket."""
    letters = "".join(ch if not ch.isdigit() else DIGITS_ZH[int(ch)] for ch in number)
    win = "".join(DIGITS_ZH[int(c)] for c in str(window)) if window < 10 else str(window)
    return f"请 {letters} 号，到 {win} 号窗口"


def chime(seconds: float = 0.7, volume: float = 0.4) -> bytes:
    """A soft two-tone "ding-dong" (16-bit mono PCM), so residents look up before the words."""
    out = array("h")
    half = int(RATE * seconds / 2)
    for freq in (880.0, 660.0):
        for n in range(half):
            env = math.exp(-3.0 * n / half)
            out.append(int(32767 * volume * env * math.sin(2 * math.pi * freq * n / RATE)))
    return out.tobytes()


def rms(pcm: bytes) -> float:
    """Loudness of 16-bit PCM: 0 for silence. Tests use it to prove the file holds sound."""
    samples = array("h")
    samples.frombytes(pcm[: len(pcm) - len(pcm) % 2])
    if not samples:
        return 0.0
    return math.sqrt(sum(s * s for s in samples) / len(samples))


def read_pcm(path: Path) -> bytes:
    with wave.open(str(path), "rb") as w:
        if w.getsampwidth() != 2 or w.getnchannels() != 1:
            raise VoiceError(f"{path}: need 16-bit mono WAV")
        return w.readframes(w.getnframes())


def scale(pcm: bytes, volume: float) -> bytes:
    samples = array("h")
    samples.frombytes(pcm)
    return array("h", (max(-32768, min(32767, int(s * volume))) for s in samples)).tobytes()


def in_quiet_hours(now: dt.time, quiet: tuple[dt.time, dt.time] | None) -> bool:
    """Quiet hours may wrap midnight (22:00–07:00)."""
    if quiet is None:
        return False
    start, end = quiet
    return start <= now < end if start <= end else (now >= start or now < end)


class Announcer:
    """Builds the announcement WAV and plays it; ``out_dir`` keeps the files (tests, diagnostics)."""

    def __init__(self, voice: str = "cmn", volume: float = 1.0, clips_dir: Path | None = None,
                 out_dir: Path | None = None, play: bool = True,
                 quiet_hours: tuple[dt.time, dt.time] | None = None,
                 local_time: Callable[[], dt.time] = lambda: dt.datetime.now().time(), enabled: bool = True):
        self.enabled = enabled
        self.voice = voice
        self.volume = volume
        self.clips_dir = clips_dir
        self.out_dir = out_dir
        self.play = play
        self.quiet_hours = quiet_hours
        self.local_time = local_time
        self.count = 0
        self.warnings: list[str] = []

    def announce(self, number: str, window: int) -> Path | None:
        """Synthesise and play one call (blocking: run it off the UI thread). Never raises."""
        if not self.enabled:
            return None
        if in_quiet_hours(self.local_time(), self.quiet_hours):
            log.info("quiet hours: %s shown, not spoken", number)
            return None
        try:
            pcm = chime() + self.speech(number, window)
            path = self._write(pcm, number, window)
        except (VoiceError, OSError) as e:
            self._warn(Text(f"语音播报失败：{e}", f"voice announcement failed: {e}"))
            return None
        self.count += 1
        if self.play:
            self._play(path)
        return path

    def speech(self, number: str, window: int) -> bytes:
        if self.clips_dir is not None:
            return self._from_clips(number, window)
        exe = shutil.which("espeak-ng") or shutil.which("espeak")
        if exe is None:
            raise VoiceError("espeak-ng is not installed (Debian package espeak-ng)")
        with tempfile.TemporaryDirectory(prefix="ztc-voice-") as tmp:
            wav = Path(tmp) / "speech.wav"
            amplitude = str(max(0, min(200, int(100 * self.volume))))
            try:
                subprocess.run([exe, "-v", self.voice, "-s", "150", "-a", amplitude, "-w", str(wav),
                                spoken_text(number, window)], check=True, capture_output=True, timeout=20)
            except (subprocess.CalledProcessError, subprocess.TimeoutExpired) as e:
                detail = getattr(e, "stderr", b"") or b""
                raise VoiceError(f"espeak-ng failed: {detail.decode(errors='replace').strip() or e}") from e
            with wave.open(str(wav), "rb") as w:
                if w.getframerate() != RATE:
                    raise VoiceError(f"espeak-ng wrote {w.getframerate()} Hz, expected {RATE}")
                return w.readframes(w.getnframes())

    def _from_clips(self, number: str, window: int) -> bytes:
        """Recorded clips: 请.wav, A.wav…, 0.wav…9.wav, 号到.wav, 号窗口.wav (16-bit mono 22.05 kHz)."""
        assert self.clips_dir is not None
        parts = ["请", *number, "号到", *str(window), "号窗口"]
        pcm = b""
        for part in parts:
            clip = self.clips_dir / f"{part}.wav"
            if not clip.is_file():
                raise VoiceError(f"missing recorded clip {clip}")
            pcm += scale(read_pcm(clip), self.volume)
        return pcm

    def _write(self, pcm: bytes, number: str, window: int) -> Path:
        folder = self.out_dir or Path(tempfile.gettempdir())
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / f"call-{number}-w{window}-{self.count + 1}.wav"
        with wave.open(str(path), "wb") as w:
            w.setnchannels(1)
            w.setsampwidth(2)
            w.setframerate(RATE)
            w.writeframes(pcm)
        return path

    def _play(self, path: Path) -> None:
        for cmd in PLAYERS:
            if shutil.which(cmd[0]):
                try:
                    subprocess.run([*cmd, str(path)], check=True, capture_output=True, timeout=30)
                except (subprocess.CalledProcessError, subprocess.TimeoutExpired) as e:
                    self._warn(Text(f"播放失败（{cmd[0]}）：{e}", f"playing the announcement failed ({cmd[0]}): {e}"))
                break
        else:
            self._warn(Text("没有音频播放器（请安装 alsa-utils 的 aplay）",
                            "no audio player (install alsa-utils for aplay)"))
        if self.out_dir is None:
            path.unlink(missing_ok=True)

    def _warn(self, message: Text) -> None:
        """Log a problem once (both languages), keep every occurrence for the health line."""
        said = str(message)
        if said not in self.warnings:
            log.warning("%s", said)
        self.warnings.append(said)


def announcer_from_settings(settings: Any) -> Announcer:
    """The display's announcer from ``settings.kiosk.voice``; quiet hours in the bus's time zone."""
    v = settings.kiosk.voice
    quiet = None
    if v.quiet_start and v.quiet_end:
        quiet = (dt.time.fromisoformat(v.quiet_start), dt.time.fromisoformat(v.quiet_end))
    return Announcer(voice=v.voice, volume=v.volume, clips_dir=Path(v.clips_dir) if v.clips_dir else None,
                     quiet_hours=quiet, enabled=v.enabled,
                     local_time=lambda: dt.datetime.now(settings.tz).time())
