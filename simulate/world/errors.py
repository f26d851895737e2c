"""Business errors that travel between services as replies, not as Python objects."""
from __future__ import annotations


class ServiceError(Exception):
    """An error a service answers with; ``http_status`` is what the API returns."""

    http_status = 500
    reason = "Internal Server Error"

    @property
    def error_type(self) -> str:
        # error.type wants a low-cardinality identifier: the class name is one.
        return type(self).__name__


class OutOfStockError(ServiceError):
    http_status = 409
    reason = "Conflict"


class PaymentDeclinedError(ServiceError):
    http_status = 402
    reason = "Payment Required"


class InvalidOrderError(ServiceError):
    http_status = 400
    reason = "Bad Request"


class RemoteServiceError(ServiceError):
    """A callee failed with something that is not a known business error."""


_KNOWN = {cls.__name__: cls for cls in (OutOfStockError, PaymentDeclinedError, InvalidOrderError,
                                         RemoteServiceError)}


def to_reply(error: Exception) -> dict[str, str]:
    """What goes back over the wire when a handler fails."""
    name = type(error).__name__ if isinstance(error, ServiceError) else RemoteServiceError.__name__
    return {"error": name, "message": str(error)}


def from_reply(reply: dict[str, str]) -> ServiceError:
    """Rebuild the caller-side exception from an error reply."""
    return _KNOWN.get(reply["error"], RemoteServiceError)(reply["message"])
