"""Order Service: orchestrates the order (SERVER span ``create-order``).

Teaches: a SERVER span that continues a remote parent, INTERNAL spans for local
steps (validate-order, save-order), a CLIENT span for a SQL query, calls to
three other services through their clients, and an error propagating up: when
a dependency fails, create-order records it and fails too, and the steps after
the failure never run.
"""
from __future__ import annotations

from typing import Mapping

from .. import attributes as attr
from .. import wire
from ..backends.database import INSERT_ORDER, Database
from ..errors import InvalidOrderError
from ..messages import (ChargeRequest, CreateOrder, OrderConfirmation, OrderNotification,
                        PaymentReceipt, StockRequest)
from ..profile import ORDER_SERVICE
from .base import Runtime, Service
from .inventory import InventoryClient
from .notification import NotificationClient
from .payment import PaymentClient


class OrderService(Service):
    service_name = ORDER_SERVICE
    display_name = "Order Service"

    def __init__(self, runtime: Runtime, db: Database, inventory: InventoryClient,
                 payments: PaymentClient, notifications: NotificationClient):
        super().__init__(runtime)
        self._db = db
        self._inventory = inventory
        self._payments = payments
        self._notifications = notifications

    def create_order(self, order: CreateOrder, headers: Mapping[str, str]) -> OrderConfirmation:
        with self.operation("create-order", headers=headers, attributes={
                attr.ORDER_ID: order.order_id, attr.USER_ID: order.user_id}) as op:
            self.say("📦", "Processing order...")
            op.call(self._validate, order)
            op.call(self._inventory.check_stock, StockRequest(order.item_id, order.quantity))
            receipt = op.call(self._payments.charge, ChargeRequest(
                order.order_id, order.user_id, order.amount, order.currency))
            op.set({attr.PAYMENT_TRANSACTION_ID: receipt.transaction_id})
            op.call(self._save, order, receipt)
            op.call(self._notifications.order_created, OrderNotification(order.order_id, order.user_id))
            self.say("✅", f"Order created: {order.order_id}")
            return OrderConfirmation(order.order_id, receipt.transaction_id)

    def _validate(self, order: CreateOrder) -> None:
        with self.operation("validate-order"):
            if order.quantity <= 0 or order.amount <= 0:
                raise InvalidOrderError(f"order {order.order_id}: quantity and amount must be positive")
            self.say("✓", "Order validated", indent=1)

    def _save(self, order: CreateOrder, receipt: PaymentReceipt) -> None:
        with self.operation("save-order", attributes={attr.ORDER_ID: order.order_id}) as op:
            self.say("💾", "Saving order...", source="Database")
            op.call(self.query, "orders.db.query", self._db, INSERT_ORDER, (
                order.order_id, order.user_id, order.item_id, order.quantity, order.amount,
                order.currency, receipt.transaction_id))
            self.say("✓", f"Order {order.order_id} saved", indent=1, source="Database")


class OrderClient:
    """How the gateway reaches the Order Service: a request and headers, nothing else."""

    def __init__(self, server: OrderService):
        self._server = server

    def create_order(self, order: CreateOrder) -> OrderConfirmation:
        return wire.call(self._server.create_order, order)
