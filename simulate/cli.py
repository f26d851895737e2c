"""The command line: flags -> a RunConfig -> a single run or a load run -> exit status.

argparse lives here and nowhere else.  Bad input: one argparse-style line, exit 2.
"""
from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from dataclasses import replace
from typing import NoReturn

from . import __version__, i18n
from .config import (
    DEFAULT_JAEGER_URL,
    ConfigError,
    LoadPlan,
    RunConfig,
    check_range,
    parse_failure_rates,
    parse_optimizations,
    parse_workers,
)
from .i18n import _
from .runs.signals import exit_status
from .tracing.sampling import resolve_sampler
from .tracing.settings import DEFAULT_ENDPOINT, EXPORTERS, PROTOCOLS, resolve
from .world.clock import StopFlag
from .world.scenarios import FAILURES

EPILOG = """\
environment (flags win over these; TRACES_ variants win over the generic ones):
  OTEL_TRACES_EXPORTER        otlp (default), console or none, or a list
  OTEL_EXPORTER_OTLP[_TRACES]_PROTOCOL
                              grpc (default) or http/protobuf
  OTEL_EXPORTER_OTLP[_TRACES]_ENDPOINT
                              default http://localhost:4317 (grpc) or :4318
                              (http); for http the generic one gets /v1/traces
  OTEL_EXPORTER_OTLP[_TRACES]_HEADERS
                              key=value,... sent with each export, never shown
  OTEL_EXPORTER_OTLP[_TRACES]_TIMEOUT
                              export timeout in MILLISECONDS (as the spec says):
                              default 1000 for one order, 10000 in load mode
  OTEL_EXPORTER_OTLP[_TRACES]_INSECURE
                              true: plaintext gRPC even without http://
  OTEL_EXPORTER_OTLP[_TRACES]_COMPRESSION
                              gzip or none
  OTEL_EXPORTER_OTLP[_TRACES]_CERTIFICATE
                              CA certificate (PEM) for an https endpoint
  OTEL_RESOURCE_ATTRIBUTES    extra resource attributes on all five services
  OTEL_TRACES_SAMPLER[_ARG]   e.g. traceidratio 0.25; always parent-based, so
                              whole traces are kept or dropped
  OTEL_SDK_DISABLED=true      no spans at all; the log still runs
  ORDERTRACE_JAEGER_URL       Jaeger UI base for the trace link (--jaeger-url)
  LC_ALL, LC_MESSAGES, LANG   zh_CN.UTF-8: messages in Chinese (as --lang zh)

exit status: 0 done; 2 bad input; 3 done, but not every span reached the
collector or the --output file; 130/143 stopped by Ctrl-C/SIGTERM

examples:
  python main.py                      one successful order
  python main.py --fail inventory     out of stock: check-inventory fails
  python main.py --fail payment       payment declined: process-payment fails
  python main.py --no-export          no collector needed, nothing sent
  python main.py --lang zh            the same, around the log in Chinese
  python main.py --optimize all --compare
                                      the seed's three optimisations, measured
  python main.py --fail payment --html trace.html
                                      the trace page: click a span for details
  python main.py show spans.jsonl     the page of any OTLP/JSON file (show -h)
  python main.py --duration 60 --rate 200
                                      load: 200 orders/s for a minute
  python main.py --orders 100000 --speed 0 --workers auto
                                      as fast as every core can, real timestamps
"""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        """Bad input: one line and a pointer to --help (not argparse's usage block), exit 2."""
        self.exit(2, _("{prog}: error: {message} (see --help)").format(prog=self.prog,
                                                                      message=message) + "\n")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="main.py", description=(
        "Simulate an order through API Gateway -> Order Service -> Inventory, Payment\n"
        "and Notification services, print its emoji log, trace view and analysis, and\n"
        "export the trace over OTLP."), epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--fail", choices=FAILURES,
                        help="run a failure scenario: 'inventory' (the item's stock is 0) or "
                             "'payment' (the payment gateway declines the card)")
    parser.add_argument("--speed", type=float, default=1.0, metavar="F",
                        help="time scale: 1 = real time (default), 10 = ten times faster, 0 = no "
                             "sleeping at all; span timestamps always show the profile's durations")
    parser.add_argument("--version", action="version", version=f"ordertrace {__version__}")
    parser.add_argument("--lang", metavar="LANG",
                        help="zh: everything around the seed's emoji log in Chinese; default from "
                             "LC_ALL/LC_MESSAGES/LANG, else English")

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
        "load mode", "any of --orders/--duration switches it on: a progress bar and a summary\n"
                     "replace the per-order log")
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
    load.add_argument("--workers", metavar="N",
                      help="N processes, each a whole simulation with its own exporter (default 1; "
                           "auto = the cores this process may use); --rate and --concurrency are "
                           "totals, split between them")
    load.add_argument("--id-offset", type=int, metavar="K",
                      help="this machine's index when several run at once, so order ids stay "
                           "disjoint (default $JOB_COMPLETION_INDEX, else 0)")
    load.add_argument("--seed", type=int, metavar="N",
                      help="seed the scenario mix and the jitter: the same run again")
    return parser


def _load_plan(parser: argparse.ArgumentParser, args: argparse.Namespace) -> LoadPlan | None:
    """The LoadPlan for load-mode flags, or None for a single run (errors exit 2)."""
    load_only = {"--rate": args.rate, "--concurrency": args.concurrency,
                 "--failure-rate": args.failure_rate, "--jitter": args.jitter, "--seed": args.seed,
                 "--workers": args.workers, "--id-offset": args.id_offset}
    if args.orders is None and args.duration is None:
        used = [flag for flag, value in load_only.items() if value is not None]
        if used:
            parser.error(_("argument {flag}: only in load mode (add --orders N or --duration "
                           "S)").format(flag=used[0]))
        return None
    for flag, value in (("--orders", args.orders), ("--duration", args.duration),
                        ("--rate", args.rate), ("--concurrency", args.concurrency),
                        ("--jitter", args.jitter)):
        if value is not None:
            check_range(flag, value)
    if args.rate is not None and args.concurrency is not None:
        parser.error(_("argument --rate: not allowed with --concurrency (open loop or closed loop)"))
    single_only = (("--fail", args.fail, _("argument --fail: not in load mode (use --failure-rate)")),
                   ("--compare", args.compare, _("argument --compare: not in load mode")),
                   ("--log-format", args.log_format != "emoji",
                    _("argument --log-format: not in load mode (a load run prints no log)")),
                   ("--no-view", args.no_view,
                    _("argument --no-view: not in load mode (a load run draws no trace view)")))
    for _flag, used, message in single_only:
        if used:
            parser.error(message)
    workers = parse_workers(args.workers)
    if args.concurrency is not None and args.concurrency < workers:
        parser.error(_("argument --concurrency: {clients} clients cannot be split between {workers} "
                       "workers").format(clients=args.concurrency, workers=workers))
    if args.orders is not None and args.orders < workers:
        parser.error(_("argument --orders: {orders} orders cannot be split between {workers} "
                       "workers").format(orders=args.orders, workers=workers))
    id_offset = args.id_offset
    if id_offset is None:
        index = os.environ.get("JOB_COMPLETION_INDEX", "").strip()  # a Kubernetes indexed Job
        if index and not index.isdigit():
            parser.error(_("JOB_COMPLETION_INDEX={value}: expected a number").format(value=repr(index)))
        id_offset = int(index) if index else 0
    check_range("--id-offset", id_offset)
    return LoadPlan(orders=args.orders, duration_s=args.duration, rate=args.rate,
                    concurrency=args.concurrency or workers,
                    failure_rates=parse_failure_rates(args.failure_rate),
                    jitter=args.jitter or 0.0, seed=args.seed, speed=args.speed, workers=workers,
                    id_offset=id_offset)


def config_from_args(parser: argparse.ArgumentParser, args: argparse.Namespace) -> RunConfig:
    """Every flag checked and turned into a RunConfig; the first bad one exits 2."""
    try:
        check_range("--speed", args.speed)
        if args.output is not None and not args.output.strip():
            raise ConfigError(_("argument --output: an empty file name"))
        optimizations = parse_optimizations(args.optimize)
        settings = resolve("none" if args.no_export else args.exporter, args.endpoint,
                           protocol=args.protocol)
        sampler = resolve_sampler()
        if args.compare and not optimizations:
            raise ConfigError(_("--compare needs --optimize (what to compare the baseline with)"))
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
        "Draw the traces of an OTLP/JSON file as one self-contained HTML page: what "
        "--output writes, or the OpenTelemetry Collector's file exporter (one export "
        "request per line, or one pretty-printed document; hex or base64 ids)."))
    parser.add_argument("file", metavar="FILE", help="the OTLP/JSON trace file")
    parser.add_argument("--html", metavar="OUT",
                        help="write the page to OUT (default: a temporary file, opened)")
    parser.add_argument("--open", action=argparse.BooleanOptionalAction, default=None,
                        help="open the page in the browser (default: only without --html)")
    parser.add_argument("--lang", metavar="LANG", help="zh: messages in Chinese (as for main.py)")
    return parser


def _flag_value(argv: Sequence[str], flag: str) -> str | None:
    """A flag's value found before argparse runs (``--lang zh`` or ``--lang=zh``)."""
    for i, arg in enumerate(argv):
        if arg == flag and i + 1 < len(argv):
            return argv[i + 1]
        if arg.startswith(flag + "="):
            return arg.split("=", 1)[1]
    return None


def main(argv: Sequence[str] | None = None, stop: StopFlag | None = None) -> int:
    """``stop``: the flag the entry point's signal handlers set since start-up."""
    argv = list(sys.argv[1:] if argv is None else argv)
    # The language first: every message from here on, errors included, is in it.
    language = i18n.use(i18n.language_from(_flag_value(argv, "--lang")))
    if argv[:1] == ["show"]:
        show = build_show_parser().parse_args(argv[1:])
        from .runs.show import run_show
        return run_show(show.file, show.html, show.html is None if show.open is None else show.open)
    parser = build_parser()
    config = replace(config_from_args(parser, parser.parse_args(argv)), lang=language)
    if stop is not None and stop.requested:
        return exit_status(stop) or 130  # Ctrl-C while starting up: nothing ran yet
    # Before gRPC is imported: its C core would print its own errors, which the run
    # summarises once, at the end.  This process is the program: nothing to restore.
    os.environ.setdefault("GRPC_VERBOSITY", "NONE")
    # Imported late: --help and bad flags stay fast.
    if config.load is not None and config.load.workers > 1:
        from .runs.workers import run_workers
        return run_workers(config, stop)
    if config.load is not None:
        from .runs.load import run_load
        return run_load(config, stop)
    from .runs.single import run_single
    return run_single(config, stop)
