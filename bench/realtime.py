"""Real time on one core: how many orders/s one ``main.py`` sustains (prints numbers; not a test).

For each rate R, ``main.py --rate R --duration D --speed 1`` (open loop, one process) exports
to an OTLP/gRPC receiver started here, and this prints the CPU it used as a share of one
core (user + system time of the child / wall time), the orders placed and not started
(slots missed), the root span's p50 and p99, how late the simulation's waits ended on
average (above ``LATE_MS`` the summary warns that spans last longer than the simulated
system's), and whether every span was received.  The README's per-core planning figure
(generators for a target rate) comes from here.

Usage: python bench/realtime.py [--rates 200,400,600,800] [--duration 10]
"""
from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from simulate.receiver import OtlpReceiver  # noqa: E402


def children_cpu_s() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rates", default="200,400,600,800", help="orders/s to try, comma-separated")
    parser.add_argument("--duration", type=float, default=10.0, help="seconds per rate (default 10)")
    args = parser.parse_args()
    rates = [float(r) for r in args.rates.split(",")]

    with OtlpReceiver(keep=False, workers=8) as receiver:
        print(f"one main.py per rate, {args.duration:g} s each, real time, exporting to {receiver.endpoint}")
        print(f"{'rate':>6} {'spans/s':>8} {'CPU':>6} {'orders':>7} {'missed':>6} {'p50 ms':>7} "
              f"{'p99 ms':>7} {'late ms':>7} {'lost':>5}")
        for rate in rates:
            before_spans, before_cpu = receiver.span_count, children_cpu_s()
            started = time.monotonic()
            result = subprocess.run(
                [sys.executable, "main.py", "--json", "--endpoint", receiver.endpoint,
                 "--rate", f"{rate:g}", "--duration", f"{args.duration:g}", "--speed", "1"],
                cwd=ROOT, capture_output=True, text=True)
            wall_s = time.monotonic() - started
            if result.returncode != 0:
                raise SystemExit(f"--rate {rate:g} failed ({result.returncode}):\n{result.stderr}")
            cpu = (children_cpu_s() - before_cpu) / wall_s
            data = json.loads(result.stdout)
            created = data["spans"]["created"]
            receiver.wait_for_spans(before_spans + created, timeout_s=30)
            root = data["latency_ms"]["POST /api/orders"]
            print(f"{rate:>6g} {rate * 11:>8,.0f} {cpu:>6.0%} {data['orders']['total']:>7,} "
                  f"{data['not_started']:>6,} {root['p50']:>7.1f} {root['p99']:>7.1f} "
                  f"{data['late_ms']:>7.2f} {created - (receiver.span_count - before_spans):>5}", flush=True)
    print("CPU is the whole process (start-up and the final flush included) over its wall time.")


if __name__ == "__main__":
    main()
