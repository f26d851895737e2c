"""What both kinds of run need: the --output file (opened only once every flag was
checked), the end of export (bounded, abandoned on a second Ctrl-C), the exit status."""
from __future__ import annotations

import contextlib
import gc
import socket
import sys
import time
import urllib.parse
from collections.abc import Iterator
from contextlib import AbstractContextManager
from typing import IO

from rich.console import Console

from ..config import RunConfig
from ..i18n import _
from ..report.export_summary import exported_line, file_line, problem_lines
from ..report.live import ProgressSource, Ticker, progress_display
from ..report.progress import json_lines
from ..report.terminal import ResilientStream, resilient, say
from ..tracing import sdk_logs
from ..tracing.accounting import ExportReport
from ..tracing.otlp_file import OtlpJsonFileProcessor
from ..tracing.pipeline import ExportPipeline
from ..tracing.settings import redact
from ..world.clock import StopFlag
from .signals import exit_status

# The run completed, but not every span reached the collector (CI can tell).
EXIT_NOT_DELIVERED = 3


class OutputError(Exception):
    """The --output file cannot be opened: bad input, exit 2."""


def open_output(path: str | None) -> OtlpJsonFileProcessor | None:
    if path is None:
        return None
    try:
        stream: IO[str] = open(path, "w", encoding="utf-8")  # noqa: SIM115 - the sink owns it
    except OSError as exc:
        raise OutputError(_("argument --output: cannot write {path}: {reason}").format(
            path=repr(path), reason=exc.strerror)) from None
    return OtlpJsonFileProcessor(stream, path)


@contextlib.contextmanager
def guarded_std_streams() -> Iterator[None]:
    """stdout/stderr that survive a closed pipe and a narrow encoding, for the run's length
    (the SDK's console exporter and print() write to sys.stdout directly); the SDK's own
    log lines escaped, bounded and said once (tracing/sdk_logs.py)."""
    saved = sys.stdout, sys.stderr
    sys.stdout, sys.stderr = resilient(sys.stdout), resilient(sys.stderr)
    try:
        with sdk_logs.routed(lambda line: sys.stderr.write(line)):
            yield
    finally:
        sys.stdout, sys.stderr = saved


def stdout_status(status: int) -> int:
    """At the very end: stdout that failed (``> /dev/full``, a full disk) is one line on
    stderr and exit 3 (unless the run already exits otherwise).  A reader that went away
    (``| head``) or no stdout at all (``>&-``) is no failure: the run did its work."""
    stream = sys.stdout
    if not isinstance(stream, ResilientStream):
        return status
    stream.flush()
    if stream.error is None:
        return status
    print("⚠ " + _("could not write to stdout: {reason}; what the run printed from then on is "
                   "lost (the export is unaffected)").format(reason=stream.error), file=sys.stderr)
    return EXIT_NOT_DELIVERED if status == 0 else status


# A load run keeps thousands of ended spans queued for export, tens of objects each: at
# Python's default thresholds (700, 10, 10) the collector walks them over and over, most of
# all in full collections.  Measured with bench/load.py's receiver (8,000 orders, rounds
# alternated): 16,200-17,000 -> 18,400-19,100 spans/s with export, no change in peak RSS;
# with export off (nothing queued) about 1 %.
LOAD_GC_THRESHOLDS = (20_000, 50, 100)


@contextlib.contextmanager
def collect_less_often() -> Iterator[None]:
    """The garbage collector's thresholds for a load run, and the previous ones back after."""
    saved = gc.get_threshold()
    gc.set_threshold(*LOAD_GC_THRESHOLDS)
    try:
        yield
    finally:
        gc.set_threshold(*saved)


def input_error(message: str) -> int:
    """Bad input found inside a run: one line in argparse's style, exit status 2."""
    print(_("main.py: error: {message} (see --help)").format(message=message), file=sys.stderr)
    return 2


def finish_export(pipeline: ExportPipeline, stop: StopFlag, err: Console, budget_s: float) -> None:
    """Send what is queued within ``budget_s``; a second Ctrl-C abandons it at once."""
    deadline = time.monotonic() + budget_s
    told = False
    while not pipeline.flush(0.05):
        if stop.urgent:
            left = pipeline.abandon()
            say(err, _("abandoned the flush: {count} spans not delivered").format(count=f"{left:,}"),
                style="yellow")
            return
        if stop.requested and not told:
            told = True
            say(err, _("flushing {count} spans (Ctrl-C again to abandon)").format(
                count=f"{pipeline.backlog:,}"), style="yellow")
        if time.monotonic() >= deadline:
            pipeline.abandon()  # counted: queued spans abandoned, a batch in flight unconfirmed
            return


def all_delivered(pipeline: ExportPipeline) -> bool:
    """Every destination got every span, and the --output file every span too."""
    return all(r.ok for r in pipeline.reports()) and (
        pipeline.file is None or pipeline.file.error is None)


def print_export(pipeline: ExportPipeline, out: Console, err: Console, quiet: bool) -> None:
    """The closing export lines: one per destination, one for the --output file."""
    delivered: dict[str, list[ExportReport]] = {}
    reports = pipeline.reports()
    for line in problem_lines([r for r in reports if not r.ok]):
        say(err, line, style="yellow")
    for report in reports:
        if report.ok and report.handed:
            delivered.setdefault(report.destination, []).append(report)
    if not quiet:
        for reports in delivered.values():  # one line per destination: spans, records, points
            say(out, exported_line(reports), style="dim")
    if pipeline.file is not None:
        line = file_line(pipeline.file.report())
        if pipeline.file.error:
            say(err, line, style="yellow")
        elif not quiet:
            say(out, line, style="dim")


def jaeger_link(base: str, trace_id: str | None) -> str:
    """The trace in Jaeger's UI, as it may be printed: credentials in ``--jaeger-url`` /
    ``ORDERTRACE_JAEGER_URL`` (``http://user:password@host``) are masked like the endpoint's."""
    return f"{redact(base)}/trace/{trace_id}"
def watch(run: ProgressSource, config: RunConfig, out: Console) -> AbstractContextManager[Ticker]:
    """A load run's live display: JSON lines on stdout with --stats-interval, else a bar on
    a terminal or a plain line in a pipe (nothing with --json)."""
    stats_s = config.load.stats_interval_s if config.load else None
    if stats_s:
        return progress_display(run, out, enabled=False, stats=json_lines(out), stats_s=stats_s)
    return progress_display(run, out, enabled=out.is_terminal and not config.json,
                            plain=not out.is_terminal and not config.json)


def summary_console(config: RunConfig, out: Console, err: Console) -> Console:
    """Where the summary goes: stderr when stdout carries the --stats-interval lines."""
    return err if config.load and config.load.stats_interval_s else out


LOOPBACK = {"localhost", "127.0.0.1", "::1"}


def ui_answers(url: str, timeout_s: float = 0.3) -> bool:
    """Whether a web UI listens at ``url`` (a TCP connect, nothing sent).  Only a loopback
    address is tried; a remote one the user named is taken at its word."""
    parts = urllib.parse.urlsplit(url)
    if parts.hostname not in LOOPBACK:
        return True
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
        with socket.create_connection((parts.hostname, port), timeout=timeout_s):
            return True
    except (OSError, ValueError):
        return False


def final_status(stop: StopFlag, all_delivered: bool) -> int:
    stopped = exit_status(stop)
    if stopped is not None:
        return stopped
    return 0 if all_delivered else EXIT_NOT_DELIVERED
