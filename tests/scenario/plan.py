"""The residents of a simulated service day: who arrives when, for what, and how their visit goes.

Deterministic (seeded), written as JSON so the kiosk driver process and the test that checks the
result read the same day. Times are simulated minutes after a stop visit opened; the driver turns
them into real seconds with ``minute_s`` (compressed time).
"""
from __future__ import annotations

import json
import random
from dataclasses import asdict, dataclass
from pathlib import Path

# The stops of the shared sample GPS day, in driving order, with the services each visit offers
# (as config/route.yaml plans them) and the share of the day's residents who come there.
STOPS: dict[str, tuple[list[str], float]] = {
    "nanma-xincun": (["A", "B", "D", "E", "F", "G"], 0.4),
    "lishan-park": (["A", "B", "C", "D", "F", "G"], 0.4),
    "depot": (["F", "G"], 0.2),
}
ITEMS = {"A": ["A01", "A02", "A03"], "B": ["B01", "B02"], "C": ["C01", "C02", "C03"], "D": ["D01", "D02"],
         "E": ["E01", "E02", "E03"], "F": ["F01"], "G": ["G01", "G02"]}
# Three windows, as on the bus: business and construction, livelihood, and a generalist.
WINDOWS = {1: ["A", "B", "C", "G"], 2: ["D", "E", "F", "G"], 3: ["A", "B", "C", "D", "E", "F", "G"]}
BEHAVIOURS = (("served", 0.86), ("no_show", 0.05), ("cancel", 0.04), ("transfer", 0.05))


@dataclass(frozen=True)
class Resident:
    stop: str
    at_min: float              # arrival, simulated minutes after the visit opened
    service: str               # ticket prefix
    item: str
    priority: bool             # 绿色通道 (elderly, disabled)
    appointment: str | None    # 6-digit code to check in with, for booked residents
    service_min: float         # how long the window needs for them
    behaviour: str             # served | no_show | cancel | transfer
    transfer_to: str | None
    rating: int | None         # 好差评 after being served, or None (many do not rate)


@dataclass(frozen=True)
class DayPlan:
    residents: list[Resident]
    appointments: list[dict]   # the appointments document items headquarters pushes
    minute_s: float            # real seconds per simulated minute

    def at(self, stop: str) -> list[Resident]:
        return [r for r in self.residents if r.stop == stop]

    def dump(self, path: Path) -> Path:
        path.write_text(json.dumps({"residents": [asdict(r) for r in self.residents],
                                    "appointments": self.appointments, "minute_s": self.minute_s},
                                   ensure_ascii=False))
        return path

    @classmethod
    def load(cls, path: Path) -> DayPlan:
        raw = json.loads(path.read_text())
        return cls([Resident(**r) for r in raw["residents"]], raw["appointments"], raw["minute_s"])


def _behaviour(rng: random.Random) -> str:
    x, acc = rng.random(), 0.0
    for name, p in BEHAVIOURS:
        acc += p
        if x < acc:
            return name
    return "served"


def make_plan(residents: int, open_min: float, minute_s: float, appointments_per_stop: int, slot_start: float,
              seed: int = 20260518) -> DayPlan:
    """Poisson arrivals (exponential gaps) over ``open_min`` simulated minutes at each stop."""
    rng = random.Random(seed)
    people: list[Resident] = []
    appts: list[dict] = []
    code = 100000 + rng.randrange(800000)
    for stop, (services, share) in STOPS.items():
        n = round(residents * share)
        rate = n / open_min
        t = 0.0
        booked = set(rng.sample(range(n), min(appointments_per_stop, n)))
        for k in range(n):
            t += rng.expovariate(rate)
            service = rng.choice(services)
            appointment = None
            if k in booked:
                code += 1
                appointment = f"{code:06d}"
                appts.append({"id": f"appt-{stop}-{k}", "code": appointment, "stop": stop, "service": service,
                              "slot_start": slot_start, "slot_end": slot_start + 6 * 3600,
                              "name_masked": "张*", "phone_last4": f"{rng.randrange(10000):04d}",
                              "needs": "轮椅 / wheelchair" if k % 2 else ""})
            behaviour = _behaviour(rng) if appointment is None else "served"
            others = [s for s in services if s != service]
            people.append(Resident(
                stop=stop, at_min=round(t, 2), service=service, item=rng.choice(ITEMS[service]),
                priority=appointment is None and rng.random() < 0.1, appointment=appointment,
                service_min=round(min(12.0, max(1.0, rng.expovariate(1 / 3.5))), 2), behaviour=behaviour,
                transfer_to=rng.choice(others) if behaviour == "transfer" else None,
                rating=rng.choice([5, 5, 5, 4, 4, 3, 2, 1]) if rng.random() < 0.6 else None))
    return DayPlan(people, appts, minute_s)
