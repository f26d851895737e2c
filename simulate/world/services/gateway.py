"""API Gateway: the HTTP entry point (SERVER span ``POST /api/orders``).

Teaches: the root SERVER span of a trace, HTTP server semantic conventions,
starting baggage that every downstream call carries, and the HTTP rule that a
4xx answer is the client's problem, so the server span's status stays UNSET,
while a 5xx is the server's own failure and marks it ERROR.
"""
from __future__ import annotations

import itertools
from collections.abc import Callable, Mapping

from opentelemetry import trace
from opentelemetry.semconv.attributes.http_attributes import (
    HTTP_REQUEST_METHOD,
    HTTP_RESPONSE_STATUS_CODE,
    HTTP_ROUTE,
)
from opentelemetry.semconv.attributes.server_attributes import SERVER_ADDRESS, SERVER_PORT
from opentelemetry.semconv.attributes.url_attributes import URL_PATH, URL_SCHEME
from opentelemetry.semconv.attributes.user_agent_attributes import USER_AGENT_ORIGINAL

from .. import attributes as attr
from ..errors import ServiceError
from ..messages import CreateOrder, HttpRequest, HttpResponse, OrderAPI
from ..profile import API_GATEWAY
from .base import Runtime, Service

ROUTE = "/api/orders"


class ApiGateway(Service):
    service_name = API_GATEWAY
    display_name = "API Gateway"

    def __init__(self, runtime: Runtime, orders: OrderAPI, order_ids: Callable[[], str]):
        super().__init__(runtime)
        self._orders = orders
        self._order_ids = order_ids

    def handle(self, request: HttpRequest, headers: Mapping[str, str]) -> HttpResponse:
        with self.operation("POST /api/orders", headers=headers, attributes={
            HTTP_REQUEST_METHOD: request.method, HTTP_ROUTE: ROUTE, URL_PATH: request.path,
            URL_SCHEME: request.scheme, SERVER_ADDRESS: request.host, SERVER_PORT: request.port,
            # A request without a User-Agent header gets no attribute, not an empty one.
            **({USER_AGENT_ORIGINAL: request.user_agent} if request.user_agent else {}),
        }) as op:
            self.say("📥", "Received order request")
            body = request.body
            order_id = self._order_ids()
            op.set({attr.ORDER_ID: order_id, attr.USER_ID: body.user_id})
            op.add_baggage({attr.ORDER_ID: order_id, attr.USER_ID: body.user_id})
            command = CreateOrder(order_id, body.user_id, body.item_id, body.quantity,
                                  body.amount, body.currency)
            try:
                confirmation = op.call("create-order", self._orders.create_order, command)
            except ServiceError as exc:
                op.set({HTTP_RESPONSE_STATUS_CODE: exc.http_status})
                # HTTP server conventions: a 4xx is the client's problem, so the span
                # status stays UNSET and the code tells the story; a 5xx is ours: ERROR.
                if exc.http_status >= 500:
                    op.fail(f"{exc.http_status} {exc.reason}: {exc}", error_type=exc.error_type)
                self.say("❌", f"Order failed: {exc.http_status} {exc.reason} ({exc})")
                return self._respond(exc.http_status, {"order_id": order_id,
                                                       "error": exc.error_type, "message": str(exc)})
            op.set({HTTP_RESPONSE_STATUS_CODE: 201})
            self.say("✅", f"Order created: {confirmation.order_id}")
            return self._respond(201, {"order_id": confirmation.order_id,
                                       "transaction_id": confirmation.transaction_id})

    @staticmethod
    def _respond(status: int, body: dict) -> HttpResponse:
        # W3C Trace Context Level 2 `traceresponse`: tells the caller which trace to look up.
        ctx = trace.get_current_span().get_span_context()
        traceresponse = f"00-{ctx.trace_id:032x}-{ctx.span_id:016x}-{int(ctx.trace_flags):02x}"
        return HttpResponse(status, body, {"traceresponse": traceresponse})


def sequential_order_ids(first: int = 1234) -> Callable[[], str]:
    """order-1234, order-1235, ... (the seed's example id comes first)."""
    counter = itertools.count(first)
    return lambda: f"order-{next(counter)}"
