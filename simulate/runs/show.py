"""``python main.py show FILE``: the trace page of any OTLP/JSON trace file.

Our ``--output``, the collector's ``file`` exporter, a hand-saved request: every
trace in it goes on one page, with a list to choose from when there are several.
Bad input is one line, ``main.py: error: FILE:LINE: what is wrong``, and exit 2.
"""
from __future__ import annotations

from pathlib import Path

from rich.console import Console

from ..i18n import _
from ..report.html import Page
from ..report.otlp_input import InputError, read_spans
from ..report.records import SpanRecord, by_trace
from .common import OutputError, input_error
from .pages import PageFile


def _text(path: str) -> str:
    """The file as text; a byte that is not UTF-8 is an InputError at its line."""
    data = Path(path).read_bytes()
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InputError(data[:exc.start].count(b"\n") + 1, _("not UTF-8 text")) from None


def _label(spans: list[SpanRecord]) -> tuple[str, str]:
    root = next((s for s in spans if s.parent_id not in {x.span_id for x in spans}), spans[0])
    duration = (max(s.end_ns for s in spans) - min(s.start_ns for s in spans)) / 1e6
    errors = sum(s.error for s in spans)
    count = _("1 span") if len(spans) == 1 else _("{n} spans").format(n=len(spans))
    note = _("{count}, trace {trace_id}").format(count=count, trace_id=f"{spans[0].trace_id:032x}") + (
        _(", ") + _("{n} failed").format(n=errors) if errors else "")
    return f"{root.name} ({root.service}) {duration:.0f} ms", note


def run_show(path: str, html: str | None, open_page: bool) -> int:
    try:
        records = read_spans(_text(path))
    except OSError as exc:
        return input_error(_("{path}: cannot read: {reason}").format(path=path, reason=exc.strerror))
    except InputError as exc:
        return input_error(f"{path}:{exc.line}: {exc.message}")
    try:
        target = PageFile(html, open_page)
    except OutputError as exc:
        return input_error(str(exc))
    traces = by_trace(records)
    page = Page(f"ordertrace: {Path(path).name}",
                _("{spans} spans in {traces} traces from {path}").format(
                    spans=len(records), traces=len(traces), path=path))
    for spans in traces.values():
        title, note = _label(spans)
        page.add_view(title, [page.add_trace(spans)], note=note)
    target.write(page, Console(highlight=False))
    return 0
