"""The metrics a dashboard of this system would show, recorded as each span ends.

Each service's MeterProvider gets the semantic-convention instruments that HTTP, database
and messaging instrumentation record, with the names, units and attributes of the
``opentelemetry-semantic-conventions`` package, and the bucket boundaries the conventions
advise: ``http.server.request.duration`` for every SERVER span, ``http.client.request.duration``
for every HTTP CLIENT span (the payment gateway; calls between services with
``--client-spans``), ``db.client.operation.duration`` for every query,
``messaging.client.sent.messages`` and ``messaging.client.operation.duration`` for the
Kafka send, ``messaging.process.duration`` for the consumer; and one business counter,
``ordertrace.orders`` by outcome.

Recorded from the ended span, so a metric and its span can never disagree (the load
summary's latency rows come from the same spans, see histogram.py), and each measurement
carries the span's context: with the SDK's default trace-based exemplar filter, a bucket
keeps an exemplar pointing at a sampled trace that fell into it, so a slow bucket leads
to its trace.  Until the metric exporters are built (on their own thread) spans wait in a
bounded list, then are recorded in order: nothing is measured on an order's path.
"""
from __future__ import annotations

import threading
import time
from collections.abc import Callable, Mapping
from typing import Any

from opentelemetry import trace
from opentelemetry.context import Context
from opentelemetry.metrics import Counter, Histogram, Meter
from opentelemetry.sdk.trace import ReadableSpan, SpanProcessor
from opentelemetry.semconv._incubating.metrics.messaging_metrics import (
    MESSAGING_CLIENT_OPERATION_DURATION,
    MESSAGING_CLIENT_SENT_MESSAGES,
    MESSAGING_PROCESS_DURATION,
)
from opentelemetry.semconv.attributes.error_attributes import ERROR_TYPE
from opentelemetry.semconv.attributes.http_attributes import (
    HTTP_REQUEST_METHOD,
    HTTP_RESPONSE_STATUS_CODE,
    HTTP_ROUTE,
)
from opentelemetry.semconv.attributes.server_attributes import SERVER_ADDRESS, SERVER_PORT
from opentelemetry.semconv.attributes.service_attributes import SERVICE_NAME
from opentelemetry.semconv.attributes.url_attributes import URL_SCHEME
from opentelemetry.semconv.metrics.db_metrics import DB_CLIENT_OPERATION_DURATION
from opentelemetry.semconv.metrics.http_metrics import (
    HTTP_CLIENT_REQUEST_DURATION,
    HTTP_SERVER_REQUEST_DURATION,
)
from opentelemetry.trace import NonRecordingSpan, SpanKind, StatusCode

# Attribute keys as the conventions name them (strings where the stable package has none).
DB_KEYS = ("db.system.name", "db.namespace", "db.operation.name", "db.collection.name",
           "db.query.summary")
MESSAGING_KEYS = ("messaging.system", "messaging.operation.name", "messaging.operation.type",
                  "messaging.destination.name")
SERVER_KEYS = (HTTP_REQUEST_METHOD, URL_SCHEME, HTTP_ROUTE, HTTP_RESPONSE_STATUS_CODE)
CLIENT_KEYS = (HTTP_REQUEST_METHOD, SERVER_ADDRESS, SERVER_PORT, HTTP_RESPONSE_STATUS_CODE)
ORDERS = "ordertrace.orders"
ORDER_OUTCOME = "ordertrace.order.outcome"
# The conventions' advised boundaries, in seconds.
HTTP_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10)
DB_BUCKETS = (0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 10)
WAITING_LIMIT = 100_000  # spans held until the exporters are ready; beyond, not measured


class Instruments:
    """One service's instruments, made on its own MeterProvider."""

    def __init__(self, meter: Meter):
        def histogram(name: str, description: str, buckets: tuple[float, ...]) -> Histogram:
            return meter.create_histogram(name, unit="s", description=description,
                                          explicit_bucket_boundaries_advisory=buckets)

        self.server = histogram(HTTP_SERVER_REQUEST_DURATION, "Duration of HTTP server requests.",
                                HTTP_BUCKETS)
        self.client = histogram(HTTP_CLIENT_REQUEST_DURATION, "Duration of HTTP client requests.",
                                HTTP_BUCKETS)
        self.db = histogram(DB_CLIENT_OPERATION_DURATION, "Duration of database client operations.",
                            DB_BUCKETS)
        self.send = histogram(MESSAGING_CLIENT_OPERATION_DURATION,
                              "Duration of messaging operation initiated by a producer or consumer client.",
                              HTTP_BUCKETS)
        self.process = histogram(MESSAGING_PROCESS_DURATION, "Duration of processing operation.",
                                 HTTP_BUCKETS)
        self.sent: Counter = meter.create_counter(MESSAGING_CLIENT_SENT_MESSAGES, unit="{message}",
                                                  description="Number of messages producer attempted "
                                                              "to send to the broker.")
        self.orders: Counter = meter.create_counter(ORDERS, unit="{order}",
                                                    description="Orders placed, by outcome.")


def _pick(attributes: Mapping[str, Any], keys: tuple[str, ...]) -> dict[str, Any]:
    return {key: attributes[key] for key in keys if key in attributes}


def _failed(span: ReadableSpan, attributes: Mapping[str, Any], found: dict[str, Any]) -> dict[str, Any]:
    """``error.type`` as the conventions ask: the span's own, else the status code (5xx on a
    server, any 4xx/5xx on a client), else the span's ERROR status."""
    if ERROR_TYPE in attributes:
        found[ERROR_TYPE] = attributes[ERROR_TYPE]
    elif span.status.status_code is StatusCode.ERROR:
        found[ERROR_TYPE] = str(attributes.get(HTTP_RESPONSE_STATUS_CODE, "_OTHER"))
    return found


class SpanMetrics(SpanProcessor):
    def __init__(self, meter: Callable[[str], Meter], outcomes: Mapping[int, str],
                 order_route: str = "/api/orders"):
        self._meter = meter
        self._outcomes = outcomes
        self._order_route = order_route
        self._instruments: dict[str, Instruments] = {}
        self._waiting: list[ReadableSpan] = []
        self._ready = False
        self._lock = threading.Lock()
        self.not_measured = 0  # spans beyond WAITING_LIMIT before the exporters were ready

    def start_when(self, ready: Callable[[], None]) -> None:
        """On a thread: wait with ``ready()``, then record the spans that waited."""
        def run() -> None:
            ready()
            while True:
                with self._lock:
                    waiting, self._waiting = self._waiting, []
                    if not waiting:
                        self._ready = True
                        return
                for span in waiting:
                    self._record(span)

        threading.Thread(target=run, name="ordertrace-metrics-ready", daemon=True).start()

    def wait_ready(self, timeout_s: float) -> bool:
        deadline = time.monotonic() + timeout_s
        while not self._ready and time.monotonic() < deadline:
            time.sleep(0.005)
        return self._ready

    def on_end(self, span: ReadableSpan) -> None:
        if not self._ready:
            with self._lock:
                if not self._ready:
                    if len(self._waiting) < WAITING_LIMIT:
                        self._waiting.append(span)
                    else:
                        self.not_measured += 1
                    return
        self._record(span)

    def _instruments_of(self, service: str) -> Instruments:
        found = self._instruments.get(service)
        if found is None:
            with self._lock:  # once per service: the load run's threads may race here
                found = self._instruments.get(service)
                if found is None:
                    found = self._instruments[service] = Instruments(self._meter(service))
        return found

    def _record(self, span: ReadableSpan) -> None:
        if span.end_time is None or span.start_time is None:
            return
        attributes = span.attributes or {}
        service = str(span.resource.attributes.get(SERVICE_NAME, ""))
        seconds = (span.end_time - span.start_time) / 1e9
        context: Context | None = (trace.set_span_in_context(NonRecordingSpan(span.context))
                                   if span.context is not None else None)
        kind = span.kind
        at = self._instruments_of(service)
        if kind is SpanKind.SERVER and HTTP_REQUEST_METHOD in attributes:
            found = _pick(attributes, SERVER_KEYS)
            at.server.record(seconds, _failed(span, attributes, found), context=context)
            status = attributes.get(HTTP_RESPONSE_STATUS_CODE)
            if attributes.get(HTTP_ROUTE) == self._order_route and isinstance(status, int):
                outcome = self._outcomes.get(status, "error")
                at.orders.add(1, {ORDER_OUTCOME: outcome, HTTP_RESPONSE_STATUS_CODE: status},
                              context=context)
        elif kind is SpanKind.CLIENT and HTTP_REQUEST_METHOD in attributes:
            found = _pick(attributes, CLIENT_KEYS)
            at.client.record(seconds, _failed(span, attributes, found), context=context)
        elif kind is SpanKind.CLIENT and DB_KEYS[0] in attributes:
            at.db.record(seconds, _failed(span, attributes, _pick(attributes, DB_KEYS)), context=context)
        elif kind is SpanKind.PRODUCER and MESSAGING_KEYS[0] in attributes:
            found = _failed(span, attributes, _pick(attributes, MESSAGING_KEYS))
            at.sent.add(1, found, context=context)
            at.send.record(seconds, found, context=context)
        elif kind is SpanKind.CONSUMER and attributes.get("messaging.operation.type") == "process":
            at.process.record(seconds, _failed(span, attributes, _pick(attributes, MESSAGING_KEYS)),
                              context=context)
