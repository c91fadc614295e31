"""A bus's uplink of events as the bus agent sends them, for the kill-one-ingest test and the HQ
benchmark: its real outbox (ztc/db) and real drain (telemetry/drain.py — QoS 1 batches, a window in
flight, resent until headquarters acknowledges) on its own MQTT connection, driven by ``turn()``."""
from __future__ import annotations

import time
from pathlib import Path

from contract import protocol
from telemetry.drain import Drain
from ztc.db import open_database, outbox
from ztc.mqtt_link import MqttLink
from ztc.settings import load_settings


class SimBus:
    """``events`` queued in the outbox at start (a flood: a bus back online with its day to send);
    ``agent``: ``ZTC_AGENT__*`` overrides, none for the agent's shipped settings."""

    def __init__(self, tmp: Path, bus: str, broker_port: int, events: int, agent: dict[str, str] | None = None):
        self.bus = bus
        self.events = events
        env = {"ZTC_BUS__ID": bus, "ZTC_DATA_DIR": str(tmp / bus), "ZTC_MQTT__PORT": str(broker_port)}
        self.settings = load_settings(environ=env | {f"ZTC_AGENT__{k.upper()}": v for k, v in (agent or {}).items()})
        self.db = open_database(self.settings.db_path)
        with self.db.write() as conn:
            for k in range(events):
                outbox.append(conn, "ticket.issued", {"number": f"A{k:03d}", "prefix": "A", "stop": "s1"}, time.time())
        self.link = MqttLink(self.settings.mqtt, client_id=bus, subscriptions=[protocol.bus_topic(bus, protocol.ACK)])
        topic = protocol.bus_topic(bus, protocol.EVENTS)
        self.drain = Drain(self.db, self.settings.agent, lambda payload: self.link.publish(topic, payload))
        self.link.start()

    def turn(self) -> None:
        while (item := self.link.get(0)) is not None:
            if item.kind == "connected":
                self.drain.on_connect(time.time())
            elif item.kind == "message" and item.payload:
                self.drain.on_ack(protocol.parse(protocol.Ack, item.payload), time.time())
        self.drain.pump(time.time(), self.link.connected)

    @property
    def acknowledged(self) -> bool:
        """Headquarters has said it stored every event this bus queued."""
        return self.drain.acked_upto >= self.events

    def pending(self) -> int:
        with self.db.read() as conn:
            return int(outbox.stats(conn)["pending"])

    def close(self) -> None:
        self.link.stop()
