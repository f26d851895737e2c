"""The boundary between two services: a call that behaves like a network request.

The caller injects W3C ``traceparent``/``tracestate`` and ``baggage`` into a
headers dict; the callee's handler runs in a brand-new ``contextvars.Context``
(so no current span, baggage or other context leaks across in-process) and
rebuilds its parent context by extracting those headers.  Errors come back as
replies and are re-raised on the caller's side as fresh exceptions.
"""
from __future__ import annotations

import contextvars
from typing import Any, Callable, Mapping

from opentelemetry import baggage
from opentelemetry.baggage.propagation import W3CBaggagePropagator
from opentelemetry.context import Context
from opentelemetry.propagators.composite import CompositePropagator
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator

from . import errors

# Explicit rather than the global propagator, so nothing outside can change what crosses.
PROPAGATOR = CompositePropagator([TraceContextTextMapPropagator(), W3CBaggagePropagator()])

Headers = dict[str, str]
Handler = Callable[[Any, Mapping[str, str]], Any]


def inject(context: Context | None = None, headers: Headers | None = None) -> Headers:
    """Headers carrying the given (default: current) context."""
    carrier: Headers = {} if headers is None else headers
    PROPAGATOR.inject(carrier, context=context)
    return carrier


def extract(headers: Mapping[str, str]) -> Context:
    """The parent context a callee continues from, built from headers only."""
    return PROPAGATOR.extract(headers, context=Context())


def with_baggage(values: Mapping[str, str], context: Context | None = None) -> Context:
    for key, value in values.items():
        context = baggage.set_baggage(key, value, context=context)
    return context


def call(handler: Handler, request: Any, headers: Headers | None = None) -> Any:
    """Send ``request`` to ``handler`` as a remote call; return its reply or raise its error.

    ``headers`` default to the caller's current context.
    """
    sent = inject() if headers is None else dict(headers)  # the callee gets its own copy
    ok, reply = contextvars.Context().run(_serve, handler, request, sent)
    if not ok:
        raise errors.from_reply(reply)
    return reply


def _serve(handler: Handler, request: Any, headers: Headers) -> tuple[bool, Any]:
    try:
        return True, handler(request, headers)
    except Exception as exc:  # noqa: BLE001 - every failure becomes an error reply
        return False, errors.to_reply(exc)
