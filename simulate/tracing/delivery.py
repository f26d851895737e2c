"""What one export attempt came to, in words a user can act on.

An attempt is *delivered* (the collector said so), *unconfirmed* (no answer in
time: it may well have the spans) or *failed* (refused, unreachable, rejected).
Each non-delivery carries a short reason and a hint fitted to the cause, so the
closing line never asks "is a collector listening?" of a collector that answered.
"""
from __future__ import annotations

import enum
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from opentelemetry.sdk.trace import ReadableSpan


class Delivery(enum.Enum):
    DELIVERED = "delivered"
    UNCONFIRMED = "unconfirmed"
    FAILED = "failed"


@dataclass(frozen=True)
class Attempt:
    delivery: Delivery
    reason: str = ""  # short and printable: "UNAVAILABLE: connection refused", "HTTP 503"
    hint: str = ""  # what to do about it
    retryable: bool = False  # worth trying again soon (the collector said so, or is restarting)
    rejected: int = 0  # spans a collector refused inside a delivered batch (partial success)


class Sender(Protocol):
    """Sends a batch and says what became of it; never raises."""

    description: str  # where spans go, safe to print: "127.0.0.1:4317 (OTLP/gRPC)"

    def send(self, spans: Sequence[ReadableSpan]) -> Attempt: ...

    def cancel(self) -> None:
        """Abandon the send in flight, if any (a second Ctrl-C)."""

    def close(self) -> None: ...


NO_COLLECTOR = ("Is a collector listening there? Start one (README: 'See the trace in Jaeger'), "
                "point --endpoint at yours, or use --no-export.")
CREDENTIALS = ("the collector refused the credentials: check OTEL_EXPORTER_OTLP_HEADERS or the "
               "user:password in the endpoint (values are never printed).")
OVERLOADED = "the collector is overloaded or restarting and asked to retry later."
SLOW = ("the collector did not answer within the export timeout and may still have them: raise "
        "OTEL_EXPORTER_OTLP_TIMEOUT (milliseconds) if it is just slow.")


def first_line(text: str, limit: int = 120) -> str:
    """One line of someone else's message, bounded, for our own one-line summaries."""
    line = (text or "").strip().splitlines()[0] if (text or "").strip() else ""
    return line if len(line) <= limit else line[:limit - 1] + "…"
