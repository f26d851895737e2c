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


class ServiceUnavailableError(ServiceError):
    """The callee could not serve the request now; another try may reach a healthy instance."""

    http_status = 503
    reason = "Service Unavailable"


class GatewayTimeoutError(ServiceError):
    """An upstream the service depends on did not answer in time."""

    http_status = 504
    reason = "Gateway Timeout"


class RemoteServiceError(ServiceError):
    """A callee failed with something that is not a known business error."""


_KNOWN = {cls.__name__: cls for cls in (OutOfStockError, PaymentDeclinedError, InvalidOrderError,
                                         ServiceUnavailableError, GatewayTimeoutError,
                                         RemoteServiceError)}


def to_reply(error: Exception) -> dict[str, str]:
    """What goes back over the wire when a handler fails."""
    if isinstance(error, ServiceError):
        return {"error": type(error).__name__, "message": str(error)}
    # Anything else is the callee's own failure: a 500, named for what really happened.
    return {"error": RemoteServiceError.__name__, "message": f"{type(error).__name__}: {error}"}


def from_reply(reply: dict[str, str]) -> ServiceError:
    """Rebuild the caller-side exception from an error reply."""
    return _KNOWN.get(reply["error"], RemoteServiceError)(reply["message"])
