"""Wires the services, their clients and the backends into one running system.

The composition root of the simulated world: each service gets the others only
as clients typed by their interface (``wire.client``), as separate processes
would; the world's state (stock, card limits) comes from the scenario.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from . import wire
from .backends.database import Database
from .backends.kafka import Kafka
from .backends.payment_gateway import PaymentGateway
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
    NO_CREDIT_USER,
    SCENARIOS,
    SOLD_OUT_ITEM,
    Scenario,
    default_order,
)
from .services.base import Runtime
from .services.gateway import ApiGateway, sequential_order_ids
from .services.inventory import InventoryService
from .services.notification import EmailWorker, NotificationService
from .services.order import OrderService
from .services.payment import PaymentService


@dataclass
class System:
    gateway: ApiGateway
    database: Database
    payment_gateway: PaymentGateway
    kafka: Kafka
    email_worker: EmailWorker


def build_system(runtime: Runtime, scenario: Scenario = SCENARIOS["none"],
                 order_ids: Callable[[], str] | None = None, kafka_retention: int = 10_000,
                 kafka_partitions: int = 3) -> System:
    """The world of ``scenario``: its stock and credit are the database's and the gateway's state."""
    database = Database(stock={DEFAULT_ITEM_ID: scenario.item_stock, SOLD_OUT_ITEM: 0})
    payment_gateway = PaymentGateway(credit_limits={DEFAULT_USER_ID: scenario.credit_limit,
                                                    NO_CREDIT_USER: 0.0})
    kafka = Kafka(partitions=kafka_partitions, retention=kafka_retention)
    inventory = wire.client(InventoryAPI, InventoryService(runtime, database))
    payments = wire.client(PaymentAPI, PaymentService(runtime, payment_gateway))
    notifications = wire.client(NotificationAPI, NotificationService(runtime, kafka))
    orders = wire.client(OrderAPI, OrderService(runtime, database, inventory, payments,
                                                notifications))
    gateway = ApiGateway(runtime, orders, order_ids or sequential_order_ids())
    return System(gateway, database, payment_gateway, kafka, EmailWorker(runtime, kafka))


@dataclass(frozen=True)
class OrderOutcome:
    status: int
    body: dict[str, str]
    trace_id: str | None  # from the gateway's traceresponse header; None if not traced
    sampled: bool = False  # the trace was recorded (False: sampled out, or no SDK at all)


def place_order(system: System, order: OrderRequest | None = None,
                headers: dict[str, str] | None = None) -> OrderOutcome:
    """What a client does: POST /api/orders over the wire (optionally with its own traceparent)."""
    request = HttpRequest("POST", "/api/orders", order or default_order())
    return outcome_of(wire.call(system.gateway.handle, request, dict(headers or {})))


def outcome_of(response: HttpResponse) -> OrderOutcome:
    """The gateway's answer, with the trace it names in its ``traceresponse`` header."""
    # traceresponse: 00-<trace id>-<span id>-<flags>
    parts = response.headers.get("traceresponse", "").split("-")
    trace_id = parts[1] if len(parts) == 4 and parts[1].strip("0") else None
    sampled = trace_id is not None and int(parts[3], 16) & 1 == 1
    return OrderOutcome(response.status, response.body, trace_id, sampled)
