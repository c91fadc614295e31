"""What the demo runs, in start order, with the ports and folders each process is told about.

Every process reads the ordinary settings; the demo only overrides ports and folders through
``ZTC_<SECTION>__<KEY>`` variables, so the demo exercises the same code paths as the bus.
"""
from __future__ import annotations

import os
import socket
import sys
from dataclasses import dataclass
from pathlib import Path

from ztc_cli.demo.supervisor import ChildSpec, any_output, output_matches, port_open

REPO = Path(__file__).resolve().parents[2]
ROLES = ("resident", "crew", "display")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])  # (host, port): the port the system picked


def shared_dir() -> Path:
    return Path(os.environ.get("ZTC_SHARED_DIR") or (REPO / ".." / "shared")).resolve()


def gps_day() -> Path:
    return shared_dir() / "fixtures" / "gps" / "yiyuan-day.nmea"


@dataclass(frozen=True)
class Ports:
    mqtt: int
    gpsd: int
    printer: int
    hq: int

    @classmethod
    def pick(cls) -> Ports:
        return cls(free_port(), free_port(), free_port(), free_port())


@dataclass(frozen=True)
class DemoPlan:
    """Folders and ports of one demo run; ``specs`` turns them into the processes to start."""

    work: Path
    ports: Ports
    config: str | None = None  # the user's --config, handed to every ztc child
    gps_cycle_s: float = 0.25

    @property
    def bus_dir(self) -> Path:
        return self.work / "bus"

    @property
    def hq_db(self) -> Path:
        return self.work / "hq" / "hq.db"

    @property
    def hq_url(self) -> str:
        return f"http://127.0.0.1:{self.ports.hq}/"

    def ztc_env(self) -> dict[str, str]:
        """Settings every ztc child shares: the demo's broker, gpsd, printer, HQ and folders."""
        env = {
            "ZTC_DATA_DIR": str(self.bus_dir),
            "ZTC_MQTT__HOST": "127.0.0.1", "ZTC_MQTT__PORT": str(self.ports.mqtt), "ZTC_MQTT__TLS": "false",
            "ZTC_GPS__HOST": "127.0.0.1", "ZTC_GPS__PORT": str(self.ports.gpsd),
            "ZTC_DEVICES__TICKET_PRINTER__KIND": "sim",
            "ZTC_DEVICES__TICKET_PRINTER__HOST": "127.0.0.1",
            "ZTC_DEVICES__TICKET_PRINTER__PORT": str(self.ports.printer),
            "ZTC_HQ__HOST": "127.0.0.1", "ZTC_HQ__PORT": str(self.ports.hq),
            "ZTC_HQ__DATABASE_URL": f"sqlite:///{self.hq_db}",
            "ZTC_HQ__MQTT__HOST": "127.0.0.1", "ZTC_HQ__MQTT__PORT": str(self.ports.mqtt),
            "ZTC_HQ__MQTT__TLS": "false",
            "ZTC_BUS__TICKET_URL": f"http://127.0.0.1:{self.ports.hq}/t/{{ticket_id}}",
            # A ticket should reach the dashboard within a second or two, not after a 20 s linger.
            "ZTC_AGENT__LINGER_S": "1", "ZTC_AGENT__RECONNECT_MAX_S": "5",
        }
        if self.config:
            env["ZTC_CONFIG"] = self.config
        return env

    def ztc(self, *args: str, log_level: str = "INFO") -> list[str]:
        return [sys.executable, "-m", "ztc_cli", "--log-level", log_level, *args]

    def broker_conf(self) -> Path:
        """Anonymous access, loopback only: the bus and HQ accounts connect without passwords.

        No persistence: mosquitto drops root to its own user and could not write into the demo folder;
        the agent's outbox, not the broker, is what keeps events safe.
        """
        d = self.work / "mosquitto"
        d.mkdir(parents=True, exist_ok=True)
        conf = d / "mosquitto.conf"
        conf.write_text(f"listener {self.ports.mqtt} 127.0.0.1\nallow_anonymous true\n"
                        "persistence false\nlog_dest stdout\nlog_type error\nlog_type warning\n")
        return conf

    def server_specs(self) -> list[ChildSpec]:
        """The broker, gpsd fed by gpsfake, the virtual printer and HQ, in start order (the agent comes after)."""
        env = self.ztc_env()
        printer_out = self.work / "printer"
        return [
            ChildSpec("mosquitto", ["mosquitto", "-c", str(self.broker_conf())],
                      ready=port_open(self.ports.mqtt), ready_timeout_s=20),
            # Looping (no -1), gpsd opens the pty at once (-n); about real time at 4 sentences a second.
            ChildSpec("gps", ["gpsfake", "-q", "-n", "-P", str(self.ports.gpsd), "-c", str(self.gps_cycle_s),
                              str(gps_day())],
                      ready=port_open(self.ports.gpsd), ready_timeout_s=30),
            ChildSpec("printer", self.ztc("devices", "sim-printer", "--tcp", str(self.ports.printer),
                                          "--out", str(printer_out)),
                      env=env, ready=port_open(self.ports.printer), ready_timeout_s=60, cwd=str(REPO)),
            ChildSpec("hq", self.ztc("hq"), env=env, ready=port_open(self.ports.hq), ready_timeout_s=90,
                      cwd=str(REPO)),
        ]

    def agent_spec(self) -> ChildSpec:
        return ChildSpec("agent", self.ztc("agent"), env=self.ztc_env(), ready=any_output, ready_timeout_s=90,
                         cwd=str(REPO))

    def xvfb_spec(self, role: str, size: str) -> ChildSpec:
        """A virtual screen per kiosk role; ``-displayfd 1`` makes Xvfb choose a free display and print it."""
        return ChildSpec(f"xvfb-{role}", ["Xvfb", "-displayfd", "1", "-screen", "0", f"{size}x24",
                                          "-nolisten", "tcp"],
                         ready=output_matches(r"^\d+$"), ready_timeout_s=30)

    def kiosk_spec(self, role: str, size: str, display: str) -> ChildSpec:
        env = self.ztc_env() | {"DISPLAY": display, "KIVY_NO_ARGS": "1", "KIVY_NO_FILELOG": "1"}
        return ChildSpec(f"kiosk-{role}", self.ztc("kiosk", "--role", role, "--windowed", "--size", size,
                                                           log_level="WARNING"),  # Kivy logs on its own
                         env=env, ready=any_output, ready_timeout_s=120, cwd=str(REPO))
