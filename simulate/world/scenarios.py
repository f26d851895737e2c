"""The seed's example order and the fault catalogue, each fault as state of the world.

A failure is not a flag inside a span: ``--fail inventory`` puts a stock of 0 in
the database, ``--fail slow-query`` drops the stock index, ``--fail kafka-down``
takes the broker away; the services then behave as they would, and only their
timing, retries and errors show it.  No span, attribute, event or log line names
a fault: the incident drill (``main.py drill``) would be pointless otherwise.
Load runs mix the scenarios: the two seed failures pick the sold-out item or the
card with no limit in the healthy world; any other fault's orders go to a world
of its own.
"""
from __future__ import annotations

from dataclasses import dataclass

from ..i18n import N_
from .messages import OrderRequest
from .profile import INVENTORY_SERVICE, NOTIFICATION_SERVICE, ORDER_SERVICE, PAYMENT_SERVICE


@dataclass(frozen=True)
class Scenario:
    name: str
    description: str  # what the world does (English; translated where shown)
    service: str = ""  # the service at fault ("" for none)
    looks: str = ""  # what it looks like in a trace
    lesson: str = ""  # what it teaches, in a few words
    needs_load: bool = False  # only shows when orders overlap
    item_stock: int = 100  # stock of the ordered item in the database
    credit_limit: float = 10_000.0  # what the payment gateway will authorise for the user
    stock_indexed: bool = True  # False: the stock lookup has no index (a full scan)
    table_lock: bool = False  # every save holds a lock on the orders table
    gateway_answers: bool = True  # False: the payment gateway takes requests and never answers
    inventory_broken_replicas: int = 0  # of INVENTORY_REPLICAS, answering 503
    kafka_up: bool = True
    consumer_backlog: int = 0  # records waiting before the order's, for a consumer that stalled
    lines_one_by_one: bool = False  # the order's lines saved one INSERT each (the ORM's N+1)
    quantity: int = 1  # units in the order

    @property
    def answer(self) -> str:
        """``SERVICE:FAULT`` as the drill's ``--answer`` takes it; ``none`` when nothing is wrong."""
        return f"{self.service}:{self.name}" if self.service else "none"


INVENTORY_REPLICAS = 2  # the inventory service's instances, called in turn
CONSUMER_BACKLOG = 300  # records a stalled consumer has to work through first (20 ms each)
ORDER_LINES = 12  # units in the n-plus-one scenario's order, one line each

SCENARIOS: dict[str, Scenario] = {s.name: s for s in (
    Scenario("none", N_("a successful order")),
    Scenario("inventory", N_("out of stock: the item's stock is 0 in the database"),
             INVENTORY_SERVICE, N_("check-inventory fails (OutOfStockError), the gateway answers 409"),
             N_("where a failure starts"), item_stock=0),
    Scenario("payment", N_("payment declined: the card's credit limit is 0 at the payment gateway"),
             PAYMENT_SERVICE, N_("authorize-payment answers 402 with decline code 51, process-payment "
                                 "fails, the gateway answers 402"),
             N_("the downstream response is in the trace"), credit_limit=0.0),
    Scenario("slow-query", N_("the stock lookup lost its index: SQLite scans the whole inventory "
                              "table"),
             INVENTORY_SERVICE, N_("db.query under check-inventory takes hundreds of milliseconds; "
                                   "no error anywhere"),
             N_("slow is not broken: read the durations"), stock_indexed=False),
    Scenario("db-lock", N_("every save holds a lock on the orders table, so concurrent orders "
                           "queue behind each other"),
             ORDER_SERVICE, N_("under load save-order waits before its db.query starts; the query "
                               "itself is as fast as ever"),
             N_("the wait is in the gap, not in a span"), needs_load=True, table_lock=True),
    Scenario("gateway-timeout", N_("the payment gateway stops answering: the payment service times "
                                   "out and retries with backoff"),
             PAYMENT_SERVICE, N_("several authorize-payment CLIENT spans, each as long as the "
                                 "timeout, then 504"),
             N_("a timeout costs the timeout, times the tries"), gateway_answers=False),
    Scenario("flaky-inventory", N_("one of the inventory service's two instances answers 503; the "
                                   "order service retries"),
             INVENTORY_SERVICE, N_("check-inventory twice under create-order: a red one, then a "
                                   "good one; the order still succeeds"),
             N_("retries multiply load"), inventory_broken_replicas=1),
    Scenario("kafka-down", N_("the Kafka broker is gone: the notification cannot be published"),
             NOTIFICATION_SERVICE, N_("send-notification is red, the order still answers 201, no "
                                      "email worker trace follows"),
             N_("a failure that does not fail the request"), kafka_up=False),
    Scenario("consumer-lag", N_("the email consumer stalled and has a backlog of messages to work "
                                "through first"),
             NOTIFICATION_SERVICE, N_("process order-notifications starts seconds after the order: "
                                      "the link shows the gap"),
             N_("asynchronous work has its own latency"), consumer_backlog=CONSUMER_BACKLOG),
    Scenario("n-plus-one", N_("the order's lines are saved one INSERT per line instead of one "
                              "statement"),
             ORDER_SERVICE, N_("save-order holds a row of identical sibling db.query spans"),
             N_("the N+1 shape"), lines_one_by_one=True, quantity=ORDER_LINES),
)}
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
                        quantity=SCENARIOS[scenario].quantity, amount=DEFAULT_AMOUNT)


def world_of(scenario: str) -> Scenario:
    """The world an order of ``scenario`` runs in when scenarios are mixed: the seed's two
    failures are the healthy world's own sold-out item and empty card."""
    return SCENARIOS["none" if scenario in ("inventory", "payment") else scenario]

