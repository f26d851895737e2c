"""Inventory Service: is the item in stock? (SERVER span ``check-inventory``).

Teaches: a SERVER span in its own service, a CLIENT span for a real SQL query
(``db.query``: db.system.name, db.query.text with placeholders), and the seed's
first failure scenario: stock 0 in the database makes check-inventory record
the exception and fail with status ERROR.  With ``--optimize cache`` the stock
comes from a warm in-memory cache: the span says so (inventory.cache.hit) and
the db.query span disappears, which is how a trace proves a cache works.
The service runs as two instances called in turn; a broken one answers 503
before it reads anything (the flaky-inventory fault), and the caller retries.
"""
from __future__ import annotations

import itertools
from collections.abc import Mapping

from .. import attributes as attr
from ..backends.database import SELECT_STOCK, Database
from ..errors import OutOfStockError, ServiceUnavailableError
from ..messages import StockRequest, StockStatus
from ..profile import INVENTORY_SERVICE
from .base import Runtime, Service


class InventoryService(Service):
    service_name = INVENTORY_SERVICE
    display_name = "Inventory Service"

    def __init__(self, runtime: Runtime, db: Database, instances: int = 1, broken: int = 0):
        """``instances`` called in turn, the first ``broken`` of them unable to serve."""
        super().__init__(runtime)
        self._db = db
        self._instances, self._broken = instances, broken
        self._turn = itertools.count()  # which instance the next call reaches (thread-safe)
        # --optimize cache: stock levels served from memory, warmed from the
        # database's real state (so an out-of-stock item is still out of stock).
        self._cache: dict[str, int] | None = (db.stock_levels() if "cache" in runtime.optimizations
                                              else None)

    def check_stock(self, request: StockRequest, headers: Mapping[str, str]) -> StockStatus:
        with self.operation("check-inventory", headers=headers, attributes={
                attr.INVENTORY_ITEM_ID: request.item_id,
                attr.INVENTORY_QUANTITY: request.quantity}) as op:
            self.say("📊", "Checking stock...")
            instance = next(self._turn) % self._instances
            if instance < self._broken:
                raise ServiceUnavailableError(f"instance {instance + 1} of {self._instances} "
                                              "cannot serve requests")
            if self._cache is not None:
                available = self._cache.get(request.item_id, 0)
                op.set({attr.INVENTORY_CACHE_HIT: request.item_id in self._cache})
            else:
                rows = self.query(op, "inventory.db.query", self._db, SELECT_STOCK,
                                  (request.item_id,))
                available = rows[0][0] if rows else 0
            op.set({attr.INVENTORY_AVAILABLE: available})
            if available < request.quantity:
                self.say("❌", "Out of stock")
                raise OutOfStockError(f"Out of stock: {request.item_id} has {available}, "
                                      f"{request.quantity} requested")
            self.say("✓", "Stock available", indent=1)
            return StockStatus(request.item_id, available)

