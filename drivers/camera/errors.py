"""Camera errors: one bilingual message a crew member can act on."""
from __future__ import annotations


class CameraError(Exception):
    """The camera cannot deliver frames; ``str()`` is "中文 / English"."""

    def __init__(self, zh: str, en: str):
        super().__init__(f"{zh} / {en}")
        self.zh = zh
        self.en = en
