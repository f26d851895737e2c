"""The seed's latency profile and failure scenarios, as data.

Every duration in the simulation comes from here: the services only name the
operation they perform (``"check-inventory"``) and the shared operation runner
looks its timing up.  A span's own work (its duration minus its children's) is
split into a *lead* before the first child, equal *gaps* between children and a
*tail* after the last one, so every duration in the seed's trace view holds.
"""
from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field, replace

from opentelemetry.trace import SpanKind


@dataclass(frozen=True)
class Step:
    """One span of the order flow and how its time is spent."""

    key: str  # unique key; two steps share the span name "db.query"
    span_name: str
    service: str  # resource service.name of the service that emits the span
    kind: SpanKind
    duration_ms: float
    lead_ms: float = 0.0  # own work before the first child
    tail_ms: float = 0.0  # own work after the last child
    children: tuple[str, ...] = ()

    @property
    def is_leaf(self) -> bool:
        return not self.children


@dataclass(frozen=True)
class Schedule:
    """How a step spends its own time, in nanoseconds: computed once per profile, not per span."""

    duration_ns: int
    lead_ns: int  # before the first child (a leaf: its whole duration)
    gap_ns: int  # between two children
    tail_ns: int  # after the last child
    lead_ms: float
    gap_ms: float
    tail_ms: float


def _ns(ms: float) -> int:
    return int(round(ms * 1_000_000))


@dataclass(frozen=True)
class Profile:
    """The span tree of one order with its nominal timings."""

    root: str
    steps: Mapping[str, Step] = field(default_factory=dict)

    def __post_init__(self) -> None:
        schedules = {}
        for key, step in self.steps.items():
            lead = step.duration_ms if step.is_leaf else step.lead_ms
            gap = 0.0 if step.is_leaf else self.gap_ms(key)
            tail = 0.0 if step.is_leaf else step.tail_ms
            schedules[key] = Schedule(_ns(step.duration_ms), _ns(lead), _ns(gap), _ns(tail),
                                      lead, gap, tail)
        object.__setattr__(self, "_schedules", schedules)  # derived, frozen with the profile

    def schedule(self, key: str) -> Schedule:
        return self._schedules[key]  # type: ignore[attr-defined]

    def __getitem__(self, key: str) -> Step:
        return self.steps[key]

    def self_ms(self, key: str) -> float:
        step = self.steps[key]
        return step.duration_ms - sum(self.steps[c].duration_ms for c in step.children)

    def gap_ms(self, key: str) -> float:
        """Own work between two consecutive children (evenly spread)."""
        step = self.steps[key]
        if len(step.children) < 2:
            return 0.0
        between = self.self_ms(key) - step.lead_ms - step.tail_ms
        return between / (len(step.children) - 1)

    def validate(self) -> None:
        """Raise ValueError if a step's parts do not add up to its duration."""
        for key, step in self.steps.items():
            for child in step.children:
                if child not in self.steps:
                    raise ValueError(f"{key}: unknown child step {child!r}")
            if step.is_leaf:
                if step.lead_ms or step.tail_ms:
                    raise ValueError(f"{key}: a leaf step has no lead/tail, only a duration")
                continue
            if self.gap_ms(key) < 0 or (len(step.children) == 1 and
                                         abs(self.self_ms(key) - step.lead_ms - step.tail_ms) > 1e-9):
                raise ValueError(f"{key}: lead + gaps + tail + children != duration")

    def without(self, key: str) -> Profile:
        """The profile with step ``key`` gone: its parent and every ancestor get shorter.

        A parent left with no children becomes a leaf that keeps its own work.
        """
        removed = self.steps[key]
        steps = dict(self.steps)
        del steps[key]
        parent_of = {c: k for k, s in self.steps.items() for c in s.children}
        parent = parent_of.get(key)
        while parent is not None:
            p = steps[parent]
            children = tuple(c for c in p.children if c != key)
            duration = p.duration_ms - removed.duration_ms
            steps[parent] = (replace(p, duration_ms=duration, children=children)
                             if children else replace(p, duration_ms=duration, lead_ms=0.0,
                                                      tail_ms=0.0, children=()))
            parent = parent_of.get(parent)
        return Profile(self.root, steps)

    def walk(self, key: str | None = None, depth: int = 0) -> Iterator[tuple[int, Step]]:
        """Yield (depth, step) in tree order, the seed's trace view order."""
        key = key or self.root
        yield depth, self.steps[key]
        for child in self.steps[key].children:
            yield from self.walk(child, depth + 1)


# Service names as they appear in resource attributes.
API_GATEWAY = "api-gateway"
ORDER_SERVICE = "order-service"
INVENTORY_SERVICE = "inventory-service"
PAYMENT_SERVICE = "payment-service"
NOTIFICATION_SERVICE = "notification-service"


def _seed_steps() -> dict[str, Step]:
    # Span kinds, as the seed sets them: SERVER where a service handles a request that
    # came over the wire (the gateway, and each service called by the Order Service:
    # the caller's own CLIENT span is left out, as in the seed's tree); CLIENT where we
    # call something we do not trace (SQLite, the third-party payment API); INTERNAL for
    # work that stays inside one service; PRODUCER for handing a message to Kafka.
    S = SpanKind  # noqa: N806 - a short alias keeps the table below readable
    steps = [
        # The gateway's own 20 ms: routing/auth before, response serialisation after.
        Step("POST /api/orders", "POST /api/orders", API_GATEWAY, S.SERVER, 250, 10, 10,
             ("create-order",)),
        # create-order's 95 ms of own work sits between its five calls: request
        # handling, the network hops to each dependency and building the response.
        Step("create-order", "create-order", ORDER_SERVICE, S.SERVER, 230, 15, 20,
             ("validate-order", "check-inventory", "process-payment", "save-order",
              "send-notification")),
        Step("validate-order", "validate-order", ORDER_SERVICE, S.INTERNAL, 20),
        Step("check-inventory", "check-inventory", INVENTORY_SERVICE, S.SERVER, 30, 10, 5,
             ("inventory.db.query",)),
        Step("inventory.db.query", "db.query", INVENTORY_SERVICE, S.CLIENT, 15),
        Step("process-payment", "process-payment", PAYMENT_SERVICE, S.SERVER, 50, 12, 8,
             ("authorize-payment",)),
        Step("authorize-payment", "authorize-payment", PAYMENT_SERVICE, S.CLIENT, 30),
        Step("save-order", "save-order", ORDER_SERVICE, S.INTERNAL, 25, 5, 5,
             ("orders.db.query",)),
        Step("orders.db.query", "db.query", ORDER_SERVICE, S.CLIENT, 15),
        Step("send-notification", "send-notification", NOTIFICATION_SERVICE, S.PRODUCER, 10),
        # Not in the seed's tree: the email worker consuming the message later, in a
        # trace of its own that links back to send-notification.
        Step("email.process", "process order-notifications", NOTIFICATION_SERVICE, S.CONSUMER, 20),
    ]
    return {s.key: s for s in steps}


SEED_PROFILE = Profile(root="POST /api/orders", steps=_seed_steps())
SEED_PROFILE.validate()

# --optimize async: a background worker picks the notification job up this long
# after the Order Service handed it off (and answered), so its span ends after its parent.
ASYNC_PICKUP_MS = 25.0

OPTIMIZATIONS = ("parallel", "cache", "async")


def profile_for(optimizations: frozenset[str] = frozenset(), base: Profile = SEED_PROFILE) -> Profile:
    """The latency profile of a system with these optimisations switched on.

    Only caching changes the plan itself (a stock read served from memory makes no
    db.query); parallel and async change how the steps are scheduled, not their cost.
    """
    return base.without("inventory.db.query") if "cache" in optimizations else base

# What the faults cost, in the same simulated milliseconds as the steps above.
SCAN_MS_PER_ROW = 0.02  # a full scan reads the table row by row: 20,000 rows = 400 ms
PAYMENT_TIMEOUT_MS = 500.0  # the payment service gives up on the gateway after this long
PAYMENT_TRIES, PAYMENT_BACKOFF_MS = 3, 100.0  # then 200 ms: the backoff doubles
INVENTORY_TRIES, INVENTORY_BACKOFF_MS = 3, 20.0
