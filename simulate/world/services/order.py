"""Order Service: orchestrates the order (SERVER span ``create-order``).

Teaches: a SERVER span that continues a remote parent, INTERNAL spans for local
steps (validate-order, save-order), a CLIENT span for a SQL query, calls to
three other services through their clients, and an error propagating up: when
a dependency fails, create-order records it and fails too, and the steps after
the failure never run.  Two exceptions, as real services have them: an
inventory instance that answers 503 is retried (each try its own span), and a
notification that cannot be sent does not fail the order, whose customer has
already paid.  The save runs in a write transaction (which may wait for a
table lock) and writes the order's lines, one statement each when the world's
ORM does so.
"""
from __future__ import annotations

import contextlib
from collections.abc import Mapping

from .. import attributes as attr
from ..backends.database import INSERT_LINE, INSERT_ORDER, Database
from ..errors import InvalidOrderError, ServiceError, ServiceUnavailableError
from ..messages import (
    ChargeRequest,
    CreateOrder,
    InventoryAPI,
    NotificationAPI,
    OrderConfirmation,
    OrderNotification,
    PaymentAPI,
    PaymentReceipt,
    StockRequest,
    StockStatus,
)
from ..profile import ASYNC_PICKUP_MS, INVENTORY_BACKOFF_MS, INVENTORY_TRIES, ORDER_SERVICE
from .base import Operation, Runtime, Service
from .retry import with_retries


class OrderService(Service):
    service_name = ORDER_SERVICE
    display_name = "Order Service"

    def __init__(self, runtime: Runtime, db: Database, inventory: InventoryAPI,
                 payments: PaymentAPI, notifications: NotificationAPI, *,
                 lines_one_by_one: bool = False):
        """``lines_one_by_one``: the order's lines are written one INSERT each."""
        super().__init__(runtime)
        self._lines_one_by_one = lines_one_by_one
        self._db = db
        self._inventory = inventory
        self._payments = payments
        self._notifications = notifications

    def create_order(self, order: CreateOrder, headers: Mapping[str, str]) -> OrderConfirmation:
        with self.operation("create-order", headers=headers, attributes={
                attr.ORDER_ID: order.order_id, attr.USER_ID: order.user_id}) as op:
            self.say("📦", "Processing order...")
            op.call("validate-order", self._validate, order)
            receipt = self._reserve_and_charge(op, order)
            op.set({attr.PAYMENT_TRANSACTION_ID: receipt.transaction_id})
            op.call("save-order", self._save, order, receipt)
            note = OrderNotification(order.order_id, order.user_id)
            if "async" in self.runtime.optimizations:
                # Nobody downstream waits for the email: hand it off and answer now.
                op.detach("send-notification", self._notifications.order_created, note,
                          pickup_ms=ASYNC_PICKUP_MS)
            else:
                # The order is paid for and saved: it stands without its email.
                with contextlib.suppress(ServiceError):
                    op.call("send-notification", self._notifications.order_created, note)
            self.say("✅", f"Order created: {order.order_id}")
            return OrderConfirmation(order.order_id, receipt.transaction_id)

    def _reserve_and_charge(self, op: Operation, order: CreateOrder) -> PaymentReceipt:
        stock = StockRequest(order.item_id, order.quantity)
        charge = ChargeRequest(order.order_id, order.user_id, order.amount, order.currency)
        if "parallel" not in self.runtime.optimizations:
            self._check_stock(op, stock)
            return op.call("process-payment", self._payments.charge, charge)
        # Both calls go out together. If one fails the other is not cancelled: it
        # runs to its end (an out-of-stock order still gets charged, which the trace
        # shows plainly: the price of parallelising without a compensating refund).
        checked, charged = op.call_concurrently([
            ("check-inventory", lambda: self._check_stock(None, stock)),
            ("process-payment", lambda: self._payments.charge(charge))])
        checked.get()  # the first failure, in call order, fails the order
        return charged.get()

    def _check_stock(self, op: Operation | None, stock: StockRequest) -> StockStatus:
        """check-inventory, tried again on a 503; ``op`` None: inside a concurrent branch,
        whose schedule is its own."""
        def attempt(n: int, pause_ms: float) -> StockStatus:
            if op is None:
                self.clock.sleep_ms(pause_ms)
                return self._inventory.check_stock(stock)
            if n == 0:
                return op.call("check-inventory", self._inventory.check_stock, stock)
            return op.repeat("check-inventory", self._inventory.check_stock, stock, pause_ms=pause_ms)

        return with_retries(attempt, ServiceUnavailableError, INVENTORY_TRIES, INVENTORY_BACKOFF_MS)

    def _validate(self, order: CreateOrder) -> None:
        with self.operation("validate-order"):
            if order.quantity <= 0 or order.amount <= 0:
                raise InvalidOrderError(f"order {order.order_id}: quantity and amount must be positive")
            self.say("✓", "Order validated", indent=1)

    def _save(self, order: CreateOrder, receipt: PaymentReceipt) -> None:
        with self.operation("save-order", attributes={attr.ORDER_ID: order.order_id}) as op:
            self.say("💾", "Saving order...", source="Database")
            asked = self.clock.now_ns()
            with self._db.writing():
                op.spend((self.clock.now_ns() - asked) / 1e6)  # the wait for the table, if any
                self.query(op, "orders.db.query", self._db, INSERT_ORDER, (
                    order.order_id, order.user_id, order.item_id, order.quantity, order.amount,
                    order.currency, receipt.transaction_id))
                if self._lines_one_by_one:
                    for line in range(1, order.quantity + 1):
                        self.query(op, "orders.db.query", self._db, INSERT_LINE,
                                   (order.order_id, line, order.item_id), again=True)
            self.say("✓", f"Order {order.order_id} saved", indent=1, source="Database")

