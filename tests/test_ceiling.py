"""bench/ceiling.py makes the very trace we make: the benchmark's ceiling stays honest.

One order of ours (``run_flow(consume=True)``: the 10-span tree and the email worker's
CONSUMER span) against one ceiling order, matched span by span by (name, service):
kind, parent, remote parent or not, attribute keys and value types, links, resource
keys, instrumentation scope, and the timetable (start offset and duration).  The
comparison itself is tested too: a dropped attribute, a changed kind or a lost link on
either side must show.
"""
from __future__ import annotations

import importlib.util
import sys
from collections.abc import Sequence

import pytest
from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.trace import SpanKind

from conftest import ROOT, run_flow

_spec = importlib.util.spec_from_file_location("bench_ceiling", ROOT / "bench" / "ceiling.py")
assert _spec is not None and _spec.loader is not None
ceiling = importlib.util.module_from_spec(_spec)
sys.modules["bench_ceiling"] = ceiling
_spec.loader.exec_module(ceiling)

Key = tuple[str, str]  # (span name, service.name)


def key(span: ReadableSpan) -> Key:
    return span.name, str(span.resource.attributes["service.name"])


def shape(spans: Sequence[ReadableSpan]) -> dict[Key, dict]:
    """What must be equal between the two sides, per span, with ids replaced by span keys."""
    by_id = {s.context.span_id: s for s in spans}
    roots = {s.context.trace_id: s for s in spans if s.parent is None or s.parent.span_id not in by_id}
    out: dict[Key, dict] = {}
    for s in spans:
        parent = by_id.get(s.parent.span_id) if s.parent else None
        root = roots[s.context.trace_id]
        assert s.start_time is not None and s.end_time is not None and root.start_time is not None
        out[key(s)] = {
            "kind": s.kind,
            "parent": key(parent) if parent else None,
            "remote parent": s.parent.is_remote if s.parent else None,
            "trace root": key(root),
            "attributes": {k: type(v).__name__ for k, v in (s.attributes or {}).items()},
            "links": sorted(key(by_id[link.context.span_id]) for link in s.links),
            "resource": sorted(s.resource.attributes),
            "scope": (s.instrumentation_scope.name, s.instrumentation_scope.version,
                      s.instrumentation_scope.schema_url) if s.instrumentation_scope else None,
            "offset ns": s.start_time - root.start_time,
            "duration ns": s.end_time - s.start_time,
            # a linked span's start relative to the trace it links to (the worker polls later)
            "after linked trace ns": [s.start_time - (roots[link.context.trace_id].start_time or 0)
                                      for link in s.links],
        }
    assert len(out) == len(spans), "two spans share a name and a service: they cannot be matched"
    return out


def differences(ours: Sequence[ReadableSpan], theirs: Sequence[ReadableSpan]) -> list[str]:
    a, b = shape(ours), shape(theirs)
    found = [f"only ours: {k}" for k in a.keys() - b.keys()]
    found += [f"only the ceiling's: {k}" for k in b.keys() - a.keys()]
    for k in a.keys() & b.keys():
        for field, value in a[k].items():
            if b[k][field] != value:
                found.append(f"{k} {field}: ours {value!r}, ceiling {b[k][field]!r}")
    return found


@pytest.fixture(scope="module")
def ours() -> list[ReadableSpan]:
    return run_flow(consume=True).spans


@pytest.fixture(scope="module")
def theirs() -> list[ReadableSpan]:
    return ceiling.ceiling_spans(1)


def test_the_ceiling_makes_our_trace_span_for_span(ours, theirs):
    assert len(ours) == len(theirs) == ceiling.SPANS_PER_ORDER
    assert differences(ours, theirs) == []


def test_the_comparison_sees_the_consumer_in_its_own_trace_with_its_link(ours):
    consumer = shape(ours)[("process order-notifications", "notification-service")]
    assert consumer["parent"] is None and consumer["trace root"] == consumer_key()
    assert consumer["links"] == [("send-notification", "notification-service")]
    create = shape(ours)[("create-order", "order-service")]
    assert create["parent"] == ("POST /api/orders", "api-gateway") and create["remote parent"] is True


def consumer_key() -> Key:
    return "process order-notifications", "notification-service"


def altered(span: ReadableSpan, **changes) -> ReadableSpan:
    fields = dict(name=span.name, context=span.context, parent=span.parent, resource=span.resource,
                  attributes=dict(span.attributes or {}), events=span.events, links=span.links,
                  kind=span.kind, status=span.status, start_time=span.start_time,
                  end_time=span.end_time, instrumentation_scope=span.instrumentation_scope)
    fields.update(changes)
    return ReadableSpan(**fields)


@pytest.mark.parametrize("side", ["ours", "ceiling"])
@pytest.mark.parametrize("name, change", [
    ("check-inventory", lambda s: {"attributes": {k: v for k, v in s.attributes.items()
                                                  if k != "inventory.quantity_available"}}),
    ("authorize-payment", lambda s: {"attributes": {**s.attributes, "server.port": "443"}}),
    ("validate-order", lambda s: {"kind": SpanKind.CLIENT}),
    ("process order-notifications", lambda s: {"links": ()}),
    ("save-order", lambda s: {"end_time": s.end_time + 1_000_000}),
])
def test_a_change_on_either_side_is_detected(ours, theirs, side, name, change):
    def mutate(spans):
        return [altered(s, **change(s)) if s.name == name else s for s in spans]

    found = differences(mutate(ours), theirs) if side == "ours" else differences(ours, mutate(theirs))
    assert found and all(name in line for line in found), found
