"""The external card-payment provider (think Stripe): authorises against a card limit.

It answers like an HTTP API: 201 with a transaction id, or 402 with an
ISO 8583-style response code.  The decision comes from its state (each user's
card limit per authorisation), so a decline is something the world does, not a
flag.  Limits are not consumed, so a long load run never drifts into declines.
A gateway that stops answering (``answering=False``) takes the request and
never replies: the caller learns it only from its own timeout.
"""
from __future__ import annotations

import itertools
import threading
from dataclasses import dataclass

HOST = "api.payment-gateway.example"
PORT = 443
AUTHORIZE_URL = f"https://{HOST}/v1/authorizations"


@dataclass(frozen=True)
class Authorization:
    status: int  # HTTP status of the gateway's reply
    approved: bool
    response_code: str  # "00" approved, "51" insufficient funds
    message: str
    transaction_id: str | None = None


class PaymentGateway:
    def __init__(self, credit_limits: dict[str, float], default_limit: float = 10_000.0,
                 answering: bool = True):
        self._credit = dict(credit_limits)
        self.answering = answering
        self._default = default_limit
        self._ids = itertools.count(1)
        self._lock = threading.Lock()

    def authorize(self, user_id: str, amount: float, currency: str, *, idempotency_key: str,
                  headers: dict[str, str]) -> Authorization | None:
        """The provider's answer; None when it never answers (the caller's timeout decides)."""
        # headers carry traceparent like any outgoing HTTP call; the provider ignores them.
        if not self.answering:
            return None
        with self._lock:
            if amount > self._credit.get(user_id, self._default):
                return Authorization(402, False, "51", "insufficient funds")
            return Authorization(201, True, "00", "approved", f"txn-{next(self._ids):08d}")
