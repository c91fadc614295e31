"""The A4 printer's simulator: a private, real cupsd with a cups-pdf queue.

Jobs go through the real scheduler, the real filters (pdftopdf, pdftops) and the cups-pdf
backend, and come out as PDF files in ``out_dir``, so a test can open the printed pages.
Everything lives in one temporary directory (its own, made world-traversable: the filters run
as user ``lp``, so it cannot sit inside pytest's private 0700 tmp tree) and on a free loopback
port; the system's cupsd and its queues are not touched. cups-pdf reads its settings only from ``/etc/cups``, so one
instance file ``/etc/cups/cups-pdf-<instance>.conf`` (naming ``out_dir``) is written and removed
again by :meth:`PrivateCups.stop`. Needs root (cups-pdf writes as the job's owner).
"""
from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
import time
import uuid
from pathlib import Path

CUPSD = "/usr/sbin/cupsd"
CUPS_PDF_BACKEND = "/usr/lib/cups/backend/cups-pdf"
CUPS_PDF_PPD = "/usr/share/ppd/cups-pdf/CUPS-PDF_opt.ppd"
CUPS_PDF_CONF_DIR = Path("/etc/cups")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class PrivateCups:
    """``with PrivateCups() as cups: cups.add_pdf_queue("ztc-a4")`` → print to ``cups.server``."""

    def __init__(self, port: int | None = None, keep_files: bool = False):
        self.root = Path(tempfile.mkdtemp(prefix="ztc-cups-"))
        self.keep_files = keep_files
        self.port = port or free_port()
        self.server = f"127.0.0.1:{self.port}"
        self.out_dir = self.root / "out"
        self.instance = "ztc" + uuid.uuid4().hex[:10]
        self._proc: subprocess.Popen[bytes] | None = None
        self._instance_conf = CUPS_PDF_CONF_DIR / f"cups-pdf-{self.instance}.conf"

    @staticmethod
    def missing() -> str | None:
        """Why a private cupsd with cups-pdf cannot run here, or None."""
        for path in (CUPSD, CUPS_PDF_BACKEND, CUPS_PDF_PPD):
            if not os.path.exists(path):
                return f"{path} is missing (Debian packages cups, printer-driver-cups-pdf)"
        if os.geteuid() != 0:
            return "cupsd with cups-pdf needs root"
        return None

    def _write_config(self) -> None:
        etc = self.root / "etc"
        for sub in ("etc", "spool", "cache", "state", "log", "tmp", "out"):
            (self.root / sub).mkdir(parents=True, exist_ok=True)
        os.chmod(self.root, 0o755)
        os.chmod(self.root / "tmp", 0o1777)   # filters run as user lp and need a temp dir
        (etc / "cupsd.conf").write_text(
            f"Listen 127.0.0.1:{self.port}\nLogLevel debug\nWebInterface No\nBrowsing Off\n"
            "DefaultAuthType None\nMaxJobs 0\nPreserveJobHistory Yes\n"
            "<Location />\n  Order allow,deny\n  Allow all\n</Location>\n"
            "<Policy default>\n  <Limit All>\n    Order deny,allow\n  </Limit>\n</Policy>\n")
        r = self.root
        (etc / "cups-files.conf").write_text(
            f"ServerRoot {etc}\nRequestRoot {r / 'spool'}\nCacheDir {r / 'cache'}\nStateDir {r / 'state'}\n"
            f"TempDir {r / 'tmp'}\nErrorLog {r / 'log/error_log'}\nAccessLog {r / 'log/access_log'}\n"
            f"PageLog {r / 'log/page_log'}\nPrintcap {r / 'printcap'}\nLogFileGroup root\n"
            "ServerBin /usr/lib/cups\nDataDir /usr/share/cups\nSystemGroup root\nFileDevice No\n")
        self._instance_conf.write_text(f"Out {self.out_dir}\nLabel 1\nAnonDirName {self.out_dir}\n")

    def start(self, timeout_s: float = 20.0) -> PrivateCups:
        problem = self.missing()
        if problem:
            raise RuntimeError(f"cannot start a private cupsd: {problem}")
        self._write_config()
        etc = self.root / "etc"
        self._proc = subprocess.Popen(
            [CUPSD, "-f", "-c", str(etc / "cupsd.conf"), "-s", str(etc / "cups-files.conf")],
            stdout=subprocess.DEVNULL, stderr=open(self.root / "log" / "cupsd.stderr", "wb"))  # noqa: SIM115
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self._proc.poll() is not None:
                raise RuntimeError(f"cupsd exited at start: {(self.root / 'log' / 'cupsd.stderr').read_text()}")
            with socket.socket() as s:
                if s.connect_ex(("127.0.0.1", self.port)) == 0:
                    return self
            time.sleep(0.05)
        self.stop()
        raise RuntimeError(f"cupsd did not listen on {self.server} within {timeout_s} s")

    def _admin(self, *args: str) -> None:
        subprocess.run(["lpadmin", "-h", self.server, *args], check=True, capture_output=True, timeout=30)

    def add_pdf_queue(self, queue: str) -> None:
        """A printer queue whose jobs come out as PDF files in ``out_dir``."""
        self._admin("-p", queue, "-E", "-v", f"cups-pdf:/{self.instance}", "-P", CUPS_PDF_PPD,
                    "-o", "printer-error-policy=stop-printer")

    def stop_queue(self, queue: str, reason: str = "stopped by test") -> None:
        subprocess.run(["cupsdisable", "-h", self.server, "-r", reason, queue], check=True, capture_output=True)

    def start_queue(self, queue: str) -> None:
        subprocess.run(["cupsenable", "-h", self.server, queue], check=True, capture_output=True)

    def output_for(self, job_id: str) -> Path | None:
        """The PDF cups-pdf wrote for ``job_id`` (``queue-N``), if it is there yet."""
        number = job_id.rsplit("-", 1)[-1]
        found = sorted(self.out_dir.glob(f"*-job_{number}.pdf"))
        return found[0] if found else None

    def kill(self) -> None:
        """Stop cupsd abruptly (a crashed print service), keeping its files."""
        if self._proc and self._proc.poll() is None:
            self._proc.kill()
            self._proc.wait(timeout=10)

    def stop(self) -> None:
        if self._proc and self._proc.poll() is None:
            self._proc.terminate()
            try:
                self._proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self._proc.kill()
                self._proc.wait(timeout=10)
        self._proc = None
        self._instance_conf.unlink(missing_ok=True)
        if not self.keep_files:
            shutil.rmtree(self.root, ignore_errors=True)

    def __enter__(self) -> PrivateCups:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
