"""Wires the services, their clients and the backends into one running system."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from . import wire
from .backends.database import Database
from .backends.kafka import Kafka
from .backends.payment_gateway import PaymentGateway
from .messages import HttpRequest, HttpResponse, OrderRequest
from .profile import (DEFAULT_AMOUNT, DEFAULT_ITEM_ID, DEFAULT_USER_ID, NO_CREDIT_USER, SCENARIOS,
                      SOLD_OUT_ITEM, Scenario)
from .services.base import Runtime
from .services.gateway import ApiGateway, sequential_order_ids
from .services.inventory import InventoryClient, InventoryService
from .services.notification import EmailWorker, NotificationClient, NotificationService
from .services.order import OrderClient, OrderService
from .services.payment import PaymentClient, PaymentService


@dataclass
class System:
    gateway: ApiGateway
    database: Database
    payment_gateway: PaymentGateway
    kafka: Kafka
    email_worker: EmailWorker


def build_system(runtime: Runtime, scenario: Scenario = SCENARIOS["none"],
                 order_ids: Callable[[], str] | None = None, kafka_retention: int = 10_000) -> System:
    """The world of ``scenario``: its stock and credit are the database's and the gateway's state."""
    database = Database(stock={DEFAULT_ITEM_ID: scenario.item_stock, SOLD_OUT_ITEM: 0})
    payment_gateway = PaymentGateway(credit_limits={DEFAULT_USER_ID: scenario.credit_limit,
                                                    NO_CREDIT_USER: 0.0})
    kafka = Kafka(retention=kafka_retention)
    inventory = InventoryService(runtime, database)
    payments = PaymentService(runtime, payment_gateway)
    notifications = NotificationService(runtime, kafka)
    orders = OrderService(runtime, database, InventoryClient(inventory), PaymentClient(payments),
                          NotificationClient(notifications))
    gateway = ApiGateway(runtime, OrderClient(orders), order_ids or sequential_order_ids())
    return System(gateway, database, payment_gateway, kafka, EmailWorker(runtime, kafka))


def default_order(scenario: str = "none") -> OrderRequest:
    """The seed's order; in a load run, the failure scenarios pick the sold-out item or the
    card with no limit, so the world's state decides, as in a single run."""
    return OrderRequest(user_id=NO_CREDIT_USER if scenario == "payment" else DEFAULT_USER_ID,
                        item_id=SOLD_OUT_ITEM if scenario == "inventory" else DEFAULT_ITEM_ID,
                        quantity=1, amount=DEFAULT_AMOUNT)


@dataclass(frozen=True)
class OrderOutcome:
    status: int
    body: dict
    trace_id: str | None  # from the gateway's traceresponse header; None if not traced


def place_order(system: System, order: OrderRequest | None = None,
                headers: dict[str, str] | None = None) -> OrderOutcome:
    """What a client does: POST /api/orders over the wire (optionally with its own traceparent)."""
    request = HttpRequest("POST", "/api/orders", order or default_order())
    response: HttpResponse = wire.call(system.gateway.handle, request, dict(headers or {}))
    trace_id = response.headers.get("traceresponse", "").split("-")[1:2]
    valid = trace_id and trace_id[0].strip("0")
    return OrderOutcome(response.status, response.body, trace_id[0] if valid else None)
