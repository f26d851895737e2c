"""What ``serve`` does after an order has been answered: the email workers, the page files.

Beside a real server the notification's email worker is a consumer group of its
own, not part of the request: here each world gets :class:`ConsumerGroup`
threads that poll the ``order-notifications`` topic one record at a time, so a
created order's CONSUMER trace (linked to its ``send-notification``) follows
its answer by what Kafka and the worker take, and never on the request's thread
(a keep-alive client's next order would wait for it).  ``--html-dir``: one
:class:`PageWriter` thread writes each order's page once its trace has settled,
from a bounded queue (when the queue is full, a page is skipped and counted).
"""
from __future__ import annotations

import os
import queue
import threading
import time
from collections.abc import Callable
from pathlib import Path

from ..report.html import Page
from ..world.clock import RunInterrupted
from ..world.services.notification import EmailWorker

MEMBERS = 3  # one consumer per partition of the in-memory Kafka's topic
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


class PageWriter:
    """Writes ``<folder>/<trace id>.html`` for each trace id added, in order, on one thread."""

    def __init__(self, folder: str, build: Callable[[str, float], Page | None],
                 warn: Callable[[str], None], capacity: int = 256, settle_s: float = 1.0):
        self._folder, self._build, self._warn, self._settle_s = Path(folder), build, warn, settle_s
        self._queue: queue.Queue[str | None] = queue.Queue(capacity)
        self.written = self.skipped = 0
        self._lock = threading.Lock()  # add() runs on every handler thread
        self._closing = False
        self._thread = threading.Thread(target=self._run, name="ordertrace-pages", daemon=True)
        self._thread.start()

    def add(self, trace_id: str) -> None:
        try:
            self._queue.put_nowait(trace_id)
        except queue.Full:
            with self._lock:
                self.skipped += 1

    def _run(self) -> None:
        while (trace_id := self._queue.get()) is not None:
            # Closing: what is queued is written as it is now, without waiting for late work.
            page = self._build(trace_id, 0.0 if self._closing else self._settle_s)
            if page is not None:
                self._write(trace_id, page)

    def _write(self, trace_id: str, page: Page) -> None:
        path = self._folder / f"{trace_id}.html"
        partial = path.with_name(f".{path.name}.part")
        try:
            partial.write_text(page.html(), encoding="utf-8")
            os.replace(partial, path)  # a reader never sees half a page
            self.written += 1
        except OSError as exc:
            self._warn(f"⚠ could not write {path}: {exc.strerror}")

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
