"""The boundary between two services: a call that behaves like a network request.

The caller injects W3C ``traceparent``/``tracestate`` and ``baggage`` into a
headers dict; the callee's handler runs in a brand-new ``contextvars.Context``
(so no current span, baggage or other context leaks across in-process) and
rebuilds its parent context by extracting those headers.  Errors come back as
replies and are re-raised on the caller's side as fresh exceptions.

:func:`client` makes the caller's side of any service interface: one generic
stub instead of a hand-written client class per service.  With ``around`` each
call goes through it first (``--client-spans``: the caller's CLIENT span, whose
context the headers then carry).
"""
from __future__ import annotations

import contextvars
import functools
from collections.abc import Callable, Mapping
from typing import Any, TypeVar, cast

from opentelemetry import baggage
from opentelemetry.baggage.propagation import W3CBaggagePropagator
from opentelemetry.context import Context, get_current
from opentelemetry.propagators.composite import CompositePropagator
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator

from . import errors

# Explicit rather than the global propagator, so nothing outside can change what crosses.
PROPAGATOR = CompositePropagator([TraceContextTextMapPropagator(), W3CBaggagePropagator()])

Headers = dict[str, str]
Handler = Callable[[Any, Mapping[str, str]], Any]
API = TypeVar("API")
# around(server, method name, send): send(headers) makes the call; around returns its reply
Send = Callable[[Headers | None], Any]
Around = Callable[[object, str, Send], Any]


def inject(context: Context | None = None, headers: Headers | None = None) -> Headers:
    """Headers carrying the given (default: current) context."""
    carrier: Headers = {} if headers is None else headers
    # Looked up once here rather than once per propagator in the composite.
    PROPAGATOR.inject(carrier, context=context if context is not None else get_current())
    return carrier


def extract(headers: Mapping[str, str]) -> Context:
    """The parent context a callee continues from, built from headers only."""
    return PROPAGATOR.extract(headers, context=Context())


def with_baggage(values: Mapping[str, str], context: Context | None = None) -> Context:
    """``context`` (default: the current one) with these baggage entries added."""
    result = context if context is not None else get_current()
    for key, value in values.items():
        result = baggage.set_baggage(key, value, context=result)
    return result


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


def client(api: type[API], server: object, around: Around | None = None) -> API:
    """A stub implementing the interface ``api``: each of its methods sends the request
    over the wire to ``server``'s handler of the same name, ``handler(request, headers)``."""
    return cast(API, _Client(api, server, around))


def _call_around(around: Around, server: object, name: str, handler: Handler, request: Any) -> Any:
    return around(server, name, lambda headers: call(handler, request, headers))


class _Client:
    def __init__(self, api: type, server: object, around: Around | None = None):
        self._name = f"{api.__name__} client of {type(server).__name__}"
        methods = [name for name, member in vars(api).items()
                   if callable(member) and not name.startswith("_")]
        for name in methods:
            handler = getattr(server, name, None)
            if handler is None:
                raise TypeError(f"{type(server).__name__} has no handler {name!r} for {api.__name__}")
            setattr(self, name, functools.partial(call, handler) if around is None
                    else functools.partial(_call_around, around, server, name, handler))

    def __repr__(self) -> str:
        return f"<{self._name}>"

