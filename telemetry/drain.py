"""Outbox drain: publish events in ``seq`` order, forget them only when headquarters acks.

State that matters lives in the database (the outbox rows); what is here in memory is only how far
this connection has sent, so losing it (a crash, a reconnect) means resending, never losing.

- Batches of up to ``batch_max_events`` / ``batch_max_kb``, at most ``inflight_batches`` unacked;
  a partial batch waits until its oldest event is ``linger_s`` old (fewer, fuller messages).
- Every batch says ``from``: it carries every row still held with ``from ≤ seq ≤ last``, so
  headquarters can ack past seqs that were dropped here (recorded positions under pressure).
- A reconnect, or no ack progress for ``resend_after_s``, rewinds to the last ack: everything
  unacknowledged goes again; headquarters stores idempotently.
"""
from __future__ import annotations

import logging
from collections import deque
from collections.abc import Callable

from contract import protocol
from ztc.db import Database, StorageError, outbox
from ztc.settings import AgentSettings

log = logging.getLogger(__name__)

Publish = Callable[[bytes], bool]  # the encoded events payload → handed to the broker?


class Drain:
    def __init__(self, db: Database, settings: AgentSettings, publish: Publish):
        self.db = db
        self.settings = settings
        self.publish = publish
        self.epoch = db.epoch
        self.acked_upto = 0        # highest seq headquarters acked (this process has seen)
        self.sent_upto = 0         # highest seq sent on this connection since the last rewind
        self.max_published = 0     # highest seq ever handed to the broker by this process
        self.inflight: deque[tuple[int, float]] = deque()  # (last seq of batch, sent at)
        self.last_progress = 0.0
        self.last_ack_at: float | None = None   # when headquarters last acknowledged something new
        self.sent_batches = 0
        self.rewinds = 0
        self.ignored_acks = 0

    def rewind(self, why: str) -> None:
        """Forget what was sent since the last ack; the next pump resends it."""
        if self.inflight or self.sent_upto > self.acked_upto:
            log.info("resending from seq %d (%s)", self.acked_upto + 1, why)
            self.rewinds += 1
        self.sent_upto = self.acked_upto
        self.inflight.clear()

    def on_connect(self, now: float) -> None:
        self.rewind("reconnected")
        self.last_progress = now

    def on_ack(self, ack: protocol.Ack, now: float) -> int:
        """Apply an ack; returns how many rows were forgotten. Wrong epoch or beyond what this
        process sent: ignored (a stale retained ack, or a hostile one, must not delete events
        headquarters never received)."""
        if ack.epoch != self.epoch:
            self.ignored_acks += 1
            log.info("ack for another epoch %s ignored", ack.epoch)
            return 0
        upto = min(ack.upto, self.max_published)
        if upto <= self.acked_upto:
            return 0
        try:
            with self.db.write() as conn:
                n = outbox.acknowledge(conn, upto)
        except StorageError as e:
            log.error("cannot forget acknowledged events: %s", e)
            return 0
        self.acked_upto = upto
        self.sent_upto = max(self.sent_upto, upto)
        while self.inflight and self.inflight[0][0] <= upto:
            self.inflight.popleft()
        self.last_progress = self.last_ack_at = now
        return n

    def pump(self, now: float, connected: bool) -> int:
        """Send what the window allows; returns how many events were handed to the broker."""
        if not connected:
            return 0
        if self.inflight and now - self.last_progress > self.settings.resend_after_s:
            self.rewind(f"no ack for {self.settings.resend_after_s:g} s")
            self.last_progress = now
        sent = 0
        while len(self.inflight) < self.settings.inflight_batches:
            batch, encoded = self._next_batch()
            if not batch or not self._ripe(batch, now):
                break
            head = protocol.encode({"epoch": self.epoch, "from": self.sent_upto + 1})[:-1]
            if not self.publish(head + b',"events":[' + b",".join(encoded) + b"]}"):
                break
            if not self.inflight:
                self.last_progress = now  # the resend clock starts with the first unacked batch
            self.sent_upto = batch[-1].seq
            self.max_published = max(self.max_published, self.sent_upto)
            self.inflight.append((self.sent_upto, now))
            self.sent_batches += 1
            sent += len(batch)
        return sent

    def _ripe(self, batch: list[outbox.Event], now: float) -> bool:
        """Send a partial batch only once its oldest event waited ``linger_s``: each message costs
        ~200 bytes of headers, epoch and ack on a paid link; a full batch, a backlog, or a clock that
        went backwards (event from the future) go at once."""
        if len(batch) >= self.settings.batch_max_events or self.settings.linger_s <= 0:
            return True
        age = now - batch[0].ts
        return age >= self.settings.linger_s or age < -60

    def _next_batch(self) -> tuple[list[outbox.Event], list[bytes]]:
        try:
            with self.db.read() as conn:
                events = outbox.pending(conn, self.sent_upto, self.settings.batch_max_events)
        except StorageError as e:
            log.error("cannot read the outbox: %s", e)
            return [], []
        limit = self.settings.batch_max_kb * 1024
        size = 0
        out: list[outbox.Event] = []
        encoded: list[bytes] = []
        for event in events:
            data = protocol.encode(event.to_wire())
            size += len(data)
            if out and size > limit:
                break
            out.append(event)
            encoded.append(data)
        return out, encoded
