"""The one privacy check for text that leaves headquarters for a bus (and that a bus accepts):
no full phone number and no ID-card number, however it is written.

Why normalise first: ``138 1234 5678``, ``138-1234-5678``, ``１３８１２３４５６７８`` (full-width, as
Chinese input methods type it), ``+86 138…``, a spaced ID-card number or one written in Chinese
numerals are the same number to a person. So each text is NFKC-folded (full-width → ASCII),
Chinese numerals become digits, and separators between digits (spaces of any width, dashes, dots,
slashes, brackets — not colons or commas, so a date with a time stays two numbers) are removed;
then any run of 11 or more digits (a mobile number, a landline with its area code, an ID card
of 15 or 18 digits) or 17 digits + ``X`` is refused. Appointment codes (6 digits), dates and
times stay below 11 digits. Every string of a document is looked at (the
walk is iterative), keys included, so a number cannot hide in a field nobody thought of.
"""
from __future__ import annotations

import re
import unicodedata
from typing import Any

_CHINESE_DIGITS = str.maketrans("〇零一二三四五六七八九", "00123456789")
_SEPARATORS = r"\s\-‐‑‒–—―−_.·•/\\()（）\[\]【】"
_BETWEEN_DIGITS = re.compile(rf"(?<=\d)[{_SEPARATORS}]+(?=\d)")
_PRIVATE = re.compile(r"\d{11,}|\d{17}[Xx]")
# A UUID (hex or canonical) is an id the software made, not a number a person wrote; 32 hex digits
# hold a run of 11 decimal digits about one time in eight, so a whole-UUID text is not searched.
_UUID = re.compile(r"[0-9a-fA-F]{32}|[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")


def normalise(text: str) -> str:
    """The digits a person would read: full-width folded, Chinese numerals as digits, separators gone."""
    folded = unicodedata.normalize("NFKC", text).translate(_CHINESE_DIGITS)
    return _BETWEEN_DIGITS.sub("", folded)


def private_number(text: str) -> str | None:
    """The phone/ID-like number found in ``text`` (normalised, last 4 shown only), or None."""
    if _UUID.fullmatch(text):
        return None
    m = _PRIVATE.search(normalise(text))
    return None if m is None else f"{'*' * (len(m.group()) - 4)}{m.group()[-4:]}"


def private_fields(value: Any, where: str = "") -> list[str]:
    """Paths of every string (value or key) in a JSON value that holds a phone or ID-card number."""
    found: list[str] = []
    stack: list[tuple[Any, str]] = [(value, where)]
    while stack:
        v, path = stack.pop()
        if isinstance(v, dict):
            for k, c in v.items():
                if isinstance(k, str) and private_number(k):
                    found.append(f"{path}.{k}" if path else k)
                stack.append((c, f"{path}.{k}" if path else str(k)))
        elif isinstance(v, list):
            stack.extend((c, f"{path}[{n}]") for n, c in enumerate(v))
        elif isinstance(v, str) and private_number(v):
            found.append(path or "(text)")
    return sorted(found)
