"""What the services say to each other, and the interfaces they say it through.

Requests and replies are plain frozen dataclasses: what would be a JSON body on
a real network.  Each service's interface is a Protocol, declared once (HotROD's
``interface.go``): callers hold a client typed against it (``wire.client``) and
never the service itself.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol


@dataclass(frozen=True)
class OrderRequest:
    user_id: str
    item_id: str
    quantity: int
    amount: float
    currency: str = "USD"


@dataclass(frozen=True)
class HttpRequest:
    method: str
    path: str
    body: OrderRequest
    scheme: str = "http"
    host: str = "localhost"
    port: int = 8080
    user_agent: str = "ordertrace-client"


@dataclass(frozen=True)
class HttpResponse:
    status: int
    body: dict[str, str]
    headers: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class CreateOrder:
    order_id: str
    user_id: str
    item_id: str
    quantity: int
    amount: float
    currency: str


@dataclass(frozen=True)
class OrderConfirmation:
    order_id: str
    transaction_id: str


@dataclass(frozen=True)
class StockRequest:
    item_id: str
    quantity: int


@dataclass(frozen=True)
class StockStatus:
    item_id: str
    available: int


@dataclass(frozen=True)
class ChargeRequest:
    order_id: str
    user_id: str
    amount: float
    currency: str


@dataclass(frozen=True)
class PaymentReceipt:
    transaction_id: str
    amount: float


@dataclass(frozen=True)
class OrderNotification:
    order_id: str
    user_id: str


# ------------------------------------------------------------------ interfaces

class GatewayAPI(Protocol):
    def handle(self, request: HttpRequest) -> HttpResponse: ...


class OrderAPI(Protocol):
    def create_order(self, order: CreateOrder) -> OrderConfirmation: ...


class InventoryAPI(Protocol):
    def check_stock(self, request: StockRequest) -> StockStatus: ...


class PaymentAPI(Protocol):
    def charge(self, request: ChargeRequest) -> PaymentReceipt: ...


class NotificationAPI(Protocol):
    def order_created(self, note: OrderNotification) -> None: ...


# Where each handler would listen if the services were separate HTTP servers, and what it
# answers on success: (method, path, status).  The CLIENT spans of --client-spans name it.
ROUTES: dict[str, tuple[str, str, int]] = {
    "create_order": ("POST", "/orders", 201),
    "check_stock": ("POST", "/inventory/check", 200),
    "charge": ("POST", "/payments", 201),
    "order_created": ("POST", "/notifications", 202),
}
SERVICE_PORT = 8080
# The same routes by the SERVER span that handles them: what HTTP server instrumentation puts
# on it (http.request.method, http.route, http.response.status_code) and on its metric.
SERVER_ROUTES: dict[str, tuple[str, str, int]] = {
    "create-order": ROUTES["create_order"],
    "check-inventory": ROUTES["check_stock"],
    "process-payment": ROUTES["charge"],
}  # send-notification, the notification handler's span, is the Kafka PRODUCER span
