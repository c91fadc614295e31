"""One bilingual text type: Simplified Chinese first, English second.

Everything a resident, a crew member or a log reads is a ``Text``: the kiosk picks one side for the
screen, a log or the wire shows both as ``"中文 / English"`` (``str()``). The wire format keeps its
``name_zh``/``name_en`` fields; ``Text.named`` reads them at that boundary.
"""
from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Protocol

SEPARATOR = " / "


class Named(Protocol):
    """Anything carrying ``name_zh``/``name_en`` (catalog entries, stops, the bus)."""

    @property
    def name_zh(self) -> str: ...

    @property
    def name_en(self) -> str: ...


@dataclass(frozen=True, slots=True)
class Text:
    """A text in both languages; ``en`` may be empty (then English readers see the Chinese)."""

    zh: str
    en: str = ""

    def __str__(self) -> str:
        """Both sides, as logs and the wire show them ("中文 / English"); one side when they agree."""
        return f"{self.zh}{SEPARATOR}{self.en}" if self.en and self.en != self.zh else self.zh

    def pick(self, lang: str) -> str:
        """The side for ``lang`` ("en" or anything else for Chinese); Chinese when English is empty."""
        return self.en if lang == "en" and self.en else self.zh

    def format(self, **values: object) -> Text:
        """Both sides with their ``{placeholders}`` filled from the same values."""
        return Text(self.zh.format(**values), self.en.format(**values))

    def __iter__(self) -> Iterator[str]:
        """``zh, en = text``: the pair, Chinese first (what the (zh, en) tuples were)."""
        yield self.zh
        yield self.en

    def to_dict(self) -> dict[str, str]:
        return {"zh": self.zh, "en": self.en}

    @classmethod
    def parse(cls, text: str) -> Text:
        """A ``"中文 / English"`` string split at its first separator (the whole text as Chinese
        when it has none): for the drivers' and older messages still written that way."""
        zh, sep, en = text.partition(SEPARATOR)
        return cls(zh, en) if sep else cls(text, "")

    @classmethod
    def named(cls, obj: Named) -> Text:
        """The name of a wire or config object kept as ``name_zh``/``name_en``."""
        return cls(obj.name_zh, obj.name_en or "")
