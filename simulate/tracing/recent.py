"""The last traces a server made, whole, in bounded memory: what ``serve`` shows on its page.

:class:`RecentTraces` is a span processor that keeps the finished spans of the
last ``max_traces`` traces (the oldest goes first), counts each trace's spans
still open (started here, not yet ended), and remembers which traces link to
which (the email worker's consumer trace links to the order's).  Anything else
about a trace (the log lines it wrote) can be attached with :meth:`note`.
:meth:`wait_settled` lets a reader wait, bounded, until a trace has nothing in
flight, so a page fetched right after the response also shows work that ends
after it (an async notification, the consumer).
"""
from __future__ import annotations

import threading
import time
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Any

from opentelemetry.context import Context
from opentelemetry.sdk.trace import ReadableSpan, Span, SpanProcessor


@dataclass
class Kept:
    """One trace as kept so far."""

    spans: list[ReadableSpan] = field(default_factory=list)
    notes: list[Any] = field(default_factory=list)
    open: int = 0  # spans started in this process and not ended yet
    linked_from: set[int] = field(default_factory=set)  # traces with a span linking here


class RecentTraces(SpanProcessor):
    def __init__(self, max_traces: int = 256, max_spans: int = 500, max_notes: int = 200):
        self.max_traces, self._max_spans, self._max_notes = max_traces, max_spans, max_notes
        self._traces: OrderedDict[int, Kept] = OrderedDict()
        self._cond = threading.Condition()

    def _entry(self, trace_id: int) -> Kept:
        """The trace's entry, made if new; the oldest trace goes beyond the bound."""
        entry = self._traces.get(trace_id)
        if entry is None:
            entry = self._traces[trace_id] = Kept()
            if len(self._traces) > self.max_traces:
                self._traces.popitem(last=False)
        return entry

    def on_start(self, span: Span, parent_context: Context | None = None) -> None:
        context = span.get_span_context()
        if context is None:
            return
        with self._cond:
            self._entry(context.trace_id).open += 1

    def on_end(self, span: ReadableSpan) -> None:
        context = span.get_span_context()
        if context is None:
            return
        with self._cond:
            entry = self._entry(context.trace_id)
            entry.open = max(0, entry.open - 1)
            if len(entry.spans) < self._max_spans:
                entry.spans.append(span)
            for link in span.links:
                target = self._traces.get(link.context.trace_id)
                if target is not None and link.context.trace_id != context.trace_id:
                    target.linked_from.add(context.trace_id)
            self._cond.notify_all()

    def note(self, trace_id: int, item: Any) -> None:
        """Attach ``item`` to the trace (kept and dropped with it)."""
        with self._cond:
            notes = self._entry(trace_id).notes
            if len(notes) < self._max_notes:
                notes.append(item)

    def get(self, trace_id: int) -> tuple[list[ReadableSpan], list[Any], list[list[ReadableSpan]]]:
        """The trace's spans and notes, and the spans of each trace linking to it (with
        their notes added to the trace's); empty if the trace is unknown or gone."""
        with self._cond:
            entry = self._traces.get(trace_id)
            if entry is None:
                return [], [], []
            notes = list(entry.notes)
            linked = []
            for other in sorted(entry.linked_from):
                kept = self._traces.get(other)
                if kept is not None:
                    linked.append(list(kept.spans))
                    notes += kept.notes
            return list(entry.spans), notes, linked

    def _settled(self, trace_id: int, expect_linked: bool) -> bool:
        entry = self._traces.get(trace_id)
        if entry is None:
            return True  # gone or never recorded: nothing to wait for
        if entry.open or not entry.spans:
            return False
        linked = [self._traces.get(t) for t in entry.linked_from]
        if expect_linked and not any(k is not None and k.spans and not k.open for k in linked):
            return False
        return all(k is None or not k.open for k in linked)

    def wait_settled(self, trace_id: int, expect_linked: bool, timeout_s: float) -> bool:
        """Wait until the trace has no span open and, with ``expect_linked``, a trace linking
        to it has ended too.  False if ``timeout_s`` passed first."""
        deadline = time.monotonic() + timeout_s
        with self._cond:
            while not self._settled(trace_id, expect_linked):
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self._cond.wait(left)
            return True

    def __len__(self) -> int:
        with self._cond:
            return len(self._traces)
