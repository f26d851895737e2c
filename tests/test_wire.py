"""The service boundary: only W3C headers cross it."""
from __future__ import annotations

import pytest
from opentelemetry import baggage, trace
from opentelemetry.sdk.trace import TracerProvider

from conftest import run_flow
from simulate.world import wire
from simulate.world.errors import OutOfStockError

FOREIGN_TRACE = "4bf92f3577b34da6a3ce929d0e0e4736"
FOREIGN_SPAN = "00f067aa0ba902b7"


def test_a_request_with_a_foreign_traceparent_continues_that_trace():
    run = run_flow(headers={"traceparent": f"00-{FOREIGN_TRACE}-{FOREIGN_SPAN}-01"})
    assert {f"{s.context.trace_id:032x}" for s in run.spans} == {FOREIGN_TRACE}
    root = run.by_name("POST /api/orders")
    assert f"{root.parent.span_id:016x}" == FOREIGN_SPAN and root.parent.is_remote
    assert run.outcome.trace_id == FOREIGN_TRACE


def test_unsampled_traceparent_is_respected_by_every_service():
    run = run_flow(headers={"traceparent": f"00-{FOREIGN_TRACE}-{FOREIGN_SPAN}-00"})
    assert run.spans == []  # parent-based sampling: the whole trace is dropped, not part of it
    assert run.outcome.status == 201


def test_the_callee_sees_no_context_but_the_headers():
    tracer = TracerProvider().get_tracer("test")
    seen = {}

    def handler(request, headers):
        seen["current"] = trace.get_current_span().get_span_context()
        seen["baggage"] = baggage.get_all()
        seen["parent"] = trace.get_current_span(wire.extract(headers)).get_span_context()
        seen["parent_baggage"] = baggage.get_all(wire.extract(headers))
        return "ok"

    with tracer.start_as_current_span("caller") as span:
        from opentelemetry import context
        token = context.attach(wire.with_baggage({"order.id": "order-9"}))
        try:
            assert wire.call(handler, None) == "ok"
        finally:
            context.detach(token)
    assert not seen["current"].is_valid  # nothing leaked in-process
    assert dict(seen["baggage"]) == {}
    assert seen["parent"].span_id == span.get_span_context().span_id
    assert seen["parent"].is_remote
    assert dict(seen["parent_baggage"]) == {"order.id": "order-9"}


def test_errors_cross_as_fresh_exceptions_rebuilt_from_the_reply():
    original = OutOfStockError("none left")

    def handler(request, headers):
        raise original

    with pytest.raises(OutOfStockError, match="none left") as caught:
        wire.call(handler, None)
    assert caught.value is not original


def test_unknown_errors_become_remote_service_errors():
    def handler(request, headers):
        raise KeyError("boom")

    from simulate.world.errors import RemoteServiceError
    with pytest.raises(RemoteServiceError):
        wire.call(handler, None)
