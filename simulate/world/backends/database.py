"""A real in-memory SQLite database holding stock and orders.

Statements are parameterised and described once here (text, operation,
collection), so the db.query spans can report them without ever seeing values.
The inventory table is a catalogue of thousands of items with an index on
``item_id``; without it (the slow-query fault) SQLite's own query plan turns the
stock lookup into a full scan, and :meth:`Database.rows_read` says how many rows
a statement reads, so the service can spend the time that scan takes.
"""
from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager, nullcontext
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
INSERT_LINE = Statement("INSERT INTO order_lines (order_id, line_no, item_id) VALUES (?, ?, ?)",
                        "INSERT", "order_lines")

CATALOGUE_ITEMS = 20_000  # rows in the inventory table besides the items the scenarios name

_SCHEMA = """
CREATE TABLE inventory (item_id TEXT NOT NULL, stock INTEGER NOT NULL CHECK (stock >= 0));
CREATE UNIQUE INDEX inventory_item_id ON inventory (item_id);
CREATE TABLE order_lines (order_id TEXT NOT NULL, line_no INTEGER NOT NULL, item_id TEXT NOT NULL);
CREATE TABLE orders (
    order_id TEXT PRIMARY KEY, user_id TEXT NOT NULL, item_id TEXT NOT NULL,
    quantity INTEGER NOT NULL, amount REAL NOT NULL, currency TEXT NOT NULL,
    transaction_id TEXT NOT NULL
);
"""


class Database:
    """One shared in-memory SQLite connection, safe to use from several threads."""

    name = "shop"  # db.namespace

    def __init__(self, stock: dict[str, int], *, indexed: bool = True,
                 table_lock: AbstractContextManager[Any] | None = None):
        """``indexed=False``: the stock index is gone.  ``table_lock``: every write holds this
        lock on its table for the whole transaction (see :meth:`writing`)."""
        self._conn = sqlite3.connect(":memory:", check_same_thread=False, isolation_level=None)
        self._lock = threading.Lock()
        self._table_lock = table_lock
        self._conn.executescript(_SCHEMA)
        # The rest of the catalogue matters only to a query that scans the table (no index):
        # with the index a lookup reads one row whatever the size, and 20,000 inserts would
        # cost every healthy run ~35 ms (bench/fidelity.py's single-run wall time).
        catalogue = () if indexed else ((f"sku-c{n:05d}", 10) for n in range(CATALOGUE_ITEMS))
        self._conn.executemany("INSERT INTO inventory (item_id, stock) VALUES (?, ?)",
                               [*stock.items(), *catalogue])
        if not indexed:
            self._conn.execute("DROP INDEX inventory_item_id")
        self._rows_read: dict[str, int] = {}  # statement text -> rows its plan reads

    def execute(self, statement: Statement, params: Sequence[Any]) -> list[tuple]:
        with self._lock:
            cursor = self._conn.execute(statement.text, tuple(params))
            rows = cursor.fetchall()
            if statement.operation != "SELECT":
                rows = [(cursor.rowcount,)]
            return rows

    def rows_read(self, statement: Statement) -> int:
        """How many rows the statement reads by SQLite's query plan: the whole table for a
        SCAN, one for a SEARCH through an index (the plan is asked once per statement)."""
        known = self._rows_read.get(statement.text)
        if known is None:
            with self._lock:
                plan = self._conn.execute("EXPLAIN QUERY PLAN " + statement.text,
                                          [None] * statement.text.count("?")).fetchall()
                scans = any(row[-1].startswith("SCAN") for row in plan)
                known = (self._conn.execute(f"SELECT COUNT(*) FROM {statement.collection}").fetchone()[0]
                         if scans else 1)
            self._rows_read[statement.text] = known
        return known

    @contextmanager
    def writing(self) -> Iterator[None]:
        """A write transaction: with a table lock, the next writer waits until this one ends."""
        with self._table_lock or nullcontext():
            yield

    def prune_orders(self, keep: int) -> None:
        """Keep only the newest ``keep`` orders: a long load run's memory stays flat."""
        with self._lock:
            self._conn.execute("DELETE FROM orders WHERE rowid <= "
                               "(SELECT MAX(rowid) FROM orders) - ?", (keep,))
            self._conn.execute("DELETE FROM order_lines WHERE rowid <= "
                               "(SELECT MAX(rowid) FROM order_lines) - ?", (keep * 20,))

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
