"""Domain errors carry a stable code for programs and a bilingual message for people."""
from __future__ import annotations

from typing import Any


class QueueError(Exception):
    """A request the queue cannot honour, said in Chinese first, then English."""

    def __init__(self, code: str, zh: str, en: str, **details: Any):
        super().__init__(f"{zh} / {en}")
        self.code = code
        self.zh = zh
        self.en = en
        self.details = details

    def to_dict(self) -> dict[str, Any]:
        return {"ok": False, "error": self.code, "message": str(self), **self.details}
