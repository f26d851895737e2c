"""The command line: flags -> a RunConfig -> a single run or a load run -> exit status.

argparse lives here and nowhere else.  Bad input: one argparse-style line, exit 2.
"""
from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from typing import NoReturn

from . import __version__
from .config import (
    DEFAULT_JAEGER_URL,
    ConfigError,
    LoadPlan,
    RunConfig,
    ServeConfig,
    check_range,
    parse_failure_rates,
    parse_optimizations,
)
from .runs.signals import exit_status
from .tracing.sampling import resolve_sampler
from .tracing.settings import DEFAULT_ENDPOINT, EXPORTERS, PROTOCOLS, resolve
from .world.clock import StopFlag
from .world.scenarios import FAILURES

EPILOG = """\
environment (flags win over these; TRACES_ variants win over the generic ones):
  OTEL_TRACES_EXPORTER                    otlp (default), console or none
  OTEL_EXPORTER_OTLP[_TRACES]_PROTOCOL    grpc (default) or http/protobuf
  OTEL_EXPORTER_OTLP[_TRACES]_ENDPOINT    default http://localhost:4317 (grpc) or :4318 (http);
                                          the generic one gets /v1/traces appended for http
  OTEL_EXPORTER_OTLP[_TRACES]_HEADERS     key=value,... sent with every export (never printed)
  OTEL_EXPORTER_OTLP[_TRACES]_TIMEOUT     export timeout in MILLISECONDS, as the spec says
                                          (the Python SDK alone reads seconds); default 1000
  OTEL_EXPORTER_OTLP[_TRACES]_INSECURE    true: plaintext gRPC even without http://
  OTEL_EXPORTER_OTLP[_TRACES]_COMPRESSION gzip or none
  OTEL_EXPORTER_OTLP[_TRACES]_CERTIFICATE CA certificate (PEM) for an https endpoint
  OTEL_RESOURCE_ATTRIBUTES                extra resource attributes on all five services
  OTEL_TRACES_SAMPLER[_ARG]               e.g. traceidratio 0.25; always made parent-based so
                                          whole traces are kept or dropped
  OTEL_SDK_DISABLED=true                  no spans at all; the log still runs
  ORDERTRACE_JAEGER_URL                   Jaeger UI base for the trace link (--jaeger-url)

examples:
  python main.py                          one successful order
  python main.py --fail inventory         out of stock: check-inventory fails
  python main.py --fail payment           payment declined: process-payment fails
  python main.py --no-export              no collector needed, nothing sent
  python main.py --optimize all --compare the seed's three optimisations, measured
  python main.py --orders 10000 --concurrency 32 --failure-rate inventory=0.05,payment=0.1
  python main.py --duration 60 --rate 200
  python main.py --orders 100000 --speed 0     as fast as the machine can, realistic timestamps
  python main.py --fail payment --html trace.html   the trace page: click a span for its details
  python main.py show spans.jsonl         the trace page of any OTLP/JSON lines file (show --help)
  python main.py serve                    an HTTP server on 127.0.0.1:8080 with a page (serve --help)
"""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        """Bad input: one line and a pointer to --help (not argparse's usage block), exit 2."""
        self.exit(2, f"{self.prog}: error: {message} (see --help)\n")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="main.py", description=(
        "Simulate an order through API Gateway -> Order Service -> Inventory, Payment and "
        "Notification services, print its emoji log, trace view and analysis, and export the "
        "trace over OTLP."), epilog=EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--fail", choices=FAILURES,
                        help="run a failure scenario: 'inventory' (the item's stock is 0) or "
                             "'payment' (the payment gateway declines the card)")
    parser.add_argument("--speed", type=float, default=1.0, metavar="F",
                        help="time scale: 1 = real time (default), 10 = ten times faster, 0 = no "
                             "sleeping at all; span timestamps always show the profile's durations")
    parser.add_argument("--version", action="version", version=f"ordertrace {__version__}")

    view = parser.add_argument_group("trace view and analysis")
    view.add_argument("--no-view", action="store_true",
                      help="do not draw the trace tree, waterfall and performance analysis")
    view.add_argument("--json", action="store_true",
                      help="print the analysis as JSON instead of the log and the view")
    view.add_argument("--optimize", metavar="LIST",
                      help="switch on the seed's optimisations: any of parallel (Inventory and "
                           "Payment together), cache (stock from memory, no db.query), async "
                           "(notification not awaited), comma-separated, or all")
    view.add_argument("--compare", action="store_true",
                      help="run the baseline and the --optimize system back to back and print "
                           "a side-by-side table, measured against predicted savings")

    export = parser.add_argument_group("export and output")
    export.add_argument("--exporter", choices=EXPORTERS,
                        help="where spans go: otlp (default), console (print span JSON) or none")
    export.add_argument("--no-export", action="store_true",
                        help="do not export spans (same as --exporter none)")
    export.add_argument("--endpoint", metavar="URL",
                        help=f"OTLP endpoint, http(s)://host:port (default {DEFAULT_ENDPOINT})")
    export.add_argument("--protocol", choices=PROTOCOLS,
                        help="OTLP transport: grpc (default, port 4317) or http/protobuf (4318)")
    export.add_argument("--jaeger-url", metavar="URL",
                        help="Jaeger UI base for the printed trace link "
                             "(default $ORDERTRACE_JAEGER_URL or http://localhost:16686)")
    export.add_argument("--output", metavar="FILE",
                        help="also write the spans to FILE as OTLP/JSON lines (the collector's "
                             "file-exporter format; replayable with its otlpjsonfile receiver)")
    export.add_argument("--html", metavar="FILE",
                        help="write the trace page to FILE: one self-contained HTML file (no network), "
                             "every span's attributes, events, links and resource, the log and the "
                             "analysis; with load mode, the summary, histograms and sample traces")
    export.add_argument("--open", action="store_true",
                        help="open the trace page in the browser (without --html: a temporary file)")
    export.add_argument("--log-format", choices=("emoji", "json"), default="emoji",
                        help="emoji: the seed's log (default); json: one JSON object per line "
                             "with timestamp, severity, service, body, trace_id and span_id")
    load = parser.add_argument_group(
        "load mode (any of --orders/--duration switches it on: a progress bar and a summary "
        "replace the per-order log)")
    load.add_argument("--orders", type=int, metavar="N", help="place N orders")
    load.add_argument("--duration", type=float, metavar="S",
                      help="place orders for S simulated seconds (with --orders: whichever ends first)")
    load.add_argument("--rate", type=float, metavar="R",
                      help="open loop: start R orders per simulated second, evenly spaced")
    load.add_argument("--concurrency", type=int, metavar="C",
                      help="closed loop: C clients, each placing its next order when the last ends "
                           "(default 1; not with --rate)")
    load.add_argument("--failure-rate", metavar="SPEC",
                      help="mix in the failure scenarios, e.g. inventory=0.05,payment=0.1 (the "
                           "order picks the sold-out item or the card with no limit)")
    load.add_argument("--jitter", type=float, nargs="?", const=0.3, metavar="SIGMA",
                      help="log-normal latencies around the profile (long tail); SIGMA default 0.3")
    load.add_argument("--seed", type=int, metavar="N",
                      help="seed the scenario mix and the jitter: the same run again")
    return parser


def _load_plan(parser: argparse.ArgumentParser, args: argparse.Namespace) -> LoadPlan | None:
    """The LoadPlan for load-mode flags, or None for a single run (errors exit 2)."""
    load_only = {"--rate": args.rate, "--concurrency": args.concurrency,
                 "--failure-rate": args.failure_rate, "--jitter": args.jitter, "--seed": args.seed}
    if args.orders is None and args.duration is None:
        used = [flag for flag, value in load_only.items() if value is not None]
        if used:
            parser.error(f"argument {used[0]}: only in load mode (add --orders N or --duration S)")
        return None
    for flag, value in (("--orders", args.orders), ("--duration", args.duration),
                        ("--rate", args.rate), ("--concurrency", args.concurrency),
                        ("--jitter", args.jitter)):
        if value is not None:
            check_range(flag, value)
    if args.rate is not None and args.concurrency is not None:
        parser.error("argument --rate: not allowed with --concurrency (open loop or closed loop)")
    single_only = (("--fail", args.fail, " (use --failure-rate)"), ("--compare", args.compare, ""),
                   ("--log-format", args.log_format != "emoji", " (a load run prints no log)"),
                   ("--no-view", args.no_view, " (a load run draws no trace view)"))
    for flag, used, why in single_only:
        if used:
            parser.error(f"argument {flag}: not in load mode{why}")
    return LoadPlan(orders=args.orders, duration_s=args.duration, rate=args.rate,
                    concurrency=args.concurrency or 1,
                    failure_rates=parse_failure_rates(args.failure_rate),
                    jitter=args.jitter or 0.0, seed=args.seed, speed=args.speed)


def config_from_args(parser: argparse.ArgumentParser, args: argparse.Namespace) -> RunConfig:
    """Every flag checked and turned into a RunConfig; the first bad one exits 2."""
    try:
        check_range("--speed", args.speed)
        if args.output is not None and not args.output.strip():
            raise ConfigError("argument --output: an empty file name")
        optimizations = parse_optimizations(args.optimize)
        settings = resolve("none" if args.no_export else args.exporter, args.endpoint,
                           protocol=args.protocol)
        sampler = resolve_sampler()
        if args.compare and not optimizations:
            raise ConfigError("--compare needs --optimize (what to compare the baseline with)")
        plan = _load_plan(parser, args)
    except ValueError as exc:  # ConfigError and SettingsError
        parser.error(str(exc))
    jaeger_url = args.jaeger_url or os.environ.get("ORDERTRACE_JAEGER_URL") or DEFAULT_JAEGER_URL
    return RunConfig(export=settings, sampler=sampler, scenario=args.fail or "none",
                     speed=args.speed, view=not args.no_view, json=args.json,
                     optimizations=optimizations, compare=args.compare, output=args.output,
                     log_format=args.log_format, jaeger_url=jaeger_url.rstrip("/"), load=plan,
                     html=args.html, open_page=args.open)


def build_show_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="main.py show", description=(
        "Draw the traces of an OTLP/JSON file as one self-contained HTML page: what --output "
        "writes, or the OpenTelemetry Collector's file exporter (one export request per line, "
        "or one pretty-printed document; hex or base64 ids)."))
    parser.add_argument("file", metavar="FILE", help="the OTLP/JSON trace file")
    parser.add_argument("--html", metavar="OUT",
                        help="write the page to OUT (default: a temporary file, opened)")
    parser.add_argument("--open", action=argparse.BooleanOptionalAction, default=None,
                        help="open the page in the browser (default: only without --html)")
    return parser


def build_serve_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="main.py serve", description=(
        "Run the API Gateway as a real HTTP server: POST /api/orders places an order (a trace "
        "through the five services, continuing an incoming traceparent), GET / is a page to "
        "place orders and watch their traces."), epilog=(
        "examples:\n  python main.py serve\n  python main.py serve --port 9000 --no-export "
        "--html-dir traces/\n  curl -s -X POST 127.0.0.1:8080/api/orders -d '{\"item_id\": "
        "\"sku-0000\"}'"), formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--host", default="127.0.0.1",
                        help="address to listen on (default 127.0.0.1: this machine only)")
    parser.add_argument("--port", type=int, default=8080, help="port to listen on (default 8080)")
    parser.add_argument("--html-dir", metavar="DIR",
                        help="also write each order's trace page to DIR/<trace id>.html")
    parser.add_argument("--exporter", choices=EXPORTERS, help="otlp (default), console or none")
    parser.add_argument("--no-export", action="store_true", help="do not export spans")
    parser.add_argument("--endpoint", metavar="URL", help=f"OTLP endpoint (default {DEFAULT_ENDPOINT})")
    parser.add_argument("--protocol", choices=PROTOCOLS, help="OTLP transport (default grpc)")
    parser.add_argument("--jaeger-url", metavar="URL", help="Jaeger UI base for the page's trace link")
    return parser


def serve_config(parser: argparse.ArgumentParser, args: argparse.Namespace) -> ServeConfig:
    """The serve flags checked (export settings and sampler as for a run); bad ones exit 2."""
    if not 0 <= args.port <= 65535:
        parser.error(f"argument --port: expected 0 to 65535, got {args.port}")
    if not args.host.strip():
        parser.error("argument --host: an empty address")
    try:
        settings = resolve("none" if args.no_export else args.exporter, args.endpoint,
                           protocol=args.protocol)
        sampler = resolve_sampler()
    except ValueError as exc:
        parser.error(str(exc))
    jaeger_url = args.jaeger_url or os.environ.get("ORDERTRACE_JAEGER_URL") or DEFAULT_JAEGER_URL
    return ServeConfig(export=settings, sampler=sampler, host=args.host.strip(), port=args.port,
                       html_dir=args.html_dir, jaeger_url=jaeger_url.rstrip("/"))


def main(argv: Sequence[str] | None = None, stop: StopFlag | None = None) -> int:
    """``stop``: the flag the entry point's signal handlers set since start-up."""
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] == ["show"]:
        show = build_show_parser().parse_args(argv[1:])
        from .runs.show import run_show
        return run_show(show.file, show.html, show.html is None if show.open is None else show.open)
    if argv[:1] == ["serve"]:
        serve_parser = build_serve_parser()
        serve = serve_config(serve_parser, serve_parser.parse_args(argv[1:]))
        if stop is not None and stop.requested:
            return exit_status(stop) or 130
        os.environ.setdefault("GRPC_VERBOSITY", "NONE")
        from .runs.serve import run_serve
        return run_serve(serve, stop)
    parser = build_parser()
    config = config_from_args(parser, parser.parse_args(argv))
    if stop is not None and stop.requested:
        return exit_status(stop) or 130  # Ctrl-C while starting up: nothing ran yet
    # Before gRPC is imported: its C core would print its own errors, which the run
    # summarises once, at the end.  This process is the program: nothing to restore.
    os.environ.setdefault("GRPC_VERBOSITY", "NONE")
    # Imported late: --help and bad flags stay fast.
    if config.load is not None:
        from .runs.load import run_load
        return run_load(config, stop)
    from .runs.single import run_single
    return run_single(config, stop)
