"""A4 printer errors with a stable code for programs and a bilingual message for the crew."""
from __future__ import annotations


class PrinterError(Exception):
    """``code``: no_cups_tools | no_scheduler | no_queue | not_accepting | bad_file | bad_copies | stopped |
    held | timeout | failed | unknown_job."""

    def __init__(self, code: str, zh: str, en: str, job_id: str | None = None):
        super().__init__(f"{zh} / {en}")
        self.code = code
        self.zh = zh
        self.en = en
        self.job_id = job_id
