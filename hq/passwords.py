"""The password policy of staff accounts: long enough, and not a pattern a guesser tries first.

Why zxcvbn (Dropbox's estimator, the ``zxcvbn`` Python port): it ships the frequency lists of leaked
passwords and finds repeats, sequences and keyboard walks inside a password, which a short hand-kept
list would not. The rules a person can act on are checked here first, in order, so the refusal names
the rule that failed (Chinese first); whatever zxcvbn still rates as easy to guess (score < 3 of 4) is
refused with the pattern it found.
"""
from __future__ import annotations

import re

from zxcvbn import zxcvbn

MIN_LENGTH = 10
MIN_SCORE = 3  # zxcvbn: 0 too guessable … 4 very unguessable; 3 = "safely unguessable" for online attacks
_ROWS = ("0123456789", "abcdefghijklmnopqrstuvwxyz", "qwertyuiop", "asdfghjkl", "zxcvbnm", "1qaz2wsx3edc")

RULES: dict[str, str] = {
    "length": f"密码至少 {MIN_LENGTH} 位 / the password needs at least {MIN_LENGTH} characters",
    "name": "密码不能包含用户名 / the password must not contain the user name",
    "repeat": "密码不能是重复的字符（如 aaaaaaaaaa、abcabcabc）/ the password must not be a repeated pattern",
    "sequence": "密码不能是连续的字符或键盘排列（如 1234567890、qwertyuiop）/ "
                "the password must not be a sequence or a keyboard row",
    "common": "这是常见密码，容易被猜中 / this is a common password, easy to guess",
    "weak": "密码太容易被猜中，请加长或混合不相关的词 / the password is too easy to guess: make it longer "
            "or mix unrelated words",
}


class WeakPassword(ValueError):
    """A refused password; ``rule`` is a key of RULES and the text says it to the person."""

    def __init__(self, rule: str):
        super().__init__(RULES[rule])
        self.rule = rule


def _is_run(text: str) -> bool:
    """The whole text is a stretch of one row (ascending or descending), e.g. 1234567890, poiuytrewq."""
    low = text.lower()
    return any(low in row or low in row[::-1] for row in _ROWS for row in (row, row * 2))


def check_password(password: str, name: str = "") -> None:
    """Raise WeakPassword naming the first rule the password breaks."""
    if len(password) < MIN_LENGTH:
        raise WeakPassword("length")
    if len(name) >= 3 and name.lower() in password.lower():
        raise WeakPassword("name")
    if re.fullmatch(r"(.{1,5}?)\1+", password, re.S):
        raise WeakPassword("repeat")
    if _is_run(password):
        raise WeakPassword("sequence")
    result = zxcvbn(password[:100], user_inputs=[name] if name else [])  # zxcvbn slows on very long input
    if result["score"] >= MIN_SCORE:
        return
    longest = max(result["sequence"], key=lambda m: len(m["token"]))
    if longest["pattern"] == "dictionary" and longest.get("dictionary_name") == "passwords":
        raise WeakPassword("common")
    if longest["pattern"] == "repeat":
        raise WeakPassword("repeat")
    if longest["pattern"] in ("sequence", "spatial"):
        raise WeakPassword("sequence")
    raise WeakPassword("weak")
