"""The bus agent (``ztc agent``): one main loop that ties GPS, stop detection, the outbox drain,
retained reports and the downlink together.

Why one loop: everything that touches the database or decides what to send happens on this
thread, in order, so there is no locking puzzle; the only other threads are paho's network thread
(which just fills the link's inbox) and the GPS reader (which just fills the fix feed). The loop
wakes on anything arriving from the broker, or every ``TICK_S``, and pings the systemd watchdog.
"""
from __future__ import annotations

import contextlib
import logging
import threading
import time
import uuid
from collections.abc import Callable, Iterable
from importlib import metadata
from typing import Any

from contract import protocol
from telemetry.clock_watch import ClockWatch
from telemetry.downlink import Downlink, downlink_kind
from telemetry.drain import Drain
from telemetry.fixes import FixFeed
from telemetry.gate import ChangeGate
from telemetry.health import DeviceStatus, change_key, health_payload, registry_statuses
from telemetry.notify import Notifier
from telemetry.position_policy import PositionPolicy, position_payload
from telemetry.stops import StopDetector, plan_from_database
from telemetry.track import TrackRecorder
from ztc.agent_state import WRITE_EVERY_S, AgentStateWriter, state_path
from ztc.db import Database, StorageError
from ztc.domain.engine import QueueEngine
from ztc.mqtt_link import Inbound, MqttLink, Will
from ztc.settings import Settings

log = logging.getLogger(__name__)

TICK_S = 0.2
HEALTH_EVERY_S = 2.0   # how often health is recomputed (sent only on change or periodically)


def software_version() -> str:
    try:
        return metadata.version("ztc")
    except metadata.PackageNotFoundError:
        return "0.0.0"


def status_payload(online: bool, sw: str, boot: str, now: float) -> dict[str, Any]:
    return {"online": online, "ts": round(now, 3), "sw": sw, "boot": boot}


def build_link(settings: Settings, sw: str, boot: str, clock: Callable[[], float] = time.time) -> MqttLink:
    """The bus's MQTT link: client id = bus id, retained will = status offline, online on connect."""
    bus = settings.bus.id
    status_topic = protocol.bus_topic(bus, protocol.STATUS)
    return MqttLink(
        settings.mqtt, client_id=bus, subscriptions=protocol.bus_subscriptions(bus),
        will=Will(status_topic, status_payload(False, sw, boot, clock())),
        on_connect_publish=lambda: [(status_topic, status_payload(True, sw, boot, clock()), 1, True)],
        reconnect_min_s=settings.agent.reconnect_min_s, reconnect_max_s=settings.agent.reconnect_max_s,
    )


class Agent:
    def __init__(self, settings: Settings, db: Database, link: MqttLink, engine: QueueEngine,
                 fixes: Iterable[Any] | None = None, clock: Callable[[], float] = time.time,
                 notifier: Notifier | None = None, devices: Callable[[], DeviceStatus] | None = None,
                 sw: str | None = None, boot: str | None = None, gps_status: Callable[[], dict[str, Any]] | None = None,
                 state_writer: AgentStateWriter | None = None):
        self.settings = settings
        self.db = db
        self.link = link
        self.engine = engine
        self.clock = clock
        self.notifier = notifier or Notifier()
        self.sw = sw or software_version()
        self.boot = boot or str(uuid.uuid4())
        self.bus = settings.bus.id
        self.gps_status = gps_status
        self._devices = devices or (lambda: registry_statuses(settings, db))
        self.clock_watch = ClockWatch(db, gps_status)
        a = settings.agent
        self.drain = Drain(db, a, self._publish_events)
        self.downlink = Downlink(db, settings, self._publish_reply, clock)
        self.recorder = TrackRecorder(db, a.track_max_kb)
        self.policy = PositionPolicy(settings.telemetry)
        self.stops = StopDetector(settings.telemetry.stops, plan_from_database(db, settings), engine)
        self.feed = FixFeed(fixes) if fixes is not None else None
        self.queue_gate = ChangeGate(a.coalesce_s, a.periodic_s)
        self.health_gate = ChangeGate(a.coalesce_s, a.periodic_s, key=change_key)
        self._health: dict[str, Any] | None = None
        self._health_at = -1e18
        self._queue_at = -1e18
        self._queue: dict[str, Any] | None = None
        self.state_writer = state_writer or AgentStateWriter(state_path(settings.data_dir))
        self._state_at = -1e18
        self._link_up: bool | None = None
        self._link_changed_at: float | None = None
        self.invalid_acks = 0
        self.published_positions = 0
        self.recorded_positions = 0

    # --- topics ----------------------------------------------------------------------------------

    def _topic(self, suffix: str) -> str:
        return protocol.bus_topic(self.bus, suffix)

    def _publish_events(self, payload: bytes) -> bool:
        return self.link.publish(self._topic(protocol.EVENTS), payload, qos=1)

    def _publish_reply(self, reply: dict[str, Any]) -> bool:
        return self.link.publish(self._topic(protocol.CMD_REPLY), reply, qos=1)

    # --- the loop --------------------------------------------------------------------------------

    def start(self) -> None:
        self.link.start()
        if self.feed is not None:
            self.feed.start()

    def run(self, stop: threading.Event) -> None:
        """Until ``stop`` is set: wake on broker news or every tick, do one step, ping the watchdog."""
        self.start()
        while not stop.is_set():
            item = self.link.get(TICK_S)
            if item is not None:
                self.handle(item)
            self.step()
            self.notifier.watchdog()

    def shutdown(self) -> None:
        """Leave cleanly: the retained status says offline (the will only fires on a broken link)."""
        self.notifier.stopping()
        self.link.stop(farewell=(self._topic(protocol.STATUS), status_payload(False, self.sw, self.boot,
                                                                               self.clock())))

    def handle(self, item: Inbound) -> None:
        """React to one thing paho reported (never raises: garbage is logged and counted)."""
        now = self.clock()
        try:
            if item.kind == "connected":
                self.drain.on_connect(now)
                self.queue_gate.reset()
                self.health_gate.reset()
            elif item.kind == "message":
                self._on_message(item.topic, item.payload, now)
        except Exception:  # a bug here must not stop the agent; the next message gets a fresh try
            log.exception("handling %s %s failed", item.kind, item.topic)

    def _on_message(self, topic: str, payload: bytes, now: float) -> None:
        kind = downlink_kind(topic, self.bus)
        if kind == protocol.ACK:
            try:
                ack = protocol.parse(protocol.Ack, payload)
            except protocol.ProtocolError as e:
                self.invalid_acks += 1
                log.warning("invalid ack ignored: %s", e)
                return
            self.drain.on_ack(ack, now)
        elif kind == protocol.CMD:
            self.downlink.handle_cmd(payload)
        elif kind in protocol.DOCUMENT_MODELS:
            self.downlink.apply_document(kind, payload)
        else:
            log.info("message on an unexpected topic ignored: %s", topic[:200])

    def step(self) -> None:
        """One turn: drain waiting broker news, positions, stop detection, reports, the outbox."""
        while (item := self.link.get(0)) is not None:
            self.handle(item)
        self.clock_watch.poll(self.clock())
        now = self.clock()
        connected = self.link.connected
        if self.feed is not None:
            for fix in self.feed.take():
                self._on_fix(fix, now, connected)
        self._reports(now, connected)
        self.drain.pump(now, connected)
        self.share_state(now, connected)

    def share_state(self, now: float, connected: bool) -> None:
        """Every few seconds, and at once when the link goes up or down: the state file the crew
        console reads (``ztc.agent_state``)."""
        if connected != self._link_up:
            self._link_up, self._link_changed_at = connected, now
        elif 0 <= now - self._state_at < WRITE_EVERY_S:
            return
        self._state_at = now
        self.state_writer.write(self.shared_state(now, connected))

    def shared_state(self, now: float, connected: bool) -> dict[str, Any]:
        """Link (connected since, last acknowledgement) and GPS (device, last fix, stop) for the crew."""
        st = self.stops.state
        gps_device: dict[str, Any] | None = None
        if self.gps_status is not None:
            with contextlib.suppress(Exception):
                gps_device = dict(self.gps_status())
        return {
            "ts": round(now, 3), "bus": self.bus, "boot": self.boot,
            "link": {"connected": connected, "since": self._link_changed_at,
                     "last_ack_at": self.drain.last_ack_at, "acked_upto": self.drain.acked_upto,
                     "broker": f"{self.settings.mqtt.host}:{self.settings.mqtt.port}"},
            "gps": {"device": gps_device, "fix": st.last_fix.to_dict() if st.last_fix else None,
                    **self.stops.status(now if st.last_fix is None else None)},
            "clock": self.clock_watch.shared(),
        }

    def _on_fix(self, fix: Any, now: float, connected: bool) -> None:
        try:
            self.stops.update(fix)
        except (StorageError, ValueError) as e:
            log.error("stop detection failed for a fix: %s", e)
        decision = self.policy.decide(fix, connected)
        if not (decision.publish or decision.record):
            return
        payload = position_payload(fix, self.stops.current_stop)
        if decision.publish and self.link.publish(self._topic(protocol.POSITION), payload, qos=0, retain=True):
            self.published_positions += 1
        elif self.recorder.record(payload, now, self.drain.max_published) is not None:
            # Link down (or it dropped between decide and publish): keep it for a track event.
            self.recorded_positions += 1

    def _reports(self, now: float, connected: bool) -> None:
        a = self.settings.agent
        if now - self._queue_at >= a.coalesce_s or now < self._queue_at:
            self._queue_at = now
            try:
                self._queue = self.engine.snapshot().to_dict()  # the wire form: docs/protocol.md, queue
            except StorageError as e:
                log.error("queue snapshot failed: %s", e)
        if now - self._health_at >= HEALTH_EVERY_S or now < self._health_at:
            self._health_at = now
            self._health = self.health_now(now)
        if not connected:
            return
        for suffix, payload, gate in ((protocol.QUEUE, self._queue, self.queue_gate),
                                      (protocol.HEALTH, self._health, self.health_gate)):
            if payload is not None and gate.due(now, payload):
                payload = {**payload, "ts": round(now, 3)}
                if self.link.publish(self._topic(suffix), payload, qos=1, retain=True):
                    gate.sent(now, payload)

    def health_now(self, now: float | None = None) -> dict[str, Any]:
        """The health payload as of now (also what ``ztc agent`` tests and tools inspect)."""
        return health_payload(self.db, self.settings, self.sw, self.clock() if now is None else now,
                              self._devices_with_gps, extra=self._extra_health())

    def _devices_with_gps(self) -> DeviceStatus:
        devices = dict(self._devices())
        if self.gps_status is not None:
            with contextlib.suppress(Exception):
                devices["gps"] = self.gps_status()
        return devices

    def _extra_health(self) -> dict[str, Any]:
        extra: dict[str, Any] = {"clock": self.clock_watch.health()}
        invalid = dict(self.downlink.invalid)
        if self.invalid_acks:
            invalid["ack"] = self.invalid_acks
        if invalid:
            extra["downlink_invalid"] = invalid
        return extra
