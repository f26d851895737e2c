"""Why an export failed: what the official exporter reported, and a look of our own.

The official exporters answer only SUCCESS or FAILURE.  What they *report* besides
is the status of the last attempt, in their self-observability metrics: the gRPC
status code name or the HTTP status code, and the ``error.type`` of an exception
(see self_observability.py).  That tells "refused" from "unauthorised" from "slow",
but a gRPC ``UNAVAILABLE`` is as much "nothing listens" as "wrong host" or "TLS
mismatch".  So on the first failure we look ourselves, cheaply and bounded: resolve
the name, open a TCP connection, try a TLS handshake.  The result is an
:class:`Attempt` whose reason is short and printable and whose hint fits the cause.
"""
from __future__ import annotations

import socket
import ssl
from collections.abc import Mapping
from typing import Any

from opentelemetry.semconv.attributes.error_attributes import ERROR_TYPE
from opentelemetry.semconv.attributes.http_attributes import HTTP_RESPONSE_STATUS_CODE

from .delivery import (
    ANSWERED_ERROR,
    CREDENTIALS,
    NO_COLLECTOR,
    NOT_OTLP_GRPC,
    NOT_OTLP_HTTP,
    OVERLOADED,
    SLOW,
    TOO_LARGE,
    WRONG_HOST,
    WRONG_TLS,
    Attempt,
    Delivery,
)
from .settings import Endpoint

# The gRPC exporter's attribute (rpc.response.status_code), named as the SDK records it.
RPC_STATUS = "rpc.response.status_code"
PROBE_TIMEOUT_S = 0.5
# Exception class names (error.type) of the requests library that the HTTP exporter uses.
_HTTP_TIMEOUTS = {"ReadTimeout", "Timeout"}
_HTTP_UNREACHABLE = {"ConnectionError", "ConnectTimeout", "ProxyError"}


def probe(endpoint: Endpoint, plaintext: bool, certificate: str | None,
          timeout_s: float = PROBE_TIMEOUT_S) -> Attempt | None:
    """What our own look at the endpoint finds wrong, or None if it answers as configured."""
    try:
        socket.getaddrinfo(endpoint.host, endpoint.port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError):
        return Attempt(Delivery.FAILED, "cannot resolve the host name", WRONG_HOST)
    try:
        sock = socket.create_connection((endpoint.host, endpoint.port), timeout=timeout_s)
    except ConnectionRefusedError:
        return Attempt(Delivery.FAILED, "connection refused", NO_COLLECTOR)
    except OSError:
        return Attempt(Delivery.FAILED, "no TCP connection", NO_COLLECTOR, retryable=True)
    with sock:
        if plaintext:
            # http:// to a port that speaks TLS fails in ways that look like "unavailable".
            return (Attempt(Delivery.FAILED, "the server expects TLS (https://)", WRONG_TLS)
                    if _speaks_tls(sock, endpoint.host) else None)
        context = ssl.create_default_context(cafile=certificate)
        try:
            with context.wrap_socket(sock, server_hostname=endpoint.host):
                return None
        except (ssl.SSLError, ssl.CertificateError):
            return Attempt(Delivery.FAILED, "TLS handshake failed", WRONG_TLS)
        except OSError:
            return None  # closed mid-handshake: not a TLS verdict


def _speaks_tls(sock: socket.socket, host: str) -> bool:
    context = ssl.create_default_context()
    context.check_hostname, context.verify_mode = False, ssl.CERT_NONE
    try:
        with context.wrap_socket(sock, server_hostname=host):
            return True
    except (OSError, ssl.SSLError):
        return False


def classify(attributes: Mapping[str, Any], timeout_s: float, path: str) -> Attempt:
    """The attempt, from the attributes of the failed export's operation.duration point."""
    if RPC_STATUS in attributes:
        return _grpc(str(attributes[RPC_STATUS]), timeout_s)
    status = attributes.get(HTTP_RESPONSE_STATUS_CODE)
    if status is not None:
        return _http(int(status), path)
    error = str(attributes.get(ERROR_TYPE, ""))
    if error in _HTTP_TIMEOUTS:
        return Attempt(Delivery.UNCONFIRMED, f"no answer within {timeout_s:g} s", SLOW)
    if error in _HTTP_UNREACHABLE:
        return Attempt(Delivery.FAILED, "no connection", NO_COLLECTOR, retryable=True)
    if error == "SSLError":
        return Attempt(Delivery.FAILED, "TLS failed", WRONG_TLS)
    if error == "RequestPayloadTooLargeError":
        return Attempt(Delivery.FAILED, "the batch is over the exporter's max_request_size", TOO_LARGE)
    return Attempt(Delivery.FAILED, error or "the exporter reported a failure", ANSWERED_ERROR)


def _grpc(code: str, timeout_s: float) -> Attempt:
    if code == "DEADLINE_EXCEEDED":  # the collector may have the batch
        return Attempt(Delivery.UNCONFIRMED, f"DEADLINE_EXCEEDED: no answer within {timeout_s:g} s", SLOW)
    if code == "UNAVAILABLE":
        return Attempt(Delivery.FAILED, "UNAVAILABLE", NO_COLLECTOR, retryable=True)
    if code in ("UNAUTHENTICATED", "PERMISSION_DENIED"):
        return Attempt(Delivery.FAILED, code, CREDENTIALS)
    if code == "UNIMPLEMENTED":
        return Attempt(Delivery.FAILED, code, NOT_OTLP_GRPC)
    if code == "RESOURCE_EXHAUSTED":
        return Attempt(Delivery.FAILED, code, OVERLOADED, retryable=True)
    if code == "CANCELLED":
        return Attempt(Delivery.UNCONFIRMED, "CANCELLED: abandoned while in flight")
    return Attempt(Delivery.FAILED, code, ANSWERED_ERROR)


def _http(status: int, path: str) -> Attempt:
    reason = f"HTTP {status}"
    if status in (401, 403):
        return Attempt(Delivery.FAILED, reason, CREDENTIALS)
    if status in (404, 405):
        return Attempt(Delivery.FAILED, f"{reason} at {path}", NOT_OTLP_HTTP)
    if status in (429, 502, 503, 504):
        return Attempt(Delivery.FAILED, reason, OVERLOADED, retryable=True)
    if status == 413:
        return Attempt(Delivery.FAILED, reason, TOO_LARGE)
    return Attempt(Delivery.FAILED, reason, ANSWERED_ERROR)


def explain(reported: Attempt, probed: Attempt | None) -> Attempt:
    """The exporter's word, sharpened by the probe where the exporter could not tell."""
    if probed is None:
        return reported
    vague = reported.hint in (NO_COLLECTOR, ANSWERED_ERROR) or reported.reason.startswith("UNAVAILABLE")
    if not vague:
        return reported
    prefix = "UNAVAILABLE: " if reported.reason.startswith("UNAVAILABLE") else ""
    return Attempt(probed.delivery, prefix + probed.reason, probed.hint, probed.retryable)


class ExportDiagnoser:
    """The cause of each failed export: the exporter's own report (the newest failed
    operation in its self-observability metrics), sharpened by one probe per failure streak."""

    def __init__(self, read_counts: Any, endpoint: Endpoint | None, plaintext: bool,
                 certificate: str | None, timeout_s: float, grpc: bool = False):
        self._read_counts = read_counts  # () -> {attributes: recordings} of operation.duration
        self._endpoint, self._plaintext, self._certificate = endpoint, plaintext, certificate
        self._timeout_s, self._grpc = timeout_s, grpc
        self._seen: dict[Any, int] = {}
        self._probed: Attempt | None = None
        self._probe_done = False

    def success(self) -> None:
        self._probe_done, self._probed = False, None

    def nothing_there(self) -> bool:
        return self._probed is not None

    def look(self) -> Attempt | None:
        """For the breaker: what a fresh look at the endpoint finds wrong, if anything."""
        if self._endpoint is None:
            return None
        found = probe(self._endpoint, self._plaintext, self._certificate)
        if found is not None and self._grpc:
            # What the gRPC exporter would have reported, had it been sent: UNAVAILABLE.
            return Attempt(found.delivery, "UNAVAILABLE: " + found.reason, found.hint, found.retryable)
        return found

    def failure(self) -> Attempt:
        counts = self._read_counts()
        grown = [dict(key) for key, n in counts.items() if n > self._seen.get(key, 0)]
        self._seen = counts
        failed = [a for a in grown if ERROR_TYPE in a or RPC_STATUS in a
                  or int(a.get(HTTP_RESPONSE_STATUS_CODE, 200)) >= 300]
        path = self._endpoint.path if self._endpoint else ""
        reported = (classify(failed[-1], self._timeout_s, path) if failed
                    else Attempt(Delivery.FAILED, "the exporter reported a failure", ANSWERED_ERROR))
        if self._endpoint is not None and not self._probe_done:
            self._probe_done = True
            self._probed = probe(self._endpoint, self._plaintext, self._certificate)
        return explain(reported, self._probed)
