"""``python main.py show FILE``: the trace page of any OTLP/JSON trace file.

Our ``--output``, the collector's ``file`` exporter, a hand-saved request: every
trace in it goes on one page, with a list to choose from when there are several.
Bad input is one line, ``main.py: error: FILE:LINE: what is wrong``, and exit 2.
The incident diagnosis reads the same spans (``--json``: it alone, as JSON).
"""
from __future__ import annotations

import json
import sys
from pathlib import Path

from rich.console import Console

from ..i18n import _
from ..report.html import Page
from ..report.incident import diagnose, diagnosis_lines
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
        raise InputError(data[:exc.start].count(b"\n") + 1, "not UTF-8 text") from None


def _label(spans: list[SpanRecord]) -> tuple[str, str]:
    root = next((s for s in spans if s.parent_id not in {x.span_id for x in spans}), spans[0])
    duration = (max(s.end_ns for s in spans) - min(s.start_ns for s in spans)) / 1e6
    errors = sum(s.error for s in spans)
    count = f"{len(spans)} span" + ("s" if len(spans) != 1 else "")
    note = f"{count}, trace {spans[0].trace_id:032x}" + (
        f", {errors} failed" if errors else "")
    return f"{root.name} ({root.service}) {duration:.0f} ms", note


def run_show(path: str, html: str | None, open_page: bool, as_json: bool = False) -> int:
    """``as_json``: print the diagnosis as JSON, and write a page only if ``html`` names one."""
    try:
        records = read_spans(_text(path))
    except OSError as exc:
        return input_error(_("{path}: cannot read: {reason}").format(path=path, reason=exc.strerror))
    except InputError as exc:
        return input_error(f"{path}:{exc.line}: {exc.message}")
    found = diagnose(records)
    traces = by_trace(records)
    if as_json:
        print(json.dumps({"file": path, "spans": len(records), "traces": len(traces),
                          "diagnosis": found.to_dict()}, indent=2))
        if html is None:
            return 0
    try:
        target = PageFile(html, open_page)
    except OutputError as exc:
        return input_error(str(exc))
    page = Page(f"ordertrace: {Path(path).name}",
                f"{len(records)} spans in {len(traces)} traces from {path}")
    for spans in traces.values():
        title, note = _label(spans)
        page.add_view(title, [page.add_trace(spans)], note=note)
    console = Console(highlight=False, file=sys.stderr if as_json else None)
    target.write(page, console)
    if not as_json:
        for line in diagnosis_lines(found):
            console.print(line, markup=False, soft_wrap=True)
    return 0
