"""Generic limits on any JSON value that crosses the wire: nesting depth, string and list lengths,
keys per object, total encoded size.

Why beside the typed models: an event may carry fields a newer bus adds (receivers ignore unknown
fields), and those must not be able to break a reader either — a few hundred levels of nesting
break JSON encoders that recurse, a megabyte string bloats every page that lists it.
The walk is iterative, so checking a hostile value cannot itself overflow the stack.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any


class LimitError(ValueError):
    """A value over a limit; the text names the path and the limit (for the log and the quarantine)."""


@dataclass(frozen=True)
class JsonLimits:
    max_depth: int = 8          # objects/lists inside each other (an event's data is depth 1)
    max_string: int = 2000      # characters in one string (the longest honest text: a resolution)
    max_items: int = 500        # entries in one list or object
    max_key: int = 64           # characters in one object key
    max_bytes: int = 64_000     # the whole value, encoded as compact UTF-8 JSON


EVENT_DATA = JsonLimits()
# position, queue and health are stored as sent (unknown fields kept) and shown on every page that
# lists buses: the same rules, a smaller whole (an honest health message is about 2 KB).
LATEST_STATE = JsonLimits(max_items=200, max_bytes=32_000)


def depth_of(value: Any) -> int:
    """Nesting depth of a JSON value (a scalar is 0, ``{}`` is 1), without recursion."""
    deepest, stack = 0, [(value, 0)]
    while stack:
        v, d = stack.pop()
        if isinstance(v, dict | list):
            d += 1
            deepest = max(deepest, d)
            stack.extend((c, d) for c in (v.values() if isinstance(v, dict) else v))
    return deepest


def check_json(value: Any, limits: JsonLimits = EVENT_DATA, where: str = "data") -> None:
    """Raise LimitError when ``value`` breaks a limit or is not plain JSON (finite numbers only)."""
    stack: list[tuple[Any, str, int]] = [(value, where, 0)]
    while stack:
        v, path, depth = stack.pop()
        if isinstance(v, dict):
            if depth + 1 > limits.max_depth:
                raise LimitError(f"{path}: nested deeper than {limits.max_depth} levels")
            if len(v) > limits.max_items:
                raise LimitError(f"{path}: more than {limits.max_items} keys")
            for k, c in v.items():
                if not isinstance(k, str) or len(k) > limits.max_key:
                    raise LimitError(f"{path}: a key longer than {limits.max_key} characters")
                stack.append((c, f"{path}.{k}", depth + 1))
        elif isinstance(v, list):
            if depth + 1 > limits.max_depth:
                raise LimitError(f"{path}: nested deeper than {limits.max_depth} levels")
            if len(v) > limits.max_items:
                raise LimitError(f"{path}: more than {limits.max_items} items")
            stack.extend((c, f"{path}[{n}]", depth + 1) for n, c in enumerate(v))
        elif isinstance(v, str):
            if len(v) > limits.max_string:
                raise LimitError(f"{path}: text longer than {limits.max_string} characters")
        elif isinstance(v, float):
            if v != v or v in (float("inf"), float("-inf")):
                raise LimitError(f"{path}: not a finite number")
        elif v is not None and not isinstance(v, bool | int):
            raise LimitError(f"{path}: not a JSON value ({type(v).__name__})")
        elif isinstance(v, int) and not isinstance(v, bool) and abs(v) > 2**63 - 1:
            raise LimitError(f"{path}: integer out of range")
    size = len(json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode())
    if size > limits.max_bytes:
        raise LimitError(f"{where}: {size} bytes, more than {limits.max_bytes}")
