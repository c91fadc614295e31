"""What every domain operation needs: the open transaction, the settings and 'now'."""
from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass
from functools import cached_property
from typing import Any

from ztc.db import outbox
from ztc.domain.catalog import Catalog, effective_catalog
from ztc.settings import Settings


@dataclass
class Ctx:
    conn: sqlite3.Connection
    settings: Settings
    now: float

    @cached_property
    def catalog(self) -> Catalog:
        return effective_catalog(self.conn, self.settings)

    def emit(self, type_: str, data: dict[str, Any]) -> int:
        """Record an event for headquarters in this same transaction; returns its seq."""
        return outbox.append(self.conn, type_, data, self.now)

    def meta(self, key: str, default: str | None = None) -> str | None:
        row = self.conn.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return row[0] if row else default

    def set_meta(self, key: str, value: str) -> None:
        self.conn.execute("INSERT OR REPLACE INTO meta(key, value) VALUES (?, ?)", (key, value))


def loads(text: str | None) -> Any:
    return json.loads(text) if text else None


def dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))
