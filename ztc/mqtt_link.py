"""One MQTT connection (paho-mqtt 2) that never blocks or raises into paho's network thread.

In the core, not in telemetry, because both the bus agent and the HQ ingest use it and neither side
may import the other (ARCHITECTURE.md, "Layers").

paho runs callbacks on its own thread; an exception there silently kills that thread, and waiting
for a publish inside a callback deadlocks it. So every callback here only records what happened
into a thread-safe inbox and returns; the owner's main loop (agent or ingest) takes it from there.
Nothing that must survive lives in this object: the agent keeps data in its database and resends
after a reconnect; paho's in-memory queue is never trusted.
"""
from __future__ import annotations

import logging
import queue
import ssl
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion

from contract import protocol
from ztc.settings import MqttSettings

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Inbound:
    """What paho reported: kind is "connected", "disconnected" or "message"."""

    kind: str
    topic: str = ""
    payload: bytes = b""


@dataclass(frozen=True)
class Will:
    topic: str
    payload: dict[str, Any]


class MqttLink:
    """A lazily started, self-reconnecting MQTT client with an inbox of what happened.

    ``on_connect_publish`` supplies messages (topic, payload, qos, retain) to publish right after
    every (re)connect — the agent's retained ``status`` online — without waiting for them.
    """

    def __init__(self, settings: MqttSettings, client_id: str, subscriptions: list[str],
                 will: Will | None = None, clean_session: bool = True,
                 on_connect_publish: Callable[[], list[tuple[str, dict[str, Any], int, bool]]] | None = None,
                 reconnect_min_s: float = 1.0, reconnect_max_s: float = 60.0, mqtt5: bool = False):
        self.settings = settings
        self.client_id = client_id
        self.subscriptions = list(subscriptions)
        self.will = will
        self.clean_session = clean_session
        self.mqtt5 = mqtt5  # MQTT v5 (headquarters' shared subscriptions); the buses speak 3.1.1
        self.on_connect_publish = on_connect_publish
        self.reconnect = (max(1, round(reconnect_min_s)), max(1, round(reconnect_max_s)))
        self.inbox: queue.Queue[Inbound] = queue.Queue()
        self.connects = 0
        self._connected = threading.Event()
        self.failed_attempts = 0
        self._stopping = False
        self._client: mqtt.Client | None = None

    # --- lifecycle (called from the owner's thread) ---------------------------------------------

    def start(self) -> None:
        """Begin connecting in the background; retries with backoff while no broker answers."""
        if self._client is not None:
            return
        if self.mqtt5:  # v5 has no clean_session flag: clean start, and a session that ends with the link
            client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=self.client_id, protocol=mqtt.MQTTv5)
        else:
            client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=self.client_id,
                                 clean_session=self.clean_session, protocol=mqtt.MQTTv311)
        client.suppress_exceptions = True  # a bug in a callback must not kill the network thread
        if self.settings.username:
            client.username_pw_set(self.settings.username, self.settings.password or None)
        if self.settings.tls:
            client.tls_set(ca_certs=self.settings.ca_file, tls_version=ssl.PROTOCOL_TLS_CLIENT)
        if self.will is not None:
            client.will_set(self.will.topic, protocol.encode(self.will.payload), qos=1, retain=True)
        client.reconnect_delay_set(*self.reconnect)
        client.max_queued_messages_set(1000)
        client.on_connect = self._on_connect
        client.on_disconnect = self._on_disconnect
        client.on_message = self._on_message
        client.on_connect_fail = self._on_connect_fail
        if self.mqtt5:
            client.connect_async(self.settings.host, self.settings.port, keepalive=self.settings.keepalive_s,
                                 clean_start=True)
        else:
            client.connect_async(self.settings.host, self.settings.port, keepalive=self.settings.keepalive_s)
        client.loop_start()
        self._client = client

    def stop(self, farewell: tuple[str, dict[str, Any]] | None = None, timeout_s: float = 2.0) -> None:
        """Disconnect cleanly; ``farewell`` (the retained offline status) is sent first if we can."""
        client = self._client
        if client is None:
            return
        try:
            if farewell is not None and self.connected:
                info = client.publish(farewell[0], protocol.encode(farewell[1]), qos=1, retain=True)
                info.wait_for_publish(timeout_s)  # owner's thread, not paho's: waiting is allowed here
        except (RuntimeError, ValueError) as e:
            log.warning("farewell not sent: %s", e)
        self._stopping = True
        client.disconnect()
        client.loop_stop()
        self._client = None
        self._connected.clear()

    # --- use (called from the owner's thread) ---------------------------------------------------

    @property
    def connected(self) -> bool:
        return self._connected.is_set()

    def publish(self, topic: str, payload: dict[str, Any] | bytes, qos: int = 1, retain: bool = False) -> bool:
        """Hand a message to paho if connected; False means "not sent, try again later"."""
        client = self._client
        if client is None or not self.connected:
            return False
        data = payload if isinstance(payload, bytes) else protocol.encode(payload)
        try:
            info = client.publish(topic, data, qos=qos, retain=retain)
        except (ValueError, RuntimeError) as e:
            log.warning("publish to %s failed: %s", topic, e)
            return False
        return info.rc == mqtt.MQTT_ERR_SUCCESS

    def get(self, timeout_s: float) -> Inbound | None:
        """The next thing that happened, waiting at most ``timeout_s``."""
        try:
            return self.inbox.get(timeout=timeout_s) if timeout_s > 0 else self.inbox.get_nowait()
        except queue.Empty:
            return None

    # --- paho callbacks (paho's thread: record and return, never raise) -------------------------

    def _on_connect(self, client: mqtt.Client, userdata: Any, flags: Any, reason_code: Any,
                    properties: Any) -> None:
        try:
            if reason_code.is_failure:
                log.warning("broker refused the connection: %s", reason_code)
                return
            self.connects += 1
            self.failed_attempts = 0
            self._connected.set()
            for topic, payload, qos, retain in (self.on_connect_publish() if self.on_connect_publish else []):
                client.publish(topic, protocol.encode(payload), qos=qos, retain=retain)
            if self.subscriptions:
                client.subscribe([(t, 1) for t in self.subscriptions])
            self.inbox.put_nowait(Inbound("connected"))
            log.info("connected to %s:%d as %s", self.settings.host, self.settings.port, self.client_id)
        except Exception:  # must not escape into paho's thread
            log.exception("on_connect failed")

    def _on_connect_fail(self, client: mqtt.Client, userdata: Any) -> None:
        try:
            self.failed_attempts += 1
            if self.failed_attempts in (1, 10) or self.failed_attempts % 100 == 0:
                log.warning("无法连接服务器 / cannot connect to the broker at %s:%d (attempt %d); "
                            "retrying with backoff", self.settings.host, self.settings.port, self.failed_attempts)
        except Exception:
            log.exception("on_connect_fail failed")

    def _on_disconnect(self, client: mqtt.Client, userdata: Any, flags: Any, reason_code: Any,
                       properties: Any) -> None:
        try:
            was = self._connected.is_set()
            self._connected.clear()
            if was:
                self.inbox.put_nowait(Inbound("disconnected"))
            if was and not self._stopping:
                log.warning("disconnected from the broker (%s); reconnecting with backoff", reason_code)
        except Exception:
            log.exception("on_disconnect failed")

    def _on_message(self, client: mqtt.Client, userdata: Any, msg: mqtt.MQTTMessage) -> None:
        try:
            self.inbox.put_nowait(Inbound("message", msg.topic, bytes(msg.payload)))
        except Exception:
            log.exception("on_message failed")
