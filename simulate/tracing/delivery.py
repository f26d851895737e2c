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

from ..i18n import N_


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


# The hints, whole sentences: marked for the catalog here, translated where they are shown.
NO_COLLECTOR = N_("Is a collector listening there? Start one (README: 'See the trace in "
                  "Jaeger'), point --endpoint at yours, or use --no-export.")
CREDENTIALS = N_("The collector refused the credentials: check OTEL_EXPORTER_OTLP_HEADERS or the "
                 "user:password in the endpoint (values are never printed).")
OVERLOADED = N_("The collector is overloaded or restarting and asked to retry later.")
SLOW = N_("The collector did not answer within the export timeout and may still have them: raise "
          "OTEL_EXPORTER_OTLP_TIMEOUT (seconds) if it is just slow.")
WRONG_HOST = N_("Check the host in the endpoint.")
WRONG_TLS = N_("Check https:// vs http:// and OTEL_EXPORTER_OTLP_CERTIFICATE.")
NOT_OTLP_GRPC = N_("This port does not serve OTLP/gRPC traces: the wrong port, or an OTLP/HTTP one "
                   "(--protocol http/protobuf).")
NOT_OTLP_HTTP = N_("Nothing takes OTLP traces at that path there: check the port and the path "
                   "(the generic endpoint variable gets /v1/traces appended, the TRACES one not).")
TOO_LARGE = N_("The batch was too large for the collector.")
ANSWERED_ERROR = N_("The collector answered with an error.")


def first_line(text: str, limit: int = 120) -> str:
    """One line of someone else's message, bounded, for our own one-line summaries."""
    line = (text or "").strip().splitlines()[0] if (text or "").strip() else ""
    return line if len(line) <= limit else line[:limit - 1] + "…"
