"""Payment Service: charges the customer (SERVER ``process-payment``).

Teaches: a CLIENT span for a call to a third-party HTTP API
(``authorize-payment``: server.address, url.full, http.response.status_code,
and the provider's decision), and the seed's second failure scenario: the
gateway's 402 marks the client span ERROR (a 4xx is an error for an HTTP
client) and process-payment fails with the decline, so the trace shows the
gateway's response.  No card data ever reaches a span.
"""
from __future__ import annotations

from collections.abc import Mapping

from opentelemetry.semconv.attributes.http_attributes import HTTP_REQUEST_METHOD, HTTP_RESPONSE_STATUS_CODE
from opentelemetry.semconv.attributes.server_attributes import SERVER_ADDRESS, SERVER_PORT
from opentelemetry.semconv.attributes.url_attributes import URL_FULL

from .. import attributes as attr
from .. import wire
from ..backends import payment_gateway as pg
from ..errors import PaymentDeclinedError
from ..messages import ChargeRequest, PaymentReceipt
from ..profile import PAYMENT_SERVICE
from .base import Runtime, Service


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
            auth = op.call("authorize-payment", self._authorize, request)
            if not auth.approved:
                self.say("❌", "Payment declined")
                raise PaymentDeclinedError(
                    f"Payment declined: gateway answered {auth.status}, code {auth.response_code} "
                    f"({auth.message})")
            op.set({attr.PAYMENT_TRANSACTION_ID: auth.transaction_id})
            self.say("✓", "Payment successful", indent=1)
            return PaymentReceipt(auth.transaction_id, request.amount)

    def _authorize(self, request: ChargeRequest) -> pg.Authorization:
        with self.operation("authorize-payment", attributes={
                HTTP_REQUEST_METHOD: "POST", SERVER_ADDRESS: pg.HOST, SERVER_PORT: pg.PORT,
                URL_FULL: pg.AUTHORIZE_URL, attr.PAYMENT_AMOUNT: float(request.amount)}) as op:
            auth = self._gateway.authorize(request.user_id, request.amount, request.currency,
                                           idempotency_key=request.order_id, headers=wire.inject())
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

