"""The one working-day calendar (ztc/workdays.py) on real dates of the State Council's notices, and
the county's override file."""
from __future__ import annotations

import os
from datetime import date
from pathlib import Path

import pytest

from ztc.workdays import SHIPPED_OVERRIDES, HolidayFileError, WorkCalendar, calendar, load_overrides


@pytest.fixture(scope="module")
def cal() -> WorkCalendar:
    return WorkCalendar()


def test_national_day_week_2026_and_its_working_weekends(cal: WorkCalendar) -> None:
    # 国办发明电〔2025〕…: 10月1日至7日放假调休，共7天；9月20日（周日）、10月10日（周六）上班。
    week = cal.days(date(2026, 10, 1), date(2026, 10, 7))
    assert [d.kind for d in week] == ["holiday"] * 7
    assert {d.name_zh for d in week} == {"国庆节"} and week[0].name_en == "National Day"
    for worked in (date(2026, 9, 20), date(2026, 10, 10)):
        info = cal.day(worked)
        assert worked.weekday() >= 5 and info.kind == "swap_workday" and info.working
        assert cal.holiday_name(worked) == ("国庆节", "National Day")  # named after what it pays for
    assert {cal.day(date(2026, 9, 20)).works_as, cal.day(date(2026, 10, 10)).works_as} == {
        date(2026, 10, 6), date(2026, 10, 7)}  # the weekdays off whose work they do
    assert cal.day(date(2026, 10, 11)).kind == "weekend"  # the next Sunday is off again
    assert cal.is_working_day(date(2026, 10, 8)) and not cal.is_working_day(date(2026, 10, 4))


def test_mid_autumn_and_spring_festival_2026(cal: WorkCalendar) -> None:
    assert [cal.day(date(2026, 9, d)).name_zh for d in (25, 26, 27)] == ["中秋节"] * 3
    # 春节：2月15日至23日放假调休，共9天；2月14日（周六）、2月28日（周六）上班。
    period = cal.days(date(2026, 2, 15), date(2026, 2, 23))
    assert all(not d.working for d in period) and cal.day(date(2026, 2, 21)).name_zh == "春节"
    assert cal.day(date(2026, 2, 14)).kind == cal.day(date(2026, 2, 28)).kind == "swap_workday"
    assert cal.is_working_day(date(2026, 2, 24))
    assert not cal.day(date(2026, 2, 20)).estimated  # 2026 has its notice in the package


def test_add_and_count_working_days_across_national_day(cal: WorkCalendar) -> None:
    assert cal.add_working_days(date(2026, 9, 30), 1) == date(2026, 10, 8)
    assert cal.add_working_days(date(2026, 9, 30), 3) == date(2026, 10, 10)  # the working Saturday
    assert cal.add_working_days(date(2026, 10, 8), -1) == date(2026, 9, 30)
    assert cal.add_working_days(date(2026, 10, 3), 0) == date(2026, 10, 3)
    assert cal.working_days_between(date(2026, 9, 30), date(2026, 10, 12)) == 4  # 8, 9, 10, 12
    assert cal.working_days_between(date(2026, 10, 12), date(2026, 9, 30)) == -4
    start = date(2026, 9, 14)
    for n in range(0, 30):
        assert cal.working_days_between(start, cal.add_working_days(start, n)) == n


def test_a_year_without_its_notice_is_marked_estimated(cal: WorkCalendar) -> None:
    assert cal.official_through >= 2026
    later = cal.day(date(cal.official_through + 1, 1, 1))  # 元旦 of a year with no notice yet
    assert later.kind == "holiday" and later.estimated and later.name_zh == "元旦"
    assert not cal.day(date(cal.official_through, 1, 1)).estimated
    eve = cal.day(date(2027, 2, 5))  # 农历除夕 2027 (Spring Festival: 6 Feb 2027)
    assert eve.kind == "holiday" and eve.name_zh == "农历除夕" and eve.estimated == (cal.official_through < 2027)
    assert cal.day(date(2027, 2, 6)).name_zh == "春节"


def test_the_county_decides_over_the_package(tmp_path: Path) -> None:
    f = tmp_path / "holidays.yaml"
    f.write_text("days:\n"
                 "  - date: 2026-10-10\n    kind: holiday\n    name_zh: 县庆\n    name_en: County day\n"
                 "  - from: 2027-02-11\n    to: 2027-02-13\n    kind: holiday\n    name_zh: 春节\n"
                 "  - date: 2027-02-20\n    kind: workday\n    name_zh: 春节\n    note: 县政府通知\n",
                 encoding="utf-8")
    cal = WorkCalendar(load_overrides(f))
    assert cal.day(date(2026, 10, 10)).kind == "holiday"
    assert cal.holiday_name(date(2026, 10, 10)) == ("县庆", "County day")
    assert [cal.day(date(2027, 2, d)).source for d in (11, 12, 13)] == ["county"] * 3
    sat = cal.day(date(2027, 2, 20))
    assert sat.kind == "swap_workday" and sat.working and sat.note == "县政府通知"
    assert cal.add_working_days(date(2027, 2, 10), 1) == date(2027, 2, 15)


@pytest.mark.parametrize(("body", "line", "words"), [
    ("days:\n  - date: 2026-10-10\n    kind: holiday\n    name_zh: 甲\n  - date: 2026-13-01\n    kind: holiday\n"
     "    name_zh: 乙\n", 5, "date"),
    ("days:\n  - date: 2026-10-10\n    kind: day-off\n    name_zh: 甲\n", 2, "kind"),
    ("days:\n  - date: 2026-10-10\n    kind: holiday\n", 2, "name_zh"),
    ("days:\n  - date: 2026-10-10\n    kind: holiday\n    name_zh: 甲\n    colour: red\n", 2, "unknown key"),
    ("days:\n  - from: 2026-10-10\n    to: 2026-10-01\n    kind: holiday\n    name_zh: 甲\n", 2, "before"),
    ("days:\n  - date: 2026-10-10\n    kind: holiday\n    name_zh: 甲\n"
     "  - date: 2026-10-10\n    kind: workday\n    name_zh: 乙\n", 5, "already"),
    ("days:\n  - date: 2026-10-10\n   kind: holiday\n", 3, "YAML"),
])
def test_a_bad_override_file_names_the_file_and_line(tmp_path: Path, body: str, line: int, words: str) -> None:
    f = tmp_path / "holidays.yaml"
    f.write_text(body, encoding="utf-8")
    with pytest.raises(HolidayFileError) as e:
        load_overrides(f)
    assert str(e.value).startswith(f"{f}: line {line}") or f"{f}: line {line}" in str(e.value)
    assert words in str(e.value)


def test_the_shipped_file_loads_and_an_edit_counts_without_restart(tmp_path: Path) -> None:
    assert load_overrides(SHIPPED_OVERRIDES) == {}
    f = tmp_path / "holidays.yaml"
    f.write_text("days: []\n", encoding="utf-8")
    assert calendar(f).is_working_day(date(2026, 12, 1))
    f.write_text("days:\n  - date: 2026-12-01\n    kind: holiday\n    name_zh: 县庆\n", encoding="utf-8")
    os.utime(f, (f.stat().st_atime, f.stat().st_mtime + 5))
    assert not calendar(f).is_working_day(date(2026, 12, 1))


def test_every_day_of_2026_has_a_kind(cal: WorkCalendar) -> None:
    days = cal.days(date(2026, 1, 1), date(2026, 12, 31))
    working = sum(d.working for d in days)
    assert len(days) == 365
    # 2026: 365 days − 104 weekend days + 6 working weekends − the holidays on weekdays (19, per the notice).
    weekday_holidays = sum(1 for d in days if d.kind == "holiday" and d.day.weekday() < 5)
    assert working == 365 - 104 + 6 - weekday_holidays and weekday_holidays == 19
