"""OTLP senders: gRPC and HTTP/protobuf, written on the public protobuf stubs and encoder.

Why not the SDK's OTLP exporters: they answer only SUCCESS or FAILURE (the cause
goes to a log, sometimes with header values in it), retry inside ``export`` on a
schedule of their own, and cannot be interrupted.  A load generator needs the
cause (refused, unauthorised, slow, overloaded), its own retry and circuit
policy, and a send that a second Ctrl-C can abandon at once.  The request bytes
are written by :mod:`.otlp_encoder`: the very bytes of the SDK's ``encode_spans``
(tested byte for byte), at a quarter of its cost.
"""
from __future__ import annotations

import gzip
import http.client
import socket
import ssl
import sys
import threading
from collections.abc import Sequence
from typing import Any

from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceResponse
from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.sdk.trace.export import ConsoleSpanExporter

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
    first_line,
)
from .otlp_encoder import encode_request
from .settings import ExportSettings

USER_AGENT = "ordertrace-otlp"
EXPORT_METHOD = "/opentelemetry.proto.collector.trace.v1.TraceService/Export"


def _partial(response: ExportTraceServiceResponse) -> Attempt:
    rejected = response.partial_success.rejected_spans
    reason = f"{rejected} spans rejected: {first_line(response.partial_success.error_message)}" \
        if rejected else ""
    return Attempt(Delivery.DELIVERED, reason=reason, rejected=rejected)


def classify_grpc(code: str, details: str, timeout_ms: float) -> Attempt:
    """The attempt for a gRPC status code name and its details."""
    text = (details or "").lower()
    # Retry only what says "try again soon" (overload, a connection dropped mid-way). Not a
    # refused connection (nothing listens: the breaker's probes notice a return) and not a
    # timeout (the collector may have the batch: sending it again would duplicate it).
    if code == "DEADLINE_EXCEEDED":
        return Attempt(Delivery.UNCONFIRMED, f"DEADLINE_EXCEEDED: no answer within {timeout_ms:g} ms",
                       SLOW)
    if code == "UNAVAILABLE":
        if "dns" in text or "name resolution" in text or "domain name" in text:
            return Attempt(Delivery.FAILED, "UNAVAILABLE: cannot resolve the host name",
                           WRONG_HOST)
        if "ssl" in text or "handshake" in text or "tls" in text:
            return Attempt(Delivery.FAILED, "UNAVAILABLE: TLS handshake failed",
                           WRONG_TLS)
        if "refused" in text:
            return Attempt(Delivery.FAILED, "UNAVAILABLE: connection refused", NO_COLLECTOR)
        why = first_line(details, 60) or "unreachable"
        return Attempt(Delivery.FAILED, f"UNAVAILABLE: {why}", NO_COLLECTOR, retryable=True)
    if code in ("UNAUTHENTICATED", "PERMISSION_DENIED"):
        return Attempt(Delivery.FAILED, code, CREDENTIALS)
    if code == "UNIMPLEMENTED":
        return Attempt(Delivery.FAILED, code, NOT_OTLP_GRPC)
    if code == "RESOURCE_EXHAUSTED":
        return Attempt(Delivery.FAILED, code, OVERLOADED, retryable=True)
    if code == "CANCELLED":
        return Attempt(Delivery.UNCONFIRMED, "CANCELLED: abandoned while in flight")
    return Attempt(Delivery.FAILED, f"{code}: {first_line(details, 80)}".rstrip(": "),
                   ANSWERED_ERROR, retryable=code in ("ABORTED", "DATA_LOSS"))


def classify_http(status: int, path: str) -> Attempt:
    """The attempt for an OTLP/HTTP status code (2xx is handled by the caller)."""
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


class GrpcSender:
    def __init__(self, settings: ExportSettings):
        self.description = f"{settings.target} (OTLP/gRPC)"
        self._settings = settings
        self._timeout_ms = settings.timeout_ms
        self._metadata = tuple(settings.headers.items())
        self._lock = threading.Lock()
        self._in_flight: Any = None
        # gRPC (~0.1 s to import) is loaded on a thread of its own: a single run spends its
        # 250 ms order sleeping, and its one export then finds it ready.
        self._ready = threading.Thread(target=self._open, name="ordertrace-grpc-open", daemon=True)
        self._ready.start()

    def _open(self) -> None:
        import grpc  # imported here: a run without OTLP/gRPC export never loads gRPC

        settings = self._settings
        self._grpc = grpc
        # Reconnect quickly once a collector is back (gRPC's default backoff grows to 120 s).
        options = [("grpc.initial_reconnect_backoff_ms", 250), ("grpc.min_reconnect_backoff_ms", 250),
                   ("grpc.max_reconnect_backoff_ms", 1000), ("grpc.primary_user_agent", USER_AGENT)]
        compression = grpc.Compression.Gzip if settings.compression == "gzip" else None
        target = settings.endpoint.authority
        if settings.plaintext:
            self._channel = grpc.insecure_channel(target, options, compression)
        else:
            roots = None
            if settings.certificate:
                with open(settings.certificate, "rb") as pem:
                    roots = pem.read()
            self._channel = grpc.secure_channel(
                target, grpc.ssl_channel_credentials(root_certificates=roots), options, compression)
        # The TraceService's Export method, sent as bytes already encoded (no serializer).
        self._export = self._channel.unary_unary(
            EXPORT_METHOD, request_serializer=None,
            response_deserializer=ExportTraceServiceResponse.FromString)

    def send(self, spans: Sequence[ReadableSpan]) -> Attempt:
        self._ready.join()
        grpc = self._grpc
        try:
            future = self._export.future(encode_request(spans), timeout=self._timeout_ms / 1000,
                                         metadata=self._metadata)
            with self._lock:
                self._in_flight = future
            return _partial(future.result())
        except grpc.FutureCancelledError:
            return classify_grpc("CANCELLED", "", self._timeout_ms)
        except grpc.RpcError as error:
            return classify_grpc(error.code().name, error.details() or "", self._timeout_ms)
        except Exception as exc:  # noqa: BLE001 - a sender says what happened, never raises
            return Attempt(Delivery.FAILED, f"{type(exc).__name__}: {first_line(str(exc), 80)}")
        finally:
            with self._lock:
                self._in_flight = None

    def cancel(self) -> None:
        with self._lock:
            if self._in_flight is not None:
                self._in_flight.cancel()

    def close(self) -> None:
        self._ready.join()
        self._channel.close()


class HttpSender:
    def __init__(self, settings: ExportSettings):
        self.description = f"{settings.target} (OTLP/HTTP)"
        self._endpoint = settings.endpoint
        self._timeout_s = settings.timeout_ms / 1000
        self._timeout_ms = settings.timeout_ms
        self._gzip = settings.compression == "gzip"
        self._headers = {**settings.headers, "Content-Type": "application/x-protobuf",
                         "User-Agent": USER_AGENT}
        if self._gzip:
            self._headers["Content-Encoding"] = "gzip"
        self._context: ssl.SSLContext | None = None
        if self._endpoint.scheme == "https":
            self._context = ssl.create_default_context(cafile=settings.certificate)
        self._lock = threading.Lock()
        self._in_flight: http.client.HTTPConnection | None = None

    def _connection(self) -> http.client.HTTPConnection:
        host, port = self._endpoint.host, self._endpoint.port
        if self._context is not None:
            return http.client.HTTPSConnection(host, port, timeout=self._timeout_s,
                                               context=self._context)
        return http.client.HTTPConnection(host, port, timeout=self._timeout_s)

    def send(self, spans: Sequence[ReadableSpan]) -> Attempt:
        body = encode_request(spans)
        if self._gzip:
            body = gzip.compress(body)
        connection = self._connection()
        with self._lock:
            self._in_flight = connection
        try:
            try:
                connection.connect()
            except TimeoutError:
                return Attempt(Delivery.FAILED, "no connection within the export timeout",
                               NO_COLLECTOR)
            connection.request("POST", self._endpoint.path, body, self._headers)
            response = connection.getresponse()
            data = response.read()
            if 200 <= response.status < 300:
                parsed = ExportTraceServiceResponse()
                try:
                    parsed.ParseFromString(data)
                except Exception:  # noqa: BLE001 - an unparsable 2xx body is still a delivery
                    return Attempt(Delivery.DELIVERED)
                return _partial(parsed)
            return classify_http(response.status, self._endpoint.path)
        except TimeoutError:
            return Attempt(Delivery.UNCONFIRMED, f"no answer within {self._timeout_ms:g} ms", SLOW)
        except ConnectionRefusedError:
            return Attempt(Delivery.FAILED, "connection refused", NO_COLLECTOR)
        except socket.gaierror:
            return Attempt(Delivery.FAILED, f"cannot resolve {self._endpoint.host!r}",
                           WRONG_HOST)
        except ssl.SSLError as exc:
            return Attempt(Delivery.FAILED, f"TLS failed: {exc.reason or type(exc).__name__}",
                           WRONG_TLS)
        except OSError as exc:  # reset, closed by cancel(), unreachable...
            return Attempt(Delivery.UNCONFIRMED if response_started(connection) else Delivery.FAILED,
                           f"{type(exc).__name__}: {first_line(exc.strerror or str(exc), 60)}",
                           NO_COLLECTOR, retryable=True)
        except Exception as exc:  # noqa: BLE001 - a sender says what happened, never raises
            return Attempt(Delivery.FAILED, f"{type(exc).__name__}: {first_line(str(exc), 80)}")
        finally:
            with self._lock:
                self._in_flight = None
            connection.close()

    def cancel(self) -> None:
        with self._lock:
            if self._in_flight is not None and self._in_flight.sock is not None:
                self._in_flight.sock.shutdown(socket.SHUT_RDWR)

    def close(self) -> None:
        return None


def response_started(connection: http.client.HTTPConnection) -> bool:
    """Was the request already written (so the collector may have it)?"""
    return connection.sock is not None


class ConsoleSender:
    """OTEL_TRACES_EXPORTER=console: each span as JSON on stdout (the SDK's format)."""

    description = "the console"

    def __init__(self) -> None:
        # Given explicitly: the SDK's default stream is the one at its import time, and a
        # run may have wrapped stdout since (a closed pipe must not break the run).
        self._exporter = ConsoleSpanExporter(out=sys.stdout)

    def send(self, spans: Sequence[ReadableSpan]) -> Attempt:
        try:
            self._exporter.export(spans)
        except (OSError, ValueError) as exc:  # stdout closed or gone
            return Attempt(Delivery.FAILED, f"stdout: {type(exc).__name__}")
        return Attempt(Delivery.DELIVERED)

    def cancel(self) -> None:
        return None

    def close(self) -> None:
        return None
