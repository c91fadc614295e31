"""Headquarters ingest: every bus's messages into the store, then acks.

paho's thread only fills the link's inbox; this worker validates and stores. An ``events`` batch
is stored in one transaction, and only then is ``ack`` published (retained, QoS 1) with the
highest seq up to which every event of that epoch is held — so an ack never promises more than
the disk has. Acks are coalesced: after a burst, one ack per (bus, epoch). Invalid messages are
logged, counted (``counters`` table) and kept raw in the quarantine (``hq.quarantine``), never
fatal; each event of a valid batch is validated by its type (``contract.events``) and one that
fails is held in the quarantine in the batch's own transaction instead of the events table.
The MQTT session is persistent (clean_session off): while the ingest is down the broker keeps its QoS 1 messages.
"""
from __future__ import annotations

import contextlib
import logging
import os
import re
import socket
import threading
import time
from collections.abc import Callable
from typing import Any

from contract import protocol
from contract.events import EventError, validate_event
from contract.limits import LATEST_STATE, LimitError, check_json
from hq import quarantine
from hq.limits import MAX_EPOCHS_PER_BUS, epoch_allowed
from hq.storage import HqStorageError, HqStore
from ztc.mqtt_link import Inbound, MqttLink
from ztc.settings import HqSettings

log = logging.getLogger(__name__)

ACK_EVERY = 50  # in a long burst, ack at least every this many messages (keeps the bus's window moving)
LATEST_BATCH = 500  # positions/queue/health stored together in one transaction (one fsync) during a burst
# How long a latest-state message or an ack waits for more before its transaction: at 1 Hz from a
# thousand buses the inbox is empty between most messages, and a commit each would cost more than the
# message itself (PostgreSQL: a transaction of one position is ~0.45 ms of CPU, in a batch of 25 ~0.08).
LINGER_S = 0.05


def build_link(hq: HqSettings) -> MqttLink:
    """Subscribes to each bus→HQ topic of every bus (not ``#``: our own acks would echo back).

    One ingest (``hq.ingest_group`` empty): a persistent MQTT 3.1.1 session under ``hq.client_id``,
    so the broker keeps the messages while it restarts. Several (``ingest_group`` set): an MQTT v5
    shared subscription ``$share/GROUP/…``, each process with its own client id and a session that
    ends with its connection — mosquitto then gives a dead process's share to the living ones at
    once (a persistent member would keep being dealt messages while it is down). What was in flight
    to a killed process is resent by its bus: the ack comes from the database, not from memory."""
    topics = [f"{protocol.VERSION_PREFIX}/bus/+/{suffix}" for suffix in protocol.UPLINK_SUFFIXES]
    if not hq.ingest_group:
        return MqttLink(hq.mqtt, client_id=hq.client_id, subscriptions=topics, clean_session=False)
    shared = [f"$share/{hq.ingest_group}/{t}" for t in topics]
    return MqttLink(hq.mqtt, client_id=ingest_client_id(hq), subscriptions=shared, clean_session=True, mqtt5=True)


def ingest_client_id(hq: HqSettings) -> str:
    """``hq.client_id`` plus host and process: unique among the group's processes (≤ 64 chars)."""
    if not hq.ingest_group:
        return hq.client_id
    host = re.sub(r"[^A-Za-z0-9_.-]", "-", socket.gethostname())[:24]
    return f"{hq.client_id[:30]}.{host}.{os.getpid()}"


Update = dict[str, Any]  # what the dashboard's WebSocket receives after a commit


class Ingest:
    """``on_stored`` is called (on this worker's thread, after the commit) with each update for the
    live dashboard; ``periodic`` about once a second (publishing documents that wait for the broker)."""

    def __init__(self, store: HqStore, link: MqttLink, clock: Callable[[], float] = time.time,
                 on_stored: Callable[[Update], None] | None = None,
                 periodic: Callable[[], Any] | None = None):
        self.store = store
        self.link = link
        self.clock = clock
        self.on_stored = on_stored
        self.periodic = periodic
        self._next_periodic = 0.0
        self._pending_acks: dict[tuple[str, str], int] = {}
        self._latest: list[tuple[str, str, dict[str, Any], float]] = []
        self.handled = 0

    def run(self, stop: threading.Event) -> None:
        """Take messages as they come; what waits to be stored or acked is committed once the inbox is
        drained ``LINGER_S`` after the first of them (at the latest after twice that, or at
        ``LATEST_BATCH``), acks also every ``ACK_EVERY`` messages. While lingering the worker sleeps
        instead of waiting on the inbox: a message arriving then wakes no thread (at a thousand a
        second, waking it for each was a fifth of the ingest process's samples in py-spy)."""
        self.link.start()
        since_ack = 0
        due: float | None = None  # when what is pending is to be committed
        while not stop.is_set():
            item = self.link.get(0.5 if due is None else 0)
            now = time.monotonic()
            if item is None and due is not None and now < due:
                time.sleep(due - now)  # let the burst gather
                continue
            if item is not None:
                self.handle(item)
                since_ack += 1
                if due is None and (self._latest or self._pending_acks):
                    due = now + LINGER_S
            if item is None or (due is not None and now >= due + LINGER_S):  # drained, or falling behind
                self.flush_latest()
                self.flush_acks()
                since_ack, due = 0, None
            elif since_ack >= ACK_EVERY:
                self.flush_acks()
                since_ack = 0
            if self.periodic is not None and time.monotonic() >= self._next_periodic:
                self._next_periodic = time.monotonic() + 1.0
                try:
                    self.periodic()
                except Exception:  # a publishing problem must not stop the ingest
                    log.exception("periodic headquarters task failed")
        self.flush_latest()

    def handle(self, item: Inbound) -> None:
        """Validate and store one message. Latest-state messages (position, queue, health) are
        collected and stored by ``flush_latest`` (the run loop calls it ``LINGER_S`` after the first):
        at a thousand buses a second, one transaction per message would be one fsync per message."""
        if item.kind != "message":
            return
        self.handled += 1
        try:
            self._message(item.topic, item.payload)
        except protocol.ProtocolError as e:
            self._invalid(item.topic, str(e), item.payload)
        except HqStorageError as e:
            log.error("not stored: %s", e)
        except Exception as e:  # a bug must not stop the ingest; the bus resends events anyway
            log.exception("handling %s failed", item.topic)
            self._invalid(item.topic, f"internal error: {e}", item.payload)

    def _message(self, topic: str, raw: bytes) -> None:
        parsed = protocol.parse_bus_topic(topic)
        if parsed is None:
            raise protocol.ProtocolError("not a bus topic")
        bus, suffix = parsed
        if suffix not in protocol.UPLINK_MODELS:
            return  # not ours to store (a downlink topic)
        now = self.clock()
        if not raw:
            return  # a retained message being cleared
        data = protocol.decode(raw)
        msg = protocol.validate(protocol.UPLINK_MODELS[suffix], data)
        if suffix in (protocol.POSITION, protocol.QUEUE, protocol.HEALTH):
            try:  # stored as sent, unknown fields kept: those must not break the bus list either
                check_json(data, LATEST_STATE, suffix)
            except LimitError as e:
                raise protocol.ProtocolError(str(e)) from None
            self._latest.append((bus, suffix, data, now))
            if len(self._latest) >= LATEST_BATCH:
                self.flush_latest()
            return
        self.flush_latest()  # keep the order of a bus's messages
        if suffix == protocol.STATUS:
            assert isinstance(msg, protocol.Status)
            self.store.record_status(bus, msg, now)
            self._notify({"type": "status", "bus": bus, "online": msg.online, "received_at": now})
        elif suffix == protocol.EVENTS:
            assert isinstance(msg, protocol.EventBatch)
            if not epoch_allowed(self.store, bus, msg.epoch):
                raise protocol.ProtocolError(f"bus {bus} has {MAX_EPOCHS_PER_BUS} epochs already; "
                                             f"new epoch {msg.epoch} refused")
            stored, upto = self.store.store_events(bus, msg, now, hold=self._holder(bus, topic, msg.epoch, now))
            log.debug("bus %s: %d of %d events new; ack upto %d", bus, stored, len(msg.events), upto)
            self._pending_acks[(bus, msg.epoch)] = upto
            if stored:
                self._notify({"type": "events", "bus": bus, "stored": stored, "received_at": now,
                              "types": sorted({e.type for e in msg.events})})
        elif suffix == protocol.CMD_REPLY:
            assert isinstance(msg, protocol.CmdReply)
            self.store.record_reply(bus, msg, now)

    def _holder(self, bus: str, topic: str, epoch: str,
                now: float) -> Callable[[Any, protocol.Event], bool]:
        """Validates each event by its type (contract.events); one that fails goes to the quarantine
        in the batch's own transaction, so it is acked only once it is held there."""
        def hold(c: Any, event: protocol.Event) -> bool:
            try:
                validate_event(event.type, event.data)
                return False
            except EventError as e:
                log.warning("bus %s: event %s quarantined: %s", bus, event.seq, str(e)[:300])
                quarantine.hold_event(self.store, c, bus, topic, epoch, event.model_dump(), str(e), now)
                return True
        return hold

    def flush_latest(self) -> None:
        """Store the collected latest-state messages in one transaction, then push them live."""
        batch, self._latest = self._latest, []
        if not batch:
            return
        try:
            self.store.record_latest_many(batch)
        except Exception as e:  # the next position replaces these anyway; count and go on
            log.error("%d position/queue/health messages not stored: %s", len(batch), e)
            with contextlib.suppress(Exception):
                self.store.count("latest.not_stored", len(batch))
            return
        for bus, kind, data, now in batch:
            self._notify({"type": kind, "bus": bus, "data": data, "received_at": now})

    def _notify(self, update: Update) -> None:
        if self.on_stored is not None:
            try:
                self.on_stored(update)
            except Exception:
                log.exception("live update failed")

    def _invalid(self, topic: str, why: str, raw: bytes = b"") -> None:
        parsed = protocol.parse_bus_topic(topic)
        kind = parsed[1] if parsed else "topic"
        log.warning("invalid message on %s: %s", topic[:200], why[:300])
        try:
            self.store.count(f"invalid.{kind.replace('/', '_')}")
            quarantine.hold_message(self.store, parsed[0] if parsed else "", topic, raw, why, self.clock())
        except Exception as e:
            log.error("cannot count or keep an invalid message: %s", e)

    def flush_acks(self) -> None:
        """Publish each pending ack with the watermark the database holds now (another ingest
        process may have stored more of that epoch since this one did)."""
        for (bus, epoch), upto in list(self._pending_acks.items()):
            try:
                upto = max(upto, self.store.ack_upto(bus, epoch))
            except Exception as e:  # the database is away: the value from the commit is still true
                log.warning("ack watermark not re-read: %s", e)
            ok = self.link.publish(protocol.bus_topic(bus, protocol.ACK), {"epoch": epoch, "upto": upto},
                                   qos=1, retain=True)
            if ok:
                del self._pending_acks[(bus, epoch)]
