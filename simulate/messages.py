"""Requests and replies exchanged between services (the services' interfaces).

Plain frozen dataclasses: what would be a JSON body on a real network.
"""
from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class HttpRequest:
    method: str
    path: str
    body: "OrderRequest"
    scheme: str = "http"
    host: str = "localhost"
    port: int = 8080
    user_agent: str = "ordertrace-client"


@dataclass(frozen=True)
class HttpResponse:
    status: int
    body: dict
    headers: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class OrderRequest:
    user_id: str
    item_id: str
    quantity: int
    amount: float
    currency: str = "USD"


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
