"""China's working-day calendar, one for all of ztc: public holidays, the working weekends (调休上班)
and the county's own decisions.

Why this source: the ``holidays`` package (vacanza/holidays) carries each year's State Council notice
(国务院办公厅关于部分节假日安排的通知) as data — the statutory days, the days off moved onto weekdays and
the weekends worked instead (``weekend_workdays``) — with zh_CN names, and is released monthly by a
team. ``chinese-calendar`` carries the same notices but only to 2026 in its latest release and is one
person's project. Neither has 2027 while its notice is not yet in a release: past the last year the
package has a notice for, it computes the statutory days from the law alone (no 调休). ztc marks such
days ``estimated`` and the county's override file (``config/holidays.yaml``) can hold the real days
(or any local decision: a county holiday, a working Saturday) until the package catches up.

Used by headquarters (route calendar, case deadlines) and the bus alike: no Kivy, no hq imports.
"""
from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from datetime import date as Date
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Literal

import holidays
import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

SHIPPED_OVERRIDES = Path(__file__).resolve().parent.parent / "config" / "holidays.yaml"
Kind = Literal["workday", "weekend", "holiday", "swap_workday"]
KIND_TEXT = {  # kind → (Chinese, English), for every page and notice that shows it
    "workday": ("工作日", "working day"),
    "weekend": ("周末", "weekend"),
    "holiday": ("法定节假日", "public holiday"),
    "swap_workday": ("调休上班", "working weekend (调休)"),
}
_SUBSTITUTED = re.compile(r"(\d{4}-\d{2}-\d{2})")  # zh_CN "休息日（由 2026-10-10 调休）"
_MAX_SPAN = 3660  # add/between refuse more than ten years: a typo, not a plan


class HolidayFileError(ValueError):
    """The override file cannot be used; the message names the file, the line and the problem."""


@dataclass(frozen=True)
class DayInfo:
    """What one date is. ``estimated``: the package has no State Council notice for that year yet."""

    day: date
    kind: Kind
    name_zh: str | None = None
    name_en: str | None = None
    source: Literal["package", "county", "weekday"] = "weekday"
    estimated: bool = False
    note: str = ""
    works_as: date | None = None  # a 调休 working weekend does the work of this day off (its weekday's route)

    @property
    def working(self) -> bool:
        return self.kind in ("workday", "swap_workday")

    def as_json(self) -> dict[str, object]:
        zh, en = KIND_TEXT[self.kind]
        return {"date": self.day.isoformat(), "working": self.working, "kind": self.kind,
                "kind_zh": zh, "kind_en": en, "name_zh": self.name_zh, "name_en": self.name_en,
                "source": self.source, "estimated": self.estimated, "note": self.note,
                "works_as": self.works_as.isoformat() if self.works_as else None}


class _Override(BaseModel):
    """One entry of config/holidays.yaml: a date (or a from–to range) the county decided."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)
    on: Annotated[Date | None, Field(alias="date")] = None
    from_: Annotated[Date | None, Field(alias="from")] = None
    to: Date | None = None
    kind: Literal["holiday", "workday"]
    name_zh: Annotated[str, Field(min_length=1, max_length=40)]
    name_en: Annotated[str, Field(max_length=80)] = ""
    note: Annotated[str, Field(max_length=200)] = ""

    @model_validator(mode="after")
    def _one_date_or_range(self) -> _Override:
        if (self.on is None) == (self.from_ is None and self.to is None):
            raise ValueError("give either date, or from and to / 写 date，或 from 与 to")
        if self.on is None:
            if self.from_ is None or self.to is None:
                raise ValueError("a range needs both from and to / 区间需要 from 与 to")
            if self.to < self.from_:
                raise ValueError(f"to {self.to} is before from {self.from_} / 结束早于开始")
            if (self.to - self.from_).days > 366:
                raise ValueError("a range longer than a year / 区间超过一年")
        return self

    def days(self) -> Iterable[date]:
        if self.on is not None:
            yield self.on
            return
        assert self.from_ is not None and self.to is not None
        d = self.from_
        while d <= self.to:
            yield d
            d += timedelta(days=1)


def load_overrides(path: Path) -> dict[date, DayInfo]:
    """Read the county's decisions; a missing file is no decisions, a bad one a HolidayFileError."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return {}
    except OSError as e:
        raise HolidayFileError(f"{path}: 无法读取 / cannot read: {e.strerror}") from e
    try:
        root = yaml.compose(text)
        data = yaml.load(text, Loader=yaml.BaseLoader)  # strings only: pydantic reads the dates
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        where = f" line {mark.line + 1}" if mark else ""
        raise HolidayFileError(f"{path}:{where}: 不是有效的 YAML / not valid YAML: "
                               f"{getattr(e, 'problem', None) or e}") from e
    if data is None or data == "":
        return {}
    if isinstance(data, dict) and data.get("days") == "":
        data["days"] = []
    if not isinstance(data, dict) or not isinstance(data.get("days", []), list) or set(data) - {"days"}:
        raise HolidayFileError(f"{path}: line 1: 顶层应为 days: 列表 / the top level must be `days:` with a list")
    items = data.get("days") or []
    item_nodes = _list_nodes(root)
    out: dict[date, DayInfo] = {}
    for i, raw in enumerate(items):
        line = item_nodes[i].start_mark.line + 1 if i < len(item_nodes) else 1
        try:
            entry = _Override.model_validate(raw)
        except ValidationError as e:
            err = e.errors()[0]
            field = ".".join(str(p) for p in err["loc"]) or "entry"
            msg = err["msg"].removeprefix("Value error, ")
            if err["type"] == "extra_forbidden":
                msg = "unknown key / 未知字段 (date, from, to, kind, name_zh, name_en, note)"
            raise HolidayFileError(f"{path}: line {line}: days[{i}].{field}: {msg}") from None
        for d in entry.days():
            if d in out:
                raise HolidayFileError(f"{path}: line {line}: {d} 已在前面写过 / is already given above")
            weekend = d.weekday() >= 5
            kind: Kind = "holiday" if entry.kind == "holiday" else ("swap_workday" if weekend else "workday")
            out[d] = DayInfo(d, kind, entry.name_zh, entry.name_en or None, "county", False, entry.note)
    return out


def _list_nodes(root: yaml.Node | None) -> list[yaml.Node]:
    if not isinstance(root, yaml.MappingNode):
        return []
    for key, value in root.value:
        if key.value == "days" and isinstance(value, yaml.SequenceNode):
            return list(value.value)
    return []


class WorkCalendar:
    """Answers per date; built per year on first use (the package computes a year in milliseconds)."""

    def __init__(self, overrides: dict[date, DayInfo] | None = None):
        self.overrides = overrides or {}
        self._years: dict[int, dict[date, DayInfo]] = {}
        probe = holidays.country_holidays("CN", years=range(2020, 2041))
        self.official_through = max(d.year for d in probe.weekend_workdays)

    # --- one date --------------------------------------------------------------------------------

    def day(self, d: date) -> DayInfo:
        if d in self.overrides:
            return self.overrides[d]
        known = self._year(d.year).get(d)
        if known is not None:
            return known
        return DayInfo(d, "weekend" if d.weekday() >= 5 else "workday", estimated=d.year > self.official_through)

    def is_working_day(self, d: date) -> bool:
        return self.day(d).working

    def holiday_name(self, d: date) -> tuple[str, str] | None:
        """(zh, en) of the holiday this date belongs to — also for a weekend inside a holiday period
        and for a 调休 working weekend (named after the holiday it makes up for)."""
        info = self.day(d)
        return (info.name_zh, info.name_en or info.name_zh) if info.name_zh else None

    def days(self, start: date, end: date) -> list[DayInfo]:
        """Every date from ``start`` to ``end`` inclusive."""
        return [self.day(start + timedelta(days=i)) for i in range((end - start).days + 1)]

    # --- arithmetic (case deadlines) -------------------------------------------------------------

    def add_working_days(self, d: date, n: int) -> date:
        """The n-th working day after ``d`` (before it for negative n); n = 0 is ``d`` itself."""
        if abs(n) > _MAX_SPAN:
            raise ValueError(f"too many working days: {n}")
        step = 1 if n >= 0 else -1
        left = abs(n)
        while left:
            d += timedelta(days=step)
            if self.is_working_day(d):
                left -= 1
        return d

    def working_days_between(self, start: date, end: date) -> int:
        """Working days after ``start`` up to and including ``end`` (negative when end < start), so
        ``working_days_between(d, add_working_days(d, n)) == n``."""
        if abs((end - start).days) > _MAX_SPAN:
            raise ValueError(f"dates too far apart: {start} … {end}")
        lo, hi, sign = (start, end, 1) if end >= start else (end, start, -1)
        return sign * sum(1 for i in range(1, (hi - lo).days + 1) if self.is_working_day(lo + timedelta(days=i)))

    # --- the package's data, per year ------------------------------------------------------------

    def _year(self, year: int) -> dict[date, DayInfo]:
        if year not in self._years:
            self._years[year] = _package_year(year, year > self.official_through)
        return self._years[year]


def _package_year(year: int, estimated: bool) -> dict[date, DayInfo]:
    """The package's days of ``year`` (± the neighbouring years, whose 调休 can cross New Year)."""
    years = [year - 1, year, year + 1]
    zh = holidays.country_holidays("CN", years=years, language="zh_CN")
    en = holidays.country_holidays("CN", years=years, language="en_US")
    off = set(zh)
    # A holiday period is a run of days off (holidays and the weekends inside); each day of it is
    # named after the run's main holiday: the statutory name it carries most often.
    runs: list[list[date]] = []
    for d in sorted(off):
        run = [d]
        e = d - timedelta(days=1)
        while e.weekday() >= 5 and e not in zh.weekend_workdays and e.year >= year - 1:
            run.insert(0, e)
            e -= timedelta(days=1)
        e = d + timedelta(days=1)
        while (e in off or (e.weekday() >= 5 and e not in zh.weekend_workdays)) and e.year <= year + 1:
            run.append(e)
            e += timedelta(days=1)
        if runs and run[0] <= runs[-1][-1] + timedelta(days=1):
            runs[-1] = sorted(set(runs[-1]) | set(run))
        else:
            runs.append(run)
    out: dict[date, DayInfo] = {}
    swapped: dict[date, tuple[str, str, date]] = {}  # a worked weekend → (name, day off) it pays for
    for run in runs:
        named = [d for d in run if d in zh and not _SUBSTITUTED.search(zh[d])]
        if not named:
            continue
        main = max(named, key=lambda d: (sum(zh[x] == zh[d] for x in named), -named.index(d)))
        run_zh, run_en = _plain(zh[main]), _plain(en[main])
        for d in run:
            if d in zh:
                own = _SUBSTITUTED.search(zh[d])
                if own:
                    swapped[date.fromisoformat(own.group(1))] = (run_zh, run_en, d)
                name_zh, name_en = (run_zh, run_en) if own else (_plain(zh[d]), _plain(en[d]))
            else:  # a weekend inside the holiday period
                name_zh, name_en = run_zh, run_en
            out[d] = DayInfo(d, "holiday", name_zh, name_en, "package", estimated)
    for d in zh.weekend_workdays:
        paid = swapped.get(d)
        out[d] = DayInfo(d, "swap_workday", paid[0] if paid else "调休", paid[1] if paid else "make-up day",
                         "package", estimated, works_as=paid[2] if paid else None)
    return {d: i for d, i in out.items() if d.year == year}


def _plain(name: str) -> str:
    """Drop the package's '(observed)' / '（补假）' marks: a resident reads '清明节', not '清明节（补假）'."""
    return re.sub(r"\s*[（(](补假|observed|推定|estimated|补假，推定|observed, estimated)[)）]", "", name).strip()


@lru_cache(maxsize=8)
def _cached(path: str, mtime: float) -> WorkCalendar:
    return WorkCalendar(load_overrides(Path(path)))


def calendar(path: str | Path | None = None) -> WorkCalendar:
    """The calendar with the override file (the shipped ``config/holidays.yaml`` unless named);
    re-read when the file changes, so an edited decision counts without a restart."""
    p = Path(path) if path else SHIPPED_OVERRIDES
    try:
        mtime = p.stat().st_mtime
    except OSError:
        mtime = 0.0
    return _cached(str(p), mtime)
