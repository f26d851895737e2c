"""Payment Service: charges the customer (SERVER ``process-payment``).

Teaches: a CLIENT span for a call to a third-party HTTP API
(``authorize-payment``: server.address, url.full, http.response.status_code,
and the provider's decision), and the seed's second failure scenario: the
gateway's 402 marks the client span ERROR (a 4xx is an error for an HTTP
client) and process-payment fails with the decline, so the trace shows the
gateway's response.  No card data ever reaches a span.  A gateway that does not
answer is given up on after a timeout and tried again with a doubling backoff,
each try its own CLIENT span (``http.request.resend_count`` on the retries);
after the last one the payment fails with 504.
"""
from __future__ import annotations

from collections.abc import Mapping

from opentelemetry.semconv.attributes.http_attributes import (
    HTTP_REQUEST_METHOD,
    HTTP_REQUEST_RESEND_COUNT,
    HTTP_RESPONSE_STATUS_CODE,
)
from opentelemetry.semconv.attributes.server_attributes import SERVER_ADDRESS, SERVER_PORT
from opentelemetry.semconv.attributes.url_attributes import URL_FULL

from .. import attributes as attr
from .. import wire
from ..backends import payment_gateway as pg
from ..errors import GatewayTimeoutError, PaymentDeclinedError
from ..messages import ChargeRequest, PaymentReceipt
from ..profile import PAYMENT_BACKOFF_MS, PAYMENT_SERVICE, PAYMENT_TIMEOUT_MS, PAYMENT_TRIES
from .base import Operation, Runtime, Service
from .retry import with_retries


class PaymentService(Service):
    service_name = PAYMENT_SERVICE
    display_name = "Payment Service"

    def __init__(self, runtime: Runtime, gateway: pg.PaymentGateway):
        super().__init__(runtime)
        self._gateway = gateway

    def charge(self, request: ChargeRequest, headers: Mapping[str, str]) -> PaymentReceipt:
        with self.operation("process-payment", headers=headers, attributes={
                attr.ORDER_ID: request.order_id, attr.PAYMENT_AMOUNT: float(request.amount),
                attr.PAYMENT_CURRENCY: request.currency}) as op:
            self.say("💳", "Processing payment...")
            auth = self._authorize_with_retries(op, request)
            if not auth.approved:
                self.say("❌", "Payment declined")
                raise PaymentDeclinedError(
                    f"Payment declined: gateway answered {auth.status}, code {auth.response_code} "
                    f"({auth.message})")
            assert auth.transaction_id is not None  # an approval always carries one
            op.set({attr.PAYMENT_TRANSACTION_ID: auth.transaction_id})
            self.say("✓", "Payment successful", indent=1)
            return PaymentReceipt(auth.transaction_id, request.amount)

    def _authorize_with_retries(self, op: Operation, request: ChargeRequest) -> pg.Authorization:
        def attempt(n: int, pause_ms: float) -> pg.Authorization:
            if n == 0:
                return op.call("authorize-payment", self._authorize, request, 0)
            return op.repeat("authorize-payment", self._authorize, request, n, pause_ms=pause_ms)

        return with_retries(attempt, GatewayTimeoutError, PAYMENT_TRIES, PAYMENT_BACKOFF_MS)

    def _authorize(self, request: ChargeRequest, resend: int) -> pg.Authorization:
        with self.operation("authorize-payment", attributes={
                HTTP_REQUEST_METHOD: "POST", SERVER_ADDRESS: pg.HOST, SERVER_PORT: pg.PORT,
                URL_FULL: pg.AUTHORIZE_URL, attr.PAYMENT_AMOUNT: float(request.amount),
                **({HTTP_REQUEST_RESEND_COUNT: resend} if resend else {})}) as op:
            auth = self._gateway.authorize(request.user_id, request.amount, request.currency,
                                           idempotency_key=request.order_id, headers=wire.inject())
            if auth is None:  # no answer: the client waits out its timeout and gives up
                op.spend(PAYMENT_TIMEOUT_MS - op.step.duration_ms)
                raise GatewayTimeoutError(f"no answer from {pg.HOST} within {PAYMENT_TIMEOUT_MS:.0f} ms")
            op.set({HTTP_RESPONSE_STATUS_CODE: auth.status,
                    attr.PAYMENT_GATEWAY_DECISION: "approved" if auth.approved else "declined",
                    attr.PAYMENT_GATEWAY_RESPONSE_CODE: auth.response_code})
            if auth.approved:
                op.set({attr.PAYMENT_TRANSACTION_ID: auth.transaction_id})
                self.say("→", "Authorization complete", indent=2, source="Payment Gateway")
            else:
                # HTTP client convention: 4xx is an error; error.type is the status code.
                op.fail(f"Payment Gateway declined: {auth.response_code} {auth.message}",
                        error_type=str(auth.status))
                self.say("→", f"Authorization declined ({auth.response_code}: {auth.message})",
                         indent=2, source="Payment Gateway")
            return auth

