"""What the agent last knew about its link to headquarters and the GPS, for the crew console.

Why a file and not the database: this is a live view, not a record. Losing it loses nothing, so it
must not cost a durable commit (an fsync on the SD card every few seconds) or take the write lock
from the kiosk issuing tickets. The agent replaces the file atomically (write beside, rename) every
few seconds; a reader that finds it older than ``STALE_AFTER_S`` says the agent is not running
rather than showing an old "connected".
"""
from __future__ import annotations

import contextlib
import json
import logging
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

FILE_NAME = "agent-state.json"
WRITE_EVERY_S = 2.0
STALE_AFTER_S = 15.0


def state_path(data_dir: Path) -> Path:
    return Path(data_dir) / FILE_NAME


class AgentStateWriter:
    """The agent's side: ``write`` never raises (a full disk must not stop the agent); the first
    failure of each kind is logged, later ones only counted."""

    def __init__(self, path: Path):
        self.path = Path(path)
        self.failures = 0
        self._last_error = ""

    def write(self, state: dict[str, Any]) -> bool:
        try:
            data = json.dumps(state, ensure_ascii=False, separators=(",", ":"))
            fd, tmp = tempfile.mkstemp(prefix=".agent-state-", dir=self.path.parent)
            try:
                with os.fdopen(fd, "w", encoding="utf-8") as f:
                    f.write(data)
                os.replace(tmp, self.path)
            except BaseException:
                with contextlib.suppress(OSError):
                    os.unlink(tmp)
                raise
        except (OSError, TypeError, ValueError) as e:
            self.failures += 1
            kind = f"{type(e).__name__} {getattr(e, 'errno', '')}"   # not str(e): it names a random temp file
            if kind != self._last_error:
                self._last_error = kind
                log.warning("cannot write the agent state for the crew console (%s): %s", self.path, e)
            return False
        if self._last_error:
            log.info("agent state for the crew console written again (%s)", self.path)
        self._last_error = ""
        return True


@dataclass(frozen=True)
class AgentState:
    """What the crew console reads: ``state`` is None when there is no file or it is unreadable,
    ``problem`` then says why (in both languages)."""

    state: dict[str, Any] | None
    age_s: float | None = None
    problem: tuple[str, str] | None = None

    @property
    def fresh(self) -> bool:
        return self.state is not None and self.age_s is not None and self.age_s <= STALE_AFTER_S


def read_agent_state(data_dir: Path, now: float) -> AgentState:
    """Read the file on a worker thread; never raises."""
    path = state_path(data_dir)
    try:
        state = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return AgentState(None, problem=("上传程序未运行（没有状态）", "the uplink agent is not running (no state)"))
    except (OSError, ValueError) as e:
        return AgentState(None, problem=(f"上传程序状态无法读取：{e}", f"cannot read the agent state: {e}"))
    if not isinstance(state, dict) or not isinstance(state.get("ts"), int | float):
        return AgentState(None, problem=("上传程序状态格式错误", "the agent state file is malformed"))
    age = max(0.0, now - float(state["ts"]))
    if age > STALE_AFTER_S:
        return AgentState(state, age, (f"上传程序 {int(age)} 秒无响应", f"the uplink agent silent for {int(age)} s"))
    return AgentState(state, age)
