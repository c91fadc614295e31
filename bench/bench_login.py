"""Log-in burst benchmark (issue 16, item 1): 40 wrong log-ins at once against the real ``ztc hq``,
while a reader asks for an unrelated page (``/api/v1/buses``) every 20 ms.

Measured: the process's peak RSS (VmHWM from /proc) and the p99 of the unrelated request. Each
attacker comes from its own loopback address (127.0.0.10 …), so the per-client rate limit does
not hide anything: what holds memory down is the bounded password-check pool. Baseline, same run,
same process: the unrelated request's p99 and the RSS before the burst. Targets: RSS < 400 MiB,
p99 ≤ 500 ms.
"""
from __future__ import annotations

import sys
import tempfile
import threading
import time
from pathlib import Path

import httpx

from bench import Row
from bench.bench_hq import _Hq, _p99
from bench.bench_uplink import _Broker

ATTACKERS = 40


def _rss_mib(pid: int, field: str) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024
    return float("nan")


def _probe(url: str, seconds: float) -> list[float]:
    """Latencies of the unrelated request, one every 20 ms, for ``seconds``."""
    out: list[float] = []
    with httpx.Client(timeout=30) as c:
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            t0 = time.perf_counter()
            c.get(f"{url}/api/v1/buses")
            out.append(time.perf_counter() - t0)
            time.sleep(0.02)
    return out


def _attack(url: str, n: int, waves: int, codes: list[int]) -> None:
    """One attacker on its own loopback address: ``waves`` wrong log-ins, each as soon as the last ends."""
    transport = httpx.HTTPTransport(local_address=f"127.0.0.{10 + n}")
    with httpx.Client(transport=transport, timeout=60) as c:
        for w in range(waves):
            r = c.post(f"{url}/api/v1/login", json={"name": f"chief{w % 3}", "password": f"wrong {n} {w}"})
            codes.append(r.status_code)


def run(quick: bool = False) -> list[Row]:
    waves = 2 if quick else 6
    with tempfile.TemporaryDirectory(prefix="ztc-bench-login-") as tmp_name:
        tmp = Path(tmp_name)
        (tmp / "broker").mkdir()
        broker = _Broker(tmp / "broker")
        hq = _Hq(tmp, broker.port)
        try:
            url = f"http://127.0.0.1:{hq.http}"
            pid = hq.proc.pid
            _probe(url, 1.0)  # warm up
            rest_rss = _rss_mib(pid, "VmRSS")
            bare = _probe(url, 3.0)
            codes: list[int] = []
            lat: list[float] = []
            reader = threading.Thread(target=lambda: lat.extend(_probe(url, 4.0 if quick else 10.0)))
            reader.start()
            attackers = [threading.Thread(target=_attack, args=(url, n, waves, codes)) for n in range(ATTACKERS)]
            for t in attackers:
                t.start()
            for t in attackers:
                t.join()
            reader.join()
            peak = _rss_mib(pid, "VmHWM")
        finally:
            hq.stop()
            broker.stop()
    refused = sum(1 for c in codes if c == 429)
    print(f"  {len(codes)} wrong log-ins from {ATTACKERS} addresses: {codes.count(401)} checked (401), "
          f"{refused} refused (429); RSS {rest_rss:.0f} → peak {peak:.0f} MiB; unrelated p99 "
          f"{_p99(lat) * 1000:.0f} ms (no burst {_p99(bare) * 1000:.0f} ms)", file=sys.stderr)
    return [
        Row(f"hq: peak RSS during {ATTACKERS} concurrent wrong log-ins", peak, "MiB", rest_rss,
            "RSS at rest, same process", "< 400 MiB", peak < 400),
        Row(f"hq: p99 of an unrelated request during {ATTACKERS} wrong log-ins", _p99(lat) * 1000, "ms",
            _p99(bare) * 1000, "the same request without the burst", "≤ 500 ms", _p99(lat) <= 0.5),
    ]
