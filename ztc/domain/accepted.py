"""A 受理 (accepted, to be completed) service record: the provincial platform's case number
(办件编号), the department that completes it and the promised date.

The matter is submitted online to the provincial platform on the spot; the bus only carries the
reference so that headquarters can follow it to 办结 (and the EMS mailing) and the resident can
see its progress on the ticket's page. The fields travel in ``ticket.served`` (additive).
"""
from __future__ import annotations

import datetime as dt
import re
from typing import Any

from ztc.domain.errors import QueueError
from ztc.text import Text

CASE_NO_RE = re.compile(r"^[A-Za-z0-9-]{4,40}$")
MAX_PROMISE_DAYS = 366


def case_fields(outcome: str, case_no: str | None, department: str | None, promised_date: str | None,
                today: str) -> dict[str, Any]:
    """The checked fields for the event ({} for other outcomes); a 受理 needs all three."""
    if outcome != "accepted":
        if case_no or department or promised_date:
            raise QueueError("case_not_accepted",
                             Text("只有“受理”需要办件编号", "only an accepted matter has a case number"))
        return {}
    case_no = (case_no or "").strip().upper()
    department = (department or "").strip()
    if not CASE_NO_RE.match(case_no):
        raise QueueError("bad_case_no", Text("办件编号应为 4 到 40 位字母、数字或“-”",
                                             "the case number is 4 to 40 letters, digits or '-'"))
    if not 1 <= len(department) <= 40:
        raise QueueError("bad_department", Text("请填写承办部门（不超过 40 字）",
                                                "name the department (at most 40 characters)"))
    try:
        promised = dt.date.fromisoformat(promised_date or "")
    except ValueError:
        raise QueueError("bad_promised_date", Text(f"承诺办结日期无效：{promised_date}",
                                                   f"the promised date is not a date: {promised_date}")) from None
    first = dt.date.fromisoformat(today)
    if not first <= promised <= first + dt.timedelta(days=MAX_PROMISE_DAYS):
        raise QueueError("bad_promised_date", Text("承诺办结日期应在今天到一年之内",
                                                   "the promised date is between today and a year from now"))
    return {"case_no": case_no, "department": department, "promised_date": promised.isoformat()}
