"""What every headquarters route needs, built once per process: the store, the settings and the
services over them. A plain record, not a god object: each route module takes what it uses."""
from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from hq.audit import AuditLog
from hq.auth import Accounts
from hq.cases import Cases
from hq.documents import Documents, Publish
from hq.live import LiveHub
from hq.storage import HqStore
from ztc.settings import HqSettings


@dataclass
class HqContext:
    store: HqStore
    settings: HqSettings
    accounts: Accounts
    documents: Documents
    cases: Cases
    audit: AuditLog
    hub: LiveHub = field(default_factory=LiveHub)
    clock: Callable[[], float] = time.time

    @classmethod
    def build(cls, store: HqStore, settings: HqSettings, publish: Publish | None = None,
              hub: LiveHub | None = None, clock: Callable[[], float] = time.time) -> HqContext:
        return cls(store=store, settings=settings,
                   accounts=Accounts(store, settings.login_failures, settings.lockout_s, settings.session_hours * 3600),
                   documents=Documents(store, publish), cases=Cases(store, settings.followup_days),
                   audit=AuditLog(store),
                   hub=hub or LiveHub(), clock=clock)

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.settings.timezone)
