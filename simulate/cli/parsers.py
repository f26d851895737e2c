"""The parsers: every flag, its help, the examples; argparse errors as one line, exit 2."""
from __future__ import annotations

import argparse
import math
from typing import Any, NoReturn

from .. import __version__
from ..config import EXCEPTION_SIGNALS
from ..i18n import N_, _, speak_argparse
from ..report.cells import cell_len, wrap
from ..tracing.settings import DEFAULT_ENDPOINT, EXPORTERS, PROTOCOLS
from ..world.scenarios import FAILURES

EPILOG = N_("""\
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
                              export timeout in SECONDS (as the Python SDK reads
                              it): default 1 for one order, 10 in load mode
  OTEL_EXPORTER_OTLP[_TRACES]_INSECURE
                              true: plaintext gRPC even without http://
  OTEL_EXPORTER_OTLP[_TRACES]_COMPRESSION
                              gzip or none
  OTEL_EXPORTER_OTLP[_TRACES]_CERTIFICATE
                              CA certificate (PEM) for an https endpoint
  OTEL_LOGS_EXPORTER, OTEL_METRICS_EXPORTER
                              otlp (default), console or none: the log records
                              and metric points beside the spans (the LOGS_ and
                              METRICS_ variants of the variables above too)
  OTEL_BSP_*, OTEL_BLRP_*, OTEL_METRIC_EXPORT_INTERVAL
                              batching and export interval, read by the SDK
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
""")


class _Help(argparse.RawDescriptionHelpFormatter):
    """Help wrapped in terminal cells: a CJK character takes two, and Chinese breaks
    between characters (textwrap counts characters and breaks only at spaces)."""

    def _split_lines(self, text: str, width: int) -> list[str]:
        return wrap(" ".join(text.split()), width)

    def _fill_text(self, text: str, width: int, indent: str) -> str:
        """Prose paragraphs rewrapped to the width; indented lines (tables, examples) kept."""
        lines: list[str] = []
        paragraph: list[str] = []
        for line in [*text.splitlines(), ""]:
            if line and not line[0].isspace():
                paragraph.append(line)
                continue
            if paragraph:
                joined = "".join(p if i == 0 or _joins_tight(paragraph[i - 1], p) else " " + p
                                 for i, p in enumerate(paragraph))
                lines += [indent + w for w in wrap(joined, width - len(indent))]
                paragraph = []
            lines.append(indent + line)
        return "\n".join(lines[:-1])


def _joins_tight(before: str, after: str) -> bool:
    """Two Chinese lines join without a blank; any other pair with one."""
    return cell_len(before[-1:]) == 2 and cell_len(after[:1]) == 2


class _Parser(argparse.ArgumentParser):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        speak_argparse()  # before its groups are named: "options" is argparse's word
        kwargs.setdefault("formatter_class", _Help)
        super().__init__(*args, **kwargs)

    def error(self, message: str) -> NoReturn:
        """Bad input: one line and a pointer to --help (not argparse's usage block), exit 2."""
        self.exit(2, _("{prog}: error: {message} (see --help)").format(prog=self.prog,
                                                                      message=message) + "\n")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="main.py", description=_(
        "Simulate an order through API Gateway -> Order Service -> Inventory, Payment\n"
        "and Notification services, print its emoji log, trace view and analysis, and\n"
        "export the trace over OTLP."), epilog=_(EPILOG),
        formatter_class=_Help)
    parser.add_argument("--fail", choices=FAILURES, metavar="FAULT",
                        help=_("run a fault of the catalogue: 'inventory' (the item's stock is 0), "
                               "'payment' (the payment gateway declines the card), or any of "
                               "{faults} (python main.py faults explains each)").format(
                            faults=", ".join(FAILURES[2:])))
    parser.add_argument("--speed", type=float, default=1.0, metavar="F",
                        help=_("time scale: 1 = real time (default), 10 = ten times faster, 0 = no "
                             "sleeping at all; span timestamps always show the profile's durations"))
    parser.add_argument("--client-spans", action="store_true", help=_(CLIENT_SPANS_HELP))
    parser.add_argument("--exception-events", choices=EXCEPTION_SIGNALS, help=_(EXCEPTION_EVENTS_HELP))
    parser.add_argument("--version", action="version", version=f"ordertrace {__version__}",
                        help=_("show the version and exit"))
    parser.add_argument("--lang", metavar="LANG",
                        help=_("zh: everything around the seed's emoji log in Chinese; default from "
                             "LC_ALL/LC_MESSAGES/LANG, else English"))

    view = parser.add_argument_group(_("trace view and analysis"))
    view.add_argument("--no-view", action="store_true",
                      help=_("do not draw the trace tree, waterfall and performance analysis"))
    view.add_argument("--json", action="store_true",
                      help=_("print the analysis as JSON instead of the log and the view"))
    view.add_argument("--optimize", metavar="LIST",
                      help=_("switch on the seed's optimisations: any of parallel (Inventory and "
                           "Payment together), cache (stock from memory, no db.query), async "
                           "(notification not awaited), comma-separated, or all"))
    view.add_argument("--compare", action="store_true",
                      help=_("run the baseline and the --optimize system back to back and print "
                           "a side-by-side table, measured against predicted savings"))

    export = parser.add_argument_group(_("export and output"))
    export.add_argument("--exporter", choices=EXPORTERS,
                        help=_("where spans, log records and metric points go: otlp (default), "
                               "console (print them as JSON) or none"))
    export.add_argument("--no-export", action="store_true",
                        help=_("export nothing: no spans, log records or metric points"))
    export.add_argument("--endpoint", metavar="URL",
                        help=_("OTLP endpoint, http(s)://host:port (default {endpoint})").format(
                            endpoint=DEFAULT_ENDPOINT))
    export.add_argument("--protocol", choices=PROTOCOLS,
                        help=_("OTLP transport: grpc (default, port 4317) or http/protobuf (4318)"))
    export.add_argument("--jaeger-url", metavar="URL",
                        help=_("Jaeger UI base for the printed trace link "
                             "(default $ORDERTRACE_JAEGER_URL or http://localhost:16686)"))
    export.add_argument("--output", metavar="FILE",
                        help=_("also write the spans to FILE as OTLP/JSON lines (the collector's "
                             "file-exporter format; replayable with its otlpjsonfile receiver), and "
                             "the log records and metric points beside it (FILE.logs.jsonl...)"))
    export.add_argument("--html", metavar="FILE",
                        help=_("write the trace page to FILE: one self-contained HTML file (no network), "
                             "every span's attributes, events, links and resource, the log and the "
                             "analysis; with load mode, the summary, histograms and sample traces"))
    export.add_argument("--open", action="store_true",
                        help=_("open the trace page in the browser (without --html: a temporary file)"))
    export.add_argument("--log-format", choices=("emoji", "json"), default="emoji",
                        help=_("emoji: the seed's log (default); json: one JSON object per line "
                             "with timestamp, severity, service, body, trace_id and span_id"))
    load = parser.add_argument_group(_("load mode"), _(
        "any of --orders/--duration switches it on: a progress bar and a summary\n"
                     "replace the per-order log"))
    load.add_argument("--orders", type=int, metavar="N", help=_("place N orders"))
    load.add_argument("--duration", type=float, metavar="S",
                      help=_("place orders for S simulated seconds (with --orders: whichever ends first)"))
    load.add_argument("--rate", type=float, metavar="R",
                      help=_("open loop: start R orders per simulated second, evenly spaced"))
    load.add_argument("--span-rate", type=float, metavar="S",
                      help=_("open loop in spans: S spans per simulated second (an order makes 5 to "
                           "11 spans, by the failure mix and --optimize; the orders/s this means "
                           "is printed before the run); not with --rate or --concurrency"))
    load.add_argument("--ramp", metavar="D",
                      help=_("rise from 0 to the full --rate/--span-rate over D (30s, 2m, or "
                           "seconds), so a collector is not hit at full rate from the first "
                           "second; with --concurrency, the clients join one by one over D"))
    load.add_argument("--stats-interval", metavar="S",
                      help=_("every S seconds (30s, 1m...) write the live numbers as a JSON line on "
                           "stdout: orders, orders/s, spans/s, queue, each destination's export "
                           "counts and error; the summary then goes to stderr"))
    load.add_argument("--concurrency", type=int, metavar="C",
                      help=_("closed loop: C clients, each placing its next order when the last ends "
                           "(default 1; not with --rate)"))
    load.add_argument("--failure-rate", metavar="SPEC",
                      help=_("mix in faults of the catalogue, e.g. inventory=0.05,payment=0.1 (the "
                           "order picks the sold-out item or the card with no limit) or "
                           "slow-query=0.2 (such an order goes to a world with that fault)"))
    load.add_argument("--jitter", type=float, nargs="?", const=0.3, metavar="SIGMA",
                      help=_("log-normal latencies around the profile (long tail); SIGMA default 0.3"))
    load.add_argument("--workers", metavar="N",
                      help=_("N processes, each a whole simulation with its own exporter (default 1; "
                           "auto = the cores this process may use); --rate and --concurrency are "
                           "totals, split between them"))
    load.add_argument("--id-offset", type=int, metavar="K",
                      help=_("this machine's index when several run at once, so order ids stay "
                           "disjoint (default $JOB_COMPLETION_INDEX, else 0)"))
    load.add_argument("--seed", type=int, metavar="N",
                      help=_("seed the scenario mix and the jitter: the same run again"))
    return parser




def _positive_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not (math.isfinite(value) and value > 0):
        raise argparse.ArgumentTypeError(_("expected a number above 0, got {text}").format(
            text=repr(text[:40])))
    return value


def build_show_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="main.py show", description=_(
        "Draw the traces of OTLP/JSON files in the terminal (each log record under its span) "
        "and as one self-contained HTML page with their log records and metric histograms: what "
        "--output writes, or the OpenTelemetry Collector's file exporter (one export "
        "request per line, traces, logs or metrics, or one pretty-printed document; hex or "
        "base64 ids)."))
    parser.add_argument("files", metavar="FILE", nargs="+",
                        help=_("OTLP/JSON files: traces, logs, metrics, one per signal or mixed"))
    parser.add_argument("--html", metavar="OUT",
                        help=_("write the page to OUT (default: a temporary file, opened)"))
    parser.add_argument("--open", action=argparse.BooleanOptionalAction, default=None,
                        help=_("open the page in the browser (default: only without --html)"))
    parser.add_argument("--json", action="store_true",
                        help=_("print the incident diagnosis of the files' spans as JSON (fault, "
                               "service, evidence); a page only with --html"))
    parser.add_argument("--max-mb", metavar="MB", type=_positive_float, default=100.0,
                        help=_("refuse a file larger than this (default 100; each span takes "
                               "about 1.5 KB of memory)"))
    parser.add_argument("--lang", metavar="LANG", help=_("zh: messages and the page in Chinese (as "
                                                        "for main.py)"))
    return parser


def build_serve_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="main.py serve", description=_(
        "Run the API Gateway as a real HTTP server: POST /api/orders places an order (a\n"
        "trace through the five services, continuing an incoming traceparent), GET / is\n"
        "a page to place orders and watch their traces."), epilog=_(
        "examples:\n"
        "  python main.py serve                on 127.0.0.1:8080, exporting as configured\n"
        "  python main.py serve --port 9000 --no-export --html-dir traces/\n"
        "                                      no collector; each order's page in traces/\n"
        "  curl -s -X POST 127.0.0.1:8080/api/orders -d '{\"item_id\": \"sku-0000\"}'\n"
        "                                      out of stock: 409, and its trace"),
        formatter_class=_Help)
    parser.add_argument("--host", default="127.0.0.1",
                        help=_("address to listen on (default 127.0.0.1: this machine only)"))
    parser.add_argument("--port", type=int, default=8080, help=_("port to listen on (default 8080)"))
    parser.add_argument("--html-dir", metavar="DIR",
                        help=_("also write each order's trace page to DIR/<trace id>.html"))
    parser.add_argument("--max-connections", type=int, default=256, metavar="N",
                        help=_("connections served at once, a thread each (default 256); past it "
                               "the one waiting longest for its request is closed"))
    parser.add_argument("--request-timeout", type=float, default=10.0, metavar="S",
                        help=_("close a connection whose request has not fully arrived S seconds "
                               "after it connected or got its last answer (default 10)"))
    parser.add_argument("--lang", metavar="LANG", help=_("zh: the log, messages and the page in "
                                                        "Chinese (as for main.py)"))
    _export_flags(parser)
    return parser


CLIENT_SPANS_HELP = N_("a CLIENT span around each call from one service to another, as HTTP "
                       "client instrumentation makes it (what service graphs are built from); "
                       "off: the seed's tree")
EXCEPTION_EVENTS_HELP = N_("where a failing step's exception goes: span (the span event the seed "
                           "shows), logs (a log record with exception.* attributes, as "
                           "OpenTelemetry now recommends) or both (default; "
                           "OTEL_SEMCONV_EXCEPTION_SIGNAL_OPT_IN=logs or logs/dup sets it too)")


def _export_flags(parser: argparse.ArgumentParser) -> None:
    """Where the spans go, for a command that is not a run (serve, drill)."""
    parser.add_argument("--exporter", choices=EXPORTERS, help=_("otlp (default), console or none"))
    parser.add_argument("--no-export", action="store_true",
                        help=_("export nothing: no spans, log records or metric points"))
    parser.add_argument("--endpoint", metavar="URL", help=_("OTLP endpoint (default {endpoint})").format(
        endpoint=DEFAULT_ENDPOINT))
    parser.add_argument("--protocol", choices=PROTOCOLS, help=_("OTLP transport (default grpc)"))
    parser.add_argument("--jaeger-url", metavar="URL", help=_("Jaeger UI base for the trace links"))
    parser.add_argument("--client-spans", action="store_true", help=_(CLIENT_SPANS_HELP))
    parser.add_argument("--exception-events", choices=EXCEPTION_SIGNALS, help=_(EXCEPTION_EVENTS_HELP))


def build_faults_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="main.py faults", description=_(
        "List the fault catalogue: what each fault makes the simulated world do, what it looks "
        "like in a trace, and the command that shows it."))
    parser.add_argument("--lang", metavar="LANG", help=_("zh: in Chinese (as for main.py)"))
    return parser


def build_drill_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="main.py drill", description=_(
        "An incident drill: a hidden fault from the catalogue (or none), chosen by\n"
        "the seed, a short exercise exported as configured, then the question: which\n"
        "service, which fault? The verdict shows the evidence the spans hold and what\n"
        "to click."), epilog=_(
        "exit status: 0 right answer (or --reveal); 1 wrong answer; 2 bad input\n\n"
        "examples:\n"
        "  python main.py drill --html drill.html\n"
        "                                      a random drill; its traces on a page\n"
        "  python main.py drill --seed 7 --level 2\n"
        "                                      the same drill for the whole class\n"
        "  python main.py drill --seed 7 --answer inventory-service:slow-query\n"
        "                                      exit 0 if right, 1 if wrong\n"
        "  python main.py drill --seed 7 --reveal --no-export\n"
        "                                      the answer: SERVICE:FAULT or none"))
    parser.add_argument("--seed", type=int, metavar="N",
                        help=_("choose the fault and the exercise from N: the same drill on every "
                               "machine (default: a random seed, printed)"))
    parser.add_argument("--level", type=int, choices=(1, 2, 3), default=1,
                        help=_("1: one clear fault in every order (default); 2: in some orders among "
                               "normal ones, latencies jittered; 3: under load (24 clients)"))
    parser.add_argument("--answer", metavar="SERVICE:FAULT",
                        help=_("answer without being asked, e.g. inventory-service:slow-query, or "
                               "none (default: a numbered choice on the terminal)"))
    parser.add_argument("--reveal", action="store_true",
                        help=_("print the answer as SERVICE:FAULT (or none) instead of asking"))
    parser.add_argument("--html", metavar="FILE", help=_("write the drill's traces to FILE as a page"))
    parser.add_argument("--open", action="store_true", help=_("open that page in the browser"))
    parser.add_argument("--lang", metavar="LANG", help=_("zh: in Chinese (as for main.py)"))
    _export_flags(parser)
    return parser
