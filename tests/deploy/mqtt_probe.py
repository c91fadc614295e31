"""A small paho-mqtt client for the broker tests: connect as someone, collect what arrives."""
from __future__ import annotations

import queue
import threading
import uuid
from pathlib import Path

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion

WAIT_S = 15.0  # generous: the machine is shared; nothing asserts on how long it took


class Probe:
    """One MQTT connection over TLS (or plain TCP) with a queue of received messages."""

    def __init__(self, port: int, username: str | None, password: str | None, *,
                 ca_file: Path | None, client_id: str | None = None, host: str = "localhost"):
        self.port, self.host = port, host
        self.client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=client_id or f"probe-{uuid.uuid4().hex[:8]}",
                                  protocol=mqtt.MQTTv311)
        self.client.suppress_exceptions = True
        if username is not None:
            self.client.username_pw_set(username, password)
        if ca_file is not None:
            self.client.tls_set(ca_certs=str(ca_file))
        self.messages: queue.Queue[tuple[str, bytes, bool]] = queue.Queue()
        self.connack: mqtt.ReasonCode | None = None
        self.connect_done = threading.Event()
        self.disconnected = threading.Event()
        self._subacks: queue.Queue[list] = queue.Queue()
        self.client.on_connect = self._on_connect
        self.client.on_disconnect = self._on_disconnect
        self.client.on_message = self._on_message
        self.client.on_subscribe = self._on_subscribe

    def _on_connect(self, client, userdata, flags, reason_code, properties) -> None:
        self.connack = reason_code
        self.connect_done.set()

    def _on_disconnect(self, client, userdata, flags, reason_code, properties) -> None:
        if not self.connect_done.is_set():
            self.connect_done.set()
        self.disconnected.set()

    def _on_message(self, client, userdata, msg) -> None:
        self.messages.put((msg.topic, msg.payload, bool(msg.retain)))

    def _on_subscribe(self, client, userdata, mid, reason_code_list, properties) -> None:
        self._subacks.put(list(reason_code_list))

    def connect(self) -> bool:
        """True when the broker accepted us; TLS errors raise from here (the handshake is in connect)."""
        self.client.connect(self.host, self.port, keepalive=30)
        self.client.loop_start()
        assert self.connect_done.wait(WAIT_S), "no CONNACK and no disconnect"
        return self.connack is not None and not self.connack.is_failure

    def subscribe(self, topic: str) -> list:
        self.client.subscribe(topic, qos=1)
        return self._subacks.get(timeout=WAIT_S)

    def publish(self, topic: str, payload: str, *, retain: bool = False) -> None:
        """QoS 1 and wait for PUBACK: once it arrives the broker has routed (or dropped) the message."""
        info = self.client.publish(topic, payload, qos=1, retain=retain)
        info.wait_for_publish(WAIT_S)
        assert info.is_published(), f"no PUBACK for {topic}"

    def next_message(self) -> tuple[str, bytes, bool]:
        return self.messages.get(timeout=WAIT_S)

    def drain(self) -> list[tuple[str, bytes, bool]]:
        out = []
        while not self.messages.empty():
            out.append(self.messages.get_nowait())
        return out

    def close(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()
