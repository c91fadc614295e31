"""One validated settings object for every ztc process.

Layers, lowest first: the shipped defaults in ``config/*.yaml`` < the file named by ``--config``
or ``ZTC_CONFIG`` < environment variables ``ZTC_<SECTION>__<KEY>``. Every error names the layer
(file or variable) that supplied the bad value, the key path and what is wrong, because the person
reading it is a county IT technician on a bus, not the author.
"""
from __future__ import annotations

import os
import re
from collections.abc import Mapping
from datetime import time
from pathlib import Path
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from contract.catalog import ServiceCategory  # the catalog is part of the bus ↔ HQ contract
from ztc.text import Text

SHIPPED_DIR = Path(__file__).resolve().parent.parent / "config"
SHIPPED_FILES = ("bus.yaml", "services.yaml", "route.yaml")
ENV_PREFIX = "ZTC_"
# ZTC_* variables that steer tools and tests, not settings (every other ZTC_* variable is a setting,
# so a misspelt one is an error instead of being ignored).
NOT_SETTINGS = {"ZTC_CONFIG", "ZTC_SHARED_DIR", "ZTC_ARTIFACTS", "ZTC_FONT", "ZTC_SOAK"}
SECRET_KEYS = {"password", "secret", "token", "key"}


class ConfigError(Exception):
    """The configuration cannot be used; ``errors`` lists every problem, one line each."""

    def __init__(self, errors: list[str]):
        super().__init__("\n".join(errors))
        self.errors = errors


# Where a value sits in the merged configuration: keys, and list indices in pydantic's error locations.
KeyPath = tuple[str | int, ...]


class Strict(BaseModel):
    """Unknown keys are errors (a typo must not silently fall back to a default)."""

    model_config = ConfigDict(extra="forbid", frozen=True)


Port = Annotated[int, Field(ge=1, le=65535)]
Letter = Annotated[str, Field(pattern=r"^[A-Z]$")]


class BusSettings(Strict):
    id: Annotated[str, Field(pattern=r"^[a-z0-9-]{1,32}$")]
    name_zh: str
    name_en: str
    timezone: str = "Asia/Shanghai"
    hotline: str = ""
    ticket_url: str = "http://127.0.0.1:8080/t/{ticket_id}"

    @property
    def name(self) -> Text:
        return Text.named(self)

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, v: str) -> str:
        try:
            ZoneInfo(v)
        except (ZoneInfoNotFoundError, ValueError) as e:
            raise ValueError(f"unknown time zone {v!r}") from e
        return v

    @field_validator("ticket_url")
    @classmethod
    def _has_placeholder(cls, v: str) -> str:
        if "{ticket_id}" not in v:
            raise ValueError("must contain {ticket_id}")
        return v


class QueueSettings(Strict):
    no_show_after_calls: Annotated[int, Field(ge=1, le=10)] = 3
    priority_ratio: Annotated[int, Field(ge=0, le=20)] = 2
    cutoff_margin_min: Annotated[int, Field(ge=0, le=240)] = 10
    estimate_samples: Annotated[int, Field(ge=1, le=200)] = 10
    appointment_early_min: Annotated[int, Field(ge=0, le=240)] = 30
    daily_caps: dict[Letter, Annotated[int, Field(ge=1, le=10000)]] = {}
    # Appointments (masked name, last 4 phone digits) are deleted this long after their slot ended.
    appointment_retention_days: Annotated[float, Field(ge=0, le=365)] = 7


class MqttSettings(Strict):
    host: str = "127.0.0.1"
    port: Port = 1883
    tls: bool = False
    ca_file: str | None = None
    username: str = ""
    password: str = ""
    keepalive_s: Annotated[int, Field(ge=5, le=3600)] = 30


class GpsSettings(Strict):
    host: str = "127.0.0.1"
    port: Port = 2947
    timeout_s: Annotated[float, Field(gt=0, le=600)] = 10.0  # nothing from gpsd this long → reconnect
    reconnect_max_s: Annotated[float, Field(gt=0, le=600)] = 30.0  # backoff ceiling between attempts
    max_speed_kmh: Annotated[float, Field(gt=0, le=2000)] = 200.0  # a jump implying more is a glitch
    future_tolerance_s: Annotated[float, Field(ge=0, le=3600)] = 60.0  # fixes dated further ahead: rejected


class StopDetectionSettings(Strict):
    hysteresis_m: Annotated[float, Field(ge=0, le=1000)] = 30.0  # leave only beyond radius + this
    min_dwell_s: Annotated[float, Field(ge=0, le=3600)] = 20.0  # inside this long (and slow) = arrived
    arrive_max_speed_ms: Annotated[float, Field(gt=0, le=50)] = 2.0  # driving through is not arriving
    depart_confirm_s: Annotated[float, Field(ge=0, le=3600)] = 10.0  # outside this long = departed


class TelemetrySettings(Strict):
    """How often a position goes out live, and how often one is recorded while the link is down."""

    moving_speed_ms: Annotated[float, Field(gt=0, le=50)] = 1.5  # above this the bus counts as moving
    moving_interval_s: Annotated[float, Field(gt=0, le=3600)] = 30.0
    parked_interval_s: Annotated[float, Field(gt=0, le=86400)] = 120.0
    min_distance_m: Annotated[float, Field(gt=0, le=100000)] = 400.0  # moved this far → publish early
    min_interval_s: Annotated[float, Field(ge=0, le=3600)] = 3.0  # never faster than this
    track_moving_interval_s: Annotated[float, Field(gt=0, le=3600)] = 60.0
    track_parked_interval_s: Annotated[float, Field(gt=0, le=86400)] = 600.0
    track_min_distance_m: Annotated[float, Field(gt=0, le=100000)] = 500.0
    stops: StopDetectionSettings = StopDetectionSettings()


class HqMapSettings(Strict):
    """The dashboard's map tiles. Tianditu (天地图) is ≈ WGS-84 (CGCS2000): positions are drawn as
    sent. A GCJ-02 provider (AMap …) needs ``crs: gcj02``: the page then shifts positions for display."""

    tile_url: str = ("https://t{s}.tianditu.gov.cn/vec_w/wmts?SERVICE=WMTS&REQUEST=GetTile&VERSION=1.0.0"
                     "&LAYER=vec&STYLE=default&TILEMATRIXSET=w&FORMAT=tiles&TILEMATRIX={z}&TILEROW={y}"
                     "&TILECOL={x}&tk={key}")  # "" = no tiles (offline tests); OSM: https://tile.openstreetmap.org/{z}/{x}/{y}.png
    # Tianditu's vector tiles carry no place names: its label layer (cva_w, 矢量注记) is drawn over
    # them. "" = none (set it "" for a provider whose tiles have their own labels, such as OSM).
    label_url: str = ("https://t{s}.tianditu.gov.cn/cva_w/wmts?SERVICE=WMTS&REQUEST=GetTile&VERSION=1.0.0"
                      "&LAYER=cva&STYLE=default&TILEMATRIXSET=w&FORMAT=tiles&TILEMATRIX={z}&TILEROW={y}"
                      "&TILECOL={x}&tk={key}")
    tile_key: str = ""                  # the Tianditu browser key, filled into {key}
    subdomains: str = "01234567"
    attribution: str = "天地图 / Tianditu"
    # The map's approval number (审图号, e.g. "GS(2024)0650号"), which a published map must show;
    # appended to the attribution when set.
    approval_number: Annotated[str, Field(max_length=60)] = ""
    crs: Literal["wgs84", "gcj02"] = "wgs84"
    center_lat: Annotated[float, Field(ge=-90, le=90)] = 36.19
    center_lon: Annotated[float, Field(ge=-180, le=180)] = 118.17
    zoom: Annotated[int, Field(ge=1, le=19)] = 12


class HqSettings(Strict):
    host: str = "127.0.0.1"
    port: Port = 8080
    database_url: str = "sqlite:////var/lib/ztc-hq/hq.db"
    # The ingest's own broker account (reads every bus, writes acks and documents).
    mqtt: MqttSettings = MqttSettings(username="ztc.hq")  # the broker ACL's headquarters user
    client_id: Annotated[str, Field(pattern=r"^[A-Za-z0-9_.-]{1,64}$")] = "ztc.hq"
    timezone: str = "Asia/Shanghai"     # the county's day for figures, tracks and reports
    map: HqMapSettings = HqMapSettings()
    offline_after_min: Annotated[float, Field(gt=0, le=1440)] = 5       # no message this long → offline alert
    backlog_alert_min: Annotated[float, Field(gt=0, le=10080)] = 60     # oldest outbox event older → alert
    followup_days: Annotated[float, Field(gt=0, le=60)] = 3             # (unused since working-day deadlines)
    # 差评整改 deadlines in working days of the county's calendar (see hq/cases.py for the sources).
    case_working_days: Annotated[int, Field(ge=1, le=30)] = 5
    callback_working_days: Annotated[int, Field(ge=1, le=10)] = 1
    # The county's own holiday / 调休 decisions (see ztc/workdays.py); "" = the shipped config/holidays.yaml.
    holidays_file: str = ""
    # The address residents reach headquarters' public pages at (the notice's QR code); "" = the address
    # the staff member's browser used.
    public_url: Annotated[str, Field(pattern=r"^(https?://[^\s/]+(/[^\s]*)?)?$")] = ""
    office_name: Annotated[str, Field(max_length=60)] = "政务服务管理办公室"  # signs the printed notices
    # The hotline desk (hq/bookings.py): confirmation texts go to the sms outlet. "file" writes each one
    # into ``sms_outbox`` — the place a real SMS gateway plugs in (no gateway is connected yet).
    sms_driver: Literal["file"] = "file"
    sms_outbox: str = "/var/lib/ztc-hq/sms-outbox"
    booking_slot_min: Annotated[int, Field(ge=5, le=240)] = 30       # a stop visit is booked in slots this long …
    booking_slot_capacity: Annotated[int, Field(ge=1, le=100)] = 4   # … each holding this many bookings
    session_hours: Annotated[float, Field(gt=0, le=168)] = 12
    login_failures: Annotated[int, Field(ge=3, le=20)] = 5              # wrong passwords in a row → locked …
    lockout_s: Annotated[float, Field(ge=30, le=86400)] = 900           # … for this long
    cookie_secure: bool = False         # true behind HTTPS (the session cookie is then HTTPS-only)
    # GET of the read API (buses, track, events, stats) without a log-in from these networks (local
    # tools); set [] when a reverse proxy on this host forwards the public.
    open_read_networks: list[str] = ["127.0.0.1/32", "::1/128"]
    # Several ingest processes (``ztc hq --ingest-only`` N times, PostgreSQL): the MQTT v5 shared-
    # subscription group they split the buses' messages in; "" = one ingest with its own session.
    ingest_group: Annotated[str, Field(pattern=r"^([A-Za-z0-9_.-]{1,64})?$")] = ""
    # Positions (live and recorded tracks) older than this are dropped by ``ztc hq housekeeping``;
    # events, records and cases are kept.
    position_retention_days: Annotated[float, Field(ge=7, le=36600)] = 400

    @field_validator("database_url")
    @classmethod
    def _known_scheme(cls, v: str) -> str:
        if not re.match(r"^(sqlite|postgresql)://", v):
            raise ValueError("must start with sqlite:// or postgresql://")
        return v

    @field_validator("timezone")
    @classmethod
    def _hq_zone(cls, v: str) -> str:
        return BusSettings._known_zone(v)

    @field_validator("open_read_networks")
    @classmethod
    def _networks(cls, v: list[str]) -> list[str]:
        import ipaddress
        for net in v:
            try:
                ipaddress.ip_network(net, strict=False)
            except ValueError as e:
                raise ValueError(f"not a network: {net!r}") from e
        return v


class AgentSettings(Strict):
    """The bus agent's uplink and outbox drain (telemetry/); see docs/protocol.md."""

    batch_max_events: Annotated[int, Field(ge=1, le=1000)] = 200
    batch_max_kb: Annotated[int, Field(ge=4, le=256)] = 64
    inflight_batches: Annotated[int, Field(ge=1, le=64)] = 4
    linger_s: Annotated[float, Field(ge=0, le=600)] = 20  # wait this long to fill a batch (fewer messages)
    resend_after_s: Annotated[float, Field(ge=1, le=3600)] = 30
    periodic_s: Annotated[float, Field(ge=5, le=3600)] = 60    # queue and health even without change
    coalesce_s: Annotated[float, Field(ge=0.1, le=60)] = 1     # at most one queue/health per this
    track_max_kb: Annotated[int, Field(ge=16, le=1_000_000)] = 8192  # recorded positions beyond: oldest dropped
    reconnect_min_s: Annotated[float, Field(ge=0.1, le=60)] = 1
    reconnect_max_s: Annotated[float, Field(ge=1, le=3600)] = 60


class _TicketPrinterBase(Strict):
    paper_width_mm: Literal[58, 80] = 80
    text_mode: Literal["raster", "native"] = "raster"
    retries: Annotated[int, Field(ge=0, le=10)] = 1
    # How long to wait for a DLE EOT status reply; silence after that means "status unknown".
    status_timeout_s: Annotated[float, Field(gt=0, le=10)] = 1.0


class UsbTicketPrinter(_TicketPrinterBase):
    kind: Literal["usb"]
    vendor_id: Annotated[int, Field(ge=0, le=0xFFFF)]
    product_id: Annotated[int, Field(ge=0, le=0xFFFF)]
    interface: Annotated[int, Field(ge=0)] = 0
    in_ep: int = 0x82
    out_ep: int = 0x01
    timeout_ms: Annotated[int, Field(ge=10, le=60000)] = 2000


class SerialTicketPrinter(_TicketPrinterBase):
    kind: Literal["serial"]
    device: str
    baudrate: Literal[9600, 19200, 38400, 57600, 115200] = 9600
    timeout_s: Annotated[float, Field(gt=0, le=60)] = 2.0


class NetworkTicketPrinter(_TicketPrinterBase):
    kind: Literal["network"]
    host: str
    port: Port = 9100
    timeout_s: Annotated[float, Field(gt=0, le=60)] = 5.0


class FileTicketPrinter(_TicketPrinterBase):
    kind: Literal["file"]
    device: str


class SimTicketPrinter(_TicketPrinterBase):
    kind: Literal["sim"]
    host: str = "127.0.0.1"
    port: Port = 9100
    timeout_s: Annotated[float, Field(gt=0, le=60)] = 5.0


TicketPrinterSettings = Annotated[
    UsbTicketPrinter | SerialTicketPrinter | NetworkTicketPrinter | FileTicketPrinter | SimTicketPrinter,
    Field(discriminator="kind"),
]


class A4PrinterSettings(Strict):
    queue: Annotated[str, Field(pattern=r"^[A-Za-z0-9_.-]{1,127}$")] = "ztc-a4"
    # cupsd as host:port (or a socket path); None = the system default cupsd
    server: Annotated[str, Field(pattern=r"^[A-Za-z0-9_.:/-]{1,255}$")] | None = None
    duplex: bool = False                      # print both sides (two-sided-long-edge) by default
    job_timeout_s: Annotated[float, Field(gt=0, le=3600)] = 120.0  # a job not done by then is reported stuck
    command_timeout_s: Annotated[float, Field(gt=0, le=120)] = 15.0  # one lp / lpstat / ipptool call


class CameraSettings(Strict):
    source: str | int = "sim"
    width: Annotated[int, Field(ge=160, le=10000)] = 3264    # full resolution asked for (MJPG)
    height: Annotated[int, Field(ge=120, le=10000)] = 2448
    preview_width: Annotated[int, Field(ge=80, le=1920)] = 640  # the crew screen's live picture
    warmup_frames: Annotated[int, Field(ge=0, le=100)] = 5    # dropped after opening (exposure settling)
    reopen_max_s: Annotated[float, Field(gt=0, le=600)] = 10.0  # reopen backoff doubles up to this
    sim_path: str | None = None      # sim frames: image file, folder or video; None = shared fixtures
    sim_fps: Annotated[float, Field(gt=0, le=60)] = 5.0
    scan_retention_days: Annotated[float, Field(ge=0, le=3650)] = 30.0  # kept at least this long AND until HQ acked


class DevicesSettings(Strict):
    ticket_printer: TicketPrinterSettings = SimTicketPrinter(kind="sim")
    a4_printer: A4PrinterSettings = A4PrinterSettings()
    camera: CameraSettings = CameraSettings()


class Stop(Strict):
    id: Annotated[str, Field(pattern=r"^[a-z0-9-]{1,64}$")]
    name_zh: str
    name_en: str = ""
    lat: Annotated[float, Field(ge=-90, le=90)]
    lon: Annotated[float, Field(ge=-180, le=180)]
    radius_m: Annotated[float, Field(gt=5, le=5000)] = 80

    @property
    def name(self) -> Text:
        return Text.named(self)


class ScheduledVisit(Strict):
    stop: str
    arrive: time
    depart: time
    services: Annotated[list[Letter], Field(min_length=1)]
    theme: str | None = None

    @model_validator(mode="after")
    def _arrive_before_depart(self) -> ScheduledVisit:
        if self.depart <= self.arrive:
            raise ValueError(f"depart {self.depart} must be after arrive {self.arrive}")
        return self


class RouteSettings(Strict):
    stops: list[Stop]
    schedule: list[ScheduledVisit] = []


HourMinute = Annotated[str, Field(pattern=r"^([01][0-9]|2[0-3]):[0-5][0-9]$")]


class VoiceSettings(Strict):
    """Voice calling on the waiting-area display (kiosk/voice.py)."""

    enabled: bool = True
    voice: Annotated[str, Field(pattern=r"^[A-Za-z0-9+_-]{2,40}$")] = "cmn"  # espeak-ng voice: Mandarin
    volume: Annotated[float, Field(ge=0, le=2)] = 1.0
    clips_dir: str | None = None            # folder of recorded WAV clips used instead of espeak-ng
    quiet_start: HourMinute | None = None   # no voice from … (calls still shown)
    quiet_end: HourMinute | None = None     # … until

    @field_validator("quiet_start", "quiet_end", mode="before")
    @classmethod
    def _yaml_sexagesimal(cls, v: object) -> object:
        # YAML 1.1 reads an unquoted 12:00 as the number 720 (base 60): take it back as a time.
        if isinstance(v, int) and not isinstance(v, bool) and 0 <= v < 24 * 60:
            return f"{v // 60:02d}:{v % 60:02d}"
        return v

    @model_validator(mode="after")
    def _quiet_pair(self) -> VoiceSettings:
        if (self.quiet_start is None) != (self.quiet_end is None):
            raise ValueError("quiet_start and quiet_end go together (set both or neither)")
        return self


class KioskSettings(Strict):
    """The touchscreen application (kiosk/): screen mode, timeouts, crew log-in, voice."""

    fullscreen: bool = True                                          # ztc kiosk --windowed overrides
    resident_idle_s: Annotated[float, Field(ge=10, le=3600)] = 60.0  # back to home after this long untouched
    crew_logout_s: Annotated[float, Field(ge=30, le=7200)] = 300.0   # crew console logs out after this
    login_failures: Annotated[int, Field(ge=3, le=20)] = 5           # wrong PINs in a row before lockout
    lockout_s: Annotated[float, Field(ge=30, le=86400)] = 300.0
    multisamples: Annotated[int, Field(ge=0, le=8)] = 0  # OpenGL antialiasing: 0 keeps redraws cheap
    voice: VoiceSettings = VoiceSettings()


class Settings(Strict):
    bus: BusSettings
    data_dir: Path
    queue: QueueSettings = QueueSettings()
    mqtt: MqttSettings = MqttSettings()
    gps: GpsSettings = GpsSettings()
    telemetry: TelemetrySettings = TelemetrySettings()
    hq: HqSettings = HqSettings()
    agent: AgentSettings = AgentSettings()
    devices: DevicesSettings = DevicesSettings()
    kiosk: KioskSettings = KioskSettings()
    services: Annotated[list[ServiceCategory], Field(min_length=1)]
    route: RouteSettings

    def cross_reference_problems(self) -> list[tuple[KeyPath, str]]:
        """Checks that span sections (a schedule naming an unknown stop, …), as (key path, problem)."""
        problems: list[tuple[KeyPath, str]] = []
        letters = [c.code for c in self.services]
        for n, c in enumerate(self.services):
            if letters.index(c.code) != n:
                problems.append((("services", n, "code"), f"prefix {c.code} is used twice"))
        items = [(n, m, i.code) for n, c in enumerate(self.services) for m, i in enumerate(c.items)]
        seen: set[str] = set()
        for n, m, code in items:
            if code in seen:
                problems.append((("services", n, "items", m, "code"), f"item code {code} is used twice"))
            seen.add(code)
        stop_ids = [s.id for s in self.route.stops]
        for n, s in enumerate(self.route.stops):
            if stop_ids.index(s.id) != n:
                problems.append((("route", "stops", n, "id"), f"stop id {s.id} is used twice"))
        for n, visit in enumerate(self.route.schedule):
            if visit.stop not in stop_ids:
                problems.append((("route", "schedule", n, "stop"), f"unknown stop {visit.stop!r}"))
            for code in visit.services:
                if code not in letters:
                    problems.append((("route", "schedule", n, "services"), f"unknown service {code!r}"))
        for code in self.queue.daily_caps:
            if code not in letters:
                problems.append((("queue", "daily_caps", code), f"unknown service {code!r}"))
        return problems

    # Small lookups used everywhere; derived, never stored twice.
    def category(self, code: str) -> ServiceCategory:
        for c in self.services:
            if c.code == code:
                return c
        raise KeyError(code)

    def stop(self, stop_id: str) -> Stop | None:
        return next((s for s in self.route.stops if s.id == stop_id), None)

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.bus.timezone)

    @property
    def db_path(self) -> Path:
        return self.data_dir / "bus.db"


# --- loading ---------------------------------------------------------------------------------

Layer = tuple[str, dict[str, Any]]  # (name shown in errors, data)


def _read_yaml(path: Path) -> dict[str, Any]:
    try:
        raw = path.read_bytes()
    except OSError as e:
        raise ConfigError([f"{path}: cannot read: {e.strerror}"]) from e
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as e:
        line = raw.count(b"\n", 0, e.start) + 1
        raise ConfigError([f"{path}: line {line}: not UTF-8 text (byte 0x{raw[e.start]:02x} at offset {e.start}); "
                           "save the file as UTF-8 / 配置文件不是 UTF-8 编码，请另存为 UTF-8"]) from None
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        where = f" line {mark.line + 1} column {mark.column + 1}" if mark else ""
        problem = getattr(e, "problem", None) or str(e)
        raise ConfigError([f"{path}:{where}: not valid YAML: {problem}"]) from e
    except RecursionError:
        raise ConfigError([f"{path}: nested too deeply to be a configuration file"]) from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise ConfigError([f"{path}: the top level must be a mapping of keys, not {type(data).__name__}"])
    return data


def env_layer(environ: Mapping[str, str]) -> dict[str, Any]:
    """``ZTC_MQTT__PORT=18830`` → ``{"mqtt": {"port": 18830}}``; values are read as YAML scalars."""
    out: dict[str, Any] = {}
    for name, raw in sorted(environ.items()):
        if not name.startswith(ENV_PREFIX) or name in NOT_SETTINGS:
            continue
        path = [p.lower() for p in name[len(ENV_PREFIX):].split("__") if p]
        if not path:
            continue
        try:
            value = yaml.safe_load(raw) if raw != "" else ""
        except yaml.YAMLError:
            value = raw
        node = out
        for key in path[:-1]:
            node = node.setdefault(key, {})
            if not isinstance(node, dict):
                break
        else:
            node[path[-1]] = value
    return out


def _merge(base: dict[str, Any], top: dict[str, Any], origin: dict[KeyPath, str], name: str,
           prefix: KeyPath = ()) -> None:
    """Deep-merge ``top`` into ``base``, remembering which layer set each key path."""
    for key, value in top.items():
        path = (*prefix, key)
        same_kind = not (isinstance(value, dict) and isinstance(base.get(key), dict)
                         and "kind" in value and value["kind"] != base[key].get("kind"))
        # A layer that changes a device's kind replaces that device's section: the old kind's
        # fields (a network printer's host) mean nothing to the new kind (a USB printer).
        if same_kind and isinstance(value, dict) and isinstance(base.get(key), dict):
            _merge(base[key], value, origin, name, path)
        else:
            base[key] = value
            origin[path] = name
            for p in [p for p in origin if p[: len(path)] == path and p != path]:
                del origin[p]
            if isinstance(value, dict):
                _record(value, origin, name, path)


def _record(value: dict[str, Any], origin: dict[KeyPath, str], name: str, prefix: KeyPath) -> None:
    for key, sub in value.items():
        origin[(*prefix, key)] = name
        if isinstance(sub, dict):
            _record(sub, origin, name, (*prefix, key))


def _source_of(loc: KeyPath, origin: dict[KeyPath, str]) -> str:
    for n in range(len(loc), 0, -1):
        if loc[:n] in origin:
            return origin[loc[:n]]
    return "configuration"


def _format_error(err: Mapping[str, Any], origin: dict[KeyPath, str]) -> str:
    loc = tuple(p for p in err["loc"] if not (isinstance(p, str) and p in _UNION_TAGS))
    path = ".".join(str(p) for p in loc) or "(top level)"
    msg = err["msg"]
    if err["type"] == "extra_forbidden":
        msg = "unknown key (not a ztc setting; check the spelling)"
    elif err["type"] == "missing":
        msg = "required key is missing"
    elif "input" in err and err["type"] not in ("value_error",) and not isinstance(err["input"], dict):
        msg = f"{msg} (got {err['input']!r})"
    if msg.startswith("Value error, "):
        msg = msg[len("Value error, "):]
    return f"{_source_of(loc, origin)}: {path}: {msg}"


_UNION_TAGS = {"usb", "serial", "network", "file", "sim"}


def load_settings(config_file: str | os.PathLike[str] | None = None,
                  environ: Mapping[str, str] | None = None,
                  shipped_dir: Path = SHIPPED_DIR) -> Settings:
    """Build the effective settings from all layers, or raise ConfigError listing every problem."""
    environ = os.environ if environ is None else environ
    layers: list[Layer] = []
    errors: list[str] = []
    for fname in SHIPPED_FILES:
        path = shipped_dir / fname
        try:
            layers.append((str(path), _read_yaml(path)))
        except ConfigError as e:
            errors += e.errors
    chosen = config_file or environ.get("ZTC_CONFIG")
    if chosen:
        try:
            layers.append((str(chosen), _read_yaml(Path(chosen))))
        except ConfigError as e:
            errors += e.errors
    layers.append(("environment", env_layer(environ)))
    if errors:
        raise ConfigError(errors)

    merged: dict[str, Any] = {}
    origin: dict[KeyPath, str] = {}
    for name, data in layers:
        _merge(merged, data, origin, name)
    # An environment variable is named, not the word "environment": that is what the reader set.
    for key_path, name in list(origin.items()):
        if name == "environment":
            names = [ENV_PREFIX + "__".join(str(p).upper() for p in key_path[:n]) for n in range(1, len(key_path) + 1)]
            origin[key_path] = "environment variable " + next((v for v in names if v in environ), names[-1])
    try:
        settings = Settings.model_validate(merged)
    except ValidationError as e:
        raise ConfigError([_format_error(err, origin) for err in e.errors()]) from e
    problems = settings.cross_reference_problems()
    if problems:
        raise ConfigError([f"{_source_of(loc, origin)}: {'.'.join(map(str, loc))}: {msg}"
                           for loc, msg in problems])
    return settings


def masked(settings: Settings) -> dict[str, Any]:
    """The effective configuration as plain data with secrets replaced, for printing."""

    def walk(node: Any) -> Any:
        if isinstance(node, dict):
            return {k: ("***" if k in SECRET_KEYS and v else walk(v)) for k, v in node.items()}
        if isinstance(node, list):
            return [walk(v) for v in node]
        return node

    out = walk(settings.model_dump(mode="json"))
    assert isinstance(out, dict)  # model_dump of a model is a dict, and walk keeps dicts dicts
    return out
