"""The ``sms`` outlet: where a booking's confirmation text goes to reach the caller's phone.

Why a file driver: this headquarters has no SMS gateway contract yet. The file driver writes each
message as one JSON file into an outbox folder, and that folder is **the place a real SMS gateway
plugs in** (a gateway driver implements ``SmsOutlet.write`` and sends instead of writing). Nothing
here claims a message was sent: the result says it was written to the outbox file, and where.
"""
from __future__ import annotations

import json
import os
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol


@dataclass(frozen=True)
class SmsResult:
    written: bool
    where: str      # the outbox file (file driver), or why nothing was written
    text_zh: str    # what the page shows the operator

    def as_dict(self) -> dict[str, object]:
        return {"written": self.written, "where": self.where, "text_zh": self.text_zh}


class SmsOutlet(Protocol):
    def write(self, to: str, text: str, ref: str, now: float) -> SmsResult: ...


class FileSms:
    """Each message → ``<outbox>/<time>-<ref>-<n>.json`` (to, text, ref, at), written atomically."""

    def __init__(self, outbox: Path):
        self.outbox = outbox

    def write(self, to: str, text: str, ref: str, now: float) -> SmsResult:
        name = f"{int(now * 1000):013d}-{ref}-{uuid.uuid4().hex[:6]}.json"
        try:
            self.outbox.mkdir(parents=True, exist_ok=True)
            tmp = self.outbox / f".{name}.tmp"
            tmp.write_text(json.dumps({"to": to, "text": text, "ref": ref, "at": now,
                                       "driver": "file"}, ensure_ascii=False, indent=1), encoding="utf-8")
            os.replace(tmp, self.outbox / name)
        except OSError as e:
            why = e.strerror or str(e)
            return SmsResult(False, f"{self.outbox}: {why}",
                             f"短信未写入发件箱（{why}），请口头告知 / not written to the outbox; read it out")
        return SmsResult(True, str(self.outbox / name),
                         f"已写入短信发件箱文件（尚未接入短信网关）/ written to the outbox file {name} "
                         "(no SMS gateway connected yet)")


def outlet(driver: str, outbox: str) -> SmsOutlet:
    if driver != "file":
        raise ValueError(f"unknown sms driver {driver!r} (only 'file'; a gateway driver plugs in here)")
    return FileSms(Path(outbox))
