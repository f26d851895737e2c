"""Command line: flags -> build the system -> place the order -> report -> exit code."""
from __future__ import annotations

import argparse
import os
import re
import sys
import time
from typing import Sequence

from rich.console import Console

from . import __version__
from .clock import Clock, RealClock, VirtualClock
from .console import ConsoleLog
from .export import DEFAULT_ENDPOINT, EXPORTERS, ExportPipeline, SettingsError, resolve
from .profile import SCENARIOS, SEED_PROFILE
from .services.base import Runtime
from .system import build_system, place_order
from .telemetry import ExportReport, Telemetry

EPILOG = """\
environment (flags win over these):
  OTEL_TRACES_EXPORTER                 otlp (default), console or none
  OTEL_EXPORTER_OTLP[_TRACES]_ENDPOINT OTLP gRPC endpoint (default http://localhost:4317)
  OTEL_EXPORTER_OTLP[_TRACES]_TIMEOUT  export timeout in milliseconds, as the spec says (default 1000)
  OTEL_EXPORTER_OTLP[_TRACES]_INSECURE true: plaintext even for a non-http scheme
  OTEL_RESOURCE_ATTRIBUTES             extra resource attributes on all five services
  OTEL_TRACES_SAMPLER[_ARG]            sampler (parent-based, so whole traces are kept or dropped)
  OTEL_SDK_DISABLED=true               no spans at all; the log still runs

examples:
  python main.py                       one successful order
  python main.py --fail inventory      out of stock: check-inventory fails
  python main.py --fail payment        payment declined: process-payment fails
  python main.py --no-export           no collector needed, nothing sent
"""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # argparse style: usage line + one error line, exit 2
        self.print_usage(sys.stderr)
        self.exit(2, f"{self.prog}: error: {message}\n")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="main.py", description=(
        "Simulate one order through API Gateway -> Order Service -> Inventory, Payment and "
        "Notification services, print its emoji log and trace id, and export the trace over OTLP."),
        epilog=EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--fail", choices=[s for s in SCENARIOS if s != "none"],
                        help="run a failure scenario: 'inventory' (the item's stock is 0) or "
                             "'payment' (the payment gateway declines the card)")
    parser.add_argument("--exporter", choices=EXPORTERS,
                        help="where spans go: otlp (default, gRPC), console (print span JSON) or none")
    parser.add_argument("--no-export", action="store_true",
                        help="do not export spans (same as --exporter none)")
    parser.add_argument("--endpoint", metavar="URL",
                        help=f"OTLP gRPC endpoint, http(s)://host:port (default {DEFAULT_ENDPOINT})")
    parser.add_argument("--speed", type=float, default=1.0, metavar="F",
                        help="time scale: 1 = real time (default), 10 = ten times faster, 0 = no "
                             "sleeping at all; span timestamps always show the profile's durations")
    parser.add_argument("--version", action="version", version=f"ordertrace {__version__}")
    return parser


def make_clock(speed: float) -> Clock:
    return VirtualClock() if speed == 0 else RealClock(speed=speed)


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.speed < 0:
        parser.error(f"argument --speed: must be >= 0, got {args.speed:g}")
    try:
        settings = resolve("none" if args.no_export else args.exporter, args.endpoint)
    except SettingsError as exc:
        parser.error(str(exc))
    os.environ.setdefault("GRPC_VERBOSITY", "NONE")  # failures are summarised once, below

    out = Console(highlight=False)
    err = Console(stderr=True, highlight=False)
    pipeline = ExportPipeline(settings)
    telemetry = Telemetry(pipeline.processors)
    runtime = Runtime(telemetry=telemetry, clock=make_clock(args.speed), log=ConsoleLog(out),
                      profile=SEED_PROFILE)
    system = build_system(runtime, SCENARIOS[args.fail or "none"])
    code = 0
    try:
        outcome = place_order(system)
        runtime.clock.drain()
    except KeyboardInterrupt:
        err.print("interrupted: flushing the spans recorded so far", style="yellow")
        code = 130
    else:
        if outcome.trace_id:
            out.print(f"🔎 Trace ID: {outcome.trace_id}", style="bold")
        else:
            out.print("🔎 No trace recorded (OTEL_SDK_DISABLED=true or not sampled)", style="bold")
    started = time.monotonic()
    telemetry.shutdown(timeout_millis=pipeline.shutdown_budget_ms())
    _report(pipeline.report(), out, err, time.monotonic() - started)
    return code


def _report(report: ExportReport | None, out: Console, err: Console, took_s: float) -> None:
    if report is None or (report.ended == 0 and report.ok):
        return
    if report.ok:
        out.print(f"📤 Exported {report.exported} spans to {report.destination}", style="dim")
        return
    undelivered = report.failed + report.dropped
    reason = _short_reason(report.error)
    err.print(f"⚠ Could not export {undelivered} of {report.ended} spans to {report.destination}"
              f"{': ' + reason if reason else ''}. Is a collector listening there? Start one (README: "
              f"'See the trace in Jaeger'), point --endpoint at yours, or use --no-export.",
              style="yellow", soft_wrap=True)


def _short_reason(error: str | None) -> str:
    if not error:
        return ""
    match = re.search(r"error code: (?:StatusCode\.)?([A-Z_]+)", error)
    return match.group(1) if match else error.splitlines()[0][:120]
