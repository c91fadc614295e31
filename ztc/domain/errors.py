"""Domain errors carry a stable code for programs and a bilingual message for people."""
from __future__ import annotations

from typing import Any

from ztc.text import Text


class QueueError(Exception):
    """A request the queue cannot honour, said in Chinese first, then English (``message``)."""

    def __init__(self, code: str, message: Text, **details: Any):
        super().__init__(str(message))
        self.code = code
        self.message = message
        self.details = details

    @property
    def zh(self) -> str:
        return self.message.zh

    @property
    def en(self) -> str:
        return self.message.en

    def to_dict(self) -> dict[str, Any]:
        return {"ok": False, "error": self.code, "message": str(self), **self.details}
