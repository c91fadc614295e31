"""Queries CUPS answers through ``ipptool`` (CUPS' own IPP client) and the health they mean.

Why ipptool and not ``lpstat`` for states: ``lpstat`` lists a cancelled or aborted job among the
"completed" ones and does not print printer-state-reasons (media-empty, toner-low, …); IPP
attributes say exactly that. The test files are tiny and written per call (no shell involved).
"""
from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field

from ztc.text import Text

PRINTER_ATTRS = ("printer-state,printer-state-reasons,printer-state-message,"
                 "printer-is-accepting-jobs,queued-job-count")
GET_PRINTER = """{
  OPERATION Get-Printer-Attributes
  GROUP operation-attributes-tag
  ATTR charset attributes-charset utf-8
  ATTR naturalLanguage attributes-natural-language en
  ATTR uri printer-uri $uri
  ATTR keyword requested-attributes """ + PRINTER_ATTRS + """
  STATUS successful-ok
  DISPLAY printer-state
  DISPLAY printer-state-reasons
  DISPLAY printer-state-message
  DISPLAY printer-is-accepting-jobs
  DISPLAY queued-job-count
}
"""

JOB_ATTRS = ("job-state,job-state-reasons,job-state-message,job-impressions-completed,"
             "copies,sides,media,fit-to-page")
JOB_OPTIONS = ("copies", "sides", "media", "fit-to-page")   # what the job was submitted with
GET_JOB = """{
  OPERATION Get-Job-Attributes
  GROUP operation-attributes-tag
  ATTR charset attributes-charset utf-8
  ATTR naturalLanguage attributes-natural-language en
  ATTR uri printer-uri $uri
  ATTR integer job-id $job_id
  ATTR keyword requested-attributes """ + JOB_ATTRS + """
  STATUS successful-ok
  DISPLAY job-state
  DISPLAY job-state-reasons
  DISPLAY job-state-message
  DISPLAY job-impressions-completed
  DISPLAY copies
  DISPLAY sides
  DISPLAY media
  DISPLAY fit-to-page
}
"""

# Every job of the queue CUPS still remembers (its history included), id and state only: enough for
# the crew's job list; one request instead of one per job.
GET_JOBS = """{
  OPERATION Get-Jobs
  GROUP operation-attributes-tag
  ATTR charset attributes-charset utf-8
  ATTR naturalLanguage attributes-natural-language en
  ATTR uri printer-uri $uri
  ATTR keyword which-jobs all
  ATTR boolean my-jobs false
  ATTR keyword requested-attributes job-id,job-state,job-state-reasons,job-impressions-completed
  STATUS successful-ok
  DISPLAY job-id
  DISPLAY job-state
  DISPLAY job-state-reasons
  DISPLAY job-impressions-completed
}
"""

FINAL_JOB_STATES = {"completed", "canceled", "aborted"}

# printer-state-reasons (RFC 8011 / PWG 5100.x) the crew can act on: reason → (health, text).
REASONS: dict[str, tuple[str, Text]] = {
    "media-empty": ("error", Text("打印机缺纸", "printer out of paper")),
    "media-needed": ("error", Text("打印机缺纸", "printer out of paper")),
    "media-jam": ("error", Text("打印机卡纸", "paper jam")),
    "media-low": ("degraded", Text("纸张不多", "paper low")),
    "toner-empty": ("error", Text("墨粉用完", "toner empty")),
    "marker-supply-empty": ("error", Text("墨粉（墨水）用完", "toner/ink empty")),
    "toner-low": ("degraded", Text("墨粉不足", "toner low")),
    "marker-supply-low": ("degraded", Text("墨粉（墨水）不足", "toner/ink low")),
    "door-open": ("error", Text("打印机盖板打开", "printer door open")),
    "cover-open": ("error", Text("打印机盖板打开", "printer cover open")),
    "input-tray-missing": ("error", Text("纸盒未插好", "paper tray missing")),
    "offline-report": ("offline", Text("打印机离线", "printer offline")),
    "connecting-to-device": ("offline", Text("正在连接打印机", "connecting to the printer")),
    "paused": ("error", Text("打印队列已停止", "print queue stopped")),
    "shutdown": ("offline", Text("打印机已关机", "printer shut down")),
}
PRINTER_STOPPED = Text("打印机已停止", "printer stopped")
NOT_ACCEPTING = Text("打印队列拒绝新任务", "queue is not accepting jobs")
OK_WORDS = {"idle": Text("空闲", "idle"), "processing": Text("正在打印", "printing")}
OK_WORD = Text("正常", "ok")

_RANK = {"ok": 0, "degraded": 1, "offline": 2, "error": 3}


def parse_csv_rows(text: str) -> list[dict[str, str]]:
    """Every data row of ``ipptool -c`` output (one per job for Get-Jobs) as {attribute: value}."""
    rows = list(csv.reader(io.StringIO(text)))
    if len(rows) < 2:
        return []
    return [dict(zip(rows[0], row, strict=False)) for row in rows[1:] if row]


@dataclass(frozen=True)
class PrinterState:
    """What CUPS says about the queue, and what that means for device health."""

    state: str                      # idle | processing | stopped
    reasons: tuple[str, ...] = ()
    message: str = ""
    accepting: bool = True
    queued: int = 0

    def health(self) -> dict[str, str]:
        """``{"state": ok|degraded|error|offline, "detail": "中文 / English"}`` for PROTOCOL.md health."""
        level, zh, en = self.describe()
        return {"state": level, "detail": str(Text(zh, en))}

    def describe(self) -> tuple[str, str, str]:
        """(health level, Chinese, English) of the queue's condition."""
        level, zh, en = "ok", [], []
        for reason in self.reasons:
            base = reason.rsplit("-", 1)[0] if reason.endswith(("-error", "-warning", "-report")) else reason
            known = REASONS.get(reason) or REASONS.get(base)
            if known is None:
                continue
            if reason.endswith("-warning") and known[0] == "error":
                known = ("degraded", known[1])
            level = max(level, known[0], key=_RANK.__getitem__)
            zh.append(known[1].zh)
            en.append(known[1].en)
        if self.state == "stopped" and "paused" not in self.reasons:
            level = "error"
            zh.append(PRINTER_STOPPED.zh)
            en.append(PRINTER_STOPPED.en)
        if not self.accepting:
            level = "error"
            zh.append(NOT_ACCEPTING.zh)
            en.append(NOT_ACCEPTING.en)
        if self.message and level != "ok":
            en.append(self.message)
        if level == "ok":
            word = OK_WORDS.get(self.state, OK_WORD)
            return "ok", word.zh, word.en
        return level, "，".join(dict.fromkeys(zh)), "; ".join(dict.fromkeys(en))

    @classmethod
    def from_row(cls, row: dict[str, str]) -> PrinterState:
        reasons = tuple(r for r in row.get("printer-state-reasons", "").split(",") if r and r != "none")
        queued = row.get("queued-job-count", "0")
        return cls(state=row.get("printer-state", "idle") or "idle", reasons=reasons,
                   message=row.get("printer-state-message", ""),
                   accepting=row.get("printer-is-accepting-jobs", "true") != "false",
                   queued=int(queued) if queued.isdigit() else 0)


@dataclass(frozen=True)
class JobState:
    """One job as CUPS reports it; ``final`` once it will not change any more."""

    job_id: str
    state: str                      # pending | pending-held | processing | processing-stopped | completed | …
    reasons: tuple[str, ...] = field(default_factory=tuple)
    message: str = ""
    impressions: int = 0
    options: dict[str, str] = field(default_factory=dict)   # copies, sides, media, fit-to-page

    @property
    def final(self) -> bool:
        return self.state in FINAL_JOB_STATES

    @property
    def ok(self) -> bool:
        return self.state == "completed"

    @classmethod
    def from_row(cls, job_id: str, row: dict[str, str]) -> JobState:
        reasons = tuple(r for r in row.get("job-state-reasons", "").split(",") if r and r != "none")
        done = row.get("job-impressions-completed", "0")
        return cls(job_id, row.get("job-state", "unknown") or "unknown", reasons,
                   row.get("job-state-message", ""), int(done) if done.isdigit() else 0,
                   {k: row[k] for k in JOB_OPTIONS if row.get(k)})
