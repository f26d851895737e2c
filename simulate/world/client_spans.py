"""``--client-spans``: the caller's CLIENT span around each call to another service.

The seed draws a callee's SERVER span straight under the caller's span, as if the
call cost nothing and crossed nothing.  Real HTTP client instrumentation (requests,
httpx) wraps every outgoing request in a CLIENT span named after the method, with
``server.address``, ``server.port``, ``url.full`` and the response status; the
callee's SERVER span is its child, since the W3C headers are injected from it.
Service-graph builders (the collector's ``servicegraph`` connector, Tempo) draw an
edge from each CLIENT/SERVER pair, so without these spans they draw nothing.
"""
from __future__ import annotations

from opentelemetry import trace
from opentelemetry.semconv.attributes.error_attributes import ERROR_TYPE
from opentelemetry.semconv.attributes.http_attributes import HTTP_REQUEST_METHOD, HTTP_RESPONSE_STATUS_CODE
from opentelemetry.semconv.attributes.server_attributes import SERVER_ADDRESS, SERVER_PORT
from opentelemetry.semconv.attributes.url_attributes import URL_FULL
from opentelemetry.trace import SpanKind, Status, StatusCode

from . import errors, wire
from .messages import ROUTES, SERVICE_PORT
from .services.base import Runtime


class ClientSpans:
    """``wire.client(..., around=ClientSpans(runtime, caller))``: each call gets a CLIENT
    span in the caller's service, on the caller's clock."""

    def __init__(self, runtime: Runtime, caller: str):
        self._tracer = runtime.telemetry.tracer(caller)
        self._clock = runtime.clock

    def __call__(self, server: object, method: str, send: wire.Send) -> object:
        http_method, path, ok_status = ROUTES[method]
        host = str(getattr(server, "service_name", "") or type(server).__name__)
        span = self._tracer.start_span(http_method, kind=SpanKind.CLIENT, start_time=self._clock.now_ns(),
                                       attributes={HTTP_REQUEST_METHOD: http_method, SERVER_ADDRESS: host,
                                                   SERVER_PORT: SERVICE_PORT,
                                                   URL_FULL: f"http://{host}:{SERVICE_PORT}{path}"})
        status = 500
        try:
            reply = send(wire.inject(trace.set_span_in_context(span)))
            status = ok_status
            return reply
        except errors.ServiceError as exc:
            status = exc.http_status
            raise
        finally:
            span.set_attribute(HTTP_RESPONSE_STATUS_CODE, status)
            if status >= 400:  # HTTP client convention: any 4xx or 5xx is an error, typed by its code
                span.set_status(Status(StatusCode.ERROR))
                span.set_attribute(ERROR_TYPE, str(status))
            span.end(end_time=self._clock.now_ns())


def around_for(runtime: Runtime, caller: str) -> wire.Around | None:
    """What ``build_system`` passes to ``wire.client`` for calls made by ``caller``."""
    return ClientSpans(runtime, caller) if runtime.client_spans else None
