"""The ceiling: the trace of one order written by hand with the plain OpenTelemetry SDK.

Exactly the spans ordertrace makes for a successful order (the seed's 10-span tree plus
the email worker's CONSUMER span in a trace of its own, linked to send-notification):
same names, kinds, parents, attribute keys and value types, links, resources (one
TracerProvider per service, from ``simulate.tracing.providers.Telemetry``) and explicit
timestamps from the latency profile, with a W3C ``traceparent`` + ``baggage`` inject
into a dict and extract from it at every hop (gateway -> order, order -> inventory,
order -> payment, order -> notification, Kafka record headers -> consumer).  What it
leaves out is everything that is not tracing: no clock, no waiting, no SQLite, no
Kafka, no threads or contexts per call, no service objects.

Spans go through ``ExportPipeline`` with a load run's settings (admission, retry,
10 s timeout), so ``bench/load.py`` compares like with like; ``tests/test_ceiling.py``
checks that these spans match ours key for key.

    python bench/ceiling.py --orders 10000 --endpoint http://127.0.0.1:4317   # prints JSON
    python bench/ceiling.py --orders 10000       # no export: the cost of making the spans
"""
from __future__ import annotations

import argparse
import gc
import json
import resource
import sys
import time
from dataclasses import replace
from pathlib import Path

from opentelemetry import baggage, trace
from opentelemetry.baggage.propagation import W3CBaggagePropagator
from opentelemetry.context import Context
from opentelemetry.propagators.composite import CompositePropagator
from opentelemetry.sdk.trace import ReadableSpan, SpanProcessor
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import Link, SpanKind
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from simulate.runs.common import LOAD_GC_THRESHOLDS  # noqa: E402
from simulate.tracing.destination import LOAD  # noqa: E402
from simulate.tracing.pipeline import ExportPipeline  # noqa: E402
from simulate.tracing.providers import Telemetry  # noqa: E402
from simulate.tracing.settings import resolve  # noqa: E402
from simulate.world.profile import SEED_PROFILE, Profile  # noqa: E402

SPANS_PER_ORDER = 11


def http_server(route: str) -> dict[str, str]:
    """What HTTP server instrumentation puts on a service's handler span."""
    return {"http.request.method": "POST", "http.route": route, "url.path": route, "url.scheme": "http"}
PROPAGATOR = CompositePropagator([TraceContextTextMapPropagator(), W3CBaggagePropagator()])
EMPTY: dict[str, str] = {}

SELECT_STOCK = "SELECT stock FROM inventory WHERE item_id = ?"
INSERT_ORDER = ("INSERT INTO orders (order_id, user_id, item_id, quantity, amount, currency, "
                "transaction_id) VALUES (?, ?, ?, ?, ?, ?, ?)")
PAYMENT_HOST = "api.payment-gateway.example"
TOPIC = "order-notifications"


def schedule(profile: Profile = SEED_PROFILE) -> dict[str, tuple[int, int]]:
    """(start, end) in ns from the order's start, per profile step: own work before,
    between and after the children, as the services spend it."""
    out: dict[str, tuple[int, int]] = {}

    def ns(ms: float) -> int:
        return int(round(ms * 1_000_000))

    def place(key: str, start: int) -> None:
        step = profile[key]
        out[key] = (start, start + ns(step.duration_ms))
        cursor = start + ns(step.lead_ms)
        for i, child in enumerate(step.children):
            cursor += ns(profile.gap_ms(key)) if i else 0
            place(child, cursor)
            cursor += ns(profile[child].duration_ms)

    place(profile.root, 0)
    order_end = out[profile.root][1]  # the worker polls once the order is answered
    out["email.process"] = (order_end, order_end + ns(profile["email.process"].duration_ms))
    return out


def hop(context: Context, carrier: dict[str, str] | None = None) -> Context:
    """One service boundary: inject into headers, extract on the other side."""
    headers: dict[str, str] = {} if carrier is None else carrier
    PROPAGATOR.inject(headers, context=context)
    return PROPAGATOR.extract(headers, context=Context())


class Ceiling:
    """Tracers of the five services and the order's timetable; :meth:`order` makes one trace."""

    def __init__(self, processors: tuple[SpanProcessor, ...] | list[SpanProcessor]):
        self.telemetry = Telemetry(processors)
        self.gateway = self.telemetry.tracer("api-gateway")
        self.orders = self.telemetry.tracer("order-service")
        self.inventory = self.telemetry.tracer("inventory-service")
        self.payments = self.telemetry.tracer("payment-service")
        self.notifications = self.telemetry.tracer("notification-service")
        self.at = schedule()
        self.offset = 0

    def order(self, n: int, t0: int) -> None:
        """The 11 spans of order ``n`` starting at ``t0`` (ns since the epoch)."""
        at = self.at
        order_id, user_id, txn = f"order-{n}", "user-42", f"txn-{n:08d}"
        self.offset += 1
        S, C, I = SpanKind.SERVER, SpanKind.CLIENT, SpanKind.INTERNAL  # noqa: N806, E741

        # API Gateway: continues whatever the client sent (nothing), starts the baggage.
        incoming = PROPAGATOR.extract(EMPTY, context=Context())
        gw = self.gateway.start_span("POST /api/orders", context=incoming, kind=S, attributes={
            "http.request.method": "POST", "http.route": "/api/orders", "url.path": "/api/orders",
            "url.scheme": "http", "server.address": "localhost", "server.port": 8080,
            "user_agent.original": "ordertrace-client"}, start_time=t0 + at["POST /api/orders"][0])
        gw.set_attributes({"order.id": order_id, "user.id": user_id})
        ctx = trace.set_span_in_context(gw, incoming)
        ctx = baggage.set_baggage("order.id", order_id, context=ctx)
        ctx = baggage.set_baggage("user.id", user_id, context=ctx)

        # Order Service
        remote = hop(ctx)
        bag = baggage.get_all(remote)
        co = self.orders.start_span("create-order", context=remote, kind=S, attributes={
            "order.id": order_id, "user.id": bag["user.id"], **http_server("/orders")},
            start_time=t0 + at["create-order"][0])
        octx = trace.set_span_in_context(co, remote)
        span = self.orders.start_span("validate-order", context=octx, kind=I,
                                      start_time=t0 + at["validate-order"][0])
        span.end(end_time=t0 + at["validate-order"][1])

        # Inventory Service, and its query
        remote = hop(octx)
        bag = baggage.get_all(remote)
        ci = self.inventory.start_span("check-inventory", context=remote, kind=S, attributes={
            "inventory.item_id": "sku-1001", "inventory.quantity_requested": 1,
            "order.id": bag["order.id"], "user.id": bag["user.id"], **http_server("/inventory/check")},
            start_time=t0 + at["check-inventory"][0])
        span = self.inventory.start_span("db.query", context=trace.set_span_in_context(ci, remote),
                                         kind=C, attributes={
            "db.system.name": "sqlite", "db.namespace": "shop", "db.query.text": SELECT_STOCK,
            "db.operation.name": "SELECT", "db.collection.name": "inventory",
            "db.query.summary": "SELECT inventory"}, start_time=t0 + at["inventory.db.query"][0])
        span.set_attribute("db.response.returned_rows", 1)
        span.end(end_time=t0 + at["inventory.db.query"][1])
        ci.set_attribute("inventory.quantity_available", 100)
        ci.set_attribute("http.response.status_code", 200)
        ci.end(end_time=t0 + at["check-inventory"][1])

        # Payment Service, and its call to the payment provider (headers injected, not traced there)
        remote = hop(octx)
        bag = baggage.get_all(remote)
        pp = self.payments.start_span("process-payment", context=remote, kind=S, attributes={
            "order.id": order_id, "payment.amount": 99.99, "payment.currency": "USD",
            "user.id": bag["user.id"], **http_server("/payments")}, start_time=t0 + at["process-payment"][0])
        pctx = trace.set_span_in_context(pp, remote)
        span = self.payments.start_span("authorize-payment", context=pctx, kind=C, attributes={
            "http.request.method": "POST", "server.address": PAYMENT_HOST, "server.port": 443,
            "url.full": f"https://{PAYMENT_HOST}/v1/authorizations", "payment.amount": 99.99},
            start_time=t0 + at["authorize-payment"][0])
        PROPAGATOR.inject({}, context=trace.set_span_in_context(span, pctx))
        span.set_attributes({"http.response.status_code": 201, "payment.gateway.decision": "approved",
                             "payment.gateway.response_code": "00", "payment.transaction_id": txn})
        span.end(end_time=t0 + at["authorize-payment"][1])
        pp.set_attribute("payment.transaction_id", txn)
        pp.set_attribute("http.response.status_code", 201)
        pp.end(end_time=t0 + at["process-payment"][1])
        co.set_attribute("payment.transaction_id", txn)

        # Order Service saves the order
        so = self.orders.start_span("save-order", context=octx, kind=I,
                                    attributes={"order.id": order_id}, start_time=t0 + at["save-order"][0])
        span = self.orders.start_span("db.query", context=trace.set_span_in_context(so, octx), kind=C,
                                      attributes={
            "db.system.name": "sqlite", "db.namespace": "shop", "db.query.text": INSERT_ORDER,
            "db.operation.name": "INSERT", "db.collection.name": "orders",
            "db.query.summary": "INSERT orders"}, start_time=t0 + at["orders.db.query"][0])
        span.end(end_time=t0 + at["orders.db.query"][1])
        so.end(end_time=t0 + at["save-order"][1])

        # Notification Service: the Kafka record carries the producer's context in its headers
        remote = hop(octx)
        bag = baggage.get_all(remote)
        sn = self.notifications.start_span("send-notification", context=remote,
                                           kind=SpanKind.PRODUCER, attributes={
            "messaging.system": "kafka", "messaging.operation.type": "send",
            "messaging.operation.name": "send", "messaging.destination.name": TOPIC,
            "messaging.kafka.message.key": order_id, "order.id": order_id, "user.id": bag["user.id"]},
            start_time=t0 + at["send-notification"][0])
        record_headers: dict[str, str] = {}
        PROPAGATOR.inject(record_headers, context=trace.set_span_in_context(sn, remote))
        partition, offset = str(n % 3), self.offset
        message_id = f"{TOPIC}-{partition}-{offset}"
        sn.set_attributes({"messaging.destination.partition.id": partition,
                           "messaging.kafka.offset": offset, "messaging.message.id": message_id,
                           "messaging.message.body.size": 82})
        sn.end(end_time=t0 + at["send-notification"][1])
        co.set_attribute("http.response.status_code", 201)
        co.end(end_time=t0 + at["create-order"][1])
        gw.set_attribute("http.response.status_code", 201)
        gw.end(end_time=t0 + at["POST /api/orders"][1])

        # The email worker, later: a trace of its own, linked to the producer span
        producer = trace.get_current_span(PROPAGATOR.extract(record_headers, context=Context()))
        links = [Link(producer.get_span_context())]
        span = self.notifications.start_span("process order-notifications", context=Context(),
                                              kind=SpanKind.CONSUMER, links=links, attributes={
            "messaging.system": "kafka", "messaging.operation.type": "process",
            "messaging.operation.name": "process", "messaging.destination.name": TOPIC,
            "messaging.consumer.group.name": "email-workers",
            "messaging.destination.partition.id": partition, "messaging.kafka.offset": offset,
            "messaging.kafka.message.key": order_id, "messaging.message.id": message_id,
            "order.id": order_id}, start_time=t0 + at["email.process"][0])
        span.end(end_time=t0 + at["email.process"][1])


def ceiling_spans(orders: int = 1) -> list[ReadableSpan]:
    """The ceiling's spans for ``orders`` orders, captured in memory (for the shape test)."""
    exporter = InMemorySpanExporter()
    ceiling = Ceiling([SimpleSpanProcessor(exporter)])
    t0 = time.time_ns()
    for n in range(orders):
        ceiling.order(1234 + n, t0 + n * 1_000_000)
    ceiling.telemetry.shutdown()
    return list(exporter.get_finished_spans())


def run(orders: int, endpoint: str | None) -> dict:
    """Export ``orders`` orders' spans to ``endpoint`` as a load run would; the numbers as JSON.

    ``wall_s`` is measured like ``main.py``'s load summary: from the first order to the
    last one made (the exporter's backpressure included), before the final flush.
    Without an endpoint the spans are only counted, like ``main.py --no-export``.
    """
    settings = resolve(endpoint=endpoint, env={}).with_default_timeout(10.0)
    if endpoint is None:
        settings = replace(settings, exporters=())
    pipeline = ExportPipeline(settings, LOAD)
    ceiling = Ceiling(pipeline.processors)
    started = time.monotonic()
    t0 = time.time_ns()
    for n in range(orders):
        while not pipeline.has_room():  # the same admission control as a load run
            time.sleep(0.005)
        ceiling.order(n, t0 + n * 1_000_000)  # one order per simulated millisecond
    wall_s = time.monotonic() - started
    pipeline.flush(30.0)
    total_s = time.monotonic() - started
    pipeline.shutdown()
    reports = pipeline.reports()
    return {"orders": orders, "spans": pipeline.created,
            "exported": sum(r.exported for r in reports),
            "failed": sum(r.failed + r.unconfirmed + r.abandoned for r in reports),
            "wall_s": round(wall_s, 3), "total_s": round(total_s, 3),
            "spans_per_s": round(pipeline.created / wall_s, 1) if wall_s else 0.0,
            "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, default=1000)
    parser.add_argument("--gc-like-load", action="store_true",
                        help="the garbage-collector thresholds main.py's load runs use")
    parser.add_argument("--endpoint", help="OTLP/gRPC endpoint, e.g. http://127.0.0.1:4317 "
                                           "(none: spans are only counted, no export)")
    args = parser.parse_args()
    if args.gc_like_load:
        gc.set_threshold(*LOAD_GC_THRESHOLDS)
    print(json.dumps(run(args.orders, args.endpoint)))


if __name__ == "__main__":
    main()
