"""Load-mode benchmark (prints numbers; not a test).

Starts a local OTLP/gRPC receiver in this process, then in separate processes:
  1. ``main.py --orders N --speed 0`` for N in 1k, 10k, 100k: orders/s, spans/s,
     spans received vs created, peak RSS;
  2. the ceiling: the raw SDK creating the same number of equivalent spans (trees
     of 11 spans with similar attributes and explicit timestamps) through the same
     processor and exporter with no simulation around it; and the ratio;
  3. real time: ``--concurrency 16 --duration 10``: orders/s (ideal 16/0.25 s = 64).

Usage: python bench/load.py [--quick]   (--quick: 1k and 10k, real time 5 s)
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


def run_main(endpoint: str, *args: str) -> dict:
    result = subprocess.run([sys.executable, "main.py", "--json", "--endpoint", endpoint, *args],
                            cwd=ROOT, capture_output=True, text=True, check=True)
    return json.loads(result.stdout)


def ceiling(orders: int, endpoint: str) -> dict:
    """Child process: the raw SDK, same processor and exporter, no simulation."""
    from opentelemetry.sdk.resources import Resource
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.trace import SpanKind, set_span_in_context

    from simulate.tracing.pipeline import ExportPipeline
    from simulate.tracing.providers import Telemetry  # noqa: F401 (same imports as a real run)
    from simulate.tracing.settings import resolve

    settings = resolve(endpoint=endpoint, env={})
    from dataclasses import replace
    pipeline = ExportPipeline(replace(settings, retry_unavailable=True, timeout_ms=10_000),
                              backpressure=True)
    providers = [TracerProvider(resource=Resource.create({"service.name": f"svc-{i}"}),
                                shutdown_on_exit=False) for i in range(5)]
    for p in providers:
        for processor in pipeline.processors:
            p.add_span_processor(processor)
    tracers = [p.get_tracer("ceiling") for p in providers]
    attrs = {"http.request.method": "POST", "url.path": "/api/orders", "order.id": "order-1",
             "user.id": "user-42", "db.system.name": "sqlite", "payment.amount": 99.99}
    started = time.monotonic()
    t = time.time_ns()
    for _ in range(orders):
        root = tracers[0].start_span("POST /api/orders", kind=SpanKind.SERVER, attributes=attrs,
                                     start_time=t)
        ctx = set_span_in_context(root)
        for j in range(10):
            child = tracers[1 + j % 4].start_span(f"step-{j}", context=ctx, kind=SpanKind.INTERNAL,
                                                  attributes=attrs, start_time=t + j)
            child.end(end_time=t + j + 1000)
        root.end(end_time=t + 250_000_000)
        t += 1_000_000
    for processor in pipeline.processors:
        processor.shutdown()
    wall = time.monotonic() - started
    report = pipeline.report()
    return {"spans": report.ended, "exported": report.exported, "wall_s": wall,
            "spans_per_s": report.ended / wall}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--ceiling-child", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.ceiling_child:
        print(json.dumps(ceiling(int(args.ceiling_child[0]), args.ceiling_child[1])))
        return

    from simulate.receiver import OtlpReceiver
    sizes = [1_000, 10_000] if args.quick else [1_000, 10_000, 100_000]
    with OtlpReceiver(keep=False, workers=8) as receiver:
        print(f"{'orders':>8} {'orders/s':>9} {'spans/s':>9} {'created':>9} {'received':>9} "
              f"{'lost':>5} {'RSS MB':>7} {'ceiling spans/s':>16} {'ratio':>6}")
        for n in sizes:
            before = receiver.span_count
            data = run_main(receiver.endpoint, "--orders", str(n), "--speed", "0",
                            "--failure-rate", "inventory=0.05,payment=0.1", "--seed", "1")
            created = data["spans"]["created"]
            receiver.wait_for_spans(before + created, timeout_s=30)
            received = receiver.span_count - before
            ceiling_run = subprocess.run(
                [sys.executable, __file__, "--ceiling-child", str(created // 11), receiver.endpoint],
                capture_output=True, text=True, check=True)
            ceil = json.loads(ceiling_run.stdout)
            print(f"{n:>8,} {data['orders_per_s']:>9,.0f} {data['spans_per_s']:>9,.0f} "
                  f"{created:>9,} {received:>9,} {created - received:>5} {data['peak_rss_mb']:>7.0f} "
                  f"{ceil['spans_per_s']:>16,.0f} {data['spans_per_s'] / ceil['spans_per_s']:>6.0%}",
                  flush=True)
        seconds = 5 if args.quick else 10
        data = run_main(receiver.endpoint, "--concurrency", "16", "--duration", str(seconds),
                        "--speed", "1")
        ideal = 16 / 0.25
        steady = data["orders"]["total"] / seconds
        print(f"\nreal time, --concurrency 16 for {seconds} s: {data['orders']['total']} orders, "
              f"{steady:.1f} orders/s per simulated second (ideal {ideal:.0f}: "
              f"{steady / ideal:.0%}), root p50 {data['latency_ms']['POST /api/orders']['p50']:.1f} ms")
    print(f"(bench process peak RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB)")


if __name__ == "__main__":
    main()
