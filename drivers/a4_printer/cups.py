"""The A4 printer through CUPS: ``lp`` to print, ``lpstat`` to see the scheduler, ``ipptool`` for
states. Every call is an argument list (no shell: a file name can never become a command) with a
timeout, in the C locale so the output is parseable whatever the bus's language.

A job handed to CUPS lives in CUPS' spool: when the printer is stopped or out of paper the job
waits there and prints when the printer is started again, so "clear error, nothing lost" means
reporting the state loudly while leaving the job queued (and never resubmitting it twice).
"""
from __future__ import annotations

import logging
import os
import re
import subprocess
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from drivers.a4_printer.errors import PrinterError
from drivers.a4_printer.ipp import GET_JOB, GET_JOBS, GET_PRINTER, JobState, PrinterState, parse_csv_rows
from ztc.settings import A4PrinterSettings

log = logging.getLogger(__name__)

Runner = Callable[..., subprocess.CompletedProcess[str]]
PRINTABLE_SUFFIXES = {".pdf", ".jpg", ".jpeg", ".png", ".tif", ".tiff"}
_REQUEST_ID = re.compile(r"request id is (\S+)")


def stopped_error(printer: PrinterState, job_id: str) -> PrinterError:
    """What the crew read when a job waits behind a stopped printer: nothing is lost."""
    _, zh, en = printer.describe()
    return PrinterError("stopped", f"打印机已停止（{zh}），任务 {job_id} 保留在队列中，恢复后自动打印",
                        f"printer stopped ({en}); job {job_id} is kept queued and prints once it is resumed", job_id)


class A4Printer:
    """One CUPS queue. Nothing is contacted in the constructor; every method may raise PrinterError."""

    def __init__(self, queue: str, server: str | None = None, duplex: bool = False,
                 job_timeout_s: float = 120.0, command_timeout_s: float = 15.0, runner: Runner = subprocess.run):
        self.queue = queue
        self.server = server
        self.duplex = duplex
        self.job_timeout_s = job_timeout_s
        self.command_timeout_s = command_timeout_s
        self._runner = runner

    @classmethod
    def from_settings(cls, a4: A4PrinterSettings) -> A4Printer:
        """From ``settings.devices.a4_printer``."""
        return cls(a4.queue, a4.server, a4.duplex, a4.job_timeout_s, a4.command_timeout_s)

    # plumbing ------------------------------------------------------------------------------------
    @property
    def where(self) -> str:
        return self.server or "localhost"

    def _host(self) -> list[str]:
        return ["-h", self.server] if self.server else []

    def _run(self, args: list[str]) -> subprocess.CompletedProcess[str]:
        env = {**os.environ, "LANG": "C", "LC_ALL": "C"}
        try:
            return self._runner(args, capture_output=True, text=True, timeout=self.command_timeout_s,
                                env=env, check=False)
        except FileNotFoundError as e:
            raise PrinterError("no_cups_tools", f"未安装 CUPS 客户端程序 {args[0]}",
                               f"CUPS client program {args[0]} is not installed") from e
        except subprocess.TimeoutExpired as e:
            raise PrinterError("timeout", f"打印服务无响应（{self.where}）",
                               f"print service at {self.where} did not answer in {self.command_timeout_s:g} s") from e

    def _ipp(self, test: str, **variables: str) -> dict[str, str] | None:
        """Run one ipptool request; the answer row, or None when CUPS refused (unknown queue/job)."""
        rows = self._ipp_rows(test, **variables)
        return None if rows is None else (rows[0] if rows else {})

    def _ipp_rows(self, test: str, **variables: str) -> list[dict[str, str]] | None:
        """Run one ipptool request; every answer row, or None when CUPS refused (unknown queue/job)."""
        with tempfile.NamedTemporaryFile("w", suffix=".test", prefix="ztc-ipp-") as f:
            f.write(test)
            f.flush()
            args = ["ipptool", "-c"]
            for key, value in variables.items():
                args += ["-d", f"{key}={value}"]
            proc = self._run([*args, f"ipp://{self.where}/printers/{self.queue}", f.name])
        if proc.returncode != 0:
            if "Unable to connect" in proc.stderr or "connect" in proc.stderr.lower():
                raise self._no_scheduler()
            return None
        return parse_csv_rows(proc.stdout)

    def _no_scheduler(self) -> PrinterError:
        return PrinterError("no_scheduler", f"打印服务 cupsd 未运行（{self.where}）",
                            f"the print service cupsd is not running ({self.where})")

    def _no_queue(self) -> PrinterError:
        return PrinterError("no_queue", f"打印队列 {self.queue} 不存在（请检查 devices.a4_printer.queue）",
                            f"print queue {self.queue} does not exist (check devices.a4_printer.queue)")

    # scheduler and printer --------------------------------------------------------------------------
    def scheduler_running(self) -> bool:
        proc = self._run(["lpstat", *self._host(), "-r"])
        return "scheduler is running" in proc.stdout

    def state(self) -> PrinterState:
        """The queue's state; PrinterError when cupsd is down or the queue does not exist."""
        row = self._ipp(GET_PRINTER)
        if row is None:
            raise self._no_queue() if self.scheduler_running() else self._no_scheduler()
        return PrinterState.from_row(row)

    def get_status(self) -> dict[str, str]:
        """Device health (PROTOCOL.md ``health.devices`` entry); never raises."""
        try:
            return self.state().health()
        except PrinterError as e:
            return {"state": "offline" if e.code in ("no_scheduler", "timeout") else "error", "detail": str(e)}

    # jobs ------------------------------------------------------------------------------------------
    def submit(self, path: str | os.PathLike[str], copies: int = 1, duplex: bool | None = None,
               fit_to_page: bool = True, title: str | None = None) -> str:
        """Queue a PDF or image on A4; returns the CUPS job id (``queue-N``)."""
        path = Path(path)
        if path.suffix.lower() not in PRINTABLE_SUFFIXES:
            raise PrinterError("bad_file", f"不能打印此类文件：{path.name}",
                               f"cannot print this kind of file: {path.name}")
        if not path.is_file():
            raise PrinterError("bad_file", f"文件不存在：{path}", f"file does not exist: {path}")
        if not 1 <= copies <= 99:
            raise PrinterError("bad_copies", "份数应为 1 到 99", "copies must be between 1 and 99")
        sides = "two-sided-long-edge" if (self.duplex if duplex is None else duplex) else "one-sided"
        args = ["lp", *self._host(), "-d", self.queue, "-n", str(copies), "-t", title or path.stem,
                "-o", "media=A4", "-o", f"sides={sides}"]
        if fit_to_page:
            args += ["-o", "fit-to-page"]
        proc = self._run([*args, "--", str(path)])
        match = _REQUEST_ID.search(proc.stdout)
        if proc.returncode == 0 and match:
            log.info("A4 job %s: %s × %d", match.group(1), path.name, copies)
            return match.group(1)
        err = proc.stderr.strip()
        if "does not exist" in err:
            raise self._no_queue() if self.scheduler_running() else self._no_scheduler()
        if "not accepting" in err:
            raise PrinterError("not_accepting", f"打印队列 {self.queue} 拒绝新任务",
                               f"print queue {self.queue} is not accepting jobs")
        if not self.scheduler_running():
            raise self._no_scheduler()
        raise PrinterError("failed", f"提交打印失败：{err}", f"printing failed: {err}")

    def job(self, job_id: str) -> JobState:
        number = job_id.rsplit("-", 1)[-1]
        row = self._ipp(GET_JOB, job_id=number)
        if row is None:
            raise PrinterError("unknown_job", f"找不到打印任务 {job_id}", f"print job {job_id} not found", job_id)
        return JobState.from_row(job_id, row)

    def jobs(self, limit: int = 5) -> list[JobState]:
        """The queue's newest ``limit`` jobs, finished ones included (as long as CUPS keeps their
        history), newest first. PrinterError when cupsd is down or the queue does not exist."""
        rows = self._ipp_rows(GET_JOBS)
        if rows is None:
            raise self._no_queue() if self.scheduler_running() else self._no_scheduler()
        found = [JobState.from_row(f"{self.queue}-{row['job-id']}", row) for row in rows
                 if row.get("job-id", "").isdigit()]
        found.sort(key=lambda job: int(job.job_id.rsplit("-", 1)[-1]), reverse=True)
        return found[:limit]

    def cancel(self, job_id: str) -> None:
        proc = self._run(["cancel", *self._host(), job_id])
        if proc.returncode != 0:
            raise PrinterError("failed", f"取消失败：{proc.stderr.strip()}", f"cancel failed: {proc.stderr.strip()}",
                               job_id)

    def wait(self, job_id: str, timeout_s: float | None = None, poll_s: float = 0.2) -> JobState:
        """Follow a job until it completes. Raises PrinterError when it failed or was cancelled
        (``failed``), waits behind a stopped printer (``stopped``: it stays queued and prints after
        a restart), is held after an error (``held``), or did not finish in time (``timeout``);
        the error carries ``job_id``."""
        deadline = time.monotonic() + (self.job_timeout_s if timeout_s is None else timeout_s)
        while True:
            job = self.job(job_id)
            if job.ok:
                return job
            if job.final:
                raise PrinterError("failed", f"打印任务 {job_id} 未完成（{job.state}）",
                                   f"print job {job_id} ended {job.state} {job.message}".strip(), job_id)
            printer = self.state()
            if printer.state == "stopped":
                raise stopped_error(printer, job_id)
            if job.state in ("processing-stopped", "pending-held"):
                why = job.message or printer.message or job.state
                raise PrinterError("held", f"打印任务 {job_id} 已暂停（{why}），保留在队列中",
                                   f"print job {job_id} is held ({why}); it is kept queued", job_id)
            if time.monotonic() >= deadline:
                raise PrinterError("timeout", f"打印任务 {job_id} 超时仍未完成（{job.state}）",
                                   f"print job {job_id} not finished in time ({job.state})", job_id)
            time.sleep(poll_s)
