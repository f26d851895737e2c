"""Every fault of issue 10, run for real, with the numbers (prints a table; not a test).

Each case starts ``main.py`` as a subprocess against a local OTLP receiver that is
healthy, absent, silent, erroring, slow or restarted, or sends it a signal, and
prints: exit status, seconds from the signal (or from the start) to exit, spans
created / exported / unconfirmed / failed / not written, what the receiver got,
and for real-time load runs the p99 of POST /api/orders beside the no-fault p99.

Then issue 20's (bench/hostile.py): serve's email backlog after a sustained load and
after a stop, and a SIGKILLed --workers worker's accounting.

Usage: python bench/faults.py [--duration S] [--serve-seconds S]
       (load runs last S seconds, default 5; the serve load 30 s)
"""
from __future__ import annotations

import argparse
import json
import re
import signal
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import grpc

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

from hostile import dead_worker, serve_backlog  # noqa: E402

from conftest import Running, free_port  # noqa: E402
from simulate.receiver import OtlpReceiver  # noqa: E402

SECRET = "SECRET-7f3a"


@dataclass
class Row:
    case: str
    status: int
    seconds: float
    spans: dict = field(default_factory=dict)
    received: int = 0
    p99: float | None = None
    note: str = ""


def single_spans(run: Running) -> dict:
    """A single run prints its accounting in words; read them back."""
    text = run.text() + run.text("stderr")
    exported = re.search(r"Exported (\d+) spans to 127", text)
    missing = re.search(r"⚠ .*?(\d+) of (\d+) spans", text)
    written = re.search(r"(\d+) spans not written", text)
    return {"created": int(missing.group(2)) if missing else int(exported.group(1)) if exported else 0,
            "exported": int(exported.group(1)) if exported else 0,
            "not delivered": int(missing.group(1)) if missing else 0,
            "not written": int(written.group(1)) if written else 0}


def single(case: str, receiver: OtlpReceiver | None, *args: str, env: dict | None = None,
           signals: tuple[float, ...] = (), wait_for: str = "") -> Row:
    endpoint = receiver.endpoint if receiver else f"http://127.0.0.1:{free_port()}"
    started = time.monotonic()
    run = Running("--no-view", "--endpoint", endpoint, *args, env=env)
    if wait_for:
        run.wait_for(wait_for)
    for delay in signals:
        time.sleep(delay)
        started = time.monotonic()
        run.signal(signal.SIGINT)
    status = run.finish(120)
    seconds = time.monotonic() - started
    time.sleep(0.3)
    return Row(case, status, seconds, single_spans(run), receiver.span_count if receiver else 0,
               note=(run.text("stderr").strip().splitlines() or [""])[-1][:70])


def load(case: str, receiver: OtlpReceiver | None, duration: float, *extra: str,
         during=None, signal_at: float | None = None, port: int | None = None) -> Row:
    endpoint = receiver.endpoint if receiver else f"http://127.0.0.1:{port or free_port()}"
    started = time.monotonic()
    run = Running("--duration", str(duration), "--rate", "100", "--speed", "1", "--json",
                  "--endpoint", endpoint, *extra)
    note = during(run) if during else ""
    if signal_at is not None:
        time.sleep(signal_at)
        started = time.monotonic()
        run.signal(signal.SIGTERM)
    status = run.finish(180)
    seconds = time.monotonic() - started
    data = json.loads(run.text())
    time.sleep(0.3)
    spans = dict(data["spans"])
    if data.get("output"):
        spans["not written"] = data["output"]["not_written"]
    return Row(case, status, seconds, spans, receiver.span_count if receiver else 0,
               data["latency_ms"]["POST /api/orders"]["p99"], note or (data["export_error"] or ""))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=float, default=5.0)
    parser.add_argument("--rounds", type=int, default=3,
                        help="no-fault and fault load runs alternate this many times")
    parser.add_argument("--serve-seconds", type=float, default=30.0)
    parser.add_argument("--serve-clients", type=int, default=100)
    args = parser.parse_args()
    d = args.duration
    rows: list[Row] = []
    with OtlpReceiver(keep=False) as ok:
        rows.append(single("single: healthy collector", ok))
    rows.append(single("single: nothing listening", None))
    with OtlpReceiver(delay_s=30, keep=False) as silent:
        rows.append(single("single: silent collector (1 s timeout)", silent))
    with OtlpReceiver(fail_with=grpc.StatusCode.UNAVAILABLE, keep=False) as failing:
        rows.append(single("single: collector answers UNAVAILABLE", failing))
    with OtlpReceiver(fail_with=grpc.StatusCode.PERMISSION_DENIED, keep=False) as denied:
        rows.append(single("single: collector answers PERMISSION_DENIED", denied))
    with OtlpReceiver(keep=False) as ok:
        rows.append(single("single: --output /dev/full", ok, "--output", "/dev/full"))
    with OtlpReceiver(keep=False) as ok:
        rows.append(single("single: Ctrl-C mid-order (speed 0.05)", ok, "--speed", "0.05",
                           signals=(1.0,), wait_for="Received order request"))
    with OtlpReceiver(delay_s=30, keep=False) as silent:
        rows.append(single("single: Ctrl-C twice in a 20 s flush", silent, "--speed", "0",
                           env={"OTEL_EXPORTER_OTLP_TIMEOUT": "20"}, signals=(0.3, 0.3),
                           wait_for="Trace ID"))
    with OtlpReceiver(keep=False) as ok:
        rows.append(single("single: secrets in URL and headers", ok, "--speed", "0",
                           "--endpoint", ok.endpoint.replace("//", f"//u:{SECRET}@"),
                           env={"OTEL_EXPORTER_OTLP_HEADERS": f"x-key={SECRET}"}))
    rows += load_rounds(d, args.rounds)
    rows.append(restart(max(d, 10)))
    with OtlpReceiver(keep=False) as ok:
        rows.append(load("load: SIGTERM at 2 s, healthy", ok, 300, signal_at=2.0))
    rows.append(load("load: SIGTERM at 2 s, nothing listening", None, 300, signal_at=2.0))
    report(rows)
    print()
    serve_backlog(args.serve_seconds, args.serve_clients)
    dead_worker()


def load_rounds(d: float, rounds: int) -> list[Row]:
    """No fault and each fault alternately, ``rounds`` times: each fault's p99 is compared
    with the no-fault p99 of its own round (the machine is shared: it drifts)."""
    faults = {"nothing listening": lambda: None,
              "collector answers after 1 s": lambda: OtlpReceiver(delay_s=1.0, keep=False),
              "collector answers UNAVAILABLE": lambda: OtlpReceiver(
                  fail_with=grpc.StatusCode.UNAVAILABLE, keep=False)}
    results: dict[str, list[Row]] = {"healthy (the no-fault p99)": []}
    for _ in range(rounds):
        with OtlpReceiver(keep=False) as ok:
            results["healthy (the no-fault p99)"].append(load("", ok, d))
        for name, make in faults.items():
            receiver = make()
            if receiver:
                receiver.start()
            try:
                results.setdefault(name, []).append(load("", receiver, d))
            finally:
                if receiver:
                    receiver.stop()
    baseline = results["healthy (the no-fault p99)"]
    rows = []
    for name, runs in results.items():
        row = runs[len(runs) // 2]
        row.case = f"load {d:g} s @100/s: {name}"
        ratios = sorted(r.p99 / b.p99 for r, b in zip(runs, baseline) if r.p99 and b.p99)
        row.note = (f"p99 / no-fault p99 of the same round: {', '.join(f'{x:.3f}' for x in ratios)}"
                    f" (median {ratios[len(ratios) // 2]:.3f})" + (f"; {row.note}" if row.note else ""))
        rows.append(row)
    return rows


def restart(duration: float) -> Row:
    port = free_port()
    first = OtlpReceiver(port=port, keep=False).start()
    second = OtlpReceiver(port=port, keep=False)
    arrivals: list[float] = []
    second.on_request = lambda request: arrivals.append(time.monotonic())

    def outage(run: Running) -> str:
        first.wait_for_spans(1, 30)
        time.sleep(1.5)
        first.stop()
        time.sleep(4.0)
        back = time.monotonic()
        second.start()
        time.sleep(3.5)
        return f"export resumed {arrivals[0] - back:.2f} s after the restart" if arrivals else \
            "export did NOT resume within 3.5 s"

    row = load(f"load {duration:g} s @100/s: collector down 4 s, restarted", None, duration,
               during=outage, port=port)
    second.stop()
    row.received = first.span_count + second.span_count
    return row


def report(rows: list[Row]) -> None:
    baseline = next((r.p99 for r in rows if "healthy (the no-fault" in r.case), None)
    print(f"{'case':<50} {'exit':>4} {'s':>6} {'created':>8} {'exported':>8} {'unconf':>6} "
          f"{'failed':>6} {'n.wrt':>6} {'recv':>6} {'p99':>7} {'vs ok':>6}")
    for r in rows:
        s = r.spans
        unaccounted = ""
        if "unconfirmed" in s:
            total = s["exported"] + s["unconfirmed"] + s["failed"] + s["abandoned"]
            unaccounted = "" if total == s["created"] else f"  UNACCOUNTED {s['created'] - total}"
        failed = s.get("failed", s.get("not delivered", 0))
        ratio = f"{r.p99 / baseline:.2f}x" if r.p99 and baseline else ""
        print(f"{r.case:<50} {r.status:>4} {r.seconds:>6.2f} {s.get('created', 0):>8,} "
              f"{s.get('exported', 0):>8,} {s.get('unconfirmed', 0):>6,} {failed:>6,} "
              f"{s.get('not written', 0):>6,} {r.received:>6,} {r.p99 or 0:>7.1f} {ratio:>6}"
              f"{unaccounted}")
        if r.note:
            print(f"{'':<4}{r.note}")


if __name__ == "__main__":
    main()
