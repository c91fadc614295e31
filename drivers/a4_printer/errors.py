"""A4 printer errors with a stable code for programs and a bilingual message for the crew."""
from __future__ import annotations

from ztc.text import Text


class PrinterError(Exception):
    """``code``: no_cups_tools | no_scheduler | no_queue | not_accepting | bad_file | bad_copies | stopped |
    held | timeout | failed | unknown_job."""

    def __init__(self, code: str, zh: str, en: str, job_id: str | None = None):
        self.text = Text(zh, en)
        super().__init__(str(self.text))
        self.code = code
        self.zh = zh
        self.en = en
        self.job_id = job_id
