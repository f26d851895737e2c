"""Wires the services, their clients and the backends into one running system.

The composition root of the simulated world: each service gets the others only
as clients typed by their interface (``wire.client``), as separate processes
would; the world's state (stock, card limits, an index, a lock, a broker that is
down, a consumer's backlog...) comes from the scenario.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace

from . import wire
from .backends.database import Database
from .backends.kafka import Kafka
from .backends.payment_gateway import PaymentGateway
from .client_spans import around_for
from .messages import (
    HttpRequest,
    HttpResponse,
    InventoryAPI,
    NotificationAPI,
    OrderAPI,
    OrderRequest,
    PaymentAPI,
)
from .scenarios import (
    DEFAULT_ITEM_ID,
    DEFAULT_USER_ID,
    INVENTORY_REPLICAS,
    NO_CREDIT_USER,
    SCENARIOS,
    SOLD_OUT_ITEM,
    Scenario,
    default_order,
)
from .services.base import Runtime
from .services.gateway import ApiGateway, sequential_order_ids
from .services.inventory import InventoryService
from .services.notification import EmailWorker, NotificationService, stalled_backlog
from .services.order import OrderService
from .services.payment import PaymentService


@dataclass
class System:
    gateway: ApiGateway
    database: Database
    payment_gateway: PaymentGateway
    kafka: Kafka
    email_worker: EmailWorker
    scenario: Scenario = SCENARIOS["none"]


def build_system(runtime: Runtime, scenario: Scenario = SCENARIOS["none"],
                 order_ids: Callable[[], str] | None = None, kafka_retention: int = 10_000,
                 kafka_partitions: int = 3) -> System:
    """The world of ``scenario``: its stock and credit are the database's and the gateway's state."""
    database = Database(stock={DEFAULT_ITEM_ID: scenario.item_stock, SOLD_OUT_ITEM: 0},
                        indexed=scenario.stock_indexed,
                        table_lock=runtime.clock.lock() if scenario.table_lock else None)
    payment_gateway = PaymentGateway(credit_limits={DEFAULT_USER_ID: scenario.credit_limit,
                                                    NO_CREDIT_USER: 0.0},
                                     answering=scenario.gateway_answers)
    kafka = Kafka(partitions=kafka_partitions, retention=max(kafka_retention, scenario.consumer_backlog),
                  available=scenario.kafka_up)
    stalled_backlog(kafka, scenario.consumer_backlog)
    by_orders = around_for(runtime, OrderService.service_name)  # --client-spans, else None
    inventory = wire.client(InventoryAPI, InventoryService(
        runtime, database, INVENTORY_REPLICAS, scenario.inventory_broken_replicas), by_orders)
    payments = wire.client(PaymentAPI, PaymentService(runtime, payment_gateway), by_orders)
    notifications = wire.client(NotificationAPI, NotificationService(runtime, kafka), by_orders)
    orders = wire.client(OrderAPI, OrderService(runtime, database, inventory, payments,
                                                notifications,
                                                lines_one_by_one=scenario.lines_one_by_one),
                         around_for(runtime, ApiGateway.service_name))
    gateway = ApiGateway(runtime, orders, order_ids or sequential_order_ids())
    return System(gateway, database, payment_gateway, kafka, EmailWorker(runtime, kafka), scenario)


@dataclass(frozen=True)
class OrderOutcome:
    status: int
    body: dict[str, str]
    trace_id: str | None  # from the gateway's traceresponse header; None if not traced
    sampled: bool = False  # the trace was recorded (False: sampled out, or no SDK at all)


def place_order(system: System, order: OrderRequest | None = None,
                headers: dict[str, str] | None = None) -> OrderOutcome:
    """What a client does: POST /api/orders over the wire (optionally with its own traceparent)."""
    # The seed's order, with as many units as the world's scenario orders.
    order = order or replace(default_order(), quantity=system.scenario.quantity)
    request = HttpRequest("POST", "/api/orders", order)
    return outcome_of(wire.call(system.gateway.handle, request, dict(headers or {})))


def outcome_of(response: HttpResponse) -> OrderOutcome:
    """The gateway's answer, with the trace it names in its ``traceresponse`` header."""
    # traceresponse: 00-<trace id>-<span id>-<flags>
    parts = response.headers.get("traceresponse", "").split("-")
    trace_id = parts[1] if len(parts) == 4 and parts[1].strip("0") else None
    sampled = trace_id is not None and int(parts[3], 16) & 1 == 1
    return OrderOutcome(response.status, response.body, trace_id, sampled)
