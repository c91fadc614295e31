"""Camera errors: one bilingual message a crew member can act on."""
from __future__ import annotations

from ztc.text import Text


class CameraError(Exception):
    """The camera cannot deliver frames; ``str()`` is "中文 / English"."""

    def __init__(self, zh: str, en: str):
        self.text = Text(zh, en)
        super().__init__(str(self.text))
        self.zh = zh
        self.en = en
