"""``python main.py show FILE``: the trace page of any OTLP/JSON trace file.

Our ``--output``, the collector's ``file`` exporter, a hand-saved request: every
trace in it goes on one page, with a list to choose from when there are several.
Bad input is one line, ``main.py: error: FILE:LINE: what is wrong``, and exit 2.

The file may be hostile (anything can be handed to ``show``): it is read up to a
size limit (``/dev/zero`` is refused, not read until memory runs out), JSON nested
too deep is refused in one line, a trace thousands of spans deep is drawn (nothing
recurses), cycles and duplicate span ids are drawn or counted on the page, and a
page that cannot be written leaves no empty file behind (exit 3, as for a run).
"""
from __future__ import annotations

import itertools
from pathlib import Path

from ..i18n import _
from ..report.html import Page
from ..report.otlp_input import InputError, SpanFile, read_file
from ..report.records import SpanRecord, by_trace
from ..report.terminal import consoles
from .common import EXIT_NOT_DELIVERED, OutputError, input_error
from .pages import PageFile

MAX_MB = 100  # the default --max-mb
# Reading keeps every span (about 1.5 KB each: 100,000 spans, 200 MB peak RSS), one line's
# JSON at a time.  A page is for a person: past this many traces it would be too heavy for a browser (100,000
# one-span traces made an 89 MB page), so the first ones are drawn and the rest counted.
MAX_TRACES = 1_000


def _text(path: str, max_mb: float) -> str:
    """The file as text, read up to the limit; a byte that is not UTF-8 is an InputError."""
    limit = int(max_mb * 1024 * 1024)
    with open(path, "rb") as stream:
        data = stream.read(limit + 1)
    if len(data) > limit:
        raise InputError(1, _("larger than {limit} MB: not read (--max-mb raises the limit; "
                              "each span takes about 1.5 KB of memory)").format(limit=f"{max_mb:g}"))
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InputError(data[:exc.start].count(b"\n") + 1, "not UTF-8 text") from None


def _label(spans: list[SpanRecord]) -> tuple[str, str]:
    ids = {x.span_id for x in spans}
    root = next((s for s in spans if s.parent_id not in ids), spans[0])
    duration = (max(s.end_ns for s in spans) - min(s.start_ns for s in spans)) / 1e6
    errors = sum(s.error for s in spans)
    count = f"{len(spans)} span" + ("s" if len(spans) != 1 else "")
    note = f"{count}, trace {spans[0].trace_id:032x}" + (
        f", {errors} failed" if errors else "")
    return f"{root.name[:200]} ({root.service[:100]}) {duration:.0f} ms", note


def run_show(path: str, html: str | None, open_page: bool, max_mb: float = MAX_MB) -> int:
    try:
        found = read_file(_text(path, max_mb))
    except OSError as exc:
        return input_error(_("{path}: cannot read: {reason}").format(path=path, reason=exc.strerror))
    except InputError as exc:
        return input_error(f"{path}:{exc.line}: {exc.message}")
    try:
        target = PageFile(html, open_page)
    except OutputError as exc:
        return input_error(str(exc))
    out, err = consoles()
    page = _page(path, found)
    return 0 if target.write(page, out, err) else EXIT_NOT_DELIVERED


def _page(path: str, found: SpanFile) -> Page:
    traces = by_trace(found.records)
    left_out = sum(found.clashes.values())
    more = max(0, len(traces) - MAX_TRACES)
    page = Page(f"ordertrace: {Path(path).name}",
                f"{len(found.records):,} spans in {len(traces):,} traces from {path}"
                + (f"; {left_out:,} not drawn (duplicate span ids)" if left_out else "")
                + (f"; the first {MAX_TRACES:,} traces are drawn, {more:,} more are not (a page "
                   f"that large would stall a browser)" if more else ""))
    for trace_id, spans in itertools.islice(traces.items(), MAX_TRACES):
        title, note = _label(spans)
        page.add_view(title, [page.add_trace(spans, problems=found.problems(trace_id))], note=note)
    return page
