"""The service list (事项清单) in force: headquarters' catalog document when one is held, else the
shipped ``services.yaml``. Both have the same shape and the same validation.
"""
from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass

from pydantic import TypeAdapter

from contract.catalog import ServiceCategory, ServiceItem
from ztc.domain.errors import QueueError
from ztc.settings import Settings
from ztc.text import Text

_categories = TypeAdapter(list[ServiceCategory])


@dataclass(frozen=True)
class Catalog:
    version: int  # 0: the shipped list
    categories: tuple[ServiceCategory, ...]

    def category(self, prefix: str) -> ServiceCategory:
        for c in self.categories:
            if c.code == prefix:
                return c
        raise QueueError("unknown_service", Text(f"没有这项服务：{prefix}", f"no such service: {prefix}"))

    def item(self, code: str) -> ServiceItem:
        for c in self.categories:
            for i in c.items:
                if i.code == code:
                    return i
        raise QueueError("unknown_item", Text(f"没有这个事项：{code}", f"unknown service item: {code}"))

    @property
    def prefixes(self) -> list[str]:
        return [c.code for c in self.categories]


def parse_services(data: object) -> list[ServiceCategory]:
    """Validate a catalog's ``services`` list (raises pydantic.ValidationError)."""
    cats = _categories.validate_python(data)
    codes = [c.code for c in cats]
    items = [i.code for c in cats for i in c.items]
    if len(set(codes)) != len(codes) or len(set(items)) != len(items):
        raise ValueError("service prefixes and item codes must be unique")
    return cats


def effective_catalog(conn: sqlite3.Connection, settings: Settings) -> Catalog:
    row = conn.execute("SELECT version, body FROM documents WHERE kind = 'catalog'").fetchone()
    if row is None:
        return Catalog(0, tuple(settings.services))
    return Catalog(int(row[0]), tuple(parse_services(json.loads(row[1])["services"])))
