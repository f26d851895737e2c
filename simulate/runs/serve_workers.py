"""What ``serve`` does after an order has been answered: the email workers, the page files.

Beside a real server the notification's email worker is a consumer group of its
own, not part of the request: here each world gets :class:`ConsumerGroup`
threads that poll the ``order-notifications`` topic one record at a time, so a
created order's CONSUMER trace (linked to its ``send-notification``) follows
its answer by what Kafka and the worker take, and never on the request's thread
(a keep-alive client's next order would wait for it).  A member handles ~50
records/s (20 ms each, real time): eight keep up with the server's measured ceiling
(~250-360 orders/s); beyond it the broker's bounded retention drops the oldest, and
the backlog (published = consumed + queued + dropped) says so.

``--html-dir``: one :class:`PageWriter` thread writes each order's page once its
trace has settled, from a bounded queue.  Every order served is a page written or
a page skipped for a reason (:attr:`PageWriter.skipped`): written + skipped =
orders served, in the summary.
"""
from __future__ import annotations

import os
import queue
import threading
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path

from ..i18n import N_, _
from ..report.html import Page
from ..tracing.pipeline import ExportPipeline
from ..world.backends.kafka import Backlog
from ..world.clock import RunInterrupted
from ..world.services.notification import EmailWorker

MEMBERS = 8  # one consumer per partition of the serve worlds' topic (serve_app.py)
LAGGING_MEMBERS = 1  # the consumer-lag world's group, down to one member: its backlog takes seconds
IDLE_S = 0.05  # an idle consumer polls again after this (a nudge wakes it at once)


class ConsumerGroup:
    def __init__(self, worker: EmailWorker, members: int = MEMBERS,
                 on_error: Callable[[BaseException], None] | None = None):
        self._worker, self._on_error = worker, on_error
        self._wake = threading.Condition()
        self._stopping = False
        self._threads = [threading.Thread(target=self._run, name=f"ordertrace-email-{i}", daemon=True)
                         for i in range(members)]
        for thread in self._threads:
            thread.start()

    def nudge(self) -> None:
        """A record was (or is about to be) published: poll now."""
        with self._wake:
            self._wake.notify_all()

    def _run(self) -> None:
        while True:
            try:
                taken = self._worker.poll(max_records=1)
            except RunInterrupted:
                return  # the stop's grace is over; the span in hand was ended
            except Exception as exc:  # noqa: BLE001 - one bad record must not end the consumer
                taken = 0
                if self._on_error:
                    self._on_error(exc)
            if taken:
                continue
            with self._wake:
                if self._stopping:
                    return  # stopping, and the topic is drained
                self._wake.wait(IDLE_S)

    def stop(self, timeout_s: float) -> None:
        """Consume what is left, then end (bounded by ``timeout_s``)."""
        with self._wake:
            self._stopping = True
            self._wake.notify_all()
        deadline = time.monotonic() + timeout_s
        for thread in self._threads:
            thread.join(max(0.0, deadline - time.monotonic()))


# Why a page was skipped (the summary says these, translated).
SKIP_UNSAMPLED = N_("not sampled: no trace recorded")
SKIP_BEHIND = N_("the page writer fell behind")
SKIP_GONE = N_("the trace was no longer kept")
SKIP_FAILED = N_("could not write the file")
SKIP_STOPPED = N_("the stop came first")


class PageWriter:
    """Writes ``<folder>/<trace id>.html`` for each trace id added, in order, on one thread."""

    def __init__(self, folder: str, build: Callable[[str, float], Page | None],
                 warn: Callable[[str], None], capacity: int = 256, settle_s: float = 1.0):
        self._folder, self._build, self._warn, self._settle_s = Path(folder), build, warn, settle_s
        self._queue: queue.Queue[str | None] = queue.Queue(capacity)
        self.written = 0
        self.skipped: Counter[str] = Counter()  # why -> how many pages
        self._lock = threading.Lock()  # add() runs on every handler thread
        self._closing = False
        self._in_hand = 0  # taken from the queue, not yet written or skipped
        self._given_up = False  # the stop's time ran out: what was left is counted
        self._thread = threading.Thread(target=self._run, name="ordertrace-pages", daemon=True)
        self._thread.start()

    def add(self, trace_id: str) -> None:
        if self._given_up:
            self.skip(SKIP_STOPPED)
            return
        try:
            self._queue.put_nowait(trace_id)
        except queue.Full:
            self.skip(SKIP_BEHIND)

    def skip(self, reason: str) -> None:
        with self._lock:
            self.skipped[reason] += 1

    def _run(self) -> None:
        while (trace_id := self._queue.get()) is not None:
            with self._lock:
                if self._given_up:  # the stop counted what was queued; this one was in hand
                    self.skipped[SKIP_STOPPED] += 1
                    return
                self._in_hand = 1
            # Closing: what is queued is written as it is now, without waiting for late work.
            page = self._build(trace_id, 0.0 if self._closing else self._settle_s)
            path = self._folder / f"{trace_id}.html"
            error = None if page is None else self._write(path, page)
            with self._lock:
                if self._given_up:
                    return
                self._in_hand = 0
                if page is None:
                    self.skipped[SKIP_GONE] += 1
                elif error:
                    self.skipped[SKIP_FAILED] += 1
                else:
                    self.written += 1
            if error:
                self._warn(f"⚠ could not write {path}: {error}")

    @staticmethod
    def _write(path: Path, page: Page) -> str | None:
        """None, or why the page could not be written."""
        partial = path.with_name(f".{path.name}.part")
        try:
            partial.write_text(page.html(), encoding="utf-8")
            os.replace(partial, path)  # a reader never sees half a page
            return None
        except OSError as exc:
            partial.unlink(missing_ok=True)
            return exc.strerror or type(exc).__name__

    def close(self, timeout_s: float) -> None:
        self._closing = True
        deadline = time.monotonic() + timeout_s
        while self._thread.is_alive() and time.monotonic() < deadline:
            try:
                self._queue.put(None, timeout=0.05)
                break
            except queue.Full:
                continue
        self._thread.join(max(0.0, deadline - time.monotonic()))
        # Out of time: what is still queued or in hand is counted, not forgotten.
        with self._lock:
            self._given_up = True
            left = sum(1 for t in self._drain() if t is not None) + self._in_hand
            self._in_hand = 0
            if left:
                self.skipped[SKIP_STOPPED] += left

    def _drain(self) -> list[str | None]:
        items = []
        while True:
            try:
                items.append(self._queue.get_nowait())
            except queue.Empty:
                return items


def backlog_line(backlog: Backlog, stopping: bool) -> str:
    """The summary's line on the email workers: every notification in one count."""
    text = _("Notifications: {published} published, {consumed} consumed by the email "
             "workers, {queued} still queued, {dropped} dropped").format(
        **{k: f"{v:,}" for k, v in vars(backlog).items()})
    if backlog.dropped:
        text += "; " + _("dropped: the workers fell behind and Kafka keeps the newest 1,000 "
                         "per partition")
    if backlog.queued and stopping:
        text += "; " + _("queued: not consumed within the stop's grace")
    return text


class DeliveryWatch:
    """Was an order's trace delivered?  For the page's Jaeger link, which the README promises
    only for a delivered trace.  Export counts spans, not traces, and sends its queue in
    order: mark (spans handed, spans not delivered) once the order answered (its spans were
    handed by then); the trace is delivered once the destinations have dealt with that many
    spans and none more failed.  Conservative: a failure of other spans meanwhile hides the
    link too."""

    WAIT_S = 1.5  # how long to wait for the answer (export sends every 0.2 s)

    def __init__(self, pipeline: ExportPipeline):
        self._pipeline = pipeline

    def mark(self) -> tuple[int, int]:
        reports = self._pipeline.span_reports()
        return sum(r.handed for r in reports), sum(r.not_delivered for r in reports)

    def delivered(self, mark: tuple[int, int]) -> bool:
        handed, failed = mark
        deadline = time.monotonic() + self.WAIT_S
        self._pipeline.send_soon()  # someone is looking: no need to wait for a full batch
        while True:
            reports = self._pipeline.span_reports()
            not_delivered = sum(r.not_delivered for r in reports)
            if not_delivered != failed:
                return False
            if sum(r.exported for r in reports) + not_delivered >= handed:
                return True
            if time.monotonic() >= deadline:
                return False
            time.sleep(0.05)
