"""A real in-memory SQLite database holding stock and orders.

Statements are parameterised and described once here (text, operation,
collection), so the db.query spans can report them without ever seeing values.
"""
from __future__ import annotations

import sqlite3
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Statement:
    text: str  # with ? placeholders: safe to record as db.query.text
    operation: str  # db.operation.name
    collection: str  # db.collection.name


SELECT_STOCK = Statement("SELECT stock FROM inventory WHERE item_id = ?", "SELECT", "inventory")
INSERT_ORDER = Statement(
    "INSERT INTO orders (order_id, user_id, item_id, quantity, amount, currency, transaction_id) "
    "VALUES (?, ?, ?, ?, ?, ?, ?)",
    "INSERT", "orders")

_SCHEMA = """
CREATE TABLE inventory (item_id TEXT PRIMARY KEY, stock INTEGER NOT NULL CHECK (stock >= 0));
CREATE TABLE orders (
    order_id TEXT PRIMARY KEY, user_id TEXT NOT NULL, item_id TEXT NOT NULL,
    quantity INTEGER NOT NULL, amount REAL NOT NULL, currency TEXT NOT NULL,
    transaction_id TEXT NOT NULL
);
"""


class Database:
    """One shared in-memory SQLite connection, safe to use from several threads."""

    name = "shop"  # db.namespace

    def __init__(self, stock: dict[str, int]):
        self._conn = sqlite3.connect(":memory:", check_same_thread=False, isolation_level=None)
        self._lock = threading.Lock()
        self._conn.executescript(_SCHEMA)
        self._conn.executemany("INSERT INTO inventory (item_id, stock) VALUES (?, ?)", stock.items())

    def execute(self, statement: Statement, params: Sequence[Any]) -> list[tuple]:
        with self._lock:
            cursor = self._conn.execute(statement.text, tuple(params))
            rows = cursor.fetchall()
            if statement.operation != "SELECT":
                rows = [(cursor.rowcount,)]
            return rows

    def prune_orders(self, keep: int) -> None:
        """Keep only the newest ``keep`` orders: a long load run's memory stays flat."""
        with self._lock:
            self._conn.execute("DELETE FROM orders WHERE rowid <= "
                               "(SELECT MAX(rowid) FROM orders) - ?", (keep,))

    def stock_levels(self) -> dict[str, int]:
        """Every item's stock, to warm a cache."""
        with self._lock:
            return dict(self._conn.execute("SELECT item_id, stock FROM inventory").fetchall())

    def find_order(self, order_id: str) -> dict[str, Any] | None:
        """A saved order, column by column (``serve``'s GET /api/orders/{id}); None if absent."""
        with self._lock:
            cursor = self._conn.execute("SELECT * FROM orders WHERE order_id = ?", (order_id,))
            row = cursor.fetchone()
            return dict(zip((c[0] for c in cursor.description), row)) if row else None

    def count_orders(self) -> int:
        with self._lock:
            return self._conn.execute("SELECT COUNT(*) FROM orders").fetchone()[0]

    def close(self) -> None:
        self._conn.close()
