"""The parsers: every flag, its help, the examples; argparse errors as one line, exit 2."""
from __future__ import annotations

import argparse
import math
from typing import NoReturn

from .. import __version__
from ..config import EXCEPTION_SIGNALS
from ..i18n import _
from ..tracing.settings import DEFAULT_ENDPOINT, EXPORTERS, PROTOCOLS
from ..world.scenarios import FAILURES

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
  python main.py serve                an HTTP gateway and its page (serve -h)
  python main.py faults               the fault catalogue (--fail takes any)
  python main.py drill                find a hidden fault (drill -h)
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
    parser.add_argument("--fail", choices=FAILURES, metavar="FAULT",
                        help="run a fault of the catalogue: 'inventory' (the item's stock is 0), "
                             "'payment' (the payment gateway declines the card), or any of "
                             f"{', '.join(FAILURES[2:])} (python main.py faults explains each)")
    parser.add_argument("--speed", type=float, default=1.0, metavar="F",
                        help="time scale: 1 = real time (default), 10 = ten times faster, 0 = no "
                             "sleeping at all; span timestamps always show the profile's durations")
    parser.add_argument("--client-spans", action="store_true",
                        help="a CLIENT span around each call from one service to another, as HTTP client "
                             "instrumentation makes it (what service graphs are built from); off: the "
                             "seed's tree")
    parser.add_argument("--exception-events", choices=EXCEPTION_SIGNALS,
                        help="where a failing step's exception goes: span (the span event the seed "
                             "shows), logs (a log record with exception.* attributes, as OpenTelemetry "
                             "now recommends) or both (default; OTEL_SEMCONV_EXCEPTION_SIGNAL_OPT_IN="
                             "logs or logs/dup sets it too)")
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
                        help="export nothing: no spans, log records or metric points")
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
                      help="mix in faults of the catalogue, e.g. inventory=0.05,payment=0.1 (the "
                           "order picks the sold-out item or the card with no limit) or "
                           "slow-query=0.2 (such an order goes to a world with that fault)")
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




def _positive_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not (math.isfinite(value) and value > 0):
        raise argparse.ArgumentTypeError(f"expected a number above 0, got {text[:40]!r}")
    return value


def build_show_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="main.py show", description=(
        "Draw the traces of OTLP/JSON files in the terminal (each log record under its span) "
        "and as one self-contained HTML page with their log records and metric histograms: what "
        "--output writes, or the OpenTelemetry Collector's file exporter (one export "
        "request per line, traces, logs or metrics, or one pretty-printed document; hex or "
        "base64 ids)."))
    parser.add_argument("files", metavar="FILE", nargs="+",
                        help="OTLP/JSON files: traces, logs, metrics, one per signal or mixed")
    parser.add_argument("--html", metavar="OUT",
                        help="write the page to OUT (default: a temporary file, opened)")
    parser.add_argument("--open", action=argparse.BooleanOptionalAction, default=None,
                        help="open the page in the browser (default: only without --html)")
    parser.add_argument("--json", action="store_true",
                        help="print the incident diagnosis of the file's spans as JSON (fault, "
                             "service, evidence); a page only with --html")
    parser.add_argument("--max-mb", metavar="MB", type=_positive_float, default=100.0,
                        help="refuse a file larger than this (default 100; each span takes "
                             "about 1.5 KB of memory)")
    parser.add_argument("--lang", metavar="LANG", help="zh: messages in Chinese (as for main.py)")
    return parser


def build_serve_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="main.py serve", description=(
        "Run the API Gateway as a real HTTP server: POST /api/orders places an order (a\n"
        "trace through the five services, continuing an incoming traceparent), GET / is\n"
        "a page to place orders and watch their traces."), epilog=(
        "examples:\n"
        "  python main.py serve                on 127.0.0.1:8080, exporting as configured\n"
        "  python main.py serve --port 9000 --no-export --html-dir traces/\n"
        "                                      no collector; each order's page in traces/\n"
        "  curl -s -X POST 127.0.0.1:8080/api/orders -d '{\"item_id\": \"sku-0000\"}'\n"
        "                                      out of stock: 409, and its trace"),
        formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--host", default="127.0.0.1",
                        help="address to listen on (default 127.0.0.1: this machine only)")
    parser.add_argument("--port", type=int, default=8080, help="port to listen on (default 8080)")
    parser.add_argument("--html-dir", metavar="DIR",
                        help="also write each order's trace page to DIR/<trace id>.html")
    parser.add_argument("--max-connections", type=int, default=256, metavar="N",
                        help="connections served at once, a thread each (default 256); past it "
                             "the one waiting longest for its request is closed")
    parser.add_argument("--request-timeout", type=float, default=10.0, metavar="S",
                        help="close a connection whose request has not fully arrived S seconds "
                             "after it connected or got its last answer (default 10)")
    _export_flags(parser)
    return parser


def _export_flags(parser: argparse.ArgumentParser) -> None:
    """Where the spans go, for a command that is not a run (serve, drill)."""
    parser.add_argument("--exporter", choices=EXPORTERS, help="otlp (default), console or none")
    parser.add_argument("--no-export", action="store_true", help="do not export spans")
    parser.add_argument("--endpoint", metavar="URL", help=f"OTLP endpoint (default {DEFAULT_ENDPOINT})")
    parser.add_argument("--protocol", choices=PROTOCOLS, help="OTLP transport (default grpc)")
    parser.add_argument("--jaeger-url", metavar="URL", help="Jaeger UI base for the trace links")
    parser.add_argument("--client-spans", action="store_true",
                        help="a CLIENT span around each call from one service to another, as HTTP client "
                             "instrumentation makes it (what service graphs are built from); off: the "
                             "seed's tree")
    parser.add_argument("--exception-events", choices=EXCEPTION_SIGNALS,
                        help="where a failing step's exception goes: span (the span event the seed "
                             "shows), logs (a log record with exception.* attributes, as OpenTelemetry "
                             "now recommends) or both (default; OTEL_SEMCONV_EXCEPTION_SIGNAL_OPT_IN="
                             "logs or logs/dup sets it too)")


def build_faults_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="main.py faults", description=(
        "List the fault catalogue: what each fault makes the simulated world do, what it looks "
        "like in a trace, and the command that shows it."))
    parser.add_argument("--lang", metavar="LANG", help="zh: in Chinese (as for main.py)")
    return parser


def build_drill_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="main.py drill", description=(
        "An incident drill: a hidden fault from the catalogue (or none), chosen by\n"
        "the seed, a short exercise exported as configured, then the question: which\n"
        "service, which fault? The verdict shows the evidence the spans hold and what\n"
        "to click."), epilog=(
        "exit status: 0 right answer (or --reveal); 1 wrong answer; 2 bad input\n\n"
        "examples:\n"
        "  python main.py drill --html drill.html\n"
        "                                      a random drill; its traces on a page\n"
        "  python main.py drill --seed 7 --level 2\n"
        "                                      the same drill for the whole class\n"
        "  python main.py drill --seed 7 --answer inventory-service:slow-query\n"
        "                                      exit 0 if right, 1 if wrong\n"
        "  python main.py drill --seed 7 --reveal --no-export\n"
        "                                      the answer: SERVICE:FAULT or none"),
        formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seed", type=int, metavar="N",
                        help="choose the fault and the exercise from N: the same drill on every "
                             "machine (default: a random seed, printed)")
    parser.add_argument("--level", type=int, choices=(1, 2, 3), default=1,
                        help="1: one clear fault in every order (default); 2: in some orders among "
                             "normal ones, latencies jittered; 3: under load (24 clients)")
    parser.add_argument("--answer", metavar="SERVICE:FAULT",
                        help="answer without being asked, e.g. inventory-service:slow-query, or "
                             "none (default: a numbered choice on the terminal)")
    parser.add_argument("--reveal", action="store_true",
                        help="print the answer as SERVICE:FAULT (or none) instead of asking")
    parser.add_argument("--html", metavar="FILE", help="write the drill's traces to FILE as a page")
    parser.add_argument("--open", action="store_true", help="open that page in the browser")
    parser.add_argument("--lang", metavar="LANG", help="zh: in Chinese (as for main.py)")
    _export_flags(parser)
    return parser


