"""The shipped headquarters broker configuration, against a real mosquitto: who may connect, who may
publish and read what (PROTOCOL.md, "Access control")."""
from __future__ import annotations

import json
import ssl
import uuid
from collections.abc import Callable, Iterator

import pytest

from tests.deploy.conftest import Broker
from tests.deploy.mqtt_probe import Probe

A, B, HQ = "yiyuan-01", "yiyuan-02", "ztc.hq"
ProbeFactory = Callable[..., Probe]


@pytest.fixture
def connect(broker: Broker) -> Iterator[ProbeFactory]:
    """connect(user) → a connected Probe on the TLS listener trusting the fleet CA."""
    opened: list[Probe] = []

    def make(user: str | None, *, password: str | None = None, port: int | None = None,
             ca_file=..., client_id: str | None = None, expect_ok: bool = True) -> Probe:
        pw = password if password is not None or user is None else broker.password(user)
        probe = Probe(port or broker.tls_port, user, pw,
                      ca_file=broker.pki / "ca.crt" if ca_file is ... else ca_file, client_id=client_id)
        opened.append(probe)
        ok = probe.connect()
        if expect_ok:
            assert ok, f"{user} was refused: {probe.connack}"
        return probe

    yield make
    for p in opened:
        p.close()


def _marker() -> str:
    return json.dumps({"ts": 0, "marker": uuid.uuid4().hex})


def assert_only_sentinel_arrives(observer: Probe, sentinel_sender: Probe, sentinel_topic: str) -> None:
    """Send a sentinel after the forbidden message; when it arrives anything routed earlier has too."""
    sentinel = _marker()
    sentinel_sender.publish(sentinel_topic, sentinel)
    got = observer.next_message()
    assert got[:2] == (sentinel_topic, sentinel.encode()), f"forbidden message got through: {got}"
    assert observer.drain() == []


# --- who may connect -------------------------------------------------------------------------

def test_anonymous_client_is_refused(connect: ProbeFactory, broker: Broker) -> None:
    probe = connect(None, expect_ok=False)
    assert probe.connack is not None and probe.connack.is_failure
    local = connect(None, port=broker.local_port, ca_file=None, expect_ok=False)
    assert local.connack is not None and local.connack.is_failure


def test_wrong_password_is_refused(connect: ProbeFactory) -> None:
    probe = connect(A, password="not-the-password", expect_ok=False)
    assert probe.connack is not None and probe.connack.is_failure


def test_another_bus_password_is_refused(connect: ProbeFactory, broker: Broker) -> None:
    probe = connect(A, password=broker.password(B), expect_ok=False)
    assert probe.connack is not None and probe.connack.is_failure


def test_client_that_does_not_trust_the_fleet_ca_is_refused(broker: Broker, stranger_ca) -> None:
    probe = Probe(broker.tls_port, A, broker.password(A), ca_file=stranger_ca / "ca.crt")
    with pytest.raises(ssl.SSLCertVerificationError):
        probe.connect()
    probe.close()


def test_fleet_credentials_work_over_tls(connect: ProbeFactory) -> None:
    """The positive control for the refusals above: the bus bundle's own password and CA are accepted."""
    assert connect(A).connack.value == 0


# --- what a bus may do -----------------------------------------------------------------------

def test_bus_cannot_publish_as_another_bus(connect: ProbeFactory) -> None:
    hq = connect(HQ)
    hq.subscribe("ztc/v1/bus/#")
    attacker = connect(A)
    for suffix in ("status", "position", "queue", "health", "events", "cmd/reply"):
        attacker.publish(f"ztc/v1/bus/{B}/{suffix}", _marker())
    # Its own topics do get through: the sentinel is the attacker's own events topic.
    assert_only_sentinel_arrives(hq, attacker, f"ztc/v1/bus/{A}/events")


def test_bus_cannot_write_headquarters_topics(connect: ProbeFactory) -> None:
    victim = connect(B)
    for suffix in ("ack", "schedule", "appointments", "cmd", "catalog"):
        victim.subscribe(f"ztc/v1/bus/{B}/{suffix}")
    victim.subscribe("ztc/v1/fleet/#")
    attacker = connect(A)
    for suffix in ("ack", "schedule", "appointments", "cmd", "catalog"):
        attacker.publish(f"ztc/v1/bus/{B}/{suffix}", _marker())
        attacker.publish(f"ztc/v1/bus/{A}/{suffix}", _marker())  # not even its own downlink
    attacker.publish("ztc/v1/fleet/catalog", _marker())
    hq = connect(HQ)
    assert_only_sentinel_arrives(victim, hq, "ztc/v1/fleet/catalog")


def test_bus_cannot_read_another_bus_appointments(connect: ProbeFactory) -> None:
    hq = connect(HQ)
    secret = json.dumps({"version": 1, "items": [{"id": "x", "name_masked": "张*", "phone_last4": "1234"}]})
    hq.publish(f"ztc/v1/bus/{B}/appointments", secret, retain=True)  # retained: waits for subscribers

    owner = connect(B)
    owner.subscribe(f"ztc/v1/bus/{B}/appointments")
    assert owner.next_message()[:2] == (f"ztc/v1/bus/{B}/appointments", secret.encode())

    snoop = connect(A)
    for topic in (f"ztc/v1/bus/{B}/appointments", "ztc/v1/bus/+/appointments", f"ztc/v1/bus/{B}/#", "#"):
        snoop.subscribe(topic)
    hq.publish(f"ztc/v1/bus/{B}/appointments", secret.replace('"version": 1', '"version": 2'), retain=True)
    hq.publish(f"ztc/v1/bus/{B}/cmd", _marker())
    # Its own appointments do arrive (through the same wildcard subscriptions): the sentinel.
    sentinel = _marker()
    hq.publish(f"ztc/v1/bus/{A}/appointments", sentinel, retain=True)
    received = []
    while True:
        topic, payload, _ = snoop.next_message()
        received.append(topic)
        if payload == sentinel.encode():
            break
    assert all(t.startswith(f"ztc/v1/bus/{A}/") for t in received), received
    hq.publish(f"ztc/v1/bus/{B}/appointments", "", retain=True)  # clear the retained test documents
    hq.publish(f"ztc/v1/bus/{A}/appointments", "", retain=True)


def test_a_bus_reads_its_own_catalog_topic_only(connect: ProbeFactory) -> None:
    """The service list tried on one bus first (``ztc/v1/bus/{bus}/catalog``): HQ writes it, that bus reads it."""
    hq = connect(HQ)
    doc = json.dumps({"version": 2, "services": []})
    hq.publish(f"ztc/v1/bus/{B}/catalog", doc, retain=True)
    owner = connect(B)
    owner.subscribe(f"ztc/v1/bus/{B}/catalog")
    assert owner.next_message()[:2] == (f"ztc/v1/bus/{B}/catalog", doc.encode())
    snoop = connect(A)
    snoop.subscribe(f"ztc/v1/bus/{B}/catalog")
    snoop.subscribe(f"ztc/v1/bus/{A}/catalog")
    assert_only_sentinel_arrives(snoop, hq, f"ztc/v1/bus/{A}/catalog")
    hq.publish(f"ztc/v1/bus/{B}/catalog", "", retain=True)  # clear the retained test document
    hq.publish(f"ztc/v1/bus/{A}/catalog", "", retain=True)


def test_bus_cannot_take_over_another_bus_session(connect: ProbeFactory) -> None:
    """Connecting with another bus's client id must not throw that bus off (use_username_as_clientid)."""
    victim = connect(B, client_id=B)
    connect(A, client_id=B)
    hq = connect(HQ)
    victim.subscribe(f"ztc/v1/bus/{B}/cmd")
    sentinel = _marker()
    hq.publish(f"ztc/v1/bus/{B}/cmd", sentinel)
    assert victim.next_message()[1] == sentinel.encode()
    assert not victim.disconnected.is_set()


# --- what headquarters may do ----------------------------------------------------------------

def test_headquarters_reads_every_bus_and_writes_downlink(connect: ProbeFactory, broker: Broker) -> None:
    hq = connect(HQ, port=broker.local_port, ca_file=None)  # ztc hq uses the loopback listener
    hq.subscribe("ztc/v1/bus/+/status")
    buses = {bus: connect(bus) for bus in (A, B)}
    for bus, probe in buses.items():
        probe.subscribe(f"ztc/v1/bus/{bus}/ack")
        probe.subscribe("ztc/v1/fleet/#")
        probe.publish(f"ztc/v1/bus/{bus}/status", json.dumps({"online": True, "bus": bus}))
    seen = {hq.next_message()[0] for _ in buses}
    assert seen == {f"ztc/v1/bus/{bus}/status" for bus in buses}

    for bus, probe in buses.items():
        ack = json.dumps({"epoch": "e", "upto": 7, "bus": bus})
        hq.publish(f"ztc/v1/bus/{bus}/ack", ack)
        assert probe.next_message()[:2] == (f"ztc/v1/bus/{bus}/ack", ack.encode())
    catalog = json.dumps({"version": 1, "services": []})
    hq.publish("ztc/v1/fleet/catalog", catalog)
    for probe in buses.values():
        assert probe.next_message()[:2] == ("ztc/v1/fleet/catalog", catalog.encode())


def test_headquarters_cannot_forge_bus_data(connect: ProbeFactory) -> None:
    hq = connect(HQ)
    bus = connect(A)
    hq.subscribe(f"ztc/v1/bus/{A}/events")
    hq.publish(f"ztc/v1/bus/{A}/events", _marker())
    assert_only_sentinel_arrives(hq, bus, f"ztc/v1/bus/{A}/events")


# --- how big a message may be ----------------------------------------------------------------

def _shipped_max_packet_size() -> int:
    from tests.deploy.conftest import BROKER_CONF
    values = [line.split()[1] for line in BROKER_CONF.read_text(encoding="utf-8").splitlines()
              if line.startswith("max_packet_size ")]
    assert len(values) == 1, "the shipped broker config must set max_packet_size once"
    return int(values[0])


def _largest_honest_packet() -> int:
    """An MQTT PUBLISH of the protocol's largest payload on its longest topic: fixed header (≤ 5),
    topic (2 + length), packet id (2), and 1 KiB for MQTT 5 properties."""
    from contract.protocol import MAX_PAYLOAD_BYTES
    longest_topic = len(f"ztc/v1/bus/{'x' * 32}/cmd/reply")
    return 5 + 2 + longest_topic + 2 + 1024 + MAX_PAYLOAD_BYTES


def test_max_packet_size_matches_the_protocol_limit() -> None:
    limit = _shipped_max_packet_size()
    assert _largest_honest_packet() <= limit <= _largest_honest_packet() + 64 * 1024


def test_oversized_publish_from_a_bus_is_refused_and_a_normal_one_passes(connect: ProbeFactory) -> None:
    from contract.protocol import MAX_PAYLOAD_BYTES
    hq = connect(HQ)
    hq.subscribe("ztc/v1/bus/#")
    bus = connect(A)
    largest = "x" * MAX_PAYLOAD_BYTES  # the biggest payload the protocol allows gets through whole
    bus.publish(f"ztc/v1/bus/{A}/events", largest)
    topic, payload, _ = hq.next_message()
    assert topic == f"ztc/v1/bus/{A}/events" and len(payload) == MAX_PAYLOAD_BYTES

    attacker = connect(B)
    attacker.client.reconnect_delay_set(60, 60)  # no automatic reconnect within the test
    attacker.client.publish(f"ztc/v1/bus/{B}/events", b"y" * (5 * 1024 * 1024), qos=0)
    assert attacker.disconnected.wait(30), "the broker kept a client that sent a 5 MiB packet"
    assert_only_sentinel_arrives(hq, bus, f"ztc/v1/bus/{A}/events")
