"""The seed's example order and its two failure scenarios, as state of the world.

A failure is not a flag inside a span: ``--fail inventory`` puts a stock of 0 in
the database and ``--fail payment`` gives the card a limit of 0 at the payment
gateway; the services then fail for real.  Load runs mix the scenarios into one
world that always holds a sold-out item and a card with no limit.
"""
from __future__ import annotations

from dataclasses import dataclass

from .messages import OrderRequest


@dataclass(frozen=True)
class Scenario:
    name: str
    description: str
    item_stock: int = 100  # stock of the ordered item in the database
    credit_limit: float = 10_000.0  # what the payment gateway will authorise for the user


SCENARIOS: dict[str, Scenario] = {
    "none": Scenario("none", "a successful order"),
    "inventory": Scenario("inventory", "out of stock: the item's stock is 0", item_stock=0),
    "payment": Scenario("payment", "payment declined: the card's credit limit is 0", credit_limit=0.0),
}
FAILURES = tuple(name for name in SCENARIOS if name != "none")

SOLD_OUT_ITEM = "sku-0000"  # stock 0, always
NO_CREDIT_USER = "user-0"  # card limit 0, always

# The seed's example order.
DEFAULT_USER_ID = "user-42"
DEFAULT_ITEM_ID = "sku-1001"
DEFAULT_AMOUNT = 99.99


def default_order(scenario: str = "none") -> OrderRequest:
    """The seed's order; in a load run, the failure scenarios pick the sold-out item or the
    card with no limit, so the world's state decides, as in a single run."""
    return OrderRequest(user_id=NO_CREDIT_USER if scenario == "payment" else DEFAULT_USER_ID,
                        item_id=SOLD_OUT_ITEM if scenario == "inventory" else DEFAULT_ITEM_ID,
                        quantity=1, amount=DEFAULT_AMOUNT)
