"""How faithful and how quick is a single run? (A benchmark, not a test: it prints numbers.)

1. Runs the order flow N times in real time (spans captured in memory) and prints,
   per span, the p50/p95/max error of its duration against the latency profile.
2. Times ``python main.py`` end to end: with a local OTLP receiver, with nothing
   listening on the endpoint, and with --no-export, beside the time it takes
   just to import the same modules.

Usage: python bench/fidelity.py [--runs 50] [--cli-runs 3]
"""
from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from opentelemetry.sdk.trace.export import SimpleSpanProcessor  # noqa: E402
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter  # noqa: E402

from simulate.receiver import OtlpReceiver  # noqa: E402
from simulate.tracing.providers import Telemetry  # noqa: E402
from simulate.world.clock import RealClock  # noqa: E402
from simulate.world.profile import SEED_PROFILE  # noqa: E402
from simulate.world.services.base import Runtime  # noqa: E402
from simulate.world.system import build_system, place_order  # noqa: E402


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def duration_errors(runs: int) -> dict[str, list[float]]:
    nominal = {(s.span_name, s.service): s.duration_ms for s in SEED_PROFILE.steps.values()}
    errors: dict[str, list[float]] = {}
    for _ in range(runs):
        exporter = InMemorySpanExporter()
        telemetry = Telemetry([SimpleSpanProcessor(exporter)])
        runtime = Runtime(telemetry=telemetry, clock=RealClock(), log=None, profile=SEED_PROFILE)
        place_order(build_system(runtime))
        telemetry.shutdown()
        for span in exporter.get_finished_spans():
            service = span.resource.attributes["service.name"]
            label = f"{span.name} ({service})" if span.name == "db.query" else span.name
            got = (span.end_time - span.start_time) / 1e6
            errors.setdefault(label, []).append(got - nominal[(span.name, service)])
    return errors


def time_command(args: list[str], runs: int) -> float:
    best = []
    for _ in range(runs):
        started = time.monotonic()
        subprocess.run([sys.executable, *args], cwd=ROOT, capture_output=True, check=False)
        best.append(time.monotonic() - started)
    return statistics.median(best)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=50)
    parser.add_argument("--cli-runs", type=int, default=3)
    args = parser.parse_args()

    print(f"Span duration error vs profile, {args.runs} real-time runs (ms; + means longer)")
    print(f"{'span':<32}{'p50':>8}{'p95':>8}{'max':>8}")
    worst = 0.0
    for label, errs in duration_errors(args.runs).items():
        absolute = [abs(e) for e in errs]
        worst = max(worst, max(absolute))
        print(f"{label:<32}{statistics.median(errs):>8.3f}{percentile(absolute, .95):>8.3f}"
              f"{max(absolute):>8.3f}")
    print(f"worst absolute error: {worst:.3f} ms (aim: 1 ms)\n")

    # What a single run with OTLP/gRPC export imports, and nothing else.
    imports = ["-c", "import simulate.runs.signals, simulate.cli, simulate.runs.single, grpc"]
    with OtlpReceiver() as receiver:
        variants = {
            "import the modules only": imports,
            "main.py --no-export": ["main.py", "--no-export"],
            "main.py, collector listening": ["main.py", "--endpoint", receiver.endpoint],
            "main.py, nothing on the port": ["main.py", "--endpoint", "http://127.0.0.1:9"],
        }
        # Interleaved, so a busy moment on this shared machine hits every variant alike.
        samples: dict[str, list[float]] = {name: [] for name in variants}
        for _ in range(args.cli_runs):
            for name, command in variants.items():
                samples[name].append(time_command(command, 1))
    medians = {name: statistics.median(values) for name, values in samples.items()}
    base = medians["import the modules only"]
    print(f"Wall time of a single run (median of {args.cli_runs}, interleaved; the simulated order "
          f"is 250 ms; aim: imports + 300 ms or less)")
    for name, seconds in medians.items():
        extra = "" if seconds == base else f"   imports + {(seconds - base) * 1000:.0f} ms"
        print(f"{name:<34}{seconds * 1000:>8.0f} ms{extra}")


def _has_flag(flag: str) -> bool:
    help_text = subprocess.run([sys.executable, "main.py", "--help"], cwd=ROOT, capture_output=True,
                               text=True).stdout
    return flag in help_text


if __name__ == "__main__":
    main()
